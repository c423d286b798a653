"""A Pipeliner REST v1 client per tenant, over the same in-process app as the Pipedrive tests."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from dealbase.service import Service
from tests.conftest import SyncClient, Tenant
from tests.pipeliner.support import Clock, pin_clock


class Pipeliner:
    """HTTP Basic with the space's token and password; paths are relative to the space root."""

    def __init__(self, http: SyncClient, space_id: str, token: str, password: str) -> None:
        self.http, self.space_id = http, space_id
        self.base = f"/rest_services/v1/{space_id}"
        self.auth = "Basic " + base64.b64encode(f"{token}:{password}".encode()).decode()

    def request(self, method: str, path: str, *, json: Any = None, content: bytes | None = None,
                params: Any = None, headers: dict[str, str] | None = None,
                auth: bool = True) -> httpx.Response:
        all_headers = {"Authorization": self.auth} if auth else {}
        all_headers.update(headers or {})
        return self.http.request(method, self.base + path, json=json, content=content,
                                 params=params, headers=all_headers)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)

    def create(self, collection: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST a new entity; asserts 201 and returns the created entity."""
        response = self.post(f"/{collection}", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


def pipeliner_for(http: SyncClient, tenant: Tenant) -> Pipeliner:
    c = tenant.company
    return Pipeliner(http, c.space_id, c.pipeliner_api_token, c.pipeliner_api_password)


@pytest.fixture
def pl(http: SyncClient, tenant: Tenant) -> Pipeliner:
    """The Pipeliner client of ``tenant`` (whose Pipedrive client is ``tenant.api``)."""
    return pipeliner_for(http, tenant)


@pytest.fixture
def pl_other(http: SyncClient, other: Tenant) -> Pipeliner:
    return pipeliner_for(http, other)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, service: Service) -> Clock:
    """CREATED/MODIFIED made exact: the service's clock pinned and moved by the test."""
    return pin_clock(monkeypatch, service)
