"""Per-entity views of the Pipedrive dialect: names, formats and list parameters.

Each View says, for one entity in one API version, which key carries which
canonical field (``Attr(key, field)``), which keys are computed from the record and
its related records (``Attr(key, compute=...)``), which list filters and sorts
exist, and which related records v1 expands. Formats follow from the field's kind
and the version; everything else about the dialect lives in params.py/render.py.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from ...domain.currencies import BY_CODE
from ...domain.entities import BY_NAME
from ...domain.entities._common import ACTIVITY_DONE, ADDRESS_PARTS, QUICK
from ...domain.entities.deal import weighted_value as weigh
from ...domain.entities.project import PROJECT_STATUSES
from ...domain.entities.role import permission_sets_of
from ...domain.errors import Problem, Reason, ValidationError
from ...domain.spec import FieldSpec
from ...domain.types import Kind, coerce, parse_int
from ...query.ast import Cond, Filter, Not, Or, Sort, all_of
from .render import clock, day, hours_minutes

Record = dict[str, Any]
Related = dict[str, dict[int, Record]]


@dataclass(frozen=True)
class RenderContext:
    related: Related
    user_id: int | None
    company: Mapping[str, Any] = field(default_factory=dict)
    # Objects made once per page: the same owner or organization under many deals is one
    # object (never changed after it is made).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


Compute = Callable[[Record, RenderContext], Any]
# A key's wire value written: the canonical fields it sets (a key may set several).
Parse = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class Attr:
    """One key of the dialect's object: a canonical field, or computed (read-only unless
    it has ``parse``, which turns a written value into canonical fields)."""

    key: str
    field: str | None = None
    compute: Compute | None = None
    # "str": the v1 string form of an int (visible_to); "bool01": v1 0/1 flag input;
    # "hhmm": a time of day as HH:MM; "minutes": a duration in minutes as HH:MM
    style: str = ""
    writable: bool = True
    opt_in: bool = False  # v2: only with include_fields
    parse: Parse | None = None


# Canonical fields with no Pipedrive key: the Pipeliner string id, sales units, the
# further relation arrays, a deal's description and a person's middle name.
PIPELINER_ONLY = frozenset({"uid", "team_id", "participant_ids", "organization_ids",
                            "description", "middle_name", "access_level", "publish_state",
                            "picture", "sales_team_ids", "watcher_ids", "value_foreign",
                            "value_auto_calculate", "currency_exchange_fixed",
                            "price_list_ref", "reason_of_close_ref", "account_type",
                            "account_class", "parent_organization_id", "parent_relation_type",
                            "parent_ref", "honorific", "salutation", "gender", "last_move_at",
                            *(f"quick_{q}" for q in QUICK)})
# An organization's contact points and comments (Pipeliner's Accounts have them; Pipedrive's
# organizations do not).
ORG_PIPELINER_ONLY = frozenset({"emails", "phones", "notes"})
POSTAL_PARTS = frozenset(f"postal_address_{p}" for p in ADDRESS_PARTS)


# The dialect's names for canonical fields, wherever an object has them (a view may say
# otherwise, or declare the key with a computed value or a format).
KEYS: Mapping[str, str] = {
    "created_at": "add_time", "updated_at": "update_time", "organization_id": "org_id",
    "creator_id": "creator_user_id", "stage_changed_at": "stage_change_time",
    "closed_at": "close_time", "won_at": "won_time", "lost_at": "lost_time",
    "first_won_at": "first_won_time", "archived_at": "archive_time",
}

# A view's routes: the five of one record type.
CRUD = frozenset({"list", "get", "create", "update", "delete"})


@dataclass(frozen=True)
class View:
    """One entity in one API version. Every canonical field of the entity is a key of the
    object, named by ``keys``, else ``KEYS``, else its own name, unless it is ``hidden`` or
    an ``Attr`` of ``declared`` names it (with a computed value, a format or a flag);
    ``declared`` also holds the keys computed from nothing but the record."""

    entity: str
    path: str
    version: str
    declared: tuple[Attr, ...] = ()
    keys: Mapping[str, str] = field(default_factory=dict)  # canonical -> key, this view only
    loads: tuple[tuple[str, str], ...] = ()  # (related entity, canonical ref field)
    related_objects: tuple[str, ...] = ()  # v1 related_objects keys
    filters: Mapping[str, Callable[[str], Filter | None]] = field(default_factory=dict)
    sort_by: tuple[str, ...] = ("id", "update_time", "add_time")
    create_status: int = 200
    paged: bool = True
    has_custom: bool = False
    # Keys the vendored spec types as non-nullable: omitted rather than sent as null.
    omit_null: frozenset[str] = frozenset()
    # Canonical fields this view does not expose under a key of their own: hidden
    # (Pipeliner's id and the fields only Pipeliner has) or folded into a computed key
    # (v2 ``address``).
    hidden: frozenset[str] = PIPELINER_ONLY
    default_sort: tuple[Sort, ...] = ()
    # Keys a client may write that no object shows (each with ``parse``).
    write_only: tuple[Attr, ...] = ()
    # What a DELETE of one record answers: "id" (``{"id": …}``), "record" (the record, now
    # deleted) or "true" (``true``).
    deleted: str = "id"
    # The routes this view has (of list, get, create, update, delete, bulk_delete; v2 has
    # no bulk delete).
    operations: frozenset[str] = CRUD | {"bulk_delete"}
    # "offset" (v1 ``start``/``limit``) or "cursor" (v2, and v1's ``/collection`` lists).
    paging: str = ""
    # Every key whose value is null is omitted (the spec types them all non-nullable).
    omit_nulls: bool = False
    # ``<entity>Fields``: "write" (custom fields can be made), "read" (listed only; v1 and
    # v2), "read-v1" (listed only, v1), "" (none).
    fields_api: str = ""
    # v1 lists of the caller's own records unless ``user_id`` names another (0: everyone's);
    # the canonical owner field.
    own_by_default: str = ""
    # The record's id on the wire and in paths is the UUID of its string id (``wire_uuid``):
    # leads, lead labels, note comments (their integer id is ``hidden``).
    by_uid: bool = False
    # Canonical reference fields whose values travel as such UUIDs: field -> entity.
    uid_refs: Mapping[str, str] = field(default_factory=dict)
    # v1 ``PUT`` (most) or ``PATCH`` (leads, lead labels); v2 is always ``PATCH``.
    v1_update: str = "PUT"
    # v1 lists: ``additional_data`` as ``{"pagination": {...}}`` or, ``flat``, the block alone.
    flat_pagination: bool = False
    # Canonical fields of which a record written through this view keeps at least one
    # set (a Pipedrive lead is linked to a person or an organization).
    require_any: tuple[str, ...] = ()
    # Which records the view's lists show at all (deals: those not archived; the archived
    # lists show the others).
    listed: Filter | None = None

    def omits(self, key: str) -> bool:
        """Whether a null value of ``key`` is left out of the object."""
        return self.omit_nulls or key in self.omit_null

    @cached_property
    def attrs(self) -> tuple[Attr, ...]:
        """Every key of the object, in the entity's field order, then the computed ones."""
        by_field = {a.field: a for a in self.declared if a.field is not None}
        if self.by_uid:
            by_field.setdefault("uid", Attr("id", "uid", compute=_wire_id, writable=False))
        out = []
        for spec in BY_NAME[self.entity].columns:
            if spec.name in by_field:
                out.append(by_field[spec.name])
            elif spec.name not in self.hidden:
                key = self.keys.get(spec.name) or KEYS.get(spec.name) or spec.name
                out.append(Attr(key, spec.name))
        return (*out, *(a for a in self.declared if a.field is None))

    @cached_property
    def by_key(self) -> dict[str, Attr]:
        return {a.key: a for a in self.attrs}

    @cached_property
    def opt_in_keys(self) -> frozenset[str]:
        """v2 keys that only ``include_fields`` adds."""
        return frozenset(a.key for a in self.attrs if a.opt_in)

    @cached_property
    def inputs(self) -> dict[str, Attr]:
        """Keys a client may write: those of writable canonical fields, and those that
        parse what is written into canonical fields."""
        spec = SPECS[self.entity]
        return {a.key: a for a in (*self.attrs, *self.write_only)
                if a.parse is not None or (a.field is not None and a.writable
                                           and not spec[a.field].readonly)}

    def key_of(self, canonical: str) -> str:
        for a in self.attrs:
            if a.field == canonical:
                return a.key
        return canonical


SPECS: dict[str, dict[str, FieldSpec]] = {name: dict(e.by_name) for name, e in BY_NAME.items()}


