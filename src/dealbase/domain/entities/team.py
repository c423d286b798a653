"""The team: a sales unit that users and records belong to (Pipeliner's SalesUnit, and
Pipedrive's legacy team: its manager, whether it is active, who made it; its users are
the users whose sales unit it is)."""

from __future__ import annotations

from ..spec import EntitySpec, FieldSpec
from ..types import Kind
from ._common import CURRENT_USER, identity, lifecycle, no_cycle

TEAM = EntitySpec(
    name="team",
    table="teams",
    fields=(
        *identity(),
        FieldSpec("name", Kind.TEXT, required=True, max_length=255, nullable=False, label="Name"),
        FieldSpec("parent_id", Kind.REF, ref="team", field_type="int", label="Parent"),
        FieldSpec("manager_id", Kind.REF, ref="user", field_type="user", label="Manager"),
        FieldSpec("is_active", Kind.BOOL, default=True, nullable=False, field_type="boolean",
                  label="Active"),
        FieldSpec("creator_id", Kind.REF, ref="user", readonly=True, default=CURRENT_USER,
                  field_type="user", label="Creator"),
        *lifecycle(),
    ),
    rules=(no_cycle("team"),),
)
