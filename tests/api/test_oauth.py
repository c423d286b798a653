"""OAuth 2 for apps, end to end over HTTP: registration, the consent page (sign-in, CSRF,
throttling), the authorization-code grant with PKCE, refresh rotation, revocation,
scopes enforced by the records service on both API versions, bearer tokens on every
Pipedrive prefix, OAuth's own burst limits, and every refusal in RFC 6749's shape."""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jsonschema  # type: ignore[import-untyped,unused-ignore]
import pytest

from dealbase.api.app import service_of
from dealbase.domain.oauth import challenge_of
from dealbase.domain.scopes import ACCESS, SCOPES, allows, parse_scopes
from dealbase.service import NewApp, Service
from tests.api.answers import data
from tests.api.conftest import Clock
from tests.conftest import Pipedrive, SyncClient, Tenant
from tests.contract.openapi import SPEC_DIR, load_spec_document

PASSWORD = "correct horse battery staple"
REDIRECT = "https://app.example/callback"


def _service(app: Any) -> Service:
    return service_of(app)


def _register(app: Any, tenant: Tenant, scopes: str = "deals:full,contacts:read",
              public: bool = False, password: bool = False) -> NewApp:
    """An app of the tenant's company; ``password``: and the admin's password set, for
    tests that sign in on the consent page (argon2 is slow on purpose; the others get
    their codes from the service)."""
    service = _service(app)
    if password:
        service.set_password(tenant.company.company_id, tenant.company.user_id, PASSWORD)
    return service.oauth.create_app(tenant.company.company_id, "Zapp", [REDIRECT], scopes,
                                    public)


