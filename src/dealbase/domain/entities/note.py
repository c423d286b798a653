"""The note: free text attached to deals, leads, persons or organizations."""

from __future__ import annotations

from ..spec import EntitySpec, FieldSpec
from ..types import Kind
from ._common import identity, lifecycle, owned

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
        *lifecycle(),
    ),
)
