"""Field kinds and the one function that coerces a value into a kind.

Canonical values are plain Python: int, float, str, bool, ``datetime.date``,
naive-UTC ``datetime.datetime`` in whole seconds, lists and dicts for JSON.
Dialects loosen their own input (v1 "1" for true, numeric strings) before this;
here every kind is strict.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from enum import StrEnum
from typing import Any

from .errors import ValidationError, invalid


class Kind(StrEnum):
    INT = "int"
    FLOAT = "float"
    TEXT = "text"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    TIME = "time"
    REF = "ref"
    JSON = "json"


# Whole-number limits that fit both SQLite INTEGER and PostgreSQL BIGINT.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
FLOAT_LIMIT = 1e15


def _fail(field: str, message: str) -> ValidationError:
    return invalid(field, message)


def has_nul(value: Any) -> bool:
    """Whether a string, or any string inside a JSON value, holds a NUL character
    (which PostgreSQL refuses in text and in JSON)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def clean_text(field: str, value: Any, max_length: int | None = None, *,
               blank: bool = True) -> str:
    """The one text sanitiser: ``value`` as a storable string, or ValidationError (not a
    string, a NUL character, too long, or blank when ``blank`` is false)."""
    if not isinstance(value, str):
        raise _fail(field, "must be a string")
    if "\x00" in value:
        raise _fail(field, "must not contain NUL characters")
    if max_length is not None and len(value) > max_length:
        raise _fail(field, f"must be at most {max_length} characters")
    if not blank and not value.strip():
        raise _fail(field, "must not be empty")
    return value


_ASCII_INT = re.compile(r"[+-]?[0-9]{1,19}")


def parse_int(text: Any, low: int = INT_MIN, high: int = INT_MAX) -> int | None:
    """The one integer parser for text from the wire (paths, query strings, loose bodies):
    ASCII digits with an optional sign, between ``low`` and ``high``; None otherwise.
    (``str.isdigit`` and ``int`` also take "①", "¹" and "٣", which are not numbers here.)"""
    if not isinstance(text, str):
        return None
    stripped = text.strip()
    if not _ASCII_INT.fullmatch(stripped):
        return None
    value = int(stripped)
    return value if low <= value <= high else None


def parse_datetime(text: str) -> dt.datetime:
    """Parse ``YYYY-MM-DD[ T]HH:MM[:SS][Z|+00:00]`` or a bare date into naive UTC.

    ValueError for anything else, including a time-zone offset that moves the moment
    out of years 1..9999."""
    value = text.strip()
    if not value.isascii():
        raise ValueError(f"not a date-time: {value[:40]!r}")
    if len(value) == 10:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:
            raise ValueError("the moment lies outside years 1 to 9999") from None
    return parsed.replace(microsecond=0)


def parse_date(text: str) -> dt.date:
    """``YYYY-MM-DD``; a date-time gives its (UTC) date. ValueError otherwise."""
    value = text.strip()
    if len(value) > 10:
        return parse_datetime(value).date()
    if not value.isascii():
        raise ValueError(f"not a date: {value[:40]!r}")
    return dt.date.fromisoformat(value)


_DECIMAL = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,16})?")


def loosen(kind: Kind, value: Any) -> Any:
    """The loose wire forms both dialects accept, turned into the strict form ``coerce`` takes:
    0/1 and "true"/"false" booleans, numbers written as strings, whole floats for integers.
    Anything else is returned unchanged (and ``coerce`` then refuses it).
    """
    if kind is Kind.BOOL:
        if value in (0, 1, "0", "1") and not isinstance(value, bool | float):
            return bool(int(value))
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
    elif kind in (Kind.INT, Kind.REF):
        if isinstance(value, str) and (number := parse_int(value)) is not None:
            return number
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
            return int(value)
    elif kind is Kind.FLOAT and isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        return float(value)
    return value


def coerce(kind: Kind, field: str, value: Any, max_length: int | None = None) -> Any:
    """Return ``value`` as the canonical Python value of ``kind`` or raise ValidationError.

    ``None`` passes through; whether it is allowed is the caller's business.
    """
    if value is None:
        return None
    if kind in (Kind.INT, Kind.REF):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(field, "must be an integer")
        if not INT_MIN <= value <= INT_MAX:
            raise _fail(field, "is out of range")
        if kind is Kind.REF and value <= 0:
            raise _fail(field, "must be a positive id")
        return value
    if kind is Kind.FLOAT:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(field, "must be a number")
        number = float(value)
        if math.isnan(number) or abs(number) > FLOAT_LIMIT:
            raise _fail(field, "is out of range")
        return number
    if kind is Kind.TEXT:
        return clean_text(field, value, max_length)
    if kind is Kind.BOOL:
        if not isinstance(value, bool):
            raise _fail(field, "must be a boolean")
        return value
    if kind is Kind.DATE:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if not isinstance(value, str):
            raise _fail(field, "must be a date (YYYY-MM-DD)")
        try:
            return dt.date.fromisoformat(value.strip()) if value.isascii() else _no_date()
        except ValueError:
            raise _fail(field, "must be a date (YYYY-MM-DD)") from None
    if kind is Kind.DATETIME:
        if isinstance(value, dt.datetime):
            return value.replace(microsecond=0)
        if not isinstance(value, str):
            raise _fail(field, "must be a date-time (YYYY-MM-DD HH:MM:SS)")
        try:
            return parse_datetime(value)
        except ValueError:
            raise _fail(field, "must be a date-time (YYYY-MM-DD HH:MM:SS)") from None
    if kind is Kind.TIME:
        if not isinstance(value, str):
            raise _fail(field, "must be a time (HH:MM[:SS])")
        try:
            if not value.isascii():
                raise ValueError(value)
            parsed = dt.time.fromisoformat(value.strip())
        except ValueError:
            raise _fail(field, "must be a time (HH:MM[:SS])") from None
        return parsed.replace(microsecond=0, tzinfo=None).isoformat()
    if kind is Kind.JSON:
        if not isinstance(value, list | dict):
            raise _fail(field, "must be a list or an object")
        if has_nul(value):
            raise _fail(field, "must not contain NUL characters")
        return value
    raise AssertionError(f"unhandled kind {kind}")


def _no_date() -> dt.date:
    raise ValueError("not a date")
