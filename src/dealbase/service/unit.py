"""Unit: one request's work on the records, for one signed-in caller, in one transaction.

An adapter never opens a transaction: it hands a function of a ``Unit`` to the
service (``Service.read``/``Service.write``), which signs the caller in, opens the
transaction where the backend wants it and calls the function. Everything the unit
offers is public, in canonical names, and checked against the caller's permissions.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ..domain import search
from ..domain.customfields import CustomField
from ..domain.errors import (
    Conflict,
    DealbaseError,
    Forbidden,
    NotFound,
    Reason,
    ValidationError,
    invalid,
)
from ..domain.registry import Schema
from ..domain.scopes import RECENTS, SEARCH
from ..domain.statistics import Statistics
from ..query.ast import Cond, Filter, Keyset, Query, all_of
from ..store.changelog import Change
from ..store.database import Tx
from .records import CONVERTS_TO, MAX_BULK, Aggregate, Context, Draft, Hit, Page
from .visibility import Sight

if TYPE_CHECKING:
    from . import Service
    from .accounts import Company

T = TypeVar("T")
Record = dict[str, Any]
MAX_RUN = 1000  # new items of a batch inserted together (the CLI import's batch)
MAX_HISTORY = 1000  # change-log rows (or recent records) one read returns at most
MAX_USERS = 10_000  # the users of a company one read returns at most


@dataclass(frozen=True)
class Save:
    """One batch item's write: a new record (``id`` None) or changed fields of one."""

    entity: str
    values: Mapping[str, Any]
    id: int | None = None


@dataclass(frozen=True)
class Remove:
    """One batch item's delete."""

    entity: str
    id: int


@dataclass
class Outcome:
    """What became of one batch item: the record id it wrote or deleted, or its error."""

    id: int | None = None
    error: DealbaseError | None = None
    created: bool = False


@dataclass
class _Run:
    """New items waiting to be inserted together: (index, values)."""

    entity: str = ""
    items: list[tuple[int, Mapping[str, Any]]] = field(default_factory=list)


