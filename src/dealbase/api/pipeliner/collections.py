"""The Pipeliner v1 collections, declared once each, and their conversions.

A Collection names the plural path segment, the singular entity name that batch calls
use, the canonical entity behind it and its keys (``Col``), each with a codec. The
company's custom fields are added as further keys named by their stable field key.
Everything a handler does with a collection (render, read a body, build a query, list
field descriptors) loops over these declarations.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from ...domain.entities import BY_NAME as SPECS
from ...domain.entities._common import QUICK
from ...domain.entities.activity import end_of, start_of
from ...domain.errors import Problem, Reason, ValidationError
from ...domain.registry import Schema
from ...domain.spec import FieldSpec
from ...domain.types import Kind, parse_datetime
from ...query.ast import Cond, Filter, Sort, all_of
from .codecs import (
    Codec,
    Computed,
    Either,
    Env,
    Members,
    Option,
    Record,
    Ref,
    Relations,
    Slot,
    Uid,
    data_id,
    flag01,
    invalid,
    wire_time,
)
from .grammar import Phrase

# Keys clients echo back or fill in themselves: accepted on input and ignored where they
# are read-only (the stamps) or the collection has no such field (QUICK_* on Accounts).
IGNORED_INPUT = frozenset({
    "CREATED", "MODIFIED", "IS_DELETED", "QUICK_ACCOUNT_NAME", "QUICK_ACCOUNT_EMAIL",
    "QUICK_ACCOUNT_PHONE", "QUICK_CONTACT_NAME", "QUICK_EMAIL", "QUICK_PHONE",
})
_FIELD_NS = uuid.UUID("6f1c3c39-5d7e-4c53-9a0f-1b7d2f3e4a51")


@dataclass(frozen=True)
class Col:
    key: str
    codec: Codec
    readonly: bool = False
    required: bool = False
    label: str = ""


@dataclass(frozen=True)
class Collection:
    name: str  # plural, used in paths
    entity_name: str  # singular, used by setEntities/deleteEntities
    entity: str  # canonical entity
    static: tuple[Col, ...]
    scope: Filter | None = None  # Tasks/Appointments: a subset of activities
    defaults: Mapping[str, Any] = field(default_factory=dict)  # canonical, on create
    requires: tuple[str, ...] = ()  # keys a create must carry
    admin_writes: bool = False  # Clients and SalesUnits: only admins change them
    # Runs after every key is written: values that depend on several keys.
    finish: Callable[[Record, Record | None], None] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "static", _bind(self.entity, self.static))

    @cached_property
    def int_ids(self) -> bool:
        """Whether the wire ``ID`` is the integer id (Clients, SalesUnits)."""
        return self.static[0].codec.field == "id"

    @cached_property
    def has_custom(self) -> bool:
        return SPECS[self.entity].has_custom_fields

    @cached_property
    def owns_custom(self) -> bool:
        """Whether the custom fields it shows are its own (a lead shows the deal's)."""
        return self.has_custom and SPECS[self.entity].custom_of == self.entity

    def cols(self, schema: Schema) -> tuple[Col, ...]:
        spec = schema.entity(self.entity)
        key = ("pipeliner cols", self.name)
        found: tuple[Col, ...] | None = spec.memo.get(key)
        if found is None:
            found = spec.memo[key] = self.static + tuple(custom_col(f) for f in spec.custom)
        return found

    def by_key(self, schema: Schema) -> dict[str, Col]:
        spec = schema.entity(self.entity)
        key = ("pipeliner keys", self.name)
        found: dict[str, Col] | None = spec.memo.get(key)
        if found is None:
            found = spec.memo[key] = {c.key: c for c in self.cols(schema)}
        return found

    # ---- reading -------------------------------------------------------------------------

    def render(self, records: Sequence[Record], env: Env, cols: Sequence[Col],
               schema: Schema) -> list[Record]:
        """The records as this collection's entities, with the keys of ``cols`` (all of
        them, or a ``loadonly`` choice), by a renderer compiled once per choice."""
        needy = [c for c in cols if type(c.codec).needs is not Codec.needs]
        wanted: dict[str, set[int]] = {}
        for record in records:
            for col in needy:
                for entity, record_id in col.codec.needs(record):
                    wanted.setdefault(entity, set()).add(record_id)
        env.prefetch(wanted)
        spec = schema.entity(self.entity)
        key = ("pipeliner render", self.name, tuple(c.key for c in cols))
        render = spec.memo.get(key)
        if render is None:
            if len(spec.memo) > 4096:  # loadonly choices are the client's: bounded
                spec.memo.clear()
            render = spec.memo[key] = _renderer(tuple(cols))
        return [render(r, env) for r in records]

    def select(self, schema: Schema, loadonly: Iterable[str]) -> tuple[Col, ...]:
        known = self.by_key(schema)
        chosen = []
        for key in loadonly:
            if key not in known:
                raise invalid("loadonly", f"{self.entity_name} has no field {key[:80]}",
                              Reason.BAD_PARAMETER)
            chosen.append(known[key])
        return tuple(chosen) or self.cols(schema)

    def speak(self, error: ValidationError) -> ValidationError:
        """The same error with canonical field names replaced by this collection's keys."""
        keys = {f: c.key for c in reversed(self.static) for f in c.codec.reads}
        keys["end_at"] = "END_DATE"
        problems = tuple(Problem(keys.get(p.field or "", p.field), p.message, p.reason)
                         for p in error.problems)
        if not problems:
            return error
        message = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems)
        return ValidationError(message, problems, error.reason)

    @staticmethod
    def projection(cols: Sequence[Col]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for c in cols for f in c.codec.reads))

    # ---- writing -------------------------------------------------------------------------

    def draft(self, schema: Schema, body: Any, env: Env, before: Record | None) -> Record:
        """Canonical values from a request body (create when ``before`` is None)."""
        if not isinstance(body, dict):
            raise invalid("body", f"the body must be a JSON object (one {self.entity_name})",
                          Reason.MALFORMED)
        known = self.by_key(schema)
        unknown = [k for k in body if k not in known and k not in IGNORED_INPUT]
        if unknown:
            raise invalid(unknown[0][:80], f"{self.entity_name} has no field {unknown[0][:80]}",
                          Reason.UNKNOWN_FIELD)
        draft: Record = {}
        if before is None:
            missing = [k for k in self.requires if body.get(k) in (None, "")]
            if missing:
                raise invalid(missing[0], "is required", Reason.REQUIRED)
        for col in known.values():  # declaration order: START_DATE before END_DATE
            if col.key not in body or (col.readonly and col.key in IGNORED_INPUT):
                continue
            if col.readonly and not (col.key == "ID" and before is None):
                if col.key == "ID":
                    continue
                raise invalid(col.key, "is read-only", Reason.READ_ONLY)
            col.codec.write(col.key, body[col.key], draft, before, env)
        if self.finish is not None:
            self.finish(draft, before)
        if before is None:
            for name, value in self.defaults.items():
                draft.setdefault(name, value)
        return {k: v for k, v in draft.items() if not k.startswith("_")}  # drop scratch keys

    # ---- querying ------------------------------------------------------------------------

    def where(self, schema: Schema, phrases: Sequence[Phrase], env: Env,
              after: dt.datetime | None = None) -> Filter | None:
        known = self.by_key(schema)
        parts: list[Filter] = []
        mentions_deleted = False
        for phrase in phrases:
            col = known.get(phrase.field)
            if col is None:
                raise invalid("filter", f"{self.entity_name} has no field {phrase.field[:80]}",
                              Reason.BAD_FILTER)
            mentions_deleted |= col.key in ("IS_DELETED", "ID")
            try:
                parts.append(col.codec.filter(col.key, phrase.op, phrase.value, env))
            except ValidationError as error:
                raise invalid("filter", error.message, Reason.BAD_FILTER) from None
        if not mentions_deleted:
            parts.append(Cond("is_deleted", "eq", False))
        if after is not None:
            parts.append(Cond("updated_at", "gt", after))
        return all_of(self.scope, *parts)

    def sort(self, schema: Schema, names: Sequence[tuple[str, bool]]) -> tuple[Sort, ...]:
        known = self.by_key(schema)
        out = []
        for name, descending in names:
            col = known.get(name)
            target = col.codec.sort_field if col is not None else None
            if col is None or target is None or col.codec.kind() is Kind.JSON:
                raise invalid("sort", f"cannot sort {self.entity_name} by {name[:80]}",
                              Reason.BAD_SORT)
            out.append(Sort(target, descending))
        return tuple(out)


