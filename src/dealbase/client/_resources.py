"""Resources: one generic class per flavour (sync, async) whose operations a ``Spec`` row enables.

A ``Spec`` is a descriptor: reading ``client.deals`` gives a ``Resource`` (``AsyncResource``
on an ``AsyncClient``) bound to the client's session and API version.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar, overload

from ._errors import DealbaseError, UnsupportedOperationError
from ._fields import FieldMap, Record, Version
from ._http import Answer, AsyncSender, Call, SyncSender

Op = Literal["list", "get", "create", "update", "delete", "delete_many", "search", "fetch"]
Id = int | str
CRUD: frozenset[Op] = frozenset({"list", "get", "create", "update", "delete"})
PREFIX: dict[Version, str] = {"v1": "/api/v1", "v2": "/api/v2"}


@dataclass(frozen=True)
class Page:
    """One page of a list: its records, the ``additional_data`` it came with, and the query
    parameters of the next page (``None`` on the last)."""

    items: list[Record]
    additional_data: Any
    next: dict[str, Any] | None

    @property
    def has_more(self) -> bool:
        """Whether another page follows."""
        return self.next is not None


def next_params(additional: Any) -> dict[str, Any] | None:
    """The next page's parameters: v2 (and v1 changelogs) ``next_cursor``; v1 ``next_start``
    under ``pagination`` (leads, flows: flat)."""
    if not isinstance(additional, Mapping):
        return None
    if "next_cursor" in additional:
        cursor = additional["next_cursor"]
        return {"cursor": cursor} if cursor else None
    block = additional.get("pagination", additional)
    if isinstance(block, Mapping) and block.get("more_items_in_collection") and (
            block.get("next_start") is not None):
        return {"start": block["next_start"]}
    return None


def _items(data: Any) -> list[Any]:
    """A list's records: ``data`` itself, or (searches) ``data.items``."""
    if isinstance(data, Mapping):
        data = data.get("items")
    return list(data) if isinstance(data, list) else []


def _record(item: Any, fields: FieldMap | None) -> Record:
    if not isinstance(item, Mapping):
        raise DealbaseError(f"expected an object in the answer, got {item!r}")
    return Record(item, fields)


class Pager:
    """Every record of a list, fetched a page at a time as iteration reaches it.

    ``for deal in client.deals.list(limit=100): …``; ``.pages()`` gives the pages;
    ``.first_page()`` only the first.
    """

    def __init__(self, fetch: Callable[[dict[str, Any]], Page], params: dict[str, Any]) -> None:
        self._fetch, self._params = fetch, params

    def pages(self) -> Iterator[Page]:
        """Each page in turn, the next one asked for when this one is consumed."""
        params = dict(self._params)
        while True:
            page = self._fetch(params)
            yield page
            if page.next is None:
                return
            params = {**params, **page.next}

    def first_page(self) -> Page:
        """Only the first page (one request)."""
        return self._fetch(dict(self._params))

    def __iter__(self) -> Iterator[Record]:
        for page in self.pages():
            yield from page.items

    def to_list(self) -> list[Record]:
        """Every record of every page, in a list."""
        return list(self)


class AsyncPager:
    """``async for deal in client.deals.list(): …``; ``.pages()`` and ``first_page()`` too."""

    def __init__(self, fetch: Callable[[dict[str, Any]], Awaitable[Page]], params: dict[str, Any]) -> None:
        self._fetch, self._params = fetch, params

    async def pages(self) -> AsyncIterator[Page]:
        """Each page in turn, the next one asked for when this one is consumed."""
        params = dict(self._params)
        while True:
            page = await self._fetch(params)
            yield page
            if page.next is None:
                return
            params = {**params, **page.next}

    async def first_page(self) -> Page:
        """Only the first page (one request)."""
        return await self._fetch(dict(self._params))

    async def __aiter__(self) -> AsyncIterator[Record]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def to_list(self) -> list[Record]:
        """Every record of every page, in a list."""
        return [item async for item in self]


# ---- sessions: what a resource needs from its client ----------------------------------------

