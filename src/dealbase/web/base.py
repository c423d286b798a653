"""What every page of the web app shares: who is signed in, CSRF, rendering, errors.

The web app is the third thin adapter beside the two dialects: it parses forms and query
strings, calls the records service in-process (``Web.read``/``Web.write`` with the
session's ``Credentials``) and renders Jinja2 templates. Permissions and visibility are
the service's: a session reaches the records as its user, exactly as their API token.

* ``Web.page(handler)``: a GET page; without a live session it redirects to ``/signin``.
* ``Web.action(handler)``: a POST (form or ``fetch``); it needs a live session and the
  session's CSRF token, as the form field ``csrf_token`` or the ``X-CSRF-Token`` header,
  else 403 and nothing changes.
* Errors of the records service become an error page (or, for a ``fetch`` that accepts
  JSON, ``{"error": message, "field": name}``) with the status the reason implies.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, urlencode

import jinja2
import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ..domain.errors import DealbaseError, NotFound, Reason, Unauthenticated, invalid
from ..domain.types import parse_int
from ..service import Credentials, Service, Unit

T = TypeVar("T")
COOKIE = "dealbase_session"
MAX_FORM = 64 * 1024  # bytes of a form or JSON body the web app reads
STATUS = {Reason.NOT_FOUND: 404, Reason.FORBIDDEN: 403, Reason.UNAUTHENTICATED: 401,
          Reason.CONFLICT: 409, Reason.TOO_LARGE: 413}
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
           "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                                      "img-src 'self' data:; connect-src 'self'; "
                                      "form-action 'self'; base-uri 'none'; "
                                      "frame-ancestors 'none'"}


@dataclass(frozen=True)
class Me:
    """The signed-in user, as the page's frame shows them."""

    user_id: int
    name: str
    email: str
    is_admin: bool
    company_id: int
    company_name: str

    @staticmethod
    def of(unit: Unit) -> Me:
        ctx = unit.ctx
        assert ctx.user_id is not None
        user = unit.get("user", ctx.user_id)
        return Me(ctx.user_id, str(user.get("name") or ""), str(user.get("email") or ""),
                  ctx.is_admin, ctx.company_id, ctx.company_name)


@dataclass(frozen=True)
class Visitor:
    """A request's signed-in session: its credentials, CSRF token and user."""

    who: Credentials
    csrf: str
    me: Me


Handler = Callable[[Request, Visitor], Awaitable[Response]]


class FormError(DealbaseError):
    """A form or body the web app cannot read (too big, not a form, not JSON)."""


async def body_of(request: Request) -> dict[str, Any]:
    """The body of a POST, read once: a JSON object as sent (its values keep their JSON
    kinds), or a url-encoded form's fields (text). Too big, not JSON, not an object: a
    FormError."""
    found: dict[str, Any] | None = getattr(request.state, "body", None)
    if found is not None:
        return found
    if int(request.headers.get("content-length") or 0) > MAX_FORM:
        raise FormError("The form is too large", reason=Reason.TOO_LARGE)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise FormError("The form is too large", reason=Reason.TOO_LARGE)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            data = orjson.loads(body or b"{}")
        except orjson.JSONDecodeError:
            raise FormError("The body is not valid JSON", reason=Reason.MALFORMED) from None
        if not isinstance(data, dict):
            raise FormError("The body must be a JSON object", reason=Reason.MALFORMED)
        found = data
    else:
        try:
            found = dict(parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=500))
        except (UnicodeDecodeError, ValueError):
            raise FormError("The form cannot be read") from None
    request.state.body = found
    return found


async def form_of(request: Request) -> dict[str, str]:
    """The body as text fields: a JSON number or true/false as its JSON text, null as "";
    a JSON list or object where a form has text is refused (FormError)."""
    out = {}
    for key, value in (await body_of(request)).items():
        if isinstance(value, (list, dict)):
            raise FormError(f"{key} must be text, a number or true/false", reason=Reason.MALFORMED)
        out[str(key)] = "" if value is None else (value if isinstance(value, str)
                                                  else orjson.dumps(value).decode())
    return out


read_form = form_of  # (the sign-in and invitation forms, before any session)


