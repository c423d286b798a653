"""``<entity>Fields`` for every view with custom fields (v1 by numeric id, v2 by
field_code): dealFields, personFields, organizationFields, …

System fields come from the view's own keys (read-only, ``edit_flag: false``); custom
fields from the company's definitions, read and written through the records service.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ...domain.customfields import FIELD_TYPES, CustomField
from ...domain.entities import BY_NAME
from ...domain.errors import NotFound, Reason
from ...query.ast import Sort
from ...service import Unit, decode_cursor, encode_cursor
from ..body import query_params
from . import params, render
from .mapping import VIEWS, View
from .render import v1_time, v2_time
from .routes import PREFIXES, Api, record_id, routes_at

SYSTEM_ID_BASE = 9_000_000  # system field ids sit far above custom field row ids
V1_FLAGS = ("index_visible_flag", "details_visible_flag", "important_flag", "bulk_edit_allowed",
            "searchable_flag", "filtering_allowed", "sortable_flag")
_POSITION = (Sort("position"),)
# The v1 spec's dealFields list admits only the creatable types plus visible_to; system
# types outside it are reported as their closest creatable type.
V1_TYPE = {"int": "double", "stage": "double", "boolean": "enum",
           "status": "enum"}
# ... and per entity, where the spec's list of field types is shorter
V1_TYPE_OF = {"product": {**V1_TYPE, "visible_to": "enum"}}


# v1 ``POST /<entity>Fields`` answers 200, but 201 for these (as the spec has it).
CREATED_201 = frozenset({"product"})


def resources() -> dict[str, View]:
    """``<entity>Fields`` -> the v1 view, for every v1 view that has a fields API."""
    return {f"{view.entity}Fields": view for view in VIEWS["v1"].values() if view.fields_api}


def _system(view: View, ordinal: int) -> list[dict[str, Any]]:
    """The entity's built-in fields as (id, key, name, field_type) descriptors."""
    spec = BY_NAME[view.entity].by_name
    out = []
    for n, attr in enumerate(a for a in view.attrs if a.field is not None):
        f = spec[attr.field or ""]
        out.append({"id": SYSTEM_ID_BASE + ordinal * 1000 + n, "key": attr.key,
                    "name": f.label or attr.key.replace("_", " ").capitalize(),
                    "field_type": f.field_type, "writable": attr.writable and not f.readonly,
                    "field": f.name})
    return out


@cache
def system_fields(entity: str) -> dict[int, str]:
    """The ids of ``entity``'s built-in fields, as its ``<entity>Fields`` lists them, and
    the canonical field each stands for (saved filters name fields by these ids)."""
    for ordinal, view in enumerate(resources().values()):
        if view.entity == entity:
            return {d["id"]: d["field"] for d in _system(view, ordinal)}
    return {}


