"""Seed 002's pipeline statistics (``/v1/pipelines/{id}/conversion_statistics`` and
``/movement_statistics``) on a company whose deals move through known stages at known
times (a pinned clock), against figures worked out by hand below. Every response is
checked against the vendored spec by the ``Pipedrive`` client."""

from __future__ import annotations

from typing import Any

import pytest

from dealbase.api.app import service_of
from tests.api.answers import data, refused
from tests.api.conftest import Clock, change_at, deal_at
from tests.api.test_history import get
from tests.conftest import Pipedrive, SyncClient, Tenant

PERIOD = {"start_date": "2030-01-01", "end_date": "2030-01-07"}
DAY = 24.0  # hours (the clock counts hours from 2030-01-01 10:00)


def _pipeline(pd: Pipedrive) -> tuple[int, list[int]]:
    pipeline = data(pd.post("/api/v2/pipelines", json={"name": "Stats"}))
    stages = [data(pd.post("/api/v2/stages", json={"name": name, "pipeline_id": pipeline["id"]}))
              ["id"] for name in ("Lead in", "Proposal", "Negotiation")]
    return pipeline["id"], stages




@pytest.fixture
def seeded(pd: Pipedrive, clock: Clock) -> dict[str, Any]:
    """The period is 2030-01-01..07, that is [Jan 1 00:00, Jan 8 00:00)."""
    pipeline, (a, b, c) = _pipeline(pd)
    d1 = deal_at(pd, clock, 0, a, 100)  # Jan 1: A; Jan 3: B; Jan 5: C; Jan 6: won
    change_at(pd, clock, 2 * DAY, d1, stage_id=b)
    change_at(pd, clock, 4 * DAY, d1, stage_id=c)
    change_at(pd, clock, 5 * DAY, d1, status="won")
    d2 = deal_at(pd, clock, 1 * DAY, a, 50, "USD")  # Jan 2: A; Jan 4: B; Jan 7 12:00: lost
    change_at(pd, clock, 3 * DAY, d2, stage_id=b)
    change_at(pd, clock, 6 * DAY + 2, d2, status="lost")
    d3 = deal_at(pd, clock, -12 * DAY, a, 30)  # Dec 20 10:00: A, open since
    d4 = deal_at(pd, clock, 1 * DAY, b, 70)  # Jan 2: B, open since
    deal_at(pd, clock, 11 * DAY, a, 5)  # Jan 12: after the period
    d7 = deal_at(pd, clock, -31 * DAY, a, 9)  # Dec 1: A, lost Dec 15: before the period
    change_at(pd, clock, -17 * DAY, d7, status="lost")
    someone = data(pd.post("/v1/users", json={"email": "peter@initech.example"}))["id"]
    d6 = deal_at(pd, clock, 1 * DAY, a, 1_000, owner_id=someone)  # another owner's
    change_at(pd, clock, 2 * DAY, d6, stage_id=c)
    return {"pipeline": pipeline, "stages": (a, b, c), "deals": (d1, d2, d3, d4, d6, d7),
            "someone": someone}


def test_movement_statistics_match_the_hand_computed_figures(pd: Pipedrive,
                                                             seeded: dict[str, Any]) -> None:
    a, b, _ = seeded["stages"]
    d1, d2, d3, d4, _, _ = seeded["deals"]
    found = data(get(pd, f"/v1/pipelines/{seeded['pipeline']}/movement_statistics", PERIOD))
    assert found["movements_between_stages"] == {"count": 3}  # d1 A→B, B→C; d2 A→B
    assert found["new_deals"] == {"count": 3, "deals_ids": [d1, d2, d4],
                                  "values": {"EUR": 170, "USD": 50},
                                  "formatted_values": {"EUR": "€170", "USD": "$50"}}
    assert found["won_deals"]["deals_ids"] == [d1]
    assert found["won_deals"]["values"] == {"EUR": 100}
    assert found["lost_deals"]["deals_ids"] == [d2]  # (d7 was lost before the period)
    assert found["deals_left_open"]["deals_ids"] == [d3, d4]
    assert found["deals_left_open"]["values"] == {"EUR": 100}
    # d3: 18 days 14 h before the end, d4: 5 days 14 h; 12.08 on average. Per stage: d3 in
    # A since it was added (18.58 → 19), d4 in B (5.58 → 6).
    assert found["average_age_in_days"] == {
        "across_all_stages": 12, "by_stages": [{"stage_id": a, "value": 19},
                                               {"stage_id": b, "value": 6}]}


