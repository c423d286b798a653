"""Sign-in, sign-out and invitations (``/signin``, ``/signout``, ``/invite/{token}``).

Email and password (argon2id, in the thread pool); an email known in several companies
whose password matches in more than one asks which company. Failed sign-ins are throttled
per email and per client address (``SignInThrottle``). The session cookie is
``HttpOnly``, ``SameSite=Lax`` and ``Secure`` over HTTPS. Sign-out is a POST with the CSRF
token. An invitation link lets a new user choose a password, which signs them in.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..api.limits import SignInThrottle
from ..domain.errors import DealbaseError, NotFound
from ..service import Choice
from .base import COOKIE, HEADERS, FormError, Visitor, Web, int_param, read_form

SESSION_SECONDS = 14 * 24 * 3600


def _next(value: str | None) -> str:
    """Where to go after signing in: a path of this app only (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value \
            or len(value) > 2000 or not value.isprintable():
        return "/"
    return value


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class Auth:
    def __init__(self, web: Web, throttle: SignInThrottle) -> None:
        self.web, self.throttle = web, throttle

    def _signed_in(self, request: Request, cookie: str, target: str) -> Response:
        response = RedirectResponse(_next(target), 303, headers=HEADERS)
        response.set_cookie(COOKIE, cookie, max_age=SESSION_SECONDS, path="/", httponly=True,
                            samesite="lax", secure=request.url.scheme == "https")
        return response

    def _form(self, request: Request, error: str = "", email: str = "", status: int = 200,
              choices: list[Choice] | None = None, target: str | None = None) -> Response:
        """The form; ``target``: where a sign-in goes (by default the query's ``next``)."""
        return self.web.render(request, None, "signin.html", status, error=error, email=email,
                               next=_next(request.query_params.get("next") if target is None
                                          else target),
                               choices=choices or [])

    async def show(self, request: Request) -> Response:
        if await self.web.visitor(request) is not None:
            return RedirectResponse(_next(request.query_params.get("next")), 303,
                                    headers=HEADERS)
        return self._form(request)

    async def submit(self, request: Request) -> Response:
        """No session yet, so no CSRF token: the cookie's ``SameSite=Lax`` and the
        ``Origin`` check below keep other sites from signing a browser in."""
        if not _same_origin(request):
            return self._form(request, "This form did not come from this app.", status=403)
        try:
            form = await read_form(request)
        except FormError as exc:
            return self._form(request, exc.message, status=400)
        email, password = form.get("email", "").strip(), form.get("password", "")
        target = _next(form.get("next"))
        keys = self.throttle.keys("web", email.lower(), _address(request))
        if not await self.throttle.attempt(keys):  # (counted before the password's check)
            return self._form(request, "Too many failed sign-ins: try again in a few minutes.",
                              email, 429, target=target)
        sessions = self.web.service.sessions
        choices = await anyio.to_thread.run_sync(sessions.sign_in, email, password)
        if not choices:
            return self._form(request, "Wrong email or password.", email, 400, target=target)
        await self.throttle.forgiven(keys)
        chosen = [c for c in choices if c.company_id == int_param(form.get("company_id"))]
        if len(choices) > 1 and not chosen:
            return self._form(request, "", email, 200, choices, target=target)
        choice = (chosen or choices)[0]
        cookie = await anyio.to_thread.run_sync(sessions.start, choice.company_id,
                                                choice.user_id, self.web.service.clock())
        return self._signed_in(request, cookie, target)

    async def sign_out(self, request: Request, visitor: Visitor) -> Response:
        await anyio.to_thread.run_sync(self.web.service.sessions.end,
                                       request.cookies.get(COOKIE))
        return _signed_out()

    async def sign_out_any(self, request: Request) -> Response:
        """A live session signs out with its CSRF token; without one (expired, ended
        elsewhere) there is nothing to end: the cookie is cleared all the same."""
        if await self.web.visitor(request) is None:
            return _signed_out()
        return await self.web.action(self.sign_out)(request)

    async def invitation(self, request: Request) -> Response:
        token = request.path_params["token"]
        found = await anyio.to_thread.run_sync(self.web.service.sessions.invitation, token)
        if found is None:
            return self.web.render(request, None, "error.html", 404, status_code=404,
                                   message="This invitation is unknown, used or expired.")
        return self.web.render(request, None, "invite.html", invitation=found, error="")

    async def accept(self, request: Request) -> Response:
        token = request.path_params["token"]
        sessions = self.web.service.sessions
        if not _same_origin(request):
            return self.web.render(request, None, "error.html", 403, status_code=403,
                                   message="This form did not come from this app.")
        try:
            form = await read_form(request)
            password = form.get("password", "")
            if password != form.get("password2", ""):
                found = await anyio.to_thread.run_sync(sessions.invitation, token)
                if found is None:
                    raise NotFound("This invitation is unknown, used or expired.")
                return self.web.render(request, None, "invite.html", 400, invitation=found,
                                       error="The two passwords differ.")
            cookie = await anyio.to_thread.run_sync(sessions.accept, token, password,
                                                    self.web.service.clock())
        except NotFound as exc:
            return self.web.render(request, None, "error.html", 404, status_code=404,
                                   message=exc.message)
        except DealbaseError as exc:
            found = await anyio.to_thread.run_sync(sessions.invitation, token)
            if found is None:
                return self.web.render(request, None, "error.html", 404, status_code=404,
                                       message="This invitation is unknown, used or expired.")
            return self.web.render(request, None, "invite.html", 400, invitation=found,
                                   error=exc.message)
        return self._signed_in(request, cookie, "/")

    async def home(self, request: Request, visitor: Visitor) -> Response:
        return RedirectResponse("/board", 303, headers=HEADERS)

    def routes(self) -> list[BaseRoute]:
        web = self.web
        return [Route("/", web.page(self.home), methods=["GET"]),
                Route("/signin", self.show, methods=["GET"]),
                Route("/signin", self.submit, methods=["POST"]),
                Route("/signout", self.sign_out_any, methods=["POST"]),
                Route("/invite/{token}", self.invitation, methods=["GET"]),
                Route("/invite/{token}", self.accept, methods=["POST"])]


def _signed_out() -> Response:
    response = RedirectResponse("/signin", 303, headers=HEADERS)
    response.delete_cookie(COOKIE, path="/")
    return response


def _same_origin(request: Request) -> bool:
    """A form posted from this app's own pages: its ``Origin`` (or, without one, its
    ``Referer``) names this host; a request with neither (not a browser) passes."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin != "null"
    from urllib.parse import urlsplit

    return urlsplit(origin).netloc == request.headers.get("host", "")


__all__ = ["Auth"]
