"""Companies (tenants), their users' API tokens, and authentication.

Secrets are random, shown once (returned by ``create_company``), stored only as
SHA-256 hashes and compared in constant time.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, literal_column, select, update
from sqlalchemy.exc import IntegrityError

from ..domain.customfields import CustomField, kept_settings
from ..domain.entities.activity import DEFAULT_TYPES
from ..domain.entities.project import DEFAULT_BOARD, DEFAULT_PHASES
from ..domain.entities.role import DEFAULT_ROLE
from ..domain.errors import Conflict, NotFound, Unauthenticated, ValidationError
from ..domain.registry import Schema
from ..domain.spec import Option
from ..domain.types import Kind
from ..store.codec import decoder
from ..store.database import Tx
from .records import Context, Records

DEFAULT_STAGES = ("Qualified", "Contact Made", "Demo Scheduled", "Proposal Made",
                  "Negotiations Started")
DEFAULT_TEAM = "Default sales unit"
_ALNUM = string.ascii_uppercase + string.digits
# A successful sign-in is remembered while its company's users and custom fields stay as
# they were (any write to a user or a field definition forgets it: a deactivated user,
# a changed role, a new field) and at most AUTH_TTL seconds, which bounds what a write
# racing the version read can hide. Companies are never changed in place; creating,
# rotating or revoking a token writes an ``api_token`` change-log row, which forgets it too.
# What a remembered sign-in depends on: the user, the company's fields, the token, and
# (for what the user sees) the company's roles.
SIGN_IN_ENTITIES = ("user", "custom_field", "api_token", "role")
AUTH_TTL = 2.0
MAX_REMEMBERED = 10_000


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewCompany:
    """What ``create_company`` returns: the only time the secrets are visible."""

    company_id: int
    space_id: str
    user_id: int
    api_token: str
    pipeliner_api_token: str
    pipeliner_api_password: str


@dataclass(frozen=True)
class Company:
    id: int
    name: str
    space_id: str


TOKEN_KINDS = ("pipedrive", "pipeliner")
SESSION_KIND, INVITE_KIND = "session", "invite"  # the web app's (``sessions``): they expire
MIN_PASSWORD, MAX_PASSWORD = 8, 1024


@dataclass(frozen=True)
class Token:
    """An API token as listed: never its secret (only its hash is stored)."""

    id: int
    company_id: int
    user_id: int | None
    kind: str
    created_at: dt.datetime


@dataclass(frozen=True)
class NewToken:
    """A token just issued (created or rotated): the only time its secrets are visible.
    ``password``: Pipeliner's API password (None for a Pipedrive token)."""

    id: int
    user_id: int | None
    kind: str
    token: str
    password: str | None


