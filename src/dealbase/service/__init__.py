"""The records service: the one door to the records.

Every adapter (the Pipedrive and Pipeliner dialects, the CLI, the demo seeder, the
benchmark's generator) reaches records through ``Service`` and nothing else:

* ``await service.read(who, work)`` / ``await service.write(who, work, size=…)`` sign
  ``who`` in (``Credentials`` from a request, or a trusted ``Context``), open one
  transaction and call ``work(unit)`` with a ``Unit`` of public operations for that
  caller. The service decides where the work runs: SQLite reads on the event loop
  (in-process and short), PostgreSQL's in the thread pool, writes as write units
  (SQLite's group commit; PostgreSQL's thread pool, retried on a deadlock);
* ``with service.unit(who, write=…) as unit:`` does the same synchronously, for
  callers without an event loop (the CLI, seeders, tests).

The service owns transactions, permissions (``permissions.Permissions``) and the rules
of the records (validation and entity rules from ``domain``; id uniqueness, batches and
reference checks in ``records``). Adapters import this package, ``query.ast`` and
``domain``, and nothing else of dealbase's core (a test enforces it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TypeVar

import anyio.to_thread

from ..domain.errors import Unauthenticated
from ..domain.registry import Registry
from ..query.cursor import decode_cursor, encode_cursor
from ..settings import Settings
from ..store.database import Database, Tx
from .accounts import TOKEN_KINDS, Company, NewCompany, NewToken, Token
from .oauth import App, Consent, NewApp, OAuth, Tokens
from .projects import (
    archive_project,
    create_project,
    create_template,
    delete_project,
    delete_task,
    place_in_plan,
    plan_of,
)
from .records import MAX_BULK, Context, Draft, Hit, Page, Records, new_uid, utcnow
from .roles import Roles, Teams
from .sessions import Choice, Invitation, Sessions
from .subscriptions import Subscriptions
from .unit import Aggregate, Change, Outcome, Remove, Save, Unit, live
from .webhooks import Attempt, Delivery, DispatchLock, Hook, Horizon, Webhooks

T = TypeVar("T")


@dataclass(frozen=True)
class Credentials:
    """What a request presents: a token (and for Pipeliner its password and the space the
    path names; another space's credentials are refused)."""

    token: str
    kind: str = "pipedrive"  # or "pipeliner", or "oauth" (an OAuth access token)
    secret: str | None = None
    space: str | None = None


Who = Credentials | Context


class Service:
    """The records service for one database; ``Service(settings)`` builds it all."""

    def __init__(self, settings: Settings, database: Database | None = None,
                 registry: Registry | None = None, *, records: Records | None = None) -> None:
        """``records``: the engine to use (the benchmark specialises it); by default one
        over ``database`` (by default the settings' database)."""
        from .accounts import Accounts
        from .fields import CustomFields
        from .permissions import Permissions

        self.settings = settings
        self._db = records.db if records is not None else (
            database or Database(settings.database_url, pool_size=settings.pool_size))
        self._records = records or Records(self._db, registry)
        self._accounts = Accounts(self._records)
        self._fields = CustomFields(self._accounts)
        self._permissions = Permissions()
        self._inline_reads = self._db.backend == "sqlite"
        from .limits import Limits

        self.limits = Limits(self._records)
        """Companies' rate-limit settings and injected faults (``service.limits``)."""
        self.webhooks = Webhooks(self)
        """The webhook outbox: fan-out, claims, the delivery log (``service.webhooks``)."""
        self.oauth = OAuth(self._accounts)
        """OAuth apps, grants and tokens (``service.oauth``)."""
        self.sessions = Sessions(self._accounts)
        """The web app's sign-in sessions, CSRF tokens and invitations."""

    @property
    def database(self) -> Database:
        """The store under the service (for the composition root, migrations and the
        benchmark; adapters never touch it)."""
        return self._db

    @property
    def registry(self) -> Registry:
        return self._records.registry

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        """The time every write stamps (naive UTC, whole seconds); tests may pin it."""
        return self._records.clock

    @clock.setter
    def clock(self, clock: Callable[[], dt.datetime]) -> None:
        self._records.clock = clock

    # ---- units of work -----------------------------------------------------------------

    def _unit(self, tx: Tx, who: Who) -> Unit:
        if isinstance(who, Context):
            ctx = who
        else:
            ctx = (self.oauth.authenticate(tx, who.token) if who.kind == "oauth" else
                   self._accounts.authenticate(tx, who.token, who.kind, who.secret))
            if who.space is not None and ctx.space_id != who.space:
                raise Unauthenticated("These credentials belong to another space")
        if not ctx.is_admin and ctx.user_id is not None and ctx.sight is None:
            ctx = replace(ctx, sight=self._records.sight(tx, ctx))  # what they see
        return Unit(self, tx, ctx)

    def _read_now(self, who: Who, work: Callable[[Unit], T]) -> T:
        with self._db.tx() as tx:
            return work(self._unit(tx, who))

    async def read(self, who: Who, work: Callable[[Unit], T], *, long: bool = False) -> T:
        """``work(unit)`` in one read transaction, where the backend wants it. ``long``:
        work that may take a while (statistics, searches, exports) runs in the thread pool
        on every backend, so that it never stalls the event loop."""
        if self._inline_reads and not long:
            return self._read_now(who, work)
        return await anyio.to_thread.run_sync(self._read_now, who, work)

    async def write(self, who: Who, work: Callable[[Unit], T], *, size: int = 0) -> T:
        """``work(unit)`` as one write unit, answered once committed; ``size``: the bytes
        of the request body behind it (big ones run one at a time)."""
        return await self._db.write_unit(lambda tx: work(self._unit(tx, who)), size)

    @contextmanager
    def unit(self, who: Who, *, write: bool = False) -> Iterator[Unit]:
        """A unit for synchronous callers: committed when the block ends without error."""
        with self._db.tx(write=write) as tx:
            yield self._unit(tx, who)

    # ---- companies and the service itself -------------------------------------------------

    def create_company(self, name: str, admin_email: str, admin_name: str | None = None
                       ) -> NewCompany:
        """A company with its admin user, default pipeline and API credentials (shown once)."""
        return self._accounts.create_company(name, admin_email, admin_name)

    def companies(self) -> list[Company]:
        """Every company, by id."""
        return self._accounts.every_company()

    def owner(self, company_id: int) -> Context:
        """A trusted context acting as the company's first active admin user (the CLI's
        caller); NotFound if the company has none."""
        from ..domain.errors import NotFound
        from ..query.ast import Cond, all_of

        with self._db.tx() as tx:
            if not any(c.id == company_id for c in self._accounts.list_companies(tx)):
                raise NotFound(f"company {company_id} not found")
            unit = Unit(self, tx, self._accounts.trusted(tx, company_id))
            found = unit.find("user", all_of(Cond("is_admin", "eq", True),
                                             Cond("is_active", "eq", True), live()))
        if found is None:
            raise NotFound(f"company {company_id} has no active admin user")
        return self.admin(company_id, int(found["id"]))

    def tokens(self, company_id: int) -> list[Token]:
        """The company's API tokens (never their secrets)."""
        with self._db.tx() as tx:
            return self._accounts.list_tokens(tx, company_id)

    def create_token(self, company_id: int, user_id: int, kind: str = "pipedrive") -> NewToken:
        """A new API token of ``kind`` for a live user (secrets shown once)."""
        return self._accounts.create_token(company_id, user_id, kind)

    def rotate_token(self, company_id: int, token_id: int) -> NewToken:
        """New secrets for a token; the old ones stop working at once."""
        return self._accounts.rotate_token(company_id, token_id)

    def revoke_token(self, company_id: int, token_id: int) -> None:
        """Delete a token; it stops working at once."""
        self._accounts.revoke_token(company_id, token_id)

    def set_password(self, company_id: int, user_id: int, password: str) -> None:
        """A user's sign-in password, stored as an argon2id hash."""
        self._accounts.set_password(company_id, user_id, password)

    def check_password(self, company_id: int, user_id: int, password: str) -> bool:
        return self._accounts.password_matches(company_id, user_id, password)

    def admin(self, company_id: int, user_id: int) -> Context:
        """A trusted context acting as an admin user of a company (CLI, seeders, tests)."""
        with self._db.tx() as tx:
            schema = self._accounts.schema(tx, company_id)
            company = self._accounts.company(tx, Context(company_id, user_id, schema))
        return Context(company_id, user_id, schema, True, company.name, company.space_id)

    def rederive(self, ctx: Context) -> None:
        """Recompute every derived field (counters, next and last activity…) of a company:
        after rows were loaded around the service (the benchmark's generator), or to repair."""
        with self._db.tx(write=True) as tx:
            self._records.rederive(tx, ctx)

    def reindex(self, ctx: Context) -> None:
        """Make a company's full-text index afresh from its live records (after rows were
        loaded around the service, or to repair)."""
        with self._db.tx(write=True) as tx:
            self._records.reindex(tx, ctx)

    def migrate(self) -> None:
        """Create or upgrade the database's schema in place."""
        self._db.migrate()

    def close(self) -> None:
        self._db.dispose()


__all__ = ["MAX_BULK", "TOKEN_KINDS", "Aggregate", "App", "Consent", "NewApp", "OAuth",
           "Tokens", "Change", "Choice", "Company", "Invitation", "Sessions", "Context", "Credentials", "Draft",
           "Hit", "NewCompany", "NewToken", "Outcome", "Page", "Token",
           "Attempt", "Delivery", "DispatchLock", "Hook", "Horizon", "Webhooks",
           "Remove", "Roles", "Save", "Service", "Subscriptions", "Teams", "Unit", "decode_cursor",
           "encode_cursor", "live",
           "new_uid", "utcnow",
           "archive_project", "create_project", "create_template", "delete_project", "delete_task",
           "place_in_plan", "plan_of"]
