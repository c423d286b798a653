"""The lists of the web app: sorting, keyset paging, search, filters, activities due
today or overdue (both backends)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest

from tests.conftest import Tenant
from tests.web.conftest import Browser, text_of


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', html)]


def _next(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _all_pages(web: Browser, url: str) -> list[list[int]]:
    pages: list[list[int]] = []
    path = url.split("?")[0]
    following: str | None = url
    while following:
        r = web.get(following)
        assert r.status_code == 200, r.text
        pages.append(_ids(r.text))
        following = _next(r.text)
        if following is not None and following.startswith("?"):
            following = path + following
        assert len(pages) < 20
    return pages


def test_lists_sort_and_page_without_duplicates(web: Browser, tenant: Tenant) -> None:
    made = [tenant.records.create("deal", {"title": f"Deal {n:02d}", "value": (n * 37) % 11})
            for n in range(23)]
    pages = _all_pages(web, "/deals?sort=value&dir=desc&limit=5")
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    seen = [i for p in pages for i in p]
    assert len(seen) == len(set(seen)) == 23 and set(seen) == {d["id"] for d in made}
    values = {d["id"]: d["value"] for d in made}
    ordered = [values[i] for i in seen]
    assert ordered == sorted(ordered, reverse=True)
    # by title, ascending; the header links sort
    r = web.get("/deals?sort=title&limit=100")
    assert _ids(r.text) == [d["id"] for d in made]
    assert 'aria-sort="ascending"' in r.text and "sort=value" in r.text
    assert [i for p in _all_pages(web, "/deals?sort=title&dir=desc&limit=7") for i in p] == \
        [d["id"] for d in reversed(made)]
    # the default order: latest update first
    assert len(_ids(web.get("/deals").text)) == 23


def test_persons_organizations_and_activities_lists(web: Browser, tenant: Tenant) -> None:
    org = tenant.records.create("organization", {"name": "Umbrella"})
    tenant.records.create("person", {"name": "Alice", "organization_id": org["id"],
                                     "emails": ["alice@umbrella.example"]})
    tenant.records.create("person", {"name": "Bob"})
    r = web.get("/persons?sort=name")
    assert r.status_code == 200
    text = text_of(r.text)
    assert text.index("Alice") < text.index("Bob") and "alice@umbrella.example" in text
    assert f'href="/organizations/{org["id"]}"' in r.text
    r = web.get(f"/persons?organization={org['id']}")
    assert "Alice" in text_of(r.text) and "Bob" not in text_of(r.text)
    r = web.get("/organizations?sort=people_count&dir=desc")
    assert r.status_code == 200 and "Umbrella" in text_of(r.text)
    r = web.get("/activities")
    assert r.status_code == 200


def test_search(web: Browser, tenant: Tenant) -> None:
    wanted = tenant.records.create("deal", {"title": "Zeppelin refit"})
    tenant.records.create("deal", {"title": "Boat repair"})
    noted = tenant.records.create("deal", {"title": "Other"})
    tenant.records.create("note", {"content": "about the zeppelin hangar", "deal_id": noted["id"]})
    r = web.get("/deals?q=zeppelin")
    assert r.status_code == 200
    assert _ids(r.text) == [wanted["id"], noted["id"]]  # best first (the title beats a note)
    r = web.get("/deals?q=zeppelin&sort=title")
    assert _ids(r.text) == [noted["id"], wanted["id"]]
    pages = _all_pages(web, "/deals?q=zeppelin&limit=1")
    assert pages == [[wanted["id"]], [noted["id"]]]
    person = tenant.records.create("person", {"name": "Ümit Öztürk"})
    assert _ids(web.get("/persons?q=umit").text) == [person["id"]]
    org = tenant.records.create("organization", {"name": "Zeppelin Works"})
    assert _ids(web.get("/organizations?q=zepp").text) == [org["id"]]
    tenant.records.create("activity", {"subject": "Call the zeppelin people"})
    assert len(_ids(web.get("/activities?q=zeppelin").text)) == 1
    # too short a term: a clear 400 on the list page
    r = web.get("/deals?q=z")
    assert r.status_code == 400 and "at least 2 characters" in r.text


def test_activities_due_today_and_overdue(web: Browser, tenant: Tenant) -> None:
    service = tenant.records.service
    clock = service.clock
    now = dt.datetime(2026, 6, 10, 12, 0, 0)
    service.clock = lambda: now
    try:
        today = now.date()
        made = {name: tenant.records.create("activity", values)["id"] for name, values in {
            "yesterday": {"subject": "Yesterday", "due_date": today - dt.timedelta(days=1)},
            "this_morning": {"subject": "This morning", "due_date": today, "due_time": "09:00"},
            "tonight": {"subject": "Tonight", "due_date": today, "due_time": "20:00"},
            "today": {"subject": "Today", "due_date": today},
            "tomorrow": {"subject": "Tomorrow", "due_date": today + dt.timedelta(days=1)},
            "done_yesterday": {"subject": "Done", "due_date": today - dt.timedelta(days=1),
                               "done": True},
        }.items()}
        assert set(_ids(web.get("/activities?due=today").text)) == {
            made["this_morning"], made["tonight"], made["today"]}
        assert set(_ids(web.get("/activities?due=overdue").text)) == {
            made["yesterday"], made["this_morning"]}
        assert set(_ids(web.get("/activities?due=all&done=1").text)) == {made["done_yesterday"]}
        assert len(_ids(web.get("/activities?done=all").text)) == 6
        assert len(_ids(web.get("/activities").text)) == 5  # to do, by default
        # due date order (no date last)
        r = web.get("/activities?sort=due_date&limit=2")
        ids = [i for p in _all_pages(web, "/activities?sort=due_date&limit=2") for i in p]
        assert r.status_code == 200 and ids[0] == made["yesterday"] and len(ids) == 5
        assert ids[-1] == made["tomorrow"]
        # marking one done from the list (a form, without script)
        r = web.post(f"/activities/{made['tomorrow']}/done",
                     {"done": "1", "next": "/activities?due=all"})
        assert r.status_code == 303 and r.headers["location"] == "/activities?due=all"
        assert made["tomorrow"] not in _ids(web.get("/activities").text)
    finally:
        service.clock = clock


def test_lists_show_only_this_companys_records(web: Browser, tenant: Tenant,
                                               other: Tenant) -> None:
    theirs = other.records.create("deal", {"title": "Globex secret"})
    other.records.create("activity", {"subject": "Globex call"})
    assert theirs["id"] not in _ids(web.get("/deals").text)
    assert "Globex" not in web.get("/deals?q=globex").text
    assert "Globex" not in web.get("/activities?done=all").text
    assert "Globex" not in web.get(f"/deals?organization={theirs['id']}").text


def test_a_user_sees_only_the_deals_they_may(browser: Callable[[], Browser],
                                            tenant: Tenant) -> None:
    user = tenant.records.create("user", {"name": "Uma", "email": "uma@acme.example"})
    hidden = tenant.records.create("deal", {"title": "Private", "visible_to": 1})
    shown = tenant.records.create("deal", {"title": "Public"})
    b = browser().sign_in_as(tenant.company.company_id, int(user["id"]))
    ids = _ids(b.get("/deals").text)
    assert shown["id"] in ids and hidden["id"] not in ids
    assert hidden["id"] not in _ids(b.get("/deals?q=private").text)


@pytest.mark.parametrize("url", [
    "/deals?sort=nope", "/deals?sort=owner_id", "/deals?sort=title&dir=sideways",
    "/deals?cursor=garbage", "/deals?cursor=" + "A" * 5000, "/deals?limit=0",
    "/deals?limit=99999999999999999999", "/deals?owner=abc", "/deals?stage=%E2%91%A0",
    "/deals?status=maybe", "/activities?due=yesterday", "/activities?done=2",
    "/deals?q=" + "x" * 300, "/deals?q=%00%00", "/persons?sort=%00",
])
def test_hostile_list_parameters_are_clear_errors(web: Browser, tenant: Tenant,
                                                  url: str) -> None:
    tenant.records.create("deal", {"title": "One"})
    r = web.get(url)
    assert r.status_code == 400, (url, r.status_code)
    assert 'role="alert"' in r.text


def test_a_cursor_of_another_sort_is_refused(web: Browser, tenant: Tenant) -> None:
    for n in range(3):
        tenant.records.create("deal", {"title": f"D{n}"})
    cursor = _next(web.get("/deals?sort=title&limit=1").text)
    assert cursor is not None
    token = re.search(r"cursor=([^&]+)", cursor)
    assert token is not None
    r = web.get(f"/deals?sort=value&limit=1&cursor={token.group(1)}")
    assert r.status_code == 400
    # odd but harmless input works
    r = web.get("/deals?q=%F0%9F%9A%80%20%E2%80%AEzz")
    assert r.status_code in (200, 400)
    assert web.get("/deals?q=Zo%C3%AB").status_code == 200


def _cursor(sort: list[tuple[str, bool]], values: tuple[object, ...]) -> str:
    """A cursor as the service makes them, of any values (the codec's own shape)."""
    import base64
    import json

    payload = {"s": [[name, int(desc)] for name, desc in sort], "v": list(values)}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def test_crafted_cursors_are_clear_errors(web: Browser, tenant: Tenant) -> None:
    deal = tenant.records.create("deal", {"title": "One"})
    tenant.records.create("deal", {"title": "Two"})
    title = [("title", False), ("id", False)]
    timeline = [("change", False), ("activity_at", False), ("activity_id", False),
                ("note_at", False), ("note_id", False)]
    keys: tuple[tuple[object, ...], ...] = (
        ("x" * 3000, 10**30), ("One", -(10**30)), (None, "id"), (1.5e308, 1), ([1], 1),
        ({"a": 1}, 2), ("\u202e", 2**63))
    for values in keys:
        r = web.get(f"/deals?sort=title&limit=1&cursor={_cursor(title, values)}")
        assert 400 <= r.status_code < 500 or r.status_code == 200, (values, r.status_code)
    keys = ((10**30, None, None, None, None), (None, "not a time", 1, None, None),
            (None, "2026-01-01T00:00:00", 10**30, None, None), (True, None, None, None, None),
            (None, None, None, "2026-01-01T00:00:00", -5))
    for values in keys:
        r = web.get(f"/deals/{deal['id']}/timeline?cursor={_cursor(timeline, values)}")
        assert r.status_code == 400, (values, r.status_code)
    r = web.get(f"/deals?q=one&cursor={_cursor([('result', False)], (10**30,))}")
    assert r.status_code in (200, 400)
    r = web.get(f"/deals?q=one&cursor={_cursor([('result', False)], ('x',))}")
    assert r.status_code == 400
