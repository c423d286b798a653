"""The role: a visibility group of a company's users (Pipedrive's roles).

Roles form a hierarchy through ``parent_id`` (no cycles); every user has exactly one role
(the user's ``role_id``). Each company has one default role, made with the company (the
role users fall back to when their assignment is removed or their role is deleted; it
cannot be deleted). A role holds its settings, the default ``visible_to`` of new records
of five kinds and (for the default role) the access levels of four, and the pipelines
hidden from its users (``hidden_pipeline_ids``: a pipeline is visible unless hidden, so a
new pipeline is visible to every role).

Pipedrive's permission sets are a fixed catalogue (``PERMISSION_SETS``): a user holds the
admin sets when an admin, the regular ones otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import Problem, Reason, ValidationError
from ..spec import EntitySpec, FieldSpec, Lookup
from ..types import Kind
from ._common import VISIBILITY, counter, id_list, identity, lifecycle, no_cycle

DEFAULT_ROLE = "(Unassigned users)"
# Setting keys as Pipedrive names them: the default visibility of new records of a kind
# (1 owner only, 3 owner's group, 5 owner's group and sub-groups, 7 entire company), and
# the access levels of the default role (1 to 7: read 1, write 2, delete 4, summed; 7 all).
VISIBILITY_SETTINGS = tuple(f"{kind}_default_visibility"
                            for kind in ("deal", "lead", "org", "person", "product"))
ACCESS_SETTINGS = tuple(f"{kind}_access_level" for kind in ("deal", "org", "person", "product"))
SETTINGS = VISIBILITY_SETTINGS + ACCESS_SETTINGS
ACCESS_LEVELS = tuple(range(1, 8))
DEFAULT_VISIBILITY = 3  # what a record's ``visible_to`` defaults to (_common.visibility)
FULL_ACCESS = 7


def _one_default(values: dict[str, Any], before: Mapping[str, Any] | None,
                 lookup: Lookup) -> None:
    """A company has one default role, made with it; no write makes or unmakes another."""
    if before is not None:
        if "is_default" in values and values["is_default"] != before["is_default"]:
            raise ValidationError("is_default: a role's being the default cannot change",
                                  (Problem("is_default", "cannot change", Reason.READ_ONLY),))
        return
    if values.get("is_default") and lookup.first("role", {"is_default": True}, "id"):
        raise ValidationError("is_default: the company has a default role",
                              (Problem("is_default", "the company has one"),))


ROLE = EntitySpec(
    name="role",
    table="roles",
    fields=(
        *identity(),
        FieldSpec("name", Kind.TEXT, required=True, max_length=255, nullable=False, label="Name"),
        FieldSpec("parent_id", Kind.REF, ref="role", field_type="int", label="Parent role"),
        FieldSpec("is_default", Kind.BOOL, default=False, nullable=False, field_type="boolean",
                  label="Default role"),
        *(FieldSpec(name, Kind.INT, choices=VISIBILITY, default=DEFAULT_VISIBILITY,
                    nullable=False, field_type="visible_to") for name in VISIBILITY_SETTINGS),
        *(FieldSpec(name, Kind.INT, choices=ACCESS_LEVELS, default=FULL_ACCESS, nullable=False,
                    field_type="int") for name in ACCESS_SETTINGS),
        id_list("hidden_pipeline_ids", "pipeline", "Hidden pipelines"),
        counter("assignment_count", "user", "role_id", label="Users"),
        *lifecycle(),
    ),
    rules=(no_cycle("role"), _one_default),
)


def assign_default_role(values: dict[str, Any], before: Mapping[str, Any] | None,
                        lookup: Lookup) -> None:
    """A rule of users: a new user without a role has the company's default role."""
    if before is None and values.get("role_id") is None:
        found = lookup.first("role", {"is_default": True}, "id")
        if found is not None:
            values["role_id"] = found["id"]


# ---- the hierarchy, over a role -> parent map ------------------------------------------

def ancestors(parents: Mapping[int, int | None], role_id: int) -> list[int]:
    """The roles above ``role_id``, nearest first (a broken chain simply ends)."""
    out: list[int] = []
    current = parents.get(role_id)
    while current is not None and current not in out and current != role_id:
        out.append(current)
        current = parents.get(current)
    return out


