"""The Pipeliner ``filter`` against the real server and database, as properties.

Any filter string either selects exactly what an equivalent query built directly on the
engine selects (same IDs, same Content-Range total), or answers a 4xx; never a 500, and
user text never reaches SQL. The oracle below translates the generated filter into
``dealbase.query.ast`` by itself, from the README's grammar, without the dialect's code.
One company with a fixed set of Accounts is built once per backend for the module.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dealbase.api.app import service_of
from dealbase.domain.errors import ValidationError
from dealbase.query.ast import And, Cond, Filter, Not, Offset, Or, Query
from dealbase.service import Context
from tests.conftest import Direct, Pipedrive, SyncClient, Tenant
from tests.pipeliner.conftest import Pipeliner, pipeliner_for

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
OPS = ("eq", "ne", "gt", "lt", "ge", "le", "ll", "rl", "fl", "in")
LIKE = {"ll": "starts_with", "rl": "ends_with", "fl": "contains"}
CONTENT_RANGE = re.compile(r"items (\d+)-(-?\d+)/(\d+)")
MARKER = "zq7mark"  # in every SQL-looking payload; must never appear in a statement

NAMES = [
    "Acme", "acme", "ACME GmbH", "Acme|Corp", "a:b", "a::b", "x\\y", "trailing\\", "\\", "|", ":",
    "::", "a\\|b", "100%", "%", "under_score", "_", "O'Brien", 'say "hi"', " padded ", " ", "Müller AG",
    "müller ag", "Ärzte", "東京商事", "emoji 🚀 Ltd", "Zeta", "zeta", "alpha beta", "Alpha Beta", "1", "10",
    "2", "null", "None", "semi;colon", f"'; DROP TABLE deals; -- {MARKER}", "tab\there", "Ω", "a%b_c",
]
CITIES = ["Graz", "graz", "Wien", None, "", " ", "São Paulo", "New York", "a|b", "c:d", None, "GRAZ",
          "Zürich", "zürich", "x\\", None, "100%", "_"]
SCORES: list[float | str | None] = [None, 0, -1.5, 1.5, "2", 10, 100.25, 1e6, 2, None, 0.1, -0.0, 7]
DELETED = (17, 27, 30, 38)  # positions of the accounts deleted after creation


class Dataset:
    """The module's company: its clients, its refreshed Context and the Score field's key."""

    def __init__(self, app: Any, tenant: Tenant, pl: Pipeliner, ctx: Context, key: str,
                 uids: list[str]) -> None:
        self.app, self.tenant, self.pl, self.ctx, self.key, self.uids = app, tenant, pl, ctx, key, uids
        self.statements: list[str] = []  # SQL sent to the database (see the fixture)

    def __repr__(self) -> str:
        return f"Dataset(company={self.ctx.company_id}, key={self.key})"

    def kinds(self) -> dict[str, tuple[str, str]]:
        """Pipeliner key -> (canonical field, kind) — the oracle's own table."""
        return {"ORGANIZATION": ("name", "text"), "CITY": ("address_locality", "text"),
                "ID": ("uid", "text"), "IS_DELETED": ("is_deleted", "bool"),
                "SCORE": (self.key, "number")}

    def snapshot(self) -> list[tuple[Any, ...]]:
        page = self.tenant.records.list("organization", Query(page=Offset(0, 1000)))
        return [(r["id"], r["uid"], r["name"], r["address_locality"], r.get(self.key), r["is_deleted"],
                 r["updated_at"]) for r in page.items]


@pytest.fixture(scope="module")
def data(app: Any, http: SyncClient) -> Iterator[Dataset]:
    service = service_of(app)
    company = service.create_company("Grammar", "admin@grammar.example", "Admin")
    tenant = Tenant(company, Pipedrive(http, company.api_token),
                    Direct(service, company.company_id, company.user_id))
    pl = pipeliner_for(http, tenant)
    key = tenant.api.post("/v1/organizationFields",
                          json={"name": "Score", "field_type": "double"}).json()["data"]["key"]
    accounts = [{"ORGANIZATION": name, "CITY": CITIES[i % len(CITIES)], key: SCORES[i % len(SCORES)]}
                for i, name in enumerate(NAMES)]
    created = pl.post("/setEntities?entityName=Account", json=accounts)
    assert created.status_code == 200, created.text
    uids = created.json()
    assert len(uids) == len(NAMES)
    gone = pl.post("/deleteEntities?entityName=Account", json=[uids[i] for i in DELETED])
    assert gone.status_code == 200, gone.text
    dataset = Dataset(app, tenant, pl, tenant.ctx, key, uids)

    def record(statement: str, params: Any, many: bool) -> None:
        dataset.statements.append(statement)

    with service.database.observed(record):
        yield dataset


