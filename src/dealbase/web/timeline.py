"""A record's timeline: its activities, notes and changes (the change log), newest first.

The same service calls as Pipedrive's ``/deals/{id}/flow``: ``unit.changes`` newest first
for the record's change-log rows, ``unit.list`` of the activities and notes that point at
it. A page is keyset-paged in each of the three at once: the cursor holds where each of
them stopped (a change's sequence number; an activity's and a note's creation time and
id), so a deep page costs what the first does and nothing is shown twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..domain import search
from ..domain.entities._common import ACTIVITY_DONE
from ..domain.errors import Reason, invalid
from ..domain.spec import EntitySpec
from ..domain.types import INT_MAX, Kind
from ..query.ast import Cond, Keyset, Query, Sort, all_of
from ..service import Change, Unit, decode_cursor, encode_cursor
from .fields import PATHS, Names, choice_labels, humanise, plain_text

PAGE = 20
# Where activities and notes point at a record, by the record's entity.
LINKS = {"deal": "deal_id", "person": "person_id", "organization": "organization_id"}
# The cursor's keys (a made-up sort: the cursor codec checks a cursor was made for it).
_CURSOR = (Sort("change"), Sort("activity_at"), Sort("activity_id"), Sort("note_at"),
           Sort("note_id"))
_NEWEST = (Sort("created_at", True), Sort("id", True))
# Fields a change does not mention (bookkeeping every write touches).
_QUIET = frozenset({"updated_at", "created_at", "uid", "updated_by"})


@dataclass
class Entry:
    """One item of a timeline."""

    kind: str  # change, note or activity
    at: dt.datetime
    key: tuple[Any, ...]
    id: int
    who: str = ""
    title: str = ""
    text: str = ""
    href: str | None = None
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (label, old, new)
    done: bool = False
    due: str = ""


@dataclass
class Position:
    """Where a timeline page starts in each of its sources (0: that source is done)."""

    change: int | None = None
    activity: tuple[str | None, int | None] = (None, None)
    note: tuple[str | None, int | None] = (None, None)

    @staticmethod
    def of(token: str | None) -> Position:
        if not token:
            return Position()
        values = decode_cursor(token, _CURSOR)
        change, a_at, a_id, n_at, n_id = values
        for number in (change, a_id, n_id):
            if number is not None and (not isinstance(number, int) or isinstance(number, bool)
                                       or not 0 <= number <= INT_MAX):
                raise _bad()
        for at in (a_at, n_at):
            if at is not None:
                if not isinstance(at, str):
                    raise _bad()
                try:
                    dt.datetime.fromisoformat(at)
                except ValueError:
                    raise _bad() from None
        return Position(change, (a_at, a_id), (n_at, n_id))

    def token(self) -> str:
        return encode_cursor(_CURSOR, (self.change, *self.activity, *self.note))


def _bad() -> Exception:
    return invalid("cursor", "is not a cursor of this timeline", Reason.BAD_PARAMETER,
                   text="This timeline page link is broken: start from the first page.")


@dataclass
class Timeline:
    entries: list[Entry]
    next: str | None


def timeline(unit: Unit, entity: str, record_id: int, token: str | None,
             names: Names | None = None, limit: int = PAGE) -> Timeline:
    """A page of the record's timeline (``token``: where it starts, from a page before)."""
    position = Position.of(token)
    spec = unit.schema.entity(entity)
    names = names or Names(unit)
    want = limit + 1
    # Each source in its own order (newest first), merged by time: what a page shows of
    # a source is a prefix of it, so its position is the last one shown.
    streams: dict[str, list[tuple[Entry, Any]]] = {"change": [], "activity": [], "note": []}
    if position.change != 0:
        changes = unit.changes(entity, record_id, before=position.change, newest_first=True,
                               limit=want)
        streams["change"] = [(_change(spec, c, names), c.seq) for c in changes]
    exhausted = {"change": position.change == 0 or len(streams["change"]) < want}
    link = LINKS.get(entity)
    for source in ("activity", "note"):
        at, last = position.activity if source == "activity" else position.note
        if link is None or last == 0:
            exhausted[source] = True
            continue
        after = None if at is None or last is None else (at, last)
        page = unit.list(source, Query(where=all_of(Cond(link, "eq", record_id),
                                                    Cond("is_deleted", "eq", False)),
                                       sort=_NEWEST, page=Keyset(after, want)))
        exhausted[source] = len(page.items) < want
        streams[source] = [(_activity(r, names) if source == "activity" else _note(r, names),
                            (r["created_at"].isoformat(), int(r["id"]))) for r in page.items]
    shown: list[Entry] = []
    taken: dict[str, Any] = {}
    heads = {source: 0 for source in streams}
    while len(shown) < limit:
        ready = [s for s in streams if heads[s] < len(streams[s])]
        if not ready:
            break
        source = max(ready, key=lambda s: streams[s][heads[s]][0].key)
        entry, place = streams[source][heads[source]]
        heads[source] += 1
        shown.append(entry)
        taken[source] = place
    left = {s: heads[s] < len(streams[s]) for s in streams}
    following: str | None = None
    if any(left.values()) or not all(exhausted.values()):
        def next_of(source: str, old: Any, done: Any) -> Any:
            if not left[source] and exhausted[source]:
                return done
            return taken.get(source, old)
        following = Position(next_of("change", position.change, 0),
                             next_of("activity", position.activity, (None, 0)),
                             next_of("note", position.note, (None, 0))).token()
    names.load()
    types: dict[str, str] = {}
    if any(e.kind == "activity" for e in shown):
        types = {str(t["key"]): str(t["name"]) for t in unit.list("activity_type", Query(
            sort=(Sort("order_nr"),), page=Keyset(None, 500))).items}
    for entry in shown:
        _named(entry, names)
        if entry.kind == "activity":
            entry.text = types.get(entry.text, entry.text)
    return Timeline(shown, following)


