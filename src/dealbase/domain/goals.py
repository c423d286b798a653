"""A goal's progress over a period, from the deals, their stage moves and the activities
(Pipedrive's ``GET /goals/{id}/results``). The goal itself: ``entities.goal``.

Pure functions: the caller reads the records (``Deal``, ``Activity``) and the deals' stage
moves from the change log (``Move``, as in ``domain.statistics``). The period is the whole
UTC days ``first``..``last``, that is ``[start, end)``. What counts, per goal type:

- *deals won*: deals won during the period (and still won);
- *deals started*: deals added during the period;
- *deals progressed*: deals moved into the goal's stage during the period (from another
  stage: a deal added straight into the stage has not progressed), each deal once;
- *revenue forecast*: the deals won during the period at their whole value, and the open
  deals expected to close during it at their value times their probability (the deal's,
  else its stage's);
- *activities added* / *completed*: activities added, or marked done, during the period
  (of the goal's activity types; null: any type).

Deals count when their owner is an assignee (the user; the team's members; anyone for a
company goal) and, but for deals progressed (whose stage names the pipeline), when they
sit in one of the goal's pipelines (null: any). ``quantity`` counts them; ``sum`` adds
their values in the goal's currency, a deal in another currency converted at the company's
exchange rate (``currencies.rate``: never a guess through a third currency); a deal whose
currency has no rate adds nothing, and the result names its currency. Progress is a whole
number, rounded half up.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .currencies import Rates, rate
from .errors import Reason, invalid
from .statistics import Move


@dataclass(frozen=True)
class Target:
    """What a goal's results depend on."""

    kind: str  # the goal type (entities.goal.GOAL_TYPES)
    metric: str = "quantity"  # or "sum"
    currency: str | None = None
    pipelines: frozenset[int] | None = None  # None: every pipeline
    stage_id: int | None = None
    activity_types: frozenset[str] | None = None  # activity type keys; None: any
    owners: frozenset[int] | None = None  # None: anyone's (a company goal)
    rates: Rates = field(default_factory=dict)  # the company's exchange rates (sum goals)


@dataclass
class Progress:
    """How far a goal got, and the currencies of counted deals that had no rate to the
    goal's (left out of a sum)."""

    value: float = 0.0
    without_rate: set[str] = field(default_factory=set)

    def add(self, target: Target, deal: Deal, share: float = 1.0) -> None:
        if target.metric == "quantity":
            self.value += 1.0
            return
        factor = rate(target.rates, deal.currency, target.currency or deal.currency)
        if factor is None:
            self.without_rate.add(deal.currency)
        else:
            self.value += deal.value * share * factor

    @property
    def whole(self) -> int:
        return math.floor(self.value + 0.5)


@dataclass(frozen=True)
class Deal:
    id: int
    owner_id: int
    pipeline_id: int | None
    status: str
    value: float
    currency: str
    added: dt.datetime
    won_at: dt.datetime | None = None
    expected_close_date: dt.date | None = None
    probability: int = 100  # the deal's, else its stage's


@dataclass(frozen=True)
class Activity:
    id: int
    owner_id: int
    type: str
    added: dt.datetime
    done_at: dt.datetime | None = None


def period(first: dt.date, last: dt.date, start: dt.date, end: dt.date | None
           ) -> tuple[dt.datetime, dt.datetime]:
    """The period ``first``..``last`` of a goal lasting ``start``..``end`` (None: open-ended)
    as ``[start, end)`` date-times; refused unless it lies within the goal's duration."""
    if last < first:
        raise invalid("period.end", "must not be before period.start", Reason.BAD_PARAMETER,
                      text="period.end must not be before period.start")
    if first < start:
        raise invalid("period.start", "must not be before the goal's start",
                      Reason.BAD_PARAMETER,
                      text="period.start must be the same as or after the goal's start")
    if (end is not None and last > end) or last == dt.date.max:
        raise invalid("period.end", "must not be after the goal's end", Reason.BAD_PARAMETER,
                      text="period.end must be the same as or before the goal's end")
    return (dt.datetime.combine(first, dt.time()),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time()))


def company_assignee(assignee_type: Any, assignee_id: Any, company_id: int) -> None:
    """A goal assigned to a company is assigned to the caller's own company."""
    if assignee_type == "company" and assignee_id != company_id:
        raise invalid("assignee_id", f"company {assignee_id} not found", Reason.MISSING_RELATED)


def same_ids(stored: Sequence[int] | None, wanted: Iterable[int] | None) -> bool:
    """Whether a goal's list of ids (None: all) is ``wanted``, in any order."""
    if stored is None or wanted is None:
        return stored is None and wanted is None
    return set(stored) == set(wanted)


def _within(at: dt.datetime | None, start: dt.datetime, end: dt.datetime) -> bool:
    return at is not None and start <= at < end


def _as_int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _owned(target: Target, owner_id: int) -> bool:
    return target.owners is None or owner_id in target.owners


def _deals(target: Target, deals: Iterable[Deal], moves: Iterable[Move],
           start: dt.datetime, end: dt.datetime) -> Progress:
    total = Progress()
    if target.kind == "deals_progressed":
        moved = {deal_id for deal_id, at, old, new in moves
                 if start <= at < end and _as_int(new) == target.stage_id
                 and old is not None and _as_int(old) != target.stage_id}
        for deal in deals:
            if deal.id in moved and _owned(target, deal.owner_id):
                total.add(target, deal)
        return total
    for deal in deals:
        if not _owned(target, deal.owner_id) or (
                target.pipelines is not None and deal.pipeline_id not in target.pipelines):
            continue
        won = deal.status == "won" and _within(deal.won_at, start, end)
        counted = {"deals_won": won, "deals_started": _within(deal.added, start, end),
                   "revenue_forecast": won}[target.kind]
        expected = deal.expected_close_date
        if counted:
            total.add(target, deal)
        elif target.kind == "revenue_forecast" and deal.status == "open" \
                and expected is not None and start.date() <= expected < end.date():
            total.add(target, deal, deal.probability / 100)
    return total


def _activities(target: Target, activities: Iterable[Activity], start: dt.datetime,
                end: dt.datetime) -> Progress:
    return Progress(float(sum(
        1 for a in activities
        if _owned(target, a.owner_id)
        and (target.activity_types is None or a.type in target.activity_types)
        and _within(a.added if target.kind == "activities_added" else a.done_at, start, end))))


def progress(target: Target, start: dt.datetime, end: dt.datetime, *,
             deals: Iterable[Deal] = (), moves: Iterable[Move] = (),
             activities: Iterable[Activity] = ()) -> Progress:
    """The goal's progress during ``[start, end)``: how many, or how much (see above)."""
    if target.kind.startswith("activities_"):
        return _activities(target, activities, start, end)
    return _deals(target, deals, moves, start, end)


__all__ = ["Activity", "Deal", "Move", "Progress", "Target", "company_assignee", "period", "progress",
           "same_ids"]
