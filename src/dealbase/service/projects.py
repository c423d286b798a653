"""What projects need beyond one record's write: a project made from a template (its
groups and tasks copied), archiving, templates made whole, and the project's plan.

Each function works through a ``Unit`` (the caller's permissions, the change log and the
rules of every record written), in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..domain.entities.project import refuse_archived
from ..domain.errors import NotFound, invalid
from ..query.ast import Cond, Keyset, Query, Sort, all_of
from .unit import Unit

Record = dict[str, Any]
# The most groups and tasks a project, or a template, holds for copying and for its plan.
MAX_ITEMS = 5_000
# What a plan item is: (item_type, entity, the entity's phase field, its group field)
PLAN_ITEMS = (("task", "task", "phase_id", "group_id"),
              ("activity", "activity", "project_phase_id", "project_group_id"))


def _live(unit: Unit, entity: str, holder: str, holder_id: int) -> list[Record]:
    page = unit.list(entity, Query(
        where=all_of(Cond(holder, "eq", holder_id), Cond("is_deleted", "eq", False)),
        sort=(Sort("id"),), page=Keyset(None, MAX_ITEMS)))
    return page.items


def project(unit: Unit, project_id: int) -> Record:
    """The live project ``project_id`` (else not found)."""
    found = unit.find("project", all_of(Cond("id", "eq", project_id),
                                        Cond("is_deleted", "eq", False)))
    if found is None:
        raise NotFound("Project not found")
    return found


def _copy(unit: Unit, template_id: int, project: Record) -> None:
    """The groups and tasks of template ``template_id`` made anew for ``project``; tasks
    keep their groups and parents, and start in the project's phase."""
    groups: dict[int, int] = {}
    for group in sorted(_live(unit, "project_group", "template_id", template_id),
                        key=lambda g: (g["order_nr"], g["id"])):
        groups[group["id"]] = unit.create("project_group", {
            "project_id": project["id"], "name": group["name"],
            "order_nr": group["order_nr"]})["id"]
    tasks: dict[int, int] = {}
    # parents first (a parent is never a subtask)
    for task in sorted(_live(unit, "task", "template_id", template_id),
                       key=lambda t: (t["parent_task_id"] is not None, t["id"])):
        values = {k: task[k] for k in ("title", "description", "is_milestone", "priority",
                                       "assignee_ids")}
        tasks[task["id"]] = unit.create("task", {
            **values, "project_id": project["id"], "phase_id": project["phase_id"],
            "group_id": groups.get(task["group_id"]) if task["group_id"] else None,
            "parent_task_id": tasks.get(task["parent_task_id"]) if task["parent_task_id"]
            else None})["id"]


def create_project(unit: Unit, values: Mapping[str, Any]) -> Record:
    """A new project; made from a template (``template_id``), it is on the template's
    board and gets copies of the template's groups and tasks."""
    made = unit.create("project", values)
    if made.get("template_id") is not None:
        _copy(unit, made["template_id"], made)
    return made


def archive_project(unit: Unit, project_id: int) -> Record:
    """Archive a live project (an archived one is refused, as every change to it is)."""
    refuse_archived(project(unit, project_id))
    return unit.update("project", project_id, {"is_archived": True})


def delete_project(unit: Unit, project_id: int) -> int:
    """Delete a live project with its tasks and groups (its activities stay, linked to it)."""
    project(unit, project_id)
    for entity in ("task", "project_group"):
        ids = [r["id"] for r in _live(unit, entity, "project_id", project_id)]
        if ids:
            unit.delete(entity, ids)
    unit.delete("project", [project_id])
    return project_id


def delete_task(unit: Unit, task_id: int) -> int:
    """Delete a live task of a project that is not archived, with its subtasks."""
    task = unit.find("task", all_of(Cond("id", "eq", task_id), Cond("is_deleted", "eq", False),
                                    Cond("project_id", "is_null", False)))
    if task is None:
        raise NotFound("Task not found")
    refuse_archived(unit.get("project", task["project_id"]))
    unit.delete("task", [task_id, *(r["id"] for r in _live(unit, "task", "parent_task_id",
                                                            task_id))])
    return task_id


def create_template(unit: Unit, title: Any, board_id: Any, description: Any = None,
                    groups: Sequence[Any] = (), tasks: Sequence[Any] = ()) -> Record:
    """A project template: a board, groups (names, in order) and tasks, each
    ``{"title", "description"?, "group"?: a group's name, "milestone"?, "subtasks"?: [tasks]}``
    (a subtask is in its parent's group unless it names one).
    """
    made = unit.create("project_template", {"title": title, "board_id": board_id,
                                            "description": description})
    ids: dict[Any, int] = {}
    for order, name in enumerate(groups, start=1):
        ids[name] = unit.create("project_group", {"template_id": made["id"], "name": name,
                                                  "order_nr": order})["id"]

    def add(task: Any, parent: int | None, group: int | None) -> None:
        if not isinstance(task, dict) or set(task) - {"title", "description", "group",
                                                      "milestone", "subtasks"}:
            raise invalid("tasks", "each task is an object of title, description, group, "
                          "milestone and subtasks")
        if task.get("group") is not None and task["group"] not in ids:
            raise invalid("tasks", f"no group named {str(task['group'])[:60]!r}")
        made_task = unit.create("task", {
            "template_id": made["id"], "title": task.get("title"),
            "description": task.get("description"), "is_milestone": bool(task.get("milestone")),
            "group_id": ids.get(task.get("group"), group), "parent_task_id": parent})
        subtasks = task.get("subtasks") or []
        if not isinstance(subtasks, list):
            raise invalid("subtasks", "must be a list of tasks")
        for sub in subtasks:
            add(sub, made_task["id"], made_task["group_id"])

    for task in tasks:
        add(task, None, None)
    return made


def plan_of(unit: Unit, project_id: int) -> list[Record]:
    """A project's plan: its tasks and activities, each in a phase and a group."""
    project(unit, project_id)
    return [_item(kind, record, phase, group)
            for kind, entity, phase, group in PLAN_ITEMS
            for record in _live(unit, entity, "project_id", project_id)]


def _item(kind: str, record: Record, phase: str, group: str) -> Record:
    return {"item_id": record["id"], "item_type": kind, "phase_id": record[phase],
            "group_id": record[group]}


def place_in_plan(unit: Unit, project_id: int, kind: str, item_id: int,
                  values: Mapping[str, Any]) -> Record:
    """Move a task or activity of the project to another phase or group (``values``:
    ``phase_id`` and/or ``group_id``); the plan item as it now is."""
    _, entity, phase, group = next(p for p in PLAN_ITEMS if p[0] == kind)
    refuse_archived(project(unit, project_id))
    item = unit.find(entity, all_of(Cond("id", "eq", item_id), Cond("is_deleted", "eq", False),
                                    Cond("project_id", "eq", project_id)))
    if item is None:
        raise NotFound(f"{kind.capitalize()} not found in the project")
    names = {"phase_id": phase, "group_id": group}
    changed = unit.update(entity, item_id, {names[k]: v for k, v in values.items()})
    return _item(kind, changed, phase, group)
