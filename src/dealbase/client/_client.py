"""The client objects: configuration lives on them, never in the module."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from ._fields import Version
from ._http import Answer, AsyncSender, Call, Core, SyncSender
from ._resources import AsyncSession, AsyncSide, SyncSession, SyncSide
from ._retry import Retry
from ._table import Resources

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2


def _retry(max_retries: int, retry: Retry | None) -> Retry:
    if retry is not None:
        return retry
    return Retry(max_retries=max_retries)


class VersionView(Resources, SyncSide):
    """``client.v1`` / ``client.v2``: the resources pinned to one API version."""

    def __init__(self, session: SyncSession, version: Version) -> None:
        self._session, self._version = session, version


class AsyncVersionView(Resources, AsyncSide):
    """``client.v1`` / ``client.v2`` of an ``AsyncClient``."""

    def __init__(self, session: AsyncSession, version: Version) -> None:
        self._session, self._version = session, version


class Client(Resources, SyncSide):
    """A client of dealbase's Pipedrive API.

    ``base_url`` is the server (``http://127.0.0.1:8000``), ``api_token`` a company user's
    token. ``timeout`` is in seconds (or an ``httpx.Timeout``); ``max_retries`` how often a
    call is retried (see ``Retry``, which ``retry=`` replaces whole); ``transport`` an
    ``httpx`` transport (tests pass ``httpx.MockTransport`` or ``httpx.ASGITransport``).

    Each resource uses API v2 where the server serves the operation there, else v1;
    ``client.v1.deals`` and ``client.v2.deals`` pin a version. Close the client (or use it
    as a context manager) to release its connections.
    """

    def __init__(self, base_url: str, api_token: str, *, timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
                 max_retries: int = DEFAULT_MAX_RETRIES, transport: httpx.BaseTransport | None = None,
                 retry: Retry | None = None) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)
        core = Core(api_token, _retry(max_retries, retry))
        self._session = SyncSession(SyncSender(core, self._http))
        self._version = None
        self.v1 = VersionView(self._session, "v1")
        self.v2 = VersionView(self._session, "v2")

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                json: Any = None) -> Answer:
        """Any call by path (``/api/v1/deals/7/merge``), with the client's auth, retries and
        errors; for the few endpoints the resources do not cover."""
        return self._session.sender.send(Call(method.upper(), path, params, json))

    def refresh_fields(self) -> None:
        """Forget the custom fields read so far (after adding or renaming one elsewhere)."""
        self._session.field_maps.clear()

    def close(self) -> None:
        """Release the client's connections."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


class AsyncClient(Resources, AsyncSide):
    """The ``Client`` for asyncio: the same resources, awaited; lists are ``async for``."""

    def __init__(self, base_url: str, api_token: str, *, timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
                 max_retries: int = DEFAULT_MAX_RETRIES, transport: httpx.AsyncBaseTransport | None = None,
                 retry: Retry | None = None) -> None:
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)
        core = Core(api_token, _retry(max_retries, retry))
        self._session = AsyncSession(AsyncSender(core, self._http))
        self._version = None
        self.v1 = AsyncVersionView(self._session, "v1")
        self.v2 = AsyncVersionView(self._session, "v2")

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      json: Any = None) -> Answer:
        """Any call by path, with the client's auth, retries and errors."""
        return await self._session.sender.send(Call(method.upper(), path, params, json))

    def refresh_fields(self) -> None:
        """Forget the custom fields read so far."""
        self._session.field_maps.clear()

    async def aclose(self) -> None:
        """Release the client's connections."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.aclose()