def kind_of(entity: str, canonical: str) -> Kind:
    return SPECS[entity][canonical].kind


# ---- UUID ids ---------------------------------------------------------------------------

# Pipedrive's UUID ids (leads, lead labels, note comments, conversions) are the UUID inside
# the record's string id, ``PY-7FFFFFFF-<UUID>`` (the form the records service makes, and
# Pipeliner's); a string id that a Pipeliner client chose in another form is shown as it is.
UID_PREFIX = "PY-7FFFFFFF-"


def wire_uuid(uid: str) -> str:
    return uid[len(UID_PREFIX):].lower() if uid.startswith(UID_PREFIX) else uid


def uids_of(wire: Any) -> tuple[str, ...]:
    """The string ids a UUID from the wire may stand for (none if it cannot be one)."""
    if not isinstance(wire, str) or not 0 < len(wire) <= 120 or not wire.isprintable():
        return ()
    try:
        return (UID_PREFIX + str(uuid.UUID(wire)).upper(), wire)
    except ValueError:
        return (wire,)


def uid_ref(entity: str, field_name: str) -> Compute:
    """A reference to a record with a UUID id (one id, or a list of them)."""
    def compute(r: Record, rc: RenderContext) -> Any:
        value = r.get(field_name)
        records = rc.related.get(entity, {})
        if isinstance(value, list):
            return [wire_uuid(records[i]["uid"]) for i in value if i in records]
        other = records.get(value) if value is not None else None
        return None if other is None else wire_uuid(other["uid"])
    return compute


def parse_uids(key: str, field_name: str, many: bool) -> Parse:
    """A reference (or, ``many``, a list of them) given by UUID: kept as written, for the
    handler to resolve (``routes.resolve_uids``)."""
    def parse(value: Any) -> dict[str, Any]:
        if value is None:
            return {field_name: [] if many else None}
        items = value if many else [value]
        if (many and not isinstance(value, list)) or len(items) > 100 \
                or not all(isinstance(i, str) for i in items):
            raise _bad_input(key, f"{key} must be {'a list of ' if many else 'a '}UUID"
                             f"{'s' if many else ''}")
        return {field_name: list(items) if many else value}
    return parse


def _uid_key(key: str, field_name: str, entity: str, many: bool = False) -> Attr:
    return Attr(key, field_name, compute=uid_ref(entity, field_name),
                parse=parse_uids(key, field_name, many))


def _wire_id(r: Record, rc: RenderContext) -> str:
    return wire_uuid(r["uid"])


# ---- computed values -------------------------------------------------------------------

def _zero(record: Record, rc: RenderContext) -> int:
    return 0


def _none(record: Record, rc: RenderContext) -> None:
    return None


def _false(record: Record, rc: RenderContext) -> bool:
    return False


# Computed keys whose value never depends on the record (compiled views inline them).
CONSTANTS: dict[Compute, Any] = {_zero: 0, _none: None, _false: False}


def _related(rc: RenderContext, entity: str, record_id: Any) -> Record | None:
    if record_id is None:
        return None
    return rc.related.get(entity, {}).get(record_id)


def user_object(user: Record | None, has_pic_as_int: bool = False) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user["id"], "name": user["name"], "email": user["email"],
            "has_pic": 0 if has_pic_as_int else False, "pic_hash": None,
            "active_flag": bool(user["is_active"]) and not user["is_deleted"]}


def _user_ref(field_name: str, has_pic_as_int: bool = False) -> Compute:
    def compute(record: Record, rc: RenderContext) -> Any:
        user_id = record.get(field_name)
        key = ("user", has_pic_as_int, user_id)
        if key not in rc.memo:
            obj = user_object(_related(rc, "user", user_id), has_pic_as_int)
            rc.memo[key] = None if obj is None else {**obj, "value": obj["id"]}
        return rc.memo[key]
    return compute


def person_object(person: Record | None) -> dict[str, Any] | None:
    if person is None:
        return None
    return {"active_flag": not person["is_deleted"], "id": person["id"], "name": person["name"],
            "email": [dict(e) for e in person["emails"]],
            "phone": [dict(p) for p in person["phones"]], "owner_id": person["owner_id"]}


def _person_ref(record: Record, rc: RenderContext) -> Any:
    key = ("person", record.get("person_id"))
    if key not in rc.memo:
        obj = person_object(_related(rc, "person", record.get("person_id")))
        if obj is not None:
            obj.pop("id")
            obj = {**obj, "value": record["person_id"]}
        rc.memo[key] = obj
    return rc.memo[key]


def org_object(org: Record | None, rc: RenderContext) -> dict[str, Any] | None:
    if org is None:
        return None
    out = {"active_flag": not org["is_deleted"], "id": org["id"], "name": org["name"],
           "people_count": org["people_count"], "owner_id": org["owner_id"]}
    if org.get("address") is not None:  # the spec types it as a non-null string
        out["address"] = org["address"]
    return out


def _org_ref(field_name: str) -> Compute:
    def compute(record: Record, rc: RenderContext) -> Any:
        key = ("organization", record.get(field_name))
        if key not in rc.memo:
            obj = org_object(_related(rc, "organization", record.get(field_name)), rc)
            if obj is not None:
                obj.pop("id")
                obj = {**obj, "value": record[field_name]}
            rc.memo[key] = obj
        return rc.memo[key]
    return compute


def _hidden(entity: str, field_name: str) -> Compute:
    """v1's ``person_hidden``/``org_hidden``: the record points at one the reader does not
    see (the records service did not give it; a deleted one it gives)."""
    def compute(record: Record, rc: RenderContext) -> bool:
        return record.get(field_name) is not None and _related(
            rc, entity, record.get(field_name)) is None
    return compute


def _name_of(entity: str, field_name: str) -> Compute:
    def compute(record: Record, rc: RenderContext) -> Any:
        other = _related(rc, entity, record.get(field_name))
        return None if other is None else other["name"]
    return compute


def format_money(amount: float, currency: str) -> str:
    text = f"{amount:,.2f}".removesuffix(".00")
    known = BY_CODE.get(currency)
    symbol = known.symbol if known is not None and known.symbol != currency else None
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def weighted_value(record: Record, rc: RenderContext) -> float:
    return weigh(record["value"], record.get("probability"),
                 _related(rc, "stage", record.get("stage_id")),
                 _related(rc, "pipeline", record.get("pipeline_id")))


def _v1_deal_status(record: Record, rc: RenderContext) -> str:
    return "deleted" if record["is_deleted"] else str(record["status"])


def _first_char(record: Record, rc: RenderContext) -> str | None:
    name = record.get("name") or ""
    return name[:1].lower() or None


def _label_csv(record: Record, rc: RenderContext) -> str | None:
    ids = record.get("label_ids") or []
    return ",".join(map(str, ids)) or None


def _first_label(record: Record, rc: RenderContext) -> int | None:
    ids = record.get("label_ids") or []
    return ids[0] if ids else None


def timezone_offset(name: str) -> str:
    try:
        offset = zoneinfo.ZoneInfo(name).utcoffset(dt.datetime.now())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "+00:00"
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# ---- keys that parse what is written ------------------------------------------------------

def _bad_input(key: str, message: str, reason: Reason = Reason.INVALID) -> ValidationError:
    return ValidationError(message, (Problem(key, message, reason),))


def parse_labels(value: Any) -> dict[str, Any]:
    """v1 deal ``label``: an id, a comma-separated list of ids, or a list."""
    if value is None or value == "":
        return {"label_ids": []}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"label_ids": [value]}
    if isinstance(value, str):
        parts = [parse_int(p, 1) for p in value.split(",") if p.strip()]
        if any(p is None for p in parts):
            raise _bad_input("label", "label must be label ids")
        return {"label_ids": parts}
    return {"label_ids": value}


def parse_address(prefix: str) -> Parse:
    """An address: a string, or an object of ``value`` and its parts; into ``<prefix>`` and
    ``<prefix>_<part>`` (null clears them all)."""
    def parse(value: Any) -> dict[str, Any]:
        if value is None:
            return {prefix: None, **{f"{prefix}_{p}": None for p in ADDRESS_PARTS}}
        if isinstance(value, str):
            return {prefix: value}
        if not isinstance(value, dict):
            raise _bad_input(prefix, f"{prefix} must be a string or an object with 'value'")
        unknown = set(value) - {"value", *ADDRESS_PARTS}
        if unknown:
            raise _bad_input(prefix, f"{prefix} has unknown keys {sorted(map(str, unknown))[:5]}",
                             Reason.UNKNOWN_FIELD)
        return {prefix: value.get("value"),
                **{f"{prefix}_{p}": value[p] for p in ADDRESS_PARTS if p in value}}
    return parse


