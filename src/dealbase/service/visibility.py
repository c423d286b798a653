"""Who sees which records: the rules of ``visible_to``, roles and hidden pipelines, once.

A user who is not an admin sees a record of an entity that has ``visible_to`` and an
owner (deals, persons, organizations, products, leads, saved filters) when

* they own it or follow it (``watcher_ids``), whatever its ``visible_to``;
* ``visible_to`` is 7 (the entire company);
* ``visible_to`` is 3 (the owner's visibility group) and the owner has their role;
* ``visible_to`` is 5 (the owner's group and its sub-groups) and the owner's role is
  theirs or above theirs in the hierarchy (the user is in the owner's group or below it).

Webhooks are seen by their owner alone (and admins).

A role hides pipelines from its users: they see neither the pipelines nor their stages
nor the deals in them. The default role's access levels (read 1, write 2, delete 4) are
the levels of every user who is not an admin: without the read level an entity's records
are all hidden; without write or delete, those writes are refused. Admins see and do
everything. The records service asks ``Sight.where`` for every read, so lists, gets,
counts, sums, searches, reference checks and every door see the same records, and a
hidden record answers exactly as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..domain.entities import role as roles
from ..domain.registry import Schema
from ..query.ast import And, Cond, Filter, Not, Or, all_of, any_of
from ..query.operators import MAX_IN_VALUES

OWNER_ONLY, GROUP, GROUP_AND_BELOW, COMPANY = 1, 3, 5, 7
# Records a user who is not an admin sees only when they own them (webhooks: an admin
# manages the company's, every other user their own).
PRIVATE = frozenset({"webhook"})
# Records an OAuth app's token sees only when that app made them (§11: "apps see only
# their own application webhooks"); the records engine adds it per token (``app_id``).
APP_OWNED = frozenset({"webhook"})
READ, WRITE, DELETE = 1, 2, 4
# The kind a role's settings name an entity by (``deal_default_visibility``, …).
SETTING_KIND = {"deal": "deal", "lead": "lead", "organization": "org", "person": "person",
                "product": "product"}
NOTHING: Filter = Cond("id", "lt", 0)  # (ids are positive)


def _among(name: str, ids: Sequence[int]) -> Filter | None:
    """``name`` is one of ``ids`` (a list of any length, as conditions of bounded size)."""
    if not ids:
        return None
    return any_of(*(Cond(name, "in", list(ids[i:i + MAX_IN_VALUES]))
                    for i in range(0, len(ids), MAX_IN_VALUES)))


@dataclass(frozen=True)
class Sight:
    """What one user sees and may do; ``admin``: everything."""

    user_id: int
    admin: bool = False
    group: tuple[int, ...] = ()  # the users of the user's role
    above: tuple[int, ...] = ()  # the users whose role is the user's or above it
    hidden_pipelines: tuple[int, ...] = ()
    defaults: Mapping[str, int] = field(default_factory=dict)  # entity -> new visible_to
    access: Mapping[str, int] = field(default_factory=dict)  # entity -> access level
    # What is derived from the sight once (its conditions, their SQL), for as long as it
    # holds (the records engine makes a new one when roles or users change).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def may(self, entity: str, level: int) -> bool:
        """Whether the user's access level of ``entity`` includes ``level``."""
        return self.admin or bool(self.access.get(entity, READ | WRITE | DELETE) & level)

    def where(self, schema: Schema, entity: str) -> Filter | None:
        """The condition a record of ``entity`` meets when the user sees it (None: all)."""
        if self.admin:
            return None
        if not self.may(entity, READ):
            return NOTHING
        key = ("where", entity)
        if key not in self.memo:
            self.memo[key] = self._where(schema, entity)
        found: Filter | None = self.memo[key]
        return found

    def _where(self, schema: Schema, entity: str) -> Filter | None:
        spec = schema.entity(entity)
        hidden = list(self.hidden_pipelines)
        pipeline: Filter | None = None
        if hidden:
            if entity == "pipeline":
                pipeline = Not(_among("id", hidden) or NOTHING)
            elif "pipeline_id" in spec.by_name:
                pipeline = any_of(Cond("pipeline_id", "is_null", True),
                                  Not(_among("pipeline_id", hidden) or NOTHING))
        if entity in PRIVATE:
            return Cond("owner_id", "eq", self.user_id)
        if not ("visible_to" in spec.by_name and "owner_id" in spec.by_name):
            return pipeline
        me = self.user_id
        below_group = [u for u in self.above if u not in set(self.group)]
        seen = any_of(
            Cond("visible_to", "eq", COMPANY),
            Cond("owner_id", "eq", me),
            Cond("watcher_ids", "has", me) if "watcher_ids" in spec.by_name else None,
            all_of(Cond("visible_to", "in", [GROUP, GROUP_AND_BELOW]),
                   _among("owner_id", self.group)) if self.group else None,
            all_of(Cond("visible_to", "eq", GROUP_AND_BELOW),
                   _among("owner_id", below_group)) if below_group else None,
        )
        return all_of(pipeline, seen)

    def sees(self, schema: Schema, entity: str, record: Mapping[str, Any]) -> bool:
        """Whether the user sees this record of ``entity`` (``where``, for one record in
        hand)."""
        found = self.where(schema, entity)
        return found is None or _holds(found, record)

    def default_visibility(self, entity: str) -> int | None:
        """What a new record's ``visible_to`` is when the write does not say (None: the
        field's own default)."""
        return self.defaults.get(entity)


