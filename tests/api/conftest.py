"""Fixtures of the Pipedrive API tests: a pinned clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from dealbase.api.app import service_of

T0 = dt.datetime(2030, 1, 1, 10, 0, 0)


class Clock:
    """The service's pinned time, moved on by hand."""

    def __init__(self, app: Any) -> None:
        self.now = T0
        service_of(app).clock = lambda: self.now

    def at(self, hours: float) -> str:
        """Move to ``hours`` after T0; that time in v1's format."""
        self.now = T0 + dt.timedelta(hours=hours)
        return self.now.strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture
def clock(app: Any) -> Iterator[Clock]:
    """The pinned clock; the service's own clock again afterwards (the service is shared
    by every test of the session)."""
    before = service_of(app).clock
    yield Clock(app)
    service_of(app).clock = before
