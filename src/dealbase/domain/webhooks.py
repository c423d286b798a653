"""Webhooks' pure rules: event names, the delivery schedule and ban, signatures and the
SSRF guard's address checks (pipedrive-api.md §11; the README's webhooks section).

Nothing here does I/O: the dispatcher (api/pipedrive/dispatch.py) asks these functions
what to do, with the time it is given (a clock the tests drive).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import re
import secrets
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .errors import DealbaseError, Reason, invalid

# ---- events ------------------------------------------------------------------------------

# What happened, from a change-log row (``event_of``) -> the v1 and v2 words for it. A
# merge is logged as the survivor's update naming ``merged_from_id`` (its event: v1
# ``merged``, v2 ``change`` with ``meta.merged_from_id``) and the other's delete naming
# ``merged_to_id`` (v1 ``deleted``, v2 ``delete`` with ``meta.merged_to_id``), as §11 says.
V1_ACTION = {"create": "added", "update": "updated", "merge": "merged", "delete": "deleted"}
V2_ACTION = {"create": "create", "update": "change", "merge": "change", "delete": "delete"}
MERGED_FROM, MERGED_TO = "merged_from_id", "merged_to_id"
# Either version's word (and the wildcard) -> the events it subscribes to.
ACTIONS: dict[str, frozenset[str]] = {
    "added": frozenset({"create"}), "create": frozenset({"create"}),
    "updated": frozenset({"update"}), "change": frozenset({"update", "merge"}),
    "merged": frozenset({"merge"}),
    "deleted": frozenset({"delete"}), "delete": frozenset({"delete"}),
    "*": frozenset({"create", "update", "merge", "delete"}),
}


def event_of(action: str, changes: Mapping[str, Any]) -> str:
    """The event a change-log row is: its action, or ``merge`` for a merge's survivor."""
    return "merge" if action == "update" and MERGED_FROM in changes else action


def merged(changes: Mapping[str, Any], name: str) -> Any:
    """The other record of a merge a change-log row names (``MERGED_FROM``/``MERGED_TO``)."""
    pair = changes.get(name)
    return pair[1] if isinstance(pair, list) and len(pair) == 2 else None


# Canonical entity -> its webhook object name (v1 and v2 agree where both have it).
OBJECTS: dict[str, str] = {
    "activity": "activity", "activity_type": "activityType", "deal": "deal", "note": "note",
    "organization": "organization", "person": "person", "pipeline": "pipeline",
    "product": "product", "stage": "stage", "user": "user", "lead": "lead",
    "deal_product": "deal_product", "project": "project", "task": "task",
    "project_board": "board", "project_phase": "phase",
    "subscription_payment": "deal_installment",  # (an installment subscription's payments)
}
ENTITY_OF: dict[str, str] = {name: entity for entity, name in OBJECTS.items()}
VERSIONS = ("1.0", "2.0")
MAX_PER_USER = 40  # webhooks a user may own (Pipedrive's limit)


class LimitReached(DealbaseError):
    """A user has as many webhooks as Pipedrive allows (its 422)."""

    default_reason = Reason.CONFLICT


def matches(event_action: str, event_object: str, event: str, entity: str) -> bool:
    """Does a webhook subscribed to ``event_action.event_object`` want this event
    (``event_of``)?"""
    if event not in ACTIONS.get(event_action, ()):
        return False
    return event_object == "*" or ENTITY_OF.get(event_object) == entity


# ---- schedule and ban (Pipedrive's visible rules; dealbase never drops) -------------------

TIMEOUT = 10.0  # seconds a receiver has to answer
RETRY_AFTER = (dt.timedelta(seconds=3), dt.timedelta(seconds=30), dt.timedelta(seconds=150))
SLOW_RETRY = dt.timedelta(minutes=5)  # after the 4th failure: never dropped, tried again
BAN_AFTER = 10  # failed first attempts
BAN_FOR = dt.timedelta(minutes=30)
GIVE_UP_AFTER = dt.timedelta(days=3)  # no success for this long: the webhook is deactivated
REMOVED_FOR_FAILURES = "Deactivated: no successful delivery for 3 days"


def next_try(attempt: int, failed_at: dt.datetime) -> dt.datetime:
    """When the try after failed attempt number ``attempt`` (1-based) is due: 3, 30 and
    150 s after the 1st, 2nd and 3rd failure, then every ``SLOW_RETRY``."""
    wait = RETRY_AFTER[attempt - 1] if 1 <= attempt <= len(RETRY_AFTER) else SLOW_RETRY
    return failed_at + wait


