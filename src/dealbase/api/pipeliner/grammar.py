"""Pipeliner v1 query strings: ``filter``, ``sort`` and ``loadonly``, parsed into plain data.

filter   := phrase ("|" phrase)*            phrases are ANDed
phrase   := FIELD "::" value [ "::" op ]    op defaults to eq
value    := text; for ``in`` the items are separated by ":"

A backslash escapes ``|``, ``:`` and ``\\`` inside a value; any other backslash is a
literal character. An unescaped ``::`` always separates parts, a lone ``:`` is text
(except between ``in`` items). Nothing here touches SQL: the phrases are turned into
the query AST by ``convert.py``, with every value bound as a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...domain.errors import Reason, ValidationError, invalid

OPERATORS = ("eq", "ne", "gt", "lt", "ge", "le", "ll", "rl", "fl", "in")
MAX_PHRASES = 32
MAX_FILTER_LENGTH = 8192
_ESCAPABLE = "|:\\"


_REASONS = {"filter": Reason.BAD_FILTER, "sort": Reason.BAD_SORT}


def bad(param: str, message: str) -> ValidationError:
    return invalid(param, message, _REASONS.get(param, Reason.BAD_PARAMETER))


@dataclass(frozen=True)
class Phrase:
    """One filter condition as written: the field's API name, operator and raw value(s)."""

    field: str
    op: str
    value: str | tuple[str, ...]


def _split(text: str, sep: str) -> list[str]:
    """Split at unescaped ``sep``, keeping escape sequences for the next stage."""
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPABLE:
            current.append(text[i:i + 2])
            i += 2
            continue
        if text.startswith(sep, i):
            parts.append("".join(current))
            current = []
            i += len(sep)
            continue
        current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPABLE:
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def escape(text: str) -> str:
    """The inverse of ``unescape``: what a client writes for a literal value."""
    return "".join("\\" + c if c in _ESCAPABLE else c for c in text)


def parse_filter(text: str) -> tuple[Phrase, ...]:
    if len(text) > MAX_FILTER_LENGTH:
        raise bad("filter", f"at most {MAX_FILTER_LENGTH} characters")
    if text == "":
        return ()
    phrases = []
    for raw in _split(text, "|"):
        parts = _split(raw, "::")
        if len(parts) not in (2, 3):
            raise bad("filter", f"'{raw[:80]}' is not FIELD::value or FIELD::value::op")
        field = unescape(parts[0]).strip()
        op = parts[2].strip().lower() if len(parts) == 3 else "eq"
        if not field:
            raise bad("filter", f"'{raw[:80]}' has no field name")
        if op not in OPERATORS:
            raise bad("filter", f"unknown operator '{op[:20]}' (use one of {', '.join(OPERATORS)})")
        value: str | tuple[str, ...] = (
            tuple(unescape(v) for v in _split(parts[1], ":")) if op == "in" else unescape(parts[1])
        )
        phrases.append(Phrase(field, op, value))
    if len(phrases) > MAX_PHRASES:
        raise bad("filter", f"at most {MAX_PHRASES} conditions")
    return tuple(phrases)


def parse_names(param: str, text: str) -> tuple[tuple[str, bool], ...]:
    """``A|-B`` as ((name, descending), ...); for ``loadonly`` no ``-`` is expected."""
    if text.strip() == "":
        return ()
    names = []
    for raw in text.split("|"):
        name = raw.strip()
        descending = name.startswith("-")
        name = name.lstrip("-").strip()
        if not name:
            raise bad(param, f"'{text[:80]}' has an empty name")
        names.append((name, descending))
    if len(names) > MAX_PHRASES * 4:
        raise bad(param, "too many names")
    return tuple(names)


__all__ = ["OPERATORS", "Phrase", "bad", "escape", "parse_filter", "parse_names", "unescape"]