@dataclass
class SyncSession:
    """A sync client's sender and its cache of custom fields (one load per entity)."""

    sender: SyncSender
    field_maps: dict[str, FieldMap] = field(default_factory=dict)

    def fields(self, entity: str) -> FieldMap:
        if entity not in self.field_maps:
            call = Call("GET", f"{PREFIX['v1']}/{entity}Fields", {"limit": 500})
            pager = Pager(lambda p: _page(self.sender.send(Call(call.method, call.path, p)), None),
                          dict(call.params or {}))
            self.field_maps[entity] = FieldMap(pager)
        return self.field_maps[entity]


@dataclass
class AsyncSession:
    """An async client's sender and its cache of custom fields (one load per entity)."""

    sender: AsyncSender
    field_maps: dict[str, FieldMap] = field(default_factory=dict)

    async def fields(self, entity: str) -> FieldMap:
        if entity not in self.field_maps:
            path = f"{PREFIX['v1']}/{entity}Fields"

            async def fetch(params: dict[str, Any]) -> Page:
                return _page(await self.sender.send(Call("GET", path, params)), None)
            self.field_maps[entity] = FieldMap([f async for f in AsyncPager(fetch, {"limit": 500})])
        return self.field_maps[entity]


def _page(answer: Answer, fields: FieldMap | None) -> Page:
    return Page([_record(item, fields) for item in _items(answer.data)], answer.additional_data,
                 next_params(answer.additional_data))


class SyncSide:
    """Something resources hang from synchronously: a ``Client`` or its ``v1``/``v2`` view."""

    _session: SyncSession
    _version: Version | None


class AsyncSide:
    """Something resources hang from asynchronously: an ``AsyncClient`` or its version view."""

    _session: AsyncSession
    _version: Version | None


# ---- the row of the table ----------------------------------------------------------------

@dataclass(frozen=True)
class Spec:
    """One resource: its ``path`` below ``/api/v1`` or ``/api/v2`` (``{parent}`` where it
    hangs below another record's id), the operations each version serves, the entity whose
    custom fields its records carry (``deal`` → ``dealFields``) and v1's update method."""

    path: str
    v1: frozenset[Op] = frozenset()
    v2: frozenset[Op] = frozenset()
    fields: str | None = None
    v1_update: Literal["PUT", "PATCH"] = "PUT"
    name: str = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        object.__setattr__(self, "name", name)

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Spec: ...
    @overload
    def __get__(self, obj: SyncSide, owner: type[Any]) -> Resource: ...
    @overload
    def __get__(self, obj: AsyncSide, owner: type[Any]) -> AsyncResource: ...

    def __get__(self, obj: SyncSide | AsyncSide | None, owner: type[Any]
                ) -> Spec | Resource | AsyncResource:
        if obj is None:
            return self
        if obj._version is not None and not self.ops(obj._version):
            raise AttributeError(f"{self.name} is not served by API {obj._version}")
        if isinstance(obj, AsyncSide):
            return AsyncResource(self, obj._session, obj._version, None)
        return Resource(self, obj._session, obj._version, None)

    def ops(self, version: Version) -> frozenset[Op]:
        """The operations ``version`` serves."""
        return self.v1 if version == "v1" else self.v2


S = TypeVar("S", SyncSession, AsyncSession)


