"""The API documents and the page that renders them, served without authentication.

* ``GET /api/v1/openapi.json``, ``GET /api/v2/openapi.json``: the Pipedrive operations
  dealbase routes, as Pipedrive's own spec describes them. Generated at build time by
  ``scripts/openapi.py`` from the vendored specs and committed beside this module (the
  server reads nothing outside its package); a test fails when they drift.
* ``GET /api/pipeliner/openapi.json``: the Pipeliner collections, built on first request
  by the dialect itself (``api/pipeliner/openapi.py``; the app hands it over, so this
  module knows no dialect). (Not under ``/rest_services/v1/``, where every first segment
  is a space id.)
* ``GET /docs``: a page rendering any of them; its script and style sheet are files of
  this package (``/docs/docs.js``, ``/docs/docs.css``): no CDN, works offline.
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Callable
from importlib.resources import files

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

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


def _compressed(data: Callable[[], bytes]) -> Callable[[bool], bytes]:
    """What a path serves, made once (and compressed once when asked: the Pipedrive
    documents are a megabyte of JSON, a tenth of it gzipped)."""
    @functools.cache
    def content(gzipped: bool) -> bytes:
        raw = data()
        return gzip.compress(raw, mtime=0) if gzipped else raw
    return content


def _serve(path: str, media_type: str, data: Callable[[], bytes]) -> Route:
    content = _compressed(data)

    async def endpoint(request: Request) -> Response:
        gzipped = "gzip" in request.headers.get("accept-encoding", "").lower()
        headers = {**HEADERS, "Vary": "Accept-Encoding",
                   **({"Content-Encoding": "gzip"} if gzipped else {})}
        return Response(content(gzipped), media_type=media_type, headers=headers)
    return Route(path, endpoint, methods=["GET"])


def docs_routes(pipeliner_document: Callable[[], object]) -> list[BaseRoute]:
    """The documents and the page; ``pipeliner_document``: the Pipeliner dialect's own
    description of itself (built on the first request for it)."""
    return [*(_serve(path, media_type, functools.partial(packaged, name))
              for path, (name, media_type) in FILES.items()),
            _serve(PIPELINER_PATH, JSON, lambda: orjson.dumps(pipeliner_document()))]


__all__ = ["DOCUMENT_PATHS", "FILES", "PIPELINER_PATH", "docs_routes", "packaged"]
