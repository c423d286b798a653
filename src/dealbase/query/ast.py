"""Query AST: filter tree, sorts, page request, projection. Frozen and dialect-free."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# A condition's field may name one item of a JSON list of objects: ``emails#0`` is the
# ``value`` of a person's first e-mail address.
ITEM = "#"


@dataclass(frozen=True)
class Cond:
    """``field <op> value`` on a canonical field name (operators: see ``operators.OPERATORS``)."""

    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class And:
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Not:
    item: Filter


Filter = Cond | And | Or | Not


@dataclass(frozen=True)
class Sort:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class Offset:
    """Rows ``start`` .. ``start + limit - 1`` of the ordered result."""

    start: int
    limit: int


@dataclass(frozen=True)
class Keyset:
    """Rows strictly after the row whose sort-key values are ``after`` (None: the first page),
    skipping the first ``skip`` of them."""

    after: tuple[Any, ...] | None
    limit: int
    skip: int = 0


@dataclass(frozen=True)
class Cursor:
    """Rows after the position an opaque cursor names (a page's ``next_cursor``, made for
    the same sort); ``token`` None: the first page."""

    token: str | None
    limit: int


@dataclass(frozen=True)
class Query:
    """What to read. ``id`` is always appended to ``sort`` as the final tie-breaker."""

    where: Filter | None = None
    sort: tuple[Sort, ...] = ()
    page: Offset | Keyset | Cursor = Offset(0, 100)
    fields: tuple[str, ...] | None = None


def all_of(*filters: Filter | None) -> Filter | None:
    """AND together the given filters, dropping Nones."""
    items = tuple(f for f in filters if f is not None)
    if not items:
        return None
    return items[0] if len(items) == 1 else And(items)


def any_of(*filters: Filter | None) -> Filter | None:
    """OR together the given filters, dropping Nones (None if none is left)."""
    items = tuple(f for f in filters if f is not None)
    if not items:
        return None
    return items[0] if len(items) == 1 else Or(items)
