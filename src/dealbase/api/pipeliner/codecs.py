"""How each Pipeliner key turns into canonical fields and back.

A codec reads one key's wire value from a record, writes a wire value into a draft of
canonical values, turns a filter phrase into a query condition and names what it needs
loaded. Relations travel as Pipeliner string ids (``PY-7FFFFFFF-…``) on the wire and as
integer ids in the core; ``Env`` translates between the two within one unit of work.
Clients (users) and SalesUnits (teams) keep integer ids, as in Pipeliner v1 (the
collections say which entities those are). Wire formats are the functions ``wire_time``
and ``flag01``, which the compiled renderers call too.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...domain.entities._common import with_slot
from ...domain.errors import Reason, ValidationError
from ...domain.errors import invalid as _invalid
from ...domain.spec import FieldSpec
from ...domain.types import INT_MAX, Kind, clean_text, loosen, parse_date, parse_datetime, parse_int
from ...query.ast import ITEM, And, Cond, Filter, Not, Or

Record = dict[str, Any]
UID = re.compile(r"PY-[0-9A-F]{8}-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4,12}",
                 re.IGNORECASE)
_DATA_ID = re.compile(r"PY-7FFFFFFF-([0-9A-F]{8})-DA7A-4000-8000-([0-9A-F]{12})", re.IGNORECASE)


def invalid(key: str, message: str, reason: Reason = Reason.INVALID) -> ValidationError:
    return _invalid(key, message, reason)


def data_id(field_id: int, option_id: int) -> str:
    """The Data row id of one option of one custom field (decodable, stable)."""
    return f"PY-7FFFFFFF-{field_id:08X}-DA7A-4000-8000-{option_id:012X}"


def parse_data_id(text: Any) -> tuple[int, int] | None:
    if not isinstance(text, str):
        return None
    match = _DATA_ID.fullmatch(text)
    return None if match is None else (int(match.group(1), 16), int(match.group(2), 16))


class Env:
    """Uid <-> id translation for one request, memoised; ``resolve``/``load`` hit the store.
    ``names``: each entity's Pipeliner name; ``int_ids``: entities with integer wire ids."""

    def __init__(self, resolve: Callable[[str, list[str]], dict[str, int]],
                 load: Callable[[str, list[int]], dict[int, str]],
                 names: Mapping[str, str], int_ids: frozenset[str]) -> None:
        self._resolve, self._load = resolve, load
        self.names, self.int_ids = names, int_ids
        self.ids: dict[str, dict[str, int]] = {}
        self.uids: dict[str, dict[int, str]] = {}

    def id_of(self, entity: str, key: str, value: Any) -> int:
        """The integer id behind a wire id; a ValidationError if none is live."""
        found = self.find(entity, value)
        if found is None:
            raise invalid(key, f"no {self.names[entity]} with ID {str(value)[:120]}",
                          Reason.MISSING_RELATED)
        return found

    def find(self, entity: str, value: Any) -> int | None:
        if entity in self.int_ids:
            if isinstance(value, str):
                value = parse_int(value, 1)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= INT_MAX:
                return None
            return value
        if not isinstance(value, str) or len(value) > 120:
            return None
        known = self.ids.setdefault(entity, {})
        if value not in known:
            known.update(self._resolve(entity, [value]))
        return known.get(value)

    def prefetch(self, wanted: Mapping[str, Iterable[int]]) -> None:
        for entity, ids in wanted.items():
            if entity in self.int_ids:
                continue
            known = self.uids.setdefault(entity, {})
            missing = sorted({i for i in ids if i is not None} - set(known))
            if missing:
                known.update(self._load(entity, missing))

    def wire(self, entity: str, record_id: int | None) -> Any:
        if record_id is None:
            return None
        if entity in self.int_ids:
            return record_id
        return self.uids.get(entity, {}).get(record_id)


# ---- scalar conversion ------------------------------------------------------------------

