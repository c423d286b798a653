"""The webhook outbox's SQL: fan-out of the change log into deliveries, claims, results.

The change log is the outbox: every write appended its rows in its own transaction. A
dispatcher fans a company's new rows out into ``webhook_deliveries`` (one row per event
and webhook, its payload built once) under the company's cursor row, then claims the
deliveries that are due, sends them and writes what happened.

* PostgreSQL: several dispatchers share the work. The cursor row and the deliveries are
  claimed with ``FOR UPDATE SKIP LOCKED`` and stay locked while they are sent (a
  dispatcher killed mid-delivery drops its connection, and with it its locks: the event
  is pending again). A delivery is due only if no earlier event of the same record is
  still pending for that webhook, so a record's events leave in order. Fan-out reads
  the log up to a *horizon* (``Horizon``): seqs are taken before commit, so a lower seq
  may become visible after a higher one; the horizon only passes a seq once every
  transaction that could still hold a lower one has ended.
* SQLite has one writer and one dispatcher per database file (the dispatcher holds a
  file lock), so it claims without locks and sends outside any transaction.

Every statement filters by ``company_id``, but ``hooked_companies`` (which companies
have a webhook: the dispatcher's list of work).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..domain.types import Kind
from ..domain.webhooks import Health
from .codec import encode
from .database import Tx

PENDING, DELIVERED = "pending", "delivered"
_HOOK = ("id", "event_action", "event_object", "user_id", "version", "since_seq",
         "subscription_url", "http_auth_user", "http_auth_password", "secret", "owner_id",
         "type")


@dataclass(frozen=True)
class Hook:
    """An active webhook as the dispatcher needs it, with its delivery health."""

    id: int
    company_id: int
    event_action: str
    event_object: str
    user_id: int
    version: str
    since_seq: int
    subscription_url: str
    http_auth_user: str | None
    http_auth_password: str | None
    secret: str
    owner_id: int
    health: Health
    type: str = "general"  # or "application": an OAuth app's (``meta.type``)


@dataclass(frozen=True)
class NewDelivery:
    webhook_id: int
    seq: int
    entity: str
    record_id: int
    action: str
    event_id: str
    body: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Delivery:
    """A delivery as claimed or listed."""

    id: int
    company_id: int
    webhook_id: int
    seq: int
    entity: str
    record_id: int
    action: str
    event_id: str
    body: str
    status: str
    attempts: int
    next_at: dt.datetime
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    last_status: int | None
    last_error: str | None
    latency_ms: int | None


@dataclass(frozen=True)
class Attempt:
    """One try at a delivery: when, whether the receiver took it, what it answered."""

    delivery_id: int
    attempt: int
    at: dt.datetime
    ok: bool
    status: int | None
    latency_ms: int
    error: str | None


_DELIVERY = ("id, company_id, webhook_id, seq, entity, record_id, action, event_id, body, "
             "status, attempts, next_at, created_at, delivered_at, last_status, last_error, "
             "latency_ms")


def _time(value: Any) -> Any:
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def _delivery(row: Sequence[Any]) -> Delivery:
    values = list(row)
    for i in (11, 12, 13):
        values[i] = _time(values[i])
    return Delivery(*values)


def _t(tx: Tx, value: dt.datetime | None) -> Any:
    return encode(Kind.DATETIME, tx.backend, value)


class Horizon:
    """How far a dispatcher may read the change log without missing a row committed
    late (PostgreSQL; SQLite's single writer commits in seq order: no horizon).

    A writer takes the table's ROW EXCLUSIVE lock before its seq and holds it until it
    commits. Each probe notes the sequence's last value, then the transactions holding
    that lock: once none of those is left, every seq up to the noted value is committed
    or gone. Only the change log's writers count, not the other transactions of the
    server (a long report elsewhere does not hold webhooks back)."""

    def __init__(self) -> None:
        self._sequence: str | None = None
        self._noted: list[tuple[int, frozenset[str]]] = []  # (last seq, writers then)
        self.safe = 0

    def advance(self, tx: Tx) -> int | None:
        if tx.backend != "postgresql":
            return None
        if self._sequence is None:
            self._sequence = str(tx.scalar("SELECT pg_get_serial_sequence('change_log', 'seq')"))
        last = int(tx.scalar(f"SELECT last_value FROM {self._sequence}"))
        writers = frozenset(str(r[0]) for r in tx.rows(
            "SELECT virtualtransaction FROM pg_locks WHERE locktype = 'relation' AND"
            " relation = 'change_log'::regclass AND mode = 'RowExclusiveLock'"))
        self._noted.append((last, writers))
        done = [seq for seq, then in self._noted if not then & writers]
        if done:
            self.safe = max(self.safe, *done)
            self._noted = [(seq, then) for seq, then in self._noted if then & writers]
        self._noted = self._noted[-1000:]
        return self.safe


class OutboxStore:
    """The outbox's statements (see the module's doc)."""

    @staticmethod
    def hooked_companies(tx: Tx) -> list[int]:
        """The companies with a webhook (active or not: a deactivated one's log is still
        kept, and purged)."""
        rows = tx.rows(f"SELECT DISTINCT company_id FROM webhooks WHERE is_deleted = {tx.mark}"
                       " ORDER BY company_id", (False,))
        return [int(r[0]) for r in rows]

    @staticmethod
    def hooks(tx: Tx, company_id: int, ids: Sequence[int] | None = None) -> list[Hook]:
        """The company's active webhooks (of ``ids``, when given), with their health."""
        mark = tx.mark
        where = ""
        params: list[Any] = [company_id, True, False]
        if ids is not None:
            if not ids:
                return []
            where = f" AND w.id IN ({', '.join(mark for _ in ids)})"
            params += list(ids)
        rows = tx.rows(
            f"SELECT {', '.join('w.' + c for c in _HOOK)}, s.ban_count, s.banned_until,"
            " s.failing_since FROM webhooks w LEFT JOIN webhook_states s"
            " ON s.company_id = w.company_id AND s.webhook_id = w.id"
            f" WHERE w.company_id = {mark} AND w.is_active = {mark} AND w.is_deleted = {mark}"
            f"{where} ORDER BY w.id", params)
        out = []
        for row in rows:
            (hook_id, action, obj, user_id, version, since, url, auth_user, auth_password,
             secret, owner_id, kind, ban_count, banned_until, failing_since) = row
            out.append(Hook(int(hook_id), company_id, action, obj, int(user_id), version,
                            int(since), url, auth_user, auth_password, secret, int(owner_id),
                            Health(int(ban_count or 0), _time(banned_until),
                                   _time(failing_since)), kind))
        return out

    # ---- fan-out ----------------------------------------------------------------------

    @staticmethod
    def lock_cursor(tx: Tx, company_id: int, start: int) -> int | None:
        """The company's fan-out position, its row locked for this transaction (made at
        ``start`` if it has none); None if another dispatcher holds it."""
        mark = tx.mark
        if tx.backend == "postgresql":
            tx.run("INSERT INTO webhook_cursors (company_id, seq) VALUES (%s, %s)"
                   " ON CONFLICT (company_id) DO NOTHING", (company_id, start))
            found = tx.rows("SELECT seq FROM webhook_cursors WHERE company_id = %s"
                            " FOR UPDATE SKIP LOCKED", (company_id,))
            return int(found[0][0]) if found else None
        tx.run("INSERT INTO webhook_cursors (company_id, seq) VALUES (?, ?)"
               " ON CONFLICT (company_id) DO NOTHING", (company_id, start))
        return int(tx.scalar(f"SELECT seq FROM webhook_cursors WHERE company_id = {mark}",
                             (company_id,)))

    @staticmethod
    def cursor(tx: Tx, company_id: int) -> int | None:
        """The company's fan-out position (None: not made yet)."""
        found = tx.scalar(f"SELECT seq FROM webhook_cursors WHERE company_id = {tx.mark}",
                          (company_id,))
        return None if found is None else int(found)

    @staticmethod
    def move_cursor(tx: Tx, company_id: int, seq: int) -> None:
        mark = tx.mark
        tx.run(f"UPDATE webhook_cursors SET seq = {mark} WHERE company_id = {mark}",
               (seq, company_id))

    @staticmethod
    def enqueue(tx: Tx, company_id: int, items: Sequence[NewDelivery], now: dt.datetime
                ) -> None:
        """New pending deliveries, due ``now`` (an event already fanned out to a webhook
        is not added twice)."""
        if not items:
            return
        marks = ", ".join(tx.mark for _ in range(12))
        tx.many("INSERT INTO webhook_deliveries (company_id, webhook_id, seq, entity, record_id,"
                " action, event_id, body, status, attempts, next_at, created_at)"
                f" VALUES ({marks}) ON CONFLICT (company_id, webhook_id, seq) DO NOTHING",
                [(company_id, d.webhook_id, d.seq, d.entity, d.record_id, d.action, d.event_id,
                  d.body, PENDING, 0, _t(tx, now), _t(tx, d.created_at)) for d in items])

    # ---- claims and results -----------------------------------------------------------

    @staticmethod
    def due(tx: Tx, company_id: int, hook_ids: Sequence[int], now: dt.datetime, limit: int
            ) -> list[Delivery]:
        """Pending deliveries of these webhooks due by ``now``, each the earliest pending
        event of its record for its webhook; on PostgreSQL locked (skipping those another
        dispatcher holds)."""
        if not hook_ids:
            return []
        mark = tx.mark
        hooks = ", ".join(mark for _ in hook_ids)
        lock = " FOR UPDATE OF d SKIP LOCKED" if tx.backend == "postgresql" else ""
        columns = ", ".join(f"d.{c.strip()}" for c in _DELIVERY.split(","))
        rows = tx.rows(
            f"SELECT {columns} FROM webhook_deliveries d WHERE d.company_id = {mark}"
            f" AND d.status = {mark} AND d.next_at <= {mark} AND d.webhook_id IN ({hooks})"
            # (a correlated subquery: one probe of ix_webhook_deliveries_record per row)
            " AND d.seq = (SELECT e.seq FROM webhook_deliveries e WHERE e.company_id ="
            " d.company_id AND e.webhook_id = d.webhook_id AND e.entity = d.entity AND"
            f" e.record_id = d.record_id AND e.status = {mark} ORDER BY e.seq LIMIT 1)"
            f" ORDER BY d.next_at LIMIT {int(limit)}{lock}",
            (company_id, PENDING, _t(tx, now), *hook_ids, PENDING))
        return [_delivery(r) for r in rows]

    @staticmethod
    def record(tx: Tx, company_id: int, delivery: Delivery, attempt: Attempt,
               next_at: dt.datetime | None) -> None:
        """What one attempt did: delivered (``next_at`` None) or due again at ``next_at``."""
        mark = tx.mark
        tx.run(f"UPDATE webhook_deliveries SET status = {mark}, attempts = {mark},"
               f" next_at = {mark}, delivered_at = {mark}, last_status = {mark},"
               f" last_error = {mark}, latency_ms = {mark}"
               f" WHERE company_id = {mark} AND id = {mark}",
               (DELIVERED if attempt.ok else PENDING, attempt.attempt,
                _t(tx, next_at or delivery.next_at), _t(tx, attempt.at if attempt.ok else None),
                attempt.status, attempt.error, attempt.latency_ms, company_id, delivery.id))
        tx.run("INSERT INTO webhook_attempts (company_id, webhook_id, delivery_id, attempt, at,"
               f" ok, status, latency_ms, error) VALUES ({', '.join(mark for _ in range(9))})",
               (company_id, delivery.webhook_id, delivery.id, attempt.attempt,
                _t(tx, attempt.at), attempt.ok, attempt.status, attempt.latency_ms,
                attempt.error))

    @staticmethod
    def lock_health(tx: Tx, company_id: int, ids: Sequence[int]) -> dict[int, Health]:
        """These webhooks' health, their rows locked for this transaction (PostgreSQL: a
        concurrent dispatcher's results for the same webhook wait), made if missing."""
        mark = tx.mark
        tx.many("INSERT INTO webhook_states (company_id, webhook_id, ban_count) VALUES"
                f" ({mark}, {mark}, 0) ON CONFLICT (company_id, webhook_id) DO NOTHING",
                [(company_id, i) for i in sorted(ids)])
        lock = " FOR UPDATE" if tx.backend == "postgresql" else ""
        rows = tx.rows(f"SELECT webhook_id, ban_count, banned_until, failing_since FROM"
                       f" webhook_states WHERE company_id = {mark} AND webhook_id IN"
                       f" ({', '.join(mark for _ in ids)}) ORDER BY webhook_id{lock}",
                       (company_id, *sorted(ids)))
        return {int(r[0]): Health(int(r[1]), _time(r[2]), _time(r[3])) for r in rows}

    @staticmethod
    def save_health(tx: Tx, company_id: int, webhook_id: int, health: Health,
                    at: dt.datetime, status: int | None) -> None:
        """A webhook's health after its attempts, and its last delivery (row made by
        ``lock_health``)."""
        mark = tx.mark
        tx.run(f"UPDATE webhook_states SET ban_count = {mark}, banned_until = {mark},"
               f" failing_since = {mark}, last_delivery_time = {mark}, last_http_status = {mark}"
               f" WHERE company_id = {mark} AND webhook_id = {mark}",
               (health.ban_count, _t(tx, health.banned_until), _t(tx, health.failing_since),
                _t(tx, at), status, company_id, webhook_id))

    # ---- the delivery log and replays ----------------------------------------------------

    @staticmethod
    def purge(tx: Tx, company_id: int, before: dt.datetime, limit: int = 5000) -> int:
        """Forget up to ``limit`` deliveries delivered before ``before``, with their
        attempts (pending ones are never forgotten); how many."""
        mark = tx.mark
        ids = [int(r[0]) for r in tx.rows(
            f"SELECT id FROM webhook_deliveries WHERE company_id = {mark} AND status = {mark}"
            f" AND delivered_at < {mark} ORDER BY id LIMIT {int(limit)}",
            (company_id, DELIVERED, _t(tx, before)))]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join(mark for _ in chunk)
            tx.run(f"DELETE FROM webhook_attempts WHERE company_id = {mark} AND delivery_id IN"
                   f" ({marks})", (company_id, *chunk))
            tx.run(f"DELETE FROM webhook_deliveries WHERE company_id = {mark} AND id IN"
                   f" ({marks})", (company_id, *chunk))
        return len(ids)

    @staticmethod
    def states(tx: Tx, company_id: int, ids: Sequence[int]
               ) -> dict[int, tuple[dt.datetime | None, int | None]]:
        """Per webhook: its last delivery's time and HTTP status."""
        if not ids:
            return {}
        mark = tx.mark
        rows = tx.rows(f"SELECT webhook_id, last_delivery_time, last_http_status FROM"
                       f" webhook_states WHERE company_id = {mark} AND webhook_id IN"
                       f" ({', '.join(mark for _ in ids)})", (company_id, *ids))
        return {int(r[0]): (_time(r[1]), r[2]) for r in rows}

    @staticmethod
    def deliveries(tx: Tx, company_id: int, webhook_id: int, *, before: int | None = None,
                   status: str | None = None, limit: int = 100) -> list[Delivery]:
        """A webhook's deliveries, newest first (ids below ``before``)."""
        where, params = _of_webhook(tx, company_id, webhook_id, ("id <", before),
                                    ("status =", status))
        rows = tx.rows(f"SELECT {_DELIVERY} FROM webhook_deliveries WHERE {where}"
                       f" ORDER BY id DESC LIMIT {int(limit)}", params)
        return [_delivery(r) for r in rows]

    @staticmethod
    def delivery(tx: Tx, company_id: int, delivery_id: int) -> Delivery | None:
        mark = tx.mark
        rows = tx.rows(f"SELECT {_DELIVERY} FROM webhook_deliveries WHERE company_id = {mark}"
                       f" AND id = {mark}", (company_id, delivery_id))
        return _delivery(rows[0]) if rows else None

    @staticmethod
    def attempts(tx: Tx, company_id: int, delivery_ids: Sequence[int]
                 ) -> dict[int, list[Attempt]]:
        if not delivery_ids:
            return {}
        mark = tx.mark
        rows = tx.rows(f"SELECT delivery_id, attempt, at, ok, status, latency_ms, error FROM"
                       f" webhook_attempts WHERE company_id = {mark} AND delivery_id IN"
                       f" ({', '.join(mark for _ in delivery_ids)}) ORDER BY id",
                       (company_id, *delivery_ids))
        out: dict[int, list[Attempt]] = {}
        for r in rows:
            out.setdefault(int(r[0]), []).append(
                Attempt(int(r[0]), int(r[1]), _time(r[2]), bool(r[3]), r[4], int(r[5]), r[6]))
        return out

    @staticmethod
    def replay(tx: Tx, company_id: int, webhook_id: int, now: dt.datetime, *,
               delivery_id: int | None = None, since_seq: int | None = None,
               since: dt.datetime | None = None) -> int:
        """Make deliveries pending again, due ``now``: one, or every one of the webhook
        from a change-log seq or a time on; how many."""
        mark = tx.mark
        where, params = _of_webhook(tx, company_id, webhook_id, ("id =", delivery_id),
                                    ("seq >=", since_seq),
                                    ("created_at >=", None if since is None else _t(tx, since)))
        return tx.run(f"UPDATE webhook_deliveries SET status = {mark}, next_at = {mark}"
                      f" WHERE {where}", (PENDING, _t(tx, now), *params))


def _of_webhook(tx: Tx, company_id: int, webhook_id: int, *tests: tuple[str, Any]
                ) -> tuple[str, list[Any]]:
    """The WHERE of one webhook's rows, and its parameters: the company, the webhook and
    each test (a column and its operator) whose value is given."""
    mark = tx.mark
    where = [f"company_id = {mark}", f"webhook_id = {mark}"]
    params: list[Any] = [company_id, webhook_id]
    for test, value in tests:
        if value is not None:
            where.append(f"{test} {mark}")
            params.append(value)
    return " AND ".join(where), params


__all__ = ["DELIVERED", "PENDING", "Attempt", "Delivery", "Hook", "Horizon", "NewDelivery",
           "OutboxStore"]
