"""OAuth scopes (Pipedrive's names) and what each lets an app read and write: ONE table.

An OAuth access token carries the scopes its user granted the app; the records service
refuses a read or a write of an entity that none of them allows (``Forbidden``, which
the Pipedrive dialect answers with 403). API tokens carry no scopes and may do anything
their user may. ``ACCESS`` follows the ``security`` entries of the vendored specs
(reference/pipedrive-api.md §2): ``<area>:read`` reads the area's entities,
``<area>:full`` reads and writes them; ``admin`` changes pipelines, stages, activity
types, users and roles; ``base`` reads the settings every app needs (currencies, the
signed-in user), and every grant includes it. Routes that are not about one entity
(search, recents, statistics) are allowed by the entities they read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BASE = "base"
ADMIN = "admin"
SEARCH, RECENTS = "search:read", "recents:read"


@dataclass(frozen=True)
class Access:
    """The scopes that let a caller read an entity, and those that let it write it (any
    one of them suffices; a scope that writes also reads)."""

    read: frozenset[str]
    write: frozenset[str]


def _access(read: Iterable[str], write: Iterable[str]) -> Access:
    writes = frozenset(write)
    return Access(frozenset(read) | writes, writes)


def _area(*areas: str, read_also: Iterable[str] = (), write_also: Iterable[str] = ()) -> Access:
    """Read with ``<area>:read`` or ``<area>:full`` of any of ``areas``; write with
    ``<area>:full``."""
    return _access([f"{a}:read" for a in areas] + list(read_also),
                   [f"{a}:full" for a in areas] + list(write_also))


_ADMIN_ONLY = _access([ADMIN], [ADMIN])
_SETTINGS = _access([BASE], [ADMIN])
_PIPELINES = _access(["deals:read", "deals:full"], [ADMIN])
_USERS = _access(["users:read"], [ADMIN])

ACCESS: dict[str, Access] = {
    "deal": _area("deals"),
    "deal_product": _area("deals"),
    "deal_discount": _area("deals"),
    "subscription": _area("deals"),
    "subscription_payment": _area("deals"),
    "conversion": _area("deals", "leads"),
    "person": _area("contacts"),
    "organization": _area("contacts"),
    "note": _area("deals", "contacts"),
    "note_comment": _area("deals", "contacts"),
    "filter": _area("deals", "contacts", "activities"),
    "activity": _area("activities"),
    "activity_type": _access(["activities:read", "activities:full"], [ADMIN]),
    "product": _area("products", read_also=["deals:read", "deals:full"]),
    "product_variation": _area("products", read_also=["deals:read", "deals:full"]),
    "lead": _area("leads"),
    "lead_label": _area("leads"),
    "pipeline": _PIPELINES,
    "stage": _PIPELINES,
    "goal": _area("goals"),
    "project": _area("projects"),
    "project_board": _area("projects"),
    "project_phase": _area("projects"),
    "project_group": _area("projects"),
    "project_template": _area("projects"),
    "task": _area("projects"),
    "user": _USERS,
    "team": _USERS,
    "role": _ADMIN_ONLY,
    "webhook": _ADMIN_ONLY,
    "exchange_rate": _SETTINGS,
}
"""What each entity needs; an entity missing here needs ``admin`` for anything."""

# Scopes that change custom field definitions, by entity (besides ``admin``).
FIELD_SCOPES: dict[str, frozenset[str]] = {
    "deal": frozenset({"deal-fields:full"}),
    "person": frozenset({"contact-fields:full"}),
    "organization": frozenset({"contact-fields:full"}),
    "product": frozenset({"product-fields:full", "products:full"}),
    "project": frozenset({"project-fields:full"}),
}

SCOPES: tuple[str, ...] = tuple(sorted(
    {s for a in ACCESS.values() for s in a.read | a.write}
    | {s for v in FIELD_SCOPES.values() for s in v}
    | {BASE, SEARCH, RECENTS}))
"""Every scope dealbase serves (Pipedrive's mail, phone, video-call and messenger scopes
are not: dealbase has none of those areas)."""


def allows(scopes: frozenset[str], entity: str, write: bool = False, via: str | None = None
           ) -> bool:
    """Whether a caller holding ``scopes`` may read (or write) records of ``entity``.
    ``via``: the read is a search (``search:read``) or the recents (``recents:read``),
    which that scope allows for every entity, as Pipedrive's ``/itemSearch`` and
    ``/recents`` do."""
    if not write and via is not None and via in scopes:
        return True
    access = ACCESS.get(entity)
    if access is None:
        return ADMIN in scopes
    return not scopes.isdisjoint(access.write if write else access.read)


def allows_fields(scopes: frozenset[str], entity: str) -> bool:
    """Whether a caller holding ``scopes`` may change ``entity``'s custom field definitions."""
    return ADMIN in scopes or not scopes.isdisjoint(FIELD_SCOPES.get(entity, ()))


def parse_scopes(text: str) -> tuple[str, ...] | None:
    """Scope names from a comma- or space-separated list, in the order of ``SCOPES`` and
    always with ``base``; None if one is unknown."""
    names = {s for s in text.replace(",", " ").split() if s}
    if not names <= set(SCOPES):
        return None
    return tuple(s for s in SCOPES if s in names | {BASE})


def scope_text(scopes: Iterable[str]) -> str:
    """Scopes as Pipedrive's token response lists them: comma-separated."""
    return ",".join(scopes)


__all__ = ["ACCESS", "ADMIN", "BASE", "FIELD_SCOPES", "RECENTS", "SCOPES", "SEARCH", "Access", "allows",
           "allows_fields", "parse_scopes", "scope_text"]
