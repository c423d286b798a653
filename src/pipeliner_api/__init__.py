"""A small client for the Pipeliner REST API v1 (and servers that speak it, such as dealbase).

The method names follow Pipeliner's official SDK family, hence camelCase. Everything
goes to ``{service_url}/rest_services/v1/{teamPipeline}/…`` with HTTP Basic credentials
(the space's API token and password). Any answer outside 200–399, a body that is not
JSON and a server that does not answer all raise :class:`HTTPErrorException`.

Calls are retried (``max_retries``, 2 by default) with jittered exponential backoff, or after
the wait the server asks for (``Retry-After``, ``x-ratelimit-reset``): reads, ``PUT`` and
``DELETE`` after a 429, a 500/502/503/504 or a connection that failed; writes by ``POST`` and
``PATCH`` only after a 429 or a refused connection (the request did nothing), never after a
5xx or a timeout, which may have come after the write — the policy of ``dealbase.client``
(its ``Retry``), shared; the calls themselves use the standard library::

    api = PipelinerRestApi("https://eu.pipelinersales.com")
    api.setCredentials(token, password)
    contacts = api.getEntities(space, "Contacts", {"filter": {"SURNAME": ("Sm", "ll")}, "limit": 10})
    for contact in api.iterEntities(space, "Contacts", {"sort": "SURNAME"}):  # every page
        ...
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from dealbase.client._retry import IDEMPOTENT, RETRY_STATUSES, Retry

FLAG_ROLLBACK_ON_ERROR = 0
FLAG_IGNORE_ON_ERROR = 1
FLAG_INSERT_ON_UPDATE = 2
FLAG_GET_NO_DELETED_ID = 4
FLAG_IGNORE_AND_RETURN_ERRORS = 8
FLAG_VALIDATE_ONLY_UPDATED_FIELDS = 256
FLAG_IGNORE_READONLY = 512

OPERATORS = ("eq", "ne", "gt", "lt", "ge", "le", "ll", "rl", "fl", "in")
USER_AGENT = "Pipeliner_Python_API_Client/1.0"
Query = str | Mapping[str, Any] | None
"""A query: a raw string sent as is after ``?``, or a dict of parameters (see ``encode_query``)."""

_T = TypeVar("_T")
_Id = TypeVar("_Id", bound=str | int)
_RANGE = re.compile(r"items\s+(-?\d+)-(-?\d+)/(\d+)")
_NO_BODY = object()
_POLICY = Retry()  # its waits: this client keeps its own count of retries and its clock


def new_id() -> str:
    """A fresh Pipeliner id; clients may pick the id of an entity they create."""
    return "PY-7FFFFFFF-" + str(uuid.uuid4()).upper()


class HTTPErrorException(Exception):
    """A failed call: ``CODE`` is the HTTP status (408 when nothing answered, 500 for a
    success body that is not JSON), ``MESSAGE`` the server's message (or its raw body) and
    ``ERRORCODE`` the server's numeric error code, if it sent one."""

    def __init__(self, code: int, message: str, errorcode: int | None = None) -> None:
        super().__init__(code, message, errorcode)
        self.CODE = self.code = code
        self.MESSAGE = self.message = message
        self.ERRORCODE = self.errorcode = errorcode

    def __str__(self) -> str:
        suffix = "" if self.ERRORCODE is None else f" (errorcode {self.ERRORCODE})"
        return f"HTTP {self.CODE}: {self.MESSAGE}{suffix}"


class Page(NamedTuple):
    """One page of a list: its items and the ``Content-Range`` (0-based, inclusive ``end``)."""

    items: list[dict[str, Any]]
    start: int
    end: int
    total: int


