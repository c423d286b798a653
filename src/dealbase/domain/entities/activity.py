"""The activity: a task (no duration) or an appointment (a start and a duration).

An activity starts at its ``due_date`` (and ``due_time``, if any); an appointment
lasts ``duration`` minutes. ``end_at`` is write-only: an end given that way becomes
the duration, and must not lie before the start. ``start_of``/``end_of`` are the one
place that turns the stored fields into moments.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from ..errors import Reason, invalid
from ..spec import EntitySpec, FieldSpec, Lookup
from ..types import Kind
from ._common import (
    ACTIVITY_DONE,
    ADDRESS_PARTS,
    CURRENT_USER,
    apart,
    id_list,
    identity,
    lifecycle,
    owned,
    owners_team,
    team,
)
from .project import ACTIVITY_IN_PLAN, ACTIVITY_PROJECT_FIELDS

# 1 not started, 2 in progress, 3 waiting, 4 completed, 5 deferred
STATUSES = (1, 2, 3, 4, 5)
DONE = ACTIVITY_DONE
ATTENDEE_KEYS = {"email": str, "name": str, "status": str, "is_organizer": bool,
                 "person_id": int, "user_id": int}
MAX_ATTENDEES = 100
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


def _done(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    """``done`` is the status "completed" (undone: not started); the time it became done is
    kept, and forgotten when it is undone."""
    if "done" in values:
        done = values.pop("done")
        current = values.get("status", before["status"] if before else 1)
        if done is True:
            values["status"] = DONE
        elif done is False and current == DONE:
            values["status"] = 1
    status = values.get("status")
    if status is not None and (before is None or before["status"] != status):
        values["done_at"] = lookup.now() if status == DONE else None


def _known_type(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    """An activity's type is the key of one of the company's activity types."""
    key = values.get("type")
    if key is None or (before is not None and before["type"] == key):
        return
    if lookup.first("activity_type", {"key": key}, "id") is None:
        raise invalid("type", f"'{str(key)[:64]}' is not an activity type of this company",
                      Reason.INVALID)


def _attendees(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    items = values.get("attendees")
    if items is None:
        return
    if not isinstance(items, list) or len(items) > MAX_ATTENDEES:
        raise invalid("attendees", f"must be a list of at most {MAX_ATTENDEES} attendees")
    for item in items:
        if not isinstance(item, dict) or set(item) - set(ATTENDEE_KEYS) or not item:
            raise invalid("attendees", f"each attendee is an object of {', '.join(ATTENDEE_KEYS)}")
        for key, value in item.items():
            kind = ATTENDEE_KEYS[key]
            if value is not None and (not isinstance(value, kind) or (
                    isinstance(value, bool) and kind is int)
                    or (isinstance(value, int) and kind is int and value <= 0)):
                raise invalid("attendees", f"{key} must be a {kind.__name__}")
            if isinstance(value, str) and len(value) > 255:
                raise invalid("attendees", f"{key} must be at most 255 characters")


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
        *(FieldSpec(f"location_{part}", Kind.TEXT, max_length=255) for part in ADDRESS_PARTS),
        FieldSpec("done", Kind.BOOL, virtual=True, label="Done"),
        FieldSpec("done_at", Kind.DATETIME, readonly=True, field_type="date",
                  label="Marked as done time"),
        FieldSpec("busy", Kind.BOOL, default=False, nullable=False, field_type="boolean",
                  label="Free/busy"),
        FieldSpec("public_description", Kind.TEXT, max_length=65535, field_type="text",
                  label="Public description"),
        id_list("participant_ids", "person", "Participants"),
        FieldSpec("attendees", Kind.JSON, default=(), nullable=False, field_type="set",
                  label="Guests"),
        FieldSpec("creator_id", Kind.REF, ref="user", readonly=True, default=CURRENT_USER,
                  field_type="user", label="Creator"),
        FieldSpec("conference_meeting_client", Kind.TEXT, max_length=255),
        FieldSpec("conference_meeting_url", Kind.TEXT, max_length=2048),
        FieldSpec("conference_meeting_id", Kind.TEXT, max_length=255),
        *ACTIVITY_PROJECT_FIELDS,
        *lifecycle(),
    ),
    rules=(_done, _known_type, _times, _attendees, owners_team,
           apart("person_id", "participant_ids"), ACTIVITY_IN_PLAN),
    # a user's undone activities by due date (lists that clients run)
    indexes=(("owner_id", "status", "is_deleted", "due_date", "id"),),
)

ICONS = ("task", "email", "meeting", "deadline", "call", "lunch", "calendar", "downarrow",
         "document", "smartphone", "camera", "scissors", "cogs", "bubble", "uparrow", "checkbox",
         "signpost", "shuffle", "addressbook", "linegraph", "picture", "car", "world", "search",
         "clip", "sound", "brush", "key", "padlock", "pricetag", "suitcase", "finish", "plane",
         "loop", "wifi", "truck", "cart", "bulb", "bell", "presentation")
# The activity types every company starts with: (name, key, icon).
DEFAULT_TYPES = (("Call", "call", "call"), ("Meeting", "meeting", "meeting"),
                 ("Task", "task", "task"), ("Deadline", "deadline", "deadline"),
                 ("Email", "email", "email"), ("Lunch", "lunch", "lunch"))
_COLOR = re.compile(r"[0-9A-Fa-f]{6}")


def _typed(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    """A new type's key comes from its name, unique among the company's types; it goes
    last; a color is six hex digits."""
    if before is None and not values.get("key"):
        base = re.sub(r"[^a-z0-9]+", "_", values["name"].lower()).strip("_")[:56] or "type"
        key, n = base, 1
        while lookup.first("activity_type", {"key": key}, "id") is not None:
            n += 1
            key = f"{base}_{n}"
        values["key"] = key
    elif values.get("key") is not None and (before is None or before["key"] != values["key"]) \
            and lookup.first("activity_type", {"key": values["key"]}, "id") is not None:
        raise invalid("key", "is taken by another activity type", Reason.DUPLICATE)
    if before is None and values.get("order_nr") is None:
        last = lookup.first("activity_type", {}, "-order_nr")
        values["order_nr"] = (last["order_nr"] + 1) if last else 1
    color = values.get("color")
    if color is not None and not _COLOR.fullmatch(color):
        raise invalid("color", "must be six hex digits (RRGGBB)")


ACTIVITY_TYPE = EntitySpec(
    name="activity_type",
    table="activity_types",
    fields=(
        *identity(),
        FieldSpec("name", Kind.TEXT, required=True, max_length=255, nullable=False,
                  label="Name"),
        FieldSpec("key", Kind.TEXT, max_length=64, nullable=False, label="Key"),
        FieldSpec("icon_key", Kind.TEXT, max_length=64, default="task", nullable=False,
                  choices=ICONS, label="Icon"),
        FieldSpec("color", Kind.TEXT, max_length=6, label="Color"),
        FieldSpec("order_nr", Kind.INT, nullable=False, field_type="int", label="Order"),
        # the company's own (the types every company starts with are not)
        FieldSpec("is_custom", Kind.BOOL, default=True, nullable=False, field_type="boolean"),
        *lifecycle(),
    ),
    rules=(_typed,),
)
