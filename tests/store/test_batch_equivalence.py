"""The batch write path (``Unit.batch``: runs of new records through ``create_many``, halved
on a failure down to single creates) against creating the same items one by one, over
random valid and invalid deals: the same outcome per item (the record or the very same
error), the same stored records, change-log rows and full-text index rows. And the
per-field coercers of the create path against the one generic coercion."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealbase.domain.errors import DealbaseError
from dealbase.domain.registry import Registry
from dealbase.domain.spec import FieldSpec, Option
from dealbase.domain.types import Kind
from dealbase.query.ast import Keyset, Query
from dealbase.service import Context, Save, Service
from dealbase.service.records import _coerce, _coercer
from dealbase.store.database import Database

NOW = dt.datetime(2031, 5, 4, 3, 2, 1)
MISSING = 10**9  # an id no record has
UID = "PY-7FFFFFFF-00000000-0000-7000-8000-0000000000{:02X}"

# ---- the coercers ----------------------------------------------------------------------------

_OPTIONS = (Option(7, "a"), Option(8, "b"))
CUSTOM = (
    FieldSpec("cf_enum", Kind.INT, custom_key="e" * 40, field_type="enum", options=_OPTIONS),
    FieldSpec("cf_set", Kind.JSON, custom_key="s" * 40, field_type="set", options=_OPTIONS),
    FieldSpec("cf_num", Kind.FLOAT, custom_key="n" * 40, field_type="double"),
    FieldSpec("cf_text", Kind.TEXT, custom_key="t" * 40, field_type="varchar", max_length=5),
    FieldSpec("cf_date", Kind.DATE, custom_key="d" * 40, field_type="date"),
    FieldSpec("cf_choice", Kind.FLOAT, choices=(1.0, 2.5)),
)
FIELDS = [f for spec in Registry().builtins.values() for f in spec.fields if not f.readonly]
RAW = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**64), 2**64), st.sampled_from([0, 1, 7, 8, -1]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e15, -1e15, 1e15 + 1, 2.5]),
    st.text(max_size=8), st.sampled_from(["open", "won", "USD", "2031-02-03", " 2031-02-03",
                                          "a\x00", "12", "", "x" * 300]),
    st.dates(), st.datetimes(), st.lists(st.integers(-2, 9), max_size=3))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def _outcome(convert: Any, raw: Any) -> tuple[str, Any]:
    try:
        return "value", convert(raw)
    except DealbaseError as error:
        return "error", (type(error), error.message, error.problems, error.reason)


@settings(max_examples=400, deadline=None, database=None)
@given(st.sampled_from([*FIELDS, *CUSTOM]), RAW)
def test_a_fields_coercer_gives_what_the_generic_coercion_gives(f: FieldSpec, raw: Any) -> None:
    fast, slow = _outcome(_coercer(f), raw), _outcome(lambda v: _coerce(f, v), raw)
    assert fast[0] == slow[0], (f.name, raw, fast, slow)
    if fast[0] == "value":
        assert _same(fast[1], slow[1]), (f.name, raw, fast, slow)
    else:
        assert fast == slow


# ---- the batch path against one by one -------------------------------------------------------

ROW = st.fixed_dictionaries({}, optional={
    "title": st.one_of(st.text(max_size=12), st.sampled_from(["Deal", "", None, 7, "x" * 256])),
    "value": st.one_of(st.floats(allow_nan=True), st.integers(-(10**16), 10**16),
                       st.sampled_from([None, "12", True, 0])),
    "currency": st.sampled_from(["USD", "EUR", "LONG", 5, None]),
    "status": st.sampled_from(["open", "won", "lost", "gone", None]),
    "expected_close_date": st.sampled_from(["2031-07-08", " 2031-07-08", "2031-13-01", "soon",
                                            None, dt.date(2030, 1, 2)]),
    "probability": st.one_of(st.integers(-5, 105), st.sampled_from([None, True, 2.5])),
    "stage_id": st.sampled_from(["first", "second", "missing", None]),
    "owner_id": st.sampled_from(["admin", "missing"]),
    "label_ids": st.sampled_from([[], ["missing"], None]),
    "watcher_ids": st.sampled_from([[], ["admin"], ["admin", "missing"], None]),
    "uid": st.sampled_from([0, 1, 2, "lower"]),
    "Source": st.sampled_from(["a", "b", "nope", None, "text"]),
    "Months": st.one_of(st.floats(-50, 50), st.integers(-3, 40), st.sampled_from(["3", None])),
    "Code": st.one_of(st.text(max_size=6), st.none()),
})


class Company:
    """A company made for one example, its custom fields, and the ids a symbolic row names."""

    def __init__(self, service: Service, name: str) -> None:
        made = service.create_company(name, f"admin@{name.lower()}.example", "Admin")
        self.service, self.user_id = service, made.user_id
        ctx = service.admin(made.company_id, made.user_id)
        with service.unit(ctx, write=True) as unit:
            unit.create_field("deal", "Source", "enum", [{"label": "a"}, {"label": "b"}])
            unit.create_field("deal", "Months", "double")
            unit.create_field("deal", "Code", "varchar")
        self.ctx: Context = service.admin(made.company_id, made.user_id)
        with service.unit(self.ctx) as unit:
            fields = {f.name: f for f in unit.fields("deal")}
            stages = [r["id"] for r in unit.list("stage", Query(page=Keyset(None, 100))).items]
        self.keys = {name: f.key for name, f in fields.items()}
        self.names = {f.key: name for name, f in fields.items()}
        self.options = {o.label: o.id for o in fields["Source"].options or ()}
        self.stages = {"first": stages[0], "second": stages[1], "missing": MISSING}

    def concrete(self, row: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in row.items():
            if name == "stage_id" and value is not None:
                value = self.stages[value]
            elif name == "owner_id":
                value = self.user_id if value == "admin" else MISSING
            elif name == "label_ids" and value:
                value = [MISSING]
            elif name == "watcher_ids" and value:
                value = [self.user_id if v == "admin" else MISSING for v in value]
            elif name == "uid":
                value = UID.format(0).lower() if value == "lower" else UID.format(value)
            elif name == "Source" and value in ("a", "b", "nope"):
                value = self.options.get(value, MISSING)
            out[self.keys.get(name, name)] = value
        return out

    def positions(self) -> dict[str, dict[int, int]]:
        """Each referenced entity's ids in order (the k-th of two companies match)."""
        with self.service.unit(self.ctx) as unit:
            return {entity: {r["id"]: n for n, r in enumerate(unit.list(
                entity, Query(page=Keyset(None, 1000), fields=("id",))).items)}
                for entity in ("user", "pipeline", "stage", "team")}

    def index(self, ids: Mapping[int, int]) -> dict[tuple[int, int], str]:
        """The index rows of these records (id -> item): (item, group) -> words."""
        key = "rowid" if self.service._db.backend == "sqlite" else "key"
        mark = "?" if self.service._db.backend == "sqlite" else "%s"
        with self.service._db.tx() as tx:
            rows = tx.rows(f"SELECT {key}, words FROM search_index WHERE company_id = {mark}",
                           (self.ctx.company_id,))
        return {(ids[k >> 8], k & 15): w for k, w in rows if k >> 8 in ids}


