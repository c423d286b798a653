"""Record pages of the web app: fields (custom ones included), editing in place, the
timeline, notes and activities (both backends)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Tenant
from tests.web.conftest import Browser, text_of


def _deal(tenant: Tenant, **values: Any) -> dict[str, Any]:
    return tenant.records.create("deal", {"title": "Big deal", **values})


def _v2(tenant: Tenant, deal_id: int) -> dict[str, Any]:
    r = tenant.api.get(f"/api/v2/deals/{deal_id}")
    assert r.status_code == 200
    return r.json()["data"]  # type: ignore[no-any-return]


def test_a_deal_page_shows_its_fields_and_custom_fields(web: Browser, tenant: Tenant) -> None:
    budget = tenant.records.create_field("deal", "Budget", "double")
    kind = tenant.records.create_field("deal", "Kind", "enum", ["Hardware", "Software"])
    org = tenant.records.create("organization", {"name": "Initech"})
    person = tenant.records.create("person", {"name": "Peter Gibbons"})
    deal = _deal(tenant, value=1500, organization_id=org["id"], person_id=person["id"],
                 **{budget.key: 42.5, kind.key: kind.options[1].id})
    r = web.get(f"/deals/{deal['id']}")
    assert r.status_code == 200
    text = text_of(r.text)
    assert "Big deal" in text and "Budget" in text and "42.50" in text
    assert "Kind" in text and "Software" in text and "1,500 USD" in text
    assert f'href="/organizations/{org["id"]}"' in r.text and "Initech" in text
    assert f'href="/persons/{person["id"]}"' in r.text and "Peter Gibbons" in text
    assert "Qualified" in text  # the stage, by name
    assert 'data-field="title"' in r.text and 'data-field="created_at"' in r.text
    # read-only fields are shown, not editable
    assert 'id="field-created_at" data-field="created_at">' in r.text
    assert f'data-field="{budget.key}" data-input="number"' in r.text
    assert f'data-field="{kind.key}" data-input="select"' in r.text
    # a person's and an organization's page
    assert "Peter Gibbons" in text_of(web.get(f"/persons/{person['id']}").text)
    page = web.get(f"/organizations/{org['id']}")
    assert page.status_code == 200 and "Initech" in text_of(page.text)
    # no inline scripts or styles (the CSP forbids them)
    assert "<script>" not in r.text and "style=" not in r.text


def test_editing_a_field_saves_it(web: Browser, tenant: Tenant) -> None:
    budget = tenant.records.create_field("deal", "Budget", "double")
    kind = tenant.records.create_field("deal", "Kind", "enum", ["Hardware", "Software"])
    tags = tenant.records.create_field("deal", "Tags", "set", ["a", "b", "c"])
    deal = _deal(tenant)
    url = f"/deals/{deal['id']}/fields"
    r = web.send(url, {"field": "title", "value": "Bigger deal"})
    assert r.status_code == 200, r.text
    assert "Bigger deal" in r.json()["html"]
    assert web.send(url, {"field": budget.key, "value": "1234.5"}).status_code == 200
    assert web.send(url, {"field": kind.key, "value": str(kind.options[0].id)}).status_code == 200
    r = web.send(url, {"field": tags.key, "value": [str(tags.options[2].id),
                                                    str(tags.options[0].id)]})
    assert r.status_code == 200, r.text
    assert web.send(url, {"field": "expected_close_date", "value": "2027-03-01"}).status_code == 200
    assert web.send(url, {"field": "value", "value": 99}).status_code == 200
    data = _v2(tenant, deal["id"])
    assert data["title"] == "Bigger deal" and data["value"] == 99
    assert data["expected_close_date"] == "2027-03-01"
    assert data["custom_fields"][budget.key] == 1234.5
    assert data["custom_fields"][kind.key] == kind.options[0].id
    assert data["custom_fields"][tags.key] == sorted([tags.options[0].id, tags.options[2].id])
    # clearing a field
    assert web.send(url, {"field": budget.key, "value": None}).status_code == 200
    assert _v2(tenant, deal["id"])["custom_fields"][budget.key] is None
    # without script: the page shows the field's form, whose post saves and goes back
    r = web.get(f"/deals/{deal['id']}?edit={kind.key}")
    assert r.status_code == 200 and f'<input type="hidden" name="field" value="{kind.key}">' \
        in r.text and f'name="csrf_token" value="{web.csrf}"' in r.text
    assert f'<option value="{kind.options[0].id}" selected>Hardware</option>' in r.text
    r = web.get(f"/deals/{deal['id']}?edit={tags.key}")
    assert "Option ids, separated by commas" in r.text
    r = web.post(url, {"field": tags.key, "value": f"{tags.options[1].id}"})
    assert r.status_code == 303
    assert _v2(tenant, deal["id"])["custom_fields"][tags.key] == [tags.options[1].id]
    for odd in ("%00", "created_at", "x" * 5000, "%E2%80%AE"):
        assert web.get(f"/deals/{deal['id']}?edit={odd}").status_code == 200
    r = web.post(url, {"field": "title", "value": "Form deal"})
    assert r.status_code == 303 and r.headers["location"] == f"/deals/{deal['id']}"
    assert _v2(tenant, deal["id"])["title"] == "Form deal"


@pytest.mark.parametrize("field, value, words", [
    ("budget", "lots", "must be a number"),
    ("kind", 999, "is not an option of this field"),
    ("title", None, "must not be null"),
    ("title", "x" * 300, "at most 255 characters"),
    ("created_at", "2020-01-01", "is read-only"),
    ("no_such_field", "1", "unknown field"),
    ("stage_id", 10**12, "stage not found"),
    ("expected_close_date", "tomorrow", "must be a date"),
])
def test_a_bad_value_is_refused_and_changes_nothing(web: Browser, tenant: Tenant, field: str,
                                                    value: Any, words: str) -> None:
    budget = tenant.records.create_field("deal", "Budget", "double")
    kind = tenant.records.create_field("deal", "Kind", "enum", ["Hardware", "Software"])
    name = {"budget": budget.key, "kind": kind.key}.get(field, field)
    deal = _deal(tenant, **{budget.key: 7.0})
    before = _v2(tenant, deal["id"])
    r = web.send(f"/deals/{deal['id']}/fields", {"field": name, "value": value})
    assert r.status_code == 400, r.text
    assert words.lower() in r.json()["error"].lower() and r.json()["field"] == name
    assert _v2(tenant, deal["id"]) == before


def test_editing_needs_the_csrf_token(web: Browser, tenant: Tenant) -> None:
    deal = _deal(tenant)
    r = web.send(f"/deals/{deal['id']}/fields", {"field": "title", "value": "Hacked"}, csrf=False)
    assert r.status_code == 403
    r = web.post(f"/deals/{deal['id']}/fields", {"field": "title", "value": "Hacked"}, csrf=False)
    assert r.status_code == 403
    r = web.post(f"/deals/{deal['id']}/notes", {"content": "x"}, csrf=False)
    assert r.status_code == 403
    assert _v2(tenant, deal["id"])["title"] == "Big deal"
    assert tenant.records.get("deal", deal["id"])["notes_count"] == 0


def test_another_companys_records_are_not_found(web: Browser, tenant: Tenant,
                                                other: Tenant) -> None:
    deal = other.records.create("deal", {"title": "Theirs"})
    person = other.records.create("person", {"name": "Their person"})
    org = other.records.create("organization", {"name": "Their org"})
    activity = other.records.create("activity", {"subject": "Their call"})
    for path, record in (("deals", deal), ("persons", person), ("organizations", org),
                         ("activities", activity)):
        url = f"/{path}/{record['id']}"
        r = web.get(url)
        assert r.status_code == 404 and "Theirs" not in r.text and "Their" not in r.text
        assert web.get(f"{url}/timeline").status_code == 404
        assert web.get(f"{url}/fields").status_code == 404
        r = web.send(f"{url}/fields", {"field": "owner_id", "value": tenant.company.user_id})
        assert r.status_code == 404
        if path != "activities":
            assert web.send(f"{url}/notes", {"content": "mine now"}).status_code == 404
            assert web.send(f"{url}/activities", {"subject": "mine"}).status_code == 404
    assert web.send(f"/activities/{activity['id']}/done", {}).status_code == 404
    assert other.records.get("deal", deal["id"])["title"] == "Theirs"
    assert other.records.get("deal", deal["id"])["notes_count"] == 0
    assert other.records.get("activity", activity["id"])["status"] != 4
    assert other.records.get("person", person["id"])["activities_count"] == 0


def test_a_hidden_deal_is_not_found(browser: Callable[[], Browser], tenant: Tenant) -> None:
    user = tenant.records.create("user", {"name": "Uma", "email": "uma@acme.example"})
    deal = _deal(tenant, visible_to=1)  # the owner (the admin) and followers only
    b = browser().sign_in_as(tenant.company.company_id, int(user["id"]))
    assert b.get(f"/deals/{deal['id']}").status_code == 404
    assert b.send(f"/deals/{deal['id']}/fields",
                  {"field": "title", "value": "Mine"}).status_code == 404
    assert tenant.records.get("deal", deal["id"])["title"] == "Big deal"


def test_notes_and_activities_in_the_timeline(web: Browser, tenant: Tenant) -> None:
    deal = _deal(tenant)
    r = web.send(f"/deals/{deal['id']}/notes", {"content": "Called <b>Bob</b>\nsecond line"})
    assert r.status_code == 200, r.text
    r = web.send(f"/deals/{deal['id']}/activities",
                 {"subject": "Demo call", "type": "call", "due_date": "2027-01-15",
                  "due_time": "10:30"})
    assert r.status_code == 200, r.text
    activity_id = r.json()["id"]
    web.send(f"/deals/{deal['id']}/fields", {"field": "title", "value": "Renamed deal"})
    page = web.get(f"/deals/{deal['id']}")
    text = text_of(page.text)
    assert "Called &lt;b&gt;Bob&lt;/b&gt;" in page.text and "<b>Bob" not in page.text
    assert "Demo call" in text and "due 2027-01-15 10:30" in text
    assert "Big deal" in text and "Renamed deal" in text  # the change, old and new
    stored = tenant.records.get("activity", activity_id)
    assert stored["deal_id"] == deal["id"] and stored["type"] == "call"
    assert stored["due_date"] == dt.date(2027, 1, 15)
    # the note is HTML as Pipedrive's clients expect it
    notes = tenant.api.get(f"/v1/notes?deal_id={deal['id']}").json()["data"]
    assert notes[0]["content"].startswith("Called &lt;b&gt;Bob&lt;/b&gt;<br>")
    # the page's fields afresh (the counters a note and an activity changed)
    r = web.get(f"/deals/{deal['id']}/fields", headers={"Accept": "application/json"})
    assert r.status_code == 200 and "Renamed deal" in r.json()["head"]
    assert 'id="field-notes_count"' in r.json()["html"]
    # mark done
    r = web.send(f"/activities/{activity_id}/done", {})
    assert r.status_code == 200 and r.json()["done"] is True
    assert tenant.records.get("activity", activity_id)["status"] == 4
    assert "Mark as done" not in web.get(f"/deals/{deal['id']}").text
    r = web.send(f"/activities/{activity_id}/done", {"done": False})
    assert r.status_code == 200 and tenant.records.get("activity", activity_id)["status"] != 4
    # a form post (no script) works and goes back
    r = web.post(f"/deals/{deal['id']}/notes", {"content": "by form"})
    assert r.status_code == 303 and r.headers["location"] == f"/deals/{deal['id']}#timeline"
    # person and organization timelines
    person = tenant.records.create("person", {"name": "Pat"})
    assert web.send(f"/persons/{person['id']}/notes", {"content": "met Pat"}).status_code == 200
    assert "met Pat" in text_of(web.get(f"/persons/{person['id']}").text)
    org = tenant.records.create("organization", {"name": "Org"})
    assert web.send(f"/organizations/{org['id']}/activities",
                    {"subject": "Visit"}).status_code == 200
    assert "Visit" in text_of(web.get(f"/organizations/{org['id']}").text)


def test_bad_notes_and_activities_are_refused(web: Browser, tenant: Tenant) -> None:
    deal = _deal(tenant)
    r = web.send(f"/deals/{deal['id']}/notes", {"content": "   "})
    assert r.status_code == 400 and "content" in r.json()["error"]
    r = web.send(f"/deals/{deal['id']}/activities", {"subject": "X", "type": "nonsense"})
    assert r.status_code == 400 and "not an activity type" in r.json()["error"]
    r = web.send(f"/deals/{deal['id']}/activities", {"subject": "X", "due_date": "someday"})
    assert r.status_code == 400 and "due_date" in r.json()["error"]
    r = web.send(f"/deals/{deal['id']}/activities", {"subject": ""})
    assert r.status_code == 400
    r = web.send(f"/deals/{deal['id']}/notes", {"content": ["not", "text"]})
    assert r.status_code == 400
    fresh = tenant.records.get("deal", deal["id"])
    assert fresh["notes_count"] == 0 and fresh["activities_count"] == 0


def test_the_timeline_pages_without_duplicates(web: Browser, tenant: Tenant) -> None:
    service = tenant.records.service
    clock = service.clock
    start = dt.datetime(2026, 1, 1, 9, 0, 0)
    try:
        service.clock = lambda: start - dt.timedelta(minutes=1)
        deal = _deal(tenant)
        for n in range(25):
            service.clock = lambda n=n: start + dt.timedelta(minutes=n)  # type: ignore[misc]
            if n % 3 == 0:
                tenant.records.create("note", {"content": f"note {n}", "deal_id": deal["id"]})
            elif n % 3 == 1:
                tenant.records.create("activity", {"subject": f"task {n}",
                                                   "deal_id": deal["id"]})
            else:
                tenant.records.update("deal", deal["id"], {"title": f"title {n}"})
    finally:
        service.clock = clock
    seen: list[str] = []
    page = web.get(f"/deals/{deal['id']}")

    def items(html: str) -> list[tuple[str, str]]:
        return re.findall(r'data-kind="(\w+)" data-id="(\d+)"', html)

    found = items(page.text)
    seen += [f"{k}:{i}" for k, i in found]
    more = re.search(r'data-more="([^"]+)"', page.text)
    pages = 1
    while more:
        r = web.get(more.group(1).replace("&amp;", "&"), headers={"X-Fragment": "1"})
        assert r.status_code == 200
        seen += [f"{k}:{i}" for k, i in items(r.text)]
        more = re.search(r'data-more="([^"]+)"', r.text)
        pages += 1
    assert pages == 2
    assert len(seen) == len(set(seen)) == 26  # 25 writes and the deal's creation
    assert seen[0].startswith("note:")  # the newest (minute 24)
    assert seen[-1].startswith("change:")  # the creation, oldest
    assert seen[-2].startswith("note:")  # minute 0
    # a broken cursor is a clear 400
    r = web.get(f"/deals/{deal['id']}/timeline?cursor=bm90LWEtY3Vyc29y")
    assert r.status_code == 400


@pytest.mark.parametrize("url", [
    "/deals/99999999999999999999999", "/deals/-1", "/deals/0", "/deals/abc",
    "/deals/%E2%91%A0", "/persons/1e3", "/organizations/12%00",
    "/activities/9223372036854775808"])
def test_hostile_ids_are_not_found(web: Browser, url: str) -> None:
    assert web.get(url).status_code == 404
    assert web.send(f"{url}/fields", {"field": "title", "value": "x"}).status_code in (404, 405)


def test_hostile_bodies_are_clear_errors(web: Browser, tenant: Tenant) -> None:
    deal = _deal(tenant)
    url = f"/deals/{deal['id']}/fields"
    headers = {"Accept": "application/json", "X-CSRF-Token": web.csrf,
               "Content-Type": "application/json"}
    for raw in (b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe", b""):
        r = web.request("POST", url, content=raw, headers=headers)
        assert 400 <= r.status_code < 500, (raw, r.status_code)
    r = web.request("POST", url, content=b'{"field": "title", "value": "' + b"x" * 70_000 + b'"}',
                    headers=headers)
    assert r.status_code == 413
    for body in ({"value": "x"}, {"field": "title"}, {"field": 5, "value": "x"},
                 {"field": "title", "value": {"nested": True}},
                 {"field": "\u202etitle\x00", "value": "x"},
                 {"field": "title", "value": "bad \x00 nul"}):
        r = web.send(url, body)
        assert r.status_code == 400, (body, r.text)
    r = web.send(url, {"field": "title", "value": "Zoë 🚀 \u202e عربى"})
    assert r.status_code == 200
    assert _v2(tenant, deal["id"])["title"] == "Zoë 🚀 \u202e عربى"
    assert "Zoë 🚀" in web.get(f"/deals/{deal['id']}").text
    r = web.get(f"/deals/{deal['id']}?tl=%00%FF")
    assert r.status_code == 400


def test_an_activity_page_and_more_kinds_of_fields(web: Browser, tenant: Tenant) -> None:
    deal = _deal(tenant)
    activity = tenant.records.create("activity", {"subject": "Ring", "deal_id": deal["id"]})
    r = web.get(f"/activities/{activity['id']}")
    assert r.status_code == 200 and "Ring" in text_of(r.text)
    assert 'data-field="type" data-input="select" data-step="" data-options="activity-types"' \
        in r.text
    url = f"/activities/{activity['id']}/fields"
    for field, value in (("type", "meeting"), ("due_date", "2027-02-02"), ("due_time", "09:15"),
                         ("priority", "3"), ("busy", "true"), ("duration", "45")):
        assert web.send(url, {"field": field, "value": value}).status_code == 200, field
    stored = tenant.records.get("activity", activity["id"])
    assert (stored["type"], stored["due_date"], stored["due_time"], stored["priority"],
            stored["busy"], stored["duration"]) == ("meeting", dt.date(2027, 2, 2), "09:15:00",
                                                    3, True, 45)
    assert "Meeting" in text_of(web.get(f"/deals/{deal['id']}").text)  # the type's name
    # a person's contact lists and an organization reference, a deal's other contacts
    org = tenant.records.create("organization", {"name": "Acme Org"})
    person = tenant.records.create("person", {"name": "Pam"})
    url = f"/persons/{person['id']}/fields"
    assert web.send(url, {"field": "emails", "value": "pam@a.example, pam@b.example"}
                    ).status_code == 200
    r = web.send(url, {"field": "organization_id", "value": str(org["id"])})
    assert r.status_code == 200 and "Acme Org" in r.json()["head"]
    stored = tenant.records.get("person", person["id"])
    assert [e["value"] for e in stored["emails"]] == ["pam@a.example", "pam@b.example"]
    assert stored["organization_id"] == org["id"]
    r = web.send(f"/deals/{deal['id']}/fields", {"field": "participant_ids",
                                                 "value": f"{person['id']}"})
    assert r.status_code == 200 and tenant.records.get("deal", deal["id"])[
        "participant_ids"] == [person["id"]]
    r = web.send(f"/deals/{deal['id']}/fields", {"field": "participant_ids", "value": "x, 1"})
    assert r.status_code == 400
    # a monetary custom field's currency, its own field
    cost = tenant.records.create_field("deal", "Cost", "monetary")
    assert web.send(f"/deals/{deal['id']}/fields",
                    {"field": f"{cost.key}_currency", "value": "EUR"}).status_code == 200
    assert web.send(f"/deals/{deal['id']}/fields",
                    {"field": cost.key, "value": "12.5"}).status_code == 200
    assert _v2(tenant, deal["id"])["custom_fields"][cost.key] == {"value": 12.5,
                                                                 "currency": "EUR"}
    assert "12.50 EUR" in text_of(web.get(f"/deals/{deal['id']}").text)


def test_a_deleted_deal_is_shown_but_not_editable(web: Browser, tenant: Tenant) -> None:
    deal = _deal(tenant)
    tenant.records.delete("deal", [deal["id"]])
    r = web.get(f"/deals/{deal['id']}")
    assert r.status_code == 200 and "is deleted" in r.text and "button.edit" not in r.text
    assert 'class="edit"' not in r.text and "Add a note" not in r.text
    r = web.send(f"/deals/{deal['id']}/fields", {"field": "title", "value": "Back"})
    assert 400 <= r.status_code < 500
    assert tenant.records.get("deal", deal["id"])["title"] == "Big deal"


def test_done_takes_only_yes_or_no(web: Browser, tenant: Tenant) -> None:
    activity = tenant.records.create("activity", {"subject": "Call", "type": "call"})
    url = f"/activities/{activity['id']}/done"
    for bad in (None, [1], {"a": 1}, 0, "maybe"):
        r = web.send(url, {"done": bad})
        assert r.status_code == 400, (bad, r.status_code, r.text)
        assert tenant.records.get("activity", activity["id"])["status"] != 4  # (not done)
    assert web.send(url, {"done": True}).status_code == 200
    assert tenant.records.get("activity", activity["id"])["status"] == 4
    assert web.send(url, {"done": "false"}).status_code == 200
    assert tenant.records.get("activity", activity["id"])["status"] != 4


def test_a_list_where_text_is_expected_is_refused(web: Browser, tenant: Tenant) -> None:
    r = web.send("/admin/users", {"name": ["x"], "email": "x@list.example"})
    assert r.status_code == 400 and "must be text" in r.json()["error"]
    assert not [u for u in tenant.api.get("/v1/users").json()["data"]
                if u["email"] == "x@list.example"]
