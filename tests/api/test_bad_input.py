"""Every bad input answers a 4xx in Pipedrive's error shape and writes nothing.

Each test takes the company's whole visible state (every list, full objects with
their update_time) before the bad request and asserts it is identical afterwards;
the lists taken after hostile strings also prove the tables still exist.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import orjson
import pytest

from tests.conftest import Pipedrive, SyncClient, Tenant, _tenant

ADDRESS_PARTS = ("subpremise", "street_number", "route", "sublocality", "locality",
                 "admin_area_level_1", "admin_area_level_2", "country", "postal_code",
                 "formatted_address")
STATE_URLS = (
    "/v1/deals?status=all_not_deleted&limit=500", "/v1/deals?status=deleted&limit=500",
    "/v1/persons?limit=500", "/v1/organizations?limit=500", "/v1/pipelines", "/v1/stages",
    "/v1/users", "/v1/dealFields?limit=500", "/v1/personFields?limit=500",
    "/v1/organizationFields?limit=500", "/v1/activities?user_id=0&limit=500",
    "/v1/notes?limit=500", "/v1/products?limit=500", "/v1/leads?limit=500", "/v1/leadLabels",
    "/v1/activityTypes", "/v1/productFields?limit=500", "/v1/filters?limit=500",
)


@pytest.fixture
def tenant(app: Any, http: SyncClient) -> Tenant:
    """conftest's ``tenant`` under a unique name (see
    test_isolation.test_same_named_companies_get_distinct_space_ids)."""
    return _tenant(app, http, f"Acme{secrets.token_hex(4)}")


def state(pd: Pipedrive) -> dict[str, Any]:
    """Everything the company holds, as full objects (values and update_time)."""
    out = {}
    for url in STATE_URLS:
        r = pd.get(url, check=False)  # snapshots, not the subject: the contract is checked elsewhere
        assert r.status_code == 200, (url, r.text)
        out[url] = r.json()["data"]
    return out


@dataclass(frozen=True)
class Bug:
    """A table row the server gets wrong today: run as xfail(strict) with the reason."""

    reason: str
    values: tuple[Any, ...]


def bug(reason: str, *values: Any) -> Bug:
    return Bug(reason, values)


def cases(table: list[Any], name: Any = None) -> list[Any]:
    """pytest params from a table of tuples (or single values) and Bug rows."""
    out = []
    for i, row in enumerate(table):
        marks: tuple[Any, ...] = ()
        if isinstance(row, Bug):
            marks = (pytest.mark.xfail(strict=True, reason=f"server bug: {row.reason}"),)
            row = row.values if len(row.values) > 1 else row.values[0]
        values = row if isinstance(row, tuple) else (row,)
        ident = name(i, *values) if name else f"{i}"
        out.append(pytest.param(*values, id=ident, marks=marks))
    return out


def refused(r: httpx.Response, status: int | tuple[int, ...] = 400) -> dict[str, Any]:
    """A 4xx (``status``) in Pipedrive's error shape, never a leaked 500."""
    wanted = status if isinstance(status, tuple) else (status,)
    assert r.status_code in wanted, (r.status_code, r.text[:500])
    body: dict[str, Any] = r.json()
    assert body["success"] is False, body
    assert isinstance(body["error"], str) and body["error"], body
    assert body.get("data") is None
    return body


@dataclass
class Shop:
    tenant: Tenant
    ids: dict[str, Any]
    enum_key: str
    set_key: str
    text_key: str

    @property
    def pd(self) -> Pipedrive:
        return self.tenant.api

    def url(self, template: str) -> str:
        return template.format(**self.ids, enum_key=self.enum_key, set_key=self.set_key,
                               text_key=self.text_key)


