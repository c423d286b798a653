"""Database: connections, read and write transactions, migrations.

Two ways in, over the same database and the same write lock:

* ``tx()`` — the store's fast path: a ``Tx`` over a raw driver connection (stdlib
  ``sqlite3`` or psycopg 3) from this database's own small pool. The records service,
  authentication and the change log run their SQL here (SQL text from the query
  engine, values always bound).
* ``read()``/``write()`` — SQLAlchemy Core connections, for migrations and the rare
  paths (companies, custom field definitions). ``Tx.of(conn)`` runs the fast path inside
  such a transaction, on the same connection.

SQLite runs in WAL mode with ``synchronous=FULL`` (a commit is on disk before it
returns) and one writer: write transactions start with ``BEGIN IMMEDIATE`` and are
serialised by a lock within the process (the busy timeout covers other processes).
Its read transactions are snapshots. PostgreSQL connections run in autocommit for
reads (each statement sees the newest committed rows, as READ COMMITTED would) and in
an explicit transaction for writes.
"""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, TypeVar

import anyio.to_thread
import orjson
from sqlalchemy import Connection, Engine, Executable, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from .writes import MAX_GROUP_BYTES, GroupCommit

Backend = Literal["sqlite", "postgresql"]
T = TypeVar("T")


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` and ``sqlite:///path`` URLs; pick our drivers."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise ValueError(f"unsupported database URL scheme: {parsed.drivername}")
    return parsed.render_as_string(hide_password=False)


Observer = Callable[[str, Any, bool], None]
# Rows per statement of ``Tx.many_rows`` on SQLite, largest first; a size whose
# parameters would pass SQLite's limit per statement is skipped. (A batch of 1,000 deals
# and its 2,000 index rows go in as one statement each: a writer on a thread of its own,
# the import's, waits for the interpreter's lock once per statement SQLite stepped.)
ROW_CHUNKS = (2000, 1000, 500, 50, 5, 1)
SQLITE_MAX_PARAMS = 32_766


def placeholder(backend: str) -> str:
    """The drivers' parameter mark: ``?`` (sqlite3) or ``%s`` (psycopg)."""
    return "?" if backend == "sqlite" else "%s"


class Tx:
    """One transaction on one raw driver connection (see ``Database.tx``)."""

    __slots__ = ("backend", "begin", "observe", "raw", "writing")

    def __init__(self, raw: Any, backend: Backend, observe: Observer | None = None,
                 writing: bool = True, begin: bool = False) -> None:
        self.raw, self.backend, self.observe = raw, backend, observe
        self.writing = writing  # False: a read transaction, which sees only committed rows
        # PostgreSQL: BEGIN is still to be sent; it travels with the first statement
        self.begin = begin

    @property
    def mark(self) -> str:
        """The parameter mark of this transaction's driver."""
        return placeholder(self.backend)

    def _execute(self, sql: str, params: Any) -> Any:
        if not self.begin:
            return self.raw.execute(sql, params)
        self.begin = False
        with self.raw.pipeline():  # one round trip for BEGIN and the statement
            self.raw.execute("BEGIN")
            cursor = self.raw.execute(sql, params)
        return cursor

    def _begun(self) -> None:
        if self.begin:
            self.begin = False
            self.raw.execute("BEGIN")

    @classmethod
    def of(cls, conn: Connection) -> Tx:
        """The fast path inside a SQLAlchemy connection's transaction."""
        backend: Backend = "sqlite" if conn.dialect.name == "sqlite" else "postgresql"
        return cls(conn.connection.driver_connection, backend)

    def rows(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
             ) -> list[tuple[Any, ...]]:
        if self.observe is not None:
            self.observe(sql, params, False)
        rows: list[tuple[Any, ...]] = self._execute(sql, params).fetchall()
        return rows

    def scalar(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        if self.observe is not None:
            self.observe(sql, params, False)
        row = self._execute(sql, params).fetchone()
        return None if row is None else row[0]

    def run(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> int:
        """Execute a statement; the number of rows it changed."""
        if self.observe is not None:
            self.observe(sql, params, False)
        return int(self._execute(sql, params).rowcount)

    def many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        if params:
            if self.observe is not None:
                self.observe(sql, params, True)
            self._begun()
            self.raw.cursor().executemany(sql, params)

    def many_rows(self, sql: Callable[[int], str], params: Sequence[Sequence[Any]]) -> None:
        """Insert rows: ``sql(n)`` is an INSERT of ``n`` rows (their parameters one row
        after the other). SQLite takes them ``ROW_CHUNKS`` rows per statement (a few
        statement shapes, each compiled once and kept in the driver's statement cache):
        a multi-row INSERT costs SQLite far less per row than a prepared single-row
        one run over the rows (bench/RESULTS.md, "Import"). PostgreSQL runs the
        single-row statement over the rows (``many``: psycopg pipelines it)."""
        if not params:
            return
        if self.backend != "sqlite":
            self.many(sql(1), params)
            return
        if self.observe is not None:
            self.observe(sql(1), params, True)
        self._begun()
        cursor, start, count = self.raw.cursor(), 0, len(params)
        for size in ROW_CHUNKS:
            whole = (count - start) // size
            if not whole or size > 1 and size * len(params[0]) > SQLITE_MAX_PARAMS:
                continue
            if size == 1:
                cursor.executemany(sql(1), params[start:])
                return
            statement = sql(size)
            for _ in range(whole):
                cursor.execute(statement, [v for row in params[start:start + size] for v in row])
                start += size

    def many_returning(self, sql: str, params: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """One statement with RETURNING for each parameter row; all rows it returned."""
        if self.observe is not None:
            self.observe(sql, params, True)
        self._begun()
        cursor = self.raw.cursor()
        out: list[tuple[Any, ...]] = []
        if self.backend == "postgresql":  # psycopg pipelines the executions
            cursor.executemany(sql, params, returning=True)
            while True:
                out.extend(cursor.fetchall())
                if not cursor.nextset():
                    return out
        for row in params:
            out.extend(cursor.execute(sql, row).fetchall())
        return out

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: an exception inside undoes only what it did."""
        self._begun()
        self.raw.execute("SAVEPOINT item")
        try:
            yield
        except BaseException:
            self.raw.execute("ROLLBACK TO SAVEPOINT item")
            self.raw.execute("RELEASE SAVEPOINT item")
            raise
        self.raw.execute("RELEASE SAVEPOINT item")


@dataclass(frozen=True)
class Prepared:
    """A SQLAlchemy statement compiled once for the fast path (``Database.prepare``)."""

    sql: str
    names: tuple[str, ...] | None  # positional parameter order; None: named (a mapping)

    def params(self, values: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        return values if self.names is None else tuple(values[n] for n in self.names)


class _Pool:
    """At most ``size`` raw connections, made on demand and reused, the most recently
    used first: a worker whose requests come one at a time keeps using one connection
    (one warm page and statement cache, one connection's memory) however large the pool.

    ``_slots`` holds one token per connection allowed (a get waits while none is left);
    ``_idle`` is the stack of connections made and not in use (never longer than the
    tokens out are short: a get that finds it empty may make a connection).
    """

    def __init__(self, connect: Any, size: int) -> None:
        self._connect = connect
        self._slots: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._idle: collections.deque[Any] = collections.deque()
        for _ in range(size):
            self._slots.put(None)

    def get(self) -> Any:
        self._slots.get()  # waits while every slot is in use
        try:
            return self._idle.pop()
        except IndexError:
            pass
        try:
            return self._connect()
        except BaseException:
            self._slots.put(None)
            raise

    def put(self, conn: Any, *, broken: bool = False) -> None:
        if broken:
            with contextlib.suppress(Exception):  # a broken connection may fail to close
                conn.close()
        else:
            self._idle.append(conn)
        self._slots.put(None)

    def close(self) -> None:
        """Close the idle connections (those in use come back as usual when done)."""
        while True:
            try:
                conn = self._idle.pop()
            except IndexError:
                break
            conn.close()


class Transaction:
    """``Database.tx``: a context manager (a class, because it runs for every request)."""

    __slots__ = ("db", "lock", "raw", "transact", "tx", "write")

    def __init__(self, db: Database, write: bool) -> None:
        self.db, self.write = db, write
        # SQLite reads are snapshots too; PostgreSQL reads run in autocommit.
        self.transact = write or db.backend == "sqlite"
        self.lock = db._write_lock if write and db.backend == "sqlite" else None

    def __enter__(self) -> Tx:
        db = self.db
        if self.lock is not None:
            self.lock.acquire()
        try:
            self.raw = db._pool.get()
        except BaseException:
            if self.lock is not None:
                self.lock.release()
            raise
        sqlite = db.backend == "sqlite"
        if self.transact and sqlite:  # (PostgreSQL's BEGIN goes with the first statement)
            try:
                self.raw.execute("BEGIN IMMEDIATE" if self.write else "BEGIN")
            except BaseException as exc:
                self._release(exc)
                raise
        self.tx = Tx(self.raw, db.backend, db._observe if db._observers else None, self.write,
                     begin=self.transact and not sqlite)
        return self.tx

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        try:
            if self.transact and not self.tx.begin:  # (nothing was sent: nothing to end)
                self.raw.execute("COMMIT" if exc is None else "ROLLBACK")
        except BaseException as failed:
            with contextlib.suppress(Exception):  # a failed COMMIT leaves nothing behind
                self.raw.execute("ROLLBACK")
            self._release(failed)
            raise
        self._release(exc)

    def _release(self, exc: BaseException | None) -> None:
        try:
            broken = exc is not None and not _usable(self.raw, self.db.backend, exc)
            self.db._pool.put(self.raw, broken=broken)
        finally:
            if self.lock is not None:
                self.lock.release()


class Database:
    """Connections and transactions for one database URL."""

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = normalise_url(url)
        self.backend: Backend = "sqlite" if self.url.startswith("sqlite") else "postgresql"
        self._write_lock = threading.Lock()
        self._in_memory = False
        if self.backend == "sqlite":
            self._in_memory = make_url(self.url).database in (None, "", ":memory:")
            # One shared connection for an in-memory database, else a normal pool.
            pooling: dict[str, Any] = (
                {"poolclass": StaticPool} if self._in_memory
                else {"pool_size": 2, "max_overflow": pool_size}
            )
            self.engine: Engine = create_engine(
                self.url, json_serializer=_json_dumps, json_deserializer=orjson.loads,
                connect_args={"check_same_thread": False, "timeout": 30}, **pooling,
            )
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = create_engine(
                self.url, json_serializer=_json_dumps, json_deserializer=orjson.loads,
                pool_size=2, max_overflow=pool_size, pool_pre_ping=False,
            )
        self._pool = _Pool(self._connect, 1 if self._in_memory else pool_size)
        self._observers: list[Observer] = []
        self._writer: GroupCommit | None = None
        self._big_writes = threading.Lock()

    async def write_unit(self, work: Callable[[Tx], T], size: int = 0) -> T:
        """A request's write unit, ``work(tx)``, answered once committed; ``size``: its
        request body's bytes. On SQLite in the worker's group commit (one fsync for the
        writes of all waiting requests, see ``store.writes``); on PostgreSQL in its own
        transaction in the thread pool (PostgreSQL groups commits itself). Either way,
        units of bodies beyond ``MAX_GROUP_BYTES`` run one at a time: a worker holds one
        big batch in memory, not one per connection."""
        if self.backend == "sqlite":
            if self._writer is None:
                self._writer = GroupCommit(self)
            result: T = await self._writer.run(work, size)
            return result
        return await anyio.to_thread.run_sync(self._write_alone, work, size > MAX_GROUP_BYTES)

    def _write_alone(self, work: Callable[[Tx], T], big: bool) -> T:
        """PostgreSQL: one transaction; a deadlock or serialisation failure (writers that
        lock the same rows in another order) undoes it, and it runs again, a few times."""
        with self._big_writes if big else contextlib.nullcontext():
            for attempt in range(MAX_RETRIES):
                try:
                    with self.tx(write=True) as tx:
                        return work(tx)
                except Exception as exc:
                    if attempt + 1 == MAX_RETRIES or not _retryable(exc):
                        raise
                    time.sleep(random.uniform(0, 0.01 * 2 ** attempt))
        raise AssertionError("unreachable")

    @contextmanager
    def observed(self, observer: Observer) -> Iterator[None]:
        """Call ``observer(sql, params, many)`` for every fast-path statement meanwhile
        (the benchmark's floor records what requests run; tests check the SQL)."""
        self._observers.append(observer)
        try:
            yield
        finally:
            self._observers.remove(observer)

    def _observe(self, sql: str, params: Any, many: bool) -> None:
        for observer in list(self._observers):
            observer(sql, params, many)

    def _connect(self) -> Any:
        if self._in_memory:  # the engine's one shared connection
            return self.engine.raw_connection().driver_connection
        if self.backend == "sqlite":
            import sqlite3

            path = make_url(self.url).database
            conn = sqlite3.connect(path or "", timeout=30, check_same_thread=False,
                                   cached_statements=512)
            _sqlite_connect(conn, None)
            return conn
        import psycopg
        from psycopg.types.json import set_json_dumps, set_json_loads

        conninfo = make_url(self.url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        pg = psycopg.connect(conninfo, autocommit=True)
        set_json_loads(orjson.loads, pg)
        set_json_dumps(orjson.dumps, pg)
        return pg

    def prepare(self, statement: Executable) -> Prepared:
        """Compile a SQLAlchemy statement (with ``bindparam``s) once, to run with ``Tx``."""
        compiled = statement.compile(dialect=self.engine.dialect)  # type: ignore[attr-defined]
        names = compiled.positiontup
        return Prepared(str(compiled), tuple(names) if names else None)

    def tx(self, write: bool = False) -> Transaction:
        """One transaction on a raw connection: ``with db.tx() as tx:`` commits on success
        and rolls back on any exception."""
        return Transaction(self, write)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection in one read transaction (a consistent snapshot)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed on success, rolled back on any exception."""
        if self.backend == "sqlite":
            with self._write_lock, self.engine.connect() as conn:
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                with conn.begin():
                    yield conn
        else:
            with self.engine.connect() as conn, conn.begin():
                yield conn

    def migrate(self) -> None:
        """Create or upgrade the schema in place to the newest migration."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option(
            "script_location", str(resources.files("dealbase.store") / "migrations")
        )
        with self.engine.connect() as conn:
            if self.backend == "sqlite":
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            conn.commit()

    def dispose(self) -> None:
        """Stop the group-commit writer and close the idle connections. SQLite: then move
        the WAL into the database file and empty it (``wal_checkpoint(TRUNCATE)``), so that
        after a clean stop the ``.db`` file alone holds every commit (a copy is a backup)."""
        if self._writer is not None:
            self._writer.stop()
        if not self._in_memory:
            self._pool.close()
        self.engine.dispose()
        if self.backend == "sqlite" and not self._in_memory:
            self.checkpoint()

    def checkpoint(self) -> None:
        """SQLite: copy every commit from the WAL into the database file and truncate the
        WAL (readers of other processes may keep it from being emptied: logged)."""
        import logging
        import sqlite3

        path = make_url(self.url).database or ""
        if not os.path.exists(path):  # (never opened: nothing to checkpoint, nothing to make)
            return
        conn = sqlite3.connect(path, timeout=30)
        try:
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            conn.close()
        if busy:
            logging.getLogger(__name__).warning("WAL checkpoint of %s incomplete: in use", path)


MAX_RETRIES = 5


def _retryable(exc: BaseException) -> bool:
    """A PostgreSQL failure that running the same transaction again may not meet."""
    try:
        from psycopg import errors
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(exc, errors.DeadlockDetected | errors.SerializationFailure)


def is_integrity_error(exc: BaseException) -> bool:
    """A constraint the database refused (unique, not null…), from either driver."""
    import sqlite3

    if isinstance(exc, sqlite3.IntegrityError):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(exc, psycopg.IntegrityError)


def _usable(raw: Any, backend: Backend, exc: BaseException) -> bool:
    """Whether a connection that saw ``exc`` can go back to the pool."""
    if backend == "sqlite":
        return not raw.in_transaction and not isinstance(exc, KeyboardInterrupt)
    try:
        return not raw.closed and raw.info.transaction_status == 0  # IDLE
    except Exception:
        return False


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from the driver so BEGIN is ours to choose.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # Unicode-aware lower() for case-insensitive LIKE on non-ASCII patterns.
    dbapi_connection.create_function("py_lower", 1, _lower, deterministic=True)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


__all__ = ["Backend", "Database", "Observer", "Prepared", "Transaction", "Tx", "is_integrity_error",
           "normalise_url"]
