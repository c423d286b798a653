"""Saved filters (v1 ``/filters``) and the one function every list uses to apply one.

A filter's ``conditions`` are Pipedrive's JSON: groups ``{"glue": "and"|"or",
"conditions": [...]}`` whose leaves are ``{"object", "field_id", "operator", "value",
"extra_value"}``. A leaf's ``field_id`` is the id its object's ``<entity>Fields`` gives
the field (``fieldsapi.system_fields`` for built-in fields, the definition's id for
custom ones). The conditions compile to the query engine's filter tree (``query.ast``),
never to SQL: when a filter is written (to refuse bad ones, storing nothing) and again
every time a list applies it (``where_of``), so that a field deleted since answers a
clear 400 and relative dates ("this_month") are relative to the service's today.

Conditions on a related object (a deal filter's ``person`` conditions) become an
``in`` condition on the reference, with the ids of the related records that meet them
gathered when the filter is used; at most ``MAX_RELATED`` of them (else a 400).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ...domain.dates import add_months
from ...domain.entities._common import ADDRESS_PARTS
from ...domain.entities.filter import FILTER_TYPES
from ...domain.errors import DealbaseError, NotFound, Reason, ValidationError
from ...domain.spec import FieldSpec
from ...domain.types import Kind, coerce, loosen, parse_int
from ...query.ast import And, Cond, Filter, Keyset, Not, Or, Query, all_of
from ...service import Unit
from . import params, render
from .fieldsapi import SYSTEM_ID_BASE, system_fields
from .mapping import PIPELINER_ONLY, Attr, View
from .routes import PREFIXES, Api, Handlers, record_id, routes_at

# A filter's type -> the entity its lists show (``projects``: none here).
ENTITY_OF = {"deals": "deal", "leads": "lead", "org": "organization", "people": "person",
             "products": "product", "activity": "activity", "projects": "project"}
# A condition's ``object`` -> its entity.
OBJECTS = {"deal": "deal", "lead": "lead", "person": "person", "organization": "organization",
           "product": "product", "activity": "activity", "project": "project"}
# Conditions on a related object: (filter's entity, object's entity) -> the filter's entity's
# reference to it ("deal_product": a deal's products, through its product lines).
RELATED = {("deal", "person"): "person_id", ("deal", "organization"): "organization_id",
           ("deal", "product"): "deal_product", ("person", "organization"): "organization_id",
           ("lead", "person"): "person_id", ("lead", "organization"): "organization_id",
           ("activity", "deal"): "deal_id", ("activity", "person"): "person_id",
           ("activity", "organization"): "organization_id"}

MAX_LEAVES = 16  # conditions per filter, as Pipedrive has it
MAX_DEPTH = 3  # levels of groups
MAX_ITEMS = 32  # items of one group's list
MAX_RELATED = 500  # related records a condition on a related object may match
LEAF_KEYS = frozenset({"object", "field_id", "operator", "value", "extra_value"})

# ---- operators per kind of field --------------------------------------------------------

NULLS = ("IS NULL", "IS NOT NULL")
ORDERS = ("<", ">", "<=", ">=")
# LIKE operators -> (the engine's operator, negated)
LIKES = {"LIKE '$%'": ("starts_with", False), "LIKE '%$%'": ("contains", False),
         "NOT LIKE '$%'": ("starts_with", True), "NOT LIKE '%$%'": ("contains", True),
         "LIKE '%$'": ("ends_with", False), "NOT LIKE '%$'": ("ends_with", True)}
ALLOWED: dict[str, tuple[str, ...]] = {
    "number": ("=", "!=", *ORDERS, *NULLS),
    "date": ("=", "!=", *ORDERS, *NULLS),
    "time": ("=", "!=", *ORDERS, *NULLS),
    "text": ("=", "!=", *NULLS, *LIKES),
    "ref": ("=", "!=", *NULLS),
    "enum": ("=", "!=", *NULLS),
    "set": ("=", "!=", "contains", "not_contains", *NULLS),
    "choice": ("=", "!="),
}
ENGINE_OP = {"=": "eq", "!=": "ne", "<": "lt", ">": "gt", "<=": "le", ">=": "ge"}


def category(spec: FieldSpec) -> str:
    """Which operators a field takes ("" for none: lists of objects such as e-mails)."""
    if spec.virtual:
        return ""
    if spec.field_type == "set" and spec.kind is Kind.JSON:
        return "set"
    if spec.kind is Kind.BOOL or spec.field_type in ("status", "visible_to"):
        return "choice"
    if spec.field_type == "enum" and spec.kind is Kind.INT:
        return "enum"
    if spec.kind in (Kind.DATE, Kind.DATETIME):
        return "date"
    if spec.kind is Kind.TIME:
        return "time"
    if spec.kind is Kind.REF:
        return "ref"
    if spec.kind in (Kind.INT, Kind.FLOAT):
        return "number"
    if spec.kind is Kind.TEXT:
        return "text"
    return ""


# ---- relative dates ---------------------------------------------------------------------

def _span(unit_name: str, today: dt.date, shift: int) -> tuple[dt.date, dt.date]:
    """The week (from Monday), month, quarter or year ``shift`` away from today's:
    [first day, first day after)."""
    if unit_name == "week":
        start = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=shift)
        return start, start + dt.timedelta(days=7)
    if unit_name == "year":
        return dt.date(today.year + shift, 1, 1), dt.date(today.year + shift + 1, 1, 1)
    size = 3 if unit_name == "quarter" else 1
    first = dt.date(today.year, (today.month - 1) // size * size + 1, 1)
    start = add_months(first, shift * size)
    return start, add_months(start, size)


_INTERVAL = re.compile(r"(this|last|next)_(week|month|quarter|year)")
_AGO = re.compile(r"([0-9]{1,3})_(day|week|month)s?_ago")
_IN = re.compile(r"in_([0-9]{1,3})_(day|week|month)s?")
_RUN = re.compile(r"(last|next)_([0-9]{1,3})_days")
_DAY = dt.timedelta(days=1)
Bounds = tuple[dt.datetime | None, dt.datetime | None]


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _shifted(today: dt.date, n: int, unit_name: str) -> dt.date:
    if unit_name == "month":
        return add_months(today, n)
    return today + (dt.timedelta(weeks=n) if unit_name == "week" else dt.timedelta(days=n))


def date_bounds(text: str, now: dt.datetime) -> Bounds | None:
    """A date condition's value as the moments it covers, [from, until) (None: open);
    None if it names no date (or one outside years 1 to 9999)."""
    try:
        return _date_bounds(text, now)
    except (ValueError, OverflowError):
        return None


def _date_bounds(text: str, now: dt.datetime) -> Bounds | None:
    today = now.date()
    word = text.strip().lower()
    days: tuple[dt.date | None, dt.date | None] | None = None
    if word == "now":
        return now, now + dt.timedelta(seconds=1)
    if word in ("today", "yesterday", "tomorrow"):
        day = today + _DAY * {"today": 0, "yesterday": -1, "tomorrow": 1}[word]
        days = (day, day + _DAY)
    elif word in ("before_today", "before_tomorrow"):
        days = (None, today + (_DAY if word == "before_tomorrow" else dt.timedelta()))
    elif word in ("later_or_today", "later_or_tomorrow"):
        days = (today + (_DAY if word == "later_or_tomorrow" else dt.timedelta()), None)
    elif match := _INTERVAL.fullmatch(word):
        shift = {"this": 0, "last": -1, "next": 1}[match.group(1)]
        days = _span(match.group(2), today, shift)
    elif match := _AGO.fullmatch(word):
        day = _shifted(today, -int(match.group(1)), match.group(2))
        days = (day, day + _DAY)
    elif match := _IN.fullmatch(word):
        day = _shifted(today, int(match.group(1)), match.group(2))
        days = (day, day + _DAY)
    elif match := _RUN.fullmatch(word):
        n = int(match.group(2))
        days = ((today - _DAY * (n - 1), today + _DAY) if match.group(1) == "last"
                else (today, today + _DAY * n))
    elif re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", word):
        day = dt.date.fromisoformat(word)
        days = (day, day + _DAY)
    if days is None:
        return None
    return tuple(None if d is None else _moment(d) for d in days)  # type: ignore[return-value]


# ---- compiling conditions ---------------------------------------------------------------

def _bad(message: str, reason: Reason = Reason.BAD_FILTER) -> ValidationError:
    return params.bad("conditions", message[:300], reason)


def _short(value: Any) -> str:
    return str(value)[:60]


@dataclass
class _Compiler:
    """Conditions of one filter into a ``Filter`` on ``entity``; ``resolve``: gather the
    related records that related-object conditions name (else only check them)."""

    unit: Unit
    entity: str
    resolve: bool
    leaves: int = 0

    def compile(self, conditions: Any) -> Filter | None:
        if not isinstance(conditions, dict):
            raise _bad("conditions must be an object {\"glue\": …, \"conditions\": […]}",
                       Reason.MALFORMED)
        return self.group(conditions, 1)

    def group(self, node: dict[str, Any], depth: int) -> Filter | None:
        if depth > MAX_DEPTH:
            raise _bad(f"Conditions are nested too deep (at most {MAX_DEPTH} levels of groups)")
        if set(node) != {"glue", "conditions"}:
            raise _bad("A condition group has exactly the keys glue and conditions",
                       Reason.MALFORMED)
        glue, items = node["glue"], node["conditions"]
        if not isinstance(glue, str) or glue.lower() not in ("and", "or"):
            raise _bad("A group's glue is \"and\" or \"or\"", Reason.MALFORMED)
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise _bad(f"A group's conditions are a list (at most {MAX_ITEMS} items)",
                       Reason.MALFORMED)
        parts: list[Filter] = []
        for item in items:
            if item is None:
                continue  # (Pipedrive writes an empty group as [null])
            if not isinstance(item, dict):
                raise _bad("Each condition is an object", Reason.MALFORMED)
            found = self.group(item, depth + 1) if "glue" in item or "conditions" in item \
                else self.leaf(item)
            if found is not None:
                parts.append(found)
        if not parts:
            return None  # an empty group does not narrow the list
        if len(parts) == 1:
            return parts[0]
        return And(tuple(parts)) if glue.lower() == "and" else Or(tuple(parts))

    def leaf(self, node: dict[str, Any]) -> Filter:
        self.leaves += 1
        if self.leaves > MAX_LEAVES:
            raise _bad(f"Too many conditions (at most {MAX_LEAVES})")
        unknown = set(node) - LEAF_KEYS
        if unknown or not {"object", "field_id", "operator"} <= set(node):
            raise _bad("A condition has object, field_id, operator, value and extra_value "
                       f"(unknown: {_short(sorted(map(str, unknown)))})" if unknown else
                       "A condition needs object, field_id and operator", Reason.MALFORMED)
        obj = OBJECTS.get(node["object"]) if isinstance(node["object"], str) else None
        if obj is None:
            raise _bad(f"Unknown object '{_short(node['object'])}'")
        spec = self.field(obj, node["field_id"])
        where = self.condition(obj, spec, node)
        if obj == self.entity:
            return where
        return self.related(obj, where)

    def field(self, entity: str, raw: Any) -> FieldSpec:
        """The field a ``field_id`` names on ``entity``: a built-in one (the ids of
        ``<entity>Fields``) or a live custom field."""
        number = parse_int(raw, 1) if isinstance(raw, str) else (
            raw if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else None)
        spec = self.unit.schema.entity(entity)
        name = None
        if number is not None and number >= SYSTEM_ID_BASE:
            name = system_fields(entity).get(number)
        elif number is not None:
            name = next((f.name for f in spec.custom
                         if f.custom_id == number and f.parent is None), None)
        if name is None or name not in spec.by_name:
            raise _bad(f"Unknown field_id '{_short(raw)}' for object {entity} (it may have been "
                       "deleted)", Reason.UNKNOWN_FIELD)
        return spec.by_name[name]

    def condition(self, entity: str, spec: FieldSpec, node: dict[str, Any]) -> Filter:
        op, kind = node["operator"], category(spec)
        name = spec.name
        if not kind:
            raise _bad(f"Field '{spec.label or name}' cannot be filtered on")
        if not isinstance(op, str) or op not in ALLOWED[kind]:
            raise _bad(f"Operator '{_short(op)}' does not apply to field "
                       f"'{spec.label or name}' ({spec.field_type})")
        if op in NULLS:
            return Cond(name, "is_null", op == "IS NULL")
        value, extra = node.get("value"), node.get("extra_value")
        if kind == "date":
            return self.date(spec, op, value, extra)
        if kind == "set":
            option = self.option(spec, value)
            has = Cond(name, "has", option)
            return has if op in ("=", "contains") else Or((Cond(name, "is_null", True),
                                                            Not(has)))
        if kind == "text":
            text = self.text(spec, value)
            if op in LIKES:
                engine, negated = LIKES[op]
                like = Cond(name, engine, text)
                return Or((Cond(name, "is_null", True), Not(like))) if negated else like
            return Cond(name, ENGINE_OP[op], text)
        value = self.option(spec, value) if kind == "enum" else self.scalar(spec, value)
        main = Cond(name, ENGINE_OP[op], value)
        currency = self.currency(entity, spec, extra)
        return main if currency is None else And((main, currency))

    def scalar(self, spec: FieldSpec, value: Any) -> Any:
        if value is None or value == "":
            raise _bad(f"Field '{spec.label or spec.name}' needs a value")
        try:
            found = coerce(spec.kind, spec.name, loosen(spec.kind, value), spec.max_length)
        except ValidationError:
            raise _bad(f"Value '{_short(value)}' does not fit field "
                       f"'{spec.label or spec.name}' ({spec.field_type})") from None
        if spec.choices and found not in spec.choices:
            raise _bad(f"Value '{_short(value)}' is not one of "
                       f"{', '.join(map(str, spec.choices))}")
        return found

    def option(self, spec: FieldSpec, value: Any) -> int:
        found = loosen(Kind.INT, value)
        if isinstance(found, bool) or not isinstance(found, int) or found <= 0 or (
                spec.options and found not in {o.id for o in spec.options}):
            raise _bad(f"Value '{_short(value)}' is not an option of field "
                       f"'{spec.label or spec.name}'")
        return found

    def text(self, spec: FieldSpec, value: Any) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or "\x00" in value or len(value) > 255:
            raise _bad(f"Field '{spec.label or spec.name}' takes a text value (at most 255 "
                       "characters)")
        return value

    def currency(self, entity: str, spec: FieldSpec, extra: Any) -> Filter | None:
        """A monetary condition's ``extra_value``: the currency it is in."""
        if spec.field_type != "monetary" or extra in (None, ""):
            return None
        fields = self.unit.schema.entity(entity).by_name
        name = f"{spec.name}_currency" if spec.is_custom else "currency"
        if name not in fields or not isinstance(extra, str) or not re.fullmatch(
                r"[A-Za-z]{3}", extra):
            raise _bad(f"extra_value '{_short(extra)}' is not a currency code")
        return Cond(name, "eq", extra.upper())

    def date(self, spec: FieldSpec, op: str, value: Any, extra: Any) -> Filter:
        text = value if isinstance(value, str) and value.strip() else extra
        bounds = date_bounds(text, self.unit.now()) if isinstance(text, str) else None
        if bounds is None:
            raise _bad(f"Field '{spec.label or spec.name}' takes a date (YYYY-MM-DD) or a "
                       f"relative date, not '{_short(text)}'")
        low, high = (self._end(spec, b) for b in bounds)
        name = spec.name
        if op == "=":
            parts = [c for c in (low and Cond(name, "ge", low), high and Cond(name, "lt", high))
                     if c]
            return all_of(*parts) or Cond(name, "is_null", False)
        if op == "!=":
            return Or(tuple(c for c in (Cond(name, "is_null", True),
                                        low and Cond(name, "lt", low),
                                        high and Cond(name, "ge", high)) if c))
        edge = low if op in ("<", ">=") else high
        if edge is None:
            raise _bad(f"Operator '{op}' does not fit the relative date '{_short(text)}'")
        return Cond(name, {"<": "lt", ">=": "ge", ">": "ge", "<=": "lt"}[op], edge)

    @staticmethod
    def _end(spec: FieldSpec, moment: dt.datetime | None) -> Any:
        """A bound in the field's kind (a date field's bound is the day that holds it,
        rounded up past a moment within the day)."""
        if moment is None or spec.kind is Kind.DATETIME:
            return moment
        day = moment.date()
        return day + _DAY if moment.time() != dt.time() else day

    def related(self, obj: str, where: Filter) -> Filter:
        link = RELATED.get((self.entity, obj))
        if link is None:
            raise _bad(f"Conditions on {obj}s do not apply to this filter's records")
        field = "id" if link == "deal_product" else link
        if not self.resolve:
            return Cond(field, "is_null", False)
        ids = self.gather(obj, "id", where)
        if link == "deal_product":
            ids = self.gather("deal_product", "deal_id", Cond("product_id", "in", ids)) \
                if ids else []
        return Cond(field, "in", ids) if ids else Cond("id", "eq", 0)

    def gather(self, entity: str, field: str, where: Filter) -> list[int]:
        page = self.unit.list(entity, Query(
            where=all_of(where, Cond("is_deleted", "eq", False)),
            page=Keyset(None, MAX_RELATED), fields=("id", field)))
        ids = list(dict.fromkeys(r[field] for r in page.items if r[field] is not None))
        if page.more:
            raise _bad(f"A condition on related {entity.replace('_', ' ')}s matches more than "
                       f"{MAX_RELATED} of them; narrow it")
        return ids


