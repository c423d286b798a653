"""When to retry a call and how long to wait first (no I/O here: the clients sleep)."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _full_jitter(delay: float) -> float:
    return random.uniform(delay / 2, delay)


class Headers(Protocol):
    """Response headers, looked up by name (httpx's, or ``http.client``'s messages)."""

    def get(self, name: str, /) -> str | None: ...


@dataclass(frozen=True)
class Retry:
    """The retry policy of a client.

    A call is retried at most ``max_retries`` times:

    * ``GET``, ``PUT`` and ``DELETE`` (idempotent: sending them twice does what sending them
      once does) after a 429, a 500/502/503/504, a timeout or a broken connection;
    * ``POST`` and ``PATCH`` only when the request certainly did nothing: after a 429 (the
      server refused it before doing any work) or a failure to connect (it was never sent).
      A 5xx or a timeout after a ``POST`` may have come after the record was written, so it
      is raised at once rather than risk a duplicate.

    The wait before retry *n* (0-based) is what the server asked for — ``Retry-After``
    (seconds or an HTTP date), else ``x-ratelimit-reset`` (seconds) — or else
    ``jitter(min(max_delay, base_delay * 2**n))``: exponential backoff with full jitter
    (a random time between half and all of it). A server that asks for more than
    ``max_wait`` seconds is not waited for: the error is raised. ``sleep`` and
    ``async_sleep`` are the clocks (tests pass their own).
    """

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_wait: float = 60.0
    jitter: Callable[[float], float] = _full_jitter
    sleep: Callable[[float], None] = field(default=time.sleep)
    async_sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)

    def retries_status(self, method: str, status: int) -> bool:
        """Whether an answer of ``status`` to ``method`` may be retried."""
        if status == 429:
            return True
        return status in RETRY_STATUSES and method in IDEMPOTENT

    def retries_error(self, method: str, error: httpx.TransportError) -> bool:
        """Whether a transport failure of ``method`` may be retried."""
        if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
            return True  # nothing was sent
        return method in IDEMPOTENT and isinstance(error, httpx.TimeoutException | httpx.NetworkError
                                                   | httpx.RemoteProtocolError)

    def delay(self, attempt: int, headers: Headers | Mapping[str, str] | None = None) -> float | None:
        """Seconds to wait before retry ``attempt`` (0-based); ``None``: do not retry (the
        server asked for a wait longer than ``max_wait``)."""
        asked = asked_wait(headers) if headers is not None else None
        if asked is not None:
            return asked if asked <= self.max_wait else None
        return self.jitter(min(self.max_delay, self.base_delay * 2.0 ** attempt))


def asked_wait(headers: Headers | Mapping[str, str]) -> float | None:
    """The wait ``Retry-After`` (seconds or an HTTP date) or ``x-ratelimit-reset``
    (seconds) asks for, in seconds (the Pipeliner SDK reads it here too)."""
    for name in ("retry-after", "x-ratelimit-reset"):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return max(0.0, moment.timestamp() - time.time())
    return None
