"""create_app(settings): builds the records service and both dialects' routes; nothing at
import time. This is the composition root: the one place that wires the adapters to the
service."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from functools import cache
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..domain.errors import NotFound, Reason
from ..service import Service
from ..settings import Settings
from ..web import web_routes
from .consent import ConsentPage
from .docs import docs_routes
from .limits import Limiter, RateLimitMiddleware, limit_routes
from .oauth import app_routes, oauth_routes
from .pipedrive import render as pipedrive_render
from .pipedrive.dispatch import Dispatcher
from .pipedrive.fieldsapi import field_routes
from .pipedrive.routes import Api, build_routes
from .pipedrive.savedfilters import where_of
from .pipedrive.users import user_routes
from .pipeliner.openapi import pipeliner_document
from .pipeliner.routes import PREFIX as PIPELINER_PREFIX
from .pipeliner.routes import error_response as pipeliner_error
from .pipeliner.routes import pipeliner_routes
from .router import IndexedRouter

_SELECTOR = re.compile(r"^(?P<path>/(?:api/)?v1/[A-Za-z]+(?:/[^/:]+)*):\((?P<fields>[^)]*)\)$")


class FieldSelector:
    """Strips Pipedrive v1's ``:(f1,f2)`` path suffix and hands the keys to the handler."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ":(" in scope["path"]:
            match = _SELECTOR.match(scope["path"])
            if match:
                keys = [k.strip() for k in match.group("fields").split(",") if k.strip()]
                scope = {**scope, "path": match.group("path"), "raw_path":
                         match.group("path").encode(), "pipedrive_fields": keys[:200]}
        await self.app(scope, receive, send)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(PIPELINER_PREFIX + "/"):
        if exc.status_code == 405:
            return pipeliner_error(NotFound("Method not allowed on this resource",
                                            reason=Reason.METHOD_NOT_ALLOWED))
        return pipeliner_error(NotFound("Unknown collection or entity name",
                                        reason=Reason.UNKNOWN_RESOURCE))
    message = {404: "Unknown method .", 405: "Method not allowed"}.get(exc.status_code,
                                                                       str(exc.detail))
    return pipedrive_render.error(message, exc.status_code)


def create_app(settings: Settings, service: Service | None = None) -> Starlette:
    """The ASGI app over ``service`` (by default a new one for ``settings``, which the app
    then owns: it closes it when it shuts down, checkpointing SQLite's WAL)."""
    owned = service is None
    service = service or Service(settings)
    api = Api(settings, service)
    routes = [*health_routes(service), *user_routes(api), *field_routes(api), *build_routes(api),
              *pipeliner_routes(settings, service), *docs_routes(pipeliner_document)]
    limiter = Limiter(service, routes, settings.redis_url)  # (costs from the route table)
    routes.extend(limit_routes(api, limiter))
    consent = ConsentPage(service, limiter)
    routes.extend([*consent.routes(), *oauth_routes(service), *app_routes(api)])
    routes.extend(web_routes(service, limiter, where_of))  # the web app (its own paths)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        dispatcher = dispatcher_for(service, settings) if settings.webhook_dispatcher else None
        if dispatcher is not None:  # (a thread: its work never runs on the event loop)
            dispatcher.start()
        yield
        if dispatcher is not None:
            await anyio.to_thread.run_sync(dispatcher.stop)
        await limiter.counters.close()
        if owned:
            await anyio.to_thread.run_sync(service.close)

    app = Starlette(exception_handlers={HTTPException: _http_error})
    app.router = IndexedRouter(routes=routes, lifespan=lifespan)
    app.state.service = service
    app.state.rate_limits = limiter
    app.state.oauth_consent = consent
    app.add_middleware(RateLimitMiddleware, limiter=limiter)  # (inside FieldSelector)
    app.add_middleware(FieldSelector)
    return app


HEALTH_PATHS = ("/healthz", "/readyz")


def health_routes(service: Service) -> list[Route]:
    """``GET /healthz``: the process answers. ``GET /readyz``: the database answers and
    its schema is the newest migration (503 otherwise). No sign-in: they reveal nothing."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            version = await anyio.to_thread.run_sync(_schema_version, service)
        except Exception as exc:  # any failure to answer is "not ready", never a 500
            return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, 503)
        if version != _head():
            return JSONResponse({"status": "unavailable", "reason": "database not migrated"},
                                503)
        return JSONResponse({"status": "ok"})

    health, ready = HEALTH_PATHS
    return [Route(health, healthz, methods=["GET"]), Route(ready, readyz, methods=["GET"])]


def _schema_version(service: Service) -> str | None:
    with service.database.tx() as tx:
        version: str | None = tx.scalar("SELECT version_num FROM alembic_version")
        return version


@cache
def _head() -> str | None:
    """The newest migration this dealbase ships."""
    from importlib import resources

    from alembic.script import ScriptDirectory

    location = str(resources.files("dealbase.store") / "migrations")
    return ScriptDirectory(location).get_current_head()


def dispatcher_for(service: Service, settings: Settings) -> Dispatcher:
    """The webhook dispatcher over ``service`` (``dealbase serve`` runs one in a thread
    unless DEALBASE_WEBHOOK_DISPATCHER is off; ``dealbase worker`` runs one alone)."""
    return Dispatcher(service, settings)


def service_of(app: Any) -> Service:
    """The records service an app was built over."""
    service: Service = app.state.service
    return service
