"""Hostile Pipeliner REST v1 requests as hypothesis strategies (not a test module).

A ``Hostile`` is one request below a space root: method, path, a byte-exact query string,
a body and headers. What the strategies aim at (``Targets``: the ids, keys and Data rows of
the company under test, A, and of a second company, B) is read through the dialect by the
test module, so every collection's keys come from ``GET /getFields/{Collection}``.

The hostile material: malformed JSON, bodies of the wrong JSON type, unknown keys, values
of the wrong type for every known key, ids that are not strings or belong to B, non-ASCII
digits, NUL characters, lone surrogates, very long strings, dates pushed past year 1 or
9999 by their time-zone offset, filter strings full of escapes, ``::`` runs, unknown
operators and huge ``in`` lists, odd Content-Types, bodies around the size cap (some sent
without a Content-Length), and relation arrays with junk items.

Most draws are weighted (``weighted``) so that the bulk of the requests is well-formed
around one hostile part and reaches deep into the server; the first choice of each is
the plainest, which is where hypothesis shrinks to.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

from hypothesis import strategies as st

from tests.pipeliner.support import COLLECTIONS, ENTITIES, INT_ID_COLLECTIONS, NEVER_ID

T = TypeVar("T")

OPERATORS = ("eq", "ne", "gt", "lt", "ge", "le", "ll", "rl", "fl", "in")
FLAG_BITS = (1, 2, 4, 8, 256, 512, 1 << 24)
IGNORING = 1 | 4 | 8  # flags under which a batch goes on past failing items
INFO = ("", "/entityPublic", "/errorCodes", "/serverAPIUtcDateTime", "/teamPipelineUrl",
        "/teamPipelineVersion")
DESCRIPTOR_KEYS = ("API_NAME", "CALC_FORMULA", "CHOICES", "CUSTOM", "DEFAULT", "DESCRIPTION",
                   "ID", "MAX_VALUE", "MIN_VALUE", "NAME", "PL_TYPE", "READONLY", "REQUIRED",
                   "TYPE")

NON_ASCII_DIGITS = ("①", "¹", "٣", "²³", "١٢٣", "１２", "߃", "⑽", "𝟗", "-①", "-¹", "٣①")
EDGE_DATES = (
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
    "0001-01-01 00:00:00+14:00", "9999-12-31 23:59:59-14:00",
    "0001-01-01T00:00:59+00:01", "9999-12-31T23:59:59.999999-00:00:01",
    "0001-01-01", "9999-12-31", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
)
BAD_DATES = (
    "0000-01-01", "10000-01-01", "2030-02-30", "2030-13-01", "2030-01-01T24:00:00",
    "2030-01-01T23:59:60", "2030-01-01T00:00:00+25:00", "2030-01-01T00:00:00 +01:00",
    "20300101", "2030-W01-1", "2030-001", "2030-01-01T00", "2030-1-1", " 2030-01-01 ",
    "2030-01-01\x00", "٢٠٣٠-٠١-٠١", "2030-01-01T00:00:00+01:00[Europe/Oslo]", "now", "",
    "2030-01-01 10:00:00", "10:00", "25:00",
)
LONG = ("x" * 256, "y" * 65_536, "é" * 300, "💥" * 200, "a\x00" * 200)
STRINGS = (
    "", " ", "\x00", "a\x00b", "\ud800", "\udfff", "x\udc80y", "\u202e", "\ufeff", "💥", "\n",
    "null", "true", "false", "NaN", "Infinity", "-1", "0", "1", "1e3", "0x10", " 5 ", "5.0",
    "' OR '1'='1", "%", "_", "\\", "::", "|", ":", "a::b::c", "PY-", "{}", "[]", "\t",
    *NON_ASCII_DIGITS, *EDGE_DATES[:4], LONG[0],
)
INTS = (0, 1, -1, 2, 100, 101, 2**31, -(2**31) - 1, 2**53 + 1, 2**63 - 1, 2**63, -(2**63),
        -(2**63) - 1, 2**64, 10**30)
FLOATS = (0.5, -0.0, 1.5, 99.9, 1e15, 1e16, 1e308, -1e308, 5e-324, float("nan"), float("inf"),
          float("-inf"))
SHAPES: tuple[Any, ...] = ([], [1], [None], [{}], {}, {"ID": NEVER_ID}, [[[]]], {"": None},
                           {"VALUE": "x"}, [NEVER_ID], {"a": {"b": {"c": [1, "x"]}}})
UNKNOWN_KEYS = ("NOPE", "organization", "Id", "id", "", " ", "ID ", " ID", "\x00", "X" * 300,
                "ORGANIZATION\x00", "__proto__", "constructor", "💥", "\ud800", "ID\x00",
                "SORT_ORDER ", "OWNER_ID.ID", "EMAIL6", "PHONE0", "STAGE_ID", "a" * 40,
                "0" * 40)
IGNORED_KEYS = ("CREATED", "MODIFIED", "IS_DELETED", "QUICK_ACCOUNT_NAME", "QUICK_EMAIL")
GOOD_INTS = ("-1", "0", "1", "2", "25", "500", "501", "100000")
BAD_INTS = ("-2", "--5", "-0", "+5", " 5", "5 ", "5.0", "1e3", "0x10", "", "x", "9" * 12,
            "9" * 13, "\x00", "5\x00", *NON_ASCII_DIGITS)
QUERY_NAMES = ("limit", "offset", "sort", "filter", "after", "loadonly")
JUNK_QUERY_NAMES = ("LIMIT", "limit[]", "", "filter\x00", "revision", "validation_level",
                    "entityName", "flag", "💥", "a" * 300)
RAW_FILTERS = (
    "|", "||", "::", "::::", ":::::::", "\\", "\\\\", "\\|", "\\::", "A::B::C::D", "::x", "x::",
    "ID::", "ID::::", "ID::\\", "ID::x\\", "ID::x::", "ID::" + "::" * 100, "ID::x|",
    " | ", "|ID::x", "ID::x||ID::y", "|".join(["ID::x"] * 33), "ID::" + "a" * 8200,
    "IS_DELETED::0:1::in|" * 3, "ID::\x00", "ID\\::x", "ID::x::eq::eq", "ID::a\\:b::in",
    "ID::" + ":" * 600 + "::in", "ID::" + "\\" * 99, "💥::💥", "\ud800::x",
)
BAD_OPS = ("EQ", "Fl", " in ", "like", "regex", "", "eq ", "nin", "\x00", "💥", "eq::eq")
CONTENT_TYPES = (
    "application/json", "application/json; charset=utf-8", "text/plain",
    "application/x-www-form-urlencoded", "multipart/form-data; boundary=zzz",
    "application/xml", "", "application/json; charset=utf-16", "*/*",
    "application/vnd.api+json", "text/html; charset=iso-8859-1", "application/octet-stream",
)
MALFORMED = (
    b"{", b"}", b"{'ORGANIZATION': 'x'}", b'{"ORGANIZATION": "x"} trailing', b"\xff\xfe{}",
    b'{"ORGANIZATION": NaN}', b'{"A": Infinity}', b"[1,", b'{"A": "\\ud800"}',
    b'{"A": "\xed\xa0\x80"}', b"\x00", b"[" * 3000 + b"]" * 3000, b'{"A": 1,}', b"[1,]",
    b"\xef\xbb\xbf{}", '{"A": 1}'.encode("utf-16"), b"ORGANIZATION=x&CITY=y",
    b"--zzz\r\nContent-Disposition: form-data; name=\"A\"\r\n\r\nx\r\n--zzz--\r\n",
    b"<xml/>", b'{"A": 1e99999}', b'{"A": 123456789012345678901234567890}', b'{"A": 01}',
    b'{"A": .5}', b'{"A": -}', b'{"A": "\x01"}', b'{"A": "\\x41"}', b'"unterminated',
    b"nul\x00l", b'{"A":1}\x00', b"  \n\t ",
)
WRONG_SHAPES = (b"[]", b"[{}]", b'"x"', b"5", b"-1.5", b"true", b"null", b"[null]",
                b'[{"ORGANIZATION": "x"}]', b"[[]]", b'"' + b"x" * 5000 + b'"', b"1e400")


def weighted(*choices: tuple[int, st.SearchStrategy[T]]) -> st.SearchStrategy[T]:
    """One of the strategies, each with its weight; shrinks towards the first."""
    total = sum(w for w, _ in choices)

    def pick(roll: int) -> st.SearchStrategy[T]:
        for weight, strategy in choices:
            if roll < weight:
                return strategy
            roll -= weight
        raise AssertionError(roll)

    return st.integers(0, total - 1).flatmap(pick)


def pct(text: str, safe: str = "") -> str:
    """Percent-encoding of any text, lone surrogates included (as their UTF-8 bytes)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe=safe)


