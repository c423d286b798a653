"""The one error tree of dealbase.

    DealbaseError
     ├── ValidationError   bad input: shape, type, unknown field, rule broken
     ├── NotFound          no such record (or one the caller may not see)
     ├── Conflict          uniqueness or state conflict
     ├── Forbidden         authenticated, but not allowed
     ├── Unauthenticated   no or bad credentials
     └── PayloadTooLarge   body over the configured cap

Every error carries a machine ``reason`` (a ``Reason``), set where it is raised: a
ValidationError takes the reason of its first problem, the others a reason of their
class unless told otherwise. Each dialect turns a reason into its own HTTP status and
error code in one table of its own (``dealbase.api.errors``, the Pipeliner error
table); no code ever looks at an error's English text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    """Why a request was refused, in words no dialect owns."""

    INVALID = "invalid"  # a value of the wrong type, range or form
    UNKNOWN_FIELD = "unknown_field"  # a key the entity does not have
    READ_ONLY = "read_only"  # a key that cannot be written
    REQUIRED = "required"  # a value that must be given is missing
    MISSING_RELATED = "missing_related"  # a referenced record does not exist
    MALFORMED = "malformed"  # the body is not JSON, or not of the expected shape
    BAD_PARAMETER = "bad_parameter"  # a query or path parameter
    BAD_FILTER = "bad_filter"
    BAD_SORT = "bad_sort"
    NOT_FOUND = "not_found"  # no such record
    UNKNOWN_RESOURCE = "unknown_resource"  # no such route, collection or entity
    METHOD_NOT_ALLOWED = "method_not_allowed"
    DUPLICATE = "duplicate"  # an id or key that is already taken
    CONFLICT = "conflict"  # any other state conflict
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    TOO_LARGE = "too_large"
    INTERNAL = "internal"  # not raised: what a dialect calls an unexpected failure


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: the canonical field (or parameter), why, and the
    machine reason."""

    field: str | None
    message: str
    reason: Reason = Reason.INVALID


class DealbaseError(Exception):
    default_reason = Reason.INVALID

    def __init__(self, message: str, problems: tuple[Problem, ...] = (),
                 reason: Reason | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems
        if reason is None:
            reason = problems[0].reason if problems else self.default_reason
        self.reason = reason


class ValidationError(DealbaseError):
    default_reason = Reason.INVALID


class NotFound(DealbaseError):
    default_reason = Reason.NOT_FOUND


class Conflict(DealbaseError):
    default_reason = Reason.CONFLICT


class Forbidden(DealbaseError):
    default_reason = Reason.FORBIDDEN


class Unauthenticated(DealbaseError):
    default_reason = Reason.UNAUTHENTICATED


class PayloadTooLarge(DealbaseError):
    default_reason = Reason.TOO_LARGE


def invalid(field: str | None, message: str, reason: Reason = Reason.INVALID, *,
            text: str | None = None) -> ValidationError:
    """A ValidationError with one problem. Its message is ``text`` if given, else
    ``field: message`` (or ``message`` alone without a field)."""
    if text is None:
        text = f"{field}: {message}" if field else message
    return ValidationError(text, (Problem(field, message, reason),))


def combined(problems: list[Problem] | tuple[Problem, ...]) -> ValidationError:
    """One ValidationError for several problems (its reason: the first problem's)."""
    return ValidationError(
        "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems),
        tuple(problems))


__all__ = ["Conflict", "DealbaseError", "Forbidden", "NotFound", "PayloadTooLarge", "Problem",
           "Reason", "Unauthenticated", "ValidationError", "combined", "invalid"]
