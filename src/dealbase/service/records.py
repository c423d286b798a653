"""The records engine behind the service's door: reads and writes of CRM records.

Every call runs for one company (``Context``) inside the caller's transaction (a
``Tx``, the store's fast path); every write appends change-log rows in that same
transaction. Only the service package calls this (``Unit`` wraps it for adapters);
it speaks canonical field names only. SQL comes from the query engine
(``query.compile``); rows become records through generated decoders (``store.rows``).
Lists read through the ``ListMemory``: an OFFSET page after one already served is a
keyset seek, and a total already counted is not counted again while the company's
data is unchanged.
"""

from __future__ import annotations

import builtins
import copy
import datetime as dt
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from sqlalchemy import Table

from ..domain import search
from ..domain.entities._common import CURRENT_APP, CURRENT_USER, MAX_ID_LIST, NEW_UID, NOW
from ..domain.errors import Conflict, NotFound, Problem, Reason, ValidationError, combined, invalid
from ..domain.registry import Registry, Schema
from ..domain.search import Term
from ..domain.spec import EntitySpec, FieldSpec
from ..domain.statistics import Statistics
from ..domain.types import FLOAT_LIMIT, INT_MAX, INT_MIN, Kind, coerce
from ..domain.webhooks import MERGED_FROM, MERGED_TO
from ..query.ast import Cond, Cursor, Filter, Keyset, Offset, Query, Sort, all_of
from ..query.compile import (
    Fragment,
    compile_condition,
    compile_count,
    compile_count_by,
    compile_derive,
    compile_fetch,
    compile_list,
    compile_live,
    compile_sum_by,
    full_sort,
    insert_sql,
    update_sql,
)
from ..query.cursor import decode_cursor, encode_cursor
from ..query.memory import ListMemory
from ..query.operators import MAX_IN_VALUES, in_values
from ..query.statistics import compile_statistics, read_statistics
from ..store import search as search_index
from ..store.changelog import Change, ChangeLog
from ..store.codec import decoder, encoder, slot_value
from ..store.database import Database, Tx, is_integrity_error
from ..store.rows import Decoders
from ..store.schema import build_metadata
from .visibility import APP_OWNED, Sight, sights_of

MAX_BULK = 500
MAX_REMEMBERED_UIDS = 20_000  # about 5 MiB
MAX_SIGHTS = 4096  # users whose sight is remembered
MAX_SIGHT_ROLES = 1_000  # roles, and users, one sight is made from at most
MAX_SIGHT_USERS = 100_000


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def new_uid() -> str:
    """A Pipeliner-style string id: ``PY-7FFFFFFF-<UUID>``.

    The UUID is a version 7 one (RFC 9562): milliseconds since the epoch, then 74
    random bits. Ids made later sort later, so new rows land at the end of the id
    index instead of on a random page of it.
    """
    return new_uids(1)[0]


