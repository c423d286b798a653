"""A pipeline's statistics over a period, from its deals and their stage history (seed 002:
``/pipelines/{id}/conversion_statistics`` and ``/movement_statistics``).

Pure functions: the caller reads the deals (``Deal``) and their stage moves from the
change log (``Move``: a deal's creation is its first move, from no stage). The period is
``[start, end)`` in naive UTC. What each figure means, where Pipedrive does not say:

- *new deals*: added during the period; *won* and *lost deals*: won or lost during it
  (and still so);
- *deals left open*: added before the period ended and open when it ended (open now, or
  closed only after it);
- *movements between stages*: the stage changes made during the period;
- *average age in days*: of the deals left open, the days from their addition to the end
  of the period (across all stages), and per stage the days since they entered the stage
  they were in when the period ended;
- *conversion*: among the deals active during the period (added before it ended, not
  closed before it began), the share of those that reached a stage (or a later one) that
  also reached the next; *won* and *lost conversion*: the share of them won or lost
  during the period. Integer percentages, rounded half up; 0 where nothing was there to
  convert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DAY = 86_400.0


@dataclass(frozen=True)
class Deal:
    """What the statistics read of a deal."""

    id: int
    added: dt.datetime
    status: str
    stage_id: int
    value: float
    currency: str
    won_at: dt.datetime | None = None
    lost_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None


# (deal id, time, stage before, stage after): a stage change, or (stage before None) the
# deal's creation in its first stage.
Move = tuple[int, dt.datetime, Any, Any]


@dataclass
class Group:
    """Some deals: their ids and their values per currency."""

    ids: list[int] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)

    def add(self, deal: Deal) -> None:
        self.ids.append(deal.id)
        self.values[deal.currency] = self.values.get(deal.currency, 0.0) + deal.value


@dataclass
class Movement:
    moves: int
    new: Group
    left_open: Group
    won: Group
    lost: Group
    average_age: int
    age_by_stage: list[tuple[int, int]]  # (stage id, days), in the pipeline's order


@dataclass
class Conversion:
    stages: list[tuple[int, int, int]]  # (from stage, to stage, percentage)
    won: int
    lost: int


def _percent(part: int, whole: int) -> int:
    return (200 * part + whole) // (2 * whole) if whole else 0


def _days(seconds: float) -> int:
    return int(seconds / DAY + 0.5)


def _as_int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _histories(moves: Iterable[Move]) -> dict[int, list[tuple[dt.datetime, int | None]]]:
    """Per deal: (time, stage entered), oldest first."""
    out: dict[int, list[tuple[dt.datetime, int | None]]] = {}
    for deal_id, at, _, after in moves:
        out.setdefault(deal_id, []).append((at, _as_int(after)))
    return out


def _open_at(deal: Deal, when: dt.datetime) -> bool:
    return deal.added < when and (deal.status == "open" or deal.closed_at is None
                                  or deal.closed_at >= when)


def _within(at: dt.datetime | None, start: dt.datetime, end: dt.datetime) -> bool:
    return at is not None and start <= at < end


def movement(deals: Sequence[Deal], moves: Iterable[Move], stages: Sequence[int],
             start: dt.datetime, end: dt.datetime) -> Movement:
    """The movement statistics of the deals of one pipeline (``stages`` in order)."""
    in_pipeline = set(stages)
    histories = _histories(moves)
    result = Movement(0, Group(), Group(), Group(), Group(), 0, [])
    ages: list[float] = []
    by_stage: dict[int, list[float]] = {}
    for deal in deals:
        history = histories.get(deal.id, [])
        result.moves += sum(
            1 for n, (at, stage) in enumerate(history)
            if n and start <= at < end and stage in in_pipeline and history[n - 1][1] != stage)
        if _within(deal.added, start, end):
            result.new.add(deal)
        if deal.status == "won" and _within(deal.won_at, start, end):
            result.won.add(deal)
        if deal.status == "lost" and _within(deal.lost_at, start, end):
            result.lost.add(deal)
        if _open_at(deal, end):
            result.left_open.add(deal)
            ages.append((end - deal.added).total_seconds())
            before = [(at, s) for at, s in history if at < end]
            stage, since = (before[-1][1], before[-1][0]) if before else (deal.stage_id,
                                                                        deal.added)
            if stage is not None:
                by_stage.setdefault(stage, []).append((end - since).total_seconds())
    result.average_age = _days(sum(ages) / len(ages)) if ages else 0
    result.age_by_stage = [(s, _days(sum(by_stage[s]) / len(by_stage[s])))
                           for s in stages if s in by_stage]
    return result


def conversion(deals: Sequence[Deal], moves: Iterable[Move], stages: Sequence[int],
               start: dt.datetime, end: dt.datetime) -> Conversion:
    """The conversion statistics of the deals of one pipeline (``stages`` in order)."""
    order: Mapping[int, int] = {s: n for n, s in enumerate(stages)}
    histories = _histories(moves)
    reached = [0] * len(stages)  # deals that reached stage n or a later one
    active = won = lost = 0
    for deal in deals:
        if not deal.added < end or (deal.closed_at is not None and deal.status != "open"
                                    and deal.closed_at < start):
            continue
        active += 1
        visited = [order[s] for at, s in histories.get(deal.id, ())
                   if at < end and s is not None and s in order]
        if not visited and deal.stage_id in order:
            visited = [order[deal.stage_id]]
        furthest = max(visited, default=-1)
        for n in range(furthest + 1):
            reached[n] += 1
        won += deal.status == "won" and _within(deal.won_at, start, end)
        lost += deal.status == "lost" and _within(deal.lost_at, start, end)
    return Conversion(
        [(stages[n], stages[n + 1], _percent(reached[n + 1], reached[n]))
         for n in range(len(stages) - 1)],
        _percent(won, active), _percent(lost, active))


__all__ = ["Conversion", "Deal", "Group", "Move", "Movement", "conversion", "movement"]
