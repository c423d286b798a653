"""The lists: ``/deals``, ``/persons``, ``/organizations``, ``/activities``.

Sorted by a column (only the columns a list offers), keyset-paged with the service's
opaque cursors (``Cursor`` pages, as the v2 lists), searched with the service's full-text
search (``unit.search``, as ``/v1/itemSearch`` and ``/api/v2/deals/search``; activities,
which the index does not hold, by their subject), narrowed by a few filters (owner,
stage, pipeline, organization, person; activities due today or overdue, done or not).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..domain.entities.deal import STATUSES as DEAL_STATUSES
from ..domain.errors import Reason, ValidationError, invalid
from ..domain.types import parse_int
from ..query.ast import Cond, Cursor, Filter, Keyset, Query, Sort, all_of, any_of
from ..service import Hit, Unit, decode_cursor, encode_cursor
from .base import Visitor, Web, param_id
from .fields import PATHS, Link, Names, choice_labels, plain_text

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_TERM = 200
MAX_HITS = 500  # search results a sorted list orders (the best ones)
DONE = 4
_RESULT = (Sort("result"),)  # the sort a search page's cursor is made for (its position)


@dataclass(frozen=True)
class Column:
    field: str
    label: str
    sortable: bool = False
    optional: bool = False  # left out on a narrow screen
    link: bool = False  # the record's own link


@dataclass(frozen=True)
class Listing:
    entity: str
    title: str
    columns: tuple[Column, ...]
    default_sort: Sort
    filters: tuple[str, ...]  # reference filters: owner, stage, pipeline, organization, person
    searched: bool = True  # by the full-text index (else: subject contains)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.field == name and c.sortable), None)


REF_FILTERS = {"owner": "owner_id", "stage": "stage_id", "pipeline": "pipeline_id",
               "organization": "organization_id", "person": "person_id", "deal": "deal_id"}
LISTINGS = {
    "deals": Listing("deal", "Deals", (
        Column("title", "Title", True, link=True), Column("value", "Value", True),
        Column("organization_id", "Organization"), Column("person_id", "Person", optional=True),
        Column("stage_id", "Stage", optional=True), Column("status", "Status", True),
        Column("owner_id", "Owner", optional=True),
        Column("expected_close_date", "Expected close", True, optional=True),
        Column("updated_at", "Updated", True, optional=True)),
        Sort("updated_at", True), ("owner", "stage", "pipeline", "organization", "person")),
    "persons": Listing("person", "People", (
        Column("name", "Name", True, link=True), Column("organization_id", "Organization"),
        Column("emails", "Email", optional=True), Column("phones", "Phone", optional=True),
        Column("owner_id", "Owner", optional=True),
        Column("updated_at", "Updated", True, optional=True)),
        Sort("updated_at", True), ("owner", "organization")),
    "organizations": Listing("organization", "Organizations", (
        Column("name", "Name", True, link=True), Column("address", "Address", optional=True),
        Column("people_count", "People", True), Column("owner_id", "Owner", optional=True),
        Column("updated_at", "Updated", True, optional=True)),
        Sort("updated_at", True), ("owner",)),
    "activities": Listing("activity", "Activities", (
        Column("subject", "Subject", True, link=True), Column("type", "Type", True),
        Column("due_date", "Due", True), Column("deal_id", "Deal", optional=True),
        Column("person_id", "Person", optional=True),
        Column("organization_id", "Organization", optional=True),
        Column("owner_id", "Assigned to", optional=True)),
        Sort("due_date"), ("owner", "deal", "person", "organization"), searched=False),
}
DUE = ("all", "today", "overdue")
DONE_CHOICES = ("0", "1", "all")
STATUSES = ("all", *DEAL_STATUSES)


def _bad(name: str, message: str) -> ValidationError:
    return invalid(name, message, Reason.BAD_PARAMETER)


def _one_of(q: Mapping[str, str], name: str, allowed: Sequence[str], default: str) -> str:
    value = q.get(name) or default
    if value not in allowed:
        raise _bad(name, f"must be one of {', '.join(allowed)}")
    return value


def _limit(q: Mapping[str, str]) -> int:
    raw = q.get("limit")
    if not raw:
        return DEFAULT_LIMIT
    found = parse_int(raw, 1, MAX_LIMIT)
    if found is None:
        raise _bad("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return found


@dataclass
class Row:
    id: int
    href: str
    cells: list[tuple[list[Link], str, bool]]  # (links or text, class, optional)
    done: bool = False
    overdue: bool = False


class Lists:
    def __init__(self, web: Web) -> None:
        self.web = web

    def routes(self) -> list[BaseRoute]:
        return [Route(f"/{path}", self.web.page(self._page(path)), methods=["GET"],
                      name=f"list-{path}") for path in LISTINGS]

    def _page(self, path: str) -> Any:
        listing = LISTINGS[path]

        async def handler(request: Request, visitor: Visitor) -> Response:
            q = dict(request.query_params)
            try:
                values = await self.web.read(visitor, lambda unit: self.listed(unit, listing, q),
                                             long=True)  # (a sort may not have an index)
            except ValidationError as exc:
                problem = exc.problems[0] if exc.problems else None
                return self.web.render(request, visitor, "list.html", 400,
                                       **self.empty(listing, path, q), error=exc.message,
                                       error_field=problem.field if problem else "")
            return self.web.render(request, visitor, "list.html", path=path, error="",
                                   error_field="", **values)
        handler.__name__ = f"list_{path}"
        return handler

    def empty(self, listing: Listing, path: str, q: Mapping[str, str]) -> dict[str, Any]:
        return {"path": path, "listing": listing, "rows": [], "sort": listing.default_sort,
                "next": None, "term": str(q.get("q") or "")[:MAX_TERM], "filters": {},
                "due": "all", "done": "0", "deal_status": "all", "by_relevance": False,
                "first": False, "DUE": DUE, "STATUSES": STATUSES, "limit": DEFAULT_LIMIT}

    # ---- the work --------------------------------------------------------------------

    def listed(self, unit: Unit, listing: Listing, q: Mapping[str, str]) -> dict[str, Any]:
        entity = listing.entity
        limit = _limit(q)
        sort = self._sort(listing, q)
        filters: dict[str, int] = {}
        parts: list[Filter | None] = [Cond("is_deleted", "eq", False)]
        for name in listing.filters:
            found = param_id(q.get(name), name, f"{name} must be a record id")
            if found is None:
                continue
            filters[name] = found
            parts.append(Cond(REF_FILTERS[name], "eq", found))
        status, due, done = "all", "all", "0"
        if entity == "deal":
            status = _one_of(q, "status", STATUSES, "all")
            if status != "all":
                parts.append(Cond("status", "eq", status))
        if entity == "activity":
            due = _one_of(q, "due", DUE, "all")
            done = _one_of(q, "done", DONE_CHOICES, "0")
            parts.append(self._due(unit, due, done))
        term = q.get("q") or ""
        if len(term) > MAX_TERM:
            raise _bad("q", f"must be at most {MAX_TERM} characters")
        where = all_of(*parts)
        by_relevance = False
        cursor = q.get("cursor") or None
        if term.strip() and listing.searched:
            hits = unit.search([entity], term, where=where)
            if not q.get("sort"):  # best first, a page at a time
                by_relevance = True
                start = 0
                if cursor:
                    (start,) = decode_cursor(cursor, _RESULT)
                    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
                        raise _bad("cursor", "is not a cursor of this list")
                shown: Sequence[Hit] = hits[start:start + limit]
                records = unit.get_many(entity, [h.id for h in shown])
                items = [records[h.id] for h in shown if h.id in records]
                following = (encode_cursor(_RESULT, (start + limit,))
                             if len(hits) > start + limit else None)
            else:
                where = all_of(where, Cond("id", "in", [h.id for h in hits[:MAX_HITS]] or [0]))
        elif term.strip():
            where = all_of(where, Cond("subject", "contains", term.strip()))
        if not by_relevance:
            page = unit.list(entity, Query(where=where, sort=(sort,),
                                           page=Cursor(cursor, limit)))
            items, following = page.items, page.next_cursor
        names = Names(unit)
        for record in items:
            for column in listing.columns:
                f = unit.schema.entity(entity).by_name.get(column.field)
                if f is not None and f.ref is not None:
                    names.want(f.ref, [record.get(column.field)])
        names.load()
        types: dict[str, str] = {}
        if entity == "activity" and items:
            types = {str(t["key"]): str(t["name"]) for t in unit.list("activity_type", Query(
                sort=(Sort("order_nr"),), page=Keyset(None, 500))).items}
        rows = [self._row(unit, listing, record, names, types) for record in items]
        return {"listing": listing, "rows": rows, "sort": sort, "next": following,
                "term": term, "filters": filters, "due": due, "done": done, "deal_status": status,
                "by_relevance": by_relevance, "first": bool(cursor), "DUE": DUE,
                "STATUSES": STATUSES, "limit": limit}

    def _sort(self, listing: Listing, q: Mapping[str, str]) -> Sort:
        name = q.get("sort")
        direction = _one_of(q, "dir", ("asc", "desc"), "asc") if q.get("dir") else ""
        if not name:
            if direction:
                return Sort(listing.default_sort.field, direction == "desc")
            return listing.default_sort
        if listing.column(name) is None:
            sortable = ", ".join(c.field for c in listing.columns if c.sortable)
            raise invalid("sort", f"cannot sort by '{name[:80]}' (one of: {sortable})",
                          Reason.BAD_SORT)
        return Sort(name, direction == "desc")

    def _due(self, unit: Unit, due: str, done: str) -> Filter | None:
        now = unit.now()
        today = now.date()
        state: Filter | None = None
        if done == "0" or due == "overdue":
            state = Cond("status", "ne", DONE)
        elif done == "1":
            state = Cond("status", "eq", DONE)
        if due == "today":
            return all_of(state, Cond("due_date", "eq", today))
        if due == "overdue":
            clock = now.time().replace(microsecond=0).isoformat()
            return all_of(state, any_of(
                Cond("due_date", "lt", today),
                all_of(Cond("due_date", "eq", today), Cond("due_time", "lt", clock))))
        return state

    def _row(self, unit: Unit, listing: Listing, record: Mapping[str, Any], names: Names,
             types: Mapping[str, str]) -> Row:
        entity = listing.entity
        now = unit.now()
        today, clock = now.date(), now.time().isoformat()
        spec = unit.schema.entity(entity)
        href = f"/{PATHS[entity]}/{record['id']}"
        cells: list[tuple[list[Link], str, bool]] = []
        for column in listing.columns:
            value = record.get(column.field)
            f = spec.by_name.get(column.field)
            links: list[Link]
            if column.link:
                links = [Link(plain_text(value) or f"#{record['id']}", href)]
            elif f is not None and f.ref is not None and value is not None:
                links = [names.link(f.ref, value)]
            elif column.field == "value" and value is not None:
                links = [Link(f"{plain_text(float(value))} {record.get('currency') or ''}".strip())]
            elif column.field == "type":
                links = [Link(types.get(str(value), str(value or "")))]
            elif column.field == "due_date":
                text = plain_text(value)
                if record.get("due_time"):
                    text += f" {str(record['due_time'])[:5]}"
                links = [Link(text)]
            elif f is not None and f.choices and value is not None:
                links = [Link(choice_labels(entity, f).get(value, str(value)))]
            elif isinstance(value, dt.datetime):
                links = [Link(value.strftime("%Y-%m-%d %H:%M"))]
            else:
                links = [Link(plain_text(value))] if value not in (None, "", []) else []
            cells.append((links, column.field, column.optional))
        row = Row(int(record["id"]), href, cells)
        if entity == "activity":
            row.done = record.get("status") == DONE
            due = record.get("due_date")
            row.overdue = not row.done and isinstance(due, dt.date) and (
                due < today or (due == today and bool(record.get("due_time"))
                                and str(record["due_time"]) < clock))
        return row


def routes(web: Web) -> list[BaseRoute]:
    return Lists(web).routes()


__all__ = ["LISTINGS", "Lists", "routes"]
