"""The user: a member of a company; owns records and holds API tokens."""

from __future__ import annotations

from ..spec import EntitySpec, FieldSpec
from ..types import Kind
from ._common import id_list, identity, lifecycle, name_parts, team
from .role import assign_default_role

USER = EntitySpec(
    name="user",
    table="users",
    fields=(
        *identity(),
        FieldSpec("name", Kind.TEXT, max_length=255, label="Name"),
        FieldSpec("first_name", Kind.TEXT, max_length=255, label="First name"),
        FieldSpec("last_name", Kind.TEXT, max_length=255, label="Last name"),
        FieldSpec("email", Kind.TEXT, required=True, max_length=255, label="Email"),
        FieldSpec("phone", Kind.TEXT, max_length=255),
        FieldSpec("is_admin", Kind.BOOL, default=False, nullable=False, field_type="boolean"),
        FieldSpec("is_active", Kind.BOOL, default=True, nullable=False, field_type="boolean"),
        FieldSpec("default_currency", Kind.TEXT, default="USD", max_length=3, nullable=False),
        FieldSpec("locale", Kind.TEXT, default="en_US", max_length=20, nullable=False),
        FieldSpec("lang", Kind.INT, default=1, nullable=False, field_type="int"),
        FieldSpec("timezone_name", Kind.TEXT, default="UTC", max_length=64, nullable=False),
        FieldSpec("icon_url", Kind.TEXT, max_length=2048),
        FieldSpec("last_login_at", Kind.DATETIME, readonly=True, field_type="date"),
        team(),
        FieldSpec("role_id", Kind.REF, ref="role", field_type="int", label="Role"),
        id_list("watcher_ids", "user", "Followers"),
        *lifecycle(),
    ),
    rules=(name_parts, assign_default_role),
)