def descendants(parents: Mapping[int, int | None], role_id: int) -> list[int]:
    """The roles below ``role_id`` (sub-roles, theirs, …), breadth first, by id."""
    children: dict[int, list[int]] = {}
    for child, parent in sorted(parents.items()):
        if parent is not None:
            children.setdefault(parent, []).append(child)
    out: list[int] = []
    queue = list(children.get(role_id, ()))
    while queue:
        current = queue.pop(0)
        if current in out or current == role_id:
            continue
        out.append(current)
        queue.extend(children.get(current, ()))
    return out


def level(parents: Mapping[int, int | None], role_id: int) -> int:
    """A role's level in the hierarchy: 1 for a role without a parent."""
    return 1 + len(ancestors(parents, role_id))


# ---- permission sets: Pipedrive's fixed catalogue -------------------------------------

# What a user may do (``/users/{id}/permissions``), as Pipedrive names it.
PERMISSIONS = (
    "can_add_custom_fields", "can_add_products", "can_add_prospects_as_leads",
    "can_bulk_edit_items", "can_change_visibility_of_items", "can_convert_deals_to_leads",
    "can_create_own_workflow", "can_delete_activities", "can_delete_custom_fields",
    "can_delete_deals", "can_edit_custom_fields", "can_edit_deals_closed_date",
    "can_edit_products", "can_edit_shared_filters", "can_export_data_from_lists",
    "can_follow_other_users", "can_merge_deals", "can_merge_organizations", "can_merge_people",
    "can_modify_labels", "can_see_company_wide_statistics", "can_see_deals_list_summary",
    "can_see_hidden_items_names", "can_see_other_users", "can_see_other_users_statistics",
    "can_see_security_dashboard", "can_share_filters", "can_share_insights", "can_use_api",
    "can_use_email_tracking", "can_use_import",
)
# A regular user's: Pipedrive's documented default set for new users.
REGULAR_PERMISSIONS = (
    "can_add_products", "can_bulk_edit_items", "can_change_visibility_of_items",
    "can_delete_activities", "can_edit_products", "can_edit_shared_filters",
    "can_export_data_from_lists", "can_see_deals_list_summary", "can_see_other_users",
    "can_share_filters", "can_use_api", "can_use_email_tracking",
)


@dataclass(frozen=True)
class PermissionSet:
    """One permission set: its (fixed) id, name, description, app and type; admin sets
    grant every permission, regular ones the regular user's."""

    id: str
    name: str
    description: str
    app: str
    type: str

    @property
    def for_admins(self) -> bool:
        return self.type == "admin"

    @property
    def contents(self) -> tuple[str, ...]:
        return PERMISSIONS if self.for_admins else REGULAR_PERMISSIONS


PERMISSION_SETS = (
    PermissionSet("62cc4d7f-4038-4352-abf3-a8c1c822b631", "Deals admin",
                  "See and edit all sales data (deals, leads), manage company-level sales setup "
                  "(such as lost reasons and pipelines)", "sales", "admin"),
    PermissionSet("f07d229d-088a-4144-a40f-1fe64295d180", "Deals regular user",
                  "Access to sales data (deals, leads) and available actions may be limited "
                  "depending on the custom permission setup. This set is the default for new "
                  "users.", "sales", "regular"),
    PermissionSet("233b7976-39bd-43a9-b305-ef3a2b0998e5", "Global admin",
                  "See and edit all cross-product data (such as contacts, activities, reports) "
                  "and access related features", "global", "admin"),
    PermissionSet("ec8a42e5-1842-490d-9113-b3a3b4b1c0a9", "Global regular user",
                  "Access to cross-product data (such as contacts, activities, reports) and "
                  "available actions may be limited depending on the custom permission setup. "
                  "This set is the default for new users.", "global", "regular"),
    PermissionSet("982c5ce5-b8ba-4b47-b102-9da024f4b990", "Account settings",
                  "Access company account level features and setup (billing, security center, "
                  "company settings, user management)", "account_settings", "admin"),
)
PERMISSION_SET_APPS = ("sales", "projects", "campaigns", "global", "account_settings")


def permission_sets_of(is_admin: bool) -> Iterator[PermissionSet]:
    """The sets a user holds: the admin sets for an admin, the regular ones otherwise."""
    return (s for s in PERMISSION_SETS if s.for_admins == is_admin)


def permissions_of(is_admin: bool) -> dict[str, bool]:
    """Every permission, granted or not, over the sets the user holds."""
    granted = {p for s in permission_sets_of(is_admin) for p in s.contents}
    return {p: p in granted for p in PERMISSIONS}
