"""A record's fields as the record pages show and edit them.

What a field is comes from the registry (``unit.schema``: built-in fields and the
company's custom fields); what a value may be is the records service's to say. Here only
presentation (labels, display text, links to related records, the input an edit uses)
and the loose forms a browser sends (every input's value is text) turned into the kinds
the domain takes (``domain.types.loosen``), as the v1 dialect does with its loose wire.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..domain import search
from ..domain.entities._common import VISIBILITY_LABELS
from ..domain.errors import Forbidden, NotFound
from ..domain.spec import EntitySpec, FieldSpec
from ..domain.types import Kind, loosen
from ..query.ast import Cond, Keyset, Query, Sort, all_of
from ..service import Unit
from .base import money, when

# The record pages, by entity (and the entity of each page path).
PATHS = {"deal": "deals", "person": "persons", "organization": "organizations",
         "activity": "activities"}
ENTITIES = {path: entity for entity, path in PATHS.items()}
# Words for the values of built-in fields with choices.
CHOICE_LABELS: Mapping[str, Mapping[Any, str]] = {
    "visible_to": VISIBILITY_LABELS,
    "status": {"open": "Open", "won": "Won", "lost": "Lost"},
    "activity.status": {1: "Not started", 2: "In progress", 3: "Waiting", 4: "Done",
                        5: "Deferred"},
    "priority": {1: "Low", 2: "Medium", 3: "High"},
}
CONTACT_LISTS = ("emails", "phones")
MAX_CHOICES = 200  # records of a referenced entity offered in a select (more: an id input)
# Fields a page never shows: internal, or shown elsewhere on the page.
HIDDEN = frozenset({"uid", "is_deleted"})
# The fields a page shows first; the entity's other editable fields are under "More".
MAIN: Mapping[str, tuple[str, ...]] = {
    "deal": ("title", "value", "currency", "owner_id", "person_id", "organization_id",
             "pipeline_id", "stage_id", "status", "probability", "lost_reason",
             "expected_close_date", "visible_to", "label_ids", "description",
             "participant_ids"),
    "person": ("name", "first_name", "last_name", "organization_id", "emails", "phones",
               "job_title", "owner_id", "visible_to", "label_ids", "birthday", "notes",
               "postal_address"),
    "organization": ("name", "address", "owner_id", "website", "industry", "annual_revenue",
                     "employee_count", "emails", "phones", "visible_to", "label_ids", "notes",
                     "parent_organization_id"),
    "activity": ("subject", "type", "owner_id", "due_date", "due_time", "duration", "status",
                 "priority", "deal_id", "person_id", "organization_id", "location", "note",
                 "busy", "public_description"),
}


def humanise(name: str) -> str:
    return name.replace("_", " ").capitalize()


def is_editable(f: FieldSpec) -> bool:
    """Whether the service takes writes of the field (read-only, derived and the string
    id are refused by it; a page offers no input for them)."""
    return not (f.readonly or f.virtual or f.derived is not None or f.name in ("id", "uid"))


def choice_labels(entity: str, f: FieldSpec) -> Mapping[Any, str]:
    found = CHOICE_LABELS.get(f"{entity}.{f.name}") or CHOICE_LABELS.get(f.name)
    if found is not None and f.choices and set(f.choices) <= set(found):
        return found
    return {c: str(c) for c in f.choices}


def is_id_list(f: FieldSpec) -> bool:
    return f.kind is Kind.JSON and (f.ref is not None or f.name == "label_ids"
                                    or f.field_type == "set")


# ---- values from a browser ---------------------------------------------------------------

def loose(f: FieldSpec, raw: Any) -> Any:
    """A value as a browser sends it (text, or JSON from the app's script) in the kind the
    field takes, where the text clearly means one; anything else goes to the service as
    sent, and the service says what is wrong with it."""
    if isinstance(raw, str):
        if f.kind is not Kind.TEXT:
            raw = raw.strip()
        if raw == "":
            return None
        if f.kind is Kind.JSON:
            if f.name in CONTACT_LISTS:
                return [p.strip() for p in raw.split(",") if p.strip()]
            if is_id_list(f):
                return [loosen(Kind.INT, p.strip()) for p in raw.split(",") if p.strip()]
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                return raw
        return loosen(f.kind, raw)
    if isinstance(raw, list) and is_id_list(f):
        return [loosen(Kind.INT, v) for v in raw] or None
    if f.kind in (Kind.INT, Kind.REF, Kind.FLOAT, Kind.BOOL):
        return loosen(f.kind, raw)
    return raw


# ---- values as a page shows them ---------------------------------------------------------

@dataclass(frozen=True)
class Link:
    text: str
    href: str | None = None


@dataclass
class FieldView:
    """One field of a record as a page shows it: its label, the value's words (and links)
    and, when editable, how to edit it."""

    name: str
    label: str
    text: str = ""
    links: list[Link] = field(default_factory=list)
    editable: bool = False
    input: str = "text"  # text, textarea, number, date, datetime-local, time, select, multi
    step: str = ""
    options: str = ""  # the id of a <template> of <option>s (select, multi)
    current: str = ""  # the value as an input holds it
    custom: bool = False
    group: str = "details"  # details, custom, summary, more


class Names:
    """The names of records a page mentions, read once per entity (as the caller sees
    them: a record they may not see stays a bare id)."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self.wanted: dict[str, set[int]] = {}
        self.found: dict[str, dict[int, str]] = {}

    def want(self, entity: str, ids: Iterable[Any]) -> None:
        self.wanted.setdefault(entity, set()).update(
            i for i in ids if isinstance(i, int) and not isinstance(i, bool))

    def want_refs(self, spec: EntitySpec, record: Mapping[str, Any]) -> None:
        for f in spec.fields:
            if f.ref is None or f.name in HIDDEN:
                continue
            value = record.get(f.name)
            self.want(f.ref, value if isinstance(value, list) else [value])

    def load(self) -> None:
        for entity, ids in self.wanted.items():
            known = self.found.setdefault(entity, {})
            ids = {i for i in ids if i not in known}
            if not ids:
                continue
            try:
                spec = self.unit.schema.entity(entity)
                title = spec.title_field if spec.title_field in spec.by_name else "id"
                for i, r in self.unit.get_many(entity, ids, ("id", title)).items():
                    known[i] = search.plain(r.get(title)) or f"#{i}"
            except (Forbidden, NotFound):
                continue
        self.wanted.clear()

    def name(self, entity: str, record_id: int) -> str:
        return self.found.get(entity, {}).get(record_id, f"#{record_id}")

    def link(self, entity: str, record_id: Any) -> Link:
        if not isinstance(record_id, int) or isinstance(record_id, bool):
            return Link(str(record_id))
        text = self.name(entity, record_id)
        known = record_id in self.found.get(entity, {})
        if entity in PATHS and known:
            return Link(text, f"/{PATHS[entity]}/{record_id}")
        if entity in ("user", "stage", "pipeline") and known:  # their deals
            return Link(text, f"/deals?{'owner' if entity == 'user' else entity}={record_id}")
        return Link(text)


def plain_text(value: Any) -> str:
    """A stored value as words (a list of contact points as its values; HTML as text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return when(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return money(value)
    if isinstance(value, list) and all(isinstance(v, dict) and "value" in v for v in value):
        return ", ".join(str(v["value"]) for v in value)
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return search.plain(value) if isinstance(value, str) else str(value)


def input_value(f: FieldSpec, value: Any) -> str:
    """The value as an input holds it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list):
        if f.name in CONTACT_LISTS:
            return ", ".join(str(v.get("value")) for v in value if isinstance(v, dict))
        if is_id_list(f) and all(isinstance(v, int) for v in value):
            return ", ".join(map(str, value))
        return orjson.dumps(value).decode()
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return str(value)


