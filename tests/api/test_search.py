"""Search through Pipedrive (``/itemSearch``, ``/itemSearch/field``, ``/{type}/search``, v1
and v2) over the full-text index the records service keeps: what is found, how it is
scored and paged, that every write (any dialect) is searchable at once, bad input and
isolation. Every response is checked against the vendored spec by the ``Pipedrive``
client."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealbase.domain import search
from dealbase.query.ast import Cond, Query
from tests.api.answers import data, refused
from tests.conftest import Pipedrive, Tenant


def found(response: Any) -> list[tuple[str, Any]]:
    """(type, id) of a search's items, in order."""
    return [(i["item"]["type"], i["item"]["id"]) for i in data(response)["items"]]


@pytest.fixture
def crm(pd: Pipedrive) -> dict[str, Any]:
    """A small CRM: an organization, two persons, deals, a product, a lead and a note."""
    org = data(pd.post("/v1/organizations", json={"name": "Crème Brûlée Ltd",
                                                   "address": "Dabas, Hungary"}), 201)
    ada = data(pd.post("/api/v2/persons", json={
        "name": "Ada Lovelace", "org_id": org["id"],
        "emails": [{"value": "ada@analytical.example", "primary": True}],
        "phones": [{"value": "+372 (55) 123468", "primary": True}]}))
    bob = data(pd.post("/api/v2/persons", json={"name": "Bob Engine"}))
    deal = data(pd.post("/api/v2/deals", json={"title": "Analytical engine", "value": 5000,
                                               "currency": "EUR", "person_id": ada["id"],
                                               "org_id": org["id"]}))
    other_deal = data(pd.post("/api/v2/deals", json={"title": "Difference engine"}))
    product = data(pd.post("/api/v2/products", json={"name": "Brass gear", "code": "GR-7"}), 201)
    lead = data(pd.post("/v1/leads", json={"title": "Engine for Babbage",
                                           "person_id": ada["id"]}), 201)
    note = data(pd.post("/v1/notes", json={"content": "<p>Wants a <b>punch card</b> reader</p>",
                                           "deal_id": other_deal["id"]}))
    return {"org": org, "ada": ada, "bob": bob, "deal": deal, "other_deal": other_deal,
            "product": product, "lead": lead, "note": note}


def test_item_search_finds_every_type_by_word_prefix(pd: Pipedrive, crm: dict[str, Any]) -> None:
    got = found(pd.get("/v1/itemSearch?term=engin"))
    assert set(got) == {("deal", crm["deal"]["id"]), ("deal", crm["other_deal"]["id"]),
                        ("person", crm["bob"]["id"]), ("lead", crm["lead"]["id"])}
    # two words: each begins a word, in any order; accents and case do not matter
    assert found(pd.get("/api/v2/itemSearch?term=BRULEE%20cre")) == [
        ("organization", crm["org"]["id"])]
    assert found(pd.get("/v1/itemSearch?term=gr-7&item_types=product")) == [
        ("product", crm["product"]["id"])]
    # a word's middle is not a word's start
    assert found(pd.get("/v1/itemSearch?term=ngine")) == []


def test_item_search_item_shapes(pd: Pipedrive, crm: dict[str, Any]) -> None:
    items = data(pd.get("/v1/itemSearch?term=analytical"))["items"]
    by_type = {i["item"]["type"]: i for i in items}
    deal = by_type["deal"]["item"]
    assert deal == {
        "id": crm["deal"]["id"], "type": "deal", "title": "Analytical engine", "value": 5000,
        "currency": "EUR", "status": "open", "visible_to": deal["visible_to"],
        "owner": {"id": crm["deal"]["owner_id"]},
        "stage": {"id": crm["deal"]["stage_id"], "name": deal["stage"]["name"]},
        "person": {"id": crm["ada"]["id"], "name": "Ada Lovelace"},
        "organization": {"id": crm["org"]["id"], "name": "Crème Brûlée Ltd",
                         "address": "Dabas, Hungary"},
        "custom_fields": [], "notes": [], "is_archived": False}
    person = by_type["person"]["item"]  # found by its e-mail address
    assert person["emails"] == ["ada@analytical.example"]
    assert person["phones"] == ["+372 (55) 123468"]
    assert person["organization"]["id"] == crm["org"]["id"]
    assert 0 < by_type["person"]["result_score"] < by_type["deal"]["result_score"] <= 1


