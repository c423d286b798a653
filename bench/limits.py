"""What rate limiting costs a ``get``: the same request in-process (one worker, counts in
its memory) and, with ``--redis-url``, served by several workers sharing their counts in
Redis, with the company's limits on and off, in alternating rounds. Limits on here means
counting and headers on every answer, under limits high enough that nothing is refused
(the benchmark's company has them: ``BENCH_LIMITS``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from dealbase.api.app import service_of
from dealbase.api.limits import CONFIG_TTL

from . import loadgen
from .floor import InProcess, per_second
from .workloads import Company, Req

# ``serve(workers, environment)``: a running server's base URL (``run.serve``).
Serve = Callable[[int, dict[str, str]], AbstractContextManager[str]]

# On, and out of reach of any load the benchmark makes (wrk, several workers).
BENCH_LIMITS = {"enabled": True, "burst": 10**9, "search_burst": 10**9, "daily_budget": 10**12}
ROUNDS = 3


@dataclass
class LimitCost:
    backend: str
    request: str
    on_per_second: float
    off_per_second: float
    where: str = "one worker, in-process"

    @property
    def cost_us(self) -> float:
        """Microseconds rate limiting adds to one request."""
        return (1 / self.on_per_second - 1 / self.off_per_second) * 1e6


def _switch(app: Any, company_id: int, enabled: bool) -> None:
    service_of(app).limits.configure(company_id, {**BENCH_LIMITS, "enabled": enabled})
    app.state.rate_limits.forget(company_id)


def measure(app: Any, inproc: InProcess, backend: str, company_id: int, company: Company,
            seconds: float) -> LimitCost:
    """Requests per second of ``GET /api/v2/deals/{id}`` with limits on and with them off,
    each the best of ``ROUNDS`` alternating rounds of ``seconds``."""
    req = Req("GET", f"/api/v2/deals/{company.deal_id}", dict(company.pipedrive))

    def once() -> None:
        status, _, _ = inproc.send(req)
        if status != 200:
            raise RuntimeError(f"GET {req.path} answered {status}")

    best = {True: 0.0, False: 0.0}
    try:
        for _ in range(ROUNDS):
            for enabled in (True, False):
                _switch(app, company_id, enabled)
                best[enabled] = max(best[enabled], per_second(once, seconds, seconds / 4))
    finally:
        _switch(app, company_id, True)
    return LimitCost(backend, f"GET {req.path.rsplit('/', 1)[0]}/{{id}}", best[True], best[False])


def measure_served(serve: Serve, app: Any, backend: str, company_id: int, company: Company,
                   seconds: int, connections: int, workers: int, redis_url: str) -> LimitCost:
    """Requests per second of the same get through wrk against ``workers`` workers whose
    counts live in Redis (``DEALBASE_REDIS_URL``), limits on and off, each the best of
    ``ROUNDS`` alternating rounds (a worker reads a change of the settings within
    ``CONFIG_TTL``)."""
    req = Req("GET", f"/api/v2/deals/{company.deal_id}", dict(company.pipedrive))
    best = {True: 0.0, False: 0.0}
    try:
        with serve(workers, {"DEALBASE_REDIS_URL": redis_url}) as base:
            for _ in range(ROUNDS):
                for enabled in (True, False):
                    service_of(app).limits.configure(company_id,
                                                     {**BENCH_LIMITS, "enabled": enabled})
                    time.sleep(CONFIG_TTL + 0.5)
                    load = loadgen.run(base, (req,), seconds=seconds, connections=connections)
                    if load.errors:
                        raise RuntimeError(f"GET {req.path}: {load.errors} errors")
                    best[enabled] = max(best[enabled], load.per_second)
    finally:
        service_of(app).limits.configure(company_id, BENCH_LIMITS)
    return LimitCost(backend, f"GET {req.path.rsplit('/', 1)[0]}/{{id}}", best[True], best[False],
                     f"{workers} workers, counts in Redis")
