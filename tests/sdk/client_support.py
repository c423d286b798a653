"""What the ``dealbase.client`` tests share: a fresh company on the live server, a transport
that fails as told before passing requests through, and a clock that only records."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from dealbase.api.app import service_of
from dealbase.client import Retry
from dealbase.service import NewCompany
from tests.conftest import Direct

Failure = httpx.Response | httpx.TransportError
Match = Callable[[httpx.Request], bool]


@dataclass
class Company:
    """A fresh company on the live server: its token, the server's URL, and the records
    service as its admin (to seed many records fast and to check what the API did)."""

    new: NewCompany
    url: str
    direct: Direct

    @property
    def token(self) -> str:
        return self.new.api_token


@pytest.fixture
def company(app: Any, live_url: str) -> Company:
    name = "Client" + secrets.token_hex(4)
    service = service_of(app)
    new = service.create_company(name, f"admin@{name.lower()}.example")
    return Company(new, live_url, Direct(service, new.company_id, new.user_id))


@dataclass
class Clock:
    """Records the waits a client asks for instead of waiting."""

    waits: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    def retry(self, max_retries: int = 2, **kw: Any) -> Retry:
        """A retry policy on this clock, without jitter (the wait is the backoff itself)."""
        return Retry(max_retries=max_retries, jitter=lambda d: d, sleep=self.sleep,
                     async_sleep=self.async_sleep, **kw)


class Flaky(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers the first requests that ``match`` with ``failures`` (a response, or a transport
    error raised), then passes everything through to the real server; ``seen`` logs every
    request as ``(method, path, passed_through)``."""

    def __init__(self, failures: list[Failure], match: Match = lambda r: True) -> None:
        self.failures, self.match = list(failures), match
        self.seen: list[tuple[str, str, bool]] = []
        # (plain HTTP to the local server: no certificates to load)
        self.sync, self.async_ = httpx.HTTPTransport(verify=False), httpx.AsyncHTTPTransport(verify=False)

    def _failure(self, request: httpx.Request) -> httpx.Response | None:
        if self.failures and self.match(request):
            self.seen.append((request.method, request.url.path, False))
            failure = self.failures.pop(0)
            if isinstance(failure, httpx.TransportError):
                raise failure
            return failure
        self.seen.append((request.method, request.url.path, True))
        return None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._failure(request) or self.sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._failure(request) or await self.async_.handle_async_request(request)

    def close(self) -> None:
        self.sync.close()

    async def aclose(self) -> None:
        await self.async_.aclose()

    def tries(self, method: str, path: str) -> int:
        return sum(1 for m, p, _ in self.seen if (m, p) == (method, path))


def status(code: int, headers: dict[str, str] | None = None) -> httpx.Response:
    """A Pipedrive-shaped error answer of ``code``."""
    return httpx.Response(code, headers=headers, json={
        "success": False, "error": f"injected {code}", "errorCode": code})
