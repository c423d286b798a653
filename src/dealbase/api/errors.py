"""The one table from error code to HTTP status."""

from __future__ import annotations

from ..domain.errors import (
    Conflict,
    DealbaseError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    ValidationError,
)

STATUS: dict[type[DealbaseError], int] = {
    ValidationError: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
}


def status_of(error: DealbaseError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500
