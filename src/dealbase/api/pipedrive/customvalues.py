"""Custom field values in Pipedrive's two shapes.

v1: flat top-level keys, ``<key>`` plus ``<key>_<suffix>`` for composite types;
enum values are option ids as strings, set values comma-joined ids.
v2: ``custom_fields: {<key>: scalar | object}``; enum an int, set an int list,
composite types an object with ``value`` and the sub-values.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ...domain.customfields import FIELD_TYPES, CustomField
from ...domain.errors import Problem, ValidationError
from ...domain.types import parse_int
from .render import as_text, id_csv

NUMERIC = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def _bad(key: str, message: str) -> ValidationError:
    return ValidationError(f"{key}: {message}", (Problem(key, message),))


def plain(value: Any) -> Any:
    """A custom value as JSON: dates as ``YYYY-MM-DD``, the rest as stored."""
    return value.isoformat() if isinstance(value, dt.date) else value


def _suffixes(cf: CustomField) -> tuple[str, ...]:
    return tuple(s for s, _ in FIELD_TYPES[cf.field_type][2])


def v1_value(field_type: str) -> Any:
    """The v1 format of a field type's main value: enum ids as text, sets as a csv."""
    return {"enum": as_text, "set": id_csv}.get(field_type, plain)


def v1_out(cf: CustomField, record: dict[str, Any]) -> dict[str, Any]:
    out = {cf.key: v1_value(cf.field_type)(record.get(cf.key))}
    for suffix in _suffixes(cf):
        out[f"{cf.key}_{suffix}"] = plain(record.get(f"{cf.key}_{suffix}"))
    return out


def v2_out(cf: CustomField, record: dict[str, Any], option_labels: bool = False) -> Any:
    value = plain(record.get(cf.key))
    if option_labels and value is not None and cf.field_type in ("enum", "set"):
        labels = {o.id: o.label for o in cf.options}
        if cf.field_type == "enum":
            value = {"id": value, "label": labels.get(value)}
        else:
            value = [{"id": v, "label": labels.get(v)} for v in value]
    suffixes = _suffixes(cf)
    if not suffixes:
        return value
    subs = {s: plain(record.get(f"{cf.key}_{s}")) for s in suffixes}
    if value is None and all(v is None for v in subs.values()):
        return None
    return {"value": value, **subs}


def _lenient(cf: CustomField, key: str, value: Any) -> Any:
    """v1 clients send numbers and ids as strings; turn them into their JSON kind."""
    if value is None or value == "":
        return None
    if cf.field_type in ("double", "monetary") and isinstance(value, str):
        if not NUMERIC.match(value.strip()):
            raise _bad(key, "must be a number")
        return float(value)
    if cf.field_type in ("enum", "user", "org", "people"):
        if isinstance(value, dict) and "value" in value:
            value = value["value"]
        if isinstance(value, str) and (number := parse_int(value)) is not None:
            return number
        return value
    if cf.field_type == "set":
        if isinstance(value, str):
            parts = [parse_int(p, 1) for p in value.split(",") if p.strip()]
            if any(p is None for p in parts):
                raise _bad(key, "must be a comma-separated list of option ids")
            return parts or None
        if isinstance(value, int) and not isinstance(value, bool):
            return [value]
        if isinstance(value, list):
            return [number if isinstance(v, str) and (number := parse_int(v, 1)) is not None
                    else v for v in value] or None
    return value


def v1_in(cf: CustomField, key: str, value: Any) -> dict[str, Any]:
    """One flat v1 key (``<key>`` or ``<key>_<suffix>``) into canonical field values."""
    if key == cf.key:
        return {key: _lenient(cf, key, value)}
    if cf.field_type == "timerange" and key.endswith("_timezone_id") and isinstance(value, str):
        number = parse_int(value)
        value = value if number is None else number
    return {key: None if value == "" else value}


def v2_in(cf: CustomField, value: Any) -> dict[str, Any]:
    """One entry of a v2 ``custom_fields`` object into canonical field values."""
    suffixes = _suffixes(cf)
    if value is None:
        return {cf.key: None, **{f"{cf.key}_{s}": None for s in suffixes}}
    if not suffixes:
        return {cf.key: value}
    if not isinstance(value, dict):
        raise _bad(cf.key, f"a {cf.field_type} value must be an object with 'value'")
    unknown = set(value) - {"value", "timezone_name", *suffixes}
    if unknown:
        raise _bad(cf.key, f"unknown keys {sorted(unknown)}")
    out = {cf.key: value.get("value")}
    out.update({f"{cf.key}_{s}": value[s] for s in suffixes if s in value})
    return out


def is_custom_key(key: str) -> bool:
    return len(key) >= 40 and all(c in "0123456789abcdef" for c in key[:40])