def _data(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    data: dict[str, Any] = r.json()["data"]
    return data


@pytest.fixture(scope="module")
def shop(app: Any, http: SyncClient) -> Shop:
    """Shared by the module's tests: each takes the whole state before its bad request
    and compares after it, so what an earlier test legitimately wrote does not matter."""
    tenant = _tenant(app, http, f"Acme{secrets.token_hex(4)}")
    pd = tenant.api
    enum = _data(pd.post("/v1/dealFields", json={"name": "Tier", "field_type": "enum",
                                                 "options": [{"label": "a"}, {"label": "b"}]}))
    setf = _data(pd.post("/v1/dealFields", json={"name": "Tags", "field_type": "set",
                                                 "options": [{"label": "x"}, {"label": "y"}]}))
    text = _data(pd.post("/v1/dealFields", json={"name": "Note", "field_type": "varchar"}))
    ids: dict[str, Any] = {"enum_id": enum["id"], "user": tenant.company.user_id}
    stage = pd.get("/v1/stages").json()["data"][0]
    ids["stage"], ids["pipeline"] = stage["id"], stage["pipeline_id"]
    ids["pipeline2"] = _data(pd.post("/v1/pipelines", json={"name": "Second"}))["id"]
    ids["stage2"] = _data(pd.post("/v1/stages", json={"name": "S2",
                                                      "pipeline_id": ids["pipeline2"]}))["id"]
    ids["gone_stage"] = _data(pd.post("/v1/stages", json={"name": "Gone",
                                                          "pipeline_id": ids["pipeline2"]}))["id"]
    assert pd.delete(f"/v1/stages/{ids['gone_stage']}").status_code == 200
    ids["org"] = _data(pd.post("/v1/organizations", json={
        "name": "Org", "address": {"value": "1 Main St", **{p: p for p in ADDRESS_PARTS}}}))["id"]
    ids["person"] = _data(pd.post("/v1/persons", json={"name": "Alice", "org_id": ids["org"]}))["id"]
    ids["gone_person"] = _data(pd.post("/v1/persons", json={"name": "Gone"}))["id"]
    assert pd.delete(f"/v1/persons/{ids['gone_person']}").status_code == 200
    ids["deal"] = _data(pd.post("/v1/deals", json={
        "title": "Deal", "value": 100, "person_id": ids["person"], "org_id": ids["org"],
        "stage_id": ids["stage"], enum["key"]: "1", setf["key"]: "1", text["key"]: "hi"}))["id"]
    ids["gone_deal"] = _data(pd.post("/v1/deals", json={"title": "Gone"}))["id"]
    assert pd.delete(f"/v1/deals/{ids['gone_deal']}").status_code == 200
    ids["activity"] = _data(pd.post("/v1/activities", json={"subject": "Call",
                                                             "deal_id": ids["deal"]}))["id"]
    ids["note"] = _data(pd.post("/v1/notes", json={"content": "N", "deal_id": ids["deal"]}))["id"]
    ids["product"] = _data(pd.post("/api/v2/products", json={"name": "Widget"}))["id"]
    ids["lead"] = _data(pd.post("/v1/leads", json={"title": "L", "person_id": ids["person"]}))["id"]
    ids["lead_label"] = _data(pd.post("/v1/leadLabels", json={"name": "Hot", "color": "red"}))["id"]
    ids["filter"] = _data(pd.post("/v1/filters", json={"name": "F", "type": "deals", "conditions": {
        "glue": "and", "conditions": [{"glue": "and", "conditions": []}]}}))["id"]
    return Shop(tenant, ids, enum["key"], setf["key"], text["key"])


def send(shop: Shop, method: str, url: str, body: Any = None, *, raw: bytes | None = None
         ) -> httpx.Response:
    if raw is not None:
        return shop.pd.request(method, shop.url(url), content=raw,
                               headers={"content-type": "application/json"})
    return shop.pd.request(method, shop.url(url), json=body)


def assert_refused_and_unchanged(shop: Shop, method: str, url: str, body: Any = None, *,
                                 raw: bytes | None = None, status: int | tuple[int, ...] = 400
                                 ) -> dict[str, Any]:
    before = state(shop.pd)
    error = refused(send(shop, method, url, body, raw=raw), status)
    assert state(shop.pd) == before
    return error


# ---- malformed and non-object bodies ----------------------------------------------------

OBJECT_ROUTES = [
    ("POST", "/v1/deals"), ("PUT", "/v1/deals/{deal}"),
    ("POST", "/api/v2/deals"), ("PATCH", "/api/v2/deals/{deal}"),
    ("POST", "/v1/persons"), ("PUT", "/v1/persons/{person}"),
    ("POST", "/api/v2/persons"), ("PATCH", "/api/v2/persons/{person}"),
    ("POST", "/v1/organizations"), ("PUT", "/v1/organizations/{org}"),
    ("POST", "/api/v2/organizations"), ("PATCH", "/api/v2/organizations/{org}"),
    ("POST", "/v1/pipelines"), ("PUT", "/v1/pipelines/{pipeline}"),
    ("POST", "/api/v2/pipelines"), ("PATCH", "/api/v2/pipelines/{pipeline}"),
    ("POST", "/v1/stages"), ("PUT", "/v1/stages/{stage}"),
    ("POST", "/api/v2/stages"), ("PATCH", "/api/v2/stages/{stage}"),
    ("POST", "/v1/dealFields"), ("PUT", "/v1/dealFields/{enum_id}"),
    ("POST", "/api/v2/dealFields"), ("PATCH", "/api/v2/dealFields/{enum_key}"),
    ("POST", "/v1/users"), ("PUT", "/v1/users/{user}"),
    ("POST", "/v1/activities"), ("PUT", "/v1/activities/{activity}"),
    ("POST", "/api/v2/activities"), ("PATCH", "/api/v2/activities/{activity}"),
    ("POST", "/v1/notes"), ("PUT", "/v1/notes/{note}"),
    ("POST", "/v1/products"), ("PUT", "/v1/products/{product}"),
    ("POST", "/api/v2/products"), ("PATCH", "/api/v2/products/{product}"),
    ("POST", "/api/v2/deals/{deal}/products"), ("POST", "/api/v2/deals/{deal}/discounts"),
    ("POST", "/v1/leads"), ("PATCH", "/v1/leads/{lead}"),
    ("POST", "/v1/leadLabels"), ("PATCH", "/v1/leadLabels/{lead_label}"),
    ("POST", "/v1/notes/{note}/comments"), ("POST", "/api/v2/leads/{lead}/convert/deal"),
    ("POST", "/v1/filters"), ("PUT", "/v1/filters/{filter}"),
]
ROUTE_IDS = [f"{m} {u}" for m, u in OBJECT_ROUTES]
MALFORMED = [b'{"title": ', b"{title: 'x'}", b'{"title": "x",}', b"\xff\xfe{}",
             b'{"title": NaN}', b'{"title": "x"} trailing']
NOT_OBJECTS = [b"[]", b'[{"title": "x", "name": "x"}]', b'"title"', b"42", b"true", b"null"]


@pytest.mark.parametrize("raw", MALFORMED, ids=[f"m{i}" for i in range(len(MALFORMED))])
@pytest.mark.parametrize(("method", "url"), OBJECT_ROUTES, ids=ROUTE_IDS)
def test_malformed_json_body(shop: Shop, method: str, url: str, raw: bytes) -> None:
    assert_refused_and_unchanged(shop, method, url, raw=raw)


@pytest.mark.parametrize("raw", NOT_OBJECTS, ids=[r.decode() for r in NOT_OBJECTS])
@pytest.mark.parametrize(("method", "url"), OBJECT_ROUTES, ids=ROUTE_IDS)
def test_body_that_is_not_an_object(shop: Shop, method: str, url: str, raw: bytes) -> None:
    assert_refused_and_unchanged(shop, method, url, raw=raw)


OPTION_ROUTES = ["POST", "PATCH", "DELETE"]
BAD_OPTION_BODIES: list[Any] = [
    (m, b) for m in OPTION_ROUTES for b in (
        {"label": "z"}, "z", [], [1], ["z"], [{"label": 5}], [{"label": ""}],
        [{"id": "1", "label": "z"}], [{"id": True, "label": "z"}], [{"bogus": 1}],
        [{"id": 1, "label": "z", "color": "red"}])
] + [("PATCH", [{"id": 999, "label": "z"}]), ("DELETE", [{"id": 999}]),
     ("POST", [{"id": 1, "label": "z"}])]  # POST items carry a label only


@pytest.mark.parametrize(("method", "body"), cases(BAD_OPTION_BODIES, lambda i, m, b: f"{m}-{i}"))
def test_bad_v2_option_bodies(shop: Shop, method: str, body: Any) -> None:
    assert_refused_and_unchanged(shop, method, "/api/v2/dealFields/{enum_key}/options", body)


@pytest.mark.parametrize("raw", MALFORMED[:4], ids=[f"m{i}" for i in range(4)])
@pytest.mark.parametrize("method", OPTION_ROUTES)
def test_malformed_v2_option_bodies(shop: Shop, method: str, raw: bytes) -> None:
    assert_refused_and_unchanged(shop, method, "/api/v2/dealFields/{enum_key}/options", raw=raw)


# ---- wrong types -------------------------------------------------------------------------

V1_DEAL_WRONG: tuple[dict[str, Any], ...] = (
    {"title": 123}, {"title": None}, {"title": ["x"]}, {"title": {"x": 1}}, {"title": True},
    {"value": "abc"}, {"value": True}, {"value": [1]}, {"value": 1e300},
    {"visible_to": 4}, {"visible_to": "4"}, {"visible_to": "everyone"},
    {"stage_id": "x"}, {"stage_id": -1}, {"stage_id": 1.5}, {"stage_id": 2**63},
    {"label": "nope"}, {"label": ["nope"]}, {"status": "maybe"}, {"status": 1},
    {"probability": 101}, {"probability": "high"}, {"expected_close_date": "2024-13-45"},
    {"expected_close_date": 20240101}, {"currency": "EURO"}, {"currency": 978},
    {"person_id": "abc"}, {"person_id": True}, {"org_id": {"id": 1}}, {"user_id": "me"},
    {"lost_reason": 5},
)
V2_DEAL_WRONG: tuple[dict[str, Any], ...] = (
    {"title": 123}, {"title": None}, {"value": "abc"}, {"value": "1"},
    {"visible_to": 4}, {"visible_to": "3"}, {"stage_id": "x"}, {"stage_id": "1"},
    {"label_ids": "nope"}, {"label_ids": ["1"]}, {"label_ids": 1}, {"owner_id": "1"},
    {"person_id": "1"}, {"org_id": 1.5}, {"pipeline_id": "1"}, {"status": "deleted"},
    {"probability": -1}, {"expected_close_date": "tomorrow"}, {"custom_fields": "x"},
    {"custom_fields": []},
)
WRONG_TYPES: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/v1/deals", {"title": ""}), ("POST", "/v1/deals", {"value": 5}),
    *((m, u, {"title": "ok", **b} if m == "POST" else b)
      for m, u, bodies in (("POST", "/v1/deals", V1_DEAL_WRONG), ("PUT", "/v1/deals/{deal}", V1_DEAL_WRONG),
                           ("POST", "/api/v2/deals", V2_DEAL_WRONG),
                           ("PATCH", "/api/v2/deals/{deal}", V2_DEAL_WRONG))
      for b in bodies),
]
WRONG_TYPES += [
    ("POST", "/v1/persons", {"name": 5}), ("POST", "/v1/persons", {"name": "x", "org_id": "abc"}),
    ("POST", "/v1/persons", {"name": "x", "visible_to": 2}),
    ("POST", "/v1/persons", {"name": "x", "label_ids": "vip"}),
    ("PUT", "/v1/persons/{person}", {"name": None}),
    ("POST", "/api/v2/persons", {"name": "x", "emails": "a@example.com"}),
    ("POST", "/api/v2/persons", {"name": "x", "owner_id": "1"}),
    ("PATCH", "/api/v2/persons/{person}", {"org_id": "1"}),
    ("POST", "/v1/organizations", {"name": 5}),
    ("POST", "/v1/organizations", {"name": "x", "address": 5}),
    ("POST", "/v1/organizations", {"name": "x", "address": {"value": "x", "planet": "Mars"}}),
    ("POST", "/api/v2/organizations", {"name": "x", "owner_id": "1"}),
    ("PATCH", "/api/v2/organizations/{org}", {"visible_to": 9}),
    ("POST", "/v1/pipelines", {"name": 5}), ("POST", "/v1/pipelines", {}),
    ("POST", "/v1/pipelines", {"name": "x", "deal_probability": "maybe"}),
    ("PUT", "/v1/pipelines/{pipeline}", {"name": None}),
    ("POST", "/api/v2/pipelines", {"name": "x", "is_deal_probability_enabled": "yes"}),
    ("POST", "/v1/stages", {"name": "x"}),
    ("POST", "/v1/stages", {"name": "x", "pipeline_id": "abc"}),
    ("POST", "/v1/stages", {"name": "x", "pipeline_id": 999999999}),
    ("POST", "/v1/stages", {"name": "x", "pipeline_id": 1, "deal_probability": "high"}),
    ("PUT", "/v1/stages/{stage}", {"rotten_days": "ten"}),
    ("POST", "/api/v2/stages", {"name": "x", "pipeline_id": "1"}),
    ("PATCH", "/api/v2/stages/{stage}", {"days_to_rotten": "ten"}),
    ("PUT", "/v1/users/{user}", {"active_flag": "nope"}),
    ("PUT", "/v1/users/{user}", {"active_flag": False}),  # cannot deactivate yourself
    ("POST", "/v1/users", {"email": "not-an-email"}),
    ("POST", "/v1/users", {"email": 5}),
    ("POST", "/v1/activities", {"subject": 5}), ("POST", "/v1/activities", {"type": "nope"}),
    ("POST", "/v1/activities", {"subject": "x", "due_date": "2024-02-30"}),
    ("POST", "/v1/activities", {"subject": "x", "due_time": "25:00"}),
    ("POST", "/v1/activities", {"subject": "x", "duration": "1h"}),
    ("POST", "/v1/activities", {"subject": "x", "deal_id": 999999999}),
    ("PUT", "/v1/activities/{activity}", {"done": "maybe"}),
    ("PATCH", "/api/v2/activities/{activity}", {"participants": [{"person_id": "1"}]}),
    ("PATCH", "/api/v2/activities/{activity}", {"priority": "urgent"}),
    ("POST", "/v1/notes", {"content": ""}), ("POST", "/v1/notes", {"content": "x", "deal_id": "a"}),
    ("PUT", "/v1/notes/{note}", {"pinned_to_deal_flag": "yes"}),
    ("POST", "/api/v2/products", {"name": "x", "prices": "free"}),
    ("POST", "/api/v2/products", {"name": "x", "prices": [{"currency": "EURO", "price": 1}]}),
    ("PATCH", "/api/v2/products/{product}", {"tax": "high"}),
    ("PUT", "/v1/products/{product}", {"name": None}),
    ("POST", "/api/v2/deals/{deal}/products", {"product_id": "x", "item_price": 1}),
    ("POST", "/api/v2/deals/{deal}/products", {"product_id": 999999999, "item_price": 1}),
    ("POST", "/api/v2/deals/{deal}/discounts", {"description": "d", "amount": -1,
                                                "type": "amount"}),
    ("POST", "/v1/leads", {"title": "x"}),  # neither person nor organization
    ("POST", "/v1/leads", {"title": "x", "person_id": 1, "value": {"amount": 1}}),
    ("PATCH", "/v1/leads/{lead}", {"label_ids": ["00000000-0000-4000-8000-000000000000"]}),
    ("PATCH", "/v1/leads/{lead}", {"expected_close_date": "soon"}),
    ("POST", "/v1/leadLabels", {"name": "x", "color": "rainbow"}),
    ("PATCH", "/v1/leadLabels/{lead_label}", {"name": None}),
    ("POST", "/v1/notes/{note}/comments", {"content": 5}),
    ("POST", "/api/v2/leads/{lead}/convert/deal", {"stage_id": "first"}),
]


