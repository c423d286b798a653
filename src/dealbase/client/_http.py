"""One request with retries, sync and async: everything but the sending is shared."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ._errors import ConnectionError, TimeoutError, error_for
from ._retry import Retry

USER_AGENT = "dealbase-python"


@dataclass(frozen=True)
class Call:
    """What to send: ``path`` is below the base URL (``/v1/deals``, ``/api/v2/deals/7``)."""

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None


@dataclass(frozen=True)
class Answer:
    """A successful answer's envelope: ``data`` and ``additional_data`` (and the rest)."""

    data: Any
    additional_data: Any
    body: Any
    status: int


def _params(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Query values as Pipedrive reads them: booleans as 0/1, lists comma-joined."""
    out: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "1" if value else "0"
        elif isinstance(value, list | tuple):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out


class Core:
    """The parts of a client both flavours share: building requests and reading answers."""

    def __init__(self, api_token: str, retry: Retry) -> None:
        self.retry = retry
        self.headers = {"x-api-token": api_token, "Accept": "application/json",
                        "User-Agent": USER_AGENT}

    def build(self, http: httpx.Client | httpx.AsyncClient, call: Call) -> httpx.Request:
        return http.build_request(call.method, call.path, params=_params(call.params),
                                  json=call.json, headers=self.headers)

    @staticmethod
    def read(response: httpx.Response) -> Answer:
        """The answer's envelope, or the error its status stands for."""
        try:
            body: Any = response.json() if response.content else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = response.text
        if not response.is_success:
            raise error_for(response.status_code, body, dict(response.headers))
        if isinstance(body, dict) and "data" in body:
            return Answer(body["data"], body.get("additional_data"), body, response.status_code)
        return Answer(body, None, body, response.status_code)

    def retry_wait(self, method: str, attempt: int, outcome: httpx.Response | httpx.TransportError
                   ) -> float | None:
        """Seconds to wait before trying again, or ``None`` to give up on this outcome."""
        if attempt >= self.retry.max_retries:
            return None
        if isinstance(outcome, httpx.Response):
            if not self.retry.retries_status(method, outcome.status_code):
                return None
            return self.retry.delay(attempt, outcome.headers)
        if not self.retry.retries_error(method, outcome):
            return None
        return self.retry.delay(attempt)

    def settle(self, method: str, attempt: int, outcome: httpx.Response | httpx.TransportError
               ) -> Answer | float:
        """What an attempt's outcome comes to: the answer (or the error it raises), or the
        seconds to wait before the next attempt."""
        wait = self.retry_wait(method, attempt, outcome)
        if wait is not None:
            return wait
        if isinstance(outcome, httpx.TransportError):
            raise self.failure(outcome) from outcome
        return self.read(outcome)

    @staticmethod
    def failure(error: httpx.TransportError) -> Exception:
        if isinstance(error, httpx.TimeoutException):
            return TimeoutError(f"no answer in time: {error}")
        return ConnectionError(f"could not reach the server: {error}")


class SyncSender:
    """Sends calls over an ``httpx.Client``, retrying as the policy allows."""

    def __init__(self, core: Core, http: httpx.Client) -> None:
        self.core, self.http = core, http

    def send(self, call: Call) -> Answer:
        attempt = 0
        while True:
            request = self.core.build(self.http, call)
            outcome: httpx.Response | httpx.TransportError
            try:
                outcome = self.http.send(request)
                outcome.read()
            except httpx.TransportError as error:
                outcome = error
            settled = self.core.settle(call.method, attempt, outcome)
            if isinstance(settled, Answer):
                return settled
            if isinstance(outcome, httpx.Response):
                outcome.close()
            self.core.retry.sleep(settled)
            attempt += 1


class AsyncSender:
    """Sends calls over an ``httpx.AsyncClient``, retrying as the policy allows."""

    def __init__(self, core: Core, http: httpx.AsyncClient) -> None:
        self.core, self.http = core, http

    async def send(self, call: Call) -> Answer:
        attempt = 0
        while True:
            request = self.core.build(self.http, call)
            outcome: httpx.Response | httpx.TransportError
            try:
                outcome = await self.http.send(request)
                await outcome.aread()
            except httpx.TransportError as error:
                outcome = error
            settled = self.core.settle(call.method, attempt, outcome)
            if isinstance(settled, Answer):
                return settled
            if isinstance(outcome, httpx.Response):
                await outcome.aclose()
            await self.core.retry.async_sleep(settled)
            attempt += 1
