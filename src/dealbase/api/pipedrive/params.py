"""Parse Pipedrive query strings and bodies into the query AST and canonical values.

Syntax and shape only: numbers are numbers, names are known, the cursor decodes.
Business rules stay in the domain; SQL stays in the query engine.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ...domain.errors import Problem, Reason, ValidationError, invalid
from ...domain.registry import Schema
from ...domain.types import INT_MAX, Kind, loosen, parse_int
from ...query.ast import Cond, Filter, Sort, all_of
from ..body import json_body
from . import customvalues
from .mapping import View

_SORT_ITEM = re.compile(r"^\s*([A-Za-z0-9_]{1,80})(?:\s+(ASC|DESC|asc|desc))?\s*$")
MAX_SORT_KEYS = 5


def bad(param: str, message: str, reason: Reason = Reason.BAD_PARAMETER) -> ValidationError:
    return invalid(param, message, reason, text=message)


def integer(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    value = parse_int(raw)
    if value is None:
        raise bad(name, f"Parameter '{name}' must be an integer")
    if not low <= value <= high:
        raise bad(name, f"Parameter '{name}' must be between {low} and {high}")
    return value


def id_list(raw: str | None, most: int, name: str = "ids") -> list[int]:
    """``ids=1,2,3``: positive ids, at least one and at most ``most``."""
    if not raw:
        raise bad(name, f"Parameter '{name}' is required")
    ids = []
    for part in raw.split(","):
        if part.strip():
            found = parse_int(part, 1)
            if found is None:
                raise bad(name, f"Parameter '{name}' must be a list of positive integers")
            ids.append(found)
    if not ids:
        raise bad(name, f"Parameter '{name}' is required")
    if len(ids) > most:
        raise bad(name, f"at most {most} ids at once")
    return ids


def optional_id(params: Mapping[str, str], name: str) -> int | None:
    """An optional id parameter (a positive integer)."""
    return integer(params, name, 0, 1, INT_MAX) or None


def date(params: Mapping[str, str], name: str) -> dt.date:
    """A required ``YYYY-MM-DD`` parameter."""
    try:
        return dt.date.fromisoformat((params.get(name) or "").strip())
    except ValueError:
        raise bad(name, f"Parameter '{name}' is required (YYYY-MM-DD)") from None


def flag(params: Mapping[str, str], name: str) -> bool:
    raw = (params.get(name) or "").strip().lower()
    if raw in ("", "0", "false"):
        return False
    if raw in ("1", "true"):
        return True
    raise bad(name, f"Parameter '{name}' must be 0/1 or true/false")


def csv(params: Mapping[str, str], name: str) -> list[str]:
    return [p.strip() for p in (params.get(name) or "").split(",") if p.strip()]


def choices(params: Mapping[str, str], name: str, allowed: Sequence[str] | frozenset[str]
            ) -> list[str]:
    """``name=a,b``: the listed values (none: an empty list), each one of ``allowed``."""
    found = csv(params, name)
    wrong = [v for v in found if v not in allowed]
    if wrong:
        raise bad(name, f"Unknown {name}: {', '.join(sorted(wrong))[:200]}"
                        f" (one of: {', '.join(sorted(allowed))})")
    return found


def _sortable(view: View, schema: Schema, key: str) -> str:
    attr = view.by_key.get(key)
    if attr is not None and attr.field is not None:
        return attr.field
    spec = schema.entity(view.entity)
    if view.has_custom and key in spec.by_name and spec.by_name[key].is_custom:
        return key
    raise bad("sort", f"Cannot sort by unknown field '{key}'")


def v1_sort(view: View, schema: Schema, text: str | None) -> tuple[Sort, ...]:
    """``sort=title ASC, add_time DESC`` into Sort keys (first-level fields only)."""
    if not text or not text.strip():
        return ()
    items = text.split(",")
    if len(items) > MAX_SORT_KEYS:
        raise bad("sort", f"At most {MAX_SORT_KEYS} sort fields", Reason.BAD_SORT)
    keys = []
    for item in items:
        match = _SORT_ITEM.match(item)
        if match is None:
            raise bad("sort", f"Invalid sort item '{item.strip()[:80]}'", Reason.BAD_SORT)
        field = _sortable(view, schema, match.group(1))
        keys.append(Sort(field, (match.group(2) or "ASC").upper() == "DESC"))
    return tuple(keys)


def v2_sort(view: View, params: Mapping[str, str]) -> tuple[Sort, ...]:
    sort_by = params.get("sort_by") or "id"
    direction = (params.get("sort_direction") or "asc").lower()
    if sort_by not in view.sort_by:
        raise bad("sort_by", f"Parameter 'sort_by' must be one of {', '.join(view.sort_by)}")
    if direction not in ("asc", "desc"):
        raise bad("sort_direction", "Parameter 'sort_direction' must be asc or desc")
    field = view.by_key[sort_by].field or "id"
    return (Sort(field, direction == "desc"),)


def filters(view: View, params: Mapping[str, str]) -> Filter | None:
    """The view's list filters present in the query string; deleted rows hidden by default."""
    parts: list[Filter | None] = []
    for name, build in view.filters.items():
        raw = params.get(name)
        if raw is not None and raw != "":
            if len(raw) > 4000:
                raise bad(name, f"Parameter '{name}' is too long")
            parts.append(build(raw))
    if "status" not in params or view.entity not in ("deal", "project"):  # (status=deleted)
        parts.append(Cond("is_deleted", "eq", False))
    return all_of(*parts)