@pytest.mark.parametrize(("method", "url", "body"), WRONG_TYPES,
                         ids=[f"{m} {u} {orjson.dumps(b).decode()[:60]}" for m, u, b in WRONG_TYPES])
def test_wrong_types(shop: Shop, method: str, url: str, body: dict[str, Any]) -> None:
    if body.get("pipeline_id") == 1 and "stages" in url:
        body = {**body, "pipeline_id": shop.ids["pipeline"]}
    assert_refused_and_unchanged(shop, method, url, body)


BLANK_REQUIRED: list[Any] = [
    ("PUT", "/v1/deals/{deal}", {"title": ""}), ("PATCH", "/api/v2/deals/{deal}", {"title": ""}),
    ("PUT", "/v1/persons/{person}", {"name": ""}),
    ("PATCH", "/api/v2/persons/{person}", {"name": ""}),
    ("PUT", "/v1/organizations/{org}", {"name": ""}),
    ("PATCH", "/api/v2/organizations/{org}", {"name": ""}),
    ("PUT", "/v1/pipelines/{pipeline}", {"name": ""}), ("PUT", "/v1/stages/{stage}", {"name": ""}),
]


@pytest.mark.parametrize(("method", "url", "body"),
                         cases(BLANK_REQUIRED, lambda i, m, u, b: f"{m} {u}"))
