"""History and summaries through Pipedrive v1/v2: ``/recents``, a record's ``flow``,
``changelog`` and ``participantsChangelog``, the deal summary and timeline, and archived
deals. Every response is checked against the vendored spec by the ``Pipedrive`` client
(the timeline's intervals one by one here); times come from a pinned clock."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

import pytest

from dealbase.api.app import service_of
from dealbase.api.pipedrive.history import CURSOR_SORT
from dealbase.service import decode_cursor, encode_cursor
from dealbase.store.changelog import ChangeLog
from tests.api.answers import data, refused
from tests.api.conftest import T0, Clock
from tests.conftest import Pipedrive, Tenant
from tests.contract.openapi import Contract

T0_TEXT = T0.strftime("%Y-%m-%d %H:%M:%S")


def get(client: Pipedrive, path: str, params: dict[str, Any] | None = None) -> Any:
    """``GET path?params`` (values URL-encoded)."""
    return client.get(f"{path}?{urlencode(params)}" if params else path)


def _stage(pd: Pipedrive, probability: int = 100, enabled: bool = True) -> dict[str, Any]:
    pipeline = data(pd.post("/api/v2/pipelines", json={
        "name": "Sales", "is_deal_probability_enabled": enabled}))
    return dict(data(pd.post("/api/v2/stages", json={
        "name": "Talks", "pipeline_id": pipeline["id"], "deal_probability": probability})))


# ---- /recents ------------------------------------------------------------------------------

# (not users: signing in stamps the caller's last login, at the pinned time)
KINDS = "deal,person,organization,activity,note,product,pipeline,stage"


def test_recents_lists_each_record_changed_since_once(pd: Pipedrive, clock: Clock) -> None:
    clock.at(0)
    org = data(pd.post("/v1/organizations", json={"name": "Initech"}), 201)
    person = data(pd.post("/v1/persons", json={"name": "Peter"}), 201)
    t1 = clock.at(1)
    deal = data(pd.post("/v1/deals", json={"title": "Printers", "value": 10}), 201)
    data(pd.put(f"/v1/persons/{person['id']}", json={"name": "Peter Gibbons"}))
    data(pd.put(f"/v1/deals/{deal['id']}", json={"value": 20}))
    t2 = clock.at(2)
    data(pd.delete(f"/v1/organizations/{org['id']}"))
    clock.at(3)

    body = get(pd, "/v1/recents", {"since_timestamp": t1, "items": KINDS}).json()
    rows = body["data"]
    # one row per record, by its last write: the person, the deal (written again), the org
    assert [(r["item"], r["id"]) for r in rows] == [
        ("person", person["id"]), ("deal", deal["id"]), ("organization", org["id"])]
    assert rows[0]["data"]["name"] == "Peter Gibbons"
    listed = data(get(pd, f"/v1/stages/{deal['stage_id']}/deals", {"everyone": 1}))[0]
    assert {k: v for k, v in rows[1]["data"].items() if k != "creator_user_id"} == listed
    assert rows[1]["data"]["value"] == 20
    assert rows[2]["data"]["active_flag"] is False  # deleted: shown as the v1 list shows it
    assert body["additional_data"]["since_timestamp"] == t1
    assert body["additional_data"]["last_timestamp_on_page"] == t2
    assert body["additional_data"]["pagination"]["more_items_in_collection"] is False

    only = data(get(pd, "/v1/recents", {"since_timestamp": t1, "items": "deal,organization"}))
    assert [(r["item"], r["id"]) for r in only] == [("deal", deal["id"]), ("organization", org["id"])]
    assert [r["id"] for r in data(get(pd, "/v1/recents", {"since_timestamp": t2, "items": KINDS}))] == [
        org["id"]]
    assert data(get(pd, "/v1/recents", {"since_timestamp": clock.at(4), "items": KINDS})) == []

    page = get(pd, "/v1/recents", {"since_timestamp": t1, "limit": 2, "items": KINDS}).json()
    assert [r["id"] for r in page["data"]] == [person["id"], deal["id"]]
    assert page["additional_data"]["pagination"] == {
        "start": 0, "limit": 2, "more_items_in_collection": True, "next_start": 2}
    rest = data(get(pd, "/v1/recents", {"since_timestamp": t1, "start": 2, "limit": 2, "items": KINDS}))
    assert [r["id"] for r in rest] == [org["id"]]


def test_recent_users_come_as_a_list(pd: Pipedrive, clock: Clock) -> None:
    since = clock.at(0)
    made = data(pd.post("/v1/users", json={"email": "milton@initech.example", "name": "Milton"}))
    rows = data(get(pd, "/v1/recents", {"since_timestamp": since, "items": "user"}))
    # (the admin is there too: signing in stamps its last login)
    assert {r["item"] for r in rows} == {"user"} and made["id"] in [r["id"] for r in rows]
    assert all(isinstance(r["data"], list) and r["data"][0]["id"] == r["id"] for r in rows)
    assert next(r for r in rows if r["id"] == made["id"])["data"][0]["email"] == made["email"]


@pytest.mark.parametrize("query", [
    {}, {"since_timestamp": ""}, {"since_timestamp": "2030-01-01"},
    {"since_timestamp": "2030-01-01T10:00:00Z"}, {"since_timestamp": "2030-13-01 10:00:00"},
    {"since_timestamp": "'; DROP TABLE change_log; --"},
    {"since_timestamp": "2030-01-01 10:00:00", "items": "deal,bogus"},
    {"since_timestamp": "2030-01-01 10:00:00", "items": "\u202edeal"},
    {"since_timestamp": "2030-01-01 10:00:00", "limit": "-1"},
    {"since_timestamp": "2030-01-01 10:00:00", "start": "x"},
])
def test_recents_refuses_bad_parameters(pd: Pipedrive, query: dict[str, str]) -> None:
    refused(get(pd, "/v1/recents", params=query), 400)


# ---- flow and changelogs -------------------------------------------------------------------

def test_deal_flow_shows_creation_stage_moves_activities_and_notes(pd: Pipedrive,
                                                                   clock: Clock) -> None:
    first = _stage(pd)
    second = data(pd.post("/api/v2/stages", json={"name": "Won over",
                                                  "pipeline_id": first["pipeline_id"]}))
    t0 = clock.at(0)
    deal = data(pd.post("/api/v2/deals", json={"title": "Printers", "stage_id": first["id"]}))
    t1 = clock.at(1)
    data(pd.patch(f"/api/v2/deals/{deal['id']}", json={"stage_id": second["id"]}))
    t2 = clock.at(2)
    activity = data(pd.post("/api/v2/activities", json={"subject": "Call", "deal_id": deal["id"]}))
    t3 = clock.at(3)
    note = data(pd.post("/v1/notes", json={"content": "Likes red", "deal_id": deal["id"]}))

    body = get(pd, f"/v1/deals/{deal['id']}/flow").json()
    rows = body["data"]
    assert [(r["object"], r["timestamp"]) for r in rows] == [
        ("note", t3), ("activity", t2), ("dealChange", t1), ("dealChange", t1),
        ("dealChange", t0)]
    assert rows[0]["data"]["id"] == note["id"] and rows[0]["data"]["content"] == "Likes red"
    assert rows[1]["data"]["id"] == activity["id"] and rows[1]["data"]["subject"] == "Call"
    changes = {r["data"]["field_key"]: r["data"] for r in rows if r["object"] == "dealChange"}
    assert set(changes) == {"add_time", "stage_id", "stage_change_time"}
    moved = changes["stage_id"]
    assert (moved["old_value"], moved["new_value"]) == (str(first["id"]), str(second["id"]))
    assert (moved["item_id"], moved["log_time"]) == (deal["id"], t1)
    assert moved["user_id"] == data(get(pd, "/v1/users/me"))["id"]
    assert (changes["add_time"]["old_value"], changes["add_time"]["new_value"]) == (None, t0)
    assert changes["stage_change_time"]["new_value"] == t1
    assert len({(r["object"], r["data"]["id"]) for r in rows}) == len(rows)
    assert body["additional_data"]["pagination"]["more_items_in_collection"] is False

    page = get(pd, f"/v1/deals/{deal['id']}/flow", {"start": 1, "limit": 2}).json()
    assert [r["object"] for r in page["data"]] == ["activity", "dealChange"]
    assert page["additional_data"]["pagination"] == {
        "start": 1, "limit": 2, "more_items_in_collection": True, "next_start": 3}
    only = data(get(pd, f"/v1/deals/{deal['id']}/flow", {"items": "dealChange"}))
    assert [r["object"] for r in only] == ["dealChange"] * 3
    assert [r["object"] for r in data(get(pd, f"/v1/deals/{deal['id']}/flow",
                                             params={"items": "note,activity"}))] == [
        "note", "activity"]


def test_person_and_organization_flows(pd: Pipedrive, clock: Clock) -> None:
    clock.at(0)
    org = data(pd.post("/v1/organizations", json={"name": "Initech"}), 201)
    person = data(pd.post("/v1/persons", json={"name": "Peter", "org_id": org["id"]}), 201)
    t1 = clock.at(1)
    data(pd.put(f"/v1/persons/{person['id']}", json={"name": "Peter Gibbons"}))
    data(pd.put(f"/v1/organizations/{org['id']}", json={"name": "Initech Inc"}))
    rows = data(get(pd, f"/v1/persons/{person['id']}/flow"))
    assert [(r["object"], r["data"]["field_key"]) for r in rows] == [
        ("personChange", "last_name"), ("personChange", "name"), ("personChange", "add_time")]
    assert (rows[1]["data"]["old_value"], rows[1]["data"]["new_value"],
            rows[1]["timestamp"]) == ("Peter", "Peter Gibbons", t1)
    rows = data(get(pd, f"/v1/organizations/{org['id']}/flow"))
    assert rows[0]["object"] == "organizationChange"
    assert (rows[0]["data"]["old_value"], rows[0]["data"]["new_value"]) == ("Initech",
                                                                            "Initech Inc")


def test_custom_field_changes_only_with_all_changes(pd: Pipedrive, clock: Clock) -> None:
    field = data(pd.post("/v1/dealFields", json={"name": "Region", "field_type": "varchar"}))
    clock.at(0)
    deal = data(pd.post("/v1/deals", json={"title": "Printers"}), 201)
    clock.at(1)
    data(pd.put(f"/v1/deals/{deal['id']}", json={field["key"]: "North", "title": "Copiers"}))
    keys = [r["data"]["field_key"] for r in data(get(pd, f"/v1/deals/{deal['id']}/flow"))]
    assert keys == ["title", "add_time"]
    keys = [r["data"]["field_key"] for r in data(get(pd, f"/v1/deals/{deal['id']}/flow",
                                                        params={"all_changes": "1"}))]
    assert sorted(keys[:2]) == sorted([field["key"], "title"]) and keys[2] == "add_time"


def test_changelog_pages_by_cursor(pd: Pipedrive, clock: Clock) -> None:
    t0 = clock.at(0)
    deal = data(pd.post("/v1/deals", json={"title": "A"}), 201)
    t1 = clock.at(1)
    data(pd.put(f"/v1/deals/{deal['id']}", json={"title": "B"}))
    t2 = clock.at(2)
    data(pd.put(f"/v1/deals/{deal['id']}", json={"title": "C"}))
    seen, cursor = [], None
    while True:
        body = get(pd, f"/v1/deals/{deal['id']}/changelog",
                      params={"limit": 1, **({"cursor": cursor} if cursor else {})}).json()
        assert len(body["data"]) <= 1
        seen += [(r["field_key"], r["old_value"], r["new_value"], r["time"]) for r in body["data"]]
        cursor = body["additional_data"]["next_cursor"]
        if not cursor:
            break
    assert seen == [("title", "B", "C", t2), ("title", "A", "B", t1), ("add_time", None, t0, t0)]
    whole = data(get(pd, f"/v1/deals/{deal['id']}/changelog"))
    assert [r["new_value"] for r in whole] == ["C", "B", t0]
    assert whole[0]["actor_user_id"] == data(get(pd, "/v1/users/me"))["id"]
    person = data(pd.post("/v1/persons", json={"name": "Peter"}), 201)
    data(pd.put(f"/v1/persons/{person['id']}", json={"name": "Pete"}))
    assert [r["field_key"] for r in data(get(pd, f"/v1/persons/{person['id']}/changelog"))] == [
        "first_name", "name", "add_time"]
    org = data(pd.post("/v1/organizations", json={"name": "Initech"}), 201)
    assert [r["field_key"] for r in data(get(pd, f"/v1/organizations/{org['id']}/changelog"))] == [
        "add_time"]
    refused(get(pd, f"/v1/deals/{deal['id']}/changelog", {"cursor": "garbage!"}), 400)


def test_participants_changelog(pd: Pipedrive, clock: Clock) -> None:
    first = data(pd.post("/v1/persons", json={"name": "Peter"}), 201)
    second = data(pd.post("/v1/persons", json={"name": "Samir"}), 201)
    t0 = clock.at(0)
    deal = data(pd.post("/v1/deals", json={"title": "Printers", "person_id": first["id"]}), 201)
    t1 = clock.at(1)
    data(pd.post(f"/v1/deals/{deal['id']}/participants", json={"person_id": second["id"]}))
    t2 = clock.at(2)
    data(pd.delete(f"/v1/deals/{deal['id']}/participants/{second['id']}"))
    rows = data(get(pd, f"/v1/deals/{deal['id']}/participantsChangelog"))
    assert [(r["action"], r["person_id"], r["time"]) for r in rows] == [
        ("removed", second["id"], t2), ("added", second["id"], t1), ("added", first["id"], t0)]
    body = get(pd, f"/v1/deals/{deal['id']}/participantsChangelog", {"limit": 2}).json()
    assert len(body["data"]) == 2
    rest = data(get(pd, f"/v1/deals/{deal['id']}/participantsChangelog",
                       params={"cursor": body["additional_data"]["next_cursor"]}))
    assert [(r["action"], r["person_id"]) for r in rest] == [("added", first["id"])]


# ---- archived deals ------------------------------------------------------------------------

def test_archiving_a_deal_moves_it_to_the_archived_lists(pd: Pipedrive, clock: Clock) -> None:
    kept = data(pd.post("/api/v2/deals", json={"title": "Kept"}))
    gone = data(pd.post("/api/v2/deals", json={"title": "Shelved"}))
    t1 = clock.at(1)
    archived = data(pd.patch(f"/api/v2/deals/{gone['id']}", json={"is_archived": True}))
    assert archived["is_archived"] is True
    assert archived["archive_time"] == T0.replace(hour=11).isoformat() + "Z"
    assert [d["id"] for d in data(get(pd, "/api/v2/deals"))] == [kept["id"]]
    assert [d["id"] for d in data(get(pd, "/v1/deals"))] == [kept["id"]]
    assert [d["id"] for d in data(get(pd, "/v1/deals/collection"))] == [kept["id"]]
    assert [d["id"] for d in data(get(pd, "/api/v2/deals/archived"))] == [gone["id"]]
    v1 = data(get(pd, "/v1/deals/archived"))
    assert [d["id"] for d in v1] == [gone["id"]] and v1[0]["archive_time"] == t1
    assert data(get(pd, f"/api/v2/deals/{gone['id']}"))["is_archived"] is True
    back = data(pd.put(f"/v1/deals/{gone['id']}", json={"is_archived": False}))
    assert back["is_archived"] is False and "archive_time" not in back
    assert data(get(pd, "/api/v2/deals/archived")) == []
    assert sorted(d["id"] for d in data(get(pd, "/api/v2/deals"))) == [kept["id"], gone["id"]]


# ---- summary and timeline ------------------------------------------------------------------

def _deals(pd: Pipedrive, clock: Clock) -> dict[str, Any]:
    """Known deals: a pipeline weighing by probability (its stage: 40 %) and the default one
    (which does not)."""
    stage = _stage(pd, probability=40)
    default = data(get(pd, "/api/v2/stages", {"limit": 1}))[0]
    made: dict[str, Any] = {"stage": stage, "default": default}
    specs = [  # name: title, value, currency, stage, probability, status, expected close
        ("eur_open", 100, "EUR", stage["id"], None, "open", "2030-01-05"),
        ("eur_open_p", 200, "EUR", stage["id"], 10, "open", "2030-01-20"),
        ("eur_won", 50, "EUR", default["id"], None, "won", "2030-02-03"),
        ("usd_open", 30, "USD", default["id"], None, "open", "2030-03-30"),
        ("usd_lost", 999, "USD", stage["id"], None, "lost", "2030-01-06"),
        ("deleted", 7, "USD", default["id"], None, "open", "2030-01-07"),
        ("archived", 11, "USD", stage["id"], None, "open", "2030-01-08"),
    ]
    for name, value, currency, stage_id, probability, status, close in specs:
        body = {"title": name, "value": value, "currency": currency, "stage_id": stage_id,
                "status": status, "expected_close_date": close}
        if probability is not None:
            body["probability"] = probability
        made[name] = data(pd.post("/api/v2/deals", json=body))
    data(pd.delete(f"/api/v2/deals/{made['deleted']['id']}"))
    data(pd.patch(f"/api/v2/deals/{made['archived']['id']}", json={"is_archived": True}))
    return made


def test_summary_totals_per_currency(pd: Pipedrive, clock: Clock) -> None:
    made = _deals(pd, clock)
    summary = data(get(pd, "/v1/deals/summary"))
    # EUR: 100 (weighted 40 % = 40) + 200 (its own 10 % = 20) + 50 (default pipeline: 50)
    assert summary["values_total"]["EUR"] == {"value": 350, "count": 3,
                                              "value_formatted": "€350"}
    assert summary["weighted_values_total"]["EUR"]["value"] == 110
    # USD (the admin's currency): 30 (default pipeline) + 999 lost (40 % = 399.6)
    assert summary["values_total"]["USD"] == {
        "value": 1029, "count": 2, "value_converted": 1029, "value_formatted": "$1,029",
        "value_converted_formatted": "$1,029"}
    assert summary["weighted_values_total"]["USD"]["value"] == pytest.approx(429.6)
    assert summary["total_count"] == 5
    assert summary["total_currency_converted_value"] == 1029
    assert summary["total_weighted_currency_converted_value"] == pytest.approx(429.6)

    open_eur = data(get(pd, "/v1/deals/summary", {"status": "open"}))
    assert open_eur["values_total"]["EUR"]["value"] == 300 and open_eur["total_count"] == 3
    by_stage = data(get(pd, "/v1/deals/summary", {"stage_id": made["stage"]["id"]}))
    assert by_stage["total_count"] == 3 and set(by_stage["values_total"]) == {"EUR", "USD"}
    by_pipeline = data(get(pd, "/v1/deals/summary",
                              params={"pipeline_id": made["default"]["pipeline_id"]}))
    assert by_pipeline["total_count"] == 2
    mine = data(get(pd, "/v1/deals/summary", {"user_id": made["eur_open"]["owner_id"]}))
    assert mine["total_count"] == 5
    assert data(get(pd, "/v1/deals/summary", {"user_id": 999999}))["total_count"] == 0
    me = data(get(pd, "/v1/users/me"))["id"]
    fields = {f["key"]: f["id"] for f in data(get(pd, "/v1/dealFields", {"limit": 500}))}
    saved = data(pd.post("/v1/filters", json={"name": "Euro", "type": "deals", "conditions": {
        "glue": "and", "conditions": [
            {"glue": "and", "conditions": [{"object": "deal", "field_id": str(fields["currency"]),
                                            "operator": "=", "value": "EUR"}]},
            {"glue": "or", "conditions": [None]}]}}))
    euro = data(get(pd, "/v1/deals/summary", {"filter_id": saved["id"], "user_id": me + 999}))
    assert set(euro["values_total"]) == {"EUR"} and euro["total_count"] == 3  # (user_id ignored)
    refused(get(pd, "/v1/deals/summary", {"filter_id": 999999}), 404)
    archived = data(get(pd, "/v1/deals/summary/archived"))
    assert archived["total_count"] == 1 and archived["values_total"]["USD"]["value"] == 11


def _periods(pd: Pipedrive, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    response = get(pd, path, params=params)
    periods: list[dict[str, Any]] = data(response)
    for period in periods:  # each interval as the spec types one
        Contract.load("v1").validate("GET", path, 200, {"success": True, "data": period})
    return periods


def test_timeline_by_month_and_week(pd: Pipedrive, clock: Clock) -> None:
    made = _deals(pd, clock)
    months = _periods(pd, "/v1/deals/timeline", {
        "start_date": "2030-01-01", "interval": "month", "amount": 3,
        "field_key": "expected_close_date", "totals_convert_currency": "EUR"})
    assert [(p["period_start"], p["period_end"]) for p in months] == [
        ("2030-01-01 00:00:00", "2030-01-31 23:59:59"),
        ("2030-02-01 00:00:00", "2030-02-28 23:59:59"),
        ("2030-03-01 00:00:00", "2030-03-31 23:59:59")]
    # open and won deals only, not deleted, not archived
    assert [d["id"] for d in months[0]["deals"]] == [made["eur_open"]["id"],
                                                    made["eur_open_p"]["id"]]
    assert months[0]["totals"] == {
        "count": 2, "values": {"EUR": 300}, "weighted_values": {"EUR": 60},
        "open_count": 2, "open_values": {"EUR": 300}, "weighted_open_values": {"EUR": 60},
        "won_count": 0, "won_values": {}}
    assert months[0]["totals_converted"]["values_total"] == 300
    assert months[1]["totals"]["won_values"] == {"EUR": 50} and months[1]["totals"]["count"] == 1
    assert months[2]["totals"]["values"] == {"USD": 30}
    assert months[2]["totals_converted"]["values_total"] == 0  # (USD: no exchange rates)

    weeks = _periods(pd, "/v1/deals/timeline", {
        "start_date": "2030-01-01", "interval": "week", "amount": 3,
        "field_key": "expected_close_date", "exclude_deals": 1})
    assert [p["period_start"][:10] for p in weeks] == ["2030-01-01", "2030-01-08", "2030-01-15"]
    assert [p["totals"]["count"] for p in weeks] == [1, 0, 1]
    assert weeks[2]["totals"]["values"] == {"EUR": 200} and "deals" not in weeks[0]
    quarter = _periods(pd, "/v1/deals/timeline", {
        "start_date": "2030-01-01", "interval": "quarter", "amount": 1,
        "field_key": "expected_close_date"})
    assert quarter[0]["totals"]["values"] == {"EUR": 350, "USD": 30}
    archived = _periods(pd, "/v1/deals/timeline/archived", {
        "start_date": "2030-01-01", "interval": "month", "amount": 1,
        "field_key": "expected_close_date"})
    assert [d["id"] for d in archived[0]["deals"]] == [made["archived"]["id"]]
    by_added = _periods(pd, "/v1/deals/timeline", {
        "start_date": clock.now.date().isoformat(), "interval": "day", "amount": 1,
        "field_key": "add_time"})
    assert by_added[0]["totals"]["count"] == 4


@pytest.mark.parametrize("query", [
    {}, {"start_date": "2030-01-01", "interval": "month", "amount": "1"},
    {"start_date": "2030-02-30", "interval": "month", "amount": "1", "field_key": "add_time"},
    {"start_date": "2030-01-01", "interval": "fortnight", "amount": "1", "field_key": "add_time"},
    {"start_date": "2030-01-01", "interval": "day", "amount": "-1", "field_key": "add_time"},
    {"start_date": "2030-01-01", "interval": "day", "amount": "0", "field_key": "add_time"},
    {"start_date": "2030-01-01", "interval": "day", "amount": "100000", "field_key": "add_time"},
    {"start_date": "2030-01-01", "interval": "day", "amount": "1", "field_key": "title"},
    {"start_date": "2030-01-01", "interval": "day", "amount": "1", "field_key": "x\x00y"},
    {"start_date": "2030-01-01", "interval": "day", "amount": "1", "field_key": "add_time",
     "totals_convert_currency": "ZZZ"},
    {"start_date": "2030-01-01", "interval": "day", "amount": "1", "field_key": "add_time",
     "user_id": "-3"},
])
def test_timeline_refuses_bad_parameters(pd: Pipedrive, query: dict[str, str]) -> None:
    refused(get(pd, "/v1/deals/timeline", params=query), 400)


@pytest.mark.parametrize("query", [{"status": "deleted"}, {"status": "open,won"},
                                   {"pipeline_id": "abc"}, {"stage_id": "0"},
                                   {"user_id": "1 OR 1=1"}])
def test_summary_refuses_bad_parameters(pd: Pipedrive, query: dict[str, str]) -> None:
    refused(get(pd, "/v1/deals/summary", params=query), 400)


# ---- isolation and bad ids -------------------------------------------------------------------

def test_history_and_summaries_never_show_another_company(tenant: Tenant, other: Tenant,
                                                          clock: Clock) -> None:
    pd, them = tenant.api, other.api
    since = clock.at(0)
    deal = data(pd.post("/v1/deals", json={"title": "Ours", "value": 5, "currency": "USD"}), 201)
    person = data(pd.post("/v1/persons", json={"name": "Ours"}), 201)
    theirs = data(them.post("/v1/deals", json={"title": "Theirs", "value": 7}), 201)
    seen = data(get(them, "/v1/recents", {"since_timestamp": since}))
    assert [r["id"] for r in seen if r["item"] == "deal"] == [theirs["id"]], seen
    assert all(r["item"] != "person" for r in seen)
    for path in ("/v1/deals/{}/flow", "/v1/deals/{}/changelog",
                 "/v1/deals/{}/participantsChangelog", "/v1/persons/{}/flow",
                 "/v1/persons/{}/changelog"):
        mine = deal["id"] if path.startswith("/v1/deals") else person["id"]
        assert refused(get(them, path.format(mine)), 404)["error"] == refused(
            get(them, path.format(999999)), 404)["error"]
    assert data(get(them, "/v1/deals/summary"))["total_count"] == 1
    assert data(get(them, "/v1/deals/summary"))["values_total"]["USD"]["value"] == 7
    assert data(get(pd, "/v1/deals/summary"))["values_total"]["USD"]["value"] == 5
    period = data(get(them, "/v1/deals/timeline", {
        "start_date": clock.now.date().isoformat(), "interval": "day", "amount": 1,
        "field_key": "add_time"}))[0]
    assert [d["id"] for d in period["deals"]] == [theirs["id"]]
    assert data(get(them, "/v1/deals/archived")) == []


@pytest.mark.parametrize("path", ["/v1/deals/0/flow", "/v1/deals/abc/flow",
                                  "/v1/persons/-1/changelog", "/v1/deals/99999999999999999999/flow",
                                  "/v1/organizations/%E2%80%AE1/flow"])
def test_unknown_records_have_no_history(pd: Pipedrive, path: str) -> None:
    refused(get(pd, path), 404)


def test_flow_refuses_bad_parameters(pd: Pipedrive) -> None:
    deal = data(pd.post("/v1/deals", json={"title": "Printers"}), 201)
    for query in ({"start": "-1"}, {"limit": "0"}, {"items": "everything"},
                  {"all_changes": "maybe"}):
        refused(get(pd, f"/v1/deals/{deal['id']}/flow", params=query), 400)
    refused(get(pd, f"/v1/deals/{deal['id']}/changelog", {"limit": "x"}), 400)


# ---- extreme parameters, paging deep into /recents, where the work runs ---------------------

def test_extreme_parameters_are_refused_or_answered(pd: Pipedrive, clock: Clock) -> None:
    """Values at the edges of what the types hold answer a 400 (or, where they mean
    something, an answer), never a 500: the first moment there is, timelines that would
    end past the calendar, cursors and ids past 64 bits."""
    clock.at(0)
    deal = data(pd.post("/v1/deals", json={"title": "Printers"}), 201)
    data(pd.put(f"/v1/deals/{deal['id']}", json={"title": "Copiers"}))
    everything = data(get(pd, "/v1/recents", {"since_timestamp": "0001-01-01 00:00:00",
                                              "items": "deal"}))
    assert [r["id"] for r in everything] == [deal["id"]]
    assert data(get(pd, "/v1/recents", {"since_timestamp": "9999-12-31 23:59:59"})) == []
    assert data(get(pd, "/v1/recents", {"since_timestamp": "2030-01-01 00:00:00",
                                        "start": 10**9})) == []
    for start, limit in ((10**9 + 1, 1), (2**63, 1), (0, 2**63), (0, 10**6)):
        refused(get(pd, "/v1/recents", {"since_timestamp": "2030-01-01 00:00:00",
                                        "start": start, "limit": limit}), 400)

    timeline = {"interval": "month", "amount": 3, "field_key": "add_time"}
    for path in ("/v1/deals/timeline", "/v1/deals/timeline/archived"):
        for start, interval, amount in (("9999-12-01", "month", 3), ("9999-12-30", "day", 3),
                                        ("9999-12-31", "day", 1), ("9999-12-28", "week", 1),
                                        ("9999-11-01", "quarter", 1)):
            refused(get(pd, path, {**timeline, "start_date": start, "interval": interval,
                                   "amount": amount}), 400)
        last = data(get(pd, path, {**timeline, "start_date": "9999-12-30", "interval": "day",
                                   "amount": 1}))
        assert [(p["period_start"], p["period_end"]) for p in last] == [
            ("9999-12-30 00:00:00", "9999-12-30 23:59:59")]
        first = data(get(pd, path, {**timeline, "start_date": "0001-01-01", "amount": 1}))
        assert first[0]["totals"]["count"] == 0
    for name in ("user_id", "pipeline_id", "stage_id"):
        assert data(get(pd, "/v1/deals/summary", {name: 2**63 - 1}))["total_count"] == 0
        refused(get(pd, "/v1/deals/summary", {name: 2**63}), 400)
    refused(get(pd, "/v1/deals/summary", {"filter_id": 2**63}), 400)
    refused(get(pd, f"/v1/deals/{deal['id']}/flow", {"start": 10_001}), 400)
    refused(get(pd, f"/v1/deals/{deal['id']}/flow", {"limit": 2**64}), 400)


def test_changelog_cursors_past_the_newest_change_are_refused(pd: Pipedrive,
                                                             clock: Clock) -> None:
    clock.at(0)
    deal = data(pd.post("/v1/deals", json={"title": "Printers"}), 201)
    data(pd.put(f"/v1/deals/{deal['id']}", json={"title": "Copiers"}))
    body = get(pd, f"/v1/deals/{deal['id']}/changelog", {"limit": 1}).json()
    following = body["additional_data"]["next_cursor"]
    created, _ = decode_cursor(following, CURSOR_SORT)  # (the deal's first change)
    assert [r["new_value"] for r in data(get(pd, f"/v1/deals/{deal['id']}/changelog",
                                             {"cursor": following}))] == [T0_TEXT]
    for path in ("changelog", "participantsChangelog"):
        for seq, position in ((2**63 - 1, 0), (2**64, 0), (created + 10**6, 0)):
            cursor = base64.urlsafe_b64encode(json.dumps(  # (as encode_cursor, past 64 bits)
                {"s": [["seq", 1], ["position", 0]], "v": [seq, position]}).encode()).decode()
            refused(get(pd, f"/v1/deals/{deal['id']}/{path}", {"cursor": cursor}), 400)
        # a cursor at a change of the record, far past its rows: nothing more
        cursor = encode_cursor(CURSOR_SORT, (created, 2**63))
        assert data(get(pd, f"/v1/deals/{deal['id']}/{path}", {"cursor": cursor})) == []


def test_recents_pages_by_start_through_many_records(pd: Pipedrive, clock: Clock,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A walk by ``start`` sees each record once, by its last write, as one long page
    does; each page after the first seeks from where the previous one ended (no row
    skipped by OFFSET), however deep it starts."""
    since = clock.at(0)
    people = [data(pd.post("/v1/persons", json={"name": f"P{n}"}), 201)["id"] for n in range(9)]
    for n in (0, 4, 2):  # written again: now last
        data(pd.put(f"/v1/persons/{people[n]}", json={"name": f"Q{n}"}))
    expected = [p for n, p in enumerate(people) if n not in (0, 4, 2)] + [
        people[0], people[4], people[2]]
    whole = data(get(pd, "/v1/recents", {"since_timestamp": since, "items": "person"}))
    assert [r["id"] for r in whole] == expected

    skipped: list[int] = []
    real = ChangeLog.recent

    def spy(self: ChangeLog, tx: Any, company_id: int, entities: Any, at: Any, after: int,
            skip: int, limit: int) -> Any:
        skipped.append(skip)
        return real(self, tx, company_id, entities, at, after, skip, limit)
    monkeypatch.setattr(ChangeLog, "recent", spy)
    walked, start = [], 0
    while True:
        body = get(pd, "/v1/recents", {"since_timestamp": since, "items": "person",
                                       "start": start, "limit": 2}).json()
        walked += [r["id"] for r in body["data"]]
        pagination = body["additional_data"]["pagination"]
        if not pagination["more_items_in_collection"]:
            break
        start = pagination["next_start"]
    assert walked == expected
    assert skipped == [0] * 5  # (every page a seek from the previous page's last row)
    # a page nobody walked to skips its way there; a write starts the positions afresh
    assert [r["id"] for r in data(get(pd, "/v1/recents", {
        "since_timestamp": since, "items": "person", "start": 7, "limit": 2}))] == expected[7:]
    data(pd.put(f"/v1/persons/{people[1]}", json={"name": "R1"}))
    moved = [p for p in expected if p != people[1]] + [people[1]]
    assert [r["id"] for r in data(get(pd, "/v1/recents", {
        "since_timestamp": since, "items": "person", "start": 2, "limit": 2}))] == moved[2:4]