# ---- declarations ------------------------------------------------------------------------

def _bind(entity: str, cols: Iterable[Col]) -> tuple[Col, ...]:
    specs = SPECS[entity].by_name
    return tuple(replace(c, codec=replace(c.codec, spec=specs[c.codec.field]),
                         label=c.label or specs[c.codec.field].label or c.key.title())
                 for c in cols)


def _plain(key: str, name: str, **kw: Any) -> Col:
    return Col(key, Codec(name), **kw)


def _ref(key: str, name: str, target: str, **kw: Any) -> Col:
    return Col(key, Ref(name, target=target), **kw)


def _system(int_ids: bool = False) -> tuple[Col, ...]:
    return (Col("ID", Uid("id" if int_ids else "uid"), readonly=True),)


def _stamps() -> tuple[Col, ...]:
    return (_plain("CREATED", "created_at", readonly=True),
            _plain("MODIFIED", "updated_at", readonly=True),
            _plain("IS_DELETED", "is_deleted", readonly=True))


def _owned() -> tuple[Col, ...]:
    return (_plain("OWNER_ID", "owner_id"), _plain("SALES_UNIT_ID", "team_id"))


def _contact_slots() -> tuple[Col, ...]:
    """``EMAIL1``…``EMAIL5`` and ``PHONE1``…``PHONE5``: positions of the contact points."""
    return (*(Col(f"EMAIL{i + 1}", Slot("emails", index=i), label=f"Email {i + 1}")
              for i in range(5)),
            *(Col(f"PHONE{i + 1}", Slot("phones", index=i), label=f"Phone {i + 1}")
              for i in range(5)))