def test_required_name_cannot_be_blanked_by_update(shop: Shop, method: str, url: str,
                                                   body: dict[str, Any]) -> None:
    assert_refused_and_unchanged(shop, method, url, body)


# ---- unknown and read-only body fields ----------------------------------------------------

UNKNOWN = [
    ("POST", "/api/v2/deals", {"title": "x", "bogus": 1}),
    ("POST", "/api/v2/deals", {"title": "x", "add_time": "2020-01-01T00:00:00Z"}),
    ("POST", "/api/v2/deals", {"title": "x", "update_time": "2020-01-01T00:00:00Z"}),
    ("POST", "/api/v2/deals", {"title": "x", "id": 12345}),
    ("POST", "/api/v2/deals", {"title": "x", "creator_user_id": 1}),
    ("POST", "/api/v2/deals", {"title": "x", "is_deleted": False}),
    ("POST", "/api/v2/deals", {"title": "x", "user_id": 1}),
    ("POST", "/api/v2/deals", {"title": "x", "custom_fields": {"nope": 1}}),
    ("POST", "/api/v2/deals", {"title": "x", "custom_fields": {"0" * 40: 1}}),
    ("PATCH", "/api/v2/deals/{deal}", {"bogus": 1}),
    ("PATCH", "/api/v2/deals/{deal}", {"title": "y", "won_time": "2020-01-01T00:00:00Z"}),
    ("PATCH", "/api/v2/deals/{deal}", {"arr": 5}),
    ("POST", "/api/v2/persons", {"name": "x", "email": "a@example.com"}),
    ("PATCH", "/api/v2/persons/{person}", {"first_char": "a"}),
    ("POST", "/api/v2/organizations", {"name": "x", "people_count": 3}),
    ("PATCH", "/api/v2/pipelines/{pipeline}", {"order_nr": 9}),
    ("PATCH", "/api/v2/stages/{stage}", {"bogus": True}),
    ("POST", "/api/v2/dealFields", {"field_name": "x", "field_type": "varchar", "bogus": 1}),
    ("PATCH", "/api/v2/dealFields/{enum_key}", {"field_type": "set"}),
    ("POST", "/v1/deals", {"title": "x", "bogus": 1}),
    ("POST", "/v1/deals", {"title": "x", "0123456789abcdef0123456789abcdef01234567": 1}),
    ("POST", "/v1/deals", {"title": "x", "custom_fields": {}}),
    ("PUT", "/v1/deals/{deal}", {"bogus": 1}),
    ("PUT", "/v1/deals/{deal}", {"title": "y", "is_deleted": True}),
    ("POST", "/v1/persons", {"name": "x", "emails": []}),
    ("PUT", "/v1/organizations/{org}", {"bogus": 1}),
    ("POST", "/v1/pipelines", {"name": "x", "bogus": 1}),
    ("PUT", "/v1/stages/{stage}", {"bogus": 1}),
    ("POST", "/v1/dealFields", {"name": "x", "field_type": "varchar", "bogus": 1}),
    ("PUT", "/v1/dealFields/{enum_id}", {"field_type": "set"}),
    ("POST", "/v1/users", {"email": "new@example.com", "bogus": 1}),
    ("POST", "/v1/filters", {"name": "x", "type": "deals", "bogus": 1,
                             "conditions": {"glue": "and", "conditions": []}}),
    ("PUT", "/v1/filters/{filter}", {"name": "y", "user_id": 2, "bogus": 1}),
]


@pytest.mark.parametrize(("method", "url", "body"), UNKNOWN,
                         ids=[f"{m} {u} {i}" for i, (m, u, _) in enumerate(UNKNOWN)])
def test_unknown_body_fields_are_refused(shop: Shop, method: str, url: str,
                                         body: dict[str, Any]) -> None:
    assert_refused_and_unchanged(shop, method, url, body)


ECHOED = {  # v1 read-only keys a client echoes back from a GET: ignored
    "add_time": "2000-01-01 00:00:00", "update_time": "2000-01-01 00:00:00",
    "formatted_value": "$999", "weighted_value": 999, "id": 12345, "creator_user_id": 1,
    "org_name": "Other", "person_name": "Other", "owner_name": "Other", "active": False,
    "deleted": True, "stage_order_nr": 9, "close_time": "2000-01-01 00:00:00",
    "won_time": "2000-01-01 00:00:00", "products_count": 9, "rotten_time": None,
    "first_won_time": "2000-01-01 00:00:00",
}


@pytest.mark.parametrize(("key", "value"), list(ECHOED.items()), ids=list(ECHOED))
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_v1_echoed_read_only_keys_are_ignored(shop: Shop, method: str, key: str,
                                              value: Any) -> None:
    url = "/v1/deals" if method == "POST" else f"/v1/deals/{shop.ids['deal']}"
    before = shop.pd.get(f"/v1/deals/{shop.ids['deal']}").json()["data"]
    r = shop.pd.request(method, url, json={"title": "Echo", key: value})
    assert r.status_code in (200, 201), r.text
    data = r.json()["data"]
    assert data["title"] == "Echo"
    if method == "PUT":
        assert data["id"] == shop.ids["deal"] and data["add_time"] == before["add_time"]
    if value is not None:
        assert data.get(key) != value
    assert data["deleted"] is False and data["active"] is True and data["is_archived"] is False


def test_v1_whole_get_object_put_back_changes_nothing_but_update_time(shop: Shop) -> None:
    before = shop.pd.get(f"/v1/deals/{shop.ids['deal']}").json()["data"]
    r = shop.pd.put(f"/v1/deals/{shop.ids['deal']}", json=before)
    assert r.status_code == 200, r.text
    after = shop.pd.get(f"/v1/deals/{shop.ids['deal']}").json()["data"]
    assert {k: v for k, v in after.items() if k != "update_time"} == {
        k: v for k, v in before.items() if k != "update_time"}


# ---- sorting, paging ----------------------------------------------------------------------

SORTABLE_V1 = ["/v1/deals", "/v1/persons", "/v1/organizations", "/v1/stages"]
BAD_V1_SORTS = ["nope ASC", "nope", "title UP", "title ASC DESC", "title;DROP TABLE deals",
                "title, nope", "id,id,id,id,id,id", "title ASC,", "title -- x", "(id)",
                "id ASC NULLS FIRST", "title\x00"]
SORTABLE_V2 = ["/api/v2/deals", "/api/v2/persons", "/api/v2/organizations", "/api/v2/pipelines",
               "/api/v2/stages"]
BAD_V2_SORTS = [{"sort_by": "nope"}, {"sort_by": "title"}, {"sort_by": "id;DROP TABLE deals"},
                {"sort_by": "id DESC"}, {"sort_direction": "up"}, {"sort_direction": "asc;"},
                {"sort_direction": "descending"}]


