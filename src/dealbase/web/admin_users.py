"""The users section: list, invite, (de)activate, change role, set a password.

A new user is a ``user`` record made through the unit (admins only: the service
refuses others), then an invitation (``service.sessions.invite``, which asks again that
the caller is an admin) whose link is shown once. A role is given as the Pipedrive
adapter's ``POST /roles/{id}/assignments`` gives it (``Roles.assign``). A password is
set with ``service.set_password`` once the service said the caller administers the
company and the user is theirs.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from ..domain.errors import ValidationError, invalid
from ..query.ast import Cond, Offset, Query, Sort
from ..service import Context, Roles, Unit, live
from .admin_base import Section, Shown, path_id, record_ref, text
from .base import Visitor, int_param

PAGE = 200  # users one page lists
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class Users(Section):
    name = "users"
    template = "admin_users.html"
    what = "manage users"

    def view(self, unit: Unit, request: Request) -> dict[str, Any]:
        start = max(0, int_param(request.query_params.get("start"), 0) or 0)
        page = unit.list("user", Query(where=live(), sort=(Sort("id"),),
                                       page=Offset(start, PAGE)), total=True)
        roles = Roles(unit)
        names = {r["id"]: r["name"] for r in roles.all()}
        default = roles.default()["id"]
        users = []
        for u in page.items:
            role = u["role_id"] if u["role_id"] in names else default
            users.append({**u, "role_shown": role, "role_name": names.get(role, "")})
        return {"users": users, "roles": roles.all(), "default_role": default,
                "start": start, "more": page.more, "total": page.total, "page_size": PAGE,
                "me_id": unit.ctx.user_id}

    def _link(self, request: Request, token: str) -> str:
        return f"{str(request.base_url).rstrip('/')}/invite/{token}"

    async def _invitation(self, request: Request, ctx: Context, user_id: int, email: str
                          ) -> Shown:
        service = self.web.service
        token = await anyio.to_thread.run_sync(service.sessions.invite, ctx, user_id,
                                               service.clock())
        return Shown(f"Invitation for {email}", [("Invitation link", self._link(request, token))],
                     "Send this link to them: it lets them choose a password and is valid for "
                     "7 days. It is not shown again.")

    async def invite(self, request: Request, visitor: Visitor, form: dict[str, str]
                     ) -> Shown | None:
        name = text(form, "name", "Name")
        email = text(form, "email", "Email")
        if len(email) > 255 or not EMAIL.fullmatch(email):
            raise invalid("email", "not an email address", text="Email is not an email address.")
        role_id = record_ref(form, "role_id", "Role", required=False)

        def work(unit: Unit) -> tuple[Context, int]:
            unit.administer(self.what)
            if unit.find("user", live(Cond("email", "eq", email))) is not None:
                raise invalid("email", "a user has this email",
                              text=f"A user with the email {email} exists already.")
            made = unit.create("user", {"name": name, "email": email})
            if role_id is not None:
                Roles(unit).assign(role_id, int(made["id"]))
            return unit.ctx, int(made["id"])

        ctx, user_id = await self.web.write(visitor, work)
        return await self._invitation(request, ctx, user_id, email)

    async def reinvite(self, request: Request, visitor: Visitor, form: dict[str, str]
                       ) -> Shown | None:
        user_id = path_id(request)

        def work(unit: Unit) -> tuple[Context, str]:
            unit.administer(self.what)
            user = Roles(unit).user(user_id)
            if not user["is_active"]:
                raise invalid("is_active", "the user is deactivated",
                              text="Reactivate the user before inviting them.")
            return unit.ctx, str(user["email"])

        ctx, email = await self.web.read(visitor, work)
        return await self._invitation(request, ctx, user_id, email)

    async def active(self, request: Request, visitor: Visitor, form: dict[str, str]
                     ) -> Shown | None:
        user_id = path_id(request)
        wanted = form.get("active", "")
        if wanted not in ("0", "1"):
            raise invalid("active", "must be 0 or 1", text="Choose active or not.")

        def work(unit: Unit) -> None:
            unit.administer(self.what)
            Roles(unit).user(user_id)
            unit.update("user", user_id, {"is_active": wanted == "1"})

        await self.web.write(visitor, work)
        return None

    async def role(self, request: Request, visitor: Visitor, form: dict[str, str]
                   ) -> Shown | None:
        user_id = path_id(request)
        role_id = record_ref(form, "role_id", "Role")
        assert role_id is not None

        def work(unit: Unit) -> None:
            unit.administer(self.what)
            Roles(unit).assign(role_id, user_id)

        await self.web.write(visitor, work)
        return None

    async def password(self, request: Request, visitor: Visitor, form: dict[str, str]
                       ) -> Shown | None:
        user_id = path_id(request)
        password = form.get("password", "")
        if password != form.get("password2", ""):
            raise invalid("password2", "the passwords differ", text="The two passwords differ.")

        def work(unit: Unit) -> int:
            company_id = unit.administer("set passwords")
            Roles(unit).user(user_id)  # (a user of the company: NotFound otherwise)
            return company_id

        company_id = await self.web.read(visitor, work)
        try:
            await anyio.to_thread.run_sync(functools.partial(
                self.web.service.set_password, company_id, user_id, password))
        except ValidationError as exc:
            raise invalid("password", exc.message, text=exc.message + ".") from None
        return None

    def routes(self) -> list[BaseRoute]:
        web = self.web
        return [Route("/admin/users", web.page(self.page), methods=["GET"]),
                Route("/admin/users", self.act(self.invite), methods=["POST"]),
                Route("/admin/users/{id}/invite", self.act(self.reinvite), methods=["POST"]),
                Route("/admin/users/{id}/active", self.act(self.active), methods=["POST"]),
                Route("/admin/users/{id}/role", self.act(self.role), methods=["POST"]),
                Route("/admin/users/{id}/password", self.act(self.password), methods=["POST"])]


__all__ = ["Users"]
