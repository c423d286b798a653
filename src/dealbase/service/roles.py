"""Roles (visibility groups) and teams, beyond one record's write: the hierarchy, a user's
one role, a role's settings and visible pipelines, a team's users.

Every operation runs in the caller's unit of work and reads and writes through its
public operations, so the records service decides who may change what (roles, users
and teams: admins only), validates, and keeps the change log and the derived counts (a
role's ``assignment_count`` and ``sub_role_count``). The reads here are what visibility
enforcement needs: ``role_of`` a user, a role's ``ancestors``/``descendants``, its
``settings`` and ``visible_pipelines``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..domain.entities import role as spec
from ..domain.errors import NotFound, Reason, invalid
from ..query.ast import Cond, Keyset, Offset, Query, Sort
from .records import Page
from .unit import Record, Unit, live

MAX_ROLES = 1_000  # roles a company holds at most (the hierarchy is read whole)
MAX_USERS = 10_000  # users one read here lists at most (a team's, a role's)
MAX_TEAMS = 1_000  # teams a company lists at most
MAX_PIPELINES = 10_000  # pipelines a role's visibility is read over


def _all(unit: Unit, entity: str, most: int, where: Any = None) -> list[Record]:
    return unit.list(entity, Query(where=live(where), sort=(Sort("id"),),
                                   page=Keyset(None, most))).items


class Roles:
    """The role operations, in ``unit``'s transaction, for its caller."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self._roles: list[Record] | None = None

    # ---- reads -------------------------------------------------------------------------

    def all(self) -> list[Record]:
        """The company's live roles, by id."""
        if self._roles is None:
            self._roles = _all(self.unit, "role", MAX_ROLES)
        return self._roles

    def get(self, role_id: int) -> Record:
        """A live role (NotFound otherwise)."""
        found = next((r for r in self.all() if r["id"] == role_id), None)
        if found is None:
            raise NotFound("Role not found")
        return found

    def default(self) -> Record:
        """The company's default role."""
        found = next((r for r in self.all() if r["is_default"]), None)
        if found is None:
            raise NotFound("The company has no default role")
        return found

    def parents(self) -> dict[int, int | None]:
        """Every live role's parent."""
        return {r["id"]: r["parent_id"] for r in self.all()}

    def sub_role_count(self, role_id: int) -> int:
        """How many live roles have this one as their parent."""
        return sum(1 for r in self.all() if r["parent_id"] == role_id)

    def level(self, role_id: int) -> int:
        return spec.level(self.parents(), role_id)

    def ancestors(self, role_id: int) -> list[int]:
        """The roles above a live role, nearest first."""
        self.get(role_id)
        return spec.ancestors(self.parents(), role_id)

    def descendants(self, role_id: int) -> list[int]:
        """The roles below a live role (its sub-roles, theirs…)."""
        self.get(role_id)
        return spec.descendants(self.parents(), role_id)

    def role_of(self, user_id: int) -> Record:
        """A live user's role (the default role if theirs is gone); NotFound for no user."""
        user = self.user(user_id)
        found = next((r for r in self.all() if r["id"] == user["role_id"]), None)
        return found if found is not None else self.default()

    def user(self, user_id: int) -> Record:
        """A live user of the company (NotFound otherwise)."""
        found = self.unit.find("user", live(Cond("id", "eq", user_id)))
        if found is None:
            raise NotFound("User not found or not accessible.")
        return found

    def settings(self, role_id: int) -> dict[str, int]:
        """A role's settings by Pipedrive's keys: the default visibilities, and for the
        default role the access levels."""
        role = self.get(role_id)
        keys = spec.SETTINGS if role["is_default"] else spec.VISIBILITY_SETTINGS
        return {k: int(role[k]) for k in keys}

    def pipelines(self) -> list[int]:
        """The company's live pipelines, by id."""
        return [p["id"] for p in _all(self.unit, "pipeline", MAX_PIPELINES)]

    def visible_pipelines(self, role_id: int, visible: bool = True) -> list[int]:
        """The live pipelines a role's users see (or, ``visible`` false, do not see)."""
        hidden = set(self.get(role_id)["hidden_pipeline_ids"] or ())
        return [p for p in self.pipelines() if (p in hidden) != visible]

    def assignments(self, role_id: int, start: int, limit: int) -> Page:
        """A page of the live users a live role has, by id."""
        self.get(role_id)
        return self.unit.list("user", Query(where=live(Cond("role_id", "eq", role_id)),
                                            sort=(Sort("id"),), page=Offset(start, limit)))

    # ---- writes (admins only: the records service refuses others) ------------------------

    def create(self, name: Any, parent_id: Any = None) -> Record:
        self.unit.may_write("role")
        if len(self.all()) >= MAX_ROLES:
            raise invalid("name", f"a company has at most {MAX_ROLES} roles")
        made = self.unit.create("role", {"name": name, "parent_id": parent_id})
        self._roles = None
        return made

    def update(self, role_id: int, values: Mapping[str, Any]) -> Record:
        """``values``: ``name`` and/or ``parent_id`` (no cycle; a live role)."""
        self.unit.may_write("role")
        self.get(role_id)
        made = self.unit.update("role", role_id, {k: values[k] for k in ("name", "parent_id")
                                                  if k in values})
        self._roles = None
        return made

    def delete(self, role_id: int) -> int:
        """Delete a role without sub-roles (not the default one); its users go to the
        default role."""
        self.unit.may_write("role")
        role, default = self.get(role_id), self.default()
        if role["is_default"]:
            raise invalid("id", "The default role cannot be deleted")
        if any(r["parent_id"] == role_id for r in self.all()):
            raise invalid("id", "The role has sub-roles: move or delete them first")
        self.unit.delete("role", [role_id])
        for user in _all(self.unit, "user", MAX_USERS, Cond("role_id", "eq", role_id)):
            self.unit.update("user", user["id"], {"role_id": default["id"]})
        self._roles = None
        return role_id

    def assign(self, role_id: int, user_id: int) -> Record:
        """Give a live user this live role (a user has one role: it replaces theirs)."""
        self.unit.may_write("role")
        self.get(role_id)
        self.user(user_id)
        return self.unit.update("user", user_id, {"role_id": role_id})

    def unassign(self, role_id: int, user_id: int) -> Record:
        """Take a user out of this role, into the default role."""
        self.unit.may_write("role")
        role, default = self.get(role_id), self.default()
        if self.user(user_id)["role_id"] != role_id:
            raise invalid("user_id", "The user is not assigned to this role")
        if role["is_default"]:
            raise invalid("user_id", "A user leaves the default role by being assigned "
                                     "another role")
        return self.unit.update("user", user_id, {"role_id": default["id"]})

    def set_setting(self, role_id: int, key: Any, value: Any) -> Record:
        """One setting of a role (access levels: the default role's only)."""
        self.unit.may_write("role")
        role = self.get(role_id)
        keys = spec.SETTINGS if role["is_default"] else spec.VISIBILITY_SETTINGS
        if key not in keys:
            raise invalid("setting_key", f"setting_key must be one of {', '.join(keys)}",
                          text=f"setting_key must be one of {', '.join(keys)}")
        if isinstance(value, bool):
            raise invalid("value", "value must be an integer")
        made = self.unit.update("role", role_id, {key: value})
        self._roles = None
        return made

    def set_pipelines(self, role_id: int, add: Sequence[int], remove: Sequence[int]
                      ) -> list[int]:
        """Make pipelines visible to a role (``add``) and hidden from it (``remove``): live
        pipelines of the company, each in one list at most; the visible ones after."""
        self.unit.may_write("role")
        role = self.get(role_id)
        both = set(add) & set(remove)
        if both:
            raise invalid("visible_pipeline_ids", f"pipeline {min(both)} is both added and "
                          "removed")
        known = set(self.pipelines())
        missing = [p for p in [*add, *remove] if p not in known]
        if missing:
            raise invalid("visible_pipeline_ids", f"pipeline {missing[0]} not found",
                          Reason.MISSING_RELATED)
        hidden = [p for p in (role["hidden_pipeline_ids"] or ()) if p in known and p not in add]
        hidden += [p for p in remove if p not in hidden]
        self.unit.update("role", role_id, {"hidden_pipeline_ids": hidden})
        self._roles = None
        return self.visible_pipelines(role_id)


