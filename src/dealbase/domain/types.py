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

from .errors import Problem, ValidationError


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
    return ValidationError(f"{field}: {message}", (Problem(field, message),))


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def parse_datetime(text: str) -> dt.datetime:
    """Parse ``YYYY-MM-DD[ T]HH:MM[:SS][Z|+00:00]`` or a bare date into naive UTC."""
    value = text.strip()
    if len(value) == 10:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


_INTEGER = re.compile(r"-?\d{1,18}")
_DECIMAL = re.compile(r"-?\d{1,15}(\.\d{1,16})?")


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
        if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
            return int(value)
        if isinstance(value, float) and value.is_integer():
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
        if not isinstance(value, str):
            raise _fail(field, "must be a string")
        if "\x00" in value:
            raise _fail(field, "must not contain NUL characters")
        if max_length is not None and len(value) > max_length:
            raise _fail(field, f"must be at most {max_length} characters")
        return value
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
            return dt.date.fromisoformat(value.strip())
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
            parsed = dt.time.fromisoformat(value.strip())
        except ValueError:
            raise _fail(field, "must be a time (HH:MM[:SS])") from None
        return parsed.replace(microsecond=0, tzinfo=None).isoformat()
    if kind is Kind.JSON:
        if not isinstance(value, list | dict):
            raise _fail(field, "must be a list or an object")
        if _has_nul(value):
            raise _fail(field, "must not contain NUL characters")
        return value
    raise AssertionError(f"unhandled kind {kind}")
