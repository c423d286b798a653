"""The organization: a company that persons work for and deals are made with."""

from __future__ import annotations

from ..spec import EntitySpec, FieldSpec
from ..types import Kind
from ._common import (
    ADDRESS_PARTS,
    access,
    activity_tallies,
    contact_lists,
    contact_points,
    counter,
    deal_tallies,
    id_list,
    identity,
    labels,
    lifecycle,
    note_tally,
    owned,
    owners_team,
    picture,
    team,
    visibility,
)

ORGANIZATION = EntitySpec(
    name="organization",
    table="organizations",
    has_custom_fields=True,
    fields=(
        *identity(),
        FieldSpec("name", Kind.TEXT, required=True, max_length=255, nullable=False, label="Name"),
        owned(),
        FieldSpec("address", Kind.TEXT, max_length=1024, field_type="address", label="Address"),
        *(FieldSpec(f"address_{part}", Kind.TEXT, max_length=255) for part in ADDRESS_PARTS),
        labels(),
        visibility(),
        FieldSpec("website", Kind.TEXT, max_length=2048, label="Website"),
        FieldSpec("linkedin", Kind.TEXT, max_length=2048, label="LinkedIn profile"),
        FieldSpec("industry", Kind.INT, field_type="enum", label="Industry"),
        # whole currency units: Pipedrive's API types it an integer
        FieldSpec("annual_revenue", Kind.INT, field_type="monetary", label="Annual revenue"),
        FieldSpec("employee_count", Kind.INT, field_type="int", label="Number of employees"),
        team(),
        # what Pipeliner's Accounts have besides
        *contact_lists(),
        FieldSpec("notes", Kind.TEXT, max_length=65535, field_type="text", label="Comments"),
        FieldSpec("account_type", Kind.TEXT, max_length=120, label="Account type"),
        FieldSpec("account_class", Kind.INT, field_type="int", label="Account class"),
        FieldSpec("parent_organization_id", Kind.REF, ref="organization", field_type="org",
                  label="Parent account"),
        FieldSpec("parent_relation_type", Kind.TEXT, max_length=120,
                  label="Parent account relation type"),
        FieldSpec("parent_ref", Kind.TEXT, max_length=120, label="Parent"),
        picture(),
        *access(),
        id_list("watcher_ids", "user", "Followers"),
        counter("people_count", "person", "organization_id", label="People"),
        *activity_tallies("organization_id"),
        note_tally("organization_id"),
        *deal_tallies("organization_id"),
        *lifecycle(),
    ),
    rules=(owners_team, contact_points),
)
