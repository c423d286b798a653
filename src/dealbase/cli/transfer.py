"""``dealbase import`` and ``dealbase export``: records as CSV or JSON Lines.

Both go through the records service (never SQL). An import streams its file, turns each
row into canonical values (columns mapped to fields by header name, label or custom field
name, or by ``--map column=field``), and writes a batch of rows per write unit with
``Unit.batch``: each row in its own savepoint, so a bad row writes nothing and the good
rows go in. ``--key`` updates the record that already has the row's value of that field
instead of creating a duplicate. An import of new records (no ``--key``, no dry run) is
pipelined: each batch is drafted in a read unit (names resolved, ``Unit.draft``) while a
thread of its own writes the batch before (``Unit.insert``, which reads again what the
draft relied on and drafts again if it changed); a batch with a refused row, or whose
names resolve otherwise in its write unit, is written by ``Unit.batch``, as above, so
the outcomes are the same either way. An export streams the live records, a page at a
time, in one read transaction (one consistent snapshot).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import io
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from .accounts import company_context, company_option, database_option, failures, open_service

if TYPE_CHECKING:
    from ..domain.errors import ValidationError
    from ..domain.spec import EntitySpec, FieldSpec
    from ..service import Context, Draft, Outcome, Service, Unit

ENTITIES = {"deals": "deal", "persons": "person", "organizations": "organization",
            "products": "product", "activities": "activity"}
SINGULAR = {v: v for v in ENTITIES.values()}
FORMATS = ("csv", "jsonl")
BATCH = 1000  # rows per write unit: big enough to amortise a commit, small enough to bound memory
SKIPPED_ON_EXPORT = frozenset({"uid"})
KEYS_PER_QUERY = 500  # key values per "in" condition (the query engine's limit)
# Header names (normalised) that mean a field whatever the entity.
ALIASES = {"email": "emails", "e_mail": "emails", "phone": "phones", "org_id": "organization_id",
           "organization": "organization_id", "person": "person_id", "owner": "owner_id",
           "user_id": "owner_id", "stage": "stage_id", "pipeline": "pipeline_id"}
# Key names that mean "the first item of a contact list" (a person's primary e-mail).
LIST_KEYS = {"emails": "emails#0", "phones": "phones#0"}
TRUE, FALSE = {"true", "yes", "y", "1", "t"}, {"false", "no", "n", "0", "f"}


# What a reference column may name a record by instead of its id (users: e-mail or name).
NAMED_BY = {"organization": ("name",), "person": ("name",), "product": ("name",),
            "pipeline": ("name",), "stage": ("name",), "deal": ("title",),
            "user": ("email", "name")}
MAX_NAMES = 10_000  # records of one kind one name may match (the rest is "many")


@dataclass(frozen=True)
class Named:
    """A reference cell that names a record (an organization's name, a user's e-mail)
    rather than giving its id: resolved to the id of the one live record so named."""

    text: str


def _norm(name: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in name.strip().lower()).split())


def _entity(name: str) -> str:
    key = name.strip().lower()
    found = ENTITIES.get(key) or SINGULAR.get(key)
    if found is None:
        raise click.ClickException(f"{name!r} is not an entity: use one of {', '.join(ENTITIES)}")
    return found


def exported_fields(spec: EntitySpec) -> list[FieldSpec]:
    """What an export writes by default: ``id`` and every field a client may write."""
    return [f for f in spec.fields if f.name == "id" or (
        not f.readonly and not f.virtual and f.derived is None and f.name not in SKIPPED_ON_EXPORT)]


def header_of(f: FieldSpec) -> str:
    """A field's column: custom fields by their name (sub-values: "name part"), others by
    canonical name."""
    return f.label if f.is_custom else f.name


class Fields:
    """An entity's fields by every name a column may use."""

    def __init__(self, spec: EntitySpec) -> None:
        self.spec = spec
        self.by_name: dict[str, FieldSpec] = {}
        for f in spec.fields:  # canonical names win, then custom names, then labels
            self.by_name.setdefault(f.name.lower(), f)
        for f in spec.fields:
            if f.is_custom:
                self.by_name.setdefault(f.label.strip().lower(), f)
                self.by_name.setdefault(_norm(f.label), f)
        for f in spec.fields:
            self.by_name.setdefault(_norm(f.name), f)
            if f.label and not f.is_custom:
                self.by_name.setdefault(_norm(f.label), f)
        for alias, name in ALIASES.items():
            if name in spec.by_name:
                self.by_name.setdefault(alias, spec.by_name[name])

    def find(self, name: str) -> FieldSpec | None:
        return self.by_name.get(name.strip().lower()) or self.by_name.get(_norm(name))


