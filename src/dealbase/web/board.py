"""The pipeline board (``/board``): a pipeline's stages as columns of deal cards.

* ``GET /board?pipeline=&owner=&status=&filter=``: one column per stage of the pipeline
  (by default the first one the user sees), the first ``PAGE`` cards of each (latest
  update first, read by keyset), and each column's totals: count, value and weighted
  value per currency, from one aggregate statement over the pipeline (never by loading
  deals). ``owner``: a user id ('' for everyone); ``status``: open (default), won, lost
  or all; ``filter``: a saved deal filter (when the app is given a way to apply one).
* ``GET /board/column/{stage_id}?after=<cursor>&…``: the next cards of one column, an
  HTML fragment (``X-Fragment``) ending with the control that loads the ones after.
* ``POST /deals/{id}/move`` ``{"stage_id": n}`` (with the page's filters): the deal
  moves through the records service (which sets its pipeline and stage change time and
  writes the change log); the answer is the card again and both columns' new totals.

What the user sees is the service's call: a pipeline they may not see answers 404 as a
missing one, and its deals, stages and totals are never counted for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..domain.entities.activity import start_of
from ..domain.entities.deal import STATUSES as DEAL_STATUSES
from ..domain.entities.deal import rotten_since, weighted_value
from ..domain.errors import NotFound, Reason, ValidationError, invalid
from ..query.ast import Cond, Cursor, Filter, Keyset, Query, Sort, all_of
from ..service import Unit, live
from .base import HEADERS, Visitor, Web, form_of, param_id, path_id

PAGE = 25  # cards a column shows at first, and loads at a time after
STATUSES = (*DEAL_STATUSES, "all")  # (a deal's, or every one)
MAX_PIPELINES = 500  # pipelines (and stages of one) the board lists
MAX_USERS = 2000  # users the owner picker lists
MAX_FILTERS = 500  # saved filters the filter picker lists
CARD_FIELDS = ("title", "value", "currency", "organization_id", "person_id", "owner_id",
               "next_activity_id", "stage_id", "pipeline_id", "status", "probability",
               "updated_at", "stage_changed_at", "created_at")
# Latest update first, in the deals' board index (stage, status, deleted, update time,
# id); deals of every status: newest first, in the index of a stage's deals (stage, id).
# Either way a page is read in index order, the same cost at any depth of any stage.
ORDER = (Sort("updated_at", descending=True), Sort("id", descending=True))
ORDER_ALL = (Sort("id", descending=True),)
NOT_ARCHIVED = Cond("is_archived", "eq", False)

# What a saved filter keeps of an entity's records: (unit, entity, filter id from the
# wire) -> a filter (None: everything). The dialect that owns the filters' conditions
# compiles them; the composition root hands its function to the board.
SavedFilter = Callable[[Unit, str, Any], Filter | None]


def _bad(field_name: str, message: str) -> ValidationError:
    return invalid(field_name, message, Reason.BAD_PARAMETER, text=message)


@dataclass(frozen=True)
class Filters:
    """The board's narrowing, from the query string (or a move's body)."""

    owner: int | None = None
    status: str = "open"
    saved: int | None = None

    @staticmethod
    def of(values: Mapping[str, str]) -> Filters:
        status = (values.get("status") or "open").strip()
        if status not in STATUSES:
            raise _bad("status", "status must be one of " + ", ".join(STATUSES))
        return Filters(param_id(values.get("owner"), "owner"), status,
                       param_id(values.get("filter"), "filter"))

    def params(self) -> dict[str, str]:
        """As query parameters (for the column links)."""
        return {"owner": "" if self.owner is None else str(self.owner), "status": self.status,
                "filter": "" if self.saved is None else str(self.saved)}


@dataclass
class Totals:
    """A column's count, and value and weighted value per currency."""

    count: int = 0
    money: dict[str, list[float]] = field(default_factory=dict)  # currency -> [value, weighted]
    weighs: bool = False  # whether the pipeline weighs deals by probability (shown then)

    def add(self, currency: str, count: int, value: float, weight: float) -> None:
        self.count += count
        sums = self.money.setdefault(currency, [0.0, 0.0])
        sums[0] += value
        sums[1] += weight

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count,
                "values": {c: round(v, 2) for c, (v, _) in sorted(self.money.items())},
                "weighted": {c: round(w, 2) for c, (_, w) in sorted(self.money.items())}}


@dataclass(frozen=True)
class Card:
    deal: dict[str, Any]
    party: str  # the organization's name, else the person's
    owner: str
    next_date: dt.date | None
    next_time: str | None
    overdue: bool
    rotten_since: dt.datetime | None  # when it began to rot (None: not rotting)