def dumps(value: Any, ascii_only: bool = True) -> bytes:
    """JSON as a client would send it; NaN and lone surrogates make it invalid on purpose."""
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True).encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class Key:
    """One key of a collection, as ``getFields`` describes it."""

    name: str
    pl_type: str
    readonly: bool


@dataclass(frozen=True)
class Targets:
    """What the strategies aim at (A: the company under test; B: another company)."""

    mine: Mapping[str, Any]  # collection -> A's live entity id
    theirs: Mapping[str, Any]  # collection -> B's entity id
    deleted: str  # A's soft-deleted Account
    data: tuple[str, ...]  # A's Data ids
    their_data: str
    field_ids: tuple[str, ...]  # ID_FIELD of A's dropdown fields
    field_keys: tuple[str, ...]  # keys of A's custom fields
    plain_field_id: str  # the getFields ID of A's non-dropdown custom field
    their_field_id: str
    their_field_key: str
    keys: Mapping[str, tuple[Key, ...]]  # collection (and Data) -> its getFields keys
    pipeline: str
    stage: str
    cap: int  # the body size limit in bytes

    @property
    def their_values(self) -> tuple[str, ...]:
        """Texts that only B's space holds (B's ids and Data), to spot requests that name B."""
        return (*(str(v) for c, v in self.theirs.items() if c not in INT_ID_COLLECTIONS),
                self.their_data, self.their_field_id, self.their_field_key)