_CLOCK = re.compile(r"([0-9]{1,4}):([0-5][0-9])(?::[0-5][0-9])?")


def _lenient(kind: Kind, key: str, value: Any, style: str, version: str) -> Any:
    """Styles in both versions (durations as HH:MM); and v1's loose forms: numbers as
    strings, flags as 0/1, references echoed back as objects."""
    if style == "minutes" and value is not None and value != "":
        match = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None:
            raise bad(key, f"{key} must be a duration HH:MM", Reason.INVALID)
        return int(match.group(1)) * 60 + int(match.group(2))
    if style == "minutes":
        return None
    if version != "v1":
        return value
    if style == "str" and isinstance(value, str) and (number := parse_int(value)) is not None:
        return number
    if kind in (Kind.INT, Kind.REF) and isinstance(value, dict) and "value" in value:
        return value["value"]  # v1 GET returns refs as objects; clients echo them back
    return loosen(kind, value)


def body_id(body: Any, key: str, what: str) -> int:
    """The record id a JSON body gives under ``key`` (an integer, or its digits)."""
    value = body.get(key) if isinstance(body, dict) else None
    if isinstance(value, str):
        value = parse_int(value, 1)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise bad(key, f"{key} must be the id of {what}", Reason.INVALID)
    return value


def values(view: View, schema: Schema, body: Any) -> dict[str, Any]:
    """A request body in the view's names into canonical field values.

    v1 ignores known read-only keys (clients echo whole objects back) and refuses
    unknown ones; v2 refuses anything that is not writable.
    """
    if not isinstance(body, dict):
        raise bad("body", "The request body must be a JSON object", Reason.MALFORMED)
    spec = schema.entity(view.entity)
    custom_by_key = {c.key: c for c in schema.custom_of(view.entity)} if view.has_custom else {}
    inputs = view.inputs
    out: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in body.items():
        attr = inputs.get(key)
        if attr is not None and attr.parse is not None:
            out.update(attr.parse(value))
        elif attr is not None:
            assert attr.field is not None
            kind = spec.by_name[attr.field].kind
            out[attr.field] = _lenient(kind, key, value, attr.style, view.version)
        elif view.version == "v2" and key == "custom_fields" and view.has_custom:
            if not isinstance(value, dict):
                raise bad("custom_fields", "custom_fields must be an object", Reason.INVALID)
            for ckey, cvalue in value.items():
                if ckey not in custom_by_key:
                    unknown.append(f"custom_fields.{ckey}")
                else:
                    out.update(customvalues.v2_in(custom_by_key[ckey], cvalue))
        elif view.version == "v1" and view.has_custom and customvalues.is_custom_key(key):
            owner = custom_by_key.get(key[:40])
            if owner is None or key not in spec.by_name:
                unknown.append(key)  # Pipedrive ignores deleted fields; unknown keys are errors
            else:
                out.update(customvalues.v1_in(owner, key, value))
        elif view.version == "v1" and (key in view.by_key or key == "id"):
            continue
        else:
            unknown.append(key)
    if unknown:
        raise ValidationError(f"Unknown or read-only field(s): {', '.join(unknown[:20])}",
                              tuple(Problem(k, "unknown field", Reason.UNKNOWN_FIELD)
                                    for k in unknown[:20]))
    return out


__all__ = ["bad", "body_id", "choices", "csv", "filters", "flag", "id_list", "integer", "json_body", "v1_sort",
           "v2_sort", "values"]
