"""Custom field definitions: Pipedrive's field types and how each is stored.

A definition is a per-company row. ``field_specs`` turns it into the FieldSpecs
that the registry merges into its entity: the main value under the 40-hex key, and
for composite types the sub-values under ``<key>_<suffix>`` (the same names
Pipedrive's v1 API uses for them).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from .spec import FieldSpec, Option
from .types import Kind

ADDRESS_SUFFIXES = (
    "subpremise", "street_number", "route", "sublocality", "locality",
    "admin_area_level_1", "admin_area_level_2", "country", "postal_code", "formatted_address",
)

# field_type -> (kind of the main value, max length, ((suffix, kind), ...))
FIELD_TYPES: dict[str, tuple[Kind, int | None, tuple[tuple[str, Kind], ...]]] = {
    "varchar": (Kind.TEXT, 255, ()),
    "varchar_auto": (Kind.TEXT, 255, ()),
    "text": (Kind.TEXT, 65535, ()),
    "phone": (Kind.TEXT, 255, ()),
    "double": (Kind.FLOAT, None, ()),
    "monetary": (Kind.FLOAT, None, (("currency", Kind.TEXT),)),
    "enum": (Kind.INT, None, ()),
    "set": (Kind.JSON, None, ()),
    "user": (Kind.REF, None, ()),
    "org": (Kind.REF, None, ()),
    "people": (Kind.REF, None, ()),
    "date": (Kind.DATE, None, ()),
    "daterange": (Kind.DATE, None, (("until", Kind.DATE),)),
    "time": (Kind.TIME, None, (("timezone_id", Kind.INT),)),
    "timerange": (Kind.TIME, None, (("until", Kind.TIME), ("timezone_id", Kind.INT))),
    "address": (Kind.TEXT, 255, tuple((s, Kind.TEXT) for s in ADDRESS_SUFFIXES)),
}
REF_TARGETS = {"user": "user", "org": "organization", "people": "person"}

# Index slots: each entity table with custom fields has SLOTS numeric and SLOTS text
# columns (``cf_num_1``…, ``cf_text_1``…), each with an index per company. A company's
# field takes a free slot of its kind when it is created and mirrors its main value
# there, so that it filters and sorts at the speed of a native column. Fields beyond the
# slots, multi-option sets and long texts live in the JSON column only.
SLOTS = 8
SLOT_KINDS = ("num", "text")
SLOTTED: dict[str, str] = {
    "double": "num", "monetary": "num", "enum": "num", "user": "num", "org": "num",
    "people": "num", "varchar": "text", "varchar_auto": "text", "phone": "text",
    "date": "text", "daterange": "text", "time": "text", "timerange": "text",
    "address": "text",
}


def slot_column(kind: str, number: int) -> str:
    return f"cf_{kind}_{number}"


SLOT_COLUMNS = tuple(slot_column(k, n) for k in SLOT_KINDS for n in range(1, SLOTS + 1))
OPTION_TYPES = ("enum", "set")
MAX_OPTIONS = 10_000


def new_key() -> str:
    """A fresh field key: 40 lowercase hex characters, like Pipedrive's."""
    return secrets.token_hex(20)


@dataclass(frozen=True)
class CustomField:
    """One custom field definition of one company's entity."""

    id: int
    entity: str
    key: str
    name: str
    field_type: str
    options: tuple[Option, ...]
    order_nr: int
    settings: dict[str, Any]
    creator_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    is_deleted: bool = False
    slot: int | None = None  # the number of its index slot of kind SLOTTED[field_type]

    def field_specs(self) -> tuple[FieldSpec, ...]:
        kind, max_length, parts = FIELD_TYPES[self.field_type]
        main = FieldSpec(
            self.key, kind, max_length=max_length, label=self.name, field_type=self.field_type,
            custom_key=self.key, custom_id=self.id, options=self.options,
            ref=REF_TARGETS.get(self.field_type),
            slot=None if self.slot is None else slot_column(SLOTTED[self.field_type], self.slot),
        )
        subs = tuple(
            FieldSpec(f"{self.key}_{suffix}", sub_kind, max_length=255, label=f"{self.name} {suffix}",
                      field_type=self.field_type, custom_key=f"{self.key}_{suffix}",
                      custom_id=self.id, parent=self.key)
            for suffix, sub_kind in parts
        )
        return (main, *subs)
