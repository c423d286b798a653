"""Routes of the Pipedrive dialect, generated from the views, and their generic handlers.

Every handler parses the request (params.py), hands one function of a ``Unit`` to the
records service (``Api.read``/``Api.write``: the service signs the caller in, opens the
transaction and decides where it runs) and renders (present.py/render.py). Errors
leave through ``render.error``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...domain.errors import DealbaseError, NotFound, Reason
from ...domain.types import parse_int
from ...query.ast import Cond, Cursor, Filter, Offset, Query, all_of
from ...service import MAX_BULK, Context, Credentials, Service, Unit
from ...settings import Settings
from ..body import query_params, read_capped
from . import params, render
from .mapping import VIEWS, View
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
        token = query_params(request).get("api_token") or request.headers.get("x-api-token")
        if not token:
            auth = request.headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                token = auth[7:].strip()
        return Credentials(token or "")

    async def read(self, request: Request, work: Callable[[Unit], T]) -> T:
        """``work(unit)`` for the request's caller, in one read transaction."""
        return await self.service.read(self.credentials(request), work)

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


class Handlers:
    """The generic list/get/create/update/delete handlers for one view.

    Each request is one unit of work: the caller signed in, the read or write and the
    rendering, in one transaction.
    """

    def __init__(self, api: Api, view: View) -> None:
        self.api, self.view = api, view

    def _render_opts(self, request: Request) -> dict[str, Any]:
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

    def _present(self, unit: Unit, items: list[dict[str, Any]], opts: dict[str, Any]
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
              parent: tuple[str, int] | None = None) -> Response:
        ctx = unit.ctx
        if parent is not None:
            unit.get(*parent)
        if callable(extra):
            extra = extra(ctx)
        q = query_params(request)
        view, settings = self.view, self.api.settings
        limit = params.integer(q, "limit", settings.default_page_size, 1, settings.max_page_size)
        if q.get("filter_id"):
            raise NotFound(f"Filter {q['filter_id'][:20]} not found (saved filters are not "
                           "supported yet)")
        if view.version == "v1" and params.flag(q, "owned_by_you"):
            extra = all_of(extra, Cond("owner_id", "eq", ctx.user_id))
        where = all_of(params.filters(view, q), extra)
        opts = self._render_opts(request)
        if view.version == "v1":
            sort = params.v1_sort(view, ctx.schema, q.get("sort"))
            start = params.integer(q, "start", 0, 0, 10**9) if view.paged else 0
            if not view.paged:
                limit = settings.max_page_size
            query = Query(where=where, sort=sort or view.default_sort, page=Offset(start, limit))
            page = unit.list(view.entity, query)
            data, related = self._present(unit, page.items, opts)
            additional = render.v1_pagination(start, limit, page.more) if view.paged else None
            return render.success(selected(request, data), additional_data=additional,
                                  related_objects=related)
        sort = params.v2_sort(view, q)
        page = unit.list(view.entity, Query(where=where, sort=sort,
                                            page=Cursor(q.get("cursor") or None, limit)))
        data, _ = self._present(unit, page.items, opts)
        return render.success(data, additional_data={"next_cursor": page.next_cursor})

    async def get(self, request: Request) -> Response:
        return await self.api.read(request, lambda unit: self._get(unit, request))

    def _get(self, unit: Unit, request: Request) -> Response:
        opts = self._render_opts(request)
        record = unit.get(self.view.entity, record_id(request))
        data, related = self._present(unit, [record], opts)
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
        record_key = None if target is None else record_id(request, target)
        values = params.values(self.view, unit.schema, self.api.parse_body(request, raw))
        self._refuse_deleted_flag(values)
        if record_key is None:
            record = unit.create(self.view.entity, values)
        else:
            record = unit.update(self.view.entity, record_key, values)
        data, related = self._present(unit, [record], {})
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
        ids = params.id_list(ids, MAX_BULK) if bulk else [record_id(request)]
        deleted = unit.delete(self.view.entity, ids)
        return render.success({"id": deleted if bulk else deleted[0]})


def routes_at(prefixes: tuple[str, ...], path: str, handler: Handler, methods: list[str]
            ) -> list[BaseRoute]:
    return [Route(f"{p}{path}", guarded(handler), methods=methods) for p in prefixes]


def build_routes(api: Api) -> list[BaseRoute]:
    """Every Pipedrive route: generated CRUD per view, then the few nested extras."""
    routes: list[BaseRoute] = []
    for version, views in VIEWS.items():
        prefixes = PREFIXES[version]
        for path, view in views.items():
            if view.entity == "user":
                continue  # users have their own handlers (users.py)
            h = Handlers(api, view)
            update_method = "PUT" if version == "v1" else "PATCH"
            routes += routes_at(prefixes, f"/{path}", h.list, ["GET"])
            routes += routes_at(prefixes, f"/{path}", h.create, ["POST"])
            routes += routes_at(prefixes, f"/{path}/{{id}}", h.get, ["GET"])
            routes += routes_at(prefixes, f"/{path}/{{id}}", h.update, [update_method])
            routes += routes_at(prefixes, f"/{path}/{{id}}", h.delete, ["DELETE"])
            if version == "v1" and view.entity != "pipeline":
                routes += routes_at(prefixes, f"/{path}", h.bulk_delete, ["DELETE"])
    routes += _nested(api)
    return routes


def _nested(api: Api) -> list[BaseRoute]:
    """Deal lists under a stage, pipeline, person or organization; persons under an org."""
    from .mapping import DEAL_V1, FLAT_DEAL_V1, PERSON_V1

    flat_deals = FLAT_DEAL_V1
    routes: list[BaseRoute] = []
    nested = (
        ("stages", "stage", "stage_id", flat_deals, True),
        ("pipelines", "pipeline", "pipeline_id", flat_deals, True),
        ("persons", "person", "person_id", DEAL_V1, False),
        ("organizations", "organization", "organization_id", DEAL_V1, False),
    )
    for parent_path, parent, field, view, owner_scoped in nested:
        routes += routes_at(PREFIXES["v1"], f"/{parent_path}/{{id}}/deals",
                          _child_list(api, view, parent, field, owner_scoped), ["GET"])
    routes += routes_at(PREFIXES["v1"], "/organizations/{id}/persons",
                      _child_list(api, PERSON_V1, "organization", "organization_id", False),
                      ["GET"])
    return routes


def _child_list(api: Api, view: View, parent: str, field: str, owner_scoped: bool) -> Handler:
    handlers = Handlers(api, view)

    async def handler(request: Request) -> Response:
        parent_id = record_id(request)
        q = query_params(request)
        # Spec: without user_id or everyone=1, stage/pipeline deal lists show the caller's deals.
        mine = owner_scoped and not params.flag(q, "everyone") and not q.get("user_id")

        def extra(ctx: Context) -> Filter | None:
            return all_of(Cond(field, "eq", parent_id),
                          Cond("owner_id", "eq", ctx.user_id) if mine else None)
        return await api.read(request, lambda unit: handlers.listing(unit, request, extra,
                                                                    (parent, parent_id)))
    return handler


__all__ = ["Api", "build_routes", "guarded"]
