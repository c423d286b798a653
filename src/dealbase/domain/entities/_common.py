"""Fields every entity has, and the sentinels for service-filled defaults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..errors import Problem, Reason, ValidationError
from ..spec import Derived, FieldSpec, Lookup, Rule
from ..types import Kind


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NOW: Final = _Sentinel("NOW")
CURRENT_USER: Final = _Sentinel("CURRENT_USER")
CURRENT_APP: Final = _Sentinel("CURRENT_APP")  # the OAuth app the writer signed in through
NEW_UID: Final = _Sentinel("NEW_UID")

VISIBILITY = (1, 3, 5, 7)
# What each ``visible_to`` means (the rules themselves: ``service/visibility.py``)
VISIBILITY_LABELS = {1: "Owner & followers", 3: "Owner's visibility group",
                     5: "Owner's visibility group and sub-groups", 7: "Entire company"}
# The parts of a postal address, as Pipedrive names them (an organization's address, an
# activity's location, an address custom field).
ADDRESS_PARTS = (
    "subpremise", "street_number", "route", "sublocality", "locality",
    "admin_area_level_1", "admin_area_level_2", "country", "postal_code", "formatted_address",
)


def identity() -> tuple[FieldSpec, ...]:
    """id and the Pipeliner-style string id; both unique per company."""
    return (
        FieldSpec("id", Kind.INT, readonly=True, nullable=False, field_type="int"),
        FieldSpec("uid", Kind.TEXT, default=NEW_UID, max_length=120, nullable=False),
    )


def lifecycle() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("created_at", Kind.DATETIME, readonly=True, default=NOW, nullable=False,
                  field_type="date", label="Created"),
        FieldSpec("updated_at", Kind.DATETIME, readonly=True, default=NOW, nullable=False,
                  field_type="date", label="Updated"),
        FieldSpec("is_deleted", Kind.BOOL, readonly=True, default=False, nullable=False,
                  field_type="boolean"),
    )


def owned(label: str = "Owner") -> FieldSpec:
    return FieldSpec("owner_id", Kind.REF, ref="user", default=CURRENT_USER, nullable=False,
                     field_type="user", label=label)


def updated_by() -> FieldSpec:
    """Who wrote the record last (kept by the ``last_writer`` rule)."""
    return FieldSpec("updated_by", Kind.REF, ref="user", readonly=True, field_type="user",
                     label="Last updated by")


def last_writer(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    """A rule: ``updated_by`` is the user making the write."""
    values["updated_by"] = lookup.actor()


def visibility() -> FieldSpec:
    return FieldSpec("visible_to", Kind.INT, choices=VISIBILITY, default=3, nullable=False,
                     field_type="visible_to", label="Visible to")


def labels() -> FieldSpec:
    return FieldSpec("label_ids", Kind.JSON, default=(), nullable=False, field_type="set",
                     label="Label")


def team() -> FieldSpec:
    """The sales unit (Pipeliner SalesUnit) a record belongs to; optional."""
    return FieldSpec("team_id", Kind.REF, ref="team", field_type="int", label="Sales unit")


MAX_ID_LIST = 100


def id_list(name: str, ref: str, label: str = "") -> FieldSpec:
    """A list of ids of ``ref`` records (e.g. a deal's further participants)."""
    return FieldSpec(name, Kind.JSON, ref=ref, default=(), field_type="set", label=label)


def in_range(name: str, low: int, high: int) -> Rule:
    """A rule: ``name``, when given, lies between ``low`` and ``high`` inclusive."""
    def check(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
        value = values.get(name)
        if value is not None and not low <= value <= high:
            raise ValidationError(f"{name}: must be between {low} and {high}",
                                  (Problem(name, f"must be between {low} and {high}"),))
    return check


def no_cycle(entity: str, field: str = "parent_id") -> Rule:
    """A rule: following ``field`` (a reference to the same entity) from a record never
    comes back to it (a record is not its own ancestor)."""
    def check(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
        parent_id = values.get(field)
        if before is None or parent_id is None:
            return
        seen = {before["id"]}
        while parent_id is not None:
            if parent_id in seen:
                raise ValidationError(f"{field}: a {entity} cannot be its own ancestor",
                                      (Problem(field, "would make a cycle"),))
            seen.add(parent_id)
            parent = lookup.fetch(entity, parent_id)
            parent_id = parent[field] if parent else None
    return check


def owners_team(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    """A new record without a sales unit joins its owner's."""
    if before is None and values.get("team_id") is None and values.get("owner_id") is not None:
        owner = lookup.fetch("user", values["owner_id"])
        if owner is not None and owner.get("team_id") is not None:
            values["team_id"] = owner["team_id"]


def apart(primary: str, others: str) -> Rule:
    """A rule: the further-relations list ``others`` never repeats the ``primary`` id."""
    def check(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
        if primary not in values and others not in values:
            return
        main = values.get(primary, before.get(primary) if before else None)
        rest = values.get(others, before.get(others) if before else None)
        if main is not None and rest and main in rest:
            values[others] = [i for i in rest if i != main]
    return check


def name_parts(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    """``name`` and ``first_name``/``last_name`` stay in step, as Pipedrive keeps them.

    A name alone sets the first name (its first word) and the last name (the rest);
    parts alone recompose the name.
    """
    if values.get("name") and "first_name" not in values and "last_name" not in values:
        first_word, _, rest = values["name"].strip().partition(" ")
        values["first_name"], values["last_name"] = first_word or None, rest.strip() or None
    elif not values.get("name") and ("first_name" in values or "last_name" in values):
        first = values.get("first_name", before["first_name"] if before else None)
        last = values.get("last_name", before["last_name"] if before else None)
        composed = " ".join(p for p in (first, last) if p)
        if composed:
            values["name"] = composed
    if (before is None or "name" in values) and not values.get("name"):
        raise ValidationError("name (or first_name and last_name) is required",
                              (Problem("name", "is required", Reason.REQUIRED),))


# ---- fields the records service keeps from other records (see ``Derived``) --------------

ACTIVITY_DONE = 4  # an activity's status when it is done (the activity module's DONE)


def counter(name: str, child: str, ref: str, *where: tuple[str, str, Any],
            label: str = "") -> FieldSpec:
    """How many live ``child`` records point here through ``ref`` (and meet ``where``)."""
    return FieldSpec(name, Kind.INT, readonly=True, default=0, nullable=False, field_type="int",
                     label=label, derived=Derived(child, ref, "count", tuple(where)))


def activity_tallies(ref: str) -> tuple[FieldSpec, ...]:
    """A record's activities (those whose ``ref`` is the record): how many, done and not,
    and the next one to do and the last one done (by due date and time)."""
    undone, done = ("status", "ne", ACTIVITY_DONE), ("status", "eq", ACTIVITY_DONE)
    return (
        counter("activities_count", "activity", ref, label="Total activities"),
        counter("done_activities_count", "activity", ref, done, label="Done activities"),
        counter("undone_activities_count", "activity", ref, undone, label="Activities to do"),
        FieldSpec("next_activity_id", Kind.REF, ref="activity", readonly=True, field_type="int",
                  label="Next activity", derived=Derived(
                      "activity", ref, "first", (undone,),
                      (("due_date", False), ("due_time", False)))),
        FieldSpec("last_activity_id", Kind.REF, ref="activity", readonly=True, field_type="int",
                  label="Last activity", derived=Derived(
                      "activity", ref, "first", (done,),
                      (("due_date", True), ("due_time", True)))),
    )


def note_tally(ref: str) -> FieldSpec:
    return counter("notes_count", "note", ref, label="Notes")


def deal_tallies(ref: str) -> tuple[FieldSpec, ...]:
    """A person's or organization's deals (those whose ``ref`` is the record), by status."""
    return (
        counter("open_deals_count", "deal", ref, ("status", "eq", "open"), label="Open deals"),
        counter("closed_deals_count", "deal", ref, ("status", "in", ("won", "lost")),
                label="Closed deals"),
        counter("won_deals_count", "deal", ref, ("status", "eq", "won"), label="Won deals"),
        counter("lost_deals_count", "deal", ref, ("status", "eq", "lost"), label="Lost deals"),
    )


# ---- contact points (a person's, an organization's e-mail addresses and phones) ----------

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


def _normalise(field: str, values: dict[str, Any]) -> None:
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


def contact_lists() -> tuple[FieldSpec, FieldSpec]:
    """``emails`` and ``phones``: lists of ``{value, primary, label}`` (see ``contact_points``)."""
    return (FieldSpec("emails", Kind.JSON, default=(), nullable=False, field_type="varchar",
                      label="Email"),
            FieldSpec("phones", Kind.JSON, default=(), nullable=False, field_type="phone",
                      label="Phone"))


def contact_points(values: dict[str, Any], before: Mapping[str, Any] | None,
                   lookup: Lookup) -> None:
    """A rule: e-mail addresses and phones normalised, exactly one of each list primary."""
    _normalise("emails", values)
    _normalise("phones", values)


# ---- what only Pipeliner shows (stored as given; the Pipedrive views leave them out) ------

def access() -> tuple[FieldSpec, FieldSpec]:
    """Pipeliner's ``ACCESS_LEVEL`` and ``PUBLISH_STATE`` (integers; their meaning is
    Pipeliner's own, unknown to the reference)."""
    return (FieldSpec("access_level", Kind.INT, field_type="int", label="Access level"),
            FieldSpec("publish_state", Kind.INT, field_type="int", label="Publish state"))


def picture() -> FieldSpec:
    """Pipeliner's ``PICTURE`` (a blob, kept as the text a client sends: base64 or a URL)."""
    return FieldSpec("picture", Kind.TEXT, max_length=65535, field_type="text", label="Picture")


def people_lists() -> tuple[FieldSpec, FieldSpec]:
    """Pipeliner's ``SALES_TEAM`` and ``WATCHERS``: users (Clients)."""
    return (id_list("sales_team_ids", "user", "Sales team"),
            id_list("watcher_ids", "user", "Watchers"))


QUICK = ("account_name", "account_email", "account_phone", "contact_name", "email", "phone")


def quick_fields() -> tuple[FieldSpec, ...]:
    """Pipeliner's ``QUICK_*`` on leads and opportunities: display text a client keeps
    beside the relations (stored as given)."""
    return tuple(FieldSpec(f"quick_{name}", Kind.TEXT, max_length=255,
                           label=f"Quick {name.replace('_', ' ')}") for name in QUICK)