def q(url: str, params: dict[str, Any]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params, quote_via=quote)}"


@pytest.mark.parametrize("sort", BAD_V1_SORTS)
@pytest.mark.parametrize("url", SORTABLE_V1)
def test_bad_v1_sort(shop: Shop, url: str, sort: str) -> None:
    if url != "/v1/deals":
        sort = sort.replace("title", "name")
    assert_refused_and_unchanged(shop, "GET", q(url, {"sort": sort}))


@pytest.mark.parametrize("params", BAD_V2_SORTS, ids=[str(p) for p in BAD_V2_SORTS])
@pytest.mark.parametrize("url", SORTABLE_V2)
def test_bad_v2_sort(shop: Shop, url: str, params: dict[str, str]) -> None:
    assert_refused_and_unchanged(shop, "GET", q(url, params))


PAGED = ["/v1/deals", "/v1/persons", "/v1/organizations", "/v1/stages", "/v1/pipelines",
         "/v1/dealFields", "/api/v2/deals", "/api/v2/persons", "/api/v2/organizations",
         "/api/v2/pipelines", "/api/v2/stages", "/api/v2/dealFields"]
BAD_PAGING = [{"limit": "501"}, {"limit": "0"}, {"limit": "-1"}, {"limit": "abc"},
              {"limit": "1.5"}, {"limit": "1e3"}, {"limit": "0x10"}, {"limit": "9" * 30},
              {"limit": " "}, {"limit": "10 OR 1=1"}]
BAD_START = [{"start": "-1"}, {"start": "abc"}, {"start": "1.5"}, {"start": "9" * 30}]
PAGING_CASES = [(u, p) for u in PAGED for p in BAD_PAGING] + [
    (u, p) for u in PAGED if u.startswith("/v1/") and u != "/v1/pipelines" for p in BAD_START]


@pytest.mark.parametrize(("url", "params"), PAGING_CASES, ids=[f"{u} {p}" for u, p in PAGING_CASES])
def test_bad_limit_and_start(shop: Shop, url: str, params: dict[str, str]) -> None:
    assert_refused_and_unchanged(shop, "GET", q(url, params))


def test_limit_500_is_the_maximum_and_accepted(shop: Shop) -> None:
    for url in PAGED:
        assert shop.pd.get(q(url, {"limit": "500"})).status_code == 200, url


# ---- hostile strings in filters -------------------------------------------------------------

HOSTILE = [
    ("/v1/deals", {"sort": "title;DROP TABLE deals"}),
    ("/v1/deals", {"status": "open' OR 1=1"}),
    ("/v1/deals", {"status": "open) OR (1=1"}),
    ("/v1/deals", {"user_id": "1 OR 1=1"}),
    ("/v1/deals", {"stage_id": "1;DROP TABLE stages"}),
    ("/v1/deals", {"person_id": "-1"}),
    ("/v1/deals", {"org_id": "1e3"}),
    ("/v1/deals", {"pipeline_id": "0x1"}),
    ("/v1/persons", {"org_id": "'; DELETE FROM persons; --"}),
    ("/v1/stages", {"pipeline_id": "1 UNION SELECT * FROM api_tokens"}),
    ("/api/v2/deals", {"ids": "1,2) OR (1=1"}),
    ("/api/v2/deals", {"ids": ",".join(["1"] * 101)}),
    ("/api/v2/deals", {"status": "open' OR '1'='1"}),
    ("/api/v2/deals", {"status": "all_not_deleted"}),
    ("/api/v2/deals", {"owner_id": "1; DROP TABLE users"}),
    ("/api/v2/deals", {"updated_since": "garbage"}),
    ("/api/v2/deals", {"updated_since": "2024-01-01' OR 1=1 --"}),
    ("/api/v2/deals", {"updated_since": "2024-13-01T00:00:00Z"}),
    ("/api/v2/deals", {"updated_until": "yesterday"}),
    ("/api/v2/deals", {"updated_since": "99999-01-01T00:00:00Z"}),
    ("/api/v2/persons", {"updated_since": "1' OR '1'='1"}),
    ("/api/v2/deals", {"include_fields": "x;DROP TABLE deals"}),
    ("/api/v2/deals", {"custom_fields": ",".join(str(i) for i in range(16))}),
    ("/api/v2/deals", {"include_option_labels": "maybe"}),
    ("/api/v2/dealFields", {"include_fields": "'; DROP TABLE custom_fields; --"}),
    ("/v1/users/find", {"term": ""}),
    ("/v1/users/find", {"term": "x" * 256}),
    ("/v1/users/find", {"term": "x", "search_by_email": "yes"}),
    ("/v1/deals", {"first_char": "x" * 4001, "status": "x" * 4001}),
    ("/v1/deals", {"filter_id": "1 OR 1=1"}),
    ("/api/v2/deals", {"filter_id": "1;DROP TABLE filters"}),
    ("/v1/persons", {"filter_id": "-1"}),
    ("/v1/filters", {"type": "deals' OR 1=1"}),
]


@pytest.mark.parametrize(("url", "params"), HOSTILE,
                         ids=[f"{u} {str(p)[:50]}" for u, p in HOSTILE])
def test_hostile_filter_values_are_refused(shop: Shop, url: str, params: dict[str, str]) -> None:
    assert_refused_and_unchanged(shop, "GET", q(url, params))


MATCH_NOTHING = [
    ("/v1/persons", {"first_char": "';DROP TABLE deals;--"}),
    ("/v1/persons", {"first_char": "%"}),
    ("/v1/persons", {"first_char": "_"}),
    ("/v1/persons", {"first_char": "\\"}),
    ("/v1/persons", {"first_char": "' OR '1'='1"}),
    ("/v1/organizations", {"first_char": "%' OR 1=1 --"}),
    ("/v1/organizations", {"first_char": "_"}),
    ("/v1/users/find", {"term": "' OR 1=1 --"}),
    ("/v1/users/find", {"term": "%"}),
    ("/v1/users/find", {"term": "_", "search_by_email": "1"}),
]


@pytest.mark.parametrize(("url", "params"), MATCH_NOTHING,
                         ids=[f"{u} {p}" for u, p in MATCH_NOTHING])
def test_hostile_text_filters_match_nothing(shop: Shop, url: str, params: dict[str, str]) -> None:
    """Text filters are values, never SQL or LIKE patterns: they match no record."""
    before = state(shop.pd)
    r = shop.pd.get(q(url, params))
    assert r.status_code == 200, r.text
    assert r.json()["data"] in ([], None)
    assert state(shop.pd) == before  # every table still answers and holds the same rows


def _cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


