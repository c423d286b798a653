"""The saved filter: a named set of conditions on one kind of record (Pipedrive's
``/filters``), which a list applies when asked for it by id. Its ``conditions`` are kept
as the client wrote them (the dialect that reads them checks them on every write and
compiles them to the query engine's filter tree on every use)."""

from __future__ import annotations

from ..spec import EntitySpec, FieldSpec
from ..types import Kind
from ._common import identity, lifecycle, owned, visibility

# What a filter filters, in Pipedrive's words.
FILTER_TYPES = ("deals", "leads", "org", "people", "products", "activity", "projects")

FILTER = EntitySpec(
    name="filter",
    table="filters",
    fields=(
        *identity(),
        FieldSpec("name", Kind.TEXT, required=True, max_length=255, nullable=False,
                  label="Name"),
        FieldSpec("type", Kind.TEXT, required=True, choices=FILTER_TYPES, nullable=False,
                  label="Type"),
        FieldSpec("temporary_flag", Kind.BOOL, default=False, nullable=False,
                  field_type="boolean", label="Temporary"),
        owned("Owner"),
        visibility(),
        FieldSpec("custom_view_id", Kind.INT, field_type="int", label="Custom view"),
        FieldSpec("conditions", Kind.JSON, required=True, nullable=False, label="Conditions"),
        *lifecycle(),
    ),
)
