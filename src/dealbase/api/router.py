"""A Starlette router that only tries the routes that can match the path.

Starlette's ``Router`` tries every route in order, one regular expression each; with
the few hundred routes that two dialects generate, that scan costs more than serving
a small response. ``IndexedRouter`` files each route under the first three segments of
its path (a ``{parameter}`` segment, or the rest of a ``Mount``, matches anything) and
tries, in their original order, only the routes whose filed segments fit the request's.
The outcome (first full match wins, else the first partial match, else not found,
which the full scan then handles) is exactly that of the full scan.
"""

from __future__ import annotations

from typing import Any

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Mount, Router
from starlette.types import Receive, Scope, Send

ANY = "*"
MAX_CACHED = 4096


DEPTH = 3


def _key(route: BaseRoute) -> tuple[str, ...]:
    path: str = getattr(route, "path", "")
    parts = [ANY if "{" in p else p for p in path.strip("/").split("/")] if path.strip("/") else []
    filler = ANY if isinstance(route, Mount) or not hasattr(route, "path") else ""
    if len(parts) > DEPTH:
        parts = parts[:DEPTH]
    return tuple(parts + [filler] * (DEPTH - len(parts)))


def _segments(path: str) -> tuple[str, ...]:
    parts = path.strip("/").split("/", DEPTH)[:DEPTH]
    return tuple(parts + [""] * (DEPTH - len(parts)))


class IndexedRouter(Router):
    """No slash redirects: a path with a trailing slash (``/v1/deals/``, an empty id) is not
    found, and answers in the dialect's own error shape like any unknown path."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("redirect_slashes", False)
        super().__init__(*args, **kwargs)
        self._indexed: list[BaseRoute] = []
        self._keys: list[tuple[str, ...]] = []
        self._cache: dict[tuple[str, str], dict[str, list[BaseRoute]]] = {}

    def _candidates(self, segments: tuple[str, ...]) -> list[BaseRoute]:
        routes = self.routes
        if len(routes) != len(self._indexed) or (routes and (
                routes[0] is not self._indexed[0] or routes[-1] is not self._indexed[-1])):
            # routes were added (as apps and tests do, at either end): file them again
            self._indexed = list(routes)
            self._keys = [_key(r) for r in self._indexed]
            self._cache = {}
        first, second, third = segments
        by_third = self._cache.get((first, second))
        if by_third is None:  # the routes whose first two segments fit, by their third
            near = [(k[2], r) for k, r in zip(self._keys, self._indexed, strict=True)
                    if k[0] in (first, ANY) and k[1] in (second, ANY)]
            by_third = {t: [r for k, r in near if k in (t, ANY)] for t, _ in near}
            by_third[ANY] = [r for k, r in near if k == ANY]  # any other third segment
            if len(self._cache) < MAX_CACHED:
                self._cache[(first, second)] = by_third
        found = by_third.get(third)
        return by_third[ANY] if found is None else found

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().app(scope, receive, send)
            return
        if "router" not in scope:
            scope["router"] = self
        partial = partial_scope = None
        for route in self._candidates(_segments(get_route_path(scope))):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial, partial_scope = route, child_scope
        if partial is not None and partial_scope is not None:
            scope["route"] = partial
            scope.update(partial_scope)
            await partial.handle(scope, receive, send)
            return
        await super().app(scope, receive, send)  # not found: the default handler


__all__ = ["IndexedRouter"]
