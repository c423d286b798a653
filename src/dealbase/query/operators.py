"""The operator table: each operator's name, the kinds it accepts and its SQL builder.

Adding an operator is one row here (plus a test). Values are always bound
parameters; LIKE patterns escape their wildcards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func

from ..domain.types import Kind

ORDERED = frozenset({Kind.INT, Kind.REF, Kind.FLOAT, Kind.TEXT, Kind.DATE, Kind.DATETIME,
                     Kind.TIME})
SCALAR = ORDERED | {Kind.BOOL}
TEXTUAL = frozenset({Kind.TEXT})
ANY = SCALAR | {Kind.JSON}

Builder = Callable[[ColumnElement[Any], Any, str], ColumnElement[bool]]


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(pattern: Callable[[str], str]) -> Builder:
    def build(expr: ColumnElement[Any], value: Any, backend: str) -> ColumnElement[bool]:
        bound = pattern(escape_like(value))
        # Case-insensitive on both backends. SQLite's LIKE folds ASCII only, which is
        # exact for an ASCII pattern; otherwise both sides go through Python's lower().
        if backend == "postgresql":
            return expr.ilike(bound, escape="\\")
        if not bound.isascii():
            return func.py_lower(expr).like(bound.lower(), escape="\\")
        return expr.like(bound, escape="\\")

    return build


def _is_null(expr: ColumnElement[Any], value: Any, backend: str) -> ColumnElement[bool]:
    return expr.is_(None) if value else expr.is_not(None)


@dataclass(frozen=True)
class Operator:
    name: str
    kinds: frozenset[Kind]
    build: Builder
    # "scalar": one value of the field's kind; "list": a non-empty list; "bool": True/False
    arity: str = "scalar"


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("eq", SCALAR, lambda e, v, b: e == v),
        Operator("ne", SCALAR, lambda e, v, b: e.is_distinct_from(v)),
        Operator("gt", ORDERED, lambda e, v, b: e > v),
        Operator("lt", ORDERED, lambda e, v, b: e < v),
        Operator("ge", ORDERED, lambda e, v, b: e >= v),
        Operator("le", ORDERED, lambda e, v, b: e <= v),
        Operator("starts_with", TEXTUAL, _like(lambda v: f"{v}%")),
        Operator("ends_with", TEXTUAL, _like(lambda v: f"%{v}")),
        Operator("contains", TEXTUAL, _like(lambda v: f"%{v}%")),
        Operator("in", SCALAR, lambda e, v, b: e.in_(v), arity="list"),
        Operator("is_null", ANY, _is_null, arity="bool"),
    )
}

MAX_IN_VALUES = 500
MAX_CONDITIONS = 64

__all__ = ["MAX_CONDITIONS", "MAX_IN_VALUES", "OPERATORS", "Operator"]
