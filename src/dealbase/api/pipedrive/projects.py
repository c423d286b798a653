"""Projects beyond the generated CRUD (the views are in mapping.py): lists with archived
projects, projects made from templates, archiving, the plan, groups, a project's tasks
and activities, v2's search, permitted users and changelog, and v1's phases by board.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ...domain.errors import NotFound, Reason
from ...query.ast import Cond, Or, Query, Sort, all_of
from ...query.ast import Cursor as CursorPage
from ...service import (
    Change,
    Unit,
    archive_project,
    create_project,
    delete_project,
    delete_task,
    place_in_plan,
    plan_of,
)
from ..body import query_params
from . import params, render
from .history import cursor_pages, field_rows
from .mapping import (
    ARCHIVED,
    CHILD_ACTIVITY_V1,
    GROUP_V1,
    PHASE_V1,
    PROJECT_V1,
    PROJECT_V2,
    TASK_V1,
    TASK_V2,
    View,
)
from .routes import PREFIXES, Api, Handler, Handlers, child_list, record_id, routes_at

PLAN_KEYS = frozenset({"phase_id", "group_id"})


def _project(unit: Unit, request: Request) -> int:
    """The live project the path names (else not found)."""
    found = unit.find("project", all_of(Cond("id", "eq", record_id(request)),
                                        Cond("is_deleted", "eq", False)))
    if found is None:
        raise NotFound("Project not found")
    return int(found["id"])


class Projects:
    """The project routes of one API version."""

    def __init__(self, api: Api, view: View) -> None:
        self.api, self.view = api, view
        self.handlers = Handlers(api, view)

    async def list(self, request: Request) -> Response:
        """v1: ``include_archived=true`` lists archived projects too."""
        q = query_params(request)

        def work(unit: Unit) -> Response:
            view = self.view
            if self.view.version == "v1" and "include_archived" in q \
                    and params.flag(q, "include_archived"):
                view = replace(view, listed=None)
            return Handlers(self.api, view).listing(unit, request, None)
        return await self.api.read(request, work)

    async def create(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            made = create_project(unit, self.handlers.values(unit, request, raw))
            data, _ = self.handlers.present(unit, [made], {})
            return render.success(data[0], status=self.view.create_status)
        return await self.api.write(request, work, raw)

    async def archive(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            archived = archive_project(unit, _project(unit, request))
            data, _ = self.handlers.present(unit, [archived], {})
            return render.success(data[0])
        return await self.api.write(request, work)


class ProjectTasks(Handlers):
    """A task by id: a project's (a template's tasks are not reached through the API)."""

    def key(self, unit: Unit, request: Request, name: str = "id") -> int:
        task = super().key(unit, request, name)
        if unit.find("task", all_of(Cond("id", "eq", task), Cond("project_id", "is_null", False))
                     ) is None:
            raise NotFound("Task not found")
        return task


def _delete(api: Api, delete: Callable[[Unit, int], int]) -> Handler:
    """A project (with its tasks and groups) or a task (with its subtasks): ``{"id": …}``."""
    async def handler(request: Request) -> Response:
        return await api.write(request, lambda unit: render.success(
            {"id": delete(unit, record_id(request))}))
    return handler


def _plan(api: Api) -> Handler:
    async def handler(request: Request) -> Response:
        def work(unit: Unit) -> Response:
            items = plan_of(unit, _project(unit, request))
            return render.success([{k: v for k, v in i.items() if v is not None} for i in items])
        return await api.read(request, work)
    return handler


def _place(api: Api, kind: str, param: str) -> Handler:
    """``PUT /projects/{id}/plan/<kind>s/{<kind>Id}`` ``{phase_id?, group_id?}``."""
    async def handler(request: Request) -> Response:
        raw = await api.raw_body(request)

        def work(unit: Unit) -> Response:
            project = _project(unit, request)
            item = record_id(request, param)
            body = api.parse_body(request, raw)
            if not isinstance(body, dict):
                raise params.bad("body", "The request body must be a JSON object",
                                 Reason.MALFORMED)
            unknown = set(body) - PLAN_KEYS
            if unknown:
                raise params.bad(sorted(unknown)[0], "Unknown field(s): "
                                 f"{', '.join(sorted(unknown))[:200]}", Reason.UNKNOWN_FIELD)
            placed = place_in_plan(unit, project, kind, item, body)
            return render.success({k: v for k, v in placed.items() if v is not None})
        return await api.write(request, work, raw)
    return handler


def _of_project(api: Api, view: View) -> Handler:
    """A project's groups or tasks."""
    handlers = Handlers(api, view)

    async def handler(request: Request) -> Response:
        def work(unit: Unit) -> Response:
            return handlers.listing(unit, request, Cond("project_id", "eq", _project(unit, request)))
        return await api.read(request, work)
    return handler


