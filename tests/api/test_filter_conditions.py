"""Property: a saved filter's list holds exactly the records that its conditions, evaluated
independently in Python over every record, select: random deals (seeded), random
condition trees (hypothesis) of and/or groups over text, numbers, dates (absolute and
relative to a pinned clock), a deal's status and custom number and option fields."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealbase.api.pipedrive.savedfilters import date_bounds
from tests.api.answers import data
from tests.conftest import SyncClient, Tenant, _tenant

TODAY = dt.date(2030, 5, 15)  # a Wednesday
D = dt.date.fromisoformat
# The relative dates, written out for TODAY: [first day, first day after); None: open.
RELATIVE: dict[str, tuple[dt.date | None, dt.date | None]] = {
    "today": (D("2030-05-15"), D("2030-05-16")),
    "yesterday": (D("2030-05-14"), D("2030-05-15")),
    "tomorrow": (D("2030-05-16"), D("2030-05-17")),
    "this_week": (D("2030-05-13"), D("2030-05-20")),
    "last_week": (D("2030-05-06"), D("2030-05-13")),
    "next_week": (D("2030-05-20"), D("2030-05-27")),
    "this_month": (D("2030-05-01"), D("2030-06-01")),
    "last_month": (D("2030-04-01"), D("2030-05-01")),
    "next_month": (D("2030-06-01"), D("2030-07-01")),
    "this_quarter": (D("2030-04-01"), D("2030-07-01")),
    "last_quarter": (D("2030-01-01"), D("2030-04-01")),
    "next_quarter": (D("2030-07-01"), D("2030-10-01")),
    "this_year": (D("2030-01-01"), D("2031-01-01")),
    "last_year": (D("2029-01-01"), D("2030-01-01")),
    "next_year": (D("2031-01-01"), D("2032-01-01")),
    "last_7_days": (D("2030-05-09"), D("2030-05-16")),
    "1_month_ago": (D("2030-04-15"), D("2030-04-16")),
    "2_weeks_ago": (D("2030-05-01"), D("2030-05-02")),
    "in_1_week": (D("2030-05-22"), D("2030-05-23")),
    "before_today": (None, D("2030-05-15")),
    "later_or_today": (D("2030-05-15"), None),
}
LETTERS = "aAbB%_ "
STATUSES = ("open", "won", "lost")
OPTIONS = 3


@dataclass
class Deal:
    id: int
    title: str
    value: float
    status: str
    close: dt.date | None
    score: float | None
    size: int | None  # an option id


@dataclass
class World:
    tenant: Tenant
    deals: list[Deal]
    fields: dict[str, int]  # field ids by name
    options: list[int]


@pytest.fixture(scope="module")
def world(app: Any, http: SyncClient, service: Any) -> Iterator[World]:
    """A company with 40 random deals (seeded), the service's clock pinned to TODAY."""
    saved = service.clock
    service.clock = lambda: dt.datetime.combine(TODAY, dt.time(12))
    try:
        tenant = _tenant(app, http, f"Props{secrets.token_hex(4)}")
        pd = tenant.api
        score = data(pd.post("/v1/dealFields", json={"name": "Score", "field_type": "double"}))
        size = data(pd.post("/v1/dealFields", json={
            "name": "Size", "field_type": "enum",
            "options": [{"label": f"o{n}"} for n in range(OPTIONS)]}))
        options = [o["id"] for o in size["options"]]
        system = {f["key"]: f["id"] for f in data(pd.get("/v1/dealFields?limit=500"))}
        rng = random.Random(1234)
        deals = []
        for _ in range(40):
            title = "".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 4))).strip() or "a"
            close = TODAY + dt.timedelta(days=rng.randint(-400, 400)) \
                if rng.random() < 0.8 else None
            deal = Deal(0, title, float(rng.choice((0, 5, 10, 50, 100))), rng.choice(STATUSES),
                        close, rng.choice((None, -1.5, 0.0, 2.0, 7.0)),
                        rng.choice((None, *options)))
            made = data(pd.post("/v1/deals", json={
                "title": deal.title, "value": deal.value, "status": deal.status,
                "expected_close_date": None if close is None else close.isoformat(),
                score["key"]: deal.score, size["key"]: deal.size}), 201)
            deal.id = made["id"]
            deals.append(deal)
        fields = {"title": system["title"], "value": system["value"],
                  "status": system["status"], "close": system["expected_close_date"],
                  "score": score["id"], "size": size["id"]}
        yield World(tenant, deals, fields, options)
    finally:
        service.clock = saved


