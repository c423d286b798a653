"""Records: the only code that reads and writes CRM records.

Every call runs for one company (``Context``) inside one transaction; every write
appends change-log rows in that same transaction. Dialects, the CLI and the demo
seeder call this in-process and speak canonical field names only.
"""

from __future__ import annotations

import builtins
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from .domain.entities._common import CURRENT_USER, MAX_ID_LIST, NEW_UID, NOW
from .domain.errors import Conflict, NotFound, Problem, ValidationError
from .domain.registry import Registry, Schema
from .domain.spec import EntitySpec, FieldSpec
from .domain.types import INT_MAX, Kind, coerce
from .query.ast import Cond, Filter, Keyset, Query, Sort, all_of
from .query.compile import compile_count, compile_list
from .store.changelog import ChangeLog
from .store.database import Database
from .store.schema import build_metadata

MAX_BULK = 500


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def new_uid() -> str:
    """A Pipeliner-style string id: ``PY-7FFFFFFF-<UUID>``."""
    return f"PY-7FFFFFFF-{str(uuid.uuid4()).upper()}"


@dataclass(frozen=True)
class Context:
    """Who is asking: the company (tenant), the user, and the company's schema."""

    company_id: int
    user_id: int | None
    schema: Schema
    is_admin: bool = False
    company_name: str = ""
    space_id: str = ""


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    more: bool
    sort: tuple[Sort, ...]
    total: int | None = None

    def last_key(self) -> tuple[Any, ...] | None:
        """The sort-key values of the last item (for a keyset cursor), or None if no more."""
        if not self.more or not self.items:
            return None
        last = self.items[-1]
        return tuple(last.get(s.field) for s in self.sort)


