"""Pipedrive envelopes, error bodies, pagination blocks and value formats."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from starlette.responses import Response

from ...domain.errors import DealbaseError, Reason

ERROR_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."

# The dialect's one table from an error's reason to its HTTP status.
STATUS: dict[Reason, int] = {
    Reason.INVALID: 400, Reason.UNKNOWN_FIELD: 400, Reason.READ_ONLY: 400,
    Reason.REQUIRED: 400, Reason.MISSING_RELATED: 400, Reason.MALFORMED: 400,
    Reason.BAD_PARAMETER: 400, Reason.BAD_FILTER: 400, Reason.BAD_SORT: 400,
    Reason.UNAUTHENTICATED: 401, Reason.FORBIDDEN: 403, Reason.NOT_FOUND: 404,
    Reason.UNKNOWN_RESOURCE: 404, Reason.METHOD_NOT_ALLOWED: 405, Reason.DUPLICATE: 409,
    Reason.CONFLICT: 409, Reason.TOO_LARGE: 413, Reason.INTERNAL: 500,
}


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


# ---- value formats: the one place each is spelled (compiled views call these) ------------

def v1_time(value: dt.datetime | None) -> str | None:
    """``YYYY-MM-DD HH:MM:SS``."""
    return None if value is None else value.isoformat(" ", "seconds")


def v2_time(value: dt.datetime | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SSZ``."""
    return None if value is None else value.isoformat("T", "seconds") + "Z"


def day(value: dt.date | str | None) -> str | None:
    """``YYYY-MM-DD``."""
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def clock(value: str | None) -> str | None:
    """A time of day ``HH:MM:SS`` as ``HH:MM``."""
    return None if value is None else value[:5]


def hours_minutes(minutes: int | None) -> str | None:
    """A duration in minutes as ``HH:MM``."""
    return None if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"


def as_text(value: Any) -> str | None:
    """v1's string form of a number (``visible_to``, enum option ids)."""
    return None if value is None else str(value)


def id_csv(value: list[int] | None) -> str | None:
    """v1's comma-joined ids (set options, deal labels)."""
    return None if value is None else ",".join(str(v) for v in value)


def success(data: Any, status: int = 200, additional_data: Any = None,
            related_objects: Any = None) -> JSON:
    body: dict[str, Any] = {"success": True, "data": data}
    if additional_data is not None:
        body["additional_data"] = additional_data
    if related_objects is not None:
        body["related_objects"] = related_objects
    return JSON(body, status_code=status)


def error_body(message: str, status: int) -> dict[str, Any]:
    """Pipedrive's error body; ``errorCode`` (the status) is what the Node SDK's callers
    read, since the SDK hands them the body without the status."""
    return {"success": False, "error": message, "errorCode": status, "error_info": ERROR_INFO,
            "data": None, "additional_data": None}


def error(message: str, status: int) -> JSON:
    return JSON(error_body(message, status), status_code=status)


def from_exception(exc: DealbaseError) -> JSON:
    return error(exc.message, STATUS[exc.reason])


def v1_pagination(start: int, limit: int, more: bool, flat: bool = False) -> dict[str, Any]:
    """v1 ``additional_data``: ``{"pagination": block}``, or (``flat``: leads) the block."""
    block: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        block["next_start"] = start + limit
    return block if flat else {"pagination": block}