def address_object(prefix: str) -> Compute:
    """v2: an address as an object of ``value`` and its parts (null without a value)."""
    def compute(r: Record, rc: RenderContext) -> Any:
        if r.get(prefix) is None:
            return None
        return {"value": r[prefix], **{p: r[f"{prefix}_{p}"] for p in ADDRESS_PARTS
                                       if p != "formatted_address"
                                       and r.get(f"{prefix}_{p}") is not None}}
    return compute


def parse_list(field_name: str) -> Parse:
    """v1 ``email``/``phone``: a list, or one item alone (blank: none)."""
    def parse(value: Any) -> dict[str, Any]:
        items = value if isinstance(value, list) else ([] if value in (None, "") else [value])
        return {field_name: items}
    return parse


def parse_participants(flag: str) -> Parse:
    """``participants``: ``[{person_id, <flag>}]`` into the primary person (the flagged one,
    else the first) and the others."""
    def parse(value: Any) -> dict[str, Any]:
        if value is None:
            return {"person_id": None, "participant_ids": []}
        if not isinstance(value, list) or len(value) > 100 or not all(
                isinstance(i, dict) for i in value):
            raise _bad_input("participants", "participants must be a list of objects with "
                             "person_id")
        ids: list[int] = []
        primary: int | None = None
        for item in value:
            if set(item) - {"person_id", flag}:
                raise _bad_input("participants", f"participants take person_id and {flag}",
                                 Reason.UNKNOWN_FIELD)
            person = item.get("person_id")
            if isinstance(person, bool) or not isinstance(person, int) or person <= 0:
                raise _bad_input("participants", "person_id must be a positive integer")
            flagged = item.get(flag, False)
            if flagged not in (True, False, 0, 1):
                raise _bad_input("participants", f"{flag} must be a boolean")
            if flagged and primary is None:
                primary = person
            if person not in ids:
                ids.append(person)
        if primary is None and ids:
            primary = ids[0]
        return {"person_id": primary, "participant_ids": [i for i in ids if i != primary]}
    return parse


def parse_flag(key: str, field_name: str) -> Parse:
    """A flag written as a boolean or 0/1 (``done``; a task's ``milestone``)."""
    def parse(value: Any) -> dict[str, Any]:
        if value in (0, 1, "0", "1") and not isinstance(value, bool | float):
            value = bool(int(value))
        if not isinstance(value, bool):
            raise _bad_input(key, f"{key} must be a boolean (or 0/1)")
        return {field_name: value}
    return parse


parse_done = parse_flag("done", "done")


def parse_attendees(email: str) -> Parse:
    """``attendees``: objects whose e-mail key is ``email`` (v1 ``email_address``)."""
    def parse(value: Any) -> dict[str, Any]:
        if value is None:
            return {"attendees": []}
        if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
            raise _bad_input("attendees", "attendees must be a list of objects")
        return {"attendees": [{_attendee_key(k, email): v for k, v in item.items()}
                               for item in value]}
    return parse


def _attendee_key(key: str, email: str) -> str:
    """The canonical name of an attendee's key in this version (``email``); the other
    version's e-mail key stays foreign, and the record's rule refuses it."""
    if key == email:
        return "email"
    return "email_address" if key == "email" else key


def attendees(email: str) -> Compute:
    def compute(r: Record, rc: RenderContext) -> Any:
        return [{(email if k == "email" else k): v for k, v in item.items()}
                for item in r.get("attendees") or ()]
    return compute


def participants(flag: str) -> Compute:
    def compute(r: Record, rc: RenderContext) -> Any:
        primary = r.get("person_id")
        out = [] if primary is None else [{"person_id": primary, flag: True}]
        return out + [{"person_id": i, flag: False} for i in r.get("participant_ids") or []]
    return compute


# ---- list filters ----------------------------------------------------------------------

def _int(param: str, value: str) -> int:
    found = parse_int(value, 1)
    if found is None:
        raise ValidationError(f"Parameter '{param}' must be a positive integer",
                              (Problem(param, "must be a positive integer", Reason.BAD_PARAMETER),))
    return found


def eq_int(param: str, canonical: str) -> Callable[[str], Filter]:
    return lambda value: Cond(canonical, "eq", _int(param, value))


def id_list(param: str, limit: int = 100) -> Callable[[str], Filter]:
    def build(value: str) -> Filter:
        ids = [_int(param, v) for v in value.split(",") if v.strip()]
        if not ids or len(ids) > limit:
            raise ValidationError(f"Parameter '{param}' takes 1 to {limit} ids",
                                  (Problem(param, f"takes 1 to {limit} ids", Reason.BAD_PARAMETER),))
        return Cond("id", "in", ids)
    return build


def starts_with(canonical: str) -> Callable[[str], Filter]:
    return lambda value: Cond(canonical, "starts_with", value[:255])


def time_bound(param: str, op: str) -> Callable[[str], Filter]:
    def build(value: str) -> Filter:
        try:
            return Cond("updated_at", op, coerce(Kind.DATETIME, param, value))
        except ValidationError as error:
            raise ValidationError(error.message, (Problem(param, "must be a date-time",
                                                          Reason.BAD_PARAMETER),)) from None
    return build


def owner_or_all(param: str, canonical: str) -> Callable[[str], Filter | None]:
    """v1 ``user_id``: one user's records, or 0 for everyone's."""
    def build(value: str) -> Filter | None:
        if value.strip() == "0":
            return None
        return Cond(canonical, "eq", _int(param, value))
    return build


def done_flag(param: str) -> Callable[[str], Filter]:
    """``done``: 0/1 (v1) or true/false (v2) into the activity's status."""
    def build(value: str) -> Filter:
        text = value.strip().lower()
        if text not in ("0", "1", "true", "false"):
            raise ValidationError(f"Parameter '{param}' must be 0/1 or true/false",
                                  (Problem(param, "must be a boolean", Reason.BAD_PARAMETER),))
        return Cond("status", "eq" if text in ("1", "true") else "ne", ACTIVITY_DONE)
    return build


def one_of(param: str, canonical: str) -> Callable[[str], Filter]:
    """A comma-separated list of values (activity ``type``)."""
    def build(value: str) -> Filter:
        items = [v.strip() for v in value.split(",") if v.strip()]
        if not items or len(items) > 100 or any(len(v) > 64 for v in items):
            raise ValidationError(f"Parameter '{param}' takes 1 to 100 values",
                                  (Problem(param, "takes 1 to 100 values", Reason.BAD_PARAMETER),))
        return Cond(canonical, "in", items)
    return build


def date_bound(param: str, canonical: str, op: str) -> Callable[[str], Filter]:
    def build(value: str) -> Filter:
        try:
            return Cond(canonical, op, coerce(Kind.DATE, param, value))
        except ValidationError as error:
            raise ValidationError(error.message, (Problem(param, "must be a date (YYYY-MM-DD)",
                                                          Reason.BAD_PARAMETER),)) from None
    return build


DEAL_STATUSES = ("open", "won", "lost")


def deal_status(allow_all_not_deleted: bool, statuses: tuple[str, ...] = DEAL_STATUSES
                ) -> Callable[[str], Filter]:
    """``status``: records of the given statuses (comma-separated), and deleted ones if
    asked for (a project's statuses are its own)."""
    def build(value: str) -> Filter:
        wanted = [v.strip() for v in value.split(",") if v.strip()]
        allowed = {*statuses, "deleted"} | ({"all_not_deleted"} if allow_all_not_deleted
                                             else set())
        if not wanted or any(v not in allowed for v in wanted):
            raise ValidationError(
                f"Parameter 'status' must be one of {', '.join(sorted(allowed))}",
                (Problem("status", "invalid status", Reason.BAD_PARAMETER),))
        parts: list[Filter] = []
        live = [v for v in wanted if v in statuses]
        if "all_not_deleted" in wanted:
            parts.append(Cond("is_deleted", "eq", False))
        elif live:
            parts.append(all_of(Cond("is_deleted", "eq", False),
                                Cond("status", "in", live)) or Cond("id", "gt", 0))
        if "deleted" in wanted:
            parts.append(Cond("is_deleted", "eq", True))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))
    return build


# ---- the views -------------------------------------------------------------------------

# Counters of what dealbase does not hold yet (files, mail; the deals a person or
# organization takes part in besides its own): truly zero.
UNHELD = ("files_count", "email_messages_count")
RELATED_DEALS = ("related_open_deals_count", "related_closed_deals_count",
                 "related_won_deals_count", "related_lost_deals_count")
