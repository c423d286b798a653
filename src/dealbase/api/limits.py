"""Rate limits on the Pipedrive routes, as Pipedrive counts them, and injected faults.

A transport concern, so an ASGI middleware (``RateLimitMiddleware``, wired by
``create_app``) in front of the router. For a request under ``/v1``, ``/api/v1`` or
``/api/v2`` whose token signs in, it

* answers by the company's injected faults first (``domain.limits.Fault``: a 429 with
  the headers, a 5xx, or added latency before the real answer);
* unless the company turned limits off, takes one request from the token's 2-second
  window (search operations: from their lower window too) and the operation's token cost
  (``x-token-cost`` of the vendored specs, ``docs/token-costs.json``; an unrouted path
  costs ``DEFAULT_COST``) from the company's daily budget, all or none; refused: 429 in
  Pipedrive's error envelope with ``x-ratelimit-remaining: 0`` and ``Retry-After``;
* sends ``x-ratelimit-limit``, ``x-ratelimit-remaining``, ``x-ratelimit-reset`` (seconds)
  and ``x-daily-requests-left`` (the company's daily tokens left) on the answer.

Counters (``Counters``): in this process (``MemoryCounters``), or with
``DEALBASE_REDIS_URL`` in Redis (``RedisCounters``: one Lua script takes every bucket of
a request atomically, so workers share the counts exactly). If Redis does not answer,
the worker counts in its own memory meanwhile (logged once per outage) and keeps serving.

Which company a token belongs to comes from the records service's own sign-in (and its
cache), once a minute per token and worker; the company's settings and faults are read at most
every ``CONFIG_TTL`` seconds (in the thread pool), and at once after the admin API
changes them. Nothing here blocks the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..domain.errors import NotFound, Unauthenticated, ValidationError
from ..domain.limits import WINDOW_SECONDS, Fault, LimitSettings
from ..service import Context, Service
from .body import read_capped
from .docs import packaged
from .pipedrive import render
from .pipedrive.routes import PREFIXES, Api, guarded

log = logging.getLogger("dealbase.limits")
DEFAULT_COST = 10  # an unrouted path (404/405): the cost of most v1 operations
CONFIG_TTL = 2.0  # seconds a worker keeps a company's settings and faults
FORGET_BAD_TOKEN = 2.0  # seconds a worker remembers that a token does not sign in
FORGET_CALLER = 60.0  # ... and whose a token is (a revoked token stops counting by then)
MAX_REMEMBERED = 10_000
REDIS_RETRY_MS = 1000  # while Redis is down, how often a worker tries it again
KEEP_MS = 60_000  # a Redis bucket outlives its window by this much (then Redis drops it)
FOREVER_MS = 10 * 365 * 86_400_000
DAY_MS = 86_400_000
ADMIN_PREFIX = "/api/dealbase"
_PIPEDRIVE = tuple(p + "/" for ps in PREFIXES.values() for p in ps)
_ID_SEGMENT = re.compile(r"/(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27})(?=/|$)")


# ---- what an operation costs ---------------------------------------------------------------

class CostTable:
    """Each routed Pipedrive operation's token cost, and whether it is a search, from the
    route table (once, when the app is built)."""

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        table: dict[str, dict[str, int]] = orjson.loads(packaged("token-costs.json"))
        self._routes: list[tuple[re.Pattern[str], dict[str, int], bool]] = []
        for route in routes:
            if not isinstance(route, Route) or not route.path.startswith(_PIPEDRIVE):
                continue
            version = "v2" if route.path.startswith("/api/v2/") else "v1"
            prefix = next(p for p in PREFIXES[version] if route.path.startswith(p + "/"))
            shape = re.sub(r"\{[^}/]+\}", "{}", route.path[len(prefix):])
            costs = {m: table[version].get(f"{m} {shape}", DEFAULT_COST)
                     for m in (route.methods or ())}
            search = shape.endswith("/search") or shape.startswith("/itemSearch")
            self._routes.append((route.path_regex, costs, search))
        self._cache: dict[tuple[str, str], tuple[int, bool]] = {}

    def cost(self, method: str, path: str) -> tuple[int, bool]:
        """(token cost, is a search) of a request."""
        method = "GET" if method == "HEAD" else method
        key = (method, _ID_SEGMENT.sub("/#", path))
        found = self._cache.get(key)
        if found is None:
            found = next(((costs[method], search) for regex, costs, search in self._routes
                          if method in costs and regex.match(path)), (DEFAULT_COST, False))
            if len(self._cache) < MAX_REMEMBERED:
                self._cache[key] = found
        return found


# ---- counters ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Bucket:
    """Take ``amount`` from ``key``, which holds at most ``limit`` per window of
    ``window_ms`` (a window starts at the first take after the previous one ended)."""

    key: str
    amount: int
    limit: int
    window_ms: int


@dataclass(frozen=True)
class Level:
    """A bucket after a take (or as it was, when refused): used, and ms until its reset."""

    used: int
    reset_ms: int


class Counters(Protocol):
    async def take(self, buckets: Sequence[Bucket], now_ms: int) -> tuple[bool, list[Level]]:
        """Take from every bucket, or (one would overflow) from none; whether taken."""

    async def close(self) -> None: ...


class MemoryCounters:
    """The counts of this process."""

    def __init__(self) -> None:
        self._buckets: dict[str, list[int]] = {}  # key -> [end ms, used]

    async def take(self, buckets: Sequence[Bucket], now_ms: int) -> tuple[bool, list[Level]]:
        return self.take_now(buckets, now_ms)

    def take_now(self, buckets: Sequence[Bucket], now_ms: int) -> tuple[bool, list[Level]]:
        if len(self._buckets) > MAX_REMEMBERED * 10:
            self._buckets = {k: v for k, v in self._buckets.items() if v[0] > now_ms}
        states = []
        for b in buckets:
            state = self._buckets.get(b.key)
            if state is None or now_ms >= state[0]:
                state = [now_ms + b.window_ms, 0]
            states.append(state)
        ok = all(s[1] + b.amount <= b.limit for s, b in zip(states, buckets, strict=True))
        if ok:
            for state, b in zip(states, buckets, strict=True):
                state[1] += b.amount
                self._buckets[b.key] = state
        return ok, [Level(s[1], s[0] - now_ms) for s in states]

    async def close(self) -> None:
        self._buckets.clear()


_TAKE = """
local now = tonumber(ARGV[1])
local ends, used, ok = {}, {}, 1
for i = 1, #KEYS do
  local amount, limit, window = tonumber(ARGV[i*3-1]), tonumber(ARGV[i*3]), tonumber(ARGV[i*3+1])
  local v = redis.call('HMGET', KEYS[i], 'e', 'c')
  local e, c = tonumber(v[1]), tonumber(v[2])
  if e == nil or now >= e then e, c = now + window, 0 end
  ends[i], used[i] = e, c
  if c + amount > limit then ok = 0 end
