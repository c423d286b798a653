"""The stage: one step of a pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import Problem, ValidationError
from ..spec import EntitySpec, FieldSpec, Lookup
from ..types import Kind
from ._common import identity, lifecycle


def _place(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    if before is None and values.get("order_nr") is None:
        last = lookup.first("stage", {"pipeline_id": values["pipeline_id"]}, "-order_nr")
        values["order_nr"] = (last["order_nr"] + 1) if last else 1
    probability = values.get("deal_probability")
    if probability is not None and not 0 <= probability <= 100:
        raise ValidationError(
            "deal_probability must be between 0 and 100",
            (Problem("deal_probability", "must be between 0 and 100"),),
        )


STAGE = EntitySpec(
    name="stage",
    table="stages",
    fields=(
        *identity(),
        FieldSpec("pipeline_id", Kind.REF, ref="pipeline", required=True, nullable=False,
                  field_type="pipeline", label="Pipeline"),
        FieldSpec("name", Kind.TEXT, required=True, max_length=255, nullable=False, label="Name"),
        FieldSpec("order_nr", Kind.INT, nullable=False, field_type="int"),
        FieldSpec("deal_probability", Kind.INT, default=100, nullable=False, field_type="int"),
        FieldSpec("is_rotting_enabled", Kind.BOOL, default=False, nullable=False,
                  field_type="boolean"),
        FieldSpec("rotting_days", Kind.INT, field_type="int"),
        *lifecycle(),
    ),
    rules=(_place,),
)