class Choices:
    """The ``<template>``s of options a page's selects use, made once per page."""

    def __init__(self, unit: Unit, names: Names) -> None:
        self.unit, self.names = unit, names
        self.templates: dict[str, list[tuple[str, str, str]]] = {}  # id -> (value, text, group)
        self._refs: dict[str, bool] = {}

    def add(self, key: str, options: Sequence[tuple[str, str, str]]) -> str:
        self.templates.setdefault(key, list(options))
        return key

    def of_ref(self, entity: str) -> str | None:
        """A template of the live records of ``entity`` (by name) if there are few, else
        None (the page offers an id input)."""
        key = f"ref-{entity}"
        if key in self.templates:
            return key
        if entity in self._refs:
            return None
        try:
            spec = self.unit.schema.entity(entity)
            title = spec.title_field if spec.title_field in spec.by_name else "id"
            fields = ["id", title]
            where = all_of(Cond("is_deleted", "eq", False),
                           Cond("is_active", "eq", True) if entity == "user" else None)
            if entity == "stage":
                fields.append("pipeline_id")
            sort: tuple[Sort, ...] = ((Sort("order_nr"),) if "order_nr" in spec.by_name
                                      else (Sort(title),))
            if entity == "stage":
                sort = (Sort("pipeline_id"), Sort("order_nr"))
            few = self.unit.list(entity, Query(where=where, sort=(Sort("id"),), fields=("id",),
                                               page=Keyset(None, MAX_CHOICES + 1)))
            if few.more:  # (too many to offer: found in id order, never sorting them all)
                self._refs[entity] = False
                return None
            page = self.unit.list(entity, Query(where=where, sort=sort, fields=tuple(fields),
                                                page=Keyset(None, MAX_CHOICES + 1)))
        except (Forbidden, NotFound):
            self._refs[entity] = False
            return None
        if len(page.items) > MAX_CHOICES:
            self._refs[entity] = False
            return None
        group: dict[int, str] = {}
        if entity == "stage":
            pipelines = {int(r["pipeline_id"]) for r in page.items}
            self.names.want("pipeline", pipelines)
            self.names.load()
            group = {p: self.names.name("pipeline", p) for p in pipelines}
        options = [(str(r["id"]), search.plain(r.get(title)) or f"#{r['id']}",
                    group.get(int(r.get("pipeline_id") or 0), "")) for r in page.items]
        for r in page.items:
            self.names.found.setdefault(entity, {})[int(r["id"])] = \
                search.plain(r.get(title)) or f"#{r['id']}"
        return self.add(key, options)

    def activity_types(self) -> str:
        key = "activity-types"
        if key not in self.templates:
            page = self.unit.list("activity_type", Query(
                where=Cond("is_deleted", "eq", False), sort=(Sort("order_nr"),),
                page=Keyset(None, 500)))
            self.add(key, [(str(r["key"]), str(r["name"]), "") for r in page.items])
        return key

    def listed(self) -> list[tuple[str, list[tuple[str, str, str]]]]:
        return sorted(self.templates.items())


