"""The app the benchmark serves: dealbase itself plus the two things a floor needs.

``uvicorn bench.server:create --factory`` (the runner does this) serves

* the real app, unchanged, at its usual paths;
* ``GET /bench/floor/{name}``: a precomputed response body, byte for byte the body the
  real app gave for that workload, served by the same uvicorn/Starlette stack and
  middleware: the HTTP floor;
* the same app with Pipeliner's ``Content-Range`` total switched off, under
  ``/bench/no-total``: the "same list without its total" that the total is weighed
  against.

The bodies come from the JSON file named by ``DEALBASE_BENCH_FLOOR`` (name → body).
"""

from __future__ import annotations

import os
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from dealbase.api.app import create_app
from dealbase.query.ast import Query
from dealbase.service import Context, Page, Service
from dealbase.service.records import Records
from dealbase.settings import Settings
from dealbase.store.database import Database, Tx


class NoTotals(Records):
    """Records that never count: lists answer ``total=None`` (``Content-Range …/0``)."""

    def list(self, tx: Tx, ctx: Context, entity: str, query: Query, *,
             with_total: bool = False) -> Page:
        return super().list(tx, ctx, entity, query, with_total=False)


def floor_bodies(path: str | None) -> dict[str, bytes]:
    if not path:
        return {}
    with open(path, "rb") as handle:
        raw: dict[str, Any] = orjson.loads(handle.read())
    return {name: body.encode() for name, body in raw.items()}


def build(settings: Settings, db: Database, bodies: dict[str, bytes] | None = None) -> Starlette:
    """The benchmark app over ``db``, serving ``bodies`` as HTTP floors."""
    app = create_app(settings, Service(settings, db))
    bodies = bodies or {}

    async def floor(request: Request) -> Response:
        body = bodies.get(request.path_params["name"])
        if body is None:
            return Response(b'{"error":"no such floor"}', 404, media_type="application/json")
        return Response(body, media_type="application/json")

    no_total = create_app(settings, Service(settings, db, records=NoTotals(db)))
    app.router.routes[:0] = [Route("/bench/floor/{name}", floor, methods=["GET"]),
                             Mount("/bench/no-total", app=no_total)]
    return app


def create() -> Starlette:
    """uvicorn's factory: settings from ``DEALBASE_*``, bodies from ``DEALBASE_BENCH_FLOOR``."""
    settings = Settings.from_env()
    db = Database(settings.database_url, pool_size=settings.pool_size)
    db.migrate()  # as ``dealbase serve`` does on every start
    return build(settings, db, floor_bodies(os.environ.get("DEALBASE_BENCH_FLOOR")))
