"""What makes the store fast, against a real database (SQLite, and PostgreSQL when
configured): index slots for custom fields, the list memory (OFFSET pages resumed as
keyset seeks, totals), remembered sign-ins and uids, batch inserts, the transaction
and its pool. Each answer must equal what the slow way gives."""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from dealbase.domain.customfields import SLOTS
from dealbase.domain.errors import Conflict, Unauthenticated, ValidationError
from dealbase.query.ast import Cond, Keyset, Offset, Query, Sort
from dealbase.query.memory import ListMemory
from dealbase.service import Context, new_uid
from dealbase.store.database import Database
from tests.conftest import Calls, Tenant, calls


def _api(app: Any) -> Calls:
    return calls(app)


def _column(records: Calls, table: str, column: str, company_id: int) -> dict[int, Any]:
    t = records.metadata.tables[table]
    with records.db.read() as conn:
        rows = conn.execute(select(t.c.id, t.c[column]).where(t.c.company_id == company_id)).all()
    return {int(i): v for i, v in rows}


# ---- index slots ----------------------------------------------------------------------------


def test_fields_take_the_lowest_free_slot_of_their_kind(app: Any, tenant: Tenant) -> None:
    api, ctx = _api(app), tenant.ctx
    numbers = [api.create_field(ctx, "deal", f"N{i}", "double") for i in range(SLOTS + 1)]
    text = api.create_field(ctx, "deal", "Code", "varchar")
    long_text = api.create_field(ctx, "deal", "Notes", "text")
    options = api.create_field(ctx, "deal", "Tags", "set", ["a", "b"])
    assert [f.slot for f in numbers] == [*range(1, SLOTS + 1), None]  # the last has none
    assert (text.slot, long_text.slot, options.slot) == (1, None, None)
    api.delete_fields(ctx, "deal", [numbers[2].id])
    again = api.create_field(ctx, "deal", "Reused", "monetary")
    assert again.slot == 3
    other = api.create_field(ctx, "person", "Score", "double")
    assert other.slot == 1  # slots are per entity


def test_a_slot_mirrors_its_field_through_every_write(app: Any, tenant: Tenant) -> None:
    api, ctx = _api(app), tenant.ctx
    field = api.create_field(ctx, "deal", "Budget", "double")
    ctx = api.refresh(ctx)
    column = f"cf_num_{field.slot}"
    a = api.create(ctx, "deal", {"title": "A", field.key: 10.0})
    b = api.create(ctx, "deal", {"title": "B"})
    c, d = api.create_many(ctx, "deal", [{"title": "C", field.key: 30.0}, {"title": "D"}])
    api.update(ctx, "deal", b["id"], {field.key: 20.0})
    api.update(ctx, "deal", a["id"], {field.key: None})
    assert _column(api, "deals", column, ctx.company_id) == {
        a["id"]: None, b["id"]: 20.0, c: 30.0, d: None}
    # the filter reads the slot: it agrees with the values the records show
    found = api.list(ctx, "deal", Query(where=Cond(field.key, "ge", 15.0))).items
    assert sorted(r["id"] for r in found) == [b["id"], c]


def test_a_freed_slot_starts_empty_for_its_next_field(app: Any, tenant: Tenant) -> None:
    api, ctx = _api(app), tenant.ctx
    old = api.create_field(ctx, "deal", "Old", "varchar")
    ctx = api.refresh(ctx)
    deal = api.create(ctx, "deal", {"title": "X", old.key: "stale"})
    api.delete_fields(ctx, "deal", [old.id])
    new = api.create_field(ctx, "deal", "New", "varchar")
    ctx = api.refresh(ctx)
    assert new.slot == old.slot
    assert _column(api, "deals", f"cf_text_{new.slot}", ctx.company_id)[deal["id"]] is None
    assert api.list(ctx, "deal", Query(where=Cond(new.key, "eq", "stale"))).items == []


