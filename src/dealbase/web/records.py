"""Deal, person, organization and activity pages; their timelines, notes and activities.

* ``GET /deals/{id}`` (and ``/persons/…``, ``/organizations/…``, ``/activities/…``): every
  field of the record (custom fields included) with its label, related records as links,
  each editable field edited in place; the record's timeline (``timeline``).
* ``POST /{path}/{id}/fields`` ``{"field": name, "value": …}``: ``unit.update`` of one field
  (a custom field by its key, as the v2 dialect's ``custom_fields`` reach the service);
  the service's ValidationError is the answer (400, ``{"error", "field"}``), nothing saved.
* ``POST /{path}/{id}/notes`` and ``/{path}/{id}/activities``: a note or an activity of the
  record (``unit.create``); ``POST /activities/{id}/done``: marks it done (or not).
* ``GET /{path}/{id}/timeline?cursor=…``: a further page of the timeline (a fragment).

The lists (``/deals`` …) are ``lists``'s. Every write is the service's to accept: an id the
visitor may not see (another company's, a hidden one) answers 404 and changes nothing.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..domain.errors import Reason, invalid
from ..service import Unit
from . import lists
from .base import HEADERS, Visitor, Web, body_of, path_id, wants_json
from .fields import ENTITIES, PATHS, Choices, FieldView, Link, Names, loose, title_of, views
from .timeline import LINKS, Timeline, timeline

MAX_VALUE = 60_000  # characters of one field's value from a browser


# What a form's or a fetch's "done" may say (anything else is refused)
YES_NO: dict[Any, bool] = {True: True, False: False, "1": True, "true": True, "yes": True,
                           "on": True, "0": False, "false": False, "no": False, "off": False}


def _text(body: Mapping[str, Any], name: str, limit: int = MAX_VALUE) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid(name, "must be text", Reason.MALFORMED)
    if len(value) > limit:
        raise invalid(name, f"must be at most {limit} characters")
    return value


def _back(body: Mapping[str, Any], default: str) -> str:
    target = body.get("next")
    if isinstance(target, str) and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target and len(target) < 2000 and target.isprintable():
        return target
    return default


def _header(entity: str, record: Mapping[str, Any], names: Names) -> list[tuple[str, Link]]:
    """The record's related records, as the page's heading shows them."""
    out: list[tuple[str, Link]] = []
    refs = {"deal": (("organization_id", "organization", "Organization"),
                     ("person_id", "person", "Person"), ("pipeline_id", "pipeline", "Pipeline"),
                     ("stage_id", "stage", "Stage"), ("owner_id", "user", "Owner")),
            "person": (("organization_id", "organization", "Organization"),
                       ("owner_id", "user", "Owner")),
            "organization": (("owner_id", "user", "Owner"),),
            "activity": (("deal_id", "deal", "Deal"), ("person_id", "person", "Person"),
                         ("organization_id", "organization", "Organization"),
                         ("owner_id", "user", "Assigned to"))}[entity]
    for name, target, label in refs:
        if record.get(name) is not None:
            out.append((label, names.link(target, record[name])))
    return out


class Records:
    def __init__(self, web: Web) -> None:
        self.web = web

    def routes(self) -> list[BaseRoute]:
        web = self.web
        out: list[BaseRoute] = []
        for path in PATHS.values():
            out += [Route(f"/{path}/{{id}}", web.page(self.show), methods=["GET"]),
                    Route(f"/{path}/{{id}}/timeline", web.page(self.more), methods=["GET"]),
                    Route(f"/{path}/{{id}}/fields", web.page(self.fields), methods=["GET"]),
                    Route(f"/{path}/{{id}}/fields", web.action(self.edit), methods=["POST"])]
        for entity in LINKS:
            path = PATHS[entity]
            out += [Route(f"/{path}/{{id}}/notes", web.action(self.add_note), methods=["POST"]),
                    Route(f"/{path}/{{id}}/activities", web.action(self.add_activity),
                          methods=["POST"])]
        out.append(Route("/activities/{id}/done", web.action(self.done), methods=["POST"]))
        return out

    # ---- pages ---------------------------------------------------------------------------

    def _shown(self, unit: Unit, entity: str, record: dict[str, Any]) -> dict[str, Any]:
        """What the page's heading and fields show of the record."""
        spec = unit.schema.entity(entity)
        names = Names(unit)
        names.want_refs(spec, record)
        names.load()
        choices = Choices(unit, names)
        fields = views(unit, entity, record, names, choices)
        return {"entity": entity, "path": PATHS[entity], "record": record,
                "record_id": record["id"], "title": title_of(entity, spec, record),
                "fields": _grouped(fields), "header": _header(entity, record, names),
                "deleted": bool(record.get("is_deleted")), "choices": choices, "names": names,
                "editing": "", "option_lists": {}, "csrf": ""}

    def _values(self, unit: Unit, entity: str, record_id: int, cursor: str | None,
                editing: str) -> dict[str, Any]:
        shown = self._shown(unit, entity, unit.get(entity, record_id))
        del shown["csrf"]  # (the page's own)
        choices: Choices = shown.pop("choices")
        names: Names = shown.pop("names")
        types = choices.templates[choices.activity_types()] if entity in LINKS else []
        return {**shown, "choices": choices.listed(), "editing": editing,
                "option_lists": dict(choices.templates),
                "timeline": timeline(unit, entity, record_id, cursor, names),
                "types": types, "today": unit.now().date().isoformat(),
                "notes_here": entity in LINKS}

    async def show(self, request: Request, visitor: Visitor) -> Response:
        entity = ENTITIES[request.url.path.split("/")[1]]
        record_id = path_id(request)
        cursor = request.query_params.get("tl") or None
        editing = request.query_params.get("edit") or ""
        values = await self.web.read(visitor, lambda unit: self._values(
            unit, entity, record_id, cursor, editing), long=True)  # (several reads)
        return self.web.render(request, visitor, "record.html", **values)

    async def more(self, request: Request, visitor: Visitor) -> Response:
        entity = ENTITIES[request.url.path.split("/")[1]]
        record_id = path_id(request)
        cursor = request.query_params.get("cursor") or None

        def work(unit: Unit) -> Timeline:
            unit.get(entity, record_id)
            return timeline(unit, entity, record_id, cursor)

        found = await self.web.read(visitor, work)
        return self.web.render(request, visitor, "timeline.html", timeline=found,
                               path=PATHS[entity], record_id=record_id)

    async def fields(self, request: Request, visitor: Visitor) -> Response:
        """The record's heading and fields afresh (after a note or an activity changed its
        counters), as JSON."""
        entity = ENTITIES[request.url.path.split("/")[1]]
        record_id = path_id(request)
        shown = await self.web.read(visitor, lambda unit: self._shown(
            unit, entity, unit.get(entity, record_id)))
        return self._fields_json(shown, None)

    def _fields_json(self, shown: dict[str, Any], name: str | None) -> Response:
        env = self.web.env
        return JSONResponse({"ok": True, "field": name,
                             "html": env.get_template("record_fields.html").render(**shown),
                             "head": env.get_template("record_head.html").render(**shown)},
                            headers=HEADERS)

    # ---- writes --------------------------------------------------------------------------

    async def edit(self, request: Request, visitor: Visitor) -> Response:
        entity = ENTITIES[request.url.path.split("/")[1]]
        record_id = path_id(request)
        body = await body_of(request)
        name = body.get("field")
        if not isinstance(name, str) or not name:
            raise invalid("field", "is required: the name of the field to change",
                          Reason.REQUIRED)
        if "value" not in body:
            raise invalid("value", "is required (null clears the field)", Reason.REQUIRED)
        value = body["value"]
        if isinstance(value, str) and len(value) > MAX_VALUE:
            raise invalid(name[:80], f"must be at most {MAX_VALUE} characters")

        def work(unit: Unit) -> dict[str, Any]:
            unit.get(entity, record_id)  # (another company's, or hidden: not found)
            f = unit.schema.entity(entity).field(name)
            unit.update(entity, record_id, {f.name: loose(f, value)})
            return self._shown(unit, entity, unit.get(entity, record_id))

        shown = await self.web.write(visitor, work)
        if not wants_json(request):
            return RedirectResponse(_back(body, f"/{PATHS[entity]}/{record_id}"), 303,
                                    headers=HEADERS)
        return self._fields_json(shown, name)

    async def add_note(self, request: Request, visitor: Visitor) -> Response:
        entity = ENTITIES[request.url.path.split("/")[1]]
        record_id = path_id(request)
        body = await body_of(request)
        content = _text(body, "content")
        stored = html.escape(content).replace("\n", "<br>\n") if content.strip() else ""

        def work(unit: Unit) -> int:
            unit.get(entity, record_id)
            return int(unit.create("note", {"content": stored, LINKS[entity]: record_id})["id"])

        note_id = await self.web.write(visitor, work)
        return self._done_with(request, body, entity, record_id, {"id": note_id})

    async def add_activity(self, request: Request, visitor: Visitor) -> Response:
        entity = ENTITIES[request.url.path.split("/")[1]]
        record_id = path_id(request)
        body = await body_of(request)
        values: dict[str, Any] = {"subject": _text(body, "subject", 1000),
                                  LINKS[entity]: record_id}
        for name in ("type", "due_date", "due_time", "note"):
            text = _text(body, name)
            if text.strip():
                values[name] = text.strip() if name != "note" else text

        def work(unit: Unit) -> int:
            unit.get(entity, record_id)
            return int(unit.create("activity", values)["id"])

        activity_id = await self.web.write(visitor, work)
        return self._done_with(request, body, entity, record_id, {"id": activity_id})

    async def done(self, request: Request, visitor: Visitor) -> Response:
        record_id = path_id(request)
        body = await body_of(request)
        raw = body.get("done", True)
        flag = (YES_NO.get(raw.strip().lower()) if isinstance(raw, str) else
                YES_NO.get(raw) if isinstance(raw, bool) else None)
        if flag is None:
            raise invalid("done", "must be true or false", Reason.MALFORMED)

        def work(unit: Unit) -> None:
            unit.get("activity", record_id)
            unit.update("activity", record_id, {"done": flag})

        await self.web.write(visitor, work)
        return self._done_with(request, body, "activity", record_id, {"done": flag})

    def _done_with(self, request: Request, body: Mapping[str, Any], entity: str, record_id: int,
                   answer: dict[str, Any]) -> Response:
        if wants_json(request):
            return JSONResponse({"ok": True, **answer}, headers=HEADERS)
        return RedirectResponse(_back(body, f"/{PATHS[entity]}/{record_id}#timeline"), 303,
                                headers=HEADERS)


GROUPS = (("details", "Details"), ("custom", "Custom fields"), ("more", "More fields"),
          ("summary", "Summary"))


def _grouped(fields: list[FieldView]) -> list[tuple[str, str, list[FieldView]]]:
    return [(key, label, [f for f in fields if f.group == key]) for key, label in GROUPS
            if any(f.group == key for f in fields)]


def routes(web: Web) -> list[BaseRoute]:
    return [*Records(web).routes(), *lists.routes(web)]


__all__ = ["Records", "routes"]
