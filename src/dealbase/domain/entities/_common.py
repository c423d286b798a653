"""Fields every entity has, and the sentinels for service-filled defaults."""

from __future__ import annotations

from typing import Final

from ..spec import FieldSpec
from ..types import Kind


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NOW: Final = _Sentinel("NOW")
CURRENT_USER: Final = _Sentinel("CURRENT_USER")
NEW_UID: Final = _Sentinel("NEW_UID")

VISIBILITY = (1, 3, 5, 7)


def identity() -> tuple[FieldSpec, ...]:
    """id and the Pipeliner-style string id; both unique per company."""
    return (
        FieldSpec("id", Kind.INT, readonly=True, nullable=False, field_type="int"),
        FieldSpec("uid", Kind.TEXT, default=NEW_UID, max_length=120, nullable=False),
    )


def lifecycle() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("created_at", Kind.DATETIME, readonly=True, default=NOW, nullable=False,
                  field_type="date", label="Created"),
        FieldSpec("updated_at", Kind.DATETIME, readonly=True, default=NOW, nullable=False,
                  field_type="date", label="Updated"),
        FieldSpec("is_deleted", Kind.BOOL, readonly=True, default=False, nullable=False,
                  field_type="boolean"),
    )


def owned(label: str = "Owner") -> FieldSpec:
    return FieldSpec("owner_id", Kind.REF, ref="user", default=CURRENT_USER, nullable=False,
                     field_type="user", label=label)


def visibility() -> FieldSpec:
    return FieldSpec("visible_to", Kind.INT, choices=VISIBILITY, default=3, nullable=False,
                     field_type="visible_to", label="Visible to")


def labels() -> FieldSpec:
    return FieldSpec("label_ids", Kind.JSON, default=(), nullable=False, field_type="set",
                     label="Label")
