"""Rate limits as Pipedrive counts them (reference/pipedrive-api.md §8) and the testing
mode's injected faults (issue 15, items 4 and 5), on one worker and on two sharing Redis.

Each test builds its own app(s) over the session's database, with a clock it controls
(``limiter.clock``) and, for latency, a sleep it records; companies made here keep the
default settings unless a test changes them (the fixtures' tenants get high limits).
Redis: ``DEALBASE_TEST_REDIS_URL`` (``.ci/run`` sets it and starts a server) makes the
Redis tests required; without it they run against 127.0.0.1:6379 when it answers and
are skipped otherwise. Each test keeps its Redis keys under a prefix of its own.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio.from_thread
import httpx
import pytest
from scripts import openapi as generator

from dealbase.api.app import create_app
from dealbase.api.limits import DEFAULT_COST, Limiter, RedisCounters
from dealbase.domain.limits import PLANS, LimitSettings
from dealbase.service import NewCompany, Service
from tests.conftest import Pipedrive, SyncClient, Tenant

REDIS_ENV = os.environ.get("DEALBASE_TEST_REDIS_URL")
REDIS_URL = REDIS_ENV or "redis://127.0.0.1:6379/0"
NOON = 1_800_000_000 - 1_800_000_000 % 86_400 + 43_200  # a UTC noon, in seconds
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset",
                "x-daily-requests-left")


def _redis_answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def redis_url() -> str:
    if not _redis_answers(REDIS_URL):
        if REDIS_ENV:
            pytest.fail(f"DEALBASE_TEST_REDIS_URL is set but Redis does not answer at {REDIS_URL}")
        pytest.skip("Redis does not answer at 127.0.0.1:6379 (set DEALBASE_TEST_REDIS_URL to require it)")
    return REDIS_URL


class Clock:
    def __init__(self, now: float = NOON) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Node:
    """One app (one worker) and a client of it."""

    app: Any
    http: SyncClient
    limiter: Limiter

    def api(self, token: str) -> Pipedrive:
        return Pipedrive(self.http, token)


class Nodes:
    def __init__(self, service: Service, portal: Any) -> None:
        self.service, self.portal = service, portal
        self.clock = Clock()
        self.slept: list[float] = []
        self.prefix = f"dealbase-test:{secrets.token_hex(6)}:"
        self.clients: list[httpx.AsyncClient] = []
        self.limiters: list[Limiter] = []

    def node(self, redis_url: str = "") -> Node:
        settings = dataclasses.replace(self.service.settings, redis_url=redis_url)
        app = create_app(settings, self.service)
        limiter: Limiter = app.state.rate_limits
        limiter.clock = self.clock

        async def sleep(seconds: float) -> None:
            self.slept.append(seconds)
        limiter.sleep = sleep
        if isinstance(limiter.counters, RedisCounters):
            limiter.counters.prefix = self.prefix
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                   base_url="http://dealbase.test")
        self.clients.append(client)
        self.limiters.append(limiter)
        return Node(app, SyncClient(self.portal, client), limiter)

    def company(self, name: str = "Limited") -> NewCompany:
        return self.service.create_company(name, f"admin@{name.lower()}.example", "Admin")


@pytest.fixture
def nodes(app: Any) -> Iterator[Nodes]:
    with anyio.from_thread.start_blocking_portal() as portal:
        made = Nodes(app.state.service, portal)
        yield made
        for client in made.clients:
            portal.call(client.aclose)
        for limiter in made.limiters:  # (the app's lifespan would; ASGITransport runs none)
            portal.call(limiter.counters.close)
        if any(isinstance(limiter.counters, RedisCounters) for limiter in made.limiters):
            _forget_keys(made.prefix)


def _forget_keys(prefix: str) -> None:
    """Delete a test's Redis keys (a fault's count would outlive the run)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        pass
    finally:
        client.close()


def _ints(response: httpx.Response) -> dict[str, int]:
    return {h: int(response.headers[h]) for h in RATE_HEADERS}


def _limited(node: Node, company: NewCompany, **values: Any) -> Pipedrive:
    api = node.api(company.api_token)
    done = api.request("PATCH", "/api/dealbase/limits", json=values, check=False)
    assert done.status_code == 200, done.text
    return api


