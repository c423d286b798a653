"""The lead: a prospective deal that sits in no pipeline yet."""

from __future__ import annotations

from ..spec import EntitySpec, FieldSpec
from ..types import Kind
from ._common import (
    activity_tallies,
    apart,
    id_list,
    identity,
    in_range,
    lifecycle,
    note_tally,
    owned,
    owners_team,
    team,
)

LEAD = EntitySpec(
    name="lead",
    table="leads",
    title_field="title",
    # a lead carries the deal's custom fields, as in Pipedrive
    has_custom_fields=True,
    custom_of="deal",
    fields=(
        *identity(),
        FieldSpec("title", Kind.TEXT, required=True, max_length=255, nullable=False,
                  label="Title"),
        FieldSpec("description", Kind.TEXT, max_length=65535, field_type="text",
                  label="Description"),
        owned(),
        team(),
        FieldSpec("person_id", Kind.REF, ref="person", field_type="people", label="Contact person"),
        FieldSpec("organization_id", Kind.REF, ref="organization", field_type="org",
                  label="Organization"),
        id_list("participant_ids", "person", "Other contacts"),
        id_list("organization_ids", "organization", "Other organizations"),
        FieldSpec("value", Kind.FLOAT, field_type="monetary", label="Value"),
        FieldSpec("currency", Kind.TEXT, max_length=3, label="Currency"),
        FieldSpec("probability", Kind.INT, field_type="int", label="Ranking"),
        FieldSpec("expected_close_date", Kind.DATE, field_type="date",
                  label="Expected close date"),
        FieldSpec("is_archived", Kind.BOOL, default=False, nullable=False, field_type="boolean"),
        *activity_tallies("lead_id"),
        note_tally("lead_id"),
        *lifecycle(),
    ),
    rules=(in_range("probability", 0, 100), owners_team, apart("person_id", "participant_ids"),
           apart("organization_id", "organization_ids")),
)
