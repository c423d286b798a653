"""The store against a real database: migrations, change log, tenancy, soft delete,
custom fields. Runs on SQLite and (with DEALBASE_TEST_POSTGRES_URL) on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, func, inspect, select, text, update
from sqlalchemy.engine import make_url

from dealbase.domain.errors import NotFound, ValidationError
from dealbase.query.ast import And, Cond, Keyset, Not, Offset, Or, Query, Sort
from dealbase.query.compile import compile_count, compile_list
from dealbase.service import Context, Page, Service
from dealbase.settings import Settings
from dealbase.store import search
from dealbase.store.changelog import ChangeLog
from dealbase.store.database import Database
from dealbase.store.schema import build_metadata
from tests.conftest import Calls, Tenant, calls

# ---- helpers ------------------------------------------------------------------------------


def _records(app: Any) -> Calls:
    return calls(app)


def _changes(records: Calls, company_id: int) -> list[dict[str, Any]]:
    with records.db.read() as conn:
        return records.changelog.since(conn, company_id, 0, 10_000)


def _all(records: Calls, ctx: Context, entity: str, query: Query | None = None
         ) -> list[dict[str, Any]]:
    q = query or Query()
    return records.list(ctx, entity, Query(where=q.where, sort=q.sort, page=Offset(0, 10_000))
                        ).items


# ---- migrations ---------------------------------------------------------------------------

_counter = itertools.count()


@pytest.fixture
def fresh_url(database: Database, tmp_path: Any) -> Iterator[str]:
    """The URL of an empty database on the same backend as ``database``."""
    if database.backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    url = make_url(database.url)
    name = f"dealbase_mig_test_{os.getpid()}_{next(_counter)}"
    maintenance = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
        with maintenance.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        maintenance.dispose()


def _head() -> str:
    config = Config()
    config.set_main_option("script_location",
                           str(resources.files("dealbase.store") / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def _move_to(db: Database, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location",
                           str(resources.files("dealbase.store") / "migrations"))
    with db.engine.connect() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)
        conn.commit()


def _version(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]


def _not_search(name: str | None, kind: str, parents: Any) -> bool:
    """The full-text index is made by its own statements (store/search.py), not from the
    metadata: the comparison leaves it out (its own tests check it)."""
    return not (kind in ("table", "index") and name is not None
                and name.startswith(search.TABLE))


def _diffs(db: Database) -> list[Any]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True,
                        "include_name": _not_search})
        return list(compare_metadata(context, build_metadata()))


def test_migrate_empty_database_matches_metadata(fresh_url: str) -> None:
    db = Database(fresh_url)
    try:
        assert inspect(db.engine).get_table_names() == []
        db.migrate()
        tables = set(inspect(db.engine).get_table_names())
        assert tables == set(build_metadata().tables) | {"alembic_version"} | set(
            search.TABLES[db.backend])
        assert _version(db) == [_head()]
        assert _diffs(db) == []
    finally:
        db.dispose()


def test_migrating_again_is_a_no_op(fresh_url: str) -> None:
    db = Database(fresh_url)
    try:
        db.migrate()
        statements: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            db.migrate()
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert statements  # the listener saw alembic read its version table
        writes = [s for s in statements if s.lstrip().split(None, 1)[0].upper()
                  in ("CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE")]
        assert writes == []
        assert _version(db) == [_head()]
        assert _diffs(db) == []
    finally:
        db.dispose()


def test_upgrade_in_place_keeps_data(fresh_url: str) -> None:
    db = Database(fresh_url)
    try:
        db.migrate()
        api = Calls(Service(Settings(database_url=db.url), db))
        company = api.service.create_company("Initech", "boss@initech.example")
        ctx = api.service.admin(company.company_id, company.user_id)
        deal = api.create(ctx, "deal", {"title": "Kept", "value": 12.5})
        field = api.create_field(ctx, "deal", "Budget", "double")
        ctx = api.refresh(ctx)
        api.update(ctx, "deal", deal["id"], {field.key: 99.0})
        before = _changes(api, company.company_id)
        # Back to the first schema: the data of its columns must survive the way up.
        _move_to(db, "0001", down=True)
        assert _version(db) == ["0001"]
    finally:
        db.dispose()

    db = Database(fresh_url)  # a new process, as after a software upgrade
    try:
        db.migrate()
        assert _version(db) == [_head()]
        assert _diffs(db) == []
        api = Calls(Service(Settings(database_url=db.url), db))
        ctx = api.authenticate(company.api_token)
        got = api.get(ctx, "deal", deal["id"])
        assert (got["title"], got["value"], got[field.key]) == ("Kept", 12.5, 99.0)
        # 0003 gave the existing field its index slot and filled it from the JSON values
        (upgraded,) = ctx.schema.custom_of("deal")
        assert upgraded.slot == 1
        deals = api.metadata.tables["deals"]
        with db.read() as conn:
            assert conn.execute(select(deals.c.cf_num_1).where(
                deals.c.id == deal["id"])).scalar_one() == 99.0
        assert [r["id"] for r in api.list(ctx, "deal", Query(
            where=Cond(field.key, "eq", 99.0))).items] == [deal["id"]]
        assert _changes(api, company.company_id) == before
        assert len(_all(api, ctx, "stage")) == 5
    finally:
        db.dispose()


# ---- change log ---------------------------------------------------------------------------


def _since(records: Calls, company_id: int, seq: int) -> list[dict[str, Any]]:
    with records.db.read() as conn:
        return records.changelog.since(conn, company_id, seq)


def _last_seq(records: Calls, company_id: int) -> int:
    rows = _changes(records, company_id)
    return rows[-1]["seq"] if rows else 0


def test_create_update_delete_write_change_log(app: Any, tenant: Tenant) -> None:
    records, ctx = _records(app), tenant.ctx
    start = _last_seq(records, ctx.company_id)

    deal = records.create(ctx, "deal", {"title": "First", "value": 10,
                                        "expected_close_date": "2030-01-02"})
    [created] = _since(records, ctx.company_id, start)
    assert (created["entity"], created["record_id"], created["action"]) == (
        "deal", deal["id"], "create")
    assert created["user_id"] == ctx.user_id
    assert isinstance(created["created_at"], dt.datetime)
    changes = created["changes"]
    assert changes["title"] == [None, "First"]
    assert changes["value"] == [None, 10.0]
    assert changes["expected_close_date"] == [None, "2030-01-02"]
    assert changes["stage_id"] == [None, deal["stage_id"]]
    assert changes["pipeline_id"] == [None, deal["pipeline_id"]]
    assert changes["status"] == [None, "open"]

    records.update(ctx, "deal", deal["id"], {"title": "Second", "value": 10})
    [updated] = _since(records, ctx.company_id, created["seq"])
    assert (updated["entity"], updated["record_id"], updated["action"]) == (
        "deal", deal["id"], "update")
    assert updated["changes"] == {"title": ["First", "Second"]}  # unchanged value left out

    records.update(ctx, "deal", deal["id"], {"status": "won"})
    [won] = _since(records, ctx.company_id, updated["seq"])
    assert won["changes"]["status"] == ["open", "won"]
    assert won["changes"]["won_at"][0] is None and won["changes"]["won_at"][1] is not None

    records.delete(ctx, "deal", [deal["id"]])
    [deleted] = _since(records, ctx.company_id, won["seq"])
    assert (deleted["entity"], deleted["record_id"], deleted["action"]) == (
        "deal", deal["id"], "delete")
    assert deleted["changes"] == {"is_deleted": [False, True]}


def test_change_log_seq_is_strictly_increasing(app: Any, tenant: Tenant, other: Tenant) -> None:
    records = _records(app)
    ops: list[tuple[str, int, str]] = []
    for i in range(3):
        for t in (tenant, other):
            org = records.create(t.ctx, "organization", {"name": f"Org {i}"})
            records.update(t.ctx, "organization", org["id"], {"name": f"Org {i}!"})
            if t is tenant:
                ops += [("organization", org["id"], "create"),
                        ("organization", org["id"], "update")]
    rows = _changes(records, tenant.ctx.company_id)
    seqs = [r["seq"] for r in rows]
    assert all(a < b for a, b in itertools.pairwise(seqs))
    assert [(r["entity"], r["record_id"], r["action"]) for r in rows[-len(ops):]] == ops
    assert {r["company_id"] for r in rows} == {tenant.ctx.company_id}


def _second_pipeline(records: Calls, ctx: Context) -> tuple[int, int]:
    pipeline = records.create(ctx, "pipeline", {"name": "Second"})
    stage = records.create(ctx, "stage", {"name": "Elsewhere", "pipeline_id": pipeline["id"]})
    return pipeline["id"], stage["id"]


def test_failed_validation_writes_nothing(app: Any, tenant: Tenant) -> None:
    records, ctx = _records(app), tenant.ctx
    _, foreign_stage = _second_pipeline(records, ctx)
    first_pipeline = records.list(ctx, "pipeline", Query(sort=(Sort("order_nr"),))).items[0]
    deals_before = records.count(ctx, "deal", None)
    seq = _last_seq(records, ctx.company_id)

    with pytest.raises(ValidationError):
        records.create(ctx, "deal", {"title": "Bad", "pipeline_id": first_pipeline["id"],
                                     "stage_id": foreign_stage})
    with pytest.raises(ValidationError):
        records.create(ctx, "deal", {"title": "Bad", "probability": 101})
    with pytest.raises(ValidationError):
        records.create(ctx, "deal", {"title": "Bad", "person_id": 10**12})
    assert records.count(ctx, "deal", None) == deals_before
    assert _since(records, ctx.company_id, seq) == []

    deal = records.create(ctx, "deal", {"title": "Good"})
    seq = _last_seq(records, ctx.company_id)
    with pytest.raises(ValidationError):
        records.update(ctx, "deal", deal["id"], {"title": "Renamed",
                                                 "pipeline_id": first_pipeline["id"],
                                                 "stage_id": foreign_stage})
    assert records.get(ctx, "deal", deal["id"]) == deal
    with pytest.raises(NotFound):
        records.delete(ctx, "deal", [deal["id"], 10**12])  # all or nothing
    assert records.get(ctx, "deal", deal["id"])["is_deleted"] is False
    assert _since(records, ctx.company_id, seq) == []


def test_change_log_shares_the_write_transaction(app: Any, tenant: Tenant,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """If appending the change-log row fails, the record write is rolled back with it."""
    records, ctx = _records(app), tenant.ctx
    deal = records.create(ctx, "deal", {"title": "Stable"})
    count = records.count(ctx, "deal", None)

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("change log unavailable")

    monkeypatch.setattr(records.changelog, "append", boom)
    monkeypatch.setattr(records.changelog, "append_many", boom)
    with pytest.raises(RuntimeError):
        records.create(ctx, "deal", {"title": "Ghost"})
    with pytest.raises(RuntimeError):
        records.update(ctx, "deal", deal["id"], {"title": "Changed"})
    with pytest.raises(RuntimeError):
        records.delete(ctx, "deal", [deal["id"]])
    monkeypatch.undo()
    assert records.count(ctx, "deal", None) == count
    assert records.get(ctx, "deal", deal["id"]) == deal


def test_unchanged_custom_date_is_not_logged(app: Any, tenant: Tenant) -> None:
    api = calls(app)
    field = api.create_field(tenant.ctx, "deal", "Kick-off", "date")
    ctx = api.refresh(tenant.ctx)
    deal = api.create(ctx, "deal", {"title": "Dated", field.key: "2024-05-01"})
    seq = _last_seq(api, ctx.company_id)
    api.update(ctx, "deal", deal["id"], {"title": "Dated!", field.key: "2024-05-01"})
    [row] = _since(api, ctx.company_id, seq)
    assert row["changes"] == {"title": ["Dated", "Dated!"]}


# ---- tenancy ------------------------------------------------------------------------------


def test_compiled_statements_always_carry_company_id(app: Any, database: Database) -> None:
    records = _records(app)
    spec = records.registry.builtins["deal"]
    company = 987654321
    mark = "?" if database.backend == "sqlite" else "%s"
    wheres = [None, Cond("title", "eq", "x"), Or((Cond("id", "gt", 0), Cond("id", "lt", 0))),
              Not(Cond("is_deleted", "eq", False)),
              And((Cond("value", "ge", 1), Or((Cond("title", "contains", "a"),))))]
    for where in wheres:
        for page in (Offset(0, 10), Offset(5, 10), Keyset(None, 10), Keyset((1.0, 7), 10)):
            query = Query(where=where, sort=(Sort("value"),), page=page)
            for compiled in (compile_list(query, spec, company, database.backend),
                             compile_count(where, spec, company, database.backend)):
                assert compiled.params[0] == company
                # the tenant test is the first top-level conjunct of the WHERE clause
                clause = compiled.sql.split(" WHERE ", 1)[1].split(" ORDER BY ", 1)[0]
                conjuncts = _conjuncts(clause)
                assert conjuncts[0] == f'"deals"."company_id" = {mark}'
                assert not any(" OR " in _top_level(c) for c in conjuncts)


def _top_level(sql: str) -> str:
    """``sql`` with everything inside parentheses blanked out."""
    depth, out = 0, []
    for ch in sql:
        depth += ch == "("
        out.append(ch if depth == 0 else " ")
        depth -= ch == ")"
    return "".join(out)


def _conjuncts(clause: str) -> list[str]:
    """The top-level AND-ed terms of a WHERE clause."""
    parts, start, flat = [], 0, _top_level(clause)
    while (at := flat.find(" AND ", start)) != -1:
        parts.append(clause[start:at])
        start = at + 5
    return [*parts, clause[start:]]


def test_records_of_one_company_are_invisible_to_another(app: Any, tenant: Tenant,
                                                         other: Tenant) -> None:
    records = _records(app)
    mine = records.create(tenant.ctx, "deal", {"title": "Secret"})
    org = records.create(tenant.ctx, "organization", {"name": "Hidden Org"})
    theirs = other.ctx
    assert records.list(theirs, "deal", Query()).items == []
    assert records.list(theirs, "deal", Query(where=Or((Cond("id", "eq", mine["id"]),
                                                         Cond("title", "eq", "Secret"))))
                        ).items == []
    assert records.list(theirs, "deal", Query(where=Not(Cond("id", "eq", -1)))).items == []
    assert records.count(theirs, "deal", None) == 0
    assert records.list(theirs, "deal", Query(page=Keyset(None, 50))).items == []
    with pytest.raises(NotFound):
        records.get(theirs, "deal", mine["id"])
    assert records.get_many(theirs, "deal", [mine["id"]]) == {}
    assert records.exists(theirs, "deal", mine["id"]) is False
    with pytest.raises(NotFound):
        records.update(theirs, "deal", mine["id"], {"title": "Stolen"})
    with pytest.raises(NotFound):
        records.delete(theirs, "deal", [mine["id"]])
    # references into another company do not resolve either
    with pytest.raises(ValidationError):
        records.create(theirs, "deal", {"title": "X", "organization_id": org["id"]})
    with pytest.raises(ValidationError):
        records.create(theirs, "deal", {"title": "X", "stage_id": mine["stage_id"]})
    assert records.get(tenant.ctx, "deal", mine["id"]) == mine
    assert [r["id"] for r in records.list(tenant.ctx, "deal", Query()).items] == [mine["id"]]


# ---- soft delete --------------------------------------------------------------------------


def test_soft_delete_keeps_row_and_bumps_updated_at(app: Any, tenant: Tenant) -> None:
    records, ctx = _records(app), tenant.ctx
    keep = records.create(ctx, "deal", {"title": "Keep"})
    gone = records.create(ctx, "deal", {"title": "Gone"})
    table = records.tables["deal"]
    past = dt.datetime(2001, 1, 1, 12, 0, 0)
    with records.db.write() as conn:
        conn.execute(update(table).where(table.c.company_id == ctx.company_id)
                     .values(updated_at=past))

    assert records.delete(ctx, "deal", [gone["id"], gone["id"]]) == [gone["id"]]

    row = records.get(ctx, "deal", gone["id"])
    assert row["is_deleted"] is True
    assert row["updated_at"] > past
    assert row["title"] == "Gone" and row["created_at"] == gone["created_at"]
    assert records.get(ctx, "deal", keep["id"])["updated_at"] == past
    with records.db.read() as conn:
        stored = conn.execute(select(func.count()).select_from(table).where(
            table.c.company_id == ctx.company_id)).scalar_one()
    assert stored == 2
    deleted = records.list(ctx, "deal", Query(where=Cond("is_deleted", "eq", True))).items
    assert [r["id"] for r in deleted] == [gone["id"]]
    live = records.list(ctx, "deal", Query(where=Cond("is_deleted", "eq", False))).items
    assert [r["id"] for r in live] == [keep["id"]]
    with pytest.raises(NotFound):
        records.delete(ctx, "deal", [gone["id"]])
    with pytest.raises(NotFound):
        records.update(ctx, "deal", gone["id"], {"title": "Back"})


# ---- custom fields ------------------------------------------------------------------------

TYPES = ("double", "monetary", "enum", "set", "date", "varchar", "user")


class CustomSetup:
    def __init__(self, records: Calls, ctx: Context, keys: dict[str, str],
                 users: list[int], ids: list[int]) -> None:
        self.records, self.ctx, self.keys, self.users, self.ids = records, ctx, keys, users, ids

    def rows(self) -> list[dict[str, Any]]:
        return _all(self.records, self.ctx, "deal")


@pytest.fixture
def custom(app: Any, tenant: Tenant) -> CustomSetup:
    api = calls(app)
    ctx = tenant.ctx
    keys: dict[str, str] = {}
    for field_type in TYPES:
        options = ["Low", "Mid", "High"] if field_type in ("enum", "set") else None
        keys[field_type] = api.create_field(ctx, "deal", f"My {field_type}", field_type,
                                             options).key
    ctx = api.refresh(ctx)
    users = [ctx.user_id or 0]
    users += [api.create(ctx, "user", {"name": f"U{i}", "email": f"u{i}@x.example"})["id"]
              for i in range(2)]
    k = keys
    words = ["delta", "alpha", "Charlie", "bravo", "alpha", None, "echo", "alphabet", None,
             "foxtrot", "bravo", "golf"]
    ids = []
    for i, word in enumerate(words):
        values: dict[str, Any] = {"title": f"Deal {i:02d}"}
        if i % 4 != 3:
            values[k["double"]] = [2.5, -1.0, 7.0, 2.5][i % 4] + (i // 4)
        if i % 3 != 2:
            values[k["monetary"]] = float(100 * (i % 5))
            values[k["monetary"] + "_currency"] = ["EUR", "USD"][i % 2]
        if i % 5 != 4:
            values[k["enum"]] = i % 3 + 1
        if i % 2 == 0:
            values[k["set"]] = [3, 1] if i % 4 == 0 else [2]
        if i % 6 != 5:
            values[k["date"]] = f"2024-0{i % 4 + 1}-1{i % 3}"
        if word is not None:
            values[k["varchar"]] = word
        if i % 4 != 1:
            values[k["user"]] = users[i % 3]
        ids.append(api.create(ctx, "deal", values)["id"])
    return CustomSetup(api, ctx, keys, users, ids)


def test_custom_field_values_round_trip(app: Any, custom: CustomSetup) -> None:
    records, ctx, k = custom.records, custom.ctx, custom.keys
    deal = records.get(ctx, "deal", custom.ids[0])
    assert deal[k["double"]] == 2.5
    assert deal[k["monetary"]] == 0.0 and deal[k["monetary"] + "_currency"] == "EUR"
    assert deal[k["enum"]] == 1
    assert deal[k["set"]] == [1, 3]
    assert deal[k["date"]] == dt.date(2024, 1, 10)
    assert deal[k["varchar"]] == "delta"
    assert deal[k["user"]] == custom.users[0]

    updated = records.update(ctx, "deal", deal["id"], {
        k["double"]: 3, k["enum"]: None, k["set"]: [2, 2, 3], k["date"]: "2025-12-31",
        k["varchar"]: "changed"})
    assert updated[k["double"]] == 3.0 and isinstance(updated[k["double"]], float)
    assert updated[k["enum"]] is None
    assert updated[k["set"]] == [2, 3]
    assert updated[k["date"]] == dt.date(2025, 12, 31)
    assert updated[k["varchar"]] == "changed"
    assert updated[k["user"]] == custom.users[0]  # untouched custom values are kept
    assert records.get(ctx, "deal", deal["id"]) == updated

    for bad in ({k["enum"]: 4}, {k["set"]: [9]}, {k["set"]: []}, {k["date"]: "soon"},
                {k["double"]: "1.5"}, {k["varchar"]: "x" * 256}, {k["user"]: 10**12}):
        with pytest.raises(ValidationError):
            records.update(ctx, "deal", deal["id"], bad)
    assert records.get(ctx, "deal", deal["id"]) == updated


def test_custom_user_field_rejects_another_companys_user(custom: CustomSetup,
                                                         other: Tenant) -> None:
    with pytest.raises(ValidationError):
        custom.records.create(custom.ctx, "deal", {"title": "X",
                                                   custom.keys["user"]: other.company.user_id})


def _ids(rows: list[dict[str, Any]]) -> list[int]:
    return [r["id"] for r in rows]


def test_custom_field_filters(custom: CustomSetup) -> None:
    records, ctx, k = custom.records, custom.ctx, custom.keys
    rows = custom.rows()

    def check(cond: Cond, predicate: Callable[[Any], bool]) -> None:
        got = _ids(_all(records, ctx, "deal", Query(where=cond, sort=(Sort("id"),))))
        want = [r["id"] for r in rows if predicate(r[cond.field])]
        assert got == want, cond
        assert records.count(ctx, "deal", cond) == len(want)

    def some(v: Any) -> bool:
        return v is not None

    cases: list[tuple[Cond, Callable[[Any], bool]]] = [
        (Cond(k["double"], "eq", 2.5), lambda v: v == 2.5),
        (Cond(k["double"], "gt", 2.5), lambda v: some(v) and v > 2.5),
        (Cond(k["double"], "in", [-1, 9.0]), lambda v: v in (-1.0, 9.0)),
        (Cond(k["double"], "is_null", True), lambda v: v is None),
        (Cond(k["monetary"], "gt", 100), lambda v: some(v) and v > 100),
        (Cond(k["monetary"], "eq", 0), lambda v: v == 0.0),
        (Cond(k["monetary"] + "_currency", "eq", "USD"), lambda v: v == "USD"),
        (Cond(k["enum"], "eq", 2), lambda v: v == 2),
        (Cond(k["enum"], "in", [1, 3]), lambda v: v in (1, 3)),
        (Cond(k["enum"], "gt", 1), lambda v: some(v) and v > 1),
        (Cond(k["enum"], "is_null", True), lambda v: v is None),
        (Cond(k["set"], "is_null", False), some),
        (Cond(k["set"], "is_null", True), lambda v: v is None),
        (Cond(k["date"], "eq", "2024-02-11"), lambda v: v == dt.date(2024, 2, 11)),
        (Cond(k["date"], "gt", "2024-02-11"), lambda v: some(v) and v > dt.date(2024, 2, 11)),
        (Cond(k["date"], "in", ["2024-01-10", "2024-04-12"]),
         lambda v: v in (dt.date(2024, 1, 10), dt.date(2024, 4, 12))),
        (Cond(k["date"], "is_null", True), lambda v: v is None),
        (Cond(k["varchar"], "eq", "alpha"), lambda v: v == "alpha"),
        (Cond(k["varchar"], "gt", "bravo"), lambda v: some(v) and v > "bravo"),
        (Cond(k["varchar"], "in", ["alpha", "golf"]), lambda v: v in ("alpha", "golf")),
        (Cond(k["varchar"], "contains", "ALPH"), lambda v: some(v) and "alph" in v.lower()),
        (Cond(k["varchar"], "contains", "arl"), lambda v: some(v) and "arl" in v.lower()),
        (Cond(k["varchar"], "is_null", True), lambda v: v is None),
        (Cond(k["user"], "eq", custom.users[1]), lambda v: v == custom.users[1]),
        (Cond(k["user"], "in", custom.users[1:]), lambda v: v in custom.users[1:]),
        (Cond(k["user"], "is_null", True), lambda v: v is None),
    ]
    for cond, predicate in cases:
        check(cond, predicate)
    for field_type in ("double", "enum", "date", "varchar", "user"):  # every kind has NULLs
        assert any(r[k[field_type]] is None for r in rows)
        assert any(r[k[field_type]] is not None for r in rows)


def _python_order(rows: list[dict[str, Any]], sort: tuple[Sort, ...]) -> list[int]:
    """Ascending puts NULLs first, descending puts them last; id breaks ties, running the
    way the last key runs."""
    tie_desc = bool(sort) and sort[-1].descending
    ordered = sorted(rows, key=lambda r: r["id"], reverse=tie_desc)
    for s in reversed(sort):
        present = sorted((r for r in ordered if r[s.field] is not None),
                         key=lambda r, f=s.field: r[f], reverse=s.descending)  # type: ignore[misc]
        nulls = [r for r in ordered if r[s.field] is None]
        ordered = present + nulls if s.descending else nulls + present
    return _ids(ordered)


def _walk(records: Calls, ctx: Context, sort: tuple[Sort, ...], limit: int) -> list[int]:
    seen: list[int] = []
    after = None
    for _ in range(100):
        page: Page = records.list(ctx, "deal", Query(sort=sort, page=Keyset(after, limit)))
        seen += _ids(page.items)
        after = page.last_key()
        if after is None:
            return seen
    raise AssertionError("keyset pagination did not terminate")


def test_custom_field_sort_and_keyset(custom: CustomSetup) -> None:
    records, ctx, k = custom.records, custom.ctx, custom.keys
    rows = custom.rows()
    sorts: list[tuple[Sort, ...]] = []
    for field_type in ("double", "monetary", "enum", "date", "varchar", "user"):
        for desc in (False, True):
            sorts.append((Sort(k[field_type], desc),))
    sorts += [
        (Sort(k["monetary"] + "_currency"), Sort(k["date"], True)),
        (Sort(k["enum"], True), Sort(k["varchar"])),
        (Sort(k["user"]), Sort(k["double"], True), Sort("id", True)),
    ]
    for sort in sorts:
        want = _python_order(rows, sort)
        got = _ids(_all(records, ctx, "deal", Query(sort=sort)))
        assert got == want, sort
        for limit in (1, 3, 5):
            assert _walk(records, ctx, sort, limit) == want, (sort, limit)
    # NULLs: first ascending, last descending
    asc = _all(records, ctx, "deal", Query(sort=(Sort(k["varchar"]),)))
    desc = _all(records, ctx, "deal", Query(sort=(Sort(k["varchar"], True),)))
    assert asc[0][k["varchar"]] is None and desc[-1][k["varchar"]] is None


def test_data_version_reads_an_index_whatever_the_plan(database: Database) -> None:
    """The data version runs on every cached read. PostgreSQL runs it as a prepared
    statement, whose generic plan knows neither the company nor the entity: it must still
    take the change log's company/entity index, never walk the primary key and filter
    (which reads the whole log once one entity dominates it)."""
    if database.backend != "postgresql":
        pytest.skip("a PostgreSQL planner question")
    seen: list[tuple[str, Any]] = []
    observer = lambda sql, params, _many: seen.append((sql, params))  # noqa: E731
    with database.observed(observer), database.tx() as tx:
        ChangeLog.version(tx, 1, ("user", "pipeline"))
        ChangeLog.version(tx, 1)
    assert len(seen) == 2
    with database.tx() as tx:
        tx.run("SET plan_cache_mode = force_generic_plan")
        try:
            for number, (sql, params) in enumerate(seen):
                types = ", ".join("bigint" if isinstance(p, int) else "text" for p in params)
                tx.run(f"PREPARE version_{number}({types}) AS "
                       + sql.replace("%s", "${}").format(*range(1, len(params) + 1)))
                values = ", ".join(str(p) if isinstance(p, int) else f"'{p}'" for p in params)
                plan = "\n".join(str(row[0]) for row in tx.rows(
                    f"EXPLAIN EXECUTE version_{number}({values})"))
                assert "change_log_pkey" not in plan, plan
                assert "ix_change_log_" in plan, plan
                tx.run(f"DEALLOCATE version_{number}")
        finally:
            tx.run("RESET plan_cache_mode")
