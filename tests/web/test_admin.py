"""The admin pages: users, pipelines and stages, custom fields, API tokens, webhooks (both
backends). What the pages change is checked through the Pipedrive API (or the service);
a non-admin, a missing CSRF token and another company's ids change nothing."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import Tenant
from tests.web.conftest import Browser, text_of


def _user(tenant: Tenant, **values: Any) -> int:
    email = f"u{secrets.token_hex(5)}@example.com"
    return int(tenant.records.create("user", {"name": "Uma", "email": email, **values})["id"])


def _api(tenant: Tenant, token: str, url: str) -> httpx.Response:
    return tenant.api.http.request("GET", url, headers={"x-api-token": token})


def _secret(html: str, label: str) -> str:
    found = re.search(rf"<dt>{label}</dt>\s*<dd><code class=\"secret\" id=\"[^\"]+\">([^<]+)</code>",
                      html)
    assert found, html
    return found.group(1)


def _stages(tenant: Tenant, pipeline_id: int) -> list[dict[str, Any]]:
    found = tenant.api.get(f"/v1/stages?pipeline_id={pipeline_id}").json()["data"] or []
    return sorted(found, key=lambda s: (s["order_nr"], s["id"]))


def _first_pipeline(tenant: Tenant) -> int:
    return int(tenant.api.get("/v1/pipelines").json()["data"][0]["id"])


# ---- pages ---------------------------------------------------------------------------------

def test_every_section_renders_for_an_admin(web: Browser) -> None:
    r = web.get("/admin")
    assert r.status_code == 200
    for path in ("users", "pipelines", "fields", "tokens", "webhooks"):
        assert f'href="/admin/{path}"' in r.text
        page = web.get(f"/admin/{path}")
        assert page.status_code == 200, (path, page.text)
        assert "style=" not in page.text and "<script>" not in page.text
    for entity in ("deal", "person", "organization", "product", "activity"):
        assert web.get(f"/admin/fields?entity={entity}").status_code == 200
    assert web.get("/admin/fields?entity=nope").status_code == 404


def test_pages_need_a_session(browser: Callable[[], Browser]) -> None:
    b = browser()
    r = b.get("/admin/users")
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    assert b.post("/admin/users", {"name": "x", "email": "x@example.com"},
                  csrf=False).status_code == 401


# ---- users ---------------------------------------------------------------------------------

def test_invite_a_user_and_the_link_works(web: Browser, tenant: Tenant,
                                          browser: Callable[[], Browser]) -> None:
    r = web.post("/admin/users", {"name": "Nina New", "email": "nina@example.com"})
    assert r.status_code == 200 and "Invitation link" in r.text
    link = _secret(r.text, "Invitation link")
    path = httpx.URL(link).path
    assert path.startswith("/invite/")
    users = tenant.api.get("/v1/users").json()["data"]
    nina = next(u for u in users if u["email"] == "nina@example.com")
    assert nina["name"] == "Nina New" and nina["active_flag"]
    page = browser().get(path)
    assert page.status_code == 200 and "nina@example.com" in page.text
    # the list shows the user, and the link is not shown again
    listed = web.get("/admin/users")
    assert "nina@example.com" in listed.text and "/invite/" not in listed.text
    # a second invitation for the same email is refused, nothing made
    again = web.post("/admin/users", {"name": "Nina 2", "email": "nina@example.com"})
    assert again.status_code == 400 and "exists already" in again.text
    assert len([u for u in tenant.api.get("/v1/users").json()["data"]
                if u["email"] == "nina@example.com"]) == 1
    # a new link for an existing user
    fresh = web.post(f"/admin/users/{nina['id']}/invite")
    assert fresh.status_code == 200 and _secret(fresh.text, "Invitation link") != link


def test_invite_with_a_role(web: Browser, tenant: Tenant) -> None:
    role = tenant.api.post("/v1/roles", json={"name": "Sales"}).json()["data"]["id"]
    r = web.post("/admin/users", {"name": "Rita", "email": "rita@example.com",
                                  "role_id": str(role)})
    assert r.status_code == 200
    rita = next(u for u in tenant.api.get("/v1/users").json()["data"]
                if u["email"] == "rita@example.com")
    assigned = tenant.api.get(f"/v1/roles/{role}/assignments").json()["data"]
    assert [a["user_id"] for a in assigned] == [rita["id"]]


def test_bad_invitations_change_nothing(web: Browser, tenant: Tenant) -> None:
    before = len(tenant.api.get("/v1/users").json()["data"])
    for form, words in (({"name": "", "email": "a@example.com"}, "Name is required"),
                        ({"name": "A", "email": "not-an-email"}, "not an email"),
                        ({"name": "A", "email": "a@example.com", "role_id": "x"}, "whole number"),
                        ({"name": "A" * 300, "email": "a@example.com"}, "name"),
                        ({"name": "A", "email": "b@example.com", "role_id": "999999999"},
                         "not found")):
        r = web.post("/admin/users", form)
        assert r.status_code in (400, 404), (form, r.status_code)
        assert words.lower() in text_of(r.text).lower(), (form, text_of(r.text))
    assert len(tenant.api.get("/v1/users").json()["data"]) == before


def test_deactivate_reactivate_and_role(web: Browser, tenant: Tenant) -> None:
    user_id = _user(tenant)
    assert web.post(f"/admin/users/{user_id}/active", {"active": "0"}).status_code == 303
    assert tenant.api.get(f"/v1/users/{user_id}").json()["data"]["active_flag"] is False
    assert web.post(f"/admin/users/{user_id}/active", {"active": "1"}).status_code == 303
    assert tenant.api.get(f"/v1/users/{user_id}").json()["data"]["active_flag"] is True
    role = tenant.api.post("/v1/roles", json={"name": "Managers"}).json()["data"]["id"]
    r = web.post(f"/admin/users/{user_id}/role", {"role_id": str(role)})
    assert r.status_code == 303 and r.headers["location"] == "/admin/users"
    assigned = tenant.api.get(f"/v1/roles/{role}/assignments").json()["data"]
    assert [a["user_id"] for a in assigned] == [user_id]
    # nobody deactivates themselves
    me = tenant.company.user_id
    r = web.post(f"/admin/users/{me}/active", {"active": "0"})
    assert r.status_code == 400 and "cannot deactivate yourself" in r.text
    assert tenant.api.get(f"/v1/users/{me}").json()["data"]["active_flag"] is True
    assert web.post(f"/admin/users/{user_id}/active", {"active": "maybe"}).status_code == 400


def test_set_a_password(web: Browser, tenant: Tenant) -> None:
    user_id = _user(tenant)
    service = tenant.records.service
    company = tenant.company.company_id
    r = web.post(f"/admin/users/{user_id}/password",
                 {"password": "long enough", "password2": "long enough"})
    assert r.status_code == 303
    assert service.check_password(company, user_id, "long enough")
    r = web.post(f"/admin/users/{user_id}/password", {"password": "short", "password2": "short"})
    assert r.status_code == 400 and "8 to 1024" in r.text
    r = web.post(f"/admin/users/{user_id}/password", {"password": "another one",
                                                      "password2": "differs!!"})
    assert r.status_code == 400 and "differ" in r.text
    assert service.check_password(company, user_id, "long enough")
    assert "long enough" not in r.text


# ---- pipelines and stages ------------------------------------------------------------------

def test_pipelines_and_stages(web: Browser, tenant: Tenant) -> None:
    assert web.post("/admin/pipelines", {"name": "Partners"}).status_code == 303
    made = next(p for p in tenant.api.get("/v1/pipelines").json()["data"]
                if p["name"] == "Partners")
    r = web.post(f"/admin/pipelines/{made['id']}", {"name": "Channel partners"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/pipelines"
    assert tenant.api.get(f"/v1/pipelines/{made['id']}").json()["data"]["name"] == \
        "Channel partners"
    for name in ("Lead in", "Talking", "Signed"):
        assert web.post(f"/admin/pipelines/{made['id']}/stages",
                        {"name": name, "deal_probability": "40"}).status_code == 303
    stages = _stages(tenant, made["id"])
    assert [s["name"] for s in stages] == ["Lead in", "Talking", "Signed"]
    assert {s["deal_probability"] for s in stages} == {40}
    # rename, and reorder: "Signed" up once
    talking, signed = stages[1]["id"], stages[2]["id"]
    assert web.post(f"/admin/stages/{talking}", {"name": "Negotiating",
                                                 "deal_probability": "60"}).status_code == 303
    assert web.post(f"/admin/stages/{signed}/move", {"direction": "up"}).status_code == 303
    assert [s["name"] for s in _stages(tenant, made["id"])] == ["Lead in", "Signed",
                                                                "Negotiating"]
    assert web.post(f"/admin/stages/{stages[0]['id']}/move",
                    {"direction": "up"}).status_code == 303  # (already first: nothing)
    assert [s["order_nr"] for s in _stages(tenant, made["id"])] == [1, 2, 3]
    page = web.get("/admin/pipelines")
    assert "Channel partners" in page.text and "Negotiating" in page.text


def test_deleting_a_stage_moves_or_leaves_its_deals(web: Browser, tenant: Tenant) -> None:
    pipeline = _first_pipeline(tenant)
    stages = _stages(tenant, pipeline)
    first, second, third = (s["id"] for s in stages[:3])
    deal = tenant.api.post("/v1/deals", json={"title": "Big", "stage_id": first}).json()["data"]
    r = web.post(f"/admin/stages/{first}/delete", {"move_to": str(second)})
    assert r.status_code == 303
    assert first not in [s["id"] for s in _stages(tenant, pipeline)]
    assert tenant.api.get(f"/v1/deals/{deal['id']}").json()["data"]["stage_id"] == second
    # or left in the deleted stage, as DELETE /v1/stages/{id} leaves them
    other = tenant.api.post("/v1/deals", json={"title": "Small",
                                               "stage_id": third}).json()["data"]
    assert web.post(f"/admin/stages/{third}/delete", {"move_to": ""}).status_code == 303
    assert tenant.api.get(f"/v1/deals/{other['id']}").json()["data"]["stage_id"] == third
    # a missing target: 404, nothing deleted
    assert web.post(f"/admin/stages/{second}/delete",
                    {"move_to": "987654321"}).status_code == 404
    assert second in [s["id"] for s in _stages(tenant, pipeline)]
    assert web.post(f"/admin/stages/{second}/delete",
                    {"move_to": str(second)}).status_code == 400


def test_bad_pipeline_inputs(web: Browser, tenant: Tenant) -> None:
    pipeline = _first_pipeline(tenant)
    stage = _stages(tenant, pipeline)[0]
    cases = [("/admin/pipelines", {"name": " "}, 400),
             (f"/admin/pipelines/{pipeline}", {"name": "x" * 300}, 400),
             (f"/admin/pipelines/{pipeline}/stages", {"name": "S", "deal_probability": "140"}, 400),
             (f"/admin/pipelines/{pipeline}/stages", {"name": "S", "deal_probability": "a"}, 400),
             (f"/admin/stages/{stage['id']}", {"name": ""}, 400),
             (f"/admin/stages/{stage['id']}/move", {"direction": "sideways"}, 400),
             ("/admin/pipelines/99999999999999999999/stages", {"name": "S"}, 404),
             ("/admin/pipelines/abc", {"name": "S"}, 404),
             ("/admin/stages/0/move", {"direction": "up"}, 404)]
    before = _snapshot(tenant)
    for url, form, status in cases:
        r = web.post(url, form)
        assert r.status_code == status, (url, form, r.status_code, text_of(r.text)[:300])
    assert _snapshot(tenant) == before
    r = web.post(f"/admin/pipelines/{pipeline}/stages", {"name": "Kept", "deal_probability": "140",
                                                         "form": f"stage-{pipeline}"})
    assert 'role="alert"' in r.text and "deal_probability" in r.text
    assert 'value="Kept"' in r.text  # (the form as it was sent)


# ---- custom fields -------------------------------------------------------------------------

def test_custom_fields(web: Browser, tenant: Tenant) -> None:
    r = web.post("/admin/fields", {"entity": "deal", "name": "Region", "field_type": "enum",
                                   "options": "North\r\nSouth\n\n"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/fields?entity=deal"
    field = next(f for f in tenant.api.get("/v1/dealFields").json()["data"]
                 if f["name"] == "Region")
    assert [o["label"] for o in field["options"]] == ["North", "South"]
    base = f"/admin/fields/deal/{field['id']}"
    assert web.post(base, {"name": "Area"}).status_code == 303
    assert web.post(f"{base}/options", {"options": "East"}).status_code == 303
    north = field["options"][0]["id"]
    south = field["options"][1]["id"]
    assert web.post(f"{base}/options/relabel", {"option_id": str(north),
                                                "label": "Northern"}).status_code == 303
    assert web.post(f"{base}/options/remove", {"option_id": str(south)}).status_code == 303
    now = next(f for f in tenant.api.get("/v1/dealFields").json()["data"]
               if f["id"] == field["id"])
    assert now["name"] == "Area"
    assert [o["label"] for o in now["options"]] == ["Northern", "East"]
    page = web.get("/admin/fields?entity=deal")
    assert "Area" in page.text and "Northern" in page.text and field["key"] in page.text
    # a person field; then delete it
    assert web.post("/admin/fields", {"entity": "person", "name": "Nickname",
                                      "field_type": "varchar"}).status_code == 303
    nick = next(f for f in tenant.api.get("/v1/personFields").json()["data"]
                if f["name"] == "Nickname")
    assert web.post(f"/admin/fields/person/{nick['id']}/delete").status_code == 303
    assert "Nickname" not in [f["name"] for f in tenant.api.get("/v1/personFields").json()["data"]]


def test_bad_field_inputs(web: Browser, tenant: Tenant) -> None:
    made = tenant.records.create_field("deal", "Size", "enum", ["S", "M"])
    plain = tenant.records.create_field("deal", "Note", "varchar")
    base = f"/admin/fields/deal/{made.id}"
    cases = [("/admin/fields", {"entity": "deal", "name": "X", "field_type": "enum",
                                "options": ""}, 400, "needs at least one option"),
             ("/admin/fields", {"entity": "deal", "name": "X", "field_type": "bogus"}, 400,
              "type"),
             ("/admin/fields", {"entity": "deal", "name": "", "field_type": "varchar"}, 400,
              "Name is required"),
             ("/admin/fields", {"entity": "lead", "name": "X", "field_type": "varchar"}, 404,
              ""),
             (f"{base}/options/relabel", {"option_id": "77", "label": "L"}, 400, "must exist"),
             (f"{base}/options/relabel", {"option_id": "x", "label": "L"}, 400, "whole number"),
             (f"{base}/options/remove", {"option_id": "1"}, 303, ""),
             (f"{base}/options/remove", {"option_id": "2"}, 400, "at least one option"),
             (f"/admin/fields/deal/{plain.id}/options", {"options": "A"}, 400,
              "only enum and set"),
             (f"/admin/fields/person/{made.id}", {"name": "Y"}, 404, ""),
             ("/admin/fields/deal/99999999/delete", {}, 404, "")]
    for url, form, status, words in cases:
        r = web.post(url, form)
        assert r.status_code == status, (url, form, r.status_code, text_of(r.text)[:300])
        assert words in r.text, (url, text_of(r.text)[:500])
    names = [f["name"] for f in tenant.api.get("/v1/dealFields").json()["data"]]
    assert "X" not in names and names.count("Size") == 1


# ---- API tokens ----------------------------------------------------------------------------

def test_a_token_made_here_works_until_revoked(web: Browser, tenant: Tenant) -> None:
    user_id = _user(tenant)
    r = web.post("/admin/tokens", {"user_id": str(user_id), "kind": "pipedrive"})
    assert r.status_code == 200
    token = _secret(r.text, "Token")
    me = _api(tenant, token, "/v1/users/me")
    assert me.status_code == 200 and me.json()["data"]["id"] == user_id
    page = web.get("/admin/tokens")
    assert token not in page.text
    token_id = max(t.id for t in tenant.records.service.tokens(tenant.company.company_id))
    assert f'id="token-{token_id}"' in page.text
    assert web.post(f"/admin/tokens/{token_id}/revoke").status_code == 303
    assert _api(tenant, token, "/v1/users/me").status_code == 401
    assert f'id="token-{token_id}"' not in web.get("/admin/tokens").text
    # a Pipeliner token shows its password too
    r = web.post("/admin/tokens", {"user_id": str(user_id), "kind": "pipeliner"})
    assert r.status_code == 200 and _secret(r.text, "Password")


def test_bad_token_inputs(web: Browser, tenant: Tenant, other: Tenant) -> None:
    before = tenant.records.service.tokens(tenant.company.company_id)
    inactive = _user(tenant, is_active=False)
    for form, status in (({"user_id": "x"}, 400), ({"user_id": "1", "kind": "oauth"}, 400),
                         ({"user_id": str(other.company.user_id)}, 404),
                         ({"user_id": str(inactive)}, 400)):
        assert web.post("/admin/tokens", form).status_code == status, form
    assert tenant.records.service.tokens(tenant.company.company_id) == before
    theirs = other.records.service.tokens(other.company.company_id)[0].id
    assert web.post(f"/admin/tokens/{theirs}/revoke").status_code == 404
    assert other.api.get("/v1/users/me").status_code == 200


# ---- webhooks ------------------------------------------------------------------------------

def test_webhooks(web: Browser, tenant: Tenant) -> None:
    r = web.post("/admin/webhooks", {
        "name": "Deals out", "subscription_url": "https://hooks.example.com/crm",
        "event_action": "*", "event_object": "deal", "version": "2.0",
        "http_auth_user": "crm", "http_auth_password": "s3cret"})
    assert r.status_code == 200, text_of(r.text)[:400]
    assert _secret(r.text, "Signing secret")
    listed = tenant.api.get("/v1/webhooks").json()["data"]
    assert len(listed) == 1
    hook = listed[0]
    assert hook["subscription_url"] == "https://hooks.example.com/crm"
    assert hook["event_object"] == "deal" and hook["http_auth_user"] == "crm"
    page = web.get("/admin/webhooks")
    assert "hooks.example.com" in page.text and "s3cret" not in page.text
    assert web.post(f"/admin/webhooks/{hook['id']}/delete").status_code == 303
    assert tenant.api.get("/v1/webhooks").json()["data"] == []
    assert web.post(f"/admin/webhooks/{hook['id']}/delete").status_code == 404


def test_webhook_validation_and_ssrf_guard(web: Browser, tenant: Tenant) -> None:
    base = {"name": "W", "event_action": "added", "event_object": "deal", "version": "1.0"}
    for url in ("http://127.0.0.1/x", "http://169.254.169.254/latest", "ftp://example.com/x",
                "not a url"):
        r = web.post("/admin/webhooks", {**base, "subscription_url": url})
        assert r.status_code == 400, (url, r.status_code)
        assert 'role="alert"' in r.text and url in r.text  # the form keeps what was sent
    r = web.post("/admin/webhooks", {**base, "subscription_url": "https://example.com/h",
                                     "event_object": "spaceship"})
    assert r.status_code == 400
    r = web.post("/admin/webhooks", {**base, "subscription_url": "https://example.com/h",
                                     "user_id": "123456789"})
    assert r.status_code == 404
    assert tenant.api.get("/v1/webhooks").json()["data"] == []


# ---- who may -------------------------------------------------------------------------------

@pytest.fixture
def plain(browser: Callable[[], Browser], tenant: Tenant) -> Browser:
    """A browser signed in as a user who is not an admin."""
    return browser().sign_in_as(tenant.company.company_id, _user(tenant))


def test_a_non_admin_is_refused_everywhere(plain: Browser, tenant: Tenant) -> None:
    pipeline = _first_pipeline(tenant)
    stage = _stages(tenant, pipeline)[0]["id"]
    field = tenant.records.create_field("deal", "Size", "enum", ["S", "M"])
    target = _user(tenant)
    token = tenant.records.service.tokens(tenant.company.company_id)[0].id
    hook = tenant.api.post("/v1/webhooks", json={
        "subscription_url": "https://example.com/h", "event_action": "*",
        "event_object": "*", "name": "H"}).json()["data"]["id"]
    for path in ("", "/users", "/pipelines", "/fields", "/tokens", "/webhooks"):
        r = plain.get(f"/admin{path}")
        assert r.status_code == 403 and "Only admin users may" in r.text, path
    posts = [("/admin/users", {"name": "X", "email": "x@example.com"}),
             (f"/admin/users/{target}/invite", {}),
             (f"/admin/users/{target}/active", {"active": "0"}),
             (f"/admin/users/{target}/role", {"role_id": "1"}),
             (f"/admin/users/{target}/password", {"password": "12345678", "password2": "12345678"}),
             ("/admin/pipelines", {"name": "P"}),
             (f"/admin/pipelines/{pipeline}", {"name": "P"}),
             (f"/admin/pipelines/{pipeline}/stages", {"name": "S"}),
             (f"/admin/stages/{stage}", {"name": "S"}),
             (f"/admin/stages/{stage}/move", {"direction": "down"}),
             (f"/admin/stages/{stage}/delete", {}),
             ("/admin/fields", {"entity": "deal", "name": "F", "field_type": "varchar"}),
             (f"/admin/fields/deal/{field.id}", {"name": "F"}),
             (f"/admin/fields/deal/{field.id}/delete", {}),
             (f"/admin/fields/deal/{field.id}/options", {"options": "L"}),
             (f"/admin/fields/deal/{field.id}/options/relabel", {"option_id": "1", "label": "L"}),
             (f"/admin/fields/deal/{field.id}/options/remove", {"option_id": "1"}),
             ("/admin/tokens", {"user_id": str(target)}),
             (f"/admin/tokens/{token}/revoke", {}),
             ("/admin/webhooks", {"name": "W", "subscription_url": "https://example.com/x",
                                  "event_action": "*", "event_object": "*"}),
             (f"/admin/webhooks/{hook}/delete", {})]
    before = _snapshot(tenant)
    for url, form in posts:
        r = plain.post(url, form)
        assert r.status_code == 403, (url, r.status_code, text_of(r.text)[:300])
    assert _snapshot(tenant) == before
    assert not tenant.records.service.check_password(tenant.company.company_id, target,
                                                     "12345678")


def _snapshot(tenant: Tenant) -> tuple[Any, ...]:
    api = tenant.api
    return (api.get("/v1/users").json()["data"], api.get("/v1/pipelines").json()["data"],
            api.get("/v1/stages").json()["data"], api.get("/v1/dealFields").json()["data"],
            api.get("/v1/webhooks").json()["data"],
            tenant.records.service.tokens(tenant.company.company_id))


def test_without_csrf_nothing_changes(web: Browser, tenant: Tenant) -> None:
    pipeline = _first_pipeline(tenant)
    target = _user(tenant)
    before = _snapshot(tenant)
    for url, form in (("/admin/users", {"name": "X", "email": "x@example.com"}),
                      (f"/admin/users/{target}/active", {"active": "0"}),
                      ("/admin/pipelines", {"name": "P"}),
                      (f"/admin/pipelines/{pipeline}/stages", {"name": "S"}),
                      ("/admin/fields", {"entity": "deal", "name": "F", "field_type": "varchar"}),
                      ("/admin/tokens", {"user_id": str(target)}),
                      ("/admin/webhooks", {"name": "W", "subscription_url": "https://example.com/x",
                                           "event_action": "*", "event_object": "*"})):
        assert web.post(url, form, csrf=False).status_code == 403, url
        assert web.post(url, {**form, "csrf_token": "forged"}, csrf=False).status_code == 403
    assert _snapshot(tenant) == before


def test_another_companys_ids_are_not_found(web: Browser, tenant: Tenant, other: Tenant) -> None:
    their_user = _user(other)
    their_pipeline = _first_pipeline(other)
    their_stage = _stages(other, their_pipeline)[0]["id"]
    their_field = other.records.create_field("deal", "Theirs", "enum", ["A"])
    their_hook = other.api.post("/v1/webhooks", json={
        "subscription_url": "https://example.com/h", "event_action": "*",
        "event_object": "*", "name": "H"}).json()["data"]["id"]
    their_role = other.api.post("/v1/roles", json={"name": "R"}).json()["data"]["id"]
    mine = _user(tenant)
    before = _snapshot(other)
    for url, form in ((f"/admin/users/{their_user}/active", {"active": "0"}),
                      (f"/admin/users/{their_user}/invite", {}),
                      (f"/admin/users/{their_user}/role", {"role_id": str(their_role)}),
                      (f"/admin/users/{mine}/role", {"role_id": str(their_role)}),
                      (f"/admin/users/{their_user}/password", {"password": "12345678",
                                                               "password2": "12345678"}),
                      (f"/admin/pipelines/{their_pipeline}", {"name": "Mine now"}),
                      (f"/admin/pipelines/{their_pipeline}/stages", {"name": "S"}),
                      (f"/admin/stages/{their_stage}", {"name": "S"}),
                      (f"/admin/stages/{their_stage}/move", {"direction": "down"}),
                      (f"/admin/stages/{their_stage}/delete", {}),
                      (f"/admin/fields/deal/{their_field.id}", {"name": "F"}),
                      (f"/admin/fields/deal/{their_field.id}/delete", {}),
                      (f"/admin/fields/deal/{their_field.id}/options", {"options": "B"}),
                      (f"/admin/webhooks/{their_hook}/delete", {})):
        r = web.post(url, form)
        assert r.status_code == 404, (url, r.status_code, text_of(r.text)[:300])
    assert _snapshot(other) == before
    assert not other.records.service.check_password(other.company.company_id, their_user,
                                                    "12345678")


def test_json_fetches_get_json_answers(web: Browser, tenant: Tenant) -> None:
    r = web.send("/admin/pipelines", {"name": ""})
    assert r.status_code == 400 and r.json()["error"] == "Name is required."
    r = web.send("/admin/pipelines", {"name": "By fetch"})
    assert r.status_code == 200 and r.json()["ok"] is True
    assert "By fetch" in [p["name"] for p in tenant.api.get("/v1/pipelines").json()["data"]]


def test_a_refused_field_form_stays_on_its_entity(web: Browser, tenant: Tenant) -> None:
    r = web.post("/admin/fields", {"entity": "person", "name": "", "field_type": "varchar"})
    assert r.status_code == 400 and "Name is required" in r.text
    assert 'name="entity" value="person"' in r.text  # (resubmitting makes a person field)
