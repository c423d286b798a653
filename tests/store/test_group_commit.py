"""Group commit: concurrent write units share one transaction, each in its own
savepoint; a failing unit undoes only itself; nobody hears back before the commit."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from dealbase.domain.errors import ValidationError
from dealbase.query.ast import Cond, Query
from dealbase.store.database import Database, Tx
from dealbase.store.writes import GroupCommit, Unit
from tests.conftest import Tenant, calls


def test_waiting_units_share_a_commit_and_fail_alone(app: Any, tenant: Tenant,
                                                    database: Database) -> None:
    records, ctx = calls(app), tenant.ctx
    writer = GroupCommit(database)
    release = threading.Event()
    seen: dict[int, int] = {}

    def unit(n: int) -> Any:
        def work(tx: Tx) -> int:
            if n == 0:
                release.wait(10)  # hold the writer, so that the others queue up behind it
            record_id = records.engine.create(tx, ctx, "deal", {"title": f"G{n}"})
            seen[n] = id(tx)
            if n == 3:
                raise ValidationError("unit 3 changes its mind")
            return record_id
        return work

    async def main() -> list[Any]:
        first = asyncio.ensure_future(writer.run(unit(0)))
        await asyncio.sleep(0.05)
        rest = [asyncio.ensure_future(writer.run(unit(n))) for n in range(1, 8)]
        await asyncio.sleep(0.05)
        assert not any(t.done() for t in rest)  # nobody answered before the commit
        release.set()
        return await asyncio.gather(first, *rest, return_exceptions=True)

    try:
        results = asyncio.run(main())
    finally:
        writer.stop()
    assert isinstance(results[3], ValidationError)
    created = [r for n, r in enumerate(results) if n != 3]
    assert all(isinstance(r, int) for r in created)
    titles = {d["title"] for d in records.get_many(ctx, "deal", created).values()}
    assert titles == {f"G{n}" for n in range(8) if n != 3}
    assert records.list(ctx, "deal", Query(where=Cond("title", "eq", "G3"))).items == []
    assert len({seen[n] for n in range(1, 8)}) == 1  # the queued units ran in one transaction


def test_a_failed_commit_fails_every_unit_of_the_group(database: Database) -> None:
    writer = GroupCommit(database)

    class Boom(Exception):
        pass

    def work(tx: Tx) -> int:
        return 1

    original = writer._commit

    def failing(group: list[Unit]) -> None:  # the commit itself fails: nothing is kept
        for unit in group:
            unit.loop.call_soon_threadsafe(unit.future.set_exception, Boom())

    writer._commit = failing  # type: ignore[method-assign]

    async def main() -> list[Any]:
        return await asyncio.gather(*(writer.run(work) for _ in range(3)), return_exceptions=True)

    try:
        assert all(isinstance(r, Boom) for r in asyncio.run(main()))
        writer._commit = original  # type: ignore[method-assign]
        assert asyncio.run(writer.run(work)) == 1
    finally:
        writer.stop()


def test_groups_stop_growing_at_their_bytes(database: Database) -> None:
    writer = GroupCommit(database, max_bytes=1000)
    release = threading.Event()
    groups: list[list[int]] = []
    original = writer._commit

    def recording(group: list[Unit]) -> None:
        groups.append([unit.size for unit in group])
        original(group)

    writer._commit = recording  # type: ignore[method-assign]

    def work(tx: Tx) -> int:
        release.wait(10)
        return 1

    async def main() -> list[Any]:
        first = asyncio.ensure_future(writer.run(work, 10))
        await asyncio.sleep(0.05)  # the writer holds the first; the rest queue up behind it
        rest = [asyncio.ensure_future(writer.run(work, size))
                for size in (400, 400, 400, 2000, 10, 10)]
        await asyncio.sleep(0.05)
        release.set()
        return await asyncio.gather(first, *rest)

    try:
        assert asyncio.run(main()) == [1] * 7
    finally:
        writer.stop()
    # a big unit runs alone; small ones fill a group up to the bytes
    assert groups == [[10], [400, 400], [400], [2000], [10, 10]]


def test_units_after_stop_start_a_new_writer(database: Database) -> None:
    writer = GroupCommit(database)
    try:
        assert asyncio.run(writer.run(lambda tx: 5)) == 5
        writer.stop()
        started = time.monotonic()
        assert asyncio.run(writer.run(lambda tx: 6)) == 6
        assert time.monotonic() - started < 5
    finally:
        writer.stop()


@pytest.mark.parametrize("bad", [RuntimeError("plain bug"), ValidationError("refused")])
def test_a_lone_failing_unit_is_rolled_back(app: Any, tenant: Tenant, database: Database,
                                            bad: Exception) -> None:
    records, ctx = calls(app), tenant.ctx
    writer = GroupCommit(database)
    before = records.count(ctx, "deal", None)

    def work(tx: Tx) -> None:
        records.engine.create(tx, ctx, "deal", {"title": "Lonely"})
        raise bad

    try:
        with pytest.raises(type(bad)):
            asyncio.run(writer.run(work))
    finally:
        writer.stop()
    assert records.count(ctx, "deal", None) == before


def test_big_write_units_run_one_at_a_time_small_ones_together(app: Any) -> None:
    """On both backends a worker works on one body beyond MAX_GROUP_BYTES at a time (on
    SQLite through the group's bytes, on PostgreSQL through a lock); on PostgreSQL small
    units run side by side in the thread pool."""
    from dealbase.store.writes import MAX_GROUP_BYTES

    api = calls(app)
    lock, inside, most = threading.Lock(), [0], [0]

    def work(tx: Tx) -> int:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.05)
        with lock:
            inside[0] -= 1
        return 1

    async def main(size: int) -> list[int]:
        return list(await asyncio.gather(*(api.db.write_unit(work, size) for _ in range(4))))

    assert asyncio.run(main(MAX_GROUP_BYTES + 1)) == [1] * 4
    assert most[0] == 1
    most[0] = 0
    assert asyncio.run(main(10)) == [1] * 4
    # SQLite's one writer runs a group's units one after another; PostgreSQL's side by side
    assert most[0] == 1 if api.db.backend == "sqlite" else most[0] >= 2
