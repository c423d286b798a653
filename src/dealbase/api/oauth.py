"""OAuth 2 endpoints for apps (Pipedrive's, reference/pipedrive-api.md §2) and dealbase's
admin API for registering them.

* ``POST /oauth/token``: ``grant_type=authorization_code`` (``code``, ``redirect_uri``,
  ``code_verifier`` if the authorization request sent a PKCE challenge) or
  ``grant_type=refresh_token`` (``refresh_token``); form-encoded, the client
  authenticated by HTTP Basic (``client_id:client_secret``) or, for a public client, by
  ``client_id`` in the form. Answers RFC 6749's token response with Pipedrive's
  ``api_domain`` (this server's base URL: the Node SDK calls ``api_domain + /api/v1``).
* ``POST /oauth/revoke`` (RFC 7009): ``token``, ``token_type_hint``; 200 whether or not
  the token was known.
* Refusals: RFC 6749 §5.2's ``{"error", "error_description"}``, 400 (401 with
  ``WWW-Authenticate`` for a client that does not authenticate).
* ``GET|POST /api/dealbase/apps``, ``DELETE /api/dealbase/apps/{id}``: the caller's
  company's apps (an admin user's API token; Pipedrive's envelope). A new app's
  ``client_secret`` is in the answer that made it, and nowhere else ever.

The authorization endpoint, where the user signs in and consents, is ``consent.py``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qsl, unquote

import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..domain.errors import NotFound, PayloadTooLarge, ValidationError
from ..domain.oauth import MAX_PARAM, OAuthError
from ..service import Service
from .body import read_capped
from .pipedrive import render
from .pipedrive.routes import Api, guarded

MAX_FORM_BYTES = 16_384
ADMIN_PREFIX = "/api/dealbase"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(exc: OAuthError) -> Response:
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="oauth"'
    return JSONResponse(exc.body(), exc.status, headers=headers)


async def read_form(request: Request) -> dict[str, str]:
    """A form-encoded body (at most 16 KiB) as a mapping; OAuthError (invalid_request) for
    another content type, a malformed body or a repeated parameter (RFC 6749 §3.2)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request",
                         "Content-Type must be application/x-www-form-urlencoded")
    try:
        raw = await read_capped(request, MAX_FORM_BYTES)
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw))
    except PayloadTooLarge:
        raise OAuthError("invalid_request", f"The body is larger than {MAX_FORM_BYTES} bytes"
                         ) from None
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "The body is not a valid form") from None
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            raise OAuthError("invalid_request", f"Parameter given more than once: {key}")
        form[key] = value
    return form


def client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    """(client_id, client_secret) from HTTP Basic (RFC 6749 §2.3.1: form-encoded parts)
    or, without it, from the form; OAuthError if malformed or given both ways."""
    auth = request.headers.get("authorization")
    if auth is None:
        return form.get("client_id"), form.get("client_secret")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() != "basic" or len(value) > MAX_PARAM:
        raise OAuthError("invalid_client", "Client authentication failed", 401)
    if "client_secret" in form:
        raise OAuthError("invalid_request", "Authenticate the client one way only")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "Client authentication failed", 401) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "Client authentication failed", 401)
    client_id = unquote(client_id.replace("+", " "))
    if form.get("client_id") not in (None, client_id):
        raise OAuthError("invalid_request", "client_id differs from the authenticated client")
    return client_id, unquote(secret.replace("+", " "))


def oauth_routes(service: Service) -> list[BaseRoute]:
    """``POST /oauth/token`` and ``POST /oauth/revoke``."""

    async def token(request: Request) -> Response:
        try:
            form = await read_form(request)
            client_id, secret = client_credentials(request, form)
            grant = form.get("grant_type")
            if not grant:
                raise OAuthError("invalid_request", "Missing parameter: grant_type")
            if grant == "authorization_code":
                tokens, _ = await anyio.to_thread.run_sync(
                    service.oauth.exchange_code, client_id, secret, form.get("code"),
                    form.get("redirect_uri"), form.get("code_verifier"))
            elif grant == "refresh_token":
                tokens, _ = await anyio.to_thread.run_sync(
                    service.oauth.refresh, client_id, secret, form.get("refresh_token"))
            else:
                raise OAuthError("unsupported_grant_type",
                                 "grant_type must be authorization_code or refresh_token")
        except OAuthError as exc:
            return oauth_error(exc)
        api_domain = str(request.base_url).rstrip("/")
        return JSONResponse(tokens.as_dict(api_domain), headers=NO_STORE)

    async def revoke(request: Request) -> Response:
        try:
            form = await read_form(request)
            client_id, secret = client_credentials(request, form)
            await anyio.to_thread.run_sync(service.oauth.revoke, client_id, secret,
                                           form.get("token"), form.get("token_type_hint"))
        except OAuthError as exc:
            return oauth_error(exc)
        return Response(status_code=200, headers=NO_STORE)

    return [Route("/oauth/token", token, methods=["POST"]),
            Route("/oauth/token/", token, methods=["POST"]),  # (the spec's refresh path)
            Route("/oauth/revoke", revoke, methods=["POST"])]


def app_routes(api: Api) -> list[BaseRoute]:
    """dealbase's admin API for a company's OAuth apps (see the module's docstring)."""
    oauth = api.service.oauth

    async def admin(request: Request) -> int:
        return await api.read(request, lambda unit: unit.administer("manage OAuth apps"))

    async def list_apps(request: Request) -> Response:
        company = await admin(request)
        found = await anyio.to_thread.run_sync(oauth.list_apps, company)
        return render.success([a.as_dict() for a in found])

    async def create_app(request: Request) -> Response:
        company = await admin(request)
        raw = await read_capped(request, api.settings.max_body_bytes)
        try:
            body: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            raise ValidationError("The body must be a JSON object")
        unknown = sorted(set(body) - {"name", "redirect_uris", "scopes", "public"})
        if unknown:
            raise ValidationError(f"Unknown app setting: {', '.join(unknown)}")
        made = await anyio.to_thread.run_sync(
            oauth.create_app, company, body.get("name"), body.get("redirect_uris"),
            body.get("scopes"), body.get("public", False))
        return render.success({**made.app.as_dict(), "client_secret": made.client_secret}, 201)

    async def delete_app(request: Request) -> Response:
        company = await admin(request)
        raw = request.path_params["id"]
        if not raw.isdigit() or len(raw) > 18:
            raise NotFound(f"app {raw} not found")
        await anyio.to_thread.run_sync(oauth.delete_app, company, int(raw))
        return render.success({"id": int(raw)})

    return [Route(f"{ADMIN_PREFIX}/apps", guarded(list_apps), methods=["GET"]),
            Route(f"{ADMIN_PREFIX}/apps", guarded(create_app), methods=["POST"]),
            Route(f"{ADMIN_PREFIX}/apps/{{id}}", guarded(delete_app), methods=["DELETE"])]


__all__ = ["app_routes", "client_credentials", "oauth_error", "oauth_routes", "read_form"]
