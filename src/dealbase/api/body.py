"""Request bodies for every dialect: read with a size cap, parse JSON with orjson."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from ..domain.errors import PayloadTooLarge, Problem, ValidationError


async def read_capped(request: Request, limit: int) -> bytes:
    """The raw body; PayloadTooLarge as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Request body is larger than {limit} bytes")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes")
    return bytes(raw)


def json_body(raw: bytes, limit: int, empty: Any = None) -> Any:
    """Parsed JSON; ``empty`` for a blank body; ValidationError(field "body") if malformed."""
    if len(raw) > limit:
        raise PayloadTooLarge(f"Request body is larger than {limit} bytes")
    if not raw.strip():
        return {} if empty is None else empty
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ValidationError("body: Malformed JSON in request body",
                              (Problem("body", "Malformed JSON in request body"),)) from None


__all__ = ["json_body", "read_capped"]
