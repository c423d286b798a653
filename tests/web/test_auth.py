"""Sign-in, sessions, CSRF and invitations of the web app (both backends)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from tests.conftest import Tenant
from tests.web.conftest import Browser


def _user(tenant: Tenant, password: str | None = "correct horse") -> tuple[int, str]:
    email = f"u{secrets.token_hex(5)}@example.com"
    user = tenant.records.create("user", {"name": "Uma", "email": email})
    if password is not None:
        tenant.records.service.set_password(tenant.company.company_id, int(user["id"]), password)
    return int(user["id"]), email


def test_pages_need_a_session(browser: Callable[[], Browser]) -> None:
    b = browser()
    r = b.get("/")
    assert r.status_code == 303 and r.headers["location"].startswith("/signin?next=")


def test_sign_in_sign_out(browser: Callable[[], Browser], tenant: Tenant) -> None:
    _, email = _user(tenant)
    b = browser()
    r = b.post("/signin", {"email": email, "password": "nope-nope", "next": "/deals"},
               csrf=False)
    assert r.status_code == 400 and "Wrong email or password" in r.text and b.cookie is None
    assert 'name="next" value="/deals"' in r.text  # (where the visitor was going stays)
    r = b.post("/signin", {"email": email, "password": "correct horse", "next": "/deals"},
               csrf=False)
    assert r.status_code == 303 and r.headers["location"] == "/deals"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert b.get("/").status_code == 303 and b.get("/").headers["location"] == "/board"
    assert b.post("/signout", csrf=False).status_code == 403  # no CSRF token: refused
    assert b.get("/").headers["location"] == "/board"  # ... and still signed in
    old = b.cookie
    assert b.post("/signout").status_code == 303
    b.client.cookies.set("dealbase_session", old or "", domain="dealbase.test")
    assert b.get("/").headers["location"].startswith("/signin")  # the session is gone


def test_open_redirects_and_forged_cookies_are_refused(browser: Callable[[], Browser],
                                                        tenant: Tenant) -> None:
    _, email = _user(tenant)
    b = browser()
    r = b.post("/signin", {"email": email, "password": "correct horse",
                           "next": "//evil.example/x"}, csrf=False)
    assert r.headers["location"] == "/"
    token = (b.cookie or "").rpartition(".")[0]
    b.client.cookies.set("dealbase_session", token + ".0" * 16, domain="dealbase.test")
    assert b.get("/").headers["location"].startswith("/signin")


def test_sign_in_is_throttled(browser: Callable[[], Browser], tenant: Tenant) -> None:
    _, email = _user(tenant)
    b = browser()
    for _ in range(5):
        assert b.post("/signin", {"email": email, "password": "wrong-wrong"},
                      csrf=False).status_code == 400
    r = b.post("/signin", {"email": email, "password": "correct horse"}, csrf=False)
    assert r.status_code == 429 and b.cookie is None


def test_a_deactivated_user_is_signed_out(web: Browser, tenant: Tenant,
                                          browser: Callable[[], Browser]) -> None:
    user_id, _ = _user(tenant)
    b = browser().sign_in_as(tenant.company.company_id, user_id)
    assert b.get("/").headers["location"] == "/board"
    tenant.records.update("user", user_id, {"is_active": False})
    assert b.get("/").headers["location"].startswith("/signin")


def test_invitation(browser: Callable[[], Browser], tenant: Tenant) -> None:
    user_id, email = _user(tenant, None)
    service = tenant.records.service
    token = service.sessions.invite(tenant.ctx, user_id, service.clock())
    b = browser()
    assert email in b.get(f"/invite/{token}").text
    r = b.post(f"/invite/{token}", {"password": "short", "password2": "short"}, csrf=False)
    assert r.status_code == 400 and "Password must be" in r.text
    r = b.post(f"/invite/{token}", {"password": "long enough", "password2": "long enough"},
               csrf=False)
    assert r.status_code == 303 and b.cookie
    assert b.get("/").headers["location"] == "/board"
    assert browser().get(f"/invite/{token}").status_code == 404  # spent
    assert service.sessions.sign_in(email, "long enough")


def test_sign_ins_sent_at_once_are_counted_at_once(browser: Callable[[], Browser],
                                                   tenant: Tenant) -> None:
    import anyio

    _, email = _user(tenant)
    b = browser()
    codes: list[int] = []

    async def attempt() -> None:
        r = await b.client.post("/signin", data={"email": email, "password": "wrong-wrong"})
        codes.append(r.status_code)

    async def burst() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(12):
                group.start_soon(attempt)

    b.portal.call(burst)
    assert codes.count(400) == 5 and codes.count(429) == 7, codes


def test_a_success_does_not_count_as_a_failure(browser: Callable[[], Browser],
                                                tenant: Tenant) -> None:
    _, email = _user(tenant)
    for _ in range(8):
        b = browser()
        assert b.post("/signin", {"email": email, "password": "correct horse"},
                      csrf=False).status_code == 303


def test_email_case_does_not_matter(browser: Callable[[], Browser], tenant: Tenant) -> None:
    _, email = _user(tenant)
    b = browser()
    r = b.post("/signin", {"email": email.upper(), "password": "correct horse"}, csrf=False)
    assert r.status_code == 303 and b.cookie


def test_deactivation_ends_sessions_and_invitations(browser: Callable[[], Browser],
                                                    tenant: Tenant) -> None:
    user_id, _ = _user(tenant)
    service = tenant.records.service
    invitation = service.sessions.invite(tenant.ctx, user_id, service.clock())
    b = browser().sign_in_as(tenant.company.company_id, user_id)
    tenant.records.update("user", user_id, {"is_active": False})
    tenant.records.update("user", user_id, {"is_active": True})
    assert b.get("/").headers["location"].startswith("/signin")  # (not back again)
    assert service.sessions.invitation(invitation) is None


def test_a_new_password_spends_every_invitation(browser: Callable[[], Browser],
                                                tenant: Tenant) -> None:
    user_id, _ = _user(tenant, None)
    service = tenant.records.service
    first = service.sessions.invite(tenant.ctx, user_id, service.clock())
    second = service.sessions.invite(tenant.ctx, user_id, service.clock())
    assert browser().post(f"/invite/{first}", {"password": "long enough",
                                               "password2": "long enough"},
                          csrf=False).status_code == 303
    r = browser().post(f"/invite/{second}", {"password": "taken over", "password2": "taken over"},
                       csrf=False)
    assert r.status_code == 404
    assert service.check_password(tenant.company.company_id, user_id, "long enough")


def test_sign_out_without_a_live_session_clears_the_cookie(browser: Callable[[], Browser],
                                                           tenant: Tenant) -> None:
    user_id, _ = _user(tenant)
    b = browser().sign_in_as(tenant.company.company_id, user_id)
    cookie = b.cookie
    tenant.records.service.sessions.end(cookie)
    r = b.post("/signout", csrf=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin"
    assert 'dealbase_session=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]