class _Base(Generic[S]):
    """What both flavours share: which version serves an operation, and the calls to send."""

    def __init__(self, spec: Spec, session: S, pinned: Version | None, parent: Id | None) -> None:
        self.spec = spec
        self._session: S = session
        self._pinned, self._parent = pinned, parent

    def __repr__(self) -> str:
        parent = "" if self._parent is None else f" of {self._parent}"
        return f"<{type(self).__name__} {self.spec.name}{parent} /{self.spec.path}>"

    def _version(self, op: Op) -> Version:
        """The version that serves ``op``: the pinned one, else v2 where it can, else v1."""
        choices: tuple[Version, ...] = (self._pinned,) if self._pinned else ("v2", "v1")
        for version in choices:
            if op in self.spec.ops(version):
                return version
        where = f"API {self._pinned}" if self._pinned else "the server"
        raise UnsupportedOperationError(f"{self.spec.name}.{op} is not served by {where}")

    def _path(self, version: Version, *tail: Id) -> str:
        path = self.spec.path
        if "{parent}" in path:
            if self._parent is None:
                raise UnsupportedOperationError(
                    f"{self.spec.name} hangs below a record: call {self.spec.name}(parent_id) first")
            path = path.replace("{parent}", str(self._parent))
        return "/".join((PREFIX[version], path, *(str(t) for t in tail)))

    def _call(self, op: Op, *tail: Id, params: Mapping[str, Any] | None = None,
              body: Any = None) -> tuple[Call, Version]:
        version = self._version(op)
        method = {"list": "GET", "get": "GET", "fetch": "GET", "search": "GET", "create": "POST",
                  "delete": "DELETE", "delete_many": "DELETE",
                  "update": self.spec.v1_update if version == "v1" else "PATCH"}[op]
        if op == "search":
            tail = ("search",)
        return Call(method, self._path(version, *tail), dict(params or {}), body), version

    @staticmethod
    def _body(data: Mapping[str, Any] | None, custom: Mapping[str, Any] | None,
              fields: FieldMap | None, version: Version) -> dict[str, Any]:
        body = dict(data or {})
        if custom:
            assert fields is not None
            encoded = fields.encode(custom, version)
            if "custom_fields" in encoded and isinstance(body.get("custom_fields"), Mapping):
                encoded["custom_fields"] = {**body["custom_fields"], **encoded["custom_fields"]}
            body.update(encoded)
        return body

    def _no_custom(self) -> None:
        if self.spec.fields is None:
            raise UnsupportedOperationError(f"{self.spec.name} records have no custom fields")


class Resource(_Base[SyncSession]):
    """A resource of a sync ``Client``: ``list``, ``get``, ``create``, ``update``, ``delete``,
    ``delete_many``, ``search`` and ``fetch``, as far as the server serves them; call it with a
    parent id for resources below a record (``client.note_comments(note_id).list()``)."""

    def __call__(self, parent_id: Id) -> Resource:
        return Resource(self.spec, self._session, self._pinned, parent_id)

    def fields(self) -> FieldMap:
        """The custom fields of these records (read once per client, then cached)."""
        self._no_custom()
        assert self.spec.fields is not None
        return self._session.fields(self.spec.fields)

    def _field_map(self) -> FieldMap | None:
        return self._session.fields(self.spec.fields) if self.spec.fields else None

    def _send(self, call: Call) -> Answer:
        return self._session.sender.send(call)

    def _pager(self, op: Op, params: Mapping[str, Any]) -> Pager:
        call, _ = self._call(op, params=params)
        fields = op != "search"

        def fetch(page_params: dict[str, Any]) -> Page:
            answer = self._send(Call(call.method, call.path, page_params))
            return _page(answer, self._field_map() if fields else None)
        return Pager(fetch, dict(call.params or {}))

    def list(self, **params: Any) -> Pager:
        """Every record, page by page (``limit`` is the page size); filters as keywords."""
        return self._pager("list", params)

    def search(self, term: str, **params: Any) -> Pager:
        """Search results (``{"result_score", "item"}``) for ``term``, page by page."""
        return self._pager("search", {"term": term, **params})

    def get(self, id: Id, **params: Any) -> Record:
        """One record by its id (a field's ``field_code`` in v2 field resources)."""
        call, _ = self._call("get", id, params=params)
        return _record(self._send(call).data, self._field_map())

    def create(self, data: Mapping[str, Any] | None = None, *,
               custom: Mapping[str, Any] | None = None) -> Record:
        """Create a record from ``data`` (API keys) and ``custom`` (custom fields by name or key)."""
        version = self._version("create")
        fields = self.fields() if custom else self._field_map()
        call, _ = self._call("create", body=self._body(data, custom, fields, version))
        return _record(self._send(call).data, fields)

    def update(self, id: Id, data: Mapping[str, Any] | None = None, *,
               custom: Mapping[str, Any] | None = None) -> Record:
        """Change some values of a record; custom fields by name or key in ``custom``."""
        version = self._version("update")
        fields = self.fields() if custom else self._field_map()
        call, _ = self._call("update", id, body=self._body(data, custom, fields, version))
        return _record(self._send(call).data, fields)

    def delete(self, id: Id) -> Any:
        """Delete a record; the server's ``data`` (usually ``{"id": …}``)."""
        call, _ = self._call("delete", id)
        return self._send(call).data

    def delete_many(self, ids: Sequence[Id]) -> Any:
        """Delete several records in one call (``DELETE …?ids=``)."""
        call, _ = self._call("delete_many", params={"ids": list(ids)})
        return self._send(call).data

    def fetch(self, **params: Any) -> Any:
        """The ``data`` of a one-object resource (summaries, timelines, the current user)."""
        call, _ = self._call("fetch", params=params)
        return self._send(call).data