# ---- the filter AST, its rendering and the oracle -----------------------------------------

@dataclass(frozen=True)
class Term:
    field: str  # a Pipeliner key; "SCORE" stands for the custom field's key
    op: str
    values: tuple[str, ...]  # one value, or the items of ``in``
    implicit: bool = False  # write ``F::v`` instead of ``F::v::eq``
    op_case: str = "lower"


def esc(text: str) -> str:
    return re.sub(r"([|:\\])", r"\\\1", text)


def render(terms: list[Term], key: str) -> str:
    phrases = []
    for t in terms:
        name = key if t.field == "SCORE" else t.field
        value = ":".join(esc(v) for v in t.values)
        op = t.op.upper() if t.op_case == "upper" else t.op
        phrases.append(f"{name}::{value}" if t.implicit and t.op == "eq" else f"{name}::{value}::{op}")
    return "|".join(phrases)


def encode(text: str, mode: str) -> str:
    if mode == "raw":  # only what would break the query string itself is encoded
        return quote(text, safe=":|\\'\"!$()*,;=@/?~[]{}^`<> ")
    if mode == "plus":
        return quote_plus(text)
    return quote(text, safe="")


class Invalid(Exception):
    """The oracle's verdict: this filter must be refused with a 4xx."""


def oracle_value(kind: str, text: str) -> Any:
    if kind == "text":
        if "\x00" in text:
            raise Invalid
        return text
    if kind == "number":
        try:
            number = float(text.strip())
        except ValueError:
            raise Invalid from None
        if not math.isfinite(number):
            raise Invalid
        return number
    lowered = text.strip().lower()
    if lowered in ("1", "true", "0", "false"):
        return lowered in ("1", "true")
    raise Invalid


def oracle_cond(term: Term, kinds: dict[str, tuple[str, str]]) -> Filter:
    if term.field not in kinds:
        raise Invalid
    name, kind = kinds[term.field]
    if term.op == "in":
        return Cond(name, "in", [oracle_value(kind, v) for v in term.values])
    (value,) = term.values
    if value == "" and term.op in ("eq", "ne"):
        empty: Filter = Cond(name, "is_null", True)
        if kind == "text":
            empty = Or((empty, Cond(name, "eq", "")))
        return empty if term.op == "eq" else Not(empty)
    if term.op in LIKE:
        if kind != "text":
            raise Invalid
        return Cond(name, LIKE[term.op], oracle_value(kind, value))
    if kind == "bool" and term.op not in ("eq", "ne"):
        raise Invalid
    return Cond(name, term.op, oracle_value(kind, value))


def oracle(data: Dataset, terms: list[Term]) -> tuple[set[str], int] | None:
    """(uids, total) the engine selects for the same filter, or None: it must be refused."""
    kinds = data.kinds()
    try:
        conds = [oracle_cond(t, kinds) for t in terms]
    except Invalid:
        return None
    if not any(t.field in ("IS_DELETED", "ID") for t in terms):
        conds.append(Cond("is_deleted", "eq", False))
    query = Query(where=And(tuple(conds)), page=Offset(0, 1000))
    try:
        page = data.tenant.records.list("organization", query, total=True)
    except ValidationError:
        return None
    assert page.total is not None
    return {r["uid"] for r in page.items}, page.total


# ---- strategies -----------------------------------------------------------------------------

SPECIAL = "|:\\%_'\" \x00aAzZ1äÄ"
RANDOM_TEXT = st.one_of(st.text(alphabet=st.sampled_from(SPECIAL), max_size=5),
                        st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=6))


