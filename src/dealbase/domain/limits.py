"""Rate limits as Pipedrive counts them, and the faults an admin may inject (pure data).

Pipedrive (reference/pipedrive-api.md §8) limits each token to a number of requests in a
2-second window (by plan, four times more for OAuth tokens; search endpoints 10 on every
plan) and each company to a daily budget of tokens, 30,000 × the plan's multiplier × its
seats, every operation costing its ``x-token-cost``. dealbase counts the same way, per
company: ``LimitSettings`` says how (on/off, plan, seats, optional overrides). The
default plan, ``self-hosted``, is dealbase's own: limits a self-hosted team will not hit
by accident, while clients still see (and can pace themselves by) the headers.

``Fault``: a testing mode no vendor offers. An admin makes the server answer chosen
routes (method and a path pattern) of their company with 429s, 5xx or added latency, at
a rate (probability) or for the next N calls.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from .errors import ValidationError

WINDOW_SECONDS = 2
BASE_DAILY_TOKENS = 30_000
DEFAULT_PLAN = "self-hosted"
DEFAULT_SEATS = 10
MAX_SEATS = 1_000_000
MAX_LIMIT = 10**12


@dataclass(frozen=True)
class Plan:
    """A plan's multiplier of the daily budget and its burst limits per 2-second window."""

    name: str
    multiplier: int
    api_burst: int
    oauth_burst: int
    search_burst: int


PLANS: dict[str, Plan] = {p.name: p for p in (
    Plan("lite", 1, 20, 80, 10),
    Plan("growth", 2, 40, 160, 10),
    Plan("premium", 5, 100, 400, 10),
    Plan("ultimate", 7, 120, 480, 10),
    Plan(DEFAULT_PLAN, 100, 1000, 4000, 100),
)}


@dataclass(frozen=True)
class LimitSettings:
    """How a company's API calls are counted. ``burst``, ``search_burst`` and
    ``daily_budget`` override what the plan gives (None: the plan's)."""

    enabled: bool = True
    plan: str = DEFAULT_PLAN
    seats: int = DEFAULT_SEATS
    burst: int | None = None
    search_burst: int | None = None
    daily_budget: int | None = None

    def burst_limit(self, oauth: bool = False) -> int:
        plan = PLANS[self.plan]
        if self.burst is not None:
            return self.burst * (plan.oauth_burst // plan.api_burst if oauth else 1)
        return plan.oauth_burst if oauth else plan.api_burst

    def search_limit(self) -> int:
        return self.search_burst if self.search_burst is not None else PLANS[self.plan].search_burst

    def budget(self) -> int:
        """The company's daily token budget."""
        if self.daily_budget is not None:
            return self.daily_budget
        return BASE_DAILY_TOKENS * PLANS[self.plan].multiplier * self.seats

    def as_dict(self) -> dict[str, Any]:
        """As the admin API and the CLI show them, with what they come to."""
        return {**asdict(self), "window_seconds": WINDOW_SECONDS,
                "effective": {"burst": self.burst_limit(), "oauth_burst": self.burst_limit(True),
                              "search_burst": self.search_limit(), "daily_budget": self.budget()}}

    def changed(self, values: Mapping[str, Any]) -> LimitSettings:
        """These settings with ``values`` applied (None clears an override);
        ValidationError for an unknown key or a bad value."""
        unknown = sorted(set(values) - set(asdict(self)))
        if unknown:
            raise ValidationError(f"Unknown rate-limit setting: {', '.join(unknown)}")
        out = dict(asdict(self))
        for key, value in values.items():
            if key == "enabled":
                if not isinstance(value, bool):
                    raise ValidationError("enabled must be true or false")
            elif key == "plan":
                if value not in PLANS:
                    raise ValidationError(f"plan must be one of {', '.join(PLANS)}")
            elif key == "seats":
                value = _whole(key, value, 1, MAX_SEATS)
            elif value is not None:
                value = _whole(key, value, 1, MAX_LIMIT)
            out[key] = value
        return replace(self, **out)


def _whole(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{name} must be a whole number from {low} to {high}")
    return value


# ---- injected faults ----------------------------------------------------------------------

FAULT_KINDS = ("rate_limit", "error", "latency")
ERROR_STATUSES = (500, 502, 503, 504)
METHODS = ("*", "GET", "POST", "PUT", "PATCH", "DELETE")
MAX_LATENCY_MS = 60_000
MAX_PATTERN = 255


@dataclass(frozen=True)
class Fault:
    """Answer calls of ``method`` (or ``*``) to paths matching ``path`` (a glob: ``*``
    matches anything, ``/api/v2/deals*``) with ``kind``: ``rate_limit`` (429 with the
    rate-limit headers), ``error`` (``status``, a 5xx) or ``latency`` (``latency_ms``
    more, then the real answer); each matching call with probability ``rate``, and only
    the next ``calls`` of them when set."""

    id: int
    method: str
    path: str
    kind: str
    status: int
    latency_ms: int
    rate: float
    calls: int | None
    uid: str = ""  # unique among every fault ever made (its count of calls is kept under it)

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and fnmatch.fnmatchcase(path, self.path)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "uid"}


def fault_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """A new fault's values (all but its id), checked; ValidationError otherwise."""
    known = {"method", "path", "kind", "status", "latency_ms", "rate", "calls"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValidationError(f"Unknown fault setting: {', '.join(unknown)}")
    kind = values.get("kind")
    if kind not in FAULT_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    method = values.get("method", "*")
    method = method.upper() if isinstance(method, str) else method
    if method not in METHODS:
        raise ValidationError(f"method must be one of {', '.join(METHODS)}")
    path = values.get("path")
    if not isinstance(path, str) or not path.startswith("/") or len(path) > MAX_PATTERN:
        raise ValidationError(f"path must be a pattern starting with / (at most {MAX_PATTERN} "
                              "characters; * matches anything)")
    status = {"rate_limit": 429, "latency": 0}.get(kind, values.get("status", 503))
    if kind == "error" and status not in ERROR_STATUSES:
        raise ValidationError(f"status must be one of {', '.join(map(str, ERROR_STATUSES))}")
    if kind != "error" and values.get("status") not in (None, status):
        raise ValidationError(f"status is {status} for a {kind} fault")
    latency = values.get("latency_ms", 0)
    latency = _whole("latency_ms", latency, 1 if kind == "latency" else 0, MAX_LATENCY_MS)
    if kind != "latency" and latency:
        raise ValidationError("latency_ms is for latency faults only")
    rate = values.get("rate", 1.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not math.isfinite(rate) \
            or not 0 < rate <= 1:
        raise ValidationError("rate must be a number above 0 and at most 1")
    calls = values.get("calls")
    if calls is not None:
        calls = _whole("calls", calls, 1, MAX_LIMIT)
    return {"method": method, "path": path, "kind": kind, "status": status,
            "latency_ms": latency, "rate": float(rate), "calls": calls}


__all__ = ["DEFAULT_PLAN", "FAULT_KINDS", "PLANS", "WINDOW_SECONDS", "Fault", "LimitSettings",
           "Plan", "fault_values"]
