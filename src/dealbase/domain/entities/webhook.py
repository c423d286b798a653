"""A webhook: where a company's changes are sent (Pipedrive's ``/webhooks``, §11).

Its subscription (``event_action``.``event_object``) takes v1's and v2's words; its
``user_id`` is the user whose permissions filter the events. ``secret`` signs every
delivery and ``http_auth_password`` is sent to the receiver: both are kept as the
dispatcher needs them, and the dialect never shows them back (the secret once, in the
answer to the creation). ``since_seq`` is the change-log position it was made at: it
receives what happens after. Its delivery state (ban, last status) lives beside it, in
the outbox's tables (store/outbox.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import Forbidden, invalid
from ..spec import EntitySpec, FieldSpec, Lookup
from ..types import Kind
from ..webhooks import ACTIONS, OBJECTS, VERSIONS, check_url
from ._common import CURRENT_APP, CURRENT_USER, identity, lifecycle, owned

EVENT_OBJECTS = (*sorted(OBJECTS.values()), "*")
TYPES = ("general", "application", "automation")


def _subscription(values: dict[str, Any], before: Mapping[str, Any] | None,
                  lookup: Lookup) -> None:
    if before is None:
        values["type"] = "application" if values.get("app_id") is not None else "general"
    if "subscription_url" in values:
        values["subscription_url"] = check_url(values["subscription_url"], guard=False)
    if before is None and values.get("user_id") is None:
        raise invalid("user_id", "the webhook needs a user")
    user_id = values.get("user_id")
    if user_id is not None:
        user = lookup.fetch("user", user_id)
        if user is None or user.get("is_deleted") or not user.get("is_active", True):
            raise invalid("user_id", "no such active user")
        writer = lookup.actor()
        if writer is not None and user_id != writer:  # (events are read as that user)
            actor = lookup.fetch("user", writer)
            if actor is None or not actor.get("is_admin"):
                raise Forbidden("Only admins can make webhooks for another user")


WEBHOOK = EntitySpec(
    name="webhook",
    table="webhooks",
    fields=(
        *identity(),
        FieldSpec("name", Kind.TEXT, required=True, max_length=255, nullable=False,
                  label="Name"),
        FieldSpec("subscription_url", Kind.TEXT, required=True, max_length=2048,
                  nullable=False, label="Subscription URL"),
        FieldSpec("event_action", Kind.TEXT, required=True, choices=tuple(ACTIONS),
                  nullable=False, max_length=16, label="Event action"),
        FieldSpec("event_object", Kind.TEXT, required=True, choices=EVENT_OBJECTS,
                  nullable=False, max_length=32, label="Event object"),
        FieldSpec("user_id", Kind.REF, ref="user", default=CURRENT_USER, nullable=False,
                  field_type="user", label="User"),
        FieldSpec("http_auth_user", Kind.TEXT, max_length=255, label="HTTP auth user"),
        FieldSpec("http_auth_password", Kind.TEXT, max_length=255,
                  label="HTTP auth password"),
        FieldSpec("version", Kind.TEXT, choices=VERSIONS, default="2.0", nullable=False,
                  max_length=8, label="Version"),
        FieldSpec("type", Kind.TEXT, choices=TYPES, default="general", nullable=False,
                  max_length=16, label="Type"),
        FieldSpec("is_active", Kind.BOOL, default=True, nullable=False, field_type="boolean"),
        FieldSpec("remove_reason", Kind.TEXT, max_length=255, label="Remove reason"),
        FieldSpec("remove_time", Kind.DATETIME, field_type="date", label="Removed"),
        FieldSpec("secret", Kind.TEXT, required=True, max_length=120, nullable=False),
        FieldSpec("since_seq", Kind.INT, default=0, nullable=False, field_type="int"),
        # The OAuth app whose token made it (its ``type`` is then ``application``).
        FieldSpec("app_id", Kind.INT, default=CURRENT_APP, readonly=True, field_type="int"),
        owned("Owner"),
        *lifecycle(),
    ),
    rules=(_subscription,),
    indexes=(("is_deleted", "is_active"),),
)

__all__ = ["EVENT_OBJECTS", "TYPES", "WEBHOOK"]