def test_slotted_and_unslotted_fields_filter_and_sort_alike(app: Any, tenant: Tenant) -> None:
    """The same values in a field with a slot and in one beyond the slots."""
    api, ctx = _api(app), tenant.ctx
    fields = [api.create_field(ctx, "deal", f"F{i}", "double") for i in range(SLOTS + 1)]
    slotted, plain = fields[0], fields[-1]
    assert slotted.slot is not None and plain.slot is None
    ctx = api.refresh(ctx)
    values = [3.0, None, -1.5, 3.0, 12.0, None, 0.0]
    for i, v in enumerate(values):
        api.create(ctx, "deal", {"title": f"D{i}", slotted.key: v, plain.key: v})
    for op, value in (("eq", 3.0), ("gt", 0.0), ("le", 0.0), ("ne", 3.0), ("in", [0.0, 12.0]),
                      ("is_null", True), ("is_null", False)):
        got = [_ids(api.list(ctx, "deal", Query(where=Cond(f.key, op, value),
                                                         page=Offset(0, 100))).items)
               for f in (slotted, plain)]
        assert got[0] == got[1], (op, value)
    for desc in (False, True):
        got = [_ids(api.list(ctx, "deal", Query(sort=(Sort(f.key, desc),),
                                                         page=Offset(0, 100))).items)
               for f in (slotted, plain)]
        assert got[0] == got[1], desc


def _ids(items: list[dict[str, Any]]) -> list[int]:
    return [r["id"] for r in items]


# ---- the list memory ------------------------------------------------------------------------


def test_list_memory_keeps_positions_per_version() -> None:
    memory = ListMemory(max_lists=2)
    memory.remember("a", 100, 7, ("x", 1))
    memory.remember("a", 300, 7, ("z", 3))
    assert memory.position("a", 100, 7) == (100, ("x", 1))
    assert memory.position("a", 250, 7) == (100, ("x", 1))  # the nearest one before
    assert memory.position("a", 50, 7) is None
    assert memory.position("a", 300, 8) is None  # another data version: forgotten
    assert memory.position("a", 300, 7) is None
    memory.remember_total("b", 1, 42)
    memory.remember_total("c", 1, 43)
    memory.remember_total("d", 1, 44)  # the least recently used list goes
    assert memory.total("b", 1) is None and memory.total("d", 1) == 44


@pytest.fixture
def many(app: Any, tenant: Tenant) -> tuple[Calls, Context]:
    records = _api(app)
    records.create_many(tenant.ctx, "deal", [
        {"title": f"Deal {i % 7}", "value": float(i % 5)} for i in range(95)])
    return records, tenant.ctx


def _offset_walk(records: Calls, ctx: Context, query: Query, limit: int) -> list[int]:
    seen, start = [], 0
    while True:
        page = records.list(ctx, "deal", Query(where=query.where, sort=query.sort,
                                               page=Offset(start, limit)))
        seen += _ids(page.items)
        if not page.more:
            return seen
        start += limit


def test_offset_walks_seek_and_equal_one_big_page(many: tuple[Calls, Context]) -> None:
    records, ctx = many
    query = Query(where=Cond("is_deleted", "eq", False), sort=(Sort("title"), Sort("value", True)))
    everything = _ids(records.list(ctx, "deal", Query(where=query.where, sort=query.sort,
                                                      page=Offset(0, 500))).items)
    seen: list[str] = []

    def watch(sql: str, params: Any, many_: bool) -> None:
        seen.append(sql)

    with records.db.observed(watch):
        assert _offset_walk(records, ctx, query, 10) == everything
    pages = [s for s in seen if s.startswith('SELECT "deals"')]
    # every page after the first resumed from the position the previous one remembered
    assert len(pages) == 10 and all(" OFFSET " not in s for s in pages)
    # a page asked out of order seeks from the nearest position and skips the rest
    page = records.list(ctx, "deal", Query(where=query.where, sort=query.sort, page=Offset(25, 10)))
    assert _ids(page.items) == everything[25:35]