def _holds(node: Filter, record: Mapping[str, Any]) -> bool:
    """Whether a record meets a filter of the shapes ``Sight.where`` makes."""
    if isinstance(node, And):
        return all(_holds(i, record) for i in node.items)
    if isinstance(node, Or):
        return any(_holds(i, record) for i in node.items)
    if isinstance(node, Not):
        return not _holds(node.item, record)
    value = record.get(node.field)
    if node.op == "eq":
        return bool(value == node.value)
    if node.op == "in":
        return value in node.value
    if node.op == "has":
        return node.value in (value or ())
    if node.op == "is_null":
        return bool((value is None) == node.value)
    if node.op == "lt":
        return value is not None and bool(value < node.value)
    raise AssertionError(f"a sight has no {node.op} condition")


def sights_of(users: Mapping[int, bool], role_rows: Sequence[Mapping[str, Any]],
              user_rows: Sequence[Mapping[str, Any]]) -> dict[int, Sight]:
    """What each of ``users`` (id -> is admin) sees, from the company's live roles and its
    users (``id``, ``role_id``): the roles' members and hierarchy worked out once, so a
    whole company's sights cost what one does."""
    by_id = {int(r["id"]): r for r in role_rows}
    default = next((r for r in role_rows if r["is_default"]), None)
    role_of = {int(u["id"]): (u["role_id"] if u["role_id"] in by_id else
                              None if default is None else default["id"]) for u in user_rows}
    members: dict[int, list[int]] = {}
    for user, role_id in role_of.items():
        if role_id is not None:
            members.setdefault(role_id, []).append(user)
    parents = {i: r["parent_id"] for i, r in by_id.items()}
    access = {} if default is None else {
        entity: int(default[f"{kind}_access_level"]) for entity, kind in SETTING_KIND.items()
        if f"{kind}_access_level" in default}
    made: dict[int, Sight] = {}  # a role's sight, for its first user (others: replace)
    out: dict[int, Sight] = {}
    for user_id, admin in users.items():
        mine = role_of.get(user_id)
        role = by_id.get(mine) if mine is not None else default
        if role is None:  # (a company without roles: everything is the company's)
            out[user_id] = Sight(user_id, admin)
            continue
        template = made.get(role["id"])
        if template is None:
            upward = (role["id"], *roles.ancestors(parents, role["id"]))
            template = made[role["id"]] = Sight(
                user_id, False,
                group=tuple(sorted(members.get(role["id"], ()))),
                above=tuple(sorted(u for r in upward for u in members.get(r, ()))),
                hidden_pipelines=tuple(sorted(set(role["hidden_pipeline_ids"] or ()))),
                defaults={entity: int(role[f"{kind}_default_visibility"])
                          for entity, kind in SETTING_KIND.items()},
                access=access)
        out[user_id] = replace(template, user_id=user_id, admin=admin, memo={})
    return out


__all__ = ["APP_OWNED", "COMPANY", "DELETE", "GROUP", "GROUP_AND_BELOW", "OWNER_ONLY",
           "PRIVATE", "READ", "WRITE", "Sight", "sights_of"]