async def _chunks(raw: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(raw), 65_536):
        yield raw[start:start + 65_536]


@dataclass(frozen=True)
class Hostile:
    """One request below the space root; ``repr`` stays short whatever the body's size."""

    method: str
    path: str
    query: str = ""  # percent-encoded, sent as is
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    streamed: bool = False  # the body without Content-Length, in chunks

    @property
    def target(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")

    def content(self) -> bytes | AsyncIterator[bytes] | None:
        if self.body is not None and self.streamed:
            return _chunks(self.body)
        return self.body

    def mentions(self, texts: Sequence[str]) -> bool:
        haystack = self.target.encode() + (self.body or b"")[:200_000]
        return any(t.encode() in haystack or pct(t).encode() in haystack for t in texts)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # how hypothesis prints it
        printer.text(repr(self))

    def __repr__(self) -> str:
        def cut(text: str) -> str:
            return text if len(text) <= 300 else f"{text[:300]}...<{len(text)} chars>"
        body = None if self.body is None else cut(self.body.decode("utf-8", "backslashreplace"))
        return (f"Hostile({self.method} {cut(self.target)!r}, body={body!r}, "
                f"headers={dict(self.headers)!r}, streamed={self.streamed})")


# ---- values ------------------------------------------------------------------------------

def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(STRINGS), st.sampled_from(INTS), st.sampled_from(FLOATS), st.booleans(),
        st.none(), st.text(st.characters(codec=None), max_size=12),
        st.text(st.characters(categories=["Cs", "Co", "Cc", "Nd", "No", "Zs"]), max_size=6),
        st.integers(), st.floats(allow_nan=False, allow_infinity=False))


def junk(t: Targets) -> st.SearchStrategy[Any]:
    """Any value of any JSON type, ids of both companies among them."""
    leaves = st.one_of(scalars(), st.sampled_from(SHAPES), id_values(t))
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.sampled_from(("ID", "x", "", "VALUE")), inner,
                                          max_size=2), max_leaves=6)


def id_values(t: Targets) -> st.SearchStrategy[Any]:
    """Ids of every kind: A's and B's, deleted, unknown, of the wrong type or shape."""
    mine = list(t.mine.values())
    theirs = list(t.theirs.values())
    numbers = [v for v in mine + theirs if isinstance(v, int)]
    return st.one_of(
        st.sampled_from(mine), st.sampled_from(theirs),
        st.sampled_from((t.deleted, NEVER_ID, NEVER_ID.lower(), *t.data, t.their_data,
                         "PY-7FFFFFFF-FFFFFFFF-DA7A-4000-8000-FFFFFFFFFFFF",
                         "PY-7FFFFFFF-00000000-0000-0000-0000-000000000000",
                         "PY-00000000-" + NEVER_ID[12:], NEVER_ID + "0", NEVER_ID[:-1],
                         " " + NEVER_ID, NEVER_ID + "\x00", "PY-" + "F" * 200)),
        st.sampled_from(mine + theirs).map(lambda v: [v]),
        st.sampled_from(mine + theirs).map(lambda v: {"ID": v}),
        st.sampled_from(mine).map(_lower),
        st.sampled_from(mine).map(lambda v: f" {v} "),
        st.sampled_from(numbers).flatmap(
            lambda v: st.sampled_from((str(v), float(v), v + 0.5, -v, str(v) + "\x00"))),
        st.sampled_from(NON_ASCII_DIGITS), st.sampled_from(INTS), st.sampled_from(FLOATS),
        st.booleans(), st.none(), st.just(""), st.just({}), st.just([]))


def dates() -> st.SearchStrategy[Any]:
    return weighted(
        (6, st.sampled_from(EDGE_DATES)), (3, st.sampled_from(BAD_DATES)),
        (1, st.sampled_from((20300101, 1.5, True, ["2030-01-01"], {"date": "2030-01-01"}))),
        (1, st.datetimes().map(lambda d: d.isoformat())),
        (1, st.dates().map(lambda d: d.isoformat())))