def _address(prefix: str) -> tuple[Col, ...]:
    """``ADDRESS`` (the street line: the address's value), ``CITY``, ``STATE_PROVINCE``,
    ``ZIP_CODE`` and ``COUNTRY``: the parts Pipedrive keeps of the same address."""
    return (_plain("ADDRESS", prefix),
            _plain("CITY", f"{prefix}_locality"),
            _plain("STATE_PROVINCE", f"{prefix}_admin_area_level_1"),
            _plain("ZIP_CODE", f"{prefix}_postal_code"),
            _plain("COUNTRY", f"{prefix}_country"))


def _access() -> tuple[Col, ...]:
    return (_plain("ACCESS_LEVEL", "access_level"), _plain("PUBLISH_STATE", "publish_state"))


def _pipeliner_only() -> tuple[Col, ...]:
    """``PICTURE``, ``ACCESS_LEVEL`` and ``PUBLISH_STATE`` (accounts and contacts)."""
    return (_plain("PICTURE", "picture"), *_access())


def _people() -> tuple[Col, ...]:
    return (Col("SALES_TEAM", Members("sales_team_ids")), Col("WATCHERS", Members("watcher_ids")))


def _quick() -> tuple[Col, ...]:
    return tuple(_plain(f"QUICK_{q.upper()}", f"quick_{q}") for q in QUICK)


def _relations(accounts: bool = True, contacts: bool = True) -> tuple[Col, ...]:
    cols = []
    if accounts:
        cols.append(Col("ACCOUNT_RELATIONS", Relations(
            "organization_id", others="organization_ids", target="organization",
            item_key="ACCOUNT_ID")))
    if contacts:
        cols.append(Col("CONTACT_RELATIONS", Relations(
            "person_id", others="participant_ids", target="person", item_key="CONTACT_ID")))
    return tuple(cols)


def _lead_oppty() -> tuple[Col, ...]:
    """Keys Leads and Opportunities share (one "lead-oppty" record type in Pipeliner)."""
    return (
        _plain("OPPORTUNITY_NAME", "title", required=True),
        _plain("OPPORTUNITY_DESCRIPTION", "description"),
        _plain("OPPORTUNITY_VALUE", "value"),
        _plain("CURRENCY_ID", "currency"),
        *_owned(),
        *_relations(),
        _plain("RANKING", "probability"),
        _plain("CLOSING_DATE", "expected_close_date"),
    )


def _start(record: Record) -> Any:
    return wire_time(start_of(record))


def _end(record: Record) -> Any:
    return wire_time(end_of(record))


