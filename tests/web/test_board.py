"""The pipeline board (issue 17 item 2): columns and their totals, filters, lazy columns,
moving cards, and what a restricted user sees (both backends)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import unescape
from typing import Any

import pytest
from starlette.applications import Starlette

from dealbase.query.ast import Cond
from dealbase.service import Service
from dealbase.web import board
from dealbase.web.base import Web
from tests.api.answers import data
from tests.conftest import SyncClient, Tenant
from tests.web.conftest import Browser, text_of


@dataclass
class Seeded:
    pipeline: int
    stages: list[int]  # A (20 %, rots after 2 days), B (50 %), C (100 %)
    deals: dict[str, int]
    user: int  # another user, owner of "Delta"


def _all_totals(b: Browser, html: str) -> dict[str, Any]:
    """The columns' totals the board page asks for once painted (``data-totals``)."""
    found = re.search(r'data-totals="([^"]+)"', html)
    assert found, "the board names no totals"
    r = b.get(unescape(found.group(1)), headers={"Accept": "application/json"})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _totals(b: Browser, html: str, stage_id: int) -> str:
    answer = _all_totals(b, html)
    assert str(stage_id) in answer, f"no totals for stage {stage_id}"
    return text_of(answer[str(stage_id)]["html"])


def _card_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-deal-id="(\d+)"', html)]


def _column(html: str, stage_id: int) -> str:
    found = re.search(rf'<section class="board-column" data-stage-id="{stage_id}".*?</section>',
                      html, re.S)
    assert found, f"no column for stage {stage_id}"
    return found.group(0)


@pytest.fixture
def seeded(tenant: Tenant) -> Seeded:
    r = tenant.records
    pipeline = r.create("pipeline", {"name": "Board test", "is_deal_probability_enabled": True})
    stages = [r.create("stage", {"name": name, "pipeline_id": pipeline["id"],
                                 "deal_probability": p, **extra})["id"]
              for name, p, extra in (("Lead in", 20, {"is_rotting_enabled": True,
                                                       "rotting_days": 2}),
                                     ("Proposal", 50, {}), ("Closing", 100, {}))]
    org = r.create("organization", {"name": "Initech"})["id"]
    person = r.create("person", {"name": "Peter Gibbons"})["id"]
    user = r.create("user", {"name": "Bill Lumbergh", "email": "bill@acme.example"})["id"]
    a, b, _ = stages
    deals = {
        "Alpha": r.create("deal", {"title": "Alpha", "value": 100, "currency": "EUR",
                                   "stage_id": a, "organization_id": org,
                                   "person_id": person})["id"],
        "Bravo": r.create("deal", {"title": "Bravo", "value": 200, "currency": "EUR",
                                   "stage_id": a, "person_id": person})["id"],
        "Charlie": r.create("deal", {"title": "Charlie", "value": 300, "currency": "EUR",
                                     "stage_id": a, "probability": 100})["id"],
        "Delta": r.create("deal", {"title": "Delta", "value": 1000, "currency": "USD",
                                   "stage_id": b, "owner_id": user})["id"],
        "Echo": r.create("deal", {"title": "Echo", "value": 50, "currency": "EUR",
                                  "stage_id": a, "status": "won"})["id"],
        "Foxtrot": r.create("deal", {"title": "Foxtrot", "value": 70, "currency": "EUR",
                                     "stage_id": a, "is_archived": True})["id"],
    }
    yesterday = (tenant.records.service.clock() - dt.timedelta(days=1)).date()
    r.create("activity", {"subject": "Call", "type": "call", "deal_id": deals["Alpha"],
                          "due_date": yesterday.isoformat()})
    return Seeded(pipeline["id"], stages, deals, user)


# ---- the board ---------------------------------------------------------------------------

