"""Canonical values to driver parameters and back, per field kind and backend.

SQLite stores what SQLAlchemy's SQLite types store (so rows written by either way in
read back the same): date-times as ``YYYY-MM-DD HH:MM:SS.ffffff`` text, dates as
ISO text, booleans as 0/1 (bound as ints), JSON as text (orjson: dates and date-times as ISO 8601).
psycopg adapts dates, times and booleans itself; JSON travels as ``Jsonb``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import orjson

from ..domain.types import Kind

Convert = Callable[[Any], Any]


def _sqlite_datetime(value: dt.datetime) -> str:
    return value.isoformat(" ", "microseconds")


def _sqlite_date(value: dt.date) -> str:
    return value.isoformat()


def _sqlite_json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _pg_json(value: Any) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(value, dumps=_sqlite_json)


_ENCODE: dict[tuple[str, Kind], Convert] = {
    # A bool is stored as the integer it is (0/1) either way, but sqlite3 binds an int
    # directly where it first looks for an adapter of a bool (about ten times the cost).
    ("sqlite", Kind.BOOL): int,
    ("sqlite", Kind.DATETIME): _sqlite_datetime,
    ("sqlite", Kind.DATE): _sqlite_date,
    ("sqlite", Kind.JSON): _sqlite_json,
    ("postgresql", Kind.JSON): _pg_json,
}

_DECODE: dict[tuple[str, Kind], Convert] = {
    ("sqlite", Kind.DATETIME): dt.datetime.fromisoformat,
    ("sqlite", Kind.DATE): dt.date.fromisoformat,
    ("sqlite", Kind.JSON): orjson.loads,
    ("sqlite", Kind.BOOL): bool,
}


def encoder(kind: Kind, backend: str) -> Convert | None:
    """How a non-null canonical value of ``kind`` becomes a parameter (None: as it is)."""
    return _ENCODE.get((backend, kind))


def decoder(kind: Kind, backend: str) -> Convert | None:
    """How a non-null column value of ``kind`` becomes canonical (None: as it is)."""
    return _DECODE.get((backend, kind))


def slot_value(kind: Kind, value: Any) -> Any:
    """A custom field's value as its index slot stores it (numbers as floats, else text)."""
    if value is None:
        return None
    if kind in (Kind.INT, Kind.REF, Kind.FLOAT):
        return float(value)
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def encode(kind: Kind, backend: str, value: Any) -> Any:
    if value is None:
        return None
    convert = _ENCODE.get((backend, kind))
    return value if convert is None else convert(value)


__all__ = ["Convert", "decoder", "encode", "encoder", "slot_value"]