def _refused(response: httpx.Response, retry_after: int) -> None:
    assert response.status_code == 429
    body = response.json()
    assert body["success"] is False and body["error"] and body["error_info"] and body["data"] is None
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert int(response.headers["retry-after"]) == retry_after
    assert int(response.headers["x-ratelimit-reset"]) == retry_after


# ---- one worker, counting in the process ------------------------------------------------

def test_every_response_carries_the_headers_as_integers_by_default(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    api = node.api(company.api_token)
    deal = api.post("/v1/deals", json={"title": "Counted"})
    seen = [deal, api.get("/v1/deals"), api.get(f"/api/v1/deals/{deal.json()['data']['id']}"),
            api.get("/api/v2/deals/999999"), api.post("/api/v2/deals", json={"nope": 1}),
            api.get("/v1/nosuchthing", check=False), api.get("/api/v2/deals/search?term=Counted")]
    assert [r.status_code for r in seen] == [201, 200, 200, 404, 400, 404, 200]
    budget = LimitSettings().budget()
    costs = [10, 20, 2, 1, 5, DEFAULT_COST, 20]  # the operations' x-token-cost
    for n, response in enumerate(seen[:-1]):
        headers = _ints(response)
        assert headers["x-ratelimit-limit"] == PLANS["self-hosted"].api_burst == 1000
        assert headers["x-ratelimit-remaining"] == 1000 - (n + 1)
        assert headers["x-ratelimit-reset"] == 2
        assert headers["x-daily-requests-left"] == budget - sum(costs[:n + 1])
    search = _ints(seen[-1])  # search operations show their own, lower window
    assert (search["x-ratelimit-limit"], search["x-ratelimit-remaining"]) == (100, 99)
    assert search["x-daily-requests-left"] == budget - sum(costs)


def test_default_limits_are_high_and_documented() -> None:
    default = LimitSettings()
    assert default.enabled and default.plan == "self-hosted"
    assert (default.burst_limit(), default.burst_limit(oauth=True), default.search_limit()) == (
        1000, 4000, 100)
    assert default.budget() == 30_000 * 100 * 10
    lite = LimitSettings(plan="lite", seats=3)  # §8: 30,000 x plan multiplier x seats
    assert (lite.burst_limit(), lite.burst_limit(oauth=True), lite.search_limit(), lite.budget()) \
        == (20, 80, 10, 90_000)
    assert LimitSettings(plan="ultimate").burst_limit(oauth=True) == 480
    readme = (generator.ROOT / "README.md").read_text()
    assert "self-hosted" in readme and "/api/dealbase/limits" in readme


def test_the_plan_allows_n_then_refuses_in_the_pipedrive_envelope(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    api = _limited(node, company, plan="lite")
    answers = [api.get("/api/v2/deals") for _ in range(21)]
    assert [r.status_code for r in answers[:20]] == [200] * 20
    assert [_ints(r)["x-ratelimit-remaining"] for r in answers[:20]] == list(range(19, -1, -1))
    _refused(answers[20], 2)
    assert answers[20].headers["x-ratelimit-limit"] == "20"
    # refused calls take nothing: the daily budget shows the 20 served lists only
    assert _ints(answers[20])["x-daily-requests-left"] == 30_000 * 10 - 20 * 10


def test_the_window_resets_on_the_clock(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    api = _limited(node, company, plan="lite", burst=3)
    assert [api.get("/v1/users/me").status_code for _ in range(3)] == [200] * 3
    _refused(api.get("/v1/users/me"), 2)
    nodes.clock.now += 1.2
    _refused(api.get("/v1/users/me"), 1)
    nodes.clock.now += 0.8  # the window that began with the first call is over
    again = api.get("/v1/users/me")
    assert again.status_code == 200 and _ints(again)["x-ratelimit-remaining"] == 2
    assert _ints(again)["x-ratelimit-reset"] == 2


def test_tokens_have_windows_of_their_own(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    api = _limited(node, company, burst=2)
    second = nodes.service.create_token(company.company_id, company.user_id)
    other = node.api(second.token)
    assert [api.get("/v1/users/me").status_code for _ in range(3)] == [200, 200, 429]
    assert [other.get("/v1/users/me").status_code for _ in range(3)] == [200, 200, 429]


def test_the_daily_budget_is_the_companys_and_resets_at_midnight(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    api = _limited(node, company, daily_budget=10)
    second = node.api(nodes.service.create_token(company.company_id, company.user_id).token)
    got = [api.get("/v1/users/me") for _ in range(3)] + [second.get("/v1/users/me") for _ in range(2)]
    assert [_ints(r)["x-daily-requests-left"] for r in got] == [8, 6, 4, 2, 0]
    until_midnight = 12 * 3600
    _refused(api.get("/v1/users/me"), until_midnight)
    refused = second.get("/api/v2/deals/1")  # any token of the company, any operation
    _refused(refused, until_midnight)
    assert "Daily" in refused.json()["error"]
    nodes.clock.now += until_midnight
    fresh = api.get("/v1/users/me")
    assert fresh.status_code == 200 and _ints(fresh)["x-daily-requests-left"] == 8


def test_an_operation_that_costs_more_than_is_left_is_refused(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    api = _limited(node, company, daily_budget=25)
    assert api.get("/v1/deals").status_code == 200  # 20 of 25
    assert api.get("/v1/deals").status_code == 429  # 20 more would overdraw
    ok = api.get("/v1/users/me")
    assert ok.status_code == 200 and _ints(ok)["x-daily-requests-left"] == 3


def test_search_has_its_lower_window(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    api = _limited(node, company, plan="lite")
    searches = [api.get("/api/v2/deals/search?term=xy") for _ in range(10)] + [
        api.get("/v1/itemSearch?term=xy")]
    assert [r.status_code for r in searches] == [200] * 10 + [429]
    assert [_ints(r)["x-ratelimit-limit"] for r in searches] == [10] * 11
    _refused(searches[-1], 2)
    other = api.get("/api/v2/deals")  # the token's general window (20) still has room
    assert other.status_code == 200 and _ints(other)["x-ratelimit-remaining"] == 20 - 11
    nodes.clock.now += 2
    assert api.get("/v1/persons/search?term=xy").status_code == 200


def test_limits_off_count_nothing_and_send_no_headers(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    api = _limited(node, company, plan="lite", burst=1, enabled=False)
    answers = [api.get("/v1/users/me") for _ in range(5)]
    assert [r.status_code for r in answers] == [200] * 5
    assert not any(h in answers[0].headers for h in RATE_HEADERS)
    _limited(node, company, enabled=True)
    assert [api.get("/v1/users/me").status_code for _ in range(2)] == [200, 429]


def test_unauthenticated_calls_and_other_dialects_are_not_counted(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    _limited(node, company, burst=1)
    bad = node.api("0" * 40).get("/v1/deals")
    assert bad.status_code == 401 and "x-ratelimit-limit" not in bad.headers
    basic = httpx.BasicAuth(company.pipeliner_api_token, company.pipeliner_api_password)
    path = f"/rest_services/v1/{company.space_id}/Accounts"
    pipeliner = [node.http.request("GET", path, auth=basic) for _ in range(3)]
    assert [r.status_code for r in pipeliner] == [200] * 3
    assert "x-ratelimit-limit" not in pipeliner[0].headers
    assert node.http.request("GET", "/healthz").status_code == 200


def test_settings_through_the_admin_api(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    api = node.api(company.api_token)
    shown = api.request("GET", "/api/dealbase/limits", check=False).json()["data"]
    assert shown == {**dataclasses.asdict(LimitSettings()), "window_seconds": 2, "effective": {
        "burst": 1000, "oauth_burst": 4000, "search_burst": 100, "daily_budget": 30_000_000}}
    changed = api.request("PATCH", "/api/dealbase/limits", json={"plan": "growth", "seats": 4},
                          check=False).json()["data"]
    assert changed["effective"] == {"burst": 40, "oauth_burst": 160, "search_burst": 10,
                                    "daily_budget": 240_000}
    for bad in ({"plan": "gold"}, {"seats": 0}, {"seats": "3"}, {"burst": -1}, {"enabled": "yes"},
                {"colour": "red"}, [1], "x"):
        refused = api.request("PATCH", "/api/dealbase/limits", json=bad, check=False)
        assert refused.status_code == 400 and refused.json()["success"] is False, bad
    broken = api.request("PATCH", "/api/dealbase/limits", content=b"{", check=False)
    assert broken.status_code == 400
    # persisted: another worker (a new app) reads the same settings
    again = nodes.node().api(company.api_token)
    assert again.request("GET", "/api/dealbase/limits", check=False).json()["data"] == changed
    assert _ints(again.get("/v1/users/me"))["x-ratelimit-limit"] == 40
    # an override clears with null
    cleared = api.request("PATCH", "/api/dealbase/limits", json={"burst": None, "seats": 1},
                          check=False).json()["data"]
    assert cleared["burst"] is None and cleared["effective"]["daily_budget"] == 60_000


def test_only_admins_may_see_or_change_settings_and_faults(nodes: Nodes, tenant: Tenant) -> None:
    node = nodes.node()
    user = tenant.records.create("user", {"name": "Kim", "email": "kim@acme.example"})
    kim = node.api(nodes.service.create_token(tenant.company.company_id, user["id"]).token)
    for method, path, body in (("GET", "/api/dealbase/limits", None),
                               ("PATCH", "/api/dealbase/limits", {"plan": "lite"}),
                               ("GET", "/api/dealbase/faults", None),
                               ("POST", "/api/dealbase/faults", {"kind": "error", "path": "/*"}),
                               ("DELETE", "/api/dealbase/faults", None),
                               ("DELETE", "/api/dealbase/faults/1", None)):
        refused = kim.request(method, path, json=body, check=False)
        assert refused.status_code == 403 and refused.json()["success"] is False, path
        anonymous = node.http.request(method, path, json=body)
        assert anonymous.status_code == 401, path
    assert nodes.service.limits.settings(tenant.company.company_id).plan != "lite"
    assert nodes.service.limits.list_faults(tenant.company.company_id) == []


def test_companies_do_not_share_counts_or_settings(nodes: Nodes) -> None:
    node, first, second = nodes.node(), nodes.company("First"), nodes.company("Second")
    api = _limited(node, first, burst=1)
    other = node.api(second.api_token)
    assert [api.get("/v1/users/me").status_code for _ in range(2)] == [200, 429]
    assert [other.get("/v1/users/me").status_code for _ in range(2)] == [200, 200]
    made = api.request("POST", "/api/dealbase/faults", json={"kind": "error", "path": "/*"},
                       check=False).json()["data"]
    gone = other.request("DELETE", f"/api/dealbase/faults/{made['id']}", check=False)
    assert gone.status_code == 404  # another company's fault: not found
    assert other.get("/v1/users/me").status_code == 200


def test_the_cost_table_is_what_the_generator_makes(app: Any) -> None:
    import orjson

    from dealbase.api.docs import packaged
    assert orjson.loads(packaged("token-costs.json")) == generator.token_costs(app), (
        "the committed token-costs.json is stale: run python scripts/openapi.py")


# ---- faults -----------------------------------------------------------------------------

def _fault(api: Pipedrive, **values: Any) -> dict[str, Any]:
    made = api.request("POST", "/api/dealbase/faults", json=values, check=False)
    assert made.status_code == 201, made.text
    return made.json()["data"]  # type: ignore[no-any-return]


def test_next_n_calls_fail_with_a_5xx_then_normal(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    api = node.api(company.api_token)
    fault = _fault(api, kind="error", status=503, method="GET", path="/api/v2/deals*", calls=2)
    assert fault == {"id": fault["id"], "method": "GET", "path": "/api/v2/deals*", "kind": "error",
                     "status": 503, "latency_ms": 0, "rate": 1.0, "calls": 2}
    assert api.post("/api/v2/deals", json={"title": "Unharmed"}).status_code == 200  # not GET
    answers = [api.get("/api/v2/deals") for _ in range(4)]
    assert [r.status_code for r in answers] == [503, 503, 200, 200]
    assert answers[0].json()["success"] is False and answers[0].json()["error_info"]
    assert api.get("/v1/deals").status_code == 200  # another path
    listed = api.request("GET", "/api/dealbase/faults", check=False).json()["data"]
    assert listed == [fault]


def test_rate_one_answers_every_matching_call_with_429_and_headers(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    api = node.api(company.api_token)
    fault = _fault(api, kind="rate_limit", path="/v1/*", rate=1.0)
    for _ in range(5):
        answer = api.get("/v1/users/me")
        _refused(answer, 2)
        assert int(answer.headers["x-ratelimit-limit"]) == 1000
    assert api.get("/api/v2/deals").status_code == 200
    gone = api.request("DELETE", f"/api/dealbase/faults/{fault['id']}", check=False)
    assert gone.status_code == 200
    assert api.get("/v1/users/me").status_code == 200
    again = api.request("DELETE", f"/api/dealbase/faults/{fault['id']}", check=False)
    assert again.status_code == 404
    assert api.request("DELETE", "/api/dealbase/faults/abc", check=False).status_code == 404


def test_a_rate_strikes_that_share_of_calls(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    api = node.api(company.api_token)
    _fault(api, kind="error", status=500, path="/v1/users/me", rate=0.5)
    rolls = iter([0.1, 0.7, 0.49, 0.5])
    node.limiter.random = lambda: next(rolls)
    assert [api.get("/v1/users/me").status_code for _ in range(4)] == [500, 200, 500, 200]


def test_latency_is_added_before_the_real_answer(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    api = node.api(company.api_token)
    _fault(api, kind="latency", latency_ms=1500, path="/api/v2/*", calls=3)
    answers = [api.get("/api/v2/deals") for _ in range(4)]
    assert [r.status_code for r in answers] == [200] * 4
    assert nodes.slept == [1.5, 1.5, 1.5]
    assert _ints(answers[0])["x-ratelimit-remaining"] == 999  # counted as ever


def test_faults_are_validated_and_cleared(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    api = node.api(company.api_token)
    for bad in ({"kind": "boom", "path": "/*"}, {"kind": "error", "path": "v1"},
                {"kind": "error", "path": "/*", "status": 404}, {"kind": "latency", "path": "/*"},
                {"kind": "latency", "path": "/*", "latency_ms": 10**9},
                {"kind": "error", "path": "/*", "rate": 0}, {"kind": "error", "path": "/*", "rate": 2},
                {"kind": "error", "path": "/*", "calls": 0}, {"kind": "error", "path": "/*", "x": 1},
                {"kind": "error", "path": "/*", "method": "BREW"},
                {"kind": "rate_limit", "path": "/*", "status": 503}, []):
        refused = api.request("POST", "/api/dealbase/faults", json=bad, check=False)
        assert refused.status_code == 400, bad
    _fault(api, kind="error", path="/v1/*")
    _fault(api, kind="rate_limit", path="/api/v2/*")
    assert api.get("/v1/users/me").status_code == 503
    cleared = api.request("DELETE", "/api/dealbase/faults", check=False)
    assert cleared.json()["data"] == {"removed": 2}
    assert api.get("/v1/users/me").status_code == 200


# ---- two workers sharing Redis --------------------------------------------------------------

def test_two_workers_share_the_burst_and_the_budget_exactly(nodes: Nodes, redis_url: str) -> None:
    first, second, company = nodes.node(redis_url), nodes.node(redis_url), nodes.company()
    api = _limited(first, company, plan="lite")
    apis = [api, second.api(company.api_token)]
    answers = [apis[n % 2].get("/api/v2/deals") for n in range(21)]
    assert [r.status_code for r in answers] == [200] * 20 + [429]
    assert [_ints(r)["x-ratelimit-remaining"] for r in answers[:20]] == list(range(19, -1, -1))
    _refused(answers[20], 2)
    _refused(apis[1].get("/api/v2/deals"), 2)
    nodes.clock.now += 2
    _limited(first, company, daily_budget=30)
    second.limiter.forget(company.company_id)  # (else it reads the settings within 2 s)
    used = 20 * 10  # the lists above took from the day's budget, whatever the budget is now
    assert used > 30
    _refused(apis[0].get("/v1/users/me"), 12 * 3600 - 2)
    _limited(first, company, daily_budget=used + 5)
    second.limiter.forget(company.company_id)
    served = [apis[n % 2].get("/v1/users/me").status_code for n in range(3)]  # 2 each
    assert served == [200, 200, 429]


def test_fault_counts_are_shared_through_redis(nodes: Nodes, redis_url: str) -> None:
    first, second, company = nodes.node(redis_url), nodes.node(redis_url), nodes.company()
    api = first.api(company.api_token)
    _fault(api, kind="error", status=502, path="/v1/users/me", calls=3)
    apis = [api, second.api(company.api_token)]
    assert [apis[n % 2].get("/v1/users/me").status_code for n in range(5)] == [502] * 3 + [200] * 2


def test_redis_going_away_keeps_the_server_answering(nodes: Nodes, redis_url: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    node, company = nodes.node(redis_url), nodes.company()
    api = _limited(node, company, burst=5)
    assert [api.get("/v1/users/me").status_code for _ in range(2)] == [200, 200]
    counters = node.limiter.counters
    assert isinstance(counters, RedisCounters)
    with socket.socket() as free:  # a port nothing listens on: Redis is gone
        free.bind(("127.0.0.1", 0))
        closed = free.getsockname()[1]
    live = counters.url
    nodes.portal.call(counters.close)  # the connection is gone, and Redis with it
    counters.url = f"redis://127.0.0.1:{closed}/0"
    with caplog.at_level(logging.WARNING, logger="dealbase.limits"):
        answers = [api.get("/v1/users/me") for _ in range(4)]
        nodes.clock.now += 1.5  # Redis is tried again after a second, still gone
        answers += [api.get("/v1/users/me") for _ in range(3)]
    assert [r.status_code for r in answers] == [200] * 5 + [429] * 2  # counted in the worker
    assert all(h in answers[0].headers for h in RATE_HEADERS)
    assert len([r for r in caplog.records if "does not answer" in r.message]) == 1  # once
    counters.url = live
    nodes.clock.now += 1
    with caplog.at_level(logging.WARNING, logger="dealbase.limits"):
        back = api.get("/v1/users/me")
    assert back.status_code == 200 and any("answers again" in r.message for r in caplog.records)


def test_a_redis_that_never_answers_still_serves(nodes: Nodes) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        closed = free.getsockname()[1]
    node, company = nodes.node(f"redis://127.0.0.1:{closed}/0"), nodes.company()
    api = node.api(company.api_token)
    answers = [api.get("/api/v2/deals") for _ in range(3)]
    assert [r.status_code for r in answers] == [200] * 3
    assert [_ints(r)["x-ratelimit-remaining"] for r in answers] == [999, 998, 997]


def test_counting_adds_no_statement_to_a_request(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    api = node.api(company.api_token)
    database = nodes.service.database

    def statements() -> list[str]:
        seen: list[str] = []
        with database.observed(lambda sql, params, many: seen.append(sql)):
            assert api.get("/api/v2/deals").status_code == 200
        return seen

    api.get("/api/v2/deals")  # (the worker learns whose the token is, once)
    counted = statements()
    _limited(node, company, enabled=False)
    api.get("/api/v2/deals")
    assert statements() == counted


def test_a_revoked_token_is_forgotten(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    token = nodes.service.create_token(company.company_id, company.user_id)
    api = node.api(token.token)
    assert "x-ratelimit-limit" in api.get("/v1/users/me").headers
    nodes.service.revoke_token(company.company_id, token.id)
    assert api.get("/v1/users/me").status_code == 401
    nodes.clock.now += 61
    gone = api.get("/v1/users/me")
    assert gone.status_code == 401 and "x-ratelimit-limit" not in gone.headers


def test_the_field_selector_is_counted_as_its_operation(nodes: Nodes) -> None:
    node, company = nodes.node(), nodes.company()
    api = node.api(company.api_token)
    selected = api.get("/v1/deals:(id,title)", check=False)
    assert selected.status_code == 200
    assert _ints(selected)["x-daily-requests-left"] == LimitSettings().budget() - 20


def test_a_failure_to_count_serves_the_call_uncounted(nodes: Nodes,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    node, company = nodes.node(), nodes.company()
    api = node.api(company.api_token)

    async def broken(*args: Any) -> Any:
        raise RuntimeError("the counters broke")
    node.limiter.counters.take = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="dealbase.limits"):
        answer = api.get("/v1/users/me")
    assert answer.status_code == 200 and "x-ratelimit-limit" not in answer.headers
    assert any("served uncounted" in r.message for r in caplog.records)
