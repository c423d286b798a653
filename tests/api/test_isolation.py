"""Tenant isolation through every door of the Pipedrive API.

Company A (``tenant``) owns a deal (with person and organization), a person, an
organization, a pipeline with a stage and an enum custom deal field. Company B
(``other``) uses its own token and must neither read, change, delete nor learn the
existence of any of A's records: every item door answers exactly what it answers for
an id that never existed, lists show nothing of A's, and A's records are re-read
after every hostile call and must be byte-for-byte unchanged.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from dealbase.api.app import service_of
from tests.conftest import Pipedrive, SyncClient, Tenant, _tenant

NEVER = 999999999  # an id no company has
NEVER_KEY = "0" * 40  # a custom field key no company has
MARK = "acme-secret"  # every name of A's records contains it; B must never see it


@pytest.fixture
def tenant(app: Any, http: SyncClient) -> Tenant:
    """conftest's ``tenant`` under a unique name: a space id carries only 24 random bits
    per company name, so thousands of "Acme"s in one session collide (see
    test_same_named_companies_get_distinct_space_ids)."""
    return _tenant(app, http, f"Acme{secrets.token_hex(4)}")


@pytest.fixture
def other(app: Any, http: SyncClient) -> Tenant:
    return _tenant(app, http, f"Globex{secrets.token_hex(4)}")


@dataclass
class World:
    a: Tenant
    b: Tenant
    ids: dict[str, int] = field(default_factory=dict)
    field_key: str = ""
    b_ids: dict[str, int] = field(default_factory=dict)
    a_email: str = ""

    @property
    def user(self) -> int:
        return self.a.company.user_id

    def snapshot(self) -> dict[str, Any]:
        """Everything of A's, as A reads it (full objects: values and update_time)."""
        api = self.a.api
        reads = {
            "deal": f"/v1/deals/{self.ids['deal']}",
            "deal_v2": f"/api/v2/deals/{self.ids['deal']}",
            "person": f"/v1/persons/{self.ids['person']}",
            "org": f"/v1/organizations/{self.ids['org']}",
            "pipeline": f"/v1/pipelines/{self.ids['pipeline']}",
            "stage": f"/v1/stages/{self.ids['stage']}",
            "field": f"/v1/dealFields/{self.ids['field']}",
            "field_v2": f"/api/v2/dealFields/{self.field_key}",
            "user": f"/v1/users/{self.user}",
            "deals": "/v1/deals?status=all_not_deleted",
            "persons": "/v1/persons",
            "organizations": "/v1/organizations",
            "stages": "/v1/stages",
        }
        out = {}
        for name, url in reads.items():
            r = api.get(url)
            assert r.status_code == 200, (url, r.text)
            out[name] = r.json()["data"]
        return out

    def b_snapshot(self) -> dict[str, Any]:
        """B's own records (to prove B's refused writes created or changed nothing)."""
        api = self.b.api
        out = {}
        for url in ("/v1/deals?status=all_not_deleted", "/v1/persons", "/v1/organizations",
                    "/v1/pipelines", "/v1/stages", "/v1/dealFields"):
            r = api.get(url)
            assert r.status_code == 200, (url, r.text)
            out[url] = r.json()["data"]
        return out


ADDRESS_PARTS = ("subpremise", "street_number", "route", "sublocality", "locality",
                 "admin_area_level_1", "admin_area_level_2", "country", "postal_code",
                 "formatted_address")


def full_address(value: str) -> dict[str, str]:
    """An address with every part set (the spec types each part as a non-null string)."""
    return {"value": value, **{p: p for p in ADDRESS_PARTS}}


