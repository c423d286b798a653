"""A Starlette router that only tries the routes that can match the path.

Starlette's ``Router`` tries every route in order, one regular expression each; with
the few hundred routes that two dialects generate, that scan costs more than serving
a small response. ``IndexedRouter`` files each route under the first two segments of
its path (a ``{parameter}`` segment, or the rest of a ``Mount``, matches anything) and
tries, in their original order, only the routes filed under the request's own first
two segments. The outcome (first full match wins, else the first partial match, else
not found, which the full scan then handles) is exactly that of the full scan.
"""

from __future__ import annotations

from typing import Any

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Mount, Router
from starlette.types import Receive, Scope, Send

ANY = "*"
MAX_CACHED = 4096


def _key(route: BaseRoute) -> tuple[str, str]:
    path: str = getattr(route, "path", "")
    parts = [ANY if "{" in p else p for p in path.strip("/").split("/")] if path.strip("/") else []
    filler = ANY if isinstance(route, Mount) or not hasattr(route, "path") else ""
    parts += [filler] * (2 - len(parts))
    return parts[0], parts[1]


class IndexedRouter(Router):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._indexed: list[BaseRoute] = []
        self._by_key: dict[tuple[str, str], list[int]] = {}
        self._cache: dict[tuple[str, str], list[BaseRoute]] = {}

    def _candidates(self, first: str, second: str) -> list[BaseRoute]:
        routes = self.routes
        if len(routes) != len(self._indexed) or (routes and (
                routes[0] is not self._indexed[0] or routes[-1] is not self._indexed[-1])):
            # routes were added (as apps and tests do, at either end): file them again
            self._indexed = list(self.routes)
            self._by_key = {}
            for index, route in enumerate(self._indexed):
                self._by_key.setdefault(_key(route), []).append(index)
            self._cache = {}
        found = self._cache.get((first, second))
        if found is None:
            indexes = sorted({i for k in ((first, second), (first, ANY), (ANY, second), (ANY, ANY))
                              for i in self._by_key.get(k, ())})
            found = [self._indexed[i] for i in indexes]
            if len(self._cache) < MAX_CACHED:
                self._cache[(first, second)] = found
        return found

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().app(scope, receive, send)
            return
        if "router" not in scope:
            scope["router"] = self
        parts = get_route_path(scope).strip("/").split("/", 2)
        parts += [""] * (2 - len(parts))
        partial = partial_scope = None
        for route in self._candidates(parts[0], parts[1]):
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
        await super().app(scope, receive, send)  # not found: slash redirects, then the default


__all__ = ["IndexedRouter"]
