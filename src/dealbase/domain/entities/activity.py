"""The activity: a task (no duration) or an appointment (a start and a duration).

An activity starts at its ``due_date`` (and ``due_time``, if any); an appointment
lasts ``duration`` minutes. ``end_at`` is write-only: an end given that way becomes
the duration, and must not lie before the start. ``start_of``/``end_of`` are the one
place that turns the stored fields into moments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..errors import Reason, invalid
from ..spec import EntitySpec, FieldSpec, Lookup
from ..types import Kind
from ._common import identity, lifecycle, owned, owners_team, team

# 1 not started, 2 in progress, 3 waiting, 4 completed, 5 deferred
STATUSES = (1, 2, 3, 4, 5)
DONE = 4
PRIORITIES = (1, 2, 3)  # low, medium, high
MAX_DURATION = 60 * 24 * 366


def start_of(record: Mapping[str, Any]) -> dt.datetime | None:
    """When an activity starts: its due date at its due time (midnight without one)."""
    day = record.get("due_date")
    if day is None:
        return None
    clock = dt.time.fromisoformat(record["due_time"]) if record.get("due_time") else dt.time()
    return dt.datetime.combine(day, clock)


def end_of(record: Mapping[str, Any]) -> dt.datetime | None:
    """When an appointment ends (None for a task, or without a start)."""
    start = start_of(record)
    if start is None or record.get("duration") is None:
        return None
    return start + dt.timedelta(minutes=record["duration"])


def _times(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    """An end becomes the duration from the start; the duration stays within bounds."""
    if "end_at" in values:
        end = values.pop("end_at")
        if end is None:
            values["duration"] = None
        else:
            start = start_of({**(before or {}), **values})
            if start is None:
                raise invalid("end_at", "an end needs a start date", Reason.INVALID)
            if end < start:
                raise invalid("end_at", "the end must not be before the start")
            values["duration"] = int((end - start).total_seconds() // 60)
    duration = values.get("duration")
    if duration is not None and not 0 <= duration <= MAX_DURATION:
        raise invalid("duration", f"must be between 0 and {MAX_DURATION}")


ACTIVITY = EntitySpec(
    name="activity",
    table="activities",
    title_field="subject",
    fields=(
        *identity(),
        FieldSpec("subject", Kind.TEXT, required=True, max_length=255, nullable=False,
                  label="Subject"),
        FieldSpec("type", Kind.TEXT, default="task", max_length=64, nullable=False,
                  label="Type"),
        FieldSpec("note", Kind.TEXT, max_length=65535, field_type="text", label="Note"),
        owned("Assigned to user"),
        team(),
        FieldSpec("deal_id", Kind.REF, ref="deal", field_type="int", label="Deal"),
        FieldSpec("lead_id", Kind.REF, ref="lead", field_type="int", label="Lead"),
        FieldSpec("person_id", Kind.REF, ref="person", field_type="people", label="Contact person"),
        FieldSpec("organization_id", Kind.REF, ref="organization", field_type="org",
                  label="Organization"),
        FieldSpec("due_date", Kind.DATE, field_type="date", label="Due date"),
        FieldSpec("due_time", Kind.TIME, field_type="time", label="Due time"),
        # minutes; null for a task, set for an appointment
        FieldSpec("duration", Kind.INT, field_type="int", label="Duration"),
        FieldSpec("end_at", Kind.DATETIME, virtual=True, label="End"),
        FieldSpec("status", Kind.INT, choices=STATUSES, default=1, nullable=False,
                  field_type="int", label="Status"),
        FieldSpec("priority", Kind.INT, choices=PRIORITIES, default=2, nullable=False,
                  field_type="int", label="Priority"),
        FieldSpec("location", Kind.TEXT, max_length=255, label="Location"),
        *lifecycle(),
    ),
    rules=(_times, owners_team),
)
