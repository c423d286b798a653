"""Helpers shared by the Pipeliner dialect tests (not a test module).

``Clock`` pins the records service's clock so CREATED/MODIFIED and ``after`` are
deterministic without sleeping; ``state`` is everything a company can read through the
dialect, compared before and after each refused write; ``refused`` checks the error shape.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from dealbase.service import Service

if TYPE_CHECKING:
    from tests.pipeliner.conftest import Pipeliner

UID = re.compile(r"PY-7FFFFFFF-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")
DATETIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
CONTENT_RANGE = re.compile(r"items (\d+)-(-?\d+)/(\d+)")
COLLECTIONS = ("Accounts", "Contacts", "Opportunities", "Leads", "Clients", "SalesUnits",
               "Pipelines", "Stages", "Activities", "Tasks", "Appointments", "Notes", "Products")
ENTITIES = {"Accounts": "Account", "Contacts": "Contact", "Opportunities": "Opportunity",
            "Leads": "Lead", "Clients": "Client", "SalesUnits": "SalesUnit",
            "Pipelines": "Pipeline", "Stages": "Stage", "Activities": "Activity", "Tasks": "Task",
            "Appointments": "Appointment", "Notes": "Note", "Products": "Product", "Data": "Data"}
INT_ID_COLLECTIONS = ("Clients", "SalesUnits")
NEVER_ID = "PY-7FFFFFFF-0BADBADB-0000-4000-8000-000000000000"  # an ID no company has


class Clock:
    """The records service's ``utcnow``, pinned; ``tick`` moves it forward."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def tick(self, seconds: int = 60) -> str:
        self.now += dt.timedelta(seconds=seconds)
        return self.text

    @property
    def text(self) -> str:
        return self.now.strftime("%Y-%m-%d %H:%M:%S")


def pin_clock(monkeypatch: pytest.MonkeyPatch, service: Service) -> Clock:
    """Service time pinned to 2030-01-01 00:00:00 UTC (modules wrap this in a fixture)."""
    pinned = Clock(dt.datetime(2030, 1, 1))
    monkeypatch.setattr(service, "clock", pinned)
    return pinned


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text[:1000])
    return response.json()


def refused(response: httpx.Response, status: int | tuple[int, ...] = 400,
            code: int | tuple[int, ...] | None = None) -> dict[str, Any]:
    """A 4xx (``status``) whose body is exactly {"errorcode": int, "message": str}."""
    wanted = status if isinstance(status, tuple) else (status,)
    assert response.status_code in wanted, (response.status_code, response.text[:1000])
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body: dict[str, Any] = response.json()
    assert isinstance(body, dict) and set(body) == {"errorcode", "message"}, body
    assert type(body["errorcode"]) is int, body
    assert isinstance(body["message"], str) and body["message"], body
    if code is not None:
        codes = code if isinstance(code, tuple) else (code,)
        assert body["errorcode"] in codes, body
    return body


def is_error(item: Any) -> bool:
    return (isinstance(item, dict) and set(item) == {"errorcode", "message"}
            and type(item["errorcode"]) is int and isinstance(item["message"], str))


def listing(pl: Pipeliner, collection: str, **params: Any) -> list[dict[str, Any]]:
    """One list call (limit=-1 unless given) that must succeed with an exact Content-Range."""
    params.setdefault("limit", -1)
    response = pl.get(f"/{collection}", params=params)
    items: list[dict[str, Any]] = ok(response)
    match = CONTENT_RANGE.fullmatch(response.headers["content-range"])
    assert match is not None, response.headers["content-range"]
    start, end, _total = map(int, match.groups())
    assert end - start + 1 == len(items), (response.headers["content-range"], len(items))
    return items


def ids(items: list[dict[str, Any]]) -> list[Any]:
    return [item["ID"] for item in items]


def state(pl: Pipeliner) -> dict[str, Any]:
    """Everything the company can read: every collection, live and deleted, full entities."""
    out: dict[str, Any] = {}
    for name in COLLECTIONS:  # live and deleted rows in one call
        out[name] = listing(pl, name, sort="ID", filter="IS_DELETED::0:1::in")
    out["Data"] = listing(pl, "Data", sort="ID")
    out["fields"] = {name: ok(pl.get(f"/getFields/{name}")) for name in ("Accounts", "Contacts",
                                                                         "Opportunities")}
    return out


def stages(pl: Pipeliner) -> list[dict[str, Any]]:
    return listing(pl, "Stages", sort="SORT_ORDER")


def batch(pl: Pipeliner, call: str, entity: str, items: Any, flag: Any = None) -> httpx.Response:
    params: dict[str, Any] = {"entityName": entity}
    if flag is not None:
        params["flag"] = flag
    return pl.post(f"/{call}", params=params, json=items)


__all__ = ["COLLECTIONS", "CONTENT_RANGE", "DATETIME", "ENTITIES", "INT_ID_COLLECTIONS",
           "NEVER_ID", "UID", "Clock", "batch", "ids", "is_error", "listing", "ok", "pin_clock",
           "refused", "stages", "state"]
