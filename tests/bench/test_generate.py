"""The benchmark generator at its tiny scale: what it writes is a valid company that both
dialects serve, and the same seed gives the same rows."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from bench.generate import SCALES, generate

from dealbase.api.app import service_of
from dealbase.query.ast import Cond, Offset, Query
from dealbase.store.database import Database
from tests.conftest import SyncClient, calls


def test_tiny_company_is_served_by_both_dialects(database: Database, app: Any,
                                                 http: SyncClient) -> None:
    scale = SCALES["tiny"]
    info = generate(database.url, scale, seed=3, quiet=True)
    ctx = service_of(app).admin(info["company_id"], info["user_ids"][0])
    records = calls(app)
    live = Cond("is_deleted", "eq", False)
    for entity, expected in (("organization", scale.organizations), ("person", scale.persons),
                             ("deal", scale.deals), ("activity", scale.activities),
                             ("user", scale.users)):
        assert records.count(ctx, entity, live) == expected, entity
    assert len(info["stage_ids"]) == scale.pipelines * scale.stages

    deals = http.request("GET", "/api/v2/deals", params={"limit": 500},
                         headers={"x-api-token": info["api_token"]}).json()
    assert len(deals["data"]) == 500
    assert all(d["custom_fields"][info["custom"]["source"]] in info["source_options"]
               for d in deals["data"])
    auth = base64.b64encode(
        f"{info['pipeliner_api_token']}:{info['pipeliner_api_password']}".encode()).decode()
    response = http.request("GET", f"/rest_services/v1/{info['space_id']}/Opportunities",
                            params={"limit": 10, "sort": "-MODIFIED"},
                            headers={"Authorization": f"Basic {auth}"})
    assert response.headers["content-range"] == f"items 0-9/{scale.deals}"


def test_the_same_seed_gives_the_same_rows(database: Database, app: Any) -> None:
    scale = SCALES["tiny"]
    records = calls(app)
    titles = []
    for _ in range(2):
        info = generate(database.url, scale, seed=11, quiet=True)
        ctx = service_of(app).admin(info["company_id"], info["user_ids"][0])
        page = records.list(ctx, "deal", Query(page=Offset(0, 50)))
        titles.append([(d["title"], d["value"], d["uid"], d["created_at"]) for d in page.items])
    assert titles[0] == titles[1]


def test_every_second_deal_moved_forward_to_its_stage(database: Database, app: Any,
                                                      http: SyncClient) -> None:
    """The generated stage moves: the deals with moves end them in the stage they are in,
    moving forward through their pipeline; the movement statistics of a quarter see them."""
    info = generate(database.url, SCALES["tiny"], seed=5, quiet=True)
    ctx = service_of(app).admin(info["company_id"], info["user_ids"][0])
    service = service_of(app)
    first = info["first_deal_id"]
    with service.unit(ctx) as unit:
        deals = unit.get_many("deal", range(first, first + 200))
        moves = unit.moves("deal", "stage_id", list(deals), dt.datetime(2100, 1, 1))
    histories: dict[int, list[int]] = {}
    for deal_id, _, before, after in moves:  # (the log's values: text on PostgreSQL)
        histories.setdefault(deal_id, [before]).append(int(after))
    assert 40 < len(histories) <= 100 and all((i - first) % 2 == 0 for i in histories)
    stages = info["stage_ids"]
    for deal_id, path in histories.items():
        assert path[0] is None and path[-1] == deals[deal_id]["stage_id"]
        assert [stages.index(s) for s in path[1:]] == sorted(stages.index(s) for s in path[1:])
    pipeline = deals[first]["pipeline_id"]
    moved = http.request("GET", f"/v1/pipelines/{pipeline}/movement_statistics", params={
        "start_date": "2024-01-01", "end_date": "2025-12-31", "user_id": info["user_ids"][0]},
        headers={"x-api-token": info["api_token"]}).json()["data"]
    assert moved["movements_between_stages"]["count"] > 0
