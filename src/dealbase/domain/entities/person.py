"""The person: a contact, optionally working for an organization."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import Problem, ValidationError
from ..spec import EntitySpec, FieldSpec, Lookup
from ..types import Kind
from ._common import (
    activity_tallies,
    apart,
    deal_tallies,
    id_list,
    identity,
    labels,
    lifecycle,
    name_parts,
    note_tally,
    owned,
    owners_team,
    team,
    visibility,
)

CHANNEL_LABELS = ("work", "home", "mobile", "other")
SLOTS = 5  # contact points a dialect may address by position (Pipeliner's EMAIL1..EMAIL5)


def with_slot(items: list[dict[str, Any]], index: int, value: str | None) -> list[dict[str, Any]]:
    """Contact points with position ``index`` (0-based, below ``SLOTS``) set to ``value``.

    An empty value clears the position; empty positions close up, so a value written
    past the end lands right after the last one; the first item is the primary one.
    """
    if not 0 <= index < SLOTS:
        raise ValidationError(f"slot {index + 1}: there are {SLOTS} slots",
                              (Problem(None, f"there are {SLOTS} slots"),))
    slots: list[dict[str, Any] | None] = [dict(i) for i in items]
    slots += [None] * (SLOTS - len(slots))
    slots[index] = {"value": value, "primary": False, "label": "work"} if value else None
    kept = [s for s in slots if s is not None]
    for position, item in enumerate(kept):
        item["primary"] = position == 0
    return kept


def _contact_points(field: str, values: dict[str, Any]) -> None:
    """Normalise emails/phones to [{value, primary, label}] with exactly one primary."""
    items = values.get(field)
    if items is None:
        return
    normal: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, str):
            item = {"value": item}
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise ValidationError(
                f"{field} items must be objects with a string value",
                (Problem(field, "items must be objects with a string value"),),
            )
        unknown = set(item) - {"value", "primary", "label"}
        if unknown:
            raise ValidationError(f"{field}: unknown keys {sorted(unknown)}",
                                  (Problem(field, "unknown keys in item"),))
        label = item.get("label") or "work"
        primary = item.get("primary", False)
        if not isinstance(label, str) or not isinstance(primary, bool):
            raise ValidationError(f"{field}: label must be a string and primary a boolean",
                                  (Problem(field, "bad label or primary"),))
        if item["value"] == "":
            continue
        normal.append({"value": item["value"][:255], "primary": primary, "label": label})
    primaries = [i for i in normal if i["primary"]]
    if len(primaries) > 1:
        raise ValidationError(f"{field}: at most one item may be primary",
                              (Problem(field, "at most one item may be primary"),))
    if normal and not primaries:
        normal[0]["primary"] = True
    values[field] = normal


def _shape(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    _contact_points("emails", values)
    _contact_points("phones", values)
    name_parts(values, before, lookup)


PERSON = EntitySpec(
    name="person",
    table="persons",
    has_custom_fields=True,
    fields=(
        *identity(),
        FieldSpec("name", Kind.TEXT, max_length=255, nullable=False, label="Name"),
        FieldSpec("first_name", Kind.TEXT, max_length=255, label="First name"),
        FieldSpec("last_name", Kind.TEXT, max_length=255, label="Last name"),
        owned(),
        FieldSpec("organization_id", Kind.REF, ref="organization", field_type="org",
                  label="Organization"),
        FieldSpec("emails", Kind.JSON, default=(), nullable=False, field_type="varchar",
                  label="Email"),
        FieldSpec("phones", Kind.JSON, default=(), nullable=False, field_type="phone",
                  label="Phone"),
        labels(),
        visibility(),
        FieldSpec("job_title", Kind.TEXT, max_length=255, label="Job title"),
        FieldSpec("birthday", Kind.DATE, field_type="date", label="Birthday"),
        FieldSpec("notes", Kind.TEXT, max_length=65535, field_type="text", label="Notes"),
        FieldSpec("middle_name", Kind.TEXT, max_length=255, label="Middle name"),
        id_list("organization_ids", "organization", "Other organizations"),
        team(),
        *activity_tallies("person_id"),
        note_tally("person_id"),
        *deal_tallies("person_id"),
        *lifecycle(),
    ),
    rules=(_shape, owners_team, apart("organization_id", "organization_ids")),
)
