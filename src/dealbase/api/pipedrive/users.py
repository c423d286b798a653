"""The v1 users endpoints: list, me, one, find, add (admin) and (de)activate (admin)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ...domain.errors import Forbidden
from ...query.ast import Cond, Offset, Or, Query, all_of
from ...service import Context
from ..body import query_params
from . import params, render
from .mapping import USER_V1
from .routes import PREFIXES, Api, _routes, record_id


class UserHandlers:
    def __init__(self, api: Api) -> None:
        self.api = api

    def _present(self, ctx: Context, users: list[dict[str, Any]], me: bool = False
                 ) -> list[dict[str, Any]]:
        rc = self.api.presenter.load(ctx, USER_V1, users, {})
        out = [self.api.presenter.one(USER_V1, ctx.schema, u, rc) for u in users]
        if me:
            company = self.api.accounts.company(ctx)
            language, _, country = users[0]["locale"].partition("_")
            out[0].update(company_id=company.id, company_name=company.name,
                          company_domain=company.space_id, company_country=country or "US",
                          company_industry="", language={"language_code": language,
                                                         "country_code": country or "US"})
        return out

    def _all(self, ctx: Context, where: Any = None) -> list[dict[str, Any]]:
        query = Query(where=all_of(Cond("is_deleted", "eq", False), where),
                      page=Offset(0, self.api.settings.max_page_size))
        return self.api.records.list(ctx, "user", query).items

    async def list(self, request: Request) -> Response:
        ctx = await self.api.context(request)
        data = await run_in_threadpool(lambda: self._present(ctx, self._all(ctx)))
        from .routes import selected
        return render.success(selected(request, data))

    async def me(self, request: Request) -> Response:
        ctx = await self.api.context(request)

        def work() -> dict[str, Any]:
            return self._present(ctx, [self.api.records.get(ctx, "user", ctx.user_id or 0)],
                                 me=True)[0]
        return render.success(await run_in_threadpool(work))

    async def get(self, request: Request) -> Response:
        ctx = await self.api.context(request)
        user_id = record_id(request)
        data = await run_in_threadpool(
            lambda: self._present(ctx, [self.api.records.get(ctx, "user", user_id)])[0])
        return render.success(data)

    async def find(self, request: Request) -> Response:
        ctx = await self.api.context(request)
        term = (query_params(request).get("term") or "").strip()
        if not term or len(term) > 255:
            raise params.bad("term", "Parameter 'term' is required (at most 255 characters)")
        by_email = params.flag(query_params(request), "search_by_email")
        where = (Cond("email", "contains", term) if by_email
                 else Or((Cond("name", "contains", term), Cond("email", "contains", term))))
        data = await run_in_threadpool(lambda: self._present(ctx, self._all(ctx, where)))
        return render.success(data)

    async def add(self, request: Request) -> Response:
        ctx = await self.api.context(request)
        if not ctx.is_admin:
            raise Forbidden("Only admins can add users")
        body = await self.api.body(request)
        if not isinstance(body, dict):
            raise params.bad("body", "The request body must be a JSON object")
        unknown = set(body) - {"email", "access", "active_flag", "name"}
        if unknown:
            raise params.bad("body", f"Unknown field(s): {', '.join(sorted(unknown))}")
        email = body.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise params.bad("email", "email is required and must be an email address")
        access = body.get("access") or [{"app": "sales"}]
        if not isinstance(access, list) or not all(isinstance(a, dict) for a in access):
            raise params.bad("access", "access must be a list of objects")
        admin = any(a.get("admin") is True for a in access)
        values = {"email": email, "name": body.get("name") or email.split("@")[0],
                  "is_admin": admin, "is_active": body.get("active_flag", True)}
        user = await run_in_threadpool(self.api.records.create, ctx, "user", values)
        return render.success(await run_in_threadpool(lambda: self._present(ctx, [user])[0]))

    async def update(self, request: Request) -> Response:
        ctx = await self.api.context(request)
        if not ctx.is_admin:
            raise Forbidden("Only admins can change users")
        user_id = record_id(request)
        body = await self.api.body(request)
        if not isinstance(body, dict) or set(body) - {"active_flag"} or "active_flag" not in body:
            raise params.bad("active_flag", "The body must be {\"active_flag\": true|false}")
        if user_id == ctx.user_id and body["active_flag"] is not True:
            raise params.bad("active_flag", "You cannot deactivate yourself")
        user = await run_in_threadpool(self.api.records.update, ctx, "user", user_id,
                                       {"is_active": body["active_flag"]})
        return render.success(await run_in_threadpool(lambda: self._present(ctx, [user])[0]))


def user_routes(api: Api) -> list[BaseRoute]:
    h = UserHandlers(api)
    v1 = PREFIXES["v1"]
    return [
        *_routes(v1, "/users", h.list, ["GET"]),
        *_routes(v1, "/users", h.add, ["POST"]),
        *_routes(v1, "/users/me", h.me, ["GET"]),
        *_routes(v1, "/users/find", h.find, ["GET"]),
        *_routes(v1, "/users/{id}", h.get, ["GET"]),
        *_routes(v1, "/users/{id}", h.update, ["PUT"]),
    ]