class Unit:
    """The public operations on records, for ``ctx``, in one transaction."""

    def __init__(self, service: Service, tx: Tx, ctx: Context) -> None:
        self._service, self._tx, self.ctx = service, tx, ctx
        self._records = service._records
        # What every active user sees, as of a version of the users and roles
        self._sights: tuple[int, dict[int, Sight]] | None = None

    @property
    def schema(self) -> Schema:
        return self.ctx.schema

    @property
    def writing(self) -> bool:
        return self._tx.writing

    def _need_write(self) -> None:
        if not self._tx.writing:
            raise RuntimeError("a read unit cannot write; use Service.write")

    # ---- reads -------------------------------------------------------------------------

    def list(self, entity: str, query: Query, *, total: bool = False) -> Page:
        """A page of records (``total``: and how many match in all)."""
        self._service._permissions.scoped(self.ctx, entity)
        return self._records.list(self._tx, self.ctx, entity, query, with_total=total)

    def get(self, entity: str, record_id: int, *, lock: bool = False) -> Record:
        """One record, deleted ones included; NotFound if there is none. ``lock`` (in a
        write unit): concurrent writers of the record wait until this unit commits."""
        self._service._permissions.scoped(self.ctx, entity, record_id=record_id)
        return self._records.get(self._tx, self.ctx, entity, record_id,
                                 lock=lock and self._tx.writing)

    def get_many(self, entity: str, ids: Iterable[int], fields: Sequence[str] | None = None
                 ) -> dict[int, Record]:
        """The records of these ids that exist (deleted ones included), by id."""
        return self._records.get_many(self._tx, self.ctx, entity, ids, fields)

    def find(self, entity: str, where: Filter | None, *, lock: bool = False) -> Record | None:
        """The first record (by id) matching ``where``, or None. ``lock`` as in ``get``."""
        self._service._permissions.scoped(self.ctx, entity)
        page = self._records.list(self._tx, self.ctx, entity, Query(where=where,
                                                                    page=Keyset(None, 1)))
        if not page.items:
            return None
        found = page.items[0]
        if lock and self._tx.writing:
            return self._records.get(self._tx, self.ctx, entity, found["id"], lock=True)
        return found

    def exists(self, entity: str, record_id: int) -> bool:
        return bool(self._records.fetch(self._tx, self.ctx, entity, [record_id], fields=("id",)))

    def count(self, entity: str, where: Filter | None) -> int:
        self._service._permissions.scoped(self.ctx, entity)
        return self._records.count(self._tx, self.ctx, entity, where)

    def count_by(self, entity: str, field_name: str, values: Iterable[int]) -> dict[int, int]:
        """Live records per value of a reference field (e.g. persons per organization)."""
        return self._records.count_by(self._tx, self.ctx, entity, field_name, values)

    def ids(self, entity: str, uids: Sequence[str], *, live_only: bool = True) -> dict[str, int]:
        """Integer ids of the records with these string (Pipeliner) ids."""
        return self._records.ids(self._tx, self.ctx, entity, uids, live_only=live_only)

    def uids(self, entity: str, ids: Sequence[int]) -> dict[int, str]:
        """String (Pipeliner) ids of these records, by integer id."""
        return self._records.uids(self._tx, self.ctx, entity, ids)

    def search(self, entities: Sequence[str], term: Any, *, exact: bool = False,
               groups: Sequence[str] | None = None, where: Filter | None = None
               ) -> builtins.list[Hit]:
        """The live records of ``entities`` that the full-text index finds for ``term``
        (``domain.search`` says how text matches; ``groups``: the groups of fields to look
        in, by default all) and that meet ``where``, best first. A term too short to search
        is refused."""
        for entity in entities:
            self._service._permissions.scoped(self.ctx, entity, via=SEARCH)
        if not isinstance(term, str) or (found := search.term_of(term, exact)) is None:
            least = 1 if exact else search.MIN_TERM
            raise invalid("term", f"must be at least {least} character{'s' * (least > 1)}"
                          " long (letters or digits)", Reason.BAD_PARAMETER)
        return self._records.search(self._tx, self.ctx, entities, found, groups, where)

    def version(self) -> int:
        """The company's data version: the newest change this unit sees (Pipeliner's
        revision)."""
        return self._records.version(self._tx, self.ctx)

    def now(self) -> dt.datetime:
        """The service's time (naive UTC, whole seconds)."""
        return self._records.clock()

    def company(self) -> Company:
        return self._service._accounts.company(self._tx, self.ctx)

    # ---- history (the change log) and aggregates ---------------------------------------

    def changes(self, entity: str | None = None, record_id: int | None = None, *,
                after: int = 0, before: int | None = None, newest_first: bool = False,
                limit: int = 500) -> builtins.list[Change]:
        """What writes did to the company's records (of one entity; of one record, which
        the caller must see: NotFound otherwise; of every entity: admins only):
        change-log rows with ``after`` < seq < ``before``, oldest (or newest) first."""
        if entity is not None and record_id is not None:
            if not self.exists(entity, record_id):
                raise NotFound(f"{self.schema.entity(entity).name.capitalize()} not found")
        elif not self.ctx.is_admin:
            raise Forbidden("Only admins read the whole change log")
        return self._records.changes(self._tx, self.ctx, entity, record_id, after=after,
                                     before=before, newest_first=newest_first,
                                     limit=max(1, min(limit, MAX_HISTORY)))

    def recent(self, entities: Sequence[str], since: dt.datetime, start: int = 0,
               limit: int = 100) -> builtins.list[tuple[str, int, int, dt.datetime]]:
        """The records of ``entities`` written at ``since`` or later, once each, by their
        last write: (entity, id, last seq, its time); one more than ``limit`` if more follow."""
        for entity in entities:
            self._service._permissions.scoped(self.ctx, entity, via=RECENTS)
        return self._records.recent(self._tx, self.ctx, entities, since, start,
                                    max(1, min(limit, MAX_HISTORY)))

    def moves(self, entity: str, field_name: str, ids: Sequence[int], until: dt.datetime
              ) -> builtins.list[tuple[int, dt.datetime, Any, Any]]:
        """How one field of these records changed before ``until``, from the change log
        (their creation included): (record id, time, old value, new value), oldest first
        per record. Pass ids this unit has read (they are the caller's to see)."""
        self._service._permissions.scoped(self.ctx, entity)
        return self._records.moves(self._tx, self.ctx, entity, field_name, ids, until)

    def stage_statistics(self, kind: type[Statistics], where: Filter | None,
                         stages: Sequence[int], start: dt.datetime, end: dt.datetime
                         ) -> Statistics:
        """A pipeline's statistics over ``[start, end)``: ``kind`` is ``Movement`` or
        ``Conversion`` (``domain.statistics``), of the deals meeting ``where`` (among those
        the caller sees), ``stages`` the pipeline's in order. Aggregated in the database."""
        self._service._permissions.scoped(self.ctx, "deal")
        return self._records.stage_statistics(self._tx, self.ctx, kind, where, stages, start,
                                              end)

    # ---- followers: the users in a record's ``watcher_ids`` (Pipeliner's WATCHERS) ------

    def follow(self, entity: str, record_id: int, user_id: int) -> None:
        """``user_id`` follows the live record from now on (a user follows once)."""
        followers = list(self._live(entity, record_id).get("watcher_ids") or [])
        if user_id in followers:
            raise Conflict(f"User {user_id} already follows this {entity}",
                           reason=Reason.DUPLICATE)
        self.update(entity, record_id, {"watcher_ids": [*followers, user_id]})

    def unfollow(self, entity: str, record_id: int, user_id: int) -> None:
        followers = list(self._live(entity, record_id).get("watcher_ids") or [])
        if user_id not in followers:
            raise NotFound("Follower not found")
        self.update(entity, record_id, {"watcher_ids": [u for u in followers if u != user_id]})

    def follower_changes(self, entity: str, record_id: int
                         ) -> builtins.list[tuple[str, int, int | None, dt.datetime, int]]:
        """Who started and stopped following the record, oldest first, from the change log:
        (``added``/``removed``, the follower, the user who made the change, when, seq)."""
        out: builtins.list[tuple[str, int, int | None, dt.datetime, int]] = []
        after = 0
        while True:
            changes = self.changes(entity, record_id, after=after, limit=MAX_HISTORY)
            for change in changes:
                if "watcher_ids" not in change.changes:
                    continue
                old, new = change.changes["watcher_ids"]
                before, now = list(old or []), list(new or [])
                out += [("added", u, change.user_id, change.at, change.seq)
                        for u in now if u not in before]
                out += [("removed", u, change.user_id, change.at, change.seq)
                        for u in before if u not in now]
            if len(changes) < MAX_HISTORY:
                return out
            after = changes[-1].seq

    def followers(self, entity: str, record_id: int) -> builtins.list[tuple[int, dt.datetime]]:
        """The live record's followers in the order they came, each with when they began
        to follow (the change log's word; the record's creation for the first ones)."""
        record = self._live(entity, record_id)
        since: dict[int, dt.datetime] = {}
        for action, user_id, _, at, _ in self.follower_changes(entity, record_id):
            if action == "added":
                since[user_id] = at
        created: dt.datetime = record["created_at"]
        return [(u, since.get(u, created)) for u in record.get("watcher_ids") or ()]

    def _live(self, entity: str, record_id: int) -> Record:
        found = self.find(entity, all_of(Cond("id", "eq", record_id),
                                         Cond("is_deleted", "eq", False)))
        if found is None:
            raise NotFound(f"{entity.capitalize()} not found")
        return found

    def permitted_users(self, entity: str, record_id: int) -> builtins.list[int]:
        """The ids of the company's active users who see this record (``visibility``),
        in id order."""
        record = self.get(entity, record_id)
        stand = self._records.changelog.version(self._tx, self.ctx.company_id, ("user", "role"))
        if self._sights is None or self._sights[0] != stand:  # (made once per unit while
            users = self.list("user", Query(  # its users and roles stand: a fan-out asks
                where=all_of(Cond("is_deleted", "eq", False),  # it of every event)
                             Cond("is_active", "eq", True)),
                page=Keyset(None, MAX_USERS), fields=("is_admin",)))
            self._sights = (stand, self._records.sights(
                self._tx, self.ctx, {int(u["id"]): bool(u["is_admin"]) for u in users.items}))
        return [u for u, sight in self._sights[1].items()
                if sight.sees(self.schema, entity, record)]

    def sum_by(self, entity: str, where: Filter | None, group: Sequence[str],
               sums: Sequence[str] = ()) -> builtins.list[Aggregate]:
        """Per distinct value of the ``group`` fields of the records meeting ``where``: the
        count and the sums of ``sums`` (computed by the database)."""
        self._service._permissions.scoped(self.ctx, entity)
        return self._records.sum_by(self._tx, self.ctx, entity, where, group, sums)

    # ---- writes ------------------------------------------------------------------------

    def _written(self, entity: str, record_id: int) -> Record:
        """The record a write of the caller's made, as stored: theirs to see once, even
        when what they wrote (its owner, its ``visible_to``) hides it from them after."""
        return self._records.get(self._tx, self._records.trusted(self.ctx), entity, record_id)

    def administer(self, what: str) -> int:
        """The caller's company, if they may administer it (``what``: for the refusal's
        words); Forbidden otherwise (``Permissions.admin``)."""
        self._service._permissions.admin(self.ctx, what)
        return self.ctx.company_id

    def may_write(self, entity: str) -> None:
        """Refused (Forbidden) unless the caller may change records of ``entity`` (for an
        operation that might otherwise have nothing to write)."""
        self._service._permissions.write(self.ctx, entity)

    def create(self, entity: str, values: Mapping[str, Any]) -> Record:
        """A new record from canonical values; the record as stored."""
        self._need_write()
        self._service._permissions.write(self.ctx, entity)
        record_id = self._records.create(self._tx, self.ctx, entity, values)
        return self._written(entity, record_id)

    def update(self, entity: str, record_id: int, values: Mapping[str, Any]) -> Record:
        """Changed fields of a live record; the record as stored."""
        self._need_write()
        self._service._permissions.change(self.ctx, entity, record_id, values)
        self._records.update(self._tx, self.ctx, entity, record_id, values)
        if entity == "user" and values.get("is_active") is False:  # (no session outlives it)
            self._service._accounts.end_sessions(self._tx, self.ctx.company_id, record_id)
        return self._written(entity, record_id)

    def delete(self, entity: str, ids: Sequence[int]) -> builtins.list[int]:
        """Soft-delete every id, all or nothing (NotFound if one is missing or deleted)."""
        self._need_write()
        self._service._permissions.remove(self.ctx, entity, ids)
        done = self._records.delete(self._tx, self.ctx, entity, ids)
        if entity == "user":
            for user_id in done:
                self._service._accounts.end_sessions(self._tx, self.ctx.company_id, user_id)
        return done

    def merge(self, entity: str, record_id: int, into: int) -> Record:
        """Merge a record into another (see ``Records.merge``); the record it became."""
        self._need_write()
        self._service._permissions.write(self.ctx, entity)
        self._records.merge(self._tx, self.ctx, entity, record_id, into)
        return self._written(entity, into)

    def duplicate(self, entity: str, record_id: int) -> Record:
        """A copy of a live record (see ``Records.duplicate``): the new record."""
        self._need_write()
        self._service._permissions.write(self.ctx, entity)
        made = self._records.duplicate(self._tx, self.ctx, entity, record_id)
        return self._written(entity, made)

    def convert(self, entity: str, record_id: int, values: Mapping[str, Any] | None = None
                ) -> Record:
        """Make the live lead ``record_id`` a deal, or the live deal a lead (see
        ``Records.convert``; ``values``: fields of the new record, such as the deal's
        stage), and delete it; the conversion record (``lead_id``, ``deal_id``, ``status``;
        its ``uid`` names it)."""
        self._need_write()
        target = CONVERTS_TO.get(entity)
        if target is None:
            raise NotFound(f"{entity} cannot be converted")
        permissions = self._service._permissions
        permissions.write(self.ctx, target)
        permissions.remove(self.ctx, entity, [record_id])
        made = self._records.convert(self._tx, self.ctx, entity, record_id, values or {})
        lead, deal = (record_id, made) if entity == "lead" else (made, record_id)
        conversion = self._records.create(self._tx, self.ctx, "conversion", {
            "direction": f"{entity}_to_{target}", "lead_id": lead, "deal_id": deal,
            "status": "completed"})
        self._records.delete(self._tx, self.ctx, entity, [record_id])
        return self._records.get(self._tx, self.ctx, "conversion", conversion)

    def create_many(self, entity: str, items: Sequence[Mapping[str, Any]]) -> builtins.list[int]:
        """Many new records at once, all or nothing; their ids in order."""
        self._need_write()
        self._service._permissions.write(self.ctx, entity)
        return self._records.create_many(self._tx, self.ctx, entity, items)

    def draft(self, entity: str, items: Sequence[Mapping[str, Any]]) -> Draft:
        """New records of ``entity`` made ready to go in, all or nothing (as
        ``create_many`` would refuse them), writing nothing: a read unit may make them
        while a write unit writes the ones before (``insert``)."""
        self._service._permissions.write(self.ctx, entity)
        return self._records.draft(self._tx, self.ctx, entity, items)

    def insert(self, draft: Draft) -> builtins.list[int]:
        """Write records drafted by an earlier unit (``draft``) of the same company; their
        ids, in order. What the drafting read is read again: if anything it relied on
        changed since, they are drafted again here (and may then be refused), so the
        records are what ``create_many`` in this unit would make."""
        self._need_write()
        self._service._permissions.write(self.ctx, draft.entity)
        return self._records.insert(self._tx, self.ctx, draft)

    def batch(self, items: Sequence[T], plan: Callable[[int, T], Save | Remove], *,
              skip_failures: bool,
              speak: Callable[[ValidationError], DealbaseError] | None = None
              ) -> builtins.list[Outcome]:
        """Write many items in order, each as if alone.

        ``plan(index, item)`` turns an item into its write (and may raise for a bad
        item). Each item runs in its own savepoint: a failing item undoes only itself.
        Without ``skip_failures`` the first failure raises (``item N: …``) and the
        caller's transaction undoes everything; with it, the failure is that item's
        outcome and the others go on. Runs of new records are inserted together and,
        if such a run fails, again in halves down to single items created one by one
        (``_insert_items``), so every outcome lands on its item.
        ``speak`` puts an item's validation error in the adapter's words.
        """
        self._need_write()
        outcomes = [Outcome() for _ in items]
        run = _Run()

        def failed(index: int, error: DealbaseError) -> None:
            if speak is not None and isinstance(error, ValidationError):
                error = speak(error)
            if not skip_failures:
                error.message = f"item {index}: {error.message}"
                raise error
            outcomes[index] = Outcome(error=error)

        for index, item in enumerate(items):
            try:
                write = plan(index, item)
            except DealbaseError as error:
                failed(index, error)
                continue
            if isinstance(write, Save) and write.id is None:
                if run.items and run.entity != write.entity:
                    self._insert_run(run, outcomes, failed)
                    run = _Run()
                run.entity = write.entity
                run.items.append((index, write.values))
                if len(run.items) >= MAX_RUN:  # bounded: the memory a batch holds at once
                    self._insert_run(run, outcomes, failed)
                    run = _Run()
                continue
            self._insert_run(run, outcomes, failed)
            run = _Run()
            try:
                with self._tx.savepoint():
                    if isinstance(write, Save):
                        assert write.id is not None
                        self.update(write.entity, write.id, write.values)
                    else:
                        self.delete(write.entity, [write.id])
                outcomes[index] = Outcome(id=write.id)
            except DealbaseError as error:
                failed(index, error)
        self._insert_run(run, outcomes, failed)
        return outcomes

    def _insert_run(self, run: _Run, outcomes: builtins.list[Outcome],
                    failed: Callable[[int, DealbaseError], None]) -> None:
        if not run.items:
            return
        try:
            self._service._permissions.write(self.ctx, run.entity)
        except DealbaseError as error:
            for index, _ in run.items:
                failed(index, error)
            return
        self._insert_items(run.entity, run.items, outcomes, failed)

    def _insert_items(self, entity: str, items: Sequence[tuple[int, Mapping[str, Any]]],
                      outcomes: builtins.list[Outcome],
                      failed: Callable[[int, DealbaseError], None]) -> None:
        """Insert new items together; if that fails, each half again the same way, down to
        single items created one by one (which tell which items fail, and why): a few bad
        items among many cost a few inserts each, not one per item of the run."""
        if len(items) == 1:
            index, values = items[0]
            try:
                with self._tx.savepoint():
                    record_id = self._records.create(self._tx, self.ctx, entity, values)
                outcomes[index] = Outcome(id=record_id, created=True)
            except DealbaseError as error:
                failed(index, error)
            return
        try:
            with self._tx.savepoint():
                ids = self.create_many(entity, [values for _, values in items])
        except DealbaseError:
            half = len(items) // 2
            self._insert_items(entity, items[:half], outcomes, failed)
            self._insert_items(entity, items[half:], outcomes, failed)
            return
        for (index, _), record_id in zip(items, ids, strict=True):
            outcomes[index] = Outcome(id=record_id, created=True)

    # ---- custom field definitions ------------------------------------------------------

    def fields(self, entity: str) -> tuple[CustomField, ...]:
        """The entity's live custom fields, in order (an OAuth token needs to read the
        entity, or to change its fields, to read them: ``/dealFields`` asks ``deals:read``,
        ``deals:full`` or ``deal-fields:full``)."""
        permissions = self._service._permissions
        try:
            permissions.scoped(self.ctx, entity)
        except Forbidden:
            permissions.scoped(self.ctx, entity, fields=True)
        return self._service._fields.list(self._tx, self.ctx, entity)

    def field(self, entity: str, *, field_id: int | None = None, key: str | None = None
              ) -> CustomField:
        return self._service._fields.get(self._tx, self.ctx, entity, field_id=field_id, key=key)

    @contextmanager
    def _changing_fields(self, entity: str) -> Iterator[None]:
        self._need_write()
        self._service._permissions.fields(self.ctx)
        self._service._permissions.scoped(self.ctx, entity, fields=True)
        yield
        self.ctx = self._service._accounts.refresh(self._tx, self.ctx)

    def create_field(self, entity: str, name: Any, field_type: Any,
                     options: Sequence[Any] | None = None,
                     settings: Mapping[str, Any] | None = None) -> CustomField:
        with self._changing_fields(entity):
            made = self._service._fields.create(self._tx, self.ctx, entity, name, field_type,
                                                options, settings)
        return made

    def update_field(self, entity: str, field_id: int, *, name: Any = None,
                     options: Sequence[Any] | None = None,
                     settings: Mapping[str, Any] | None = None) -> CustomField:
        with self._changing_fields(entity):
            made = self._service._fields.update(self._tx, self.ctx, entity, field_id, name=name,
                                                options=options, settings=settings)
        return made

    def add_options(self, entity: str, key: str, labels: Sequence[Any]) -> CustomField:
        with self._changing_fields(entity):
            made = self._service._fields.add_options(self._tx, self.ctx, entity, key, labels)
        return made

    def relabel_options(self, entity: str, key: str, changes: Mapping[int, Any]) -> CustomField:
        with self._changing_fields(entity):
            made = self._service._fields.relabel_options(self._tx, self.ctx, entity, key, changes)
        return made

    def remove_options(self, entity: str, key: str, ids: Sequence[Any]) -> CustomField:
        with self._changing_fields(entity):
            made = self._service._fields.remove_options(self._tx, self.ctx, entity, key, ids)
        return made

    def delete_fields(self, entity: str, field_ids: Sequence[int]) -> builtins.list[int]:
        with self._changing_fields(entity):
            gone = self._service._fields.delete(self._tx, self.ctx, entity, field_ids)
        return gone


def live(where: Filter | None = None) -> Filter | None:
    """``where`` among records that are not deleted."""
    return all_of(Cond("is_deleted", "eq", False), where)


__all__ = ["MAX_BULK", "Aggregate", "Change", "NotFound", "Outcome", "Remove", "Save", "Unit", "live"]