def test_recent_filters_show_as_the_filters_list_shows_them(pd: Pipedrive,
                                                            clock: Clock) -> None:
    since = clock.at(0)
    made = data(pd.post("/v1/filters", json={"name": "Big", "type": "deals", "conditions": {
        "glue": "and", "conditions": [{"glue": "and", "conditions": [None]}]}}))
    rows = data(get(pd, "/v1/recents", {"since_timestamp": since, "items": "filter"}))
    assert [(r["item"], r["id"]) for r in rows] == [("filter", made["id"])]
    listed = next(f for f in data(get(pd, "/v1/filters")) if f["id"] == made["id"])
    assert rows[0]["data"] == {**listed, "visible_to": int(listed["visible_to"])}
    assert "conditions" not in rows[0]["data"]
    everything = data(get(pd, "/v1/recents", {"since_timestamp": since}))
    assert ("filter", made["id"]) in [(r["item"], r["id"]) for r in everything]


@pytest.mark.parametrize("path", ["/v1/recents?since_timestamp=2030-01-01+10:00:00",
                                  "/v1/deals/{id}/flow", "/v1/deals/{id}/changelog",
                                  "/v1/deals/{id}/participantsChangelog",
                                  "/v1/persons/{pid}/flow", "/v1/organizations/{oid}/changelog"])
def test_history_reads_run_off_the_event_loop(pd: Pipedrive, app: Any, path: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A record's whole history (with its activities and notes) is long work: read in
    the thread pool, never on the event loop."""
    deal = data(pd.post("/v1/deals", json={"title": "Printers"}), 201)
    person = data(pd.post("/v1/persons", json={"name": "Peter"}), 201)
    org = data(pd.post("/v1/organizations", json={"name": "Initech"}), 201)
    service = service_of(app)
    real, seen = service.read, []

    async def read(who: Any, work: Any, *, long: bool = False) -> Any:
        seen.append(long)
        return await real(who, work, long=long)
    monkeypatch.setattr(service, "read", read)
    data(pd.get(path.format(id=deal["id"], pid=person["id"], oid=org["id"])))
    assert seen and all(seen)
