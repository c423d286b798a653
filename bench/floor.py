"""The in-process floor: the same SQL on the same database, the same JSON, no HTTP.

``InProcess`` drives the benchmark app through ASGI in this process (no sockets) and can
record the SQL statements a request makes. ``Replay`` then runs exactly those statements
with their parameters on a raw driver connection of the same database, fetches every
row into Python objects (a dict per row), and serialises the very response the server
gave for that request (parsed once; the bytes come out identical) with the server's
serializer, orjson. That is the least work any implementation must do to answer the
request from that database: run the SQL, hold the rows, write the JSON. What it leaves
out is exactly the server's own cost: HTTP, routing, authentication (the token and
data-version queries are not replayed), query compilation, and shaping rows into the
dialect's objects. Writes are replayed in one transaction each, committed as durably as
the server commits, with fresh Pipeliner ids so that every replay inserts new rows;
reads on PostgreSQL run in autocommit, as the server's do.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from dealbase.store.database import Database

from .workloads import Req

_UID = re.compile(r"PY-7FFFFFFF-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")
# What the floor leaves out: authentication (the token query and the data-version check
# that validates a remembered sign-in) and the per-company schema load. (Reads of the
# change log's rows, as the statistics' and goals' stage moves, are the floor's.)
_NOT_FLOOR = ("api_tokens", "FROM custom_fields", "SELECT seq FROM change_log")
_INDEX_INSERT = "INSERT INTO search_index"
# SQLite: a batch of new records takes the ids after the table's last, read first
# (``Records._write``); a replay gives its rows the ids its own read answers.
_NEXT_ID = re.compile(r'SELECT coalesce\(max\(id\), 0\) \+ 1 FROM "?(\w+)"?')
_ID_INSERT = re.compile(r'INSERT INTO "?(\w+)"? \("?id"?, ')


@dataclass(frozen=True)
class Statement:
    sql: str
    params: Any
    many: bool


class InProcess:
    """The app over ASGI in this process; ``send`` one request, optionally recording SQL."""

    def __init__(self, app: Any, db: Database) -> None:
        self.db = db
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                        base_url="http://bench.local", timeout=600)
        self._recording: list[Statement] | None = None

    def _record(self, statement: str, parameters: Any, executemany: bool) -> None:
        if self._recording is None or any(mark in statement for mark in _NOT_FLOOR):
            return
        self._recording.append(Statement(statement, parameters, executemany))

    def send(self, req: Req) -> tuple[int, dict[str, str], bytes]:
        response = self.loop.run_until_complete(self.client.request(
            req.method, req.path, headers=dict(req.headers), content=req.body))
        return response.status_code, dict(response.headers), response.content

    @contextmanager
    def recording(self) -> Iterator[list[Statement]]:
        recorded: list[Statement] = []
        self._recording = recorded
        try:
            with self.db.observed(self._record):
                yield recorded
        finally:
            self._recording = None

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


def _fresh(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with every Pipeliner id replaced by a new one (consistently per replay)."""
    if isinstance(value, str):
        if "PY-7FFFFFFF-" not in value:
            return value
        return _UID.sub(lambda m: ids.setdefault(m.group(0), f"PY-7FFFFFFF-{str(uuid.uuid4()).upper()}"),
                        value)
    if isinstance(value, dict):
        return {k: _fresh(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_fresh(v, ids) for v in value)
    return value


class Replay:
    """Runs recorded statements on one raw connection of ``db``; ``once`` returns the JSON."""

    def __init__(self, db: Database, statements: Sequence[Statement], body: bytes, *,
                 writes: bool) -> None:
        self.db, self.statements, self.writes = db, list(statements), writes
        # full-text index keys for replayed inserts: above any record's, apart per replay
        self._keys = (1 << 60) | (uuid.uuid4().int & ((1 << 52) - 1)) << 4
        self.response = orjson.loads(body)
        if orjson.dumps(self.response) != body:
            raise ValueError("the response does not round-trip through orjson")
        self.raw = db.engine.raw_connection()
        self.conn: Any = self.raw.driver_connection
        assert self.conn is not None
        if db.backend == "postgresql":
            self.conn.autocommit = not writes

    def once(self) -> bytes:
        cursor = self.conn.cursor()
        sqlite = self.db.backend == "sqlite"
        if sqlite:
            cursor.execute("BEGIN IMMEDIATE" if self.writes else "BEGIN")
        ids: dict[str, str] = {}
        next_ids: dict[str, int] = {}  # (table: the id its next new row takes)
        results: list[list[dict[str, Any]]] = []
        try:
            for s in self.statements:
                params = _fresh(s.params, ids) if self.writes else s.params
                if self.writes and s.sql.startswith(_INDEX_INSERT):
                    params = self._fresh_keys(params)
                elif self.writes and s.many and (m := _ID_INSERT.match(s.sql)) \
                        and m.group(1) in next_ids:
                    first = next_ids[m.group(1)]
                    params = [(first + n, *row[1:]) for n, row in enumerate(params)]
                    next_ids[m.group(1)] = first + len(params)
                if s.many:
                    cursor.executemany(s.sql, params)
                else:
                    cursor.execute(s.sql, params)
                if cursor.description:
                    names = [d[0] for d in cursor.description]
                    results.append([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])
                    if m := _NEXT_ID.match(s.sql):
                        next_ids[m.group(1)] = int(results[-1][0][names[0]])
        except BaseException:
            if sqlite:
                cursor.execute("ROLLBACK")
            elif self.writes:
                self.conn.rollback()
            raise
        if sqlite:
            cursor.execute("COMMIT")
        elif self.writes:
            self.conn.commit()
        cursor.close()
        self.rows = results  # held until the response is written, as a server holds them
        return orjson.dumps(self.response)

    def _fresh_keys(self, rows: Any) -> list[tuple[Any, ...]]:
        """Full-text index rows under keys no replay used (their record is new each time)."""
        out = []
        for key, *rest in rows:
            self._keys += 16
            out.append((self._keys + (key & 0xF), *rest))
        return out

    def close(self) -> None:
        self.raw.close()


def per_second(work: Callable[[], object], seconds: float, warm: float = 0.0) -> float:
    """Calls of ``work`` per second, over at least ``seconds``, after ``warm`` seconds (and
    at least one call) of warming up caches."""
    started = time.perf_counter()
    work()
    while time.perf_counter() - started < warm:
        work()
    count, started = 0, time.perf_counter()
    while True:
        work()
        count += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return count / elapsed


__all__ = ["InProcess", "Replay", "Statement", "per_second"]