def _basic(made: NewApp, secret: str | None = None) -> dict[str, str]:
    pair = f"{made.app.client_id}:{made.client_secret if secret is None else secret}"
    return {"authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


def _page(http: SyncClient, made: NewApp, **params: str) -> httpx.Response:
    query = {"client_id": made.app.client_id, "redirect_uri": REDIRECT, "state": "st8",
             **params}
    return http.request("GET", "/oauth/authorize", params=query)


def _fields(page: httpx.Response) -> dict[str, str]:
    """The consent form's hidden fields (the parameters and the CSRF token)."""
    return {m[0]: m[1].replace("&amp;", "&") for m in re.findall(
        r'<input type=hidden name=(\w+) value="([^"]*)">', page.text)}


def _consent(http: SyncClient, made: NewApp, *, email: str = "admin@acme.example",
             password: str = PASSWORD, decision: str = "allow", **params: str
             ) -> httpx.Response:
    page = _page(http, made, **params)
    assert page.status_code == 200, page.text
    return http.request("POST", "/oauth/authorize", data={
        **_fields(page), "email": email, "password": password, "decision": decision})


def _redirected(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _code(app: Any, http: SyncClient, made: NewApp, verifier: str | None = None,
          page: bool = False, **params: str) -> str:
    """A code for the company's admin: through the consent page (``page``), else straight
    from the service (what the page calls once the user signed in and allowed)."""
    if verifier is not None:
        params.update(code_challenge=challenge_of(verifier), code_challenge_method="S256")
    if not page:
        oauth = _service(app).oauth
        consent = oauth.consent(made.app.client_id, REDIRECT, params.get("scope"))
        admin = _service(app).owner(made.app.company_id)
        assert admin.user_id is not None
        return oauth.issue_code(consent, admin.user_id, params.get("code_challenge"),
                                params.get("code_challenge_method"))
    answer = _redirected(_consent(http, made, **params))
    assert answer["state"] == "st8"
    return answer["code"]


def _token(http: SyncClient, made: NewApp | None, form: dict[str, str],
           headers: dict[str, str] | None = None) -> httpx.Response:
    auth = headers if headers is not None else (_basic(made) if made and made.client_secret
                                                else {})
    return http.request("POST", "/oauth/token", data=form, headers=auth)


def _tokens(app: Any, http: SyncClient, made: NewApp, verifier: str | None = None,
            page: bool = False, **params: str) -> dict[str, Any]:
    code = _code(app, http, made, verifier, page, **params)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    if verifier is not None:
        form["code_verifier"] = verifier
    if made.client_secret is None:
        form["client_id"] = made.app.client_id
    r = _token(http, made, form)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _bearer(http: SyncClient, token: str) -> Pipedrive:
    client = Pipedrive(http, None)
    original = client.request

    def request(method: str, url: str, **kw: Any) -> httpx.Response:
        kw["headers"] = {"authorization": f"Bearer {token}", **(kw.get("headers") or {})}
        kw.setdefault("check", False)
        return original(method, url, **kw)

    client.request = request  # type: ignore[method-assign]
    return client


def _error(response: httpx.Response, status: int, error: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_description"} and body["error"] == error, body
    assert response.headers["cache-control"] == "no-store"
    return str(body["error_description"])


def _verifier() -> str:
    return secrets.token_urlsafe(48)


# ---- the whole flow ------------------------------------------------------------------------

def test_code_flow_with_pkce_gives_working_tokens(app: Any, http: SyncClient,
                                                  tenant: Tenant) -> None:
    made = _register(app, tenant, password=True)
    verifier = _verifier()
    body = _tokens(app, http, made, verifier, page=True)
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599
    assert body["scope"] == "base,contacts:read,deals:full"
    assert body["api_domain"] == "http://dealbase.test"
    assert body["access_token"] != body["refresh_token"]
    # the spec's token response (served from oauth.pipedrive.com, outside the harness's prefixes)
    spec = load_spec_document(SPEC_DIR / "openapi-v1-2026-01-with-deprecated.yaml")
    schema = spec["paths"]["/oauth/token"]["post"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    jsonschema.validate(body, schema)
    assert set(schema["properties"]) == set(body)
    api = _bearer(http, body["access_token"])
    me = api.get("/v1/users/me")
    assert me.status_code == 200 and me.json()["data"]["id"] == tenant.company.user_id
    made_deal = api.post("/api/v2/deals", json={"title": "By an app"})
    assert made_deal.status_code == 200, made_deal.text
    # the change is the user's, as with their API token
    assert made_deal.json()["data"]["owner_id"] == tenant.company.user_id
    for prefix in ("/v1", "/api/v1"):
        got = api.get(f"{prefix}/deals/{made_deal.json()['data']['id']}")
        assert got.status_code == 200 and got.json()["data"]["title"] == "By an app"


def test_secrets_are_stored_only_as_hashes(app: Any, http: SyncClient, tenant: Tenant) -> None:
    made = _register(app, tenant)
    body = _tokens(app, http, made, _verifier())
    service = _service(app)
    with service.database.tx() as tx:
        dumped = repr([tx.rows(f"SELECT * FROM {t}")
                       for t in ("oauth_apps", "oauth_grants", "oauth_tokens")])
    for secret in (made.client_secret, body["access_token"], body["refresh_token"]):
        assert secret and secret not in dumped
    assert str(made.client_secret) not in repr(service.oauth.list_apps(tenant.company.company_id))


def test_public_client_must_use_pkce(app: Any, http: SyncClient, tenant: Tenant) -> None:
    made = _register(app, tenant, public=True, password=True)
    assert made.client_secret is None
    refused = _redirected(_page(http, made))
    assert refused["error"] == "invalid_request" and refused["state"] == "st8"
    body = _tokens(app, http, made, _verifier(), page=True)  # PKCE; client_id in the form
    assert _bearer(http, body["access_token"]).get("/api/v2/deals").status_code == 200


def test_wrong_or_missing_verifier_is_refused(app: Any, http: SyncClient, tenant: Tenant
                                              ) -> None:
    made = _register(app, tenant)
    code = _code(app, http, made, _verifier())
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    _error(_token(http, made, form), 400, "invalid_request")  # no verifier
    assert "code_verifier does not match" in _error(
        _token(http, made, {**form, "code_verifier": _verifier()}), 400, "invalid_grant")
    plain = _code(app, http, made, None, code_challenge=_verifier()[:43],
                  code_challenge_method="S256")  # a challenge that is no S256 of the verifier
    _error(_token(http, made, {**form, "code": plain, "code_verifier": _verifier()}), 400,
           "invalid_grant")
    refused = _redirected(_page(http, made, code_challenge="x" * 43, code_challenge_method="plain"))
    assert refused["error"] == "invalid_request"


def test_reused_code_revokes_what_it_gave(app: Any, http: SyncClient, tenant: Tenant) -> None:
    made = _register(app, tenant)
    code = _code(app, http, made)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    first = _token(http, made, form)
    assert first.status_code == 200
    access = first.json()["access_token"]
    assert _bearer(http, access).get("/api/v2/deals").status_code == 200
    assert "already been used" in _error(_token(http, made, form), 400, "invalid_grant")
    assert _bearer(http, access).get("/api/v2/deals").status_code == 401
    refresh = {"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]}
    _error(_token(http, made, refresh), 400, "invalid_grant")


def test_codes_and_access_tokens_expire(app: Any, http: SyncClient, tenant: Tenant,
                                        clock: Clock) -> None:
    made = _register(app, tenant)
    code = _code(app, http, made)
    clock.now += dt.timedelta(seconds=301)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    assert _error(_token(http, made, form), 400, "invalid_grant") == (
        "Invalid grant: authorization_code has expired")
    body = _tokens(app, http, made)
    api = _bearer(http, body["access_token"])
    clock.now += dt.timedelta(seconds=3598)
    assert api.get("/v1/deals").status_code == 200
    clock.now += dt.timedelta(seconds=2)
    expired = api.get("/v1/deals")
    assert expired.status_code == 401 and "expired" in expired.json()["error"]
    # the refresh token outlives it
    r = _token(http, made, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
    assert r.status_code == 200
    assert _bearer(http, r.json()["access_token"]).get("/v1/deals").status_code == 200
    clock.now += dt.timedelta(days=61)
    _error(_token(http, made, {"grant_type": "refresh_token",
                               "refresh_token": r.json()["refresh_token"]}), 400, "invalid_grant")


def test_refresh_rotates_and_a_spent_refresh_token_revokes_the_grant(
        app: Any, http: SyncClient, tenant: Tenant) -> None:
    made = _register(app, tenant)
    first = _tokens(app, http, made)
    spent = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = _token(http, made, spent).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == first["scope"]
    assert _bearer(http, second["access_token"]).get("/v1/deals").status_code == 200
    _error(_token(http, made, spent), 400, "invalid_grant")  # replayed: the grant is revoked
    assert _bearer(http, second["access_token"]).get("/v1/deals").status_code == 401
    _error(_token(http, made, {"grant_type": "refresh_token",
                               "refresh_token": second["refresh_token"]}), 400, "invalid_grant")


def test_revocation(app: Any, http: SyncClient, tenant: Tenant) -> None:
    made = _register(app, tenant)
    one, two = _tokens(app, http, made), _tokens(app, http, made)
    revoke = {"token": one["access_token"], "token_type_hint": "access_token"}
    r = http.request("POST", "/oauth/revoke", data=revoke, headers=_basic(made))
    assert r.status_code == 200
    assert _bearer(http, one["access_token"]).get("/v1/deals").status_code == 401
    refreshed = _token(http, made, {"grant_type": "refresh_token",
                                    "refresh_token": one["refresh_token"]})
    assert refreshed.status_code == 200  # revoking an access token leaves its grant
    r = http.request("POST", "/oauth/revoke", data={"token": two["refresh_token"]},
                     headers=_basic(made))
    assert r.status_code == 200
    assert _bearer(http, two["access_token"]).get("/v1/deals").status_code == 401
    _error(_token(http, made, {"grant_type": "refresh_token",
                               "refresh_token": two["refresh_token"]}), 400, "invalid_grant")
    unknown = http.request("POST", "/oauth/revoke", data={"token": "nothing"},
                           headers=_basic(made))
    assert unknown.status_code == 200  # RFC 7009 §2.2
    _error(http.request("POST", "/oauth/revoke", data={"token": "x"},
                        headers=_basic(made, "wrong")), 401, "invalid_client")
    _error(http.request("POST", "/oauth/revoke", data={"token": "x", "token_type_hint": "y"},
                        headers=_basic(made)), 400, "unsupported_token_type")


def test_deleting_an_app_stops_its_tokens(app: Any, http: SyncClient, tenant: Tenant) -> None:
    made = _register(app, tenant, "admin,deals:full")
    body = _tokens(app, http, made)
    hook = _bearer(http, body["access_token"]).post("/v1/webhooks", json={
        "subscription_url": "https://hooks.example.com/in", "event_action": "*",
        "event_object": "deal", "name": "h"}).json()["data"]["id"]
    _service(app).oauth.delete_app(tenant.company.company_id, made.app.id)
    [stopped] = [w for w in data(tenant.api.get("/v1/webhooks")) if w["id"] == hook]
    assert stopped["is_active"] in (0, False) and stopped["remove_reason"] == "app_deleted"
    assert _bearer(http, body["access_token"]).get("/v1/deals").status_code == 401
    _error(_token(http, made, {"grant_type": "refresh_token",
                               "refresh_token": body["refresh_token"]}), 401, "invalid_client")


# ---- scopes --------------------------------------------------------------------------------

def test_read_scope_refuses_writes_on_both_versions(app: Any, http: SyncClient,
                                                    tenant: Tenant) -> None:
    deal = tenant.records.create("deal", {"title": "Existing"})
    made = _register(app, tenant, "deals:read")
    api = _bearer(http, _tokens(app, http, made)["access_token"])
    assert api.get(f"/api/v2/deals/{deal['id']}").status_code == 200
    assert api.get("/v1/deals").status_code == 200
    assert api.get("/v1/pipelines").status_code == 200  # deals:read reads pipelines
    for method, url, body in (("POST", "/v1/deals", {"title": "x"}),
                              ("POST", "/api/v2/deals", {"title": "x"}),
                              ("PUT", f"/v1/deals/{deal['id']}", {"title": "x"}),
                              ("PATCH", f"/api/v2/deals/{deal['id']}", {"title": "x"}),
                              ("DELETE", f"/api/v2/deals/{deal['id']}", None),
                              ("POST", "/v1/pipelines", {"name": "x"})):
        r = api.request(method, url, json=body)
        assert r.status_code == 403, (method, url, r.text)
        assert r.json()["success"] is False and r.json()["error"] == "Scope and URL mismatch"
    assert tenant.records.get("deal", deal["id"])["title"] == "Existing"


def test_missing_scope_refuses_reads_on_both_versions(app: Any, http: SyncClient,
                                                      tenant: Tenant) -> None:
    person = tenant.records.create("person", {"name": "Pat"})
    made = _register(app, tenant, "deals:read")
    api = _bearer(http, _tokens(app, http, made)["access_token"])
    for url in ("/v1/persons", f"/v1/persons/{person['id']}", "/api/v2/persons",
                f"/api/v2/persons/{person['id']}", "/api/v2/activities", "/v1/users",
                f"/v1/users/{tenant.company.user_id + 10**6}", "/v1/persons/search?term=Pat",
                "/v1/itemSearch?term=Pat", "/v1/recents?since_timestamp=2000-01-01%2000:00:00"):
        r = api.get(url)
        assert r.status_code == 403, (url, r.text)
        assert "Pat" not in r.text
    assert api.get("/v1/users/me").status_code == 200  # base


def test_search_and_recents_scopes(app: Any, http: SyncClient, tenant: Tenant) -> None:
    tenant.records.create("person", {"name": "Patricia"})
    made = _register(app, tenant, "search:read,recents:read")
    api = _bearer(http, _tokens(app, http, made)["access_token"])
    found = api.get("/v1/itemSearch?term=Patricia")
    assert found.status_code == 200 and "Patricia" in found.text
    assert api.get("/v1/recents?since_timestamp=2000-01-01%2000:00:00").status_code == 200
    assert api.get("/api/v2/persons").status_code == 403


def test_field_definitions_need_a_fields_scope(app: Any, http: SyncClient, tenant: Tenant
                                               ) -> None:
    made = _register(app, tenant, "deals:full,contact-fields:full")
    api = _bearer(http, _tokens(app, http, made)["access_token"])
    assert api.post("/v1/dealFields", json={"name": "N", "field_type": "double"}
                    ).status_code == 403
    assert api.post("/v1/personFields", json={"name": "N", "field_type": "double"}
                    ).status_code < 300


def test_reading_field_definitions_needs_the_entity_or_its_fields(
        app: Any, http: SyncClient, tenant: Tenant) -> None:
    deals = _bearer(http, _tokens(app, http, _register(app, tenant, "deals:read"))[
        "access_token"])
    assert deals.get("/v1/dealFields").status_code == 200
    assert deals.get("/v1/personFields").status_code == 403
    assert deals.get("/api/v2/personFields").status_code == 403
    fields = _bearer(http, _tokens(app, http, _register(app, tenant, "contact-fields:full"))[
        "access_token"])
    assert fields.get("/v1/personFields").status_code == 200
    assert fields.get("/v1/dealFields").status_code == 403


def test_the_scope_table_covers_every_entity_and_only_known_scopes() -> None:
    from dealbase.domain.entities import ENTITIES

    assert {e.name for e in ENTITIES} <= set(ACCESS)
    for access in ACCESS.values():
        assert access.write <= access.read <= set(SCOPES)
    assert allows(frozenset({"deals:full"}), "deal", write=True)
    assert not allows(frozenset({"deals:read"}), "deal", write=True)
    assert not allows(frozenset({"deals:full"}), "person")
    assert parse_scopes("deals:read nonsense") is None
    assert parse_scopes("deals:read, contacts:full") == ("base", "contacts:full", "deals:read")


def test_asking_for_fewer_scopes_and_for_more(app: Any, http: SyncClient, tenant: Tenant
                                              ) -> None:
    made = _register(app, tenant, "deals:full,contacts:full")
    body = _tokens(app, http, made, scope="deals:read")
    assert body["scope"] == "base,deals:read"
    assert _bearer(http, body["access_token"]).post("/v1/deals", json={"title": "x"}
                                                    ).status_code == 403
    refused = _redirected(_page(http, made, scope="deals:full admin"))
    assert refused["error"] == "invalid_scope" and refused["state"] == "st8"


# ---- bearer tokens, rate limits, tenants ---------------------------------------------------

def test_oauth_tokens_get_oauth_burst_limits(app: Any, http: SyncClient, tenant: Tenant) -> None:
    made = _register(app, tenant)
    api = _bearer(http, _tokens(app, http, made)["access_token"])
    settings = _service(app).limits.settings(tenant.company.company_id)
    with_oauth = api.get("/api/v2/deals")
    with_token = tenant.api.get("/api/v2/deals")
    assert int(with_oauth.headers["x-ratelimit-limit"]) == settings.burst_limit(True)
    assert int(with_token.headers["x-ratelimit-limit"]) == settings.burst_limit(False)
    assert settings.burst_limit(True) > settings.burst_limit(False)


def test_api_tokens_as_bearer_still_work(http: SyncClient, tenant: Tenant) -> None:
    r = Pipedrive(http, None).get("/v1/deals", headers={
        "authorization": f"Bearer {tenant.company.api_token}"})
    assert r.status_code == 200


@pytest.mark.parametrize("token", ["v1u:" + "A" * 43, "v1u:", "v1u:" + "x" * 300])
def test_unknown_bearer_is_401(http: SyncClient, token: str) -> None:
    r = _bearer(http, token).get("/api/v2/deals")
    assert r.status_code == 401 and r.json()["success"] is False


def test_another_companys_app_and_tokens(app: Any, http: SyncClient, tenant: Tenant,
                                         other: Tenant) -> None:
    deal = other.records.create("deal", {"title": "Globex secret"})
    made = _register(app, tenant)
    api = _bearer(http, _tokens(app, http, made)["access_token"])
    assert api.get(f"/api/v2/deals/{deal['id']}").status_code == 404
    assert "Globex secret" not in api.get("/api/v2/deals").text
    # another company's user cannot sign in to this company's app
    _service(app).set_password(other.company.company_id, other.company.user_id, PASSWORD)
    r = _consent(http, made, email="admin@globex.example")
    assert r.status_code == 200 and "Wrong email or password" in r.text
    # nor list or delete its apps
    assert other.api.request("GET", "/api/dealbase/apps", check=False).json()["data"] == []
    gone = other.api.request("DELETE", f"/api/dealbase/apps/{made.app.id}", check=False)
    assert gone.status_code == 404
    # another app's code is worth nothing to this one
    theirs = _service(app).oauth.create_app(other.company.company_id, "Theirs", [REDIRECT],
                                            "deals:read")
    code = _code(app, http, made)
    _error(_token(http, theirs, {"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": REDIRECT}), 400, "invalid_grant")


# ---- refusals ------------------------------------------------------------------------------

def test_token_endpoint_refusals(app: Any, http: SyncClient, tenant: Tenant) -> None:
    made = _register(app, tenant)
    code = _code(app, http, made)
    good = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    assert _error(_token(http, made, {k: v for k, v in good.items() if k != "grant_type"}),
                  400, "invalid_request") == "Missing parameter: grant_type"
    _error(_token(http, made, {**good, "grant_type": "password"}), 400, "unsupported_grant_type")
    _error(_token(http, made, {**good, "redirect_uri": REDIRECT + "x"}), 400, "invalid_grant")
    _error(_token(http, made, {**good, "code": "nope"}), 400, "invalid_grant")
    _error(_token(http, made, good, _basic(made, "wrong")), 401, "invalid_client")
    unknown = {"authorization": "Basic " + base64.b64encode(b"0123456789abcdef:x").decode()}
    r = _token(http, made, good, unknown)
    _error(r, 401, "invalid_client")
    assert r.headers["www-authenticate"].startswith("Basic")
    _error(_token(http, made, good, {}), 401, "invalid_client")  # no client at all
    for header in ("Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode(), "Bearer x"):
        _error(_token(http, made, good, {"authorization": header}), 401, "invalid_client")
    json_body = http.request("POST", "/oauth/token", json=good, headers=_basic(made))
    _error(json_body, 400, "invalid_request")
    twice = http.request("POST", "/oauth/token", content=b"grant_type=a&grant_type=b",
                         headers={**_basic(made), "content-type":
                                  "application/x-www-form-urlencoded"})
    _error(twice, 400, "invalid_request")
    huge = http.request("POST", "/oauth/token", content=b"code=" + b"a" * 20_000,
                        headers={**_basic(made), "content-type":
                                 "application/x-www-form-urlencoded"})
    _error(huge, 400, "invalid_request")
    bad_utf8 = http.request("POST", "/oauth/token", content=b"code=\xff\xfe",
                            headers={**_basic(made), "content-type":
                                     "application/x-www-form-urlencoded"})
    _error(bad_utf8, 400, "invalid_request")
    assert _token(http, made, good).status_code == 200  # none of that spent the code


def test_authorize_refusals(app: Any, http: SyncClient, tenant: Tenant) -> None:
    made = _register(app, tenant)
    for params in ({"client_id": "0123456789abcdef"}, {"client_id": "junk"},
                   {"redirect_uri": "https://evil.example/callback"},
                   {"redirect_uri": REDIRECT + "/more"}):
        r = _page(http, made, **params)
        assert r.status_code == 400 and "location" not in r.headers
        assert "evil.example" not in r.headers.get("location", "")
    r = _page(http, made, response_type="token")
    assert _redirected(r)["error"] == "unsupported_response_type"
    denied = _redirected(_consent(http, made, decision="deny"))
    assert denied == {"error": "access_denied", "error_description": "The user refused",
                      "state": "st8"}
    wrong = _consent(http, made, password="wrong password")
    assert wrong.status_code == 200 and "Wrong email or password" in wrong.text
    assert "location" not in wrong.headers


def test_consent_form_refuses_forgery(app: Any, http: SyncClient, tenant: Tenant) -> None:
    made = _register(app, tenant, password=True)
    page = _page(http, made)
    fields = _fields(page)
    form = {**fields, "email": "admin@acme.example", "password": PASSWORD, "decision": "allow"}
    forged = http.request("POST", "/oauth/authorize", data={**form, "csrf_token": "1.abc"})
    assert forged.status_code == 403 and "location" not in forged.headers
    changed = http.request("POST", "/oauth/authorize", data={**form, "state": "other"})
    assert changed.status_code == 403  # the token binds the request's parameters
    no_cookie = httpx.Cookies()
    saved = http.client.cookies
    http.client.cookies = no_cookie
    try:
        assert http.request("POST", "/oauth/authorize", data=form).status_code == 403
    finally:
        http.client.cookies = saved
    assert page.headers["x-frame-options"] == "DENY"
    assert "samesite=strict" in page.headers["set-cookie"].lower()
    assert http.request("POST", "/oauth/authorize", data=form).status_code == 303


def test_failed_sign_ins_are_throttled(app: Any, http: SyncClient, tenant: Tenant) -> None:
    made = _register(app, tenant, password=True)
    for _ in range(5):
        r = _consent(http, made, password="wrong password")
        assert r.status_code == 200 and "Wrong email or password" in r.text
    throttled = _consent(http, made)  # even the right password, for now
    assert throttled.status_code == 429 and "Too many failed sign-ins" in throttled.text
    page = app.state.oauth_consent
    before = page.clock
    page.clock = lambda: before() + 16 * 60
    try:
        assert _consent(http, made).status_code == 303
    finally:
        page.clock = before


# ---- the admin API -------------------------------------------------------------------------

def test_admin_api_registers_lists_and_deletes_apps(http: SyncClient, tenant: Tenant) -> None:
    api = tenant.api
    r = api.request("POST", "/api/dealbase/apps", check=False, json={
        "name": "Sync", "redirect_uris": [REDIRECT], "scopes": ["deals:read", "contacts:full"]})
    assert r.status_code == 201, r.text
    made = r.json()["data"]
    assert made["client_secret"] and made["scopes"] == ["base", "contacts:full", "deals:read"]
    listed = api.request("GET", "/api/dealbase/apps", check=False).json()["data"]
    assert [a["client_id"] for a in listed] == [made["client_id"]]
    assert "client_secret" not in listed[0]
    for bad in ({"name": "", "redirect_uris": [REDIRECT], "scopes": "deals:read"},
                {"name": "x", "redirect_uris": ["http://evil.example/cb"], "scopes": "base"},
                {"name": "x", "redirect_uris": [REDIRECT + "#frag"], "scopes": "base"},
                {"name": "x", "redirect_uris": [], "scopes": "base"},
                {"name": "x", "redirect_uris": [REDIRECT], "scopes": "deals:write"},
                {"name": "x", "redirect_uris": [REDIRECT], "scopes": "base", "public": "yes"},
                {"name": "x", "redirect_uris": [REDIRECT], "scopes": "base", "extra": 1},
                [1, 2]):
        refused = api.request("POST", "/api/dealbase/apps", json=bad, check=False)
        assert refused.status_code == 400, (bad, refused.text)
        assert refused.json()["success"] is False
    assert len(api.request("GET", "/api/dealbase/apps", check=False).json()["data"]) == 1
    gone = api.request("DELETE", f"/api/dealbase/apps/{made['id']}", check=False)
    assert gone.status_code == 200
    assert api.request("GET", "/api/dealbase/apps", check=False).json()["data"] == []
    assert Pipedrive(http, None).request("GET", "/api/dealbase/apps", check=False
                                         ).status_code == 401


def test_admin_api_needs_an_admin(app: Any, http: SyncClient, tenant: Tenant) -> None:
    user = tenant.records.create("user", {"email": "member@acme.example", "name": "Member"})
    token = _service(app).create_token(tenant.company.company_id, user["id"]).token
    r = Pipedrive(http, token).request("GET", "/api/dealbase/apps", check=False)
    assert r.status_code == 403
    made = _register(app, tenant, "deals:full")  # an admin's OAuth token without ``admin``
    bearer = _bearer(http, _tokens(app, http, made)["access_token"])
    assert bearer.request("GET", "/api/dealbase/apps").status_code == 403


def test_pipeliner_keeps_basic_and_refuses_bearers(app: Any, http: SyncClient,
                                                    tenant: Tenant) -> None:
    made = _register(app, tenant)
    access = _tokens(app, http, made)["access_token"]
    r = http.request("GET", f"/rest_services/v1/{tenant.company.space_id}/Accounts",
                     headers={"authorization": f"Bearer {access}"})
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")


def test_a_deactivated_user_s_tokens_stop(app: Any, http: SyncClient, tenant: Tenant) -> None:
    user = tenant.records.create("user", {"email": "kim@acme.example", "name": "Kim"})
    service = _service(app)
    service.set_password(tenant.company.company_id, user["id"], PASSWORD)
    made = service.oauth.create_app(tenant.company.company_id, "<b>Zapp</b>", [REDIRECT],
                                    "deals:read")
    page = _page(http, made)
    assert "<b>Zapp</b>" not in page.text and "&lt;b&gt;Zapp&lt;/b&gt;" in page.text
    answer = _redirected(_consent(http, made, email="kim@acme.example"))
    r = _token(http, made, {"grant_type": "authorization_code", "code": answer["code"],
                            "redirect_uri": REDIRECT})
    api = _bearer(http, r.json()["access_token"])
    me = api.get("/v1/users/me")
    assert me.status_code == 200 and me.json()["data"]["id"] == user["id"]
    assert api.get("/v1/users").status_code == 403  # base reads only the user's own record
    tenant.records.update("user", user["id"], {"is_active": False})
    assert api.get("/v1/users/me").status_code == 401
    # refreshing through the spec's trailing-slash path works while the grant lives
    again = http.request("POST", "/oauth/token/", headers=_basic(made), data={
        "grant_type": "refresh_token", "refresh_token": r.json()["refresh_token"]})
    assert again.status_code == 200


def test_an_app_sees_only_its_own_application_webhooks(app: Any, http: SyncClient,
                                                       tenant: Tenant) -> None:
    hook = {"subscription_url": "https://hooks.example.com/in", "event_action": "*",
            "event_object": "deal", "name": "h"}
    general = tenant.api.post("/v1/webhooks", json=hook)
    assert general.status_code == 201, general.text
    first = _bearer(http, _tokens(app, http, _register(app, tenant, "admin"))["access_token"])
    second = _bearer(http, _tokens(app, http, _register(app, tenant, "admin"))["access_token"])
    made = first.post("/v1/webhooks", json=hook)
    assert made.status_code == 201, made.text
    assert made.json()["data"]["type"] == "application"
    listed = first.get("/v1/webhooks").json()["data"]
    assert [w["id"] for w in listed] == [made.json()["data"]["id"]]
    assert second.get("/v1/webhooks").json()["data"] == []
    assert second.delete(f"/v1/webhooks/{made.json()['data']['id']}").status_code == 404
    everyone = {w["id"]: w["type"] for w in tenant.api.get("/v1/webhooks").json()["data"]}
    assert everyone == {general.json()["data"]["id"]: "general",
                        made.json()["data"]["id"]: "application"}
    refused = _bearer(http, _tokens(app, http, _register(app, tenant, "deals:full"))[
        "access_token"])
    assert refused.get("/v1/webhooks").status_code == 403  # (webhooks need ``admin``)


def test_an_apps_token_never_reads_another_apps_webhook_log(app: Any, http: SyncClient,
                                                            tenant: Tenant) -> None:
    hook = {"subscription_url": "https://hooks.example.com/in", "event_action": "*",
            "event_object": "deal", "name": "h"}
    first = _bearer(http, _tokens(app, http, _register(app, tenant, "admin"))["access_token"])
    second = _bearer(http, _tokens(app, http, _register(app, tenant, "admin"))["access_token"])
    made = first.post("/v1/webhooks", json=hook).json()["data"]["id"]
    base = f"/api/dealbase/webhooks/{made}"
    assert first.get(f"{base}/deliveries").status_code == 200
    assert second.get(f"{base}/deliveries").status_code == 404
    assert second.post(f"{base}/replay", json={"since_seq": 0}).status_code == 404


def test_a_users_api_token_and_app_token_read_webhooks_in_any_order(
        app: Any, http: SyncClient, tenant: Tenant) -> None:
    service = _service(app)
    user = tenant.records.create("user", {"name": "Rae", "email": "rae@acme.example"})
    api = Pipedrive(http, service.create_token(tenant.company.company_id, user["id"]).token)
    made = _register(app, tenant, "admin")
    consent = service.oauth.consent(made.app.client_id, REDIRECT, None)
    code = service.oauth.issue_code(consent, user["id"], None, None)
    answer = _token(http, made, {"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": REDIRECT})
    assert answer.status_code == 200, answer.text
    bearer = _bearer(http, answer.json()["access_token"])
    hook = {"subscription_url": "https://hooks.example.com/in", "event_action": "*",
            "event_object": "deal", "name": "h"}
    general = api.post("/v1/webhooks", json=hook).json()["data"]["id"]
    own = bearer.post("/v1/webhooks", json=hook).json()["data"]["id"]
    for _ in range(2):  # each token's reads, after the other's
        assert api.get(f"/api/dealbase/webhooks/{general}/deliveries",
                       check=False).status_code == 200
        assert bearer.get(f"/api/dealbase/webhooks/{own}/deliveries").status_code == 200
        assert bearer.get(f"/api/dealbase/webhooks/{general}/deliveries").status_code == 404
        assert {w["id"] for w in bearer.get("/v1/webhooks").json()["data"]} == {own}
        assert {w["id"] for w in data(api.get("/v1/webhooks"))} == {general, own}


def test_the_admin_apis_need_the_admin_scope_through_oauth(app: Any, http: SyncClient,
                                                           tenant: Tenant) -> None:
    narrow = _bearer(http, _tokens(app, http, _register(app, tenant, "deals:read"))[
        "access_token"])
    for method, path in (("GET", "/api/dealbase/limits"), ("GET", "/api/dealbase/faults"),
                         ("PATCH", "/api/dealbase/limits"), ("GET", "/api/dealbase/apps")):
        answer = narrow.request(method, path, json={} if method == "PATCH" else None)
        assert answer.status_code == 403, (path, answer.text)
    wide = _bearer(http, _tokens(app, http, _register(app, tenant, "admin"))["access_token"])
    assert wide.get("/api/dealbase/limits").status_code == 200


def test_an_email_no_user_can_have_is_a_failed_sign_in(app: Any, http: SyncClient,
                                                        tenant: Tenant) -> None:
    made = _register(app, tenant)
    answer = _consent(http, made, email="ad\x00min@acme.example")
    assert answer.status_code < 500 and "location" not in answer.headers


def test_one_code_exchanged_twice_at_once_gives_tokens_once(app: Any, tenant: Tenant) -> None:
    import threading

    made = _register(app, tenant)
    oauth = _service(app).oauth
    outcomes: list[str] = []
    for _ in range(5):
        code = oauth.issue_code(oauth.consent(made.app.client_id, REDIRECT, None),
                                tenant.company.user_id, None, None)
        start = threading.Barrier(2)
        got: list[str] = []

        def exchange(code: str = code, start: threading.Barrier = start,
                     got: list[str] = got) -> None:
            start.wait()
            try:
                oauth.exchange_code(made.app.client_id, made.client_secret, code, REDIRECT, None)
                got.append("tokens")
            except Exception as exc:  # (OAuthError: the other one won)
                got.append(type(exc).__name__)

        threads = [threading.Thread(target=exchange) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(got) == ["OAuthError", "tokens"], got
        outcomes += got
    assert outcomes.count("tokens") == 5
