"""The activity: a task (no duration) or an appointment (a start and a duration)."""

from __future__ import annotations

from ..spec import EntitySpec, FieldSpec
from ..types import Kind
from ._common import identity, in_range, lifecycle, owned, owners_team, team

# 1 not started, 2 in progress, 3 waiting, 4 completed, 5 deferred
STATUSES = (1, 2, 3, 4, 5)
DONE = 4
PRIORITIES = (1, 2, 3)  # low, medium, high
MAX_DURATION = 60 * 24 * 366

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
        FieldSpec("status", Kind.INT, choices=STATUSES, default=1, nullable=False,
                  field_type="int", label="Status"),
        FieldSpec("priority", Kind.INT, choices=PRIORITIES, default=2, nullable=False,
                  field_type="int", label="Priority"),
        FieldSpec("location", Kind.TEXT, max_length=255, label="Location"),
        *lifecycle(),
    ),
    rules=(in_range("duration", 0, MAX_DURATION), owners_team),
)