def relations(t: Targets, item_key: str) -> st.SearchStrategy[Any]:
    """ACCOUNT_RELATIONS/CONTACT_RELATIONS with junk items."""
    other = "CONTACT_ID" if item_key == "ACCOUNT_ID" else "ACCOUNT_ID"
    target = t.mine["Accounts" if item_key == "ACCOUNT_ID" else "Contacts"]
    good = {item_key: target}
    item = st.one_of(
        st.fixed_dictionaries({item_key: id_values(t)}),
        st.fixed_dictionaries({item_key: st.just(target), "IS_PRIMARY": junk(t)}),
        st.fixed_dictionaries({item_key: id_values(t), "IS_PRIMARY": st.sampled_from((0, 1))}),
        st.sampled_from(({}, {other: target}, {"ID": target}, {item_key: target, "X": 1},
                         {item_key: target, "IS_PRIMARY": 1, "ID": NEVER_ID},
                         {item_key.lower(): target}, {item_key: [target]})),
        junk(t))
    return weighted(
        (4, st.lists(item, min_size=1, max_size=3).map(lambda items: [good, *items])),
        (3, st.lists(item, max_size=3)),
        (1, st.just([{item_key: target, "IS_PRIMARY": 1}, {item_key: t.deleted, "IS_PRIMARY": 1}])),
        (1, st.sampled_from((1200, 5001)).map(lambda n: [good] * n)),
        (1, st.just([{item_key: NEVER_ID}] * 600)),
        (2, junk(t)))


def data_ids(t: Targets) -> st.SearchStrategy[Any]:
    return st.sampled_from((*t.data, t.their_data, "PY-7FFFFFFF-FFFFFFFF-DA7A-4000-8000-FFFFFFFFFFFF",
                            t.data[0].lower(), t.data[0][:-1] + "G", t.data[0].replace("DA7A", "DA7B"),
                            t.data[0][:-12] + "F" * 12, t.data[0][:-12] + "0" * 12,
                            t.data[0] + "0", " " + t.data[0], t.plain_field_id))


def data_values(t: Targets) -> st.SearchStrategy[Any]:
    """Values of a dropdown (or multi-select) custom field: Data ids of every kind."""
    ids = data_ids(t)
    return weighted((4, ids), (2, st.lists(ids, max_size=4)), (1, ids.map(lambda v: f"{v},{v}")),
                    (1, st.lists(ids, min_size=2, max_size=3).map(",".join)), (2, junk(t)))


def typed_values(t: Targets, key: Key) -> st.SearchStrategy[Any]:
    """Values for one key that are nearly of its type (the ones that get far)."""
    if key.pl_type == "relations":
        return relations(t, "ACCOUNT_ID" if key.name == "ACCOUNT_RELATIONS" else "CONTACT_ID")
    return {
        "date": dates(), "datetime": dates(), "relation": id_values(t), "id": id_values(t),
        "dropdown": data_values(t), "multiselect_checkbox": data_values(t),
        "integer": st.one_of(st.sampled_from(INTS), st.sampled_from(NON_ASCII_DIGITS),
                             st.sampled_from(BAD_INTS), id_values(t)),
        "float": st.sampled_from((*FLOATS, "1e400", "1,5", "١٢", "½", "1e15", "-1e16", 10**16)),
        "currency": st.sampled_from((*FLOATS, "EUR", "1e400", "١٢", 10**16)),
        "checkbox": st.sampled_from((2, -1, "yes", "true", "TRUE", 0.5, 1.0, "1 ", "①", [1], "٣")),
    }.get(key.pl_type, weighted((3, st.sampled_from(STRINGS)), (2, st.sampled_from(LONG)),
                                (1, dates()), (1, st.text(max_size=5))))


def values_for(t: Targets, key: Key) -> st.SearchStrategy[Any]:
    """Values for one key: of its type but hostile, or of any other type."""
    return weighted((3, typed_values(t, key)), (1, junk(t)))


def values_like_filters(t: Targets, key: Key | None) -> st.SearchStrategy[str]:
    """Filter values (text) aimed at a key's type."""
    texts = st.one_of(
        st.sampled_from(BAD_DATES), st.sampled_from(NON_ASCII_DIGITS),
        st.sampled_from([str(v) for v in (*t.mine.values(), *t.theirs.values(), t.deleted,
                                          *t.data, t.their_data, NEVER_ID)]),
        st.sampled_from([s for s in STRINGS if len(s) < 300]),
        st.sampled_from(("1e400", "nan", "inf", "-0", "9" * 30, "1.5", "TRUE", "٣.٥", "2", "yes")),
        st.text(st.characters(codec=None), max_size=8),
        st.text(st.sampled_from(":|\\%_x"), max_size=12))
    aimed = texts
    if key is not None and key.pl_type in ("date", "datetime"):
        aimed = st.sampled_from(EDGE_DATES)
    elif key is not None and key.pl_type in ("dropdown", "multiselect_checkbox"):
        aimed = data_ids(t).map(str)
    elif key is not None and key.pl_type in ("relation", "id", "integer"):
        aimed = id_values(t).map(str)
    return weighted((3, aimed), (3, texts),
                    (1, st.lists(weighted((1, aimed), (1, texts)), min_size=2, max_size=4).map(":".join)),
                    (1, st.tuples(aimed, st.sampled_from((499, 500, 501, 1000))).map(
                        lambda p: ":".join([_short(p[0].replace(":", ""))] * p[1]))))