@st.composite
def piece(draw: st.DrawFn, pool: list[str]) -> str:
    """A dataset value, or a slice of one, in a random case."""
    text = draw(st.sampled_from(pool))
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, len(text)))
    text = draw(st.sampled_from([text, text, text[start:end], text[:end], text[start:]]))
    return draw(st.sampled_from([text, text, text.upper(), text.lower(), text.swapcase()]))


def value_strategy(field_name: str, uids: list[str]) -> st.SearchStrategy[str]:
    """Mostly values (or slices of values) of the dataset, sometimes anything."""
    if field_name == "ORGANIZATION":
        return st.one_of(piece(NAMES), piece(NAMES), RANDOM_TEXT)
    if field_name == "CITY":
        return st.one_of(piece([c for c in CITIES if c is not None]), RANDOM_TEXT)
    if field_name == "ID":
        return st.one_of(st.sampled_from(uids), st.sampled_from(uids).map(str.lower), RANDOM_TEXT)
    if field_name == "IS_DELETED":
        return st.one_of(st.sampled_from(["0", "1", "true", "False", " 1 "]),
                         st.sampled_from(["", "2", "yes"]))
    if field_name == "SCORE":
        known = [str(s) for s in SCORES if s is not None]
        return st.one_of(
            st.sampled_from(known), st.sampled_from(known), st.integers(-5, 200).map(str),
            st.floats(-2e6, 2e6, allow_nan=False).map(repr),
            st.sampled_from(["", "abc", "1e400", "nan", "inf", "1,5", "0x10", "1e16", " 2 ", "1_0"]))
    return RANDOM_TEXT


def op_strategy(field_name: str) -> st.SearchStrategy[str]:
    if field_name in ("ORGANIZATION", "CITY", "ID"):
        return st.sampled_from(OPS)
    valid = ("eq", "ne", "in") if field_name == "IS_DELETED" else ("eq", "ne", "gt", "lt", "ge", "le", "in")
    return st.one_of(st.sampled_from(valid), st.sampled_from(valid), st.sampled_from(valid),
                     st.sampled_from(OPS))


FIELDS = ["ORGANIZATION", "CITY", "SCORE", "ID", "IS_DELETED", "NOPE"]


@st.composite
def term(draw: st.DrawFn, uids: list[str]) -> Term:
    name = draw(st.one_of(st.sampled_from(FIELDS[:3]), st.sampled_from(FIELDS[:3]), st.sampled_from(FIELDS)))
    op = draw(op_strategy(name))
    values = value_strategy(name, uids)
    op_case = draw(st.sampled_from(["lower", "lower", "upper"]))
    if op == "in":
        # an empty item can only be written alone: '::' always separates parts
        items = draw(st.one_of(st.lists(values.map(lambda v: v or "x"), min_size=1, max_size=4),
                               st.just([""])))
        return Term(name, op, tuple(items), op_case=op_case)
    return Term(name, op, (draw(values),), implicit=draw(st.booleans()), op_case=op_case)


def terms_strategy(uids: list[str]) -> st.SearchStrategy[list[Term]]:
    return st.lists(term(uids), min_size=1, max_size=4)


# ---- helpers ---------------------------------------------------------------------------------

def refusal(response: Any) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"errorcode", "message"}, body
    assert isinstance(body["errorcode"], int) and isinstance(body["message"], str)
    return body


def fetch(data: Dataset, query: str, page_size: int | None) -> tuple[Any, set[str], int]:
    """GET /Accounts with a ready-encoded filter: all pages, checking each Content-Range."""
    ids: list[str] = []
    offset = 0
    while True:
        limit = -1 if page_size is None else page_size
        response = data.pl.get(f"/Accounts?limit={limit}&offset={offset}&filter={query}")
        if response.status_code != 200:
            return response, set(), 0
        items = response.json()
        match = CONTENT_RANGE.fullmatch(response.headers["Content-Range"])
        assert match is not None, response.headers["Content-Range"]
        start, end, total = (int(g) for g in match.groups())
        assert (start, end) == (offset, offset + len(items) - 1)
        ids += [i["ID"] for i in items]
        offset += len(items)
        if page_size is None or not items or offset >= total:
            assert len(ids) == len(set(ids)) and offset == total
            return response, set(ids), total


# ---- properties ------------------------------------------------------------------------------