def test_a_write_between_pages_is_seen_as_offset_would(many: tuple[Calls, Context]) -> None:
    records, ctx = many
    query = Query(where=Cond("is_deleted", "eq", False), sort=(Sort("title"),))
    first = records.list(ctx, "deal", Query(where=query.where, sort=query.sort, page=Offset(0, 10)))
    records.create(ctx, "deal", {"title": "Deal 0 (new)"})  # sorts into the first page
    records.delete(ctx, "deal", [first.items[3]["id"]])
    second = records.list(ctx, "deal", Query(where=query.where, sort=query.sort,
                                             page=Offset(10, 10)))
    expected = _ids(records.list(ctx, "deal", Query(where=query.where, sort=query.sort,
                                                    page=Offset(0, 500))).items)[10:20]
    assert _ids(second.items) == expected


def test_totals_are_counted_once_per_data_version(many: tuple[Calls, Context]) -> None:
    records, ctx = many
    where = Cond("value", "ge", 2.0)
    counts: list[str] = []

    def watch(sql: str, params: Any, many_: bool) -> None:
        if sql.startswith("SELECT count(*)"):
            counts.append(sql)

    with records.db.observed(watch):
        totals = [records.list(ctx, "deal", Query(where=where, page=Offset(s, 10)),
                               with_total=True).total for s in (0, 10, 20)]
        assert totals == [57, 57, 57] and len(counts) == 1
        records.create(ctx, "deal", {"title": "More", "value": 3.0})
        assert records.list(ctx, "deal", Query(where=where, page=Offset(0, 10)),
                            with_total=True).total == 58
        assert len(counts) == 2
        # a last page knows its own total
        tail = records.list(ctx, "deal", Query(where=Cond("value", "eq", 4.0), page=Offset(0, 50)),
                            with_total=True)
        assert tail.total == len(tail.items) == 19 and len(counts) == 2


# ---- remembered sign-ins and uids -----------------------------------------------------------


def test_a_deactivated_user_is_refused_at_once(app: Any, tenant: Tenant) -> None:
    api, ctx = _api(app), tenant.ctx
    assert api.authenticate(tenant.company.api_token).user_id == ctx.user_id
    api.authenticate(tenant.company.api_token)  # remembered now
    colleague = api.create(ctx, "user", {"name": "Colleague", "email": "c@x.example",
                                         "is_admin": True})
    api.update(replace(ctx, user_id=colleague["id"]), "user", ctx.user_id, {"is_active": False})
    with pytest.raises(Unauthenticated):
        api.authenticate(tenant.company.api_token)
    with pytest.raises(Unauthenticated):
        api.authenticate(tenant.company.pipeliner_api_token, "pipeliner", "wrong")


def test_record_writes_keep_sign_ins_remembered(app: Any, tenant: Tenant) -> None:
    api = _api(app)
    token_queries: list[str] = []

    def watch(sql: str, params: Any, many_: bool) -> None:
        if "api_tokens" in sql:
            token_queries.append(sql)

    api.authenticate(tenant.company.api_token)
    with api.db.observed(watch):
        api.create(tenant.ctx, "deal", {"title": "Busy"})
        api.authenticate(tenant.company.api_token)
        assert token_queries == []  # a deal changes nothing a sign-in depends on
        api.create(tenant.ctx, "user", {"name": "New", "email": "new@x.example"})
        api.authenticate(tenant.company.api_token)
        assert len(token_queries) == 1  # a user write does


def test_a_new_custom_field_reaches_remembered_sign_ins(app: Any, tenant: Tenant) -> None:
    api = _api(app)
    before = api.authenticate(tenant.company.api_token)
    field = api.create_field(before, "deal", "Fresh", "varchar")
    after = api.authenticate(tenant.company.api_token)
    assert field.key in after.schema.entity("deal").by_name


