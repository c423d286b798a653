"""Insight (``/insight``): the funnel and the pipeline's conversion and movement statistics,
drawn as SVG charts, agree figure for figure with the Pipedrive API's
``/v1/pipelines/{id}/conversion_statistics`` and ``/movement_statistics`` over deals
moved between stages at known times (a pinned clock); bad inputs answer 400/404, a
pipeline hidden from a user's role answers as a missing one (both backends)."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.api.answers import data
from tests.conftest import Tenant
from tests.web.conftest import Browser, text_of

T0 = dt.datetime(2030, 1, 1, 10, 0, 0)
PERIOD = {"from": "2030-01-01", "to": "2030-01-07"}
API_PERIOD = {"start_date": "2030-01-01", "end_date": "2030-01-07"}
DAY = 24.0  # hours


class Clock:
    """The service's time pinned at ``T0 + hours`` (set by ``at``)."""

    def __init__(self, tenant: Tenant) -> None:
        self.service = tenant.records.service
        self.now = T0
        self.service.clock = lambda: self.now

    def at(self, hours: float) -> None:
        self.now = T0 + dt.timedelta(hours=hours)


@pytest.fixture
def clock(tenant: Tenant) -> Iterator[Clock]:
    before = tenant.records.service.clock
    yield Clock(tenant)
    tenant.records.service.clock = before


def _figures(page: str) -> dict[str, str]:
    """The charts' figures: data-key -> data-value (and ``<key>@<currency>`` for the values
    a bar carries per currency)."""
    out: dict[str, str] = {}
    for attrs in re.findall(r"<g class=\"bar[^\"]*\"([^>]*)>", page):
        key = re.search(r'data-key="([^"]+)"', attrs)
        value = re.search(r'data-value="([^"]+)"', attrs)
        assert key and value, attrs
        out[html.unescape(key.group(1))] = value.group(1)
        values = re.search(r'data-values="([^"]*)"', attrs)
        for pair in (values.group(1).split(";") if values else []):
            currency, _, amount = pair.partition("=")
            out[f"{html.unescape(key.group(1))}@{currency}"] = amount
    return out


@pytest.fixture
def seeded(tenant: Tenant, clock: Clock, web: Browser) -> dict[str, Any]:
    """Deals made and moved through the service at pinned times; the period 2030-01-01..07.
    (``web`` signs in again on the pinned clock: its session began in the real now.)"""
    admin = tenant.records
    pipeline = admin.create("pipeline", {"name": "Stats <b>pipe</b>"})["id"]
    a, b, c = (admin.create("stage", {"name": n, "pipeline_id": pipeline})["id"]
               for n in ("Lead in", "Proposal", "Negotiation"))

    def deal(hours: float, stage: int, value: float, currency: str = "EUR", **more: Any) -> int:
        clock.at(hours)
        return int(admin.create("deal", {"title": f"deal at {hours}", "stage_id": stage,
                                         "value": value, "currency": currency, **more})["id"])

    def change(hours: float, deal_id: int, **values: Any) -> None:
        clock.at(hours)
        admin.update("deal", deal_id, values)

    d1 = deal(0, a, 100)
    change(2 * DAY, d1, stage_id=b)
    change(4 * DAY, d1, stage_id=c)
    change(5 * DAY, d1, status="won")
    d2 = deal(1 * DAY, a, 50, "USD")
    change(3 * DAY, d2, stage_id=b)
    change(6 * DAY + 2, d2, status="lost")
    d3 = deal(-12 * DAY, a, 30)
    d4 = deal(1 * DAY, b, 70)
    deal(11 * DAY, a, 5)
    d7 = deal(-31 * DAY, a, 9)
    change(-17 * DAY, d7, status="lost")
    someone = int(admin.create("user", {"name": "Peter", "email": "peter@initech.example"})["id"])
    d6 = deal(1 * DAY, a, 1_000, owner_id=someone)
    change(2 * DAY, d6, stage_id=c)
    clock.at(30 * DAY)
    web.sign_in_as(tenant.company.company_id, tenant.company.user_id)
    return {"pipeline": pipeline, "stages": (a, b, c), "deals": (d1, d2, d3, d4, d6, d7),
            "someone": someone}


def _insight(web: Browser, **params: Any) -> httpx.Response:
    return web.get("/insight?" + urlencode(params))


