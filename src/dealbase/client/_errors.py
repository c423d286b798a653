"""The SDK's error tree: one class per way a call can fail, mirrored from the HTTP status."""

from __future__ import annotations

import builtins
from typing import Any


class DealbaseError(Exception):
    """Every error the SDK raises."""


class APIError(DealbaseError):
    """The server answered with a status outside 2xx.

    ``status`` is the HTTP status, ``error`` the server's message, ``error_code`` its
    ``errorCode`` (Pipedrive sends the status again there), ``body`` the decoded body (or its
    text when it was not JSON) and ``headers`` the response headers.
    """

    def __init__(self, status: int, error: str, *, error_code: Any = None, body: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status, error)
        self.status = status
        self.error = error
        self.error_code = error_code
        self.body = body
        self.headers = headers or {}

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.error}"


class InvalidRequestError(APIError):
    """400 or 422: the request was refused as it stands (a bad value, an unknown field)."""


class AuthenticationError(APIError):
    """401: no token, or a token the server does not know."""


class PermissionDeniedError(APIError):
    """403: the token's user may not do this."""


class NotFoundError(APIError):
    """404: no such record (or route)."""


class ConflictError(APIError):
    """409: the request conflicts with the records as they are."""


class RateLimitError(APIError):
    """429: too many requests; raised once the retries are spent."""


class ServerError(APIError):
    """5xx: the server failed."""


class ConnectionError(DealbaseError, builtins.ConnectionError):
    """The server could not be reached, or the connection broke before an answer came."""


class TimeoutError(DealbaseError, builtins.TimeoutError):
    """No answer within the client's timeout."""


class UnknownCustomFieldError(DealbaseError, LookupError):
    """A custom field named (or keyed) that the entity does not have, or a name two fields share."""


class UnsupportedOperationError(DealbaseError, TypeError):
    """The resource has no such operation in the API version asked for (a programming error)."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: InvalidRequestError, 401: AuthenticationError, 403: PermissionDeniedError,
    404: NotFoundError, 409: ConflictError, 422: InvalidRequestError, 429: RateLimitError,
}


def error_for(status: int, body: Any, headers: dict[str, str]) -> APIError:
    """The error for an answer of ``status`` with the decoded ``body``."""
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else APIError)
    if isinstance(body, dict):
        message = body.get("error") or body.get("message") or f"HTTP {status}"
        code = body.get("errorCode", body.get("code"))
        return kind(status, str(message), error_code=code, body=body, headers=headers)
    text = body if isinstance(body, str) and body.strip() else f"HTTP {status}"
    return kind(status, text, body=body, headers=headers)

