"""Goals (v1 tag Goals): add, find, update, delete, and results over a period computed from
deals, their stage moves and activities made at known times (a pinned clock), against
figures worked out by hand below. Every response is checked against the vendored spec by
the ``Pipedrive`` client."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dealbase.domain.currencies import BY_CODE
from tests.api.answers import data, refused
from tests.api.conftest import Clock, change_at, deal_at
from tests.api.test_history import get
from tests.conftest import Pipedrive, Tenant

DAY = 24.0  # hours (the clock counts hours from 2030-01-01 10:00)
EUR, USD = BY_CODE["EUR"].id, BY_CODE["USD"].id
PERIOD = {"period.start": "2030-01-01", "period.end": "2030-01-07"}
DURATION = {"start": "2030-01-01", "end": "2030-12-31"}


def _goal(pd: Pipedrive, name: str = "deals_won", *, who: Any = None, who_type: str = "person",
          params: dict[str, Any] | None = None, metric: str = "quantity",
          currency: int | None = None, target: Any = 10, **more: Any) -> dict[str, Any]:
    outcome: dict[str, Any] = {"target": target, "tracking_metric": metric}
    if currency is not None:
        outcome["currency_id"] = currency
    body = {"type": {"name": name, "params": params or {}},
            "assignee": {"id": who if who is not None else _me(pd), "type": who_type},
            "expected_outcome": outcome, "duration": DURATION, "interval": "monthly", **more}
    return dict(data(pd.post("/v1/goals", json=body))["goal"])


def _me(pd: Pipedrive) -> int:
    return int(data(pd.get("/v1/users/me"))["id"])


def _find(pd: Pipedrive, **query: Any) -> list[str]:
    return [g["id"] for g in data(get(pd, "/v1/goals/find", query))["goals"]]


def _progress(pd: Pipedrive, goal: dict[str, Any], period: dict[str, str] = PERIOD) -> int:
    return int(data(get(pd, f"/v1/goals/{goal['id']}/results", period))["progress"])


# ---- add, update, delete -----------------------------------------------------------------

def test_add_update_and_delete_a_goal(pd: Pipedrive) -> None:
    pipeline = data(pd.post("/api/v2/pipelines", json={"name": "Sales"}))["id"]
    me = _me(pd)
    made = _goal(pd, params={"pipeline_id": [pipeline]}, metric="sum", currency=EUR,
                 target="50", title="Q1 revenue")
    assert re.fullmatch(r"[0-9a-f]{32}", made["id"])
    assert made == {"id": made["id"], "owner_id": me, "title": "Q1 revenue",
                    "type": {"name": "deals_won", "params": {"pipeline_id": [pipeline]}},
                    "assignee": {"id": me, "type": "person"}, "interval": "monthly",
                    "duration": DURATION, "is_active": True, "report_ids": [],
                    "expected_outcome": {"target": 50, "tracking_metric": "sum",
                                         "currency_id": EUR}}
    changed = data(pd.put(f"/v1/goals/{made['id']}", json={
        "title": "Renamed", "duration": {"start": "2030-02-01", "end": None},
        "interval": "weekly", "expected_outcome": {"target": 7, "tracking_metric": "quantity"},
        "type": {"name": "deals_started", "params": {"pipeline_id": None}}}))["goal"]
    assert changed["title"] == "Renamed" and changed["interval"] == "weekly"
    assert changed["duration"] == {"start": "2030-02-01"}  # open-ended
    assert changed["expected_outcome"] == {"target": 7, "tracking_metric": "quantity"}
    assert changed["type"] == {"name": "deals_started", "params": {}}
    assert _find(pd) == [made["id"]]
    # The hex id and the dashed UUID name the same goal.
    dashed = "-".join((made["id"][:8], made["id"][8:12], made["id"][12:16], made["id"][16:20],
                       made["id"][20:]))
    assert data(pd.put(f"/v1/goals/{dashed}", json={}))["goal"]["title"] == "Renamed"
    assert pd.delete(f"/v1/goals/{made['id']}").json() == {"success": True}
    assert _find(pd) == []
    gone = data(get(pd, "/v1/goals/find", {"is_active": "false"}))["goals"]
    assert [(g["id"], g["is_active"]) for g in gone] == [(made["id"], False)]
    refused(pd.delete(f"/v1/goals/{made['id']}"), 404)
    refused(pd.put(f"/v1/goals/{made['id']}", json={"title": "x"}), 404)
    refused(get(pd, f"/v1/goals/{made['id']}/results", PERIOD), 404)


def test_goal_types_and_their_params(pd: Pipedrive, tenant: Tenant) -> None:
    pipeline = data(pd.post("/api/v2/pipelines", json={"name": "Sales"}))["id"]
    stage = data(pd.post("/api/v2/stages", json={"name": "Won over", "pipeline_id": pipeline}))
    call = next(t["id"] for t in data(pd.get("/v1/activityTypes")) if t["key_string"] == "call")
    team = tenant.records.create("team", {"name": "Hunters"})["id"]
    progressed = _goal(pd, "deals_progressed",
                       params={"pipeline_id": [pipeline], "stage_id": stage["id"]})
    assert progressed["type"]["params"] == {"pipeline_id": [pipeline], "stage_id": stage["id"]}
    activities = _goal(pd, "activities_completed", who=team, who_type="team",
                       params={"activity_type_id": [call]})
    assert activities["type"]["params"] == {"activity_type_id": [call]}
    assert activities["assignee"] == {"id": team, "type": "team"}
    company = _goal(pd, "revenue_forecast", who=tenant.company.company_id, who_type="company",
                    metric="sum", currency=USD)
    assert company["assignee"]["type"] == "company"
    assert _goal(pd, "activities_added", params={"activity_type_id": None})["type"] == {
        "name": "activities_added", "params": {}}


# ---- find --------------------------------------------------------------------------------

def test_find_filters(pd: Pipedrive, tenant: Tenant) -> None:
    p1 = data(pd.post("/api/v2/pipelines", json={"name": "One"}))["id"]
    p2 = data(pd.post("/api/v2/pipelines", json={"name": "Two"}))["id"]
    stage = data(pd.post("/api/v2/stages", json={"name": "S", "pipeline_id": p1}))["id"]
    call = next(t["id"] for t in data(pd.get("/v1/activityTypes")) if t["key_string"] == "call")
    someone = data(pd.post("/v1/users", json={"email": "milton@initech.example"}))["id"]
    team = tenant.records.create("team", {"name": "Hunters"})["id"]
    mine = _goal(pd, params={"pipeline_id": [p1, p2]}, title="Mine", target=5)["id"]
    revenue = _goal(pd, metric="sum", currency=EUR, target=1000,
                    duration={"start": "2031-01-01", "end": "2031-03-31"})["id"]
    theirs = _goal(pd, "activities_added", who=someone, params={"activity_type_id": [call]})["id"]
    teams = _goal(pd, "deals_progressed", who=team, who_type="team",
                  params={"stage_id": stage})["id"]
    company = _goal(pd, "deals_started", who=tenant.company.company_id, who_type="company",
                    params={"pipeline_id": [p2]})["id"]
    assert _find(pd) == [mine, revenue]  # the caller's own
    assert _find(pd, **{"assignee.id": someone}) == [theirs]
    assert _find(pd, **{"assignee.id": team, "assignee.type": "team"}) == [teams]
    assert _find(pd, **{"assignee.type": "company"}) == [company]
    assert _find(pd, **{"type.name": "deals_won"}) == [mine, revenue]
    assert _find(pd, **{"type.name": "deals_progressed"}) == [teams]
    assert _find(pd, title="Mine") == [mine]
    assert _find(pd, **{"expected_outcome.tracking_metric": "sum"}) == [revenue]
    assert _find(pd, **{"expected_outcome.currency_id": EUR}) == [revenue]
    assert _find(pd, **{"expected_outcome.currency_id": USD}) == []
    assert _find(pd, **{"expected_outcome.target": 5}) == [mine]
    assert _find(pd, **{"type.params.pipeline_id": f"{p2},{p1}"}) == [mine]
    assert _find(pd, **{"type.params.pipeline_id": str(p2)}) == [company]
    assert _find(pd, **{"type.params.pipeline_id": "null"}) == [revenue, theirs, teams]
    assert _find(pd, **{"type.params.stage_id": stage}) == [teams]
    assert _find(pd, **{"type.params.activity_type_id": f"[{call}]"}) == [theirs]
    assert _find(pd, **{"period.start": "2031-02-01", "period.end": "2031-02-28"}) == [revenue]
    assert _find(pd, **{"period.start": "2030-12-31", "period.end": "2031-01-01"}) == [
        mine, revenue]
    assert _find(pd, **{"period.start": "2030-02-01", "period.end": "2030-02-28"}) == [mine]
    assert _find(pd, **{"is_active": "false"}) == []


@pytest.mark.parametrize("query", [
    {"type.name": "revenue"}, {"assignee.type": "user"}, {"assignee.id": "x"},
    {"assignee.id": "-1"}, {"is_active": "maybe"}, {"expected_outcome.target": "lots"},
    {"expected_outcome.tracking_metric": "count"}, {"expected_outcome.currency_id": "EUR"},
    {"type.params.pipeline_id": "a,b"}, {"type.params.stage_id": "1.5"},
    {"type.params.activity_type_id": ","}, {"period.start": "2030-01-01"},
    {"period.end": "2030-01-01"}, {"period.start": "2030-02-01", "period.end": "2030-01-01"},
    {"period.start": "01/01/2030", "period.end": "2030-02-01"},
    {"title": "nul\x00"}, {"expected_outcome.target": "1e999"}, {"title": "x" * 256},
])
def test_find_refuses_bad_parameters(pd: Pipedrive, query: dict[str, str]) -> None:
    refused(get(pd, "/v1/goals/find", query), 400)


# ---- results -----------------------------------------------------------------------------



def _activity(pd: Pipedrive, clock: Clock, hours: float, kind: str,
              done_at: float | None = None, **more: Any) -> None:
    clock.at(hours)
    made = data(pd.post("/v1/activities", json={"subject": kind, "type": kind, **more}),
                201)["id"]
    if done_at is not None:
        clock.at(done_at)
        data(pd.put(f"/v1/activities/{made}", json={"done": 1}))


@pytest.fixture
def seeded(pd: Pipedrive, tenant: Tenant, clock: Clock) -> dict[str, Any]:
    """The period is 2030-01-01..07, that is [Jan 1 00:00, Jan 8 00:00); T0 is Jan 1 10:00."""
    p = data(pd.post("/api/v2/pipelines", json={"name": "P", "is_deal_probability_enabled": True}))
    a, b = (data(pd.post("/api/v2/stages", json={"name": n, "pipeline_id": p["id"],
                                                 "deal_probability": pr}))["id"]
            for n, pr in (("A", 20), ("B", 60)))
    q = data(pd.post("/api/v2/pipelines", json={"name": "Q"}))["id"]
    qs = data(pd.post("/api/v2/stages", json={"name": "Q1", "pipeline_id": q}))["id"]
    team = tenant.records.create("team", {"name": "Hunters"})["id"]
    someone = data(pd.post("/v1/users", json={"email": "peter@initech.example"}))["id"]
    tenant.records.update("user", someone, {"team_id": team})
    d1 = deal_at(pd, clock, 0, a, 100)  # Jan 1: A; Jan 2: B; Jan 3: won
    change_at(pd, clock, DAY, d1, stage_id=b)
    change_at(pd, clock, 2 * DAY, d1, status="won")
    d2 = deal_at(pd, clock, DAY, a, 50, "USD")  # Jan 2: A; Jan 4: B; Jan 5: won
    change_at(pd, clock, 3 * DAY, d2, stage_id=b)
    change_at(pd, clock, 4 * DAY, d2, status="won")
    d3 = deal_at(pd, clock, DAY, qs, 30)  # Jan 2 in Q; Jan 3: won
    change_at(pd, clock, 2 * DAY, d3, status="won")
    deal_at(pd, clock, 2 * DAY, b, 200, expected_close_date="2030-01-06",
          probability=50)  # Jan 3: straight into B, open; expected Jan 6 at 50 %
    d5 = deal_at(pd, clock, -10 * DAY, a, 1_000)  # Dec 22: A; won Jan 20 (after the period)
    change_at(pd, clock, 19 * DAY, d5, status="won")
    deal_at(pd, clock, 5, a, 80, expected_close_date="2030-01-05")  # Jan 1: open, A's 20 %
    deal_at(pd, clock, DAY, a, 400, expected_close_date="2030-01-09")  # expected after it
    d7 = deal_at(pd, clock, DAY, a, 70, owner_id=someone)  # Jan 2: A; Jan 3: B; Jan 4: won
    change_at(pd, clock, 2 * DAY, d7, stage_id=b)
    change_at(pd, clock, 3 * DAY, d7, status="won")
    _activity(pd, clock, 0, "call", done_at=DAY)  # added Jan 1, done Jan 2
    _activity(pd, clock, DAY, "meeting")  # added Jan 2
    _activity(pd, clock, -12 * DAY, "call", done_at=2 * DAY)  # added Dec 20, done Jan 3
    _activity(pd, clock, 8 * DAY, "call", done_at=8 * DAY)  # Jan 9: after the period
    _activity(pd, clock, DAY, "call", done_at=DAY, user_id=someone)  # someone's, Jan 2
    types = {t["key_string"]: t["id"] for t in data(pd.get("/v1/activityTypes"))}
    return {"p": p["id"], "q": q, "stages": (a, b), "team": team, "types": types,
            "company": tenant.company.company_id}


def test_results_of_each_goal_type_match_the_hand_computed_figures(
        pd: Pipedrive, seeded: dict[str, Any]) -> None:
    p, (a, b), team, company = seeded["p"], seeded["stages"], seeded["team"], seeded["company"]
    call = seeded["types"]["call"]
    expected = [
        # won in the period: d1 (Jan 3), d2 (Jan 5), d3 (Jan 3); d5 only on Jan 20
        (_goal(pd), 3),
        (_goal(pd, params={"pipeline_id": [p]}), 2),  # d1, d2 (d3 is in Q)
        (_goal(pd, metric="sum", currency=EUR), 130),  # d1 + d3; d2 is in USD (no rate)
        (_goal(pd, metric="sum", currency=USD), 50),
        (_goal(pd, who=team, who_type="team"), 1),  # d7
        (_goal(pd, who=company, who_type="company"), 4),
        # added in P in the period: d1, d2, d4, d6, the deal expected on Jan 9
        (_goal(pd, "deals_started", params={"pipeline_id": [p]}), 5),
        # moved into B: d1 (Jan 2), d2 (Jan 4); d4 was added there; d7 is someone's
        (_goal(pd, "deals_progressed", params={"stage_id": b}), 2),
        (_goal(pd, "deals_progressed", params={"pipeline_id": [p], "stage_id": b},
               metric="sum", currency=EUR), 100),
        (_goal(pd, "deals_progressed", params={"stage_id": b}, who=company,
               who_type="company"), 3),
        (_goal(pd, "deals_progressed", params={"stage_id": a}), 0),
        # won EUR 130, open and expected: d4 200 × 50 % + d6 80 × 20 % (its stage's)
        (_goal(pd, "revenue_forecast", metric="sum", currency=EUR), 246),
        (_goal(pd, "activities_added"), 2),  # Jan 1 call, Jan 2 meeting
        (_goal(pd, "activities_added", params={"activity_type_id": [call]}), 1),
        (_goal(pd, "activities_completed", params={"activity_type_id": [call]}), 2),
        (_goal(pd, "activities_completed", who=company, who_type="company"), 3),
        (_goal(pd, "activities_completed", who=team, who_type="team"), 1),
    ]
    for goal, progress in expected:
        found = data(get(pd, f"/v1/goals/{goal['id']}/results", PERIOD))
        assert (goal["type"], goal["assignee"]["type"], found["progress"]) == (
            goal["type"], goal["assignee"]["type"], progress)
        assert found["goal"] == goal
    # A sum says which currencies had no rate; with one, they count converted.
    revenue = expected[2][0]
    found = get(pd, f"/v1/goals/{revenue['id']}/results", PERIOD).json()
    assert found["additional_data"] == {"currencies_without_rate": ["USD"]}
    data(pd.request("POST", "/api/dealbase/exchangeRates", json={
        "from_currency": "EUR", "to_currency": "USD", "rate": 2}, check=False), 201)
    found = get(pd, f"/v1/goals/{revenue['id']}/results", PERIOD).json()
    assert found["data"]["progress"] == 155  # 130 + USD 50 / 2
    assert found["additional_data"] == {"currencies_without_rate": []}
    assert _progress(pd, expected[3][0]) == 310  # USD: 50 + EUR 130 × 2
    assert "additional_data" not in get(pd, f"/v1/goals/{expected[0][0]['id']}/results",
                                        PERIOD).json()
    # A shorter period: Jan 3 alone (d1 and d3 won then).
    assert _progress(pd, expected[0][0], {"period.start": "2030-01-03",
                                          "period.end": "2030-01-03"}) == 2


def test_results_period_must_lie_within_the_goal(pd: Pipedrive) -> None:
    goal = _goal(pd)
    for query in ({}, {"period.start": "2030-01-01"}, {"period.end": "2030-01-31"},
                  {"period.start": "2029-12-31", "period.end": "2030-01-31"},
                  {"period.start": "2030-01-01", "period.end": "2031-01-01"},
                  {"period.start": "2030-02-01", "period.end": "2030-01-31"},
                  {"period.start": "2030-1-1x", "period.end": "2030-01-31"}):
        refused(get(pd, f"/v1/goals/{goal['id']}/results", query), 400)
    open_ended = _goal(pd, duration={"start": "2030-01-01"})
    assert _progress(pd, open_ended, {"period.start": "2030-01-01",
                                      "period.end": "9999-12-30"}) == 0
    refused(get(pd, f"/v1/goals/{open_ended['id']}/results",
                {"period.start": "2030-01-01", "period.end": "9999-12-31"}), 400)


# ---- bad input, isolation ------------------------------------------------------------------

def _bodies(pd: Pipedrive, other: Tenant) -> list[Any]:
    me = _me(pd)
    their_pipeline = data(other.api.post("/api/v2/pipelines", json={"name": "Theirs"}))["id"]
    mine = data(pd.post("/api/v2/pipelines", json={"name": "Mine"}))["id"]
    their_stage = data(other.api.post("/api/v2/stages", json={"name": "T",
                                                               "pipeline_id": their_pipeline}))
    base: dict[str, Any] = {"type": {"name": "deals_won"}, "assignee": {"id": me, "type": "person"},
                            "expected_outcome": {"target": 1, "tracking_metric": "quantity"},
                            "duration": DURATION, "interval": "monthly"}
    return [
        {**base, "colour": "red"},
        {**base, "type": {"name": "deals_won", "extra": 1}},
        {**base, "type": {"name": "deals_won", "params": {"owner_id": 1}}},
        {**base, "type": {"name": "revenue"}},
        {**base, "type": "deals_won"},
        {**base, "type": {"name": "deals_won", "params": {"pipeline_id": "1"}}},
        {**base, "type": {"name": "deals_won", "params": {"pipeline_id": ["x"]}}},
        {**base, "type": {"name": "deals_won", "params": {"pipeline_id": [their_pipeline]}}},
        {**base, "type": {"name": "deals_won", "params": {"stage_id": their_stage["id"]}}},
        {**base, "type": {"name": "deals_progressed", "params": {"stage_id": their_stage["id"]}}},
        {**base, "type": {"name": "deals_progressed"}},
        {**base, "type": {"name": "deals_progressed", "params": {
            "pipeline_id": [mine], "stage_id": data(pd.get("/api/v2/stages?limit=1"))[0]["id"]}}},
        {**base, "type": {"name": "activities_added", "params": {"pipeline_id": [mine]}}},
        {**base, "type": {"name": "deals_won", "params": {"activity_type_id": [1]}}},
        {**base, "type": {"name": "activities_added", "params": {"activity_type_id": [999999]}}},
        {**base, "assignee": {"id": other.company.user_id, "type": "person"}},
        {**base, "assignee": {"id": other.company.company_id, "type": "company"}},
        {**base, "assignee": {"id": 999999, "type": "team"}},
        {**base, "assignee": {"id": me, "type": "user"}},
        {**base, "assignee": {"id": "me", "type": "person"}},
        {**base, "assignee": {"type": "person"}},
        {**base, "assignee": [me]},
        {**base, "expected_outcome": {"target": "lots", "tracking_metric": "quantity"}},
        {**base, "expected_outcome": {"target": -1, "tracking_metric": "quantity"}},
        {**base, "expected_outcome": {"target": True, "tracking_metric": "quantity"}},
        {**base, "expected_outcome": {"target": 1, "tracking_metric": "count"}},
        {**base, "expected_outcome": {"target": 1, "tracking_metric": "sum"}},
        {**base, "expected_outcome": {"target": 1, "tracking_metric": "sum", "currency_id": 0}},
        {**base, "expected_outcome": {"target": 1, "tracking_metric": "quantity",
                                      "currency_id": EUR}},
        {**base, "type": {"name": "activities_added"},
         "expected_outcome": {"target": 1, "tracking_metric": "sum", "currency_id": EUR}},
        {**base, "type": {"name": "revenue_forecast"}},
        {**base, "duration": {"start": "2030-02-01", "end": "2030-01-31"}},
        {**base, "duration": {"start": "tomorrow"}},
        {**base, "duration": {"end": "2030-01-31"}},
        {**base, "interval": "daily"},
        {**base, "title": 5},
        {**base, "title": "x" * 256},
        {k: v for k, v in base.items() if k != "interval"},
        {k: v for k, v in base.items() if k != "type"},
        [base],
    ]


def test_bad_bodies_are_refused_and_change_nothing(pd: Pipedrive, other: Tenant) -> None:
    kept = _goal(pd, title="Kept")
    for body in _bodies(pd, other):
        refused(pd.post("/v1/goals", json=body), 400)
        if isinstance(body, dict) and all(k in body for k in ("type", "interval")):
            refused(pd.put(f"/v1/goals/{kept['id']}", json=body), 400)
    refused(pd.post("/v1/goals", content=b"{not json", headers={
        "content-type": "application/json"}), 400)
    refused(pd.put(f"/v1/goals/{kept['id']}", json={"interval": None}), 400)
    assert data(get(pd, "/v1/goals/find", {"type.name": "deals_won"}))["goals"] == [kept]


def test_another_companys_goals_and_unknown_ids_answer_not_found(
        pd: Pipedrive, other: Tenant) -> None:
    theirs = _goal(other.api, title="Theirs")
    mine = _goal(pd, title="Mine")
    for goal_id in (theirs["id"], "0" * 32, "not-a-goal", "1"):
        refused(pd.put(f"/v1/goals/{goal_id}", json={"title": "Stolen"}), 404)
        refused(pd.delete(f"/v1/goals/{goal_id}"), 404)
        refused(get(pd, f"/v1/goals/{goal_id}/results", PERIOD), 404)
    assert data(get(pd, "/v1/goals/find", {"type.name": "deals_won"}))["goals"] == [mine]
    assert data(get(other.api, "/v1/goals/find"))["goals"] == [theirs]
