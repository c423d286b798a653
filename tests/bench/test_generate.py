"""The benchmark generator at its tiny scale: what it writes is a valid company that both
dialects serve, and the same seed gives the same rows."""

from __future__ import annotations

import base64
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