def _error(company: Company, error: DealbaseError) -> tuple[Any, ...]:
    """An error as a company's client sees it, its custom field keys named."""
    message = error.message
    for key, name in company.names.items():
        message = message.replace(key, name)
    return (type(error), message, [(company.names.get(p.field or "", p.field), p.message, p.reason)
                                   for p in error.problems], error.reason)


def _normal(company: Company, positions: dict[str, dict[int, int]], values: Mapping[str, Any],
            *, changes: bool = False) -> dict[str, Any]:
    """A record's values (or a change-log row's [old, new] pairs) with the ids and keys one
    company made put as what they are to it (the k-th stage, the field named "Source")."""
    spec = company.ctx.schema.entity("deal")

    def same(ref: dict[int, int] | None, value: Any) -> Any:
        if ref is None or value is None:
            return value
        if isinstance(value, list):
            return [("ref", ref.get(v, v)) for v in value]
        return ("ref", ref.get(value, value))

    out: dict[str, Any] = {}
    for name, value in values.items():
        f = spec.by_name.get(name)
        if name in ("id", "uid") or f is None:
            continue
        ref = positions.get(f.ref or "")
        out[company.names.get(name, name)] = (
            [same(ref, v) for v in value] if changes else same(ref, value))
    return out


@pytest.fixture
def pinned(service: Service) -> Iterator[Service]:
    records = service._records
    clock = records.clock
    records.clock = lambda: NOW
    try:
        yield service
    finally:
        records.clock = clock