def test_scores_rank_whole_values_and_names_first(pd: Pipedrive, crm: dict[str, Any]) -> None:
    data(pd.post("/api/v2/deals", json={"title": "Engine"}))
    items = data(pd.get("/api/v2/deals/search?term=engine"))["items"]
    scores = [i["result_score"] for i in items]
    assert items[0]["item"]["title"] == "Engine" and items[0]["result_score"] == 1
    assert scores == sorted(scores, reverse=True) and len(items) == 3


def test_notes_custom_fields_and_fields_parameter(pd: Pipedrive, crm: dict[str, Any]) -> None:
    got = data(pd.get("/v1/deals/search?term=punch%20card"))["items"]
    assert [i["item"]["id"] for i in got] == [crm["other_deal"]["id"]]
    assert got[0]["item"]["notes"] == ["Wants a punch card reader"]
    assert found(pd.get("/v1/deals/search?term=punch&fields=title")) == []
    field = data(pd.post("/v1/dealFields", json={"name": "Serial", "field_type": "varchar"}))
    data(pd.put(f"/v1/deals/{crm['deal']['id']}", json={field["key"]: "SN-Zebra-42"}))
    items = data(pd.get("/api/v2/deals/search?term=zebra&fields=custom_fields"))["items"]
    assert [i["item"]["id"] for i in items] == [crm["deal"]["id"]]
    assert items[0]["item"]["custom_fields"] == ["SN-Zebra-42"]
    assert found(pd.get("/api/v2/deals/search?term=zebra&fields=title")) == []
    # persons by phone digits and e-mail
    assert found(pd.get("/v1/persons/search?term=123468&fields=phone")) == [
        ("person", crm["ada"]["id"])]
    assert found(pd.get("/api/v2/persons/search?term=ada%40analytical&fields=email")) == [
        ("person", crm["ada"]["id"])]


def test_exact_match_is_the_whole_value_in_any_case(pd: Pipedrive, crm: dict[str, Any]) -> None:
    assert found(pd.get("/v1/persons/search?term=ada%20lovelace&exact_match=1")) == [
        ("person", crm["ada"]["id"])]
    assert found(pd.get("/v1/persons/search?term=ADA%20LOVELACE&exact_match=true")) == [
        ("person", crm["ada"]["id"])]
    assert found(pd.get("/v1/persons/search?term=ada%20love&exact_match=1")) == []
    assert found(pd.get("/v1/persons/search?term=ada&exact_match=1")) == []
    data(pd.post("/api/v2/persons", json={"name": "Q"}))
    assert [t for t, _ in found(pd.get("/v1/persons/search?term=q&exact_match=1"))] == ["person"]


def test_type_searches_narrow_by_their_parameters(pd: Pipedrive, crm: dict[str, Any]) -> None:
    ada, org = crm["ada"]["id"], crm["org"]["id"]
    assert found(pd.get(f"/api/v2/deals/search?term=engine&person_id={ada}")) == [
        ("deal", crm["deal"]["id"])]
    assert found(pd.get(f"/v1/deals/search?term=engine&organization_id={org}&status=open")) == [
        ("deal", crm["deal"]["id"])]
    assert found(pd.get("/v1/deals/search?term=engine&status=won")) == []
    assert found(pd.get(f"/api/v2/persons/search?term=ada&organization_id={org}")) == [
        ("person", ada)]
    assert found(pd.get(f"/api/v2/leads/search?term=babbage&person_id={ada}")) == [
        ("lead", crm["lead"]["id"])]
    lead = data(pd.get("/v1/leads/search?term=babbage&include_fields=lead.was_seen"))["items"][0]
    assert lead["item"]["person"] == {"id": ada, "name": "Ada Lovelace"}
    assert lead["item"]["emails"] == ["ada@analytical.example"] and lead["item"]["was_seen"] is False
    assert found(pd.get("/api/v2/organizations/search?term=dabas&fields=address")) == [
        ("organization", org)]
    product = data(pd.get("/v1/products/search?term=brass&include_fields=product.price"))
    assert product["items"][0]["item"]["code"] == "GR-7"