class Board:
    def __init__(self, web: Web, saved_filter: SavedFilter | None = None) -> None:
        self.web, self.saved_filter = web, saved_filter

    # ---- reading -----------------------------------------------------------------------

    def _where(self, unit: Unit, filters: Filters) -> Filter | None:
        """The deals the filters keep (live, not archived)."""
        saved = None
        if filters.saved is not None:
            if self.saved_filter is None:
                raise _bad("filter", "Saved filters cannot be applied here")
            saved = self.saved_filter(unit, "deal", str(filters.saved))
        return live(all_of(
            NOT_ARCHIVED,
            None if filters.status == "all" else Cond("status", "eq", filters.status),
            None if filters.owner is None else Cond("owner_id", "eq", filters.owner),
            saved))

    def totals(self, unit: Unit, where: Filter | None, stages: Sequence[Mapping[str, Any]],
               pipelines: Mapping[int, Mapping[str, Any]]) -> dict[int, Totals]:
        """Each stage's totals over the deals meeting ``where``: one aggregate statement
        (``pipelines``: the stages' pipelines, by id)."""
        by_id = {int(s["id"]): s for s in stages}
        pipeline_of = {i: pipelines.get(s["pipeline_id"]) for i, s in by_id.items()}
        out = {i: Totals(weighs=bool(p and p["is_deal_probability_enabled"]))
               for i, p in pipeline_of.items()}
        if not out:
            return out
        groups = unit.sum_by("deal", all_of(where, Cond("stage_id", "in", sorted(out))),
                             ("stage_id", "currency", "probability"), ("value",))
        for g in groups:
            stage_id = g.values["stage_id"]
            value = g.sums["value"]
            out[stage_id].add(str(g.values["currency"]), g.count, value,
                              weighted_value(value, g.values.get("probability"), by_id.get(stage_id),
                                       pipeline_of.get(stage_id)))
        return out

    def cards(self, unit: Unit, deals: Sequence[dict[str, Any]],
              stages: Mapping[int, Mapping[str, Any]]) -> list[Card]:
        """The deals as cards: names of their organizations, persons and owners, their next
        activities (four reads by id, whatever the number of cards)."""
        if not deals:
            return []
        orgs = unit.get_many("organization", {d["organization_id"] for d in deals
                                              if d.get("organization_id")}, ("name",))
        persons = unit.get_many("person", {d["person_id"] for d in deals
                                           if d.get("person_id") and not d.get("organization_id")},
                                ("name",))
        users = unit.get_many("user", {d["owner_id"] for d in deals if d.get("owner_id")},
                              ("name",))
        nexts = unit.get_many("activity", {d["next_activity_id"] for d in deals
                                           if d.get("next_activity_id")},
                              ("due_date", "due_time"))
        now = unit.now()
        out = []
        for d in deals:
            org = orgs.get(d.get("organization_id") or 0)
            person = persons.get(d.get("person_id") or 0)
            owner = users.get(d.get("owner_id") or 0)
            activity = nexts.get(d.get("next_activity_id") or 0)
            day, clock, overdue = None, None, False
            if activity is not None and activity.get("due_date") is not None:
                day, clock = activity["due_date"], activity.get("due_time") or None
                start = start_of(activity)
                overdue = (start is not None and start < now) if clock else day < now.date()
            out.append(Card(d, str((org or person or {}).get("name") or ""),
                            str((owner or {}).get("name") or ""), day, clock, overdue,
                            rotten_since(d, stages.get(d["stage_id"]), now)))
        return out

    def page(self, unit: Unit, stage_id: int, where: Filter | None, filters: Filters,
             after: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """A page of a column's deals (keyset: the same cost at any depth) and the cursor
        of the next one (None: the column ends)."""
        page = unit.list("deal", Query(where=all_of(Cond("stage_id", "eq", stage_id), where),
                                       sort=ORDER_ALL if filters.status == "all" else ORDER,
                                       page=Cursor(after, PAGE), fields=CARD_FIELDS))
        return page.items, page.next_cursor

    def _pipelines(self, unit: Unit) -> list[dict[str, Any]]:
        return unit.list("pipeline", Query(where=live(), sort=(Sort("order_nr"),),
                                           page=Keyset(None, MAX_PIPELINES),
                                           fields=("name", "order_nr",
                                                   "is_deal_probability_enabled"))).items

    def _stages(self, unit: Unit, pipeline_id: int) -> list[dict[str, Any]]:
        return unit.list("stage", Query(
            where=live(Cond("pipeline_id", "eq", pipeline_id)), sort=(Sort("order_nr"),),
            page=Keyset(None, MAX_PIPELINES))).items

    # ---- the pages ---------------------------------------------------------------------

    async def show(self, request: Request, visitor: Visitor) -> Response:
        q = request.query_params
        wanted = param_id(q.get("pipeline"), "pipeline")
        filters = Filters.of(q)

        def work(unit: Unit) -> dict[str, Any]:
            pipelines = self._pipelines(unit)  # (those the user sees)
            pipeline = next((p for p in pipelines if wanted in (None, p["id"])), None)
            if pipeline is None and wanted is not None:
                raise NotFound("Pipeline not found")
            users = unit.list("user", Query(where=live(), sort=(Sort("name"),),
                                            page=Keyset(None, MAX_USERS),
                                            fields=("name", "is_active"))).items
            saved = [] if self.saved_filter is None else unit.list("filter", Query(
                where=live(Cond("type", "eq", "deals")), sort=(Sort("name"),),
                page=Keyset(None, MAX_FILTERS), fields=("name",))).items
            columns: list[dict[str, Any]] = []
            if pipeline is not None:
                stages = self._stages(unit, int(pipeline["id"]))
                by_id = {int(s["id"]): s for s in stages}
                where = self._where(unit, filters)
                pages = [self.page(unit, int(s["id"]), where, filters, None) for s in stages]
                cards = iter(self.cards(unit, [d for deals, _ in pages for d in deals], by_id))
                for stage, (deals, after) in zip(stages, pages, strict=True):
                    columns.append({"stage": stage, "cards": [next(cards) for _ in deals],
                                    "after": after})
            return {"pipelines": pipelines, "pipeline": pipeline, "columns": columns,
                    "users": users, "saved_filters": saved}

        # (an owner or a saved filter reads rows the board's index does not hold)
        found = await self.web.read(visitor, work, long=filters != Filters())
        return self.web.render(request, visitor, "board.html", filters=filters, statuses=STATUSES,
                               params=filters.params(), **found)

    async def more(self, request: Request, visitor: Visitor) -> Response:
        stage_id = path_id(request, "stage_id")
        q = request.query_params
        filters = Filters.of(q)
        after = q.get("after") or None

        def work(unit: Unit) -> tuple[dict[str, Any], list[Card], str | None]:
            stage = unit.get("stage", stage_id)  # (of a hidden pipeline: NotFound)
            if stage["is_deleted"]:
                raise NotFound("Stage not found")
            deals, following = self.page(unit, stage_id, self._where(unit, filters), filters,
                                         after)
            return stage, self.cards(unit, deals, {stage_id: stage}), following

        stage, cards, following = await self.web.read(visitor, work, long=filters != Filters())
        return self.web.html("board_cards.html", {"stage": stage, "cards": cards,
                                                  "after": following,
                                                  "params": filters.params()})

    async def move(self, request: Request, visitor: Visitor) -> Response:
        deal_id = path_id(request, "deal_id")
        body = await form_of(request)
        stage_id = param_id(body.get("stage_id"), "stage_id")
        if stage_id is None:
            raise _bad("stage_id", "stage_id is required")
        filters = Filters.of(body)

        def write(unit: Unit) -> int:
            self._where(unit, filters)  # (a bad saved filter refuses the move: nothing moves)
            before = unit.get("deal", deal_id)  # (hidden or another company's: NotFound)
            if before["is_deleted"]:
                raise NotFound("Deal not found")
            unit.update("deal", deal_id, {"stage_id": stage_id})
            return int(before["stage_id"])

        came_from = await self.web.write(visitor, write)

        def read(unit: Unit) -> Card:
            deal = unit.get("deal", deal_id)
            return self.cards(unit, [deal], unit.get_many("stage", {stage_id}))[0]

        card = await self.web.read(visitor, read)
        card_html = self.web.env.get_template("board_card.html").render(card=card)
        # (the two columns' totals: the page asks /board/totals for them afresh)
        return JSONResponse({"card": card_html, "stage_id": stage_id, "from_stage_id": came_from},
                            headers=HEADERS)

    async def column_totals(self, request: Request, visitor: Visitor) -> Response:
        """``GET /board/totals?pipeline=&owner=&status=&filter=[&stage=…]``: the columns'
        totals (count, value and weighted value per currency; ``html``: as the column
        header shows them), of the pipeline's stages or of the ``stage`` ids given. The
        board paints its cards first and asks for these after (and again after a move): an
        aggregate over a big pipeline's deals takes longer than a page of cards, and runs in
        the thread pool."""
        q = request.query_params
        wanted = param_id(q.get("pipeline"), "pipeline")
        if wanted is None:
            raise _bad("pipeline", "pipeline is required")
        filters = Filters.of(q)
        only = {param_id(v, "stage") for v in q.getlist("stage")[:MAX_PIPELINES]}

        def work(unit: Unit) -> dict[int, Totals]:
            pipeline = unit.get("pipeline", wanted)  # (hidden or missing: NotFound)
            if pipeline["is_deleted"]:
                raise NotFound("Pipeline not found")
            stages = [s for s in self._stages(unit, wanted) if not only or s["id"] in only]
            return self.totals(unit, self._where(unit, filters), stages, {wanted: pipeline})

        found = await self.web.read(visitor, work, long=True)
        template = self.web.env.get_template("board_totals.html")
        return JSONResponse({str(sid): {**totals.as_json(), "html": template.render(totals=totals)}
                             for sid, totals in found.items()}, headers=HEADERS)

    def routes(self) -> list[BaseRoute]:
        web = self.web
        return [Route("/board", web.page(self.show), methods=["GET"]),
                Route("/board/column/{stage_id}", web.page(self.more), methods=["GET"]),
                Route("/board/totals", web.page(self.column_totals), methods=["GET"]),
                Route("/deals/{deal_id}/move", web.action(self.move), methods=["POST"])]




def routes(web: Web, saved_filter: SavedFilter | None = None) -> list[BaseRoute]:
    return Board(web, saved_filter).routes()


__all__ = ["PAGE", "Board", "Filters", "SavedFilter", "Totals", "routes"]