def wire_time(value: Any) -> Any:
    """Date-times as ``YYYY-MM-DD HH:MM:SS``, dates as ``YYYY-MM-DD``; the rest unchanged."""
    if isinstance(value, dt.datetime):
        return value.isoformat(" ", "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def flag01(value: Any) -> Any:
    """Booleans as 0/1."""
    return None if value is None else int(value)


def scalar_in(kind: Kind, key: str, value: Any) -> Any:
    """A wire value in the canonical kind: the shared loose forms, dates given as date-times."""
    if value is None:
        return None
    value = loosen(kind, value)
    if kind is Kind.BOOL and not isinstance(value, bool):
        raise invalid(key, "must be 0 or 1")
    if kind is Kind.DATE and isinstance(value, str) and len(value.strip()) > 10:
        try:
            return parse_date(value)
        except ValueError:
            raise invalid(key, "must be a date (YYYY-MM-DD)") from None
    return value


def filter_value(kind: Kind, key: str, raw: str) -> Any:
    """A filter value (always text on the wire) as a canonical value of ``kind``."""
    text = raw.strip()
    try:
        if kind is Kind.BOOL:
            if text.lower() in ("1", "true"):
                return True
            if text.lower() in ("0", "false"):
                return False
            raise ValueError
        if kind in (Kind.INT, Kind.REF):
            number = parse_int(text)
            if number is None:
                raise ValueError
            return number
        if kind is Kind.FLOAT:
            if not text.isascii():
                raise ValueError
            value = float(text)
            if not math.isfinite(value):
                raise ValueError
            return value
        if kind is Kind.DATETIME:
            return parse_datetime(text)
        if kind is Kind.DATE:
            return parse_date(text)
        if kind is Kind.TIME:
            if not text.isascii():
                raise ValueError
            return dt.time.fromisoformat(text).replace(microsecond=0, tzinfo=None).isoformat()
    except ValueError:
        raise invalid(key, f"'{raw[:80]}' is not a valid {kind.value} value") from None
    return clean_text(key, raw)


_LIKE = {"ll": "starts_with", "rl": "ends_with", "fl": "contains"}
NOTHING: Filter = Cond("id", "eq", 0)  # no record has id 0


def ref_condition(names: Sequence[str], key: str, op: str, raw: str | tuple[str, ...],
                  find: Callable[[str, str], int | None], targets: Sequence[str]) -> Filter:
    """eq/ne/in on references given as wire ids; an unknown id matches nothing."""
    if op not in ("eq", "ne", "in"):
        raise invalid(key, f"operator {op} does not apply to a reference", Reason.BAD_FILTER)
    values = raw if isinstance(raw, tuple) else (raw,)
    if op != "in" and values == ("",):
        return condition(names[0], Kind.REF, key, op, raw) if len(names) == 1 else Or(tuple(
            condition(n, Kind.REF, key, op, raw) for n in names))
    parts: list[Filter] = []
    for name, target in zip(names, targets, strict=True):
        ids = sorted({i for i in (find(target, v.strip()) for v in values) if i is not None})
        if ids:
            parts.append(Cond(name, "in", ids))
    matched: Filter = NOTHING if not parts else parts[0] if len(parts) == 1 else Or(tuple(parts))
    return Not(matched) if op == "ne" else matched
_SAME = {"eq": "eq", "ne": "ne", "gt": "gt", "lt": "lt", "ge": "ge", "le": "le"}


def condition(name: str, kind: Kind, key: str, op: str, raw: str | tuple[str, ...],
              convert: Callable[[str], Any] | None = None) -> Filter:
    """One phrase on one canonical column. An empty eq/ne value means empty/not empty."""
    to_value = convert or (lambda text: filter_value(kind, key, text))
    if kind is Kind.JSON or (kind is Kind.BOOL and op in ("gt", "lt", "ge", "le")):
        raise invalid(key, f"operator {op} does not apply to this field", Reason.BAD_FILTER)
    if op == "in":
        values = raw if isinstance(raw, tuple) else (raw,)
        return Cond(name, "in", [to_value(v) for v in values])
    assert isinstance(raw, str)
    if raw == "" and op in ("eq", "ne"):
        empty: Filter = Cond(name, "is_null", True)
        if kind is Kind.TEXT:
            empty = Or((empty, Cond(name, "eq", "")))
        return empty if op == "eq" else Not(empty)
    if op in _LIKE:
        if kind is not Kind.TEXT:
            raise invalid(key, f"operator {op} needs a text field", Reason.BAD_FILTER)
        return Cond(name, _LIKE[op], clean_text(key, raw))
    return Cond(name, _SAME[op], to_value(raw))


# ---- codecs ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Codec:
    """A key bound to one canonical field of the field's own kind (the common case)."""

    field: str
    spec: FieldSpec | None = None  # filled by Collection.bind

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.field,)

    @property
    def sort_field(self) -> str | None:
        return self.field

    def kind(self) -> Kind:
        assert self.spec is not None
        return self.spec.kind

    def needs(self, record: Record) -> Iterable[tuple[str, int]]:
        return ()

    def read(self, record: Record, env: Env) -> Any:
        value = record.get(self.field)
        return flag01(value) if self.kind() is Kind.BOOL else wire_time(value)

    def write(self, key: str, value: Any, draft: Record, before: Record | None, env: Env) -> None:
        draft[self.field] = scalar_in(self.kind(), key, value)

    def filter(self, key: str, op: str, raw: str | tuple[str, ...], env: Env) -> Filter:
        return condition(self.field, self.kind(), key, op, raw)


