"""The query engine: cursors, the operator table, validation, bound parameters, and
keyset pagination agreeing with offset pagination (the last two against a database)."""

from __future__ import annotations

import base64
import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql, sqlite

from dealbase.domain.entities.deal import DEAL
from dealbase.domain.errors import ValidationError
from dealbase.domain.spec import EntitySpec, FieldSpec
from dealbase.domain.types import Kind
from dealbase.query.ast import And, Cond, Filter, Keyset, Not, Offset, Or, Query, Sort
from dealbase.query.compile import Compiled, compile_count, compile_list, full_sort
from dealbase.query.cursor import MAX_CURSOR_LENGTH, decode_cursor, encode_cursor
from dealbase.query.operators import MAX_CONDITIONS, MAX_IN_VALUES, OPERATORS, escape_like
from dealbase.service import Context
from dealbase.store.database import Database
from dealbase.store.schema import build_metadata
from tests.conftest import Direct, Tenant

DEALS = build_metadata().tables["deals"]
BACKENDS = ("sqlite", "postgresql")
DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}


FIRST_PAGE = Offset(0, 10)


def _compile(where: Filter | None, backend: str = "sqlite", sort: tuple[Sort, ...] = (),
             page: Offset | Keyset = FIRST_PAGE, spec: EntitySpec = DEAL) -> Compiled:
    return compile_list(Query(where=where, sort=sort, page=page), spec, 1, backend)


# ---- cursors ------------------------------------------------------------------------------

SORT = (Sort("title"), Sort("expected_close_date", True), Sort("id"))


@pytest.mark.parametrize("values, plain", [
    (("Acme", dt.date(2024, 2, 29), 7), ("Acme", "2024-02-29", 7)),
    (("", None, 1), ("", None, 1)),
    (('qu"ote\\ é ☃ \n', dt.datetime(2024, 1, 2, 3, 4, 5), 2**62), ('qu"ote\\ é ☃ \n',
                                                                   "2024-01-02T03:04:05", 2**62)),
    ((1.5, True, -3), (1.5, True, -3)),
])
def test_cursor_round_trip(values: tuple[Any, ...], plain: tuple[Any, ...]) -> None:
    cursor = encode_cursor(SORT, values)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_cursor(cursor, SORT) == plain


@settings(max_examples=50, deadline=None, database=None)
@given(st.lists(st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1),
                          st.floats(allow_nan=False, allow_infinity=False),
                          # (stored text never holds NUL: PostgreSQL refuses it, and so does
                          # a cursor; test_cursor_with_nul_is_refused)
                          st.text(st.characters(blacklist_characters="\x00"), max_size=20)),
                min_size=1, max_size=4),
       st.lists(st.booleans(), min_size=4, max_size=4))
def test_cursor_round_trip_property(values: list[Any], desc: list[bool]) -> None:
    sort = tuple(Sort(f"f{i}", d) for i, d in zip(range(len(values)), desc, strict=False))
    assert decode_cursor(encode_cursor(sort, tuple(values)), sort) == tuple(values)


def test_cursor_with_nul_is_refused() -> None:
    sort = (Sort("title"),)
    with pytest.raises(ValidationError):
        decode_cursor(encode_cursor(sort, ("a\x00b",)), sort)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _payload(**kw: Any) -> str:
    return _b64(orjson.dumps(kw))


GOOD_S = [["title", 0], ["expected_close_date", 1], ["id", 0]]


