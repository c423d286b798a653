"""The Pipeliner REST v1 dialect as an OpenAPI 3.0 document, built from the declarations
of its collections (``api/pipeliner/collections.py``): one entity schema per collection
from its fields' descriptors (the ``TYPE`` that ``getFields`` answers), and the same
operations for every collection. A company's custom fields are further keys of its
entities (named by their field key); ``getFields`` lists a space's own.
"""

from __future__ import annotations

from typing import Any

from ...domain.search import SEARCHED
from . import errors
from .codecs import Members, Relations
from .collections import COLLECTIONS, DATA, Col, Collection, descriptor
from .routes import (
    DATA_KEYS,
    DEFAULT_LIMIT,
    FLAG_GET_NO_DELETED_ID,
    FLAG_IGNORE_AND_RETURN_ERRORS,
    FLAG_IGNORE_ON_ERROR,
    FLAG_INSERT_ON_UPDATE,
    MAX_BATCH,
    PREFIX,
    SCHEMA_VERSION,
)

Schema = dict[str, Any]
WIRE_TIME = "A date-time as `YYYY-MM-DD HH:MM:SS` (UTC)."
_SCALAR: dict[str, Schema] = {
    "string": {"type": "string"}, "unicode": {"type": "string"}, "long": {"type": "integer"},
    "Decimal": {"type": "number"}, "datetime": {"type": "string", "description": WIRE_TIME},
    "list": {"type": "array", "items": {}},
}


def _ref(kind: str, name: str) -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def _property(coll: Collection, col: Col) -> Schema:
    about = descriptor(coll, col)
    codec = col.codec
    schema: Schema
    if isinstance(codec, Relations):
        schema = {"type": "array", "items": {"type": "object", "properties": {
            codec.item_key: {"type": "string"}, "IS_PRIMARY": {"type": "integer", "enum": [0, 1]}}}}
    elif isinstance(codec, Members):
        schema = {"type": "array", "items": {"type": "integer"}, "description": "Client ids."}
    else:
        schema = dict(_SCALAR[about["TYPE"]])
    schema["title"] = about["NAME"]
    schema["description"] = " ".join(filter(None, (
        schema.get("description"), f"`{about['PL_TYPE']}`.",
        "Read-only." if about["READONLY"] else "", "Required." if about["REQUIRED"] else "")))
    if about["READONLY"]:
        schema["readOnly"] = True
    if not about["REQUIRED"] and col.key != "ID":
        schema["nullable"] = True
    return schema


def _entity(coll: Collection) -> Schema:
    required = [c.key for c in coll.static if c.required or c.key in coll.requires]
    return {"type": "object", "title": coll.entity_name,
            "description": f"One of {coll.name}. Custom fields are further keys, named by their "
                           f"field key (`GET /getFields/{coll.name}` lists them).",
            "properties": {c.key: _property(coll, c) for c in coll.static},
            **({"required": required} if required else {}),
            "additionalProperties": True}


def _data_entity() -> Schema:
    types = {"ID": "string", "VALUE": "string", "ID_FIELD": "string", "IS_DELETED": "integer"}
    return {"type": "object", "title": DATA,
            "description": "An option of a dropdown custom field (`ID_FIELD`: the field's ID).",
            "properties": {k: {"type": types[k], **({"readOnly": True} if k in ("ID", "IS_DELETED")
                                                     else {})} for k in DATA_KEYS},
            "additionalProperties": False}


def _a(entity: str) -> str:
    return ("an " if entity[0] in "AEIOU" else "a ") + entity


def _query(name: str, description: str, schema: Schema, required: bool = False) -> Schema:
    return {"name": name, "in": "query", "description": description, "required": required,
            "schema": schema}


LIST_PARAMETERS = [
    _query("limit", f"Page size (default {DEFAULT_LIMIT}; -1: the server's largest page).",
           {"type": "integer", "minimum": -1}),
    _query("offset", "How many items to skip.", {"type": "integer", "minimum": 0}),
    _query("filter", "`FIELD::value[::op]` phrases joined by `|` (all must hold); op is one of "
           "`eq` (default), `ne`, `gt`, `lt`, `ge`, `le`, `ll` (starts with), `rl` (ends with), "
           "`fl` (contains), `in` (values separated by `:`). `\\` escapes `|`, `:` and `\\`.",
           {"type": "string"}),
    _query("sort", "Fields joined by `|`, `-` before a field for descending: `NAME|-MODIFIED`.",
           {"type": "string"}),
    _query("loadonly", "Only these fields, joined by `|`.", {"type": "string"}),
    _query("after", "Only items modified after this moment (`YYYY-MM-DD HH:MM:SS`).",
           {"type": "string"}),
]
CONTENT_RANGE = {"Content-Range": {"description": "`items START-END/TOTAL` (0-based, inclusive).",
                                   "schema": {"type": "string"}}}


