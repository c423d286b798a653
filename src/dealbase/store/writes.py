"""Group commit for SQLite: the write units of concurrent requests share one commit.

SQLite has one writer, and with ``synchronous=FULL`` every commit waits for the disk
(an fsync of the write-ahead log), which costs more than the write itself. A worker's
requests hand their write units (functions of a ``Tx``) to one writer thread; it takes
every unit that is waiting, runs each inside its own savepoint of one transaction (a
unit that fails undoes only itself), commits once, and only then answers each request:
nothing is reported written before it is on disk, and under load one fsync carries many
writes. With one request at a time it is a plain transaction per unit.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .database import Database, Tx

T = TypeVar("T")
MAX_GROUP = 64
_STOP = object()


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


class GroupCommit:
    def __init__(self, db: Database, max_group: int = MAX_GROUP) -> None:
        self.db, self.max_group = db, max_group
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def run(self, work: Callable[[Tx], T]) -> T:
        """``work(tx)`` in the next group; its result once the group is committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._start()
        self._queue.put((work, loop, future))
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
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            group = [item]
            while len(group) < self.max_group:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    self._queue.put(_STOP)
                    break
                group.append(more)
            self._commit(group)

    def _commit(self, group: list[Any]) -> None:
        outcomes: list[tuple[Any, BaseException | None]] = []
        try:
            with self.db.tx(write=True) as tx:
                for work, _, _ in group:
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
        for (_, loop, future), (value, error) in zip(group, outcomes, strict=True):
            loop.call_soon_threadsafe(_settle, future, value, error)


__all__ = ["MAX_GROUP", "GroupCommit"]