def _timestamp(value: dt.datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return _timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def escape(value: Any) -> str:
    """A filter value as text, with ``|``, ``:`` and ``\\`` escaped by a backslash."""
    return "".join("\\" + c if c in "|:\\" else c for c in _text(value))


def encode_filter(conditions: Mapping[str, Any]) -> str:
    """``{FIELD: value}`` (eq) or ``{FIELD: (value, op)}`` as ``FIELD::value::op|…``; the
    value of ``in`` is a list whose items are joined by ``:``."""
    phrases = []
    for field, condition in conditions.items():
        value, op = condition if isinstance(condition, tuple | list) else (condition, "eq")
        if op not in OPERATORS:
            raise ValueError(f"unknown filter operator {op!r} for {field}")
        if op == "in":
            if isinstance(value, str) or not isinstance(value, Sequence):
                raise ValueError(f"the value of an 'in' filter on {field} must be a list")
            text = ":".join(escape(item) for item in value)
        else:
            text = escape(value)
        phrases.append(f"{field}::{text}" if op == "eq" else f"{field}::{text}::{op}")
    return "|".join(phrases)


def encode_query(query: Query) -> str:
    """The query string of ``query``: a string verbatim; a dict's ``filter`` via
    ``encode_filter`` (unless a string), lists (``sort``, ``loadonly``) joined by ``|``,
    datetimes (``after``) as UTC ``YYYY-MM-DD HH:MM:SS``; ``None`` values are left out."""
    if query is None or isinstance(query, str):
        return query or ""
    params: dict[str, str] = {}
    for key, value in query.items():
        if value is None:
            continue
        if key == "filter" and isinstance(value, Mapping):
            params[key] = encode_filter(value)
        elif isinstance(value, list | tuple):
            params[key] = "|".join(_text(v) for v in value)
        else:
            params[key] = _text(value)
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def _shaped(value: Any, kind: type[_T]) -> _T:
    if not isinstance(value, kind):
        raise HTTPErrorException(500, "wrong data in response")
    return value


class PipelinerRestApi:
    """A client for one server; ``teamPipeline`` (the space id) is passed to every call."""

    FLAG_ROLLBACK_ON_ERROR = FLAG_ROLLBACK_ON_ERROR
    FLAG_IGNORE_ON_ERROR = FLAG_IGNORE_ON_ERROR
    FLAG_INSERT_ON_UPDATE = FLAG_INSERT_ON_UPDATE
    FLAG_GET_NO_DELETED_ID = FLAG_GET_NO_DELETED_ID
    FLAG_IGNORE_AND_RETURN_ERRORS = FLAG_IGNORE_AND_RETURN_ERRORS
    FLAG_VALIDATE_ONLY_UPDATED_FIELDS = FLAG_VALIDATE_ONLY_UPDATED_FIELDS
    FLAG_IGNORE_READONLY = FLAG_IGNORE_READONLY

    def __init__(self, service_url: str, timeout: float = 30, max_retries: int = 2,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.service_url = service_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.sleep = sleep  # (tests pass a clock of their own)
        self._authorization: str | None = None

    def setCredentials(self, username: str, password: str) -> None:
        """Use HTTP Basic: the username is the API token, the password the API password."""
        pair = f"{username}:{password}".encode()
        self._authorization = "Basic " + base64.b64encode(pair).decode("ascii")

    # ---- transport ----------------------------------------------------------------------

    def _url(self, teamPipeline: str, *segments: str, query: Query = None) -> str:
        parts = [self.service_url, "rest_services", "v1", teamPipeline, *segments]
        url = "/".join(urllib.parse.quote(p, safe="") if i else p for i, p in enumerate(parts))
        encoded = encode_query(query)
        return f"{url}?{encoded}" if encoded else url

    def _wait(self, attempt: int, headers: http.client.HTTPMessage | None = None) -> float | None:
        """Seconds before retry ``attempt`` (0-based): the policy of ``dealbase.client``
        (what the server asked for, else jittered exponential backoff); ``None`` when the
        server asks for too long."""
        return _POLICY.delay(attempt, headers)

    def _send(self, request: urllib.request.Request) -> tuple[int, bytes, http.client.HTTPMessage]:
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as error:  # a status of 400 or more: still an answer
            response = error
        with response:
            return response.status, response.read(), response.headers

    def _call(self, method: str, url: str, body: Any = _NO_BODY) -> tuple[Any, http.client.HTTPMessage]:
        """Send one request (retried as the module says); the decoded JSON answer and the
        response headers. ``body`` is sent as JSON; a ``str`` is sent as it is (JSON text)."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self._authorization:
            headers["Authorization"] = self._authorization
        data = None
        if body is not _NO_BODY:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        safe = method in IDEMPOTENT
        attempt = 0
        while True:
            try:
                status, raw, reply_headers = self._send(request)
            except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
                reason = getattr(error, "reason", error)
                unsent = isinstance(reason, ConnectionRefusedError)  # nothing reached the server
                wait = self._wait(attempt) if (safe or unsent) and attempt < self.max_retries else None
                if wait is None:
                    raise HTTPErrorException(408, "no response") from None
            else:
                retried = status in RETRY_STATUSES and (safe or status == 429)
                wait = self._wait(attempt, reply_headers) if retried and attempt < self.max_retries else None
                if wait is None:
                    break
            self.sleep(wait)
            attempt += 1
        text = raw.decode("utf-8", errors="replace")
        if not 200 <= status < 400:
            raise self._error(status, text)
        if not text.strip():
            return None, reply_headers
        try:
            return json.loads(text), reply_headers
        except ValueError:
            raise HTTPErrorException(500, "wrong data in response") from None

    @staticmethod
    def _error(status: int, text: str) -> HTTPErrorException:
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if isinstance(body, dict) and "message" in body:
            code = body.get("errorcode")
            code = code if isinstance(code, int) and not isinstance(code, bool) else None
            return HTTPErrorException(status, str(body["message"]), code)
        return HTTPErrorException(status, text)

    # ---- reading ------------------------------------------------------------------------

    def getEntitiesPage(self, teamPipeline: str, entityName: str, query: Query = None) -> Page:
        """One page of a collection with the numbers of its ``Content-Range`` header."""
        body, headers = self._call("GET", self._url(teamPipeline, entityName, query=query))
        items: list[dict[str, Any]] = _shaped(body, list)
        match = _RANGE.search(headers.get("Content-Range") or "")
        if match is None:
            return Page(items, 0, len(items) - 1, len(items))
        start, end, total = (int(g) for g in match.groups())
        return Page(items, start, end, total)

    def getEntities(self, teamPipeline: str, entityName: str, query: Query = None) -> list[dict[str, Any]]:
        """The entities of a collection, e.g. ``{"limit": 5, "filter": {"FIRST_NAME": "Todd"}}``."""
        return self.getEntitiesPage(teamPipeline, entityName, query).items

    def iterEntitiesPages(self, teamPipeline: str, entityName: str, query: Query = None) -> Iterator[Page]:
        """Every page of a collection, from the query's ``offset`` (0) in pages of its
        ``limit`` (the server's default), each asked for when the one before is used up;
        it ends at the ``Content-Range`` total."""
        if isinstance(query, str):
            params: dict[str, Any] = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        else:
            params = dict(query or {})
        offset = int(params.get("offset") or 0)
        while True:
            page = self.getEntitiesPage(teamPipeline, entityName, {**params, "offset": offset})
            yield page
            offset = page.end + 1
            if not page.items or offset >= page.total:
                return

    def iterEntities(self, teamPipeline: str, entityName: str, query: Query = None) -> Iterator[dict[str, Any]]:
        """Every entity of a collection that ``query`` selects, across all pages
        (``iterEntitiesPages``); sort by a unique key when the data may change meanwhile."""
        for page in self.iterEntitiesPages(teamPipeline, entityName, query):
            yield from page.items

    def getEntity(self, teamPipeline: str, entityName: str, id: str | int) -> dict[str, Any]:
        """One entity by its id (deleted ones too, with ``IS_DELETED`` set)."""
        body, _ = self._call("GET", self._url(teamPipeline, entityName, str(id)))
        return _shaped(body, dict)

    def getEntityPublic(self, teamPipeline: str) -> dict[str, str]:
        """Collection name → entity name."""
        body, _ = self._call("GET", self._url(teamPipeline, "entityPublic"))
        return _shaped(body, dict)

    def getCollections(self, teamPipeline: str) -> list[str]:
        """The collection names of the space (its root)."""
        body, _ = self._call("GET", self._url(teamPipeline))
        return _shaped(body, list)

    def getErrorCodes(self, teamPipeline: str) -> dict[int, str]:
        """Error code → description."""
        body, _ = self._call("GET", self._url(teamPipeline, "errorCodes"))
        try:
            return {int(code): str(text) for code, text in _shaped(body, dict).items()}
        except ValueError:
            raise HTTPErrorException(500, "wrong data in response") from None

    def getFields(self, teamPipeline: str, entityName: str, query: Query = None) -> list[dict[str, Any]]:
        """The field descriptors of an entity, e.g. ``{"filter": {"CUSTOM": True}}``."""
        body, _ = self._call("GET", self._url(teamPipeline, "getFields", entityName, query=query))
        return _shaped(body, list)

    def getServerAPIUtcDateTime(self, teamPipeline: str) -> str:
        """The server's current UTC date and time as the string it sends
        (``YYYY-MM-DD HH:MM:SS``), as seed 001 describes."""
        body, _ = self._call("GET", self._url(teamPipeline, "serverAPIUtcDateTime"))
        return _shaped(body, str)

    def getTeamPipelineUrl(self, teamPipeline: str) -> str:
        """The URL the server knows itself by."""
        body, _ = self._call("GET", self._url(teamPipeline, "teamPipelineUrl"))
        return _shaped(body, str)

    # ---- writing ------------------------------------------------------------------------

    def setEntity(self, teamPipeline: str, entityName: str, data: Mapping[str, Any] | str) -> str | int:
        """Create an entity, or update it partially when ``data`` has an existing ``ID``;
        its id either way (an int for Clients and SalesUnits). ``data`` is a dict or, as
        seed 001 allows, a string: the entity as JSON text, sent as it is."""
        payload = data if isinstance(data, str) else dict(data)
        body, headers = self._call("POST", self._url(teamPipeline, entityName), payload)
        entity = body if isinstance(body, dict) else {}
        found = entity.get("ID")
        if found is None:
            location = (headers.get("Location") or "").rstrip("/")
            found = urllib.parse.unquote(location.rsplit("/", 1)[-1]) if location else None
            if isinstance(found, str) and found.isdigit():
                found = int(found)
        if not isinstance(found, str | int) or isinstance(found, bool):
            raise HTTPErrorException(500, "wrong data in response")
        return found

    def updateEntity(self, teamPipeline: str, entityName: str, id: str | int,
                     data: Mapping[str, Any]) -> dict[str, Any]:
        """Change some keys of one entity; the whole entity afterwards."""
        body, _ = self._call("PATCH", self._url(teamPipeline, entityName, str(id)), dict(data))
        return _shaped(body, dict)

    def setEntities(self, teamPipeline: str, entity: str, data: Sequence[Mapping[str, Any]],
                    flag: int = FLAG_ROLLBACK_ON_ERROR) -> list[Any]:
        """Create or update many entities in one call; one result (id, null or error) per item."""
        query = {"entityName": entity, "flag": flag}
        body, _ = self._call("POST", self._url(teamPipeline, "setEntities", query=query),
                             [dict(item) for item in data])
        return _shaped(body, list)

    def deleteEntity(self, teamPipeline: str, entityName: str, id: _Id) -> _Id:
        """Delete one entity; returns the id it was given."""
        self._call("DELETE", self._url(teamPipeline, entityName, str(id)))
        return id

    def deleteEntities(self, teamPipeline: str, entity: str, data: Sequence[str | int],
                       flag: int = FLAG_ROLLBACK_ON_ERROR) -> list[Any]:
        """Delete many entities by id; what comes back depends on ``flag``."""
        query = {"entityName": entity, "flag": flag}
        body, _ = self._call("POST", self._url(teamPipeline, "deleteEntities", query=query), list(data))
        return _shaped(body, list)


__all__ = [
    "FLAG_GET_NO_DELETED_ID",
    "FLAG_IGNORE_AND_RETURN_ERRORS",
    "FLAG_IGNORE_ON_ERROR",
    "FLAG_IGNORE_READONLY",
    "FLAG_INSERT_ON_UPDATE",
    "FLAG_ROLLBACK_ON_ERROR",
    "FLAG_VALIDATE_ONLY_UPDATED_FIELDS",
    "HTTPErrorException",
    "Page",
    "PipelinerRestApi",
    "Query",
    "encode_filter",
    "encode_query",
    "escape",
    "new_id",
]
