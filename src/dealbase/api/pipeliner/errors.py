"""The Pipeliner dialect's error codes: one table, served by ``/errorCodes``.

Every error body is ``{"errorcode": <code>, "message": <text>}``; batch calls with
flag 8 put the same object in place of each failed item. Codes are our own (the
vendor never published its table); the HTTP status of each is fixed here, and so is
the code of every machine reason an error can carry (``CODE_OF``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...domain.errors import DealbaseError, Reason


@dataclass(frozen=True)
class Code:
    code: int
    status: int
    text: str


CODES: tuple[Code, ...] = (
    Code(301, 401, "Authentication required: HTTP Basic with the space's API token and password"),
    Code(302, 403, "Not allowed for these credentials"),
    Code(400, 400, "Invalid request"),
    Code(401, 400, "Malformed JSON body"),
    Code(402, 400, "Unknown field"),
    Code(403, 400, "Invalid field value"),
    Code(404, 400, "Required field missing"),
    Code(405, 400, "Read-only field"),
    Code(406, 400, "Related entity not found"),
    Code(410, 400, "Invalid query parameter"),
    Code(411, 400, "Invalid filter"),
    Code(412, 400, "Invalid sort"),
    Code(420, 404, "Entity not found"),
    Code(421, 404, "Unknown collection or entity name"),
    Code(422, 405, "Method not allowed on this resource"),
    Code(430, 409, "An entity with this ID already exists"),
    Code(431, 409, "The request conflicts with the entity's current state"),
    Code(440, 413, "Request body too large"),
    Code(500, 500, "Internal server error"),
)
BY_CODE = {c.code: c for c in CODES}

# The dialect's one table from an error's reason to its code.
CODE_OF: dict[Reason, int] = {
    Reason.UNAUTHENTICATED: 301, Reason.FORBIDDEN: 302, Reason.MALFORMED: 401,
    Reason.UNKNOWN_FIELD: 402, Reason.INVALID: 403, Reason.REQUIRED: 404,
    Reason.READ_ONLY: 405, Reason.MISSING_RELATED: 406, Reason.BAD_PARAMETER: 410,
    Reason.BAD_FILTER: 411, Reason.BAD_SORT: 412, Reason.NOT_FOUND: 420,
    Reason.UNKNOWN_RESOURCE: 421, Reason.METHOD_NOT_ALLOWED: 422, Reason.DUPLICATE: 430,
    Reason.CONFLICT: 431, Reason.TOO_LARGE: 440, Reason.INTERNAL: 500,
}


def code_of(error: Exception) -> Code:
    reason = error.reason if isinstance(error, DealbaseError) else Reason.INTERNAL
    return BY_CODE[CODE_OF[reason]]


def body(error: Exception) -> dict[str, object]:
    code = code_of(error)
    message = error.message if isinstance(error, DealbaseError) else code.text
    return {"errorcode": code.code, "message": message}


__all__ = ["BY_CODE", "CODES", "CODE_OF", "Code", "body", "code_of"]