@SETTINGS
@given(st.data())
def test_filter_selects_what_the_engine_selects(data: Dataset, draw: st.DataObject) -> None:
    terms = draw.draw(terms_strategy(data.uids), label="terms")
    mode = draw.draw(st.sampled_from(["raw", "encoded", "plus"]), label="encoding")
    page_size = draw.draw(st.sampled_from([None, None, None, 7]), label="page size")
    text = render(terms, data.key)
    expected = oracle(data, terms)
    response, got, total = fetch(data, encode(text, mode), page_size)
    event("refused" if expected is None else "none" if not expected[1] else "some rows")
    if expected is None:
        refusal(response)
        assert response.status_code == 400
        return
    assert response.status_code == 200, (text, response.text)
    assert (got, total) == expected, text


SQL = [f"'; DROP TABLE organizations; -- {MARKER}", f"\" OR 1=1 -- {MARKER}",
       f"') UNION SELECT * FROM companies -- {MARKER}", f"%' OR name LIKE '%{MARKER}",
       f"1; DELETE FROM organizations; {MARKER}", f"\\'; {MARKER}; --", f"{MARKER}::", f"$1 {MARKER}"]
KEYS = ["ORGANIZATION", "CITY", "ID", "IS_DELETED", "SCORE", "MODIFIED", "CREATED", "OWNER_ID",
        "organization", "NOPE", ""]
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60)
FRAGMENT = st.one_of(st.sampled_from(SQL), ANY_TEXT, st.text(alphabet=st.sampled_from(SPECIAL), max_size=8))


@st.composite
def hostile_phrase(draw: st.DrawFn) -> str:
    parts = [draw(st.sampled_from(KEYS)), draw(FRAGMENT)]
    if draw(st.booleans()):
        parts.append(draw(st.one_of(st.sampled_from(OPS), FRAGMENT)))
    return "::".join(parts)


HOSTILE = st.one_of(ANY_TEXT, st.sampled_from(SQL),
                    st.lists(hostile_phrase(), min_size=1, max_size=4).map("|".join))


@SETTINGS
@given(HOSTILE, st.sampled_from(["params", "raw", "encoded"]))
def test_any_text_is_answered_without_a_500_or_a_change(data: Dataset, text: str, mode: str) -> None:
    text = text.replace("SCORE", data.key)
    before = data.snapshot()
    data.statements.clear()
    if mode == "params":
        response = data.pl.get("/Accounts", params={"filter": text, "limit": "-1"})
    else:
        response = data.pl.get(f"/Accounts?limit=-1&filter={encode(text, mode)}")
    statements = list(data.statements)
    assert response.status_code < 500, (text, response.text)
    if response.status_code == 200:
        assert statements, "the list ran no SQL that this test could see"
        assert isinstance(response.json(), list)
        assert CONTENT_RANGE.fullmatch(response.headers["Content-Range"])
    else:
        refusal(response)
    assert not any(MARKER in s for s in statements), "user text reached SQL"
    assert data.snapshot() == before


# ---- examples --------------------------------------------------------------------------------

def names(data: Dataset, text: str, **params: str) -> list[str]:
    response = data.pl.get("/Accounts", params={"filter": text, "limit": "-1", **params})
    assert response.status_code == 200, response.text
    return sorted(i["ORGANIZATION"] for i in response.json())


def test_escaped_separators_match_literally(data: Dataset) -> None:
    assert names(data, r"ORGANIZATION::Acme\|Corp") == ["Acme|Corp"]
    assert names(data, r"ORGANIZATION::a\:\:b") == ["a::b"]
    assert names(data, r"ORGANIZATION::a\\\|b") == ["a\\|b"]
    assert names(data, r"ORGANIZATION::\\") == ["\\"]
    assert names(data, r"ORGANIZATION::\:|CITY::::eq") == [":"]
    assert names(data, r"ORGANIZATION::a\:b:\::\:\::\|::in") == [":", "::", "a:b", "|"]
    assert names(data, "ORGANIZATION::a:b") == ["a:b"]  # a lone ':' is text
    raw = data.pl.get("/Accounts?limit=-1&filter=ORGANIZATION::Acme\\|Corp|CITY::::eq").json()
    encoded = data.pl.get("/Accounts?limit=-1&filter=ORGANIZATION%3A%3AAcme%5C%7CCorp%7CCITY%3A%3A%3A%3Aeq")
    assert raw == encoded.json() and [i["ORGANIZATION"] for i in raw] == ["Acme|Corp"]


