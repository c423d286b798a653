"""A pipeline's statistics over a period, from its deals and their stage history (seed 002:
``/pipelines/{id}/conversion_statistics`` and ``/movement_statistics``).

The figures are computed in the database, in one aggregate statement over the deals and
their stage moves in the change log (``query.statistics``; a deal's creation is its first
move, from no stage); here, what they are. The period is ``[start, end)`` in naive UTC.
What each figure means, where Pipedrive does not say:

- *new deals*: added during the period; *won* and *lost deals*: won or lost during it
  (and still so);
- *deals left open*: added before the period ended and open when it ended (open now, or
  closed only after it);
- *movements between stages*: the stage changes made during the period into a stage of
  the pipeline (a move that is not a deal's first and whose stage differs from the one
  the move before it entered);
- *average age in days*: of the deals left open, the days from their addition to the end
  of the period (across all stages), and per stage the days since they entered the stage
  they were in when the period ended (by their last move before it; without one, their
  stage since their addition);
- *conversion*: among the deals active during the period (added before it ended, not
  closed before it began), the share of those that reached a stage (or a later one) that
  also reached the next (a deal reached the furthest stage of the pipeline it entered
  before the period ended; without moves, its stage); *won* and *lost conversion*: the
  share of them won or lost during the period. Integer percentages, rounded half up; 0
  where nothing was there to convert.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, TypeVar

DAY = 86_400.0


# (deal id, time, stage before, stage after): a stage change, or (stage before None) the
# deal's creation in its first stage.
Move = tuple[int, dt.datetime, Any, Any]


@dataclass
class Group:
    """Some deals: their ids (ascending) and their values per currency."""

    ids: list[int] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)


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


# Which statistics a caller asks for (``Unit.stage_statistics``): the class of the answer.
Statistics = TypeVar("Statistics", Movement, Conversion)


def percent(part: int, whole: int) -> int:
    """``part`` of ``whole`` as an integer percentage, rounded half up (0 of nothing)."""
    return (200 * part + whole) // (2 * whole) if whole else 0


def days(seconds: float) -> int:
    """A duration in whole days, rounded half up."""
    return int(seconds / DAY + 0.5)


__all__ = ["DAY", "Conversion", "Group", "Move", "Movement", "Statistics", "days", "percent"]