class Teams:
    """Teams as Pipedrive's legacy teams: a team's users are the users whose team it is
    (a user is in one team at most: adding them to a team moves them)."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    def all(self) -> list[Record]:
        return _all(self.unit, "team", MAX_TEAMS)

    def get(self, team_id: int) -> Record:
        found = self.unit.find("team", live(Cond("id", "eq", team_id)))
        if found is None:
            raise NotFound(f"Team {team_id} does not exist")
        return found

    def members(self, team_ids: Sequence[int]) -> dict[int, list[int]]:
        """The live users of each team, by id."""
        out: dict[int, list[int]] = {t: [] for t in team_ids}
        if team_ids:
            for user in _all(self.unit, "user", MAX_USERS, Cond("team_id", "in", list(team_ids))):
                out[user["team_id"]].append(user["id"])
        return out

    def create(self, values: Mapping[str, Any], users: Sequence[int] = ()) -> Record:
        made = self.unit.create("team", values)
        self.add(made["id"], users)
        return made

    def update(self, team_id: int, values: Mapping[str, Any], users: Sequence[int] | None
               ) -> Record:
        """Change a live team; ``users``: its users from now on (others leave it);
        ``is_deleted`` true deletes it (its users leave it)."""
        self.unit.may_write("team")
        self.get(team_id)
        deleting = bool(values.get("is_deleted"))
        changes = {k: v for k, v in values.items() if k != "is_deleted"}
        made = self.unit.update("team", team_id, changes) if changes else self.get(team_id)
        if users is not None:
            self.remove(team_id, [u for u in self.members([team_id])[team_id] if u not in users])
            self.add(team_id, users)
        if deleting:
            self.remove(team_id, self.members([team_id])[team_id])
            self.unit.delete("team", [team_id])
            made = self.unit.get("team", team_id)
        return made

    def _users(self, user_ids: Sequence[int]) -> dict[int, Record]:
        found = {u["id"]: u for u in _all(self.unit, "user", MAX_USERS,
                                          Cond("id", "in", list(user_ids)))} if user_ids else {}
        missing = [u for u in user_ids if u not in found]
        if missing:
            raise invalid("users", f"user {missing[0]} not found", Reason.MISSING_RELATED)
        return found

    def add(self, team_id: int, user_ids: Sequence[int]) -> list[int]:
        """Put live users in a live team (moving them from theirs); its users after."""
        self.unit.may_write("team")
        self.get(team_id)
        for user in self._users(user_ids).values():
            if user["team_id"] != team_id:
                self.unit.update("user", user["id"], {"team_id": team_id})
        return self.members([team_id])[team_id]

    def remove(self, team_id: int, user_ids: Sequence[int]) -> list[int]:
        """Take users out of a live team (they are then in none); its users after."""
        self.unit.may_write("team")
        self.get(team_id)
        for user in self._users(user_ids).values():
            if user["team_id"] == team_id:
                self.unit.update("user", user["id"], {"team_id": None})
        return self.members([team_id])[team_id]

    def of_user(self, user_id: int) -> list[Record]:
        """The live teams a live user is in."""
        found = self.unit.find("user", live(Cond("id", "eq", user_id)))
        if found is None:
            raise NotFound("User not found or not accessible.")
        return [t for t in self.all() if t["id"] == found["team_id"]]


__all__ = ["MAX_ROLES", "Roles", "Teams"]
