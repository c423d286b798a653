"""The one error tree of dealbase.

    DealbaseError
     ├── ValidationError   bad input: shape, type, unknown field, rule broken
     ├── NotFound          no such record (or one the caller may not see)
     ├── Conflict          uniqueness or state conflict
     ├── Forbidden         authenticated, but not allowed
     ├── Unauthenticated   no or bad credentials
     └── PayloadTooLarge   body over the configured cap

Each class has a machine ``code``. The HTTP status for each code lives in
``dealbase.api.errors`` only; each dialect renders its own error envelope.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: the canonical field (or parameter) and why."""

    field: str | None
    message: str


class DealbaseError(Exception):
    code = "error"

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems


class ValidationError(DealbaseError):
    code = "validation_error"


class NotFound(DealbaseError):
    code = "not_found"


class Conflict(DealbaseError):
    code = "conflict"


class Forbidden(DealbaseError):
    code = "forbidden"


class Unauthenticated(DealbaseError):
    code = "unauthenticated"


class PayloadTooLarge(DealbaseError):
    code = "payload_too_large"