# Counters the records service keeps (``domain.entities._common``).
ACTIVITY_COUNTS = ("activities_count", "done_activities_count", "undone_activities_count",
                   "notes_count", "next_activity_id", "last_activity_id")
DEAL_COUNTS = ("open_deals_count", "closed_deals_count", "won_deals_count", "lost_deals_count")
ACTIVITY_LOADS = (("activity", "next_activity_id"), ("activity", "last_activity_id"))


def _zeros(keys: tuple[str, ...], opt_in: bool = False) -> tuple[Attr, ...]:
    return tuple(Attr(k, compute=_zero, opt_in=opt_in) for k in keys)


def _nones(keys: tuple[str, ...], opt_in: bool = False) -> tuple[Attr, ...]:
    return tuple(Attr(k, compute=_none, opt_in=opt_in) for k in keys)


def _followers(opt_in: bool = False) -> Attr:
    """``followers_count``: the users following the record (its ``watcher_ids``)."""
    return Attr("followers_count", compute=lambda r, rc: len(r.get("watcher_ids") or ()),
                opt_in=opt_in)


def _opt_in(*names: str) -> tuple[Attr, ...]:
    """v2: canonical fields shown only when ``include_fields`` names them."""
    return tuple(Attr(n, n, opt_in=True) for n in names)


def _of_activity(link: str, field_name: str, fmt: Callable[[Any], Any] = lambda v: v) -> Compute:
    """A field of the record's next or last activity (``link``: its id field)."""
    def compute(r: Record, rc: RenderContext) -> Any:
        activity = _related(rc, "activity", r.get(link))
        return None if activity is None else fmt(activity[field_name])
    return compute


def _activity_links(subjects: bool = False) -> tuple[Attr, ...]:
    """v1: the next activity's date and time (and subject, type, duration, note) and the
    last activity's date, from the activities the ids name."""
    out = [Attr("next_activity_date", compute=_of_activity("next_activity_id", "due_date", day)),
           Attr("next_activity_time", compute=_of_activity("next_activity_id", "due_time", clock)),
           Attr("last_activity_date", compute=_of_activity("last_activity_id", "due_date", day))]
    if subjects:
        out += [Attr("next_activity_subject", compute=_of_activity("next_activity_id", "subject")),
                Attr("next_activity_type", compute=_of_activity("next_activity_id", "type")),
                Attr("next_activity_duration", compute=_of_activity(
                    "next_activity_id", "duration", hours_minutes)),
                Attr("next_activity_note", compute=_of_activity("next_activity_id", "note"))]
    return tuple(out)


def _participants_count(r: Record, rc: RenderContext) -> int:
    """A deal's contact person and its other participants."""
    return (r.get("person_id") is not None) + len(r.get("participant_ids") or ())


V1_DEAL_FILTERS: dict[str, Callable[[str], Filter | None]] = {
    "user_id": eq_int("user_id", "owner_id"),
    "stage_id": eq_int("stage_id", "stage_id"),
    "pipeline_id": eq_int("pipeline_id", "pipeline_id"),
    "person_id": eq_int("person_id", "person_id"),
    "org_id": eq_int("org_id", "organization_id"),
    "status": deal_status(True),
}
V2_COMMON_FILTERS: dict[str, Callable[[str], Filter | None]] = {
    "ids": id_list("ids"),
    "owner_id": eq_int("owner_id", "owner_id"),
    "updated_since": time_bound("updated_since", "ge"),
    "updated_until": time_bound("updated_until", "lt"),
}


def _flag(key: str, field_name: str) -> Attr:
    """A v1 key showing whether the record is live (``active_flag``)."""
    return Attr(key, field_name, compute=lambda r, rc: not r["is_deleted"], writable=False)


def _visible_to() -> Attr:
    return Attr("visible_to", "visible_to", style="str")


def _revenue_currencies() -> tuple[Attr, ...]:
    """v1 ``arr_currency``, ``mrr_currency``, ``acv_currency``: the deal's currency when it
    has the value (its subscription sets both), else null."""
    def currency_of(name: str) -> Compute:
        return lambda r, rc: r["currency"] if r.get(name) is not None else None
    return tuple(Attr(f"{name}_currency", compute=currency_of(name))
                 for name in ("arr", "mrr", "acv"))


NOT_ARCHIVED = Cond("is_archived", "eq", False)
ARCHIVED = Cond("is_archived", "eq", True)

DEAL_V1 = View(
    entity="deal", path="deals", version="v1", create_status=201, has_custom=True,
    fields_api="write", listed=NOT_ARCHIVED,
    omit_null=frozenset({"creator_user_id", "user_id", "person_id", "org_id", "stage_change_time",
        "won_time", "first_won_time", "lost_time", "expected_close_date", "next_activity_date",
        "next_activity_time", "next_activity_subject", "next_activity_type",
        "next_activity_duration", "next_activity_note", "label", "person_name", "org_name",
        "owner_name", "origin", "last_incoming_mail_time", "last_outgoing_mail_time",
        "stage_order_nr", "archive_time"}),
    loads=(("user", "owner_id"), ("user", "creator_id"), ("person", "person_id"),
           ("organization", "organization_id"), ("stage", "stage_id"),
           ("pipeline", "pipeline_id"), *ACTIVITY_LOADS),
    related_objects=("user", "person", "organization", "stage", "pipeline"),
    filters=V1_DEAL_FILTERS,
    keys={"is_deleted": "deleted"},
    declared=(
        Attr("creator_user_id", "creator_id", compute=_user_ref("creator_id"), writable=False),
        Attr("user_id", "owner_id", compute=_user_ref("owner_id")),
        Attr("person_id", "person_id", compute=_person_ref),
        Attr("org_id", "organization_id", compute=_org_ref("organization_id")),
        Attr("status", "status", compute=_v1_deal_status),
        _visible_to(),
        Attr("label", "label_ids", compute=_label_csv, parse=parse_labels),
        Attr("active", compute=lambda r, rc: r["status"] == "open" and not r["is_deleted"]),
        Attr("stage_order_nr", compute=lambda r, rc: (
            _related(rc, "stage", r["stage_id"]) or {}).get("order_nr")),
        Attr("person_name", compute=_name_of("person", "person_id")),
        Attr("org_name", compute=_name_of("organization", "organization_id")),
        Attr("owner_name", compute=_name_of("user", "owner_id")),
        Attr("formatted_value", compute=lambda r, rc: format_money(r["value"], r["currency"])),
        Attr("weighted_value", compute=weighted_value),
        Attr("formatted_weighted_value", compute=lambda r, rc: format_money(
            weighted_value(r, rc), r["currency"])),
        Attr("weighted_value_currency", compute=lambda r, rc: r["currency"]),
        Attr("rotten_time", compute=_none),
        Attr("org_hidden", compute=_hidden("organization", "organization_id")),
        Attr("person_hidden", compute=_hidden("person", "person_id")),
        *_zeros(UNHELD),
        _followers(),
        Attr("participants_count", compute=_participants_count),
        *_activity_links(subjects=True),
        *_nones(("last_incoming_mail_time", "last_outgoing_mail_time")),
        *_revenue_currencies(),
    ),
)

# The deals of a stage or pipeline (v1): references as bare ids, no creator, no
# related_objects; the parent's own id is not a filter.
FLAT_DEAL_V1 = replace(
    DEAL_V1, declared=tuple(a for a in DEAL_V1.declared if a.field not in (
        "creator_id", "owner_id", "person_id", "organization_id")),
    hidden=DEAL_V1.hidden | {"creator_id"}, keys={**DEAL_V1.keys, "owner_id": "user_id"},
    related_objects=(), filters={k: v for k, v in V1_DEAL_FILTERS.items() if k != "stage_id"})

DEAL_V2 = View(
    entity="deal", path="deals", version="v2", has_custom=True, listed=NOT_ARCHIVED,
    # (stage_change_time: null until the deal changes stage, as Pipedrive sends it and
    # tap-pipedrive reads it; a documented deviation from the spec's non-null string)
    omit_null=frozenset({"owner_id", "person_id", "org_id", "won_time", "lost_time",
        "expected_close_date", "archive_time", "first_won_time",
        "last_incoming_mail_time", "last_outgoing_mail_time", "smart_bcc_email"}),
    filters={**V2_COMMON_FILTERS, "person_id": eq_int("person_id", "person_id"),
             "org_id": eq_int("org_id", "organization_id"),
             "pipeline_id": eq_int("pipeline_id", "pipeline_id"),
             "stage_id": eq_int("stage_id", "stage_id"), "status": deal_status(False)},
    declared=(
        Attr("first_won_time", "first_won_at", opt_in=True),
        Attr("source_lead_id", compute=_none),
        *_opt_in(*ACTIVITY_COUNTS, "products_count"),
        _followers(opt_in=True),
        *_nones(("last_incoming_mail_time", "last_outgoing_mail_time", "smart_bcc_email"),
                opt_in=True),
        *_zeros(UNHELD, opt_in=True),
        Attr("participants_count", compute=_participants_count, opt_in=True),
    ),
)