def _short(text: str) -> str:
    """At most 40 characters once percent-encoded (huge ``in`` lists stay under httpx's
    limit of 65,536 characters per URL)."""
    while len(pct(text)) > 40:
        text = text[:-1]
    return text


# ---- bodies ------------------------------------------------------------------------------

def base_body(t: Targets, collection: str) -> dict[str, Any]:
    """A valid new entity: hostile keys added to it get past the required-key checks."""
    return {
        "Accounts": {"ORGANIZATION": "fz org"}, "Contacts": {"SURNAME": "fz"},
        "Opportunities": {"OPPORTUNITY_NAME": "fz", "STAGE": t.stage},
        "Leads": {"OPPORTUNITY_NAME": "fz"},
        "Clients": {"LASTNAME": "fz", "EMAIL": "fz@acme.example"},
        "SalesUnits": {"SALES_UNIT_NAME": "fz"}, "Pipelines": {"NAME": "fz"},
        "Stages": {"STAGE_NAME": "fz", "PIPELINE_ID": t.pipeline},
        "Activities": {"SUBJECT": "fz"}, "Tasks": {"SUBJECT": "fz"},
        "Appointments": {"SUBJECT": "fz", "START_DATE": "2030-01-01 10:00:00",
                         "END_DATE": "2030-01-01 11:00:00"},
        "Notes": {"NOTE": "fz"}, "Products": {"NAME": "fz"},
        "Data": {"VALUE": "fz", "ID_FIELD": t.field_ids[0]},
    }[collection]


@st.composite
def entity_object(draw: st.DrawFn, t: Targets, collection: str) -> dict[str, Any]:
    """A JSON object for one collection: known keys with hostile values, unknown keys, an ID."""
    body = dict(base_body(t, collection)) if draw(st.integers(0, 9)) < 7 else {}
    keys = [k for k in t.keys[collection] if k.name != "ID"]  # the ID: below
    for _ in range(draw(st.integers(1, 3))):
        roll = draw(st.integers(0, 19))
        if roll < 16:
            key = draw(st.sampled_from(keys))
            body[key.name] = draw(values_for(t, key))
        elif roll == 16:
            body[draw(st.sampled_from(UNKNOWN_KEYS + t.field_keys + (t.their_field_key,)))] = draw(
                junk(t))
        elif roll == 17:
            other = draw(st.sampled_from(COLLECTIONS))
            body[draw(st.sampled_from(t.keys[other])).name] = draw(junk(t))
        elif roll == 18:
            body[draw(st.sampled_from(IGNORED_KEYS))] = draw(junk(t))
        else:
            body["ID"] = draw(id_values(t))
    return body


