"""Group commit for SQLite: the write units of concurrent requests share one commit.

SQLite has one writer, and with ``synchronous=FULL`` every commit waits for the disk
(an fsync of the write-ahead log), which costs more than the write itself. A worker's
requests hand their write units (functions of a ``Tx``) to one writer thread; it takes
every unit that is waiting, runs each inside its own savepoint of one transaction (a
unit that fails undoes only itself), commits once, and only then answers each request:
nothing is reported written before it is on disk, and under load one fsync carries many
writes. With one request at a time it is a plain transaction per unit. A group also
stops growing at ``MAX_GROUP_BYTES`` of request bodies, so that big batches (a
``setEntities`` of a thousand items) run one at a time and a worker holds the work of one
of them, not of every connection's, at once; an fsync is small beside such a unit.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

if TYPE_CHECKING:
    from .database import Database, Tx

T = TypeVar("T")
MAX_GROUP = 64
MAX_GROUP_BYTES = 256 * 1024
_STOP = object()


class Unit(NamedTuple):
    """A write unit waiting for the writer: its work, where to answer, its body's bytes."""

    work: Callable[[Tx], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    size: int


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


class GroupCommit:
    def __init__(self, db: Database, max_group: int = MAX_GROUP,
                 max_bytes: int = MAX_GROUP_BYTES) -> None:
        self.db, self.max_group, self.max_bytes = db, max_group, max_bytes
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def run(self, work: Callable[[Tx], T], size: int = 0) -> T:
        """``work(tx)`` in the next group; its result once the group is committed. ``size``:
        the bytes of the request body behind it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._start()
        self._queue.put(Unit(work, loop, future, size))
        return await future

    def _start(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._serve, name="dealbase-writer",
                                                    daemon=True)
                    self._thread.start()

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout=30)

    def _serve(self) -> None:
        held: Any = None  # the unit that did not fit the last group: it opens the next
        while True:
            item = held if held is not None else self._queue.get()
            held = None
            if item is _STOP:
                return
            group, size = [item], item.size
            while len(group) < self.max_group and size < self.max_bytes:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP or size + more.size > self.max_bytes:
                    held = more
                    break
                group.append(more)
                size += more.size
            self._commit(group)

    def _commit(self, group: list[Unit]) -> None:
        outcomes: list[tuple[Any, BaseException | None]] = []
        try:
            with self.db.tx(write=True) as tx:
                for work, *_ in group:
                    try:
                        if len(group) == 1:
                            outcomes.append((work(tx), None))
                        else:
                            with tx.savepoint():
                                outcomes.append((work(tx), None))
                    except Exception as exc:  # this unit is undone; the others go on
                        if len(group) == 1:
                            raise
                        outcomes.append((None, exc))
        except BaseException as exc:  # nothing of the group was committed
            outcomes = [(None, exc)] * len(group)
        for unit, (value, error) in zip(group, outcomes, strict=True):
            unit.loop.call_soon_threadsafe(_settle, unit.future, value, error)


__all__ = ["MAX_GROUP", "MAX_GROUP_BYTES", "GroupCommit", "Unit"]
