"""The pipeline: an ordered set of stages that deals move through."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..spec import EntitySpec, FieldSpec, Lookup
from ..types import Kind
from ._common import identity, lifecycle


def _append_last(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    if before is None and values.get("order_nr") is None:
        last = lookup.first("pipeline", {}, "-order_nr")
        values["order_nr"] = (last["order_nr"] + 1) if last else 1


PIPELINE = EntitySpec(
    name="pipeline",
    table="pipelines",
    fields=(
        *identity(),
        FieldSpec("name", Kind.TEXT, required=True, max_length=255, nullable=False, label="Name"),
        FieldSpec("order_nr", Kind.INT, nullable=False, field_type="int"),
        FieldSpec("is_deal_probability_enabled", Kind.BOOL, default=False, nullable=False,
                  field_type="boolean"),
        *lifecycle(),
    ),
    rules=(_append_last,),
)