def near_cap(t: Targets, collection: str, batch: bool) -> st.SearchStrategy[bytes]:
    """Bodies of about the size limit: padded, one huge value, or very many items."""
    sizes = st.sampled_from((t.cap - 1, t.cap, t.cap + 1, t.cap + 4096, 2 * t.cap))

    def padded(size: int) -> bytes:
        core = dumps([base_body(t, collection)] if batch else base_body(t, collection))
        return core + b" " * max(0, size - len(core))

    def one_value(size: int) -> bytes:
        key = next(iter(base_body(t, collection)))
        text = "x" * max(0, size - len(dumps({key: ""})) - (2 if batch else 0))
        return dumps([{key: text}] if batch else {key: text})

    def many(size: int) -> bytes:
        item = dumps(base_body(t, collection) if batch else NEVER_ID)
        count = max(1, size // (len(item) + 1))
        return b"[" + b",".join([item] * count) + b"]"

    return st.one_of(sizes.map(padded), sizes.map(one_value), sizes.map(many))


def encoded(values: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return st.tuples(values, st.booleans()).map(lambda p: dumps(p[0], not p[1]))


def bodies(t: Targets, collection: str, *, batch: bool = False) -> st.SearchStrategy[bytes]:
    """A write's body: a hostile object (or array of them), a wrong JSON type, malformed
    bytes, or a body around the size cap."""
    objects = entity_object(t, collection)
    if batch:
        items = weighted((4, objects), (1, junk(t)))
        payload: st.SearchStrategy[Any] = weighted(
            (6, st.lists(items, min_size=1, max_size=4)),
            (3, st.lists(items, min_size=1, max_size=3).map(
                lambda xs: [base_body(t, collection), *xs, base_body(t, collection)])),
            (1, st.sampled_from((5000, 5001)).map(lambda n: [{}] * n)),
            (1, objects), (1, junk(t)))
    else:
        payload = weighted((16, objects), (1, objects.map(lambda o: [o])), (2, junk(t)))
    return weighted(
        (40, encoded(payload)), (3, st.sampled_from(MALFORMED)), (2, st.sampled_from(WRONG_SHAPES)),
        (1, st.binary(max_size=40)), (2, near_cap(t, collection, batch)))


@st.composite
def headers(draw: st.DrawFn) -> dict[str, str]:
    out: dict[str, str] = {}
    if draw(st.integers(0, 3)) == 3:
        out["Content-Type"] = draw(st.sampled_from(CONTENT_TYPES))
    if draw(st.integers(0, 9)) == 9:
        out.update(draw(st.sampled_from(({"Content-Encoding": "gzip"}, {"Accept": "text/html"},
                                         {"X-HTTP-Method-Override": "DELETE"},
                                         {"Content-Language": "de"}))))
    return out


def streamed() -> st.SearchStrategy[bool]:
    return st.integers(0, 9).map(lambda n: n == 9)


# ---- query strings -----------------------------------------------------------------------

def _keys_by_name(t: Targets, collection: str) -> dict[str, Key]:
    return {k.name: k for k in t.keys[collection]}


def key_names(t: Targets, collection: str) -> st.SearchStrategy[str]:
    keys = [k.name for k in t.keys[collection]]
    return weighted((12, st.sampled_from(keys)), (1, st.sampled_from(UNKNOWN_KEYS)),
                    (1, st.sampled_from(keys).map(str.lower)),
                    (1, st.sampled_from((*t.field_keys, t.their_field_key))))


@st.composite
def filters(draw: st.DrawFn, t: Targets, collection: str) -> str:
    if draw(st.integers(0, 9)) == 9:
        return draw(st.sampled_from(RAW_FILTERS))
    known = _keys_by_name(t, collection)
    phrases = []
    for _ in range(draw(st.integers(1, 3))):
        name = draw(weighted((9, key_names(t, collection)), (1, st.sampled_from(("IS_DELETED", "ID")))))
        value = draw(values_like_filters(t, known.get(name)))
        op = draw(weighted((8, st.sampled_from(OPERATORS)), (1, st.sampled_from(BAD_OPS))))
        roll = draw(st.integers(0, 3))
        if roll == 0:
            phrases.append(f"{name}::{value}")
        elif roll == 1:  # escaped as a careful client would
            escaped = "".join("\\" + c if c in "|:\\" else c for c in value)
            phrases.append(f"{name}::{escaped}::{op}")
        else:
            phrases.append(f"{name}::{value}::{op}")
    return "|".join(phrases)


def names_param(t: Targets, collection: str) -> st.SearchStrategy[str]:
    one = weighted((6, key_names(t, collection)), (3, key_names(t, collection).map(lambda n: "-" + n)),
                   (1, st.sampled_from(("-", "--ID", " ", "ID DESC", "ID,NAME", "*", "ID;DROP"))))
    return weighted((9, st.lists(one, min_size=1, max_size=3).map("|".join)),
                    (1, st.sampled_from(("", "|", "||", "ID|" * 200, "-|-"))))


def _param(t: Targets, collection: str, name: str) -> st.SearchStrategy[str]:
    return {
        "limit": weighted((3, st.sampled_from(GOOD_INTS)), (1, st.sampled_from(BAD_INTS))),
        "offset": weighted((3, st.sampled_from(GOOD_INTS)), (1, st.sampled_from(BAD_INTS))),
        "sort": names_param(t, collection), "filter": filters(t, collection),
        "after": weighted((3, dates().map(str)), (1, st.sampled_from(STRINGS))),
        "loadonly": names_param(t, collection),
    }[name]


@st.composite
def list_query(draw: st.DrawFn, t: Targets, collection: str) -> str:
    """limit, offset, sort, filter, after, loadonly (some repeated, some junk), encoded."""
    params: list[tuple[str, str]] = []
    for _ in range(draw(st.integers(1, 4))):
        name = draw(weighted((3, st.just("filter")), (5, st.sampled_from(QUERY_NAMES))))
        params.append((name, draw(_param(t, collection, name))))
    if draw(st.integers(0, 9)) == 9:
        params.append((draw(st.sampled_from(JUNK_QUERY_NAMES)), draw(st.sampled_from(STRINGS))))
    return query_string(params, draw(st.sampled_from(("", ":|-"))))


def query_string(params: list[tuple[str, str]], safe: str = "") -> str:
    """Percent-encoded; the last parameters are left out while the query is longer than
    60,000 characters (httpx refuses URLs of 65,536 characters or more)."""
    query = "&".join(f"{pct(k, safe)}={pct(v, safe)}" for k, v in params)
    while len(query) > 60_000:
        params = params[:-1]
        query = "&".join(f"{pct(k, safe)}={pct(v, safe)}" for k, v in params)
    return query


# ---- requests ----------------------------------------------------------------------------

def path_id(value: Any) -> str:
    return "/" + pct(str(value))


def bad_ids(t: Targets) -> st.SearchStrategy[Any]:
    """Ids that name none of A's live entities (B's, deleted, unknown, junk)."""
    mine = {str(m).upper() for m in t.mine.values()}
    return id_values(t).filter(lambda v: str(v).strip().upper() not in mine)


@st.composite
def collection_writes(draw: st.DrawFn, t: Targets) -> Hostile:
    collection = draw(st.sampled_from(COLLECTIONS))
    method = draw(st.sampled_from(("PUT", "POST", "PATCH", "DELETE", "POST", "PUT")))
    if method == "POST":
        path = f"/{collection}"
    elif method == "DELETE":  # never A's live entities: the world stays whole
        path = f"/{collection}" + path_id(draw(bad_ids(t)))
    else:
        path = f"/{collection}" + path_id(draw(weighted((5, st.just(t.mine[collection])),
                                                        (1, id_values(t)))))
    body = draw(bodies(t, collection)) if method != "DELETE" or draw(st.booleans()) else None
    return Hostile(method, path, "", body, draw(headers()), draw(streamed()))


@st.composite
def collection_reads(draw: st.DrawFn, t: Targets) -> Hostile:
    collection = draw(st.sampled_from((*COLLECTIONS, "Data")))
    if draw(st.integers(0, 4)):
        return Hostile("GET", f"/{collection}", draw(list_query(t, collection)))
    return Hostile("GET", f"/{collection}" + path_id(draw(id_values(t))),
                   draw(list_query(t, collection)) if draw(st.integers(0, 3)) == 3 else "")


def flags() -> st.SearchStrategy[str | None]:
    combos = st.sets(st.sampled_from(FLAG_BITS)).map(lambda bits: str(sum(bits)))
    return weighted((12, combos), (1, st.none()), (1, st.sampled_from(
        ("-1", "16", "3.0", "", "99999999999", "999999999999999", "--1", "0x1", " 1", "1 ",
         *NON_ASCII_DIGITS, str(1 << 40), "8\x00"))))


def entity_names() -> st.SearchStrategy[str | None]:
    names = [n for n in ENTITIES.values() if n != "Data"]
    return weighted((12, st.sampled_from(names)), (2, st.sampled_from(COLLECTIONS)),
                    (1, st.sampled_from(names).map(str.lower)), (1, st.none()),
                    (1, st.sampled_from(("", "Nope", "Data", "Account\x00", "Accounts ", "💥",
                                         "a" * 300))))


def _batch_query(entity: str | None, flag: str | None) -> str:
    params = [("entityName", entity), ("flag", flag)]
    return "&".join(f"{k}={pct(v)}" for k, v in params if v is not None)


def _collection_of(entity: str | None) -> str:
    for collection, name in ENTITIES.items():
        if entity is not None and entity.lower() in (name.lower(), collection.lower()):
            return collection if collection != "Data" else "Accounts"
    return "Accounts"


@st.composite
def batches(draw: st.DrawFn, t: Targets) -> Hostile:
    entity, flag = draw(entity_names()), draw(flags())
    collection = _collection_of(entity)
    query = _batch_query(entity, flag)
    flag_bits = int(flag) if flag is not None and flag.isascii() and flag.isdigit() else 0
    if draw(st.booleans()):
        return Hostile("POST", "/setEntities", query, draw(bodies(t, collection, batch=True)),
                       draw(headers()), draw(streamed()))
    # deleteEntities: B's, deleted and junk ids; A's live ones only where a bad id must fail
    # the whole batch (no ignoring flag), so that a refusal shows it is all or nothing
    items: list[Any] = draw(st.lists(bad_ids(t), min_size=1, max_size=4))
    if not flag_bits & IGNORING and draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), t.mine[collection])
    raw = draw(weighted(
        (12, st.booleans().map(lambda ascii_only: dumps(items, ascii_only))),
        (1, st.sampled_from(MALFORMED + WRONG_SHAPES)), (1, near_cap(t, collection, False)),
        (1, st.sampled_from((5000, 5001, 20_000)).map(lambda n: dumps([NEVER_ID] * n)))))
    return Hostile("POST", "/deleteEntities", query, raw, draw(headers()), draw(streamed()))


