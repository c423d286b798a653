"""Activities, activity types and notes through Pipedrive v1 and v2, and the counters they
keep on deals, persons and organizations. Every response is checked against the vendored
spec by the ``Pipedrive`` client."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.api.answers import data, refused
from tests.conftest import Pipedrive, SyncClient, Tenant


@pytest.fixture
def deal(pd: Pipedrive) -> dict[str, Any]:
    org = data(pd.post("/v1/organizations", json={"name": "Initech"}), 201)
    person = data(pd.post("/v1/persons", json={"name": "Peter Gibbons", "org_id": org["id"]}), 201)
    made: dict[str, Any] = data(pd.post("/v1/deals", json={
        "title": "TPS reports", "person_id": person["id"], "org_id": org["id"]}), 201)
    return made


# ---- activities ----------------------------------------------------------------------------

def test_v1_activity_lifecycle(pd: Pipedrive, deal: dict[str, Any]) -> None:
    made = data(pd.post("/v1/activities", json={
        "subject": "Call Peter", "type": "call", "deal_id": deal["id"], "due_date": "2030-05-04",
        "due_time": "09:30", "duration": "01:15", "note": "about the cover sheets",
        "busy_flag": True, "location": "1 Main St"}), 201)
    assert (made["subject"], made["type"], made["due_date"], made["due_time"], made["duration"]) == (
        "Call Peter", "call", "2030-05-04", "09:30", "01:15")
    assert made["done"] is False and made["busy_flag"] is True and made["active_flag"] is True
    assert made["user_id"] == made["assigned_to_user_id"] == made["created_by_user_id"]
    assert made["deal_title"] == "TPS reports" and made["location"] == "1 Main St"
    assert "marked_as_done_time" not in made
    done = data(pd.put(f"/v1/activities/{made['id']}", json={"done": 1}))
    assert done["done"] is True and done["marked_as_done_time"]
    undone = data(pd.put(f"/v1/activities/{made['id']}", json={"done": False, "duration": "00:05"}))
    assert undone["done"] is False and "marked_as_done_time" not in undone
    assert undone["duration"] == "00:05"
    assert data(pd.get(f"/v1/activities/{made['id']}")) == undone
    assert data(pd.delete(f"/v1/activities/{made['id']}")) == {"id": made["id"]}
    assert data(pd.get(f"/v1/activities/{made['id']}"))["active_flag"] is False


def test_v2_activity_lifecycle(pd: Pipedrive, deal: dict[str, Any]) -> None:
    made = data(pd.post("/api/v2/activities", json={
        "subject": "Meet", "type": "meeting", "deal_id": deal["id"], "due_date": "2030-05-04",
        "due_time": "14:00", "duration": "00:45", "busy": True, "done": False, "priority": 3,
        "location": {"value": "1 Main St, Austin", "locality": "Austin"},
        "participants": [{"person_id": deal["person_id"]["value"], "primary": True}],
        "attendees": [{"email": "bill@initech.example", "name": "Bill"}]}))
    assert made["location"] == {"value": "1 Main St, Austin", "locality": "Austin"}
    assert made["participants"] == [{"person_id": deal["person_id"]["value"], "primary": True}]
    assert made["person_id"] == deal["person_id"]["value"] and made["priority"] == 3
    assert "attendees" not in made  # only with include_fields
    full = data(pd.get(f"/api/v2/activities/{made['id']}?include_fields=attendees"))
    assert full["attendees"] == [{"email": "bill@initech.example", "name": "Bill"}]
    patched = data(pd.patch(f"/api/v2/activities/{made['id']}", json={"done": True}))
    assert patched["done"] is True and patched["marked_as_done_time"].endswith("Z")
    refused(pd.patch(f"/api/v2/activities/{made['id']}", json={"person_id": 1}))  # read-only
    refused(pd.patch(f"/api/v2/activities/{made['id']}", json={"duration": "90 min"}))
    assert data(pd.delete(f"/api/v2/activities/{made['id']}")) == {"id": made["id"]}


def test_activity_types_are_the_companys(pd: Pipedrive) -> None:
    types = data(pd.get("/v1/activityTypes"))
    assert [t["key_string"] for t in types] == ["call", "meeting", "task", "deadline", "email",
                                                "lunch"]
    assert all(t["is_custom_flag"] is False and t["active_flag"] for t in types)
    mine = data(pd.post("/v1/activityTypes", json={"name": "Site visit", "icon_key": "car",
                                                   "color": "FFAA00"}))
    assert (mine["key_string"], mine["is_custom_flag"], mine["order_nr"]) == ("site_visit", True, 7)
    again = data(pd.post("/v1/activityTypes", json={"name": "Site visit", "icon_key": "car"}))
    assert again["key_string"] == "site_visit_2"
    refused(pd.post("/v1/activityTypes", json={"name": "x", "icon_key": "rocket"}))
    refused(pd.post("/v1/activityTypes", json={"name": "x", "icon_key": "car", "color": "orange"}))
    renamed = data(pd.put(f"/v1/activityTypes/{mine['id']}", json={"name": "Visit"}))
    assert renamed["name"] == "Visit" and renamed["key_string"] == "site_visit"
    made = data(pd.post("/v1/activities", json={"subject": "Go", "type": "site_visit"}), 201)
    assert made["type"] == "site_visit"
    refused(pd.post("/v1/activities", json={"subject": "Go", "type": "teleport"}))
    gone = data(pd.delete(f"/v1/activityTypes/{mine['id']}"))
    assert (gone["id"], gone["active_flag"]) == (mine["id"], False)
    refused(pd.post("/v1/activities", json={"subject": "Go", "type": "site_visit"}))
    assert data(pd.delete(f"/v1/activityTypes?ids={again['id']}")) == {"id": [again["id"]]}


def test_v1_activity_lists(tenant: Tenant, pd: Pipedrive, deal: dict[str, Any]) -> None:
    other_user = data(pd.post("/v1/users", json={"email": "milton@initech.example"}))
    mine = [data(pd.post("/v1/activities", json={
        "subject": f"A{i}", "type": ("call", "email")[i % 2], "due_date": f"2030-01-0{i + 1}",
        "done": int(i == 2), "deal_id": deal["id"]}), 201)["id"] for i in range(4)]
    theirs = data(pd.post("/v1/activities", json={"subject": "B", "user_id": other_user["id"]}),
                  201)["id"]

    def ids(query: str) -> list[int]:
        return [a["id"] for a in data(pd.get(f"/v1/activities?{query}")) or []]

    assert ids("") == mine  # the caller's own by default
    assert ids("user_id=0") == [*mine, theirs]
    assert ids(f"user_id={other_user['id']}") == [theirs]
    assert ids("type=email") == [mine[1], mine[3]]
    assert ids("type=call,email&done=0") == [mine[0], mine[1], mine[3]]
    assert ids("start_date=2030-01-02&end_date=2030-01-03") == mine[1:3]
    refused(pd.get("/v1/activities?done=maybe"))
    refused(pd.get("/v1/activities?start_date=soon"))
    nested = [a["id"] for a in data(pd.get(f"/v1/deals/{deal['id']}/activities?done=0"))]
    assert nested == [mine[0], mine[1], mine[3]]
    excluded = data(pd.get(f"/v1/deals/{deal['id']}/activities?exclude={mine[0]},{mine[1]}"))
    assert [a["id"] for a in excluded] == mine[2:]
    assert data(pd.delete(f"/v1/activities?ids={mine[0]},{mine[1]}")) == {"id": mine[:2]}


def test_v2_activity_lists(pd: Pipedrive, deal: dict[str, Any]) -> None:
    made = [data(pd.post("/api/v2/activities", json={
        "subject": f"A{i}", "type": "task", "due_date": f"2030-02-0{4 - i}", "done": i == 0,
        "deal_id": deal["id"] if i else None}))["id"] for i in range(3)]

    def ids(query: str) -> list[int]:
        return [a["id"] for a in data(pd.get(f"/api/v2/activities?{query}"))]

    assert ids("") == made
    assert ids(f"deal_id={deal['id']}") == made[1:]
    assert ids("done=true") == made[:1] and ids("done=false") == made[1:]
    assert ids("sort_by=due_date") == made[::-1]
    page = pd.get("/api/v2/activities?limit=2&sort_by=due_date&sort_direction=desc").json()
    assert [a["id"] for a in page["data"]] == made[:2]
    rest = data(pd.get(f"/api/v2/activities?limit=2&sort_by=due_date&sort_direction=desc"
                       f"&cursor={page['additional_data']['next_cursor']}"))
    assert [a["id"] for a in rest] == made[2:]


def test_activity_fields(pd: Pipedrive) -> None:
    v1 = {f["key"]: f for f in data(pd.get("/v1/activityFields"))}
    assert {"subject", "type", "due_date", "due_time", "duration", "deal_id", "user_id"} <= set(v1)
    assert all(not f["edit_flag"] for f in v1.values())
    v2 = data(pd.get("/api/v2/activityFields"))
    assert any(f["field_code"] == "subject" for f in v2)
    assert data(pd.get("/api/v2/activityFields/subject"))["field_code"] == "subject"
    refused(pd.post("/v1/activityFields", json={"name": "x", "field_type": "varchar"},
                    check=False), 405)


# ---- counters ----------------------------------------------------------------------------

def _deal_v2(pd: Pipedrive, deal_id: int) -> dict[str, Any]:
    fields = "activities_count,done_activities_count,undone_activities_count,notes_count," \
             "next_activity_id,last_activity_id"
    found: dict[str, Any] = data(pd.get(f"/api/v2/deals/{deal_id}?include_fields={fields}"))
    return found


def test_deal_counters_follow_every_write(pd: Pipedrive, deal: dict[str, Any]) -> None:
    d = deal["id"]
    first = data(pd.post("/v1/activities", json={"subject": "Later", "deal_id": d,
                                                 "due_date": "2030-03-02", "type": "call"}), 201)
    second = data(pd.post("/v1/activities", json={
        "subject": "Sooner", "deal_id": d, "due_date": "2030-03-01", "due_time": "08:00",
        "duration": "00:30", "type": "meeting", "note": "bring coffee"}), 201)
    got = data(pd.get(f"/v1/deals/{d}"))
    assert (got["activities_count"], got["undone_activities_count"], got["done_activities_count"]) \
        == (2, 2, 0)
    assert (got["next_activity_id"], got["next_activity_date"], got["next_activity_time"],
            got["next_activity_subject"], got["next_activity_type"], got["next_activity_duration"],
            got["next_activity_note"]) == (second["id"], "2030-03-01", "08:00", "Sooner", "meeting",
                                           "00:30", "bring coffee")
    data(pd.put(f"/v1/activities/{second['id']}", json={"done": 1}))
    got = _deal_v2(pd, d)
    assert (got["undone_activities_count"], got["done_activities_count"]) == (1, 1)
    assert (got["next_activity_id"], got["last_activity_id"]) == (first["id"], second["id"])
    assert data(pd.get(f"/v1/deals/{d}"))["last_activity_date"] == "2030-03-01"
    data(pd.post("/v1/notes", json={"content": "<p>hi</p>", "deal_id": d}))
    assert _deal_v2(pd, d)["notes_count"] == 1
    other = data(pd.post("/v1/deals", json={"title": "Other"}), 201)["id"]
    data(pd.put(f"/v1/activities/{first['id']}", json={"deal_id": other}))  # moves both deals
    assert (_deal_v2(pd, d)["activities_count"], _deal_v2(pd, other)["activities_count"]) == (1, 1)
    assert _deal_v2(pd, d)["next_activity_id"] is None
    data(pd.delete(f"/v1/activities/{second['id']}"))
    assert (_deal_v2(pd, d)["activities_count"], _deal_v2(pd, d).get("last_activity_id")) == (0, None)


def test_person_and_organization_counters(pd: Pipedrive, deal: dict[str, Any]) -> None:
    person, org = deal["person_id"]["value"], deal["org_id"]["value"]
    data(pd.post("/v1/activities", json={"subject": "x", "person_id": person, "org_id": org}), 201)
    data(pd.put(f"/v1/deals/{deal['id']}", json={"status": "won"}))
    data(pd.post("/v1/deals", json={"title": "y", "person_id": person}), 201)
    got = data(pd.get(f"/v1/persons/{person}"))
    assert (got["activities_count"], got["open_deals_count"], got["won_deals_count"],
            got["closed_deals_count"]) == (1, 1, 1, 1)
    org_v1 = data(pd.get(f"/v1/organizations/{org}"))
    assert (org_v1["people_count"], org_v1["won_deals_count"], org_v1["activities_count"]) == (
        1, 1, 1)
    org_v2 = data(pd.get(f"/api/v2/organizations/{org}?include_fields=people_count,"
                         "won_deals_count"))
    assert (org_v2["people_count"], org_v2["won_deals_count"]) == (1, 1)
    data(pd.delete(f"/v1/persons/{person}"))
    assert data(pd.get(f"/v1/organizations/{org}"))["people_count"] == 0


def test_concurrent_activities_keep_the_counters_exact(http: SyncClient, tenant: Tenant,
                                                       deal: dict[str, Any]) -> None:
    headers = {"x-api-token": tenant.company.api_token}

    async def burst() -> list[int]:
        responses = await asyncio.gather(*(http.client.post("/v1/activities", headers=headers, json={
            "subject": f"S{i}", "deal_id": deal["id"], "done": i % 3 == 0}) for i in range(15)))
        return [r.status_code for r in responses]

    assert http.portal.call(burst) == [201] * 15
    got = _deal_v2(tenant.api, deal["id"])
    assert (got["activities_count"], got["done_activities_count"],
            got["undone_activities_count"]) == (15, 5, 10)


# ---- notes -------------------------------------------------------------------------------

def test_v1_note_lifecycle_and_lists(pd: Pipedrive, deal: dict[str, Any]) -> None:
    made = data(pd.post("/v1/notes", json={"content": "<b>Remember</b>", "deal_id": deal["id"],
                                           "pinned_to_deal_flag": 1}))
    assert made["content"] == "<b>Remember</b>" and made["pinned_to_deal_flag"] is True
    assert made["deal"] == {"title": "TPS reports"} and made["user"]["is_you"] is True
    assert made["last_update_user_id"] == made["user_id"]
    person_note = data(pd.post("/v1/notes", json={"content": "p", "person_id": deal["person_id"]["value"]}))
    assert made["active_flag"] is True and person_note["person"] == {"name": "Peter Gibbons"}
    ids = [n["id"] for n in data(pd.get(f"/v1/notes?deal_id={deal['id']}"))]
    assert ids == [made["id"]]
    assert [n["id"] for n in data(pd.get("/v1/notes?pinned_to_deal_flag=1"))] == [made["id"]]
    newest = [n["id"] for n in data(pd.get("/v1/notes?sort=update_time DESC"))]
    assert newest[0] in (made["id"], person_note["id"]) and len(newest) == 2
    edited = data(pd.put(f"/v1/notes/{made['id']}", json={"content": "Edited"}))
    assert edited["content"] == "Edited"
    assert data(pd.delete(f"/v1/notes/{made['id']}")) is True
    assert [n["id"] for n in data(pd.get("/v1/notes"))] == [person_note["id"]]
    refused(pd.post("/v1/notes", json={"content": "x", "deal_id": 10**12}))
    refused(pd.get("/v1/notes?pinned_to_deal_flag=yes"))
    fields = {f["key"] for f in data(pd.get("/v1/noteFields"))}
    assert {"content", "deal_id", "user_id"} <= fields


def test_another_companys_activities_and_notes_are_not_found(pd: Pipedrive, other: Tenant,
                                                            deal: dict[str, Any]) -> None:
    activity = data(pd.post("/v1/activities", json={"subject": "secret"}), 201)
    note = data(pd.post("/v1/notes", json={"content": "secret", "deal_id": deal["id"]}))
    theirs = other.api
    for path in (f"/v1/activities/{activity['id']}", f"/api/v2/activities/{activity['id']}",
                 f"/v1/notes/{note['id']}"):
        refused(theirs.get(path), 404)
        refused(theirs.delete(path), 404)
    refused(theirs.post("/v1/activities", json={"subject": "x", "deal_id": deal["id"]}))
    refused(theirs.post("/v1/notes", json={"content": "x", "deal_id": deal["id"]}))
    assert data(theirs.get("/v1/activities?user_id=0")) is None or all(
        a["subject"] != "secret" for a in data(theirs.get("/v1/activities?user_id=0")))
    assert all(n["content"] != "secret" for n in data(theirs.get("/v1/notes")) or [])


# ---- the same records through Pipeliner --------------------------------------------------

def test_activities_and_notes_cross_dialects(http: SyncClient, tenant: Tenant, pd: Pipedrive,
                                             deal: dict[str, Any]) -> None:
    from tests.pipeliner.conftest import pipeliner_for

    pl = pipeliner_for(http, tenant)
    made = data(pd.post("/api/v2/activities", json={
        "subject": "Cross", "type": "meeting", "deal_id": deal["id"], "due_date": "2030-06-01",
        "due_time": "10:00", "duration": "01:30"}))
    [seen] = pl.get("/Activities", params={"filter": "SUBJECT::Cross"}).json()
    assert (seen["START_DATE"] if "START_DATE" in seen else seen["DUE_DATE"]) == "2030-06-01 10:00:00"
    assert seen["END_DATE"] == "2030-06-01 11:30:00" and seen["ACTIVITY_TYPE_ID"] == "meeting"
    changed = pl.put(f"/Activities/{seen['ID']}", json={"STATUS": 4, "SUBJECT": "Crossed"})
    assert changed.status_code == 200, changed.text
    again = data(pd.get(f"/api/v2/activities/{made['id']}"))
    assert (again["done"], again["subject"]) == (True, "Crossed")
    assert again["marked_as_done_time"].endswith("Z")
    task = pl.create("Tasks", {"SUBJECT": "From Pipeliner", "DUE_DATE": "2030-06-02 09:00:00",
                               "OWNER_ID": tenant.company.user_id})
    found = [a for a in data(pd.get("/api/v2/activities")) if a["subject"] == "From Pipeliner"]
    assert [(a["type"], a["due_date"], a["due_time"]) for a in found] == [
        ("task", "2030-06-02", "09:00")]
    assert task["ID"]
    note = pl.create("Notes", {"NOTE": "Pipeliner note", "OWNER_ID": tenant.company.user_id})
    [via_pd] = [n for n in data(pd.get("/v1/notes")) if n["content"] == "Pipeliner note"]
    assert via_pd["user_id"] == tenant.company.user_id and note["ID"]