@pytest.fixture(scope="module")
def world(app: Any, http: SyncClient) -> World:
    """Shared by the module's tests: none of them may change what it holds (each re-reads
    A's records after its hostile call), and a test that did would fail itself first."""
    tenant = _tenant(app, http, f"Acme{secrets.token_hex(4)}")
    other = _tenant(app, http, f"Globex{secrets.token_hex(4)}")
    a = tenant.api
    w = World(tenant, other)
    w.a_email = a.get("/v1/users/me").json()["data"]["email"]

    def made(r: httpx.Response) -> dict[str, Any]:
        assert r.status_code in (200, 201), r.text
        data: dict[str, Any] = r.json()["data"]
        return data

    fld = made(a.post("/v1/dealFields", json={"name": f"{MARK} field", "field_type": "enum",
                                              "options": [{"label": "x"}, {"label": "y"}]}))
    w.ids["field"], w.field_key = fld["id"], fld["key"]
    w.ids["org"] = made(a.post("/v1/organizations", json={
        "name": f"{MARK} org", "address": full_address("1 Main St")}))["id"]
    w.ids["person"] = made(a.post("/v1/persons", json={
        "name": f"{MARK} person", "org_id": w.ids["org"]}))["id"]
    w.ids["pipeline"] = made(a.post("/v1/pipelines", json={"name": f"{MARK} pipeline"}))["id"]
    w.ids["stage"] = made(a.post("/v1/stages", json={
        "name": f"{MARK} stage", "pipeline_id": w.ids["pipeline"]}))["id"]
    w.ids["deal"] = made(a.post("/v1/deals", json={
        "title": f"{MARK} deal", "value": 1000, "person_id": w.ids["person"],
        "org_id": w.ids["org"], "stage_id": w.ids["stage"], w.field_key: "1"}))["id"]
    # B's own records, so B's lists are not trivially empty.
    b = other.api
    w.b_ids["org"] = made(b.post("/v1/organizations", json={
        "name": "globex org", "address": full_address("2 Side St")}))["id"]
    w.b_ids["person"] = made(b.post("/v1/persons", json={"name": "globex person"}))["id"]
    w.b_ids["deal"] = made(b.post("/v1/deals", json={"title": "globex deal"}))["id"]
    stage = b.get("/v1/stages").json()["data"][0]
    w.b_ids["stage"], w.b_ids["pipeline"] = stage["id"], stage["pipeline_id"]
    w.b_ids["user"] = other.company.user_id
    return w


def same_error(hostile: httpx.Response, hostile_id: Any, missing: httpx.Response,
               missing_id: Any) -> None:
    """Both answers identical once the id each one names is blanked out."""
    assert hostile.status_code == missing.status_code == 404, (hostile.text, missing.text)

    def norm(r: httpx.Response, ident: Any) -> Any:
        return re.sub(rf"\b{re.escape(str(ident))}\b", "<id>", r.text)

    assert norm(hostile, hostile_id) == norm(missing, missing_id)
    body = hostile.json()
    assert body["success"] is False and isinstance(body["error"], str)
    assert MARK not in hostile.text


# ---- item routes -------------------------------------------------------------------------

ITEMS = [  # (collection path, World.ids key, a valid update body)
    ("deals", "deal", {"title": "pwned"}),
    ("persons", "person", {"name": "pwned"}),
    ("organizations", "org", {"name": "pwned"}),
    ("pipelines", "pipeline", {"name": "pwned"}),
    ("stages", "stage", {"name": "pwned"}),
]
V1_PREFIXES = ["/v1", "/api/v1"]


@pytest.mark.parametrize("prefix", V1_PREFIXES)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize(("path", "key", "body"), ITEMS, ids=[i[0] for i in ITEMS])
def test_v1_item_routes_answer_as_for_a_missing_id(world: World, prefix: str, method: str,
                                                    path: str, key: str, body: Any) -> None:
    before = world.snapshot()
    kw = {"json": body} if method == "PUT" else {}
    missing = world.b.api.request(method, f"{prefix}/{path}/{NEVER}", **kw)
    hostile = world.b.api.request(method, f"{prefix}/{path}/{world.ids[key]}", **kw)
    same_error(hostile, world.ids[key], missing, NEVER)
    assert world.snapshot() == before
    assert world.a.api.get(f"{prefix}/{path}/{world.ids[key]}").status_code == 200  # control


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize(("path", "key", "body"), ITEMS, ids=[i[0] for i in ITEMS])
def test_v2_item_routes_answer_as_for_a_missing_id(world: World, method: str, path: str,
                                                    key: str, body: Any) -> None:
    before = world.snapshot()
    kw = {"json": body} if method == "PATCH" else {}
    missing = world.b.api.request(method, f"/api/v2/{path}/{NEVER}", **kw)
    hostile = world.b.api.request(method, f"/api/v2/{path}/{world.ids[key]}", **kw)
    same_error(hostile, world.ids[key], missing, NEVER)
    assert world.snapshot() == before
    assert world.a.api.get(f"/api/v2/{path}/{world.ids[key]}").status_code == 200  # control