@st.composite
def data_requests(draw: st.DrawFn, t: Targets) -> Hostile:
    """Data: POST with VALUE and ID_FIELD, PUT/PATCH/DELETE of rows, GET of lists and rows."""
    field_refs = weighted(
        (3, st.sampled_from((*t.field_ids, *t.field_keys, t.their_field_id, t.their_field_key,
                             t.plain_field_id, t.field_ids[0].lower(), t.data[0]))), (1, junk(t)))
    ids = weighted((3, data_ids(t)), (2, id_values(t)))
    values = weighted((3, st.sampled_from(STRINGS)), (1, st.sampled_from(LONG)), (2, junk(t)))
    obj: dict[str, Any] = {"VALUE": draw(values)}
    if draw(st.integers(0, 4)):
        obj["ID_FIELD"] = draw(field_refs)
    for key in draw(st.sets(st.sampled_from(("ID", "ID", "IS_DELETED", "NOPE", "value", "")),
                            max_size=2)):
        obj[key] = draw(ids if key == "ID" else junk(t))
    body = draw(weighted((16, encoded(st.just(obj))), (1, st.sampled_from(MALFORMED)),
                         (1, st.sampled_from(WRONG_SHAPES)), (1, st.just(dumps([obj]))),
                         (1, near_cap(t, "Data", False))))
    method = draw(st.sampled_from(("POST", "PUT", "PATCH", "POST", "DELETE", "GET")))
    if method == "POST":
        return Hostile("POST", "/Data", "", body, draw(headers()), draw(streamed()))
    if method == "GET":
        return draw(st.one_of(st.builds(Hostile, st.just("GET"), st.just("/Data"),
                                        list_query(t, "Data")),
                              ids.map(lambda i: Hostile("GET", "/Data" + path_id(i)))))
    if method == "DELETE":  # A's own rows are removed for good: seldom
        target = draw(weighted((5, ids.filter(lambda i: i not in t.data)), (1, ids)))
        return Hostile("DELETE", "/Data" + path_id(target))
    return Hostile(method, "/Data" + path_id(draw(ids)), "", body, draw(headers()), draw(streamed()))


