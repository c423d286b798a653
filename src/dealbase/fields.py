"""CustomFields: create, rename, re-option and delete custom field definitions.

Every change bumps the company's ``fields_version`` in the same transaction, so
each process rebuilds that company's schema on its next request.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from .accounts import Accounts, custom_field
from .domain.customfields import (
    FIELD_TYPES,
    MAX_OPTIONS,
    OPTION_TYPES,
    SLOTS,
    SLOTTED,
    CustomField,
    new_key,
    slot_column,
)
from .domain.errors import NotFound, Problem, ValidationError
from .service import Context, utcnow

CUSTOM_ENTITIES = ("deal", "person", "organization")


def _bad(field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", (Problem(field, message),))


def _label(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 255 or "\x00" in value:
        raise _bad("options", "every option needs a label of 1 to 255 characters (no NUL)")
    return value.strip()


class CustomFields:
    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        self.records = accounts.records
        self.db = accounts.db
        self.table = accounts.fields
        self.companies = accounts.companies

    def list(self, ctx: Context, entity: str) -> tuple[CustomField, ...]:
        return self.accounts.schema(ctx.company_id).custom_of(entity)

    def get(self, ctx: Context, entity: str, *, field_id: int | None = None,
            key: str | None = None) -> CustomField:
        for f in self.list(ctx, entity):
            if f.id == field_id or f.key == key:
                return f
        raise NotFound("Field not found")

    def create(self, ctx: Context, entity: str, name: Any, field_type: Any,
               options: Sequence[Any] | None = None,
               settings: Mapping[str, Any] | None = None) -> CustomField:
        if entity not in CUSTOM_ENTITIES:
            raise NotFound("Unknown entity")
        name = self._name(name)
        if field_type not in FIELD_TYPES:
            raise _bad("field_type", f"must be one of {', '.join(FIELD_TYPES)}")
        opts: list[dict[str, Any]] = []
        if options is not None and not (
            isinstance(options, list | tuple) and all(isinstance(o, dict | str) for o in options)
        ):
            raise _bad("options", "options must be a list of labels or objects with a label")
        if field_type in OPTION_TYPES:
            if not options:
                raise _bad("options", f"a {field_type} field needs at least one option")
            opts = [{"id": i, "label": _label(o.get("label") if isinstance(o, dict) else o)}
                    for i, o in enumerate(options, start=1)]
        elif options:
            raise _bad("options", f"a {field_type} field has no options")
        if len(opts) > MAX_OPTIONS:
            raise _bad("options", f"at most {MAX_OPTIONS} options")
        now = utcnow()
        with self.db.write() as conn:
            last = conn.execute(select(func.max(self.table.c.order_nr)).where(
                self.table.c.company_id == ctx.company_id, self.table.c.entity == entity
            )).scalar()
            field_id = int(conn.execute(insert(self.table).values(
                company_id=ctx.company_id, entity=entity, key=new_key(), name=name,
                field_type=field_type, options=opts, order_nr=(last or 0) + 1,
                settings=dict(settings or {}), creator_id=ctx.user_id, created_at=now,
                updated_at=now, is_deleted=False, slot=self._free_slot(conn, ctx, entity, field_type),
            ).returning(self.table.c.id)).scalar_one())
            self._bump(conn, ctx, field_id, "create", {"name": [None, name]})
        return self._load(ctx, field_id)

    def update(self, ctx: Context, entity: str, field_id: int, *, name: Any = None,
               options: Sequence[Any] | None = None,
               settings: Mapping[str, Any] | None = None) -> CustomField:
        current = self.get(ctx, entity, field_id=field_id)
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = self._name(name)
        if options is not None:
            if not isinstance(options, list | tuple):
                raise _bad("options", "options must be a list of objects with a label")
            values["options"] = self._merge_options(current, options)
        if settings is not None:
            values["settings"] = {**current.settings, **settings}
        return self._write(ctx, current, values)

    def add_options(self, ctx: Context, entity: str, key: str, labels: Sequence[Any]
                    ) -> CustomField:
        current = self._option_field(ctx, entity, key)
        if not labels:
            raise _bad("options", "give at least one option")
        next_id = max((o.id for o in current.options), default=0) + 1
        opts = [{"id": o.id, "label": o.label} for o in current.options]
        opts += [{"id": next_id + i, "label": _label(lab)} for i, lab in enumerate(labels)]
        if len(opts) > MAX_OPTIONS:
            raise _bad("options", f"at most {MAX_OPTIONS} options")
        return self._write(ctx, current, {"options": opts})

    def relabel_options(self, ctx: Context, entity: str, key: str,
                        changes: Mapping[int, Any]) -> CustomField:
        current = self._option_field(ctx, entity, key)
        known = {o.id for o in current.options}
        if not changes or set(changes) - known:
            raise _bad("options", "every option id must exist on the field")
        opts = [{"id": o.id, "label": _label(changes[o.id]) if o.id in changes else o.label}
                for o in current.options]
        return self._write(ctx, current, {"options": opts})

    def remove_options(self, ctx: Context, entity: str, key: str, ids: Sequence[int]
                       ) -> CustomField:
        current = self._option_field(ctx, entity, key)
        known = {o.id for o in current.options}
        if not ids or set(ids) - known:
            raise _bad("options", "every option id must exist on the field")
        opts = [{"id": o.id, "label": o.label} for o in current.options if o.id not in ids]
        if not opts:
            raise _bad("options", "a field must keep at least one option")
        return self._write(ctx, current, {"options": opts})

    def delete(self, ctx: Context, entity: str, field_ids: Sequence[int]) -> builtins.list[int]:
        live = {f.id for f in self.list(ctx, entity)}
        missing = [i for i in field_ids if i not in live]
        if missing or not field_ids:
            raise NotFound(f"Field not found: {', '.join(map(str, missing))}")
        gone = [f for f in self.list(ctx, entity) if f.id in field_ids]
        with self.db.write() as conn:
            conn.execute(update(self.table).where(
                self.table.c.company_id == ctx.company_id, self.table.c.id.in_(field_ids)
            ).values(is_deleted=True, updated_at=utcnow(), slot=None))
            table = self.records.tables[entity]
            for f in gone:  # free the slot: the next field to take it starts empty
                if f.slot is not None:
                    column = table.c[slot_column(SLOTTED[f.field_type], f.slot)]
                    conn.execute(update(table).where(
                        table.c.company_id == ctx.company_id, column.is_not(None)).values(
                        {column.name: None}))
            for field_id in field_ids:
                self._bump(conn, ctx, field_id, "delete", {"is_deleted": [False, True]})
        return list(field_ids)

    # ---- internals ---------------------------------------------------------------------

    def _free_slot(self, conn: Connection, ctx: Context, entity: str, field_type: str) -> int | None:
        """The lowest index slot of the field's kind that no live field of the entity holds."""
        kind = SLOTTED.get(field_type)
        if kind is None:
            return None
        # One field definition change per company at a time (SQLite has one writer anyway).
        conn.execute(select(self.companies.c.id).where(self.companies.c.id == ctx.company_id)
                     .with_for_update())
        taken = {int(n) for n, t in conn.execute(select(self.table.c.slot, self.table.c.field_type).where(
            self.table.c.company_id == ctx.company_id, self.table.c.entity == entity,
            self.table.c.is_deleted.is_(False), self.table.c.slot.is_not(None))) if SLOTTED.get(t) == kind}
        return next((n for n in range(1, SLOTS + 1) if n not in taken), None)

    def _name(self, name: Any) -> str:
        if not isinstance(name, str) or not name.strip() or len(name) > 255 or "\x00" in name:
            raise _bad("name", "must be a string of 1 to 255 characters (no NUL)")
        return name.strip()

    def _option_field(self, ctx: Context, entity: str, key: str) -> CustomField:
        current = self.get(ctx, entity, key=key)
        if current.field_type not in OPTION_TYPES:
            raise _bad("options", "only enum and set fields have options")
        return current

    def _merge_options(self, current: CustomField, options: Sequence[Any]) -> builtins.list[dict[str, Any]]:
        """v1 semantics: the list replaces the options; items with an id keep that id."""
        if current.field_type not in OPTION_TYPES:
            raise _bad("options", "only enum and set fields have options")
        known = {o.id for o in current.options}
        next_id = max(known, default=0) + 1
        merged: list[dict[str, Any]] = []
        for item in options:
            if not isinstance(item, dict):
                raise _bad("options", "options must be objects with a label")
            option_id = item.get("id")
            if option_id is None:
                option_id, next_id = next_id, next_id + 1
            elif option_id not in known:
                raise _bad("options", f"option {option_id} does not exist")
            merged.append({"id": option_id, "label": _label(item.get("label"))})
        if not merged:
            raise _bad("options", "a field must keep at least one option")
        return merged

    def _write(self, ctx: Context, current: CustomField, values: dict[str, Any]) -> CustomField:
        if values:
            values["updated_at"] = utcnow()
            with self.db.write() as conn:
                conn.execute(update(self.table).where(
                    self.table.c.company_id == ctx.company_id, self.table.c.id == current.id
                ).values(values))
                self._bump(conn, ctx, current.id, "update",
                           {k: [None, v] for k, v in values.items() if k != "updated_at"})
        return self._load(ctx, current.id)

    def _bump(self, conn: Connection, ctx: Context, field_id: int, action: str,
              changes: dict[str, builtins.list[Any]]) -> None:
        conn.execute(update(self.companies).where(self.companies.c.id == ctx.company_id)
                     .values(fields_version=self.companies.c.fields_version + 1))
        self.records.changelog.append(conn, ctx.company_id, "custom_field", field_id, action,
                                      changes, ctx.user_id, utcnow())

    def _load(self, ctx: Context, field_id: int) -> CustomField:
        with self.db.read() as conn:
            row = conn.execute(select(self.table).where(
                self.table.c.company_id == ctx.company_id, self.table.c.id == field_id
            )).mappings().one()
        return custom_field(row)
