"""Per-entity views of the Pipedrive dialect: names, formats and list parameters.

Each View says, for one entity in one API version, which key carries which
canonical field (``Attr(key, field)``), which keys are computed from the record and
its related records (``Attr(key, compute=...)``), which list filters and sorts
exist, and which related records v1 expands. Formats follow from the field's kind
and the version; everything else about the dialect lives in params.py/render.py.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from ...domain.entities import BY_NAME
from ...domain.errors import Problem, Reason, ValidationError
from ...domain.spec import FieldSpec
from ...domain.types import Kind, coerce, parse_int
from ...query.ast import Cond, Filter, Or, Sort, all_of

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


@dataclass(frozen=True)
class Attr:
    """One key of the dialect's object: a canonical field, or computed (read-only)."""

    key: str
    field: str | None = None
    compute: Compute | None = None
    # "str": the v1 string form of an int (visible_to); "bool01": v1 0/1 flag input
    style: str = ""
    writable: bool = True
    opt_in: bool = False  # v2: only with include_fields


# Canonical fields with no Pipedrive key: the Pipeliner string id, sales units, the
# further relation arrays, a deal's description and a person's middle name.
PIPELINER_ONLY = frozenset({"uid", "team_id", "participant_ids", "organization_ids",
                            "description", "middle_name"})


# The dialect's names for canonical fields, wherever an object has them (a view may say
# otherwise, or declare the key with a computed value or a format).
KEYS: Mapping[str, str] = {
    "created_at": "add_time", "updated_at": "update_time", "organization_id": "org_id",
    "creator_id": "creator_user_id", "stage_changed_at": "stage_change_time",
    "closed_at": "close_time", "won_at": "won_time", "lost_at": "lost_time",
    "first_won_at": "first_won_time", "archived_at": "archive_time",
}


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
    filters: Mapping[str, Callable[[str], Filter]] = field(default_factory=dict)
    sort_by: tuple[str, ...] = ("id", "update_time", "add_time")
    create_status: int = 200
    paged: bool = True
    has_custom: bool = False
    writable_extra: Mapping[str, str] = field(default_factory=dict)  # input-only aliases
    # Keys the vendored spec types as non-nullable: omitted rather than sent as null.
    omit_null: frozenset[str] = frozenset()
    # Canonical fields this view does not expose under a key of their own: hidden
    # (Pipeliner's id and the fields only Pipeliner has) or folded into a computed key
    # (v2 ``address``).
    hidden: frozenset[str] = PIPELINER_ONLY
    default_sort: tuple[Sort, ...] = ()

    @cached_property
    def attrs(self) -> tuple[Attr, ...]:
        """Every key of the object, in the entity's field order, then the computed ones."""
        by_field = {a.field: a for a in self.declared if a.field is not None}
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
        """Keys a client may write, and the canonical field each writes."""
        spec = SPECS[self.entity]
        return {a.key: a for a in self.attrs
                if a.field is not None and a.writable and not spec[a.field].readonly}

    def key_of(self, canonical: str) -> str:
        for a in self.attrs:
            if a.field == canonical:
                return a.key
        return canonical


SPECS: dict[str, dict[str, FieldSpec]] = {name: dict(e.by_name) for name, e in BY_NAME.items()}


def kind_of(entity: str, canonical: str) -> Kind:
    return SPECS[entity][canonical].kind


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
    counts = rc.related.get("people_count", {})
    out = {"active_flag": not org["is_deleted"], "id": org["id"], "name": org["name"],
           "people_count": int(counts.get(org["id"], {}).get("n", 0)),
           "owner_id": org["owner_id"]}
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


def _name_of(entity: str, field_name: str) -> Compute:
    def compute(record: Record, rc: RenderContext) -> Any:
        other = _related(rc, entity, record.get(field_name))
        return None if other is None else other["name"]
    return compute


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "¥",
                    "AUD": "A$", "CAD": "CA$", "CHF": "CHF ", "SEK": "SEK ", "BRL": "R$"}


def format_money(amount: float, currency: str) -> str:
    text = f"{amount:,.2f}".removesuffix(".00")
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def weighted_value(record: Record, rc: RenderContext) -> float:
    pipeline = _related(rc, "pipeline", record.get("pipeline_id"))
    stage = _related(rc, "stage", record.get("stage_id"))
    if pipeline is None or not pipeline["is_deal_probability_enabled"]:
        return float(record["value"])
    probability = record.get("probability")
    if probability is None:
        probability = stage["deal_probability"] if stage else 100
    return float(record["value"]) * probability / 100


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


DEAL_STATUSES = ("open", "won", "lost")


def deal_status(allow_all_not_deleted: bool) -> Callable[[str], Filter]:
    def build(value: str) -> Filter:
        wanted = [v.strip() for v in value.split(",") if v.strip()]
        allowed = {*DEAL_STATUSES, "deleted"} | ({"all_not_deleted"} if allow_all_not_deleted
                                                  else set())
        if not wanted or any(v not in allowed for v in wanted):
            raise ValidationError(
                f"Parameter 'status' must be one of {', '.join(sorted(allowed))}",
                (Problem("status", "invalid status", Reason.BAD_PARAMETER),))
        parts: list[Filter] = []
        live = [v for v in wanted if v in DEAL_STATUSES]
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

