"""CRUD through both Pipedrive versions, declared once per resource and looped."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Pipedrive, Tenant

# resource, v1 create body, v1 update body, v2 create body, v2 update body, (key, expected)
RESOURCES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any],
                      tuple[str, Any]]] = [
    ("deals", {"title": "Big deal", "value": "1500"}, {"title": "Bigger deal"},
     {"title": "Big deal", "value": 1500}, {"title": "Bigger deal"}, ("title", "Bigger deal")),
    ("persons", {"name": "Ada Lovelace", "email": "ada@example.com"}, {"name": "Ada L."},
     {"name": "Ada Lovelace", "emails": [{"value": "ada@example.com", "primary": True}]},
     {"name": "Ada L."}, ("name", "Ada L.")),
    ("organizations", {"name": "Analytical Engines"}, {"name": "AE Ltd"},
     {"name": "Analytical Engines"}, {"name": "AE Ltd"}, ("name", "AE Ltd")),
    ("pipelines", {"name": "Renewals"}, {"name": "Renewals 2"}, {"name": "Renewals"},
     {"name": "Renewals 2"}, ("name", "Renewals 2")),
]


@pytest.mark.parametrize(("path", "c1", "u1", "c2", "u2", "expect"), RESOURCES,
                         ids=[r[0] for r in RESOURCES])
def test_v1_create_get_update_delete(pd: Pipedrive, path: str, c1: dict[str, Any],
                                     u1: dict[str, Any], c2: dict[str, Any], u2: dict[str, Any],
                                     expect: tuple[str, Any]) -> None:
    created = pd.post(f"/v1/{path}", json=c1)
    assert created.status_code in (200, 201)
    item = created.json()["data"]
    got = pd.get(f"/api/v1/{path}/{item['id']}").json()["data"]
    assert got["id"] == item["id"]
    updated = pd.put(f"/v1/{path}/{item['id']}", json=u1).json()["data"]
    assert updated[expect[0]] == expect[1]
    assert pd.delete(f"/v1/{path}/{item['id']}").json()["data"] == {"id": item["id"]}
    after = pd.get(f"/v1/{path}/{item['id']}").json()["data"]
    flag = {"deals": "deleted", "pipelines": "active"}.get(path, "active_flag")
    assert after[flag] is (path == "deals")
    assert after["update_time"] >= got["update_time"]
    assert item["id"] not in [d["id"] for d in pd.get(f"/v1/{path}").json()["data"]]


@pytest.mark.parametrize(("path", "c1", "u1", "c2", "u2", "expect"), RESOURCES,
                         ids=[r[0] for r in RESOURCES])
def test_v2_create_get_patch_delete(pd: Pipedrive, path: str, c1: dict[str, Any],
                                    u1: dict[str, Any], c2: dict[str, Any], u2: dict[str, Any],
                                    expect: tuple[str, Any]) -> None:
    item = pd.post(f"/api/v2/{path}", json=c2).json()["data"]
    assert pd.get(f"/api/v2/{path}/{item['id']}").json()["data"]["id"] == item["id"]
    patched = pd.patch(f"/api/v2/{path}/{item['id']}", json=u2).json()["data"]
    assert patched[expect[0]] == expect[1]
    assert pd.delete(f"/api/v2/{path}/{item['id']}").json()["data"] == {"id": item["id"]}
    after = pd.get(f"/api/v2/{path}/{item['id']}").json()["data"]
    assert after["is_deleted"] is True
    assert after["update_time"] >= patched["update_time"]


def test_status_codes_follow_the_spec(pd: Pipedrive) -> None:
    assert pd.post("/v1/deals", json={"title": "x"}).status_code == 201
    assert pd.post("/v1/pipelines", json={"name": "x"}).status_code == 200
    assert pd.post("/api/v2/deals", json={"title": "x"}).status_code == 200


def test_stages_crud_and_order(pd: Pipedrive) -> None:
    pipeline = pd.post("/v1/pipelines", json={"name": "P"}).json()["data"]
    first = pd.post("/v1/stages", json={"name": "One", "pipeline_id": pipeline["id"]}).json()["data"]
    second = pd.post("/api/v2/stages", json={"name": "Two", "pipeline_id": pipeline["id"],
                                             "days_to_rotten": 5}).json()["data"]
    assert (first["order_nr"], second["order_nr"]) == (1, 2)
    assert second["days_to_rotten"] == 5 and second["is_deal_rot_enabled"] is False
    listed = pd.get(f"/v1/stages?pipeline_id={pipeline['id']}").json()["data"]
    assert [s["name"] for s in listed] == ["One", "Two"]
    assert listed[0]["pipeline_name"] == "P"
    updated = pd.put(f"/v1/stages/{first['id']}", json={"name": "Uno", "rotten_flag": 1,
                                                        "rotten_days": 3}).json()["data"]
    assert (updated["name"], updated["rotten_flag"], updated["rotten_days"]) == ("Uno", True, 3)
    deleted = pd.delete(f"/v1/stages?ids={first['id']},{second['id']}").json()["data"]
    assert deleted == {"id": [first["id"], second["id"]]}
    assert pd.get(f"/v1/stages?pipeline_id={pipeline['id']}").json()["data"] == []


def test_deal_defaults_and_relations(pd: Pipedrive, tenant: Tenant) -> None:
    org = pd.post("/v1/organizations", json={"name": "Initech"}).json()["data"]
    person = pd.post("/v1/persons", json={"name": "Peter", "org_id": org["id"],
                                          "phone": "555-1234"}).json()["data"]
    deal = pd.post("/v1/deals", json={"title": "TPS", "person_id": person["id"],
                                      "org_id": org["id"], "value": 10,
                                      "currency": "EUR"}).json()["data"]
    stages = pd.get("/v1/stages").json()["data"]
    assert deal["stage_id"] == stages[0]["id"] and deal["pipeline_id"] == stages[0]["pipeline_id"]
    assert deal["status"] == "open" and deal["active"] is True and deal["deleted"] is False
    assert deal["user_id"]["id"] == tenant.company.user_id
    assert deal["user_id"]["value"] == tenant.company.user_id
    assert deal["person_id"]["value"] == person["id"] and deal["person_name"] == "Peter"
    assert deal["person_id"]["phone"][0] == {"value": "555-1234", "primary": True, "label": "work"}
    assert deal["org_id"]["value"] == org["id"] and deal["org_id"]["people_count"] == 1
    assert deal["formatted_value"] == "€10"
    listed = pd.get("/v1/deals").json()
    related = listed["related_objects"]
    assert set(related) >= {"user", "person", "organization", "stage", "pipeline"}
    assert related["person"][str(person["id"])]["name"] == "Peter"
    v2 = pd.get(f"/api/v2/deals/{deal['id']}").json()["data"]
    assert (v2["person_id"], v2["org_id"], v2["owner_id"]) == (
        person["id"], org["id"], tenant.company.user_id)
    assert v2["add_time"].endswith("Z") and "T" in v2["add_time"]
    assert len(deal["add_time"]) == 19 and deal["add_time"][10] == " "


def test_status_changes_stamp_times(pd: Pipedrive) -> None:
    deal = pd.post("/api/v2/deals", json={"title": "Win me"}).json()["data"]
    won = pd.patch(f"/api/v2/deals/{deal['id']}", json={"status": "won"}).json()["data"]
    assert won["status"] == "won" and won["won_time"] and won["close_time"]
    lost = pd.put(f"/v1/deals/{deal['id']}", json={"status": "lost",
                                                   "lost_reason": "price"}).json()["data"]
    assert lost["status"] == "lost" and lost["lost_time"] and "won_time" not in lost
    assert lost["first_won_time"] == won["won_time"].replace("T", " ").rstrip("Z")
    reopened = pd.patch(f"/api/v2/deals/{deal['id']}", json={"status": "open"}).json()["data"]
    assert reopened["close_time"] is None and reopened["lost_reason"] is None


def test_moving_a_deal_between_pipelines(pd: Pipedrive) -> None:
    pipeline = pd.post("/api/v2/pipelines", json={"name": "Second"}).json()["data"]
    stage = pd.post("/api/v2/stages", json={"name": "S1", "pipeline_id": pipeline["id"]}).json()["data"]
    deal = pd.post("/v1/deals", json={"title": "Mover"}).json()["data"]
    moved = pd.patch(f"/api/v2/deals/{deal['id']}",
                     json={"pipeline_id": pipeline["id"]}).json()["data"]
    assert (moved["pipeline_id"], moved["stage_id"]) == (pipeline["id"], stage["id"])
    assert moved["stage_change_time"]
    created = pd.post("/v1/deals", json={"title": "Direct", "stage_id": stage["id"]}).json()["data"]
    assert created["pipeline_id"] == pipeline["id"]


def test_bulk_delete_is_all_or_nothing(pd: Pipedrive) -> None:
    a = pd.post("/v1/deals", json={"title": "a"}).json()["data"]["id"]
    b = pd.post("/v1/deals", json={"title": "b"}).json()["data"]["id"]
    assert pd.delete(f"/v1/deals?ids={a},{b},999999999").status_code == 404
    assert pd.get(f"/v1/deals/{a}").json()["data"]["deleted"] is False
    assert pd.delete(f"/v1/deals?ids={a},{b}").json()["data"] == {"id": [a, b]}
    assert pd.get("/v1/deals?status=deleted").json()["data"][0]["id"] in (a, b)


def test_users(pd: Pipedrive, tenant: Tenant) -> None:
    me = pd.get("/v1/users/me").json()["data"]
    assert me["id"] == tenant.company.user_id and me["is_you"] is True
    assert me["company_id"] == tenant.company.company_id and me["company_name"] == "Acme"
    new = pd.post("/v1/users", json={"email": "sam@acme.example"}).json()["data"]
    assert new["email"] == "sam@acme.example" and new["is_you"] is False
    assert {u["id"] for u in pd.get("/v1/users").json()["data"]} == {me["id"], new["id"]}
    assert pd.get(f"/v1/users/{new['id']}").json()["data"]["name"] == "sam"
    found = pd.get("/v1/users/find?term=sam").json()["data"]
    assert [u["id"] for u in found] == [new["id"]]
    off = pd.put(f"/v1/users/{new['id']}", json={"active_flag": False}).json()["data"]
    assert off["active_flag"] is False
