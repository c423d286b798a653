"""The session's app served by uvicorn on a free local port; a fresh space and SDK client per test."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from dealbase.api.app import service_of
from dealbase.service import NewCompany
from pipeliner_api import PipelinerRestApi
from tests.live_server import serve


@pytest.fixture(scope="session")
def live_url(app: Any) -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a real HTTP server running ``app`` in a background thread."""
    with serve(app, "sdk-tests") as url:
        yield url


@dataclass
class Space:
    """A fresh company: an SDK client with its credentials, its space id and the company."""

    api: PipelinerRestApi
    id: str
    company: NewCompany
    url: str


def new_space(app: Any, live_url: str) -> Space:
    name = "Sdk" + secrets.token_hex(4)
    company = service_of(app).create_company(name, f"admin@{name.lower()}.example")
    api = PipelinerRestApi(live_url + "/", timeout=10)
    api.setCredentials(company.pipeliner_api_token, company.pipeliner_api_password)
    return Space(api, company.space_id, company, live_url)


@pytest.fixture
def space(app: Any, live_url: str) -> Space:
    return new_space(app, live_url)
