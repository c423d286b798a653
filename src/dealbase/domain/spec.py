"""EntitySpec and FieldSpec: the registry's vocabulary.

An entity is declared once (see ``dealbase.domain.entities``) as an EntitySpec
holding FieldSpecs with canonical snake_case names. Custom fields are per-company
rows turned into FieldSpecs whose values live in the entity's JSON ``custom``
column under their stable key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from .errors import Reason, invalid
from .types import Kind


@dataclass(frozen=True)
class Option:
    """One choice of an enum/set custom field."""

    id: int
    label: str


@dataclass(frozen=True)
class Derived:
    """A stored field kept equal to an aggregate of other records, by the records service,
    in the transaction of every write that could change it (so it is exact, and a list
    reads it as cheaply as any column).

    The aggregate is over the live records of ``child`` whose ``ref`` field holds this
    record's id and that meet ``where`` (``(field, op, value)`` conditions): their number
    (``how="count"``), the id of the first of them in ``order`` (``how="first"``;
    ``(field, descending)`` keys, then id in the same direction; nulls last), or the sum of
    their field ``of`` (``how="sum"``; null when there are none).
    """

    child: str
    ref: str
    how: str = "count"
    where: tuple[tuple[str, str, Any], ...] = ()
    order: tuple[tuple[str, bool], ...] = ()
    of: str = ""


@dataclass(frozen=True)
class FieldSpec:
    """One field of an entity, by canonical name."""

    name: str
    kind: Kind
    required: bool = False
    readonly: bool = False
    default: Any = None
    ref: str | None = None
    choices: tuple[Any, ...] = ()
    max_length: int | None = None
    nullable: bool = True
    label: str = ""
    # Pipedrive's field type, the type vocabulary of the fields API.
    field_type: str = "varchar"
    # Custom fields only: the stable 40-hex key under which the value is stored in
    # the ``custom`` JSON column, the id of the definition row, its options, and for a
    # sub-value (monetary currency, range end, address part) the parent's key.
    custom_key: str | None = None
    custom_id: int | None = None
    options: tuple[Option, ...] = ()
    parent: str | None = None
    # The indexed column that mirrors the value (``cf_num_3``…), if the field has a slot.
    slot: str | None = None
    # Write-only: not stored; the entity's rules turn it into stored fields (an
    # activity's ``end_at`` becomes its duration).
    virtual: bool = False
    # Kept by the records service from other records (read-only; see ``Derived``).
    derived: Derived | None = None

    @property
    def is_custom(self) -> bool:
        return self.custom_key is not None


class Lookup(Protocol):
    """What entity rules may ask of the records service: reads, and the write's time."""

    def fetch(self, entity: str, record_id: int) -> Mapping[str, Any] | None: ...

    def first(self, entity: str, where: Mapping[str, Any], order_by: str) -> Mapping[str, Any] | None:
        ...

    def now(self) -> dt.datetime: ...

    def actor(self) -> int | None:
        """The user making the write."""
        ...


# A rule receives the values being written (mutable: it may derive fields), the
# record before the write (None on create) and a Lookup; it raises ValidationError.
Rule = Callable[[dict[str, Any], Mapping[str, Any] | None, Lookup], None]


@dataclass(frozen=True)
class EntitySpec:
    """One CRM object: canonical name, table and fields, in declaration order."""

    name: str
    table: str
    fields: tuple[FieldSpec, ...]
    title_field: str = "name"
    has_custom_fields: bool = False
    rules: tuple[Rule, ...] = ()
    # Extra indexes, each a tuple of columns after ``company_id`` (lists that clients run).
    indexes: tuple[tuple[str, ...], ...] = ()
    # Custom fields: the entity whose definitions it uses (its own, or e.g. a lead uses the
    # deal's, as in Pipedrive).
    custom_of: str = ""
    by_name: Mapping[str, FieldSpec] = field(init=False, repr=False, compare=False)
    # What other layers derive from this spec once (SQL fragments, dialect keys…).
    memo: dict[Any, Any] = field(init=False, repr=False, compare=False)
    # Set by __post_init__: fields stored in their own column (all but custom fields), and
    # the custom fields.
    columns: tuple[FieldSpec, ...] = field(init=False, repr=False, compare=False)
    custom: tuple[FieldSpec, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.has_custom_fields and not self.custom_of:
            object.__setattr__(self, "custom_of", self.name)
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        object.__setattr__(self, "memo", {})
        object.__setattr__(self, "columns", tuple(f for f in self.fields
                                                  if not f.is_custom and not f.virtual))
        object.__setattr__(self, "custom", tuple(f for f in self.fields if f.is_custom))

    def field(self, name: str) -> FieldSpec:
        try:
            return self.by_name[name]
        except KeyError:
            raise invalid(name, "unknown field", Reason.UNKNOWN_FIELD,
                          text=f"Unknown field '{name}' on {self.name}") from None

    def with_custom(self, extra: tuple[FieldSpec, ...]) -> EntitySpec:
        return replace(self, fields=tuple(f for f in self.fields if not f.is_custom) + extra)
