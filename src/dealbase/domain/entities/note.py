"""The note: free text attached to deals, leads, persons or organizations (or, as
Pipeliner allows, to nothing), which may be pinned to what it is attached to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..spec import EntitySpec, FieldSpec, Lookup
from ..types import Kind
from ._common import identity, lifecycle, owned

PINNED_TO = ("deal", "person", "organization", "lead")


def _updated_by(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    """Who wrote the note last."""
    values["updated_by"] = lookup.actor()


NOTE = EntitySpec(
    name="note",
    table="notes",
    title_field="content",
    fields=(
        *identity(),
        FieldSpec("content", Kind.TEXT, required=True, max_length=65535, nullable=False,
                  field_type="text", label="Content"),
        owned("User"),
        FieldSpec("deal_id", Kind.REF, ref="deal", field_type="int", label="Deal"),
        FieldSpec("lead_id", Kind.REF, ref="lead", field_type="int", label="Lead"),
        FieldSpec("person_id", Kind.REF, ref="person", field_type="people", label="Person"),
        FieldSpec("organization_id", Kind.REF, ref="organization", field_type="org",
                  label="Organization"),
        *(FieldSpec(f"pinned_to_{target}", Kind.BOOL, default=False, nullable=False,
                    field_type="boolean", label=f"Pinned to {target}") for target in PINNED_TO),
        FieldSpec("updated_by", Kind.REF, ref="user", readonly=True, field_type="user",
                  label="Last updated by"),
        *lifecycle(),
    ),
    rules=(_updated_by,),
)