def _json(schema: Schema, description: str, headers: Schema | None = None) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}},
            **({"headers": headers} if headers else {})}


def _op(tag: str, summary: str, operation_id: str, ok: Schema, *, status: str = "200",
        parameters: list[Schema] | None = None, body: Schema | None = None,
        more: Schema | None = None) -> Schema:
    op: Schema = {"tags": [tag], "summary": summary, "operationId": operation_id}
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    op["responses"] = {status: ok, **(more or {}), "default": _ref("responses", "Error")}
    return op


def _collection_paths(name: str, entity: str, searchable: bool | None) -> dict[str, Schema]:
    """The paths of one collection (``searchable``: None when it has no search route,
    else whether it takes ``fulltext``)."""
    one, many = _ref("schemas", name), {"type": "array", "items": _ref("schemas", name)}
    item = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
             "description": f"The {entity}'s ID."}]
    paths: dict[str, Schema] = {
        f"/{name}": {
            "get": _op(name, f"List {name}", f"list{name}", _json(many, "A page.", CONTENT_RANGE),
                       parameters=[_ref("parameters", p["name"]) for p in LIST_PARAMETERS]),
            "post": _op(name, f"Create {_a(entity)}", f"create{entity}",
                        _json(one, "Created.", {"Location": {"schema": {"type": "string"}}}),
                        status="201", body=one,
                        more={"200": _json(one, "Updated (the body's `ID` named one).")}),
        },
        f"/{name}/{{id}}": {
            "get": _op(name, f"Get {_a(entity)}", f"get{entity}", _json(one, f"The {entity}."),
                       parameters=item),
            **{method: _op(name, f"Update {_a(entity)}", f"{verb}{entity}",
                           _json(one, f"The {entity}, updated."), parameters=item, body=one)
               for method, verb in (("put", "update"), ("patch", "patch"))},
            "delete": _op(name, f"Delete {_a(entity)}", f"delete{entity}",
                          _json(one, f"The {entity}, deleted (`IS_DELETED` 1)."), parameters=item),
        },
        f"/getFields/{name}": {
            "get": _op(name, f"The fields of {name}", f"getFields{name}",
                       _json({"type": "array", "items": _ref("schemas", "FieldDescriptor")},
                             "Field descriptors, custom fields included."),
                       parameters=[_query("filter", "As the list's `filter`.", {"type": "string"})]),
        },
    }
    if searchable is not None:
        terms = {"type": "object", "additionalProperties": {
            "oneOf": [{"type": "string"}, {"type": "number"}]}}
        body: Schema = {"type": "object", "additionalProperties": False, "properties": {
            "filter": {"type": "object", "properties": {"terms": terms}, "description":
                       "Items whose fields equal each of the terms."},
            "limit": {"type": "integer", "minimum": -1}, "offset": {"type": "integer", "minimum": 0},
            "sort": {"type": "string"}, "loadonly": {"type": "string"},
            "revision": {"type": "boolean", "description": "Answer the `Revision` header."},
            **({"fulltext": {"type": "string", "description": "Full-text search, best first "
                             "unless `sort` says otherwise."}} if searchable else {})}}
        paths[f"/search/{name}"] = {"post": _op(
            name, f"Search {name}", f"search{name}",
            _json(many, "A page.", {**CONTENT_RANGE, "Revision": {"schema": {"type": "string"}}}),
            body=body)}
    return paths


def _info_paths() -> dict[str, Schema]:
    strings = {"type": "object", "additionalProperties": {"type": "string"}}
    info: dict[str, tuple[Schema, str, str]] = {
        "": ({"type": "array", "items": {"type": "string"}}, "The collections", "getCollections"),
        "/entityPublic": (strings, "Entity name of each collection", "getEntityPublic"),
        "/errorCodes": (strings, "Error codes and their meaning", "getErrorCodes"),
        "/serverAPIUtcDateTime": ({"type": "string", "description": WIRE_TIME},
                                  "The server's time (UTC)", "getServerAPIUtcDateTime"),
        "/teamPipelineUrl": ({"type": "string"}, "The server's base URL", "getTeamPipelineUrl"),
        "/teamPipelineVersion": ({"type": "integer", "enum": [SCHEMA_VERSION]},
                                 "The schema version", "getTeamPipelineVersion"),
    }
    return {path: {"get": _op("Information", summary, operation_id, _json(schema, summary + "."))}
            for path, (schema, summary, operation_id) in info.items()}