PERSON_V1 = View(
    entity="person", path="persons", version="v1", create_status=201, has_custom=True,
    fields_api="write",
    omit_null=frozenset({"owner_id", "org_id", "first_name", "last_name", "first_char",
        "last_incoming_mail_time", "last_outgoing_mail_time", "org_name", "owner_name",
        "label", "job_title", "birthday", "notes", "postal_address", *POSTAL_PARTS}),
    loads=(("user", "owner_id"), ("organization", "organization_id"), *ACTIVITY_LOADS),
    related_objects=("user", "organization"),
    filters={"user_id": eq_int("user_id", "owner_id"), "first_char": starts_with("name"),
             "org_id": eq_int("org_id", "organization_id")},
    declared=(
        Attr("email", "emails", parse=parse_list("emails")),
        Attr("phone", "phones", parse=parse_list("phones")),
        Attr("postal_address", "postal_address", parse=parse_address("postal_address")),
        Attr("owner_id", "owner_id", compute=_user_ref("owner_id", has_pic_as_int=True)),
        Attr("org_id", "organization_id", compute=_org_ref("organization_id")),
        _flag("active_flag", "is_deleted"),
        _visible_to(),
        Attr("company_id", compute=lambda r, rc: rc.company.get("id")),
        Attr("first_char", compute=_first_char),
        Attr("label", compute=_first_label),
        Attr("org_name", compute=_name_of("organization", "organization_id")),
        Attr("owner_name", compute=_name_of("user", "owner_id")),
        *_zeros((*UNHELD, *RELATED_DEALS)),
        _followers(),
        *_activity_links(),
        *_nones(("last_incoming_mail_time", "last_outgoing_mail_time")),
    ),
)

PERSON_V2 = View(
    entity="person", path="persons", version="v2", has_custom=True,
    omit_null=frozenset({"owner_id", "org_id", "picture_id", "first_name", "last_name",
        "birthday", "job_title", "notes", "last_incoming_mail_time", "last_outgoing_mail_time",
        "smart_bcc_email", "postal_address"}),
    hidden=PIPELINER_ONLY | POSTAL_PARTS,
    filters={**V2_COMMON_FILTERS, "org_id": eq_int("org_id", "organization_id")},
    declared=(
        Attr("postal_address", "postal_address", compute=address_object("postal_address"),
             parse=parse_address("postal_address")),
        Attr("picture_id", compute=_none),
        *_opt_in(*ACTIVITY_COUNTS, *DEAL_COUNTS),
        _followers(opt_in=True),
        *_zeros((*UNHELD, *RELATED_DEALS, "participant_open_deals_count",
                 "participant_closed_deals_count"), opt_in=True),
        *_nones(("last_incoming_mail_time", "last_outgoing_mail_time", "smart_bcc_email",
                 "marketing_status", "doi_status"), opt_in=True),
    ),
)

ORG_ADDRESS = ADDRESS_PARTS

ORGANIZATION_V1 = View(
    entity="organization", path="organizations", version="v1", create_status=201,
    fields_api="write",
    omit_null=frozenset({"owner_id", "address", *(f"address_{p}" for p in ORG_ADDRESS),
        "first_char", "owner_name", "label"}),
    has_custom=True, loads=(("user", "owner_id"), *ACTIVITY_LOADS), related_objects=("user",),
    hidden=PIPELINER_ONLY | ORG_PIPELINER_ONLY,
    filters={"user_id": eq_int("user_id", "owner_id"), "first_char": starts_with("name")},
    declared=(
        Attr("owner_id", "owner_id", compute=_user_ref("owner_id", has_pic_as_int=True)),
        _flag("active_flag", "is_deleted"),
        _visible_to(),
        Attr("address", "address", parse=parse_address("address")),
        Attr("company_id", compute=lambda r, rc: rc.company.get("id")),
        Attr("first_char", compute=_first_char),
        Attr("label", compute=_first_label),
        Attr("owner_name", compute=_name_of("user", "owner_id")),
        *_zeros((*UNHELD, *RELATED_DEALS)),
        _followers(),
        *_activity_links(),
    ),
)

ORGANIZATION_V2 = View(
    entity="organization", path="organizations", version="v2", has_custom=True,
    hidden=PIPELINER_ONLY | ORG_PIPELINER_ONLY | {f"address_{p}" for p in ORG_ADDRESS},
    omit_null=frozenset({"owner_id", "address", "smart_bcc_email"}),
    filters=V2_COMMON_FILTERS,
    declared=(
        Attr("address", "address", compute=address_object("address"),
             parse=parse_address("address")),
        *_opt_in(*ACTIVITY_COUNTS, *DEAL_COUNTS, "people_count"),
        _followers(opt_in=True),
        *_zeros((*UNHELD, *RELATED_DEALS), opt_in=True),
        *_nones(("smart_bcc_email",), opt_in=True),
    ),
)

# (a pipeline's get, with its deals' summary: api/pipedrive/statistics.py)
PIPELINE_V1 = View(
    entity="pipeline", path="pipelines", version="v1", paged=False, operations=CRUD - {"get"},
    default_sort=(Sort("order_nr"),),
    declared=(
        _flag("active", "is_deleted"),
        Attr("deal_probability", "is_deal_probability_enabled", style="bool01"),
        Attr("url_title", compute=lambda r, rc: "-".join(r["name"].lower().split())),
        Attr("selected", compute=lambda r, rc: bool(rc.company.get("first_pipeline") == r["id"])),
    ),
)

PIPELINE_V2 = View(
    entity="pipeline", path="pipelines", version="v2", operations=CRUD - {"get"},
    declared=(Attr("order_nr", "order_nr", writable=False),),
)

STAGE_V1 = View(
    entity="stage", path="stages", version="v1", loads=(("pipeline", "pipeline_id"),),
    default_sort=(Sort("order_nr"),),
    omit_null=frozenset({"rotten_days", "pipeline_name"}),
    filters={"pipeline_id": eq_int("pipeline_id", "pipeline_id")},
    keys={"rotting_days": "rotten_days"},
    declared=(
        _flag("active_flag", "is_deleted"),
        Attr("rotten_flag", "is_rotting_enabled", style="bool01"),
        Attr("pipeline_name", compute=_name_of("pipeline", "pipeline_id")),
        Attr("pipeline_deal_probability", compute=lambda r, rc: bool(
            (_related(rc, "pipeline", r["pipeline_id"]) or {}).get(
                "is_deal_probability_enabled"))),
    ),
)

STAGE_V2 = View(
    entity="stage", path="stages", version="v2", sort_by=("id", "update_time", "add_time",
                                                          "order_nr"),
    filters={"pipeline_id": eq_int("pipeline_id", "pipeline_id")},
    keys={"is_rotting_enabled": "is_deal_rot_enabled", "rotting_days": "days_to_rotten"},
)

USER_V1 = View(
    entity="user", path="users", version="v1", paged=False,
    hidden=PIPELINER_ONLY | {"first_name", "last_name"},
    omit_null=frozenset({"last_login"}),
    keys={"last_login_at": "last_login", "created_at": "created", "updated_at": "modified"},
    declared=(
        Attr("has_created_company", "is_admin", compute=lambda r, rc: bool(r["is_admin"]),
             writable=False),
        Attr("active_flag", "is_active", style="bool01"),
        Attr("activated", compute=lambda r, rc: bool(r["is_active"])),
        Attr("access", compute=lambda r, rc: [
            {"app": s.app, "admin": s.for_admins, "permission_set_id": s.id}
            for s in permission_sets_of(bool(r["is_admin"]))]),
        Attr("timezone_offset", compute=lambda r, rc: timezone_offset(r["timezone_name"])),
        Attr("role_id", "role_id", writable=False),
        Attr("is_you", compute=lambda r, rc: r["id"] == rc.user_id),
    ),
)

# An activity's place in its project's plan (the plan's own routes show it: projects.py).
PLAN_PLACE = frozenset({"project_phase_id", "project_group_id"})

