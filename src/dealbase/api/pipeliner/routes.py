"""The Pipeliner REST v1 dialect at ``/rest_services/v1/{space_id}/…``.

Each request: parse HTTP Basic credentials and the body, then hand one function of a
``Unit`` to the records service (which signs the caller in for the space the path
names, opens the transaction and decides where it runs); that function translates
ids, calls the unit and renders. Errors leave as ``{"errorcode", "message"}`` with the
code and status of ``errors.CODE_OF``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from ...domain.errors import DealbaseError, NotFound, Reason, Unauthenticated, ValidationError
from ...domain.search import SEARCHED
from ...domain.types import parse_datetime, parse_int
from ...query.ast import Cond, Offset, Query, all_of
from ...service import MAX_BULK, Credentials, Remove, Save, Service, Unit, new_uid
from ...settings import Settings
from ..body import json_body, query_params, read_capped
from ..router import IndexedRouter
from . import errors
from .codecs import UID, Env, data_id, invalid, parse_data_id
from .collections import (
    COLLECTIONS,
    DATA,
    INT_IDS,
    NAMES,
    Collection,
    collection,
    custom_field_id,
    descriptor,
    field_id,
)
from .grammar import Phrase, parse_filter, parse_names

log = logging.getLogger("dealbase.pipeliner")
PREFIX = "/rest_services/v1"
DEFAULT_LIMIT = 25
SEARCH_KEYS = frozenset({"filter", "fulltext", "limit", "offset", "sort", "loadonly", "revision"})
MAX_BATCH = 5000
SCHEMA_VERSION = 15

FLAG_IGNORE_ON_ERROR = 1
FLAG_INSERT_ON_UPDATE = 2
FLAG_GET_NO_DELETED_ID = 4
FLAG_IGNORE_AND_RETURN_ERRORS = 8
KNOWN_FLAGS = 1 | 2 | 4 | 8 | 256 | 512 | (1 << 24)


@dataclass
class Reply:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """What a handler needs from the request."""

    space: str
    params: Mapping[str, str]
    body: bytes
    base_url: str
    path: Mapping[str, str]


def _json(reply: Reply) -> Response:
    return Response(orjson.dumps(reply.body), reply.status, reply.headers,
                    media_type="application/json")


def error_response(exc: Exception) -> Response:
    code = errors.code_of(exc)
    headers = {"WWW-Authenticate": 'Basic realm="restapi"'} if code.status == 401 else {}
    return _json(Reply(errors.body(exc), code.status, headers))


def _credentials(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip() or len(encoded) > 1024:
        raise Unauthenticated("Authentication required")
    try:
        token, sep, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthenticated("Authentication required") from None
    if not sep:
        raise Unauthenticated("Authentication required")
    return token, password


def _integer(params: Mapping[str, str], name: str, default: int, low: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    value = parse_int(raw, low, 10**12)
    if value is None:
        raise invalid(name, f"must be an integer of at least {low}", Reason.BAD_PARAMETER)
    return value


def _unknown(name: str) -> NotFound:
    return NotFound(f"Unknown collection or entity '{name[:80]}'", reason=Reason.UNKNOWN_RESOURCE)


class Pipeliner:
    """Handlers of the dialect; one instance per app."""

    def __init__(self, settings: Settings, service: Service) -> None:
        self.settings, self.service = settings, service

    # ---- plumbing -------------------------------------------------------------------------

    def route(self, work: Callable[[Unit, Call], Reply], *, with_body: bool = False,
              writes: bool = False, long: bool = False) -> Callable[[Request], Any]:
        """An endpoint running ``work`` as one read unit (``long``: in the thread pool, see
        ``Service.read``), or (``writes``) one write unit."""
        async def endpoint(request: Request) -> Response:
            try:
                token, password = _credentials(request)
                raw = (await read_capped(request, self.settings.max_body_bytes)
                       if with_body else b"")
                call = Call(request.path_params["space"], query_params(request),
                            raw, str(request.base_url).rstrip("/"), request.path_params)
                who = Credentials(token, "pipeliner", password, space=call.space)
                if writes:
                    reply = await self.service.write(who, lambda unit: work(unit, call),
                                                     size=len(raw))
                else:
                    reply = await self.service.read(who, lambda unit: work(unit, call),
                                                    long=long)
            except DealbaseError as exc:
                return error_response(exc)
            except Exception:  # one log line, one opaque 500
                log.exception("unhandled error on %s %s", request.method, request.url.path)
                return error_response(Exception())
            return _json(reply)
        return endpoint

    @staticmethod
    def _env(unit: Unit) -> Env:
        return Env(unit.ids, unit.uids, NAMES, INT_IDS)

    @staticmethod
    def _collection(name: str) -> Collection:
        found = collection(name)
        if found is None:
            raise _unknown(name)
        return found

    @staticmethod
    def _find(unit: Unit, coll: Collection, wire_id: Any, *, live_only: bool = True,
              lock: bool = False) -> dict[str, Any] | None:
        """The record behind a wire id within the collection's scope, or None. ``lock``:
        concurrent writers of it wait until this unit commits (read it before drafting)."""
        if coll.int_ids:
            record_id = parse_int(wire_id, 1) if isinstance(wire_id, str) else (
                wire_id if isinstance(wire_id, int) and not isinstance(wire_id, bool) else None)
            if record_id is None or record_id > 2**63 - 1:
                return None
            key: Cond = Cond("id", "eq", record_id)
        else:
            if not isinstance(wire_id, str) or UID.fullmatch(wire_id) is None:
                return None
            key = Cond("uid", "eq", wire_id.upper())
        where = all_of(coll.scope, key, Cond("is_deleted", "eq", False) if live_only else None)
        return unit.find(coll.entity, where, lock=lock)

    @staticmethod
    def _render(unit: Unit, coll: Collection, env: Env, record: dict[str, Any]) -> dict[str, Any]:
        return coll.render([record], env, coll.cols(unit.schema), unit.schema)[0]

    @staticmethod
    @contextlib.contextmanager
    def _speaking(coll: Collection) -> Iterator[None]:
        """Validation errors of the core in this collection's words."""
        try:
            yield
        except ValidationError as error:
            raise coll.speak(error) from None

    # ---- collections ----------------------------------------------------------------------

    def list_items(self, unit: Unit, call: Call) -> Reply:
        name = call.path["collection"]
        if name.lower() == DATA.lower():
            return self._data_list(unit, call)
        coll = self._collection(name)
        q = call.params
        limit = _integer(q, "limit", DEFAULT_LIMIT, -1)
        cap = self.settings.max_page_size
        limit = cap if limit == -1 else min(limit, cap)
        offset = _integer(q, "offset", 0, 0)
        phrases = parse_filter(q.get("filter", ""))
        names = parse_names("sort", q.get("sort", ""))
        loadonly = [n for n, _ in parse_names("loadonly", q.get("loadonly", ""))]
        after = None
        if q.get("after"):
            try:
                after = parse_datetime(q["after"])
            except ValueError:
                raise invalid("after", "must be a date-time (YYYY-MM-DD HH:MM:SS)",
                              Reason.BAD_PARAMETER) from None
        return self._listing(unit, coll, phrases, names, loadonly, offset, limit, after)

    def _listing(self, unit: Unit, coll: Collection, phrases: Sequence[Phrase],
                 names: Sequence[tuple[str, bool]], loadonly: Sequence[str], offset: int,
                 limit: int, after: Any = None, found: Sequence[int] | None = None,
                 headers: Mapping[str, str] | None = None, *, total: int | None = None,
                 start: int | None = None) -> Reply:
        """A page of the collection (``found``: only these records, in this order, as a
        full-text search ranked them; ``total`` and ``start``: what ``Content-Range``
        says of them when they are one page of more), with its ``Content-Range``."""
        env = self._env(unit)
        schema = unit.schema
        cols = coll.select(schema, loadonly)
        where = coll.where(schema, phrases, env, after)
        ranked = found is not None and not names
        if found is not None:
            where = all_of(where, Cond("id", "in", list(found)) if found else
                           Cond("id", "eq", 0))
        page_of = Offset(0, max(1, len(found or ()))) if ranked else Offset(offset, limit)
        query = Query(where=where, sort=coll.sort(schema, names), page=page_of,
                      fields=(*coll.projection(cols), "id") if ranked else coll.projection(cols))
        try:
            page = unit.list(coll.entity, query, total=True)
        except ValidationError as error:  # the engine refused a condition
            raise invalid("filter", coll.speak(error).message, Reason.BAD_FILTER) from None
        rows, counted = page.items, page.total or 0
        if ranked:
            rank = {record_id: n for n, record_id in enumerate(found or ())}
            rows = sorted(rows, key=lambda r: rank[r["id"]])[offset:offset + limit]
        items = coll.render(rows, env, cols, schema)
        return Reply(items, headers={**(headers or {}), "Content-Range": content_range(
            offset if start is None else start, len(items), counted if total is None
            else total)})

    def search(self, unit: Unit, call: Call) -> Reply:
        """``POST /search/{Collection}``: ``{"filter": {"terms": {FIELD: value}},
        "fulltext": text, "limit", "offset", "sort", "loadonly", "revision"}`` — the list of
        the records whose fields equal the terms (and, with ``fulltext``, that the
        full-text index finds for the text, best first unless ``sort`` says otherwise)."""
        coll = self._collection(call.path["collection"])
        body = json_body(call.body, self.settings.max_body_bytes)
        if not isinstance(body, dict):
            raise invalid("body", "The search body must be a JSON object", Reason.MALFORMED)
        unknown = sorted(set(body) - SEARCH_KEYS)
        if unknown:
            raise invalid(unknown[0], f"unknown search key '{unknown[0][:40]}' (one of: "
                          f"{', '.join(sorted(SEARCH_KEYS))})", Reason.UNKNOWN_FIELD)
        cap = self.settings.max_page_size
        limit = _whole(body, "limit", DEFAULT_LIMIT, -1)
        limit = cap if limit == -1 else min(limit, cap)
        offset = _whole(body, "offset", 0, 0)
        filters = body.get("filter") or {}
        if not isinstance(filters, dict) or set(filters) - {"terms"}:
            raise invalid("filter", 'filter must be {"terms": {FIELD: value, ...}}',
                          Reason.BAD_FILTER)
        terms = filters.get("terms") or {}
        if not isinstance(terms, dict) or not all(
                isinstance(k, str) and isinstance(v, str | int | float) and not isinstance(v, bool)
                for k, v in terms.items()):
            raise invalid("filter", "terms must map field names to strings or numbers",
                          Reason.BAD_FILTER)
        phrases = tuple(Phrase(k, "eq", str(v)) for k, v in terms.items())
        names = parse_names("sort", _text_of(body, "sort"))
        loadonly = [n for n, _ in parse_names("loadonly", _text_of(body, "loadonly"))]
        revision = body.get("revision")
        if not isinstance(revision, bool | None):
            raise invalid("revision", "revision must be true or false", Reason.BAD_PARAMETER)
        headers = {"Revision": str(unit.version())} if revision else None
        found = None
        if body.get("fulltext") is not None:
            if coll.entity not in SEARCHED:
                raise invalid("fulltext", f"{coll.name} has no full-text search",
                              Reason.BAD_PARAMETER)
            where = coll.where(unit.schema, phrases, self._env(unit), None)
            try:
                hits = unit.search([coll.entity], body["fulltext"], where=where)
            except ValidationError as error:
                raise invalid("fulltext", error.problems[0].message if error.problems
                              else error.message, Reason.BAD_PARAMETER) from None
            found = [h.id for h in hits]
            if not names:  # ranked: the page of hits is the page
                return self._listing(unit, coll, (), names, loadonly, 0, limit, None,
                                     found[offset:offset + limit], headers,
                                     total=len(found), start=offset)
            found = found[:MAX_BULK]  # sorted by a field: (the most ids one condition takes)
        return self._listing(unit, coll, phrases, names, loadonly, offset, limit, None, found,
                             headers)

    def get(self, unit: Unit, call: Call) -> Reply:
        name, wire_id = call.path["collection"], call.path["id"]
        if name.lower() == DATA.lower():
            return Reply(self._data_row(unit, wire_id))
        coll = self._collection(name)
        found = self._find(unit, coll, wire_id, live_only=False)
        if found is None:
            raise NotFound(f"{coll.entity_name} {wire_id[:120]} not found")
        return Reply(self._render(unit, coll, self._env(unit), found))

    def create(self, unit: Unit, call: Call) -> Reply:
        name = call.path["collection"]
        if name.lower() == DATA.lower():
            return self._data_write(unit, call, None)
        coll = self._collection(name)
        body = json_body(call.body, self.settings.max_body_bytes)
        env = self._env(unit)
        with self._speaking(coll):
            before, draft = self._plan(unit, coll, body, env, insert_missing=True)
            if before is not None:
                record = unit.update(coll.entity, before["id"], draft)
            else:
                record = unit.create(coll.entity, draft)
        out = self._render(unit, coll, env, record)
        if before is not None:
            return Reply(out)
        location = f"{call.base_url}{PREFIX}/{call.space}/{coll.name}/{out['ID']}"
        return Reply(out, 201, {"Location": location})

    def update(self, unit: Unit, call: Call) -> Reply:
        name, wire_id = call.path["collection"], call.path["id"]
        if name.lower() == DATA.lower():
            return self._data_write(unit, call, wire_id)
        coll = self._collection(name)
        body = json_body(call.body, self.settings.max_body_bytes)
        if not isinstance(body, dict):
            raise invalid("body", f"the body must be a JSON object (one {coll.entity_name})",
                          Reason.MALFORMED)
        if "ID" in body and str(body["ID"]).upper() != wire_id.upper():
            raise invalid("ID", "differs from the ID in the path")
        env = self._env(unit)
        before = self._find(unit, coll, wire_id, lock=True)
        if before is None:
            raise NotFound(f"{coll.entity_name} {wire_id[:120]} not found")
        with self._speaking(coll):
            draft = coll.draft(unit.schema, {**body, "ID": wire_id}, env, before)
            record = unit.update(coll.entity, before["id"], draft)
        return Reply(self._render(unit, coll, env, record))

    def delete(self, unit: Unit, call: Call) -> Reply:
        name, wire_id = call.path["collection"], call.path["id"]
        if name.lower() == DATA.lower():
            return self._data_delete(unit, wire_id)
        coll = self._collection(name)
        found = self._find(unit, coll, wire_id)
        if found is None:
            raise NotFound(f"{coll.entity_name} {wire_id[:120]} not found")
        unit.delete(coll.entity, [found["id"]])
        return Reply(self._render(unit, coll, self._env(unit), unit.get(coll.entity, found["id"])))

    def _plan(self, unit: Unit, coll: Collection, body: Any, env: Env, *,
              insert_missing: bool) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """(the record an item updates, or None for a new one; its canonical values). A
        new item's ``uid`` is the client's choice (checked by the service) or a new one."""
        if not isinstance(body, dict):
            raise invalid("body", f"the body must be a JSON object (one {coll.entity_name})",
                          Reason.MALFORMED)
        wire_id = body.get("ID")
        before = None if wire_id in (None, "") else self._find(unit, coll, wire_id, lock=True)
        if before is not None:
            return before, coll.draft(unit.schema, body, env, before)
        if wire_id not in (None, "") and (coll.int_ids or not insert_missing):
            raise NotFound(f"{coll.entity_name} {str(wire_id)[:120]} not found")
        draft = coll.draft(unit.schema, body, env, None)
        if not coll.int_ids and "uid" not in draft:
            draft["uid"] = new_uid()
        return None, draft

    # ---- batches --------------------------------------------------------------------------

    def _batch(self, call: Call) -> tuple[Collection, int, list[Any]]:
        name = call.params.get("entityName", "")
        if name.lower() == DATA.lower():
            raise NotFound("Data rows are written one at a time", reason=Reason.UNKNOWN_RESOURCE)
        coll = self._collection(name)
        flag = _integer(call.params, "flag", 0, 0)
        if flag & ~KNOWN_FLAGS:
            raise invalid("flag", f"unknown flag bits in {flag}", Reason.BAD_PARAMETER)
        body = json_body(call.body, self.settings.max_body_bytes, empty=[])
        if not isinstance(body, list):
            raise invalid("body", "must be a JSON array", Reason.MALFORMED)
        if len(body) > MAX_BATCH:
            raise invalid("body", f"at most {MAX_BATCH} items per call")
        return coll, flag, body

    def set_entities(self, unit: Unit, call: Call) -> Reply:
        """Items in order, each as if alone (``Unit.batch``): an item with an existing
        ``ID`` updates it, any other creates one."""
        coll, flag, items = self._batch(call)
        ignoring = bool(flag & (FLAG_IGNORE_ON_ERROR | FLAG_IGNORE_AND_RETURN_ERRORS))
        insert_missing = bool(flag & FLAG_INSERT_ON_UPDATE)
        env = self._env(unit)
        wire: dict[int, Any] = {}

        def plan(index: int, item: Any) -> Save:
            with self._speaking(coll):
                before, draft = self._plan(unit, coll, item, env, insert_missing=insert_missing)
            if before is not None:
                wire[index] = before["id"] if coll.int_ids else before["uid"]
                return Save(coll.entity, draft, before["id"])
            wire[index] = draft.get("uid")
            return Save(coll.entity, draft)

        outcomes = unit.batch(items, plan, skip_failures=ignoring, speak=coll.speak)
        results: list[Any] = []
        for index, outcome in enumerate(outcomes):
            if outcome.error is not None:
                results.append(errors.body(outcome.error)
                               if flag & FLAG_IGNORE_AND_RETURN_ERRORS else None)
            else:
                results.append(outcome.id if coll.int_ids else wire[index])
        return Reply(results)

    def delete_entities(self, unit: Unit, call: Call) -> Reply:
        coll, flag, items = self._batch(call)
        # Asking for the ids that could not be deleted implies going on past them.
        ignoring = bool(flag & (FLAG_IGNORE_ON_ERROR | FLAG_IGNORE_AND_RETURN_ERRORS
                                | FLAG_GET_NO_DELETED_ID))

        def plan(index: int, wire_id: Any) -> Remove:
            found = self._find(unit, coll, wire_id)
            if found is None:
                raise NotFound(f"{coll.entity_name} {str(wire_id)[:120]} not found")
            return Remove(coll.entity, found["id"])

        outcomes = unit.batch(items, plan, skip_failures=ignoring)
        if flag & FLAG_GET_NO_DELETED_ID:
            return Reply([w for w, o in zip(items, outcomes, strict=True) if o.error is not None])
        if flag & FLAG_IGNORE_AND_RETURN_ERRORS:
            return Reply([w if o.error is None else errors.body(o.error)
                          for w, o in zip(items, outcomes, strict=True)])
        return Reply([w for w, o in zip(items, outcomes, strict=True) if o.error is None])

    # ---- information ----------------------------------------------------------------------

    def collections(self, unit: Unit, call: Call) -> Reply:
        return Reply([c.name for c in COLLECTIONS] + [DATA])

    def entity_public(self, unit: Unit, call: Call) -> Reply:
        return Reply({**{c.name: c.entity_name for c in COLLECTIONS}, DATA: DATA})

    def error_codes(self, unit: Unit, call: Call) -> Reply:
        return Reply({str(c.code): c.text for c in errors.CODES})

    def server_time(self, unit: Unit, call: Call) -> Reply:
        return Reply(unit.now().strftime("%Y-%m-%d %H:%M:%S"))

    def team_pipeline_url(self, unit: Unit, call: Call) -> Reply:
        return Reply(call.base_url)

    def team_pipeline_version(self, unit: Unit, call: Call) -> Reply:
        return Reply(SCHEMA_VERSION)

    def get_fields(self, unit: Unit, call: Call) -> Reply:
        name = call.path["collection"]
        if name.lower() == DATA.lower():
            rows = [_data_descriptor(key) for key in DATA_KEYS]
        else:
            coll = self._collection(name)
            rows = [descriptor(coll, c) for c in coll.cols(unit.schema)]
        phrases = parse_filter(call.params.get("filter", ""))
        return Reply([r for r in rows if matches(r, phrases)])

    # ---- Data: the options of dropdown custom fields --------------------------------------

    @staticmethod
    def _data_rows(unit: Unit) -> list[dict[str, Any]]:
        rows = []
        for coll in COLLECTIONS:
            if coll.scope is not None or not coll.owns_custom:
                continue
            for col in coll.cols(unit.schema):
                spec = col.codec.spec
                if spec is None or spec.custom_id is None or spec.field_type not in ("enum", "set"):
                    continue
                for option in spec.options:
                    rows.append({"ID": data_id(spec.custom_id, option.id), "VALUE": option.label,
                                 "ID_FIELD": field_id(coll, col), "IS_DELETED": 0})
        return rows

    def _data_list(self, unit: Unit, call: Call) -> Reply:
        q = call.params
        limit = _integer(q, "limit", DEFAULT_LIMIT, -1)
        offset = _integer(q, "offset", 0, 0)
        phrases = parse_filter(q.get("filter", ""))
        rows = [r for r in self._data_rows(unit) if matches(r, phrases)]
        for key, descending in reversed(parse_names("sort", q.get("sort", ""))):
            if key not in ("ID", "VALUE", "ID_FIELD"):
                raise invalid("sort", f"cannot sort Data by {key[:80]}", Reason.BAD_SORT)
            rows.sort(key=functools.partial(_sort_text, key), reverse=descending)
        page = rows[offset:] if limit == -1 else rows[offset:offset + limit]
        loadonly = [n for n, _ in parse_names("loadonly", q.get("loadonly", ""))]
        if loadonly:
            unknown = [k for k in loadonly if k not in DATA_KEYS]
            if unknown:
                raise invalid("loadonly", f"Data has no field {unknown[0][:80]}",
                              Reason.BAD_PARAMETER)
            page = [{k: r[k] for k in loadonly} for r in page]
        return Reply(page, headers={"Content-Range": content_range(offset, len(page), len(rows))})

    def _data_row(self, unit: Unit, wire_id: Any) -> dict[str, Any]:
        if isinstance(wire_id, str):
            for row in self._data_rows(unit):
                if row["ID"].upper() == wire_id.upper():
                    return row
        raise NotFound(f"Data {str(wire_id)[:120]} not found")

    @staticmethod
    def _data_field(unit: Unit, field_ref: Any) -> tuple[str, str]:
        """(entity, key) of the dropdown custom field a Data row belongs to."""
        for cf in unit.schema.custom_fields:
            if cf.field_type in ("enum", "set") and isinstance(field_ref, str) and (
                    field_ref == cf.key or field_ref.upper() == custom_field_id(cf.id)):
                return cf.entity, cf.key
        raise invalid("ID_FIELD", "is not the ID of a dropdown custom field",
                      Reason.MISSING_RELATED)

    def _data_write(self, unit: Unit, call: Call, wire_id: str | None) -> Reply:
        body = json_body(call.body, self.settings.max_body_bytes)
        if not isinstance(body, dict):
            raise invalid("body", "the body must be a JSON object (one Data row)",
                          Reason.MALFORMED)
        unknown = set(body) - set(DATA_KEYS)
        if unknown:
            raise invalid(sorted(unknown)[0][:80], "Data has no such field", Reason.UNKNOWN_FIELD)
        chosen = wire_id if wire_id is not None else body.get("ID")
        label = body.get("VALUE")
        if chosen is None:
            entity, key = self._data_field(unit, body.get("ID_FIELD"))
            changed = unit.add_options(entity, key, [label])
            new = max(changed.options, key=lambda o: o.id)
            row = self._data_row(unit, data_id(changed.id, new.id))
            location = f"{call.base_url}{PREFIX}/{call.space}/{DATA}/{row['ID']}"
            return Reply(row, 201, {"Location": location})
        field_id_, option_id = self._data_ids(unit, chosen)
        cf = next(c for c in unit.schema.custom_fields if c.id == field_id_)
        if label is not None:
            unit.relabel_options(cf.entity, cf.key, {option_id: label})
        return Reply(self._data_row(unit, chosen))

    def _data_ids(self, unit: Unit, wire_id: Any) -> tuple[int, int]:
        self._data_row(unit, wire_id)  # NotFound unless it is a live option
        parsed = parse_data_id(wire_id)
        assert parsed is not None
        return parsed

    def _data_delete(self, unit: Unit, wire_id: str) -> Reply:
        row = self._data_row(unit, wire_id)
        field_id_, option_id = self._data_ids(unit, wire_id)
        cf = next(c for c in unit.schema.custom_fields if c.id == field_id_)
        unit.remove_options(cf.entity, cf.key, [option_id])
        return Reply({**row, "IS_DELETED": 1})

    # ---- the route table --------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        r = self.route
        return [Route(PREFIX + "/{space}", r(self.collections), methods=["GET"]),
                Mount(PREFIX + "/{space}", app=IndexedRouter(routes=[
            Route("/entityPublic", r(self.entity_public), methods=["GET"]),
            Route("/errorCodes", r(self.error_codes), methods=["GET"]),
            Route("/serverAPIUtcDateTime", r(self.server_time), methods=["GET"]),
            Route("/teamPipelineUrl", r(self.team_pipeline_url), methods=["GET"]),
            Route("/teamPipelineVersion", r(self.team_pipeline_version), methods=["GET"]),
            Route("/getFields/{collection}", r(self.get_fields), methods=["GET"]),
            Route("/setEntities", r(self.set_entities, with_body=True, writes=True),
                  methods=["POST"]),
            Route("/deleteEntities", r(self.delete_entities, with_body=True, writes=True),
                  methods=["POST"]),
            Route("/search/{collection}", r(self.search, with_body=True, long=True),
                  methods=["POST"]),
            Route("/{collection}", r(self.list_items), methods=["GET"]),
            Route("/{collection}", r(self.create, with_body=True, writes=True), methods=["POST"]),
            Route("/{collection}/{id}", r(self.get), methods=["GET"]),
            Route("/{collection}/{id}", r(self.update, with_body=True, writes=True),
                  methods=["PUT", "PATCH"]),
            Route("/{collection}/{id}", r(self.delete, writes=True), methods=["DELETE"]),
        ]))]