def test_conversion_statistics_match_the_hand_computed_figures(pd: Pipedrive,
                                                               seeded: dict[str, Any]) -> None:
    a, b, c = seeded["stages"]
    found = data(get(pd, f"/v1/pipelines/{seeded['pipeline']}/conversion_statistics", PERIOD))
    # Active in the period: d1 (reached C), d2 (B), d3 (A), d4 (B). A→B 3 of 4, B→C 1 of 3.
    assert found == {"stage_conversions": [
        {"from_stage_id": a, "to_stage_id": b, "conversion_rate": 75},
        {"from_stage_id": b, "to_stage_id": c, "conversion_rate": 33}],
        "won_conversion": 25, "lost_conversion": 25}


def test_statistics_of_another_user_and_of_a_period_without_deals(
        pd: Pipedrive, seeded: dict[str, Any]) -> None:
    pipeline, (a, b, c), someone = seeded["pipeline"], seeded["stages"], seeded["someone"]
    d6 = seeded["deals"][4]
    theirs = data(get(pd, f"/v1/pipelines/{pipeline}/movement_statistics",
                      {**PERIOD, "user_id": someone}))
    assert theirs["new_deals"]["deals_ids"] == [d6]
    assert theirs["movements_between_stages"] == {"count": 1}
    conversion = data(get(pd, f"/v1/pipelines/{pipeline}/conversion_statistics",
                          {**PERIOD, "user_id": someone}))
    assert [s["conversion_rate"] for s in conversion["stage_conversions"]] == [100, 100]
    empty = data(get(pd, f"/v1/pipelines/{pipeline}/conversion_statistics",
                     {"start_date": "2031-01-01", "end_date": "2031-01-31"}))
    # Still open in 2031: d3 (A), d4 (B) and the deal of Jan 12 (A): one of three reached B.
    assert empty["won_conversion"] == 0 and empty["lost_conversion"] == 0
    assert empty["stage_conversions"][0] == {"from_stage_id": a, "to_stage_id": b,
                                             "conversion_rate": 33}
    before = data(get(pd, f"/v1/pipelines/{pipeline}/movement_statistics",
                      {"start_date": "2020-01-01", "end_date": "2020-12-31"}))
    assert before["new_deals"] == {"count": 0, "deals_ids": [], "values": {},
                                   "formatted_values": {}}
    assert before["average_age_in_days"] == {"across_all_stages": 0, "by_stages": []}
    assert c not in (s["stage_id"] for s in before["average_age_in_days"]["by_stages"])


@pytest.mark.parametrize("query", [
    {}, {"start_date": "2030-01-01"}, {"end_date": "2030-01-07"},
    {"start_date": "2030-01-08", "end_date": "2030-01-07"},
    {"start_date": "01/01/2030", "end_date": "2030-01-07"},
    {"start_date": "2030-01-01", "end_date": "9999-12-31"},
    {"start_date": "2030-01-01", "end_date": "2030-01-07", "user_id": "x"},
    {"start_date": "2030-01-01", "end_date": "2030-01-07", "user_id": "-3"},
    {"start_date": "２０３０-01-01", "end_date": "2030-01-07"},
])
@pytest.mark.parametrize("kind", ["conversion", "movement"])
def test_bad_parameters_are_refused(pd: Pipedrive, query: dict[str, str], kind: str) -> None:
    pipeline, _ = _pipeline(pd)
    refused(get(pd, f"/v1/pipelines/{pipeline}/{kind}_statistics", query), 400)


@pytest.mark.parametrize("kind", ["conversion", "movement"])
def test_unknown_pipelines_and_users_and_other_companies(pd: Pipedrive, other: Tenant,
                                                         kind: str) -> None:
    pipeline, _ = _pipeline(pd)
    theirs, _ = _pipeline(other.api)
    their_user = other.company.user_id
    for path, query in ((f"/v1/pipelines/{theirs}/{kind}_statistics", PERIOD),
                        (f"/v1/pipelines/99999999/{kind}_statistics", PERIOD),
                        (f"/v1/pipelines/{pipeline}/{kind}_statistics",
                         {**PERIOD, "user_id": str(their_user)})):
        refused(get(pd, path, query), 404)
    data(pd.delete(f"/api/v2/pipelines/{pipeline}"))
    refused(get(pd, f"/v1/pipelines/{pipeline}/{kind}_statistics", PERIOD), 404)


# ---- seed 002's deal lists of a pipeline and of a stage ----------------------------------

def _ids(response: Any) -> list[int]:
    return [d["id"] for d in data(response)]


