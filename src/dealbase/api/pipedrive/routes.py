"""Routes of the Pipedrive dialect, generated from the views, and their generic handlers.

Every handler parses the request (params.py), hands one function of a ``Unit`` to the
records service (``Api.read``/``Api.write``: the service signs the caller in, opens the
transaction and decides where it runs) and renders (present.py/render.py). Errors
leave through ``render.error``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...domain.currencies import CURRENCIES
from ...domain.errors import DealbaseError, NotFound, Reason
from ...domain.oauth import ACCESS_PREFIX
from ...domain.types import INT_MAX, parse_int
from ...query.ast import And, Cond, Cursor, Filter, Keyset, Not, Offset, Or, Query, Sort, all_of
from ...service import MAX_BULK, Context, Credentials, Service, Unit
from ...settings import Settings
from ..body import query_params, read_capped
from . import params, render
from .mapping import VIEWS, View, uids_of, wire_uuid
from .present import Presenter

log = logging.getLogger("dealbase.pipedrive")
Handler = Callable[[Request], Awaitable[Response]]
T = TypeVar("T")
PREFIXES = {"v1": ("/v1", "/api/v1"), "v2": ("/api/v2",)}


@dataclass
class Api:
    """What the handlers need; built once by create_app."""

    settings: Settings
    service: Service

    def __post_init__(self) -> None:
        self.presenter = Presenter()

    @staticmethod
    def credentials(request: Request) -> Credentials:
        """The token a request carries: ``api_token``, ``x-api-token`` or ``Authorization:
        Bearer`` (an OAuth access token, told by its prefix; else an API token)."""
        token = query_params(request).get("api_token") or request.headers.get("x-api-token")
        if not token:
            auth = request.headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                token = auth[7:].strip()
                if token.startswith(ACCESS_PREFIX):
                    return Credentials(token, "oauth")
        return Credentials(token or "")

    async def read(self, request: Request, work: Callable[[Unit], T], *, long: bool = False
                   ) -> T:
        """``work(unit)`` for the request's caller, in one read transaction (``long``: in
        the thread pool, see ``Service.read``)."""
        return await self.service.read(self.credentials(request), work, long=long)

    async def write(self, request: Request, work: Callable[[Unit], T],
                    raw: bytes | DealbaseError = b"") -> T:
        """``work(unit)`` for the request's caller, as one write unit; ``raw``: its body."""
        return await self.service.write(self.credentials(request), work,
                                        size=0 if isinstance(raw, DealbaseError) else len(raw))

    async def raw_body(self, request: Request) -> bytes | DealbaseError:
        """The body's bytes, or the refusal to read it (raised after authentication)."""
        try:
            return await read_capped(request, self.settings.max_body_bytes)
        except DealbaseError as exc:
            return exc

    def parse_body(self, request: Request, raw: bytes | DealbaseError) -> Any:
        if isinstance(raw, DealbaseError):
            raise raw
        ctype = request.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" in ctype:
            from urllib.parse import parse_qsl

            return dict(parse_qsl(bytes(raw).decode("utf-8", "replace")))
        return params.json_body(bytes(raw), self.settings.max_body_bytes)

    @staticmethod
    def company_info(ctx: Context) -> dict[str, Any]:
        return {"id": ctx.company_id, "name": ctx.company_name}


def guarded(handler: Handler) -> Handler:
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except DealbaseError as exc:
            return render.from_exception(exc)
        except Exception:  # one log line, one opaque 500, never a traceback on the wire
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            return render.error("Internal server error", 500)
    return run


def record_id(request: Request, name: str = "id") -> int:
    found = parse_int(request.path_params[name], 1)
    if found is None or not request.path_params[name].isdigit():
        raise NotFound("Not found")
    return found


def selected(request: Request, data: Any) -> Any:
    """Apply the v1 field selector ``:(a,b)`` that the app's middleware took off the path."""
    keys = request.scope.get("pipedrive_fields")
    if not keys:
        return data
    if isinstance(data, list):
        return [{k: item[k] for k in keys if k in item} for item in data]
    if isinstance(data, dict):
        return {k: data[k] for k in keys if k in data}
    return data


_WHOLE_BODY: Any = object()


def uid_records(unit: Unit, entity: str, wires: Sequence[Any], live_only: bool = True
                ) -> dict[str, int]:
    """The ids of the ``entity`` records whose UUID ids are ``wires`` (those found), in
    one lookup."""
    candidates = {wire: uids_of(wire) for wire in wires if isinstance(wire, str)}
    wanted = [u for c in candidates.values() for u in c]
    found = unit.ids(entity, wanted, live_only=live_only) if wanted else {}
    return {wire: next(found[u] for u in uids if u in found)
            for wire, uids in candidates.items() if any(u in found for u in uids)}


def uid_record(unit: Unit, entity: str, wire: Any, live_only: bool = True) -> int:
    """The id of the (live) ``entity`` record whose UUID id is ``wire`` (else not found)."""
    found = uid_records(unit, entity, [wire], live_only)
    if wire not in found:
        raise NotFound(f"{entity.replace('_', ' ').capitalize()} not found")
    return found[wire]