BAD_CURSORS = [
    "!!!!", "abc", "=", base64.urlsafe_b64encode(bytes(range(200, 248))).decode(),
    base64.urlsafe_b64encode(b"not json").decode(), _cursor([1, 2]), _cursor({"s": [["id", 0]]}),
    _cursor({"s": [["id", 0]], "v": [1, 2]}), _cursor({"s": [["id", 0]], "v": [{"x": 1}]}),
    _cursor({"s": [["id", 0]], "v": [[1]]}), _cursor({"s": [["title", 0]], "v": ["x"]}),
    _cursor({"s": [["id", 1]], "v": [1]}), "x" * 5000,
]
CURSOR_KIND = [  # a well-formed cursor for sort_by=id whose value has the wrong kind
    _cursor({"s": [["id", 0]], "v": [v]}) for v in ("abc", 2**70, 2**63, 1.5, True, "1' OR 1=1")
]


@pytest.mark.parametrize("cursor", cases(BAD_CURSORS + CURSOR_KIND, lambda i, c: f"c{i}"))
@pytest.mark.parametrize("url", ["/api/v2/deals", "/api/v2/persons", "/api/v2/stages",
                                 "/api/v2/dealFields"])
def test_bad_cursor(shop: Shop, url: str, cursor: str) -> None:
    assert_refused_and_unchanged(shop, "GET", q(url, {"cursor": cursor}))


NULL_CURSOR_URLS = ["/api/v2/deals", "/api/v2/persons", "/api/v2/stages", "/api/v2/dealFields"]


@pytest.mark.parametrize("url", NULL_CURSOR_URLS)
def test_cursor_with_null_value(shop: Shop, url: str) -> None:
    cursor = _cursor({"s": [["position" if "Fields" in url else "id", 0]], "v": [None]})
    assert_refused_and_unchanged(shop, "GET", q(url, {"cursor": cursor}))


@pytest.mark.parametrize(("made_for", "used_with"), [
    ({"sort_by": "add_time"}, {}), ({}, {"sort_by": "update_time"}),
    ({}, {"sort_direction": "desc"}), ({"sort_by": "add_time", "sort_direction": "desc"},
                                       {"sort_by": "add_time"}),
])
def test_cursor_of_another_sort_is_refused(shop: Shop, made_for: dict[str, str],
                                           used_with: dict[str, str]) -> None:
    _data(shop.pd.post("/v1/deals", json={"title": "Second"}))
    r = shop.pd.get(q("/api/v2/deals", {"limit": "1", **made_for}))
    cursor = r.json()["additional_data"]["next_cursor"]
    assert cursor, r.text
    assert shop.pd.get(q("/api/v2/deals", {"limit": "1", **made_for, "cursor": cursor})
                       ).status_code == 200
    assert_refused_and_unchanged(shop, "GET", q("/api/v2/deals", {**used_with, "cursor": cursor}))


def test_deal_cursor_is_refused_by_fields_list(shop: Shop) -> None:
    _data(shop.pd.post("/v1/deals", json={"title": "Second"}))
    cursor = shop.pd.get("/api/v2/deals?limit=1").json()["additional_data"]["next_cursor"]
    assert_refused_and_unchanged(shop, "GET", q("/api/v2/dealFields", {"cursor": cursor}))


# ---- a stage of another pipeline, and dead references --------------------------------------

MISPLACED = [  # (method, url, body)
    ("POST", "/v1/deals", {"title": "x", "pipeline_id": "{pipeline}", "stage_id": "{stage2}"}),
    ("POST", "/api/v2/deals", {"title": "x", "pipeline_id": "{pipeline}", "stage_id": "{stage2}"}),
    ("PUT", "/v1/deals/{deal}", {"pipeline_id": "{pipeline}", "stage_id": "{stage2}"}),
    ("PATCH", "/api/v2/deals/{deal}", {"pipeline_id": "{pipeline}", "stage_id": "{stage2}"}),
    ("PUT", "/v1/deals/{deal}", {"pipeline_id": "{pipeline2}", "stage_id": "{stage}"}),
    ("POST", "/v1/deals", {"title": "x", "stage_id": "{gone_stage}"}),
    ("PUT", "/v1/deals/{deal}", {"stage_id": "{gone_stage}"}),
    ("POST", "/api/v2/deals", {"title": "x", "person_id": "{gone_person}"}),
    ("PUT", "/v1/deals/{deal}", {"person_id": "{gone_person}"}),
    ("POST", "/v1/deals", {"title": "x", "pipeline_id": 999999999}),
    ("POST", "/v1/deals", {"title": "x", "org_id": 999999999}),
    ("PATCH", "/api/v2/deals/{deal}", {"owner_id": 999999999}),
    ("POST", "/v1/persons", {"name": "x", "org_id": 999999999}),
    ("PUT", "/v1/stages/{stage}", {"pipeline_id": 999999999}),
]


@pytest.mark.parametrize(("method", "url", "body"), MISPLACED,
                         ids=[f"{m} {u} {i}" for i, (m, u, _) in enumerate(MISPLACED)])
