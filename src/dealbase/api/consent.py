"""``GET|POST /oauth/authorize``: where a user signs in and lets an app act for them.

One small server-rendered page (no script, nothing from elsewhere): the app's name, its
company, the scopes it asks for, an email and password form and Allow / Cancel. The web
app (issue 17) may later replace the sign-in half; the rest stays.

* ``GET``: Pipedrive's ``client_id``, ``redirect_uri`` (exactly one the app registered;
  may be left out when it registered one), ``state``; and OAuth's ``response_type``
  (``code``, the default), ``scope`` (a subset of the app's; default all of them) and
  PKCE's ``code_challenge`` with ``code_challenge_method=S256`` (required of public
  clients). An unknown client or redirect URI is answered here (400) and sends nobody
  anywhere; any other refusal is sent to the redirect URI (``error``, ``state``).
* ``POST``: the form. Cross-site forgery is refused by a token signed with the app's own
  server-side key that binds the request's parameters to a random nonce also set as a
  ``SameSite=Strict`` cookie. Failed sign-ins are throttled per email and per client
  address (in the rate-limit counters: shared by every worker through Redis when it is
  configured). Allowed: ``303`` to ``redirect_uri?code=…&state=…``; cancelled:
  ``?error=access_denied``.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
import time
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..domain.errors import NotFound
from ..domain.oauth import MAX_PARAM, OAuthError, check_challenge
from ..service import Consent, Service
from .limits import Limiter, SignInThrottle
from .oauth import read_form

COOKIE = "dealbase_oauth_nonce"
FORM_SECONDS = 900  # how long a rendered form may be submitted
PARAMS = ("client_id", "redirect_uri", "state", "scope", "response_type", "code_challenge",
          "code_challenge_method")
SCOPE_TEXT = {
    "base": "See your name, email and company settings",
    "deals:read": "Read deals, pipelines, stages and deal products",
    "deals:full": "Read, create, change and delete deals",
    "contacts:read": "Read persons and organizations", "contacts:full":
    "Read, create, change and delete persons and organizations",
    "activities:read": "Read activities", "activities:full": "Read and change activities",
    "products:read": "Read products", "products:full": "Read and change products",
    "leads:read": "Read leads", "leads:full": "Read and change leads",
    "projects:read": "Read projects and tasks", "projects:full": "Read and change projects",
    "goals:read": "Read goals", "goals:full": "Read and change goals",
    "users:read": "Read the company's users and teams",
    "search:read": "Search every kind of record", "recents:read": "Read recent changes",
    "admin": "Change pipelines, stages, users, roles and custom fields",
    "deal-fields:full": "Change deal fields", "contact-fields:full": "Change contact fields",
    "product-fields:full": "Change product fields", "project-fields:full": "Change project fields",
}
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                      "frame-ancestors 'none'"}
STYLE = ("body{font:16px system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}"
         "label{display:block;margin:.6rem 0}input[type=email],input[type=password]"
         "{width:100%;padding:.4rem}.error{color:#b00}button{margin:.8rem .5rem 0 0;"
         "padding:.5rem 1rem}")


def _page(title: str, body: str, status: int = 200, cookie: str | None = None,
          secure: bool = False) -> Response:
    page = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}"
            f"</title><meta name=viewport content='width=device-width'><style>{STYLE}</style>"
            f"</head><body>{body}</body></html>")
    response = HTMLResponse(page, status, headers=HEADERS)
    if cookie is not None:
        response.set_cookie(COOKIE, cookie, max_age=FORM_SECONDS, path="/oauth", httponly=True,
                            samesite="strict", secure=secure)
    return response


def _problem(message: str, status: int = 400) -> Response:
    return _page("Authorization failed", f"<h1>Authorization failed</h1><p class=error>"
                 f"{html.escape(message)}</p>", status)


def _redirect(uri: str, values: Mapping[str, str | None]) -> Response:
    """A 303 to the app's redirect URI with ``values`` added to its query."""
    added = urlencode({k: v for k, v in values.items() if v is not None})
    glue = "&" if urlsplit(uri).query else "?"
    return RedirectResponse(f"{uri}{glue}{added}", 303, headers={"Cache-Control": "no-store"})