def test_the_board_shows_stages_cards_and_totals(web: Browser, seeded: Seeded) -> None:
    a, b, c = seeded.stages
    r = web.get(f"/board?pipeline={seeded.pipeline}")
    assert r.status_code == 200, r.text
    page = r.text
    text = text_of(page)
    assert "Lead in" in text and "Proposal" in text and "Closing" in text
    assert set(_card_ids(_column(page, a))) == {seeded.deals[n] for n in ("Alpha", "Bravo",
                                                                           "Charlie")}
    assert _card_ids(_column(page, b)) == [seeded.deals["Delta"]]
    assert _card_ids(_column(page, c)) == []
    # counts, values and weighted values (own probability first, else the stage's)
    assert _totals(web, page, a) == "3 deals 600 EUR ≈ 360 EUR"  # 100·.2 + 200·.2 + 300·1
    assert _totals(web, page, b) == "1 deal 1,000 USD ≈ 500 USD"
    assert _totals(web, page, c) == "0 deals"
    alpha = text_of(_column(page, a))
    assert "Initech" in alpha and "Peter Gibbons" in alpha  # organization, else person
    assert "Bill Lumbergh" in text_of(_column(page, b))  # the owner
    assert "overdue" in alpha and 'aria-describedby="board-help"' in page
    assert f'href="/deals/{seeded.deals["Alpha"]}"' in page
    assert "Rotting" not in text
    assert "<script>" not in page and 'style="' not in page  # (CSP: no inline script/style)


def test_deals_rot_in_a_stage_that_rots_them(web: Browser, seeded: Seeded,
                                             tenant: Tenant) -> None:
    service = tenant.records.service
    clock = service.clock
    later = clock() + dt.timedelta(days=3)
    service.clock = lambda: later
    try:
        page = web.get(f"/board?pipeline={seeded.pipeline}").text
    finally:
        service.clock = clock
    a, b, _ = seeded.stages
    assert text_of(_column(page, a)).count("Rotting") == 3
    assert "Rotting" not in text_of(_column(page, b))  # (its stage does not rot deals)


def test_the_first_pipeline_is_the_default(web: Browser, tenant: Tenant) -> None:
    first = min(data(tenant.api.get("/v1/pipelines")), key=lambda p: p["order_nr"])
    r = web.get("/board")
    assert r.status_code == 200
    assert f'<option value="{first["id"]}" selected>' in r.text


def test_filters_owner_and_status(web: Browser, seeded: Seeded) -> None:
    a, b, _ = seeded.stages
    base = f"/board?pipeline={seeded.pipeline}"
    page = web.get(f"{base}&owner={seeded.user}").text
    assert _card_ids(page) == [seeded.deals["Delta"]]
    assert _totals(web, page, a) == "0 deals" and _totals(web, page, b).startswith("1 deal ")
    page = web.get(f"{base}&status=won").text
    assert _card_ids(page) == [seeded.deals["Echo"]] and _totals(web, page, a) == "1 deal 50 EUR ≈ 10 EUR"
    page = web.get(f"{base}&status=all&owner=").text
    assert len(_card_ids(page)) == 5 and _totals(web, page, a).startswith("4 deals 650 EUR")
    assert seeded.deals["Foxtrot"] not in _card_ids(page)  # (archived: not on the board)
    for bad in ("status=bogus", "owner=abc", "owner=-3", "pipeline=x1", "filter=%00",
                "pipeline=99999999999999999999999", "owner=%C2%B2"):
        r = web.get(f"/board?{bad}")
        assert r.status_code == 400, (bad, r.status_code)
    assert web.get("/board?pipeline=987654321").status_code == 404


@pytest.fixture
def filtering(http: SyncClient, app: Any, tenant: Tenant) -> Iterator[Browser]:
    """A browser on a board without saved filters (an app whose composition root hands
    the web app no compiler of them)."""
    service: Service = tenant.records.service
    mounted = Starlette(routes=board.routes(Web(service)))
    mounted.state.service = service
    b = Browser(http, mounted).sign_in_as(tenant.company.company_id, tenant.company.user_id)
    yield b
    b.close()