def test_uids_remembered_from_reads_only(app: Any, tenant: Tenant) -> None:
    records, ctx = _api(app), tenant.ctx
    deal = records.create(ctx, "deal", {"title": "Remember me"})
    assert records.uids(ctx, "deal", [deal["id"]], write=True) == {deal["id"]: deal["uid"]}
    assert (ctx.company_id, "deal", deal["id"]) not in records.engine._uid_memory
    assert records.uids(ctx, "deal", [deal["id"]]) == {deal["id"]: deal["uid"]}
    assert records.engine._uid_memory[(ctx.company_id, "deal", deal["id"])] == deal["uid"]


# ---- batches --------------------------------------------------------------------------------


def test_create_many_equals_creating_one_by_one(app: Any, tenant: Tenant, other: Tenant) -> None:
    records = _api(app)
    items = [{"title": f"T{i}", "value": float(i), "status": ["open", "won"][i % 2]}
             for i in range(700)]  # more than one INSERT's worth of parameters on SQLite
    ids = records.create_many(tenant.ctx, "deal", items)
    singles = [records.create(other.ctx, "deal", item)["id"] for item in items]
    ours = records.get_many(tenant.ctx, "deal", ids)
    theirs = records.get_many(other.ctx, "deal", singles)
    volatile = {"id", "uid", "created_at", "updated_at", "won_at", "first_won_at", "closed_at",
                "owner_id", "creator_id", "stage_id", "pipeline_id", "team_id"}
    assert [{k: v for k, v in ours[i].items() if k not in volatile} for i in ids] == [
        {k: v for k, v in theirs[i].items() if k not in volatile} for i in singles]
    assert [ours[i]["title"] for i in ids] == [f"T{i}" for i in range(700)]


def test_create_many_refuses_as_create_does(app: Any, tenant: Tenant) -> None:
    records, ctx = _api(app), tenant.ctx
    count = records.count(ctx, "deal", None)
    with pytest.raises(ValidationError):
        records.create_many(ctx, "deal", [{"title": "ok"}, {"title": ""}])
    uid = new_uid()
    with pytest.raises(Conflict):
        records.create_many(ctx, "deal", [{"title": "a", "uid": uid}, {"title": "b", "uid": uid}])
    assert records.count(ctx, "deal", None) == count


# ---- transactions and the pool --------------------------------------------------------------


def test_a_failed_transaction_leaves_nothing_and_its_connection_usable(database: Database) -> None:
    db = Database(database.url, pool_size=1)
    try:
        with pytest.raises(RuntimeError), db.tx(write=True) as tx:
            tx.run("INSERT INTO companies (name, space_id, fields_version, created_at) "
                   + ("VALUES (?, ?, ?, ?)" if db.backend == "sqlite" else "VALUES (%s, %s, %s, %s)"),
                   ("Ghost", "db_ghost_" + uuid.uuid4().hex, 0, "2024-01-01 00:00:00.000000"))
            raise RuntimeError("stop")
        with db.tx() as tx:  # the one connection is back and clean
            assert tx.scalar("SELECT count(*) FROM companies WHERE name = "
                             + ("?" if db.backend == "sqlite" else "%s"), ("Ghost",)) == 0
    finally:
        db.dispose()


def test_the_pool_hands_out_at_most_its_size(database: Database) -> None:
    db = Database(database.url, pool_size=2)
    inside, most, lock = 0, 0, threading.Lock()

    def work() -> None:
        nonlocal inside, most
        for _ in range(20):
            with db.tx() as tx:
                with lock:
                    inside += 1
                    most = max(most, inside)
                tx.scalar("SELECT 1")
                with lock:
                    inside -= 1

    made: list[Any] = []
    connect = db._pool._connect

    def counted() -> Any:
        made.append(conn := connect())
        return conn

    db._pool._connect = counted
    try:
        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert most <= 2
        assert 1 <= len(made) <= 2  # connections are made on demand, and never beyond the size
    finally:
        db.dispose()


