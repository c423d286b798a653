"""The follower: a user who follows a deal, person, organization, product or another user
(Pipedrive's followers; Pipeliner's watchers). A follow names exactly one followed record,
once per user while it lasts; ending it deletes the follow, and the change log keeps both
(the followers changelog). A record's ``followers_count`` counts its live follows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import Reason, invalid
from ..spec import EntitySpec, FieldSpec, Lookup
from ..types import Kind
from ._common import counter, identity, lifecycle

# The field of a follow that names what it follows, per followed kind.
FOLLOWED: Mapping[str, str] = {"deal": "deal_id", "person": "person_id",
                               "organization": "organization_id", "product": "product_id",
                               "user": "followed_user_id"}


def _one_target(values: dict[str, Any], before: Mapping[str, Any] | None,
                lookup: Lookup) -> None:
    """A follow names one followed record, and a user follows it once."""
    merged = {**(before or {}), **values}
    named = [f for f in FOLLOWED.values() if merged.get(f) is not None]
    if len(named) != 1:
        raise invalid("deal_id", "a follow names exactly one followed record")
    if before is None and merged.get("user_id") is not None:
        same = lookup.first("follower", {"user_id": merged["user_id"],
                                         named[0]: merged[named[0]]}, "id")
        if same is not None:
            raise invalid("user_id", f"user {merged['user_id']} already follows it",
                          Reason.DUPLICATE)


def followers_count(field: str) -> FieldSpec:
    """A record's live follows (``field``: the follow's reference to it)."""
    return counter("followers_count", "follower", field, label="Followers")


FOLLOWER = EntitySpec(
    name="follower",
    table="followers",
    fields=(
        *identity(),
        FieldSpec("user_id", Kind.REF, ref="user", required=True, nullable=False,
                  field_type="user", label="Follower"),
        FieldSpec("deal_id", Kind.REF, ref="deal", field_type="deal", label="Deal"),
        FieldSpec("person_id", Kind.REF, ref="person", field_type="people", label="Person"),
        FieldSpec("organization_id", Kind.REF, ref="organization", field_type="org",
                  label="Organization"),
        FieldSpec("product_id", Kind.REF, ref="product", field_type="product", label="Product"),
        FieldSpec("followed_user_id", Kind.REF, ref="user", field_type="user",
                  label="Followed user"),
        *lifecycle(),
    ),
    rules=(_one_target,),
)