def resolve_uids(unit: Unit, view: View, values: dict[str, Any]) -> dict[str, Any]:
    """Values with the view's UUID references (``uid_refs``) turned into record ids; one
    that names no live record is refused as a missing related record."""
    for field_name, entity in view.uid_refs.items():
        value = values.get(field_name)
        if value is None or (isinstance(value, list) and not value):
            continue
        wires = value if isinstance(value, list) else [value]
        found = uid_records(unit, entity, wires)
        ids = []
        for wire in wires:
            if isinstance(wire, int) and not isinstance(wire, bool):
                ids.append(wire)  # (already an id: a rule or a default set it)
            elif wire in found:
                ids.append(found[wire])
            else:
                raise params.bad(field_name, f"{entity.replace('_', ' ').capitalize()} "
                                 f"{str(wire)[:60]} not found", Reason.MISSING_RELATED)
        values[field_name] = list(dict.fromkeys(ids)) if isinstance(value, list) else ids[0]
    return values


def resolve_filter(unit: Unit, view: View, where: Filter | None) -> Filter | None:
    """A list filter with conditions on UUID references made conditions on record ids."""
    if where is None or not view.uid_refs:
        return where
    if isinstance(where, Cond):
        entity = view.uid_refs.get(where.field)
        if entity is None or not isinstance(where.value, str):
            return where
        try:
            return Cond(where.field, where.op, uid_record(unit, entity, where.value))
        except NotFound:
            return Cond("id", "eq", 0)  # (no record has it)
    if isinstance(where, And):
        return And(tuple(resolve_filter(unit, view, i) or i for i in where.items))
    if isinstance(where, Or):
        return Or(tuple(resolve_filter(unit, view, i) or i for i in where.items))
    if isinstance(where, Not):
        return Not(resolve_filter(unit, view, where.item) or where.item)
    return where


