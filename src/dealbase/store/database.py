"""Database: one engine, read and write transactions, migrations.

SQLite runs in WAL mode with one writer: write transactions start with
``BEGIN IMMEDIATE`` and are serialised by a lock within the process (the busy
timeout covers other processes). PostgreSQL uses a psycopg 3 connection pool.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

Backend = Literal["sqlite", "postgresql"]


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


class Database:
    """Connections and transactions for one database URL."""

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = normalise_url(url)
        self.backend: Backend = "sqlite" if self.url.startswith("sqlite") else "postgresql"
        self._write_lock = threading.Lock()
        if self.backend == "sqlite":
            in_memory = make_url(self.url).database in (None, "", ":memory:")
            # One shared connection for an in-memory database, else a normal pool.
            pooling: dict[str, Any] = (
                {"poolclass": StaticPool} if in_memory
                else {"pool_size": pool_size, "max_overflow": pool_size}
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
                pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False,
            )

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
        self.engine.dispose()


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from the driver so BEGIN is ours to choose.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # Unicode-aware lower() for case-insensitive LIKE on non-ASCII patterns.
    dbapi_connection.create_function("py_lower", 1, _lower, deterministic=True)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


__all__ = ["Backend", "Database", "normalise_url"]