def test_related_items(pd: Pipedrive, crm: dict[str, Any]) -> None:
    body = data(pd.get("/v1/itemSearch?term=creme&search_for_related_items=1"))
    assert [(i["item"]["type"], i["item"]["id"]) for i in body["items"]] == [
        ("organization", crm["org"]["id"])]
    related = {(i["item"]["type"], i["item"]["id"]) for i in body["related_items"]}
    assert related == {("deal", crm["deal"]["id"]), ("person", crm["ada"]["id"])}
    plain = data(pd.get("/api/v2/itemSearch?term=creme"))
    assert "related_items" not in plain


def test_paging_v1_start_and_v2_cursor(pd: Pipedrive) -> None:
    made = [data(pd.post("/api/v2/deals", json={"title": f"Widget {n}"}))["id"]
            for n in range(7)]
    seen: list[Any] = []
    start: int | None = 0
    while start is not None:
        body = pd.get(f"/v1/deals/search?term=widget&start={start}&limit=3").json()
        seen += [i["item"]["id"] for i in body["data"]["items"]]
        pagination = body["additional_data"]["pagination"]
        start = pagination.get("next_start")
        assert pagination["more_items_in_collection"] is (start is not None)
    assert sorted(seen) == sorted(made) and len(seen) == 7
    seen, cursor = [], ""
    while True:
        body = pd.get(f"/api/v2/itemSearch?term=widget&limit=2{cursor}").json()
        seen += [i["item"]["id"] for i in body["data"]["items"]]
        nxt = body["additional_data"]["next_cursor"]
        if not nxt:
            break
        cursor = f"&cursor={nxt}"
    assert sorted(seen) == sorted(made) and len(seen) == 7


def test_a_write_is_found_at_once_and_a_delete_is_gone(pd: Pipedrive, tenant: Tenant) -> None:
    deal = data(pd.post("/v1/deals", json={"title": "Quasar"}), 201)
    assert found(pd.get("/v1/itemSearch?term=quasar")) == [("deal", deal["id"])]
    data(pd.patch(f"/api/v2/deals/{deal['id']}", json={"title": "Pulsar"}))
    assert found(pd.get("/v1/itemSearch?term=quasar")) == []
    assert found(pd.get("/v1/itemSearch?term=pulsar")) == [("deal", deal["id"])]
    data(pd.delete(f"/v1/deals/{deal['id']}"))
    assert found(pd.get("/v1/itemSearch?term=pulsar")) == []
    # written around the dialects, through the records service (as Pipeliner does)
    made = tenant.records.create("organization", {"name": "Nebula Works"})
    assert found(pd.get("/api/v2/organizations/search?term=nebula")) == [
        ("organization", made["id"])]
    note = data(pd.post("/v1/notes", json={"content": "comet tail", "org_id": made["id"]}))
    assert found(pd.get("/v1/organizations/search?term=comet")) == [("organization", made["id"])]
    data(pd.delete(f"/v1/notes/{note['id']}"))
    assert found(pd.get("/v1/organizations/search?term=comet")) == []


def test_a_term_encoded_twice_is_decoded(pd: Pipedrive, crm: dict[str, Any]) -> None:
    assert found(pd.get("/api/v2/persons/search?term=Ada%2520L")) == [("person", crm["ada"]["id"])]
    assert found(pd.get("/v1/persons/search?term=ada%2540analytical")) == [
        ("person", crm["ada"]["id"])]


