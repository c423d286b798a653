"""List endpoints: filters, sorts, pagination (v1 offsets, v2 cursors), selectors."""

from __future__ import annotations

import pytest

from tests.conftest import Pipedrive, Tenant


@pytest.fixture
def deals(pd: Pipedrive) -> list[dict]:
    stages = pd.get("/v1/stages").json()["data"]
    out = []
    for n in range(7):
        out.append(pd.post("/v1/deals", json={
            "title": f"Deal {n % 3}", "value": n * 10, "stage_id": stages[n % 2]["id"],
        }).json()["data"])
    pd.put(f"/v1/deals/{out[0]['id']}", json={"status": "won"})
    pd.put(f"/v1/deals/{out[1]['id']}", json={"status": "lost"})
    pd.delete(f"/v1/deals/{out[2]['id']}")
    return out


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    return [d["id"] for d in response.json()["data"]]


def test_v1_pages_walk_with_next_start(pd: Pipedrive, deals: list[dict]) -> None:
    seen, start = [], 0
    while True:
        body = pd.get(f"/v1/deals?limit=2&start={start}").json()
        seen += [d["id"] for d in body["data"]]
        page = body["additional_data"]["pagination"]
        if not page["more_items_in_collection"]:
            assert "next_start" not in page
            break
        start = page["next_start"]
    assert seen == sorted(d["id"] for d in deals if d["id"] != deals[2]["id"])


def test_v2_cursor_walk_and_null_at_end(pd: Pipedrive, deals: list[dict]) -> None:
    seen, cursor = [], ""
    while True:
        body = pd.get(f"/api/v2/deals?limit=3&sort_by=update_time&sort_direction=desc"
                      f"{'&cursor=' + cursor if cursor else ''}").json()
        seen += [d["id"] for d in body["data"]]
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            break
    full = ids(pd.get("/api/v2/deals?limit=500&sort_by=update_time&sort_direction=desc"))
    assert seen == full and len(full) == 6


@pytest.mark.parametrize(("query", "expected"), [
    ("status=open", lambda d: [x["id"] for x in d[3:]]),
    ("status=won", lambda d: [d[0]["id"]]),
    ("status=won,lost", lambda d: [d[0]["id"], d[1]["id"]]),
    ("status=deleted", lambda d: [d[2]["id"]]),
    ("status=open,deleted", lambda d: [d[2]["id"]] + [x["id"] for x in d[3:]]),
    ("status=all_not_deleted", lambda d: [x["id"] for x in d if x is not d[2]]),
])
def test_v1_status_filter(pd: Pipedrive, deals: list[dict], query: str, expected) -> None:  # type: ignore[no-untyped-def]
    assert ids(pd.get(f"/v1/deals?{query}")) == expected(deals)


def test_v2_filters(pd: Pipedrive, deals: list[dict], tenant: Tenant) -> None:
    stage = deals[3]["stage_id"]
    by_stage = ids(pd.get(f"/api/v2/deals?stage_id={stage}"))
    assert by_stage and all(pd.get(f"/api/v2/deals/{i}").json()["data"]["stage_id"] == stage
                            for i in by_stage)
    assert ids(pd.get(f"/api/v2/deals?ids={deals[4]['id']},{deals[5]['id']}")) == [
        deals[4]["id"], deals[5]["id"]]
    assert len(ids(pd.get(f"/api/v2/deals?owner_id={tenant.company.user_id}"))) == 6
    assert ids(pd.get(f"/api/v2/deals?pipeline_id={deals[3]['pipeline_id']}&status=won")) == [
        deals[0]["id"]]
    since = pd.get(f"/api/v2/deals/{deals[6]['id']}").json()["data"]["update_time"]
    assert deals[6]["id"] in ids(pd.get(f"/api/v2/deals?updated_since={since}"))
    assert deals[6]["id"] not in ids(pd.get(f"/api/v2/deals?updated_until={since}"))


def test_v1_multi_key_sort(pd: Pipedrive, deals: list[dict]) -> None:
    body = pd.get("/v1/deals?sort=title DESC, value ASC&status=all_not_deleted").json()["data"]
    keys = [(d["title"], d["value"]) for d in body]
    assert keys == sorted(keys, key=lambda k: (-ord(k[0][-1]), k[1]))


def test_field_selector_and_include_fields(pd: Pipedrive, deals: list[dict]) -> None:
    body = pd.get("/v1/deals:(id,title,value)?limit=2").json()
    assert [set(d) for d in body["data"]] == [{"id", "title", "value"}] * 2
    one = pd.get(f"/api/v1/deals/{deals[3]['id']}:(id,title)").json()["data"]
    assert one == {"id": deals[3]["id"], "title": deals[3]["title"]}
    plain = pd.get(f"/api/v2/deals/{deals[3]['id']}").json()["data"]
    assert "activities_count" not in plain
    rich = pd.get(f"/api/v2/deals/{deals[3]['id']}?include_fields=activities_count,"
                  "first_won_time").json()["data"]
    assert rich["activities_count"] == 0


def test_stage_and_nested_deal_lists(pd: Pipedrive, deals: list[dict]) -> None:
    stage = deals[3]["stage_id"]
    listed = pd.get(f"/v1/stages/{stage}/deals").json()["data"]
    assert listed and all(d["stage_id"] == stage for d in listed)
    assert all(isinstance(d["user_id"], int) for d in listed)
    org = pd.post("/v1/organizations", json={"name": "O"}).json()["data"]
    person = pd.post("/v1/persons", json={"name": "P", "org_id": org["id"]}).json()["data"]
    deal = pd.post("/v1/deals", json={"title": "T", "person_id": person["id"]}).json()["data"]
    assert ids(pd.get(f"/v1/persons/{person['id']}/deals")) == [deal["id"]]
    assert ids(pd.get(f"/v1/organizations/{org['id']}/persons")) == [person["id"]]
    assert ids(pd.get(f"/v1/pipelines/{deal['pipeline_id']}/deals?everyone=1"))


def test_first_char_and_org_filter(pd: Pipedrive) -> None:
    org = pd.post("/api/v2/organizations", json={"name": "Zeta"}).json()["data"]
    pd.post("/api/v2/persons", json={"name": "Zed", "org_id": org["id"]})
    pd.post("/api/v2/persons", json={"name": "Amy"})
    assert [p["name"] for p in pd.get("/v1/persons?first_char=z").json()["data"]] == ["Zed"]
    assert [p["name"] for p in pd.get(f"/api/v2/persons?org_id={org['id']}").json()["data"]] == [
        "Zed"]
    assert [o["name"] for o in pd.get("/v1/organizations?first_char=Z").json()["data"]] == ["Zeta"]