def views(unit: Unit, entity: str, record: Mapping[str, Any], names: Names,
          choices: Choices) -> list[FieldView]:
    """Every field of the record, in the registry's order (custom fields last)."""
    spec = unit.schema.entity(entity)
    out: list[FieldView] = []
    live = not record.get("is_deleted")
    for f in spec.fields:
        if f.name in HIDDEN or f.virtual:
            continue
        value = record.get(f.name)
        view = FieldView(f.name, f.label or humanise(f.name), custom=f.is_custom,
                         editable=live and is_editable(f), current=input_value(f, value))
        view.group = ("custom" if f.is_custom else "summary" if not is_editable(f)
                      else "details" if f.name in MAIN.get(entity, ()) else "more")
        _show(view, entity, f, value, record, names)
        if view.editable:
            _input(view, entity, f, choices)
        out.append(view)
    return out


def _show(view: FieldView, entity: str, f: FieldSpec, value: Any, record: Mapping[str, Any],
          names: Names) -> None:
    if value is None or value == []:
        return
    if f.ref is not None and f.name != "label_ids":
        ids = value if isinstance(value, list) else [value]
        view.links = [names.link(f.ref, i) for i in ids]
        return
    if f.options:
        labels = {o.id: o.label for o in f.options}
        ids = value if isinstance(value, list) else [value]
        view.text = ", ".join(labels.get(i, str(i)) for i in ids)
        return
    if f.choices:
        view.text = choice_labels(entity, f).get(value, str(value))
        return
    if f.field_type == "monetary" and isinstance(value, int | float) and not f.is_custom:
        currency = record.get("currency") if entity == "deal" else None
        view.text = plain_text(float(value)) + (f" {currency}" if currency else "")
        return
    if f.is_custom and f.field_type == "monetary" and isinstance(value, int | float):
        currency = record.get(f"{f.name}_currency")
        view.text = plain_text(float(value)) + (f" {currency}" if currency else "")
        return
    view.text = plain_text(value)


def _input(view: FieldView, entity: str, f: FieldSpec, choices: Choices) -> None:
    if f.options and f.field_type in ("enum", "set"):
        view.input = "multi" if f.field_type == "set" else "select"
        view.options = choices.add(f"options-{f.custom_id}",
                                   [(str(o.id), o.label, "") for o in f.options])
    elif f.choices:
        view.input = "select"
        labels = choice_labels(entity, f)
        view.options = choices.add(f"choices-{entity}-{f.name}",
                                   [(str(c), labels.get(c, str(c)), "") for c in f.choices])
    elif entity == "activity" and f.name == "type":
        view.input, view.options = "select", choices.activity_types()
    elif f.kind is Kind.REF and f.ref is not None:
        found = choices.of_ref(f.ref)
        if found is None:
            view.input, view.step = "number", "1"
        else:
            view.input, view.options = "select", found
    elif f.kind is Kind.BOOL:
        view.input = "select"
        view.options = choices.add("yes-no", [("true", "Yes", ""), ("false", "No", "")])
    elif f.kind is Kind.INT:
        view.input, view.step = "number", "1"
    elif f.kind is Kind.FLOAT:
        view.input, view.step = "number", "any"
    elif f.kind is Kind.DATE:
        view.input = "date"
    elif f.kind is Kind.DATETIME:
        view.input = "datetime-local"
    elif f.kind is Kind.TIME:
        view.input = "time"
    elif (f.kind is Kind.TEXT and (f.max_length or 0) > 1024) or (
            f.kind is Kind.JSON and not (is_id_list(f) or f.name in CONTACT_LISTS)):
        view.input = "textarea"


def title_of(entity: str, spec: EntitySpec, record: Mapping[str, Any]) -> str:
    return search.plain(record.get(spec.title_field)) or f"{spec.name.capitalize()} #{record['id']}"


__all__ = ["CHOICE_LABELS", "ENTITIES", "PATHS", "Choices", "FieldView", "Link", "Names",
           "choice_labels", "humanise", "input_value", "is_editable", "loose", "plain_text",
           "title_of", "views"]