# ---- the independent evaluation ------------------------------------------------------

def _like(op: str, text: str | None, x: str) -> bool:
    if text is None:
        return op.startswith("NOT")
    low, pattern = text.lower(), x.lower()
    found = {"$%": low.startswith(pattern), "%$%": pattern in low,
             "%$": low.endswith(pattern)}[op.split("'")[1]]
    return found != op.startswith("NOT")


def _compare(op: str, v: Any, x: Any) -> bool:
    if op == "IS NULL":
        return v is None
    if op == "IS NOT NULL":
        return v is not None
    if op == "!=":
        return v is None or v != x
    if v is None:
        return False
    return {"=": v == x, "<": v < x, ">": v > x, "<=": v <= x, ">=": v >= x}[op]


def _date(op: str, v: dt.date | None, value: str) -> bool:
    if op in ("IS NULL", "IS NOT NULL"):
        return _compare(op, v, None)
    low, high = RELATIVE.get(value) or (D(value), D(value) + dt.timedelta(days=1))
    inside = v is not None and (low is None or v >= low) and (high is None or v < high)
    if op == "=":
        return inside
    if op == "!=":
        return v is None or not inside
    if v is None:
        return False
    return {"<": low is not None and v < low, ">=": low is not None and v >= low,
            ">": high is not None and v >= high, "<=": high is not None and v < high}[op]


def holds(leaf: dict[str, Any], deal: Deal, w: World) -> bool:
    name = next(k for k, v in w.fields.items() if str(v) == leaf["field_id"])
    op, x = leaf["operator"], leaf["value"]
    if name == "title":
        return _like(op, deal.title, x) if "LIKE" in op else _compare(op, deal.title, x)
    if name == "close":
        return _date(op, deal.close, x)
    if name in ("value", "score"):
        return _compare(op, getattr(deal, name), None if x is None else float(x))
    if name == "size":
        return _compare(op, deal.size, None if x is None else int(x))
    return _compare(op, deal.status, x)


def evaluate(node: Any, deal: Deal, w: World) -> bool | None:
    """Whether the deal meets the conditions; None for a group with no conditions in it
    (which is left out of the group around it, and keeps every record at the top)."""
    if "glue" not in node:
        return holds(node, deal, w)
    results = [r for i in node["conditions"] if i is not None
               and (r := evaluate(i, deal, w)) is not None]
    if not results:
        return None
    return all(results) if node["glue"] == "and" else any(results)


# ---- the conditions hypothesis draws ---------------------------------------------------

TEXT_OPS = ("=", "!=", "IS NULL", "IS NOT NULL", "LIKE '$%'", "LIKE '%$%'", "LIKE '%$'",
            "NOT LIKE '$%'", "NOT LIKE '%$%'", "NOT LIKE '%$'")
NUMBER_OPS = ("=", "!=", "<", ">", "<=", ">=", "IS NULL", "IS NOT NULL")
DATES = st.one_of(st.sampled_from(sorted(RELATIVE)),
                  st.integers(-400, 400).map(lambda n: (TODAY + dt.timedelta(days=n)).isoformat()))


