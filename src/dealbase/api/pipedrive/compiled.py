"""Views compiled to Python: one generated function per (view, schema, options).

This is the dialect's only renderer. Walking a view's attributes for every key of every
record of every page would be most of what a list request costs, so ``compile_view``
turns the declarations into straight-line code (a dict display and a few statements)
once, and keeps it. Its source is built only from the view's and the schema's own
names, always through ``repr``; attribute functions and the value formats of
``render.py`` and ``customvalues.py`` are passed in by name and called, never
re-spelled. A walking renderer survives in the tests, as this one's oracle.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ...domain.customfields import FIELD_TYPES, CustomField
from ...domain.registry import Schema
from ...domain.types import Kind
from . import customvalues, render
from .mapping import CONSTANTS, SPECS, RenderContext, View

Render = Callable[[dict[str, Any], RenderContext], dict[str, Any]]
Format = Callable[[Any], Any]


def value_format(version: str, kind: Kind, style: str) -> Format | None:
    """How a canonical field's value is written in this version (None: as it is)."""
    if kind is Kind.DATETIME:
        return render.v1_time if version == "v1" else render.v2_time
    if kind is Kind.DATE:
        return render.day
    if style == "str":
        return render.as_text
    if style == "hhmm":
        return render.clock
    if style == "minutes":
        return render.hours_minutes
    return None


def compile_view(view: View, schema: Schema, include: frozenset[str] = frozenset(),
                 custom_keys: tuple[str, ...] | None = None, option_labels: bool = False) -> Render:
    names: dict[str, Any] = {"_plain": customvalues.plain, "_v1_out": customvalues.v1_out,
                             "_v2_out": customvalues.v2_out}
    spec = SPECS[view.entity]
    items: list[str] = []
    after: list[str] = []
    for n, attr in enumerate(view.attrs):
        if attr.opt_in and attr.key not in include:
            continue
        if attr.compute is not None and attr.compute in CONSTANTS:
            source = repr(CONSTANTS[attr.compute])
        elif attr.compute is not None:
            names[f"_c{n}"] = attr.compute
            source = f"_c{n}(r, rc)"
        else:
            field = spec[attr.field or ""]
            source = f"r[{field.name!r}]"
            fmt = value_format(view.version, field.kind, attr.style)
            if fmt is not None:
                names[f"_f{n}"] = fmt
                source = f"_f{n}({source})"
        if view.omits(attr.key):
            after.append(f"    if (v := {source}) is not None:\n        o[{attr.key!r}] = v")
        else:
            items.append(f"{attr.key!r}: {source}")
    if view.has_custom:
        fields = schema.custom_of(view.entity)
        if custom_keys is not None:
            fields = tuple(f for f in fields if f.key in custom_keys)
        custom = [_custom(view.version, f, n, names, option_labels, view.omit_nulls)
                  for n, f in enumerate(fields)]
        if view.version == "v1":
            after += custom
        else:
            after.append("    o['custom_fields'] = {" + ", ".join(custom) + "}")
    source = ("def render(r, rc):\n    o = {" + ", ".join(items) + "}\n"
              + "".join(line + "\n" for line in after) + "    return o\n")
    namespace = dict(names)
    exec(compile(source, f"<view {view.version} {view.path}>", "exec"), namespace)  # noqa: S102
    made: Render = namespace["render"]
    return made


def _custom(version: str, cf: CustomField, n: int, names: dict[str, Any], labels: bool,
            omit_nulls: bool = False) -> str:
    """v1: a statement setting the field's flat keys (``omit_nulls``: those with a value);
    v2: one ``key: value`` item."""
    names[f"_cf{n}"] = cf
    key = repr(cf.key)
    suffixes = FIELD_TYPES[cf.field_type][2]
    if version == "v1":
        if suffixes and omit_nulls:
            return (f"    o.update((k, v) for k, v in _v1_out(_cf{n}, r).items()"
                    " if v is not None)")
        if suffixes:
            return f"    o.update(_v1_out(_cf{n}, r))"
        names[f"_cv{n}"] = customvalues.v1_value(cf.field_type)
        if omit_nulls:
            return f"    if (v := _cv{n}(r.get({key}))) is not None:\n        o[{key}] = v"
        return f"    o[{key}] = _cv{n}(r.get({key}))"
    if suffixes or (labels and cf.field_type in ("enum", "set")):
        return f"{key}: _v2_out(_cf{n}, r, {labels!r})"
    return f"{key}: _plain(r.get({key}))"


class CompiledViews:
    """Compiled views by (view, schema, options); the schema is kept, so ids stay unique."""

    def __init__(self) -> None:
        self._made: dict[tuple[Any, ...], tuple[View, Schema, Render]] = {}
        self._lock = threading.Lock()

    def get(self, view: View, schema: Schema, include: frozenset[str] = frozenset(),
            custom_keys: tuple[str, ...] | None = None, option_labels: bool = False) -> Render:
        key = (id(view), id(schema), include, custom_keys, option_labels)
        found = self._made.get(key)
        if found is not None and found[0] is view and found[1] is schema:
            return found[2]
        made = compile_view(view, schema, include, custom_keys, option_labels)
        with self._lock:
            if len(self._made) > 4096:
                self._made.clear()
            self._made[key] = (view, schema, made)
        return made


__all__ = ["CompiledViews", "Render", "compile_view"]