BULK = [("deals", "deal"), ("persons", "person"), ("organizations", "org"),
        ("stages", "stage")]


@pytest.mark.parametrize("with_own", [False, True], ids=["alone", "mixed-with-own"])
@pytest.mark.parametrize(("path", "key"), BULK, ids=[b[0] for b in BULK])
def test_v1_bulk_delete_of_other_companys_ids(world: World, path: str, key: str,
                                              with_own: bool) -> None:
    before, b_before = world.snapshot(), world.b_snapshot()
    own = f"{world.b_ids[key]}," if with_own and key in world.b_ids else ""
    missing = world.b.api.delete(f"/v1/{path}?ids={own}{NEVER}")
    hostile = world.b.api.delete(f"/v1/{path}?ids={own}{world.ids[key]}")
    same_error(hostile, world.ids[key], missing, NEVER)
    assert world.snapshot() == before
    assert world.b_snapshot() == b_before  # all or nothing: B's own id was not deleted either


# ---- lists -------------------------------------------------------------------------------

def _list_cases() -> list[tuple[str, str, str]]:
    """(url template with {id} for the filter value, World.ids key, entity ids key of items)."""
    cases = [
        ("/v1/deals?status=all_not_deleted", "", "deal"),
        ("/v1/deals?status=deleted", "", "deal"),
        ("/v1/persons", "", "person"),
        ("/v1/organizations", "", "org"),
        ("/v1/pipelines", "", "pipeline"),
        ("/v1/stages", "", "stage"),
        ("/api/v2/deals", "", "deal"),
        ("/api/v2/persons", "", "person"),
        ("/api/v2/organizations", "", "org"),
        ("/api/v2/pipelines", "", "pipeline"),
        ("/api/v2/stages", "", "stage"),
    ]
    for f, key in (("stage_id", "stage"), ("person_id", "person"), ("org_id", "org"),
                   ("pipeline_id", "pipeline"), ("user_id", "user")):
        cases.append((f"/v1/deals?{f}={{id}}", key, "deal"))
        cases.append((f"/v1/deals?status=all_not_deleted&{f}={{id}}", key, "deal"))
    for f, key in (("ids", "deal"), ("stage_id", "stage"), ("person_id", "person"),
                   ("org_id", "org"), ("pipeline_id", "pipeline"), ("owner_id", "user")):
        cases.append((f"/api/v2/deals?{f}={{id}}", key, "deal"))
    cases += [
        ("/v1/persons?org_id={id}", "org", "person"),
        ("/v1/persons?user_id={id}", "user", "person"),
        ("/v1/organizations?user_id={id}", "user", "org"),
        ("/v1/stages?pipeline_id={id}", "pipeline", "stage"),
        ("/api/v2/persons?ids={id}", "person", "person"),
        ("/api/v2/persons?org_id={id}", "org", "person"),
        ("/api/v2/organizations?ids={id}", "org", "org"),
        ("/api/v2/organizations?owner_id={id}", "user", "org"),
        ("/api/v2/stages?pipeline_id={id}", "pipeline", "stage"),
    ]
    return cases


LISTS = _list_cases()


@pytest.mark.parametrize(("url", "key", "entity"), LISTS, ids=[c[0] for c in LISTS])
def test_lists_show_nothing_of_other_company(world: World, url: str, key: str,
                                             entity: str) -> None:
    ident = world.user if key == "user" else world.ids.get(key)
    r = world.b.api.get(url.format(id=ident))
    assert r.status_code == 200, r.text
    assert world.ids[entity] not in {item["id"] for item in r.json()["data"] or []}
    assert MARK not in r.text and world.field_key not in r.text
    assert world.a_email not in r.text
    if key:  # a filter naming A's record answers as a filter naming no record at all
        missing = world.b.api.get(url.format(id=NEVER))
        assert r.json()["data"] in ([], None)
        assert (r.status_code, r.json()) == (missing.status_code, missing.json())


