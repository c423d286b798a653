"""What readers of one list have already paid for: positions of rows and the total.

A v1 client walks ``start=0,100,200…`` and a Pipeliner client walks ``offset``; each
page compiled as ``OFFSET n`` costs O(n), so a walk costs O(n²). The records service
remembers, per list (company, entity, filter, sort), the sort-key values of the row at
each start it has served the page before, and answers the next page as a keyset seek
from there: every page then costs what the first costs. It also remembers the list's
total (Pipeliner's ``Content-Range``), which every page of a walk asks for again.

Entries hold for one value of the company's data version (the newest change-log
sequence it can see); any committed write the reader can see starts them afresh, so an
answer is what ``OFFSET`` and ``count(*)`` would give. Memory is bounded (least
recently used lists go first) and per process: with several workers, a page that lands
on a worker which has not seen the previous one seeks from the nearest position that
worker remembers and skips the rest.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

MAX_LISTS = 2048
MAX_POSITIONS = 4096


@dataclass
class _List:
    version: int
    starts: list[int] = field(default_factory=list)
    values: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    total: int | None = None


class ListMemory:
    def __init__(self, max_lists: int = MAX_LISTS) -> None:
        self._lists: OrderedDict[Hashable, _List] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_lists

    def _entry(self, key: Hashable, version: int, create: bool) -> _List | None:
        entry = self._lists.get(key)
        if entry is not None and entry.version != version:
            entry = None
            del self._lists[key]
        if entry is None and create:
            entry = self._lists[key] = _List(version)
            while len(self._lists) > self._max:
                self._lists.popitem(last=False)
        if entry is not None:
            self._lists.move_to_end(key)
        return entry

    def position(self, key: Hashable, start: int, version: int) -> tuple[int, tuple[Any, ...]] | None:
        """The nearest remembered position at or before ``start``: (row, sort-key values)."""
        with self._lock:
            entry = self._entry(key, version, create=False)
            if entry is None or not entry.starts:
                return None
            index = bisect.bisect_right(entry.starts, start) - 1
            if index < 0:
                return None
            row = entry.starts[index]
            return row, entry.values[row]

    def remember(self, key: Hashable, start: int, version: int, values: tuple[Any, ...]) -> None:
        """The row at ``start`` comes right after the row whose sort keys are ``values``."""
        with self._lock:
            entry = self._entry(key, version, create=True)
            assert entry is not None
            if start not in entry.values:
                if len(entry.starts) >= MAX_POSITIONS:
                    entry.starts.clear()
                    entry.values.clear()
                bisect.insort(entry.starts, start)
            entry.values[start] = values

    def total(self, key: Hashable, version: int) -> int | None:
        with self._lock:
            entry = self._entry(key, version, create=False)
            return None if entry is None else entry.total

    def remember_total(self, key: Hashable, version: int, total: int) -> None:
        with self._lock:
            entry = self._entry(key, version, create=True)
            assert entry is not None
            entry.total = total


__all__ = ["ListMemory"]