def _same_as_api(tenant: Tenant, figures: dict[str, str], pipeline: int,
                 user: int | None) -> None:
    """The page's conversion and movement figures are the API's for ``user``."""
    q = {**API_PERIOD, **({"user_id": user} if user is not None else {})}
    conversion = data(tenant.api.get(f"/v1/pipelines/{pipeline}/conversion_statistics?"
                                     + urlencode(q)))
    movement = data(tenant.api.get(f"/v1/pipelines/{pipeline}/movement_statistics?"
                                   + urlencode(q)))
    for step in conversion["stage_conversions"]:
        key = f"conversion:{step['from_stage_id']}:{step['to_stage_id']}"
        assert float(figures[key]) == step["conversion_rate"], key
    assert float(figures["conversion:won"]) == conversion["won_conversion"]
    assert float(figures["conversion:lost"]) == conversion["lost_conversion"]
    assert int(float(figures["movement:moved"])) == movement["movements_between_stages"]["count"]
    for key, name in (("new", "new_deals"), ("won", "won_deals"), ("lost", "lost_deals"),
                      ("open", "deals_left_open")):
        group = movement[name]
        assert int(float(figures[f"movement:{key}"])) == group["count"], key
        shown = {k.rsplit(":", 1)[1]: round(float(v)) for k, v in figures.items()
                 if k.startswith(f"value:{key}:") and float(v)}
        assert shown == group["values"], key
    ages = movement["average_age_in_days"]
    if ages["by_stages"]:
        assert int(float(figures["age:all"])) == ages["across_all_stages"]
    assert {int(k.split(":")[1]): int(float(v)) for k, v in figures.items()
            if k.startswith("age:") and k != "age:all"} == \
        {s["stage_id"]: s["value"] for s in ages["by_stages"]}


def test_the_charts_show_the_apis_statistics(web: Browser, tenant: Tenant,
                                             seeded: dict[str, Any]) -> None:
    pipeline, someone = seeded["pipeline"], seeded["someone"]
    a, b, c = seeded["stages"]
    me = tenant.company.user_id
    r = _insight(web, pipeline=pipeline, user=me, **PERIOD)
    assert r.status_code == 200, r.text
    figures = _figures(r.text)
    _same_as_api(tenant, figures, pipeline, None)  # (the API's default owner: the caller)
    # ... which are the hand-worked figures of tests/api/test_pipeline_statistics.py
    assert figures[f"conversion:{a}:{b}"] == "75" and figures[f"conversion:{b}:{c}"] == "33"
    assert figures["movement:new"] == "3" and figures["movement:moved"] == "3"
    assert float(figures["value:new:EUR"]) == 170 and float(figures["value:new:USD"]) == 50
    theirs = _figures(_insight(web, pipeline=pipeline, user=someone, **PERIOD).text)
    _same_as_api(tenant, theirs, pipeline, someone)
    assert theirs["movement:new"] == "1"
    everyone = _figures(_insight(web, pipeline=pipeline, **PERIOD).text)
    assert everyone["movement:new"] == "4" and everyone["movement:moved"] == "4"
    assert float(everyone["value:new:EUR"]) == 1_170
    empty = _figures(_insight(web, pipeline=pipeline, user=me, **{
        "from": "2020-01-01", "to": "2020-12-31"}).text)
    assert empty["movement:new"] == "0" and "age:all" not in empty


def test_the_funnel_counts_and_sums_the_open_deals_per_stage(web: Browser, tenant: Tenant,
                                                             seeded: dict[str, Any]) -> None:
    pipeline = seeded["pipeline"]
    a, b, c = seeded["stages"]
    figures = _figures(_insight(web, pipeline=pipeline, **PERIOD).text)
    # open now: d3 (A, 30), the deal of Jan 12 (A, 5), d4 (B, 70), d6 (C, 1000, Peter's)
    assert (figures[f"funnel:{a}"], figures[f"funnel:{b}"], figures[f"funnel:{c}"]) == \
        ("2", "1", "1")
    assert float(figures[f"funnel:{a}@EUR"]) == 35 and float(figures[f"funnel:{c}@EUR"]) == 1_000
    summary = data(tenant.api.get(f"/v1/pipelines/{pipeline}"))["deals_summary"]["per_stages"]
    for stage in (a, b, c):
        assert int(figures[f"funnel:{stage}"]) == sum(v["count"] for v in
                                                      summary[str(stage)].values())
    mine = _figures(_insight(web, pipeline=pipeline, user=tenant.company.user_id,
                             **PERIOD).text)
    assert mine[f"funnel:{c}"] == "0"


def test_the_page_draws_accessible_svg_charts(web: Browser, seeded: dict[str, Any]) -> None:
    r = _insight(web, pipeline=seeded["pipeline"], **PERIOD)
    page = r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert " style=" not in page and not re.search(r"<script(?![^>]*\bsrc=)", page)
    svgs = re.findall(r"<svg[^>]*>", page)
    assert len(svgs) >= 5
    for svg in svgs:
        assert 'viewBox="0 0 400 ' in svg and 'width="100%"' in svg and 'role="img"' in svg
        assert "aria-label=" in svg and "aria-describedby=" in svg
    assert page.count("<title>") > len(svgs)  # each chart and each bar
    assert 'class="legend"' in page and "Won" in page and "Lost" in page
    assert "Stats &lt;b&gt;pipe&lt;/b&gt;" in page and "<b>pipe</b>" not in page
    text = text_of(page)
    # every figure in words too (the charts' descriptions; everyone's deals here)
    assert "Lead in → Proposal: 80%; Proposal → Negotiation: 50%; Won: 20%; Lost: 20%." \
        in html.unescape(page)
    assert "Open deals per stage" in text and "Conversion" in text and "Movement" in text
    assert 'value="2030-01-01"' in page and 'value="2030-01-07"' in page  # the pickers
    assert "insight.css?v=" in page


