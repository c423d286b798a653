"""``dealbase.client`` (sync) against the live server over real HTTP: records written through
the SDK are read back through the SDK, the other API version or the records service."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import dealbase.client
from dealbase.client import (
    APIError,
    AuthenticationError,
    Client,
    ConnectionError,
    DealbaseError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    Record,
    Retry,
    ServerError,
    TimeoutError,
    UnknownCustomFieldError,
    UnsupportedOperationError,
)
from dealbase.client._table import specs
from tests.sdk.client_support import Clock, Company, Flaky, company, status

__all__ = ["company"]  # (the fixture)

# Query parameters a row needs before the server answers its list or fetch at all.
NEEDS: dict[str, dict[str, Any]] = {
    "item_search": {"term": "zz"},
    "project_phases": {"board_id": 1},
    "user_search": {"term": "admin"},
    "recents": {"since_timestamp": "2020-01-01 00:00:00"},
    "pipeline_conversion_statistics": {"start_date": "2024-01-01", "end_date": "2024-03-31"},
    "pipeline_movement_statistics": {"start_date": "2024-01-01", "end_date": "2024-03-31"},
    "deals_timeline": {"start_date": "2024-01-01", "interval": "month", "amount": 2,
                       "field_key": "add_time"},
    "archived_deals_timeline": {"start_date": "2024-01-01", "interval": "month", "amount": 2,
                                "field_key": "add_time"},
}
ITEM_FIELD_SEARCH = {"v1": {"term": "De", "field_type": "dealField", "field_key": "title"},
                     "v2": {"term": "De", "entity_type": "deal", "field": "title"}}


def client(company: Company, **kw: Any) -> Client:
    return Client(company.url, company.token, **kw)


# ---- the surface ------------------------------------------------------------------------

def test_public_names_are_exactly_all() -> None:
    public = {n for n in vars(dealbase.client) if not n.startswith("_")}
    assert public == set(dealbase.client.__all__)


def test_every_row_of_the_table_answers(company: Company) -> None:
    """Each resource, in each version it declares, reaches a route the server serves."""
    with client(company) as api:
        deal = api.deals.create({"title": "Deal"})
        parents = {"deals": deal["id"], "persons": api.persons.create({"name": "P"})["id"],
                   "organizations": api.organizations.create({"name": "O"})["id"],
                   "products": api.products.create({"name": "Stapler"})["id"],
                   "notes": api.notes.create({"content": "n", "deal_id": deal["id"]})["id"],
                   "pipelines": deal["pipeline_id"], "stages": deal["stage_id"],
                   "projects": api.projects.create({"title": "P"})["id"],
                   "users": api.current_user.fetch()["id"]}
        reached = 0
        for name, spec in specs().items():
            for version in ("v1", "v2"):
                ops = spec.ops(version)
                if not ops:
                    with pytest.raises(AttributeError):
                        getattr(getattr(api, version), name)
                    continue
                resource = getattr(getattr(api, version), name)
                if "{parent}" in spec.path:
                    resource = resource(parents[spec.path.split("/")[0]])
                params = ITEM_FIELD_SEARCH[version] if name == "item_field_search" else NEEDS.get(name, {})
                if "list" in ops:
                    page = resource.list(**params).first_page()
                    assert all(isinstance(item, Record) for item in page.items)
                    reached += 1
                if "fetch" in ops:
                    assert resource.fetch(**params) is not None
                    reached += 1
        assert reached >= 60


def test_unserved_operations_are_refused_before_sending(company: Company) -> None:
    with client(company) as api:
        with pytest.raises(UnsupportedOperationError, match="notes.search"):
            api.notes.search("x")
        with pytest.raises(UnsupportedOperationError, match="activity_types.get"):
            api.activity_types.get(1)
        with pytest.raises(UnsupportedOperationError, match="parent"):
            api.note_comments.list().first_page()
        with pytest.raises(AttributeError, match="notes is not served by API v2"):
            _ = api.v2.notes
        with pytest.raises(UnsupportedOperationError, match="no custom fields"):
            api.notes.fields()


# ---- records ----------------------------------------------------------------------------

def test_crud_through_v2_reads_back_through_v1(company: Company) -> None:
    with client(company) as api:
        org = api.organizations.create({"name": "Initech"})
        deal = api.deals.create({"title": "Printers", "value": 120, "org_id": org["id"]})
        assert (deal["title"], deal["value"], deal["org_id"]) == ("Printers", 120, org["id"])
        assert "owner_id" in deal  # a v2 record
        updated = api.deals.update(deal["id"], {"title": "Printers (2)"})
        assert updated["title"] == "Printers (2)"
        v1 = api.v1.deals.get(deal["id"])
        assert (v1["title"], v1["org_id"]["value"]) == ("Printers (2)", org["id"])
        assert company.direct.get("deal", deal["id"])["title"] == "Printers (2)"
        assert api.v1.deals.update(deal["id"], {"value": 7})["value"] == 7
        assert api.deals.delete(deal["id"]) == {"id": deal["id"]}
        assert [d["id"] for d in api.deals.list()] == []


def test_children_below_a_record(company: Company) -> None:
    with client(company) as api:
        note = api.notes.create({"content": "Call back", "org_id": api.organizations.create(
            {"name": "Initech"})["id"]})
        comments = api.note_comments(note["id"])
        made = comments.create({"content": "Done"})
        assert comments.update(made["uuid"], {"content": "Done!"})["content"] == "Done!"
        assert [c["content"] for c in comments.list()] == ["Done!"]
        deal = api.deals.create({"title": "D"})
        product = api.products.create({"name": "Stapler"})
        line = api.deal_products(deal["id"]).create({"product_id": product["id"], "item_price": 3,
                                                     "quantity": 2})
        assert [p["product_id"] for p in api.v1.deal_products(deal["id"]).list()] == [product["id"]]
        api.deal_products(deal["id"]).delete(line["id"])
        assert api.deal_products(deal["id"]).list().to_list() == []
        variation = api.product_variations(product["id"]).create({"name": "Red"})
        assert [v["id"] for v in api.product_variations(product["id"]).list()] == [variation["id"]]


def test_search_flow_and_summary(company: Company) -> None:
    with client(company) as api:
        deal = api.deals.create({"title": "Crème Brûlée", "value": 10})
        api.deals.update(deal["id"], {"title": "Crème Brûlée 2"})
        found = api.deals.search("creme").to_list()
        assert [(r["item"]["id"], r["item"]["type"]) for r in found] == [(deal["id"], "deal")]
        assert [r["item"]["id"] for r in api.v1.item_search.list(term="brulee")] == [deal["id"]]
        flow = api.deal_flow(deal["id"]).list(limit=1)
        assert len(list(flow.pages())) >= 2  # one row a page: the creation and the rename
        changes = [c["field_key"] for c in api.deal_changelog(deal["id"]).list(limit=1)]
        assert changes.count("title") == 1 and "add_time" in changes
        summary = api.deals_summary.fetch(status="open")
        assert summary["total_count"] == 1


# ---- paging -------------------------------------------------------------------------------

def test_paging_through_hundreds_of_records_v1_and_v2(company: Company) -> None:
    ids = [company.direct.create("deal", {"title": f"Deal {n:03d}"})["id"] for n in range(230)]
    with client(company) as api:
        v2_pages = list(api.v2.deals.list(limit=50).pages())
        assert [len(p.items) for p in v2_pages] == [50, 50, 50, 50, 30]
        assert [p.has_more for p in v2_pages] == [True] * 4 + [False]
        assert [d["id"] for p in v2_pages for d in p.items] == ids
        v1 = api.v1.deals.list(limit=40)
        assert [d["id"] for d in v1] == ids
        assert [p.next for p in v1.pages()][:2] == [{"start": 40}, {"start": 80}]
        assert [d["title"] for d in api.v1.deals.list(sort="title DESC", limit=100)][:2] == [
            "Deal 229", "Deal 228"]
        assert len(api.v1.deals.list(limit=500).first_page().items) == 230
        found = [r["item"]["id"] for r in api.deals.search("Deal", limit=100)]
        assert sorted(found) == ids  # search results page by cursor too


def test_leads_flat_pagination(company: Company) -> None:
    with client(company) as api:
        org = api.organizations.create({"name": "Initech"})
        for n in range(7):
            api.leads.create({"title": f"Lead {n}", "organization_id": org["id"]})
        pages = list(api.leads.list(limit=3).pages())
        assert [len(p.items) for p in pages] == [3, 3, 1]
        assert sorted(lead["title"] for p in pages for lead in p.items) == [f"Lead {n}" for n in range(7)]


# ---- errors -------------------------------------------------------------------------------

def test_errors_are_mapped_to_the_tree(company: Company) -> None:
    with Client(company.url, "not-a-token") as stranger, pytest.raises(AuthenticationError) as unauthenticated:
        stranger.deals.list().first_page()
    assert unauthenticated.value.status == 401 and unauthenticated.value.error
    with client(company) as api:
        with pytest.raises(NotFoundError) as missing:
            api.deals.get(10**9)
        assert (missing.value.status, missing.value.error, missing.value.error_code) == (
            404, "Deal not found", 404)
        assert missing.value.body["success"] is False and "404" in str(missing.value)
        with pytest.raises(InvalidRequestError) as refused:
            api.deals.create({"title": "x", "no_such_key": 1})
        assert refused.value.status == 400 and "no_such_key" in refused.value.error
        with pytest.raises(InvalidRequestError) as untitled:
            api.v1.deals.create({"value": 5})
        assert "title" in untitled.value.error
        assert isinstance(untitled.value, APIError) and isinstance(untitled.value, DealbaseError)
        assert company.direct.count("deal", None) == 0


def test_no_server_is_a_connection_error() -> None:
    clock = Clock()
    api = Client("http://127.0.0.1:9", "t", retry=clock.retry())
    with pytest.raises(ConnectionError) as caught:
        api.deals.get(1)
    assert isinstance(caught.value, DealbaseError) and isinstance(caught.value, OSError)
    assert clock.waits == [0.5, 1.0]  # tried three times: nothing was ever sent


# ---- retries ------------------------------------------------------------------------------

def deals_list(request: httpx.Request) -> bool:
    return request.url.path == "/api/v2/deals"


def test_429_waits_as_retry_after_says_then_succeeds(company: Company) -> None:
    company.direct.create("deal", {"title": "Kept"})
    clock = Clock()
    flaky = Flaky([status(429, {"Retry-After": "3"}), status(429, {"x-ratelimit-reset": "1.5"})],
                  deals_list)
    with client(company, transport=flaky, retry=clock.retry()) as api:
        assert [d["title"] for d in api.deals.list()] == ["Kept"]
    assert clock.waits == [3.0, 1.5]
    assert [passed for method, path, passed in flaky.seen if path == "/api/v2/deals"] == [False, False, True]


def test_503_on_get_is_retried_with_exponential_backoff(company: Company) -> None:
    deal = company.direct.create("deal", {"title": "Kept"})
    clock = Clock()
    path = f"/api/v2/deals/{deal['id']}"
    flaky = Flaky([status(503), status(502)], lambda r: r.url.path == path)
    with client(company, transport=flaky, retry=clock.retry(base_delay=0.25)) as api:
        assert api.deals.get(deal["id"])["title"] == "Kept"
    assert clock.waits == [0.25, 0.5] and flaky.tries("GET", path) == 3


def test_jitter_stays_within_half_and_all_of_the_backoff() -> None:
    policy = Retry(base_delay=1, max_delay=5)
    for attempt, ceiling in ((0, 1), (1, 2), (2, 4), (3, 5), (9, 5)):
        waits = {policy.delay(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits if w is not None) and len(waits) > 1
    assert policy.delay(0, {"retry-after": "120"}) is None  # longer than max_wait: not waited for
    assert policy.delay(0, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0


def test_retries_run_out_into_the_error(company: Company) -> None:
    clock = Clock()
    flaky = Flaky([status(429, {"Retry-After": "0"})] * 3, deals_list)
    with client(company, transport=flaky, retry=clock.retry(max_retries=2)) as api, pytest.raises(
            RateLimitError) as caught:
        api.deals.list().first_page()
    assert caught.value.status == 429 and caught.value.error == "injected 429"
    assert flaky.tries("GET", "/api/v2/deals") == 3 and clock.waits == [0.0, 0.0]
    flaky = Flaky([status(429, {"Retry-After": "3600"})], deals_list)
    with client(company, transport=flaky, retry=clock.retry()) as api, pytest.raises(RateLimitError):
        api.deals.list().first_page()  # an hour is longer than max_wait: raised at once
    assert flaky.tries("GET", "/api/v2/deals") == 1


def test_post_is_not_retried_on_a_5xx_or_a_timeout(company: Company) -> None:
    clock = Clock()
    posts = Flaky([status(503)], lambda r: r.method == "POST")
    with client(company, transport=posts, retry=clock.retry()) as api:
        with pytest.raises(ServerError) as caught:
            api.deals.create({"title": "Once"})
        assert caught.value.status == 503
        assert posts.tries("POST", "/api/v2/deals") == 1 and clock.waits == []
        timeouts = Flaky([httpx.ReadTimeout("slow")], lambda r: r.method == "POST")
    with client(company, transport=timeouts, retry=clock.retry()) as api, pytest.raises(TimeoutError):
        api.deals.create({"title": "Once"})
    assert timeouts.tries("POST", "/api/v2/deals") == 1 and clock.waits == []
    assert company.direct.count("deal", None) == 0


def test_post_is_retried_when_nothing_was_done(company: Company) -> None:
    """A 429 and a refused connection did nothing on the server: the POST goes again, once."""
    clock = Clock()
    flaky = Flaky([status(429, {"Retry-After": "2"}), httpx.ConnectError("refused")],
                  lambda r: r.method == "POST")
    with client(company, transport=flaky, retry=clock.retry()) as api:
        made = api.deals.create({"title": "Once"})
    assert clock.waits == [2.0, 1.0]
    assert company.direct.count("deal", None) == 1 and made["title"] == "Once"


def test_put_and_delete_are_retried_on_a_5xx(company: Company) -> None:
    deal = company.direct.create("deal", {"title": "Old"})
    clock = Clock()
    puts = Flaky([status(500), status(503)], lambda r: r.method == "PUT")
    with client(company, transport=puts, retry=clock.retry()) as api:
        assert api.v1.deals.update(deal["id"], {"title": "New"})["title"] == "New"
    deletes = Flaky([status(502)], lambda r: r.method == "DELETE")
    with client(company, transport=deletes, retry=clock.retry()) as api:
        assert api.v1.deals.delete(deal["id"]) == {"id": deal["id"]}
    assert clock.waits == [0.5, 1.0, 0.5]
    path = f"/api/v1/deals/{deal['id']}"
    assert (puts.tries("PUT", path), deletes.tries("DELETE", path)) == (3, 2)
    assert company.direct.get("deal", deal["id"])["is_deleted"] is True


def test_timeout_is_the_clients(company: Company) -> None:
    slow = Flaky([httpx.ReadTimeout("slow")] * 3, deals_list)
    with client(company, transport=slow, retry=Clock().retry()) as api, pytest.raises(TimeoutError):
        api.deals.list().first_page()
    assert slow.tries("GET", "/api/v2/deals") == 3  # a GET is retried after a timeout
    assert Client(company.url, "t", timeout=0.25)._http.timeout.read == 0.25


# ---- custom fields by name -------------------------------------------------------------

def test_custom_fields_by_name_round_trip(company: Company) -> None:
    with client(company) as api:
        api.v1.deal_fields.create({"name": "Budget code", "field_type": "varchar"})
        api.v1.deal_fields.create({"name": "Seats", "field_type": "double"})
        fields = api.deals.fields()
        key = fields.key("Budget code")
        assert len(key) == 40 and fields.key(key) == key
        deal = api.deals.create({"title": "Printers"}, custom={"Budget code": "B-7", "Seats": 12})
        assert deal.custom("Budget code") == "B-7" and deal["custom_fields"][key] == "B-7"
        assert deal.customs() == {"Budget code": "B-7", "Seats": 12}
        v1 = api.v1.deals.get(deal["id"])
        assert v1.custom("Budget code") == "B-7" and v1[key] == "B-7"  # v1: at the top level
        api.v1.deals.update(deal["id"], custom={"Budget code": "B-8"})
        assert api.deals.get(deal["id"]).custom("Budget code") == "B-8"
        api.deals.update(deal["id"], {"title": "Printers 2"}, custom={key: None})
        again = api.deals.get(deal["id"])
        assert (again["title"], again.custom("Budget code", "none")) == ("Printers 2", "none")
        assert [d.custom("Seats") for d in api.v1.deals.list()] == [12]
        with pytest.raises(UnknownCustomFieldError, match="Budgte"):
            api.deals.create({"title": "x"}, custom={"Budgte code": 1})
        with pytest.raises(UnknownCustomFieldError):
            deal.custom("title")  # a system field is not a custom one
        # a field added since the fields were read: found after refresh_fields()
        api.v1.person_fields.create({"name": "Shoe size", "field_type": "varchar"})
        api.persons.fields()
        api.v1.person_fields.create({"name": "Hat size", "field_type": "varchar"})
        with pytest.raises(UnknownCustomFieldError):
            api.persons.create({"name": "Bob"}, custom={"Hat size": "L"})
        api.refresh_fields()
        bob = api.persons.create({"name": "Bob"}, custom={"Hat size": "L"})
        assert api.v1.persons.get(bob["id"]).custom("Hat size") == "L"
        assert company.direct.count("deal", None) == 1


def test_two_fields_of_one_name_need_their_key(company: Company) -> None:
    with client(company) as api:
        first = api.v1.organization_fields.create({"name": "Region", "field_type": "varchar"})
        api.v1.organization_fields.create({"name": "Region", "field_type": "varchar"})
        with pytest.raises(UnknownCustomFieldError, match="2 custom fields"):
            api.organizations.create({"name": "Initech"}, custom={"Region": "EU"})
        org = api.organizations.create({"name": "Initech"}, custom={first["key"]: "EU"})
        assert org.custom(first["key"]) == "EU"

