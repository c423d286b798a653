"""Projects: what a team delivers after a deal is won.

A company's projects sit on *boards*, each an ordered set of *phases* (a company starts
with one board and its phases; the v2 API makes more). A project is on one board, in one
of its phases, and links to deals, persons and organizations. Its work is *tasks* (with
an optional parent task, assignees, a done flag and dates) and the activities linked to
it; its *groups* arrange the tasks and activities of its plan, each item of which sits in
a phase and a group. A *template* is a board and a set of groups and tasks: a project
made from a template gets the template's board (and so its phases), groups and tasks.

An archived project is read-only: any change to it, or to its tasks and plan, is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import Reason, invalid
from ..spec import EntitySpec, FieldSpec, Lookup, Rule
from ..types import Kind
from ._common import CURRENT_USER, id_list, identity, labels, lifecycle, owned
from .deal import _archive

PROJECT_STATUSES = ("open", "completed", "canceled")
MAX_ASSIGNEES = 10
# The board and phases every company starts with (Pipedrive's default delivery board).
DEFAULT_BOARD = "Delivery"
DEFAULT_PHASES = ("To do", "In progress", "Review", "Done")


def append_last(entity: str, within: str | None = None) -> Rule:
    """A rule: a new record without an ``order_nr`` goes after the last one (of those with
    the same ``within`` value)."""
    def place(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
        if before is None and values.get("order_nr") is None:
            where = {} if within is None else {within: values.get(within)}
            last = lookup.first(entity, where, "-order_nr")
            values["order_nr"] = (last["order_nr"] + 1) if last else 1
    return place


def _now(values: dict[str, Any], before: Mapping[str, Any] | None, name: str) -> Any:
    return values.get(name, before.get(name) if before else None)


def _live(lookup: Lookup, entity: str, record_id: Any, field: str) -> Mapping[str, Any]:
    found = None if record_id is None else lookup.fetch(entity, record_id)
    if found is None:
        raise invalid(field, f"{entity.replace('_', ' ')} {record_id} not found",
                      Reason.MISSING_RELATED)
    return found


def refuse_archived(project: Mapping[str, Any] | None) -> None:
    """An archived project changes no more (nor do its tasks and plan)."""
    if project is not None and project.get("is_archived"):
        raise invalid("project_id", "the project is archived and cannot be changed",
                      Reason.CONFLICT, text=f"Project {project['id']} is archived")


# ---- projects ------------------------------------------------------------------------------

def _frozen(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    if before is not None:
        refuse_archived(before)
        if "template_id" in values and values["template_id"] != before["template_id"]:
            raise invalid("template_id", "is set when the project is made", Reason.READ_ONLY)


def _placed(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    """The board comes from what is given (the board, else the phase's, else the template's,
    else the company's first board); the phase is one of the board's (its first, unless
    given)."""
    if before is not None and "phase_id" not in values \
            and values.get("board_id", before["board_id"]) == before["board_id"]:
        return
    board = values.get("board_id")
    phase = _live(lookup, "project_phase", values["phase_id"], "phase_id") \
        if values.get("phase_id") is not None else None
    if board is None and phase is not None:
        board = phase["board_id"]
    if board is None and before is None and values.get("template_id") is not None:
        board = _live(lookup, "project_template", values["template_id"], "template_id")["board_id"]
    if board is None and before is not None:
        board = before["board_id"]
    if board is None:
        first = lookup.first("project_board", {}, "order_nr")
        if first is None:
            raise invalid("board_id", "the company has no project board", Reason.REQUIRED)
        board = first["id"]
    if phase is None:
        phase = lookup.first("project_phase", {"board_id": board}, "order_nr")
        if phase is None:
            raise invalid("phase_id", "the board has no phases", Reason.REQUIRED)
    elif phase["board_id"] != board:
        raise invalid("phase_id", f"phase {phase['id']} is not on board {board}")
    values["board_id"], values["phase_id"] = board, phase["id"]


def _dated(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    start, end = _now(values, before, "start_date"), _now(values, before, "end_date")
    if start is not None and end is not None and end < start:
        raise invalid("end_date", "must not be before the start date")


def _status_time(values: dict[str, Any], before: Mapping[str, Any] | None,
                 lookup: Lookup) -> None:
    if before is None or ("status" in values and values["status"] != before["status"]):
        values["status_changed_at"] = lookup.now()


PROJECT = EntitySpec(
    name="project",
    table="projects",
    title_field="title",
    has_custom_fields=True,
    fields=(
        *identity(),
        FieldSpec("title", Kind.TEXT, required=True, max_length=255, nullable=False,
                  label="Title"),
        FieldSpec("description", Kind.TEXT, max_length=65535, field_type="text",
                  label="Description"),
        FieldSpec("status", Kind.TEXT, choices=PROJECT_STATUSES, default="open",
                  nullable=False, field_type="status", label="Status"),
        FieldSpec("board_id", Kind.REF, ref="project_board", nullable=False,
                  field_type="projects_board", label="Board"),
        FieldSpec("phase_id", Kind.REF, ref="project_phase", nullable=False,
                  field_type="projects_phase", label="Phase"),
        owned(),
        FieldSpec("start_date", Kind.DATE, field_type="date", label="Start date"),
        FieldSpec("end_date", Kind.DATE, field_type="date", label="End date"),
        id_list("deal_ids", "deal", "Deals"),
        id_list("person_ids", "person", "Contact persons"),
        id_list("organization_ids", "organization", "Organizations"),
        labels(),
        FieldSpec("health_status", Kind.INT, field_type="int", label="Health status"),
        FieldSpec("template_id", Kind.REF, ref="project_template", field_type="int",
                  label="Template"),
        FieldSpec("status_changed_at", Kind.DATETIME, readonly=True, field_type="date",
                  label="Status changed"),
        FieldSpec("is_archived", Kind.BOOL, default=False, nullable=False,
                  field_type="boolean", label="Archived"),
        FieldSpec("archived_at", Kind.DATETIME, readonly=True, field_type="date",
                  label="Archived"),
        *lifecycle(),
    ),
    rules=(_frozen, _placed, _dated, _status_time, _archive),
    indexes=(("is_archived", "phase_id", "id"),),
)

PROJECT_BOARD = EntitySpec(
    name="project_board",
    table="project_boards",
    fields=(
        *identity(),
        FieldSpec("name", Kind.TEXT, required=True, max_length=255, nullable=False,
                  label="Name"),
        FieldSpec("order_nr", Kind.INT, nullable=False, field_type="int", label="Order"),
        *lifecycle(),
    ),
    rules=(append_last("project_board"),),
)

PROJECT_PHASE = EntitySpec(
    name="project_phase",
    table="project_phases",
    fields=(
        *identity(),
        FieldSpec("board_id", Kind.REF, ref="project_board", required=True, nullable=False,
                  field_type="projects_board", label="Board"),
        FieldSpec("name", Kind.TEXT, required=True, max_length=255, nullable=False,
                  label="Name"),
        FieldSpec("order_nr", Kind.INT, nullable=False, field_type="int", label="Order"),
        *lifecycle(),
    ),
    rules=(append_last("project_phase", "board_id"),),
)

PROJECT_TEMPLATE = EntitySpec(
    name="project_template",
    table="project_templates",
    title_field="title",
    fields=(
        *identity(),
        FieldSpec("title", Kind.TEXT, required=True, max_length=255, nullable=False,
                  label="Title"),
        FieldSpec("description", Kind.TEXT, max_length=65535, field_type="text",
                  label="Description"),
        FieldSpec("board_id", Kind.REF, ref="project_board", required=True, nullable=False,
                  field_type="projects_board", label="Board"),
        owned(),
        *lifecycle(),
    ),
)


# ---- what a project (or a template) holds: groups, tasks, and the plan ----------------------

def _one_holder(values: dict[str, Any], before: Mapping[str, Any] | None,
                lookup: Lookup) -> None:
    """A group or task belongs to a project or a template (exactly one); a project's must
    not be archived."""
    project, template = _now(values, before, "project_id"), _now(values, before, "template_id")
    if (project is None) == (template is None):
        raise invalid("project_id", "give a project (or, for a template's, a template)",
                      Reason.REQUIRED)
    if before is not None and before.get("project_id") is not None:
        refuse_archived(lookup.fetch("project", before["project_id"]))
    if project is not None and (before is None or project != before.get("project_id")):
        refuse_archived(_live(lookup, "project", project, "project_id"))


def in_plan(project_field: str, phase_field: str, group_field: str,
            template_field: str | None = None) -> Rule:
    """A rule: a plan item's phase is one of its project's (or template's) board's phases,
    its group one of its project's (or template's) groups; an item moved to another project
    leaves its phase and group; an archived project's plan does not change."""
    fields = (project_field, phase_field, group_field, template_field)

    def check(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
        changed = [f for f in fields if f is not None and f in values
                   and (before is None or values[f] != before.get(f))]
        if not changed:
            return  # (a v1 client echoing the item's own values back)
        if before is not None and project_field in changed:
            values.setdefault(phase_field, None)
            values.setdefault(group_field, None)
        phase, group = _now(values, before, phase_field), _now(values, before, group_field)
        holder, holder_field = "project", project_field
        holder_id = _now(values, before, project_field)
        if holder_id is None and template_field is not None:
            holder, holder_field = "project_template", template_field
            holder_id = _now(values, before, template_field)
        if holder_id is None:
            if phase is not None or group is not None:
                raise invalid(phase_field if phase is not None else group_field,
                              "only an item of a project has a phase and a group")
            return
        found = _live(lookup, holder, holder_id, holder_field)
        refuse_archived(found)
        if phase is not None and _live(lookup, "project_phase", phase, phase_field
                                       )["board_id"] != found["board_id"]:
            raise invalid(phase_field, f"phase {phase} is not on the project's board")
        if group is not None and _live(lookup, "project_group", group, group_field
                                       ).get(holder_field if holder == "project"
                                             else "template_id") != holder_id:
            raise invalid(group_field, f"group {group} is not one of the project's groups")
    return check


def _parent(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    """A subtask's parent is a task of the same project (or template) that is no subtask
    itself; a task with subtasks does not become one."""
    parent_id = _now(values, before, "parent_task_id")
    if parent_id is None:
        return
    if before is not None and parent_id == before["id"]:
        raise invalid("parent_task_id", "a task cannot be its own parent")
    parent = _live(lookup, "task", parent_id, "parent_task_id")
    if parent.get("parent_task_id") is not None:
        raise invalid("parent_task_id", "the parent is a subtask itself")
    for holder in ("project_id", "template_id"):
        if parent.get(holder) != _now(values, before, holder):
            raise invalid("parent_task_id", "the parent belongs to another project")
    if before is not None and lookup.first("task", {"parent_task_id": before["id"]}, "id"):
        raise invalid("parent_task_id", "a task with subtasks cannot become a subtask")


def _task_done(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    done = values.get("is_done")
    if done is not None and (before is None or before["is_done"] != done):
        values["done_at"] = lookup.now() if done else None
    assignees = values.get("assignee_ids")
    if assignees is not None and len(assignees) > MAX_ASSIGNEES:
        raise invalid("assignee_ids", f"at most {MAX_ASSIGNEES} assignees")


PROJECT_GROUP = EntitySpec(
    name="project_group",
    table="project_groups",
    fields=(
        *identity(),
        FieldSpec("project_id", Kind.REF, ref="project", field_type="project", label="Project"),
        FieldSpec("template_id", Kind.REF, ref="project_template", field_type="int",
                  label="Template"),
        FieldSpec("name", Kind.TEXT, required=True, max_length=255, nullable=False,
                  label="Name"),
        FieldSpec("order_nr", Kind.INT, nullable=False, field_type="int", label="Order"),
        *lifecycle(),
    ),
    rules=(_one_holder, append_last("project_group", "project_id")),
)

TASK = EntitySpec(
    name="task",
    table="tasks",
    title_field="title",
    fields=(
        *identity(),
        FieldSpec("title", Kind.TEXT, required=True, max_length=255, nullable=False,
                  label="Title"),
        FieldSpec("description", Kind.TEXT, max_length=65535, field_type="text",
                  label="Description"),
        FieldSpec("project_id", Kind.REF, ref="project", field_type="project", label="Project"),
        FieldSpec("template_id", Kind.REF, ref="project_template", field_type="int",
                  label="Template"),
        FieldSpec("parent_task_id", Kind.REF, ref="task", field_type="int", label="Parent task"),
        id_list("assignee_ids", "user", "Assignees"),
        FieldSpec("is_done", Kind.BOOL, default=False, nullable=False, field_type="boolean",
                  label="Done"),
        FieldSpec("done_at", Kind.DATETIME, readonly=True, field_type="date",
                  label="Marked as done time"),
        FieldSpec("is_milestone", Kind.BOOL, default=False, nullable=False,
                  field_type="boolean", label="Milestone"),
        FieldSpec("start_date", Kind.DATE, field_type="date", label="Start date"),
        FieldSpec("due_date", Kind.DATE, field_type="date", label="Due date"),
        FieldSpec("priority", Kind.INT, field_type="int", label="Priority"),
        FieldSpec("creator_id", Kind.REF, ref="user", readonly=True, default=CURRENT_USER,
                  field_type="user", label="Creator"),
        # its place in the project's plan
        FieldSpec("phase_id", Kind.REF, ref="project_phase", field_type="projects_phase",
                  label="Phase"),
        FieldSpec("group_id", Kind.REF, ref="project_group", field_type="int", label="Group"),
        *lifecycle(),
    ),
    rules=(_one_holder, _parent, _task_done,
           in_plan("project_id", "phase_id", "group_id", "template_id")),
    indexes=(("project_id", "is_deleted", "id"),),
)

# An activity's link to a project and its place in the project's plan (activity fields).
ACTIVITY_PROJECT_FIELDS = (
    FieldSpec("project_id", Kind.REF, ref="project", field_type="int", label="Project"),
    FieldSpec("project_phase_id", Kind.REF, ref="project_phase", field_type="projects_phase",
              label="Project phase"),
    FieldSpec("project_group_id", Kind.REF, ref="project_group", field_type="int",
              label="Project group"),
)
ACTIVITY_IN_PLAN = in_plan("project_id", "project_phase_id", "project_group_id")
