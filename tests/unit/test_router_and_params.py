"""The indexed router picks the route Starlette's full scan picks, for every route of
the app (the Pipeliner space's inner router too) and for paths that match none; the
query-string parser reads what Starlette's ``QueryParams`` reads."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route

from dealbase.api.app import create_app
from dealbase.api.body import query_params
from dealbase.api.router import IndexedRouter, _segments
from dealbase.settings import Settings

APP = create_app(Settings(database_url="sqlite://"))


def _scope(method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "query_string": b"",
            "headers": [], "path_params": {}}


def _scan(routes: list[BaseRoute], scope: dict[str, Any]) -> tuple[Any, ...] | None:
    """What Starlette's full scan picks: (route, how) or None."""
    partial = None
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return route, child.get("path_params")
        if match is Match.PARTIAL and partial is None:
            partial = (route, "partial")
    return partial


def _indexed(router: IndexedRouter, scope: dict[str, Any]) -> tuple[Any, ...] | None:
    from starlette._utils import get_route_path

    return _scan(router._candidates(_segments(get_route_path(scope))), scope)


def _cases() -> list[tuple[str, str]]:
    out = []
    for route in APP.routes:
        inner = route.routes if isinstance(route, Mount) else [route]
        for r in inner:
            path = route.path + getattr(r, "path", "") if isinstance(route, Mount) else route.path
            concrete = re.sub(r"\{[^}]+\}", "123", path)
            out += [(method, concrete) for method in ("GET", "POST", "PUT", "PATCH", "DELETE")]
    out += [("GET", p) for p in ("/", "/nope", "/v1", "/v1/", "/v1/deals/", "/v1/deals/1/x/y",
                                 "/api/v2/nope/1", "/rest_services/v1/space",
                                 "/rest_services/v1/space/Accounts/x/y")]
    return out


@pytest.mark.parametrize("method, path", _cases())
def test_the_index_picks_what_the_full_scan_picks(method: str, path: str) -> None:
    router = APP.router
    assert isinstance(router, IndexedRouter)
    scope = _scope(method, path)
    picked = _indexed(router, scope)
    assert picked == _scan(list(router.routes), scope)
    if picked and isinstance(picked[0], Mount) and picked[1] != "partial":
        mount = picked[0]
        assert isinstance(mount.app, IndexedRouter)
        inner = dict(scope)
        inner.update(mount.matches(scope)[1])
        assert _indexed(mount.app, inner) == _scan(list(mount.app.routes), inner)


def test_routes_added_later_are_filed() -> None:
    async def endpoint(request: Request) -> Response:  # pragma: no cover - never called
        raise AssertionError

    router = IndexedRouter(routes=list(APP.routes))
    assert router._candidates(_segments("/v1/deals/special"))[0].path == "/v1/deals/{id}"
    extra = Route("/v1/deals/special", endpoint)
    router.routes.insert(0, extra)
    assert router._candidates(_segments("/v1/deals/special"))[0] is extra
    router.routes.append(Route("/late/route", endpoint))
    assert [r.path for r in router._candidates(_segments("/late/route"))] == ["/late/route"]


def _request(query: bytes) -> Request:
    return Request({"type": "http", "query_string": query, "headers": [], "method": "GET",
                    "path": "/"})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=6),
       st.booleans())
def test_query_params_read_what_starlette_reads(pairs: list[tuple[str, str]], quoted: bool) -> None:
    if quoted:
        query = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs)
    else:
        query = "&".join(f"{k}={v}" for k, v in pairs)
    raw = query.encode("utf-8")
    ours = query_params(_request(raw))
    theirs = QueryParams(raw.decode("latin-1"))
    assert dict(ours) == {k: theirs[k] for k in theirs}