def test_pipeline_and_stage_deals_as_seed_002_defines_them(pd: Pipedrive, clock: Clock) -> None:
    pipeline, (a, b, _) = _pipeline(pd)
    mine_a = deal_at(pd, clock, 0, a, 10)
    mine_b = deal_at(pd, clock, 1, b, 20)
    deal_at(pd, clock, 2, a, 30, status="won")
    deal_at(pd, clock, 3, b, 40, status="lost")
    someone = data(pd.post("/v1/users", json={"email": "joanna@initech.example"}))["id"]
    theirs = deal_at(pd, clock, 4, a, 50, owner_id=someone)
    theirs_won = deal_at(pd, clock, 5, b, 60, owner_id=someone, status="won")
    base = f"/v1/pipelines/{pipeline}/deals"
    # No parameters: the caller's open deals.
    assert _ids(pd.get(base)) == [mine_a, mine_b]
    assert _ids(pd.get(f"{base}?stage_id={b}")) == [mine_b]
    assert _ids(pd.get(f"{base}?user_id={someone}")) == [theirs]
    assert _ids(pd.get(f"{base}?everyone=1")) == [mine_a, mine_b, theirs]
    # everyone: user_id and filter_id are not considered.
    assert _ids(pd.get(f"{base}?everyone=1&user_id={someone}&filter_id=999999")) == [
        mine_a, mine_b, theirs]
    assert _ids(pd.get(f"{base}?everyone=1&stage_id={a}")) == [mine_a, theirs]
    # A saved filter decides the status (and the owner) itself.
    fields = {f["key"]: f["id"] for f in data(pd.get("/v1/dealFields?limit=500"))}
    won = data(pd.post("/v1/filters", json={"name": "Won", "type": "deals", "conditions": {
        "glue": "and", "conditions": [
            {"glue": "and", "conditions": [{"object": "deal", "field_id": str(fields["status"]),
                                            "operator": "=", "value": "won"}]},
            {"glue": "or", "conditions": [None]}]}}))["id"]
    assert sorted(_ids(pd.get(f"{base}?filter_id={won}"))) == sorted(
        [mine_a + 2, theirs_won])
    assert _ids(pd.get(f"/v1/stages/{b}/deals")) == [mine_b]
    assert _ids(pd.get(f"/v1/stages/{b}/deals?everyone=1")) == [mine_b]
    assert _ids(pd.get(f"/v1/stages/{a}/deals?everyone=1")) == [mine_a, theirs]
    # A stage of another pipeline: nothing of this one.
    other_stage = data(pd.get("/api/v2/stages?limit=1"))[0]["id"]
    assert _ids(pd.get(f"{base}?everyone=1&stage_id={other_stage}")) == []


@pytest.mark.parametrize("query", ["stage_id=x", "stage_id=-1", "stage_id=1.5", "everyone=2",
                                   "everyone=yes", "stage_id=99999999999999999999"])
def test_pipeline_deals_refuse_bad_parameters(pd: Pipedrive, query: str) -> None:
    pipeline, _ = _pipeline(pd)
    refused(pd.get(f"/v1/pipelines/{pipeline}/deals?{query}"), 400)


def test_statistics_count_only_the_deals_the_reader_sees(
        pd: Pipedrive, seeded: dict[str, Any], app: Any, http: SyncClient,
        tenant: Tenant) -> None:
    pipeline, someone, d6 = seeded["pipeline"], seeded["someone"], seeded["deals"][4]
    data(pd.put(f"/v1/deals/{d6}", json={"visible_to": 1}))  # someone's alone
    viewer = tenant.records.create("user", {"name": "Viewer", "email": "viewer@acme.example"})
    theirs = Pipedrive(http, service_of(app).create_token(tenant.company.company_id,
                                                          viewer["id"]).token)
    path = f"/v1/pipelines/{pipeline}/movement_statistics"
    seen = data(get(theirs, path, {**PERIOD, "user_id": someone}))
    assert seen["new_deals"]["deals_ids"] == [] and seen["movements_between_stages"] == {
        "count": 0}
    assert data(get(pd, path, {**PERIOD, "user_id": someone}))["new_deals"]["deals_ids"] == [d6]
    role = data(pd.post("/v1/roles", json={"name": "Blind"}))["id"]
    data(pd.post(f"/v1/roles/{role}/assignments", json={"user_id": viewer["id"]}))
    data(pd.put(f"/v1/roles/{role}/pipelines", json={"visible_pipeline_ids": {
        "remove": [pipeline]}}))
    hidden = theirs.get(f"{path}?start_date={PERIOD['start_date']}&end_date="
                        f"{PERIOD['end_date']}", check=False)
    missing = theirs.get(f"/v1/pipelines/{10**9}/movement_statistics?start_date="
                         f"{PERIOD['start_date']}&end_date={PERIOD['end_date']}", check=False)
    assert hidden.status_code == missing.status_code == 404