@settings(max_examples=20, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(rows=st.lists(ROW, min_size=1, max_size=25), bulk=st.integers(0, 120),
       seed=st.integers(0, 10**6))
def test_a_batch_writes_what_one_by_one_writes(pinned: Service, rows: list[dict[str, Any]],
                                               bulk: int, seed: int) -> None:
    # Many good rows as well (runs past a multi-row INSERT's 100 rows on SQLite), mixed in.
    filler = [{"title": f"Filler {n}", "value": float(n), "status": ("won", "open", "lost")[n % 3],
               "Months": n, "watcher_ids": (["admin"], [], None)[n % 5 % 3], "Source": "ab"[n % 2],
               "Code": f"c{n}" if n % 7 else None, "stage_id": ("first", "second")[n % 4 // 2],
               "expected_close_date": "2031-07-08" if n % 11 else None} for n in range(bulk)]
    symbolic = [*filler[: bulk // 2], *rows, *filler[bulk // 2:]]
    ours, theirs = Company(pinned, f"Batch{seed}"), Company(pinned, f"Single{seed}")

    with pinned.unit(ours.ctx, write=True) as unit:
        outcomes = unit.batch([ours.concrete(r) for r in symbolic],
                              lambda _, values: Save("deal", values), skip_failures=True)
    singles: list[int | DealbaseError] = []
    for row in symbolic:
        try:
            with pinned.unit(theirs.ctx, write=True) as unit:
                singles.append(unit.create("deal", theirs.concrete(row))["id"])
        except DealbaseError as error:
            singles.append(error)

    assert [_error(ours, o.error) if o.error else "created" for o in outcomes] == [
        _error(theirs, s) if isinstance(s, DealbaseError) else "created" for s in singles]
    pairs: list[tuple[int, int]] = []
    for outcome, single in zip(outcomes, singles, strict=True):
        if outcome.id is not None:
            assert isinstance(single, int)
            pairs.append((outcome.id, single))
    where = {c: c.positions() for c in (ours, theirs)}
    for a, b in pairs:
        with pinned.unit(ours.ctx) as unit:
            mine, my_log = unit.get("deal", a), unit.changes("deal", a)
        with pinned.unit(theirs.ctx) as unit:
            other, their_log = unit.get("deal", b), unit.changes("deal", b)
        assert _normal(ours, where[ours], mine) == _normal(theirs, where[theirs], other)
        assert [(c.action, c.at, _normal(ours, where[ours], c.changes, changes=True))
                for c in my_log] == [(c.action, c.at, _normal(theirs, where[theirs], c.changes,
                                                              changes=True)) for c in their_log]
        assert [c.user_id for c in my_log] == [ours.user_id] and [
            c.user_id for c in their_log] == [theirs.user_id]
    assert ours.index({a: n for n, (a, _) in enumerate(pairs)}) == theirs.index(
        {b: n for n, (_, b) in enumerate(pairs)})

    # All or nothing: create_many refuses with the first refused item's error when every
    # failure is one the items' own values make (not a reference or an id checked after).
    failures = [s for s in singles if isinstance(s, DealbaseError)]
    later = any(r.get("owner_id") == "missing" or r.get("label_ids") or "uid" in r
                or "missing" in (r.get("watcher_ids") or ()) for r in symbolic)
    fresh = Company(pinned, f"Many{seed}")
    try:
        with pinned.unit(fresh.ctx, write=True) as unit:
            unit.create_many("deal", [fresh.concrete(r) for r in symbolic])
        refused = None
    except DealbaseError as error:
        refused = error
    assert (refused is None) == (not failures)
    if refused is not None and not later:
        assert _error(fresh, refused) == _error(theirs, failures[0])


def test_a_batch_halves_a_failed_run_down_to_the_bad_items(service: Service) -> None:
    company = Company(service, "Halves")
    items = [{"title": f"D{n}"} for n in range(300)]
    items[17] = {"title": ""}
    items[250] = {"title": "x", "currency": "TOO LONG"}
    calls: list[int] = []
    with service.unit(company.ctx, write=True) as unit:
        many = unit.create_many

        def counted(entity: str, batch: Any) -> list[int]:
            calls.append(len(batch))
            return many(entity, batch)

        unit.create_many = counted  # type: ignore[method-assign,assignment]
        outcomes = unit.batch(items, lambda _, values: Save("deal", values), skip_failures=True)
    assert [n for n, o in enumerate(outcomes) if o.error] == [17, 250]
    assert all(o.id is not None for n, o in enumerate(outcomes) if n not in (17, 250))
    ids = [o.id for o in outcomes if o.id is not None]
    assert ids == sorted(ids) and len(set(ids)) == 298
    assert len(calls) < 40  # not one insert per item of the run
    assert calls[0] == 300
    with service.unit(company.ctx) as unit:
        assert [unit.get("deal", i)["title"] for i in ids] == [
            it["title"] for n, it in enumerate(items) if n not in (17, 250)]


@pytest.mark.parametrize("width", [3, 70])  # (70 columns: 500 rows would pass SQLite's limit)
def test_many_rows_inserts_every_row_once(database: Database, width: int) -> None:
    columns = [f"c{n}" for n in range(width)]
    sizes = [0, 1, 4, 5, 49, 50, 51, 499, 500, 501, 999, 1000, 1234, 1999, 2000, 4321]
    mark = "?" if database.backend == "sqlite" else "%s"
    one = f"({', '.join(mark for _ in columns)})"
    with database.tx(write=True) as tx:
        tx.run(f"CREATE TEMP TABLE many_rows_probe (n INTEGER, {', '.join(f'{c} TEXT' for c in columns[1:])})")
        try:
            for size in sizes:
                rows = [(n, *(f"{size}.{n}.{c}" for c in columns[1:])) for n in range(size)]
                tx.many_rows(lambda k: f"INSERT INTO many_rows_probe VALUES {', '.join([one] * k)}",
                             rows)
                assert tx.rows("SELECT * FROM many_rows_probe ORDER BY n") == rows
                tx.run("DELETE FROM many_rows_probe")
        finally:
            tx.run("DROP TABLE many_rows_probe")


def test_a_run_of_many_rows_takes_ids_in_its_order(service: Service) -> None:
    company = Company(service, "Longrun")
    items = [{"title": f"L{n}", "status": "won" if n % 3 else "open"} for n in range(1234)]
    with service.unit(company.ctx, write=True) as unit:
        ids = unit.create_many("deal", items)
    assert ids == sorted(ids) and len(set(ids)) == 1234
    with service.unit(company.ctx) as unit:
        found = unit.get_many("deal", ids, ("id", "title", "status"))
    assert [(found[i]["title"], found[i]["status"]) for i in ids] == [
        (it["title"], it["status"]) for it in items]