def test_misplaced_stage_and_dead_references(shop: Shop, method: str, url: str,
                                             body: dict[str, Any]) -> None:
    resolved = {k: shop.ids[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v
                for k, v in body.items()}
    assert_refused_and_unchanged(shop, method, url, resolved)


# ---- sizes and NUL characters ---------------------------------------------------------------

LONG = "x" * 100_000
TOO_LONG = [
    ("POST", "/v1/deals", {"title": LONG}), ("POST", "/api/v2/deals", {"title": LONG}),
    ("PUT", "/v1/deals/{deal}", {"title": LONG}), ("PATCH", "/api/v2/deals/{deal}", {"title": LONG}),
    ("POST", "/v1/deals", {"title": "x" * 256}), ("PUT", "/v1/deals/{deal}", {"lost_reason": LONG}),
    ("POST", "/v1/persons", {"name": LONG}), ("POST", "/v1/organizations", {"name": LONG}),
    ("POST", "/v1/pipelines", {"name": LONG}), ("PUT", "/v1/deals/{deal}", {"{text_key}": LONG}),
    ("POST", "/v1/dealFields", {"name": "x" * 256, "field_type": "varchar"}),
    ("POST", "/api/v2/dealFields/{enum_key}/options", [{"label": "x" * 256}]),
]


@pytest.mark.parametrize(("method", "url", "body"), TOO_LONG,
                         ids=[f"{m} {u} {i}" for i, (m, u, _) in enumerate(TOO_LONG)])
def test_too_long_strings(shop: Shop, method: str, url: str, body: Any) -> None:
    if isinstance(body, dict):
        body = {shop.url(k): v for k, v in body.items()}
    assert_refused_and_unchanged(shop, method, url, body)


BIG = {"title": "x", "note": "y" * (1 << 20)}


@pytest.mark.parametrize(("method", "url"), [("POST", "/v1/deals"), ("PUT", "/v1/deals/{deal}"),
                                             ("POST", "/api/v2/deals"),
                                             ("PATCH", "/api/v2/deals/{deal}"),
                                             ("POST", "/v1/dealFields"),
                                             ("POST", "/api/v2/dealFields/{enum_key}/options")])
def test_body_over_one_mib_is_413(shop: Shop, method: str, url: str) -> None:
    assert_refused_and_unchanged(shop, method, url, raw=orjson.dumps(BIG), status=413)


def test_chunked_body_over_one_mib_is_413(shop: Shop, http: SyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "'
        for _ in range(20):
            yield b"z" * 65536
        yield b'"}'

    before = state(shop.pd)
    r = http.request("POST", "/v1/deals", content=chunks(),
                     headers={"x-api-token": shop.tenant.company.api_token,
                              "content-type": "application/json"})
    refused(r, 413)
    assert state(shop.pd) == before


def test_lying_content_length_is_413(shop: Shop) -> None:
    before = state(shop.pd)
    r = shop.pd.post("/v1/deals", content=b'{"title": "x"}',
                     headers={"content-type": "application/json",
                              "content-length": str((1 << 20) + 1)})
    refused(r, 413)
    assert state(shop.pd) == before


NUL: list[Any] = [
    ("POST", "/v1/deals", {"title": "a\x00b"}), ("POST", "/api/v2/deals", {"title": "a\x00b"}),
    ("PUT", "/v1/deals/{deal}", {"title": "a\x00b"}),
    ("PATCH", "/api/v2/deals/{deal}", {"title": "\x00"}),
    ("PUT", "/v1/deals/{deal}", {"currency": "US\x00"}),
    ("POST", "/v1/deals", {"title": "x", "ti\x00tle": "y"}),
    ("PUT", "/v1/deals/{deal}", {"{text_key}": "a\x00b"}),
    ("PATCH", "/api/v2/deals/{deal}", {"custom_fields": {"{text_key}": "a\x00b"}}),
    ("POST", "/v1/persons", {"name": "a\x00b"}),
    ("POST", "/v1/persons", {"name": "x", "email": [{"value": "a\x00@example.com"}]}),
    ("POST", "/api/v2/persons", {"name": "x", "phones": [{"value": "1\x002"}]}),
    ("POST", "/v1/organizations", {"name": "a\x00b"}),
    ("PUT", "/v1/organizations/{org}", {"address": "a\x00b"}),
    ("POST", "/v1/pipelines", {"name": "a\x00b"}), ("POST", "/v1/stages", {"name": "a\x00b"}),
    ("POST", "/v1/dealFields", {"name": "a\x00b", "field_type": "varchar"}),
    ("POST", "/api/v2/dealFields", {"field_name": "a\x00b", "field_type": "varchar"}),
    ("PUT", "/v1/dealFields/{enum_id}", {"name": "a\x00b"}),
    ("PATCH", "/api/v2/dealFields/{enum_key}", {"field_name": "a\x00b"}),
    ("POST", "/v1/dealFields",
        {"name": "x", "field_type": "enum", "options": [{"label": "\x00"}]}),
    ("POST", "/api/v2/dealFields/{enum_key}/options", [{"label": "a\x00b"}]),
    ("PATCH", "/api/v2/dealFields/{enum_key}/options", [{"id": 1, "label": "a\x00b"}]),
    ("POST", "/v1/users", {"email": "a\x00@example.com"}),
]


@pytest.mark.parametrize(("method", "url", "body"), cases(NUL, lambda i, m, u, b: f"{m} {u} {i}"))
def test_nul_characters_in_strings(shop: Shop, method: str, url: str, body: Any) -> None:
    if isinstance(body, dict):
        body = {shop.url(k): ({shop.url(ck): cv for ck, cv in v.items()} if isinstance(v, dict)
                              else v) for k, v in body.items()}
    assert_refused_and_unchanged(shop, method, url, body)


NUL_QUERIES = [
    ("/v1/persons", {"first_char": "\x00"}), ("/v1/organizations", {"first_char": "a\x00"}),
    ("/v1/users/find", {"term": "\x00"}), ("/v1/deals", {"sort": "title\x00"}),
    ("/v1/deals", {"status": "open\x00"}), ("/api/v2/deals", {"cursor": "\x00"}),
    ("/api/v2/deals", {"updated_since": "2024-01-01\x00"}), ("/api/v2/deals", {"ids": "1\x00"}),
    ("/api/v2/deals", {"custom_fields": "\x00"}),
]


@pytest.mark.parametrize(("url", "params"), NUL_QUERIES, ids=[f"{u} {list(p)[0]}" for u, p in NUL_QUERIES])
def test_nul_characters_in_query_strings(shop: Shop, url: str, params: dict[str, str]) -> None:
    """A NUL in a query value is refused (400) or matches nothing (200 []); never a 500."""
    before = state(shop.pd)
    r = shop.pd.get(q(url, params))
    if r.status_code == 200:
        assert r.json()["data"] in ([], None) or "custom_fields" in params
    else:
        refused(r)
    assert state(shop.pd) == before


# ---- deleted records, bad ids in paths ------------------------------------------------------

GONE = [("DELETE", "/v1/deals/{gone_deal}"), ("DELETE", "/api/v2/deals/{gone_deal}"),
        ("DELETE", "/v1/deals?ids={gone_deal}"), ("DELETE", "/v1/deals?ids={deal},{gone_deal}"),
        ("PUT", "/v1/deals/{gone_deal}"), ("PATCH", "/api/v2/deals/{gone_deal}"),
        ("DELETE", "/v1/persons/{gone_person}"), ("DELETE", "/api/v2/persons/{gone_person}"),
        ("PUT", "/v1/persons/{gone_person}"), ("DELETE", "/v1/stages/{gone_stage}"),
        ("PATCH", "/api/v2/stages/{gone_stage}")]


@pytest.mark.parametrize(("method", "url"), GONE, ids=[f"{m} {u}" for m, u in GONE])
def test_already_deleted_records_are_404(shop: Shop, method: str, url: str) -> None:
    body = {"name": "again"} if "stage" in url or "person" in url else {"title": "again"}
    assert_refused_and_unchanged(shop, method, url, body if method in ("PUT", "PATCH") else None,
                                 status=404)


BAD_PATH_IDS = ["abc", "-1", "0", "1.0", "1e3", "99999999999999999999", "%20", "1%00", "0x1",
                "' OR 1=1"]


@pytest.mark.parametrize("ident", BAD_PATH_IDS)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_bad_ids_in_paths_are_404(shop: Shop, method: str, ident: str) -> None:
    for base in ("/v1/deals", "/api/v2/deals", "/v1/dealFields"):
        m = "PATCH" if method == "PUT" and base.startswith("/api/v2") else method
        body = None if method != "PUT" else {"name": "x"} if "Fields" in base else {"title": "x"}
        before = state(shop.pd)
        refused(shop.pd.request(m, f"{base}/{quote(ident, safe='%')}", json=body, check=False),
                404)
        assert state(shop.pd) == before


@pytest.mark.parametrize("ids", ["", "abc", "1,abc", "-1", ",", "1;2", ",".join(["1"] * 501)])
def test_bad_bulk_delete_ids(shop: Shop, ids: str) -> None:
    before = state(shop.pd)
    r = shop.pd.delete(q("/v1/deals", {"ids": ids}) if ids else "/v1/deals")
    refused(r, (400, 404))
    assert state(shop.pd) == before


def test_unknown_route_and_method_answer_in_error_shape(shop: Shop) -> None:
    refused(shop.pd.get("/v1/nope", check=False), 404)
    refused(shop.pd.get("/api/v2/nope/1", check=False), 404)
    refused(shop.pd.request("PATCH", f"/v1/deals/{shop.ids['deal']}", json={"title": "x"},
                            check=False), 405)
    refused(shop.pd.request("PUT", f"/api/v2/deals/{shop.ids['deal']}", json={"title": "x"},
                            check=False), 405)


# ---- custom field definitions and values -------------------------------------------------

BAD_FIELDS: list[Any] = [
    {"name": "x", "field_type": "bogus"}, {"name": "x", "field_type": "ENUM"},
    {"name": "x", "field_type": None}, {"name": "x"}, {"name": "x", "field_type": "enum"},
    {"name": "x", "field_type": "enum", "options": []},
    {"name": "x", "field_type": "set", "options": None},
    {"name": "x", "field_type": "enum", "options": [{"label": ""}]},
    {"name": "x", "field_type": "enum", "options": [{"nolabel": "a"}]},
    {"name": "x", "field_type": "enum", "options": "ab"},
    {"name": "x", "field_type": "set", "options": {"label": "a"}},
    {"name": "x", "field_type": "enum", "options": [5]},
    {"name": "x", "field_type": "varchar", "options": [{"label": "a"}]},
    {"name": "", "field_type": "varchar"}, {"name": "   ", "field_type": "varchar"},
    {"name": None, "field_type": "varchar"}, {"name": 5, "field_type": "varchar"},
    {"field_type": "varchar"}, {},
    {"name": "x", "field_type": "varchar", "add_visible_flag": "yes"},
]
FIELD_RESOURCES = ["dealFields", "personFields", "organizationFields"]


def _v2_field(body: dict[str, Any]) -> dict[str, Any]:  # v1 body in v2 names
    out = {("field_name" if k == "name" else k): v for k, v in body.items()}
    if "add_visible_flag" in out:
        out["ui_visibility"] = out.pop("add_visible_flag")
    return out


@pytest.mark.parametrize("body", cases(BAD_FIELDS, lambda i, b: f"f{i}"))
@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("resource", FIELD_RESOURCES)
def test_bad_custom_field_definitions(shop: Shop, resource: str, version: str,
                                      body: dict[str, Any]) -> None:
    if version == "v1":
        assert_refused_and_unchanged(shop, "POST", f"/v1/{resource}", body)
    else:
        assert_refused_and_unchanged(shop, "POST", f"/api/v2/{resource}", _v2_field(body))


BAD_FIELD_UPDATES = [
    ("PUT", "/v1/dealFields/{enum_id}", {"name": ""}),
    ("PUT", "/v1/dealFields/{enum_id}", {"options": []}),
    ("PUT", "/v1/dealFields/{enum_id}", {"options": [{"id": 99, "label": "z"}]}),
    ("PUT", "/v1/dealFields/{enum_id}", {"options": "not json"}),
    ("PUT", "/v1/dealFields/{enum_id}", {"options": "[5]"}),
    ("PATCH", "/api/v2/dealFields/{enum_key}", {"field_name": ""}),
    ("PATCH", "/api/v2/dealFields/{enum_key}", {"ui_visibility": "x"}),
    ("PATCH", "/api/v2/dealFields/{enum_key}", {"description": 5}),
    ("PUT", "/v1/dealFields/9000000", {"name": "system"}),
    ("DELETE", "/v1/dealFields/9000000", None),
    ("PATCH", "/api/v2/dealFields/title", {"field_name": "system"}),
    ("DELETE", "/api/v2/dealFields/title", None),
    ("DELETE", "/api/v2/dealFields/{enum_key}/options", [{"id": 1}, {"id": 2}]),
    ("DELETE", "/v1/dealFields?ids=abc", None),
    ("DELETE", "/v1/dealFields?ids={enum_id},999999999", None),
]


@pytest.mark.parametrize(("method", "url", "body"), BAD_FIELD_UPDATES,
                         ids=[f"{m} {u} {i}" for i, (m, u, _) in enumerate(BAD_FIELD_UPDATES)])
def test_bad_custom_field_updates(shop: Shop, method: str, url: str, body: Any) -> None:
    assert_refused_and_unchanged(shop, method, url, body, status=(400, 404))


BAD_VALUES = [
    ("POST", "/v1/deals", {"title": "x", "{enum_key}": 99}),
    ("POST", "/v1/deals", {"title": "x", "{enum_key}": "99"}),
    ("POST", "/v1/deals", {"title": "x", "{enum_key}": "abc"}),
    ("POST", "/v1/deals", {"title": "x", "{enum_key}": 0}),
    ("POST", "/v1/deals", {"title": "x", "{enum_key}": [1]}),
    ("PUT", "/v1/deals/{deal}", {"{enum_key}": 99}),
    ("PUT", "/v1/deals/{deal}", {"{enum_key}": "2,1"}),
    ("PUT", "/v1/deals/{deal}", {"{enum_key}": True}),
    ("PUT", "/v1/deals/{deal}", {"{set_key}": "1,99"}),
    ("PUT", "/v1/deals/{deal}", {"{set_key}": "x,y"}),
    ("PUT", "/v1/deals/{deal}", {"{set_key}": [1, "abc"]}),
    ("POST", "/api/v2/deals", {"title": "x", "custom_fields": {"{enum_key}": 99}}),
    ("POST", "/api/v2/deals", {"title": "x", "custom_fields": {"{enum_key}": "1"}}),
    ("PATCH", "/api/v2/deals/{deal}", {"custom_fields": {"{enum_key}": 99}}),
    ("PATCH", "/api/v2/deals/{deal}", {"custom_fields": {"{enum_key}": 1.5}}),
    ("PATCH", "/api/v2/deals/{deal}", {"custom_fields": {"{enum_key}": {"id": 1}}}),
    ("PATCH", "/api/v2/deals/{deal}", {"custom_fields": {"{set_key}": [1, 99]}}),
    ("PATCH", "/api/v2/deals/{deal}", {"custom_fields": {"{set_key}": 1}}),
    ("PATCH", "/api/v2/deals/{deal}", {"custom_fields": {"{set_key}": []}}),
    ("PATCH", "/api/v2/deals/{deal}", {"custom_fields": {"{text_key}": 5}}),
]


@pytest.mark.parametrize(("method", "url", "body"), BAD_VALUES,
                         ids=[f"{m} {u} {i}" for i, (m, u, _) in enumerate(BAD_VALUES)])
def test_bad_custom_field_values(shop: Shop, method: str, url: str, body: dict[str, Any]) -> None:
    resolved = {shop.url(k): ({shop.url(ck): cv for ck, cv in v.items()} if isinstance(v, dict)
                              else v) for k, v in body.items()}
    assert_refused_and_unchanged(shop, method, url, resolved)