@dataclass(frozen=True)
class Health:
    """A webhook's delivery health: the ban counter, the ban's end, when it started to
    fail without a success since (None: it is not failing)."""

    ban_count: int = 0
    banned_until: dt.datetime | None = None
    failing_since: dt.datetime | None = None

    def banned(self, now: dt.datetime) -> bool:
        return self.banned_until is not None and now < self.banned_until

    def after(self, ok: bool, attempt: int, now: dt.datetime) -> Health:
        """The health after an attempt: a failed *first* attempt counts toward a ban (at
        ``BAN_AFTER`` the webhook is banned for ``BAN_FOR`` and the count starts again);
        any success ends the failing spell."""
        count, until = self.ban_count, self.banned_until
        if until is not None and now >= until:
            until = None
        if ok:
            return Health(count, until, None)
        if attempt == 1:
            count += 1
            if count >= BAN_AFTER:
                count, until = 0, now + BAN_FOR
        return Health(count, until, self.failing_since or now)

    def given_up(self, now: dt.datetime) -> bool:
        return self.failing_since is not None and now - self.failing_since >= GIVE_UP_AFTER


# ---- signatures (Stripe-style: HMAC-SHA256 over "<timestamp>.<body>") ----------------------

SIGNATURE_HEADER = "X-Dealbase-Signature"
EVENT_HEADER = "X-Dealbase-Event-Id"
SIGNATURE_TOLERANCE = 300  # seconds a receiver should accept a timestamp off by


def new_secret() -> str:
    """A webhook's signing secret (shown once, when the webhook is made)."""
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: ``t=<timestamp>,v1=<hex HMAC-SHA256>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int,
           tolerance: int = SIGNATURE_TOLERANCE) -> bool:
    """Does ``header`` sign ``body`` with ``secret``, at a time within ``tolerance`` of
    ``now``? (What a receiver runs; the README has the same few lines.)"""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# ---- the SSRF guard ------------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def allow_list(text: str) -> tuple[Network, ...]:
    """The networks a setting lets webhooks reach although they are not public
    (``127.0.0.1,10.0.0.0/8``); ValueError on a bad entry."""
    out = []
    for part in text.split(","):
        if part.strip():
            out.append(ipaddress.ip_network(part.strip(), strict=False))
    return tuple(out)


def refused(address: str, allowed: Sequence[Network] = ()) -> bool:
    """Is ``address`` one a webhook must not reach: loopback, private, link-local,
    multicast, reserved or unspecified (an IPv4-mapped IPv6 address as its IPv4 one),
    unless an allowed network holds it."""
    try:
        ip: Address = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address):  # an IPv4 address inside (mapped, 6to4)
        ip = ip.ipv4_mapped or ip.sixtofour or ip
    if any(ip.version == net.version and ip in net for net in allowed):
        return False
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_link_local \
        or ip.is_loopback or ip.is_private or ip.is_unspecified


_LEGACY_IPV4 = re.compile(r"(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}", re.IGNORECASE)


def check_url(url: object, allowed: Sequence[Network] = (), *, guard: bool = True) -> str:
    """The subscription URL if it can be one: http(s), a host, no credentials in it, and
    (``guard``) not a literal address the guard refuses (names are checked when
    resolved, at every delivery). ValidationError otherwise."""
    if not isinstance(url, str) or not url.strip():
        raise invalid("subscription_url", "invalid or non-reachable URL", Reason.REQUIRED)
    if len(url) > 2048:
        raise invalid("subscription_url", "invalid or non-reachable URL")
    try:
        parts = urlsplit(url.strip())
        host, _ = parts.hostname, parts.port
    except ValueError:
        raise invalid("subscription_url", "invalid or non-reachable URL") from None
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise invalid("subscription_url", "invalid or non-reachable URL")
    if not guard:
        return url.strip()
    if host == "localhost" or host.endswith(".localhost"):
        host = "127.0.0.1"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _LEGACY_IPV4.fullmatch(host):
            return url.strip()
        try:  # ("127.1", "2130706433", "0x7f000001": what resolvers read as IPv4)
            host = socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return url.strip()
    if refused(host, allowed):
        raise invalid("subscription_url", "invalid or non-reachable URL: the address is not "
                      "public")
    return url.strip()


def refused_among(addresses: Iterable[str], allowed: Sequence[Network] = ()) -> str | None:
    """The first of a name's resolved addresses that the guard refuses (None: all pass).
    Every address must pass: a name that resolves to a private one is refused."""
    for address in addresses:
        if refused(address, allowed):
            return address
    return None


__all__ = ["ACTIONS", "LimitReached", "MERGED_FROM", "MERGED_TO", "event_of", "merged",
           "BAN_AFTER", "BAN_FOR", "ENTITY_OF", "EVENT_HEADER", "GIVE_UP_AFTER",
           "Health", "MAX_PER_USER", "OBJECTS", "REMOVED_FOR_FAILURES", "RETRY_AFTER",
           "SIGNATURE_HEADER", "SLOW_RETRY", "TIMEOUT", "V1_ACTION", "V2_ACTION", "VERSIONS",
           "allow_list", "check_url", "matches", "new_secret", "next_try", "refused",
           "refused_among", "sign", "verify"]
