"""The webhook outbox's public door (``service.webhooks``): fan-out, claims, results,
the delivery log and replays.

The dispatcher (an adapter: it renders Pipedrive payloads and speaks HTTP) calls
``fan_out`` and ``deliver`` for each company ``companies`` names; the SQL is in
``store.outbox``, the rules (schedule, ban, give-up) in ``domain.webhooks``. A
webhook's events are read as its ``user_id``: the payload builder gets a ``Unit`` for
that user, so a record the user may not see is not found and its event is skipped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from ..domain import webhooks as rules
from ..domain.errors import DealbaseError, NotFound, invalid
from ..query.ast import Cond, all_of
from ..store.changelog import Change
from ..store.database import Tx
from ..store.outbox import (
    DELIVERED,
    PENDING,
    Attempt,
    Delivery,
    Hook,
    Horizon,
    NewDelivery,
    OutboxStore,
)
from .records import Context, Records
from .unit import Record, Unit

if TYPE_CHECKING:
    from . import Credentials, Service

log = logging.getLogger("dealbase.webhooks")
# What builds an event's payload for a webhook, as its user sees the record, given the
# event's id (None: skip it).
Build = Callable[[Unit, Hook, Change, str], "str | None"]
# What sends claimed deliveries: one Attempt per delivery, in order.
Send = Callable[[Sequence[tuple[Hook, Delivery]]], Sequence[Attempt]]
FAN_OUT_ROWS = 500  # change-log rows one fan-out reads


class DispatchLock:
    """An exclusive, non-blocking file lock (released by the kernel if the process dies,
    even by kill -9); no file: always held."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        if self.path is None or self._file is not None:
            return True
        import fcntl

        handle = open(self.path, "ab")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # (closing the file lets go of the lock)
            self._file = None


def deactivate(records: Records, tx: Tx, ctx: Context, ids: Sequence[int], reason: str,
               at: dt.datetime) -> None:
    """Stop webhooks (``reason``: why), through the records engine: the change log says
    so, as of any other write."""
    for hook_id in ids:
        records.update(tx, ctx, "webhook", hook_id, {
            "is_active": False, "remove_reason": reason, "remove_time": at})


