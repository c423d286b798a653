"""Roles, permission sets, legacy teams, and what the users operations show of them (v1).

``/roles`` (CRUD, assignments, settings, pipelines), ``/permissionSets`` (Pipedrive's
fixed catalogue, ``domain.entities.role.PERMISSION_SETS``), ``/legacyTeams`` (the
company's teams: Pipeliner's sales units), and ``/users/{id}/permissions``,
``/roleAssignments``, ``/roleSettings``. The rules (one role per user, no cycles, who
may change what) are the records service's (``service.Roles``/``Teams``); here, names,
shapes and parsing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ...domain.entities.role import (
    PERMISSION_SET_APPS,
    PERMISSION_SETS,
    PermissionSet,
    permissions_of,
)
from ...domain.errors import NotFound, Reason
from ...domain.types import parse_int
from ...query.ast import Cond, Offset, Query, Sort
from ...service import Roles, Teams, Unit, live
from ..body import query_params
from . import params, render
from .routes import PREFIXES, Api, record_id, routes_at

Record = dict[str, Any]
MAX_IDS = 1_000  # user ids one team body names at most
TEAM_ORDER = {"id": "id", "name": "name", "manager_id": "manager_id", "active_flag": "is_active"}


# ---- shapes --------------------------------------------------------------------------------

def _role(role: Record, roles: Roles) -> Record:
    return {"id": role["id"], "parent_role_id": role["parent_id"], "name": role["name"],
            "active_flag": not role["is_deleted"],
            "assignment_count": str(role["assignment_count"]),
            "sub_role_count": str(roles.sub_role_count(role["id"])), "level": roles.level(role["id"])}


def _assignment(user: Record, role: Record) -> Record:
    return {"user_id": user["id"], "role_id": role["id"], "parent_role_id": role["parent_id"],
            "name": role["name"], "active_flag": not role["is_deleted"], "type": "1"}


def _permission_set(unit: Unit, found: PermissionSet) -> Record:
    return {"id": found.id, "name": found.name, "description": found.description,
            "app": found.app, "type": found.type,
            "assignment_count": unit.count("user", _holders(found))}


def _holders(found: PermissionSet) -> Any:
    return live(Cond("is_admin", "eq", found.for_admins))


def _team(team: Record, users: list[int] | None) -> Record:
    out: Record = {"id": team["id"], "name": team["name"]}
    for key, value in (("manager_id", team["manager_id"]),
                       ("created_by_user_id", team["creator_id"])):
        if value is not None:
            out[key] = value
    if users is not None:
        out["users"] = users
    out.update(active_flag=int(bool(team["is_active"])), deleted_flag=int(bool(team["is_deleted"])),
               add_time=render.v1_time(team["created_at"]))
    return out


# ---- parsing -------------------------------------------------------------------------------

def _object(api: Api, request: Request, raw: Any, allowed: Sequence[str],
            required: Sequence[str] = ()) -> Record:
    body = api.parse_body(request, raw)
    if not isinstance(body, dict):
        raise params.bad("body", "The request body must be a JSON object", Reason.MALFORMED)
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise params.bad("body", f"Unknown field(s): {', '.join(unknown)[:200]}",
                         Reason.UNKNOWN_FIELD)
    for key in required:
        if body.get(key) is None:
            raise params.bad(key, f"{key} is required", Reason.REQUIRED)
    return body


def _name(body: Record) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise params.bad("name", "name must be a non-empty string", Reason.INVALID)
    return name


def _optional_id(body: Record, key: str, what: str) -> int | None:
    return None if body.get(key) is None else params.body_id(body, key, what)


def _ids(value: Any, key: str) -> list[int]:
    """A list of positive ids: a JSON array, or (as Pipedrive documents it) the text of
    one (``"[1, 2]"``)."""
    if isinstance(value, str):
        text = value.strip().removeprefix("[").removesuffix("]")
        parts = [p.strip() for p in text.split(",") if p.strip()]
        value = [parse_int(p, 1) if p.isdigit() else None for p in parts]
    if not isinstance(value, list) or len(value) > MAX_IDS or not all(
            isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in value):
        raise params.bad(key, f"{key} must be a list of ids (at most {MAX_IDS})",
                         Reason.INVALID)
    return list(dict.fromkeys(value))


def _flag01(body: Record, key: str) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if value in (0, 1) and not isinstance(value, float):
        return bool(value)
    raise params.bad(key, f"{key} must be 0 or 1", Reason.INVALID)


def _page(api: Api, request: Request) -> tuple[int, int]:
    q = query_params(request)
    return (params.integer(q, "start", 0, 0, 10**9),
            params.integer(q, "limit", api.settings.default_page_size, 1,
                           api.settings.max_page_size))


def _paged(items: list[Any], start: int, limit: int, more: bool) -> Response:
    return render.success(items, additional_data=render.v1_pagination(start, limit, more))


# ---- handlers ------------------------------------------------------------------------------

class RoleHandlers:
    def __init__(self, api: Api) -> None:
        self.api = api

    async def _read(self, request: Request, work: Callable[[Roles], Response]) -> Response:
        return await self.api.read(request, lambda unit: work(Roles(unit)))

    async def _write(self, request: Request, work: Callable[[Roles, Any], Response]
                     ) -> Response:
        raw = await self.api.raw_body(request)
        return await self.api.write(request, lambda unit: work(Roles(unit), raw), raw)

    async def list(self, request: Request) -> Response:
        def work(roles: Roles) -> Response:
            start, limit = _page(self.api, request)
            found = roles.all()
            return _paged([_role(r, roles) for r in found[start:start + limit]], start, limit,
                          start + limit < len(found))
        return await self._read(request, work)

    async def get(self, request: Request) -> Response:
        role_id = record_id(request)

        def work(roles: Roles) -> Response:
            role = _role(roles.get(role_id), roles)
            del role["level"]
            return render.success(role, additional_data={"settings": roles.settings(role_id)})
        return await self._read(request, work)

    async def create(self, request: Request) -> Response:
        def work(roles: Roles, raw: Any) -> Response:
            roles.unit.may_write("role")
            body = _object(self.api, request, raw, ("name", "parent_role_id"), ("name",))
            made = roles.create(_name(body), _optional_id(body, "parent_role_id", "a role"))
            return render.success({"id": made["id"]})
        return await self._write(request, work)

    async def update(self, request: Request) -> Response:
        role_id = record_id(request)

        def work(roles: Roles, raw: Any) -> Response:
            roles.unit.may_write("role")
            body = _object(self.api, request, raw, ("name", "parent_role_id"))
            values: Record = {}
            if "name" in body:
                values["name"] = _name(body)
            if "parent_role_id" in body:
                values["parent_id"] = _optional_id(body, "parent_role_id", "a role")
            roles.update(role_id, values)
            return render.success({"id": role_id})
        return await self._write(request, work)

    async def delete(self, request: Request) -> Response:
        role_id = record_id(request)
        return await self._write(request, lambda roles, raw: render.success(
            {"id": roles.delete(role_id)}))

    async def assignments(self, request: Request) -> Response:
        role_id = record_id(request)

        def work(roles: Roles) -> Response:
            start, limit = _page(self.api, request)
            page = roles.assignments(role_id, start, limit)
            role = roles.get(role_id)
            return _paged([_assignment(u, role) for u in page.items], start, limit, page.more)
        return await self._read(request, work)

    def _user_id(self, roles: Roles, request: Request, raw: Any) -> int:
        roles.unit.may_write("role")
        body = _object(self.api, request, raw, ("user_id",), ("user_id",))
        return params.body_id(body, "user_id", "a user")

    async def assign(self, request: Request) -> Response:
        role_id = record_id(request)

        def work(roles: Roles, raw: Any) -> Response:
            user = roles.assign(role_id, self._user_id(roles, request, raw))
            return render.success({"user_id": user["id"], "role_id": role_id})
        return await self._write(request, work)

    async def unassign(self, request: Request) -> Response:
        role_id = record_id(request)

        def work(roles: Roles, raw: Any) -> Response:
            roles.unassign(role_id, self._user_id(roles, request, raw))
            return render.success({"id": role_id})
        return await self._write(request, work)

    async def settings(self, request: Request) -> Response:
        role_id = record_id(request)
        return await self._read(request, lambda roles: render.success(roles.settings(role_id)))

    async def set_setting(self, request: Request) -> Response:
        role_id = record_id(request)

        def work(roles: Roles, raw: Any) -> Response:
            roles.unit.may_write("role")
            body = _object(self.api, request, raw, ("setting_key", "value"),
                           ("setting_key", "value"))
            key, value = body["setting_key"], body["value"]
            if isinstance(value, bool) or not isinstance(value, int):
                raise params.bad("value", "value must be an integer", Reason.INVALID)
            role = roles.set_setting(role_id, key, value)
            return render.success({"id": role_id, key: role[key]})
        return await self._write(request, work)

    async def pipelines(self, request: Request) -> Response:
        role_id = record_id(request)

        def work(roles: Roles) -> Response:
            q = query_params(request)
            visible = params.flag(q, "visible") if q.get("visible") else True
            return render.success({"pipeline_ids": roles.visible_pipelines(role_id, visible),
                                   "visible": visible})
        return await self._read(request, work)

    async def set_pipelines(self, request: Request) -> Response:
        role_id = record_id(request)

        def work(roles: Roles, raw: Any) -> Response:
            roles.unit.may_write("role")
            body = _object(self.api, request, raw, ("visible_pipeline_ids",),
                           ("visible_pipeline_ids",))
            change = body["visible_pipeline_ids"]
            if not isinstance(change, dict) or not change or set(change) - {"add", "remove"}:
                raise params.bad("visible_pipeline_ids", "visible_pipeline_ids must be "
                                 "{\"add\": [ids], \"remove\": [ids]}", Reason.INVALID)
            add, remove = (_ids(change.get(k, []), f"visible_pipeline_ids.{k}")
                           for k in ("add", "remove"))
            return render.success({"pipeline_ids": roles.set_pipelines(role_id, add, remove),
                                   "visible": True})
        return await self._write(request, work)

    # ---- the user operations ---------------------------------------------------------------

    async def user_permissions(self, request: Request) -> Response:
        user_id = record_id(request)
        return await self._read(request, lambda roles: render.success(
            permissions_of(bool(roles.user(user_id)["is_admin"]))))

    async def user_assignments(self, request: Request) -> Response:
        user_id = record_id(request)

        def work(roles: Roles) -> Response:
            start, limit = _page(self.api, request)
            items = [_assignment(roles.user(user_id), roles.role_of(user_id))]
            return _paged(items[start:start + limit], start, limit, start + limit < len(items))
        return await self._read(request, work)

    async def user_settings(self, request: Request) -> Response:
        user_id = record_id(request)
        return await self._read(request, lambda roles: render.success(
            roles.settings(roles.role_of(user_id)["id"])))


class PermissionSetHandlers:
    def __init__(self, api: Api) -> None:
        self.api = api

    @staticmethod
    def _find(request: Request) -> PermissionSet:
        wanted = request.path_params["id"]
        found = next((s for s in PERMISSION_SETS if s.id == wanted), None)
        if found is None:
            raise NotFound("Permission set not found")
        return found

    async def list(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            apps = params.choices(query_params(request), "app", PERMISSION_SET_APPS)
            return render.success([_permission_set(unit, s) for s in PERMISSION_SETS
                                   if not apps or s.app in apps])
        return await self.api.read(request, work)

    async def get(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            found = self._find(request)
            return render.success({**_permission_set(unit, found),
                                   "contents": list(found.contents)})
        return await self.api.read(request, work)

    async def assignments(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            found = self._find(request)
            start, limit = _page(self.api, request)
            page = unit.list("user", Query(where=_holders(found), sort=(Sort("id"),),
                                           page=Offset(start, limit)))
            return _paged([{"user_id": u["id"], "permission_set_id": found.id,
                            "name": found.name} for u in page.items], start, limit, page.more)
        return await self.api.read(request, work)


class TeamHandlers:
    def __init__(self, api: Api) -> None:
        self.api = api

    @staticmethod
    def _shown(teams: Teams, found: list[Record], request: Request) -> list[Record]:
        q = query_params(request)
        skip = params.flag(q, "skip_users")
        members = None if skip else teams.members([t["id"] for t in found])
        return [_team(t, None if members is None else members[t["id"]]) for t in found]

    @staticmethod
    def _ordered(request: Request, found: list[Record]) -> list[Record]:
        order = params.choices(query_params(request), "order_by", tuple(TEAM_ORDER))
        key = TEAM_ORDER[order[0]] if order else "id"
        return sorted(found, key=lambda t: (t[key] is None, t[key] if t[key] is not None else 0,
                                            t["id"]))

    async def _write(self, request: Request, work: Callable[[Teams, Record], Response],
                     allowed: Sequence[str], required: Sequence[str] = ()) -> Response:
        raw = await self.api.raw_body(request)

        def run(unit: Unit) -> Response:
            unit.may_write("team")
            return work(Teams(unit), _object(self.api, request, raw, allowed, required))
        return await self.api.write(request, run, raw)

    async def list(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            teams = Teams(unit)
            return render.success(self._shown(teams, self._ordered(request, teams.all()),
                                              request))
        return await self.api.read(request, work)

    async def of_user(self, request: Request) -> Response:
        user_id = record_id(request)

        def work(unit: Unit) -> Response:
            teams = Teams(unit)
            return render.success(self._shown(teams, self._ordered(request,
                                                                   teams.of_user(user_id)),
                                              request))
        return await self.api.read(request, work)

    async def get(self, request: Request) -> Response:
        team_id = record_id(request)

        def work(unit: Unit) -> Response:
            teams = Teams(unit)
            return render.success(self._shown(teams, [teams.get(team_id)], request)[0])
        return await self.api.read(request, work)

    @staticmethod
    def _values(body: Record) -> Record:
        values: Record = {}
        if "name" in body:
            values["name"] = _name(body)
        if "manager_id" in body:
            values["manager_id"] = params.body_id(body, "manager_id", "a user")
        for key, field in (("active_flag", "is_active"), ("deleted_flag", "is_deleted")):
            flag = _flag01(body, key)
            if flag is not None:
                values[field] = flag
        return values

    async def create(self, request: Request) -> Response:
        def work(teams: Teams, body: Record) -> Response:
            values = self._values(body)
            if values.pop("is_deleted", False):
                raise params.bad("deleted_flag", "A new team cannot be deleted", Reason.INVALID)
            made = teams.create(values, _ids(body.get("users", []), "users"))
            return render.success(_team(made, teams.members([made["id"]])[made["id"]]))
        return await self._write(request, work, ("name", "manager_id", "users", "active_flag"),
                                 ("name", "manager_id"))

    async def update(self, request: Request) -> Response:
        team_id = record_id(request)

        def work(teams: Teams, body: Record) -> Response:
            users = None if body.get("users") is None else _ids(body["users"], "users")
            made = teams.update(team_id, self._values(body), users)
            return render.success(_team(made, teams.members([team_id])[team_id]))
        return await self._write(request, work, ("name", "manager_id", "users", "active_flag",
                                                 "deleted_flag"))

    async def users(self, request: Request) -> Response:
        team_id = record_id(request)

        def work(unit: Unit) -> Response:
            teams = Teams(unit)
            return render.success(teams.members([teams.get(team_id)["id"]])[team_id])
        return await self.api.read(request, work)

    async def add_users(self, request: Request) -> Response:
        team_id = record_id(request)
        return await self._write(request, lambda teams, body: render.success(
            teams.add(team_id, _ids(body["users"], "users"))), ("users",), ("users",))

    async def remove_users(self, request: Request) -> Response:
        team_id = record_id(request)
        return await self._write(request, lambda teams, body: render.success(
            teams.remove(team_id, _ids(body["users"], "users"))), ("users",), ("users",))


def routes(api: Api) -> list[BaseRoute]:
    r, p, t = RoleHandlers(api), PermissionSetHandlers(api), TeamHandlers(api)
    v1 = PREFIXES["v1"]
    table: tuple[tuple[str, Any, str], ...] = (
        ("/roles", r.list, "GET"), ("/roles", r.create, "POST"),
        ("/roles/{id}", r.get, "GET"), ("/roles/{id}", r.update, "PUT"),
        ("/roles/{id}", r.delete, "DELETE"),
        ("/roles/{id}/assignments", r.assignments, "GET"),
        ("/roles/{id}/assignments", r.assign, "POST"),
        ("/roles/{id}/assignments", r.unassign, "DELETE"),
        ("/roles/{id}/settings", r.settings, "GET"),
        ("/roles/{id}/settings", r.set_setting, "POST"),
        ("/roles/{id}/pipelines", r.pipelines, "GET"),
        ("/roles/{id}/pipelines", r.set_pipelines, "PUT"),
        ("/users/{id}/permissions", r.user_permissions, "GET"),
        ("/users/{id}/roleAssignments", r.user_assignments, "GET"),
        ("/users/{id}/roleSettings", r.user_settings, "GET"),
        ("/permissionSets", p.list, "GET"), ("/permissionSets/{id}", p.get, "GET"),
        ("/permissionSets/{id}/assignments", p.assignments, "GET"),
        ("/legacyTeams", t.list, "GET"), ("/legacyTeams", t.create, "POST"),
        ("/legacyTeams/{id}", t.get, "GET"), ("/legacyTeams/{id}", t.update, "PUT"),
        ("/legacyTeams/{id}/users", t.users, "GET"),
        ("/legacyTeams/{id}/users", t.add_users, "POST"),
        ("/legacyTeams/{id}/users", t.remove_users, "DELETE"),
        ("/legacyTeams/user/{id}", t.of_user, "GET"),
    )
    return [route for path, handler, method in table
            for route in routes_at(v1, path, handler, [method])]


__all__ = ["routes"]