def new_uids(count: int) -> builtins.list[str]:
    """``count`` new string ids (``new_uid``) made at once: one read of the system's
    random source and one clock reading for them all (a batch's ids share its
    millisecond; sorted, so that ids made later still sort later)."""
    stamp = (time.time_ns() // 1_000_000 & 0xFFFF_FFFF_FFFF).to_bytes(6, "big")
    raw = secrets.token_bytes(10 * count)
    out = []
    for n in range(0, 10 * count, 10):
        # 48 bits of time, the version (7) over the top 4 random bits, 12 random bits,
        # the RFC 9562 variant (binary 10) over the next 2, then 62 random bits
        h = (stamp + bytes((0x70 | raw[n] & 0x0F, raw[n + 1], 0x80 | raw[n + 2] & 0x3F))
             + raw[n + 3:n + 10]).hex().upper()
        out.append(f"PY-7FFFFFFF-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    out.sort()  # (in the order they are handed out: a batch's rows append to the uid index)
    return out


@dataclass(frozen=True)
class Context:
    """Who is asking: the company (tenant), the user, and the company's schema."""

    company_id: int
    user_id: int | None
    schema: Schema
    is_admin: bool = False
    company_name: str = ""
    space_id: str = ""
    # What the user sees (``visibility``); the service fills it in for a unit of work, and
    # the records engine makes it when a context comes without.
    sight: Sight | None = field(default=None, compare=False, repr=False)
    # An OAuth access token's scopes (``domain.scopes``); None: an API token's (everything).
    scopes: frozenset[str] | None = None
    # The OAuth app whose token it is (None: an API token): an app sees its own webhooks.
    app_id: int | None = None


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    more: bool
    sort: tuple[Sort, ...]
    total: int | None = None
    next_cursor: str | None = None  # for a ``Cursor`` page: where the next one starts

    def last_key(self) -> tuple[Any, ...] | None:
        """The sort-key values of the last item (for a keyset cursor), or None if no more."""
        if not self.more or not self.items:
            return None
        last = self.items[-1]
        return tuple(last.get(s.field) for s in self.sort)


@dataclass(frozen=True)
class Aggregate:
    """One group of an aggregate read: its values of the grouping fields, how many records
    it holds and the sums asked for (canonical names)."""

    values: dict[str, Any]
    count: int
    sums: dict[str, float]


# A conversion's kinds, and the fields of the same name that it does not carry over.
CONVERTS_TO = {"lead": "deal", "deal": "lead"}
NOT_CONVERTED = frozenset({"id", "uid", "label_ids", "is_archived", "archived_at", "status"})


def _bad(field: str, message: str, reason: Reason = Reason.INVALID) -> ValidationError:
    return invalid(field, message, reason)


def _taken(uid: Any) -> Conflict:
    return Conflict(f"ID {str(uid)[:120]} is already taken in this space (it may be deleted)",
                    reason=Reason.DUPLICATE)


@dataclass
class Hit:
    """A record a search found: its score (0..1), the groups of fields it matched in and the
    notes of it that matched (``live``: found through its own text, so it is live)."""

    entity: str
    id: int
    score: float
    live: bool = True
    groups: set[str] = field(default_factory=set)
    notes: builtins.list[int] = field(default_factory=list)


def _searched(spec: EntitySpec) -> frozenset[str]:
    found: frozenset[str] | None = spec.memo.get("searched")
    if found is None:
        found = spec.memo["searched"] = search.searched_fields(spec)
    return found


@dataclass(frozen=True)
class _Shape:
    """What writes need to know about an entity spec, worked out once per spec."""

    required: tuple[str, ...]
    defaults: tuple[tuple[str, Any], ...]  # columns (but id) with a default
    constant: Mapping[str, Any]  # of those, the immutable values (copied as they are)
    made: tuple[tuple[str, Any], ...]  # the others: made afresh for each record
    not_null: tuple[str, ...]  # columns (but id) that may not be null
    refs: tuple[FieldSpec, ...]  # fields that hold ids of other records
    custom: frozenset[str]
    slotted: tuple[FieldSpec, ...]  # custom fields mirrored in an index slot
    # The fields a client may set (``uid`` on create only), each with its ``_coercer``
    coercers: Mapping[str, Callable[[Any], Any]]


def _shape(spec: EntitySpec) -> _Shape:
    found: _Shape | None = spec.memo.get("records shape")
    if found is None:
        defaults = tuple((f.name, f.default) for f in spec.columns
                         if f.name != "id" and f.default is not None)
        made = tuple((n, d) for n, d in defaults
                     if d is NOW or d is CURRENT_USER or d is CURRENT_APP or d is NEW_UID
                     or isinstance(d, tuple))
        found = spec.memo["records shape"] = _Shape(
            required=tuple(f.name for f in spec.fields if f.required),
            defaults=defaults,
            constant={n: d for n, d in defaults if (n, d) not in made},
            made=made,
            not_null=tuple(f.name for f in spec.columns if not f.nullable and f.name != "id"),
            refs=tuple(f for f in spec.fields if f.ref is not None and f.kind in (Kind.REF, Kind.JSON)),
            custom=frozenset(f.name for f in spec.custom),
            slotted=tuple(f for f in spec.custom if f.slot is not None),
            coercers={f.name: _coercer(f) for f in spec.fields if not f.readonly})
    return found


def _coerce(f: FieldSpec, raw: Any) -> Any:
    """``raw`` as the canonical value of the field, or ValidationError."""
    value = coerce(f.kind, f.name, raw, f.max_length)
    if value is None:
        if not f.nullable:
            raise _bad(f.name, "must not be null", Reason.REQUIRED)
        return None
    if f.choices and value not in f.choices:
        raise _bad(f.name, f"must be one of {', '.join(map(str, f.choices))}")
    if f.kind is Kind.JSON and (f.is_custom or f.name == "label_ids" or f.ref):
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 < v <= INT_MAX
            for v in value
        ):
            raise _bad(f.name, "must be a list of integer ids")
        if f.is_custom and not value:
            raise _bad(f.name, "must not be empty (use null to clear)")
        if len(value) > MAX_ID_LIST:
            raise _bad(f.name, f"at most {MAX_ID_LIST} ids")
        # Further relations keep the client's order; labels and options are sets.
        value = list(dict.fromkeys(value)) if f.ref and not f.is_custom else sorted(set(value))
    if f.options and f.field_type in ("enum", "set"):
        allowed = {o.id for o in f.options}
        chosen = value if isinstance(value, list) else [value]
        if any(v not in allowed for v in chosen):
            raise _bad(f.name, "is not an option of this field")
    return value


def _coercer(f: FieldSpec) -> Callable[[Any], Any]:
    """``_coerce`` for one field, with the common valid values of its kind accepted at
    once: a value of exactly the canonical type, in range, of the field's choices and
    options, is what ``_coerce`` returns for it (a whole number becomes a float for a
    number field); anything else, every error included, goes through ``_coerce``."""
    kind = f.kind
    choices = frozenset(f.choices) if f.choices else None
    options: frozenset[Any] | None = (frozenset(o.id for o in f.options)
               if f.options and f.field_type in ("enum", "set") else None)

    if kind is Kind.TEXT:
        limit = f.max_length if f.max_length is not None else INT_MAX

        def text(raw: Any) -> Any:
            if type(raw) is str and len(raw) <= limit and "\x00" not in raw and (
                    choices is None or raw in choices) and (options is None or raw in options):
                return raw
            return _coerce(f, raw)
        return text
    if kind is Kind.INT or kind is Kind.REF:
        low = 1 if kind is Kind.REF else INT_MIN

        def integer(raw: Any) -> Any:
            if type(raw) is int and low <= raw <= INT_MAX and (
                    choices is None or raw in choices) and (options is None or raw in options):
                return raw
            return _coerce(f, raw)
        return integer
    if kind is Kind.FLOAT:
        def number(raw: Any) -> Any:
            if (type(raw) is float or type(raw) is int) and -FLOAT_LIMIT <= raw <= FLOAT_LIMIT:
                value = float(raw)
                if (choices is None or value in choices) and (options is None or value in options):
                    return value
            return _coerce(f, raw)
        return number
    if (kind is Kind.BOOL or kind is Kind.DATE) and choices is None and options is None:
        exact = bool if kind is Kind.BOOL else dt.date

        def plain(raw: Any) -> Any:
            return raw if type(raw) is exact else _coerce(f, raw)
        return plain
    return partial(_coerce, f)


def _created(clean: Mapping[str, Any]) -> dict[str, Sequence[Any]]:
    """A create's change-log entry: every value it set (null stays unmentioned), each as
    (old, new) = (None, value): tuples, cheaper to make than lists, which the log's JSON
    writes as the same arrays."""
    return {k: (None, v) for k, v in clean.items() if v is not None}


@dataclass(frozen=True, eq=False)
class Draft:
    """New records of one entity made ready to go in by one transaction
    (``Records.draft``), to be written by it or by a later one (``Records.insert``):
    the items as given, their validated values, string ids, INSERT parameters (grouped
    by the columns they set), change-log entries (encoded) and index texts, and what the
    drafting read (``reads``: asked again by the transaction that writes them)."""

    company_id: int
    writer: tuple[int | None, int | None]  # the user and the app that drafted them
    entity: str
    backend: str
    items: tuple[Mapping[str, Any], ...]
    now: dt.datetime
    cleans: builtins.list[dict[str, Any]]
    uids: builtins.list[str]
    chosen: builtins.list[str]  # the string ids the client chose (new to the company?)
    groups: builtins.list[tuple[tuple[str, ...], builtins.list[int],
                                builtins.list[tuple[Any, ...]]]]
    changes: builtins.list[Any]
    texts: builtins.list[dict[int, str]]
    reads: tuple[tuple[str, tuple[Any, ...], Any], ...]


class _Lookup:
    """Reads that entity rules and reference checks need, on the caller's transaction.

    Within one call (one record, or one batch) a record read once is not read again;
    a batch writes one entity, whose own records are never memoised. Every read is
    noted with its answer (``reads``), so that another transaction can tell whether it
    would have read the same (``confirms``).
    """

    def __init__(self, records: Records, tx: Tx, ctx: Context, writing: str,
                 now: dt.datetime | None = None) -> None:
        # Rules read as the writer: a record they do not see is, to a rule too, one that
        # does not exist (a hidden stage or pipeline is "not found", and the first
        # pipeline a new deal goes to is the first the writer sees).
        self.records, self.tx, self.ctx, self.writing = records, tx, ctx, writing
        self._sight: Sight | None = None
        self.now_at = now if now is not None else records.clock()
        self._records: dict[tuple[str, int], dict[str, Any] | None] = {}
        self._firsts: dict[Any, dict[str, Any] | None] = {}
        # The caller signed in a moment ago: their user is live.
        self._live: dict[tuple[str, int], bool] = (
            {} if ctx.user_id is None or writing == "user" else {("user", ctx.user_id): True})
        self.reads: list[tuple[str, tuple[Any, ...], Any]] = []  # (what, asked, answer)

    def confirms(self, reads: Sequence[tuple[str, tuple[Any, ...], Any]]) -> bool:
        """Whether every read of another lookup has the same answer here."""
        return all(getattr(self, what)(*asked) == answer for what, asked, answer in reads)

    def fetch(self, entity: str, record_id: int) -> Mapping[str, Any] | None:
        key = (entity, record_id)
        if key not in self._records or entity == self.writing:
            found = self.records.fetch(self.tx, self.ctx, entity, [record_id], live_only=True)
            self._records[key] = found.get(record_id)
            if entity != self.writing:  # (read as the writer: its reference check's answer)
                self._live[key] = key[1] in found
            self.reads.append(("fetch", key, copy.deepcopy(self._records[key])))
        return self._records[key]

    def check(self, wanted: Mapping[str, Sequence[int]]) -> dict[str, set[int]]:
        """Which ids are live, per entity: what is not known yet, in one statement."""
        unknown = {e: [i for i in dict.fromkeys(ids) if e == self.writing or (e, i) not in self._live]
                   for e, ids in wanted.items()}
        unknown = {e: ids for e, ids in unknown.items() if ids}
        if unknown:
            schema = self.ctx.schema
            parts = [(schema.entity(e), ids) for e, ids in unknown.items()]
            compiled = compile_live(parts, self.ctx.company_id, self.tx.backend,
                                    [self.records.seen(self.tx, self.ctx, e) for e in unknown])
            found = {(parts[n][0].name, int(i)) for n, i in self.tx.rows(compiled.sql,
                                                                        compiled.params)}
            for e, ids in unknown.items():
                for i in ids:
                    self._live[(e, i)] = (e, i) in found
        out = {e: {i for i in ids if self._live[(e, i)]} for e, ids in wanted.items()}
        self.reads.append(("check", ({e: builtins.list(ids) for e, ids in wanted.items()},),
                           copy.deepcopy(out)))
        for e in wanted:  # the entity being written is never remembered
            if e == self.writing:
                for i in wanted[e]:
                    self._live.pop((e, i), None)
        return out

    def first(self, entity: str, where: Mapping[str, Any], order_by: str) -> Mapping[str, Any] | None:
        # (the keys are distinct names: sorting the pairs sorts by name)
        key = (entity, tuple(sorted(where.items())) if len(where) > 1 else tuple(where.items()),
               order_by)
        if entity != self.writing and key in self._firsts:
            return self._firsts[key]
        sort = Sort(order_by.lstrip("-"), order_by.startswith("-"))
        flt = all_of(Cond("is_deleted", "eq", False),
                     *(Cond(k, "eq", v) for k, v in where.items()))
        page = self.records.list(self.tx, self.ctx, entity,
                                 Query(where=flt, sort=(sort,), page=Keyset(None, 1)))
        found = page.items[0] if page.items else None
        if entity != self.writing:
            self._firsts[key] = found
        self.reads.append(("first", (entity, dict(where), order_by), copy.deepcopy(found)))
        return found

    def now(self) -> dt.datetime:
        return self.now_at

    def actor(self) -> int | None:
        return self.ctx.user_id

    def default_visibility(self, entity: str) -> int | None:
        """A new record's ``visible_to`` when the write does not say: the writer's role's."""
        if self.ctx.user_id is None:
            return None
        if self._sight is None:
            self._sight = self.records.sight(self.tx, self.ctx)
        answer = self._sight.default_visibility(entity)
        self.reads.append(("default_visibility", (entity,), answer))
        return answer

    now_at: dt.datetime


class Records:
    """List, get, create, update and delete any entity, for one company at a time, in the
    caller's transaction. ``clock`` gives the time every write stamps (tests pin it)."""

    def __init__(self, db: Database, registry: Registry | None = None) -> None:
        self.db = db
        self.registry = registry or Registry()
        self.metadata = build_metadata()
        self.tables: dict[str, Table] = {
            spec.name: self.metadata.tables[spec.table]
            for spec in self.registry.builtins.values()
        }
        self.changelog = ChangeLog(self.metadata.tables["change_log"])
        self.decoders = Decoders()
        self.memory = ListMemory()
        self.clock: Callable[[], dt.datetime] = utcnow
        self._encoders: dict[tuple[str, str, tuple[str, ...]], tuple[tuple[str, Any], ...]] = {}
        self._uid_memory: dict[tuple[int, str, int], str] = {}
        self._sights: dict[tuple[int, int], tuple[int, Sight]] = {}
        # How each stored column's value is encoded (custom slots need nothing).
        self._kinds: dict[str, dict[str, Kind]] = {
            spec.name: {**{f.name: f.kind for f in spec.columns}, "company_id": Kind.INT,
                        "custom": Kind.JSON}
            for spec in self.registry.builtins.values()
        }
        # Columns a new row may leave out when null: those whose own default is null.
        self._omittable: dict[str, frozenset[str]] = {
            spec.name: frozenset(c.name for c in self.tables[spec.name].columns
                                 if c.server_default is None and c.nullable)
            for spec in self.registry.builtins.values()
        }
        # Entities whose records carry a client-choosable string id (all of them today).
        self._uid_entities = tuple(spec for spec in self.registry.builtins.values()
                                   if "uid" in spec.by_name)
        # Derived fields (``domain.spec.Derived``) by the entity whose writes change them:
        # child -> ((parent, ref field of the child, the parent's fields), ...), and the
        # child's fields that matter to them.
        derived: dict[str, dict[tuple[str, str], list[FieldSpec]]] = {}
        for spec in self.registry.builtins.values():
            for f in spec.columns:
                if f.derived is not None:
                    derived.setdefault(f.derived.child, {}).setdefault(
                        (spec.name, f.derived.ref), []).append(f)
        self._derived = {child: tuple((p, r, tuple(fs)) for (p, r), fs in sorted(groups.items()))
                         for child, groups in derived.items()}
        self._deriving_fields = {
            child: frozenset({"is_deleted"} | {r for _, r, _ in groups} | {
                name for _, _, fs in groups for f in fs if f.derived is not None
                for name in (*(w[0] for w in f.derived.where), *(o[0] for o in f.derived.order),
                             *((f.derived.of,) if f.derived.of else ()))})
            for child, groups in self._derived.items()}

    # ---- who sees what (``visibility``) --------------------------------------------------

    def sight(self, tx: Tx, ctx: Context) -> Sight:
        """What the context's user sees and may do, made from the company's roles and
        users as this transaction sees them (remembered while neither changes)."""
        if ctx.sight is not None:
            return ctx.sight
        if ctx.user_id is None:
            return Sight(0, admin=True)
        key = (ctx.company_id, ctx.user_id)
        version = self.changelog.version(tx, ctx.company_id, ("user", "role"))
        found = self._sights.get(key)
        if found is not None and found[0] == version and found[1].admin == ctx.is_admin:
            return found[1]
        made = self.sights(tx, ctx, {ctx.user_id: ctx.is_admin})[ctx.user_id]
        if len(self._sights) >= MAX_SIGHTS:
            self._sights.clear()
        self._sights[key] = (version, made)
        return made

    def sights(self, tx: Tx, ctx: Context, users: Mapping[int, bool]) -> dict[int, Sight]:
        """What these users see of the context's company (id -> is admin), made
        from one read of its roles and users."""
        trusted = self.trusted(ctx)
        roles = self.list(tx, trusted, "role", Query(
            where=Cond("is_deleted", "eq", False), page=Keyset(None, MAX_SIGHT_ROLES)))
        rows = self.list(tx, trusted, "user", Query(
            fields=("role_id",), page=Keyset(None, MAX_SIGHT_USERS)))
        return sights_of(users, roles.items, rows.items)

    @staticmethod
    def trusted(ctx: Context) -> Context:
        """The context seeing every record of its company (the rules of the records read
        what they need, whoever writes)."""
        return ctx if ctx.is_admin else replace(ctx, is_admin=True, sight=None)

    def _sight(self, tx: Tx, ctx: Context) -> Sight | None:
        """What the context sees, None for all (an admin, a trusted context)."""
        return None if ctx.is_admin or ctx.user_id is None else self.sight(tx, ctx)

    def seen(self, tx: Tx, ctx: Context, entity: str) -> Fragment | None:
        """The condition the records of ``entity`` the context sees meet (None: all),
        compiled once for as long as what the context sees holds."""
        return self._seen(tx, ctx, entity)[0]

    def _seen(self, tx: Tx, ctx: Context, entity: str
              ) -> tuple[Fragment | None, dict[Any, Any] | None]:
        """``seen``, and where statements that carry it may be kept: the sight's memo, or
        None (an app's own records are the token's: nothing is kept)."""
        sight = self._sight(tx, ctx)
        if ctx.app_id is not None and entity in APP_OWNED:
            node = all_of(None if sight is None else sight.where(ctx.schema, entity),
                          Cond("app_id", "eq", ctx.app_id))
            return (None if node is None else compile_condition(
                node, ctx.schema.entity(entity), tx.backend)), None
        if sight is None:
            return None, None
        key = ("seen", entity, tx.backend)
        if key not in sight.memo:
            node = sight.where(ctx.schema, entity)
            sight.memo[key] = None if node is None else compile_condition(
                node, ctx.schema.entity(entity), tx.backend)
        return sight.memo[key], sight.memo

    # ---- reads -------------------------------------------------------------------------

    def get(self, tx: Tx, ctx: Context, entity: str, record_id: int, *, lock: bool = False
            ) -> dict[str, Any]:
        found = self.fetch(tx, ctx, entity, [record_id], lock=lock)
        if record_id not in found:
            raise NotFound(f"{ctx.schema.entity(entity).name.capitalize()} not found")
        return found[record_id]

    def get_many(self, tx: Tx, ctx: Context, entity: str, ids: Iterable[int],
                 fields: Sequence[str] | None = None) -> dict[int, dict[str, Any]]:
        wanted = sorted({i for i in ids if isinstance(i, int) and not isinstance(i, bool)})
        if not wanted:
            return {}
        return self.fetch(tx, ctx, entity, wanted, fields=fields)

    def version(self, tx: Tx, ctx: Context) -> int:
        return self.changelog.version(tx, ctx.company_id)

    def list(self, tx: Tx, ctx: Context, entity: str, query: Query, *,
             with_total: bool = False) -> Page:
        spec = ctx.schema.entity(entity)
        backend = tx.backend
        if isinstance(query.page, Cursor):
            return self._cursor_page(tx, ctx, spec, query, query.page)
        page, run, version = query.page, query, None
        seen = self.seen(tx, ctx, entity)
        where_key = (ctx.company_id, entity, repr(query.where),
                     None if seen is None else (ctx.user_id, ctx.app_id)) if (
            with_total or isinstance(page, Offset)) else ()
        list_key: tuple[Any, ...] | None = None
        if isinstance(page, Offset):
            version = self.version(tx, ctx)
            list_key = (*where_key, full_sort(spec, query.sort))
            if page.start:
                found = self.memory.position(list_key, page.start, version)
                if found is not None:
                    row, after = found
                    run = replace(query, page=Keyset(after, page.limit, page.start - row))
        compiled = compile_list(run, spec, ctx.company_id, backend, seen=seen)
        rows = tx.rows(compiled.sql, compiled.params)
        more = len(rows) > compiled.limit
        decode = self.decoders.get(spec, compiled.columns, backend)
        items = [decode(r) for r in rows[: compiled.limit]]
        if list_key is not None and version is not None and more and items:
            assert isinstance(page, Offset)
            last = items[-1]
            self.memory.remember(list_key, page.start + page.limit, version,
                                 tuple(last[s.field] for s in compiled.sort))
        total = None
        if with_total:
            if version is None:
                version = self.version(tx, ctx)
            total = self.memory.total(where_key, version)
            if total is None:
                start = page.start if isinstance(page, Offset) else None
                if start is not None and not more and (items or start == 0):
                    total = start + len(items)  # the last page tells its own total
                else:
                    counted = compile_count(query.where, spec, ctx.company_id, backend, seen)
                    total = int(tx.scalar(counted.sql, counted.params))
                self.memory.remember_total(where_key, version, total)
        return Page(items, more, compiled.sort, total)

    def _cursor_page(self, tx: Tx, ctx: Context, spec: EntitySpec, query: Query, page: Cursor
                     ) -> Page:
        after = decode_cursor(page.token, full_sort(spec, query.sort)) if page.token else None
        found = self.list(tx, ctx, spec.name, replace(query, page=Keyset(after, page.limit)))
        last = found.last_key()
        return replace(found, next_cursor=None if last is None else encode_cursor(found.sort, last))

    def fetch(self, tx: Tx, ctx: Context, entity: str, ids: Sequence[int], *,
              live_only: bool = False, fields: Sequence[str] | None = None,
              lock: bool = False) -> dict[int, dict[str, Any]]:
        """Records by id (those that exist). ``lock``: held for the transaction, so that a
        concurrent writer of the same records waits (PostgreSQL; SQLite has one writer)."""
        spec = ctx.schema.entity(entity)
        unique = sorted(set(ids))
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in unique):
            raise _bad("id", "ids must be integers")
        found: dict[int, dict[str, Any]] = {}
        seen, memo = self._seen(tx, ctx, entity)
        for start in range(0, len(unique), MAX_IN_VALUES):
            compiled = compile_fetch(spec, unique[start:start + MAX_IN_VALUES], ctx.company_id,
                                     tx.backend, live_only=live_only, fields=fields, lock=lock,
                                     seen=seen, memo=memo)
            decode = self.decoders.get(spec, compiled.columns, tx.backend)
            found.update({(r := decode(row))["id"]: r
                          for row in tx.rows(compiled.sql, compiled.params)})
        return found

    def uids(self, tx: Tx, ctx: Context, entity: str, ids: Sequence[int]) -> dict[int, str]:
        """Pipeliner string ids of records (deleted ones included), by integer id.

        A record's uid never changes and its id is never given to another record (rows
        are only soft-deleted), so what a read transaction (committed rows only) finds
        is remembered for good, within a bound.
        """
        known = self._uid_memory
        found = {i: u for i in ids if (u := known.get((ctx.company_id, entity, i))) is not None}
        missing = [i for i in dict.fromkeys(ids) if i not in found]
        if missing:  # (a reference's string id is the referring record's to show)
            rows = self.fetch(tx, self.trusted(ctx), entity, missing, fields=("uid",))
            found.update({i: r["uid"] for i, r in rows.items()})
            if not tx.writing:
                if len(known) > MAX_REMEMBERED_UIDS:
                    known.clear()
                known.update({(ctx.company_id, entity, i): r["uid"] for i, r in rows.items()})
        return found

    def ids(self, tx: Tx, ctx: Context, entity: str, uids: Sequence[str], *,
            live_only: bool = True) -> dict[str, int]:
        """Integer ids of the records with these Pipeliner string ids (case-insensitive)."""
        wanted = {u.upper(): u for u in uids if isinstance(u, str)}
        found: dict[str, int] = {}
        chunks = list(wanted)
        for start in range(0, len(chunks), MAX_IN_VALUES):
            chunk = chunks[start:start + MAX_IN_VALUES]
            where = all_of(Cond("uid", "in", chunk),
                           Cond("is_deleted", "eq", False) if live_only else None)
            page = self.list(tx, ctx, entity, Query(where=where, page=Keyset(None, len(chunk)),
                                                    fields=("uid",)))
            found.update({wanted[r["uid"]]: r["id"] for r in page.items if r["uid"] in wanted})
        return found

    def count(self, tx: Tx, ctx: Context, entity: str, where: Filter | None) -> int:
        counted = compile_count(where, ctx.schema.entity(entity), ctx.company_id, tx.backend,
                                self.seen(tx, ctx, entity))
        return int(tx.scalar(counted.sql, counted.params))

    def count_by(self, tx: Tx, ctx: Context, entity: str, field_name: str,
                 values: Iterable[int]) -> dict[int, int]:
        """Live records per value of a reference field (e.g. persons per organization)."""
        wanted = sorted(set(values))
        if not wanted:
            return {}
        counted = compile_count_by(ctx.schema.entity(entity), field_name, wanted, ctx.company_id,
                                   tx.backend, self.seen(tx, ctx, entity))
        return {int(k): int(n) for k, n in tx.rows(counted.sql, counted.params)}

    def sum_by(self, tx: Tx, ctx: Context, entity: str, where: Filter | None,
               group: Sequence[str], sums: Sequence[str]) -> builtins.list[Aggregate]:
        """Per distinct value of the ``group`` fields among the records meeting ``where``:
        those values, the count and the sums of ``sums`` (one aggregate statement)."""
        spec = ctx.schema.entity(entity)
        compiled = compile_sum_by(where, spec, group, sums, ctx.company_id, tx.backend,
                                  self.seen(tx, ctx, entity))
        decoders = [decoder(spec.field(name).kind, tx.backend) for name in group]
        out = []
        for row in tx.rows(compiled.sql, compiled.params):
            values = {name: v if v is None or convert is None else convert(v)
                      for name, v, convert in zip(group, row, decoders, strict=False)}
            totals = {name: float(v or 0) for name, v in zip(sums, row[len(group) + 1:],
                                                              strict=True)}
            out.append(Aggregate(values, int(row[len(group)]), totals))
        return out

    def changes(self, tx: Tx, ctx: Context, entity: str | None, record_id: int | None, *,
                after: int, before: int | None, newest_first: bool, limit: int
                ) -> builtins.list[Change]:
        return self.changelog.read(tx, ctx.company_id, entity=entity, record_id=record_id,
                                   after=after, before=before, newest_first=newest_first,
                                   limit=limit)

    def moves(self, tx: Tx, ctx: Context, entity: str, field_name: str, ids: Sequence[int],
              until: dt.datetime) -> builtins.list[tuple[int, dt.datetime, Any, Any]]:
        """How ``field_name`` of these records changed before ``until`` (creation included):
        (record id, time, old, new), oldest first per record."""
        ctx.schema.entity(entity).field(field_name)
        return self.changelog.moves(tx, ctx.company_id, entity, field_name, ids, until)

    def stage_statistics(self, tx: Tx, ctx: Context, kind: type[Statistics],
                         where: Filter | None, stages: Sequence[int], start: dt.datetime,
                         end: dt.datetime) -> Statistics:
        """A pipeline's movement or conversion statistics (``kind``) over ``[start, end)``
        of the deals meeting ``where`` that the context sees: one aggregate statement over
        them and their stage moves in the change log (``query.statistics``)."""
        compiled = compile_statistics(kind, where, ctx.schema.entity("deal"), stages, start,
                                      end, ctx.company_id, tx.backend, self.seen(tx, ctx, "deal"))
        return read_statistics(kind, tx.rows(compiled.sql, compiled.params), stages, end)

    def recent(self, tx: Tx, ctx: Context, entities: Sequence[str], since: dt.datetime,
               start: int, limit: int) -> builtins.list[tuple[str, int, int, dt.datetime]]:
        """A page of the records written since ``since`` (see ``ChangeLog.recent``): a page
        after one already served seeks from the last seq of that one (``ListMemory``), so
        a walk through them costs each page what the first costs."""
        key = ("recent", ctx.company_id, tuple(sorted(entities)), since)
        version = self.version(tx, ctx)
        after, skip = 0, start
        found = self.memory.position(key, start, version) if start else None
        if found is not None:
            row, (after,) = found
            skip = start - row
        rows = self.changelog.recent(tx, ctx.company_id, entities, since, after, skip, limit)
        if len(rows) > limit:
            self.memory.remember(key, start + limit, version, (rows[limit - 1][2],))
        return rows

    # ---- writes ------------------------------------------------------------------------

    def _validate(self, ctx: Context, spec: EntitySpec, values: Mapping[str, Any], *,
                  creating: bool) -> dict[str, Any]:
        clean: dict[str, Any] = {}
        problems: list[Problem] = []
        shape = _shape(spec)
        coercers = shape.coercers
        for name, raw in values.items():
            try:
                convert = coercers.get(name)
                if convert is None or name == "uid" and not creating:
                    spec.field(name)  # an unknown field says so
                    raise _bad(name, "is read-only", Reason.READ_ONLY)
                clean[name] = convert(raw)
            except ValidationError as error:
                problems.extend(error.problems)
        for name in shape.required:
            if (creating or name in clean) and clean.get(name) in (None, ""):
                problems.append(Problem(name, "is required", Reason.REQUIRED))
        if problems:
            raise combined(problems)
        return clean

    def _check_refs(self, lookup: _Lookup, spec: EntitySpec,
                    records: Sequence[Mapping[str, Any]]) -> None:
        """Every record referenced by these records exists and is live (one statement for
        what is not known yet); the first reference missing, in order, is the error."""
        columns = [(f, [r.get(f.name) for r in records]) for f in _shape(spec).refs]
        wanted: dict[str, list[int]] = {}
        for f, values in columns:
            ids = wanted.setdefault(f.ref or "", [])
            if f.kind is Kind.JSON:
                ids.extend(i for v in values if v for i in v)
            else:
                ids.extend(v for v in values if v is not None)
        wanted = {e: ids for e, ids in wanted.items() if ids}
        if not wanted:
            return
        live = lookup.check(wanted)
        first: tuple[int, FieldSpec, int] | None = None  # (record's place, field, id)
        for f, values in columns:
            known = live.get(f.ref or "", set())
            if f.kind is Kind.JSON:
                if all(i in known for v in values if v for i in v):
                    continue
                place, missing = next((n, next(i for i in v if i not in known))
                                      for n, v in enumerate(values)
                                      if v and any(i not in known for i in v))
            else:
                absent = set(values) - known - {None}
                if not absent:
                    continue
                place = next(n for n, v in enumerate(values) if v in absent)
                missing = values[place]
            if first is None or place < first[0]:
                first = (place, f, missing)
        if first is not None:
            _, f, missing = first
            raise _bad(f.name, f"{f.ref} {missing} not found", Reason.MISSING_RELATED)

    def _unclaimed(self, tx: Tx, ctx: Context, uids: Sequence[str]) -> None:
        """A string id chosen by the client must be new to the whole company, whatever the
        entity (deleted records keep theirs), so that one id always names one record."""
        if not uids:
            return
        wanted = sorted({u.upper() for u in uids})
        for start in range(0, len(wanted), MAX_IN_VALUES):
            chunk = wanted[start:start + MAX_IN_VALUES]
            mark = tx.mark
            value = in_values(chunk, tx.backend)
            if len(chunk) == 1:
                test = f"uid = {mark}"
            elif tx.backend == "postgresql":
                test = f"uid = ANY({mark})"
            else:
                test = f"uid IN (SELECT value FROM json_each({mark}))"
            parts = [f'SELECT uid FROM "{spec.table}" WHERE company_id = {mark} AND {test}'
                     for spec in self._uid_entities]
            params = [p for _ in self._uid_entities for p in (ctx.company_id, value)]
            found = tx.rows(" UNION ALL ".join(parts) + " LIMIT 1", params)
            if found:
                raise _taken(found[0][0])

    def _split(self, spec: EntitySpec, values: Mapping[str, Any]
               ) -> tuple[dict[str, Any], dict[str, Any]]:
        names = _shape(spec).custom
        if not names:
            return dict(values), {}
        columns = {k: v for k, v in values.items() if k not in names}
        custom = {spec.by_name[k].custom_key or k: v for k, v in values.items() if k in names}
        return columns, custom

    def _plan(self, entity: str, backend: str, columns: tuple[str, ...]
              ) -> tuple[tuple[str, Any], ...]:
        key = (entity, backend, columns)
        plan = self._encoders.get(key)
        if plan is None:
            kinds = self._kinds[entity]
            plan = self._encoders[key] = tuple(
                (c, encoder(kinds[c], backend) if c in kinds else None) for c in columns)
        return plan

    def _encoded(self, entity: str, backend: str, columns: tuple[str, ...], row: Mapping[str, Any]
                 ) -> builtins.list[Any]:
        return [v if (v := row[c]) is None or convert is None else convert(v)
                for c, convert in self._plan(entity, backend, columns)]

    def _encoded_rows(self, entity: str, backend: str, columns: tuple[str, ...],
                      rows: Sequence[Mapping[str, Any]], omittable: frozenset[str]
                      ) -> tuple[tuple[str, ...], builtins.list[tuple[Any, ...]]]:
        """``_encoded`` of many rows, a column at a time: a date-time or date repeated down
        a column (the batch's time) is encoded once, and so is an empty list. The columns
        of ``omittable`` that are null in every row are left out: the columns written and
        the rows' parameters."""
        names: builtins.list[str] = []
        encoded: builtins.list[builtins.list[Any]] = []
        kinds = self._kinds[entity]
        for c, convert in self._plan(entity, backend, columns):
            values = [r.get(c) for r in rows] if c in omittable else [r[c] for r in rows]
            if c in omittable and values.count(None) == len(values):
                continue
            if convert is not None and kinds[c] is Kind.JSON:
                empty = convert([])
                values = [v if v is None else empty if v == [] else convert(v) for v in values]
            elif convert is not None:
                done: dict[Any, Any] = {}
                values = [v if v is None else done[v] if v in done else
                          done.setdefault(v, convert(v)) for v in values]
            names.append(c)
            encoded.append(values)
        return tuple(names), builtins.list(zip(*encoded, strict=True))

    def _prepare(self, lookup: _Lookup, spec: EntitySpec, values: Mapping[str, Any],
                 now: dt.datetime) -> dict[str, Any]:
        """A new record's values: validated, defaulted and ruled (references unchecked)."""
        return self._preparer(lookup, spec, now, 1)(values)

    def _preparer(self, lookup: _Lookup, spec: EntitySpec, now: dt.datetime, count: int
                  ) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        """``_prepare`` for (about) ``count`` new records of one batch: what is the same for
        all of them (the writer's default visibility, the defaults made from the time and
        the writer, the string ids) is worked out once. A record whose values all pass
        their fields' checks is validated in one step; any other goes through
        ``_validate`` (so the errors are the same by construction)."""
        ctx = lookup.ctx
        shape = _shape(spec)
        constant, coercers, required, rules = shape.constant, shape.coercers, shape.required, spec.rules
        defaulted = "visible_to" in spec.by_name
        visible: list[Any] = []  # the writer's default, once asked
        template: dict[str, Any] = {}  # the made defaults, in order (lists and ids per record)
        lists: list[tuple[str, tuple[Any, ...]]] = []
        uid_name: str | None = None
        for name, default in shape.made:
            if default is NOW:
                template[name] = now
            elif default is CURRENT_USER:
                template[name] = ctx.user_id
            elif default is CURRENT_APP:
                template[name] = ctx.app_id
            elif default is NEW_UID:
                template[name] = None
                uid_name = name
            else:
                template[name] = None
                lists.append((name, default))
        made = frozenset(template)
        empty = [name for name, default in lists if not default]  # (most lists start empty)
        lists = [(name, default) for name, default in lists if default]
        uids = new_uids(count) if uid_name is not None and count > 0 else []
        uids.reverse()  # (taken from the end, in order)

        def uid() -> str:
            return uids.pop() if uids else new_uid()

        def prepare(values: Mapping[str, Any]) -> dict[str, Any]:
            if defaulted and "visible_to" not in values:
                if not visible:
                    visible.append(lookup.default_visibility(spec.name))
                if visible[0] is not None:  # (the writer's role says what a new record's is)
                    values = {**values, "visible_to": visible[0]}
            try:
                checked: dict[str, Any] | None = {name: coercers[name](raw)
                                                  for name, raw in values.items()}
            except (KeyError, ValidationError):
                checked = None
            else:
                for name in required:
                    if checked.get(name) in (None, ""):  # type: ignore[union-attr]
                        checked = None
                        break
            if checked is None:  # (a problem: ``_validate`` says which, as it always does)
                checked = self._validate(ctx, spec, values, creating=True)
            clean = {**constant, **checked}
            generated = False
            if made.isdisjoint(clean):
                clean.update(template)
                for name in empty:
                    clean[name] = []
                for name, default in lists:
                    clean[name] = list(default)
                if uid_name is not None:
                    clean[uid_name] = uid()
                    generated = uid_name == "uid"
            else:
                for name, default in shape.made:
                    if name in clean:
                        continue
                    if default is NEW_UID:
                        clean[name] = uid()
                        generated = name == "uid"
                    elif isinstance(default, tuple):
                        clean[name] = list(default)
                    else:
                        clean[name] = template[name]
            if "uid" in clean and not generated:
                clean["uid"] = clean["uid"].upper()
            for rule in rules:
                rule(clean, None, lookup)
            return clean
        return prepare

    def _row(self, ctx: Context, spec: EntitySpec, clean: Mapping[str, Any], *,
             with_id: bool = False) -> dict[str, Any]:
        """What the INSERT of a prepared record writes (``with_id``: an ``id`` first, to be
        given its value when the row goes in)."""
        shape = _shape(spec)
        if None in map(clean.get, shape.not_null):
            missing = [name for name in shape.not_null if clean.get(name) is None]
            raise combined([Problem(m, "must not be empty", Reason.REQUIRED) for m in missing])
        row = {"id": 0, **clean} if with_id else dict(clean)
        custom: dict[str, Any] = {}
        if shape.custom:  # (custom values go in the ``custom`` column, by key)
            for f in spec.custom:
                if f.name in row and (value := row.pop(f.name)) is not None:
                    custom[f.custom_key or f.name] = value
        row["company_id"] = ctx.company_id
        if spec.has_custom_fields:
            row["custom"] = custom
            for f in shape.slotted:
                if clean.get(f.name) is not None:
                    row[f.slot or ""] = slot_value(f.kind, clean[f.name])
        return row

    def _draft(self, lookup: _Lookup, spec: EntitySpec, values: Mapping[str, Any],
               now: dt.datetime) -> tuple[dict[str, Any], dict[str, Any]]:
        """A new record's validated values and its row (what the INSERT writes)."""
        clean = self._prepare(lookup, spec, values, now)
        self._check_refs(lookup, spec, [clean])
        return clean, self._row(lookup.ctx, spec, clean)

    def create(self, tx: Tx, ctx: Context, entity: str, values: Mapping[str, Any]) -> int:
        """A new record from canonical values; its id. A ``uid`` in ``values`` is the
        client's choice and must be new to the company."""
        spec = ctx.schema.entity(entity)
        now = self.clock()
        clean, row = self._draft(_Lookup(self, tx, ctx, entity, now), spec, values, now)
        if "uid" in values:
            self._unclaimed(tx, ctx, [clean["uid"]])
        names = tuple(row)
        try:
            record_id = int(tx.scalar(insert_sql(spec.table, names, tx.backend),
                                      self._encoded(entity, tx.backend, names, row)))
        except Exception as exc:
            if is_integrity_error(exc):
                raise _taken(clean.get("uid")) from None
            raise
        self.changelog.append(tx, ctx.company_id, entity, record_id, "create",
                              _created(clean), ctx.user_id, now)
        self._derive(tx, ctx, entity, [clean])
        self._index(tx, ctx, spec, [(record_id, clean)])
        return record_id

    def create_many(self, tx: Tx, ctx: Context, entity: str,
                    items: Sequence[Mapping[str, Any]]) -> builtins.list[int]:
        """Insert many records in the caller's transaction; their ids, in order
        (``draft`` then ``_write``, in one transaction)."""
        return self._write(tx, ctx, self.draft(tx, ctx, entity, items))

    def draft(self, tx: Tx, ctx: Context, entity: str, items: Sequence[Mapping[str, Any]]
              ) -> Draft:
        """New records made ready to go in (``Draft``): every item validated, ruled and
        reference-checked as ``create`` does (reads shared across the batch,
        ``_preparer``), then its row, change-log entry and index texts made. Nothing is
        written: ``insert`` writes them, in this transaction or a later one."""
        spec = ctx.schema.entity(entity)
        now = self.clock()
        lookup = _Lookup(self, tx, ctx, entity, now)
        prepare = self._preparer(lookup, spec, now, len(items))
        cleans = [prepare(values) for values in items]
        if cleans:
            self._check_refs(lookup, spec, cleans)
        rows = [self._row(ctx, spec, clean, with_id=tx.backend == "sqlite") for clean in cleans]
        uids = [row["uid"] for row in rows]
        if len(set(uids)) != len(uids):
            raise _taken(next(u for u in uids if uids.count(u) > 1))
        json = encoder(Kind.JSON, tx.backend) or (lambda v: v)
        return Draft(
            company_id=ctx.company_id, writer=(ctx.user_id, ctx.app_id), entity=entity,
            backend=tx.backend, items=tuple(items),
            now=now, cleans=cleans, uids=uids,
            chosen=[clean["uid"] for clean, values in zip(cleans, items, strict=True)
                    if "uid" in values],
            groups=self._grouped(entity, tx.backend, rows),
            changes=[json(_created(clean)) for clean in cleans],
            texts=([search.texts(spec, clean) for clean in cleans]
                   if entity in search.ENTITY_CODES else []),
            reads=tuple(lookup.reads))

    def insert(self, tx: Tx, ctx: Context, draft: Draft) -> builtins.list[int]:
        """Write a draft made by an earlier transaction (``draft``); the ids, in order.
        What the drafting read is asked again here first: if any answer differs (another
        writer changed it since), or another user or app of the company drafted them, the
        items are drafted again in this transaction, so the records are what
        ``create_many`` here would have made. (Their times are the draft's.)"""
        if draft.company_id != ctx.company_id:
            raise NotFound(f"{draft.entity.capitalize()} not found")
        lookup = _Lookup(self, tx, ctx, draft.entity, draft.now)
        if (draft.backend != tx.backend or draft.writer != (ctx.user_id, ctx.app_id)
                or not lookup.confirms(draft.reads)):
            draft = self.draft(tx, ctx, draft.entity, draft.items)
        return self._write(tx, ctx, draft, per_statement=True)

    def _write(self, tx: Tx, ctx: Context, draft: Draft, *, per_statement: bool = False
               ) -> builtins.list[int]:
        """Insert a draft's rows, change-log rows and index rows; their ids, in order
        (``per_statement``: the index rows as ``search_index.put`` says, for a writer on
        a thread of its own).

        SQLite: the rows take the ids that follow the table's last (the transaction holds
        the one write lock), written with them in multi-row INSERTs (``Tx.many_rows``),
        which need nothing back. PostgreSQL pipelines single-row INSERTs that return
        their ids.
        """
        if not draft.cleans:
            return []
        spec = ctx.schema.entity(draft.entity)
        self._unclaimed(tx, ctx, draft.chosen)
        try:
            if tx.backend == "sqlite":
                first = int(tx.scalar(f'SELECT coalesce(max(id), 0) + 1 FROM "{spec.table}"'))
                for names, places, params in draft.groups:  # (each row's id is its first value)
                    tx.many_rows(partial(insert_sql, spec.table, names, "sqlite", ()),
                                 [(first + n, *p[1:]) for n, p in zip(places, params,
                                                                      strict=True)])
                ids = builtins.list(range(first, first + len(draft.cleans)))
            else:
                made: dict[str, int] = {}
                for names, _, params in draft.groups:
                    made.update({uid: int(i) for i, uid in tx.many_returning(
                        insert_sql(spec.table, names, tx.backend, ("id", "uid")), params)})
                ids = [made[uid] for uid in draft.uids]
        except Exception as exc:
            if is_integrity_error(exc):
                raise _taken("") from None
            raise
        entity, company_id, user_id, now = draft.entity, ctx.company_id, ctx.user_id, draft.now
        self.changelog.append_many(tx, [
            (company_id, entity, record_id, "create", changes, user_id, now)
            for record_id, changes in zip(ids, draft.changes, strict=True)], encoded=True)
        self._derive(tx, ctx, entity, draft.cleans)
        if draft.texts:
            self._put_index(tx, company_id, entity, builtins.list(zip(ids, draft.texts,
                                                                      strict=True)),
                            per_statement=per_statement)
        return ids

    def _grouped(self, entity: str, backend: str, rows: Sequence[Mapping[str, Any]]
                 ) -> builtins.list[tuple[tuple[str, ...], builtins.list[int],
                                          builtins.list[tuple[Any, ...]]]]:
        """New rows of one entity as their INSERTs take them: grouped by the columns they
        set, a row that leaves out only columns whose own default is null going with the
        rows that set them (as null), so that rows usually go in as one group, in their
        order (a column null in all of a group's rows goes unwritten there: fewer values
        to bind). Per group: its columns, its rows' places in ``rows``, their parameters."""
        omittable = self._omittable[entity]
        kinds = [tuple(row) for row in rows]
        distinct = dict.fromkeys(kinds)
        union = tuple(dict.fromkeys(c for shape in distinct for c in shape))
        into = {shape: union if omittable.issuperset(set(union).difference(shape)) else shape
                for shape in distinct}
        shapes: dict[tuple[str, ...], tuple[builtins.list[int],
                                            builtins.list[Mapping[str, Any]]]] = {}
        for place, (row, shape) in enumerate(zip(rows, kinds, strict=True)):
            places, group = shapes.setdefault(into[shape], ([], []))
            places.append(place)
            group.append(row)
        out = []
        for columns, (places, group) in shapes.items():
            names, params = self._encoded_rows(entity, backend, columns, group, omittable)
            out.append((names, places, params))
        return out

    def update(self, tx: Tx, ctx: Context, entity: str, record_id: int,
               values: Mapping[str, Any]) -> None:
        """Change some fields of a live record. The record is read locked (PostgreSQL),
        so concurrent updates of it apply one after the other, each on what the one
        before it wrote, and each change-log row holds the true old values."""
        spec = ctx.schema.entity(entity)
        clean = self._validate(ctx, spec, values, creating=False)
        now = self.clock()
        lookup = _Lookup(self, tx, ctx, entity, now)
        before = self.fetch(tx, ctx, entity, [record_id], live_only=True, lock=True).get(record_id)
        if before is None:
            raise NotFound(f"{entity.capitalize()} not found")
        for rule in spec.rules:
            rule(clean, before, lookup)
        changed = {k: v for k, v in clean.items() if before.get(k) != v}
        self._check_refs(lookup, spec, [changed])
        columns, custom = self._split(spec, changed)
        columns["updated_at"] = now
        if custom:
            merged = {f.custom_key: before.get(f.name) for f in spec.custom}
            merged.update(custom)
            columns["custom"] = {k: (v.isoformat() if isinstance(v, dt.date) else v)
                                 for k, v in merged.items() if v is not None}
            for f in _shape(spec).slotted:
                if f.name in changed:
                    columns[f.slot or ""] = slot_value(f.kind, changed[f.name])
        names = tuple(columns)
        tx.run(update_sql(spec.table, names, tx.backend),
               [*self._encoded(entity, tx.backend, names, columns), ctx.company_id, record_id])
        self.changelog.append(tx, ctx.company_id, entity, record_id, "update",
                              {k: [before.get(k), v] for k, v in changed.items()},
                              ctx.user_id, now)
        if not self._deriving_fields.get(entity, frozenset()).isdisjoint(changed):
            self._derive(tx, ctx, entity, [before, {**before, **changed}])
        if entity in search.ENTITY_CODES and not _searched(spec).isdisjoint(changed):
            self._index(tx, ctx, spec, [(record_id, {**before, **changed})], replacing=True)

    def delete(self, tx: Tx, ctx: Context, entity: str, ids: Sequence[int], *,
               merged_into: int | None = None) -> builtins.list[int]:
        """Soft-delete every id, all or nothing; NotFound if any id is missing or deleted.
        ``merged_into``: the record they were merged into (said in the change log)."""
        if len(ids) > MAX_BULK:
            raise _bad("ids", f"at most {MAX_BULK} ids at once", Reason.BAD_PARAMETER)
        spec = ctx.schema.entity(entity)
        unique = list(dict.fromkeys(ids))
        if not unique:
            raise _bad("ids", "give at least one id", Reason.BAD_PARAMETER)
        wanted = None if entity in self._derived else ("id",)  # what the derived fields need
        live = self.fetch(tx, ctx, entity, unique, live_only=True, fields=wanted, lock=True)
        missing = [i for i in unique if i not in live]
        if missing:
            raise NotFound(f"{entity.capitalize()} not found: {', '.join(map(str, missing))}")
        now = self.clock()
        names = ("is_deleted", "updated_at")
        tx.run(update_sql(spec.table, names, tx.backend, ids=len(unique)),
               [*self._encoded(entity, tx.backend, names, {"is_deleted": True, "updated_at": now}),
                ctx.company_id, *unique])
        logged: dict[str, list[Any]] = {"is_deleted": [False, True]}
        if merged_into is not None:
            logged[MERGED_TO] = [None, merged_into]
        self.changelog.append_many(tx, [
            (ctx.company_id, entity, record_id, "delete", logged, ctx.user_id, now)
            for record_id in unique])
        self._derive(tx, ctx, entity, list(live.values()))
        if entity in search.ENTITY_CODES:
            search_index.remove(tx, [search.key(entity, i) for i in unique])
        return unique

    def merge(self, tx: Tx, ctx: Context, entity: str, source: int, target: int) -> None:
        """Merge the live record ``source`` into the live record ``target``: every record
        that points at the source (by a reference or in a list of ids) points at the target
        instead, the target takes the source's contact points (persons) and participants it
        lacks, and the source is deleted. Each move is an update of its own (change log,
        derived fields)."""
        if source == target:
            raise _bad("merge_with_id", "a record cannot be merged with itself")
        found = self.fetch(tx, ctx, entity, [source, target], live_only=True, lock=True)
        if source not in found or target not in found:
            raise NotFound(f"{entity.capitalize()} not found")
        # Both are the caller's to see; what points at the source moves whoever sees it.
        ctx = self.trusted(ctx)
        for child in self.registry.builtins.values():
            for f in child.columns:  # references (lists of ids are not moved yet)
                if f.ref != entity or f.kind is not Kind.REF or f.derived is not None \
                        or f.readonly:
                    continue
                page = self.list(tx, ctx, child.name, Query(
                    where=all_of(Cond(f.name, "eq", source), Cond("is_deleted", "eq", False)),
                    page=Keyset(None, 10_000)))
                for row in page.items:
                    self.update(tx, ctx, child.name, row["id"], {f.name: target})
        old, new = found[source], found[target]
        spec = ctx.schema.entity(entity)
        kept: dict[str, Any] = {}
        for f in spec.columns:
            if f.kind is not Kind.JSON or f.readonly or f.name == "label_ids":
                continue
            if f.name in ("emails", "phones"):
                values = {i["value"] for i in new[f.name] or ()}
                extra = [dict(i, primary=False) for i in old[f.name] or () if i["value"] not in values]
                if extra:
                    kept[f.name] = [*new[f.name], *extra]
            elif f.ref is not None:
                primary = next((g.name for g in spec.columns if g.ref == f.ref and g.kind is Kind.REF
                                and g.name in ("person_id", "organization_id")), None)
                ids = list(new[f.name] or ())
                mine = new.get(primary) if primary else None
                for other in (*(old[f.name] or ()), old.get(primary) if primary else None):
                    if other is not None and other not in ids and other != mine:
                        ids.append(other)
                if ids != list(new[f.name] or ()):
                    kept[f.name] = ids
        if kept:
            self.update(tx, ctx, entity, target, kept)
        # The merge itself, in the log: the survivor names the absorbed record, whose
        # delete names the survivor (webhooks tell merges from updates and deletes by them).
        self.changelog.append(tx, ctx.company_id, entity, target, "update",
                              {MERGED_FROM: [None, source]}, ctx.user_id, self.clock())
        self.delete(tx, ctx, entity, [source], merged_into=target)

    def duplicate(self, tx: Tx, ctx: Context, entity: str, record_id: int) -> int:
        """A new record with every value a client could have written to the live record
        ``record_id`` (not its string id, nor what is derived); its id."""
        found = self.fetch(tx, ctx, entity, [record_id], live_only=True).get(record_id)
        if found is None:
            raise NotFound(f"{entity.capitalize()} not found")
        spec = ctx.schema.entity(entity)
        return self.create(tx, ctx, entity, {
            f.name: found[f.name] for f in spec.fields
            if not (f.readonly or f.virtual or f.derived is not None or f.name == "uid")
            and found.get(f.name) is not None})

    def convert(self, tx: Tx, ctx: Context, entity: str, record_id: int,
                extra: Mapping[str, Any]) -> int:
        """A new record of the other kind made from the live lead (``entity`` "lead") or
        deal ("deal") ``record_id``: every value a client could have written that both
        kinds have (custom fields included, labels not: they are of different kinds),
        ``extra`` on top; the source's activities and notes (every record that refers to
        both kinds) move to it. The source stays: the caller deletes it. The new id."""
        target = CONVERTS_TO[entity]
        found = self.fetch(tx, ctx, entity, [record_id], live_only=True, lock=True).get(record_id)
        if found is None:
            raise NotFound(f"{entity.capitalize()} not found")
        mine, theirs = ctx.schema.entity(entity), ctx.schema.entity(target)
        values = {f.name: found[f.name] for f in mine.fields
                  if f.name in theirs.by_name and f.name not in NOT_CONVERTED
                  and not (f.readonly or f.virtual or f.derived is not None)
                  and not theirs.by_name[f.name].readonly and found.get(f.name) is not None}
        made = self.create(tx, ctx, target, {**values, **extra})
        for child in self.registry.builtins.values():
            here, there = (next((f.name for f in child.columns if f.ref == kind
                                 and f.kind is Kind.REF and f.nullable and not f.readonly
                                 and f.derived is None), None) for kind in (entity, target))
            if here is None or there is None:
                continue
            page = self.list(tx, ctx, child.name, Query(
                where=all_of(Cond(here, "eq", record_id), Cond("is_deleted", "eq", False)),
                page=Keyset(None, 10_000)))
            for row in page.items:
                self.update(tx, ctx, child.name, row["id"], {here: None, there: made})
        return made

    # ---- the full-text index ------------------------------------------------------------

    def _index(self, tx: Tx, ctx: Context, spec: EntitySpec,
               records: Sequence[tuple[int, Mapping[str, Any]]], *, replacing: bool = False
               ) -> None:
        """Write the index rows of these records (``replacing``: their old rows go first)."""
        if spec.name not in search.ENTITY_CODES or not records:
            return
        self._put_index(tx, ctx.company_id, spec.name,
                        [(record_id, search.texts(spec, record)) for record_id, record in records],
                        replacing=replacing)

    @staticmethod
    def _put_index(tx: Tx, company_id: int, entity: str,
                   texts: Sequence[tuple[int, Mapping[int, str]]], *, replacing: bool = False,
                   per_statement: bool = False) -> None:
        """Write the index rows of records, given their texts by group code (``replacing``:
        their old rows go first; ``per_statement``: see ``search_index.put``)."""
        search_index.put(tx, company_id, [(search.key(entity, record_id) + code, text)
                                          for record_id, by_code in texts
                                          for code, text in by_code.items()],
                         [search.key(entity, i) for i, _ in texts] if replacing else (),
                         per_statement=per_statement)

    def reindex(self, tx: Tx, ctx: Context) -> None:
        """The company's index rows made afresh from its live records (after rows were
        loaded around the service, or to repair)."""
        search_index.clear(tx, ctx.company_id)
        for entity in search.ENTITY_CODES:
            spec = ctx.schema.entity(entity)
            after: tuple[Any, ...] | None = None
            while True:
                page = self.list(tx, ctx, entity, Query(
                    where=Cond("is_deleted", "eq", False), page=Keyset(after, 5000),
                    fields=("id", *sorted(_searched(spec)))))
                self._index(tx, ctx, spec, [(r["id"], r) for r in page.items])
                after = page.last_key()
                if after is None:
                    break

    def search(self, tx: Tx, ctx: Context, entities: Sequence[str], term: Term,
               groups: Sequence[str] | None = None, where: Filter | None = None
               ) -> builtins.list[Hit]:
        """The live records of ``entities`` whose searched fields (of ``groups``, by
        default all) match ``term`` and that meet ``where``, best first (score, then
        newest). At most ``MAX_CANDIDATES`` index rows are read: the shortest texts
        first (a whole value or its start before a word deep in a long text)."""
        codes: dict[int, tuple[str, str]] = {}  # entity << 4 | group -> (entity, group)
        by_notes: builtins.list[str] = []
        for entity in entities:
            spec = ctx.schema.entity(entity)
            names = set(search.groups(spec)) | ({search.NOTES} if entity in search.NOTE_PARENTS
                                                else set())
            for group in names if groups is None else names.intersection(groups):
                if group == search.NOTES:
                    by_notes.append(entity)
                    continue
                codes[search.ENTITY_CODES[entity] << 4 | search.GROUPS[group]] = (entity, group)
        if by_notes:
            codes[search.ENTITY_CODES["note"] << 4 | search.GROUPS[search.NOTES]] = (
                "note", search.NOTES)
        rows = search_index.query(tx, ctx.company_id, term.words, term.exact, list(codes))
        hits: dict[tuple[str, int], Hit] = {}
        notes: dict[int, float] = {}
        for found, text in rows:
            entity, record_id, group_code = search.unkey(found)
            lines = text.splitlines()
            if term.exact and term.whole not in lines:
                continue
            score = search.WEIGHTS.get(group_code, 0.1) * term.quality(lines)
            if not score:
                continue
            if entity == "note":
                notes[record_id] = score
                continue
            hit = hits.setdefault((entity, record_id), Hit(entity, record_id, 0.0))
            hit.score = max(hit.score, score)
            hit.groups.add(codes[(search.ENTITY_CODES[entity] << 4) | group_code][1])
        if notes:
            wanted = ("id", *(search.NOTE_PARENTS[e] for e in by_notes))
            parents: dict[str, set[int]] = {}
            for note in self.fetch(tx, ctx, "note", sorted(notes), live_only=True,
                                   fields=wanted).values():
                for entity in by_notes:
                    parent = note.get(search.NOTE_PARENTS[entity])
                    if parent is None:
                        continue
                    parents.setdefault(entity, set()).add(parent)
                    hit = hits.setdefault((entity, parent), Hit(entity, parent, 0.0, live=False))
                    hit.score = max(hit.score, notes[note["id"]])
                    hit.groups.add(search.NOTES)
                    hit.notes.append(note["id"])
            for entity, ids in parents.items():  # a note's record may be deleted
                live = self.fetch(tx, ctx, entity, sorted(ids), live_only=True, fields=("id",))
                for i in ids:
                    if i not in live and not hits[(entity, i)].live:
                        del hits[(entity, i)]
        self._recheck_custom(tx, ctx, term, hits)
        if where is not None or not (ctx.is_admin or ctx.user_id is None):
            self._narrow(tx, ctx, hits, where)  # (and what the caller does not see goes)
        return sorted(hits.values(), key=lambda h: (-h.score, -h.id, h.entity))

    def _narrow(self, tx: Tx, ctx: Context, hits: dict[tuple[str, int], Hit],
                where: Filter | None) -> None:
        """Keep the hits whose records meet ``where`` (one statement per 500 of them)."""
        by_entity: dict[str, builtins.list[int]] = {}
        for entity, record_id in hits:
            by_entity.setdefault(entity, []).append(record_id)
        for entity, ids in by_entity.items():
            kept: set[int] = set()
            for start in range(0, len(ids), MAX_IN_VALUES):
                chunk = ids[start:start + MAX_IN_VALUES]
                page = self.list(tx, ctx, entity, Query(
                    where=all_of(Cond("id", "in", chunk), where), page=Keyset(None, len(chunk)),
                    fields=("id",)))
                kept.update(r["id"] for r in page.items)
            for record_id in ids:
                if record_id not in kept:
                    del hits[(entity, record_id)]

    def _recheck_custom(self, tx: Tx, ctx: Context, term: Term,
                        hits: dict[tuple[str, int], Hit]) -> None:
        """Drop the hits found by custom field text alone that their current custom
        fields do not match: the index may still hold the text of a field deleted since."""
        only: dict[str, builtins.list[int]] = {}
        for (entity, record_id), hit in hits.items():
            if hit.groups == {search.CUSTOM}:
                only.setdefault(entity, []).append(record_id)
        for entity, ids in only.items():
            names = search.groups(ctx.schema.entity(entity)).get(search.CUSTOM, ())
            found = self.fetch(tx, ctx, entity, ids, fields=("id", *names)) if names else {}
            for record_id in ids:
                record = found.get(record_id)
                if record is None or not term.quality(
                        [search.plain(record.get(n)) for n in names]):
                    del hits[(entity, record_id)]

    def rederive(self, tx: Tx, ctx: Context) -> None:
        """Every derived field of every record of the company, computed afresh (after rows
        were loaded around the service, or to repair)."""
        for child, groups in sorted(self._derived.items()):
            for parent, _, fields in groups:
                compiled = compile_derive(ctx.schema.entity(parent), fields,
                                          ctx.schema.entity(child), None, ctx.company_id,
                                          tx.backend)
                tx.run(compiled.sql, compiled.params)

    def _derive(self, tx: Tx, ctx: Context, entity: str,
                records: Sequence[Mapping[str, Any]]) -> None:
        """Bring the derived fields that records of ``entity`` feed up to date, for every
        record these (as they were and are now) point at. The parents are locked first
        (PostgreSQL), so that the aggregates are computed after any concurrent writer of
        the same parents has committed."""
        for parent, ref, fields in self._derived.get(entity, ()):
            ids = sorted({i for r in records if isinstance(i := r.get(ref), int)})
            if not ids:
                continue
            spec = ctx.schema.entity(parent)
            for start in range(0, len(ids), MAX_IN_VALUES):
                chunk = ids[start:start + MAX_IN_VALUES]
                if tx.backend == "postgresql":
                    self.fetch(tx, ctx, parent, chunk, fields=("id",), lock=True)
                compiled = compile_derive(spec, fields, ctx.schema.entity(entity), chunk,
                                          ctx.company_id, tx.backend)
                tx.run(compiled.sql, compiled.params)


__all__ = ["MAX_BULK", "Context", "Draft", "Hit", "Page", "Records", "new_uid", "utcnow"]
