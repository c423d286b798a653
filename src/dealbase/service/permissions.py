"""Who may do what: one place, asked by the service for every door.

Only a company's admins change users, teams (sales units), roles, exchange rates and
custom field definitions; nobody deactivates themselves; a user who is not an admin
writes and deletes records of an entity only as the access levels of the default role
allow (``visibility.Sight.may``). Which records a user sees at all is the records
engine's part (``visibility``): a hidden record is not found, for reads and writes alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..domain.errors import Forbidden, Reason, invalid
from ..domain.scopes import ADMIN, BASE, allows, allows_fields
from .records import Context
from .visibility import DELETE, WRITE

ADMIN_ENTITIES = frozenset({"user", "team", "exchange_rate", "role"})
_PLURAL = {"user": "users", "team": "sales units", "exchange_rate": "exchange rates",
           "role": "roles"}


class Permissions:
    @staticmethod
    def scoped(ctx: Context, entity: str, *, write: bool = False, via: str | None = None,
               record_id: int | None = None, fields: bool = False) -> None:
        """Refused (Forbidden, "Scope and URL mismatch" as Pipedrive says it) unless the
        caller's OAuth scopes allow reading (``write``: writing; ``fields``: changing the
        custom field definitions of) ``entity`` (``domain.scopes``; ``via``: a search or the
        recents). API tokens carry no scopes: anything. Every grant's ``base`` reads the
        signed-in user's own record."""
        if ctx.scopes is None:
            return
        if fields:
            if allows_fields(ctx.scopes, entity):
                return
        elif allows(ctx.scopes, entity, write, via) or (
                not write and entity == "user" and record_id is not None
                and record_id == ctx.user_id and BASE in ctx.scopes):
            return
        raise Forbidden("Scope and URL mismatch")

    @staticmethod
    def admin(ctx: Context, what: str) -> None:
        """Refused (Forbidden) unless the caller administers the company: an admin user,
        and through an OAuth token one with the ``admin`` scope."""
        if not ctx.is_admin or (ctx.scopes is not None and ADMIN not in ctx.scopes):
            raise Forbidden(f"Only admin users may {what}")

    def write(self, ctx: Context, entity: str) -> None:
        """May the caller create, change or delete records of ``entity``?"""
        self.scoped(ctx, entity, write=True)
        if entity in ADMIN_ENTITIES and not ctx.is_admin:
            raise Forbidden(f"Only admins can change {_PLURAL[entity]}")
        self._allowed(ctx, entity, WRITE, "change")

    @staticmethod
    def _allowed(ctx: Context, entity: str, level: int, verb: str) -> None:
        if ctx.sight is not None and not ctx.sight.may(entity, level):
            raise Forbidden(f"You do not have permission to {verb} {entity} records")

    def change(self, ctx: Context, entity: str, record_id: int, values: Mapping[str, Any]) -> None:
        """May the caller make this change to this record?"""
        self.write(ctx, entity)
        if entity == "user" and record_id == ctx.user_id and values.get("is_active") is False:
            raise invalid("is_active", "You cannot deactivate yourself", Reason.INVALID,
                          text="You cannot deactivate yourself")

    def remove(self, ctx: Context, entity: str, ids: Any) -> None:
        self.write(ctx, entity)
        self._allowed(ctx, entity, DELETE, "delete")
        if entity == "user" and ctx.user_id in ids:
            raise invalid("id", "You cannot delete yourself", text="You cannot delete yourself")

    def fields(self, ctx: Context) -> None:
        """May the caller change custom field definitions?"""
        if not ctx.is_admin:
            raise Forbidden("Only admins can change custom fields")


__all__ = ["ADMIN_ENTITIES", "Permissions"]
