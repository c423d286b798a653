"""The session's app served by uvicorn on a free local port; a fresh space and SDK client per test."""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn

from dealbase.api.app import service_of
from dealbase.service import NewCompany
from pipeliner_api import PipelinerRestApi


class _ThreadServer(uvicorn.Server):
    """Leaves signal handling to the main thread (pytest's)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@pytest.fixture(scope="session")
def live_url(app: Any) -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a real HTTP server running ``app`` in a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, access_log=False, log_config=None, log_level="warning",
                            lifespan="off", ws="none", timeout_graceful_shutdown=5)
    server = _ThreadServer(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="uvicorn-sdk-tests")
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            assert thread.is_alive(), "uvicorn stopped during startup"
            assert time.monotonic() < deadline, "uvicorn did not start within 15 s"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        assert not thread.is_alive(), "uvicorn did not stop"


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