@dataclass(frozen=True)
class Ref(Codec):
    """A reference shown as the target's Pipeliner id."""

    target: str = ""

    def needs(self, record: Record) -> Iterable[tuple[str, int]]:
        value = record.get(self.field)
        return () if value is None else ((self.target, value),)

    def read(self, record: Record, env: Env) -> Any:
        return env.wire(self.target, record.get(self.field))

    def write(self, key: str, value: Any, draft: Record, before: Record | None, env: Env) -> None:
        draft[self.field] = None if value in (None, "") else env.id_of(self.target, key, value)

    def filter(self, key: str, op: str, raw: str | tuple[str, ...], env: Env) -> Filter:
        return ref_condition((self.field,), key, op, raw, env.find, (self.target,))


@dataclass(frozen=True)
class Uid(Codec):
    """The record's own ``ID``: the Pipeliner string id (or the integer id)."""

    def read(self, record: Record, env: Env) -> Any:
        return record.get(self.field)

    def write(self, key: str, value: Any, draft: Record, before: Record | None, env: Env) -> None:
        if self.field == "uid" and before is None:
            if not isinstance(value, str) or UID.fullmatch(value) is None:
                raise invalid(key, "must be an id of the form PY-7FFFFFFF-<UUID>")
            draft["uid"] = value.upper()

    def filter(self, key: str, op: str, raw: str | tuple[str, ...], env: Env) -> Filter:
        kind = Kind.TEXT if self.field == "uid" else Kind.INT
        return condition(self.field, kind, key, op, raw)