def test_field_search(pd: Pipedrive, crm: dict[str, Any]) -> None:
    data(pd.post("/api/v2/deals", json={"title": "Analytical engine"}))
    values = data(pd.get("/v1/itemSearch/field?term=engine&field_type=dealField&field_key=title"))
    assert values == [{"title": "Analytical engine"}, {"title": "Difference engine"}]
    with_ids = data(pd.get("/v1/itemSearch/field?term=ANALYTICAL%20ENGINE&exact_match=1"
                           "&field_type=dealField&field_key=title&return_item_ids=1"))
    assert len(with_ids) == 2 and {r["title"] for r in with_ids} == {"Analytical engine"}
    assert crm["deal"]["id"] in {r["id"] for r in with_ids}
    v2 = pd.get("/api/v2/itemSearch/field?term=Diff&entity_type=deal&field=title"
                "&match=beginning&limit=1").json()
    assert v2["data"] == [{"id": crm["other_deal"]["id"], "title": "Difference engine"}]
    assert v2["additional_data"]["next_cursor"] is None
    assert data(pd.get("/api/v2/itemSearch/field?term=Diff&entity_type=deal&field=title")) == []
    paged = pd.get("/api/v2/itemSearch/field?term=engine&entity_type=deal&field=title"
                   "&match=middle&limit=2").json()
    assert len(paged["data"]) == 2 and paged["additional_data"]["next_cursor"]
    rest = pd.get("/api/v2/itemSearch/field?term=engine&entity_type=deal&field=title"
                  f"&match=middle&limit=2&cursor={paged['additional_data']['next_cursor']}").json()
    assert len(rest["data"]) == 1 and rest["additional_data"]["next_cursor"] is None


@pytest.mark.parametrize("url", [
    "/v1/itemSearch", "/v1/itemSearch?term=", "/v1/itemSearch?term=a",
    "/v1/itemSearch?term=%20%20", "/v1/itemSearch?term=%25%25", "/api/v2/itemSearch?term=%2A",
    "/v1/itemSearch?term=ab&item_types=spaceship", "/v1/itemSearch?term=ab&fields=password",
    "/v1/itemSearch?term=ab&limit=0", "/v1/itemSearch?term=ab&start=-1",
    "/api/v2/itemSearch?term=ab&cursor=garbage", "/v1/itemSearch?term=ab&exact_match=maybe",
    "/v1/deals/search?term=ab&fields=email", "/v1/deals/search?term=ab&status=deleted",
    "/api/v2/deals/search?term=ab&person_id=abc", "/v1/itemSearch?term=" + "x" * 600,
    "/v1/itemSearch?term=ab&include_fields=deal.secret",
    "/v1/itemSearch/field?term=ab&field_type=dealField",
    "/v1/itemSearch/field?term=ab&field_type=userField&field_key=title",
    "/v1/itemSearch/field?term=ab&field_type=dealField&field_key=value",
    "/v1/itemSearch/field?term=ab&field_type=dealField&field_key=nope",
    "/api/v2/itemSearch/field?term=ab&entity_type=deal&field=title&match=fuzzy",
    "/api/v2/itemSearch/field?term=ab&entity_type=spaceship&field=title",
])
def test_bad_search_parameters_are_refused(pd: Pipedrive, url: str) -> None:
    refused(pd.get(url), 400)


@pytest.mark.parametrize("term", ['"', "*", "ada OR bob", "NEAR(a b)", "a:*", "'; DROP", "\\x00x",
                                  "(((", "ada\" OR \"x", "ab AND NOT cd", "ünïcödé", "日本語",
                                  "%00ab", "ab%00"])
def test_hostile_terms_answer_without_error(pd: Pipedrive, crm: dict[str, Any], term: str) -> None:
    response = pd.get(f"/v1/itemSearch?term={quote(term)}", check=False)
    assert response.status_code in (200, 400), response.text
    assert response.json()["success"] is (response.status_code == 200)


def test_search_is_isolated_between_companies(pd: Pipedrive, crm: dict[str, Any],
                                              other: Tenant) -> None:
    assert found(other.api.get("/v1/itemSearch?term=engine")) == []
    assert found(other.api.get("/api/v2/persons/search?term=ada")) == []
    assert found(other.api.get("/v1/deals/search?term=punch")) == []
    assert data(other.api.get(
        "/v1/itemSearch/field?term=engine&field_type=dealField&field_key=title")) == []
    mine = data(other.api.post("/api/v2/deals", json={"title": "Engine of Globex"}))
    assert found(other.api.get("/v1/itemSearch?term=engine")) == [("deal", mine["id"])]
    assert ("deal", mine["id"]) not in found(pd.get("/v1/itemSearch?term=engine"))