class Handlers:
    """The generic list/get/create/update/delete handlers for one view.

    Each request is one unit of work: the caller signed in, the read or write and the
    rendering, in one transaction.
    """

    def __init__(self, api: Api, view: View) -> None:
        self.api, self.view = api, view

    def key(self, unit: Unit, request: Request, name: str = "id") -> int:
        """The record the path names: by id, or by UUID for ``by_uid`` views."""
        if self.view.by_uid:
            return uid_record(unit, self.view.entity, request.path_params[name])
        return record_id(request, name)

    def values(self, unit: Unit, request: Request, raw: bytes | DealbaseError,
               body: Any = _WHOLE_BODY) -> dict[str, Any]:
        """The request body (or ``body``, a part of it) in canonical names, UUID
        references resolved."""
        if body is _WHOLE_BODY:
            body = self.api.parse_body(request, raw)
        return resolve_uids(unit, self.view, params.values(self.view, unit.schema, body))

    def render_opts(self, request: Request) -> dict[str, Any]:
        if self.view.version != "v2":
            return {}
        q = query_params(request)
        if not ("include_fields" in q or "custom_fields" in q or "include_option_labels" in q):
            return {}
        include = frozenset(params.csv(q, "include_fields"))
        unknown = include - self.view.opt_in_keys
        if unknown:
            raise params.bad("include_fields", f"Unknown include_fields: {', '.join(sorted(unknown))}")
        keys = params.csv(q, "custom_fields")
        if len(keys) > 15:
            raise params.bad("custom_fields", "At most 15 custom field keys")
        return {"include": include, "custom_keys": keys or None,
                "option_labels": params.flag(q, "include_option_labels")}

    def present(self, unit: Unit, items: list[dict[str, Any]], opts: dict[str, Any]
                 ) -> tuple[list[dict[str, Any]], Any]:
        presenter = self.api.presenter
        ctx = unit.ctx
        rc = presenter.load(unit, self.view, items, self.api.company_info(ctx)
                            if self.view.version == "v1" else {})
        render = presenter.renderer(self.view, ctx.schema, **opts)
        out = [render(i, rc) for i in items]
        return out, presenter.related_objects(self.view, ctx.schema, rc)

    async def list(self, request: Request, extra: Any = None) -> Response:
        return await self.api.read(request, lambda unit: self.listing(unit, request, extra))

    def listing(self, unit: Unit, request: Request, extra: Any,
                parent: tuple[str, int] | None = None,
                given: Mapping[str, str] | None = None,
                summary: Callable[[Unit, Filter | None], dict[str, Any]] | None = None
                ) -> Response:
        """A page of the view's records meeting ``extra`` (and the request's parameters, or
        ``given`` in their stead); ``summary`` adds to v1's ``additional_data`` what it
        makes of the records listed (all pages)."""
        ctx = unit.ctx
        if parent is not None:
            unit.get(*parent)
        if callable(extra):
            extra = extra(ctx)
        q = query_params(request) if given is None else given
        view, settings = self.view, self.api.settings
        limit = params.integer(q, "limit", settings.default_page_size, 1, settings.max_page_size)
        if q.get("filter_id"):  # a saved filter (it takes precedence over v1's user_id and
            from .savedfilters import where_of  # owned_by_you, as the spec has it)
            extra = all_of(extra, where_of(unit, view.entity, q["filter_id"]))
            if view.version == "v1":
                q = {k: v for k, v in q.items() if k not in ("user_id", "owned_by_you")}
        if view.version == "v1" and params.flag(q, "owned_by_you"):
            extra = all_of(extra, Cond("owner_id", "eq", ctx.user_id))
        if view.own_by_default and not q.get("user_id") and not q.get("filter_id"):
            extra = all_of(extra, Cond(view.own_by_default, "eq", ctx.user_id))
        where = resolve_filter(unit, view, all_of(params.filters(view, q), extra, view.listed))
        opts = self.render_opts(request)
        if view.version == "v1" and view.paging != "cursor":
            sort = params.v1_sort(view, ctx.schema, q.get("sort"))
            start = params.integer(q, "start", 0, 0, 10**9) if view.paged else 0
            if not view.paged:
                limit = settings.max_page_size
            query = Query(where=where, sort=sort or view.default_sort, page=Offset(start, limit))
            page = unit.list(view.entity, query)
            data, related = self.present(unit, page.items, opts)
            additional = (render.v1_pagination(start, limit, page.more, view.flat_pagination)
                          if view.paged else None)
            if summary is not None:
                additional = {**(additional or {}), **summary(unit, where)}
            return render.success(selected(request, data), additional_data=additional,
                                  related_objects=related)
        sort = params.v2_sort(view, q) if view.version == "v2" else ()
        page = unit.list(view.entity, Query(where=where, sort=sort,
                                            page=Cursor(q.get("cursor") or None, limit)))
        data, _ = self.present(unit, page.items, opts)
        return render.success(data, additional_data={"next_cursor": page.next_cursor})

    async def get(self, request: Request) -> Response:
        return await self.api.read(request, lambda unit: self._get(unit, request))

    def _get(self, unit: Unit, request: Request) -> Response:
        opts = self.render_opts(request)
        record = unit.get(self.view.entity, self.key(unit, request))
        data, related = self.present(unit, [record], opts)
        return render.success(selected(request, data[0]), related_objects=related)

    async def create(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)
        return await self.api.write(request, lambda unit: self._write(unit, request, raw, None),
                                    raw)

    async def update(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)
        return await self.api.write(request, lambda unit: self._write(unit, request, raw, "id"),
                                    raw)

    def _write(self, unit: Unit, request: Request, raw: bytes | DealbaseError,
               target: str | None) -> Response:
        """One write unit: parse, write, render what was stored."""
        record_key = None if target is None else self.key(unit, request, target)
        values = self.values(unit, request, raw)
        self._refuse_deleted_flag(values)
        if self.view.require_any:
            before = {} if record_key is None else unit.get(self.view.entity, record_key)
            if all({**before, **values}.get(k) is None for k in self.view.require_any):
                keys = " or ".join(self.view.key_of(k) for k in self.view.require_any)
                raise params.bad(self.view.key_of(self.view.require_any[0]),
                                 f"Needs {keys}", Reason.REQUIRED)
        if record_key is None:
            record = unit.create(self.view.entity, values)
        else:
            record = unit.update(self.view.entity, record_key, values)
        data, related = self.present(unit, [record], {})
        status = self.view.create_status if request.method == "POST" else 200
        return render.success(data[0], status=status, related_objects=related)

    def _refuse_deleted_flag(self, values: dict[str, Any]) -> None:
        if values.pop("is_deleted", False):
            raise params.bad("is_deleted", "Use DELETE to delete; is_deleted cannot be set",
                             Reason.READ_ONLY)

    async def delete(self, request: Request) -> Response:
        return await self.api.write(request, lambda unit: self._delete(unit, request, None, False))

    async def bulk_delete(self, request: Request) -> Response:
        raw = query_params(request).get("ids")
        return await self.api.write(request, lambda unit: self._delete(unit, request, raw, True))

    def _delete(self, unit: Unit, request: Request, ids: Any, bulk: bool) -> Response:
        """One write unit."""
        ids = params.id_list(ids, MAX_BULK) if bulk else [self.key(unit, request)]
        deleted = unit.delete(self.view.entity, ids)
        if self.view.by_uid:
            return render.success({"id": request.path_params["id"]})
        if bulk or self.view.deleted == "id":
            return render.success({"id": deleted if bulk else deleted[0]})
        if self.view.deleted == "true":
            return render.success(True)
        data, _ = self.present(unit, [unit.get(self.view.entity, deleted[0])], {})
        return render.success(data[0])


