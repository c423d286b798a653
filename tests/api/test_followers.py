"""Followers through Pipedrive v1 and v2 (deals, persons, organizations, products, users),
their changelog, ``followers_count``, and permitted users. Every response is checked
against the vendored spec by the ``Pipedrive`` client."""

from __future__ import annotations

from typing import Any

import pytest

from dealbase.api.app import service_of
from tests.api.answers import data, refused
from tests.api.conftest import Clock
from tests.conftest import Pipedrive, Tenant

KINDS = [("deals", {"title": "Deal"}, "deal_id"), ("persons", {"name": "Ann"}, "person_id"),
         ("organizations", {"name": "Org"}, "org_id"), ("products", {"name": "Box"}, "product_id")]


def _make(pd: Pipedrive, path: str, body: dict[str, Any]) -> int:
    return int(data(pd.post(f"/api/v2/{path}", json=body), 201 if path == "products"
                    else 200)["id"])


def _user(pd: Pipedrive, email: str) -> int:
    return int(data(pd.post("/v1/users", json={"email": email}))["id"])


@pytest.mark.parametrize(("path", "body", "key"), KINDS)
def test_follow_list_count_and_unfollow_v1_and_v2(pd: Pipedrive, tenant: Tenant, path: str,
                                                  body: dict[str, Any], key: str) -> None:
    record = _make(pd, path, body)
    me, kim = tenant.company.user_id, _user(pd, "kim@acme.example")
    added = data(pd.post(f"/v1/{path}/{record}/followers", json={"user_id": kim}),
                 201 if path == "products" else 200)
    assert (added["user_id"], added[key]) == (kim, record) and added["add_time"]
    v2 = data(pd.post(f"/api/v2/{path}/{record}/followers", json={"user_id": me}), 201)
    assert v2["user_id"] == me and v2["add_time"].endswith("Z")
    listed = data(pd.get(f"/v1/{path}/{record}/followers"))
    assert [(f["user_id"], f[key]) for f in listed] == [(kim, record), (me, record)]
    assert [f["user_id"] for f in data(pd.get(f"/api/v2/{path}/{record}/followers"))] == [
        kim, me]
    entity = {"deals": "deal", "persons": "person", "organizations": "organization",
              "products": "product"}[path]
    assert tenant.records.get(entity, record)["watcher_ids"] == [kim, me]  # (Pipeliner's WATCHERS)
    if path != "products":
        assert data(pd.get(f"/api/v2/{path}/{record}?include_fields=followers_count"))[
            "followers_count"] == 2
        assert data(pd.get(f"/v1/{path}/{record}"))["followers_count"] == 2
    # Following twice is a conflict; a user of nowhere is refused.
    refused(pd.post(f"/v1/{path}/{record}/followers", json={"user_id": kim}), 409)
    refused(pd.post(f"/api/v2/{path}/{record}/followers", json={"user_id": 99999999}), 400)
    # A follow is named by its user's id, in v1 as in v2.
    assert added["id"] == kim
    assert data(pd.delete(f"/v1/{path}/{record}/followers/{kim}")) == {"id": kim}
    assert data(pd.delete(f"/api/v2/{path}/{record}/followers/{me}")) == {"user_id": me}
    assert data(pd.get(f"/v1/{path}/{record}/followers")) == []
    refused(pd.delete(f"/api/v2/{path}/{record}/followers/{me}"), 404)
    assert tenant.records.get(entity, record)["watcher_ids"] == []


def test_followers_changelog_tells_who_added_and_removed_whom(pd: Pipedrive, tenant: Tenant,
                                                              clock: Clock) -> None:
    deal = data(pd.post("/api/v2/deals", json={"title": "D"}))["id"]
    me, kim, lee = tenant.company.user_id, _user(pd, "kim@acme.example"), \
        _user(pd, "lee@acme.example")
    clock.at(1)
    data(pd.post(f"/api/v2/deals/{deal}/followers", json={"user_id": kim}), 201)
    clock.at(2)
    data(pd.post(f"/api/v2/deals/{deal}/followers", json={"user_id": lee}), 201)
    clock.at(3)
    data(pd.delete(f"/api/v2/deals/{deal}/followers/{kim}"))
    first = pd.get(f"/api/v2/deals/{deal}/followers/changelog?limit=2").json()
    assert [(e["action"], e["follower_user_id"], e["actor_user_id"], e["time"])
            for e in first["data"]] == [("added", kim, me, "2030-01-01T11:00:00Z"),
                                        ("added", lee, me, "2030-01-01T12:00:00Z")]
    rest = pd.get(f"/api/v2/deals/{deal}/followers/changelog?limit=2&cursor="
                  f"{first['additional_data']['next_cursor']}").json()
    assert [(e["action"], e["follower_user_id"]) for e in rest["data"]] == [("removed", kim)]
    assert rest["additional_data"]["next_cursor"] is None
    refused(pd.get(f"/api/v2/deals/{deal}/followers/changelog?cursor=nonsense"), 400)