def test_like_wildcards_are_text(data: Dataset) -> None:
    assert names(data, "ORGANIZATION::%::fl") == ["%", "100%", "a%b_c"]
    assert names(data, "ORGANIZATION::_::ll") == ["_"]
    assert names(data, "ORGANIZATION::%::eq") == ["%"]


def test_like_ignores_case_and_eq_does_not(data: Dataset) -> None:
    assert names(data, "ORGANIZATION::acme::ll") == ["ACME GmbH", "Acme", "Acme|Corp", "acme"]
    assert names(data, "ORGANIZATION::GMBH::rl") == ["ACME GmbH"]
    assert names(data, "ORGANIZATION::acme") == ["acme"]


def test_like_ignores_case_beyond_ascii(data: Dataset) -> None:
    """README: "ll, rl, fl ignore case" — for every letter, on every backend."""
    assert names(data, "ORGANIZATION::ärzte::fl") == ["Ärzte"]
    assert names(data, "ORGANIZATION::MÜLLER::ll") == ["Müller AG", "müller ag"]
    assert names(data, "ORGANIZATION::ärzte") == []  # eq stays exact
    in_zurich = sorted(n for i, n in enumerate(NAMES)
                       if CITIES[i % len(CITIES)] in ("Zürich", "zürich") and i not in DELETED)
    assert in_zurich and names(data, "CITY::ZÜRICH::ll") == in_zurich


def test_deleted_rows_only_when_the_filter_names_is_deleted(data: Dataset) -> None:
    deleted = sorted(NAMES[i] for i in DELETED)
    assert names(data, "IS_DELETED::1") == deleted
    assert not set(deleted) & set(names(data, "ORGANIZATION::::ne"))
    assert names(data, f"ID::{data.uids[DELETED[0]]}") == [NAMES[DELETED[0]]]


@pytest.mark.parametrize("text", [
    "ORGANIZATION::\x00::fl",  # NUL: refused as for eq, but with the filter's code
    "IS_DELETED::1::gt",  # an ordering operator on a boolean
    "SCORE::1e16::lt",  # beyond the engine's number range
    "SCORE::abc",
    "IS_DELETED::1::ll",
    "NOPE::x",
    "ORGANIZATION::x::like",
    pytest.param("ORGANIZATION::" + ":".join(str(i) for i in range(501)) + "::in",
                 id="ORGANIZATION::0:1:...:500::in"),  # more items than the engine takes
])
def test_a_bad_phrase_answers_400_with_code_411(data: Dataset, text: str) -> None:
    response = data.pl.get("/Accounts", params={"filter": text.replace("SCORE", data.key)})
    body = refusal(response)
    assert response.status_code == 400
    assert body["errorcode"] == 411, body
    # and the message speaks Pipeliner keys, not canonical field names
    assert not re.search(r"\b(name|is_deleted|address_locality)\b", body["message"]), body


def test_an_unknown_relation_id_matches_nothing(pl: Pipeliner) -> None:
    """A well-formed ID that names no stage/pipeline/account selects no rows; it is not an error."""
    stage = pl.get("/Stages").json()[0]
    opp = pl.create("Opportunities", {"OPPORTUNITY_NAME": "Widget", "STAGE": stage["ID"]})
    nobody = "PY-7FFFFFFF-00000000-0000-4000-8000-000000000000"
    assert [o["ID"] for o in pl.get("/Opportunities", params={"filter": f"STAGE::{stage['ID']}"}).json()] == [
        opp["ID"]]
    for text in (f"STAGE::{nobody}", f"STAGE::{nobody}::in", f"PIPELINE_ID::{nobody}", "STAGE::x",
                 f"STAGE::{nobody}:{stage['ID']}::in"):
        response = pl.get("/Opportunities", params={"filter": text})
        assert response.status_code == 200, (text, response.text)
        expected = [opp["ID"]] if text.endswith("::in") and stage["ID"] in text else []
        assert [o["ID"] for o in response.json()] == expected, text
    assert [o["ID"] for o in pl.get("/Opportunities", params={"filter": f"STAGE::{nobody}::ne"}).json()] == [
        opp["ID"]]