def compile_conditions(unit: Unit, entity: str, conditions: Any, *, resolve: bool = True
                       ) -> Filter | None:
    """A filter's conditions as the query engine's filter on ``entity`` (None: no
    narrowing); a ValidationError (400) for anything it cannot be."""
    return _Compiler(unit, entity, resolve).compile(conditions)


def where_of(unit: Unit, entity: str, filter_id: Any) -> Filter | None:
    """What the saved filter ``filter_id`` (from the wire) keeps of ``entity``'s records:
    NotFound for a filter that does not exist, is deleted or belongs to another company;
    a 400 for a malformed id, a filter of another type, or conditions that no longer
    compile (a field deleted since)."""
    if filter_id is None or filter_id == "":
        return None
    number = filter_id if isinstance(filter_id, int) and not isinstance(filter_id, bool) \
        else parse_int(filter_id, 1)
    if number is None or number <= 0:
        raise params.bad("filter_id", "Parameter 'filter_id' must be a positive integer")
    found = unit.find("filter", And((Cond("id", "eq", number), Cond("is_deleted", "eq", False))))
    if found is None:
        raise NotFound("Filter not found")
    if ENTITY_OF.get(found["type"]) != entity:
        raise params.bad("filter_id", f"Filter {number} is a filter of {found['type']}, "
                         "which does not apply to this list")
    return compile_conditions(unit, entity, found["conditions"])