def leaves(w: World) -> st.SearchStrategy[dict[str, Any]]:
    def leaf(name: str, ops: tuple[str, ...], values: st.SearchStrategy[Any]
             ) -> st.SearchStrategy[dict[str, Any]]:
        return st.builds(lambda op, value: {"object": "deal", "field_id": str(w.fields[name]),
                                            "operator": op, "value": value},
                         st.sampled_from(ops), values)

    def open_ended(op_and_value: tuple[str, str]) -> bool:  # (refused: see test_filters)
        op, value = op_and_value
        low, high = RELATIVE.get(value, (1, 1))
        return not ((op in ("<", ">=") and low is None) or (op in (">", "<=") and high is None))

    dates = st.tuples(st.sampled_from(NUMBER_OPS), DATES).filter(open_ended).map(
        lambda t: {"object": "deal", "field_id": str(w.fields["close"]), "operator": t[0],
                   "value": t[1]})
    return st.one_of(
        leaf("title", TEXT_OPS, st.text(LETTERS, min_size=1, max_size=2)),
        leaf("value", NUMBER_OPS, st.sampled_from((0, 5, "10", 50.0, 75))),
        leaf("score", NUMBER_OPS, st.sampled_from((-1.5, 0, "2", 7, 3.5))),
        leaf("size", ("=", "!=", "IS NULL", "IS NOT NULL"), st.sampled_from(w.options)),
        leaf("status", ("=", "!="), st.sampled_from(STATUSES)),
        dates,
    )


def trees(w: World) -> st.SearchStrategy[dict[str, Any]]:
    """Groups of groups of groups (the most levels a filter takes), at most 16 leaves."""
    def groups(items: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.builds(lambda glue, items: {"glue": glue, "conditions": items},
                         st.sampled_from(("and", "or")), st.lists(items, max_size=3))

    deepest = groups(st.one_of(leaves(w), st.none()))
    inner = groups(st.one_of(leaves(w), deepest))
    return groups(st.one_of(leaves(w), inner)).filter(lambda top: _count(top) <= 16).map(
        lambda top: top if top["conditions"] else {"glue": "and", "conditions": [None]})


def _count(node: Any) -> int:
    if node is None:
        return 0
    return sum(_count(i) for i in node["conditions"]) if "glue" in node else 1


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@SETTINGS
@given(st.data())
def test_a_saved_filter_selects_what_its_conditions_say(world: World, draw: st.DataObject
                                                        ) -> None:
    tree = draw.draw(trees(world))
    pd = world.tenant.api
    made = data(pd.post("/v1/filters", json={"name": "P", "type": "deals", "conditions": tree}))
    try:
        got = data(pd.get(f"/v1/deals?filter_id={made['id']}&status=all_not_deleted&limit=500"))
        v2 = data(pd.get(f"/api/v2/deals?filter_id={made['id']}&limit=500"))
    finally:
        data(pd.delete(f"/v1/filters/{made['id']}"))
    wanted = sorted(d.id for d in world.deals if evaluate(tree, d, world) is not False)
    assert sorted(d["id"] for d in got or []) == wanted, tree
    assert sorted(d["id"] for d in v2 or []) == wanted, tree


def test_relative_dates_at_the_edges_of_months_and_of_time() -> None:
    def days(text: str, now: dt.datetime) -> tuple[str | None, str | None] | None:
        found = date_bounds(text, now)
        return None if found is None else tuple(  # type: ignore[return-value]
            None if b is None else b.isoformat(" ") for b in found)

    march = dt.datetime(2031, 3, 31, 9)
    assert days("1_month_ago", march) == ("2031-02-28 00:00:00", "2031-03-01 00:00:00")
    assert days("in_1_month", march) == ("2031-04-30 00:00:00", "2031-05-01 00:00:00")
    assert days("last_quarter", march) == ("2030-10-01 00:00:00", "2031-01-01 00:00:00")
    assert days("now", march) == ("2031-03-31 09:00:00", "2031-03-31 09:00:01")
    for text in ("9999-12-31", "0000-01-01", "2030-02-30", "someday", "", "2030-1-1",
                 "today; DROP TABLE deals", "１２３４-01-01"):
        assert days(text, march) is None, text
    assert days("999_months_ago", march) == ("1947-12-31 00:00:00", "1948-01-01 00:00:00")
    assert days("next_year", dt.datetime(9999, 6, 1)) is None
    assert days("tomorrow", dt.datetime(9999, 12, 31)) is None