end
local out = {ok}
for i = 1, #KEYS do
  if ok == 1 then
    used[i] = used[i] + tonumber(ARGV[i*3-1])
    redis.call('HSET', KEYS[i], 'e', ends[i], 'c', used[i])
    redis.call('PEXPIRE', KEYS[i], ends[i] - now + tonumber(ARGV[#ARGV]))
  end
  out[#out+1] = used[i]
  out[#out+1] = ends[i] - now
end
return out
"""


class RedisCounters:
    """The counts in Redis, shared by every worker and process using the same server (and
    ``prefix``); this process's own counts while Redis does not answer."""

    def __init__(self, url: str, prefix: str = "dealbase:limits:", timeout: float = 0.5) -> None:
        self.url, self.prefix, self.timeout = url, prefix, timeout
        self.fallback = MemoryCounters()
        self._client: Any = None
        self._script: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._down_until: int | None = None  # (ms) set while Redis is down

    def _connected(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:  # a client serves one event loop
            import redis.asyncio

            self._client = redis.asyncio.Redis.from_url(
                self.url, socket_timeout=self.timeout, socket_connect_timeout=self.timeout)
            self._script = self._client.register_script(_TAKE)
            self._loop = loop
        return self._script

    async def take(self, buckets: Sequence[Bucket], now_ms: int) -> tuple[bool, list[Level]]:
        from redis.exceptions import RedisError

        if self._down_until is not None and now_ms < self._down_until:
            return self.fallback.take_now(buckets, now_ms)
        args: list[int] = [now_ms]
        for b in buckets:
            args += [b.amount, b.limit, b.window_ms]
        try:
            out = await self._connected()(keys=[self.prefix + b.key for b in buckets],
                                          args=[*args, KEEP_MS])
        except (TimeoutError, RedisError, OSError) as exc:
            await self.close()  # a fresh connection when it is tried again
            if self._down_until is None:
                log.warning("Redis at %s does not answer (%s): counting rate limits in this "
                            "worker until it does", _redacted(self.url), type(exc).__name__)
            self._down_until = now_ms + REDIS_RETRY_MS
            return self.fallback.take_now(buckets, now_ms)
        if self._down_until is not None:
            log.warning("Redis at %s answers again: rate limits are shared", _redacted(self.url))
            self._down_until = None
        values = [int(v) for v in out]
        return values[0] == 1, [Level(values[i], values[i + 1]) for i in range(1, len(values), 2)]

    async def close(self) -> None:
        """Close the connections (the next take connects again)."""
        client, self._client = self._client, None
        if client is not None:  # (after an outage or on another loop: nothing to keep)
            with contextlib.suppress(Exception):
                await client.aclose()


def _redacted(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)


# ---- the limiter -------------------------------------------------------------------------

@dataclass(frozen=True)
class Caller:
    company_id: int
    token_key: str  # the token's hash: its own window
    oauth: bool = False  # OAuth access tokens (issue 15, item 6) get the plans' OAuth bursts


class SignInThrottle:
    """Failed sign-ins counted per email and per client address (the OAuth consent page's
    and the web app's), in the rate-limit counters: shared by every worker through Redis
    when it is configured."""

    PER_EMAIL = 5  # failed sign-ins per email (in one scope, e.g. a company) per window
    PER_ADDRESS = 20  # ... and per client address
    WINDOW_MS = 15 * 60 * 1000

    def __init__(self, limiter: Limiter, clock: Callable[[], float] | None = None) -> None:
        """``clock``: seconds (by default the limiter's; a page's own, which tests move)."""
        self._limiter = limiter
        self._clock = clock

    def _now_ms(self) -> int:
        return int((self._clock or self._limiter.clock)() * 1000)

    def keys(self, scope: str, email: str, address: str) -> list[tuple[str, int]]:
        who = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        return [(f"signin:{scope}:{who}", self.PER_EMAIL),
                (f"signin-from:{address}", self.PER_ADDRESS)]

    def _buckets(self, keys: list[tuple[str, int]], amount: int) -> list[Bucket]:
        return [Bucket(k, amount, n, self.WINDOW_MS) for k, n in keys]

    async def attempt(self, keys: list[tuple[str, int]]) -> bool:
        """Count a sign-in attempt against each of ``keys`` before its password is checked
        (so attempts sent at once are counted at once); False, and nothing counted, when
        one of them has had its fill. A successful attempt is then ``forgiven``."""
        ok, _ = await self._limiter.counters.take(self._buckets(keys, 1), self._now_ms())
        return ok

    async def forgiven(self, keys: list[tuple[str, int]]) -> None:
        """Take back the attempt of a sign-in that succeeded (only failures count)."""
        await self._limiter.counters.take(self._buckets(keys, -1), self._now_ms())




class Limiter:
    """What the middleware needs, built once by ``create_app`` (``app.state.rate_limits``).
    Tests may replace ``clock`` (seconds), ``sleep`` (added latency), ``random``
    (fault rates) and ``counters``."""

    def __init__(self, service: Service, routes: Iterable[BaseRoute], redis_url: str = "") -> None:
        self.service = service
        self.costs = CostTable(routes)
        self.counters: Counters = RedisCounters(redis_url) if redis_url else MemoryCounters()
        self.clock: Callable[[], float] = time.time
        self.sleep: Callable[[float], Awaitable[None]] = anyio.sleep
        self.random: Callable[[], float] = random.random
        self._callers: dict[str, tuple[Caller | None, float]] = {}
        self._configs: dict[int, tuple[LimitSettings, list[Fault], float]] = {}

    async def caller(self, scope: Scope) -> Caller | None:
        """Who is calling (None: no token, or one that does not sign in; the handler then
        answers 401 as ever)."""
        credentials = Api.credentials(Request(scope))
        if not credentials.token or len(credentials.token) > 200:
            return None
        key = hashlib.sha256(credentials.token.encode()).hexdigest()
        now = self.clock()
        known = self._callers.get(key)
        if known is not None and now < known[1]:
            return known[0]
        try:  # the service's own sign-in, once a minute per token and worker
            ctx: Context = await self.service.read(credentials, lambda unit: unit.ctx)
            found: Caller | None = Caller(ctx.company_id, key, oauth=ctx.scopes is not None)
        except Unauthenticated:
            found = None
        if len(self._callers) >= MAX_REMEMBERED:
            self._callers.clear()
        self._callers[key] = (found, now + (FORGET_BAD_TOKEN if found is None else FORGET_CALLER))
        return found

    async def config(self, company_id: int) -> tuple[LimitSettings, list[Fault]]:
        now = self.clock()
        known = self._configs.get(company_id)
        if known is not None and now < known[2]:
            return known[0], known[1]
        settings, faults = await anyio.to_thread.run_sync(self.service.limits.load, company_id)
        if len(self._configs) >= MAX_REMEMBERED:
            self._configs.clear()
        self._configs[company_id] = (settings, faults, now + CONFIG_TTL)
        return settings, faults

    def forget(self, company_id: int) -> None:
        """Read the company's settings and faults afresh on its next request."""
        self._configs.pop(company_id, None)

    async def fault(self, faults: list[Fault], method: str, path: str, now_ms: int
                    ) -> Fault | None:
        """The first fault that strikes this call."""
        for fault in faults:
            if not fault.matches(method, path) or (fault.rate < 1 and self.random() >= fault.rate):
                continue
            if fault.calls is not None:
                taken, _ = await self.counters.take(
                    [Bucket(f"fault:{fault.uid}", 1, fault.calls, FOREVER_MS)], now_ms)
                if not taken:
                    continue
            return fault
        return None

    async def take(self, caller: Caller, settings: LimitSettings, method: str, path: str,
                   now_ms: int) -> tuple[bool, list[tuple[str, str]], str]:
        """Count the call: (allowed, the rate-limit headers, why refused)."""
        cost, search = self.costs.cost(method, path)
        day = now_ms // DAY_MS
        burst = Bucket(f"burst:{caller.token_key}", 1, settings.burst_limit(caller.oauth),
                       WINDOW_SECONDS * 1000)
        daily = Bucket(f"daily:{caller.company_id}:{day}", cost, settings.budget(),
                       (day + 1) * DAY_MS - now_ms)
        buckets = [burst, daily]
        if search:
            buckets.append(Bucket(f"search:{caller.token_key}", 1, settings.search_limit(),
                                  WINDOW_SECONDS * 1000))
        ok, levels = await self.counters.take(buckets, now_ms)
        window, window_level = (buckets[-1], levels[-1]) if search else (burst, levels[0])
        remaining = 0 if not ok else max(0, window.limit - window_level.used)
        daily_left = max(0, daily.limit - levels[1].used)
        why, wait_ms = "", window_level.reset_ms
        if not ok:
            over = next(i for i, (b, lv) in enumerate(zip(buckets, levels, strict=True))
                        if lv.used + b.amount > b.limit)
            why = "daily" if over == 1 else "burst"
            wait_ms = levels[over].reset_ms
        headers = [("x-ratelimit-limit", str(window.limit)),
                   ("x-ratelimit-remaining", str(remaining)),
                   ("x-ratelimit-reset", str(_seconds(wait_ms))),
                   ("x-daily-requests-left", str(daily_left))]
        if not ok:
            headers.append(("retry-after", str(_seconds(wait_ms))))
        return ok, headers, why


def _seconds(ms: int) -> int:
    return max(1, math.ceil(ms / 1000))


def _too_many(message: str, headers: list[tuple[str, str]]) -> Response:
    response = render.error(message, 429)
    for name, value in headers:
        response.headers[name] = value
    return response


class RateLimitMiddleware:
    """Counts Pipedrive calls and injects faults (see the module's docstring)."""

    def __init__(self, app: ASGIApp, limiter: Limiter) -> None:
        self.app, self.limiter = app, limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(_PIPEDRIVE):
            await self.app(scope, receive, send)
            return
        try:
            decided = await self._decide(scope)
        except Exception:  # counting must never cost an answer: serve uncounted
            log.exception("rate limits: %s %s served uncounted", scope["method"], scope["path"])
            decided = None
        if isinstance(decided, Response):
            await decided(scope, receive, send)
            return
        if not decided:
            await self.app(scope, receive, send)
            return
        raw = [(k.encode(), v.encode()) for k, v in decided]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *raw]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _decide(self, scope: Scope) -> Response | list[tuple[str, str]] | None:
        """The answer instead of the app's (a refusal, an injected fault), or the headers
        to add to the app's, or None (nothing to count)."""
        limiter = self.limiter
        caller = await limiter.caller(scope)
        if caller is None:
            return None
        settings, faults = await limiter.config(caller.company_id)
        method, path = scope["method"], scope["path"]
        now_ms = int(limiter.clock() * 1000)
        fault = await limiter.fault(faults, method, path, now_ms) if faults else None
        if fault is not None:
            if fault.kind != "latency":
                return self._injected(fault, settings, caller)
            await limiter.sleep(fault.latency_ms / 1000)
        if not settings.enabled:
            return None
        ok, headers, why = await limiter.take(caller, settings, method, path, now_ms)
        if not ok:
            return _too_many("Daily API token budget exceeded" if why == "daily"
                             else "Request over limit: too many requests in a 2-second window",
                             headers)
        return headers

    @staticmethod
    def _injected(fault: Fault, settings: LimitSettings, caller: Caller) -> Response:
        if fault.kind == "rate_limit":
            return _too_many("Request over limit (injected by dealbase's testing mode)", [
                ("x-ratelimit-limit", str(settings.burst_limit(caller.oauth))),
                ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", str(WINDOW_SECONDS)),
                ("retry-after", str(WINDOW_SECONDS))])
        return render.error(f"Service unavailable (fault {fault.id} injected by dealbase's "
                            "testing mode)", fault.status)


# ---- the admin API -------------------------------------------------------------------------

def limit_routes(api: Api, limiter: Limiter) -> list[BaseRoute]:
    """``GET|PATCH /api/dealbase/limits``: the caller's company's rate-limit settings;
    ``GET|POST|DELETE /api/dealbase/faults``, ``DELETE /api/dealbase/faults/{id}``: its
    injected faults. A Pipedrive token of an admin user; Pipedrive's envelope."""

    async def admin(request: Request) -> int:
        return await api.read(request, lambda unit: unit.administer(
            "change rate limits and faults"))

    async def body(request: Request) -> dict[str, Any]:
        raw = await read_capped(request, api.settings.max_body_bytes)
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ValidationError("The body must be a JSON object") from None
        if not isinstance(data, dict):
            raise ValidationError("The body must be a JSON object")
        return data

    async def get_limits(request: Request) -> Response:
        company = await admin(request)
        found = await anyio.to_thread.run_sync(api.service.limits.settings, company)
        return render.success(found.as_dict())

    async def set_limits(request: Request) -> Response:
        company = await admin(request)
        values = await body(request)
        new = await anyio.to_thread.run_sync(api.service.limits.configure, company, values)
        limiter.forget(company)
        return render.success(new.as_dict())

    async def list_faults(request: Request) -> Response:
        company = await admin(request)
        found = await anyio.to_thread.run_sync(api.service.limits.list_faults, company)
        return render.success([f.as_dict() for f in found])

    async def add_fault(request: Request) -> Response:
        company = await admin(request)
        values = await body(request)
        made = await anyio.to_thread.run_sync(api.service.limits.add_fault, company, values)
        limiter.forget(company)
        return render.success(made.as_dict(), 201)

    async def clear_faults(request: Request) -> Response:
        company = await admin(request)
        count = await anyio.to_thread.run_sync(api.service.limits.clear_faults, company)
        limiter.forget(company)
        return render.success({"removed": count})

    async def remove_fault(request: Request) -> Response:
        company = await admin(request)
        raw = request.path_params["id"]
        if not raw.isdigit() or len(raw) > 18:
            raise NotFound(f"fault {raw} not found")
        await anyio.to_thread.run_sync(api.service.limits.remove_fault, company, int(raw))
        limiter.forget(company)
        return render.success({"id": int(raw)})

    return [
        Route(f"{ADMIN_PREFIX}/limits", guarded(get_limits), methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/limits", guarded(set_limits), methods=["PATCH"]),
        Route(f"{ADMIN_PREFIX}/faults", guarded(list_faults), methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/faults", guarded(add_fault), methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/faults", guarded(clear_faults), methods=["DELETE"]),
        Route(f"{ADMIN_PREFIX}/faults/{{id}}", guarded(remove_fault), methods=["DELETE"]),
    ]


__all__ = ["ADMIN_PREFIX", "DEFAULT_COST", "Bucket", "Caller", "CostTable", "Counters", "Level",
           "Limiter", "SignInThrottle", "MemoryCounters", "RateLimitMiddleware", "RedisCounters",
           "limit_routes"]