def _phases_v1(api: Api) -> Handler:
    """v1 ``GET /projects/phases?board_id=``: the board's phases (``board_id`` required)."""
    handlers = Handlers(api, PHASE_V1)

    async def handler(request: Request) -> Response:
        def work(unit: Unit) -> Response:
            if not query_params(request).get("board_id"):
                raise params.bad("board_id", "Parameter 'board_id' is required",
                                 Reason.BAD_PARAMETER)
            return handlers.listing(unit, request, None)
        return await api.read(request, work)
    return handler


def _search(api: Api) -> Handler:
    """v2 ``GET /projects/search``: projects whose title or description (``fields``) holds
    ``term`` (``exact_match``: is it), of a person or organization, by id."""
    async def handler(request: Request) -> Response:
        q = query_params(request)

        def work(unit: Unit) -> Response:
            term = (q.get("term") or "").strip()
            if len(term) < (1 if params.flag(q, "exact_match") else 2) or len(term) > 255:
                raise params.bad("term", "Parameter 'term' must be 2 to 255 characters")
            fields = params.csv(q, "fields") or ["title", "description"]
            if set(fields) - {"custom_fields", "notes", "title", "description"}:
                raise params.bad("fields", "Parameter 'fields' takes custom_fields, notes, "
                                 "title, description")
            op = "eq" if params.flag(q, "exact_match") else "contains"
            matches = [Cond(f, op, term) for f in ("title", "description") if f in fields]
            limit = params.integer(q, "limit", api.settings.default_page_size, 1,
                                   api.settings.max_page_size)
            where = all_of(Or(tuple(matches)) if matches else Cond("id", "eq", 0),
                           Cond("is_deleted", "eq", False),
                           *(Cond(canonical, "has", params.integer(q, key, 1, 1, 2**62))
                             for key, canonical in (("person_id", "person_ids"),
                                                    ("organization_id", "organization_ids"))
                             if q.get(key)))
            page = unit.list("project", Query(where=where, sort=(Sort("id"),),
                                              page=CursorPage(q.get("cursor") or None, limit)))
            phases = unit.get_many("project_phase", {p["phase_id"] for p in page.items})
            items = [{"result_score": 1.0, "item": _found(p, phases)} for p in page.items]
            return render.success({"items": items},
                                  additional_data={"next_cursor": page.next_cursor})
        return await api.read(request, work)
    return handler


def _found(project: dict[str, Any], phases: dict[int, dict[str, Any]]) -> dict[str, Any]:
    phase = phases.get(project["phase_id"])
    firsts = {k: (project[k] or [None])[0] for k in ("person_ids", "organization_ids",
                                                      "deal_ids")}
    return {"id": project["id"], "type": "project", "title": project["title"],
            "status": project["status"], "owner": {"id": project["owner_id"]},
            "board_id": project["board_id"],
            "phase": None if phase is None else {"id": phase["id"], "name": phase["name"]},
            "person": None if firsts["person_ids"] is None else {"id": firsts["person_ids"]},
            "organization": None if firsts["organization_ids"] is None
            else {"id": firsts["organization_ids"]},
            "deal": None if firsts["deal_ids"] is None else {"id": firsts["deal_ids"]},
            "deal_count": len(project["deal_ids"] or ()), "description": project["description"],
            "end_date": None if project["end_date"] is None else project["end_date"].isoformat(),
            "custom_fields": [], "notes": []}