def _batch_paths() -> dict[str, Schema]:
    names = [c.entity_name for c in COLLECTIONS]
    flags = (f"Bits: {FLAG_IGNORE_ON_ERROR} go on past failed items, {FLAG_INSERT_ON_UPDATE} create "
             f"an item whose `ID` is not found, {FLAG_GET_NO_DELETED_ID} (deleteEntities) answer "
             f"the IDs not deleted, {FLAG_IGNORE_AND_RETURN_ERRORS} an error object in place of "
             "each failed item.")
    parameters = [_query("entityName", "The entity name.", {"type": "string", "enum": names}, True),
                  _query("flag", flags, {"type": "integer", "minimum": 0})]
    entities = {"type": "array", "maxItems": MAX_BATCH,
                "items": {"anyOf": [_ref("schemas", c.name) for c in COLLECTIONS]}}
    wire_id = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    results = {"type": "array", "items": {"nullable": True, "oneOf": [
        {"type": "string"}, {"type": "integer"}, _ref("schemas", "Error")]}}
    return {
        "/setEntities": {"post": _op(
            "Batches", "Create or update entities", "setEntities",
            _json(results, "Each item's ID, in order (null or an error for a failed item)."),
            parameters=parameters, body=entities)},
        "/deleteEntities": {"post": _op(
            "Batches", "Delete entities", "deleteEntities",
            _json(results, "The IDs deleted (or, by flag, those not deleted)."),
            parameters=parameters, body={"type": "array", "maxItems": MAX_BATCH, "items": wire_id})},
    }


def pipeliner_document() -> dict[str, Any]:
    """The OpenAPI document of the Pipeliner dialect, from the collections' declarations."""
    space = {"name": "space_id", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "The space: the company's space id."}
    paths: dict[str, Schema] = {**_info_paths()}
    for coll in COLLECTIONS:
        searchable = coll.entity in SEARCHED
        paths.update(_collection_paths(coll.name, coll.entity_name, searchable))
    paths.update(_collection_paths(DATA, "Data row", None))
    paths.update(_batch_paths())
    schemas: dict[str, Schema] = {c.name: _entity(c) for c in COLLECTIONS}
    schemas[DATA] = _data_entity()
    schemas["FieldDescriptor"] = {"type": "object", "properties": {
        key: {} for key in ("API_NAME", "CALC_FORMULA", "CHOICES", "CUSTOM", "DEFAULT",
                            "DESCRIPTION", "ID", "MAX_VALUE", "MIN_VALUE", "NAME", "PL_TYPE",
                            "READONLY", "REQUIRED", "TYPE")}}
    schemas["Error"] = {"type": "object", "required": ["errorcode", "message"], "properties": {
        "errorcode": {"type": "integer", "enum": [c.code for c in errors.CODES]},
        "message": {"type": "string"}}}
    codes = "\n".join(f"- `{c.code}` (HTTP {c.status}): {c.text}" for c in errors.CODES)
    return {
        "openapi": "3.0.3",
        "info": {"title": "dealbase: Pipeliner REST API v1", "version": str(SCHEMA_VERSION),
                 "description": "The Pipeliner collections this dealbase server serves, over the "
                 "same records as its Pipedrive API. Authenticate with HTTP Basic: the space's API "
                 "token and password. Errors answer `{\"errorcode\", \"message\"}`:\n\n" + codes},
        "servers": [{"url": PREFIX, "description": "this server"}],
        "security": [{"basic": []}],
        "tags": [*({"name": c.name, "description": f"{c.entity_name} entities."}
                   for c in COLLECTIONS),
                 {"name": DATA, "description": "Options of dropdown custom fields."},
                 {"name": "Batches"}, {"name": "Information"}],
        "paths": {"/{space_id}" + path: {"parameters": [space], **item}
                  for path, item in paths.items()},
        "components": {
            "schemas": schemas,
            "parameters": {p["name"]: p for p in LIST_PARAMETERS},
            "responses": {"Error": _json(_ref("schemas", "Error"), "An error.")},
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic", "description":
                                          "The space's API token as user, its password."}},
        },
    }


__all__ = ["pipeliner_document"]
