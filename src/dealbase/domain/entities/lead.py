"""The lead: a prospective deal that sits in no pipeline yet; its labels; and a lead
turned into a deal or a deal turned back into a lead (a conversion, kept so that its
status can be asked for)."""

from __future__ import annotations

from ..spec import EntitySpec, FieldSpec
from ..types import Kind
from ._common import (
    CURRENT_USER,
    access,
    activity_tallies,
    apart,
    id_list,
    identity,
    in_range,
    lifecycle,
    note_tally,
    owned,
    owners_team,
    people_lists,
    quick_fields,
    team,
    visibility,
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
        FieldSpec("creator_id", Kind.REF, ref="user", readonly=True, default=CURRENT_USER,
                  field_type="user", label="Creator"),
        team(),
        visibility(),
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
        FieldSpec("is_archived", Kind.BOOL, default=False, nullable=False, field_type="boolean",
                  label="Archived"),
        id_list("label_ids", "lead_label", "Labels"),
        FieldSpec("source_name", Kind.TEXT, readonly=True, default="API", nullable=False,
                  max_length=64, label="Source"),
        FieldSpec("origin", Kind.TEXT, readonly=True, default="API", nullable=False,
                  max_length=64, label="Origin"),
        FieldSpec("origin_id", Kind.TEXT, max_length=255, label="Origin ID"),
        FieldSpec("channel", Kind.INT, field_type="int", label="Channel"),
        FieldSpec("channel_id", Kind.TEXT, max_length=255, label="Channel ID"),
        FieldSpec("was_seen", Kind.BOOL, default=False, nullable=False, field_type="boolean",
                  label="Seen"),
        # what Pipeliner's Leads have besides
        FieldSpec("last_move_at", Kind.DATETIME, field_type="date", label="Last move"),
        *quick_fields(),
        *access(),
        *people_lists(),
        *activity_tallies("lead_id"),
        note_tally("lead_id"),
        *lifecycle(),
    ),
    rules=(in_range("probability", 0, 100), owners_team, apart("person_id", "participant_ids"),
           apart("organization_id", "organization_ids")),
)

LEAD_LABEL_COLORS = ("blue", "brown", "dark-gray", "gray", "green", "orange", "pink", "purple",
                     "red", "yellow")

LEAD_LABEL = EntitySpec(
    name="lead_label",
    table="lead_labels",
    fields=(
        *identity(),
        FieldSpec("name", Kind.TEXT, required=True, max_length=255, nullable=False,
                  label="Name"),
        FieldSpec("color", Kind.TEXT, required=True, choices=LEAD_LABEL_COLORS, nullable=False,
                  label="Color"),
        *lifecycle(),
    ),
)

CONVERSION_STATUSES = ("not_started", "running", "completed", "failed", "rejected")

# A conversion: a lead made into a deal (``direction`` "lead_to_deal") or a deal made into a
# lead ("deal_to_lead"). Its ``uid`` is the conversion id a client asks about.
CONVERSION = EntitySpec(
    name="conversion",
    table="conversions",
    title_field="status",
    fields=(
        *identity(),
        FieldSpec("direction", Kind.TEXT, required=True, nullable=False,
                  choices=("lead_to_deal", "deal_to_lead")),
        FieldSpec("lead_id", Kind.REF, ref="lead", nullable=False, required=True),
        FieldSpec("deal_id", Kind.REF, ref="deal", nullable=False, required=True),
        FieldSpec("status", Kind.TEXT, choices=CONVERSION_STATUSES, default="completed",
                  nullable=False),
        owned("Converted by"),
        *lifecycle(),
    ),
)
