"""The operator table: each operator's name, the kinds it accepts and its SQL builder.

Adding an operator is one row here (plus a test). A builder gets the field's SQL
expression, the (already coerced and encoded) value and the statement's ``Params``;
values always go through ``Params.bind``. LIKE patterns escape their wildcards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from ..domain.types import Kind

if TYPE_CHECKING:
    from .compile import Params

ORDERED = frozenset({Kind.INT, Kind.REF, Kind.FLOAT, Kind.TEXT, Kind.DATE, Kind.DATETIME,
                     Kind.TIME})
SCALAR = ORDERED | {Kind.BOOL}
TEXTUAL = frozenset({Kind.TEXT})
ANY = SCALAR | {Kind.JSON}

Builder = Callable[[str, Any, "Params"], str]


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(pattern: Callable[[str], str]) -> Builder:
    def build(expr: str, value: Any, params: Params) -> str:
        bound = pattern(escape_like(value))
        # Case-insensitive on both backends. SQLite's LIKE folds ASCII only, which is
        # exact for an ASCII pattern; otherwise both sides go through Python's lower().
        if params.backend == "postgresql":
            return f"{expr} ILIKE {params.bind(bound)} ESCAPE '\\'"
        if not bound.isascii():
            return f"py_lower({expr}) LIKE {params.bind(bound.lower())} ESCAPE '\\'"
        return f"{expr} LIKE {params.bind(bound)} ESCAPE '\\'"

    return build


def _compare(sign: str) -> Builder:
    return lambda e, v, p: f"{e} {sign} {p.bind(v)}"


def _distinct(expr: str, value: Any, params: Params) -> str:
    word = "IS DISTINCT FROM" if params.backend == "postgresql" else "IS NOT"
    return f"{expr} {word} {params.bind(value)}"


def in_values(values: Sequence[Any], backend: str) -> Any:
    """What ``in`` binds for ``values``: the one value, or one array for the whole list
    (on SQLite a JSON array), so that the statement's text, and the driver's cached
    statement, is the same for every length."""
    if len(values) == 1:
        return values[0]
    return list(values) if backend == "postgresql" else orjson.dumps(list(values)).decode()


def _in(expr: str, values: list[Any], params: Params) -> str:
    bound = params.bind(in_values(values, params.backend))
    if len(values) == 1:  # an equality: index ranges and orders stay usable
        return f"{expr} = {bound}"
    if params.backend == "postgresql":
        return f"{expr} = ANY({bound})"
    return f"{expr} IN (SELECT value FROM json_each({bound}))"


def _has(expr: str, value: Any, params: Params) -> str:
    """A JSON list of ids that holds the id ``value``."""
    if params.backend == "postgresql":
        return f"{expr} @> CAST({params.bind(orjson.dumps([value]).decode())} AS jsonb)"
    return f"EXISTS (SELECT 1 FROM json_each({expr}) WHERE json_each.value = {params.bind(value)})"


def _is_null(expr: str, value: Any, params: Params) -> str:
    return f"{expr} IS NULL" if value else f"{expr} IS NOT NULL"


@dataclass(frozen=True)
class Operator:
    name: str
    kinds: frozenset[Kind]
    build: Builder
    # "scalar": one value of the field's kind; "list": a non-empty list; "bool": True/False;
    # "id": a record id (an item of a list of ids)
    arity: str = "scalar"


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("eq", SCALAR, _compare("=")),
        Operator("ne", SCALAR, _distinct),
        Operator("gt", ORDERED, _compare(">")),
        Operator("lt", ORDERED, _compare("<")),
        Operator("ge", ORDERED, _compare(">=")),
        Operator("le", ORDERED, _compare("<=")),
        Operator("starts_with", TEXTUAL, _like(lambda v: f"{v}%")),
        Operator("ends_with", TEXTUAL, _like(lambda v: f"%{v}")),
        Operator("contains", TEXTUAL, _like(lambda v: f"%{v}%")),
        Operator("in", SCALAR, _in, arity="list"),
        Operator("is_null", ANY, _is_null, arity="bool"),
        Operator("has", frozenset({Kind.JSON}), _has, arity="id"),
    )
}

MAX_IN_VALUES = 500
MAX_CONDITIONS = 64

__all__ = ["MAX_CONDITIONS", "MAX_IN_VALUES", "OPERATORS", "Operator", "in_values"]
