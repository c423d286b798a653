"""OAuth 2 apps of a company, the grants its users give them and the tokens issued under
those grants (tables ``oauth_apps``, ``oauth_grants``, ``oauth_tokens``).

What the rules are is ``domain.oauth`` and ``domain.scopes``; the HTTP side is
``api/oauth.py`` (token, revocation, the admin API) and ``api/consent.py`` (the sign-in
and consent page); the CLI's ``dealbase app`` commands call ``Service.oauth`` too.

Secrets (client secrets, authorization codes, access and refresh tokens) are random
(256 bits), shown once, stored only as SHA-256 hashes (looked up by hash, as API tokens
are; compared again in constant time). A code is single-use and lives five minutes; a
second use of a code revokes every token issued from it (RFC 6749 §4.1.2). Refreshing
rotates the refresh token; presenting a rotated one again revokes the grant's tokens.
Revoking a refresh token revokes the whole grant; revoking an access token, that token.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from sqlalchemy import and_, bindparam, delete, insert, select, update

from ..domain.errors import NotFound, Unauthenticated, ValidationError
from ..domain.oauth import (
    ACCESS_PREFIX,
    ACCESS_SECONDS,
    CODE_SECONDS,
    MAX_NAME,
    MAX_PARAM,
    MAX_REDIRECT_URIS,
    REFRESH_PREFIX,
    REFRESH_SECONDS,
    OAuthError,
    check_challenge,
    redirect_uri_problem,
    verifier_matches,
)
from ..domain.scopes import parse_scopes, scope_text
from ..query.ast import Cond, Keyset, Query, all_of
from ..store.database import Tx
from .accounts import Accounts, hash_secret
from .records import Context
from .webhooks import deactivate

_CLIENT_ID = re.compile(r"[0-9a-f]{16}")
MAX_APPS = 100  # per company


@dataclass(frozen=True)
class App:
    """An OAuth app as listed: never its secret."""

    id: int
    company_id: int
    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    public: bool
    created_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "client_id": self.client_id, "name": self.name,
                "redirect_uris": list(self.redirect_uris), "scopes": list(self.scopes),
                "public": self.public, "created_at": self.created_at.strftime("%Y-%m-%d %H:%M:%S")}


@dataclass(frozen=True)
class NewApp:
    """An app just registered: the only time its client secret is visible (None: a public
    client, which has none)."""

    app: App
    client_secret: str | None


@dataclass(frozen=True)
class Consent:
    """What the consent page shows and signs its form with."""

    app: App
    company_name: str
    redirect_uri: str
    scopes: tuple[str, ...]
    form_key: str


@dataclass(frozen=True)
class Tokens:
    """A token response (RFC 6749 §5.1, with Pipedrive's ``api_domain``)."""

    access_token: str
    refresh_token: str
    scopes: tuple[str, ...]
    expires_in: int

    def as_dict(self, api_domain: str) -> dict[str, Any]:
        return {"access_token": self.access_token, "token_type": "Bearer",
                "refresh_token": self.refresh_token, "scope": scope_text(self.scopes),
                "expires_in": self.expires_in, "api_domain": api_domain}


def _secret() -> str:
    return secrets.token_urlsafe(32)


def _invalid_client() -> OAuthError:
    return OAuthError("invalid_client", "Client authentication failed", 401)


class OAuth:
    """Register apps, grant them access, issue, refresh, revoke and check their tokens."""

    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        self.records = accounts.records
        self.db = accounts.db
        tables = self.records.metadata.tables
        self.apps, self.grants, self.tokens = (
            tables["oauth_apps"], tables["oauth_grants"], tables["oauth_tokens"])
        t, g, users, c = self.tokens, self.grants, self.records.tables["user"], accounts.companies
        self._auth_sql = self.db.prepare(
            select(t.c.company_id, g.c.user_id, t.c.token_hash, t.c.expires_at, t.c.revoked,
                   g.c.scopes, users.c.is_admin, users.c.is_active, users.c.is_deleted,
                   c.c.fields_version, c.c.name, c.c.space_id, g.c.app_id)
            .join(g, and_(g.c.id == t.c.grant_id, g.c.company_id == t.c.company_id))
            .join(c, c.c.id == t.c.company_id)
            .join(users, and_(users.c.id == g.c.user_id, users.c.company_id == t.c.company_id))
            .where(t.c.token_hash == bindparam("token_hash"), t.c.kind == bindparam("kind")))

    def _now(self) -> dt.datetime:
        return self.records.clock()

    # ---- apps ------------------------------------------------------------------------------

    def create_app(self, company_id: int, name: Any, redirect_uris: Any, scopes: Any,
                   public: Any = False) -> NewApp:
        """Register an app of the company (ValidationError for bad values)."""
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
            raise ValidationError(f"name must be 1 to {MAX_NAME} characters")
        if isinstance(redirect_uris, str):
            redirect_uris = [redirect_uris]
        if not isinstance(redirect_uris, list | tuple) or not 1 <= len(redirect_uris) \
                <= MAX_REDIRECT_URIS:
            raise ValidationError(f"redirect_uris must list 1 to {MAX_REDIRECT_URIS} URIs")
        for uri in redirect_uris:
            problem = redirect_uri_problem(uri)
            if problem:
                raise ValidationError(f"redirect_uris: {problem}")
        if isinstance(scopes, list | tuple) and all(isinstance(s, str) for s in scopes):
            scopes = ",".join(scopes)
        granted = parse_scopes(scopes) if isinstance(scopes, str) else None
        if granted is None:
            raise ValidationError("scopes must list known scopes (see the README's OAuth apps)")
        if not isinstance(public, bool):
            raise ValidationError("public must be true or false")
        secret = None if public else _secret()
        client_id = secrets.token_hex(8)
        now = self._now()
        with self.db.write() as conn:
            self.accounts.company(Tx.of(conn), Context(company_id, None,
                                                       self.records.registry.base))
            count = len(conn.execute(select(self.apps.c.id).where(
                self.apps.c.company_id == company_id)).all())
            if count >= MAX_APPS:
                raise ValidationError(f"A company has at most {MAX_APPS} apps")
            app_id = int(conn.execute(insert(self.apps).values(
                company_id=company_id, client_id=client_id, name=name.strip(),
                secret_hash=None if secret is None else hash_secret(secret),
                form_key=secrets.token_hex(32), redirect_uris=list(redirect_uris),
                scopes=scope_text(granted), public=public, created_at=now,
            ).returning(self.apps.c.id)).scalar_one())
        app = App(app_id, company_id, client_id, name.strip(), tuple(redirect_uris), granted,
                  public, now)
        return NewApp(app, secret)

    def _app(self, row: Any) -> App:
        uris = row.redirect_uris
        if isinstance(uris, str):  # SQLite keeps JSON as text
            import orjson

            uris = orjson.loads(uris)
        created = row.created_at
        if not isinstance(created, dt.datetime):
            created = dt.datetime.fromisoformat(created)
        return App(int(row.id), int(row.company_id), row.client_id, row.name, tuple(uris),
                   tuple(s for s in row.scopes.split(",") if s), bool(row.public), created)

    def list_apps(self, company_id: int) -> list[App]:
        a = self.apps
        with self.db.read() as conn:
            rows = conn.execute(select(a).where(a.c.company_id == company_id).order_by(a.c.id))
            return [self._app(r) for r in rows]

    def delete_app(self, company_id: int, app_id: int) -> None:
        """Delete an app with its grants and tokens: they stop working at once, and its
        webhooks are deactivated."""
        a = self.apps
        with self.db.write() as conn:
            found = conn.execute(select(a.c.id).where(a.c.company_id == company_id,
                                                      a.c.id == app_id)).first()
            if found is None:
                raise NotFound(f"app {app_id} not found")
            for table in (self.tokens, self.grants):
                conn.execute(delete(table).where(table.c.company_id == company_id,
                                                 table.c.app_id == app_id))
            conn.execute(delete(a).where(a.c.company_id == company_id, a.c.id == app_id))
            # Its webhooks stop too (through the records engine: the change log says so).
            tx = Tx.of(conn)
            ctx = self.accounts.trusted(tx, company_id)
            hooks = self.records.list(tx, ctx, "webhook", Query(
                where=all_of(Cond("app_id", "eq", app_id), Cond("is_deleted", "eq", False)),
                page=Keyset(None, 10_000), fields=("id",)))
            deactivate(self.records, tx, ctx, [h["id"] for h in hooks.items], "app_deleted",
                       self._now())

    def _client(self, conn: Any, client_id: Any) -> Any:
        if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
            return None
        return conn.execute(select(self.apps).where(self.apps.c.client_id == client_id)).first()

    def _authenticated(self, conn: Any, client_id: Any, secret: Any) -> Any:
        """The app whose credentials these are, else OAuthError (invalid_client). A public
        client presents its id and no secret."""
        row = self._client(conn, client_id)
        if row is None:
            raise _invalid_client()
        if row.secret_hash is None:
            if secret:
                raise _invalid_client()
            return row
        if not isinstance(secret, str) or not secret or len(secret) > MAX_PARAM \
                or not hmac.compare_digest(row.secret_hash, hash_secret(secret)):
            raise _invalid_client()
        return row

    # ---- the authorization request and the user's consent -----------------------------

    def consent(self, client_id: Any, redirect_uri: Any, scope: Any) -> Consent:
        """The app and what the user is asked to grant, for an authorization request.
        ``NotFound``: no such client, or a redirect URI it did not register (the page then
        says so and sends nobody anywhere); OAuthError: a bad ``scope`` (the page redirects
        with it)."""
        with self.db.read() as conn:
            row = self._client(conn, client_id)
            if row is None:
                raise NotFound("Unknown client_id")
            app = self._app(row)
            company = self.accounts.company(Tx.of(conn), Context(
                app.company_id, None, self.records.registry.base))
        if redirect_uri in (None, "") and len(app.redirect_uris) == 1:
            redirect_uri = app.redirect_uris[0]
        if redirect_uri not in app.redirect_uris:
            raise NotFound("redirect_uri is not one this app registered")
        scopes = app.scopes
        if scope not in (None, ""):
            asked = parse_scopes(scope) if isinstance(scope, str) else None
            may = set(app.scopes) | {s.replace(":full", ":read") for s in app.scopes}
            if asked is None or not set(asked) <= may:
                raise OAuthError("invalid_scope", "scope asks for scopes this app may not have")
            scopes = asked
        return Consent(app, company.name, str(redirect_uri), scopes, row.form_key)

    def sign_in(self, company_id: int, email: str, password: str) -> int | None:
        """The live, active user of the company with this email and password, or None
        (argon2: run it off the event loop)."""
        email = email.strip()
        if not email or len(email) > 255 or len(password) > 1024 or "\x00" in email:
            return None
        with self.db.read() as conn:
            tx = Tx.of(conn)
            ctx = self.accounts.trusted(tx, company_id)
            try:
                page = self.records.list(tx, ctx, "user", Query(
                    where=all_of(Cond("email", "eq", email), Cond("is_deleted", "eq", False),
                                 Cond("is_active", "eq", True)),
                    page=Keyset(None, 1), fields=("id",)))
            except ValidationError:  # (an email no user can have)
                return None
            if not page.items:  # (an unknown email takes a password check's time too)
                self.accounts.check_password(tx, company_id, 0, password)
                return None
            user_id = int(page.items[0]["id"])
            return user_id if self.accounts.check_password(tx, company_id, user_id,
                                                           password) else None

    def issue_code(self, consent: Consent, user_id: int, challenge: str | None,
                   method: str | None) -> str:
        """An authorization code for what the user granted (single-use, 5 minutes)."""
        if challenge:
            check_challenge(challenge, method or "plain")
        elif consent.app.public:
            raise OAuthError("invalid_request", "code_challenge (PKCE, S256) is required of "
                             "public clients")
        code = _secret()
        now = self._now()
        with self.db.write() as conn:
            conn.execute(insert(self.grants).values(
                company_id=consent.app.company_id, app_id=consent.app.id, user_id=user_id,
                scopes=scope_text(consent.scopes), code_hash=hash_secret(code),
                code_challenge=challenge or None, redirect_uri=consent.redirect_uri,
                code_expires_at=now + dt.timedelta(seconds=CODE_SECONDS), code_used=False,
                revoked=False, created_at=now))
        return code

    # ---- the token endpoint ------------------------------------------------------------

    def _issue(self, conn: Any, app: Any, grant_id: int, scopes: str, now: dt.datetime
               ) -> Tokens:
        access, refresh = ACCESS_PREFIX + _secret(), REFRESH_PREFIX + _secret()
        conn.execute(insert(self.tokens), [
            {"company_id": app.company_id, "app_id": app.id, "grant_id": grant_id,
             "kind": kind, "token_hash": hash_secret(token), "revoked": False,
             "expires_at": now + dt.timedelta(seconds=seconds), "created_at": now}
            for kind, token, seconds in (("access", access, ACCESS_SECONDS),
                                         ("refresh", refresh, REFRESH_SECONDS))])
        return Tokens(access, refresh, tuple(s for s in scopes.split(",") if s), ACCESS_SECONDS)

    def _revoke_grant(self, conn: Any, company_id: int, grant_id: int) -> None:
        for table, key in ((self.tokens, self.tokens.c.grant_id), (self.grants, self.grants.c.id)):
            conn.execute(update(table).where(table.c.company_id == company_id, key == grant_id)
                         .values(revoked=True))

    def exchange_code(self, client_id: Any, secret: Any, code: Any, redirect_uri: Any,
                      verifier: Any) -> tuple[Tokens, str]:
        """Tokens for an authorization code (grant_type=authorization_code), and the
        company's space id; OAuthError otherwise. A reused code revokes what it gave."""
        if not isinstance(code, str) or not code or len(code) > MAX_PARAM:
            raise OAuthError("invalid_request", "Missing parameter: code")
        now = self._now()
        g = self.grants
        with self.db.write() as conn:
            app = self._authenticated(conn, client_id, secret)
            grant = conn.execute(select(g).where(g.c.code_hash == hash_secret(code))).first()
            if grant is None or grant.app_id != app.id or grant.company_id != app.company_id \
                    or not hmac.compare_digest(grant.code_hash, hash_secret(code)):
                raise OAuthError("invalid_grant", "Invalid grant: authorization code is invalid")
            reused = bool(grant.code_used or grant.revoked)
            if reused:  # the revocation stands although the request is refused (below)
                self._revoke_grant(conn, grant.company_id, grant.id)
            elif _datetime(grant.code_expires_at) <= now:
                raise OAuthError("invalid_grant",
                                 "Invalid grant: authorization_code has expired")
            elif redirect_uri != grant.redirect_uri:
                raise OAuthError("invalid_grant", "Invalid grant: redirect_uri does not match "
                                 "the authorization request's")
            elif grant.code_challenge is not None and (
                    not isinstance(verifier, str) or not verifier):
                raise OAuthError("invalid_request", "Missing parameter: code_verifier")
            elif grant.code_challenge is not None and not verifier_matches(
                    verifier, grant.code_challenge):
                raise OAuthError("invalid_grant", "Invalid grant: code_verifier does not match")
            elif grant.code_challenge is None and verifier:
                raise OAuthError("invalid_grant", "Invalid grant: this code was issued "
                                 "without a code_challenge")
            if not reused:  # (spent at most once: a concurrent exchange finds it spent)
                spent = conn.execute(update(g).where(
                    g.c.id == grant.id, g.c.code_used.is_(False), g.c.revoked.is_(False)
                ).values(code_used=True))
                if spent.rowcount != 1:
                    reused = True
                    self._revoke_grant(conn, grant.company_id, grant.id)
                else:
                    tokens = self._issue(conn, app, int(grant.id), grant.scopes, now)
                    space = self._space(conn, int(app.company_id))
        if reused:
            raise OAuthError("invalid_grant", "Invalid grant: authorization code has already "
                             "been used")
        return tokens, space

    def refresh(self, client_id: Any, secret: Any, refresh_token: Any) -> tuple[Tokens, str]:
        """New tokens for a refresh token (grant_type=refresh_token), which is spent: its
        successor comes with them. A spent one presented again revokes its grant."""
        if not isinstance(refresh_token, str) or not refresh_token \
                or len(refresh_token) > MAX_PARAM:
            raise OAuthError("invalid_request", "Missing parameter: refresh_token")
        now = self._now()
        t, g = self.tokens, self.grants
        with self.db.write() as conn:
            app = self._authenticated(conn, client_id, secret)
            token_hash = hash_secret(refresh_token)
            row = conn.execute(select(t.c.id, t.c.company_id, t.c.app_id, t.c.grant_id,
                                      t.c.revoked, t.c.expires_at, t.c.token_hash)
                               .where(t.c.token_hash == token_hash, t.c.kind == "refresh")
                               ).first()
            if row is None or row.app_id != app.id \
                    or not hmac.compare_digest(row.token_hash, token_hash):
                raise OAuthError("invalid_grant", "Invalid grant: refresh token is invalid")
            reused = bool(row.revoked)
            if reused:  # a spent refresh token: its grant is revoked, the request refused
                self._revoke_grant(conn, int(row.company_id), int(row.grant_id))
            elif _datetime(row.expires_at) <= now:
                raise OAuthError("invalid_grant", "Invalid grant: refresh token has expired")
            else:
                grant = conn.execute(select(g.c.scopes, g.c.revoked).where(
                    g.c.company_id == row.company_id, g.c.id == row.grant_id)).first()
                if grant is None or grant.revoked:
                    raise OAuthError("invalid_grant", "Invalid grant: refresh token is invalid")
                spent = conn.execute(update(t).where(  # (at most once, as a code)
                    t.c.id == row.id, t.c.revoked.is_(False)).values(revoked=True))
                if spent.rowcount != 1:
                    reused = True
                    self._revoke_grant(conn, int(row.company_id), int(row.grant_id))
                else:
                    tokens = self._issue(conn, app, int(row.grant_id), grant.scopes, now)
                    space = self._space(conn, int(app.company_id))
        if reused:
            raise OAuthError("invalid_grant", "Invalid grant: refresh token is invalid")
        return tokens, space

    def _space(self, conn: Any, company_id: int) -> str:
        c = self.accounts.companies
        return str(conn.execute(select(c.c.space_id).where(c.c.id == company_id)).scalar_one())

    def revoke(self, client_id: Any, secret: Any, token: Any, hint: Any = None) -> None:
        """Revoke a token of the authenticated client (RFC 7009): a refresh token with its
        whole grant, an access token alone. An unknown token, or another client's, changes
        nothing and is no error (§2.2)."""
        if not isinstance(token, str) or not token:
            raise OAuthError("invalid_request", "Missing parameter: token")
        if hint not in (None, "", "access_token", "refresh_token"):
            raise OAuthError("unsupported_token_type", "token_type_hint must be access_token "
                             "or refresh_token")
        if len(token) > MAX_PARAM:
            return
        t = self.tokens
        with self.db.write() as conn:
            app = self._authenticated(conn, client_id, secret)
            # (the Node SDK percent-encodes an access token once more than the form does)
            candidates = [hash_secret(token)] + ([hash_secret(unquote(token))]
                                                 if "%" in token else [])
            row = conn.execute(select(t.c.id, t.c.company_id, t.c.app_id, t.c.grant_id,
                                      t.c.kind).where(t.c.token_hash.in_(candidates))
                               ).first()
            if row is None or row.app_id != app.id or row.company_id != app.company_id:
                return
            if row.kind == "refresh":
                self._revoke_grant(conn, int(row.company_id), int(row.grant_id))
            else:
                conn.execute(update(t).where(t.c.id == row.id).values(revoked=True))

    # ---- bearer tokens -----------------------------------------------------------------

    def authenticate(self, tx: Tx, token: str) -> Context:
        """The caller behind an access token, with its scopes, or Unauthenticated."""
        if not token.startswith(ACCESS_PREFIX) or len(token) > 200:
            raise Unauthenticated("Invalid token: access token is invalid")
        token_hash = hash_secret(token)
        found = tx.rows(self._auth_sql.sql, self._auth_sql.params(
            {"token_hash": token_hash, "kind": "access"}))
        row = found[0] if found else None
        if row is None or not hmac.compare_digest(row[2], token_hash) or row[4] \
                or row[8] or not row[7]:
            raise Unauthenticated("Invalid token: access token is invalid")
        if _datetime(row[3]) <= self._now():
            raise Unauthenticated("Invalid token: access token has expired")
        company_id = int(row[0])
        schema = self.accounts.schema(tx, company_id, int(row[9]))
        scopes = frozenset(s for s in str(row[5]).split(",") if s)
        return Context(company_id, int(row[1]), schema, bool(row[6]), row[10], row[11],
                       scopes=scopes, app_id=int(row[12]))


def _datetime(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


__all__ = ["App", "Consent", "NewApp", "OAuth", "Tokens"]
