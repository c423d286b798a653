"""The web app end to end, in a real headless Chromium against a real server (issue 17).

Sign in through the form; move a deal on the board by mouse and by keyboard, see the move
survive a reload and read it back through the Pipedrive API; add a note and an activity
on a deal's page and see them in its timeline; a custom field refuses a bad value and keeps
a good one; a restricted role's user never sees the pipeline hidden from them; sign out.
Every page fits a 390 px wide screen (only the board's columns scroll sideways). The
README's screenshots (docs/screenshots/*.png, 1280×800) are taken here, of a company
nothing else changes.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.e2e.conftest import (
    CROWD,
    NARROW,
    Open,
    Site,
    no_horizontal_overflow,
    screenshot,
    sign_in,
    skip_reason,
)

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")


# ---- where things are on the pages (one place to change when the markup does) -------------

def board_url(pipeline_id: int) -> str:
    return f"/board?pipeline={pipeline_id}"


def card(page: Page, deal_id: int) -> Locator:
    """A deal's card on the board."""
    return page.locator(f'#board [data-deal-id="{deal_id}"]')


def column(page: Page, stage_id: int) -> Locator:
    """A stage's column on the board (its cards inside)."""
    return page.locator(f'#board > [data-stage-id="{stage_id}"]')


def column_of(page: Page, deal_id: int) -> int:
    """The stage id of the column that holds a deal's card."""
    return int(card(page, deal_id).evaluate(
        "el => el.parentElement.closest('#board > [data-stage-id]').dataset.stageId"))


def field(page: Page, name: str) -> Locator:
    """A field of a record's page (a custom field by its key)."""
    return page.locator(f'#fields [data-field="{name}"]')


def api_deal(site: Site, deal_id: int) -> dict[str, Any]:
    """A deal as the Pipedrive API (v2) reads it, with the admin's token."""
    response = httpx.get(f"{site.url}/api/v2/deals/{deal_id}",
                         params={"api_token": site.api_token}, timeout=10)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


# ---- sign-in --------------------------------------------------------------------------------