@pytest.mark.parametrize("cursor", [
    "", "!!!!", "not a cursor", "é", "\x00", "=" * 8, "a", "ab=c",
    _b64(b"not json"), _b64(b"\xff\xfe\x00"), _b64(b"[1,2,3]"), _b64(b"null"), _b64(b'"x"'),
    _payload(s=GOOD_S),                                   # no values
    _payload(s=GOOD_S, v="x"),                            # values not a list
    _payload(s=GOOD_S, v=["a", None]),                    # too few values
    _payload(s=GOOD_S, v=["a", None, 1, 2]),              # too many values
    _payload(s=GOOD_S, v=["a", {"$gt": ""}, 1]),          # nested object
    _payload(s=GOOD_S, v=[["a"], None, 1]),               # nested list
    _b64(b'{"s":' + orjson.dumps(GOOD_S) + b',"v":["a",null,1'),  # truncated JSON
    _b64(b'{"s":' + orjson.dumps(GOOD_S) + b',"v":["a",null,1e999]}'),  # not a finite number
])
def test_garbage_cursor_is_rejected(cursor: str) -> None:
    with pytest.raises(ValidationError):
        decode_cursor(cursor, SORT)


def test_tampered_cursor_is_rejected() -> None:
    cursor = encode_cursor(SORT, ("Acme", "2024-01-01", 5))
    tampered = [cursor[:-1], cursor[:-2], cursor[:-5], cursor[1:], cursor[3:], "A" + cursor,
                cursor[:10] + "~" * 4 + cursor[14:], cursor + "AAAA"]
    for bad in tampered:
        with pytest.raises(ValidationError):
            decode_cursor(bad, SORT)


def test_cursor_values_of_the_wrong_type_fail_at_compile() -> None:
    """A well-formed cursor carrying values the sort fields cannot take is a ValidationError."""
    sort = full_sort(DEAL, (Sort("value"), Sort("expected_close_date")))
    for values in (["cheap", None, 1], [1.0, "not-a-date", 1], [1.0, None, "x"],
                   [1.0, None, True], [1.0, None, 2**63], [True, None, 1], [1e300, None, 1]):
        cursor = _payload(s=[[s.field, int(s.descending)] for s in sort], v=values)
        after = decode_cursor(cursor, sort)
        with pytest.raises(ValidationError):
            _compile(None, sort=sort, page=Keyset(after, 10))
    # an integer too large for JSON's int64 decodes as a float, which an id cannot take
    raw = (b'{"s":[["value",0],["expected_close_date",0],["id",0]],'
           b'"v":[1,null,99999999999999999999999]}')
    after = decode_cursor(_b64(raw), sort)
    with pytest.raises(ValidationError):
        _compile(None, sort=sort, page=Keyset(after, 10))


@pytest.mark.parametrize("other", [
    (Sort("title", True), Sort("expected_close_date", True), Sort("id")),
    (Sort("title"), Sort("expected_close_date"), Sort("id")),
    (Sort("value"), Sort("expected_close_date", True), Sort("id")),
    (Sort("title"), Sort("id")),
    (Sort("title"), Sort("expected_close_date", True), Sort("id"), Sort("value")),
])
def test_cursor_for_another_sort_is_rejected(other: tuple[Sort, ...]) -> None:
    cursor = encode_cursor(SORT, ("Acme", "2024-01-01", 5))
    with pytest.raises(ValidationError):
        decode_cursor(cursor, other)


def _cursor_of_length(length: int) -> str:
    sort = (Sort("title"), Sort("id"))
    for n in range(length):
        cursor = encode_cursor(sort, ("x" * n, 1))
        if len(cursor) >= length:
            return cursor
    raise AssertionError


def test_oversized_cursor_is_rejected() -> None:
    sort = (Sort("title"), Sort("id"))
    at_limit = _cursor_of_length(MAX_CURSOR_LENGTH)
    assert len(at_limit) == MAX_CURSOR_LENGTH
    assert decode_cursor(at_limit, sort)[1] == 1
    over = _cursor_of_length(MAX_CURSOR_LENGTH + 1)
    assert len(over) > MAX_CURSOR_LENGTH
    with pytest.raises(ValidationError):
        decode_cursor(over, sort)
    with pytest.raises(ValidationError):
        decode_cursor("A" * 1_000_000, sort)