class Web:
    """The web app over a records service (``routes()`` in ``dealbase.web``)."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("dealbase.web", "templates"),
            autoescape=True, trim_blocks=True, lstrip_blocks=True,
            undefined=jinja2.StrictUndefined)
        self.env.globals.update(static=self.static, query=_query)
        self.env.filters.update(money=money, when=when, day=day)
        self._hashes: dict[str, str] = {}

    # ---- rendering -----------------------------------------------------------------

    def static(self, name: str) -> str:
        """The URL of a packaged asset, its content's hash appended (cached for a year)."""
        digest = self._hashes.get(name)
        if digest is None:
            data = (resources.files("dealbase.web") / "static" / name).read_bytes()
            digest = self._hashes[name] = hashlib.sha256(data).hexdigest()[:12]
        return f"/static/{name}?v={digest}"

    def html(self, template: str, values: Mapping[str, Any], status: int = 200,
             headers: Mapping[str, str] | None = None) -> HTMLResponse:
        body = self.env.get_template(template).render(**values)
        return HTMLResponse(body, status, headers={**HEADERS, **(headers or {})})

    def render(self, request: Request, visitor: Visitor | None, template: str,
               status: int = 200, **values: Any) -> HTMLResponse:
        """A page: ``template`` with ``values``, the visitor (``me``, ``csrf``) and the
        request."""
        return self.html(template, {"request": request, "me": visitor.me if visitor else None,
                                    "csrf": visitor.csrf if visitor else "", **values}, status)

    def problem(self, request: Request, visitor: Visitor | None, error: DealbaseError
                ) -> Response:
        """The answer to an error of the service: JSON to a fetch, else a page."""
        status = STATUS.get(error.reason, 400)
        if wants_json(request):
            field = error.problems[0].field if error.problems else None
            return JSONResponse({"error": error.message, "field": field}, status,
                                headers=HEADERS)
        return self.render(request, visitor, "error.html", status, message=error.message,
                           status_code=status)

    # ---- the door ------------------------------------------------------------------

    async def read(self, visitor: Visitor, work: Callable[[Unit], T], *, long: bool = False
                   ) -> T:
        return await self.service.read(visitor.who, work, long=long)

    async def write(self, visitor: Visitor, work: Callable[[Unit], T], *, size: int = 0) -> T:
        return await self.service.write(visitor.who, work, size=size)

    async def visitor(self, request: Request) -> Visitor | None:
        """The request's live session, or None."""
        cookie = request.cookies.get(COOKIE)
        sessions = self.service.sessions
        token = sessions.token_of(cookie)
        if token is None or cookie is None:
            return None
        who = Credentials(token, kind="session")
        try:
            me = await self.service.read(who, Me.of)
        except Unauthenticated:
            return None
        return Visitor(who, sessions.csrf(cookie), me)

    def page(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """A GET page for a signed-in user (else a redirect to the sign-in page)."""

        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            visitor = await self.visitor(request)
            if visitor is None:
                if wants_json(request) or request.headers.get("x-fragment"):
                    return JSONResponse({"error": "Sign in first"}, 401, headers=HEADERS)
                target = request.url.path + (f"?{request.url.query}" if request.url.query
                                             else "")
                return RedirectResponse(f"/signin?next={quote(target, safe='')}", 303,
                                        headers=HEADERS)
            try:
                return await handler(request, visitor)
            except DealbaseError as exc:
                return self.problem(request, visitor, exc)

        return endpoint

    def action(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """A POST for a signed-in user carrying the session's CSRF token (else 403)."""

        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            visitor = await self.visitor(request)
            if visitor is None:
                return self._refused(request, None, 401, "Sign in first")
            presented = request.headers.get("x-csrf-token")
            if presented is None:
                try:
                    field = (await body_of(request)).get("csrf_token")
                except FormError as exc:
                    return self.problem(request, visitor, exc)
                presented = field if isinstance(field, str) else None
            if not self.service.sessions.csrf_ok(request.cookies.get(COOKIE), presented):
                return self._refused(request, visitor, 403,
                                     "This form has expired or did not come from this app: "
                                     "reload the page and try again.")
            try:
                return await handler(request, visitor)
            except DealbaseError as exc:
                return self.problem(request, visitor, exc)

        return endpoint

    def _refused(self, request: Request, visitor: Visitor | None, status: int, message: str
                 ) -> Response:
        if wants_json(request) or request.headers.get("x-csrf-token") is not None:
            return JSONResponse({"error": message}, status, headers=HEADERS)
        return self.render(request, visitor, "error.html", status, message=message,
                           status_code=status)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def int_param(value: str | None, default: int | None = None) -> int | None:
    """A whole number from a query string or form (``default`` when missing or bad)."""
    found = parse_int(value)
    return default if found is None else found


def param_id(value: str | None, name: str, message: str | None = None) -> int | None:
    """A record id from a query string or a form: None when missing or empty; a positive
    whole number in ASCII digits; anything else is refused (400, ``message``)."""
    if value is None or not value.strip():
        return None
    found = parse_int(value, 1)
    if found is None:
        text = message or f"{name} must be a positive whole number"
        raise invalid(name, text, Reason.BAD_PARAMETER, text=text)
    return found


def path_id(request: Request, name: str = "id") -> int:
    """A record id of the path: a positive whole number in ASCII digits; anything else is
    a record that does not exist (NotFound), like an id nobody has."""
    found = parse_int(str(request.path_params.get(name, "")), 1)
    if found is None:
        raise NotFound("Not found")
    return found


def _query(request: Request, **changes: Any) -> str:
    """The request's query string with ``changes`` (None removes a key)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else "?"


def money(value: Any, currency: str | None = None) -> str:
    """1234.5, "EUR" -> "1,234.50 EUR" (whole amounts without decimals)."""
    if value is None or value == "":
        return ""
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{amount:,.0f}" if amount == int(amount) else f"{amount:,.2f}"
    return f"{text} {currency}" if currency else text


def when(value: Any) -> str:
    """A time as ``YYYY-MM-DD HH:MM`` (UTC)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


def day(value: Any) -> str:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    return "" if value is None else str(value)


__all__ = ["COOKIE", "HEADERS", "FormError", "Handler", "Me", "Visitor", "Web", "body_of", "form_of",
           "int_param", "param_id", "path_id", "read_form", "wants_json"]