@dataclass(frozen=True)
class Relations(Codec):
    """``ACCOUNT_RELATIONS``/``CONTACT_RELATIONS``: the primary item plus further ones."""

    others: str = ""
    target: str = ""
    item_key: str = ""

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.field, self.others)

    @property
    def sort_field(self) -> str | None:
        return None

    def needs(self, record: Record) -> Iterable[tuple[str, int]]:
        ids = [record.get(self.field), *(record.get(self.others) or [])]
        return ((self.target, i) for i in ids if i is not None)

    def read(self, record: Record, env: Env) -> Any:
        items = []
        primary = record.get(self.field)
        if primary is not None:
            items.append({self.item_key: env.wire(self.target, primary), "IS_PRIMARY": 1})
        for other in record.get(self.others) or []:
            items.append({self.item_key: env.wire(self.target, other), "IS_PRIMARY": 0})
        return items

    def write(self, key: str, value: Any, draft: Record, before: Record | None, env: Env) -> None:
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
            raise invalid(key, f"must be a list of objects with {self.item_key}")
        if len(value) > 100:
            raise invalid(key, "at most 100 items")
        ids: list[int] = []
        primary: int | None = None
        for item in value:
            unknown = set(item) - {self.item_key, "IS_PRIMARY", "ID"}
            if unknown:
                raise invalid(key, f"unknown keys {sorted(str(k)[:40] for k in unknown)[:5]} "
                              "in an item", Reason.UNKNOWN_FIELD)
            if self.item_key not in item:
                raise invalid(key, f"every item needs {self.item_key}", Reason.REQUIRED)
            record_id = env.id_of(self.target, key, item[self.item_key])
            flag = scalar_in(Kind.BOOL, f"{key}.IS_PRIMARY", item.get("IS_PRIMARY", 0))
            if flag:
                if primary is not None and primary != record_id:
                    raise invalid(key, "at most one item may be primary")
                primary = record_id
            if record_id not in ids:
                ids.append(record_id)
        if primary is None and ids:
            primary = ids[0]
        draft[self.field] = primary
        draft[self.others] = [i for i in ids if i != primary]

    def filter(self, key: str, op: str, raw: str | tuple[str, ...], env: Env) -> Filter:
        """Records related to the given records (primary or not); an empty value: records
        with no relation (the first item is always the primary one)."""
        if op not in ("eq", "ne", "in"):
            raise invalid(key, f"operator {op} does not apply to a relation array",
                          Reason.BAD_FILTER)
        values = raw if isinstance(raw, tuple) else (raw,)
        if op != "in" and values == ("",):
            none: Filter = Cond(self.field, "is_null", True)
            return none if op == "eq" else Not(none)
        ids = sorted({i for i in (env.find(self.target, v.strip()) for v in values)
                      if i is not None})
        parts = [Cond(self.field, "in", ids)] if ids else []
        parts += [Cond(self.others, "has", i) for i in ids]
        matched: Filter = NOTHING if not parts else Or(tuple(parts))
        return Not(matched) if op == "ne" else matched


@dataclass(frozen=True)
class Members(Codec):
    """``SALES_TEAM``/``WATCHERS``: a list of Client (user) ids; filtered by membership."""

    def read(self, record: Record, env: Env) -> Any:
        return list(record.get(self.field) or [])

    def write(self, key: str, value: Any, draft: Record, before: Record | None, env: Env) -> None:
        if value is None:
            value = []
        if not isinstance(value, list) or len(value) > 100:
            raise invalid(key, "must be a list of Client ids (at most 100)")
        draft[self.field] = [scalar_in(Kind.REF, key, v) for v in value]

    @property
    def sort_field(self) -> str | None:
        return None

    def filter(self, key: str, op: str, raw: str | tuple[str, ...], env: Env) -> Filter:
        """Records whose list holds the given Client (any of them, for ``in``)."""
        if op not in ("eq", "ne", "in"):
            raise invalid(key, f"operator {op} does not apply to a list", Reason.BAD_FILTER)
        values = raw if isinstance(raw, tuple) else (raw,)
        ids = [filter_value(Kind.REF, key, v) for v in values]
        matched: Filter = Or(tuple(Cond(self.field, "has", i) for i in ids)) if ids else NOTHING
        return Not(matched) if op == "ne" else matched


@dataclass(frozen=True)
class Slot(Codec):
    """``EMAIL1``..``EMAIL5``/``PHONE1``..: one position of a person's contact points."""

    index: int = 0

    @property
    def sort_field(self) -> str | None:
        return None

    def read(self, record: Record, env: Env) -> Any:
        items = record.get(self.field) or []
        return items[self.index]["value"] if self.index < len(items) else None

    def write(self, key: str, value: Any, draft: Record, before: Record | None, env: Env) -> None:
        if value is not None:
            value = clean_text(key, value, 255)
        current = draft.get(self.field)
        if current is None:
            current = (before or {}).get(self.field) or []
        draft[self.field] = with_slot(current, self.index, value)

    def filter(self, key: str, op: str, raw: str | tuple[str, ...], env: Env) -> Filter:
        return condition(f"{self.field}{ITEM}{self.index}", Kind.TEXT, key, op, raw)


