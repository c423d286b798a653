"""``dealbase template add|list``: a company's project templates (the Pipedrive API lists
and reads templates but has no operation that makes one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .accounts import (
    company_context,
    company_option,
    database_option,
    emit,
    failures,
    json_option,
    open_service,
)

COLUMNS = ("id", "title", "board_id", "groups", "tasks")


@click.group()
def template() -> None:
    """Manage project templates (a board, groups and tasks that new projects copy)."""


@template.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--board", "board_id", type=int, default=None,
              help="The board's id (default: the company's first board).")
@company_option
@json_option
@database_option
def template_add(file: Path, board_id: int | None, company_ref: str | None, as_json: bool,
                 database_url: str | None) -> None:
    """Add a template from a JSON FILE: {"title", "description"?, "groups": [names],
    "tasks": [{"title", "description"?, "group"?, "milestone"?, "subtasks"?: [tasks]}]}."""
    from ..query.ast import Cond, Keyset, Query, Sort
    from ..service import create_template

    try:
        body: Any = json.loads(file.read_text())
    except (ValueError, OSError) as exc:
        raise click.ClickException(f"{file}: not a JSON file ({exc})") from None
    if not isinstance(body, dict) or set(body) - {"title", "description", "groups", "tasks"} \
            or not isinstance(body.get("groups", []), list) \
            or not isinstance(body.get("tasks", []), list):
        raise click.ClickException(f"{file}: a template is an object of title, description, "
                                   "groups (a list) and tasks (a list)")
    service = open_service(database_url)
    ctx = company_context(service, company_ref)
    with failures(), service.unit(ctx, write=True) as unit:
        if board_id is None:
            boards = unit.list("project_board", Query(
                where=Cond("is_deleted", "eq", False), sort=(Sort("order_nr"), Sort("id")),
                page=Keyset(None, 1)))
            if not boards.items:
                raise click.ClickException("the company has no project board")
            board_id = int(boards.items[0]["id"])
        made = create_template(unit, body.get("title"), board_id, body.get("description"),
                               body.get("groups", []), body.get("tasks", []))
        row = _row(unit, made)
    emit(as_json, "Template added", COLUMNS, [row])


@template.command("list")
@company_option
@json_option
@database_option
def template_list(company_ref: str | None, as_json: bool, database_url: str | None) -> None:
    """List the company's project templates."""
    from ..query.ast import Cond, Keyset, Query, Sort

    service = open_service(database_url)
    ctx = company_context(service, company_ref)
    with service.unit(ctx) as unit:
        found = unit.list("project_template", Query(
            where=Cond("is_deleted", "eq", False), sort=(Sort("id"),), page=Keyset(None, 1000)))
        rows = [_row(unit, t) for t in found.items]
    emit(as_json, "Project templates", COLUMNS, rows)


def _row(unit: Any, made: dict[str, Any]) -> tuple[Any, ...]:
    from ..query.ast import Cond, all_of

    def count(entity: str) -> int:
        return int(unit.count(entity, all_of(Cond("template_id", "eq", made["id"]),
                                             Cond("is_deleted", "eq", False))))
    return (made["id"], made["title"], made["board_id"], count("project_group"), count("task"))


def register(main: click.Group) -> None:
    main.add_command(template)
