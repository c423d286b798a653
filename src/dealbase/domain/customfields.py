"""Custom field definitions: Pipedrive's field types, how each is stored, and what a
definition's settings may hold.

A definition is a per-company row. ``field_specs`` turns it into the FieldSpecs
that the registry merges into its entity: the main value under the 40-hex key, and
for composite types the sub-values under ``<key>_<suffix>`` (the same names
Pipedrive's v1 API uses for them).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .entities._common import ADDRESS_PARTS
from .errors import Reason, ValidationError, invalid
from .spec import FieldSpec, Option
from .types import INT_MAX, Kind, clean_text, has_nul

ADDRESS_SUFFIXES = ADDRESS_PARTS

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


MAX_DESCRIPTION = 65535

# Settings a definition may carry: name -> shape. A shape is a Python type, a list
# ``[shape]`` (of items), a dict of shapes (an object with only those keys, each
# optional), or ``("map", key shape, value shape)`` for an object of any keys.
_IDS = [int]
SETTINGS: dict[str, Any] = {
    "add_visible_flag": bool,
    "description": (str, type(None)),
    "ui_visibility": {"add_visible_flag": bool, "details_visible_flag": bool,
                      "projects_detail_visible_flag": bool,
                      "show_in_pipelines": {"show_in_all": bool, "pipeline_ids": _IDS}},
    "important_fields": {"enabled": bool, "stage_ids": _IDS},
    "required_fields": {"enabled": bool, "stage_ids": _IDS,
                        "statuses": ("map", "id", [("won", "lost")])},
}


def _check(path: str, value: Any, shape: Any) -> None:
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            raise invalid(path, "must be an object")
        unknown = sorted(set(value) - set(shape))
        if unknown:
            raise invalid(path, f"has no key {str(unknown[0])[:80]}", Reason.UNKNOWN_FIELD)
        for key, item in value.items():
            _check(f"{path}.{key}", item, shape[key])
    elif isinstance(shape, list):
        if not isinstance(value, list) or len(value) > 1000:
            raise invalid(path, "must be a list (at most 1000 items)")
        for item in value:
            _check(path, item, shape[0])
    elif isinstance(shape, tuple) and shape and shape[0] == "map":
        if not isinstance(value, dict) or len(value) > 1000:
            raise invalid(path, "must be an object (at most 1000 keys)")
        for key, item in value.items():
            if not (key.isascii() and key.isdigit() and len(key) <= 18):
                raise invalid(path, "keys must be ids")
            _check(f"{path}.{key}", item, shape[2])
    elif isinstance(shape, tuple) and shape and isinstance(shape[0], str):
        if value not in shape:
            raise invalid(path, f"must be one of {', '.join(shape)}")
    elif shape is int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= INT_MAX:
            raise invalid(path, "must be a positive integer id")
    elif shape is str or (isinstance(shape, tuple) and str in shape):
        if value is None and isinstance(shape, tuple) and type(None) in shape:
            return
        clean_text(path, value, MAX_DESCRIPTION)
    elif not isinstance(value, shape):
        raise invalid(path, f"must be a {getattr(shape, '__name__', 'value')}")


def checked_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Settings as stored, or ValidationError: known names, values of their shape."""
    out: dict[str, Any] = {}
    for name, value in settings.items():
        if name not in SETTINGS:
            raise invalid(name, "is not a field setting", Reason.UNKNOWN_FIELD)
        _check(name, value, SETTINGS[name])
        out[name] = value
    if has_nul(out):  # (the checks above already refuse it; PostgreSQL's JSON never sees one)
        raise invalid("settings", "must not contain NUL characters")
    return out


def kept_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a stored definition may show: each one that ``checked_settings``
    would take (a database written before the checks existed may hold others)."""
    out: dict[str, Any] = {}
    for name, value in settings.items():
        try:
            out.update(checked_settings({name: value}))
        except ValidationError:
            continue
    return out




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
