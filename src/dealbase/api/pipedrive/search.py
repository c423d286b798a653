"""Search through Pipedrive: ``/itemSearch``, ``/itemSearch/field`` and the
``/{deals,persons,organizations,products,leads}/search`` operations, v1 and v2.

The records service finds (``Unit.search`` over the full-text index; ``Unit.list`` for a
field's values); this module parses the parameters and renders the specs' shapes: items
``{result_score, item: {id, type, …}}``, v1 ``start``/``limit`` pagination, v2 cursors.
A search reads the index and many records, so it runs in the thread pool (``long``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ...domain import search
from ...domain.errors import Reason
from ...domain.types import Kind
from ...query.ast import Cond, Keyset, Query, Sort, all_of
from ...service import Hit, Unit, decode_cursor, encode_cursor, live
from ..body import query_params
from . import params, render
from .mapping import VIEWS, wire_uuid
from .routes import PREFIXES, Api, routes_at

Record = dict[str, Any]
TYPES = ("deal", "person", "organization", "product", "lead")
# Item types Pipedrive searches that dealbase does not store (yet): accepted, never found.
ELSEWHERE = ("file", "mail_attachment", "project")
# The ``fields`` a search of each type may name (the specs' lists).
FIELDS: Mapping[str, tuple[str, ...]] = {
    "deal": ("custom_fields", "notes", "title"),
    "person": ("custom_fields", "email", "notes", "phone", "name"),
    "organization": ("address", "custom_fields", "notes", "name"),
    "product": ("code", "custom_fields", "name"),
    "lead": ("custom_fields", "notes", "title"),
}
ALL_FIELDS = frozenset(f for fs in FIELDS.values() for f in fs) | {"description"}
INCLUDES = frozenset({"deal.cc_email", "person.picture", "product.price", "lead.was_seen"})
# Per-type searches: the path, and the query parameters that narrow the results (the
# parameter, the canonical field, and the values it may take when not an id).
NARROWING: Mapping[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "deal": (("person_id", "person_id", ()), ("organization_id", "organization_id", ()),
             ("status", "status", ("open", "won", "lost"))),
    "person": (("organization_id", "organization_id", ()),),
    "organization": (),
    "product": (),
    "lead": (("person_id", "person_id", ()), ("organization_id", "organization_id", ())),
}
PATHS = {"deal": "deals", "person": "persons", "organization": "organizations",
         "product": "products", "lead": "leads"}
FIELD_TYPES = {"dealField": "deal", "leadField": "lead", "personField": "person",
               "organizationField": "organization", "productField": "product",
               "projectField": "project"}
MAX_RELATED = 100  # related deals, leads and persons per found person or organization
MAX_FIELD_SCAN = 20_000  # records one field search examines (for distinct values)
_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")
_PAGE = (Sort("result"),)  # the sort a search cursor is made for: the result's position


def _term(q: Mapping[str, str]) -> str:
    """The ``term``, decoded once more if it arrives URL-encoded twice (clients encode it
    themselves, as Pipedrive's documentation asks, and their HTTP library again)."""
    raw = q.get("term")
    if raw is None or not raw.strip():
        raise params.bad("term", "Parameter 'term' is required", Reason.REQUIRED)
    if len(raw) > 500:
        raise params.bad("term", "term is too long (at most 500 characters)")
    return unquote(raw) if _ENCODED.search(raw) else raw


class Page:
    """Where a page of results starts and how long it is: v1 ``start``/``limit``, v2
    ``cursor``/``limit``."""

    def __init__(self, api: Api, q: Mapping[str, str], version: str) -> None:
        settings = api.settings
        self.version = version
        self.limit = params.integer(q, "limit", settings.default_page_size, 1,
                                    settings.max_page_size)
        if version == "v1":
            self.start = params.integer(q, "start", 0, 0, 10**9)
        else:
            cursor = q.get("cursor")
            found = decode_cursor(cursor, _PAGE) if cursor else (0,)
            if not isinstance(found[0], int) or isinstance(found[0], bool) or found[0] < 0:
                raise params.bad("cursor", "invalid cursor")
            self.start = found[0]

    def additional(self, more: bool) -> dict[str, Any]:
        if self.version == "v1":
            return render.v1_pagination(self.start, self.limit, more)
        return {"next_cursor": encode_cursor(_PAGE, (self.start + self.limit,)) if more else None}


class Items:
    """Search results as the specs show them: each record with the names of what it
    points at, the matched custom field values and notes."""

    def __init__(self, unit: Unit, term: search.Term, includes: frozenset[str]) -> None:
        self.unit, self.term, self.includes = unit, term, includes
        self.related: dict[str, dict[int, Record]] = {}

    def load(self, records: Mapping[str, Mapping[int, Record]], hits: Sequence[Hit]) -> None:
        """Read, in one statement per entity, what the items of ``records`` point at."""
        wanted: dict[str, set[int]] = {}
        for found in records.values():
            for record in found.values():
                for field, target in (("person_id", "person"), ("organization_id", "organization"),
                                      ("stage_id", "stage")):
                    if isinstance(record.get(field), int):
                        wanted.setdefault(target, set()).add(record[field])
        wanted["note"] = {n for h in hits for n in h.notes}
        for entity, ids in wanted.items():
            self.related[entity] = self.unit.get_many(entity, ids) if ids else {}

    def _named(self, entity: str, record_id: Any, *extra: str) -> dict[str, Any] | None:
        other = self.related.get(entity, {}).get(record_id) if record_id is not None else None
        if other is None:
            return None
        out = {"id": other["id"], "name": other.get("name")}
        for key in extra:
            if other.get(key):
                out[key] = other[key]
        return out

    def _matched_custom(self, hit: Hit, record: Record) -> list[str]:
        """The values of the custom fields the record was found by."""
        if search.CUSTOM not in hit.groups:
            return []
        entity = hit.entity
        spec = self.unit.schema.entity(entity)
        values = []
        for name in search.groups(spec).get(search.CUSTOM, ()):
            text = search.plain(record.get(name))
            if text and self.term.quality([text]):
                values.append(text)
        return values

    def _notes(self, hit: Hit) -> list[str]:
        notes = self.related.get("note", {})
        return [" ".join(search.plain(notes[n]["content"]).split()) for n in hit.notes
                if n in notes]

    def item(self, hit: Hit, record: Record) -> dict[str, Any]:
        entity = hit.entity
        owner = {"id": record.get("owner_id")}
        item: dict[str, Any] = {"id": wire_uuid(record["uid"]) if entity == "lead" else record["id"],
                                "type": entity}
        if entity in ("deal", "lead"):
            item["title"] = record["title"]
            if entity == "lead":
                item["owner"] = owner
            if record.get("value") is not None:
                value = record["value"]
                item["value"] = int(value) if float(value).is_integer() else value
            if record.get("currency") or entity == "deal":
                item["currency"] = record.get("currency")
            if entity == "deal":
                item["status"] = record["status"]
            item["visible_to"] = record.get("visible_to")
            if entity == "deal":
                item["owner"] = owner
                stage = self._named("stage", record.get("stage_id"))
                if stage is not None:
                    item["stage"] = stage
            person = self._named("person", record.get("person_id"))
            org = self._named("organization", record.get("organization_id"), "address")
            if entity == "deal" or person is not None:
                item["person"] = person
            if entity == "deal" or org is not None:
                item["organization"] = org
            if entity == "lead":
                contact = self.related.get("person", {}).get(record.get("person_id") or 0)
                item["phones"] = _values(contact, "phones")
                item["emails"] = _values(contact, "emails")
            item["custom_fields"] = self._matched_custom(hit, record)
            item["notes"] = self._notes(hit)
            item["is_archived"] = bool(record.get("is_archived"))
            if "deal.cc_email" in self.includes and entity == "deal":
                item["cc_email"] = record.get("cc_email") or ""
            if "lead.was_seen" in self.includes and entity == "lead":
                item["was_seen"] = bool(record.get("was_seen"))
            return item
        item["name"] = record["name"]
        if entity == "person":
            item["phones"] = _values(record, "phones")
            item["emails"] = _values(record, "emails")
        elif entity == "organization" and record.get("address"):
            item["address"] = record["address"]
        elif entity == "product":
            if record.get("code"):
                item["code"] = record["code"]
            if "product.price" in self.includes:
                prices = record.get("prices") or []
                item["price"] = prices[0].get("price") if prices else None
        item["visible_to"] = record.get("visible_to")
        item["owner"] = owner
        if entity == "person":
            org = self._named("organization", record.get("organization_id"), "address")
            if org is not None:
                item["organization"] = org
            if "person.picture" in self.includes:
                item["picture"] = None
        item["custom_fields"] = self._matched_custom(hit, record)
        if entity != "product":
            item["notes"] = self._notes(hit)
        return item


def _values(record: Mapping[str, Any] | None, name: str) -> list[str]:
    if record is None:
        return []
    return [str(i["value"]) for i in record.get(name) or () if isinstance(i, dict) and i.get("value")]


def _score(value: float) -> float:
    return round(value, 5)


class Searches:
    """The handlers: one search over several types (``itemSearch``) or one type."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def _respond(self, unit: Unit, page: Page, term: search.Term, includes: frozenset[str],
                 hits: Sequence[Hit], related: bool) -> Response:
        """The page of ``hits`` that ``page`` names, its records read (one statement per
        type), rendered."""
        wanted = hits[page.start:page.start + page.limit]
        more = len(hits) > page.start + page.limit
        by_entity: dict[str, list[int]] = {}
        for hit in wanted:
            by_entity.setdefault(hit.entity, []).append(hit.id)
        records = {e: unit.get_many(e, ids) for e, ids in by_entity.items()}
        shown = [(h, records[h.entity][h.id]) for h in wanted if h.id in records[h.entity]]
        items = Items(unit, term, includes)
        extra = self._related(unit, shown) if related else []
        loaded: dict[str, dict[int, Record]] = {}
        for hit, record in (*shown, *extra):
            loaded.setdefault(hit.entity, {})[hit.id] = record
        items.load(loaded, [h for h, _ in (*shown, *extra)])
        data: dict[str, Any] = {"items": [{"result_score": _score(h.score), "item": items.item(h, r)}
                                          for h, r in shown]}
        if related:
            data["related_items"] = [{"result_score": _score(h.score), "item": items.item(h, r)}
                                     for h, r in extra]
        return render.success(data, additional_data=page.additional(more))

    def _related(self, unit: Unit, shown: Sequence[tuple[Hit, Record]]
                 ) -> list[tuple[Hit, Record]]:
        """The newest deals and leads of each found person and organization, and the
        newest persons of each found organization (not found themselves)."""
        seen = {(h.entity, h.id) for h, _ in shown}
        out: list[tuple[Hit, Record]] = []
        for hit, _ in shown:
            if hit.entity not in ("person", "organization"):
                continue
            ref = f"{hit.entity}_id"
            kinds = ("deal", "lead") + (("person",) if hit.entity == "organization" else ())
            for kind in kinds:
                page = unit.list(kind, Query(where=live(Cond(ref, "eq", hit.id)),
                                             sort=(Sort("id", True),),
                                             page=Keyset(None, MAX_RELATED)))
                for record in page.items:
                    if (kind, record["id"]) not in seen:
                        seen.add((kind, record["id"]))
                        out.append((Hit(kind, record["id"], hit.score), record))
        return out

    def item_search(self, version: str) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            q = query_params(request)

            def work(unit: Unit) -> Response:
                types = params.choices(q, "item_types", (*TYPES, *ELSEWHERE)) or list(TYPES)
                fields = params.choices(q, "fields", ALL_FIELDS) or None
                includes = frozenset(params.choices(q, "include_fields", INCLUDES))
                page = Page(self.api, q, version)
                exact = params.flag(q, "exact_match")
                raw = _term(q)
                hits = unit.search([t for t in types if t in TYPES], raw, exact=exact,
                                   groups=fields)
                term = search.term_of(raw, exact)
                assert term is not None  # unit.search refused a term too short
                return self._respond(unit, page, term, includes, hits,
                                     params.flag(q, "search_for_related_items"))
            return await self.api.read(request, work, long=True)
        return handler

    def one_type(self, entity: str, version: str) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            q = query_params(request)

            def work(unit: Unit) -> Response:
                fields = params.choices(q, "fields", FIELDS[entity]) or None
                includes = frozenset(params.choices(q, "include_fields", INCLUDES))
                page = Page(self.api, q, version)
                exact = params.flag(q, "exact_match")
                narrowing: list[Cond] = []
                for name, field, allowed in NARROWING[entity]:
                    raw = q.get(name)
                    if raw is None or raw == "":
                        continue
                    if allowed:
                        if raw not in allowed:
                            raise params.bad(name, f"{name} must be one of {', '.join(allowed)}")
                        narrowing.append(Cond(field, "eq", raw))
                    else:
                        narrowing.append(Cond(field, "eq",
                                              params.integer(q, name, 0, 1, 2**63 - 1)))
                raw = _term(q)
                hits = unit.search([entity], raw, exact=exact, groups=fields,
                                   where=all_of(*narrowing))
                term = search.term_of(raw, exact)
                assert term is not None
                return self._respond(unit, page, term, includes, hits, False)
            return await self.api.read(request, work, long=True)
        return handler

    def field_search(self, version: str) -> Callable[[Request], Any]:
        """A field's values that match the term (v1: distinct values, or with
        ``return_item_ids`` each record's id and value; v2: each record's)."""
        async def handler(request: Request) -> Response:
            q = query_params(request)

            def work(unit: Unit) -> Response:
                if version == "v1":
                    kind = q.get("field_type") or ""
                    if kind not in FIELD_TYPES:
                        raise params.bad("field_type", "field_type must be one of "
                                         + ", ".join(FIELD_TYPES), Reason.REQUIRED)
                    entity, key = FIELD_TYPES[kind], q.get("field_key") or ""
                    match = "exact" if params.flag(q, "exact_match") else "middle"
                    with_ids = params.flag(q, "return_item_ids")
                else:
                    entity, key = q.get("entity_type") or "", q.get("field") or ""
                    if entity not in FIELD_TYPES.values():
                        raise params.bad("entity_type", "entity_type must be one of "
                                         + ", ".join(FIELD_TYPES.values()), Reason.REQUIRED)
                    match = q.get("match") or "exact"
                    if match not in ("exact", "beginning", "middle"):
                        raise params.bad("match", "match must be exact, beginning or middle")
                    with_ids = True
                page = Page(self.api, q, version)
                term = _term(q)
                if len(term.strip()) < (1 if match == "exact" else search.MIN_TERM):
                    raise params.bad("term", "term is too short")
                if entity == "project":  # no projects are stored yet
                    return render.success([], additional_data=page.additional(False))
                field = self._field(unit, entity, key, version)
                rows, more = self._values(unit, entity, field, term.strip(), match, with_ids,
                                          page)
                return render.success([
                    ({"id": wire_uuid(r["uid"]) if entity == "lead" else r["id"]}
                     if with_ids else {}) | {key: r[field]} for r in rows],
                    additional_data=page.additional(more))
            return await self.api.read(request, work, long=True)
        return handler

    @staticmethod
    def _field(unit: Unit, entity: str, key: str, version: str) -> str:
        """The canonical text field ``key`` names (a key of the version's objects, or a
        custom field's key)."""
        spec = unit.schema.entity(entity)
        views = VIEWS[version]
        view = views.get(PATHS[entity]) or VIEWS["v1"][PATHS[entity]]
        attr = view.by_key.get(key)
        name = attr.field if attr is not None and attr.field is not None else key
        found = spec.by_name.get(name)
        if found is None or found.kind is not Kind.TEXT or found.name in view.hidden:
            raise params.bad("field_key", f"Field '{key[:64]}' is not a searchable text field"
                             f" of {entity}s")
        return found.name

    @staticmethod
    def _values(unit: Unit, entity: str, field: str, term: str, match: str, with_ids: bool,
                page: Page) -> tuple[list[Record], bool]:
        """The page of records (or, without ids, of distinct values) whose ``field``
        matches, ordered by the value: read in keyset pages, at most ``MAX_FIELD_SCAN``."""
        op = "starts_with" if match == "beginning" else ("contains" if match == "middle"
                                                          else "starts_with")
        folded = search.fold(term)
        where = live(all_of(Cond(field, op, term)))
        sort = (Sort(field), Sort("id"))
        out: list[Record] = []
        seen: set[str] = set()
        skipped, scanned = 0, 0
        after: tuple[Any, ...] | None = None
        while scanned < MAX_FIELD_SCAN:
            found = unit.list(entity, Query(where=where, sort=sort, page=Keyset(after, 500),
                                            fields=("id", "uid", field)))
            for record in found.items:
                scanned += 1
                value = record[field]
                if match == "exact" and search.fold(value) != folded:
                    continue
                if not with_ids:
                    if value in seen:
                        continue
                    seen.add(value)
                if skipped < page.start:
                    skipped += 1
                    continue
                if len(out) == page.limit:
                    return out, True
                out.append(record)
            after = found.last_key()
            if after is None:
                break
        return out, False


def routes(api: Api) -> list[BaseRoute]:
    """Every search route, v1 and v2."""
    searches = Searches(api)
    out: list[BaseRoute] = []
    for version, prefixes in PREFIXES.items():
        out += routes_at(prefixes, "/itemSearch", searches.item_search(version), ["GET"])
        out += routes_at(prefixes, "/itemSearch/field", searches.field_search(version), ["GET"])
        for entity, path in PATHS.items():
            out += routes_at(prefixes, f"/{path}/search", searches.one_type(entity, version),
                             ["GET"])
    return out


__all__ = ["routes"]
