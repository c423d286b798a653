"""The v1 users endpoints: list, me, one, find, add and (de)activate.

Who may add or change users is the records service's business; here, only names.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ...domain.errors import Reason
from ...query.ast import Cond, Offset, Or, Query, all_of
from ...service import Unit
from ..body import query_params
from . import params, render
from .mapping import USER_V1
from .routes import PREFIXES, Api, record_id, routes_at, selected


class UserHandlers:
    def __init__(self, api: Api) -> None:
        self.api = api

    def _present(self, unit: Unit, users: list[dict[str, Any]], me: bool = False
                 ) -> list[dict[str, Any]]:
        presenter = self.api.presenter
        rc = presenter.load(unit, USER_V1, users, {})
        out = [presenter.one(USER_V1, unit.schema, u, rc) for u in users]
        if me:
            company = unit.company()
            language, _, country = users[0]["locale"].partition("_")
            out[0].update(company_id=company.id, company_name=company.name,
                          company_domain=company.space_id, company_country=country or "US",
                          company_industry="", language={"language_code": language,
                                                         "country_code": country or "US"})
        return out

    def _all(self, unit: Unit, where: Any = None) -> list[dict[str, Any]]:
        query = Query(where=all_of(Cond("is_deleted", "eq", False), where),
                      page=Offset(0, self.api.settings.max_page_size))
        return unit.list("user", query).items

    async def list(self, request: Request) -> Response:
        data = await self.api.read(request, lambda unit: self._present(unit, self._all(unit)))
        return render.success(selected(request, data))

    async def me(self, request: Request) -> Response:
        def work(unit: Unit) -> dict[str, Any]:
            return self._present(unit, [unit.get("user", unit.ctx.user_id or 0)], me=True)[0]
        return render.success(await self.api.read(request, work))

    async def get(self, request: Request) -> Response:
        def work(unit: Unit) -> dict[str, Any]:
            return self._present(unit, [unit.get("user", record_id(request))])[0]
        return render.success(await self.api.read(request, work))

    async def find(self, request: Request) -> Response:
        q = query_params(request)

        def work(unit: Unit) -> list[dict[str, Any]]:
            term = (q.get("term") or "").strip()
            if not term or len(term) > 255:
                raise params.bad("term", "Parameter 'term' is required (at most 255 characters)")
            by_email = params.flag(q, "search_by_email")
            where = (Cond("email", "contains", term) if by_email
                     else Or((Cond("name", "contains", term), Cond("email", "contains", term))))
            return self._present(unit, self._all(unit, where))
        return render.success(await self.api.read(request, work))

    async def add(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> dict[str, Any]:
            body = self.api.parse_body(request, raw)
            if not isinstance(body, dict):
                raise params.bad("body", "The request body must be a JSON object", Reason.MALFORMED)
            unknown = set(body) - {"email", "access", "active_flag", "name"}
            if unknown:
                raise params.bad("body", f"Unknown field(s): {', '.join(sorted(unknown))[:200]}",
                                 Reason.UNKNOWN_FIELD)
            email = body.get("email")
            if not isinstance(email, str) or "@" not in email:
                raise params.bad("email", "email is required and must be an email address",
                                 Reason.INVALID)
            access = body.get("access") or [{"app": "sales"}]
            if not isinstance(access, list) or not all(isinstance(a, dict) for a in access):
                raise params.bad("access", "access must be a list of objects", Reason.INVALID)
            admin = any(a.get("admin") is True for a in access)
            values = {"email": email, "name": body.get("name") or email.split("@")[0],
                      "is_admin": admin, "is_active": body.get("active_flag", True)}
            return self._present(unit, [unit.create("user", values)])[0]
        return render.success(await self.api.write(request, work, raw))

    async def update(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> dict[str, Any]:
            user_id = record_id(request)
            body = self.api.parse_body(request, raw)
            if not isinstance(body, dict) or set(body) - {"active_flag"} or "active_flag" not in body:
                raise params.bad("active_flag", "The body must be {\"active_flag\": true|false}",
                                 Reason.INVALID)
            user = unit.update("user", user_id, {"is_active": body["active_flag"]})
            return self._present(unit, [user])[0]
        return render.success(await self.api.write(request, work, raw))


def user_routes(api: Api) -> list[BaseRoute]:
    h = UserHandlers(api)
    v1 = PREFIXES["v1"]
    return [
        *routes_at(v1, "/users", h.list, ["GET"]),
        *routes_at(v1, "/users", h.add, ["POST"]),
        *routes_at(v1, "/users/me", h.me, ["GET"]),
        *routes_at(v1, "/users/find", h.find, ["GET"]),
        *routes_at(v1, "/users/{id}", h.get, ["GET"]),
        *routes_at(v1, "/users/{id}", h.update, ["PUT"]),
    ]