def test_defaults_first_pipeline_and_the_last_three_months(web: Browser, tenant: Tenant,
                                                           clock: Clock) -> None:
    r = web.sign_in_as(tenant.company.company_id, tenant.company.user_id).get("/insight")
    assert r.status_code == 200 and "There is no pipeline to show yet" not in r.text  # (the default pipeline)
    clock.at(0)  # 2030-01-01
    r = web.sign_in_as(tenant.company.company_id, tenant.company.user_id).get("/insight")
    assert 'name="from" value="2029-10-02"' in r.text and 'name="to" value="2030-01-01"' in r.text
    first = data(tenant.api.get("/v1/pipelines"))[0]
    assert f'<option value="{first["id"]}" selected>' in r.text


@pytest.mark.parametrize("query, status, words", [
    ({"from": "01/01/2030"}, 400, "YYYY-MM-DD"),
    ({"from": "2030-02-30"}, 400, "YYYY-MM-DD"),
    ({"to": "２０３０-01-01"}, 400, "YYYY-MM-DD"),
    ({"from": "2030-01-08", "to": "2030-01-07"}, 400, "on or after"),
    ({"from": "2030-01-01", "to": "9999-12-31"}, 400, "between"),
    ({"from": "0001-01-01"}, 400, "between"),
    ({"from": "x" * 5000}, 400, "YYYY-MM-DD"),
    ({"pipeline": "abc"}, 400, "whole number"),
    ({"pipeline": "-3"}, 400, "whole number"),
    ({"pipeline": "99999999999999999999"}, 400, "whole number"),
    ({"pipeline": "987654321"}, 404, "Pipeline not found"),
    ({"user": "x"}, 400, "whole number"),
    ({"user": "987654321"}, 404, "User not found"),
])
def test_bad_inputs_get_a_clear_answer(web: Browser, query: dict[str, str], status: int,
                                       words: str) -> None:
    r = web.get("/insight?" + urlencode(query))
    assert r.status_code == status and words in r.text, (query, r.status_code, r.text[:300])


def test_another_companys_pipeline_is_missing(web: Browser, other: Tenant) -> None:
    theirs = data(other.api.post("/v1/pipelines", json={"name": "Globex secret"}))["id"]
    r = web.get(f"/insight?pipeline={theirs}")
    assert r.status_code == 404 and "Globex secret" not in r.text
    assert "Globex secret" not in web.get("/insight").text


def test_a_pipeline_hidden_from_a_role_is_missing(tenant: Tenant,
                                                  browser: Callable[[], Browser]) -> None:
    pd = tenant.api
    role = data(pd.post("/v1/roles", json={"name": "Low"}))["id"]
    user = tenant.records.create("user", {"name": "Lou", "email": "lou@acme.example"})["id"]
    data(pd.post(f"/v1/roles/{role}/assignments", json={"user_id": user}))
    secret = data(pd.post("/v1/pipelines", json={"name": "Secret pipe"}))["id"]
    data(pd.post("/v1/stages", json={"name": "S1", "pipeline_id": secret}))
    data(pd.put(f"/v1/roles/{role}/pipelines", json={"visible_pipeline_ids": {"remove": [secret]}}))
    lou = browser().sign_in_as(tenant.company.company_id, user)
    r = lou.get(f"/insight?pipeline={secret}")
    assert r.status_code == 404 and "Secret pipe" not in r.text
    page = lou.get("/insight")
    assert page.status_code == 200 and "Secret pipe" not in page.text
    admin = browser().sign_in_as(tenant.company.company_id, tenant.company.user_id)
    assert "Secret pipe" in admin.get(f"/insight?pipeline={secret}").text


def test_without_a_session_the_page_asks_to_sign_in(browser: Callable[[], Browser]) -> None:
    r = browser().get("/insight?pipeline=1")
    assert r.status_code == 303 and r.headers["location"].startswith("/signin?next=")


def test_a_pipeline_without_stages_or_deals(web: Browser, tenant: Tenant) -> None:
    bare = tenant.records.create("pipeline", {"name": "Bare"})["id"]
    r = web.get(f"/insight?pipeline={bare}")
    assert r.status_code == 200 and "This pipeline has no stages." in r.text
    assert _figures(r.text)["movement:new"] == "0"
    assert "No deal was left open at the end of this period." in r.text
