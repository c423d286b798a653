"""CustomFields: create, rename, re-option and delete custom field definitions.

Every change runs in the caller's transaction and bumps the company's
``fields_version`` there, so each process rebuilds that company's schema on its next
request. What a definition may hold is checked here, once for every door: its name,
its type, its options (integer ids, labels) and its settings (the shapes Pipedrive's
fields API describes).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, func, insert, literal_column, null, select, true, update

from ..domain.customfields import (
    FIELD_TYPES,
    MAX_OPTIONS,
    OPTION_TYPES,
    SLOTS,
    SLOTTED,
    CustomField,
    checked_settings,
    new_key,
    slot_column,
)
from ..domain.errors import NotFound, Reason, invalid
from ..domain.types import INT_MAX, Kind, clean_text
from ..store.codec import encode
from ..store.database import Tx
from .accounts import Accounts
from .records import Context


def _label(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 255 or "\x00" in value:
        raise invalid("options", "every option needs a label of 1 to 255 characters (no NUL)")
    return value.strip()


def _option_id(value: Any) -> int:
    """An option id as clients give it: an integer (never a float, a flag or an object)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= INT_MAX:
        raise invalid("options", "option ids are positive integers")
    return value


class CustomFields:
    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        self.records = accounts.records
        db = accounts.db
        self.table = t = accounts.fields
        self.companies = c = accounts.companies
        self.entities = tuple(name for name, spec in self.records.registry.builtins.items()
                              if spec.has_custom_fields)
        columns = ("company_id", "entity", "key", "name", "field_type", "options", "order_nr",
                   "settings", "creator_id", "created_at", "updated_at", "is_deleted", "slot")
        self._insert = db.prepare(insert(t).values({n: bindparam(n) for n in columns})
                                  .returning(t.c.id))
        self._last = db.prepare(select(func.max(t.c.order_nr)).where(
            t.c.company_id == bindparam("company_id"), t.c.entity == bindparam("entity")))
        self._slots = db.prepare(select(t.c.slot, t.c.field_type).where(
            t.c.company_id == bindparam("company_id"), t.c.entity == bindparam("entity"),
            t.c.is_deleted.is_(False), t.c.slot.is_not(None)))
        self._change = db.prepare(update(t).where(
            t.c.company_id == bindparam("company_id"), t.c.id == bindparam("field_id")).values(
            name=bindparam("name"), options=bindparam("options"), settings=bindparam("settings"),
            updated_at=bindparam("updated_at")))
        self._remove = db.prepare(update(t).where(
            t.c.company_id == bindparam("company_id"), t.c.id == bindparam("field_id")).values(
            is_deleted=true(), updated_at=bindparam("updated_at"), slot=null()))
        self._bump_sql = db.prepare(update(c).where(c.c.id == bindparam("company_id")).values(
            fields_version=c.c.fields_version + literal_column("1")))
        self._lock = db.prepare(select(c.c.id).where(c.c.id == bindparam("company_id"))
                                .with_for_update())

    def list(self, tx: Tx, ctx: Context, entity: str) -> tuple[CustomField, ...]:
        return self.accounts.schema(tx, ctx.company_id).custom_of(entity)

    def get(self, tx: Tx, ctx: Context, entity: str, *, field_id: int | None = None,
            key: str | None = None) -> CustomField:
        for f in self.list(tx, ctx, entity):
            if f.id == field_id or f.key == key:
                return f
        raise NotFound("Field not found")

    def create(self, tx: Tx, ctx: Context, entity: str, name: Any, field_type: Any,
               options: Sequence[Any] | None = None,
               settings: Mapping[str, Any] | None = None) -> CustomField:
        if entity not in self.entities:
            raise NotFound("Unknown entity", reason=Reason.UNKNOWN_RESOURCE)
        name = self._name(name)
        if not isinstance(field_type, str) or field_type not in FIELD_TYPES:
            raise invalid("field_type", f"must be one of {', '.join(FIELD_TYPES)}")
        opts: list[dict[str, Any]] = []
        if options is not None and not (
            isinstance(options, list | tuple) and all(isinstance(o, dict | str) for o in options)
        ):
            raise invalid("options", "options must be a list of labels or objects with a label")
        if field_type in OPTION_TYPES:
            if not options:
                raise invalid("options", f"a {field_type} field needs at least one option")
            opts = [{"id": i, "label": _label(o.get("label") if isinstance(o, dict) else o)}
                    for i, o in enumerate(options, start=1)]
        elif options:
            raise invalid("options", f"a {field_type} field has no options")
        if len(opts) > MAX_OPTIONS:
            raise invalid("options", f"at most {MAX_OPTIONS} options")
        stored = checked_settings(settings or {})
        now = self.records.clock()
        self._serialise(tx, ctx)
        last = tx.scalar(self._last.sql, self._last.params(
            {"company_id": ctx.company_id, "entity": entity}))
        field_id = int(tx.scalar(self._insert.sql, self._insert.params({
            "company_id": ctx.company_id, "entity": entity, "key": new_key(), "name": name,
            "field_type": field_type, "options": self._json(tx, opts),
            "order_nr": (last or 0) + 1, "settings": self._json(tx, stored),
            "creator_id": ctx.user_id, "created_at": self._time(tx, now),
            "updated_at": self._time(tx, now), "is_deleted": False,
            "slot": self._free_slot(tx, ctx, entity, field_type)})))
        self._bump(tx, ctx, field_id, "create", {"name": [None, name]})
        return self._load(tx, ctx, entity, field_id)

    def update(self, tx: Tx, ctx: Context, entity: str, field_id: int, *, name: Any = None,
               options: Sequence[Any] | None = None,
               settings: Mapping[str, Any] | None = None) -> CustomField:
        current = self.get(tx, ctx, entity, field_id=field_id)
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = self._name(name)
        if options is not None:
            if not isinstance(options, list | tuple):
                raise invalid("options", "options must be a list of objects with a label")
            values["options"] = self._merge_options(current, options)
        if settings is not None:
            values["settings"] = {**current.settings, **checked_settings(settings)}
        return self._write(tx, ctx, current, values)

    def add_options(self, tx: Tx, ctx: Context, entity: str, key: str, labels: Sequence[Any]
                    ) -> CustomField:
        current = self._option_field(tx, ctx, entity, key)
        if not labels:
            raise invalid("options", "give at least one option")
        next_id = max((o.id for o in current.options), default=0) + 1
        opts = [{"id": o.id, "label": o.label} for o in current.options]
        opts += [{"id": next_id + i, "label": _label(lab)} for i, lab in enumerate(labels)]
        if len(opts) > MAX_OPTIONS:
            raise invalid("options", f"at most {MAX_OPTIONS} options")
        return self._write(tx, ctx, current, {"options": opts})

    def relabel_options(self, tx: Tx, ctx: Context, entity: str, key: str,
                        changes: Mapping[int, Any]) -> CustomField:
        current = self._option_field(tx, ctx, entity, key)
        known = {o.id for o in current.options}
        wanted = {_option_id(i): label for i, label in changes.items()}
        if not wanted or set(wanted) - known:
            raise invalid("options", "every option id must exist on the field")
        opts = [{"id": o.id, "label": _label(wanted[o.id]) if o.id in wanted else o.label}
                for o in current.options]
        return self._write(tx, ctx, current, {"options": opts})

    def remove_options(self, tx: Tx, ctx: Context, entity: str, key: str, ids: Sequence[Any]
                       ) -> CustomField:
        current = self._option_field(tx, ctx, entity, key)
        known = {o.id for o in current.options}
        gone = {_option_id(i) for i in ids}
        if not gone or gone - known:
            raise invalid("options", "every option id must exist on the field")
        opts = [{"id": o.id, "label": o.label} for o in current.options if o.id not in gone]
        if not opts:
            raise invalid("options", "a field must keep at least one option")
        return self._write(tx, ctx, current, {"options": opts})

    def delete(self, tx: Tx, ctx: Context, entity: str, field_ids: Sequence[int]
               ) -> builtins.list[int]:
        fields = {f.id: f for f in self.list(tx, ctx, entity)}
        missing = [i for i in field_ids if i not in fields]
        if missing or not field_ids:
            raise NotFound(f"Field not found: {', '.join(map(str, missing))}")
        now = self.records.clock()
        table = self.records.tables[entity]
        for field_id in dict.fromkeys(field_ids):
            f = fields[field_id]
            tx.run(self._remove.sql, self._remove.params(
                {"company_id": ctx.company_id, "field_id": field_id,
                 "updated_at": self._time(tx, now)}))
            if f.slot is not None:  # free the slot: the next field to take it starts empty
                column = slot_column(SLOTTED[f.field_type], f.slot)
                mark = tx.mark
                tx.run(f'UPDATE "{table.name}" SET "{column}" = NULL WHERE company_id = {mark} '
                       f'AND "{column}" IS NOT NULL', (ctx.company_id,))
            self._bump(tx, ctx, field_id, "delete", {"is_deleted": [False, True]})
        return list(dict.fromkeys(field_ids))

    # ---- internals ---------------------------------------------------------------------

    @staticmethod
    def _json(tx: Tx, value: Any) -> Any:
        return encode(Kind.JSON, tx.backend, value)

    @staticmethod
    def _time(tx: Tx, value: Any) -> Any:
        return encode(Kind.DATETIME, tx.backend, value)

    def _serialise(self, tx: Tx, ctx: Context) -> None:
        """One field definition change per company at a time (SQLite has one writer)."""
        if tx.backend == "postgresql":
            tx.rows(self._lock.sql, self._lock.params({"company_id": ctx.company_id}))

    def _free_slot(self, tx: Tx, ctx: Context, entity: str, field_type: str) -> int | None:
        """The lowest index slot of the field's kind that no live field of the entity holds."""
        kind = SLOTTED.get(field_type)
        if kind is None:
            return None
        taken = {int(n) for n, t in tx.rows(self._slots.sql, self._slots.params(
            {"company_id": ctx.company_id, "entity": entity})) if SLOTTED.get(t) == kind}
        return next((n for n in range(1, SLOTS + 1) if n not in taken), None)

    @staticmethod
    def _name(name: Any) -> str:
        return clean_text("name", name, 255, blank=False).strip()

    def _option_field(self, tx: Tx, ctx: Context, entity: str, key: str) -> CustomField:
        current = self.get(tx, ctx, entity, key=key)
        if current.field_type not in OPTION_TYPES:
            raise invalid("options", "only enum and set fields have options")
        return current

    def _merge_options(self, current: CustomField, options: Sequence[Any]
                       ) -> builtins.list[dict[str, Any]]:
        """v1 semantics: the list replaces the options; items with an id keep that id."""
        if current.field_type not in OPTION_TYPES:
            raise invalid("options", "only enum and set fields have options")
        known = {o.id for o in current.options}
        next_id = max(known, default=0) + 1
        merged: list[dict[str, Any]] = []
        seen: set[int] = set()
        for item in options:
            if not isinstance(item, dict):
                raise invalid("options", "options must be objects with a label")
            option_id = item.get("id")
            if option_id is None:
                option_id, next_id = next_id, next_id + 1
            elif _option_id(option_id) not in known:
                raise invalid("options", f"option {option_id} does not exist")
            if option_id in seen:
                raise invalid("options", f"option {option_id} is given twice")
            seen.add(option_id)
            merged.append({"id": option_id, "label": _label(item.get("label"))})
        if not merged:
            raise invalid("options", "a field must keep at least one option")
        if len(merged) > MAX_OPTIONS:
            raise invalid("options", f"at most {MAX_OPTIONS} options")
        return merged

    def _write(self, tx: Tx, ctx: Context, current: CustomField, values: dict[str, Any]
               ) -> CustomField:
        if values:
            self._serialise(tx, ctx)
            options = values.get("options", [{"id": o.id, "label": o.label}
                                             for o in current.options])
            tx.run(self._change.sql, self._change.params({
                "company_id": ctx.company_id, "field_id": current.id,
                "name": values.get("name", current.name), "options": self._json(tx, options),
                "settings": self._json(tx, values.get("settings", current.settings)),
                "updated_at": self._time(tx, self.records.clock())}))
            self._bump(tx, ctx, current.id, "update", {k: [None, v] for k, v in values.items()})
        return self._load(tx, ctx, current.entity, current.id)

    def _bump(self, tx: Tx, ctx: Context, field_id: int, action: str,
              changes: dict[str, builtins.list[Any]]) -> None:
        tx.run(self._bump_sql.sql, self._bump_sql.params({"company_id": ctx.company_id}))
        self.records.changelog.append(tx, ctx.company_id, "custom_field", field_id, action,
                                      changes, ctx.user_id, self.records.clock())

    def _load(self, tx: Tx, ctx: Context, entity: str, field_id: int) -> CustomField:
        return self.get(tx, ctx, entity, field_id=field_id)


__all__ = ["CustomFields"]
