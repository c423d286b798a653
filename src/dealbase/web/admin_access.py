"""The API tokens and webhooks sections.

Tokens: ``service.tokens``/``create_token``/``revoke_token`` (never a secret listed; a new
one shown once), each after the service said the caller administers the company
(``unit.administer``) and, for a new token, that its user is a live user of the company.

Webhooks: as the Pipedrive adapter's ``/v1/webhooks`` makes them — ``service.webhooks
.create`` (the SSRF guard with the server's ``DEALBASE_WEBHOOK_ALLOW``, the per-user limit,
the signing secret shown once), listed and deleted through the unit — for admins only
(``unit.administer``; the API lets every user manage their own).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from ..domain import webhooks as rules
from ..domain.entities.webhook import EVENT_OBJECTS
from ..domain.errors import NotFound, invalid
from ..query.ast import Cond, Keyset, Query, Sort
from ..service import TOKEN_KINDS, Context, Roles, Unit, live
from .admin_base import Section, Shown, path_id, record_ref, text
from .base import Visitor

Record = dict[str, Any]
MAX_USERS = 1_000  # users the pickers offer
MAX_HOOKS = 1_000  # webhooks the page lists
KIND_LABELS = {"pipedrive": "Pipedrive API", "pipeliner": "Pipeliner API"}


def _users(unit: Unit) -> list[Record]:
    return unit.list("user", Query(where=live(Cond("is_active", "eq", True)),
                                   sort=(Sort("name"),), page=Keyset(None, MAX_USERS))).items


def _active_user(unit: Unit, user_id: int) -> Record:
    user = Roles(unit).user(user_id)  # (NotFound for a user of another company)
    if not user["is_active"]:
        raise invalid("user_id", "the user is deactivated", text="The user is deactivated.")
    return user


class Tokens(Section):
    name = "tokens"
    template = "admin_tokens.html"
    what = "manage API tokens"

    def view(self, unit: Unit, request: Request) -> dict[str, Any]:
        users = _users(unit)
        return {"users": users, "kinds": [(k, KIND_LABELS.get(k, k)) for k in TOKEN_KINDS],
                "kind_labels": KIND_LABELS, "me_id": unit.ctx.user_id,
                "space_id": unit.ctx.space_id or ""}

    async def values(self, request: Request, visitor: Visitor) -> dict[str, Any]:
        company_id = await self.web.read(visitor, lambda unit: unit.administer(self.what))
        tokens = await anyio.to_thread.run_sync(self.web.service.tokens, company_id)

        def work(unit: Unit) -> dict[str, Any]:
            unit.administer(self.what)
            held = unit.get_many("user", {t.user_id for t in tokens if t.user_id is not None})
            return {**self.view(unit, request), "tokens": tokens,
                    "names": {i: str(u["name"] or u["email"]) for i, u in held.items()}}

        return await self.web.read(visitor, work)

    async def create(self, request: Request, visitor: Visitor, form: dict[str, str]
                     ) -> Shown | None:
        user_id = record_ref(form, "user_id", "User")
        kind = form.get("kind", "pipedrive")
        if kind not in TOKEN_KINDS:
            raise invalid("kind", "unknown kind", text="Choose which API the token is for.")
        assert user_id is not None

        def work(unit: Unit) -> tuple[int, str, str]:
            company_id = unit.administer(self.what)
            user = _active_user(unit, user_id)
            return company_id, str(user["name"] or user["email"]), unit.ctx.space_id or ""

        company_id, who, space_id = await self.web.read(visitor, work)
        made = await anyio.to_thread.run_sync(self.web.service.create_token, company_id,
                                              user_id, kind)
        items = [("Token", made.token)]
        if made.password is not None:
            items += [("Password", made.password), ("Space id", space_id)]
        return Shown(f"New {KIND_LABELS.get(kind, kind)} token {made.id} for {who}", items)

    async def revoke(self, request: Request, visitor: Visitor, form: dict[str, str]
                     ) -> Shown | None:
        token_id = path_id(request)
        company_id = await self.web.read(visitor, lambda unit: unit.administer(self.what))
        await anyio.to_thread.run_sync(self.web.service.revoke_token, company_id, token_id)
        return None

    def routes(self) -> list[BaseRoute]:
        page, act = self.web.page, self.act
        return [Route("/admin/tokens", page(self.page), methods=["GET"]),
                Route("/admin/tokens", act(self.create), methods=["POST"]),
                Route("/admin/tokens/{id}/revoke", act(self.revoke), methods=["POST"])]


class Webhooks(Section):
    name = "webhooks"
    template = "admin_webhooks.html"
    what = "manage webhooks"

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.allowed = rules.allow_list(self.web.service.settings.webhook_allow)

    def view(self, unit: Unit, request: Request) -> dict[str, Any]:
        hooks = unit.list("webhook", Query(where=live(), sort=(Sort("id"),),
                                           page=Keyset(None, MAX_HOOKS))).items
        users = _users(unit)
        ids = {h["user_id"] for h in hooks} | {h["owner_id"] for h in hooks}
        names = {i: str(u["name"] or u["email"]) for i, u in unit.get_many("user", ids).items()}
        return {"hooks": hooks, "users": users, "names": names, "me_id": unit.ctx.user_id,
                "actions": [a for a in rules.ACTIONS if a != "*"] + ["*"],
                "objects": EVENT_OBJECTS, "versions": rules.VERSIONS}

    async def values(self, request: Request, visitor: Visitor) -> dict[str, Any]:
        def work(unit: Unit) -> tuple[Context, dict[str, Any]]:
            unit.administer(self.what)
            return unit.ctx, self.view(unit, request)

        ctx, values = await self.web.read(visitor, work)
        states = await anyio.to_thread.run_sync(self.web.service.webhooks.states, ctx,
                                                [h["id"] for h in values["hooks"]])
        return {**values, "states": states}

    async def create(self, request: Request, visitor: Visitor, form: dict[str, str]
                     ) -> Shown | None:
        values: Record = {
            "name": text(form, "name", "Name"),
            "subscription_url": text(form, "subscription_url", "URL"),
            "event_action": text(form, "event_action", "Event action"),
            "event_object": text(form, "event_object", "Event object"),
            "version": text(form, "version", "Version", required=False) or "2.0",
            "http_auth_user": text(form, "http_auth_user", "HTTP auth user",
                                   required=False) or None,
            "http_auth_password": form.get("http_auth_password", "") or None,
        }
        user_id = record_ref(form, "user_id", "User", required=False)

        def work(unit: Unit) -> tuple[Record, str]:
            unit.administer(self.what)
            if user_id is not None:
                _active_user(unit, user_id)
                values["user_id"] = user_id
            try:
                return self.web.service.webhooks.create(unit, values, self.allowed)
            except rules.LimitReached as exc:
                raise invalid("user_id", exc.message,
                              text="This user has as many webhooks as allowed (40).") from None

        made, secret = await self.web.write(visitor, work)
        return Shown(f"Webhook {made['id']} created: its signing secret",
                     [("Signing secret", secret)],
                     "Deliveries are signed with it (X-Dealbase-Signature). Copy it now: it is "
                     "not shown again.")

    async def delete(self, request: Request, visitor: Visitor, form: dict[str, str]
                     ) -> Shown | None:
        hook_id = path_id(request)

        def work(unit: Unit) -> None:
            unit.administer(self.what)
            if unit.find("webhook", live(Cond("id", "eq", hook_id))) is None:
                raise NotFound("Webhook not found")
            unit.delete("webhook", [hook_id])

        await self.web.write(visitor, work)
        return None

    def routes(self) -> list[BaseRoute]:
        page, act = self.web.page, self.act
        return [Route("/admin/webhooks", page(self.page), methods=["GET"]),
                Route("/admin/webhooks", act(self.create), methods=["POST"]),
                Route("/admin/webhooks/{id}/delete", act(self.delete), methods=["POST"])]


__all__ = ["Tokens", "Webhooks"]