def _when(key: str, value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise invalid(key, "must be a date-time (YYYY-MM-DD HH:MM:SS)")
    try:
        return parse_datetime(value)
    except ValueError:
        raise invalid(key, "must be a date-time (YYYY-MM-DD HH:MM:SS)") from None


def _assign_start(key: str, value: Any, draft: Record, before: Record | None) -> None:
    moment = _when(key, value)
    draft["due_date"] = None if moment is None else moment.date()
    has_time = isinstance(value, str) and len(value.strip()) > 10
    draft["due_time"] = moment.strftime("%H:%M:%S") if moment and has_time else None
    draft["_start"] = True


def _assign_end(key: str, value: Any, draft: Record, before: Record | None) -> None:
    draft["end_at"] = _when(key, value)


def _keep_end(draft: Record, before: Record | None) -> None:
    """START_DATE and END_DATE are separate keys: a new start alone keeps the end."""
    if draft.get("_start") and "end_at" not in draft and before is not None:
        end = end_of(before)
        if end is not None:
            draft["end_at"] = end


def _moment_col(key: str, **kw: Any) -> Col:
    return Col(key, Computed("due_date", compute=_start, assign=_assign_start, sortable=True,
                             uses=("due_time",)), **kw)


def _end_col() -> Col:
    return Col("END_DATE", Computed("duration", compute=_end, assign=_assign_end,
                                    uses=("due_date", "due_time")))


def _activity(kind: str) -> tuple[Col, ...]:
    """Activities show every key; Tasks have a due date; Appointments a start and an end."""
    dates: tuple[Col, ...] = {
        "Activity": (_moment_col("DUE_DATE"),
                     _end_col()),
        "Task": (_moment_col("DUE_DATE"),),
        "Appointment": (_moment_col("START_DATE"),
                        _end_col()),
    }[kind]
    return (
        *_system(),
        _plain("SUBJECT", "subject", required=True),
        _plain("ACTIVITY_TYPE_ID", "type"),
        _plain("DESCRIPTION", "note"),
        *_owned(),
        _plain("STATUS", "status"),
        _plain("PRIORITY", "priority"),
        *dates,
        *((_plain("LOCATION", "location"),) if kind != "Task" else ()),
        _ref("ACCOUNT_ID", "organization_id", "organization"),
        _ref("CONTACT_ID", "person_id", "person"),
        Col("OPPTY_ID", Either("deal_id", second="lead_id", targets=("deal", "lead"))),
        *_stamps(),
    )


def _renderer(cols: tuple[Col, ...]) -> Callable[[Record, Env], Record]:
    """``{key: codec.read(record, env)}`` for these columns, as one generated function.

    Plain codecs are inlined as calls of the same wire formatters ``Codec.read`` uses;
    every other codec is called. The source holds only ``repr`` of registry names;
    functions are passed in.
    """
    names: dict[str, Any] = {"_time": wire_time, "_flag": flag01}
    items = []
    for n, col in enumerate(cols):
        codec, key = col.codec, repr(col.key)
        if type(codec) is Codec and codec.spec is not None:
            source = f"r.get({codec.field!r})"
            kind = codec.spec.kind
            if kind is Kind.BOOL:
                source = f"_flag({source})"
            elif kind in (Kind.DATETIME, Kind.DATE):
                source = f"_time({source})"
            items.append(f"{key}: {source}")
        else:
            names[f"_c{n}"] = codec.read
            items.append(f"{key}: _c{n}(r, env)")
    code = "def render(r, env):\n    return {" + ", ".join(items) + "}\n"
    exec(compile(code, "<pipeliner render>", "exec"), names)  # noqa: S102 - registry names only
    made: Callable[[Record, Env], Record] = names["render"]
    return made


def custom_col(spec: FieldSpec) -> Col:
    codec: Codec
    if spec.field_type in ("enum", "set"):
        codec = Option(spec.name, spec=spec)
    elif spec.kind is Kind.REF and spec.ref not in INT_IDS and spec.ref is not None:
        codec = Ref(spec.name, spec=spec, target=spec.ref)
    else:
        codec = Codec(spec.name, spec=spec)
    return Col(spec.name, codec, label=spec.label)


COLLECTIONS: tuple[Collection, ...] = (
    Collection("Accounts", "Account", "organization", (
        *_system(),
        _plain("ORGANIZATION", "name", required=True),
        *_owned(),
        _plain("ACCOUNT_TYPE_ID", "account_type"),
        _plain("ACCOUNT_CLASS", "account_class"),
        _plain("INDUSTRIES_ID", "industry"),
        _ref("PARENT_ACCOUNT_ID", "parent_organization_id", "organization"),
        _plain("PARENT_ACCOUNT_RELATION_TYPE_ID", "parent_relation_type"),
        _plain("PARENT_ID", "parent_ref"),
        *_contact_slots(),
        *_address("address"),
        _plain("HOME_PAGE", "website"),
        _plain("COMMENTS", "notes"),
        *_pipeliner_only(),
        *_stamps(),
    )),
    Collection("Contacts", "Contact", "person", (
        *_system(),
        _plain("FIRST_NAME", "first_name"),
        _plain("MIDDLE_NAME", "middle_name"),
        _plain("SURNAME", "last_name", required=True),
        _plain("TITLE", "honorific"),
        _plain("SALUTATION", "salutation"),
        _plain("GENDER", "gender"),
        _plain("POSITION", "job_title"),
        *_owned(),
        *_relations(contacts=False),
        _plain("QUICK_ACCOUNT_NAME", "quick_account_name"),
        *_contact_slots(),
        *_address("postal_address"),
        _plain("COMMENTS", "notes"),
        *_pipeliner_only(),
        *_people(),
        *_stamps(),
    )),
    Collection("Opportunities", "Opportunity", "deal", (
        *_system(),
        *_lead_oppty(),
        _ref("STAGE", "stage_id", "stage", required=True),
        _ref("PIPELINE_ID", "pipeline_id", "pipeline"),
        _plain("STATUS", "status"),
        _plain("REASON_OF_CLOSE_ID", "reason_of_close_ref"),
        _plain("REASON_OF_CLOSE_DESCRIPTION", "lost_reason"),
        _plain("OPPORTUNITY_VALUE_FOREGIN", "value_foreign"),
        _plain("OPPORTUNITY_VALUE_AUTO_CALCULATE", "value_auto_calculate"),
        _plain("CURRENCY_EXCHANGE_FIXED", "currency_exchange_fixed"),
        _plain("PRODUCT_PRICE_LIST_ID", "price_list_ref"),
        _plain("IS_ARCHIVE", "is_archived", readonly=True),
        _plain("LAST_MOVE_DATE", "stage_changed_at", readonly=True),
        *_quick(),
        *_access(),
        *_people(),
        *_stamps(),
    )),
    Collection("Leads", "Lead", "lead", (
        *_system(),
        *_lead_oppty(),
        _plain("IS_ARCHIVE", "is_archived"),
        _plain("LAST_MOVE_DATE", "last_move_at"),
        *_quick(),
        *_access(),
        *_people(),
        *_stamps(),
    )),
    Collection("Clients", "Client", "user", (
        *_system(int_ids=True),
        _plain("FIRSTNAME", "first_name"),
        _plain("LASTNAME", "last_name"),
        _plain("EMAIL", "email", required=True),
        _plain("DEFAULT_SALES_UNIT_ID", "team_id"),
        *_stamps(),
    ), admin_writes=True),
    Collection("SalesUnits", "SalesUnit", "team", (
        *_system(int_ids=True),
        _plain("SALES_UNIT_NAME", "name", required=True),
        _plain("PARENT_ID", "parent_id"),
        *_stamps(),
    ), admin_writes=True),
    Collection("Pipelines", "Pipeline", "pipeline", (
        *_system(),
        _plain("NAME", "name", required=True),
        _plain("SORT_ORDER", "order_nr"),
        *_stamps(),
    )),
    Collection("Stages", "Stage", "stage", (
        *_system(),
        _plain("STAGE_NAME", "name", required=True),
        _ref("PIPELINE_ID", "pipeline_id", "pipeline", required=True),
        _plain("PERCENT", "deal_probability"),
        _plain("SORT_ORDER", "order_nr"),
        *_stamps(),
    )),
    Collection("Activities", "Activity", "activity", _activity("Activity"), finish=_keep_end),
    Collection("Tasks", "Task", "activity", _activity("Task"),
               scope=Cond("duration", "is_null", True), defaults={"type": "task"}),
    Collection("Appointments", "Appointment", "activity", _activity("Appointment"),
               scope=Cond("duration", "is_null", False), defaults={"type": "meeting"},
               requires=("START_DATE", "END_DATE"), finish=_keep_end),
    Collection("Notes", "Note", "note", (
        *_system(),
        _plain("NOTE", "content", required=True),
        _plain("OWNER_ID", "owner_id"),
        Col("OPPTY_ID", Either("deal_id", second="lead_id", targets=("deal", "lead"))),
        Col("ADDRESSBOOK_ID", Either("person_id", second="organization_id",
                                     targets=("person", "organization"))),
        *_stamps(),
    )),
    Collection("Products", "Product", "product", (
        *_system(),
        _plain("NAME", "name", required=True),
        _plain("SKU", "code"),
        _plain("DESCRIPTION", "description"),
        _plain("UNIT_SYMBOL", "unit"),
        _plain("PRODUCT_CATEGORY_ID", "category"),
        _plain("OWNER_ID", "owner_id"),
        *_stamps(),
    )),
)
# ``Data`` (the options of dropdown custom fields) is not a stored entity; see routes.py.
DATA = "Data"
BY_NAME: dict[str, Collection] = {
    **{c.name.lower(): c for c in COLLECTIONS}, **{c.entity_name.lower(): c for c in COLLECTIONS}
}
# Entities whose wire ID is the integer id, and each entity's Pipeliner name (its
# unscoped collection's), as the declarations above say.
INT_IDS = frozenset(c.entity for c in COLLECTIONS if c.int_ids)
NAMES: dict[str, str] = {c.entity: c.entity_name for c in reversed(COLLECTIONS) if c.scope is None}


def collection(name: str) -> Collection | None:
    return BY_NAME.get(name.lower())


# ---- field descriptors (getFields) -------------------------------------------------------

_TYPE = {Kind.TEXT: "unicode", Kind.INT: "long", Kind.REF: "long", Kind.BOOL: "long",
         Kind.FLOAT: "Decimal", Kind.DATE: "datetime", Kind.DATETIME: "datetime",
         Kind.TIME: "string", Kind.JSON: "list"}
_PL_TYPE = {Kind.TEXT: "input", Kind.INT: "integer", Kind.REF: "integer", Kind.BOOL: "checkbox",
            Kind.FLOAT: "float", Kind.DATE: "date", Kind.DATETIME: "datetime", Kind.TIME: "input",
            Kind.JSON: "input"}


def custom_field_id(custom_id: int, part: str = "") -> str:
    """A custom field's id; a sub-value (``<key>_currency``…) adds a hash of its suffix."""
    return f"PY-7FFFFFFF-{custom_id:08X}-F1E1-4000-8000-{zlib.crc32(part.encode()) if part else 0:012X}"


def field_id(coll: Collection, col: Col) -> str:
    """A stable id per field: custom fields encode their row id; system fields a UUID5."""
    spec = col.codec.spec
    if spec is not None and spec.custom_id is not None:
        suffix = spec.name[len(spec.parent) + 1:] if spec.parent else ""
        return custom_field_id(spec.custom_id, suffix)
    return "PY-7FFFFFFF-" + str(uuid.uuid5(_FIELD_NS, f"{coll.entity_name}.{col.key}")).upper()


def descriptor(coll: Collection, col: Col) -> dict[str, Any]:
    codec, spec = col.codec, col.codec.spec
    kind = codec.kind()
    if isinstance(codec, Relations):
        type_, pl_type = "list", "relations"
    elif isinstance(codec, Uid | Ref | Either) and not (isinstance(codec, Uid) and coll.int_ids):
        type_, pl_type = "string", "relation" if not isinstance(codec, Uid) else "id"
    elif isinstance(codec, Option):
        type_ = "list" if kind is Kind.JSON else "string"
        pl_type = "multiselect_checkbox" if kind is Kind.JSON else "dropdown"
    elif isinstance(codec, Computed) and kind is not Kind.TEXT:
        type_, pl_type = "datetime", "datetime"
    elif isinstance(codec, Slot):
        type_, pl_type = "unicode", "email" if codec.field == "emails" else "phone"
    else:
        type_, pl_type = _TYPE[kind], _PL_TYPE[kind]
        if spec is not None and spec.field_type == "monetary":
            pl_type = "currency"
        elif kind is Kind.TEXT and (spec is None or (spec.max_length or 65535) > 255):
            pl_type = "text_area"
    default = spec.default if spec is not None and isinstance(
        spec.default, str | int | float | bool) else None
    choices = None
    if isinstance(codec, Option) and spec is not None and spec.custom_id is not None:
        choices = {data_id(spec.custom_id, o.id): o.label for o in spec.options}
    return {
        "API_NAME": col.key,
        "CALC_FORMULA": None,
        "CHOICES": choices,
        "CUSTOM": spec is not None and spec.is_custom,
        "DEFAULT": default,
        "DESCRIPTION": col.label,
        "ID": field_id(coll, col),
        "MAX_VALUE": spec.max_length if spec is not None and kind is Kind.TEXT
        and not isinstance(codec, Slot | Computed) else None,
        "MIN_VALUE": None,
        "NAME": col.label,
        "PL_TYPE": pl_type,
        "READONLY": col.readonly or (spec is not None and spec.readonly and col.key != "ID"),
        "REQUIRED": col.required or col.key in coll.requires,
        "TYPE": type_,
    }


__all__ = ["BY_NAME", "COLLECTIONS", "DATA", "Col", "Collection", "collection", "custom_col",
           "custom_field_id", "descriptor", "field_id"]
