"""Custom fields: definitions through *Fields (v1 and v2), values in v1 and v2 form,
and filtering/sorting through the query engine."""

from __future__ import annotations

import re

from tests.conftest import Pipedrive


def test_field_lifecycle_v1(pd: Pipedrive) -> None:
    created = pd.post("/v1/dealFields", json={"name": "Source", "field_type": "enum",
                                              "options": [{"label": "Web"}, {"label": "Ad"}]})
    field = created.json()["data"]
    assert re.fullmatch(r"[0-9a-f]{40}", field["key"]) and field["edit_flag"] is True
    assert [o["label"] for o in field["options"]] == ["Web", "Ad"]
    keys = [f["key"] for f in pd.get("/v1/dealFields?limit=500").json()["data"]]
    assert "title" in keys and field["key"] in keys
    renamed = pd.put(f"/v1/dealFields/{field['id']}", json={"name": "Lead source"}).json()["data"]
    assert renamed["name"] == "Lead source" and renamed["key"] == field["key"]
    assert pd.get(f"/v1/dealFields/{field['id']}").json()["data"]["name"] == "Lead source"
    assert pd.delete(f"/v1/dealFields/{field['id']}").json()["data"] == {"id": field["id"]}
    assert pd.get(f"/v1/dealFields/{field['id']}").status_code == 404
    deal = pd.post("/v1/deals", json={"title": "x"}).json()["data"]
    assert field["key"] not in deal


def test_field_lifecycle_v2_with_options(pd: Pipedrive) -> None:
    field = pd.post("/api/v2/personFields", json={"field_name": "Tier", "field_type": "set",
                                                  "options": [{"label": "Gold"}]}).json()["data"]
    code = field["field_code"]
    added = pd.post(f"/api/v2/personFields/{code}/options",
                    json=[{"label": "Silver"}, {"label": "Bronze"}]).json()["data"]
    assert [o["label"] for o in added] == ["Silver", "Bronze"]
    pd.patch(f"/api/v2/personFields/{code}/options", json=[{"id": added[0]["id"],
                                                            "label": "Platinum"}])
    pd.delete(f"/api/v2/personFields/{code}/options", json=[{"id": added[1]["id"]}])
    got = pd.get(f"/api/v2/personFields/{code}?include_fields=ui_visibility").json()["data"]
    assert [o["label"] for o in got["options"]] == ["Gold", "Platinum"]
    assert "ui_visibility" in got
    assert pd.patch(f"/api/v2/personFields/{code}", json={"field_name": "Level"}).json()[
        "data"]["field_name"] == "Level"
    assert pd.delete(f"/api/v2/personFields/{code}").json()["data"]["field_code"] == code
    assert pd.get(f"/api/v2/personFields/{code}").status_code == 404


def test_values_round_trip_between_v1_and_v2(pd: Pipedrive) -> None:
    def make(name: str, kind: str, **extra: object) -> str:
        body = {"name": name, "field_type": kind, **extra}
        return str(pd.post("/v1/dealFields", json=body).json()["data"]["key"])

    money = make("Budget", "monetary")
    choice = make("Channel", "enum", options=[{"label": "A"}, {"label": "B"}])
    many = make("Tags", "set", options=[{"label": "x"}, {"label": "y"}, {"label": "z"}])
    when = make("Renewal", "date")
    text = make("Notes", "varchar")
    v1 = pd.post("/v1/deals", json={"title": "cf", money: "120.5", f"{money}_currency": "EUR",
                                    choice: "2", many: "1,3", when: "2027-01-31",
                                    text: "hello"}).json()["data"]
    assert (v1[money], v1[f"{money}_currency"], v1[choice], v1[many], v1[when], v1[text]) == (
        120.5, "EUR", "2", "1,3", "2027-01-31", "hello")
    v2 = pd.get(f"/api/v2/deals/{v1['id']}?include_option_labels=true").json()["data"]
    cf = v2["custom_fields"]
    assert cf[money] == {"value": 120.5, "currency": "EUR"}
    assert cf[choice] == {"id": 2, "label": "B"}
    assert cf[many] == [{"id": 1, "label": "x"}, {"id": 3, "label": "z"}]
    assert cf[when] == "2027-01-31" and cf[text] == "hello"
    pd.patch(f"/api/v2/deals/{v1['id']}", json={"custom_fields": {
        money: {"value": 99, "currency": "USD"}, many: [2], text: None}})
    back = pd.get(f"/v1/deals/{v1['id']}").json()["data"]
    assert (back[money], back[f"{money}_currency"], back[many], back[text]) == (
        99, "USD", "2", None)
    only = pd.get(f"/api/v2/deals/{v1['id']}?custom_fields={money}").json()["data"]
    assert set(only["custom_fields"]) == {money}


def test_filter_and_sort_by_custom_field(pd: Pipedrive) -> None:
    key = pd.post("/api/v2/dealFields", json={"field_name": "Score", "field_type": "double"}
                  ).json()["data"]["field_code"]
    made = {}
    for score in (5, None, 1, 3):
        body = {"title": f"s{score}", "custom_fields": {key: score}}
        made[score] = pd.post("/api/v2/deals", json=body).json()["data"]["id"]
    asc = [d["id"] for d in pd.get(f"/v1/deals?sort={key} ASC").json()["data"]]
    assert asc == [made[None], made[1], made[3], made[5]]
    desc = [d["id"] for d in pd.get(f"/v1/deals?sort={key} DESC").json()["data"]]
    assert desc == [made[5], made[3], made[1], made[None]]