# ---- the /filters routes ----------------------------------------------------------------

def _parse_conditions(value: Any) -> dict[str, Any]:
    """``conditions``: an object, or (form bodies, some clients) its JSON text."""
    if isinstance(value, str):
        try:
            value = params.json_body(value.encode(), 1 << 20)
        except DealbaseError:
            raise _bad("conditions is not valid JSON", Reason.MALFORMED) from None
    if not isinstance(value, dict):
        raise _bad("conditions must be an object", Reason.MALFORMED)
    return {"conditions": value}


def _type_filter(value: str) -> Filter:
    if value not in FILTER_TYPES:
        raise params.bad("type", f"Parameter 'type' must be one of {', '.join(FILTER_TYPES)}")
    return Cond("type", "eq", value)


FILTER_V1 = View(
    entity="filter", path="filters", version="v1", operations=frozenset(),
    omit_null=frozenset({"custom_view_id"}), filters={"type": _type_filter},
    hidden=PIPELINER_ONLY, keys={"owner_id": "user_id"},
    declared=(
        Attr("user_id", "owner_id", writable=False),
        Attr("temporary_flag", "temporary_flag", writable=False),
        Attr("custom_view_id", "custom_view_id", writable=False),
        Attr("conditions", "conditions", parse=_parse_conditions),
        Attr("active_flag", "is_deleted", compute=lambda r, rc: not r["is_deleted"],
             writable=False),
    ),
)
# The list: the filters without their conditions (``GET /filters/{id}`` has them).
FILTERS_LIST_V1 = replace(FILTER_V1, hidden=PIPELINER_ONLY | {"conditions"}, declared=tuple(
    a for a in FILTER_V1.declared if a.key != "conditions"))


