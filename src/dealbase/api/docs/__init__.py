"""The API documents and the page that renders them, served without authentication.

* ``GET /api/v1/openapi.json``, ``GET /api/v2/openapi.json``: the Pipedrive operations
  dealbase routes, as Pipedrive's own spec describes them. Generated at build time by
  ``scripts/openapi.py`` from the vendored specs and committed beside this module (the
  server reads nothing outside its package); a test fails when they drift.
* ``GET /api/pipeliner/openapi.json``: the Pipeliner collections, built at start-up from
  their declarations (``pipeliner_document``). (Not under ``/rest_services/v1/``, where
  every first segment is a space id.)
* ``GET /docs``: a page rendering any of them; its script and style sheet are files of
  this package (``/docs/docs.js``, ``/docs/docs.css``): no CDN, works offline.
"""

from __future__ import annotations

import functools
import gzip
from importlib.resources import files

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .pipeliner import pipeliner_document

JSON = "application/json"
# path -> (packaged file, media type)
FILES = {
    "/api/v1/openapi.json": ("openapi-v1.json", JSON),
    "/api/v2/openapi.json": ("openapi-v2.json", JSON),
    "/docs": ("index.html", "text/html; charset=utf-8"),
    "/docs/docs.js": ("docs.js", "text/javascript; charset=utf-8"),
    "/docs/docs.css": ("docs.css", "text/css; charset=utf-8"),
}
PIPELINER_PATH = "/api/pipeliner/openapi.json"
# Every path served here: none of them is an operation of a vendor's API.
DOCUMENT_PATHS = frozenset({*FILES, PIPELINER_PATH})
HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


@functools.cache
def packaged(name: str) -> bytes:
    """A file shipped in this package, read once."""
    return files(__package__).joinpath(name).read_bytes()


@functools.cache
def _content(path: str, gzipped: bool) -> bytes:
    """What ``path`` serves (compressed once when asked: the Pipedrive documents are a
    megabyte of JSON, a tenth of it gzipped)."""
    data = (orjson.dumps(pipeliner_document()) if path == PIPELINER_PATH
            else packaged(FILES[path][0]))
    return gzip.compress(data, mtime=0) if gzipped else data


def _serve(path: str, media_type: str) -> Route:
    async def endpoint(request: Request) -> Response:
        gzipped = "gzip" in request.headers.get("accept-encoding", "").lower()
        headers = {**HEADERS, "Vary": "Accept-Encoding",
                   **({"Content-Encoding": "gzip"} if gzipped else {})}
        return Response(_content(path, gzipped), media_type=media_type, headers=headers)
    return Route(path, endpoint, methods=["GET"])


def docs_routes() -> list[BaseRoute]:
    return [*(_serve(path, media_type) for path, (_, media_type) in FILES.items()),
            _serve(PIPELINER_PATH, JSON)]


__all__ = ["DOCUMENT_PATHS", "FILES", "PIPELINER_PATH", "docs_routes", "packaged",
           "pipeliner_document"]