NESTED = [("stages", "stage", "deals"), ("pipelines", "pipeline", "deals"),
          ("persons", "person", "deals"), ("organizations", "org", "deals"),
          ("organizations", "org", "persons")]


@pytest.mark.parametrize("query", ["", "?everyone=1"])
@pytest.mark.parametrize(("parent", "key", "child"), NESTED,
                         ids=[f"{n[0]}-{n[2]}" for n in NESTED])
def test_nested_lists_under_other_companys_record_are_404(world: World, parent: str, key: str,
                                                          child: str, query: str) -> None:
    missing = world.b.api.get(f"/v1/{parent}/{NEVER}/{child}{query}")
    hostile = world.b.api.get(f"/v1/{parent}/{world.ids[key]}/{child}{query}")
    same_error(hostile, world.ids[key], missing, NEVER)


# ---- links to A's records from B's writes --------------------------------------------------

LINKS = [  # (method, url with {deal}/{stage}/{person} for B's own record, body field, World.ids key)
    ("POST", "/v1/deals", "person_id", "person"),
    ("POST", "/v1/deals", "org_id", "org"),
    ("POST", "/v1/deals", "stage_id", "stage"),
    ("POST", "/v1/deals", "pipeline_id", "pipeline"),
    ("POST", "/v1/deals", "user_id", "user"),
    ("POST", "/api/v2/deals", "person_id", "person"),
    ("POST", "/api/v2/deals", "org_id", "org"),
    ("POST", "/api/v2/deals", "stage_id", "stage"),
    ("POST", "/api/v2/deals", "pipeline_id", "pipeline"),
    ("POST", "/api/v2/deals", "owner_id", "user"),
    ("PUT", "/v1/deals/{deal}", "person_id", "person"),
    ("PUT", "/v1/deals/{deal}", "org_id", "org"),
    ("PUT", "/v1/deals/{deal}", "stage_id", "stage"),
    ("PUT", "/v1/deals/{deal}", "pipeline_id", "pipeline"),
    ("PATCH", "/api/v2/deals/{deal}", "person_id", "person"),
    ("PATCH", "/api/v2/deals/{deal}", "org_id", "org"),
    ("PATCH", "/api/v2/deals/{deal}", "stage_id", "stage"),
    ("PATCH", "/api/v2/deals/{deal}", "owner_id", "user"),
    ("POST", "/v1/persons", "org_id", "org"),
    ("POST", "/api/v2/persons", "org_id", "org"),
    ("POST", "/v1/stages", "pipeline_id", "pipeline"),
    ("POST", "/api/v2/stages", "pipeline_id", "pipeline"),
    ("PUT", "/v1/stages/{stage}", "pipeline_id", "pipeline"),
    ("PATCH", "/api/v2/stages/{stage}", "pipeline_id", "pipeline"),
    ("PUT", "/v1/persons/{person}", "org_id", "org"),
    ("PATCH", "/api/v2/persons/{person}", "org_id", "org"),
    ("PUT", "/v1/persons/{person}", "owner_id", "user"),
    ("PUT", "/v1/organizations/{org}", "owner_id", "user"),
]


@pytest.mark.parametrize(("method", "url", "attr", "key"), LINKS,
                         ids=[f"{m} {u} {f}" for m, u, f, _ in LINKS])
def test_cannot_link_own_record_to_other_companys_record(world: World, method: str, url: str,
                                                         attr: str, key: str) -> None:
    before, b_before = world.snapshot(), world.b_snapshot()
    ident = world.user if key == "user" else world.ids[key]
    entity = url.split("/")[-2 if "{" in url else -1]
    body: dict[str, Any] = {"deals": {"title": "globex link"}, "persons": {"name": "globex link"},
                            "stages": {"name": "globex link"}}[entity] if method == "POST" else {}
    body[attr] = ident
    r = world.b.api.request(method, url.format(**world.b_ids), json=body)
    assert r.status_code == 400, r.text
    assert r.json()["success"] is False and MARK not in r.text
    assert world.b_snapshot() == b_before
    assert world.snapshot() == before
    # Control: the very same request naming B's own record is accepted.
    body[attr] = world.b_ids[key]
    ok = world.b.api.request(method, url.format(**world.b_ids), json=body)
    assert ok.status_code in (200, 201), ok.text


