"""The person: a contact, optionally working for an organization."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..spec import EntitySpec, FieldSpec, Lookup
from ..types import Kind
from ._common import (
    ADDRESS_PARTS,
    access,
    activity_tallies,
    apart,
    contact_lists,
    contact_points,
    deal_tallies,
    id_list,
    identity,
    labels,
    lifecycle,
    name_parts,
    note_tally,
    owned,
    owners_team,
    people_lists,
    picture,
    team,
    visibility,
)


def _shape(values: dict[str, Any], before: Mapping[str, Any] | None, lookup: Lookup) -> None:
    contact_points(values, before, lookup)
    name_parts(values, before, lookup)


PERSON = EntitySpec(
    name="person",
    table="persons",
    has_custom_fields=True,
    fields=(
        *identity(),
        FieldSpec("name", Kind.TEXT, max_length=255, nullable=False, label="Name"),
        FieldSpec("first_name", Kind.TEXT, max_length=255, label="First name"),
        FieldSpec("last_name", Kind.TEXT, max_length=255, label="Last name"),
        owned(),
        FieldSpec("organization_id", Kind.REF, ref="organization", field_type="org",
                  label="Organization"),
        *contact_lists(),
        labels(),
        visibility(),
        FieldSpec("job_title", Kind.TEXT, max_length=255, label="Job title"),
        FieldSpec("birthday", Kind.DATE, field_type="date", label="Birthday"),
        FieldSpec("notes", Kind.TEXT, max_length=65535, field_type="text", label="Notes"),
        FieldSpec("middle_name", Kind.TEXT, max_length=255, label="Middle name"),
        id_list("organization_ids", "organization", "Other organizations"),
        team(),
        FieldSpec("postal_address", Kind.TEXT, max_length=1024, field_type="address",
                  label="Postal address"),
        *(FieldSpec(f"postal_address_{part}", Kind.TEXT, max_length=255)
          for part in ADDRESS_PARTS),
        # what Pipeliner's Contacts have besides
        FieldSpec("honorific", Kind.TEXT, max_length=120, label="Title"),
        FieldSpec("salutation", Kind.TEXT, max_length=120, label="Salutation"),
        FieldSpec("gender", Kind.INT, field_type="int", label="Gender"),
        FieldSpec("quick_account_name", Kind.TEXT, max_length=255, label="Quick account name"),
        picture(),
        *access(),
        *people_lists(),
        *activity_tallies("person_id"),
        note_tally("person_id"),
        *deal_tallies("person_id"),
        *lifecycle(),
    ),
    rules=(_shape, owners_team, apart("organization_id", "organization_ids")),
)