# ---- values: to and from text --------------------------------------------------------------

def _labels(f: FieldSpec) -> dict[str, int]:
    return {o.label.strip().lower(): o.id for o in f.options}


def _option(f: FieldSpec, labels: dict[str, int], raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = str(raw).strip()
    found = labels.get(text.lower())
    if found is None:
        if text.isdigit() and int(text) in labels.values():
            return int(text)
        raise ValueError(f"{text!r} is not an option of {f.label or f.name}")
    return found


def _split(raw: str) -> list[str]:
    return [p.strip() for p in raw.split(";") if p.strip()]


def reader_of(f: FieldSpec) -> Callable[[Any], Any]:
    """A function turning a cell (text from CSV, any JSON value from JSON Lines) into the
    field's canonical value; it raises ValueError with a message for a bad one."""
    from ..domain.types import Kind

    if f.options and f.field_type in ("enum", "set"):
        labels = _labels(f)
        if f.field_type == "enum":
            return lambda raw: _option(f, labels, raw)

        def options(raw: Any) -> list[int]:
            items = raw if isinstance(raw, list) else _split(str(raw))
            return [_option(f, labels, v) for v in items]
        return options
    if f.kind in (Kind.INT, Kind.REF):
        def integer(raw: Any) -> Any:
            if isinstance(raw, str):
                text = raw.strip()
                try:
                    return int(text)
                except ValueError:
                    if f.kind is Kind.REF and f.ref in NAMED_BY and text:
                        return Named(text)  # (found by name in the write unit)
                    try:
                        number = float(text)  # "3.0" from a spreadsheet
                    except ValueError:
                        number = 0.5
                    if not number.is_integer():
                        raise ValueError(f"{text!r} is not a whole number") from None
                    return int(number)
            return raw
        return integer
    if f.kind is Kind.FLOAT:
        def number(raw: Any) -> Any:
            if not isinstance(raw, str):
                return raw
            try:
                return float(raw.strip().replace(",", ""))
            except ValueError:
                raise ValueError(f"{raw!r} is not a number") from None
        return number
    if f.kind is Kind.BOOL:
        def boolean(raw: Any) -> Any:
            if not isinstance(raw, str):
                return raw
            text = raw.strip().lower()
            if text in TRUE or text in FALSE:
                return text in TRUE
            raise ValueError(f"{raw!r} is not true or false")
        return boolean
    if f.kind is Kind.JSON:
        def structured(raw: Any) -> Any:
            if not isinstance(raw, str):
                return raw
            text = raw.strip()
            if text[:1] in ("[", "{"):
                try:
                    return json.loads(text)
                except ValueError:
                    raise ValueError("is not valid JSON") from None
            parts = _split(text)
            if f.ref and not all(p.isdigit() for p in parts):
                raise ValueError(f"{raw!r} is not a list of ids (1; 2; 3)")
            return [int(p) for p in parts] if f.ref else parts
        return structured
    return lambda raw: raw


def _text(f: FieldSpec, value: Any, labels: Mapping[int, str], jsonl: bool) -> Any:
    """A canonical value as an export cell (enum and set options by label)."""
    if value is None:
        return None if jsonl else ""
    if labels:
        if isinstance(value, list):
            names = [labels.get(v, str(v)) for v in value]
            return names if jsonl else "; ".join(names)
        return labels.get(value, value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if jsonl:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


# ---- reading a file -----------------------------------------------------------------------

class _Counting(io.RawIOBase):
    """A binary file that counts the bytes read (for the progress bar)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.done = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.done += n or 0
        return n or 0


def _format(path: Path, given: str | None) -> str:
    if given is not None:
        return given
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv"


def _rows(text: IO[str], fmt: str
          ) -> tuple[list[str], Iterator[tuple[int, Mapping[str, Any] | list[str]]]]:
    """The file's columns and its rows as (row number as an editor shows it, cells): a CSV
    row of the header's width as its list of cells, any other row as a mapping."""
    if fmt == "csv":
        reader = csv.reader(text)
        try:
            header = next(reader)
        except StopIteration:
            return [], iter(())
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]

        def rows() -> Iterator[tuple[int, Mapping[str, Any] | list[str]]]:
            width = len(header)
            for number, cells in enumerate(reader, start=2):
                if not cells:
                    continue
                if len(cells) != width:
                    yield number, {"": f"has {len(cells)} cells; the header has {width}"}
                    continue
                yield number, cells
        return header, rows()
    first = text.readline()
    if not first.strip():
        return [], iter(())
    try:
        head = json.loads(first)
    except ValueError:
        raise click.ClickException("line 1 is not JSON; JSON Lines has one object per line"
                                   ) from None
    if not isinstance(head, dict):
        raise click.ClickException("line 1 is not a JSON object")

    def lines() -> Iterator[tuple[int, Mapping[str, Any]]]:
        yield 1, head
        for number, line in enumerate(text, start=2):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError:
                yield number, {"": "is not valid JSON"}
                continue
            yield number, item if isinstance(item, dict) else {"": "is not a JSON object"}
    return list(head), lines()


# ---- the mapping ----------------------------------------------------------------------------

@dataclass
class Plan:
    """How the columns become fields, and the key that finds existing records."""

    entity: str
    columns: dict[str, tuple[FieldSpec, Callable[[Any], Any]]]
    key: str | None = None  # canonical field (or ``emails#0``) the key compares
    key_field: str | None = None  # the field the key value is taken from
    column_of: dict[str, str] = field(default_factory=dict)  # field name -> column

    def row(self, cells: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """The row's canonical values, or its problems as (column, message)."""
        if "" in cells and isinstance(cells[""], str) and len(cells) == 1:
            return {}, [("", cells[""])]
        values: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for column, raw in cells.items():
            found = self.columns.get(column)
            if found is None or raw is None or raw == "":
                continue
            spec, read = found
            try:
                values[spec.name] = read(raw)
            except (ValueError, TypeError) as exc:
                problems.append((column, str(exc)))
        return values, problems

    def cells(self, header: Sequence[str]
              ) -> Callable[[list[str]], tuple[dict[str, Any], list[tuple[str, str]]]]:
        """``row`` of a CSV row given as its list of cells (the header's width), without
        making the mapping: the same values and problems, in the same order (a column
        named twice reads its last cell, where the first one stands)."""
        if "" in header:  # (``row`` reads a lone "" column as a problem: keep its way)
            return lambda cells: self.row(dict(zip(header, cells, strict=True)))
        last = {name: n for n, name in enumerate(header)}
        picks = [(last[name], name, *self.columns[name]) for name in dict.fromkeys(header)
                 if name in self.columns]

        def read(cells: list[str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
            values: dict[str, Any] = {}
            problems: list[tuple[str, str]] = []
            for n, column, spec, convert in picks:
                raw = cells[n]
                if raw == "":
                    continue
                try:
                    values[spec.name] = convert(raw)
                except (ValueError, TypeError) as exc:
                    problems.append((column, str(exc)))
            return values, problems
        return read

    def key_of(self, values: Mapping[str, Any]) -> Any:
        if self.key_field is None:
            return None
        value = values.get(self.key_field)
        if self.key != self.key_field:  # the first item of a contact list
            if not value:
                return None
            first = value[0]
            return first.get("value") if isinstance(first, dict) else first
        return value


def make_plan(spec: EntitySpec, header: Sequence[str], maps: Sequence[str],
              key: str | None) -> Plan:
    fields = Fields(spec)
    chosen: dict[str, str | None] = {}
    for item in maps:
        column, sep, name = item.partition("=")
        if not sep or not column.strip():
            raise click.ClickException(f"--map {item!r} is not COLUMN=FIELD (or COLUMN= to skip it)")
        chosen[column.strip()] = name.strip() or None
    columns: dict[str, tuple[FieldSpec, Callable[[Any], Any]]] = {}
    ids: list[str] = []
    unknown: list[str] = []
    for column in header:
        if column.strip() in chosen:
            target = chosen[column.strip()]
            if target is None:
                continue
            f = fields.find(target)
            if f is None:
                raise click.ClickException(f"--map {column}={target}: {spec.name} has no field {target!r}")
        else:
            f = fields.find(column)
            if f is None:
                unknown.append(column)
                continue
        if f.name == "id":
            ids.append(column)  # read only as a key: it names a record of the exporting database
            continue
        if f.readonly or f.virtual or f.derived is not None:
            raise click.ClickException(f"column {column!r} maps to the read-only field {f.name!r}; "
                                       f"skip it with --map '{column}='")
        columns[column] = (f, reader_of(f))
    if unknown:
        raise click.ClickException(
            f"{len(unknown)} column(s) match no {spec.name} field: "
            f"{', '.join(repr(c) for c in unknown[:5])}; map them with --map COLUMN=FIELD "
            "or skip them with --map COLUMN=")
    plan = Plan(spec.name, columns, column_of={f.name: c for c, (f, _) in columns.items()})
    if key is not None:
        f = fields.find(key)
        if f is None:
            raise click.ClickException(f"--key {key}: {spec.name} has no field {key!r}")
        if f.name == "id" and ids:
            columns[ids[0]] = (f, reader_of(f))
            plan.column_of["id"] = ids[0]
        if f.name not in plan.column_of:
            raise click.ClickException(f"--key {key}: no column of the file maps to {f.name!r}")
        plan.key_field = f.name
        plan.key = LIST_KEYS.get(f.name, f.name)
    return plan


# ---- importing ------------------------------------------------------------------------------

@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    failed: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # kept when no report


class _DryRun(Exception):
    """Raised at the end of a dry run's write unit, to roll it back."""


class _Redo(Exception):
    """Raised in a drafted batch's write unit when its names resolve otherwise now."""


def _unnamed(failure: tuple[str, str]) -> ValidationError:
    """The refusal of a row whose name of a record resolved to none or several
    (``_resolve_names``: the field, and why)."""
    from ..domain.errors import Reason, invalid

    return invalid(*failure, Reason.MISSING_RELATED)


def _written_values(values: dict[str, Any]) -> dict[str, Any]:
    """A row's values to write: an ``id`` column is the key's value, not a field."""
    return {k: v for k, v in values.items() if k != "id"} if "id" in values else values


def _problems(error: Exception, plan: Plan) -> list[tuple[str, str]]:
    from ..domain.errors import DealbaseError

    if isinstance(error, DealbaseError) and error.problems:
        return [(plan.column_of.get(p.field or "", p.field or ""), p.message) for p in error.problems]
    return [("", getattr(error, "message", str(error)))]


def _existing(unit: Unit, plan: Plan, keys: Sequence[Any]) -> dict[Any, int]:
    """The first live record (by id) per key value."""
    from ..query.ast import Cond, Keyset, Query
    from ..service import live

    assert plan.key is not None
    found: dict[Any, int] = {}
    wanted = list(dict.fromkeys(keys))
    for start in range(0, len(wanted), KEYS_PER_QUERY):
        chunk = wanted[start:start + KEYS_PER_QUERY]
        after: tuple[Any, ...] | None = None
        while True:
            page = unit.list(plan.entity, Query(where=live(Cond(plan.key, "in", chunk)),
                                                page=Keyset(after, 1000),
                                                fields=("id", plan.key_field or "id")))
            for record in page.items:
                value = plan.key_of(record)
                found.setdefault(value, int(record["id"]))
            after = page.last_key()
            if after is None:
                break
    return found


def _resolve_names(unit: Unit, plan: Plan, rows: list[tuple[int, dict[str, Any]]]
                   ) -> dict[int, tuple[str, str]]:
    """Reference cells that name records become their ids, in place (one query per kind
    and field); per row index, the field whose name could not be resolved and why (no
    record, or several, is so named)."""
    from ..query.ast import Cond, Keyset, Query
    from ..service import live

    spec = unit.schema.entity(plan.entity)
    named = [(index, name, value) for index, (_, values) in enumerate(rows)
             for name, value in values.items() if type(value) is Named]
    wanted: dict[str, set[str]] = {}
    for _, name, value in named:
        wanted.setdefault(spec.field(name).ref or "", set()).add(value.text)
    found: dict[tuple[str, str], set[int]] = {}
    for entity, texts in wanted.items():
        for attribute in NAMED_BY[entity]:
            names = sorted(texts)
            for start in range(0, len(names), KEYS_PER_QUERY):
                page = unit.list(entity, Query(
                    where=live(Cond(attribute, "in", names[start:start + KEYS_PER_QUERY])),
                    page=Keyset(None, MAX_NAMES), fields=("id", attribute)))
                for record in page.items:
                    found.setdefault((entity, record[attribute]), set()).add(int(record["id"]))
    failures: dict[int, tuple[str, str]] = {}
    for index, name, value in named:
        entity = spec.field(name).ref or ""
        ids = found.get((entity, value.text), set())
        if len(ids) == 1:
            rows[index][1][name] = next(iter(ids))
        else:
            failures[index] = (name, f"no {entity} is named {value.text!r}" if not ids
                               else f"{len(ids)} {entity}s are named {value.text!r} (give"
                                    " the id)")
    return failures


def write_batch(service: Service, ctx: Context, plan: Plan,
                rows: list[tuple[int, dict[str, Any]]], tally: Tally, dry_run: bool,
                report: Callable[[int, str, str], None]) -> None:
    """One write unit: the rows each all or nothing; the outcomes counted and reported."""
    from ..service import Save

    outcomes: list[Outcome] = []
    updates: list[bool] = []

    def work(unit: Unit) -> None:
        unresolved = _resolve_names(unit, plan, rows)
        known: dict[Any, int] = {}
        if plan.key is not None:
            keys = [k for _, values in rows if (k := plan.key_of(values)) is not None]
            known = _existing(unit, plan, keys) if keys else {}

        def save(index: int, item: tuple[int, dict[str, Any]]) -> Save:
            if index in unresolved:
                updates.append(False)
                raise _unnamed(unresolved[index])
            values = item[1]
            record_id = known.get(plan.key_of(values)) if plan.key is not None else None
            updates.append(record_id is not None)
            return Save(plan.entity, _written_values(values), record_id)

        outcomes.extend(unit.batch(rows, save, skip_failures=True))

    try:
        with service.unit(ctx, write=True) as unit:
            work(unit)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    for (number, _), outcome, updated in zip(rows, outcomes, updates, strict=False):
        if outcome.error is not None:
            tally.failed += 1
            for column, message in _problems(outcome.error, plan):
                report(number, column, message)
        elif updated:
            tally.updated += 1
        else:
            tally.created += 1


@dataclass(frozen=True)
class Drafted:
    """A batch drafted by ``draft_batch``: its rows with the names of records they refer
    to resolved, the places of those whose names did not resolve (and why), and the
    draft of the others (None when one of them is refused)."""

    resolved: list[tuple[int, dict[str, Any]]]
    unresolved: dict[int, tuple[str, str]]
    draft: Draft | None


def _resolved(unit: Unit, plan: Plan, rows: list[tuple[int, dict[str, Any]]]
              ) -> tuple[list[tuple[int, dict[str, Any]]], dict[int, tuple[str, str]]]:
    """``_resolve_names`` on a copy (``rows`` keep their names)."""
    resolved = [(number, dict(values)) for number, values in rows]
    return resolved, _resolve_names(unit, plan, resolved)


def draft_batch(service: Service, ctx: Context, plan: Plan,
                rows: list[tuple[int, dict[str, Any]]]) -> Drafted:
    """A batch of new records drafted in a read unit (``Unit.draft``), to be written by
    ``write_drafted`` while the next batch is read and drafted."""
    from ..domain.errors import DealbaseError

    with service.unit(ctx) as unit:
        resolved, unresolved = _resolved(unit, plan, rows)
        items = [_written_values(values) for index, (_, values) in enumerate(resolved)
                 if index not in unresolved]
        try:
            draft: Draft | None = unit.draft(plan.entity, items)
        except DealbaseError:
            draft = None
    return Drafted(resolved, unresolved, draft)


def write_drafted(service: Service, ctx: Context, plan: Plan,
                  rows: list[tuple[int, dict[str, Any]]], drafted: Drafted, tally: Tally,
                  report: Callable[[int, str, str], None]) -> None:
    """One write unit for a batch drafted by ``draft_batch`` (``Unit.insert``), counted
    and reported as ``write_batch`` would; ``write_batch`` itself when the draft was
    refused, when the names resolve otherwise now (a record named by a row went in with
    the batch before, or was renamed or deleted since), or when the insert is refused
    (a row's string id taken meanwhile, say)."""
    from ..domain.errors import DealbaseError

    unresolved, draft = drafted.unresolved, drafted.draft
    if draft is not None:
        try:
            with service.unit(ctx, write=True) as unit:
                named = any(type(v) is Named for _, values in rows for v in values.values())
                if named and _resolved(unit, plan, rows) != (drafted.resolved, unresolved):
                    raise _Redo
                unit.insert(draft)
        except (DealbaseError, _Redo):
            draft = None
    if draft is None:
        write_batch(service, ctx, plan, rows, tally, False, report)
        return
    for index, (number, _) in enumerate(rows):
        if index in unresolved:
            tally.failed += 1
            for column, message in _problems(_unnamed(unresolved[index]), plan):
                report(number, column, message)
        else:
            tally.created += 1


class _Behind:
    """The import's write units on a thread of their own, one batch at a time and in
    order, while the next batch is read and drafted (SQLite steps and PostgreSQL round
    trips let go of the interpreter's lock). An error of a batch's write is raised by
    the next ``put`` or by ``wait``."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="dealbase-import")
        self._last: Future[None] | None = None

    def put(self, job: Callable[[], None]) -> None:
        self.wait()  # (one batch written while the next is drafted: memory stays bounded)
        self._last = self._pool.submit(job)

    def wait(self) -> None:
        last, self._last = self._last, None
        if last is not None:
            last.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True)


GC_YOUNG = 50_000  # container allocations between two young collections during an import
SWITCH_INTERVAL = 0.0005  # seconds a thread may keep the interpreter's lock during an import


@contextmanager
def _import_tuning() -> Iterator[None]:
    """While an import runs, the objects that were alive before it (the service's
    registry, metadata and compiled statements) are left out of the garbage collector's
    passes (``gc.freeze``): the batches allocate enough containers to trigger a full
    pass every few thousand rows, and walking that state again in each of them cost
    about 15 % of an import's CPU (bench/RESULTS.md, "Import"). The young generation is
    collected every ``GC_YOUNG`` allocations instead of 700: a batch's records, alive
    until it is written, were walked again in every young and middle collection (about
    5 % of the CPU); what refcounting does not free waits at most that many allocations.
    The interpreter hands its lock over every ``SWITCH_INTERVAL`` instead of 5 ms: the
    writing thread (``_Behind``) needs it back after each statement SQLite stepped, and
    would otherwise wait out the drafting thread's turn every time (at 5 ms, 20,300 rows/s
    against 25,900 at 0.5 ms, bench/RESULTS.md). Everything is put back after."""
    thresholds, interval = gc.get_threshold(), sys.getswitchinterval()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], GC_YOUNG), *thresholds[1:])
    sys.setswitchinterval(min(interval, SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def run_import(service: Service, ctx: Context, entity: str, source: IO[bytes], fmt: str,
               maps: Sequence[str], key: str | None, *, dry_run: bool = False,
               batch: int = BATCH, report: Callable[[int, str, str], None] | None = None,
               progress: Callable[[int], None] | None = None) -> Tally:
    """Import ``source`` into ``entity`` (see the module's docstring); the tally."""
    tally = Tally()

    def noted(number: int, column: str, message: str) -> None:
        if report is not None:
            report(number, column, message)
        elif len(tally.problems) < 1000:
            tally.problems.append((number, column, message))

    counting = _Counting(source)
    text = io.TextIOWrapper(io.BufferedReader(counting, 1 << 16), encoding="utf-8-sig",
                            newline="")
    spec = ctx.schema.entity(entity)
    try:
        header, rows = _rows(text, fmt)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise click.ClickException(f"cannot read the file: {' '.join(str(exc).split())}") from None
    if not header:
        raise click.ClickException("the file has no header row" if fmt == "csv" else "the file is empty")
    plan = make_plan(spec, header, maps, key)
    read = plan.cells(header)
    pending: list[tuple[int, dict[str, Any]]] = []
    unread: list[tuple[int, list[tuple[str, str]]]] = []  # rows refused on reading
    keys: set[Any] = set()
    # Plain creates: each batch drafted (read unit) while the one before is written.
    behind = _Behind() if plan.key is None and not dry_run else None

    def flush() -> None:
        if not pending and not unread:
            return
        written, refused, done = list(pending), list(unread), counting.done
        pending.clear()
        unread.clear()
        keys.clear()
        drafted = draft_batch(service, ctx, plan, written) if behind and written else None

        def write() -> None:  # (the tally and the report in the order of the file)
            for number, problems in refused:
                tally.failed += 1
                for column, message in problems:
                    noted(number, column, message)
            if drafted is not None:
                write_drafted(service, ctx, plan, written, drafted, tally, noted)
            elif written:
                write_batch(service, ctx, plan, written, tally, dry_run, noted)
            if progress is not None:
                progress(done)

        if behind is None:
            write()
        else:
            behind.put(write)

    with _import_tuning(), contextlib.ExitStack() as stack:
        if behind is not None:
            stack.callback(behind.close)
        try:
            for number, cells in rows:
                values, problems = read(cells) if isinstance(cells, list) else plan.row(cells)
                if problems:
                    unread.append((number, problems))
                    continue
                if plan.key is not None:
                    value = plan.key_of(values)
                    if value is not None and value in keys:
                        flush()  # a repeat of a key of this batch: it updates what went in
                    if value is not None:
                        keys.add(value)
                pending.append((number, values))
                if len(pending) >= batch:
                    flush()
            flush()
            if behind is not None:
                behind.wait()
        except (UnicodeDecodeError, csv.Error) as exc:
            pending.clear()  # (the rows read since the last batch are reported, not written)
            flush()
            if behind is not None:
                behind.wait()
            raise click.ClickException(f"cannot read the file: {' '.join(str(exc).split())}") from None
    return tally


def _progress_bar(total: int, quiet: bool) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    console = Console(stderr=True)
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                    TransferSpeedColumn(), TimeRemainingColumn(), console=console,
                    disable=quiet or not console.is_terminal, transient=True)


@click.command("import")
@click.argument("entity", metavar="ENTITY")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="csv or jsonl (default: from the file name; csv).")
@click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD",
              help="Read COLUMN into FIELD (a field name, label or custom field name); "
                   "COLUMN= skips the column. Repeatable.")
@click.option("--key", default=None, metavar="FIELD",
              help="De-duplicate: a row whose FIELD value a record already has updates that "
                   "record instead of creating one (e.g. --key email for persons).")
@click.option("--dry-run", is_flag=True, help="Check every row, write nothing.")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write the rows refused to this CSV (row, column, message).")
@click.option("--batch-size", default=BATCH, show_default=True, type=click.IntRange(1, 10_000),
              help="Rows per write transaction.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@company_option
@database_option
def import_command(entity: str, path: Path, fmt: str | None, maps: tuple[str, ...],
                   key: str | None, dry_run: bool, errors_path: Path | None, batch_size: int,
                   quiet: bool, company_ref: str | None, database_url: str | None) -> None:
    """Import ENTITY (deals, persons, organizations, products, activities) from a CSV or
    JSON Lines file (- for standard input). Each row goes in whole or not at all; the rows
    refused are listed (--errors FILE) and make the exit status 1."""
    name = _entity(entity)
    fmt = _format(path, fmt)
    service = open_service(database_url)
    ctx = company_context(service, company_ref)
    report_file = None
    writer: Any = None
    if errors_path is not None:
        try:
            report_file = errors_path.open("w", newline="", encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot write {errors_path}: {exc.strerror}") from None
        writer = csv.writer(report_file)
        writer.writerow(("row", "column", "message"))
    source: IO[bytes] = sys.stdin.buffer if str(path) == "-" else path.open("rb")
    size = 0 if str(path) == "-" else path.stat().st_size
    try:
        with _progress_bar(size, quiet) as bar, failures():
            task = bar.add_task("importing", total=size or None)
            tally = run_import(service, ctx, name, source, fmt, maps, key, dry_run=dry_run,
                               batch=batch_size,
                               report=None if writer is None else
                               lambda n, c, m: writer.writerow((n, c, m)),
                               progress=lambda done: bar.update(task, completed=done))
    finally:
        if source is not sys.stdin.buffer:
            source.close()
        if report_file is not None:
            report_file.close()
    would = "would be " if dry_run else ""
    click.echo(f"{tally.created} {name} record(s) {would}created, {tally.updated} {would}updated, "
               f"{tally.failed} row(s) refused.")
    if tally.failed:
        for number, column, message in tally.problems[:10]:
            click.echo(f"row {number}{f', column {column!r}' if column else ''}: {message}", err=True)
        where = f"; see {errors_path}" if errors_path is not None else ""
        raise click.ClickException(f"{tally.failed} row(s) refused{where}")


# ---- exporting ------------------------------------------------------------------------------

def run_export(service: Service, ctx: Context, entity: str, out: IO[str], fmt: str,
               names: Sequence[str] | None = None,
               progress: Callable[[int], None] | None = None) -> int:
    """Write the entity's live records to ``out``; how many."""
    from ..query.ast import Keyset, Query
    from ..service import live

    spec = ctx.schema.entity(entity)
    if names:
        fields = Fields(spec)
        chosen = []
        for name in names:
            f = fields.find(name)
            if f is None:
                raise click.ClickException(f"--fields: {entity} has no field {name!r}")
            chosen.append(f)
    else:
        chosen = exported_fields(spec)
    columns = [(f.name, header_of(f), {o.id: o.label for o in f.options}
                if f.field_type in ("enum", "set") else {}) for f in chosen]
    jsonl = fmt == "jsonl"
    writer = None if jsonl else csv.writer(out)
    if writer is not None:
        writer.writerow([h for _, h, _ in columns])
    by = {f.name: f for f in chosen}
    written = 0
    with service.unit(ctx) as unit:
        after: tuple[Any, ...] | None = None
        while True:
            page = unit.list(entity, Query(where=live(), page=Keyset(after, 1000)))
            for record in page.items:
                cells = [_text(by[n], record.get(n), labels, jsonl) for n, _, labels in columns]
                if writer is not None:
                    writer.writerow(cells)
                else:
                    out.write(json.dumps(dict(zip([h for _, h, _ in columns], cells, strict=True)),
                                         ensure_ascii=False) + "\n")
            written += len(page.items)
            if progress is not None:
                progress(written)
            after = page.last_key()
            if after is None:
                return written


@click.command("export")
@click.argument("entity", metavar="ENTITY")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              default=Path("-"), help="The file to write (default: standard output).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="csv or jsonl (default: from the output's name; csv).")
@click.option("--fields", "names", default=None, metavar="F1,F2,…",
              help="Only these fields (names, labels or custom field names), in this order.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@company_option
@database_option
def export_command(entity: str, output: Path, fmt: str | None, names: str | None, quiet: bool,
                   company_ref: str | None, database_url: str | None) -> None:
    """Export ENTITY's live records (deals, persons, organizations, products, activities) as
    CSV or JSON Lines: custom fields by name, enum and set options by label."""
    name = _entity(entity)
    fmt = _format(output, fmt)
    service = open_service(database_url)
    ctx = company_context(service, company_ref)
    to_stdout = str(output) == "-"
    try:
        out: IO[str] = sys.stdout if to_stdout else output.open("w", newline="", encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
    try:
        with _progress_bar(0, quiet or to_stdout) as bar, failures():
            task = bar.add_task("exporting", total=None)
            count = run_export(service, ctx, name, out, fmt,
                               [n.strip() for n in names.split(",")] if names else None,
                               lambda done: bar.update(task, completed=done))
    finally:
        if not to_stdout:
            out.close()
    click.echo(f"{count} {name} record(s) exported.", err=True)


def register(main: click.Group) -> None:
    main.add_command(import_command)
    main.add_command(export_command)