REF_FIELDS = [("org", "org"), ("people", "person"), ("user", "user")]


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize(("field_type", "key"), REF_FIELDS, ids=[r[0] for r in REF_FIELDS])
def test_own_reference_custom_field_cannot_point_at_other_company(world: World, field_type: str,
                                                                  key: str, version: str) -> None:
    b = world.b.api
    code = b.post("/v1/dealFields", json={"name": f"ref {field_type}",
                                          "field_type": field_type}).json()["data"]["key"]
    before, b_before = world.snapshot(), world.b_snapshot()
    ident = world.user if key == "user" else world.ids[key]

    def attempt(value: int) -> httpx.Response:
        if version == "v1":
            return b.post("/v1/deals", json={"title": "globex ref", code: value})
        return b.post("/api/v2/deals", json={"title": "globex ref", "custom_fields": {code: value}})

    r = attempt(ident)
    assert r.status_code == 400, r.text
    assert MARK not in r.text
    assert world.b_snapshot() == b_before and world.snapshot() == before
    assert attempt(world.b_ids[key]).status_code in (200, 201)  # control: B's own record


# ---- users ---------------------------------------------------------------------------------

def test_users_list_and_find_show_only_own_company(world: World) -> None:
    admin_a = world.a_email
    for url in ("/v1/users", "/v1/users/find?term=admin", "/v1/users/find?term=acme",
                f"/v1/users/find?term={quote(admin_a)}&search_by_email=1"):
        r = world.b.api.get(url)
        assert r.status_code == 200, r.text
        assert world.user not in {u["id"] for u in r.json()["data"] or []}
        assert "acme" not in r.text.lower() and admin_a not in r.text
    me = world.b.api.get("/v1/users/me").json()["data"]
    assert me["id"] == world.b.company.user_id


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PUT", {"active_flag": False})])
def test_user_item_of_other_company_is_404(world: World, method: str, body: Any) -> None:
    before = world.snapshot()
    kw = {"json": body} if body is not None else {}
    missing = world.b.api.request(method, f"/v1/users/{NEVER}", **kw)
    hostile = world.b.api.request(method, f"/v1/users/{world.user}", **kw)
    same_error(hostile, world.user, missing, NEVER)
    assert world.snapshot() == before
    assert world.a.api.get("/v1/users/me").status_code == 200  # A's admin still active


# ---- custom fields -------------------------------------------------------------------------

FIELD_DOORS = [  # (method, url template: {id} numeric id, {key} field code; body)
    ("GET", "/v1/dealFields/{id}", None),
    ("PUT", "/v1/dealFields/{id}", {"name": "pwned"}),
    ("PUT", "/v1/dealFields/{id}", {"options": [{"id": 1, "label": "pwned"}]}),
    ("DELETE", "/v1/dealFields/{id}", None),
    ("DELETE", "/v1/dealFields?ids={id}", None),
    ("GET", "/api/v2/dealFields/{key}", None),
    ("PATCH", "/api/v2/dealFields/{key}", {"field_name": "pwned"}),
    ("DELETE", "/api/v2/dealFields/{key}", None),
    ("POST", "/api/v2/dealFields/{key}/options", [{"label": "pwned"}]),
    ("PATCH", "/api/v2/dealFields/{key}/options", [{"id": 1, "label": "pwned"}]),
    ("DELETE", "/api/v2/dealFields/{key}/options", [{"id": 1}]),
]


@pytest.mark.parametrize(("method", "url", "body"), FIELD_DOORS,
                         ids=[f"{m} {u} {i}" for i, (m, u, _) in enumerate(FIELD_DOORS)])