class FieldHandlers:
    def __init__(self, api: Api, view: View, ordinal: int) -> None:
        self.api = api
        self.v1_view = view
        self.entity = view.entity
        self.system = _system(view, ordinal)

    # ---- v1 ----------------------------------------------------------------------------

    def _v1_system(self, d: dict[str, Any]) -> dict[str, Any]:
        # (no update time nor users: keys with no value are left out, as several of the
        # spec's schemas type them non-null)
        return {"id": d["id"], "key": d["key"], "name": d["name"], "order_nr": d["id"] % 1000,
                "field_type": V1_TYPE_OF.get(self.entity, V1_TYPE).get(d["field_type"], d["field_type"]),
                "add_time": "2020-01-01 00:00:00",
                "active_flag": True, "edit_flag": False, "add_visible_flag": d["writable"],
                "mandatory_flag": d["key"] in ("title", "name"),
                **dict.fromkeys(V1_FLAGS, True), "options_deleted": [],
                "is_subfield": False, "subfields": []}

    def _v1_custom(self, f: CustomField) -> dict[str, Any]:
        suffixes = [s for s, _ in FIELD_TYPES[f.field_type][2]]
        # ``options`` only where there are some (several of the spec's schemas type it as
        # a non-null array)
        options = {"options": [{"id": o.id, "label": o.label} for o in f.options]
                   } if f.options else {}
        return {"id": f.id, "key": f.key, "name": f.name, "order_nr": 1000 + f.order_nr,
                "field_type": f.field_type, "add_time": v1_time(f.created_at),
                "update_time": v1_time(f.updated_at), "last_updated_by_user_id": f.creator_id,
                "created_by_user_id": f.creator_id, "active_flag": True, "edit_flag": True,
                "add_visible_flag": bool(f.settings.get("add_visible_flag", True)),
                "mandatory_flag": False, **dict.fromkeys(V1_FLAGS, True),
                **options,
                "options_deleted": [], "is_subfield": False,
                "subfields": [{"key": f"{f.key}_{s}", "name": f"{f.name} {s}",
                               "field_type": f.field_type} for s in suffixes]}

    def _v1_all(self, unit: Unit) -> list[dict[str, Any]]:
        return ([self._v1_system(d) for d in self.system]
                + [self._v1_custom(f) for f in unit.fields(self.entity)])

    async def v1_list(self, request: Request) -> Response:
        q = query_params(request)

        def work(unit: Unit) -> Response:
            start = params.integer(q, "start", 0, 0, 10**9)
            limit = params.integer(q, "limit", self.api.settings.default_page_size, 1,
                                   self.api.settings.max_page_size)
            everything = self._v1_all(unit)
            additional = render.v1_pagination(start, limit, start + limit < len(everything),
                                              self.v1_view.flat_pagination)
            return render.success(everything[start:start + limit], additional_data=additional)
        return await self.api.read(request, work)

    async def v1_get(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            field_id = record_id(request)
            for item in self._v1_all(unit):
                if item["id"] == field_id:
                    return render.success(item)
            raise NotFound("Field not found")
        return await self.api.read(request, work)

    async def v1_create(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            body = self.api.parse_body(request, raw)
            self._known(body, {"name", "field_type", "options", "add_visible_flag"})
            settings = self._flags(body, ("add_visible_flag",))
            created = unit.create_field(self.entity, body.get("name"), body.get("field_type"),
                                        body.get("options"), settings)
            return render.success(self._v1_custom(created),
                                  status=201 if self.entity in CREATED_201 else 200)
        return await self.api.write(request, work, raw)

    async def v1_update(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            field_id = record_id(request)
            body = self.api.parse_body(request, raw)
            if isinstance(body, dict) and isinstance(body.get("options"), str):
                # v1 clients may send options JSON-encoded inside a form or JSON body.
                body = {**body, "options": params.json_body(body["options"].encode(), 1 << 20)}
            self._known(body, {"name", "options", "add_visible_flag"})
            self._not_system(field_id=field_id)
            updated = unit.update_field(self.entity, field_id, name=body.get("name"),
                                        options=body.get("options"),
                                        settings=self._flags(body, ("add_visible_flag",)) or None)
            return render.success(self._v1_custom(updated))
        return await self.api.write(request, work, raw)

    async def v1_delete(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            field_id = record_id(request)
            self._not_system(field_id=field_id)
            unit.delete_fields(self.entity, [field_id])
            return render.success({"id": field_id})
        return await self.api.write(request, work)

    async def v1_bulk_delete(self, request: Request) -> Response:
        raw = query_params(request).get("ids")

        def work(unit: Unit) -> Response:
            ids = params.id_list(raw, 500)
            for field_id in ids:
                self._not_system(field_id=field_id)
            return render.success({"id": unit.delete_fields(self.entity, ids)})
        return await self.api.write(request, work)

    # ---- v2 ----------------------------------------------------------------------------

    def _v2_system(self, d: dict[str, Any], include: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"field_name": d["name"], "field_code": d["key"], "description": "",
                               "field_type": d["field_type"], "options": None, "subfields": None,
                               "is_custom_field": False, "is_optional_response_field": False}
        return self._v2_blocks(out, include, {})

    def _v2_custom(self, f: CustomField, include: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
        suffixes = [s for s, _ in FIELD_TYPES[f.field_type][2]]
        out: dict[str, Any] = {
            "field_name": f.name, "field_code": f.key,
            "description": str(f.settings.get("description") or ""),
            "field_type": f.field_type,
            "options": [{"id": o.id, "label": o.label, "color": None,
                         "add_time": v2_time(f.created_at), "update_time": v2_time(f.updated_at)}
                        for o in f.options] or None,
            "subfields": [{"field_code": f"{f.key}_{s}", "field_name": f"{f.name} {s}",
                           "field_type": f.field_type} for s in suffixes] or None,
            "is_custom_field": True, "is_optional_response_field": False,
        }
        if self.entity != "deal":
            out.pop("description")
        return self._v2_blocks(out, include, f.settings)

    def _v2_blocks(self, out: dict[str, Any], include: set[str], settings: dict[str, Any]
                   ) -> dict[str, Any]:
        if "ui_visibility" in include:
            out["ui_visibility"] = {
                "add_visible_flag": bool(settings.get("add_visible_flag", False)),
                "details_visible_flag": bool(settings.get("details_visible_flag", True)),
                **dict(settings.get("ui_visibility") or {}),
            }
        if "important_fields" in include:
            out["important_fields"] = dict(settings.get("important_fields")
                                           or {"enabled": False, "stage_ids": []})
        if "required_fields" in include:
            out["required_fields"] = dict(settings.get("required_fields") or {"enabled": False})
        return out

    def _include(self, request: Request) -> set[str]:
        include = set(params.csv(query_params(request), "include_fields"))
        unknown = include - {"ui_visibility", "important_fields", "required_fields"}
        if unknown:
            raise params.bad("include_fields", f"Unknown include_fields: {sorted(unknown)[:5]}")
        return include

    async def v2_list(self, request: Request) -> Response:
        q = query_params(request)

        def work(unit: Unit) -> Response:
            include = self._include(request)
            limit = params.integer(q, "limit", self.api.settings.default_page_size, 1,
                                   self.api.settings.max_page_size)
            start = 0
            if q.get("cursor"):
                (raw,) = decode_cursor(q["cursor"], _POSITION)
                if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw < 10**9:
                    raise params.bad("cursor", "Invalid cursor")
                start = raw
            everything = [self._v2_system(d, include) for d in self.system] + [
                self._v2_custom(f, include) for f in unit.fields(self.entity)]
            more = start + limit < len(everything)
            return render.success(everything[start:start + limit], additional_data={
                "next_cursor": encode_cursor(_POSITION, (start + limit,)) if more else None})
        return await self.api.read(request, work)

    def _code(self, unit: Unit, request: Request) -> CustomField:
        return unit.field(self.entity, key=request.path_params["field_code"])

    async def v2_get(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            include = self._include(request)
            code = request.path_params["field_code"]
            for d in self.system:
                if d["key"] == code:
                    return render.success(self._v2_system(d, include))
            return render.success(self._v2_custom(self._code(unit, request), include))
        return await self.api.read(request, work)

    async def v2_create(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            body = self.api.parse_body(request, raw)
            self._known(body, {"field_name", "field_type", "options", "ui_visibility",
                               "important_fields", "required_fields", "description"})
            created = unit.create_field(self.entity, body.get("field_name"),
                                        body.get("field_type"), body.get("options"),
                                        self._v2_settings(body))
            return render.success(self._v2_custom(created))
        return await self.api.write(request, work, raw)

    async def v2_update(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            body = self.api.parse_body(request, raw)
            self._known(body, {"field_name", "ui_visibility", "important_fields",
                               "required_fields", "description"})
            self._not_system(key=request.path_params["field_code"])
            current = self._code(unit, request)
            updated = unit.update_field(self.entity, current.id, name=body.get("field_name"),
                                        settings=self._v2_settings(body) or None)
            return render.success(self._v2_custom(updated))
        return await self.api.write(request, work, raw)

    async def v2_delete(self, request: Request) -> Response:
        def work(unit: Unit) -> Response:
            self._not_system(key=request.path_params["field_code"])
            current = self._code(unit, request)
            unit.delete_fields(self.entity, [current.id])
            return render.success(self._v2_custom(current))
        return await self.api.write(request, work)

    def _options(self, request: Request, raw: Any, needs: tuple[str, ...]) -> list[Any]:
        self._not_system(key=request.path_params["field_code"])
        body = self.api.parse_body(request, raw)
        if not isinstance(body, list) or not body or len(body) > 1000:
            raise params.bad("body", "The body must be a non-empty JSON array (at most 1000)",
                             Reason.MALFORMED)
        for item in body:
            if not isinstance(item, dict) or set(item) - set(needs) or any(
                    k not in item for k in needs):
                raise params.bad("body", f"Every item must be an object with {', '.join(needs)}",
                                 Reason.MALFORMED)
            if "id" in item and (not isinstance(item["id"], int) or isinstance(item["id"], bool)):
                raise params.bad("id", "Option ids are integers", Reason.INVALID)
        return body

    def _option_list(self, f: CustomField, ids: set[int] | None = None) -> Response:
        data = [{"id": o.id, "label": o.label} for o in f.options
                if ids is None or o.id in ids]
        return render.success(data, additional_data={})

    async def v2_add_options(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            body = self._options(request, raw, ("label",))
            code = request.path_params["field_code"]
            before = {o.id for o in self._code(unit, request).options}
            updated = unit.add_options(self.entity, code, [i["label"] for i in body])
            return self._option_list(updated, {o.id for o in updated.options} - before)
        return await self.api.write(request, work, raw)

    async def v2_update_options(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            body = self._options(request, raw, ("id", "label"))
            code = request.path_params["field_code"]
            updated = unit.relabel_options(self.entity, code, {i["id"]: i["label"] for i in body})
            return self._option_list(updated, {i["id"] for i in body})
        return await self.api.write(request, work, raw)

    async def v2_delete_options(self, request: Request) -> Response:
        raw = await self.api.raw_body(request)

        def work(unit: Unit) -> Response:
            body = self._options(request, raw, ("id",))
            current = self._code(unit, request)
            ids = [i["id"] for i in body]
            unit.remove_options(self.entity, current.key, ids)
            return render.success([{"id": o.id, "label": o.label} for o in current.options
                                   if o.id in ids], additional_data={})
        return await self.api.write(request, work, raw)

    # ---- shared ------------------------------------------------------------------------

    def _known(self, body: Any, allowed: set[str]) -> None:
        if not isinstance(body, dict):
            raise params.bad("body", "The request body must be a JSON object", Reason.MALFORMED)
        unknown = set(body) - allowed
        if unknown:
            raise params.bad("body", f"Unknown field(s): {', '.join(sorted(unknown))[:200]}",
                             Reason.UNKNOWN_FIELD)
        options = body.get("options")
        if options is not None and not (
            isinstance(options, list) and all(isinstance(o, dict) for o in options)
        ):
            raise params.bad("options", "options must be a list of objects with a label",
                             Reason.INVALID)

    def _flags(self, body: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
        out = {}
        for name in names:
            if name in body:
                value = body[name]
                if value in (0, 1, "0", "1") and not isinstance(value, bool | float):
                    value = bool(int(value))
                if not isinstance(value, bool):
                    raise params.bad(name, f"{name} must be a boolean", Reason.INVALID)
                out[name] = value
        return out

    def _v2_settings(self, body: dict[str, Any]) -> dict[str, Any]:
        settings: dict[str, Any] = {}
        for name in ("ui_visibility", "important_fields", "required_fields", "description"):
            if name in body:
                settings[name] = body[name]  # the service checks their shapes
        return settings

    def _not_system(self, field_id: int | None = None, key: str | None = None) -> None:
        for d in self.system:
            if d["id"] == field_id or d["key"] == key:
                raise params.bad("field", "System fields cannot be changed or deleted",
                                 Reason.READ_ONLY)


def field_routes(api: Api) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for ordinal, (resource, view) in enumerate(resources().items()):
        h = FieldHandlers(api, view, ordinal)
        v1, v2 = PREFIXES["v1"], PREFIXES["v2"]
        if view.fields_api == "write-v2":  # v2 only (projectFields)
            routes += routes_at(v2, f"/{resource}", h.v2_list, ["GET"])
            routes += routes_at(v2, f"/{resource}", h.v2_create, ["POST"])
            routes += routes_at(v2, f"/{resource}/{{field_code}}", h.v2_get, ["GET"])
            routes += routes_at(v2, f"/{resource}/{{field_code}}", h.v2_update, ["PATCH"])
            routes += routes_at(v2, f"/{resource}/{{field_code}}", h.v2_delete, ["DELETE"])
            for method, handler in (("POST", h.v2_add_options), ("PATCH", h.v2_update_options),
                                    ("DELETE", h.v2_delete_options)):
                routes += routes_at(v2, f"/{resource}/{{field_code}}/options", handler, [method])
            continue
        if view.fields_api.startswith("read"):  # listed only (v2 also one by one)
            routes += routes_at(v1, f"/{resource}", h.v1_list, ["GET"])
            if view.fields_api == "read":
                routes += routes_at(v2, f"/{resource}", h.v2_list, ["GET"])
                routes += routes_at(v2, f"/{resource}/{{field_code}}", h.v2_get, ["GET"])
            continue
        routes += routes_at(v1, f"/{resource}", h.v1_list, ["GET"])
        routes += routes_at(v1, f"/{resource}", h.v1_create, ["POST"])
        routes += routes_at(v1, f"/{resource}", h.v1_bulk_delete, ["DELETE"])
        routes += routes_at(v1, f"/{resource}/{{id}}", h.v1_get, ["GET"])
        routes += routes_at(v1, f"/{resource}/{{id}}", h.v1_update, ["PUT"])
        routes += routes_at(v1, f"/{resource}/{{id}}", h.v1_delete, ["DELETE"])
        routes += routes_at(v2, f"/{resource}", h.v2_list, ["GET"])
        routes += routes_at(v2, f"/{resource}", h.v2_create, ["POST"])
        routes += routes_at(v2, f"/{resource}/{{field_code}}", h.v2_get, ["GET"])
        routes += routes_at(v2, f"/{resource}/{{field_code}}", h.v2_update, ["PATCH"])
        routes += routes_at(v2, f"/{resource}/{{field_code}}", h.v2_delete, ["DELETE"])
        routes += routes_at(v2, f"/{resource}/{{field_code}}/options", h.v2_add_options, ["POST"])
        routes += routes_at(v2, f"/{resource}/{{field_code}}/options", h.v2_update_options,
                          ["PATCH"])
        routes += routes_at(v2, f"/{resource}/{{field_code}}/options", h.v2_delete_options,
                          ["DELETE"])
    return routes
