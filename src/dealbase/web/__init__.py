"""The web app: the third thin adapter beside the two dialects (issue 17).

Server-rendered pages (Jinja2) with a little JavaScript of its own, every asset shipped in
this package (``static/``, ``templates/``; nothing from a CDN). Every page calls the
records service in-process, as the signed-in user, through ``base.Web``; nothing here
reads the store or decides who may see what.

* ``auth``: sign-in, sign-out, invitations;
* ``board``: the pipeline board (columns paged lazily, cards moved by mouse or keyboard);
* ``records``: deal, person and organization pages, lists, activities and notes;
* ``insight``: the funnel and the conversion and movement statistics, as charts;
* ``admin``: users, pipelines and stages, custom fields, API tokens, webhooks.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from ..api.limits import Limiter, SignInThrottle
from ..service import Service
from . import admin, board, insight, records
from .auth import Auth
from .base import Web


class _Assets(StaticFiles):
    """The package's assets; their URLs carry a content hash, so they are kept a year."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 200:
                message["headers"] = [*message.get("headers", []),
                                      (b"cache-control", b"public, max-age=31536000, immutable"),
                                      (b"x-content-type-options", b"nosniff")]
            await send(message)

        await super().__call__(scope, receive, send_cached)


def web_routes(service: Service, limiter: Limiter,
               saved_filter: board.SavedFilter | None = None) -> list[BaseRoute]:
    """Every route of the web app over ``service`` (sign-in throttled in ``limiter``'s
    counters). ``saved_filter(unit, entity, filter_id)``: the condition of a saved filter
    (its conditions are stored in the Pipedrive dialect's shape, so the composition root
    hands the dialect's compiler in; without one, the board offers no saved filters)."""
    web = Web(service)
    return [*Auth(web, SignInThrottle(limiter)).routes(), *board.routes(web, saved_filter),
            *records.routes(web), *insight.routes(web), *admin.routes(web),
            Mount("/static", _Assets(packages=[("dealbase.web", "static")]), name="static")]


__all__ = ["Web", "web_routes"]