def test_custom_field_doors_answer_as_for_a_missing_field(world: World, method: str, url: str,
                                                          body: Any) -> None:
    before = world.snapshot()
    kw = {"json": body} if body is not None else {}
    missing = world.b.api.request(method, url.format(id=NEVER, key=NEVER_KEY), **kw)
    hostile = world.b.api.request(method, url.format(id=world.ids["field"], key=world.field_key),
                                  **kw)
    ident = world.field_key if "{key}" in url else world.ids["field"]
    same_error(hostile, ident, missing, NEVER_KEY if "{key}" in url else NEVER)
    assert world.snapshot() == before


@pytest.mark.parametrize("url", ["/v1/dealFields", "/api/v2/dealFields",
                                 "/v1/dealFields?start=0&limit=500"])
def test_custom_field_lists_show_only_own_fields(world: World, url: str) -> None:
    r = world.b.api.get(url)
    assert r.status_code == 200
    assert world.field_key not in r.text and MARK not in r.text


FOREIGN_KEY_BODIES = [  # (method, url, body maker given A's key)
    ("POST", "/v1/deals", lambda k: {"title": "globex", k: "1"}),
    ("POST", "/v1/deals", lambda k: {"title": "globex", k: None}),
    ("PUT", "/v1/deals/{deal}", lambda k: {k: "1"}),
    ("POST", "/api/v2/deals", lambda k: {"title": "globex", "custom_fields": {k: 1}}),
    ("PATCH", "/api/v2/deals/{deal}", lambda k: {"custom_fields": {k: 1}}),
]


@pytest.mark.parametrize(("method", "url", "make"), FOREIGN_KEY_BODIES,
                         ids=[f"{m} {u} {i}" for i, (m, u, _) in enumerate(FOREIGN_KEY_BODIES)])
def test_other_companys_custom_field_key_is_refused(world: World, method: str, url: str,
                                                    make: Any) -> None:
    before, b_before = world.snapshot(), world.b_snapshot()
    r = world.b.api.request(method, url.format(**world.b_ids), json=make(world.field_key))
    assert r.status_code == 400, r.text
    assert r.json()["success"] is False
    assert world.b_snapshot() == b_before
    assert world.snapshot() == before


@pytest.mark.parametrize("url", ["/v1/deals?sort={key} ASC", "/api/v2/deals?custom_fields={key}"])
def test_other_companys_custom_field_key_in_queries(world: World, url: str) -> None:
    hostile = world.b.api.get(url.format(key=world.field_key))
    missing = world.b.api.get(url.format(key=NEVER_KEY))
    assert hostile.status_code == missing.status_code
    assert hostile.text.replace(world.field_key, "<k>") == missing.text.replace(NEVER_KEY, "<k>")
    assert MARK not in hostile.text


# ---- authentication ------------------------------------------------------------------------

def _anonymous(http: SyncClient) -> Pipedrive:
    return Pipedrive(http, None)


WRONG = [
    ("missing", {}, ""),
    ("wrong x-api-token", {"x-api-token": "0" * 40}, ""),
    ("wrong api_token", {}, "api_token=" + "0" * 40),
    ("empty api_token", {}, "api_token="),
    ("wrong bearer", {"authorization": "Bearer " + "0" * 40}, ""),
    ("empty bearer", {"authorization": "Bearer "}, ""),
    ("basic auth", {"authorization": "Basic YWRtaW46YWRtaW4="}, ""),
    ("huge token", {"x-api-token": "a" * 10_000}, ""),
]
AUTH_URLS = [("GET", "/v1/deals"), ("GET", "/api/v1/deals"), ("GET", "/api/v2/deals"),
             ("GET", "/v1/users"), ("GET", "/v1/dealFields"), ("GET", "/api/v2/dealFields"),
             ("POST", "/v1/deals"), ("POST", "/api/v2/deals"), ("DELETE", "/v1/deals?ids=1")]


@pytest.mark.parametrize(("method", "url"), AUTH_URLS, ids=[f"{m} {u}" for m, u in AUTH_URLS])
@pytest.mark.parametrize(("case", "headers", "query"), WRONG, ids=[w[0] for w in WRONG])
def test_missing_or_wrong_token_is_401(world: World, http: SyncClient, case: str,
                                       headers: dict[str, str], query: str, method: str,
                                       url: str) -> None:
    before = world.snapshot()
    sep = "&" if "?" in url else "?"
    kw: dict[str, Any] = {"json": {"title": "anonymous"}} if method == "POST" else {}
    r = _anonymous(http).request(method, f"{url}{sep}{query}" if query else url,
                                 headers=headers, **kw)
    assert r.status_code == 401, r.text
    body = r.json()
    assert body["success"] is False and isinstance(body["error"], str) and body["error"]
    assert world.snapshot() == before