ACTIVITY_V1 = View(
    entity="activity", path="activities", version="v1", create_status=201, omit_nulls=True,
    fields_api="read", own_by_default="owner_id",
    loads=(("user", "owner_id"), ("person", "person_id"), ("organization", "organization_id"),
           ("deal", "deal_id"), ("lead", "lead_id")),
    hidden=PIPELINER_ONLY | PLAN_PLACE | {"priority", "status"}, uid_refs={"lead_id": "lead"},
    filters={"user_id": owner_or_all("user_id", "owner_id"), "type": one_of("type", "type"),
             "start_date": date_bound("start_date", "due_date", "ge"),
             "end_date": date_bound("end_date", "due_date", "le"), "done": done_flag("done")},
    keys={"owner_id": "user_id", "busy": "busy_flag", "creator_id": "created_by_user_id",
          "done_at": "marked_as_done_time"},
    declared=(
        Attr("due_time", "due_time", style="hhmm"),
        Attr("duration", "duration", style="minutes"),
        Attr("location", "location", parse=parse_address("location")),
        Attr("participants", compute=participants("primary_flag"),
             parse=parse_participants("primary_flag")),
        Attr("attendees", "attendees", compute=attendees("email_address"),
             parse=parse_attendees("email_address")),
        Attr("done", compute=lambda r, rc: r["status"] == ACTIVITY_DONE, parse=parse_done),
        Attr("active_flag", compute=lambda r, rc: not r["is_deleted"]),
        Attr("company_id", compute=lambda r, rc: rc.company.get("id")),
        Attr("assigned_to_user_id", compute=lambda r, rc: r["owner_id"]),
        Attr("org_name", compute=_name_of("organization", "organization_id")),
        Attr("person_name", compute=_name_of("person", "person_id")),
        Attr("owner_name", compute=_name_of("user", "owner_id")),
        Attr("deal_title", compute=lambda r, rc: (_related(rc, "deal", r.get("deal_id"))
                                                  or {}).get("title")),
        _uid_key("lead_id", "lead_id", "lead"),
        Attr("series", compute=lambda r, rc: []),
    ),
)

def _excluded(value: str) -> Filter:
    """``exclude``: activity ids left out of the list."""
    ids = [parse_int(v, 1) for v in value.split(",") if v.strip()]
    if not ids or len(ids) > 500 or any(i is None for i in ids):
        raise ValidationError("Parameter 'exclude' takes 1 to 500 ids",
                              (Problem("exclude", "takes 1 to 500 ids", Reason.BAD_PARAMETER),))
    return Not(Cond("id", "in", ids))


# A deal's, person's or organization's activities (v1): everyone's, ``done`` and ``exclude``.
CHILD_ACTIVITY_V1 = replace(ACTIVITY_V1, own_by_default="", filters={
    "done": done_flag("done"), "exclude": _excluded})

ACTIVITY_V2 = View(
    entity="activity", path="activities", version="v2", omit_nulls=True, fields_api="read",
    hidden=PIPELINER_ONLY | PLAN_PLACE | {"status", "location_formatted_address"}
    | {f"location_{p}" for p in ADDRESS_PARTS},
    loads=(("lead", "lead_id"),), uid_refs={"lead_id": "lead"},
    filters={**V2_COMMON_FILTERS, "deal_id": eq_int("deal_id", "deal_id"),
             "person_id": eq_int("person_id", "person_id"),
             "org_id": eq_int("org_id", "organization_id"), "done": done_flag("done")},
    sort_by=("id", "update_time", "add_time", "due_date"),
    keys={"done_at": "marked_as_done_time"},
    declared=(
        Attr("person_id", "person_id", writable=False),
        Attr("due_time", "due_time", style="hhmm"),
        Attr("duration", "duration", style="minutes"),
        Attr("location", "location", compute=address_object("location"),
             parse=parse_address("location")),
        Attr("participants", compute=participants("primary"),
             parse=parse_participants("primary")),
        Attr("attendees", "attendees", compute=attendees("email"), parse=parse_attendees("email"),
             opt_in=True),
        Attr("done", compute=lambda r, rc: r["status"] == ACTIVITY_DONE, parse=parse_done),
        _uid_key("lead_id", "lead_id", "lead"),
    ),
)

def _pinned(target: str) -> Callable[[str], Filter]:
    """``pinned_to_<target>_flag``: 0/1."""
    param = f"pinned_to_{target}_flag"

    def build(value: str) -> Filter:
        text = value.strip()
        if text not in ("0", "1"):
            raise ValidationError(f"Parameter '{param}' must be 0 or 1",
                                  (Problem(param, "must be 0 or 1", Reason.BAD_PARAMETER),))
        return Cond(f"pinned_to_{target}", "eq", text == "1")
    return build


def _uid_filter(field_name: str) -> Callable[[str], Filter]:
    """A filter on a reference given by UUID (resolved by the handler: ``routes.resolve_uids``)."""
    def build(value: str) -> Filter:
        if not uids_of(value):
            raise _bad_input(field_name, f"Parameter '{field_name}' must be a UUID",
                             Reason.BAD_PARAMETER)
        return Cond(field_name, "eq", value)
    return build


def _named(entity: str, field_name: str, key: str) -> Compute:
    """v1 notes: the record a note is attached to, as ``{<key>: …}``."""
    def compute(r: Record, rc: RenderContext) -> Any:
        other = _related(rc, entity, r.get(field_name))
        return None if other is None else {key: other[key]}
    return compute


def _note_user(r: Record, rc: RenderContext) -> Any:
    user = _related(rc, "user", r.get("owner_id"))
    if user is None:
        return None
    shown = {"email": user["email"], "name": user["name"], "icon_url": user["icon_url"],
             "is_you": user["id"] == rc.user_id}
    return {k: v for k, v in shown.items() if v is not None}  # (the spec types no nulls)


NOTE_V1 = View(
    entity="note", path="notes", version="v1", omit_nulls=True, fields_api="read-v1",
    deleted="true", operations=CRUD, uid_refs={"lead_id": "lead"},
    loads=(("user", "owner_id"), ("deal", "deal_id"), ("person", "person_id"),
           ("organization", "organization_id"), ("lead", "lead_id")),
    filters={"user_id": eq_int("user_id", "owner_id"), "deal_id": eq_int("deal_id", "deal_id"),
             "person_id": eq_int("person_id", "person_id"),
             "org_id": eq_int("org_id", "organization_id"), "lead_id": _uid_filter("lead_id"),
             "start_date": date_bound("start_date", "created_at", "ge"),
             "end_date": date_bound("end_date", "created_at", "le"),
             **{f"pinned_to_{t}_flag": _pinned(t) for t in ("deal", "person", "organization",
                                                             "lead")}},
    keys={"owner_id": "user_id", "updated_by": "last_update_user_id",
          **{f"pinned_to_{t}": f"pinned_to_{t}_flag" for t in ("deal", "person", "lead")},
          "pinned_to_organization": "pinned_to_organization_flag"},
    declared=(
        _flag("active_flag", "is_deleted"),
        _uid_key("lead_id", "lead_id", "lead"),
        Attr("project_id", compute=_none),
        Attr("pinned_to_project_flag", compute=_false),
        Attr("deal", compute=_named("deal", "deal_id", "title")),
        Attr("person", compute=_named("person", "person_id", "name")),
        Attr("organization", compute=_named("organization", "organization_id", "name")),
        Attr("user", compute=_note_user),
    ),
)

def parse_prices(cost_key: str) -> Parse:
    """``prices``: ``[{currency, price, cost, <cost_key>, notes}]`` (v1's overhead cost is the
    canonical direct cost)."""
    def parse(value: Any) -> dict[str, Any]:
        if value is None:
            return {"prices": []}
        if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
            raise _bad_input("prices", "prices must be a list of objects")
        return {"prices": [{("direct_cost" if k == cost_key else
                             "_unknown" if k == "direct_cost" and cost_key != k else k): v
                            for k, v in item.items()} for item in value]}
    return parse


def prices(cost_key: str, with_id: bool) -> Compute:
    def compute(r: Record, rc: RenderContext) -> Any:
        out = []
        for p in r.get("prices") or ():
            item = {"product_id": r.get("product_id", r["id"]), "price": p["price"],
                    "currency": p["currency"], "cost": p["cost"], cost_key: p["direct_cost"],
                    "notes": p["notes"] or ""}
            if with_id:
                item["id"] = p["id"]
            out.append(item)
        return out
    return compute


