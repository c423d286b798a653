"""create_app(settings): builds the records service and both dialects' routes; nothing at
import time. This is the composition root: the one place that wires the adapters to the
service."""

from __future__ import annotations

import re
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..domain.errors import NotFound, Reason
from ..service import Service
from ..settings import Settings
from .pipedrive import render as pipedrive_render
from .pipedrive.fieldsapi import field_routes
from .pipedrive.routes import Api, build_routes
from .pipedrive.users import user_routes
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
    """The ASGI app over ``service`` (by default a new one for ``settings``)."""
    service = service or Service(settings)
    api = Api(settings, service)
    routes = [*user_routes(api), *field_routes(api), *build_routes(api),
              *pipeliner_routes(settings, service)]
    app = Starlette(exception_handlers={HTTPException: _http_error})
    app.router = IndexedRouter(routes=routes)
    app.state.service = service
    app.add_middleware(FieldSelector)
    return app


def service_of(app: Any) -> Service:
    """The records service an app was built over."""
    service: Service = app.state.service
    return service