# ---- entries ---------------------------------------------------------------------------

def _at(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _change(spec: EntitySpec, change: Change, names: Names) -> Entry:
    entry = Entry("change", change.at, (change.at, 0, change.seq), change.seq)
    entry.who = f"user:{change.user_id}" if change.user_id is not None else ""
    if change.user_id is not None:
        names.want("user", [change.user_id])
    if change.action == "create":
        entry.title = f"{spec.name.capitalize()} created"
        return entry
    deleted = change.changes.get("is_deleted")
    if change.action == "delete" or (isinstance(deleted, list) and deleted[-1] is True):
        entry.title = f"{spec.name.capitalize()} deleted"
        return entry
    entry.title = f"{spec.name.capitalize()} updated"
    for name in sorted(change.changes):
        pair = change.changes[name]
        f = spec.by_name.get(name)
        if name in _QUIET or f is None or f.readonly or f.derived is not None \
                or not isinstance(pair, list) or len(pair) != 2:
            continue
        old, new = pair
        if f.kind is Kind.DATETIME:
            old, new = _at(old), _at(new)
        if f.ref is not None and f.name != "label_ids":
            for v in (old, new):
                names.want(f.ref, v if isinstance(v, list) else [v])
        entry.rows.append((f.label or humanise(f.name), _value(spec, name, old),
                           _value(spec, name, new)))
        if len(entry.rows) >= 100:
            break
    return entry


def _value(spec: EntitySpec, name: str, value: Any) -> Any:
    f = spec.by_name[name]
    if value is None or value == []:
        return ""
    if f.ref is not None and f.name != "label_ids":
        return (f.ref, tuple(value) if isinstance(value, list) else (value,))
    if f.options:
        labels = {o.id: o.label for o in f.options}
        return ", ".join(labels.get(v, str(v)) for v in (value if isinstance(value, list)
                                                         else [value]))
    if f.choices:
        return choice_labels(spec.name, f).get(value, str(value))
    if f.kind is Kind.DATE and isinstance(value, str):
        return value[:10]
    return plain_text(value)


def _named(entry: Entry, names: Names) -> None:
    if entry.who.startswith("user:"):
        entry.who = names.name("user", int(entry.who[5:]))
    rows = []
    for label, old, new in entry.rows:
        rows.append((label, _words(old, names), _words(new, names)))
    entry.rows = rows


def _words(value: Any, names: Names) -> str:
    if isinstance(value, tuple):
        entity, ids = value
        return ", ".join(names.name(entity, i) if isinstance(i, int) else str(i) for i in ids)
    return str(value)


def _activity(record: Mapping[str, Any], names: Names) -> Entry:
    entry = Entry("activity", record["created_at"], (record["created_at"], 2, record["id"]),
                  int(record["id"]))
    entry.title = search.plain(record.get("subject")) or "Activity"
    entry.text = str(record.get("type") or "")
    entry.href = f"/{PATHS['activity']}/{record['id']}"
    entry.done = record.get("status") == ACTIVITY_DONE
    due = record.get("due_date")
    entry.due = (due.isoformat() if isinstance(due, dt.date) else "") + (
        f" {record['due_time'][:5]}" if record.get("due_time") else "")
    owner = record.get("owner_id")
    if isinstance(owner, int):
        names.want("user", [owner])
        entry.who = f"user:{owner}"
    return entry


def _note(record: Mapping[str, Any], names: Names) -> Entry:
    entry = Entry("note", record["created_at"], (record["created_at"], 1, record["id"]),
                  int(record["id"]))
    entry.title = "Note"
    entry.text = search.plain(record.get("content"))
    owner = record.get("owner_id")
    if isinstance(owner, int):
        names.want("user", [owner])
        entry.who = f"user:{owner}"
    return entry


__all__ = ["LINKS", "PAGE", "Entry", "Position", "Timeline", "timeline"]