@st.composite
def info_requests(draw: st.DrawFn, t: Targets) -> Hostile:
    """getFields (every name, filtered), the info endpoints, odd methods and paths."""
    roll = draw(st.integers(0, 5))
    junk_query = st.lists(st.tuples(st.sampled_from((*QUERY_NAMES, *JUNK_QUERY_NAMES)),
                                    st.sampled_from(STRINGS)), max_size=3).map(query_string)
    if roll <= 2:
        name = draw(weighted(
            (8, st.sampled_from((*COLLECTIONS, "Data", *ENTITIES.values()))),
            (1, st.sampled_from((*COLLECTIONS, *ENTITIES.values())).map(str.lower)),
            (1, st.sampled_from(("Nope", "", " ", "%00", "💥", "a" * 300, "Accounts%2FContacts",
                                 "..")))))
        collection = name if name in t.keys else "Accounts"
        phrase = st.tuples(
            weighted((8, st.sampled_from(DESCRIPTOR_KEYS)), (1, st.sampled_from(("NOPE", "custom")))),
            st.one_of(values_like_filters(t, None), st.sampled_from(("TRUE", "1", "0", "false"))),
            weighted((8, st.sampled_from(OPERATORS)), (1, st.sampled_from(BAD_OPS)))).map(
            lambda p: f"{p[0]}::{p[1]}::{p[2]}")
        query = draw(weighted(
            (6, st.lists(phrase, min_size=1, max_size=3).map(
                lambda f: query_string([("filter", "|".join(f))]))),
            (1, filters(t, collection).map(lambda f: query_string([("filter", f)]))),
            (1, st.sampled_from(RAW_FILTERS).map(lambda f: query_string([("filter", f)]))),
            (1, junk_query)))
        return Hostile("GET", f"/getFields/{pct(name, '%')}", query)
    if roll == 3:
        return Hostile("GET", draw(st.sampled_from(INFO)), draw(junk_query))
    method = draw(st.sampled_from(("POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE",
                                   "GET")))
    path = draw(st.sampled_from((
        *INFO, "/getFields/Accounts", "/setEntities", "/deleteEntities", "/Accounts",
        f"/Accounts/{t.mine['Accounts']}", f"/Accounts/{t.mine['Accounts']}/x", "//Accounts",
        "/Accounts/", "/Data/", "/getFields", "/getFields/", "/search/Accounts", "/Nope/1",
        "/Accounts/%2e%2e", "/setEntities/x", f"/Data/{t.data[0]}/x")))
    body = draw(st.one_of(st.none(), bodies(t, "Accounts")))
    return Hostile(method, path, draw(junk_query), body, draw(headers()))


__all__ = ["IGNORING", "Hostile", "Key", "Targets", "batches", "collection_reads", "collection_writes",
           "data_requests", "info_requests"]