COUNTS_DEAL = ("products_count", "files_count", "notes_count", "followers_count",
               "email_messages_count", "activities_count", "done_activities_count",
               "undone_activities_count", "participants_count")
COUNTS_CONTACT = ("email_messages_count", "activities_count", "done_activities_count",
                  "undone_activities_count", "files_count", "notes_count", "followers_count")
ACTIVITY_LINKS = ("next_activity_date", "next_activity_time", "next_activity_id",
                  "last_activity_id", "last_activity_date")


def _zeros(keys: tuple[str, ...], opt_in: bool = False) -> tuple[Attr, ...]:
    """Counters of entities dealbase does not hold yet (activities, files…): truly zero."""
    return tuple(Attr(k, compute=_zero, opt_in=opt_in) for k in keys)


def _nones(keys: tuple[str, ...], opt_in: bool = False) -> tuple[Attr, ...]:
    return tuple(Attr(k, compute=_none, opt_in=opt_in) for k in keys)


V1_DEAL_FILTERS: dict[str, Callable[[str], Filter]] = {
    "user_id": eq_int("user_id", "owner_id"),
    "stage_id": eq_int("stage_id", "stage_id"),
    "pipeline_id": eq_int("pipeline_id", "pipeline_id"),
    "person_id": eq_int("person_id", "person_id"),
    "org_id": eq_int("org_id", "organization_id"),
    "status": deal_status(True),
}
V2_COMMON_FILTERS: dict[str, Callable[[str], Filter]] = {
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


DEAL_V1 = View(
    entity="deal", path="deals", version="v1", create_status=201, has_custom=True,
    omit_null=frozenset({"creator_user_id", "user_id", "person_id", "org_id", "stage_change_time",
        "won_time", "first_won_time", "lost_time", "expected_close_date", "next_activity_date",
        "next_activity_time", "next_activity_subject", "next_activity_type",
        "next_activity_duration", "next_activity_note", "label", "person_name", "org_name",
        "owner_name", "origin", "last_incoming_mail_time", "last_outgoing_mail_time",
        "stage_order_nr", "archive_time"}),
    loads=(("user", "owner_id"), ("user", "creator_id"), ("person", "person_id"),
           ("organization", "organization_id"), ("stage", "stage_id"),
           ("pipeline", "pipeline_id")),
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
        Attr("label", "label_ids", compute=_label_csv),
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
        Attr("org_hidden", compute=_false),
        Attr("person_hidden", compute=_false),
        *_zeros(COUNTS_DEAL),
        *_nones(ACTIVITY_LINKS),
        *_nones(("next_activity_subject", "next_activity_type", "next_activity_duration",
                 "next_activity_note", "last_incoming_mail_time", "last_outgoing_mail_time")),
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
    entity="deal", path="deals", version="v2", has_custom=True,
    omit_null=frozenset({"owner_id", "person_id", "org_id", "won_time", "lost_time",
        "expected_close_date", "stage_change_time", "archive_time", "first_won_time",
        "last_incoming_mail_time", "last_outgoing_mail_time", "smart_bcc_email"}),
    filters={**V2_COMMON_FILTERS, "person_id": eq_int("person_id", "person_id"),
             "org_id": eq_int("org_id", "organization_id"),
             "pipeline_id": eq_int("pipeline_id", "pipeline_id"),
             "stage_id": eq_int("stage_id", "stage_id"), "status": deal_status(False)},
    declared=(
        Attr("first_won_time", "first_won_at", opt_in=True),
        Attr("source_lead_id", compute=_none),
        Attr("arr", compute=_none),
        Attr("mrr", compute=_none),
        Attr("acv", compute=_none),
        *_nones(("next_activity_id", "last_activity_id", "last_incoming_mail_time",
                 "last_outgoing_mail_time", "smart_bcc_email"), opt_in=True),
        *_zeros(COUNTS_DEAL, opt_in=True),
    ),
)

PERSON_V1 = View(
    entity="person", path="persons", version="v1", create_status=201, has_custom=True,
    omit_null=frozenset({"owner_id", "org_id", "first_name", "last_name", "first_char",
        "last_incoming_mail_time", "last_outgoing_mail_time", "org_name", "owner_name",
        "label", "job_title", "birthday", "notes"}),
    loads=(("user", "owner_id"), ("organization", "organization_id")),
    related_objects=("user", "organization"),
    filters={"user_id": eq_int("user_id", "owner_id"), "first_char": starts_with("name"),
             "org_id": eq_int("org_id", "organization_id")},
    writable_extra={"email": "emails", "phone": "phones"},
    keys={"emails": "email", "phones": "phone"},
    declared=(
        Attr("owner_id", "owner_id", compute=_user_ref("owner_id", has_pic_as_int=True)),
        Attr("org_id", "organization_id", compute=_org_ref("organization_id")),
        _flag("active_flag", "is_deleted"),
        _visible_to(),
        Attr("company_id", compute=lambda r, rc: rc.company.get("id")),
        Attr("first_char", compute=_first_char),
        Attr("label", compute=_first_label),
        Attr("org_name", compute=_name_of("organization", "organization_id")),
        Attr("owner_name", compute=_name_of("user", "owner_id")),
        *_zeros(COUNTS_CONTACT),
        *_nones(ACTIVITY_LINKS),
        *_nones(("last_incoming_mail_time", "last_outgoing_mail_time")),
    ),
)

PERSON_V2 = View(
    entity="person", path="persons", version="v2", has_custom=True,
    omit_null=frozenset({"owner_id", "org_id", "picture_id", "first_name", "last_name",
        "birthday", "job_title", "notes", "last_incoming_mail_time", "last_outgoing_mail_time",
        "smart_bcc_email"}),
    filters={**V2_COMMON_FILTERS, "org_id": eq_int("org_id", "organization_id")},
    declared=(
        Attr("picture_id", compute=_none),
        *_zeros(COUNTS_CONTACT, opt_in=True),
        *_nones(("next_activity_id", "last_activity_id", "last_incoming_mail_time",
                 "last_outgoing_mail_time", "smart_bcc_email"), opt_in=True),
    ),
)

ORG_ADDRESS = ("subpremise", "street_number", "route", "sublocality", "locality",
               "admin_area_level_1", "admin_area_level_2", "country", "postal_code",
               "formatted_address")

ORGANIZATION_V1 = View(
    entity="organization", path="organizations", version="v1", create_status=201,
    omit_null=frozenset({"owner_id", "address", *(f"address_{p}" for p in ORG_ADDRESS),
        "first_char", "owner_name", "label"}),
    has_custom=True, loads=(("user", "owner_id"),), related_objects=("user",),
    filters={"user_id": eq_int("user_id", "owner_id"), "first_char": starts_with("name")},
    declared=(
        Attr("owner_id", "owner_id", compute=_user_ref("owner_id", has_pic_as_int=True)),
        _flag("active_flag", "is_deleted"),
        _visible_to(),
        Attr("company_id", compute=lambda r, rc: rc.company.get("id")),
        Attr("first_char", compute=_first_char),
        Attr("label", compute=_first_label),
        Attr("owner_name", compute=_name_of("user", "owner_id")),
        Attr("people_count", compute=lambda r, rc: int(
            rc.related.get("people_count", {}).get(r["id"], {}).get("n", 0))),
        *_zeros(COUNTS_CONTACT),
        *_nones(ACTIVITY_LINKS),
    ),
)

ORGANIZATION_V2 = View(
    entity="organization", path="organizations", version="v2", has_custom=True,
    hidden=PIPELINER_ONLY | {f"address_{p}" for p in ORG_ADDRESS},
    omit_null=frozenset({"owner_id", "address", "smart_bcc_email"}),
    filters=V2_COMMON_FILTERS,
    declared=(
        Attr("address", "address", compute=lambda r, rc: None if r.get("address") is None else {
            "value": r["address"],
            **{p: r[f"address_{p}"] for p in ORG_ADDRESS
               if p != "formatted_address" and r.get(f"address_{p}") is not None}}),
        *_zeros(COUNTS_CONTACT, opt_in=True),
        *_nones(("next_activity_id", "last_activity_id", "smart_bcc_email"), opt_in=True),
    ),
)

PIPELINE_V1 = View(
    entity="pipeline", path="pipelines", version="v1", paged=False,
    default_sort=(Sort("order_nr"),),
    declared=(
        _flag("active", "is_deleted"),
        Attr("deal_probability", "is_deal_probability_enabled", style="bool01"),
        Attr("url_title", compute=lambda r, rc: "-".join(r["name"].lower().split())),
        Attr("selected", compute=lambda r, rc: bool(rc.company.get("first_pipeline") == r["id"])),
    ),
)

PIPELINE_V2 = View(
    entity="pipeline", path="pipelines", version="v2",
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
        Attr("access", compute=lambda r, rc: [{"app": "sales", "admin": bool(r["is_admin"])},
                                              {"app": "global", "admin": bool(r["is_admin"])}]),
        Attr("timezone_offset", compute=lambda r, rc: timezone_offset(r["timezone_name"])),
        Attr("role_id", compute=lambda r, rc: 1),
        Attr("is_you", compute=lambda r, rc: r["id"] == rc.user_id),
    ),
)

VIEWS: dict[str, dict[str, View]] = {
    "v1": {v.path: v for v in (DEAL_V1, PERSON_V1, ORGANIZATION_V1, PIPELINE_V1, STAGE_V1,
                               USER_V1)},
    "v2": {v.path: v for v in (DEAL_V2, PERSON_V2, ORGANIZATION_V2, PIPELINE_V2, STAGE_V2)},
}