WORD = st.text(alphabet="abcdeéñ", min_size=2, max_size=6)
DOORS = ("v1", "v2", "pipeliner", "records")


def _write_deal(tenant: Tenant, door: str, title: str) -> int:
    """A deal written through one door; its id."""
    if door == "v1":
        return int(data(tenant.api.post("/v1/deals", json={"title": title}), 201)["id"])
    if door == "v2":
        return int(data(tenant.api.post("/api/v2/deals", json={"title": title}))["id"])
    if door == "pipeliner":
        from tests.pipeliner.conftest import pipeliner_for

        pl = pipeliner_for(tenant.api.http, tenant)
        stage = pl.get("/Stages", params={"limit": 1}).json()[0]["ID"]
        uid = pl.create("Opportunities", {"OPPORTUNITY_NAME": title, "STAGE": stage})["ID"]
        page = tenant.records.list("deal", Query(where=Cond("uid", "eq", uid)))
        return int(page.items[0]["id"])
    return int(tenant.records.create("deal", {"title": title})["id"])


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(titles=st.lists(st.tuples(st.sampled_from(DOORS),
                                 st.lists(WORD, min_size=1, max_size=3).map(" ".join)),
                       min_size=1, max_size=6),
       term=st.lists(WORD, min_size=1, max_size=2).map(" ".join))
def test_search_agrees_with_the_matching_rule(tenant: Tenant, titles: list[tuple[str, str]],
                                              term: str) -> None:
    """A deal written through any door (v1, v2, Pipeliner, the service) is found by the
    next request exactly when ``domain.search`` says it matches (each word of the term
    begins a word of the title, case and accents aside)."""
    made = [_write_deal(tenant, door, title) for door, title in titles]
    try:
        rule = search.term_of(term, False)
        assert rule is not None
        expected = {i for i, (_, t) in zip(made, titles, strict=True)
                    if rule.matches(search.words(t))}
        got = {i for t, i in found(tenant.api.get(f"/v1/deals/search?term={term}&limit=500"))}
        assert got == expected
    finally:
        tenant.records.delete("deal", made)


def test_a_deleted_custom_field_is_no_longer_searched(pd: Pipedrive) -> None:
    field = data(pd.post("/v1/personFields", json={"name": "Nickname", "field_type": "varchar"}))
    person = data(pd.post("/v1/persons", json={"name": "Grace", field["key"]: "Amazing"}), 201)
    assert found(pd.get("/v1/itemSearch?term=amazing")) == [("person", person["id"])]
    data(pd.delete(f"/v1/personFields/{field['id']}"))
    assert found(pd.get("/v1/itemSearch?term=amazing")) == []
    assert found(pd.get("/v1/itemSearch?term=grace")) == [("person", person["id"])]


def test_a_term_with_more_matches_than_the_index_reads_still_finds_the_whole_value(
        pd: Pipedrive, tenant: Tenant) -> None:
    """More than 2,000 texts begin with the term: the shortest (a whole value, a value's
    start) are read first, so the exact match is never crowded out, and narrowing
    parameters apply before the page is cut."""
    direct = tenant.records
    org = direct.create("organization", {"name": "Filler Inc"})["id"]
    with direct.service.unit(direct.ctx, write=True) as unit:
        unit.create_many("person", [{"name": f"Zed Filler number {n} of many"}
                                    for n in range(2100)])
        zed = unit.create("person", {"name": "Zed", "organization_id": org})["id"]
    assert found(pd.get("/api/v2/persons/search?term=zed&exact_match=true")) == [("person", zed)]
    assert found(pd.get("/v1/itemSearch?term=zed&limit=1")) == [("person", zed)]
    assert found(pd.get(f"/api/v2/persons/search?term=zed&organization_id={org}")) == [
        ("person", zed)]
