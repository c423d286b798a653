"""Fixtures of the Pipedrive API tests: a pinned clock, and deals made and changed at
known times on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from dealbase.api.app import service_of
from tests.api.answers import data
from tests.conftest import Pipedrive

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


def deal_at(pd: Pipedrive, clock: Clock, hours: float, stage: int, value: float,
            currency: str = "EUR", **more: Any) -> int:
    """A deal made ``hours`` after T0 in ``stage``; its id."""
    clock.at(hours)
    return int(data(pd.post("/api/v2/deals", json={
        "title": f"deal at {hours}", "stage_id": stage, "value": value, "currency": currency,
        **more}))["id"])


def change_at(pd: Pipedrive, clock: Clock, hours: float, deal: int, **values: Any) -> None:
    """The deal changed ``hours`` after T0."""
    clock.at(hours)
    data(pd.patch(f"/api/v2/deals/{deal}", json=values))
