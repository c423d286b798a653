"""``dealbase.client.AsyncClient`` against the live server over real HTTP (each test runs its
own event loop; the server runs in its thread)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dealbase.client import (
    AsyncClient,
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    Record,
    ServerError,
)
from tests.sdk.client_support import Clock, Company, Flaky, company, status

__all__ = ["company"]  # (the fixture)


def client(company: Company, **kw: Any) -> AsyncClient:
    return AsyncClient(company.url, company.token, **kw)


def test_async_crud_and_custom_fields_by_name(company: Company) -> None:
    async def work() -> int:
        async with client(company) as api:
            await api.v1.deal_fields.create({"name": "Budget code", "field_type": "varchar"})
            deal = await api.deals.create({"title": "Printers"}, custom={"Budget code": "B-7"})
            assert isinstance(deal, Record) and deal.custom("Budget code") == "B-7"
            await api.deals.update(deal["id"], {"value": 5}, custom={"Budget code": "B-8"})
            v1 = await api.v1.deals.get(deal["id"])
            assert (v1["value"], v1.custom("Budget code")) == (5, "B-8")
            note = await api.notes.create({"content": "n", "deal_id": deal["id"]})
            comments = api.note_comments(note["id"])
            await comments.create({"content": "c"})
            assert [c["content"] async for c in comments.list()] == ["c"]
            assert (await api.deals_summary.fetch())["total_count"] == 1
            assert await api.deals.delete(deal["id"]) == {"id": deal["id"]}
            assert await api.deals.list().to_list() == []
            return int(deal["id"])
    deal_id = asyncio.run(work())
    assert company.direct.get("deal", deal_id)["is_deleted"] is True


def test_async_paging_through_hundreds_v1_and_v2(company: Company) -> None:
    ids = [company.direct.create("person", {"name": f"Person {n:03d}"})["id"] for n in range(210)]

    async def work() -> None:
        async with client(company) as api:
            assert [p["id"] async for p in api.v2.persons.list(limit=40)] == ids
            sizes = [len(page.items) async for page in api.v1.persons.list(limit=100).pages()]
            assert sizes == [100, 100, 10]
            first = await api.v1.persons.list(limit=7).first_page()
            assert first.next == {"start": 7} and len(first.items) == 7
    asyncio.run(work())


def test_async_errors(company: Company) -> None:
    async def work() -> None:
        async with AsyncClient(company.url, "wrong") as stranger:
            with pytest.raises(AuthenticationError):
                await stranger.persons.get(1)
        async with client(company) as api:
            with pytest.raises(NotFoundError, match="not found"):
                await api.persons.get(10**9)
            with pytest.raises(InvalidRequestError) as refused:
                await api.persons.create({})
            assert refused.value.status == 400 and "name" in refused.value.error
    asyncio.run(work())


def test_async_retries_429_and_503_but_not_a_post_after_a_5xx(company: Company) -> None:
    person = company.direct.create("person", {"name": "Kept"})
    clock = Clock()
    path = f"/api/v2/persons/{person['id']}"
    flaky = Flaky([status(429, {"Retry-After": "4"}), status(503)], lambda r: r.url.path == path)
    posts = Flaky([status(503)], lambda r: r.method == "POST")

    async def work() -> None:
        async with client(company, transport=flaky, retry=clock.retry()) as api:
            assert (await api.persons.get(person["id"]))["name"] == "Kept"
        async with client(company, transport=posts, retry=clock.retry()) as api:
            with pytest.raises(ServerError):
                await api.persons.create({"name": "Once"})
    asyncio.run(work())
    assert clock.waits == [4.0, 1.0]  # Retry-After, then the second backoff step
    assert flaky.tries("GET", path) == 3 and posts.tries("POST", "/api/v2/persons") == 1
    assert company.direct.count("person", None) == 1