class Nested(Handlers):
    """A view's records under a live parent record (``/deals/{id}/products``,
    ``/products/{id}/variations``): listed, made, changed and deleted as the parent's, the
    parent's id in ``field``; a child of another parent answers as one that does not exist."""

    def __init__(self, api: Api, view: View, parent: str, field: str, child_param: str) -> None:
        super().__init__(api, view)
        self.parent, self.field, self.child_param = parent, field, child_param

    def _parent(self, unit: Unit, request: Request) -> int:
        parent_id = record_id(request)
        if unit.find(self.parent, all_of(Cond("id", "eq", parent_id),
                                         Cond("is_deleted", "eq", False))) is None:
            raise NotFound(f"{self.parent.capitalize()} not found")
        return parent_id

    def _child(self, unit: Unit, request: Request, parent_id: int) -> dict[str, Any]:
        child = unit.get(self.view.entity, self.key(unit, request, self.child_param))
        if child[self.field] != parent_id or child["is_deleted"]:
            raise NotFound("Not found")
        return child

    async def list(self, request: Request, extra: Any = None) -> Response:
        def work(unit: Unit) -> Response:
            parent_id = self._parent(unit, request)
            return self.listing(unit, request, all_of(Cond(self.field, "eq", parent_id), extra))
        return await self.api.read(request, work)

    async def create(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            parent_id = self._parent(unit, request)
            values = self.values(unit, request, raw)
            record = unit.create(self.view.entity, {**values, self.field: parent_id})
            data, _ = self.present(unit, [record], {})
            return render.success(data[0], status=self.view.create_status)
        return await self.api.write(request, work, raw)

    async def create_many(self, request: Request) -> Response:
        """``POST …/bulk`` ``{"data": [items]}``: all or none."""
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            parent_id = self._parent(unit, request)
            body = self.api.parse_body(request, raw)
            items = body.get("data") if isinstance(body, dict) and set(body) == {"data"} else None
            if not isinstance(items, list) or not 1 <= len(items) <= 100:
                raise params.bad("data", "The body must be {\"data\": [1 to 100 items]}",
                                 Reason.MALFORMED)
            made = []
            for n, item in enumerate(items):
                try:
                    values = self.values(unit, request, raw, item)
                    made.append(unit.create(self.view.entity, {**values, self.field: parent_id}))
                except DealbaseError as error:
                    error.message = f"item {n}: {error.message}"
                    raise
            data, _ = self.present(unit, made, {})
            return render.success(data, status=self.view.create_status)
        return await self.api.write(request, work, raw)

    async def update(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            child = self._child(unit, request, self._parent(unit, request))
            values = self.values(unit, request, raw)
            record = unit.update(self.view.entity, child["id"], values)
            data, _ = self.present(unit, [record], {})
            return render.success(data[0])
        return await self.api.write(request, work, raw)

    async def get_one(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            child = self._child(unit, request, self._parent(unit, request))
            data, _ = self.present(unit, [child], {})
            return render.success(data[0])
        return await self.api.read(request, work)

    async def delete(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            child = self._child(unit, request, self._parent(unit, request))
            unit.delete(self.view.entity, [child["id"]])
            return render.success(True if self.view.deleted == "true" else {"id": child["id"]})
        return await self.api.write(request, work)

    async def delete_many(self, request: Request) -> Response:
        """``DELETE …?ids=`` the parent's children named (at most 100; without ``ids`` the
        first 100 of them, and whether more are left)."""
        raw = query_params(request).get("ids")

        def work(unit: Unit) -> Response:
            parent_id = self._parent(unit, request)
            named = params.id_list(raw, 100) if raw else None
            where = all_of(Cond(self.field, "eq", parent_id), Cond("is_deleted", "eq", False),
                           None if named is None else Cond("id", "in", named))
            found = unit.list(self.view.entity, Query(where=where, page=Offset(0, 100)))
            ids = [r["id"] for r in found.items]
            if named is not None and sorted(set(named)) != sorted(ids):
                raise NotFound("Not found")
            if ids:
                unit.delete(self.view.entity, ids)
            return render.success({"ids": ids},
                                  additional_data={"more_items_in_collection": found.more})
        return await self.api.write(request, work)


def _deals_products(api: Api, view: View) -> Handler:
    """v2 ``GET /deals/products?deal_ids=…``: the products of up to 100 deals."""
    handlers = Handlers(api, view)

    async def handler(request: Request) -> Response:
        def work(unit: Unit) -> Response:  # (parameters are read once signed in)
            ids = params.id_list(query_params(request).get("deal_ids"), 100, "deal_ids")
            return handlers.listing(unit, request, Cond("deal_id", "in", ids))
        return await api.read(request, work)
    return handler


def _duplicate(api: Api, view: View, status: int | None = None) -> Handler:
    """A copy of a live record: every field a client could have written."""
    handlers = Handlers(api, view)

    async def handler(request: Request) -> Response:
        def work(unit: Unit) -> Response:
            record = unit.duplicate(view.entity, record_id(request))
            data, _ = handlers.present(unit, [record], {})
            return render.success(data[0], status=status or view.create_status)
        return await api.write(request, work)
    return handler


def routes_at(prefixes: tuple[str, ...], path: str, handler: Handler, methods: list[str]
            ) -> list[BaseRoute]:
    return [Route(f"{p}{path}", guarded(handler), methods=methods) for p in prefixes]


def build_routes(api: Api) -> list[BaseRoute]:
    """Every Pipedrive route: generated CRUD per view, then the few nested extras."""
    from . import history
    routes: list[BaseRoute] = []
    for version, views in VIEWS.items():
        prefixes = PREFIXES[version]
        for path, view in views.items():
            if view.entity == "user":
                continue  # users have their own handlers (users.py)
            h = Handlers(api, view)
            update_method = view.v1_update if version == "v1" else "PATCH"
            table = (("list", "", h.list, "GET"), ("create", "", h.create, "POST"),
                     ("get", "/{id}", h.get, "GET"), ("update", "/{id}", h.update, update_method),
                     ("delete", "/{id}", h.delete, "DELETE"),
                     ("bulk_delete", "", h.bulk_delete, "DELETE"))
            for operation, tail, handler, method in table:
                if operation in view.operations and (operation != "bulk_delete" or version == "v1"):
                    routes += routes_at(prefixes, f"/{path}{tail}", handler, [method])
    routes += _nested(api)
    routes += _children(api)
    routes += _merges_and_copies(api)
    routes += _leads(api)
    routes += _fixed_lists(api)
    routes += history.routes(api)
    from .savedfilters import routes as saved_filters  # (it imports this module)
    routes += saved_filters(api)
    from .search import routes as searches  # (it imports this module)
    routes += searches(api)
    from .projects import routes as projects  # (it imports this module)
    routes += projects(api)
    from .subscriptions import routes as subscriptions  # (it imports this module)
    routes += subscriptions(api)
    from .statistics import routes as statistics  # (it imports this module)
    routes += statistics(api)
    from .goals import routes as goals  # (it imports this module)
    routes += goals(api)
    from .rates import routes as rates  # (it imports this module)
    routes += rates(api)
    from .followers import routes as followers  # (it imports this module)
    routes += followers(api)
    from .roles import routes as roles  # (it imports this module)
    routes += roles(api)
    from .webhooks import routes as webhooks  # (it imports this module)
    routes += webhooks(api)
    # The first match wins: a fixed segment before a parameter in the same place
    # (``/deals/collection`` and ``/deals/products`` before ``/deals/{id}``).
    routes.sort(key=lambda r: tuple("{" in s for s in getattr(r, "path", "").split("/")))
    return routes


def _merges_and_copies(api: Api) -> list[BaseRoute]:
    """v1: merge a deal, person or organization into another; duplicate a deal; a deal's
    participants and persons."""
    from .mapping import FLAT_DEAL_V1, ORGANIZATION_V1, PERSON_V1, bare_refs

    v1 = PREFIXES["v1"]
    routes: list[BaseRoute] = []
    for path, view in (("deals", FLAT_DEAL_V1), ("persons", bare_refs(PERSON_V1)),
                       ("organizations", bare_refs(ORGANIZATION_V1))):
        routes += routes_at(v1, f"/{path}/{{id}}/merge", _merge(api, view), ["PUT"])
    routes += routes_at(v1, "/deals/{id}/duplicate", _duplicate(api, FLAT_DEAL_V1, 200), ["POST"])
    people = DealPeople(api, PERSON_V1)
    routes += routes_at(v1, "/deals/{id}/participants", people.list, ["GET"])
    routes += routes_at(v1, "/deals/{id}/persons", people.list, ["GET"])
    routes += routes_at(v1, "/deals/{id}/participants", people.add, ["POST"])
    routes += routes_at(v1, "/deals/{id}/participants/{deal_participant_id}", people.remove,
                        ["DELETE"])
    return routes


def _merge(api: Api, view: View) -> Handler:
    """``PUT /{entity}/{id}/merge`` ``{"merge_with_id": n}``: the record it merged into."""
    handlers = Handlers(api, view)

    async def handler(request: Request) -> Response:
        raw = await api.raw_body(request)

        def work(unit: Unit) -> Response:
            source = record_id(request)
            into = params.body_id(api.parse_body(request, raw), "merge_with_id", "a record")
            merged = unit.merge(view.entity, source, into)
            data, _ = handlers.present(unit, [merged], {})
            return render.success({**data[0], "merge_what_id": source})
        return await api.write(request, work, raw)
    return handler


class DealPeople:
    """A deal's persons: its contact person first, then its other participants (a
    participant's id is its person's id)."""

    def __init__(self, api: Api, view: View) -> None:
        self.api, self.handlers = api, Handlers(api, view)

    def _deal(self, unit: Unit, request: Request) -> dict[str, Any]:
        found = unit.find("deal", all_of(Cond("id", "eq", record_id(request)),
                                         Cond("is_deleted", "eq", False)))
        if found is None:
            raise NotFound("Deal not found")
        return found

    @staticmethod
    def _ids(deal: dict[str, Any]) -> list[int]:
        primary = [] if deal["person_id"] is None else [deal["person_id"]]
        return [*primary, *(deal["participant_ids"] or ())]

    async def list(self, request: Request) -> Response:
        q = query_params(request)

        def work(unit: Unit) -> Response:
            ids = self._ids(self._deal(unit, request))
            start = params.integer(q, "start", 0, 0, 10**9)
            limit = params.integer(q, "limit", self.api.settings.default_page_size, 1,
                                   self.api.settings.max_page_size)
            found = unit.get_many("person", ids[start:start + limit])
            persons = [found[i] for i in ids[start:start + limit] if i in found]
            data, related = self.handlers.present(unit, persons, {})
            return render.success(data, additional_data=render.v1_pagination(
                start, limit, start + limit < len(ids)), related_objects=related)
        return await self.api.read(request, work)

    async def add(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            deal = self._deal(unit, request)
            person = params.body_id(self.api.parse_body(request, raw), "person_id", "a person")
            if person in self._ids(deal):
                raise params.bad("person_id", "The person already takes part in the deal",
                                 Reason.INVALID)
            values = ({"person_id": person} if deal["person_id"] is None
                      else {"participant_ids": [*(deal["participant_ids"] or ()), person]})
            unit.update("deal", deal["id"], values)
            data, related = self.handlers.present(unit, [unit.get("person", person)], {})
            return render.success(data[0], related_objects=related)
        return await self.api.write(request, work, raw)

    async def remove(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            deal = self._deal(unit, request)
            person = record_id(request, "deal_participant_id")
            if person not in self._ids(deal):
                raise NotFound("Participant not found")
            others = [i for i in deal["participant_ids"] or () if i != person]
            values: dict[str, Any] = {"participant_ids": others}
            if deal["person_id"] == person:
                values = {"person_id": others[0] if others else None, "participant_ids": others[1:]}
            unit.update("deal", deal["id"], values)
            return render.success({"id": person})
        return await self.api.write(request, work)


def _children(api: Api) -> list[BaseRoute]:
    """Records under a parent: a deal's products, a product's variations."""
    from .mapping import DEAL_PRODUCT_V1, DEAL_PRODUCT_V2, PRODUCT_V2, PRODUCT_VARIATION_V2

    v1, v2 = PREFIXES["v1"], PREFIXES["v2"]
    routes: list[BaseRoute] = []
    d1 = Nested(api, DEAL_PRODUCT_V1, "deal", "deal_id", "product_attachment_id")
    d2 = Nested(api, DEAL_PRODUCT_V2, "deal", "deal_id", "product_attachment_id")
    pv = Nested(api, PRODUCT_VARIATION_V2, "product", "product_id", "product_variation_id")
    attachment = "/deals/{id}/products/{product_attachment_id}"
    routes += routes_at(v1, "/deals/{id}/products", d1.list, ["GET"])
    routes += routes_at(v1, "/deals/{id}/products", d1.create, ["POST"])
    routes += routes_at(v1, attachment, d1.update, ["PUT"])
    routes += routes_at(v1, attachment, d1.delete, ["DELETE"])
    routes += routes_at(v2, "/deals/{id}/products", d2.list, ["GET"])
    routes += routes_at(v2, "/deals/{id}/products", d2.create, ["POST"])
    routes += routes_at(v2, "/deals/{id}/products", d2.delete_many, ["DELETE"])
    routes += routes_at(v2, "/deals/{id}/products/bulk", d2.create_many, ["POST"])
    routes += routes_at(v2, attachment, d2.update, ["PATCH"])
    routes += routes_at(v2, attachment, d2.delete, ["DELETE"])
    routes += routes_at(v2, "/deals/products", _deals_products(api, DEAL_PRODUCT_V2), ["GET"])
    routes += routes_at(v2, "/products/{id}/duplicate", _duplicate(api, PRODUCT_V2), ["POST"])
    routes += routes_at(v1, "/products/{id}/deals", _product_deals(api), ["GET"])
    routes += routes_at(v1, "/persons/{id}/products", _person_products(api), ["GET"])
    variation = "/products/{id}/variations/{product_variation_id}"
    routes += routes_at(v2, "/products/{id}/variations", pv.list, ["GET"])
    routes += routes_at(v2, "/products/{id}/variations", pv.create, ["POST"])
    routes += routes_at(v2, variation, pv.update, ["PATCH"])
    routes += routes_at(v2, variation, pv.delete, ["DELETE"])
    return routes


# The most records a list reached through another kind of record gathers ids of (a
# product's deals, a person's deals' products).
MAX_GATHERED = 10_000


def _gather(unit: Unit, entity: str, field: str, where: Filter) -> list[int]:
    """The distinct ``field`` values of the live ``entity`` records that meet ``where``."""
    page = unit.list(entity, Query(where=all_of(where, Cond("is_deleted", "eq", False)),
                                   page=Keyset(None, MAX_GATHERED), fields=("id", field)))
    return list(dict.fromkeys(r[field] for r in page.items if r[field] is not None))


def _in(ids: list[int]) -> Filter:
    return Cond("id", "in", ids) if ids else Cond("id", "eq", 0)


def _product_deals(api: Api) -> Handler:
    """v1 ``GET /products/{id}/deals``: the deals the product is attached to (``status``:
    those with it; all not deleted by default)."""
    from .mapping import DEAL_V1, deal_status

    handlers = Handlers(api, replace(DEAL_V1, filters={"status": deal_status(True)}))

    async def handler(request: Request) -> Response:
        def work(unit: Unit) -> Response:
            product = record_id(request)
            unit.get("product", product)
            deals = _gather(unit, "deal_product", "deal_id", Cond("product_id", "eq", product))
            return handlers.listing(unit, request, _in(deals))
        return await api.read(request, work)
    return handler


def _person_products(api: Api) -> Handler:
    """v1 ``GET /persons/{id}/products``: the products of the person's deals, each as
    ``{"<deal id>": {"deal": …, "product": …}}``."""
    from .mapping import FLAT_DEAL_V1, PRODUCT_V1, bare_refs

    deals, products = Handlers(api, FLAT_DEAL_V1), Handlers(api, bare_refs(PRODUCT_V1))
    settings = api.settings

    async def handler(request: Request) -> Response:
        q = query_params(request)

        def work(unit: Unit) -> Response:
            person = record_id(request)
            unit.get("person", person)
            start = params.integer(q, "start", 0, 0, 10**9)
            limit = params.integer(q, "limit", settings.default_page_size, 1,
                                   settings.max_page_size)
            owned = _gather(unit, "deal", "id", Cond("person_id", "eq", person))
            page = unit.list("deal_product", Query(
                where=all_of(Cond("deal_id", "in", owned) if owned else Cond("id", "eq", 0),
                             Cond("is_deleted", "eq", False)),
                sort=(Sort("deal_id"), Sort("id")), page=Offset(start, limit)))
            deal_rows = unit.get_many("deal", {r["deal_id"] for r in page.items})
            product_rows = unit.get_many("product", {r["product_id"] for r in page.items})
            deal_objects = dict(zip(deal_rows, deals.present(unit, list(deal_rows.values()), {})[0],
                                    strict=True))
            product_objects = dict(zip(product_rows, products.present(
                unit, list(product_rows.values()), {})[0], strict=True))
            data = [{str(r["deal_id"]): {"deal": deal_objects[r["deal_id"]],
                                         "product": {**product_objects[r["product_id"]],
                                                     "deal_id": r["deal_id"]}}}
                    for r in page.items]
            return render.success(data, additional_data=render.v1_pagination(
                start, limit, page.more))
        return await api.read(request, work)
    return handler


def _nested(api: Api) -> list[BaseRoute]:
    """Deal lists under a stage, pipeline, person or organization; persons under an org."""
    from .mapping import CHILD_ACTIVITY_V1, DEAL_V1, FLAT_DEAL_V1, PERSON_V1

    flat_deals = FLAT_DEAL_V1
    routes: list[BaseRoute] = []
    nested = (
        ("stages", "stage", "stage_id", flat_deals, True),
        ("pipelines", "pipeline", "pipeline_id", flat_deals, True),
        ("persons", "person", "person_id", DEAL_V1, False),
        ("organizations", "organization", "organization_id", DEAL_V1, False),
    )
    for parent_path, parent, field in (("deals", "deal", "deal_id"),
                                       ("persons", "person", "person_id"),
                                       ("organizations", "organization", "organization_id")):
        routes += routes_at(PREFIXES["v1"], f"/{parent_path}/{{id}}/activities",
                            child_list(api, CHILD_ACTIVITY_V1, parent, field, False), ["GET"])
    for parent_path, parent, field, view, owner_scoped in nested:
        routes += routes_at(PREFIXES["v1"], f"/{parent_path}/{{id}}/deals",
                          child_list(api, view, parent, field, owner_scoped), ["GET"])
    routes += routes_at(PREFIXES["v1"], "/organizations/{id}/persons",
                      child_list(api, PERSON_V1, "organization", "organization_id", False),
                      ["GET"])
    return routes


def child_list(api: Api, view: View, parent: str, field: str, owner_scoped: bool) -> Handler:
    """A parent's records of ``view``. ``owner_scoped`` (a stage's or a pipeline's deals, as
    seed 002 has them): open deals of the caller unless ``user_id`` names another owner or
    ``filter_id`` a saved filter (which then decides the status too); ``everyone=1`` drops
    both and lists every owner's open deals; a pipeline's deals narrow to ``stage_id``;
    ``get_summary=1`` adds ``deals_summary`` (converted with ``totals_convert_currency``)."""
    handlers = Handlers(api, view)

    async def handler(request: Request) -> Response:
        parent_id = record_id(request)
        q = query_params(request)
        everyone = owner_scoped and params.flag(q, "everyone")
        if everyone:
            q = {k: v for k, v in q.items() if k not in ("user_id", "filter_id")}
        stage_id = (params.integer(q, "stage_id", 0, 1, INT_MAX) or None
                    if owner_scoped and parent == "pipeline" else None)
        mine = owner_scoped and not everyone and not q.get("user_id") and not q.get("filter_id")
        status = owner_scoped and not q.get("filter_id")

        def extra(ctx: Context) -> Filter | None:
            return all_of(Cond(field, "eq", parent_id),
                          Cond("owner_id", "eq", ctx.user_id) if mine else None,
                          Cond("status", "eq", "open") if status else None,
                          Cond("stage_id", "eq", stage_id) if stage_id else None)
        summary = None
        if owner_scoped and params.flag(q, "get_summary"):
            from .statistics import summarised  # (it imports this module)
            summary = summarised(q.get("totals_convert_currency"))
        return await api.read(request, lambda unit: handlers.listing(
            unit, request, extra, (parent, parent_id), q, summary), long=summary is not None)
    return handler


class Conversions:
    """v2 ``POST /leads/{id}/convert/deal`` and ``/deals/{id}/convert/lead``, and their
    status. A conversion runs at once, in the request's unit of work; its status
    (``completed``) is kept so that clients written for Pipedrive's background job find it."""

    def __init__(self, api: Api, entity: str) -> None:
        self.api, self.entity = api, entity

    def _source(self, unit: Unit, request: Request, live: bool = True) -> int:
        if self.entity == "deal":
            return record_id(request)
        return uid_record(unit, "lead", request.path_params["id"], live_only=live)

    async def start(self, request: Request) -> Response:
        raw = await self.api.raw_body(request) if self.entity == "lead" else b""

        def work(unit: Unit) -> Response:
            values: dict[str, Any] = {}
            if self.entity == "lead":
                body = self.api.parse_body(request, raw) if raw else {}
                if not isinstance(body, dict) or set(body) - {"stage_id", "pipeline_id"}:
                    raise params.bad("body", "The body takes stage_id and pipeline_id",
                                     Reason.UNKNOWN_FIELD)
                for key, value in body.items():
                    if value is not None and (isinstance(value, bool)
                                              or not isinstance(value, int) or value <= 0):
                        raise params.bad(key, f"{key} must be a positive integer")
                    if value is not None:
                        values[key] = value
            conversion = unit.convert(self.entity, self._source(unit, request), values)
            return render.success({"conversion_id": wire_uuid(conversion["uid"])})
        return await self.api.write(request, work, raw)

    async def status(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            source = self._source(unit, request, live=False)
            found = uid_records(unit, "conversion", [request.path_params["conversion_id"]],
                                live_only=False)
            conversion = unit.get("conversion", next(iter(found.values()))) if found else None
            if conversion is None or conversion[f"{self.entity}_id"] != source \
                    or not conversion["direction"].startswith(f"{self.entity}_to_"):
                raise NotFound("Conversion not found")
            lead = unit.get_many("lead", [conversion["lead_id"]], ("uid",))
            return render.success({
                "lead_id": wire_uuid(lead[conversion["lead_id"]]["uid"]),
                "deal_id": conversion["deal_id"],
                "conversion_id": wire_uuid(conversion["uid"]), "status": conversion["status"]})
        return await self.api.read(request, work)


def _leads(api: Api) -> list[BaseRoute]:
    """Leads (v1; v2 converts), a note's comments, a deal's discounts."""
    from .mapping import ARCHIVED, DEAL_DISCOUNT_V2, LEAD_V1, NOT_ARCHIVED, NOTE_COMMENT_V1

    v1, v2 = PREFIXES["v1"], PREFIXES["v2"]
    routes: list[BaseRoute] = []
    # (live leads are listed apart from archived ones)
    for tail, listed in (("", NOT_ARCHIVED), ("/archived", ARCHIVED)):
        routes += routes_at(v1, f"/leads{tail}",
                            Handlers(api, replace(LEAD_V1, listed=listed)).list, ["GET"])
    for entity, tail in (("lead", "deal"), ("deal", "lead")):
        conversions = Conversions(api, entity)
        routes += routes_at(v2, f"/{entity}s/{{id}}/convert/{tail}", conversions.start, ["POST"])
        routes += routes_at(v2, f"/{entity}s/{{id}}/convert/status/{{conversion_id}}",
                            conversions.status, ["GET"])

    comments = Nested(api, NOTE_COMMENT_V1, "note", "note_id", "commentId")
    one = "/notes/{id}/comments/{commentId}"
    routes += routes_at(v1, "/notes/{id}/comments", comments.list, ["GET"])
    routes += routes_at(v1, "/notes/{id}/comments", comments.create, ["POST"])
    routes += routes_at(v1, one, comments.get_one, ["GET"])
    routes += routes_at(v1, one, comments.update, ["PUT"])
    routes += routes_at(v1, one, comments.delete, ["DELETE"])
    discounts = Nested(api, DEAL_DISCOUNT_V2, "deal", "deal_id", "discount_id")
    routes += routes_at(v2, "/deals/{id}/discounts", discounts.list, ["GET"])
    routes += routes_at(v2, "/deals/{id}/discounts", discounts.create, ["POST"])
    routes += routes_at(v2, "/deals/{id}/discounts/{discount_id}", discounts.update, ["PATCH"])
    routes += routes_at(v2, "/deals/{id}/discounts/{discount_id}", discounts.delete, ["DELETE"])
    return routes


# Pipedrive's lead sources: a fixed list (a lead made through the API has "API").
LEAD_SOURCES = ("API", "Chatbot", "Deal", "Import", "Leadbooster", "Live chat", "Manually created",
                "Marketplace", "Prospector", "Web forms", "Web visitors", "Webhook", "Workflow automation")


def _fixed_lists(api: Api) -> list[BaseRoute]:
    """v1 lists that are the same for every company: lead sources and currencies (each
    answered to a signed-in caller only)."""
    async def lead_sources(request: Request) -> Response:
        return await api.read(request, lambda unit: render.success(
            [{"name": name} for name in LEAD_SOURCES]))

    async def currencies(request: Request) -> Response:
        term = (query_params(request).get("term") or "").strip().casefold()

        def work(unit: Unit) -> Response:
            return render.success([
                {"id": c.id, "code": c.code, "name": c.name, "decimal_points": c.decimal_points,
                 "symbol": c.symbol, "active_flag": True, "is_custom_flag": False}
                for c in CURRENCIES if term in c.code.casefold() or term in c.name.casefold()])
        return await api.read(request, work)

    v1 = PREFIXES["v1"]
    return [*routes_at(v1, "/leadSources", lead_sources, ["GET"]),
            *routes_at(v1, "/currencies", currencies, ["GET"])]


__all__ = ["Api", "build_routes", "guarded"]
