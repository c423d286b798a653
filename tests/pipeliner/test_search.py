"""Pipeliner's search, ``POST /search/{Collection}``: ``filter.terms`` (fields equal to
values), ``fulltext`` over the same index as Pipedrive's search, paging with an exact
Content-Range, ``Revision``; bad bodies refused; isolation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tenant
from tests.pipeliner.conftest import Pipeliner
from tests.pipeliner.support import CONTENT_RANGE, ok, refused


def search(pl: Pipeliner, collection: str, body: Any) -> tuple[list[dict[str, Any]], str]:
    response = pl.post(f"/search/{collection}", json=body)
    items: list[dict[str, Any]] = ok(response)
    match = CONTENT_RANGE.fullmatch(response.headers["content-range"])
    assert match is not None
    start, end, _ = map(int, match.groups())
    assert end - start + 1 == len(items) or (end == -1 and not items)
    return items, response.headers["content-range"]


@pytest.fixture
def contacts(pl: Pipeliner) -> list[str]:
    return [pl.create("Contacts", {"FIRST_NAME": first, "SURNAME": last, "EMAIL1": email})["ID"]
            for first, last, email in (("Todd", "Novak", "todd@novak.example"),
                                       ("Todd", "Horvat", "t.horvat@example.com"),
                                       ("Ana", "Tódd", "ana@example.com"))]


def test_terms_are_equalities(pl: Pipeliner, contacts: list[str]) -> None:
    items, span = search(pl, "Contacts", {"limit": 1, "filter": {"terms": {"FIRST_NAME": "Todd"}}})
    assert span == "items 0-0/2" and items[0]["ID"] in contacts[:2]
    items, span = search(pl, "Contacts", {"filter": {"terms": {"FIRST_NAME": "Todd",
                                                               "SURNAME": "Horvat"}}})
    assert [i["ID"] for i in items] == [contacts[1]] and span == "items 0-0/1"
    items, span = search(pl, "Contacts", {"filter": {"terms": {"SURNAME": "Nobody"}}})
    assert items == [] and span == "items 0--1/0"


def test_fulltext_ranks_and_pages(pl: Pipeliner, contacts: list[str]) -> None:
    items, span = search(pl, "Contacts", {"fulltext": "todd"})
    assert {i["ID"] for i in items} == set(contacts) and span == "items 0-2/3"
    items, _ = search(pl, "Contacts", {"fulltext": "novak example"})
    assert [i["ID"] for i in items] == [contacts[0]]
    items, span = search(pl, "Contacts", {"fulltext": "todd", "offset": 1, "limit": 1,
                                          "loadonly": "ID|SURNAME"})
    assert len(items) == 1 and set(items[0]) == {"ID", "SURNAME"} and span == "items 1-1/3"
    items, _ = search(pl, "Contacts", {"fulltext": "todd", "sort": "SURNAME"})
    assert [i["SURNAME"] for i in items] == ["Horvat", "Novak", "Tódd"]
    items, _ = search(pl, "Contacts", {"fulltext": "todd", "filter": {"terms": {"SURNAME": "Novak"}}})
    assert [i["ID"] for i in items] == [contacts[0]]


def test_revision_header(pl: Pipeliner, contacts: list[str]) -> None:
    first = pl.post("/search/Contacts", json={"limit": 1, "revision": True})
    assert int(first.headers["revision"]) > 0
    pl.create("Contacts", {"SURNAME": "Later"})
    second = pl.post("/search/Contacts", json={"limit": 1, "revision": True})
    assert int(second.headers["revision"]) > int(first.headers["revision"])
    assert "revision" not in pl.post("/search/Contacts", json={}).headers


def test_found_through_pipedrive_too(pl: Pipeliner, tenant: Tenant) -> None:
    made = pl.create("Accounts", {"ORGANIZATION": "Zeppelin Freight"})
    body = tenant.api.get("/v1/itemSearch?term=zeppelin").json()
    assert [i["item"]["name"] for i in body["data"]["items"]] == ["Zeppelin Freight"]
    items, _ = search(pl, "Accounts", {"fulltext": "freight"})
    assert [i["ID"] for i in items] == [made["ID"]]


@pytest.mark.parametrize("body", [
    [], "text", {"filter": "x"}, {"filter": {"match": {}}}, {"filter": {"terms": {"A": [1]}}},
    {"filter": {"terms": {"NO_SUCH_FIELD": "x"}}}, {"limit": "ten"}, {"offset": -1},
    {"fulltext": "a"}, {"fulltext": 7}, {"sort": 3}, {"sort": "NOPE"}, {"revision": "yes"},
    {"query": "x"}, {"filter": {"terms": {"FIRST_NAME": None}}},
])
def test_bad_bodies_are_refused(pl: Pipeliner, body: Any) -> None:
    refused(pl.post("/search/Contacts", json=body), (400, 422))


def test_unknown_collection_and_no_fulltext(pl: Pipeliner) -> None:
    refused(pl.post("/search/Spaceships", json={}), 404)
    refused(pl.post("/search/Stages", json={"fulltext": "stage"}), (400, 422))


def test_isolated(pl: Pipeliner, pl_other: Pipeliner, contacts: list[str]) -> None:
    items, span = search(pl_other, "Contacts", {"fulltext": "todd"})
    assert items == [] and span == "items 0--1/0"
    items, _ = search(pl_other, "Contacts", {"filter": {"terms": {"FIRST_NAME": "Todd"}}})
    assert items == []