class AsyncResource(_Base[AsyncSession]):
    """A resource of an ``AsyncClient``: the operations of ``Resource``, awaited; ``list`` and
    ``search`` return an ``AsyncPager`` for ``async for``."""

    def __call__(self, parent_id: Id) -> AsyncResource:
        return AsyncResource(self.spec, self._session, self._pinned, parent_id)

    async def fields(self) -> FieldMap:
        """The custom fields of these records (read once per client, then cached)."""
        self._no_custom()
        assert self.spec.fields is not None
        return await self._session.fields(self.spec.fields)

    async def _field_map(self) -> FieldMap | None:
        return await self._session.fields(self.spec.fields) if self.spec.fields else None

    async def _send(self, call: Call) -> Answer:
        return await self._session.sender.send(call)

    def _pager(self, op: Op, params: Mapping[str, Any]) -> AsyncPager:
        call, _ = self._call(op, params=params)
        fields = op != "search"

        async def fetch(page_params: dict[str, Any]) -> Page:
            answer = await self._send(Call(call.method, call.path, page_params))
            return _page(answer, await self._field_map() if fields else None)
        return AsyncPager(fetch, dict(call.params or {}))

    def list(self, **params: Any) -> AsyncPager:
        """Every record, page by page (``limit`` is the page size); filters as keywords."""
        return self._pager("list", params)

    def search(self, term: str, **params: Any) -> AsyncPager:
        """Search results (``{"result_score", "item"}``) for ``term``, page by page."""
        return self._pager("search", {"term": term, **params})

    async def get(self, id: Id, **params: Any) -> Record:
        """One record by its id (a field's ``field_code`` in v2 field resources)."""
        call, _ = self._call("get", id, params=params)
        return _record((await self._send(call)).data, await self._field_map())

    async def create(self, data: Mapping[str, Any] | None = None, *,
                     custom: Mapping[str, Any] | None = None) -> Record:
        """Create a record from ``data`` (API keys) and ``custom`` (custom fields by name or key)."""
        version = self._version("create")
        fields = await self.fields() if custom else await self._field_map()
        call, _ = self._call("create", body=self._body(data, custom, fields, version))
        return _record((await self._send(call)).data, fields)

    async def update(self, id: Id, data: Mapping[str, Any] | None = None, *,
                     custom: Mapping[str, Any] | None = None) -> Record:
        """Change some values of a record; custom fields by name or key in ``custom``."""
        version = self._version("update")
        fields = await self.fields() if custom else await self._field_map()
        call, _ = self._call("update", id, body=self._body(data, custom, fields, version))
        return _record((await self._send(call)).data, fields)

    async def delete(self, id: Id) -> Any:
        """Delete a record; the server's ``data`` (usually ``{"id": …}``)."""
        call, _ = self._call("delete", id)
        return (await self._send(call)).data

    async def delete_many(self, ids: Sequence[Id]) -> Any:
        """Delete several records in one call (``DELETE …?ids=``)."""
        call, _ = self._call("delete_many", params={"ids": list(ids)})
        return (await self._send(call)).data

    async def fetch(self, **params: Any) -> Any:
        """The ``data`` of a one-object resource (summaries, timelines, the current user)."""
        call, _ = self._call("fetch", params=params)
        return (await self._send(call)).data
