"""The product: something a company sells."""

from __future__ import annotations

from ..spec import EntitySpec, FieldSpec
from ..types import Kind
from ._common import identity, lifecycle, owned

PRODUCT = EntitySpec(
    name="product",
    table="products",
    fields=(
        *identity(),
        FieldSpec("name", Kind.TEXT, required=True, max_length=255, nullable=False, label="Name"),
        FieldSpec("code", Kind.TEXT, max_length=255, label="Product code"),
        FieldSpec("description", Kind.TEXT, max_length=65535, field_type="text",
                  label="Description"),
        FieldSpec("unit", Kind.TEXT, max_length=64, label="Unit"),
        FieldSpec("category", Kind.TEXT, max_length=255, label="Category"),
        owned(),
        *lifecycle(),
    ),
)
