"""Fixtures of the web app's tests: a browser-like client with its own cookies.

``web`` is signed in as the tenant's admin (a session made by the service, as the sign-in
form makes one); ``signed_in(tenant, user_id)`` makes one for any user. ``Browser.post``
sends the session's CSRF token unless told otherwise.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from dealbase.api.app import service_of
from tests.conftest import SyncClient, Tenant

COOKIE = "dealbase_session"


class Browser:
    """httpx over the in-process app with a cookie jar of its own (one browser)."""

    def __init__(self, http: SyncClient, app: Any) -> None:
        self.portal = http.portal
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                        base_url="http://dealbase.test", follow_redirects=False)
        self.service = service_of(app)

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        return self.portal.call(functools.partial(self.client.request, method, url, **kw))  # type: ignore[no-any-return]

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    @property
    def cookie(self) -> str | None:
        return self.client.cookies.get(COOKIE)

    @property
    def csrf(self) -> str:
        return self.service.sessions.csrf(self.cookie or "")

    def post(self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True,
             **kw: Any) -> httpx.Response:
        """A form post (``data``), with the session's CSRF token unless ``csrf=False``."""
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf)
        return self.request("POST", url, data=form, **kw)

    def send(self, url: str, body: dict[str, Any], *, csrf: bool = True) -> httpx.Response:
        """A fetch as the app's JavaScript makes it: JSON, CSRF token in a header."""
        headers = {"Accept": "application/json"}
        if csrf:
            headers["X-CSRF-Token"] = self.csrf
        return self.request("POST", url, json=body, headers=headers)

    def sign_in_as(self, company_id: int, user_id: int) -> Browser:
        cookie = self.service.sessions.start(company_id, user_id, self.service.clock())
        self.client.cookies.set(COOKIE, cookie, domain="dealbase.test")
        return self

    def close(self) -> None:
        self.portal.call(self.client.aclose)


def text_of(html: str) -> str:
    """A page's text without tags (for assertions on what a user reads)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture
def browser(http: SyncClient, app: Any) -> Iterator[Callable[[], Browser]]:
    """A factory of fresh browsers (no session)."""
    made: list[Browser] = []

    def make() -> Browser:
        made.append(Browser(http, app))
        return made[-1]

    yield make
    for b in made:
        b.close()


@pytest.fixture
def web(browser: Callable[[], Browser], tenant: Tenant) -> Browser:
    """A browser signed in as the tenant's admin."""
    return browser().sign_in_as(tenant.company.company_id, tenant.company.user_id)