def test_users_followers_and_who_may_see_them(pd: Pipedrive, tenant: Tenant, app: Any,
                                              http: Any) -> None:
    from tests.api.answers import data as answer

    kim, lee = _user(pd, "kim@acme.example"), _user(pd, "lee@acme.example")
    service = service_of(app)
    tenant.records.update("user", kim, {"watcher_ids": [lee]})
    assert answer(pd.get(f"/v1/users/{kim}/followers")) == [lee]
    assert [f["user_id"] for f in answer(pd.get(f"/api/v2/users/{kim}/followers"))] == [lee]
    as_lee = Pipedrive(http, service.create_token(tenant.company.company_id, lee).token)
    refused(as_lee.get(f"/v1/users/{kim}/followers"), 403)
    assert answer(as_lee.get(f"/v1/users/{lee}/followers")) == []


@pytest.mark.parametrize(("path", "body", "key"), KINDS)
def test_permitted_users_are_the_active_users(pd: Pipedrive, tenant: Tenant, path: str,
                                              body: dict[str, Any], key: str) -> None:
    record = _make(pd, path, body)
    kim = _user(pd, "kim@acme.example")
    gone = _user(pd, "gone@acme.example")
    data(pd.put(f"/v1/users/{gone}", json={"active_flag": False}))
    assert data(pd.get(f"/v1/{path}/{record}/permittedUsers")) == [tenant.company.user_id, kim]
    refused(pd.get(f"/v1/{path}/99999999/permittedUsers"), 404)


def test_lead_permitted_users_by_uuid(pd: Pipedrive, tenant: Tenant) -> None:
    person = data(pd.post("/api/v2/persons", json={"name": "P"}))["id"]
    lead = data(pd.post("/v1/leads", json={"title": "L", "person_id": person}), 201)
    assert data(pd.get(f"/v1/leads/{lead['id']}/permittedUsers")) == [tenant.company.user_id]
    refused(pd.get("/v1/leads/00000000-0000-0000-0000-000000000000/permittedUsers"), 404)


@pytest.mark.parametrize("body", [{}, {"user_id": "x"}, {"user_id": 0}, {"user_id": -1},
                                  {"user_id": True}, {"user_id": 1, "extra": 2}, [1], "1",
                                  {"user_id": 2**70}])
def test_bad_follows_are_refused_and_change_nothing(pd: Pipedrive, body: Any) -> None:
    deal = data(pd.post("/api/v2/deals", json={"title": "D"}))["id"]
    for url in (f"/v1/deals/{deal}/followers", f"/api/v2/deals/{deal}/followers"):
        refused(pd.post(url, json=body), 400)
    assert data(pd.get(f"/v1/deals/{deal}/followers")) == []


def test_other_companies_records_and_users_are_not_found(pd: Pipedrive, other: Tenant) -> None:
    theirs = data(other.api.post("/api/v2/deals", json={"title": "Theirs"}))["id"]
    their_user = other.company.user_id
    mine = data(pd.post("/api/v2/deals", json={"title": "Mine"}))["id"]
    refused(pd.get(f"/v1/deals/{theirs}/followers"), 404)
    refused(pd.post(f"/api/v2/deals/{theirs}/followers", json={"user_id": their_user}), 404)
    refused(pd.post(f"/api/v2/deals/{mine}/followers", json={"user_id": their_user}), 400)
    refused(pd.get(f"/api/v2/deals/{theirs}/followers/changelog"), 404)
    refused(pd.get(f"/v1/users/{their_user}/followers"), 404)
    refused(pd.get(f"/v1/deals/{theirs}/permittedUsers"), 404)
    assert data(other.api.get(f"/v1/deals/{theirs}/followers")) == []


def test_pipeliner_watchers_are_pipedrive_followers(pd: Pipedrive, tenant: Tenant,
                                                    http: Any) -> None:
    """One concept, two dialects: a contact's WATCHERS are the person's followers."""
    from tests.pipeliner.conftest import pipeliner_for

    pl = pipeliner_for(http, tenant)
    me = tenant.company.user_id
    kim = _user(pd, "kim@acme.example")
    made = pl.create("Contacts", {"SURNAME": "Bolton", "WATCHERS": [me]})
    person = next(p["id"] for p in data(pd.get("/api/v2/persons"))
                  if p["name"].endswith("Bolton"))
    assert [f["user_id"] for f in data(pd.get(f"/api/v2/persons/{person}/followers"))] == [me]
    data(pd.post(f"/api/v2/persons/{person}/followers", json={"user_id": kim}), 201)
    got = pl.get(f"/Contacts/{made['ID']}").json()
    assert got["WATCHERS"] == [me, kim]