def test_a_saved_filter_narrows_the_board(web: Browser, seeded: Seeded,
                                          tenant: Tenant) -> None:
    filtering = web
    fields = data(tenant.api.get("/v1/dealFields?limit=500"))
    ids = {f["key"]: f["id"] for f in fields}
    made = data(tenant.api.post("/v1/filters", json={
        "name": "Big ones", "type": "deals", "conditions": {"glue": "and", "conditions": [
            {"glue": "and", "conditions": [{"object": "deal", "field_id": str(ids["value"]),
                                            "operator": ">", "value": 150,
                                            "extra_value": None}]},
            {"glue": "or", "conditions": [None]}]}}))
    page = filtering.get(f"/board?pipeline={seeded.pipeline}&filter={made['id']}").text
    assert "Big ones" in page
    assert set(_card_ids(page)) == {seeded.deals[n] for n in ("Bravo", "Charlie", "Delta")}
    assert _totals(filtering, page, seeded.stages[0]) == "2 deals 500 EUR ≈ 340 EUR"
    assert filtering.get(f"/board?pipeline={seeded.pipeline}&filter=987654").status_code == 404
    # a move answers the columns' totals under the same filter; a bad filter moves nothing
    a, b, _ = seeded.stages
    r = filtering.send(f"/deals/{seeded.deals['Bravo']}/move", {"stage_id": b,
                                                                "filter": made["id"]})
    assert r.status_code == 200, r.text
    totals = filtering.get(f"/board/totals?pipeline={seeded.pipeline}&filter={made['id']}"
                           f"&stage={a}&stage={b}", headers={"Accept": "application/json"}).json()
    assert set(totals) == {str(a), str(b)}
    assert totals[str(a)]["count"] == 1  # (Charlie; Alpha is too small)
    assert totals[str(b)]["values"] == {"EUR": 200.0, "USD": 1000.0}
    r = filtering.send(f"/deals/{seeded.deals['Charlie']}/move", {"stage_id": b,
                                                                  "filter": "987654"})
    assert r.status_code == 404
    assert data(tenant.api.get(f"/v1/deals/{seeded.deals['Charlie']}"))["stage_id"] == a


def test_without_saved_filters_a_filter_is_refused(filtering: Browser, seeded: Seeded) -> None:
    assert filtering.get(f"/board?pipeline={seeded.pipeline}&filter=1").status_code == 400


# ---- lazy columns ----------------------------------------------------------------------------

def test_a_column_pages_by_keyset_without_duplicates(web: Browser, tenant: Tenant,
                                                     seeded: Seeded,
                                                     browser: Callable[[], Browser]) -> None:
    _, _, c = seeded.stages
    service = tenant.records.service
    with service.unit(tenant.ctx, write=True) as unit:
        made = unit.create_many("deal", [{"title": f"Bulk {n}", "value": n, "stage_id": c}
                                         for n in range(60)])
    page = web.get(f"/board?pipeline={seeded.pipeline}").text
    column = _column(page, c)
    seen = _card_ids(column)
    assert len(seen) == board.PAGE and _totals(web, page, c).startswith("60 deals 1,770 USD")
    more = re.search(r'href="(/board/column/[^"]+)" data-more', column)
    pages = 1
    while more:
        url = more.group(1).replace("&amp;", "&")
        r = web.get(url, headers={"X-Fragment": "1"})
        assert r.status_code == 200 and "<html" not in r.text
        seen += _card_ids(r.text)
        more = re.search(r'href="(/board/column/[^"]+)" data-more', r.text)
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 60 and set(seen) == set(made)
    assert seen == sorted(made, reverse=True)  # (same update time: newest id first)
    # every status: newest first, by keyset too (a cursor of another order is refused)
    r = web.get(f"/board/column/{c}?status=all", headers={"X-Fragment": "1"})
    assert _card_ids(r.text) == sorted(made, reverse=True)[:board.PAGE]
    cursor = re.search(r'after=([^"]+)"', r.text)
    assert cursor and web.get(f"/board/column/{c}?after={cursor.group(1)}").status_code == 400
    # the fragment needs a session (401 JSON), a good cursor and a visible stage
    r = browser().get(f"/board/column/{c}", headers={"X-Fragment": "1"})
    assert r.status_code == 401 and r.json()["error"]
    assert web.get(f"/board/column/{c}?after=garbage!").status_code == 400
    assert web.get(f"/board/column/{c}?status=nope").status_code == 400
    assert web.get("/board/column/987654321").status_code == 404
    assert web.get("/board/column/abc").status_code == 404  # (as any id nobody has)