@dataclass(frozen=True)
class Computed(Codec):
    """A read-only key computed from the record (e.g. a Client's FIRSTNAME)."""

    compute: Callable[[Record], Any] = lambda record: None  # noqa: E731
    assign: Callable[[str, Any, Record, Record | None], None] | None = None
    sortable: bool = False
    uses: tuple[str, ...] = ()  # further canonical fields ``compute`` reads

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.field, *self.uses)

    @property
    def sort_field(self) -> str | None:
        return self.field if self.sortable else None

    def read(self, record: Record, env: Env) -> Any:
        return self.compute(record)

    def write(self, key: str, value: Any, draft: Record, before: Record | None, env: Env) -> None:
        if self.assign is None:
            raise invalid(key, "is read-only", Reason.READ_ONLY)
        self.assign(key, value, draft, before)

    def filter(self, key: str, op: str, raw: str | tuple[str, ...], env: Env) -> Filter:
        if not self.sortable:
            raise invalid(key, "cannot be filtered", Reason.BAD_FILTER)
        return super().filter(key, op, raw, env)


@dataclass(frozen=True)
class Either(Codec):
    """One key over two references (a Note's ``OPPTY_ID``: a deal or a lead)."""

    second: str = ""
    targets: tuple[str, str] = ("", "")

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.field, self.second)

    @property
    def sort_field(self) -> str | None:
        return None

    def needs(self, record: Record) -> Iterable[tuple[str, int]]:
        pairs = zip((self.field, self.second), self.targets, strict=True)
        return ((t, record[f]) for f, t in pairs if record.get(f) is not None)

    def read(self, record: Record, env: Env) -> Any:
        for name, target in zip((self.field, self.second), self.targets, strict=True):
            if record.get(name) is not None:
                return env.wire(target, record[name])
        return None

    def write(self, key: str, value: Any, draft: Record, before: Record | None, env: Env) -> None:
        draft[self.field] = draft[self.second] = None
        if value in (None, ""):
            return
        for name, target in zip((self.field, self.second), self.targets, strict=True):
            found = env.find(target, value)
            if found is not None:
                draft[name] = found
                return
        names = " or ".join(env.names[t] for t in self.targets)
        raise invalid(key, f"no {names} with ID {str(value)[:120]}", Reason.MISSING_RELATED)

    def filter(self, key: str, op: str, raw: str | tuple[str, ...], env: Env) -> Filter:
        if op == "ne" and raw == "":  # set: either reference is set
            return Or((Cond(self.field, "is_null", False), Cond(self.second, "is_null", False)))
        if op == "eq" and raw == "":
            return And((Cond(self.field, "is_null", True), Cond(self.second, "is_null", True)))
        return ref_condition((self.field, self.second), key, op, raw, env.find, self.targets)


@dataclass(frozen=True)
class Option(Codec):
    """An enum custom field: the value is the id of a ``Data`` row."""

    def read(self, record: Record, env: Env) -> Any:
        value = record.get(self.field)
        assert self.spec is not None and self.spec.custom_id is not None
        if isinstance(value, list):
            return [data_id(self.spec.custom_id, v) for v in value]
        return None if value is None else data_id(self.spec.custom_id, value)

    def _option(self, key: str, value: Any) -> int:
        assert self.spec is not None
        parsed = parse_data_id(value)
        if parsed is None or parsed[0] != self.spec.custom_id:
            raise invalid(key, f"'{str(value)[:120]}' is not a Data ID of this field")
        return parsed[1]

    def write(self, key: str, value: Any, draft: Record, before: Record | None, env: Env) -> None:
        if value is None or value == "" or value == []:
            draft[self.field] = None
        elif self.kind() is Kind.JSON:
            items = value if isinstance(value, list) else str(value).split(",")
            if len(items) > 100:
                raise invalid(key, "at most 100 options")
            draft[self.field] = [self._option(key, v) for v in items]
        else:
            draft[self.field] = self._option(key, value)

    def filter(self, key: str, op: str, raw: str | tuple[str, ...], env: Env) -> Filter:
        if self.kind() is Kind.JSON:
            raise invalid(key, "multi-select fields cannot be filtered yet", Reason.BAD_FILTER)
        return condition(self.field, Kind.INT, key, op, raw,
                         lambda text: self._option(key, text.strip()))


__all__ = [
    "UID", "Codec", "Computed", "Either", "Env", "Option", "Ref", "Relations",
    "Slot", "Uid", "condition", "data_id", "filter_value", "flag01", "invalid", "parse_data_id",
    "scalar_in", "wire_time",
]