def test_sign_in_through_the_form(site: Site, open_page: Open) -> None:
    page = open_page()
    page.goto(f"/deals/{site.deals['Acme rollout']}")
    assert "/signin?next=" in page.url  # no session: the form first
    page.get_by_label("Email").fill(site.admin.email)
    page.get_by_label("Password").fill(site.admin.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/deals/{site.deals['Acme rollout']}")  # where the visitor was going
    assert page.get_by_role("heading", level=1).inner_text() == "Acme rollout"
    assert page.get_by_role("navigation", name="Main").is_visible()
    assert "Ada Admin" in page.locator("header .who").inner_text()
    page.goto("/")
    page.wait_for_url("**/board")
    assert page.get_by_role("link", name="Board").get_attribute("aria-current") == "page"


def test_a_wrong_password_is_told_and_the_form_is_kept(site: Site, open_page: Open) -> None:
    page = open_page()
    page.goto("/insight")
    page.get_by_label("Email").fill(site.restricted.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong email or password."
    assert page.get_by_label("Email").input_value() == site.restricted.email
    assert page.get_by_label("Password").input_value() == ""
    page.get_by_label("Password").fill(site.restricted.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/(board|insight)$"))
    assert page.get_by_role("navigation", name="Main").is_visible()


def test_a_failed_sign_in_still_goes_where_the_visitor_was_going(site: Site,
                                                                  open_page: Open) -> None:
    page = open_page()
    page.goto("/insight")
    page.get_by_label("Email").fill(site.restricted.email)
    page.get_by_label("Password").fill("not the password either")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()
    assert page.locator('input[name="next"]').input_value() == "/insight"


# ---- the board ------------------------------------------------------------------------------

def _moved(page: Page, site: Site, deal_id: int, stage_id: int) -> None:
    """Once its save is answered, the card stands in the stage's column, and the API reads
    the move (the new stage, a stage change time); after a reload too."""
    from playwright.sync_api import TimeoutError as Timeout

    try:
        page.wait_for_function(
            "([deal, stage]) => { const el = document.querySelector(`#board [data-deal-id=\"${deal}\"]`);"
            " return el && !el.classList.contains('saving') &&"
            " el.parentElement.closest('#board > [data-stage-id]').dataset.stageId == stage; }",
            arg=[deal_id, stage_id])
    except Timeout:
        raise AssertionError(f"the card did not move: {page.locator('#board-error').text_content()!r}"
                             ) from None
    assert page.locator("#board-error").is_hidden()
    deal = api_deal(site, deal_id)
    assert deal["stage_id"] == stage_id and deal["stage_change_time"], deal
    page.reload()
    assert column_of(page, deal_id) == stage_id


def test_drag_a_deal_to_another_stage_by_mouse(site: Site, open_page: Open) -> None:
    page = open_page(site.admin)
    page.goto(board_url(site.pipeline_id))
    deal_id = site.deals["Globex renewal"]
    target = site.stages["Demo Scheduled"]
    assert column_of(page, deal_id) == site.stages["Qualified"]
    assert api_deal(site, deal_id)["stage_change_time"] is None
    card(page, deal_id).drag_to(column(page, target))
    _moved(page, site, deal_id, target)
    # and back, with the mouse held, moved and let go by hand
    source = card(page, deal_id).bounding_box()
    into = column(page, site.stages["Qualified"]).bounding_box()
    assert source is not None and into is not None
    page.mouse.move(source["x"] + 20, source["y"] + 10)
    page.mouse.down()
    page.mouse.move(into["x"] + into["width"] / 2, into["y"] + 40, steps=8)
    page.mouse.up()
    _moved(page, site, deal_id, site.stages["Qualified"])


def test_move_a_deal_by_keyboard(site: Site, open_page: Open) -> None:
    page = open_page(site.admin)
    page.goto(board_url(site.pipeline_id))
    deal_id = site.deals["Hooli seats"]
    start, target = site.stages["Contact Made"], site.stages["Proposal Made"]
    assert column_of(page, deal_id) == start
    card(page, deal_id).focus()
    page.keyboard.press("Space")  # pick the card up
    page.keyboard.press("ArrowRight")  # Demo Scheduled
    page.keyboard.press("ArrowRight")  # Proposal Made
    page.keyboard.press("ArrowLeft")  # Demo Scheduled
    page.keyboard.press("Escape")  # no: cancelled, it stays
    assert column_of(page, deal_id) == start
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # dropped in Proposal Made
    page.wait_for_function(
        "deal => document.activeElement && document.activeElement.dataset.dealId == deal "
        "&& !document.activeElement.classList.contains('saving')", arg=deal_id)
    assert page.locator("#live").inner_text() == "Hooli seats moved to Proposal Made."
    _moved(page, site, deal_id, target)


def test_a_long_column_loads_more_cards_as_it_scrolls(site: Site, open_page: Open) -> None:
    page = open_page(site.admin)
    page.goto(board_url(site.crowded_pipeline_id))
    in_column = f'#board > [data-stage-id="{site.crowded_stage_id}"] [data-deal-id]'
    cards = page.locator(in_column)
    assert 0 < cards.count() < CROWD
    assert f"{CROWD} deals" in column(page, site.crowded_stage_id).locator("header").inner_text()
    while (shown := cards.count()) < CROWD:  # scroll to the column's end: the next ones come
        cards.last.scroll_into_view_if_needed()
        page.wait_for_function("([cards, shown]) => document.querySelectorAll(cards).length > shown",
                               arg=[in_column, shown])
    assert cards.count() == CROWD
    titles = cards.locator(".deal-title").all_inner_texts()
    assert len(set(titles)) == CROWD  # each once, none lost between pages


# ---- a deal's page --------------------------------------------------------------------------

def test_notes_and_activities_land_in_the_timeline(site: Site, open_page: Open) -> None:
    page = open_page(site.admin)
    deal_id = site.deals["Initech pilot"]
    page.goto(f"/deals/{deal_id}")
    assert page.get_by_role("heading", level=1).inner_text() == "Initech pilot"
    timeline = page.locator("#timeline-items")
    note = "They asked for a discount <b>today</b>"
    page.get_by_label("Note", exact=True).fill(note)
    page.get_by_role("button", name="Save note").click()
    timeline.locator('[data-kind="note"]', has_text=note).wait_for()
    page.get_by_text("Add an activity").click()
    page.get_by_label("Subject").fill("Call back about the discount")
    page.get_by_label("Type").select_option("call")
    page.get_by_role("button", name="Save activity").click()
    timeline.locator('[data-kind="activity"]', has_text="Call back about the discount").wait_for()
    page.reload()
    assert timeline.locator('[data-kind="note"]').filter(has_text=note).count() == 1
    activity = timeline.locator('[data-kind="activity"]').filter(
        has_text="Call back about the discount")
    assert activity.count() == 1
    activity.get_by_role("button", name="Mark as done").click()
    timeline.locator('[data-kind="activity"].done').filter(
        has_text="Call back about the discount").wait_for()
    notes = httpx.get(f"{site.url}/v1/notes", params={"api_token": site.api_token,
                                                      "deal_id": deal_id}, timeout=10)
    assert [n["content"] for n in notes.json()["data"]] == [html.escape(note, quote=False)]


def test_a_custom_field_refuses_a_bad_value_and_keeps_a_good_one(site: Site,
                                                                  open_page: Open) -> None:
    page = open_page(site.admin)
    deal_id = site.deals["Stark support plan"]
    page.goto(f"/deals/{deal_id}")
    budget = field(page, site.budget_key)
    assert budget.locator("dt").inner_text() == "Budget"
    budget.get_by_role("button", name="Edit Budget").click()
    editor = budget.get_by_label("Budget", exact=True)
    editor.fill("")
    editor.press_sequentially("1e")  # not a number: the browser's own check stops it
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    budget.get_by_role("button", name="Save").click()
    assert editor.evaluate("el => el.validity.badInput && el.validationMessage !== ''")
    page.wait_for_timeout(200)
    assert posted == []
    # The server's own check, for a browser that lets any text through
    editor.evaluate("el => { el.type = 'text'; }")
    editor.fill("lots")
    budget.get_by_role("button", name="Save").click()
    error = budget.get_by_role("alert")
    error.filter(has_text=re.compile(r"\S")).wait_for()
    assert "number" in error.inner_text().lower(), error.inner_text()
    assert api_deal(site, deal_id)["custom_fields"][site.budget_key] == 15500 * 1.25
    editor.fill("23456.5")
    budget.get_by_role("button", name="Save").click()
    field(page, site.budget_key).locator(".value", has_text="23,456.5").wait_for()
    assert api_deal(site, deal_id)["custom_fields"][site.budget_key] == 23456.5
    page.reload()
    assert "23,456.5" in field(page, site.budget_key).inner_text()


# ---- who sees what --------------------------------------------------------------------------

def test_a_restricted_role_does_not_see_the_hidden_pipeline(site: Site, open_page: Open) -> None:
    admin = open_page(site.admin)
    admin.goto(board_url(site.pipeline_id))
    assert _pipeline_choices(admin) == ["Sales", "Partners", "Inbound"]
    page = open_page(site.restricted)
    page.goto(board_url(site.pipeline_id))
    assert _pipeline_choices(page) == ["Sales", "Inbound"]
    assert card(page, site.deals["Acme rollout"]).is_visible()
    for url in (board_url(site.hidden_pipeline_id), f"/deals/{site.hidden_deal_id}",
                f"/insight?pipeline={site.hidden_pipeline_id}"):
        response = page.goto(url)
        assert response is not None and response.status == 404, url
        assert "Partners" not in page.locator("main").inner_text()
        assert "Secret partnership" not in page.content()
    response = page.goto(f"/board/column/{site.hidden_stage_id}")
    assert response is not None and response.status == 404
    page.goto(board_url(site.pipeline_id))  # a move into its stage, sent as the board sends one:
    answers = [page.evaluate(  # refused as a move into a stage that does not exist
        "([deal, stage]) => window.dealbase.send(`/deals/${deal}/move`, {stage_id: stage})"
        ".then(() => 'moved', err => [err.status, err.message])", [site.deals["Initech pilot"], stage])
        for stage in (site.hidden_stage_id, 2**31 - 1)]
    assert answers[0] == answers[1] and answers[0][0] in (400, 404), answers
    assert api_deal(site, site.deals["Initech pilot"])["stage_id"] == site.stages["Qualified"]
    page.goto("/insight")
    assert _pipeline_choices(page) == ["Sales", "Inbound"]
    for who, sees in ((admin, True), (page, False)):  # the deals list's search
        who.goto("/deals")
        who.get_by_label("Search").fill("partnership")
        who.get_by_label("Search").press("Enter")
        who.wait_for_url("**/deals?*q=partnership*")
        assert ("Secret partnership" in who.locator("main").inner_text()) is sees


def _pipeline_choices(page: Page) -> list[str]:
    picker = page.locator("select[name=pipeline]")  # (the board's and the insight's picker)
    return [t.strip() for t in picker.locator("option").all_inner_texts()]


# ---- sign-out -------------------------------------------------------------------------------

def test_sign_out(site: Site, open_page: Open) -> None:
    page = open_page(site.admin)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r".*/signin$"))
    page.goto(f"/deals/{site.deals['Acme rollout']}")
    assert "/signin?next=" in page.url
    assert page.get_by_role("button", name="Sign in").is_visible()
    assert all(c["name"] != "dealbase_session" for c in page.context.cookies())


def test_an_invitation_lets_a_new_user_choose_a_password(site: Site, open_page: Open) -> None:
    service = site.service
    ctx = service.admin(site.company_id, site.admin.user_id)
    with service.unit(ctx, write=True) as unit:
        user = unit.create("user", {"name": "Ivy Invited", "email": "ivy@initrode.example"})
    token = service.sessions.invite(ctx, int(user["id"]), service.clock())
    page = open_page(None, NARROW)
    page.goto(f"/invite/{token}")
    no_horizontal_overflow(page)
    page.get_by_label("Password").fill("a new long password")
    page.get_by_label("Again").fill("a new long password")
    page.get_by_role("button", name="Set password and sign in").click()
    page.wait_for_url("**/board")
    assert "Ivy Invited" in (page.locator("header .who .me").text_content() or "")  # (hidden: narrow)
    page.goto(f"/invite/{token}")  # used once
    assert "unknown, used or expired" in page.get_by_role("alert").inner_text()


# ---- small screens --------------------------------------------------------------------------

PAGES = ["/board", "/deals", "/deals/{deal}", "/persons", "/persons/{person}", "/organizations",
         "/organizations/{org}", "/activities", "/insight", "/admin", "/admin/users",
         "/admin/pipelines", "/admin/fields", "/admin/tokens", "/admin/webhooks"]


def test_every_page_fits_a_narrow_screen(site: Site, open_page: Open) -> None:
    page = open_page(site.admin, NARROW)
    for path in PAGES:
        url = path.format(deal=site.deals["Acme rollout"], person=site.person_id, org=site.org_id)
        response = page.goto(url)
        assert response is not None and response.status == 200, (url, response and response.status)
        no_horizontal_overflow(page)
    page.goto(board_url(site.pipeline_id))  # the board's columns scroll sideways, in the board
    assert page.locator("#board").evaluate("el => el.scrollWidth > el.clientWidth")


def test_the_sign_in_page_fits_a_narrow_screen(site: Site, open_page: Open) -> None:
    page = open_page(None, NARROW)
    page.goto("/signin")
    no_horizontal_overflow(page)


# ---- the README's screenshots ----------------------------------------------------------------

def test_screenshots(showcase: Site, open_page: Open) -> None:
    page = open_page(showcase.admin)
    page.goto(board_url(showcase.pipeline_id))
    card(page, showcase.deals["Acme rollout"]).wait_for()
    screenshot(page, "board")
    page.goto(f"/deals/{showcase.deals['Acme rollout']}")
    page.get_by_text("Kick-off call went well").first.wait_for()
    screenshot(page, "deal")
    page.goto(f"/insight?pipeline={showcase.pipeline_id}")
    page.locator("#main svg").first.wait_for()
    screenshot(page, "insight")


def test_sign_in_lands_on_the_page_asked_for(site: Site, open_page: Open) -> None:
    page = open_page()
    sign_in(page, site.restricted, "/insight")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Insight")