# ---- moving cards --------------------------------------------------------------------------

def test_a_move_saves_through_the_service(web: Browser, seeded: Seeded, tenant: Tenant) -> None:
    a, b, _ = seeded.stages
    deal = seeded.deals["Alpha"]
    r = web.send(f"/deals/{deal}/move", {"stage_id": b, "owner": "", "status": "open",
                                         "filter": ""})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["stage_id"] == b and answer["from_stage_id"] == a
    assert f'data-deal-id="{deal}" data-stage-id="{b}"' in answer["card"]
    totals = _all_totals(web, web.get(f"/board?pipeline={seeded.pipeline}").text)
    assert totals[str(a)]["count"] == 2 and totals[str(b)]["count"] == 2
    assert totals[str(b)]["values"] == {"EUR": 100.0, "USD": 1000.0}
    assert totals[str(b)]["weighted"] == {"EUR": 50.0, "USD": 500.0}
    assert "2 deals" in totals[str(a)]["html"]
    read = data(tenant.api.get(f"/v1/deals/{deal}"))
    assert read["stage_id"] == b and read["pipeline_id"] == seeded.pipeline
    assert read["stage_change_time"]
    with tenant.records.service.unit(tenant.ctx) as unit:
        changes = unit.changes("deal", deal)
    assert list(changes[-1].changes["stage_id"]) == [a, b]
    assert changes[-1].user_id == tenant.company.user_id
    page = web.get(f"/board?pipeline={seeded.pipeline}").text
    assert deal in _card_ids(_column(page, b)) and deal not in _card_ids(_column(page, a))


def test_a_move_needs_the_csrf_token(web: Browser, seeded: Seeded, tenant: Tenant) -> None:
    deal = seeded.deals["Alpha"]
    r = web.send(f"/deals/{deal}/move", {"stage_id": seeded.stages[1]}, csrf=False)
    assert r.status_code == 403
    assert data(tenant.api.get(f"/v1/deals/{deal}"))["stage_id"] == seeded.stages[0]


def test_another_companys_deal_is_missing(web: Browser, seeded: Seeded, other: Tenant) -> None:
    theirs = other.records.create("deal", {"title": "Theirs"})
    r = web.send(f"/deals/{theirs['id']}/move", {"stage_id": seeded.stages[1]})
    assert r.status_code == 404 and r.json()["error"]
    assert other.records.get("deal", theirs["id"])["stage_id"] == theirs["stage_id"]
    # and their stage is no stage of ours
    their_stage = theirs["stage_id"]
    r = web.send(f"/deals/{seeded.deals['Alpha']}/move", {"stage_id": their_stage})
    assert r.status_code == 400
    assert web.get(f"/board/column/{their_stage}").status_code == 404


@pytest.mark.parametrize("body", [{"stage_id": "abc"}, {"stage_id": 10**30}, {"stage_id": -1},
                                  {"stage_id": 1.5}, {"stage_id": None}, {}, {"stage_id": [1]},
                                  {"stage_id": 987654321}, {"stage_id": "²"},
                                  {"stage_id": 1, "status": "nope"}, {"stage_id": 1, "filter": "1"},
                                  {"stage_id": 1, "owner": "x"}])