class FilterHandlers(Handlers):
    """Filters are records: the generic handlers list, read and delete them; a write
    checks the conditions against the filter's type first."""

    def _checked(self, unit: Unit, values: dict[str, Any], before: dict[str, Any] | None
                 ) -> dict[str, Any]:
        values.pop("is_deleted", None)
        kind = values.get("type", before["type"] if before else None)
        conditions = values.get("conditions", before["conditions"] if before else None)
        if ("type" in values or "conditions" in values) and isinstance(kind, str) \
                and kind in ENTITY_OF and conditions is not None:
            compile_conditions(unit, ENTITY_OF[kind], conditions, resolve=False)
        return values

    def _live(self, unit: Unit, request: Request) -> dict[str, Any]:
        found = unit.find("filter", And((Cond("id", "eq", record_id(request)),
                                         Cond("is_deleted", "eq", False))))
        if found is None:
            raise NotFound("Filter not found")
        return found

    async def create(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            values = self._checked(unit, self.values(unit, request, raw), None)
            record = unit.create("filter", values)
            return render.success(self.present(unit, [record], {})[0][0])
        return await self.api.write(request, work, raw)

    async def update(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            before = self._live(unit, request)
            values = self._checked(unit, self.values(unit, request, raw), before)
            record = unit.update("filter", before["id"], values)
            return render.success(self.present(unit, [record], {})[0][0])
        return await self.api.write(request, work, raw)

    async def delete(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            unit.delete("filter", [self._live(unit, request)["id"]])
            return render.success({"id": record_id(request)})
        return await self.api.write(request, work)


# ---- /filters/helpers -------------------------------------------------------------------

OPERATOR_LABELS = {"=": "is", "!=": "is not", ">": "is more than", "<": "is less than",
                   ">=": "is more or equal to", "<=": "is less or equal to",
                   "IS NULL": "is empty", "IS NOT NULL": "is not empty",
                   "LIKE '%$%'": "contains", "LIKE '$%'": "starts with",
                   "NOT LIKE '$%'": "does not start with", "contains": "contains",
                   "not_contains": "does not contain"}
DATE_LABELS = {">": "is later than", "<": "is earlier than", ">=": "is exactly or later than",
               "<=": "is exactly or earlier than"}
TIME_LABELS = {">": "is after", "<": "is before", ">=": "is exactly or after than",
               "<=": "is exactly or before than"}
DEPRECATED = {"NOT LIKE '%$%'": "does not contain", "LIKE '%$'": "ends with",
              "NOT LIKE '%$'": "does not end with"}
# Pipedrive's field types -> the operators their fields take here.
HELPER_TYPES = {"int": "number", "double": "number", "monetary": "number", "time": "time",
                "date": "date", "varchar": "text", "text": "text", "phone": "text",
                "address": "text", "set": "set", "enum": "enum", "user": "ref",
                "person": "ref", "organization": "ref", "people": "ref", "org": "ref",
                "stage": "ref", "status": "choice", "visible_to": "choice", "boolean": "choice"}
RELATIVE = {
    "Relative date intervals": {f"{w}_{u}": f"{w} {u}" for w in ("last", "this", "next")
                                for u in ("year", "quarter", "month", "week")},
    "Relative dates": {
        **{f"{n}_months_ago": f"{n} month{'s' if n > 1 else ''} ago" for n in range(6, 0, -1)},
        **{f"{n}_weeks_ago": f"{n} weeks ago" for n in (3, 2)}, "1_week_ago": "1 week ago",
        "last_7_days": "last 7 days", "last_30_days": "last 30 days",
        "yesterday": "yesterday", "before_today": "before today", "today": "today",
        "now": "now", "later_or_today": "today or later", "before_tomorrow": "before tomorrow",
        "tomorrow": "tomorrow", "later_or_tomorrow": "tomorrow or later",
        "next_7_days": "next 7 days", "next_30_days": "next 30 days",
        "in_1_week": "in 1 week", **{f"in_{n}_weeks": f"in {n} weeks" for n in (2, 3)},
        "in_1_month": "in 1 month", **{f"in_{n}_months": f"in {n} months" for n in range(2, 7)},
    },
}
ADDRESS_LABELS = dict(zip(ADDRESS_PARTS, (
    "Apartment/suite no", "House number", "Route/road name", "District/sublocality",
    "City/town/village/locality", "State/county", "Region", "Country", "ZIP/Postal code",
    "Full/combined address"), strict=True))


def helpers() -> dict[str, Any]:
    """What ``GET /filters/helpers`` answers: the operators each field type takes (with
    their words), the relative dates, the parts of an address."""
    operators: dict[str, Any] = {}
    for field_type, kind in HELPER_TYPES.items():
        labels = {**OPERATOR_LABELS, **(DATE_LABELS if kind == "date" else
                                         TIME_LABELS if kind == "time" else {})}
        ops = [op for op in ALLOWED[kind] if op not in DEPRECATED]
        operators[field_type] = ([{op: labels[op]} for op in ops] if field_type == "enum"
                                 else {op: labels[op] for op in ops})
    return {"operators": operators, "deprecated_operators": dict(DEPRECATED),
            "relative_dates": RELATIVE, "address_field_components": ADDRESS_LABELS}


def routes(api: Api) -> list[BaseRoute]:
    """v1 ``/filters``: list (by ``type``, paged), add, delete many; one filter read,
    changed, deleted; the helpers."""
    v1 = PREFIXES["v1"]
    one, many = FilterHandlers(api, FILTER_V1), FilterHandlers(api, FILTERS_LIST_V1)

    async def helpers_handler(request: Request) -> Response:
        return await api.read(request, lambda unit: render.success(helpers()))

    table: tuple[tuple[str, Callable[[Request], Any], str], ...] = (
        ("/filters", many.list, "GET"), ("/filters", one.create, "POST"),
        ("/filters", one.bulk_delete, "DELETE"), ("/filters/helpers", helpers_handler, "GET"),
        ("/filters/{id}", one.get, "GET"), ("/filters/{id}", one.update, "PUT"),
        ("/filters/{id}", one.delete, "DELETE"))
    out: list[BaseRoute] = []
    for path, handler, method in table:
        out += routes_at(v1, path, handler, [method])
    return out


__all__ = ["compile_conditions", "date_bounds", "helpers", "routes", "where_of"]
