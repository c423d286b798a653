"""The note: free text attached to deals, leads, persons or organizations (or, as
Pipeliner allows, to nothing), which may be pinned to what it is attached to; and the
comments on a note."""

from __future__ import annotations

from ..spec import EntitySpec, FieldSpec
from ..types import Kind
from ._common import identity, last_writer, lifecycle, owned, updated_by

PINNED_TO = ("deal", "person", "organization", "lead")


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
        updated_by(),
        *lifecycle(),
    ),
    rules=(last_writer,),
)

NOTE_COMMENT = EntitySpec(
    name="note_comment",
    table="note_comments",
    title_field="content",
    fields=(
        *identity(),
        FieldSpec("note_id", Kind.REF, ref="note", required=True, nullable=False,
                  field_type="int", label="Note"),
        FieldSpec("content", Kind.TEXT, required=True, max_length=65535, nullable=False,
                  field_type="text", label="Content"),
        owned("User"),
        updated_by(),
        *lifecycle(),
    ),
    rules=(last_writer,),
)
