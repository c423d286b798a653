"""The team: a sales unit that users and records belong to (Pipeliner's SalesUnit)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import Problem, ValidationError
from ..spec import EntitySpec, FieldSpec, Lookup
from ..types import Kind
from ._common import identity, lifecycle


def _no_cycle(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    parent_id = values.get("parent_id")
    if before is None or parent_id is None:
        return
    seen = {before["id"]}
    while parent_id is not None:
        if parent_id in seen:
            raise ValidationError("parent_id: a team cannot be its own ancestor",
                                  (Problem("parent_id", "would make a cycle"),))
        seen.add(parent_id)
        parent = lookup.fetch("team", parent_id)
        parent_id = parent["parent_id"] if parent else None


TEAM = EntitySpec(
    name="team",
    table="teams",
    fields=(
        *identity(),
        FieldSpec("name", Kind.TEXT, required=True, max_length=255, nullable=False, label="Name"),
        FieldSpec("parent_id", Kind.REF, ref="team", field_type="int", label="Parent"),
        *lifecycle(),
    ),
    rules=(_no_cycle,),
)