def test_one_request_at_a_time_keeps_one_connection(database: Database) -> None:
    db = Database(database.url, pool_size=8)  # the most recently used connection comes first
    try:
        seen = set()
        for _ in range(10):
            with db.tx() as tx:
                seen.add(id(tx.raw))
                tx.scalar("SELECT 1")
        with db.tx() as a, db.tx() as b:  # two at once: a second connection, then both reused
            pair = {id(a.raw), id(b.raw)}
        with db.tx() as a, db.tx() as b:
            assert {id(a.raw), id(b.raw)} == pair
        assert len(seen) == 1 and seen < pair
    finally:
        db.dispose()


def test_new_uids_are_time_ordered_version_7() -> None:
    made = [new_uid() for _ in range(200)]
    pattern = re.compile(r"PY-7FFFFFFF-[0-9A-F]{8}-[0-9A-F]{4}-7[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}")
    assert all(pattern.fullmatch(u) for u in made)
    assert len(set(made)) == 200
    stamps = [int(u[12:20] + u[21:25], 16) for u in made]
    assert stamps == sorted(stamps)
    assert all(uuid.UUID(u[12:]).version == 7 for u in made)


def test_keyset_pages_see_every_row_once_under_both_directions(many: tuple[Calls, Context]) -> None:
    records, ctx = many
    for sort in ((Sort("value", True),), (Sort("value"), Sort("title", True)), (Sort("title"),)):
        everything = _ids(records.list(ctx, "deal", Query(sort=sort, page=Offset(0, 500))).items)
        seen, after = [], None
        while True:
            page = records.list(ctx, "deal", Query(sort=sort, page=Keyset(after, 7)))
            seen += _ids(page.items)
            if (after := page.last_key()) is None:
                break
        assert seen == everything, sort


def test_seeks_into_many_equal_keys_are_exact_ranges(many: tuple[Calls, Context]) -> None:
    """Rows sharing a sort key (deals imported in one second): every keyset page is the
    slice of the whole order, and on SQLite each seek is an index range on the key that
    decides (``updated_at = ? AND id < ?``, then ``updated_at < ?``), not a scan of the ties."""
    records, ctx = many
    mark = "?" if records.db.backend == "sqlite" else "%s"
    with records.db.tx(write=True) as tx:
        tx.run(f"UPDATE deals SET updated_at = {mark} WHERE company_id = {mark} "
               "AND (id - 3 * (id / 3)) <> 0", ("2026-01-01 00:00:00.000000", ctx.company_id))
    for sort in ((Sort("updated_at", True),), (Sort("updated_at"),)):
        everything = _ids(records.list(ctx, "deal", Query(sort=sort, page=Offset(0, 500))).items)
        seen: list[tuple[str, Any]] = []
        after = records.list(ctx, "deal", Query(sort=sort, page=Keyset(None, 20))).last_key()
        with records.db.observed(lambda sql, params, _, seen=seen: seen.append((sql, params))):
            page = records.list(ctx, "deal", Query(sort=sort, page=Keyset(after, 7)))
        assert _ids(page.items) == everything[20:27]
        sql, params = next(s for s in seen if "FROM \"deals\"" in s[0])
        if records.db.backend == "sqlite":
            assert " UNION ALL " in sql
            with records.db.tx() as tx:
                plan = " ".join(str(r) for r in tx.rows("EXPLAIN QUERY PLAN " + sql, params))
            op = "<" if sort[0].descending else ">"
            assert f"updated_at=? AND id{op}?" in plan and f"updated_at{op}?" in plan, plan
        # an OFFSET page asked out of order seeks from a remembered position and skips
        walked = _offset_walk(records, ctx, Query(sort=sort), 10)
        assert walked == everything
        skipped = records.list(ctx, "deal", Query(sort=sort, page=Offset(45, 10)))
        assert _ids(skipped.items) == everything[45:55]
