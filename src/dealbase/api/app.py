"""create_app(settings): builds the database, services and routes; nothing at import time."""

from __future__ import annotations

import re
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..accounts import Accounts
from ..fields import CustomFields
from ..service import Records
from ..settings import Settings
from ..store.database import Database
from .pipedrive import render as pipedrive_render
from .pipedrive.fieldsapi import field_routes
from .pipedrive.routes import Api, build_routes
from .pipedrive.users import user_routes
from .pipeliner.errors import BY_CODE, PipelinerError
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
        code = 422 if exc.status_code == 405 else 421
        return pipeliner_error(PipelinerError(code, BY_CODE[code].text))
    message = {404: "Unknown method .", 405: "Method not allowed"}.get(exc.status_code,
                                                                       str(exc.detail))
    return pipedrive_render.error(message, exc.status_code)


def create_app(settings: Settings, database: Database | None = None,
               records: Records | None = None) -> Starlette:
    """The ASGI app. ``database`` and ``records`` let a caller share or specialise them."""
    db = records.db if records is not None else (
        database or Database(settings.database_url, pool_size=settings.pool_size))
    records = records or Records(db)
    accounts = Accounts(records)
    api = Api(settings, records, accounts, CustomFields(accounts))
    routes = [*user_routes(api), *field_routes(api), *build_routes(api), *pipeliner_routes(api)]
    app = Starlette(exception_handlers={HTTPException: _http_error})
    app.router = IndexedRouter(routes=routes)
    app.state.db = db
    app.state.api = api
    app.add_middleware(FieldSelector)
    return app


def services(app: Any) -> Api:
    api: Api = app.state.api
    return api