def _permitted_users(api: Api) -> Handler:
    """v2 ``GET /projects/{id}/permittedUsers``: every active user of the company (a
    project is visible to the whole company)."""
    async def handler(request: Request) -> Response:
        def work(unit: Unit) -> Response:
            _project(unit, request)
            users = unit.list("user", Query(
                where=all_of(Cond("is_deleted", "eq", False), Cond("is_active", "eq", True)),
                sort=(Sort("id"),), page=CursorPage(None, 500)))
            return render.success([u["id"] for u in users.items])
        return await api.read(request, work)
    return handler


def _changelog_rows(unit: Unit, change: Change) -> list[dict[str, Any]]:
    """v2: one row per change, its fields' old and new values by key."""
    rows = field_rows(unit, PROJECT_V2, change)
    if not rows:
        return []
    row: dict[str, Any] = {
        "change_source": "api", "change_source_user_agent": None,
        "time": render.v2_time(change.at), "old_values": {r.key: r.old for r in rows},
        "new_values": {r.key: r.new for r in rows}}
    if change.user_id is not None:
        row["actor_user_id"] = change.user_id
    return [row]


def routes(api: Api) -> list[BaseRoute]:
    v1, v2 = PREFIXES["v1"], PREFIXES["v2"]
    out: list[BaseRoute] = []
    for prefixes, view in ((v1, PROJECT_V1), (v2, PROJECT_V2)):
        projects = Projects(api, view)
        out += routes_at(prefixes, "/projects", projects.list, ["GET"])
        out += routes_at(prefixes, "/projects", projects.create, ["POST"])
        out += routes_at(prefixes, "/projects/{id}/archive", projects.archive, ["POST"])
        out += routes_at(prefixes, "/projects/{id}", _delete(api, delete_project), ["DELETE"])
    for prefixes, view, method in ((v1, TASK_V1, "PUT"), (v2, TASK_V2, "PATCH")):
        tasks = ProjectTasks(api, view)
        out += routes_at(prefixes, "/tasks/{id}", tasks.get, ["GET"])
        out += routes_at(prefixes, "/tasks/{id}", tasks.update, [method])
        out += routes_at(prefixes, "/tasks/{id}", _delete(api, delete_task), ["DELETE"])
    out += routes_at(v2, "/projects/archived",
                     Handlers(api, replace(PROJECT_V2, listed=ARCHIVED)).list, ["GET"])
    out += routes_at(v1, "/projects/{id}/plan", _plan(api), ["GET"])
    out += routes_at(v1, "/projects/{id}/plan/activities/{activityId}",
                     _place(api, "activity", "activityId"), ["PUT"])
    out += routes_at(v1, "/projects/{id}/plan/tasks/{taskId}", _place(api, "task", "taskId"),
                     ["PUT"])
    out += routes_at(v1, "/projects/{id}/groups", _of_project(api, GROUP_V1), ["GET"])
    out += routes_at(v1, "/projects/{id}/tasks", _of_project(api, TASK_V1), ["GET"])
    out += routes_at(v1, "/projects/{id}/activities",
                     child_list(api, CHILD_ACTIVITY_V1, "project", "project_id", False), ["GET"])
    out += routes_at(v1, "/projects/phases", _phases_v1(api), ["GET"])
    out += routes_at(v2, "/projects/search", _search(api), ["GET"])
    out += routes_at(v2, "/projects/{id}/permittedUsers", _permitted_users(api), ["GET"])
    out += routes_at(v2, "/projects/{id}/changelog",
                     cursor_pages(api, "project", _changelog_rows), ["GET"])
    return out


__all__ = ["routes"]
