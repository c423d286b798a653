"""The Pipeliner dialect's error codes: one table, served by ``/errorCodes``.

Every error body is ``{"errorcode": <code>, "message": <text>}``; batch calls with
flag 8 put the same object in place of each failed item. Codes are our own (the
vendor never published its table); the HTTP status of each is fixed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...domain.errors import DealbaseError, ValidationError
from ..errors import status_of


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
    Code(440, 413, "Request body too large"),
    Code(450, 400, "Batch item failed"),
    Code(500, 500, "Internal server error"),
)
BY_CODE = {c.code: c for c in CODES}

# The HTTP status of each error class is api.errors.STATUS; here, the code of each status.
_BY_STATUS = {401: 301, 403: 302, 400: 403, 404: 420, 409: 430, 413: 440}
# Which parameter or message tells a ValidationError apart (most specific first).
_BY_PARAM = {"body": 401, "filter": 411, "sort": 412, "loadonly": 410, "limit": 410,
             "offset": 410, "after": 410, "entityName": 421, "flag": 410}
_BY_MESSAGE = (("has no field", 402), ("is required", 404), ("must not be empty", 404),
               ("is read-only", 405), (" not found", 406), ("no ", 406))


class PipelinerError(DealbaseError):
    """An error raised with an explicit code of the table."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.errorcode = code


def code_of(error: Exception) -> Code:
    if isinstance(error, PipelinerError):
        return BY_CODE[error.errorcode]
    if isinstance(error, ValidationError):
        first = error.problems[0] if error.problems else None
        if first is not None and first.field in _BY_PARAM:
            return BY_CODE[_BY_PARAM[first.field]]
        message = first.message if first is not None else error.message
        for needle, code in _BY_MESSAGE:
            if needle in message and (needle != "no " or message.startswith("no ")):
                return BY_CODE[code]
        return BY_CODE[403]
    if isinstance(error, DealbaseError):
        return BY_CODE[_BY_STATUS.get(status_of(error), 500)]
    return BY_CODE[500]


def body(error: Exception) -> dict[str, object]:
    code = code_of(error)
    message = error.message if isinstance(error, DealbaseError) else code.text
    return {"errorcode": code.code, "message": message}


__all__ = ["BY_CODE", "CODES", "Code", "PipelinerError", "body", "code_of"]