def test_pipeliner_token_is_not_a_pipedrive_token(world: World, http: SyncClient) -> None:
    r = _anonymous(http).get("/v1/deals",
                             headers={"x-api-token": world.a.company.pipeliner_api_token})
    assert r.status_code == 401


CARRIERS = [
    ("api_token query", lambda t: ({}, f"api_token={t}")),
    ("x-api-token header", lambda t: ({"x-api-token": t}, "")),
    ("bearer", lambda t: ({"authorization": f"Bearer {t}"}, "")),
    ("bearer lowercase", lambda t: ({"authorization": f"bearer {t}"}, "")),
]


@pytest.mark.parametrize("url", ["/v1/deals/{id}", "/api/v1/deals/{id}", "/api/v2/deals/{id}"])
@pytest.mark.parametrize(("case", "carry"), CARRIERS, ids=[c[0] for c in CARRIERS])
def test_token_carriers_authenticate_their_own_company(world: World, http: SyncClient, case: str,
                                                       carry: Any, url: str) -> None:
    for tenant, status in ((world.a, 200), (world.b, 404)):
        headers, query = carry(tenant.company.api_token)
        target = url.format(id=world.ids["deal"])
        r = _anonymous(http).get(f"{target}?{query}" if query else target, headers=headers)
        assert r.status_code == status, (tenant.company.company_id, r.text)
        if status == 200:
            assert r.json()["data"]["id"] == world.ids["deal"]


def test_random_tokens_never_authenticate(http: SyncClient) -> None:
    for _ in range(5):
        r = _anonymous(http).get("/v1/deals", headers={"x-api-token": secrets.token_hex(20)})
        assert r.status_code == 401


@pytest.mark.parametrize("path", [f"{p}/{{id}}:(id,title,name)" for p in ("/v1/deals", "/v1/persons",
                                                                          "/v1/organizations",
                                                                          "/v1/stages")])
def test_v1_field_selector_door_answers_as_for_a_missing_id(world: World, path: str) -> None:
    key = {"deals": "deal", "persons": "person", "organizations": "org",
           "stages": "stage"}[path.split("/")[2]]
    missing = world.b.api.get(path.format(id=NEVER))
    hostile = world.b.api.get(path.format(id=world.ids[key]))
    same_error(hostile, world.ids[key], missing, NEVER)
    assert world.a.api.get(path.format(id=world.ids[key])).status_code == 200  # control


# ---- contract: organization addresses ---------------------------------------------------------

@pytest.mark.parametrize("address", [None, "1 Main St", {"value": "1 Main St", "locality": "Town"}])
def test_org_addresses_match_the_spec_in_deals_and_v2(pd: Pipedrive, address: Any) -> None:
    """Regression: a missing or partial address rendered nulls the spec types as strings."""
    body = {"name": "Addressed"} if address is None else {"name": "Addressed", "address": address}
    org = pd.post("/v1/organizations", json=body).json()["data"]
    pd.post("/v1/deals", json={"title": "D", "org_id": org["id"]})
    pd.get(f"/api/v2/organizations/{org['id']}")
    pd.get("/api/v2/organizations")


# ---- company creation ----------------------------------------------------------------------

def test_same_named_companies_get_distinct_space_ids(app: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    real = secrets.token_hex
    collide = ["c0ffeec0ffeec0ff"] * 2  # the first two space-id draws collide, then real ones

    def token_hex(n: int | None = None) -> str:
        return collide.pop() if n == 8 and collide else real(n)

    monkeypatch.setattr(secrets, "token_hex", token_hex)
    accounts = service_of(app)
    name = f"Twin{real(4)}"
    first = accounts.create_company(name, "first@twin.example")
    second = accounts.create_company(name, "second@twin.example")
    assert first.space_id != second.space_id