def test_bad_moves_change_nothing(web: Browser, seeded: Seeded, tenant: Tenant,
                                  body: dict[str, Any]) -> None:
    deal = seeded.deals["Alpha"]
    r = web.send(f"/deals/{deal}/move", body)
    assert r.status_code in (400, 404), r.text
    assert r.json()["error"]
    assert data(tenant.api.get(f"/v1/deals/{deal}"))["stage_id"] == seeded.stages[0]


@pytest.mark.parametrize("path", ["/deals/abc/move", "/deals/99999999999999999999999/move",
                                  "/deals/987654321/move", "/deals/0/move"])
def test_bad_deal_ids(web: Browser, seeded: Seeded, path: str) -> None:
    r = web.send(path, {"stage_id": seeded.stages[1]})
    assert r.status_code in (400, 404), r.text


def test_a_deleted_deal_cannot_move(web: Browser, seeded: Seeded, tenant: Tenant) -> None:
    deal = seeded.deals["Bravo"]
    tenant.records.delete("deal", [deal])
    assert web.send(f"/deals/{deal}/move", {"stage_id": seeded.stages[1]}).status_code == 404


# ---- what a restricted user sees ------------------------------------------------------------

def test_a_hidden_pipeline_is_missing_for_its_role(seeded: Seeded, tenant: Tenant,
                                                   browser: Callable[[], Browser]) -> None:
    pd = tenant.api
    role = data(pd.post("/v1/roles", json={"name": "Outside"}))["id"]
    user = tenant.records.create("user", {"name": "Milton", "email": "milton@acme.example"})
    data(pd.post(f"/v1/roles/{role}/assignments", json={"user_id": user["id"]}))
    data(pd.put(f"/v1/roles/{role}/pipelines",
                json={"visible_pipeline_ids": {"remove": [seeded.pipeline]}}))
    b = browser().sign_in_as(tenant.company.company_id, user["id"])
    page = b.get("/board")
    assert page.status_code == 200
    picker = re.search(r'<select name="pipeline">.*?</select>', page.text, re.S)
    assert picker and f'value="{seeded.pipeline}"' not in picker.group(0)
    assert "Board test" not in page.text
    assert b.get(f"/board?pipeline={seeded.pipeline}").status_code == 404
    assert b.get(f"/board/column/{seeded.stages[0]}").status_code == 404
    deal = seeded.deals["Alpha"]
    assert b.send(f"/deals/{deal}/move", {"stage_id": seeded.stages[1]}).status_code == 404
    mine = tenant.records.create("deal", {"title": "Milton's", "owner_id": user["id"],
                                          "visible_to": 7})
    r = b.send(f"/deals/{mine['id']}/move", {"stage_id": seeded.stages[1]})
    assert r.status_code == 400  # (a stage of a hidden pipeline is no stage for them)
    assert tenant.records.get("deal", mine["id"])["stage_id"] == mine["stage_id"]
    assert tenant.records.count("deal", Cond("stage_id", "eq", seeded.stages[1])) == 1


def test_column_totals_answer_as_the_board_does(web: Browser, seeded: Seeded, tenant: Tenant,
                                                browser: Callable[[], Browser]) -> None:
    a, b, c = seeded.stages
    json = {"Accept": "application/json"}
    answer = web.get(f"/board/totals?pipeline={seeded.pipeline}&stage={b}", headers=json).json()
    assert list(answer) == [str(b)] and answer[str(b)]["count"] == 1
    every = web.get(f"/board/totals?pipeline={seeded.pipeline}", headers=json).json()
    assert set(every) == {str(a), str(b), str(c)}
    assert web.get("/board/totals", headers=json).status_code == 400
    assert web.get("/board/totals?pipeline=987654321", headers=json).status_code == 404
    assert web.get(f"/board/totals?pipeline={seeded.pipeline}&stage=x", headers=json
                   ).status_code == 400
    assert web.get(f"/board/totals?pipeline={seeded.pipeline}&status=nope", headers=json
                   ).status_code == 400
    assert browser().get(f"/board/totals?pipeline={seeded.pipeline}", headers=json
                         ).status_code == 401
