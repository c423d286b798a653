"""v1's collection lists, merges, duplicates and a deal's participants and persons."""

from __future__ import annotations

from tests.api.answers import data, refused
from tests.conftest import Pipedrive


def test_collections_page_by_cursor(pd: Pipedrive) -> None:
    ids = [data(pd.post("/v1/deals", json={"title": f"D{i}"}), 201)["id"] for i in range(5)]
    first = pd.get("/v1/deals/collection?limit=2").json()
    assert [d["id"] for d in first["data"]] == ids[:2]
    cursor = first["additional_data"]["next_cursor"]
    second = pd.get(f"/v1/deals/collection?limit=2&cursor={cursor}").json()
    assert [d["id"] for d in second["data"]] == ids[2:4]
    last = pd.get(f"/v1/deals/collection?limit=2&cursor={second['additional_data']['next_cursor']}")
    assert [d["id"] for d in last.json()["data"]] == ids[4:]
    assert last.json()["additional_data"]["next_cursor"] is None
    assert [d["id"] for d in data(pd.get("/v1/deals/collection?since=2000-01-01 00:00:00"))] == ids
    assert data(pd.get("/v1/deals/collection?until=2000-01-01 00:00:00")) == []
    refused(pd.get("/v1/deals/collection?cursor=nope"))
    activity = data(pd.post("/v1/activities", json={"subject": "x", "done": 1}), 201)
    assert [a["id"] for a in data(pd.get("/v1/activities/collection?done=true"))] == [activity["id"]]
    assert data(pd.get("/v1/persons/collection")) == []


def test_deal_merge_moves_everything_and_deletes_the_source(pd: Pipedrive) -> None:
    a = data(pd.post("/v1/deals", json={"title": "A"}), 201)
    b = data(pd.post("/v1/deals", json={"title": "B"}), 201)
    data(pd.post("/v1/activities", json={"subject": "on A", "deal_id": a["id"]}), 201)
    data(pd.post("/v1/notes", json={"content": "on A", "deal_id": a["id"]}))
    merged = data(pd.put(f"/v1/deals/{a['id']}/merge", json={"merge_with_id": b["id"]}))
    assert (merged["id"], merged["merge_what_id"], merged["activities_count"],
            merged["notes_count"]) == (b["id"], a["id"], 1, 1)
    assert data(pd.get(f"/v1/deals/{a['id']}"))["deleted"] is True
    refused(pd.put(f"/v1/deals/{a['id']}/merge", json={"merge_with_id": b["id"]}), 404)
    refused(pd.put(f"/v1/deals/{b['id']}/merge", json={"merge_with_id": b["id"]}))
    refused(pd.put(f"/v1/deals/{b['id']}/merge", json={"merge_with_id": "x"}))


def test_person_merge_keeps_both_contact_points(pd: Pipedrive) -> None:
    a = data(pd.post("/v1/persons", json={"name": "Ann", "email": "ann@x.example"}), 201)
    b = data(pd.post("/v1/persons", json={"name": "Ann B", "email": "annb@x.example"}), 201)
    deal = data(pd.post("/v1/deals", json={"title": "T", "person_id": a["id"]}), 201)
    merged = data(pd.put(f"/v1/persons/{a['id']}/merge", json={"merge_with_id": b["id"]}))
    assert [e["value"] for e in merged["email"]] == ["annb@x.example", "ann@x.example"]
    assert data(pd.get(f"/v1/deals/{deal['id']}"))["person_id"]["value"] == b["id"]
    assert merged["open_deals_count"] == 1


def test_deal_duplicate_and_participants(pd: Pipedrive) -> None:
    p1 = data(pd.post("/v1/persons", json={"name": "One"}), 201)["id"]
    p2 = data(pd.post("/v1/persons", json={"name": "Two"}), 201)["id"]
    deal = data(pd.post("/v1/deals", json={"title": "Team", "value": 5}), 201)
    copy = data(pd.post(f"/v1/deals/{deal['id']}/duplicate"))
    assert copy["id"] != deal["id"] and (copy["title"], copy["value"]) == ("Team", 5)
    added = data(pd.post(f"/v1/deals/{deal['id']}/participants", json={"person_id": p1}))
    assert added["id"] == p1
    data(pd.post(f"/v1/deals/{deal['id']}/participants", json={"person_id": p2}))
    refused(pd.post(f"/v1/deals/{deal['id']}/participants", json={"person_id": p2}))
    listed = [p["id"] for p in data(pd.get(f"/v1/deals/{deal['id']}/participants"))]
    assert listed == [p1, p2] == [p["id"] for p in data(pd.get(f"/v1/deals/{deal['id']}/persons"))]
    assert data(pd.get(f"/v1/deals/{deal['id']}"))["participants_count"] == 2
    assert data(pd.delete(f"/v1/deals/{deal['id']}/participants/{p1}")) == {"id": p1}
    assert data(pd.get(f"/v1/deals/{deal['id']}"))["person_id"]["value"] == p2
    refused(pd.delete(f"/v1/deals/{deal['id']}/participants/{p1}"), 404)
