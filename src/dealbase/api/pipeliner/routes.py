"""The Pipeliner REST v1 dialect at ``/rest_services/v1/{space_id}/…``.

Each request: parse HTTP Basic credentials and the body (async), then do everything
else in one worker-thread call: authenticate, check the space, open one transaction,
translate ids, call the records service, render. Errors leave as
``{"errorcode", "message"}`` with the status from ``errors.CODES``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from ...domain.errors import Conflict, DealbaseError, NotFound, Unauthenticated, ValidationError
from ...domain.types import parse_datetime
from ...query.ast import Cond, Keyset, Offset, Query, all_of
from ...service import Context, new_uid, utcnow
from ...store.database import Tx
from ..body import json_body, query_params, read_capped
from ..pipedrive.routes import Api
from ..router import IndexedRouter
from . import errors
from .codecs import UID, Env, data_id, invalid, parse_data_id
from .collections import (
    COLLECTIONS,
    DATA,
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
MAX_BATCH = 5000
MAX_RUN = 250  # new items inserted together
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
    """What the worker thread needs from the request."""

    space: str
    params: Mapping[str, str]
    body: bytes
    base_url: str
    path: Mapping[str, str]
    tx: Tx | None = None  # the write unit's transaction (group commit), if it runs in one


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
    text = raw.strip()
    if not text.lstrip("-").isdigit() or len(text) > 12 or int(text) < low:
        raise invalid(name, f"must be an integer of at least {low}")
    return int(text)


class Pipeliner:
    """Handlers of the dialect; one instance per app."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.records = api.records
        self.db = api.records.db

    # ---- plumbing -------------------------------------------------------------------------

    def route(self, work: Callable[[Context, Call], Reply], *, with_body: bool = False,
              writes: bool = False) -> Callable[[Request], Any]:
        """An endpoint running ``work``; ``writes``: as one write unit (``Api.write``), but
        for Data rows, which the custom-fields service writes in its own transaction."""
        async def endpoint(request: Request) -> Response:
            try:
                token, password = _credentials(request)
                raw = (await read_capped(request, self.api.settings.max_body_bytes)
                       if with_body else b"")
                call = Call(request.path_params["space"], query_params(request),
                            raw, str(request.base_url).rstrip("/"), request.path_params)
                if writes and request.path_params.get("collection", "").lower() != DATA.lower():
                    reply = await self.api.write(
                        lambda tx: self._run(work, token, password, replace(call, tx=tx)), raw)
                else:
                    reply = await self.api.call(self._run, work, token, password, call)
            except DealbaseError as exc:
                return error_response(exc)
            except Exception:  # one log line, one opaque 500
                log.exception("unhandled error on %s %s", request.method, request.url.path)
                return error_response(Exception())
            return _json(reply)
        return endpoint

    def _run(self, work: Callable[[Context, Call], Reply], token: str, password: str,
             call: Call) -> Reply:
        ctx = self.api.accounts.authenticate(token, "pipeliner", password, tx=call.tx)
        if ctx.space_id != call.space:
            raise Unauthenticated("These credentials belong to another space")
        return work(ctx, call)

    def _writing(self, call: Call) -> contextlib.AbstractContextManager[Tx]:
        """The write transaction: the write unit's own, or a new one."""
        return contextlib.nullcontext(call.tx) if call.tx is not None else self.db.tx(write=True)

    def _env(self, conn: Tx, ctx: Context) -> Env:
        return Env(lambda entity, uids: self.records._ids(conn, ctx, entity, uids),
                   lambda entity, ids: self.records._uids(conn, ctx, entity, ids))

    @staticmethod
    def _writable(ctx: Context, coll: Collection) -> None:
        if coll.admin_writes and not ctx.is_admin:
            raise errors.PipelinerError(302, f"Only admins can change {coll.name}")

    @staticmethod
    def _collection(name: str) -> Collection:
        found = collection(name)
        if found is None:
            raise errors.PipelinerError(421, f"Unknown collection or entity '{name[:80]}'")
        return found

    def _find(self, conn: Tx, ctx: Context, coll: Collection, wire_id: Any, *,
              live_only: bool = True) -> dict[str, Any] | None:
        """The record behind a wire id within the collection's scope, or None."""
        if coll.int_ids:
            text = str(wire_id).strip()
            if not text.isdigit() or len(text) > 18:
                return None
            key: Cond = Cond("id", "eq", int(text))
        else:
            if not isinstance(wire_id, str) or UID.fullmatch(wire_id) is None:
                return None
            key = Cond("uid", "eq", wire_id.upper())
        where = all_of(coll.scope, key, Cond("is_deleted", "eq", False) if live_only else None)
        page = self.records._list(conn, ctx, coll.entity, Query(where=where, page=Keyset(None, 1)))
        return page.items[0] if page.items else None

    def _render_one(self, conn: Tx, ctx: Context, coll: Collection, env: Env,
                    record_id: int) -> dict[str, Any]:
        record = self.records._fetch(conn, ctx, coll.entity, [record_id])[record_id]
        return coll.render([record], env, coll.cols(ctx.schema), ctx.schema)[0]

    # ---- collections ----------------------------------------------------------------------

    def list_items(self, ctx: Context, call: Call) -> Reply:
        name = call.path["collection"]
        if name.lower() == DATA.lower():
            return self._data_list(ctx, call)
        coll = self._collection(name)
        q = call.params
        limit = _integer(q, "limit", DEFAULT_LIMIT, -1)
        cap = self.api.settings.max_page_size
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
                raise invalid("after", "must be a date-time (YYYY-MM-DD HH:MM:SS)") from None
        with self.db.tx() as conn:
            env = self._env(conn, ctx)
            cols = coll.select(ctx.schema, loadonly)
            query = Query(where=coll.where(ctx.schema, phrases, env, after),
                          sort=coll.sort(ctx.schema, names), page=Offset(offset, limit),
                          fields=coll.projection(cols))
            try:
                page = self.records._list(conn, ctx, coll.entity, query, with_total=True)
            except ValidationError as error:  # the engine refused a condition
                raise invalid("filter", coll.speak(error).message) from None
            items = coll.render(page.items, env, cols, ctx.schema)
        return Reply(items, headers={"Content-Range": content_range(offset, len(items),
                                                                    page.total or 0)})

    def get(self, ctx: Context, call: Call) -> Reply:
        name, wire_id = call.path["collection"], call.path["id"]
        if name.lower() == DATA.lower():
            return Reply(self._data_row(ctx, wire_id))
        coll = self._collection(name)
        with self.db.tx() as conn:
            found = self._find(conn, ctx, coll, wire_id, live_only=False)
            if found is None:
                raise NotFound(f"{coll.entity_name} {wire_id[:120]} not found")
            return Reply(coll.render([found], self._env(conn, ctx), coll.cols(ctx.schema),
                                     ctx.schema)[0])

    def create(self, ctx: Context, call: Call) -> Reply:
        name = call.path["collection"]
        if name.lower() == DATA.lower():
            return self._data_write(ctx, call, None)
        coll = self._collection(name)
        body = json_body(call.body, self.api.settings.max_body_bytes)
        with self._writing(call) as conn:
            env = self._env(conn, ctx)
            wire_id, created = self._save(conn, ctx, coll, body, env, insert_missing=True)
            record = self._find(conn, ctx, coll, wire_id)
            assert record is not None
            out = coll.render([record], env, coll.cols(ctx.schema), ctx.schema)[0]
        if not created:
            return Reply(out)
        location = f"{call.base_url}{PREFIX}/{call.space}/{coll.name}/{wire_id}"
        return Reply(out, 201, {"Location": location})

    def update(self, ctx: Context, call: Call) -> Reply:
        name, wire_id = call.path["collection"], call.path["id"]
        if name.lower() == DATA.lower():
            return self._data_write(ctx, call, wire_id)
        coll = self._collection(name)
        self._writable(ctx, coll)
        body = json_body(call.body, self.api.settings.max_body_bytes)
        if not isinstance(body, dict):
            raise invalid("body", f"the body must be a JSON object (one {coll.entity_name})")
        if "ID" in body and str(body["ID"]).upper() != wire_id.upper():
            raise invalid("ID", "differs from the ID in the path")
        with self._writing(call) as conn:
            env = self._env(conn, ctx)
            before = self._find(conn, ctx, coll, wire_id)
            if before is None:
                raise NotFound(f"{coll.entity_name} {wire_id[:120]} not found")
            try:
                draft = coll.draft(ctx.schema, {**body, "ID": wire_id}, env, before)
                self.records._update(conn, ctx, coll.entity, before["id"], draft)
            except ValidationError as error:
                raise coll.speak(error) from None
            return Reply(self._render_one(conn, ctx, coll, env, before["id"]))

    def delete(self, ctx: Context, call: Call) -> Reply:
        name, wire_id = call.path["collection"], call.path["id"]
        if name.lower() == DATA.lower():
            return self._data_delete(ctx, wire_id)
        coll = self._collection(name)
        self._writable(ctx, coll)
        with self._writing(call) as conn:
            env = self._env(conn, ctx)
            found = self._find(conn, ctx, coll, wire_id)
            if found is None:
                raise NotFound(f"{coll.entity_name} {wire_id[:120]} not found")
            self.records._delete(conn, ctx, coll.entity, [found["id"]])
            return Reply(self._render_one(conn, ctx, coll, env, found["id"]))

    def _save(self, conn: Tx, ctx: Context, coll: Collection, body: Any, env: Env, *,
              insert_missing: bool) -> tuple[Any, bool]:
        """Insert or partially update one item; its wire id and whether it was created."""
        with self._speaking(coll, body):
            before, draft, chosen = self._plan(conn, ctx, coll, body, env,
                                               insert_missing=insert_missing)
            if before is not None:
                self.records._update(conn, ctx, coll.entity, before["id"], draft)
                return (before["id"] if coll.int_ids else before["uid"]), False
            return self._create_one(conn, ctx, coll, draft, chosen), True

    def _create_one(self, conn: Tx, ctx: Context, coll: Collection, draft: dict[str, Any],
                    chosen: bool) -> Any:
        """Insert one planned new item (``_plan``); its wire id."""
        if chosen:
            self._unclaimed(conn, ctx, [draft["uid"]])
        record_id = self.records._create(conn, ctx, coll.entity, draft)
        return record_id if coll.int_ids else draft["uid"]

    @contextlib.contextmanager
    def _speaking(self, coll: Collection, body: Any) -> Iterator[None]:
        """Errors of the core in this collection's words and codes."""
        try:
            yield
        except ValidationError as error:
            raise coll.speak(error) from None
        except Conflict:
            wire_id = body.get("ID") if isinstance(body, dict) else None
            raise errors.PipelinerError(430, f"A {coll.entity_name} with ID {wire_id!s:.120} "
                                             "already exists (it may be deleted)") from None

    def _plan(self, conn: Tx, ctx: Context, coll: Collection, body: Any, env: Env, *,
              insert_missing: bool) -> tuple[dict[str, Any] | None, dict[str, Any], bool]:
        """(the record an item updates, or None for a new one; its canonical values; whether
        the client chose a new item's id)."""
        self._writable(ctx, coll)
        if not isinstance(body, dict):
            raise invalid("body", f"the body must be a JSON object (one {coll.entity_name})")
        wire_id = body.get("ID")
        before = None if wire_id in (None, "") else self._find(conn, ctx, coll, wire_id)
        if before is not None:
            return before, coll.draft(ctx.schema, body, env, before), False
        if wire_id not in (None, ""):
            if coll.int_ids:
                raise NotFound(f"{coll.entity_name} {str(wire_id)[:120]} not found")
            if not insert_missing:
                raise NotFound(f"{coll.entity_name} {str(wire_id)[:120]} not found")
        draft = coll.draft(ctx.schema, body, env, None)
        chosen = not coll.int_ids and "uid" in draft
        if not coll.int_ids and not chosen:
            draft["uid"] = new_uid()
        return None, draft, chosen

    def _unclaimed(self, conn: Tx, ctx: Context, uids: Sequence[str]) -> None:
        """Client-chosen ids must each name one record of the space, whatever its collection."""
        for entity in sorted({c.entity for c in COLLECTIONS if not c.int_ids}):
            taken = self.records._ids(conn, ctx, entity, uids, live_only=False)
            if taken:
                raise errors.PipelinerError(430, f"ID {next(iter(taken))} is already taken in "
                                                 "this space")

    # ---- batches --------------------------------------------------------------------------

    def _batch(self, call: Call) -> tuple[Collection, int, list[Any]]:
        name = call.params.get("entityName", "")
        if name.lower() == DATA.lower():
            raise errors.PipelinerError(421, "Data rows are written one at a time")
        coll = self._collection(name)
        flag = _integer(call.params, "flag", 0, 0)
        if flag & ~KNOWN_FLAGS:
            raise invalid("flag", f"unknown flag bits in {flag}")
        body = json_body(call.body, self.api.settings.max_body_bytes, empty=[])
        if not isinstance(body, list):
            raise invalid("body", "must be a JSON array")
        if len(body) > MAX_BATCH:
            raise invalid("body", f"at most {MAX_BATCH} items per call")
        return coll, flag, body

    def set_entities(self, ctx: Context, call: Call) -> Reply:
        """Items in order; runs of new items are inserted together (``Records.create_many``),
        and if such a run fails, item by item, so that every outcome lands on its item."""
        coll, flag, items = self._batch(call)
        ignoring = bool(flag & (FLAG_IGNORE_ON_ERROR | FLAG_IGNORE_AND_RETURN_ERRORS))
        insert_missing = bool(flag & FLAG_INSERT_ON_UPDATE)
        results: list[Any] = [None] * len(items)

        def failed(index: int, exc: DealbaseError) -> None:
            if not ignoring:
                exc.message = f"item {index}: {exc.message}"
                raise exc
            results[index] = errors.body(exc) if flag & FLAG_IGNORE_AND_RETURN_ERRORS else None

        with self._writing(call) as conn:
            env = self._env(conn, ctx)
            run: list[tuple[int, dict[str, Any], bool]] = []
            for index, item in enumerate(items):
                try:
                    with self._speaking(coll, item):
                        before, draft, chosen = self._plan(conn, ctx, coll, item, env,
                                                           insert_missing=insert_missing)
                except DealbaseError as exc:
                    failed(index, exc)
                    continue
                if before is None:
                    run.append((index, draft, chosen))
                    if len(run) >= MAX_RUN:  # bounded: the memory a batch holds at once
                        self._insert_run(conn, ctx, coll, items, run, results, failed)
                        run = []
                    continue
                self._insert_run(conn, ctx, coll, items, run, results, failed)
                run = []
                try:
                    with conn.savepoint(), self._speaking(coll, item):
                        self.records._update(conn, ctx, coll.entity, before["id"], draft)
                    results[index] = before["id"] if coll.int_ids else before["uid"]
                except DealbaseError as exc:
                    failed(index, exc)
            self._insert_run(conn, ctx, coll, items, run, results, failed)
        return Reply(results)

    def _insert_run(self, conn: Tx, ctx: Context, coll: Collection, items: list[Any],
                    run: list[tuple[int, dict[str, Any], bool]], results: list[Any],
                    failed: Callable[[int, DealbaseError], None]) -> None:
        if not run:
            return
        try:
            with conn.savepoint():
                chosen = [d["uid"] for _, d, mine in run if mine]
                if chosen:
                    self._unclaimed(conn, ctx, chosen)
                ids = self.records.create_many(conn, ctx, coll.entity, [d for _, d, _ in run])
        except DealbaseError:
            for index, draft, mine in run:  # again one by one: which items fail, and why
                try:
                    with conn.savepoint(), self._speaking(coll, items[index]):
                        results[index] = self._create_one(conn, ctx, coll, draft, mine)
                except DealbaseError as exc:
                    failed(index, exc)
            return
        for (index, draft, _), record_id in zip(run, ids, strict=True):
            results[index] = record_id if coll.int_ids else draft["uid"]

    def delete_entities(self, ctx: Context, call: Call) -> Reply:
        coll, flag, items = self._batch(call)
        self._writable(ctx, coll)
        # Asking for the ids that could not be deleted implies going on past them.
        ignoring = bool(flag & (FLAG_IGNORE_ON_ERROR | FLAG_IGNORE_AND_RETURN_ERRORS
                                | FLAG_GET_NO_DELETED_ID))
        deleted: list[Any] = []
        failed: list[Any] = []
        per_item: list[Any] = []
        with self._writing(call) as conn:
            for index, wire_id in enumerate(items):
                try:
                    found = self._find(conn, ctx, coll, wire_id)
                    if found is None:
                        raise NotFound(f"{coll.entity_name} {str(wire_id)[:120]} not found")
                    self.records._delete(conn, ctx, coll.entity, [found["id"]])
                    deleted.append(wire_id)
                    per_item.append(wire_id)
                except DealbaseError as exc:
                    if not ignoring:
                        exc.message = f"item {index}: {exc.message}"
                        raise
                    failed.append(wire_id)
                    per_item.append(errors.body(exc))
        if flag & FLAG_GET_NO_DELETED_ID:
            return Reply(failed)
        if flag & FLAG_IGNORE_AND_RETURN_ERRORS:
            return Reply(per_item)
        return Reply(deleted)

    # ---- information ----------------------------------------------------------------------

    def collections(self, ctx: Context, call: Call) -> Reply:
        return Reply([c.name for c in COLLECTIONS] + [DATA])

    def entity_public(self, ctx: Context, call: Call) -> Reply:
        return Reply({**{c.name: c.entity_name for c in COLLECTIONS}, DATA: DATA})

    def error_codes(self, ctx: Context, call: Call) -> Reply:
        return Reply({str(c.code): c.text for c in errors.CODES})

    def server_time(self, ctx: Context, call: Call) -> Reply:
        return Reply(utcnow().strftime("%Y-%m-%d %H:%M:%S"))

    def team_pipeline_url(self, ctx: Context, call: Call) -> Reply:
        return Reply(call.base_url)

    def team_pipeline_version(self, ctx: Context, call: Call) -> Reply:
        return Reply(SCHEMA_VERSION)

    def get_fields(self, ctx: Context, call: Call) -> Reply:
        name = call.path["collection"]
        if name.lower() == DATA.lower():
            rows = [_data_descriptor(key) for key in DATA_KEYS]
        else:
            coll = self._collection(name)
            rows = [descriptor(coll, c) for c in coll.cols(ctx.schema)]
        phrases = parse_filter(call.params.get("filter", ""))
        return Reply([r for r in rows if matches(r, phrases)])

    # ---- Data: the options of dropdown custom fields --------------------------------------

    def _data_rows(self, ctx: Context) -> list[dict[str, Any]]:
        rows = []
        for coll in COLLECTIONS:
            if coll.scope is not None or not coll.has_custom:
                continue
            for col in coll.cols(ctx.schema):
                spec = col.codec.spec
                if spec is None or spec.custom_id is None or spec.field_type not in ("enum", "set"):
                    continue
                for option in spec.options:
                    rows.append({"ID": data_id(spec.custom_id, option.id), "VALUE": option.label,
                                 "ID_FIELD": field_id(coll, col), "IS_DELETED": 0})
        return rows

    def _data_list(self, ctx: Context, call: Call) -> Reply:
        q = call.params
        limit = _integer(q, "limit", DEFAULT_LIMIT, -1)
        offset = _integer(q, "offset", 0, 0)
        phrases = parse_filter(q.get("filter", ""))
        rows = [r for r in self._data_rows(ctx) if matches(r, phrases)]
        for key, descending in reversed(parse_names("sort", q.get("sort", ""))):
            if key not in ("ID", "VALUE", "ID_FIELD"):
                raise invalid("sort", f"cannot sort Data by {key[:80]}")
            rows.sort(key=functools.partial(_sort_text, key), reverse=descending)
        page = rows[offset:] if limit == -1 else rows[offset:offset + limit]
        loadonly = [n for n, _ in parse_names("loadonly", q.get("loadonly", ""))]
        if loadonly:
            unknown = [k for k in loadonly if k not in DATA_KEYS]
            if unknown:
                raise invalid("loadonly", f"Data has no field {unknown[0][:80]}")
            page = [{k: r[k] for k in loadonly} for r in page]
        return Reply(page, headers={"Content-Range": content_range(offset, len(page), len(rows))})

    def _data_row(self, ctx: Context, wire_id: str) -> dict[str, Any]:
        for row in self._data_rows(ctx):
            if row["ID"].upper() == wire_id.upper():
                return row
        raise NotFound(f"Data {wire_id[:120]} not found")

    def _data_field(self, ctx: Context, field_ref: Any) -> tuple[str, str]:
        """(entity, key) of the dropdown custom field a Data row belongs to."""
        for cf in ctx.schema.custom_fields:
            if cf.field_type in ("enum", "set") and (
                    field_ref == cf.key or (isinstance(field_ref, str)
                                            and field_ref.upper() == custom_field_id(cf.id))):
                return cf.entity, cf.key
        raise invalid("ID_FIELD", "is not the ID of a dropdown custom field")

    def _data_write(self, ctx: Context, call: Call, wire_id: str | None) -> Reply:
        body = json_body(call.body, self.api.settings.max_body_bytes)
        if not isinstance(body, dict):
            raise invalid("body", "the body must be a JSON object (one Data row)")
        unknown = set(body) - set(DATA_KEYS)
        if unknown:
            raise invalid(sorted(unknown)[0][:80], "Data has no such field")
        wire_id = wire_id or body.get("ID")
        label = body.get("VALUE")
        if wire_id is None:
            entity, key = self._data_field(ctx, body.get("ID_FIELD"))
            changed = self.api.fields.add_options(ctx, entity, key, [label])
            new = max(changed.options, key=lambda o: o.id)
            ctx = self.api.accounts.refresh(ctx)
            row = self._data_row(ctx, data_id(changed.id, new.id))
            location = f"{call.base_url}{PREFIX}/{call.space}/{DATA}/{row['ID']}"
            return Reply(row, 201, {"Location": location})
        field_id_, option_id = self._data_ids(ctx, wire_id)
        cf = next(c for c in ctx.schema.custom_fields if c.id == field_id_)
        if label is not None:
            self.api.fields.relabel_options(ctx, cf.entity, cf.key, {option_id: label})
        return Reply(self._data_row(self.api.accounts.refresh(ctx), wire_id))

    def _data_ids(self, ctx: Context, wire_id: str) -> tuple[int, int]:
        self._data_row(ctx, wire_id)  # NotFound unless it is a live option
        parsed = parse_data_id(wire_id)
        assert parsed is not None
        return parsed

    def _data_delete(self, ctx: Context, wire_id: str) -> Reply:
        row = self._data_row(ctx, wire_id)
        field_id_, option_id = self._data_ids(ctx, wire_id)
        cf = next(c for c in ctx.schema.custom_fields if c.id == field_id_)
        self.api.fields.remove_options(ctx, cf.entity, cf.key, [option_id])
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
            Route("/{collection}", r(self.list_items), methods=["GET"]),
            Route("/{collection}", r(self.create, with_body=True, writes=True), methods=["POST"]),
            Route("/{collection}/{id}", r(self.get), methods=["GET"]),
            Route("/{collection}/{id}", r(self.update, with_body=True, writes=True),
                  methods=["PUT", "PATCH"]),
            Route("/{collection}/{id}", r(self.delete, writes=True), methods=["DELETE"]),
        ]))]


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
            raise invalid("filter", f"no field {phrase.field[:80]}")
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


def pipeliner_routes(api: Api) -> list[BaseRoute]:
    return Pipeliner(api).routes()


__all__ = ["PREFIX", "Pipeliner", "content_range", "error_response", "matches",
           "pipeliner_routes"]