def _secrets(kind: str, space_id: str) -> tuple[str, str | None]:
    """A new token (and Pipeliner's password) of ``kind``."""
    if kind == "pipedrive":
        return secrets.token_hex(20), None
    return (f"{space_id}_{''.join(secrets.choice(_ALNUM) for _ in range(16))}",
            "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(16)))


@functools.cache
def _decoy() -> str:
    """A hash no password matches, verified where there is none to check."""
    return str(_hasher().hash(secrets.token_urlsafe(32)))


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters


class Accounts:
    """Create companies and users' tokens; turn a presented token into a Context."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self.db = records.db
        tables = records.metadata.tables
        self.companies, self.tokens, self.fields = (
            tables["companies"], tables["api_tokens"], tables["custom_fields"]
        )
        self._schemas: dict[int, tuple[int, Schema]] = {}
        self._signed_in: dict[tuple[str, str, str | None], tuple[Context, int, float]] = {}
        self._keys: dict[str, bytes] = {}
        self._lock = threading.Lock()
        users, t, f, c = records.tables["user"], self.tokens, self.fields, self.companies
        self.passwords = p = tables["user_passwords"]
        self._companies_sql = self.db.prepare(select(c.c.id, c.c.name, c.c.space_id).order_by(c.c.id))
        self._tokens_sql = self.db.prepare(
            select(t.c.id, t.c.company_id, t.c.user_id, t.c.kind, t.c.created_at)
            .where(t.c.company_id == bindparam("company_id"),  # (constant kinds: no binds)
                   t.c.kind.in_([literal_column(f"'{k}'") for k in TOKEN_KINDS]))
            .order_by(t.c.id))
        self._end_sql = self.db.prepare(delete(t).where(  # a user's sessions and invitations
            t.c.company_id == bindparam("company_id"), t.c.user_id == bindparam("user_id"),
            t.c.kind.in_([literal_column(f"'{k}'") for k in (SESSION_KIND, INVITE_KIND)])))
        self._password_sql = self.db.prepare(select(p.c.password_hash).where(
            p.c.company_id == bindparam("company_id"), p.c.user_id == bindparam("user_id")))
        self._fields_sql = self.db.prepare(
            select(f).where(f.c.company_id == bindparam("company_id"), f.c.is_deleted.is_(False))
            .order_by(f.c.order_nr, f.c.id))
        self._version_sql = self.db.prepare(
            select(c.c.fields_version).where(c.c.id == bindparam("company_id")))
        self._company_sql = self.db.prepare(
            select(c.c.id, c.c.name, c.c.space_id).where(c.c.id == bindparam("company_id")))
        self._auth_sql = self.db.prepare(
            select(t.c.company_id, t.c.user_id, t.c.token_hash, t.c.secret_hash,
                   users.c.is_admin, users.c.is_active, users.c.is_deleted,
                   self.companies.c.fields_version, self.companies.c.name,
                   self.companies.c.space_id, t.c.expires_at)
            .join(self.companies, self.companies.c.id == t.c.company_id)
            .outerjoin(users, (users.c.id == t.c.user_id) & (users.c.company_id == t.c.company_id))
            .where(t.c.token_hash == bindparam("token_hash"), t.c.kind == bindparam("kind")))

    def create_company(self, name: str, admin_email: str, admin_name: str | None = None
                       ) -> NewCompany:
        name = name.strip()
        if not name or len(name) > 255:
            raise ValidationError("Company name must be 1 to 255 characters")
        if not re.fullmatch(r"[^@\s]+@[^@\s]+", admin_email):
            raise ValidationError("Admin email is not a valid email address")
        slug = re.sub(r"[^A-Za-z0-9]", "", name)[:24] or "Space"
        for _ in range(5):  # a clash of 64 random bits is all but impossible; retry anyway
            try:
                return self._create_company(name, admin_email, admin_name,
                                            f"db_{slug}{secrets.token_hex(8)}")
            except IntegrityError:
                continue
        raise Conflict("Could not allocate a unique space id")

    def _create_company(self, name: str, admin_email: str, admin_name: str | None,
                        space_id: str) -> NewCompany:
        api_token = _secrets("pipedrive", space_id)[0]
        pl_token, pl_password = _secrets("pipeliner", space_id)
        assert pl_password is not None
        now = self.records.clock()
        with self.db.write() as conn:
            company_id = int(conn.execute(insert(self.companies).values(
                name=name, space_id=space_id, fields_version=0, created_at=now,
            ).returning(self.companies.c.id)).scalar_one())
            ctx = Context(company_id, None, self.records.registry.base, is_admin=True)
            tx = Tx.of(conn)
            self.records.create(tx, ctx, "role", {"name": DEFAULT_ROLE, "is_default": True})
            team_id = self.records.create(tx, ctx, "team", {"name": DEFAULT_TEAM})
            user_id = self.records.create(tx, ctx, "user", {
                "name": admin_name or admin_email.split("@")[0], "email": admin_email,
                "is_admin": True, "team_id": team_id,
            })
            ctx = Context(company_id, user_id, ctx.schema, is_admin=True)
            pipeline_id = self.records.create(tx, ctx, "pipeline", {"name": "Pipeline"})
            for order, stage in enumerate(DEFAULT_STAGES, start=1):
                self.records.create(tx, ctx, "stage", {
                    "name": stage, "pipeline_id": pipeline_id, "order_nr": order,
                    "deal_probability": 100,
                })
            for order, (label, key, icon) in enumerate(DEFAULT_TYPES, start=1):
                self.records.create(tx, ctx, "activity_type", {
                    "name": label, "key": key, "icon_key": icon, "order_nr": order,
                    "is_custom": False})
            board_id = self.records.create(tx, ctx, "project_board", {"name": DEFAULT_BOARD})
            for phase in DEFAULT_PHASES:
                self.records.create(tx, ctx, "project_phase", {"name": phase, "board_id": board_id})
            conn.execute(insert(self.tokens), [
                {"company_id": company_id, "user_id": user_id, "kind": "pipedrive",
                 "token_hash": hash_secret(api_token), "secret_hash": None, "created_at": now},
                {"company_id": company_id, "user_id": user_id, "kind": "pipeliner",
                 "token_hash": hash_secret(pl_token), "secret_hash": hash_secret(pl_password),
                 "created_at": now},
            ])
        return NewCompany(company_id, space_id, user_id, api_token, pl_token, pl_password)

    # ---- companies, tokens and passwords (the CLI's account commands) ----------------------

    def list_companies(self, tx: Tx) -> list[Company]:
        rows = tx.rows(self._companies_sql.sql)
        return [Company(int(r[0]), r[1], r[2]) for r in rows]

    def trusted(self, tx: Tx, company_id: int) -> Context:
        """A trusted context of a company acting as no user: the service's own reads."""
        return Context(company_id, None, self.schema(tx, company_id), is_admin=True)

    def _user(self, tx: Tx, company_id: int, user_id: int) -> None:
        """NotFound unless ``user_id`` is a live user of the company."""
        ctx = self.trusted(tx, company_id)
        found = self.records.fetch(tx, ctx, "user", [user_id], fields=("id", "is_deleted"))
        if user_id not in found or found[user_id]["is_deleted"]:
            raise NotFound(f"user {user_id} not found")

    def list_tokens(self, tx: Tx, company_id: int) -> list[Token]:
        rows = tx.rows(self._tokens_sql.sql, self._tokens_sql.params({"company_id": company_id}))
        return [Token(int(r[0]), int(r[1]), r[2], r[3], _datetime(r[4])) for r in rows]

    def _forget(self, tx: Tx, company_id: int, token_id: int, action: str) -> None:
        """A change-log row that makes every process's sign-in cache forget the company's
        remembered sign-ins (see SIGN_IN_ENTITIES)."""
        self.records.changelog.append(tx, company_id, "api_token", token_id, action, {}, None,
                                      self.records.clock())
        with self._lock:
            self._signed_in.clear()

    def create_token(self, company_id: int, user_id: int, kind: str) -> NewToken:
        if kind not in TOKEN_KINDS:
            raise ValidationError(f"Token kind must be one of {', '.join(TOKEN_KINDS)}")
        with self.db.write() as conn:
            tx = Tx.of(conn)
            self._user(tx, company_id, user_id)
            space_id = self.company(tx, Context(company_id, None, self.records.registry.base)
                                    ).space_id
            token, password = _secrets(kind, space_id)
            token_id = int(conn.execute(insert(self.tokens).values(
                company_id=company_id, user_id=user_id, kind=kind, token_hash=hash_secret(token),
                secret_hash=None if password is None else hash_secret(password),
                created_at=self.records.clock()).returning(self.tokens.c.id)).scalar_one())
            self._forget(tx, company_id, token_id, "create")
        return NewToken(token_id, user_id, kind, token, password)

    def _token(self, conn: Any, company_id: int, token_id: int) -> Any:
        t = self.tokens
        row = conn.execute(select(t.c.user_id, t.c.kind).where(
            t.c.company_id == company_id, t.c.id == token_id, t.c.kind.in_(TOKEN_KINDS))).first()
        if row is None:
            raise NotFound(f"token {token_id} not found")
        return row

    def rotate_token(self, company_id: int, token_id: int) -> NewToken:
        """New secrets for a token (same id, user and kind); the old ones stop working."""
        with self.db.write() as conn:
            tx = Tx.of(conn)
            user_id, kind = self._token(conn, company_id, token_id)
            space_id = self.company(tx, Context(company_id, None, self.records.registry.base)
                                    ).space_id
            token, password = _secrets(kind, space_id)
            conn.execute(update(self.tokens).where(self.tokens.c.id == token_id).values(
                token_hash=hash_secret(token),
                secret_hash=None if password is None else hash_secret(password)))
            self._forget(tx, company_id, token_id, "update")
        return NewToken(token_id, user_id, kind, token, password)

    def revoke_token(self, company_id: int, token_id: int) -> None:
        with self.db.write() as conn:
            self._token(conn, company_id, token_id)
            conn.execute(delete(self.tokens).where(self.tokens.c.id == token_id))
            self._forget(Tx.of(conn), company_id, token_id, "delete")

    def set_password(self, company_id: int, user_id: int, password: str) -> None:
        """Store an argon2id hash of a user's sign-in password (replacing any)."""
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise ValidationError(
                f"Password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
        hashed = _hasher().hash(password)
        p = self.passwords
        with self.db.write() as conn:
            self._user(Tx.of(conn), company_id, user_id)
            now = self.records.clock()
            done = conn.execute(update(p).where(p.c.company_id == company_id,
                                                p.c.user_id == user_id)
                                .values(password_hash=hashed, updated_at=now)).rowcount
            if not done:
                conn.execute(insert(p).values(company_id=company_id, user_id=user_id,
                                              password_hash=hashed, updated_at=now))
            self.end_sessions(Tx.of(conn), company_id, user_id)  # (signed out everywhere)

    def end_sessions(self, tx: Tx, company_id: int, user_id: int) -> None:
        """End a user's web sessions and spend their invitations, in ``tx`` (a new password,
        a deactivation, a deletion)."""
        if tx.run(self._end_sql.sql, self._end_sql.params({"company_id": company_id,
                                                          "user_id": user_id})):
            self._forget(tx, company_id, 0, "delete")

    # ---- tokens that expire: web sessions and invitations (``sessions``) ------------------

    def issue(self, company_id: int, user_id: int, kind: str, expires_at: dt.datetime) -> str:
        """A new random token of ``kind`` for a live user, stored as its hash."""
        token = secrets.token_urlsafe(32)
        t = self.tokens
        now = self.records.clock()
        with self.db.write() as conn:
            tx = Tx.of(conn)
            self._user(tx, company_id, user_id)
            conn.execute(delete(t).where(  # (the company's expired ones go)
                t.c.company_id == company_id, t.c.kind.in_((SESSION_KIND, INVITE_KIND)),
                t.c.expires_at <= now))
            conn.execute(insert(self.tokens).values(
                company_id=company_id, user_id=user_id, kind=kind, token_hash=hash_secret(token),
                created_at=now, expires_at=expires_at))
        # (nothing remembered a token that did not exist: no sign-in needs forgetting, and
        # the company's other sessions stay remembered)
        return token

    def holder(self, token: str, kind: str) -> tuple[int, int] | None:
        """(company, user) of a live token of ``kind`` whose user is active, or None."""
        try:
            with self.db.tx() as tx:
                ctx = self.authenticate(tx, token, kind)
        except Unauthenticated:
            return None
        return (ctx.company_id, ctx.user_id) if ctx.user_id is not None else None

    def drop(self, token: str, kind: str) -> None:
        """Delete a token of ``kind`` (nothing if there is none): it stops working at once."""
        t = self.tokens
        if not token or len(token) > 200:
            return
        with self.db.write() as conn:
            row = conn.execute(select(t.c.id, t.c.company_id).where(
                t.c.token_hash == hash_secret(token), t.c.kind == kind)).first()
            if row is not None:
                conn.execute(delete(t).where(t.c.id == row[0]))
                self._forget(Tx.of(conn), int(row[1]), int(row[0]), "delete")

    def users_by_email(self, email: str) -> list[tuple[int, int]]:
        """(company, user) of every live, active user with this email, in every company
        (the web app's sign-in does not ask for the company first)."""
        users = self.records.tables["user"]
        with self.db.read() as conn:
            rows = conn.execute(select(users.c.company_id, users.c.id).where(
                func.lower(users.c.email) == email.lower(), users.c.is_deleted.is_(False),
                users.c.is_active.is_(True)).order_by(users.c.company_id).limit(20)).all()
        return [(int(r[0]), int(r[1])) for r in rows]

    def password_matches(self, company_id: int, user_id: int, password: str) -> bool:
        with self.db.tx() as tx:
            return self.check_password(tx, company_id, user_id, password)

    def every_company(self) -> list[Company]:
        with self.db.tx() as tx:
            return self.list_companies(tx)

    def user_card(self, company_id: int, user_id: int) -> tuple[str, str, str] | None:
        """(company name, email, name) of a live user, or None."""
        with self.db.tx() as tx:
            ctx = self.trusted(tx, company_id)
            found = self.records.fetch(tx, ctx, "user", [user_id],
                                       fields=("id", "is_deleted", "email", "name"))
            user = found.get(user_id)
            if user is None or user["is_deleted"]:
                return None
            return self.company(tx, ctx).name, str(user["email"] or ""), str(user["name"] or "")

    def key(self, name: str) -> bytes:
        """The installation's signing key ``name`` (made on first use, shared by every
        process through the database)."""
        found = self._keys.get(name)
        if found is not None:
            return found
        k = self.records.metadata.tables["installation_keys"]
        with self.db.read() as conn:
            value = conn.execute(select(k.c.value).where(k.c.name == name)).scalar()
        if value is None:
            try:
                with self.db.write() as conn:
                    value = secrets.token_hex(32)
                    conn.execute(insert(k).values(name=name, value=value,
                                                  created_at=self.records.clock()))
            except IntegrityError:  # another process made it first: theirs is the key
                with self.db.read() as conn:
                    value = conn.execute(select(k.c.value).where(k.c.name == name)).scalar_one()
        key = bytes.fromhex(value)
        self._keys[name] = key
        return key

    def check_password(self, tx: Tx, company_id: int, user_id: int, password: str) -> bool:
        """Whether ``password`` is the user's (False without one, or if it is too long)."""
        from argon2.exceptions import VerifyMismatchError

        row = tx.rows(self._password_sql.sql, self._password_sql.params(
            {"company_id": company_id, "user_id": user_id}))
        if len(password) > MAX_PASSWORD:
            return False
        try:  # (no such user or password: the same work, so the time tells nothing)
            return bool(_hasher().verify(row[0][0] if row else _decoy(), password)) and bool(row)
        except VerifyMismatchError:
            return False
        except Exception:  # a damaged hash: no sign-in
            return False

    def authenticate(self, tx: Tx, token: str, kind: str = "pipedrive",
                     secret: str | None = None) -> Context:
        """The caller behind a token (and, for Pipeliner, its password), or Unauthenticated,
        within the request's own transaction."""
        if not token or len(token) > 200 or (secret is not None and len(secret) > 200):
            raise Unauthenticated("You need to be authorized to make this request.")
        token_hash = hash_secret(token)
        key = (kind, token_hash, None if secret is None else hash_secret(secret))
        now = time.monotonic()
        remembered = self._signed_in.get(key)
        if remembered is not None:
            ctx, version, until = remembered
            if now < until and self.records.changelog.version(
                    tx, ctx.company_id, SIGN_IN_ENTITIES) == version:
                return ctx
        found = tx.rows(self._auth_sql.sql, self._auth_sql.params(
            {"token_hash": token_hash, "kind": kind}))
        row = found[0] if found else None
        ok = row is not None and hmac.compare_digest(row[2], token_hash)
        if ok and row is not None and kind == "pipeliner":
            ok = secret is not None and row[3] is not None and hmac.compare_digest(
                row[3], hash_secret(secret))
        if ok and row is not None and row[10] is not None and _datetime(row[10]) <= \
                self.records.clock():
            ok = False  # (an expired session or invitation)
        if not ok or row is None or row[6] or not row[5]:
            raise Unauthenticated("You need to be authorized to make this request.")
        company_id = int(row[0])
        version = self.records.changelog.version(tx, company_id, SIGN_IN_ENTITIES)
        schema = self.schema(tx, company_id, int(row[7]))
        ctx = Context(company_id, row[1], schema, bool(row[4]), row[8], row[9])
        if not ctx.is_admin and ctx.user_id is not None:  # what they see, remembered with it
            ctx = replace(ctx, sight=self.records.sight(tx, ctx))
        with self._lock:
            if len(self._signed_in) >= MAX_REMEMBERED:
                self._signed_in.clear()
            self._signed_in[key] = (ctx, version, now + AUTH_TTL)
        return ctx

    def company(self, tx: Tx, ctx: Context) -> Company:
        row = tx.rows(self._company_sql.sql, self._company_sql.params(
            {"company_id": ctx.company_id}))[0]
        return Company(int(row[0]), row[1], row[2])

    def schema(self, tx: Tx, company_id: int, version: int | None = None) -> Schema:
        """The company's schema, cached per fields_version (bumped on every field change).

        Only what a read transaction sees is cached: a write transaction may see its own
        field changes, which are not the company's until they commit."""
        if version is None:
            version = int(tx.scalar(self._version_sql.sql, self._version_sql.params(
                {"company_id": company_id})))
        cached = self._schemas.get(company_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        rows = tx.rows(self._fields_sql.sql, self._fields_sql.params({"company_id": company_id}))
        names = [c.name for c in self.fields.columns]
        schema = self.records.registry.schema(
            custom_field(dict(zip(names, self._decode(tx, r), strict=True))) for r in rows)
        if not tx.writing:
            self._schemas[company_id] = (version, schema)
        return schema

    def _decode(self, tx: Tx, row: tuple[Any, ...]) -> tuple[Any, ...]:
        """A custom_fields row as Python values (SQLite keeps JSON, dates and flags as text)."""
        if tx.backend != "sqlite":
            return row
        kinds = {"options": Kind.JSON, "settings": Kind.JSON, "created_at": Kind.DATETIME,
                 "updated_at": Kind.DATETIME, "is_deleted": Kind.BOOL}
        out = []
        for column, value in zip(self.fields.columns, row, strict=True):
            convert = decoder(kinds[column.name], "sqlite") if column.name in kinds else None
            out.append(value if value is None or convert is None else convert(value))
        return tuple(out)

    def refresh(self, tx: Tx, ctx: Context) -> Context:
        """The same caller with the company's current schema (after a field change)."""
        return replace(ctx, schema=self.schema(tx, ctx.company_id))


def _datetime(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


def custom_field(row: Any) -> CustomField:
    return CustomField(
        id=row["id"], entity=row["entity"], key=row["key"], name=row["name"],
        field_type=row["field_type"],
        options=tuple(Option(o["id"], o["label"]) for o in row["options"]),
        order_nr=row["order_nr"], settings=kept_settings(row["settings"]),
        creator_id=row["creator_id"],
        created_at=row["created_at"], updated_at=row["updated_at"],
        is_deleted=bool(row["is_deleted"]), slot=row["slot"],
    )


__all__ = ["TOKEN_KINDS", "Accounts", "Company", "NewCompany", "NewToken", "Token", "custom_field",
           "hash_secret"]