# ---- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("where, sort", [
    (Cond("no_such_field", "eq", 1), ()),
    (Cond("custom", "is_null", True), ()),          # a storage column, not a field
    (Cond("company_id", "eq", 2), ()),              # tenancy is not a filterable field
    (None, (Sort("no_such_field"),)),
    (None, (Sort("company_id"),)),
    (None, (Sort("title; DROP TABLE deals"),)),
    (Or((Cond("title", "eq", "x"), Not(Cond("nope", "eq", 1)))), ()),
])
def test_unknown_field_is_rejected(backend: str, where: Filter | None,
                                   sort: tuple[Sort, ...]) -> None:
    with pytest.raises(ValidationError):
        _compile(where, backend, sort)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("op", ["like", "EQ", "==", "", "regex", "eq; --", "between"])
def test_unknown_operator_is_rejected(backend: str, op: str) -> None:
    with pytest.raises(ValidationError, match="Unknown operator"):
        _compile(Cond("title", op, "x"), backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cond", [
    Cond("value", "contains", "1"),            # LIKE on a number
    Cond("expected_close_date", "starts_with", "2024"),
    Cond("is_deleted", "gt", False),           # ordering on a boolean
    Cond("is_deleted", "le", True),
    Cond("label_ids", "eq", [1]),              # only is_null applies to JSON
    Cond("label_ids", "in", [[1]]),
    Cond("label_ids", "contains", "1"),
    Cond("id", "ends_with", "1"),
])
def test_operator_on_wrong_kind_is_rejected(backend: str, cond: Cond) -> None:
    with pytest.raises(ValidationError, match="does not apply"):
        _compile(cond, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cond", [
    Cond("id", "in", []),
    Cond("id", "in", ()),
    Cond("id", "in", 5),
    Cond("id", "in", "1,2"),
    Cond("id", "in", None),
    Cond("id", "in", list(range(MAX_IN_VALUES + 1))),
    Cond("id", "in", [1, "2"]),
    Cond("title", "is_null", 1),
    Cond("title", "is_null", "true"),
    Cond("title", "is_null", None),
    Cond("title", "eq", None),
    Cond("title", "contains", None),
    Cond("title", "eq", 5),
    Cond("value", "gt", "5"),
    Cond("value", "gt", float("nan")),
    Cond("probability", "eq", 1.5),
    Cond("is_deleted", "eq", 0),
    Cond("expected_close_date", "eq", "tomorrow"),
    Cond("stage_id", "eq", 0),
    Cond("title", "eq", "nul\x00byte"),
])
def test_bad_value_is_rejected(backend: str, cond: Cond) -> None:
    with pytest.raises(ValidationError):
        _compile(cond, backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_condition_limit(backend: str) -> None:
    conds = [Cond("id", "ne", i) for i in range(MAX_CONDITIONS + 1)]
    _compile(And(tuple(conds[:MAX_CONDITIONS])), backend)
    with pytest.raises(ValidationError, match="Too many"):
        _compile(And(tuple(conds)), backend)
    nested = Or((And(tuple(conds[:MAX_CONDITIONS // 2])),
                 Not(Or(tuple(conds[MAX_CONDITIONS // 2:])))))
    with pytest.raises(ValidationError, match="Too many"):
        _compile(nested, backend)
    with pytest.raises(ValidationError, match="Too many"):
        compile_count(And(tuple(conds)), DEAL, 1, backend)
    _compile(Cond("id", "in", list(range(1, MAX_IN_VALUES + 1))), backend)


def test_custom_key_is_guarded() -> None:
    bad = FieldSpec("evil", Kind.TEXT, custom_key="x'); DROP TABLE deals; --")
    spec = DEAL.with_custom((bad,))
    for backend in BACKENDS:
        with pytest.raises(ValidationError):
            _compile(Cond("evil", "eq", "x"), backend, spec=spec)
        with pytest.raises(ValidationError):
            _compile(None, backend, sort=(Sort("evil"),), spec=spec)


# ---- bound parameters ---------------------------------------------------------------------

HOSTILE = "x' OR 1=1; DROP TABLE deals; -- \" ) UNION SELECT * FROM api_tokens /*"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("op", [name for name, o in OPERATORS.items() if Kind.TEXT in o.kinds])
def test_hostile_values_are_bound_parameters(backend: str, op: str) -> None:
    arity = OPERATORS[op].arity
    value: Any = [HOSTILE, "ok"] if arity == "list" else True if arity == "bool" else HOSTILE
    filtered = _compile(Cond("title", op, value), backend)
    paged = _compile(None, backend, sort=(Sort("title"),), page=Keyset((HOSTILE, 3), 10))
    for statement in (filtered, paged):
        sql = statement.sql
        assert HOSTILE not in sql and escape_like(HOSTILE) not in sql
        assert "DROP" not in sql and "UNION SELECT" not in sql and "api_tokens" not in sql

    def bound(statement: Compiled) -> list[Any]:
        """Every bound value; lists bind as one array (on SQLite, one JSON array)."""
        out: list[Any] = []
        for p in statement.params:
            if isinstance(p, str) and p.startswith("[") and " json_each(" in statement.sql:
                p = orjson.loads(p)
            out += p if isinstance(p, list) else [p]
        return out

    if arity == "list":
        assert HOSTILE in bound(filtered)
    elif arity == "scalar":
        # LIKE operators bind the escaped pattern ("api_tokens" has a '_')
        wanted = escape_like(HOSTILE) if op in ("starts_with", "ends_with", "contains") else HOSTILE
        assert any(isinstance(v, str) and wanted in v for v in bound(filtered))
    assert HOSTILE in bound(paged)


def test_escape_like() -> None:
    assert escape_like("100%") == "100\\%"
    assert escape_like("a_b") == "a\\_b"
    assert escape_like("c:\\x") == "c:\\\\x"
    assert escape_like("\\%_") == "\\\\\\%\\_"
    assert escape_like("plain") == "plain"


# ---- operators against a database --------------------------------------------------------

TODAY = dt.date(2024, 6, 15)


def _seed_operator_deals(records: Direct, ctx: Context) -> list[dict[str, Any]]:
    titles = ["Alpha", "alphabet", "Beta", "100% sure", "1000 sure", "a_b", "axb",
              "back\\slash", "backxslash", "gamma%", "gamma", "O'Brien \"quoted\""]
    for i, title in enumerate(titles):
        values: dict[str, Any] = {"title": title, "value": float((i * 37) % 5 * 100),
                                  "label_ids": [1] if i % 4 == 0 else []}
        if i % 3:
            values["probability"] = (i * 10) % 60
        if i % 4 != 2:
            values["expected_close_date"] = (TODAY + dt.timedelta(days=i - 5)).isoformat()
        records.create("deal", values)
    rows = records.list("deal", Query(page=Offset(0, 1000))).items
    records.delete("deal", [rows[-1]["id"]])
    return records.list("deal", Query(page=Offset(0, 1000))).items


def _lt(a: Any, b: Any) -> bool:
    return a is not None and a < b


OPERATOR_CASES: dict[str, list[tuple[str, Any, Callable[[Any], bool]]]] = {
    "eq": [("title", "Beta", lambda v: v == "Beta"), ("value", 200, lambda v: v == 200.0),
           ("probability", 20, lambda v: v == 20), ("is_deleted", True, lambda v: v is True),
           ("expected_close_date", TODAY, lambda v: v == TODAY)],
    "ne": [("title", "Beta", lambda v: v != "Beta"), ("probability", 20, lambda v: v != 20),
           ("is_deleted", False, lambda v: v is not False),
           ("expected_close_date", "2024-06-15", lambda v: v != TODAY)],
    "gt": [("value", 200, lambda v: v > 200),
           ("probability", 20, lambda v: v is not None and v > 20),
           ("expected_close_date", TODAY, lambda v: v is not None and v > TODAY),
           ("title", "alpha", lambda v: v > "alpha")],
    "lt": [("value", 200, lambda v: v < 200), ("probability", 20, lambda v: _lt(v, 20)),
           ("expected_close_date", TODAY, lambda v: _lt(v, TODAY))],
    "ge": [("value", 200, lambda v: v >= 200),
           ("probability", 20, lambda v: v is not None and v >= 20),
           ("expected_close_date", TODAY, lambda v: v is not None and v >= TODAY)],
    "le": [("value", 200, lambda v: v <= 200),
           ("probability", 20, lambda v: v is not None and v <= 20),
           ("title", "Beta", lambda v: v <= "Beta")],
    "starts_with": [("title", "alpha", lambda v: v.lower().startswith("alpha")),
                    ("title", "100%", lambda v: v.startswith("100%")),
                    ("title", "back\\", lambda v: v.startswith("back\\"))],
    "ends_with": [("title", "SURE", lambda v: v.lower().endswith("sure")),
                  ("title", "%", lambda v: v.endswith("%")),
                  ("title", '"quoted"', lambda v: v.endswith('"quoted"'))],
    "contains": [("title", "ph", lambda v: "ph" in v.lower()),
                 ("title", "%", lambda v: "%" in v), ("title", "_", lambda v: "_" in v),
                 ("title", "\\", lambda v: "\\" in v), ("title", "0% s", lambda v: "0% s" in v),
                 ("title", "'B", lambda v: "'b" in v.lower()),
                 ("title", "zzz", lambda v: False)],
    "in": [("title", ["Beta", "gamma", "nope"], lambda v: v in ("Beta", "gamma")),
           ("value", [0, 300], lambda v: v in (0.0, 300.0)),
           ("probability", [10, 40], lambda v: v in (10, 40)),
           ("expected_close_date", [TODAY, "2024-06-10"],
            lambda v: v in (TODAY, dt.date(2024, 6, 10)))],
    "is_null": [("probability", True, lambda v: v is None),
                ("probability", False, lambda v: v is not None),
                ("expected_close_date", True, lambda v: v is None),
                ("label_ids", False, lambda v: v is not None),
                ("label_ids", True, lambda v: v is None)],
}


def test_every_operator_has_cases() -> None:
    # (``has`` takes ids of records made by the test: test_has_matches_python)
    assert set(OPERATOR_CASES) | {"has"} == set(OPERATORS)
    for name, cases in OPERATOR_CASES.items():
        for field, _value, _pred in cases:
            assert DEAL.field(field).kind in OPERATORS[name].kinds, (name, field)


def test_operators_match_python(app: Any, tenant: Tenant) -> None:
    records, ctx = tenant.records, tenant.ctx
    rows = _seed_operator_deals(records, ctx)
    for name, cases in OPERATOR_CASES.items():
        for field, value, predicate in cases:
            cond = Cond(field, name, value)
            page = records.list("deal", Query(where=cond, page=Offset(0, 1000)))
            want = [r["id"] for r in rows if predicate(r[field])]
            assert [r["id"] for r in page.items] == want, cond
            assert records.count("deal", cond) == len(want), cond
            negated = records.list("deal", Query(where=Not(cond), page=Offset(0, 1000)))
            if name in ("ne", "is_null") or not DEAL.field(field).nullable:
                # the condition is never NULL, so NOT is its complement
                assert {r["id"] for r in negated.items} == {r["id"] for r in rows} - set(want)


def test_has_matches_python(app: Any, tenant: Tenant) -> None:
    """``has``: a list of ids holds the id; and ``field#n`` reads item n of a list."""
    records = tenant.records
    people = [records.create("person", {"name": f"P{n}", "emails": [f"p{n}@x.example",
                                                                   f"q{n}@x.example"]})
              for n in range(3)]
    ids = [p["id"] for p in people]
    lists = [[], [ids[0]], [ids[0], ids[1]], [ids[2]]]
    for n, others in enumerate(lists):
        records.create("deal", {"title": f"D{n}", "person_id": None, "participant_ids": others})
    rows = records.list("deal", Query(page=Offset(0, 100))).items
    for wanted in ids:
        cond = Cond("participant_ids", "has", wanted)
        got = [r["id"] for r in records.list("deal", Query(where=cond, page=Offset(0, 100))).items]
        assert got == [r["id"] for r in rows if wanted in (r["participant_ids"] or [])]
        negated = records.list("deal", Query(where=Not(cond), page=Offset(0, 100))).items
        assert {r["id"] for r in negated} == {r["id"] for r in rows} - set(got)
    second = Cond("emails#1", "eq", "q1@x.example")
    assert [r["id"] for r in records.list("person", Query(where=second)).items] == [ids[1]]
    assert records.list("person", Query(where=Cond("emails#0", "eq", "q1@x.example"))).items == []
    assert records.count("person", Cond("emails#2", "is_null", True)) == 3
    for bad in (Cond("participant_ids", "has", "1"), Cond("participant_ids", "has", True),
                Cond("title", "has", 1), Cond("emails#x", "eq", "a"), Cond("title#0", "eq", "a"),
                Cond("participant_ids#0", "eq", "a"), Cond("emails#100", "eq", "a")):
        with pytest.raises(ValidationError):
            records.list("person" if bad.field.startswith("emails") else "deal",
                         Query(where=bad))


def test_like_wildcards_match_literally(app: Any, tenant: Tenant) -> None:
    records, ctx = tenant.records, tenant.ctx
    _seed_operator_deals(records, ctx)

    def titles(op: str, value: str) -> set[str]:
        items = records.list("deal", Query(where=Cond("title", op, value))).items
        return {r["title"] for r in items}

    assert titles("contains", "%") == {"100% sure", "gamma%"}
    assert titles("contains", "0%") == {"100% sure"}
    assert titles("starts_with", "100%") == {"100% sure"}
    assert titles("ends_with", "%") == {"gamma%"}
    assert titles("contains", "_") == {"a_b"}
    assert titles("contains", "a_b") == {"a_b"}
    assert titles("contains", "\\") == {"back\\slash"}
    assert titles("contains", "k\\s") == {"back\\slash"}
    assert titles("contains", "%%") == set()
    assert titles("contains", "__") == set()
    assert titles("starts_with", "ALPHA") == {"Alpha", "alphabet"}  # case-insensitive


def test_hostile_value_round_trips_through_the_database(app: Any, tenant: Tenant,
                                                        database: Database) -> None:
    records = tenant.records
    deal = records.create("deal", {"title": HOSTILE})
    for op in ("eq", "contains", "starts_with", "ends_with"):
        found = records.list("deal", Query(where=Cond("title", op, HOSTILE))).items
        assert [r["id"] for r in found] == [deal["id"]]
    assert {"deals", "api_tokens"} <= set(inspect(database.engine).get_table_names())


# ---- keyset pagination equals offset pagination ------------------------------------------

SORT_FIELDS = ("value", "title", "expected_close_date", "probability", "id")


def _seed_paging_deals(records: Direct, ctx: Context) -> None:
    rng = random.Random(20240615)
    for _ in range(40):
        values: dict[str, Any] = {
            "title": rng.choice(["alpha", "bravo", "charlie", "delta", "alpha"]),
            "value": rng.choice([0.0, 100.0, 100.0, 250.5, 1000.0]),
        }
        if rng.random() < 0.6:
            values["expected_close_date"] = f"2024-0{rng.randint(1, 3)}-1{rng.randint(0, 2)}"
        if rng.random() < 0.5:
            values["probability"] = rng.choice([0, 50, 50, 100])
        records.create("deal", values)


def _python_order(rows: list[dict[str, Any]], sort: tuple[Sort, ...]) -> list[int]:
    """Ascending puts NULLs first and descending puts them last; ``sort`` ends with id."""
    ordered = list(rows)
    for s in reversed(sort):
        present = sorted((r for r in ordered if r[s.field] is not None),
                         key=lambda r, f=s.field: r[f], reverse=s.descending)  # type: ignore[misc]
        nulls = [r for r in ordered if r[s.field] is None]
        ordered = present + nulls if s.descending else nulls + present
    return [r["id"] for r in ordered]


@pytest.fixture
def paging(app: Any, tenant: Tenant) -> tuple[Direct, Context]:
    records = tenant.records
    _seed_paging_deals(records, tenant.ctx)
    return records, tenant.ctx


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.lists(st.tuples(st.sampled_from(SORT_FIELDS), st.booleans()),
                       unique_by=lambda t: t[0], max_size=4),
       limit=st.integers(1, 13))
def test_keyset_pages_equal_offset_pages(paging: tuple[Direct, Context],
                                         fields: list[tuple[str, bool]], limit: int) -> None:
    records, ctx = paging
    sort = tuple(Sort(f, d) for f, d in fields)
    everything = records.list("deal", Query(sort=sort, page=Offset(0, 1000)))
    assert not everything.more and len(everything.items) == 40
    expected = [r["id"] for r in everything.items]
    assert expected == _python_order(everything.items, everything.sort)

    by_key: list[int] = []
    after = None
    while True:
        page = records.list("deal", Query(sort=sort, page=Keyset(after, limit)))
        assert page.sort == everything.sort
        by_key += [r["id"] for r in page.items]
        after = page.last_key()
        if after is None:
            break
        assert len(by_key) <= 40
    assert by_key == expected

    by_cursor: list[int] = []
    cursor = None
    while True:
        after = decode_cursor(cursor, everything.sort) if cursor else None
        page = records.list("deal", Query(sort=sort, page=Keyset(after, limit)))
        by_cursor += [r["id"] for r in page.items]
        last = page.last_key()
        if last is None:
            break
        cursor = encode_cursor(page.sort, last)
        assert len(by_cursor) <= 40
    assert by_cursor == expected

    by_offset: list[int] = []
    start = 0
    while True:
        page = records.list("deal", Query(sort=sort, page=Offset(start, limit)))
        by_offset += [r["id"] for r in page.items]
        start += limit
        if not page.more:
            break
    assert by_offset == expected


def test_keyset_respects_filters(paging: tuple[Direct, Context]) -> None:
    records, ctx = paging
    where = Or((Cond("probability", "is_null", True), Cond("value", "ge", 250)))
    sort = (Sort("expected_close_date", True), Sort("probability"))
    everything = records.list("deal", Query(where=where, sort=sort, page=Offset(0, 1000)))
    seen: list[int] = []
    after = None
    while True:
        page = records.list("deal", Query(where=where, sort=sort, page=Keyset(after, 4)))
        seen += [r["id"] for r in page.items]
        if (after := page.last_key()) is None:
            break
    assert seen == [r["id"] for r in everything.items]
    assert 0 < len(seen) < 40


def test_full_sort_appends_id_once() -> None:
    assert full_sort(DEAL, ()) == (Sort("id"),)
    # the tie-breaker runs the way the last key does, so one index serves the whole order
    assert full_sort(DEAL, (Sort("value", True),)) == (Sort("value", True), Sort("id", True))
    assert full_sort(DEAL, (Sort("value", True), Sort("title"))) == (
        Sort("value", True), Sort("title"), Sort("id"))
    assert full_sort(DEAL, (Sort("id", True), Sort("value"))) == (Sort("id", True),)
    with pytest.raises(ValidationError):
        full_sort(DEAL, (Sort("nope"),))