def _whole(body: Mapping[str, Any], name: str, default: int, low: int) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= 2**31:
        raise invalid(name, f"{name} must be a whole number of at least {low}",
                      Reason.BAD_PARAMETER)
    return value


def _text_of(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name) or ""
    if not isinstance(value, str):
        raise invalid(name, f"{name} must be a string such as A|-B", Reason.BAD_PARAMETER)
    return value


def content_range(start: int, count: int, total: int) -> str:
    """``items START-END/TOTAL``, 0-based and inclusive; ``items 0--1/0`` when empty."""
    return f"items {start}-{start + count - 1}/{total}"


DATA_KEYS = ("ID", "VALUE", "ID_FIELD", "IS_DELETED")


def _data_descriptor(key: str) -> dict[str, Any]:
    type_, pl = {"ID": ("string", "id"), "VALUE": ("unicode", "input"),
                 "ID_FIELD": ("string", "relation"), "IS_DELETED": ("long", "checkbox")}[key]
    return {"API_NAME": key, "CALC_FORMULA": None, "CHOICES": None, "CUSTOM": False,
            "DEFAULT": None, "DESCRIPTION": key.replace("_", " ").capitalize(),
            "ID": data_id(0, DATA_KEYS.index(key)),
            "MAX_VALUE": None, "MIN_VALUE": None, "NAME": key.replace("_", " ").capitalize(),
            "PL_TYPE": pl, "READONLY": key in ("ID", "IS_DELETED"), "REQUIRED": key != "ID"
            and key != "IS_DELETED", "TYPE": type_}