def _whole(value: Any) -> Any:
    """A number that is whole as an integer (v1 quantities)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# (a product's description is Pipedrive's as much as Pipeliner's)
PRODUCT_HIDDEN = PIPELINER_ONLY - {"description"}

PRODUCT_V1 = View(
    entity="product", path="products", version="v1", create_status=201, has_custom=True,
    fields_api="write", omit_nulls=True, hidden=PRODUCT_HIDDEN,
    operations=CRUD,
    loads=(("user", "owner_id"),), related_objects=("user",),
    filters={"user_id": eq_int("user_id", "owner_id"), "ids": id_list("ids"),
             "first_char": starts_with("name")},
    keys={"is_linkable": "selectable"},
    declared=(
        Attr("owner_id", "owner_id", compute=_user_ref("owner_id", has_pic_as_int=True)),
        _flag("active_flag", "is_deleted"),
        _visible_to(),
        Attr("prices", "prices", compute=prices("overhead_cost", True),
             parse=parse_prices("overhead_cost")),
        Attr("first_char", compute=_first_char),
        Attr("files_count", compute=_zero),
    ),
)

PRODUCT_V2 = View(
    entity="product", path="products", version="v2", create_status=201, has_custom=True,
    omit_nulls=True, hidden=PRODUCT_HIDDEN, sort_by=("id", "name", "add_time", "update_time"),
    filters={**V2_COMMON_FILTERS},
    declared=(
        Attr("prices", "prices", compute=prices("direct_cost", False),
             parse=parse_prices("direct_cost")),
    ),
)

PRODUCT_VARIATION_V2 = View(
    entity="product_variation", path="variations", version="v2", create_status=201,
    omit_nulls=True, operations=frozenset(), hidden=PIPELINER_ONLY | {"is_deleted"},
    declared=(
        Attr("prices", "prices", compute=lambda r, rc: [
            {"product_variation_id": r["id"], "price": p["price"], "currency": p["currency"],
             "cost": p["cost"], "notes": p["notes"] or ""} for p in r.get("prices") or ()],
             parse=parse_prices("direct_cost")),
    ),
)

DEAL_PRODUCT_V2 = View(
    entity="deal_product", path="products", version="v2", create_status=201, omit_nulls=True,
    operations=frozenset(), sort_by=("id", "deal_id", "add_time", "update_time", "order_nr"),
    hidden=PIPELINER_ONLY | {"owner_id", "is_deleted"},
    declared=(
        Attr("deal_id", "deal_id", writable=False),
        Attr("comments", "comments", compute=lambda r, rc: r["comments"] or ""),
    ),
)

DEAL_PRODUCT_V1 = View(
    entity="deal_product", path="products", version="v1", omit_nulls=True,
    operations=frozenset(), hidden=PIPELINER_ONLY | {"owner_id"},
    loads=(("product", "product_id"),),
    keys={"is_enabled": "enabled_flag", "updated_at": "last_edit"},
    declared=(
        Attr("deal_id", "deal_id", writable=False),
        Attr("quantity", "quantity", compute=lambda r, rc: _whole(r["quantity"])),
        _flag("active_flag", "is_deleted"),
        Attr("comments", "comments", compute=lambda r, rc: r["comments"] or ""),
        Attr("sum_formatted", compute=lambda r, rc: format_money(r["sum"], r["currency"] or "")),
        Attr("quantity_formatted", compute=lambda r, rc: f"{_whole(r['quantity'])}"),
    ),
)

ACTIVITY_TYPE_V1 = View(
    entity="activity_type", path="activityTypes", version="v1", paged=False, deleted="record",
    operations=frozenset({"list", "create", "update", "delete", "bulk_delete"}),
    default_sort=(Sort("order_nr"),),
    declared=(
        Attr("key_string", "key", writable=False),
        Attr("is_custom_flag", "is_custom", writable=False),
        _flag("active_flag", "is_deleted"),
        Attr("color", "color", compute=lambda r, rc: r["color"] or ""),
    ),
)


def _lead_value(r: Record, rc: RenderContext) -> Any:
    """A lead's ``value``: ``{amount, currency}``, or null."""
    if r.get("value") is None:
        return None
    return {"amount": r["value"], "currency": r.get("currency") or ""}


def _parse_lead_value(value: Any) -> dict[str, Any]:
    if value is None:
        return {"value": None, "currency": None}
    if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
        raise _bad_input("value", "value must be an object of amount and currency, or null")
    amount, currency = value["amount"], value["currency"]
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        raise _bad_input("value", "value.amount must be a number")
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isascii() \
            or not currency.isalpha():
        raise _bad_input("value", "value.currency must be a three-letter currency code")
    return {"value": amount, "currency": currency.upper()}


# Keys of a lead that Pipedrive does not have (or folds into ``value``).
LEAD_HIDDEN = (PIPELINER_ONLY - {"uid"}) | {"id", "currency", "probability", "activities_count",
    "done_activities_count", "undone_activities_count", "last_activity_id", "notes_count",
    "is_deleted"}

LEAD_V1 = View(
    entity="lead", path="leads", version="v1", create_status=201, has_custom=True,
    by_uid=True, omit_nulls=True, fields_api="read-v1", v1_update="PATCH", flat_pagination=True,
    operations=frozenset({"get", "create", "update", "delete"}),  # (lists: routes._leads)
    require_any=("person_id", "organization_id"),
    uid_refs={"label_ids": "lead_label"}, hidden=LEAD_HIDDEN,
    loads=(("lead_label", "label_ids"),),
    keys={"organization_id": "organization_id", "creator_id": "creator_id"},
    filters={"owner_id": eq_int("owner_id", "owner_id"),
             "person_id": eq_int("person_id", "person_id"),
             "organization_id": eq_int("organization_id", "organization_id")},
    default_sort=(Sort("created_at"), Sort("id")),
    declared=(
        _uid_key("label_ids", "label_ids", "lead_label", many=True),
        _visible_to(),
        Attr("value", "value", compute=_lead_value, parse=_parse_lead_value),
    ),
)

LEAD_LABEL_V1 = View(
    entity="lead_label", path="leadLabels", version="v1", paged=False, by_uid=True,
    v1_update="PATCH", operations=frozenset({"list", "create", "update", "delete"}),
    hidden=(PIPELINER_ONLY - {"uid"}) | {"id", "is_deleted"},
    default_sort=(Sort("created_at"), Sort("id")),
)

NOTE_COMMENT_V1 = View(
    entity="note_comment", path="comments", version="v1", by_uid=True, operations=frozenset(),
    deleted="true",
    hidden=(PIPELINER_ONLY - {"uid"}) | {"id", "is_deleted"},
    keys={"owner_id": "user_id", "updated_by": "updater_id"},
    default_sort=(Sort("created_at"), Sort("id")),
    declared=(
        Attr("uuid", "uid", compute=_wire_id, writable=False),
        _flag("active_flag", "is_deleted"),
        Attr("object_id", "note_id", compute=lambda r, rc: str(r["note_id"]), writable=False),
        Attr("object_type", compute=lambda r, rc: "note"),
        Attr("company_id", compute=lambda r, rc: rc.company.get("id")),
    ),
)

DEAL_DISCOUNT_V2 = View(
    entity="deal_discount", path="discounts", version="v2", create_status=201,
    operations=frozenset(), hidden=(PIPELINER_ONLY - {"description"}) | {"is_deleted"},
    keys={"owner_id": "created_by", "created_at": "created_at", "updated_at": "updated_at"},
    declared=(
        Attr("id", "id", compute=lambda r, rc: str(r["id"]), writable=False),
        Attr("deal_id", "deal_id", writable=False),
    ),
)


def bare_refs(view: View) -> View:
    """The view with every reference as its bare id, where it shows an object (``{value,
    name, …}``): v1's collections and merges."""
    def bare(attr: Attr) -> Attr:
        if attr.field is None or attr.compute is None \
                or kind_of(view.entity, attr.field) is not Kind.REF:
            return attr
        return replace(attr, compute=None)
    return replace(view, declared=tuple(bare(a) for a in view.declared), related_objects=())


def _collection(view: View, **filters: Callable[[str], Filter | None]) -> View:
    """v1 ``/<path>/collection``: the v1 objects, paged by cursor, read in id order, with
    ``since``/``until`` on the update time, references as bare ids."""
    return replace(bare_refs(view), path=f"{view.path}/collection", paging="cursor",
                   operations=frozenset({"list"}), own_by_default="", default_sort=(),
                   fields_api="",
                   filters={"since": time_bound("since", "ge"), "until": time_bound("until", "lt"),
                            **filters})


COLLECTIONS_V1 = (
    _collection(DEAL_V1, user_id=eq_int("user_id", "owner_id"),
                stage_id=eq_int("stage_id", "stage_id"), status=deal_status(True)),
    _collection(PERSON_V1, owner_id=eq_int("owner_id", "owner_id"),
                first_char=starts_with("name")),
    _collection(ORGANIZATION_V1, owner_id=eq_int("owner_id", "owner_id"),
                first_char=starts_with("name")),
    _collection(ACTIVITY_V1, user_id=owner_or_all("user_id", "owner_id"),
                done=done_flag("done"), type=one_of("type", "type")),
)