def _signature(consent: Consent, nonce: str, params: Mapping[str, str], expires: int) -> str:
    signed = "\x1f".join([nonce, str(expires), *(params.get(p, "") for p in PARAMS)])
    return hmac.new(consent.form_key.encode(), signed.encode(), hashlib.sha256).hexdigest()


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class ConsentPage:
    """The authorization endpoint (see the module's docstring)."""

    def __init__(self, service: Service, limiter: Limiter) -> None:
        self.service, self.limiter = service, limiter
        self.throttle = SignInThrottle(limiter, lambda: self.clock())
        self.clock = time.time  # seconds (tests may move it)

    async def _consent(self, params: Mapping[str, str]) -> Consent | Response:
        """What to ask, or the answer that ends the request here."""
        oauth = self.service.oauth
        if any(len(v) > MAX_PARAM for v in params.values()):
            return _problem("A parameter is too long")
        try:
            consent: Consent = await anyio.to_thread.run_sync(
                oauth.consent, params.get("client_id"), params.get("redirect_uri"),
                params.get("scope"))
        except NotFound as exc:
            return _problem(exc.message)
        except OAuthError as exc:
            found = await anyio.to_thread.run_sync(oauth.consent, params.get("client_id"),
                                                   params.get("redirect_uri"), None)
            return _redirect(found.redirect_uri, {**exc.body(), "state": params.get("state")})
        refusal: OAuthError | None = None
        if params.get("response_type", "code") != "code":
            refusal = OAuthError("unsupported_response_type", "response_type must be code")
        elif params.get("code_challenge"):
            try:
                check_challenge(params["code_challenge"],
                                params.get("code_challenge_method", "plain"))
            except OAuthError as exc:
                refusal = exc
        elif consent.app.public:
            refusal = OAuthError("invalid_request", "code_challenge (PKCE, S256) is required "
                                 "of public clients")
        if refusal is not None:
            return _redirect(consent.redirect_uri, {**refusal.body(),
                                                    "state": params.get("state")})
        return consent

    def _form(self, request: Request, consent: Consent, params: Mapping[str, str],
              error: str = "", email: str = "", status: int = 200) -> Response:
        nonce = secrets.token_urlsafe(24)
        expires = int(self.clock()) + FORM_SECONDS
        token = f"{expires}.{_signature(consent, nonce, params, expires)}"
        hidden = "".join(f"<input type=hidden name={p} value=\"{html.escape(params[p])}\">"
                         for p in PARAMS if p in params)
        scopes = "".join(f"<li>{html.escape(SCOPE_TEXT.get(s, s))} <small>({html.escape(s)})"
                         "</small></li>" for s in consent.scopes)
        e = html.escape
        body = (f"<h1>Allow {e(consent.app.name)}?</h1>"
                f"<p><b>{e(consent.app.name)}</b> asks to act for you in "
                f"<b>{e(consent.company_name)}</b>. It will be able to:</p><ul>{scopes}</ul>"
                + (f"<p class=error role=alert>{e(error)}</p>" if error else "")
                + f"<form method=post action=/oauth/authorize>{hidden}"
                f"<input type=hidden name=csrf_token value=\"{e(token)}\">"
                f"<label>Email <input type=email name=email value=\"{e(email)}\" "
                "autocomplete=username required></label>"
                "<label>Password <input type=password name=password "
                "autocomplete=current-password required></label>"
                "<button name=decision value=allow>Allow</button>"
                "<button name=decision value=deny formnovalidate>Cancel</button></form>"
                f"<p><small>You will be sent to {e(consent.redirect_uri)}</small></p>")
        return _page(f"Allow {consent.app.name}?", body, status, cookie=nonce,
                     secure=request.url.scheme == "https")

    async def show(self, request: Request) -> Response:
        pairs = parse_qsl(request.url.query, keep_blank_values=True)
        params = dict(pairs)
        if len(params) != len(pairs):
            return _problem("A parameter is given more than once")
        found = await self._consent({k: v for k, v in params.items() if k in PARAMS})
        if not isinstance(found, Consent):
            return found
        return self._form(request, found, params)

    def _forged(self, consent: Consent, request: Request, form: Mapping[str, str]) -> bool:
        nonce = request.cookies.get(COOKIE, "")
        expires, _, signature = form.get("csrf_token", "").partition(".")
        if not nonce or not expires.isdigit() or int(expires) < self.clock():
            return True
        return not hmac.compare_digest(signature, _signature(consent, nonce, form, int(expires)))

    async def submit(self, request: Request) -> Response:
        try:
            form = await read_form(request)
        except OAuthError as exc:
            return _problem(exc.message)
        params = {k: v for k, v in form.items() if k in PARAMS}
        found = await self._consent(params)
        if not isinstance(found, Consent):
            return found
        consent = found
        if self._forged(consent, request, form):
            return _problem("This form has expired or did not come from this server: go back "
                            "to the app and start again.", 403)
        state = params.get("state")
        if form.get("decision") != "allow":
            return _redirect(consent.redirect_uri, {
                "error": "access_denied", "error_description": "The user refused",
                "state": state})
        email, password = form.get("email", ""), form.get("password", "")
        keys = self.throttle.keys(str(consent.app.company_id), email, _address(request))
        if not await self.throttle.attempt(keys):  # (counted before the password's check)
            return self._form(request, consent, params, "Too many failed sign-ins: try again "
                              "in a few minutes.", email, 429)
        user_id = await anyio.to_thread.run_sync(
            self.service.oauth.sign_in, consent.app.company_id, email, password)
        if user_id is None:
            return self._form(request, consent, params, "Wrong email or password.", email)
        await self.throttle.forgiven(keys)
        try:
            code = await anyio.to_thread.run_sync(
                self.service.oauth.issue_code, consent, user_id, params.get("code_challenge"),
                params.get("code_challenge_method"))
        except OAuthError as exc:
            return _redirect(consent.redirect_uri, {**exc.body(), "state": state})
        return _redirect(consent.redirect_uri, {"code": code, "state": state})

    def routes(self) -> list[BaseRoute]:
        return [Route("/oauth/authorize", self.show, methods=["GET"]),
                Route("/oauth/authorize", self.submit, methods=["POST"])]


__all__ = ["COOKIE", "ConsentPage"]