def _bad(field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", (Problem(field, message),))


class _Lookup:
    """Reads that entity rules need, on the caller's connection and company."""

    def __init__(self, records: Records, conn: Connection, ctx: Context) -> None:
        self.records, self.conn, self.ctx = records, conn, ctx

    def fetch(self, entity: str, record_id: int) -> Mapping[str, Any] | None:
        found = self.records._fetch(self.conn, self.ctx, entity, [record_id], live_only=True)
        return found.get(record_id)

    def first(self, entity: str, where: Mapping[str, Any], order_by: str) -> Mapping[str, Any] | None:
        sort = Sort(order_by.lstrip("-"), order_by.startswith("-"))
        flt = all_of(Cond("is_deleted", "eq", False),
                     *(Cond(k, "eq", v) for k, v in where.items()))
        page = self.records._list(self.conn, self.ctx, entity,
                                  Query(where=flt, sort=(sort,), page=Keyset(None, 1)))
        return page.items[0] if page.items else None


class Records:
    """List, get, create, update and delete any entity, for one company at a time."""

    def __init__(self, db: Database, registry: Registry | None = None) -> None:
        self.db = db
        self.registry = registry or Registry()
        self.metadata = build_metadata()
        self.tables: dict[str, Table] = {
            spec.name: self.metadata.tables[spec.table]
            for spec in self.registry.builtins.values()
        }
        self.changelog = ChangeLog(self.metadata.tables["change_log"])

    def table(self, entity: str) -> Table:
        return self.tables[entity]

    # ---- reads -------------------------------------------------------------------------

    def list(self, ctx: Context, entity: str, query: Query, *, with_total: bool = False) -> Page:
        with self.db.read() as conn:
            return self._list(conn, ctx, entity, query, with_total=with_total)

    def get(self, ctx: Context, entity: str, record_id: int) -> dict[str, Any]:
        with self.db.read() as conn:
            found = self._fetch(conn, ctx, entity, [record_id])
        if record_id not in found:
            raise NotFound(f"{ctx.schema.entity(entity).name.capitalize()} not found")
        return found[record_id]

    def get_many(self, ctx: Context, entity: str, ids: Iterable[int],
                 fields: Sequence[str] | None = None) -> dict[int, dict[str, Any]]:
        wanted = sorted({i for i in ids if isinstance(i, int)})
        if not wanted:
            return {}
        with self.db.read() as conn:
            return self._fetch(conn, ctx, entity, wanted, fields=fields)

    def _list(self, conn: Connection, ctx: Context, entity: str, query: Query, *,
              with_total: bool = False) -> Page:
        spec = ctx.schema.entity(entity)
        table = self.tables[entity]
        compiled = compile_list(query, spec, table, ctx.company_id, self.db.backend)
        rows = conn.execute(compiled.statement).mappings().all()
        more = len(rows) > compiled.limit
        items = [self._record(spec, row) for row in rows[: compiled.limit]]
        total = None
        if with_total:
            total = conn.execute(
                compile_count(query.where, spec, table, ctx.company_id, self.db.backend)
            ).scalar_one()
        return Page(items, more, compiled.sort, total)

    def _fetch(self, conn: Connection, ctx: Context, entity: str, ids: Sequence[int], *,
               live_only: bool = False, fields: Sequence[str] | None = None
               ) -> dict[int, dict[str, Any]]:
        ctx.schema.entity(entity)
        where: Filter | None = Cond("id", "in", list(ids))
        if live_only:
            where = all_of(where, Cond("is_deleted", "eq", False))
        query = Query(where=where, page=Keyset(None, len(ids)),
                      fields=tuple(fields) if fields is not None else None)
        page = self._list(conn, ctx, entity, query)
        return {item["id"]: item for item in page.items}

    def _record(self, spec: EntitySpec, row: Any) -> dict[str, Any]:
        record = dict(row)
        record.pop("company_id", None)
        custom = record.pop("custom", None)
        if custom is not None:
            for f in spec.custom:
                value = custom.get(f.custom_key)
                if value is not None and f.kind is Kind.DATE:
                    value = dt.date.fromisoformat(value)
                record[f.name] = value
        return record

    def _uids(self, conn: Connection, ctx: Context, entity: str, ids: Sequence[int]
              ) -> dict[int, str]:
        """Pipeliner string ids of records (deleted ones included), by integer id."""
        table = self.tables[entity]
        rows = conn.execute(select(table.c.id, table.c.uid).where(
            table.c.company_id == ctx.company_id, table.c.id.in_(list(ids)))).all()
        return {int(i): u for i, u in rows}

    def _ids(self, conn: Connection, ctx: Context, entity: str, uids: Sequence[str], *,
             live_only: bool = True) -> dict[str, int]:
        """Integer ids of the records with these Pipeliner string ids (case-insensitive)."""
        wanted = {u.upper(): u for u in uids}
        table = self.tables[entity]
        where = [table.c.company_id == ctx.company_id, table.c.uid.in_(list(wanted))]
        if live_only:
            where.append(table.c.is_deleted.is_(False))
        rows = conn.execute(select(table.c.uid, table.c.id).where(*where)).all()
        return {wanted[u]: int(i) for u, i in rows}

    def count(self, ctx: Context, entity: str, where: Filter | None) -> int:
        spec = ctx.schema.entity(entity)
        with self.db.read() as conn:
            return int(conn.execute(
                compile_count(where, spec, self.tables[entity], ctx.company_id, self.db.backend)
            ).scalar_one())

    def count_by(self, ctx: Context, entity: str, field_name: str, values: Iterable[int]
                 ) -> dict[int, int]:
        """Live records per value of a reference field (e.g. persons per organization)."""
        wanted = sorted(set(values))
        if not wanted:
            return {}
        table = self.tables[entity]
        column = table.c[ctx.schema.entity(entity).field(field_name).name]
        with self.db.read() as conn:
            rows = conn.execute(
                select(column, func.count()).where(
                    table.c.company_id == ctx.company_id, column.in_(wanted),
                    table.c.is_deleted.is_(False)).group_by(column)
            ).all()
        return {int(k): int(n) for k, n in rows}

    # ---- writes ------------------------------------------------------------------------

    def create(self, ctx: Context, entity: str, values: Mapping[str, Any]) -> dict[str, Any]:
        with self.db.write() as conn:
            record_id = self._create(conn, ctx, entity, values)
            return self._fetch(conn, ctx, entity, [record_id])[record_id]

    def update(self, ctx: Context, entity: str, record_id: int,
               values: Mapping[str, Any]) -> dict[str, Any]:
        with self.db.write() as conn:
            self._update(conn, ctx, entity, record_id, values)
            return self._fetch(conn, ctx, entity, [record_id])[record_id]

    def delete(self, ctx: Context, entity: str, ids: Sequence[int]) -> builtins.list[int]:
        """Soft-delete every id, all or nothing; NotFound if any id is missing or deleted."""
        if len(ids) > MAX_BULK:
            raise _bad("ids", f"at most {MAX_BULK} ids at once")
        with self.db.write() as conn:
            return self._delete(conn, ctx, entity, ids)

    def _validate(self, ctx: Context, spec: EntitySpec, values: Mapping[str, Any], *,
                  creating: bool) -> dict[str, Any]:
        clean: dict[str, Any] = {}
        problems: list[Problem] = []
        for name, raw in values.items():
            try:
                f = spec.field(name)
                if f.readonly or name == "uid" and not creating:
                    raise _bad(name, "is read-only")
                clean[name] = self._coerce(f, raw)
            except ValidationError as error:
                problems.extend(error.problems)
        for f in spec.fields:
            if f.required and (creating or f.name in clean) and clean.get(f.name) in (None, ""):
                problems.append(Problem(f.name, "is required"))
        if problems:
            raise ValidationError(
                "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems),
                tuple(problems),
            )
        return clean

    def _coerce(self, f: FieldSpec, raw: Any) -> Any:
        value = coerce(f.kind, f.name, raw, f.max_length)
        if value is None:
            if not f.nullable:
                raise _bad(f.name, "must not be null")
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

    def _check_refs(self, conn: Connection, ctx: Context, spec: EntitySpec,
                    values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            f = spec.by_name[name]
            if f.ref is None or value is None or f.kind not in (Kind.REF, Kind.JSON):
                continue
            wanted = value if f.kind is Kind.JSON else [value]
            if not wanted:
                continue
            found = self._fetch(conn, ctx, f.ref, wanted, live_only=True, fields=("id",))
            missing = [v for v in wanted if v not in found]
            if missing:
                raise _bad(name, f"{f.ref} {missing[0]} not found")

    def _split(self, spec: EntitySpec, values: Mapping[str, Any]
               ) -> tuple[dict[str, Any], dict[str, Any]]:
        columns = {k: v for k, v in values.items() if not spec.by_name[k].is_custom}
        custom = {spec.by_name[k].custom_key or k: v for k, v in values.items()
                  if spec.by_name[k].is_custom}
        return columns, custom

    def _create(self, conn: Connection, ctx: Context, entity: str,
                values: Mapping[str, Any]) -> int:
        spec = ctx.schema.entity(entity)
        clean = self._validate(ctx, spec, values, creating=True)
        now = utcnow()
        for f in spec.columns:
            if f.name in clean or f.name == "id":
                continue
            default = f.default
            if default is NOW:
                clean[f.name] = now
            elif default is CURRENT_USER:
                clean[f.name] = ctx.user_id
            elif default is NEW_UID:
                clean[f.name] = new_uid()
            elif isinstance(default, tuple):
                clean[f.name] = list(default)
            elif default is not None:
                clean[f.name] = default
        for rule in spec.rules:
            rule(clean, None, _Lookup(self, conn, ctx))
        self._check_refs(conn, ctx, spec, clean)
        missing = [f.name for f in spec.columns
                   if not f.nullable and f.name != "id" and clean.get(f.name) is None]
        if missing:
            raise ValidationError(f"{', '.join(missing)}: must not be empty",
                                  tuple(Problem(m, "must not be empty") for m in missing))
        columns, custom = self._split(spec, clean)
        row = {**columns, "company_id": ctx.company_id}
        if spec.has_custom_fields:
            row["custom"] = {k: v for k, v in custom.items() if v is not None}
        try:
            record_id = int(conn.execute(
                insert(self.tables[entity]).values(row).returning(self.tables[entity].c.id)
            ).scalar_one())
        except IntegrityError:
            raise Conflict(f"A {entity} with this uid already exists") from None
        self.changelog.append(conn, ctx.company_id, entity, record_id, "create",
                              {k: [None, v] for k, v in clean.items()}, ctx.user_id, now)
        return record_id

    def _update(self, conn: Connection, ctx: Context, entity: str, record_id: int,
                values: Mapping[str, Any]) -> None:
        spec = ctx.schema.entity(entity)
        clean = self._validate(ctx, spec, values, creating=False)
        before = self._fetch(conn, ctx, entity, [record_id], live_only=True).get(record_id)
        if before is None:
            raise NotFound(f"{entity.capitalize()} not found")
        for rule in spec.rules:
            rule(clean, before, _Lookup(self, conn, ctx))
        changed = {k: v for k, v in clean.items() if before.get(k) != v}
        self._check_refs(conn, ctx, spec, changed)
        columns, custom = self._split(spec, changed)
        now = utcnow()
        columns["updated_at"] = now
        if custom:
            merged = {f.custom_key: before.get(f.name) for f in spec.custom}
            merged.update(custom)
            columns["custom"] = {k: (v.isoformat() if isinstance(v, dt.date) else v)
                                 for k, v in merged.items() if v is not None}
        table = self.tables[entity]
        conn.execute(update(table).where(table.c.company_id == ctx.company_id,
                                         table.c.id == record_id).values(columns))
        self.changelog.append(conn, ctx.company_id, entity, record_id, "update",
                              {k: [before.get(k), v] for k, v in changed.items()},
                              ctx.user_id, now)

    def _delete(self, conn: Connection, ctx: Context, entity: str, ids: Sequence[int]) -> builtins.list[int]:
        unique = list(dict.fromkeys(ids))
        live = self._fetch(conn, ctx, entity, unique, live_only=True, fields=("id",))
        missing = [i for i in unique if i not in live]
        if missing:
            raise NotFound(f"{entity.capitalize()} not found: {', '.join(map(str, missing))}")
        table = self.tables[entity]
        now = utcnow()
        conn.execute(update(table).where(table.c.company_id == ctx.company_id,
                                         table.c.id.in_(unique))
                     .values(is_deleted=True, updated_at=now))
        for record_id in unique:
            self.changelog.append(conn, ctx.company_id, entity, record_id, "delete",
                                  {"is_deleted": [False, True]}, ctx.user_id, now)
        return unique

    def exists(self, ctx: Context, entity: str, record_id: int) -> bool:
        table = self.tables[entity]
        with self.db.read() as conn:
            return conn.execute(
                select(table.c.id).where(table.c.company_id == ctx.company_id,
                                         table.c.id == record_id)
            ).first() is not None


__all__ = ["MAX_BULK", "Context", "Page", "Records", "new_uid", "utcnow"]