# ---- projects: their boards, phases, templates and tasks (issue 14; routes: projects.py) ---
#
# v1 shows a project's first contact person and organization (``person_id``, ``org_id``);
# v2 all of them (``person_ids``, ``org_ids``). A task's assignees are a list; v1's and
# v2's ``assignee_id`` writes a list of one, and v1 shows its first. Template groups and
# tasks (those of no project) are never listed.

def _first(field_name: str) -> Callable[[Record, RenderContext], Any]:
    """The first id of a list of ids (v1's one contact person, organization, assignee)."""
    return lambda r, rc: (r.get(field_name) or [None])[0]


def _one_of_list(key: str, field_name: str) -> Parse:
    """One id written into a list of ids (null: none)."""
    def parse(value: Any) -> dict[str, Any]:
        if value is None:
            return {field_name: []}
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad_input(key, f"{key} must be an id")
        return {field_name: [value]}
    return parse


def _has(param: str, canonical: str) -> Callable[[str], Filter]:
    """A list of ids that holds the id given."""
    return lambda value: Cond(canonical, "has", _int(param, value))


def _flag_filter(param: str, canonical: str) -> Callable[[str], Filter]:
    def build(value: str) -> Filter:
        text = value.strip().lower()
        if text not in ("0", "1", "true", "false"):
            raise ValidationError(f"Parameter '{param}' must be true/false (or 0/1)",
                                  (Problem(param, "must be a boolean", Reason.BAD_PARAMETER),))
        return Cond(canonical, "eq", text in ("1", "true"))
    return build


def _parent_filter(value: str) -> Filter:
    """``parent_task_id``: a task's subtasks, or (``null``) tasks without a parent."""
    if value.strip().lower() == "null":
        return Cond("parent_task_id", "is_null", True)
    return eq_int("parent_task_id", "parent_task_id")(value)


PROJECT_STATUS = deal_status(False, PROJECT_STATUSES)
# (lists, creation and deletion: projects.py)
PROJECT_ROUTES = frozenset({"get", "update"})
TASK_ROUTES = frozenset({"list", "create"})  # (the others: projects.py)
PROJECT_HIDDEN = (PIPELINER_ONLY - {"description", "organization_ids"}) | {"is_archived", "is_deleted"}
BY_ORDER = (Sort("order_nr"), Sort("id"))
# A project's own records: not those of a template.
OF_PROJECTS = Cond("project_id", "is_null", False)

PROJECT_V1 = View(
    entity="project", path="projects", version="v1", create_status=201, has_custom=True,
    paging="cursor", omit_nulls=True, operations=PROJECT_ROUTES, listed=NOT_ARCHIVED,
    fields_api="write-v2",
    hidden=PROJECT_HIDDEN | {"person_ids", "organization_ids"},
    filters={"status": PROJECT_STATUS, "phase_id": eq_int("phase_id", "phase_id")},
    keys={"label_ids": "labels", "status_changed_at": "status_change_time"},
    declared=(
        Attr("person_id", compute=_first("person_ids"),
             parse=_one_of_list("person_id", "person_ids")),
        Attr("org_id", compute=_first("organization_ids"),
             parse=_one_of_list("org_id", "organization_ids")),
    ),
)

PROJECT_V2 = View(
    entity="project", path="projects", version="v2", create_status=201, has_custom=True,
    omit_null=frozenset({"description", "start_date", "end_date", "template_id"}),
    operations=PROJECT_ROUTES, listed=NOT_ARCHIVED, hidden=PROJECT_HIDDEN,
    filters={"status": PROJECT_STATUS, "phase_id": eq_int("phase_id", "phase_id"),
             "deal_id": _has("deal_id", "deal_ids"), "person_id": _has("person_id", "person_ids"),
             "org_id": _has("org_id", "organization_ids")},
    keys={"organization_ids": "org_ids", "status_changed_at": "status_change_time"},
)

_PLAIN = (PIPELINER_ONLY - {"description"}) | {"is_deleted"}

BOARD_V1 = View(entity="project_board", path="projects/boards", version="v1", paged=False,
                operations=frozenset({"list", "get"}), hidden=_PLAIN, default_sort=BY_ORDER)
BOARD_V2 = View(entity="project_board", path="boards", version="v2", operations=CRUD,
                hidden=_PLAIN)
PHASE_V1 = View(entity="project_phase", path="projects/phases", version="v1", paged=False,
                operations=frozenset({"get"}), hidden=_PLAIN, default_sort=BY_ORDER,
                filters={"board_id": eq_int("board_id", "board_id")})
PHASE_V2 = View(entity="project_phase", path="phases", version="v2", operations=CRUD,
                hidden=_PLAIN, filters={"board_id": eq_int("board_id", "board_id")})
TEMPLATE_V1 = View(entity="project_template", path="projectTemplates", version="v1",
                   paging="cursor", omit_nulls=True, operations=frozenset({"list", "get"}),
                   hidden=_PLAIN, keys={"board_id": "projects_board_id"})
TEMPLATE_V2 = View(entity="project_template", path="projectTemplates", version="v2",
                   omit_nulls=True, operations=frozenset({"list", "get"}), hidden=_PLAIN,
                   keys={"board_id": "projects_board_id"})
GROUP_V1 = View(entity="project_group", path="groups", version="v1", paged=False,
                operations=frozenset(), hidden=_PLAIN | {"project_id", "template_id"},
                default_sort=BY_ORDER)

# Template tasks, the plan's fields (the plan's routes show them) and v1's unknowns.
TASK_HIDDEN = _PLAIN | {"template_id", "phase_id", "group_id"}

TASK_V1 = View(
    entity="task", path="tasks", version="v1", create_status=201, paging="cursor",
    omit_nulls=True, operations=TASK_ROUTES, listed=OF_PROJECTS, require_any=("project_id",),
    hidden=TASK_HIDDEN | {"is_done", "is_milestone", "start_date", "priority"},
    filters={"assignee_id": _has("assignee_id", "assignee_ids"),
             "project_id": eq_int("project_id", "project_id"),
             "parent_task_id": _parent_filter, "done": _flag_filter("done", "is_done")},
    keys={"done_at": "marked_as_done_time", "creator_id": "creator_id"},
    declared=(
        Attr("done", compute=lambda r, rc: int(r["is_done"]), parse=parse_flag("done", "is_done")),
        Attr("assignee_id", compute=_first("assignee_ids"),
             parse=_one_of_list("assignee_id", "assignee_ids")),
    ),
)

TASK_V2 = View(
    entity="task", path="tasks", version="v2", create_status=201, operations=TASK_ROUTES,
    listed=OF_PROJECTS, require_any=("project_id",), hidden=TASK_HIDDEN,
    filters={"is_done": _flag_filter("is_done", "is_done"),
             "is_milestone": _flag_filter("is_milestone", "is_milestone"),
             "assignee_id": _has("assignee_id", "assignee_ids"),
             "project_id": eq_int("project_id", "project_id"),
             "parent_task_id": _parent_filter},
    keys={"done_at": "marked_as_done_time", "creator_id": "creator_id"},
    declared=(Attr("is_done", "is_done", writable=False),
              Attr("is_milestone", "is_milestone", writable=False)),
    write_only=(Attr("done", parse=parse_flag("done", "is_done")),
                Attr("milestone", parse=parse_flag("milestone", "is_milestone")),
                Attr("assignee_id", parse=_one_of_list("assignee_id", "assignee_ids"))),
)


VIEWS: dict[str, dict[str, View]] = {
    # (the /collection lists first: their paths would match the others' ``/{id}``)
    "v1": {v.path: v for v in (*COLLECTIONS_V1, DEAL_V1, PERSON_V1, ORGANIZATION_V1, PIPELINE_V1,
                               STAGE_V1, USER_V1, ACTIVITY_V1, ACTIVITY_TYPE_V1, NOTE_V1,
                               PRODUCT_V1, LEAD_V1, LEAD_LABEL_V1,
                               PROJECT_V1, BOARD_V1, PHASE_V1, TEMPLATE_V1, TASK_V1)},
    "v2": {v.path: v for v in (DEAL_V2, PERSON_V2, ORGANIZATION_V2, PIPELINE_V2, STAGE_V2,
                               ACTIVITY_V2, PRODUCT_V2,
                               PROJECT_V2, BOARD_V2, PHASE_V2, TEMPLATE_V2, TASK_V2)},
}