def _sort_text(key: str, row: Mapping[str, Any]) -> str:
    return str(row[key]).lower()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def matches(row: Mapping[str, Any], phrases: Sequence[Phrase]) -> bool:
    """Evaluate filter phrases on an in-memory row (getFields, Data): text, case-insensitive."""
    for phrase in phrases:
        if phrase.field not in row:
            raise invalid("filter", f"no field {phrase.field[:80]}", Reason.BAD_FILTER)
        have = _text(row[phrase.field]).lower()
        raw = phrase.value
        if phrase.op == "in":
            wanted = {_text(v).lower().replace("true", "1").replace("false", "0")
                      for v in (raw if isinstance(raw, tuple) else (raw,))}
            if have not in wanted:
                return False
            continue
        assert isinstance(raw, str)
        want = raw.lower()
        if isinstance(row[phrase.field], bool):
            want = {"true": "1", "false": "0"}.get(want, want)
        ok = {
            "eq": have == want, "ne": have != want, "gt": have > want, "lt": have < want,
            "ge": have >= want, "le": have <= want, "ll": have.startswith(want),
            "rl": have.endswith(want), "fl": want in have,
        }[phrase.op]
        if not ok:
            return False
    return True


def pipeliner_routes(settings: Settings, service: Service) -> list[BaseRoute]:
    return Pipeliner(settings, service).routes()


__all__ = ["PREFIX", "Pipeliner", "content_range", "error_response", "matches",
           "pipeliner_routes"]
