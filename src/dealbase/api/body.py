"""Request bodies and query strings for every dialect: bodies read with a size cap and
parsed with orjson, query strings parsed once per request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

import orjson
from starlette.requests import Request

from ..domain.errors import PayloadTooLarge, Reason, invalid
from ..domain.types import parse_int


async def read_capped(request: Request, limit: int) -> bytes:
    """The raw body; PayloadTooLarge as soon as it is known to exceed ``limit`` bytes."""
    declared = parse_int(request.headers.get("content-length"), 0)
    if declared is not None and declared > limit:
        raise PayloadTooLarge(f"Request body is larger than {limit} bytes")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes")
    return bytes(raw)


def query_params(request: Request) -> Mapping[str, str]:
    """The query string as a mapping (the last of repeated names wins, as in Starlette's
    ``QueryParams.get``; blank values are kept), parsed once and kept in the scope."""
    scope = request.scope
    found: dict[str, str] | None = scope.get("dealbase.query")
    if found is None:
        found = {}
        raw = scope.get("query_string", b"").decode("latin-1")
        for part in raw.split("&") if raw else ():
            if not part:
                continue
            key, _, value = part.partition("=")
            if "%" in key or "+" in key:
                key = unquote_plus(key)
            if "%" in value or "+" in value:
                value = unquote_plus(value)
            found[key] = value
        scope["dealbase.query"] = found
    return found


def json_body(raw: bytes, limit: int, empty: Any = None) -> Any:
    """Parsed JSON; ``empty`` for a blank body; ValidationError(field "body") if malformed."""
    if len(raw) > limit:
        raise PayloadTooLarge(f"Request body is larger than {limit} bytes")
    if not raw.strip():
        return {} if empty is None else empty
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise invalid("body", "Malformed JSON in request body", Reason.MALFORMED) from None


__all__ = ["json_body", "query_params", "read_capped"]
