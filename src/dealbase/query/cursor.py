"""Opaque keyset cursors: base64url JSON of the sort keys and the last row's values."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

import orjson

from ..domain.errors import Problem, Reason, ValidationError
from .ast import Sort

MAX_CURSOR_LENGTH = 4096


def _bad() -> ValidationError:
    return ValidationError("Invalid cursor",
                           (Problem("cursor", "invalid cursor", Reason.BAD_PARAMETER),))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def encode_cursor(sort: tuple[Sort, ...], values: tuple[Any, ...]) -> str:
    payload = {"s": [[s.field, int(s.descending)] for s in sort], "v": [_plain(v) for v in values]}
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def decode_cursor(cursor: str, sort: tuple[Sort, ...]) -> tuple[Any, ...]:
    """The raw (JSON) values a cursor carries; it must have been made for ``sort``.

    The query compiler coerces the values to each sort field's kind.
    """
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise _bad()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise _bad() from None
    if not isinstance(payload, dict) or not isinstance(payload.get("v"), list):
        raise _bad()
    if payload.get("s") != [[s.field, int(s.descending)] for s in sort]:
        raise ValidationError("The cursor does not match this sort order",
                              (Problem("cursor", "does not match the sort order",
                                       Reason.BAD_PARAMETER),))
    values = payload["v"]
    if len(values) != len(sort) or any(isinstance(v, dict | list) for v in values):
        raise _bad()
    if any(isinstance(v, str) and "\x00" in v for v in values):
        raise _bad()
    return tuple(values)
