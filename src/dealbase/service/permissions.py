"""Who may do what: one place, asked by the service for every door.

Today the rule is small: any user of a company reads and writes its records, but only
its admins change users, teams (sales units), roles, exchange rates and custom field
definitions, and nobody
deactivates themselves. Roles, pipeline visibility and ``visible_to`` plug in here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..domain.errors import Forbidden, Reason, invalid
from .records import Context

ADMIN_ENTITIES = frozenset({"user", "team", "exchange_rate", "role"})
_PLURAL = {"user": "users", "team": "sales units", "exchange_rate": "exchange rates",
           "role": "roles"}


class Permissions:
    def write(self, ctx: Context, entity: str) -> None:
        """May the caller create, change or delete records of ``entity``?"""
        if entity in ADMIN_ENTITIES and not ctx.is_admin:
            raise Forbidden(f"Only admins can change {_PLURAL[entity]}")

    def change(self, ctx: Context, entity: str, record_id: int, values: Mapping[str, Any]) -> None:
        """May the caller make this change to this record?"""
        self.write(ctx, entity)
        if entity == "user" and record_id == ctx.user_id and values.get("is_active") is False:
            raise invalid("is_active", "You cannot deactivate yourself", Reason.INVALID,
                          text="You cannot deactivate yourself")

    def remove(self, ctx: Context, entity: str, ids: Any) -> None:
        self.write(ctx, entity)
        if entity == "user" and ctx.user_id in ids:
            raise invalid("id", "You cannot delete yourself", text="You cannot delete yourself")

    def fields(self, ctx: Context) -> None:
        """May the caller change custom field definitions?"""
        if not ctx.is_admin:
            raise Forbidden("Only admins can change custom fields")


__all__ = ["ADMIN_ENTITIES", "Permissions"]
