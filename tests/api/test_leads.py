"""Leads (UUID ids, labels, archive, conversion to and from deals), lead labels, sources and
fields, note comments and deal discounts through Pipedrive; every response is checked
against the vendored spec by the ``Pipedrive`` client."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.answers import data, refused
from tests.conftest import Pipedrive, Tenant


@pytest.fixture
def person(pd: Pipedrive) -> dict[str, Any]:
    made: dict[str, Any] = data(pd.post("/v1/persons", json={"name": "Milton Waddams"}), 201)
    return made


@pytest.fixture
def label(pd: Pipedrive) -> dict[str, Any]:
    made: dict[str, Any] = data(pd.post("/v1/leadLabels", json={"name": "Hot", "color": "red"}))
    return made


def test_v1_lead_lifecycle(pd: Pipedrive, person: dict[str, Any], label: dict[str, Any]) -> None:
    field = data(pd.post("/v1/dealFields", json={"name": "Budget code", "field_type": "varchar"}))
    made = data(pd.post("/v1/leads", json={
        "title": "Red stapler", "person_id": person["id"], "label_ids": [label["id"]],
        "value": {"amount": 300, "currency": "eur"}, "expected_close_date": "2030-01-31",
        "visible_to": "3", "origin_id": "crm-sync", field["key"]: "B-7"}), 201)
    assert str(uuid.UUID(made["id"])) == made["id"]
    assert (made["title"], made["person_id"], made["label_ids"]) == (
        "Red stapler", person["id"], [label["id"]])
    assert made["value"] == {"amount": 300.0, "currency": "EUR"}
    assert (made["source_name"], made["origin"], made["origin_id"]) == ("API", "API", "crm-sync")
    assert made["is_archived"] is False and made["was_seen"] is False
    assert made["owner_id"] == made["creator_id"] == data(pd.get("/v1/users/me"))["id"]
    assert made[field["key"]] == "B-7" and "organization_id" not in made
    assert data(pd.get(f"/v1/leads/{made['id']}")) == made
    assert data(pd.get(f"/v1/leads/{made['id'].upper()}"))["id"] == made["id"]

    changed = data(pd.patch(f"/v1/leads/{made['id']}", json={
        "title": "Red Swingline stapler", "value": None, "label_ids": [], "was_seen": True}))
    assert changed["title"] == "Red Swingline stapler" and "value" not in changed
    assert changed["label_ids"] == [] and changed["was_seen"] is True

    assert [lead["id"] for lead in data(pd.get("/v1/leads"))] == [made["id"]]
    assert data(pd.get("/v1/leads/archived")) == []
    data(pd.patch(f"/v1/leads/{made['id']}", json={"is_archived": True}))
    assert data(pd.get("/v1/leads")) == []
    archived = pd.get("/v1/leads/archived?limit=1").json()
    assert [lead["id"] for lead in archived["data"]] == [made["id"]]
    assert archived["additional_data"] == {"start": 0, "limit": 1,
                                           "more_items_in_collection": False}
    assert data(pd.delete(f"/v1/leads/{made['id']}")) == {"id": made["id"]}
    refused(pd.get(f"/v1/leads/{made['id']}"), 404)


def test_lead_lists_filter_and_sort(pd: Pipedrive, person: dict[str, Any]) -> None:
    org = data(pd.post("/v1/organizations", json={"name": "Initech"}), 201)
    first = data(pd.post("/v1/leads", json={"title": "B", "person_id": person["id"]}), 201)
    second = data(pd.post("/v1/leads", json={"title": "A", "organization_id": org["id"]}), 201)
    assert [x["id"] for x in data(pd.get("/v1/leads"))] == [first["id"], second["id"]]
    assert [x["id"] for x in data(pd.get("/v1/leads?sort=title ASC"))] == [second["id"],
                                                                          first["id"]]
    assert [x["id"] for x in data(pd.get(f"/v1/leads?organization_id={org['id']}"))] == [
        second["id"]]
    assert [x["id"] for x in data(pd.get(f"/v1/leads?person_id={person['id']}"))] == [
        first["id"]]
    refused(pd.get("/v1/leads?sort=nope ASC"))


def test_lead_input_is_checked(pd: Pipedrive, person: dict[str, Any]) -> None:
    refused(pd.post("/v1/leads", json={"title": "Alone"}))  # neither person nor organization
    refused(pd.post("/v1/leads", json={"title": "x", "person_id": person["id"],
                                       "value": {"amount": "lots", "currency": "EUR"}}))
    refused(pd.post("/v1/leads", json={"title": "x", "person_id": person["id"],
                                       "value": 300}))
    refused(pd.post("/v1/leads", json={"title": "x", "person_id": person["id"],
                                       "label_ids": [str(uuid.uuid4())]}))
    refused(pd.post("/v1/leads", json={"title": "x", "person_id": person["id"],
                                       "label_ids": "hot"}))
    refused(pd.post("/v1/leads", json={"title": "x", "person_id": person["id"],
                                       "no_such_key": 1}))
    # v1 passes over read-only keys (clients echo whole objects back)
    made = data(pd.post("/v1/leads", json={"title": "x", "person_id": person["id"],
                                           "source_name": "Import"}), 201)
    assert made["source_name"] == "API"
    refused(pd.patch(f"/v1/leads/{made['id']}", json={"person_id": None}))
    for wrong in (str(uuid.uuid4()), "not-a-uuid", "1", "%E2%91%A0"):
        refused(pd.get(f"/v1/leads/{wrong}"), 404)
        refused(pd.patch(f"/v1/leads/{wrong}", json={"title": "y"}), 404)
        refused(pd.delete(f"/v1/leads/{wrong}"), 404)
    assert data(pd.get(f"/v1/leads/{made['id']}"))["title"] == "x"


def test_lead_labels_sources_and_fields(pd: Pipedrive, label: dict[str, Any]) -> None:
    assert (label["name"], label["color"]) == ("Hot", "red") and uuid.UUID(label["id"])
    changed = data(pd.patch(f"/v1/leadLabels/{label['id']}", json={"color": "blue"}))
    assert changed["color"] == "blue" and changed["name"] == "Hot"
    refused(pd.patch(f"/v1/leadLabels/{label['id']}", json={"color": "chartreuse"}))
    refused(pd.post("/v1/leadLabels", json={"name": "No colour"}))
    assert [x["id"] for x in data(pd.get("/v1/leadLabels"))] == [label["id"]]
    assert data(pd.delete(f"/v1/leadLabels/{label['id']}")) == {"id": label["id"]}
    assert data(pd.get("/v1/leadLabels")) == []
    refused(pd.delete(f"/v1/leadLabels/{label['id']}"), 404)
    assert {"name": "API"} in data(pd.get("/v1/leadSources"))
    field = data(pd.post("/v1/dealFields", json={"name": "Region", "field_type": "varchar"}))
    page = pd.get("/v1/leadFields?limit=2").json()
    assert page["additional_data"] == {"start": 0, "limit": 2, "more_items_in_collection": True,
                                       "next_start": 2}
    keys = {f["key"] for f in data(pd.get("/v1/leadFields"))}
    assert {"title", "label_ids", "person_id", "value", field["key"]} <= keys


def test_activities_and_notes_of_a_lead(pd: Pipedrive, person: dict[str, Any]) -> None:
    lead = data(pd.post("/v1/leads", json={"title": "L", "person_id": person["id"]}), 201)
    activity = data(pd.post("/v1/activities", json={"subject": "Call", "lead_id": lead["id"]}),
                    201)
    assert activity["lead_id"] == lead["id"]
    v2 = data(pd.post("/api/v2/activities", json={"subject": "Meet", "lead_id": lead["id"]}))
    assert v2["lead_id"] == lead["id"]
    note = data(pd.post("/v1/notes", json={"content": "Likes staplers", "lead_id": lead["id"]}))
    assert note["lead_id"] == lead["id"]
    assert [n["id"] for n in data(pd.get(f"/v1/notes?lead_id={lead['id']}"))] == [note["id"]]
    assert data(pd.get(f"/v1/notes?lead_id={uuid.uuid4()}")) == []
    assert data(pd.get("/v1/notes?lead_id=12")) == []  # (a string id, but nobody's)
    refused(pd.get("/v1/notes?lead_id=%00"))
    refused(pd.post("/v1/notes", json={"content": "x", "lead_id": str(uuid.uuid4())}))
    refused(pd.post("/v1/activities", json={"subject": "x", "lead_id": 12}))


def test_lead_to_deal_and_back(pd: Pipedrive, person: dict[str, Any]) -> None:
    field = data(pd.post("/v1/dealFields", json={"name": "Budget code", "field_type": "varchar"}))
    stages = data(pd.get("/v1/stages"))
    lead = data(pd.post("/v1/leads", json={
        "title": "Stapler deal", "person_id": person["id"], field["key"]: "B-9",
        "value": {"amount": 120, "currency": "USD"}}), 201)
    activity = data(pd.post("/v1/activities", json={"subject": "Call", "lead_id": lead["id"]}),
                    201)
    note = data(pd.post("/v1/notes", json={"content": "n", "lead_id": lead["id"]}))
    started = data(pd.post(f"/api/v2/leads/{lead['id']}/convert/deal",
                           json={"stage_id": stages[1]["id"]}))
    status = data(pd.get(f"/api/v2/leads/{lead['id']}/convert/status/"
                         f"{started['conversion_id']}"))
    assert status["status"] == "completed" and status["lead_id"] == lead["id"]
    deal = data(pd.get(f"/v1/deals/{status['deal_id']}"))
    assert (deal["title"], deal["value"], deal["currency"], deal["stage_id"]) == (
        "Stapler deal", 120, "USD", stages[1]["id"])
    assert deal[field["key"]] == "B-9" and deal["person_id"]["value"] == person["id"]
    moved = data(pd.get(f"/v1/activities/{activity['id']}"))
    assert moved["deal_id"] == deal["id"] and "lead_id" not in moved
    assert data(pd.get(f"/v1/notes/{note['id']}"))["deal_id"] == deal["id"]
    assert deal["activities_count"] == 1 and deal["notes_count"] == 1
    refused(pd.get(f"/v1/leads/{lead['id']}"), 404)
    refused(pd.post(f"/api/v2/leads/{lead['id']}/convert/deal"), 404)

    back = data(pd.post(f"/api/v2/deals/{deal['id']}/convert/lead"))
    status = data(pd.get(f"/api/v2/deals/{deal['id']}/convert/status/{back['conversion_id']}"))
    assert status["deal_id"] == deal["id"] and status["status"] == "completed"
    again = data(pd.get(f"/v1/leads/{status['lead_id']}"))
    assert again["title"] == "Stapler deal" and again[field["key"]] == "B-9"
    assert data(pd.get(f"/v1/activities/{activity['id']}"))["lead_id"] == again["id"]
    assert data(pd.get(f"/v1/deals/{deal['id']}"))["status"] == "deleted"
    refused(pd.get(f"/api/v2/deals/{deal['id']}/convert/status/{started['conversion_id']}"), 404)
    refused(pd.get(f"/api/v2/deals/{deal['id']}/convert/status/{uuid.uuid4()}"), 404)
    refused(pd.post(f"/api/v2/leads/{again['id']}/convert/deal", json={"stage_id": "two"}))
    refused(pd.post(f"/api/v2/leads/{again['id']}/convert/deal", json={"stage": 1}))
    refused(pd.post(f"/api/v2/leads/{again['id']}/convert/deal", json={"stage_id": 10**9}))
    assert data(pd.get(f"/v1/leads/{again['id']}"))["id"] == again["id"]  # (unchanged)


def test_note_comments(pd: Pipedrive) -> None:
    note = data(pd.post("/v1/notes", json={"content": "Hello"}))
    comment = data(pd.post(f"/v1/notes/{note['id']}/comments", json={"content": "<b>Hi</b>"}))
    assert (comment["content"], comment["object_id"], comment["object_type"]) == (
        "<b>Hi</b>", str(note["id"]), "note")
    assert comment["user_id"] == comment["updater_id"] and comment["active_flag"] is True
    one = f"/v1/notes/{note['id']}/comments/{comment['uuid']}"
    assert data(pd.get(one)) == comment
    changed = data(pd.put(one, json={"content": "Hi again"}))
    assert changed["content"] == "Hi again"
    listed = pd.get(f"/v1/notes/{note['id']}/comments").json()
    assert [c["uuid"] for c in listed["data"]] == [comment["uuid"]]
    refused(pd.post(f"/v1/notes/{note['id']}/comments", json={}))
    refused(pd.post(f"/v1/notes/{note['id']}/comments", json={"content": "x", "extra": 1}))
    other = data(pd.post("/v1/notes", json={"content": "Other"}))
    refused(pd.get(f"/v1/notes/{other['id']}/comments/{comment['uuid']}"), 404)
    assert data(pd.delete(one)) is True
    refused(pd.get(one), 404)
    assert data(pd.get(f"/v1/notes/{note['id']}/comments")) == []


def test_deal_discounts(pd: Pipedrive) -> None:
    deal = data(pd.post("/api/v2/deals", json={"title": "Discounted", "value": 1000}))
    made = data(pd.post(f"/api/v2/deals/{deal['id']}/discounts", json={
        "description": "Loyalty", "amount": 10, "type": "percentage"}), 201)
    assert (made["description"], made["amount"], made["type"], made["deal_id"]) == (
        "Loyalty", 10.0, "percentage", deal["id"])
    assert made["created_by"] == made["updated_by"] and isinstance(made["id"], str)
    path = f"/api/v2/deals/{deal['id']}/discounts/{made['id']}"
    assert data(pd.patch(path, json={"amount": 15}))["amount"] == 15.0
    refused(pd.patch(path, json={"amount": 150}))  # a percentage is at most 100
    refused(pd.post(f"/api/v2/deals/{deal['id']}/discounts", json={
        "description": "x", "amount": 0, "type": "amount"}))
    refused(pd.post(f"/api/v2/deals/{deal['id']}/discounts", json={
        "description": "x", "amount": 5, "type": "bogus"}))
    assert [d["id"] for d in data(pd.get(f"/api/v2/deals/{deal['id']}/discounts"))] == [
        made["id"]]
    assert data(pd.delete(path)) == {"id": int(made["id"])}
    assert data(pd.get(f"/api/v2/deals/{deal['id']}/discounts")) == []


def test_another_companys_leads_are_not_there(pd: Pipedrive, other: Tenant,
                                              person: dict[str, Any],
                                              label: dict[str, Any]) -> None:
    lead = data(pd.post("/v1/leads", json={"title": "Mine", "person_id": person["id"]}), 201)
    theirs = other.api
    refused(theirs.get(f"/v1/leads/{lead['id']}"), 404)
    refused(theirs.patch(f"/v1/leads/{lead['id']}", json={"title": "Theirs"}), 404)
    refused(theirs.delete(f"/v1/leads/{lead['id']}"), 404)
    refused(theirs.patch(f"/v1/leadLabels/{label['id']}", json={"name": "x"}), 404)
    refused(theirs.post(f"/api/v2/leads/{lead['id']}/convert/deal"), 404)
    assert data(theirs.get("/v1/leads")) == [] and data(theirs.get("/v1/leadLabels")) == []
    their_person = data(theirs.post("/v1/persons", json={"name": "Bob"}), 201)
    refused(theirs.post("/v1/leads", json={"title": "x", "person_id": their_person["id"],
                                           "label_ids": [label["id"]]}))
    refused(theirs.post("/v1/notes", json={"content": "x", "lead_id": lead["id"]}))
    assert data(pd.get(f"/v1/leads/{lead['id']}"))["title"] == "Mine"