class Webhooks:
    """The outbox over one service's database (see the module's doc)."""

    def __init__(self, service: Service) -> None:
        self._service = service
        self._db = service.database
        self._store = OutboxStore()

    @property
    def backend(self) -> str:
        return self._db.backend

    def create(self, unit: Unit, values: Mapping[str, Any], allowed: Any
               ) -> tuple[Record, str]:
        """A webhook for the unit's caller, and its signing secret (shown once): its URL
        must be one the SSRF guard lets through (``allowed``: the server's
        ``DEALBASE_WEBHOOK_ALLOW``), its owner below Pipedrive's 40 (LimitReached), and it
        hears what happens from now on."""
        url = rules.check_url(values.get("subscription_url"), allowed)
        mine = unit.count("webhook", all_of(Cond("is_deleted", "eq", False),
                                            Cond("owner_id", "eq", unit.ctx.user_id)))
        if mine >= rules.MAX_PER_USER:
            raise rules.LimitReached("webhooks limit reached")
        secret = rules.new_secret()
        made = unit.create("webhook", {**values, "subscription_url": url, "secret": secret,
                                       "since_seq": unit.version()})
        return made, secret

    def lock(self) -> DispatchLock:
        """The lock a dispatcher holds while it works: on SQLite one dispatcher per
        database file (its sends run outside any transaction, unclaimed); nothing to hold
        on PostgreSQL, whose claims are row locks."""
        from sqlalchemy.engine import make_url

        if self._db.backend != "sqlite":
            return DispatchLock(None)
        path = make_url(self._db.url).database
        return DispatchLock(None if path in (None, "", ":memory:") or path.startswith("file:")
                            else f"{path}.webhooks.lock")

    def new_horizon(self) -> Horizon:
        """A dispatcher's own horizon (see ``store.outbox.Horizon``)."""
        return Horizon()

    def companies(self, horizon: Horizon | None = None) -> tuple[list[int], int | None]:
        """The companies with a webhook, and how far the change log may be read (None:
        all of it)."""
        with self._db.tx() as tx:
            safe = horizon.advance(tx) if horizon is not None else None
            return self._store.hooked_companies(tx), safe

    # ---- fan-out ----------------------------------------------------------------------

    def _trusted(self, tx: Tx, company_id: int) -> Context:
        """A trusted context of the company (no user): to read who a webhook's user is."""
        accounts = self._service._accounts
        ctx = accounts.trusted(tx, company_id)
        company = accounts.company(tx, ctx)
        return dataclasses.replace(ctx, company_name=company.name, space_id=company.space_id)

    def _user_context(self, trusted: Unit, hook: Hook) -> Context | None:
        """The context of the webhook's user, with that user's own rights, what they see
        worked out afresh (None: the user is gone or inactive, and sees nothing)."""
        try:
            user = trusted.get("user", hook.user_id)
        except NotFound:
            return None
        if user.get("is_deleted") or not user.get("is_active", True):
            return None
        return dataclasses.replace(trusted.ctx, user_id=hook.user_id,
                                   is_admin=bool(user.get("is_admin")), sight=None, scopes=None)

    def _payloads(self, tx: Tx, company_id: int, hooks: Sequence[Hook],
                  changes: Sequence[Change], build: Build) -> list[NewDelivery]:
        """One delivery per change and matching webhook whose user sees the record."""
        service = self._service
        trusted = service._unit(tx, self._trusted(tx, company_id))
        units: dict[int, Unit | None] = {}
        items: list[NewDelivery] = []
        for change in changes:
            for hook in hooks:
                if change.seq <= hook.since_seq or not rules.matches(
                        hook.event_action, hook.event_object,
                        rules.event_of(change.action, change.changes), change.entity):
                    continue
                if hook.user_id not in units:
                    ctx = self._user_context(trusted, hook)
                    units[hook.user_id] = None if ctx is None else service._unit(tx, ctx)
                unit = units[hook.user_id]
                if unit is None:
                    continue
                event_id = str(uuid.uuid4())
                try:
                    body = build(unit, hook, change, event_id)
                except DealbaseError:  # (the user may not see it: as if not found)
                    body = None
                except Exception:  # one event that cannot be rendered holds up no other
                    log.exception("webhook %s: event %s of %s %s could not be built; "
                                  "skipped", hook.id, change.seq, change.entity,
                                  change.record_id)
                    body = None
                if body is not None:
                    items.append(NewDelivery(hook.id, change.seq, change.entity,
                                             change.record_id, change.action, event_id, body,
                                             change.at))
        return items

    def fan_out(self, company_id: int, build: Build, now: dt.datetime,
                horizon: int | None = None) -> int:
        """Turn the company's change-log rows after its cursor (up to ``horizon``) into
        pending deliveries, one per event and matching webhook, payload built once; how
        many rows were read (0: caught up, or another dispatcher is at it).

        PostgreSQL: all in one transaction that holds the company's cursor row (other
        dispatchers skip the company meanwhile; writers are not held up). SQLite (one
        dispatcher per file): the payloads are built in a read transaction and only the
        deliveries written in a write transaction, so the API's writers wait for that
        short write only."""
        log_of = self._service._records.changelog
        before = None if horizon is None else horizon + 1
        if self._db.backend == "postgresql":
            with self._db.tx(write=True) as tx:
                hooks = self._store.hooks(tx, company_id)
                if not hooks:
                    return 0
                cursor = self._store.lock_cursor(tx, company_id,
                                                 min(h.since_seq for h in hooks))
                if cursor is None:
                    return 0
                changes = log_of.read(tx, company_id, after=cursor, before=before,
                                      limit=FAN_OUT_ROWS)
                if changes:
                    items = self._payloads(tx, company_id, hooks, changes, build)
                    self._store.enqueue(tx, company_id, items, now)
                    self._store.move_cursor(tx, company_id, changes[-1].seq)
                return len(changes)
        with self._db.tx() as tx:
            hooks = self._store.hooks(tx, company_id)
            if not hooks:
                return 0
            start = min(h.since_seq for h in hooks)
            cursor = self._store.cursor(tx, company_id)
            changes = log_of.read(tx, company_id, after=start if cursor is None else cursor,
                                  before=before, limit=FAN_OUT_ROWS)
            if not changes:
                return 0
            items = self._payloads(tx, company_id, hooks, changes, build)
        with self._db.tx(write=True) as tx:
            self._store.lock_cursor(tx, company_id, start)
            self._store.enqueue(tx, company_id, items, now)
            self._store.move_cursor(tx, company_id, changes[-1].seq)
        return len(changes)

    # ---- delivery ---------------------------------------------------------------------

    def deliver(self, company_id: int, clock: Callable[[], dt.datetime], send: Send,
                limit: int = 50) -> int:
        """Claim the company's due deliveries (not those of banned webhooks; a record's
        events one at a time, in order), ``send`` them and write what happened; how many
        were sent. On PostgreSQL the claim holds row locks until the results are written,
        so no other dispatcher sends the same event meanwhile."""
        now = clock()
        if self._db.backend == "postgresql":
            with self._db.tx(write=True) as tx:
                batch = self._claim(tx, company_id, now, limit)
                if not batch:
                    return 0
                attempts = send(batch)
                self._record(tx, company_id, batch, attempts)
            return len(batch)
        with self._db.tx() as tx:
            batch = self._claim(tx, company_id, now, limit)
        if not batch:
            return 0
        attempts = send(batch)
        with self._db.tx(write=True) as tx:
            self._record(tx, company_id, batch, attempts)
        return len(batch)

    def _claim(self, tx: Tx, company_id: int, now: dt.datetime, limit: int
               ) -> list[tuple[Hook, Delivery]]:
        hooks = {h.id: h for h in self._store.hooks(tx, company_id) if not h.health.banned(now)}
        due = self._store.due(tx, company_id, list(hooks), now, limit)
        return [(hooks[d.webhook_id], d) for d in due]

    def _record(self, tx: Tx, company_id: int, batch: Sequence[tuple[Hook, Delivery]],
                attempts: Sequence[Attempt]) -> None:
        health = self._store.lock_health(tx, company_id, sorted({h.id for h, _ in batch}))
        last: dict[int, Attempt] = {}
        for (hook, delivery), attempt in zip(batch, attempts, strict=True):
            again = None if attempt.ok else rules.next_try(attempt.attempt, attempt.at)
            self._store.record(tx, company_id, delivery, attempt, again)
            if hook.id in health:
                health[hook.id] = health[hook.id].after(attempt.ok, attempt.attempt, attempt.at)
                last[hook.id] = attempt
        for hook_id, state in health.items():
            if hook_id not in last:
                continue
            at = last[hook_id]
            self._store.save_health(tx, company_id, hook_id, state, at.at, at.status)
            if state.given_up(at.at):
                deactivate(self._service._records, tx, self._trusted(tx, company_id),
                           [hook_id], rules.REMOVED_FOR_FAILURES, at.at)
                log.warning("webhook %s of company %s deactivated: no successful delivery "
                            "for 3 days", hook_id, company_id)

    def purge(self, company_id: int, before: dt.datetime) -> int:
        """Forget the company's deliveries delivered before ``before`` (the log keeps
        ``DEALBASE_WEBHOOK_KEEP_DAYS``; pending ones stay until delivered); how many."""
        with self._db.tx(write=True) as tx:
            return self._store.purge(tx, company_id, before)

    # ---- the delivery log and replays (for a signed-in caller) ---------------------------

    @staticmethod
    def _visible(unit: Unit, webhook_id: int) -> Context:
        """The caller's context, if the webhook is theirs to manage (NotFound otherwise)."""
        found = unit.get("webhook", webhook_id)  # (theirs, or any for an admin: visibility)
        if found.get("is_deleted"):
            raise NotFound("Webhook not found")
        return unit.ctx

    def states(self, ctx: Context, ids: Sequence[int]
               ) -> dict[int, tuple[dt.datetime | None, int | None]]:
        """Per webhook: its last delivery's time and HTTP status."""
        with self._db.tx() as tx:
            return self._store.states(tx, ctx.company_id, ids)

    # (These open their own transaction and sign ``who`` in: call them outside a unit.)

    def deliveries(self, who: Context | Credentials, webhook_id: int, *, before: int | None = None,
                   status: str | None = None, limit: int = 100
                   ) -> list[tuple[Delivery, list[Attempt]]]:
        """A webhook's delivery log, newest first, each delivery with its attempts."""
        if status is not None and status not in (PENDING, DELIVERED):
            raise invalid("status", f"must be {PENDING} or {DELIVERED}")
        with self._db.tx() as tx:
            ctx = self._visible(self._service._unit(tx, who), webhook_id)
            found = self._store.deliveries(tx, ctx.company_id, webhook_id, before=before,
                                           status=status, limit=max(1, min(limit, 500)))
            attempts = self._store.attempts(tx, ctx.company_id, [d.id for d in found])
        return [(d, attempts.get(d.id, [])) for d in found]

    def delivery(self, who: Context | Credentials, webhook_id: int, delivery_id: int
                 ) -> tuple[Delivery, list[Attempt]]:
        with self._db.tx() as tx:
            ctx = self._visible(self._service._unit(tx, who), webhook_id)
            found = self._store.delivery(tx, ctx.company_id, delivery_id)
            if found is None or found.webhook_id != webhook_id:
                raise NotFound("Delivery not found")
            return found, self._store.attempts(tx, ctx.company_id, [found.id]).get(found.id, [])

    def replay(self, who: Context | Credentials, webhook_id: int, *, delivery_id: int | None = None,
               since_seq: int | None = None, since: dt.datetime | None = None) -> int:
        """Send again (the stored payload, a new attempt number): one delivery, or every
        one of the webhook from a change-log seq or a time on; how many."""
        if (delivery_id, since_seq, since).count(None) != 2:
            raise invalid("delivery_id", "give one of delivery_id, since_seq or since")
        now = self._service.clock()
        with self._db.tx(write=True) as tx:
            ctx = self._visible(self._service._unit(tx, who), webhook_id)
            if delivery_id is not None and self._store.delivery(
                    tx, ctx.company_id, delivery_id) is None:
                raise NotFound("Delivery not found")
            return self._store.replay(tx, ctx.company_id, webhook_id, now,
                                      delivery_id=delivery_id, since_seq=since_seq, since=since)


__all__ = ["Attempt", "Build", "Delivery", "DispatchLock", "Hook", "Horizon", "Send",
           "Webhooks"]
