"""Rows to canonical records: one generated function per entity spec, projection and backend.

A record is a dict of canonical field names to canonical values (see
``domain.types``), custom fields included (read from the JSON ``custom`` column). The
decoder is generated once as straight-line Python — a single dict display per row —
because it runs for every row of every page. Its source is built only from registry
names (always through ``repr``) and column positions.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import orjson

from ..domain.spec import EntitySpec
from ..domain.types import Kind
from .codec import decoder

Decode = Callable[[tuple[Any, ...]], dict[str, Any]]


def _custom_date(value: Any) -> Any:
    return None if value is None else dt.date.fromisoformat(value)


def build_decoder(spec: EntitySpec, columns: tuple[str, ...], backend: str) -> Decode:
    names: dict[str, Any] = {"_date": _custom_date, "_loads": orjson.loads}
    items: list[str] = []
    body: list[str] = []
    for index, column in enumerate(columns):
        if column == "custom":
            source = f"r[{index}]"
            body.append(f"    c = _loads({source})" if backend == "sqlite" else f"    c = {source}")
            for f in spec.custom:
                get = f"c.get({f.custom_key!r})"
                items.append(f"{f.name!r}: {'_date(' + get + ')' if f.kind is Kind.DATE else get}")
            continue
        field = spec.by_name[column]
        convert = decoder(field.kind, backend)
        value = f"r[{index}]"
        if convert is not None:
            names[f"_c{index}"] = convert
            value = f"(None if {value} is None else _c{index}({value}))"
        items.append(f"{column!r}: {value}")
    source = "def decode(r):\n" + "".join(line + "\n" for line in body)
    source += "    return {" + ", ".join(items) + "}\n"
    namespace = dict(names)
    exec(compile(source, f"<decode {spec.name}>", "exec"), namespace)  # noqa: S102 - registry names only
    made: Decode = namespace["decode"]
    return made


class Decoders:
    """Decoders by (spec, columns, backend), made on first use and kept."""

    def __init__(self) -> None:
        self._made: dict[tuple[int, tuple[str, ...], str], tuple[EntitySpec, Decode]] = {}
        self._lock = threading.Lock()

    def get(self, spec: EntitySpec, columns: tuple[str, ...], backend: str) -> Decode:
        key = (id(spec), columns, backend)
        found = self._made.get(key)
        if found is not None and found[0] is spec:
            return found[1]
        made = build_decoder(spec, columns, backend)
        with self._lock:
            if len(self._made) > 4096:
                self._made.clear()
            self._made[key] = (spec, made)  # the spec is kept alive, so its id stays unique
        return made


__all__ = ["Decode", "Decoders", "build_decoder"]
