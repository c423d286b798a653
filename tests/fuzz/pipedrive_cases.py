"""The parts of the Pipedrive fuzz tests (``test_pipedrive_fuzz.py``).

* :func:`routed_operations`: the spec operations that the app routes, found from the
  app's routes and the vendored specs (nothing listed by hand).
* :func:`seed_world`: a company with a few records of every kind and custom fields of
  every type, through the API; a :class:`World` holds their ids.
* :class:`RequestFactory`: hypothesis strategies for one operation's requests: path,
  query and body from the operation's spec, mixed with hostile values.
* :func:`send`, :func:`examine`, :func:`snapshot`, :func:`read_back`: one exchange with
  the in-process app and everything asserted about it, as :class:`Finding` s.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import random
import re
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar
from urllib.parse import quote, urlencode

import httpx
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator
from starlette.routing import Route

from dealbase.api.docs import DOCUMENT_PATHS
from tests.conftest import SyncClient, Tenant
from tests.contract.openapi import (
    ERROR_ENVELOPE_SCHEMA,
    URL_PREFIXES,
    ApiVersion,
    Contract,
    ContractError,
    without_deviations,
)

Json = Any
SpecMap = Mapping[str, Any]
Strategy = st.SearchStrategy

HTTP_METHODS: Final = ("get", "post", "put", "patch", "delete")
_TEMPLATE_PARAM: Final = re.compile(r"\{([^{}/]+)\}")

# ---------------------------------------------------------------------------------- operations


@dataclass(frozen=True)
class FuzzOp:
    """One spec operation that the app routes, under every prefix that routes it."""

    version: ApiVersion
    method: str  # upper case
    template: str  # as the spec writes it: "/deals/{id}"
    prefixes: tuple[str, ...]  # "/v1", "/api/v1" or "/api/v2"
    parameters: tuple[SpecMap, ...] = field(compare=False, repr=False)  # resolved
    body_schema: SpecMap | None = field(compare=False, repr=False)

    @property
    def name(self) -> str:
        return f"{self.version} {self.method} {self.template}"

    @property
    def literals(self) -> list[str]:
        return [s for s in self.template.split("/") if s and "{" not in s]

    def query_parameters(self) -> list[SpecMap]:
        return [p for p in self.parameters if p.get("in") == "query"]


def resolve(document: SpecMap, node: Any) -> Any:
    """Follow local ``$ref`` s until a node that is not a reference."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            return {}
        seen.add(ref)
        node = document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _shape(path: str) -> str:
    return _TEMPLATE_PARAM.sub("{}", path)


def _json_body_schema(document: SpecMap, op: SpecMap) -> SpecMap | None:
    body = resolve(document, op.get("requestBody"))
    content = body.get("content") if isinstance(body, Mapping) else None
    if not isinstance(content, Mapping):
        return None
    for media, item in content.items():
        if media.split(";")[0].strip().endswith("json") and isinstance(item, Mapping):
            schema = item.get("schema")
            return schema if isinstance(schema, Mapping) else {}
    return None


def routed_operations(app: Any) -> tuple[list[FuzzOp], list[str]]:
    """(the spec operations the app routes, the Pipedrive routes that no spec operation has).

    A route is Pipedrive's when its path starts with one of the contract's URL prefixes;
    Pipeliner's (``/rest_services``) and anything else are skipped.
    """
    spec_ops: dict[tuple[ApiVersion, str, str], tuple[str, SpecMap, tuple[SpecMap, ...]]] = {}
    for version in URL_PREFIXES:
        document = Contract.load(version).document
        for template, item in document["paths"].items():
            item = resolve(document, item)
            shared = [resolve(document, p) for p in item.get("parameters", ())]
            for method in HTTP_METHODS:
                op = item.get(method)
                if not isinstance(op, Mapping) or op.get("servers"):
                    continue  # OAuth endpoints live on another host
                own = [resolve(document, p) for p in op.get("parameters", ())]
                names = {(p.get("in"), p.get("name")) for p in own}
                params = tuple(own + [p for p in shared if (p.get("in"), p.get("name")) not in names])
                spec_ops[(version, method.upper(), _shape(template))] = (template, op, params)
    found: dict[tuple[ApiVersion, str, str], list[str]] = {}
    unspecified: list[str] = []
    for route in app.router.routes:
        if not isinstance(route, Route) or route.path.startswith("/rest_services") \
                or route.path in DOCUMENT_PATHS:  # (the API documents)
            continue
        match = next(((v, prefix) for v, prefixes in URL_PREFIXES.items() for prefix in prefixes
                      if route.path.startswith(prefix + "/")), None)
        if match is None:
            continue
        version, prefix = match
        rest = route.path[len(prefix):]
        for method in sorted((route.methods or set()) - {"HEAD"}):
            key = (version, method, _shape(rest))
            if key in spec_ops:
                if prefix not in found.setdefault(key, []):
                    found[key].append(prefix)
            else:
                unspecified.append(f"{method} {route.path}")
    ops = []
    for key, prefixes in found.items():
        version, method, _ = key
        template, op, params = spec_ops[key]
        document = Contract.load(version).document
        ops.append(FuzzOp(version, method, template, tuple(prefixes), params,
                          _json_body_schema(document, op)))
    ops.sort(key=lambda o: (o.version, o.template, o.method))
    return ops, sorted(set(unspecified))


# Pipedrive's resource names (path segments) and the record kind each one addresses.
RESOURCE_KIND: Final = {
    "deals": "deal", "persons": "person", "organizations": "organization",
    "pipelines": "pipeline", "stages": "stage", "users": "user",
    "dealFields": "deal", "personFields": "person", "organizationFields": "organization",
    "roles": "role", "legacyTeams": "team", "user": "user",
}
FIELD_RESOURCES: Final = {"dealFields": "deal", "personFields": "person",
                          "organizationFields": "organization"}
ENTITY_RESOURCE: Final = {"deal": "deals", "person": "persons", "organization": "organizations"}


def focus_entity(op: FuzzOp) -> str | None:
    """The entity with custom fields that the operation reads or writes, if any."""
    for segment in reversed(op.literals):
        kind = RESOURCE_KIND.get(segment)
        if kind in ENTITY_RESOURCE:
            return kind
        if kind is not None:
            return None
    return None


def param_kind(op: FuzzOp, param: str) -> str:
    """What a path parameter addresses: "deal", "field:deal", "field_code:person", …"""
    segments = [s for s in op.template.split("/") if s]
    for i, segment in enumerate(segments):
        if segment == "{" + param + "}" and i > 0:
            resource = segments[i - 1]
            if resource in FIELD_RESOURCES:
                return ("field:" if param == "id" else "field_code:") + FIELD_RESOURCES[resource]
            return RESOURCE_KIND.get(resource, "any")
    return "any"


# ---------------------------------------------------------------------------------- worlds

# Pipedrive's custom field types (the v1 spec's createFieldRequest enum, less visible_to).
FIELD_TYPES: Final = ("varchar", "varchar_auto", "text", "phone", "double", "monetary", "date",
                      "daterange", "time", "timerange", "enum", "set", "user", "org", "people",
                      "address")
REF_FIELD_KIND: Final = {"user": "user", "org": "organization", "people": "person"}


@dataclass(frozen=True)
class CustomDef:
    entity: str
    id: int
    key: str
    field_type: str
    option_ids: tuple[int, ...]
    subkeys: tuple[str, ...]  # the v1 keys of the sub-values: "<key>_until", …


@dataclass
class World:
    """One company's records, as the fuzzer addresses them."""

    label: str  # "the caller's" / "another company's"
    token: str
    ids: dict[str, list[int]] = field(default_factory=dict)
    fields: list[CustomDef] = field(default_factory=list)
    system_fields: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    cursors: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def custom(self, entity: str) -> list[CustomDef]:
        return [f for f in self.fields if f.entity == entity]

    def pool(self, kind: str, shared: bool = True) -> list[str]:
        """Path values that address this company's records of ``kind`` (with ``shared``, the
        system fields too, which every company has)."""
        if kind.startswith("field:"):
            entity = kind.split(":", 1)[1]
            return [str(f.id) for f in self.custom(entity)] + [
                str(i) for i, _ in self.system_fields.get(entity, [])[:2] if shared]
        if kind.startswith("field_code:"):
            entity = kind.split(":", 1)[1]
            return [f.key for f in self.custom(entity)] + [
                k for _, k in self.system_fields.get(entity, [])[:2] if shared]
        if kind == "any":
            return [str(i) for ids in self.ids.values() for i in ids]
        return [str(i) for i in self.ids.get(kind, [])]

    def owns(self, kind: str, value: Any) -> bool:
        return isinstance(value, int) and value in self.ids.get(kind, ())


def calls(http: SyncClient, token: str, requests: Sequence[tuple[str, str, Any]]) -> list[Any]:
    """Send the requests in order (one portal call) and return each one's ``data``; each must
    succeed (this is how the fuzzer seeds, not what it tests)."""
    async def run() -> list[httpx.Response]:
        return [await http.client.request(method, url, json=body, headers={"x-api-token": token})
                for method, url, body in requests]
    responses: list[httpx.Response] = http.portal.call(run)
    out = []
    for (method, url, _), response in zip(requests, responses, strict=True):
        assert response.status_code in (200, 201), (
            f"seeding: {method} {url} answered {response.status_code}: {response.text[:400]}")
        out.append(response.json()["data"])
    return out


def valid_v1_custom(f: CustomDef, world: World) -> dict[str, Any]:
    """A value every custom field type accepts, in v1's flat keys."""
    def ref(kind: str) -> int | None:
        return world.ids[kind][0] if world.ids.get(kind) else None
    values: dict[str, dict[str, Any]] = {
        "double": {f.key: 12.5},
        "monetary": {f.key: 99.5, f"{f.key}_currency": "EUR"},
        "date": {f.key: "2024-05-06"},
        "daterange": {f.key: "2024-05-06", f"{f.key}_until": "2024-06-07"},
        "time": {f.key: "10:30:00", f"{f.key}_timezone_id": 1},
        "timerange": {f.key: "10:00:00", f"{f.key}_until": "11:15:00", f"{f.key}_timezone_id": 1},
        "enum": {f.key: f.option_ids[0] if f.option_ids else None},
        "set": {f.key: list(f.option_ids[:2])},
        "user": {f.key: ref("user")},
        "org": {f.key: ref("organization")},
        "people": {f.key: ref("person")},
        "address": {f.key: "1 Main Street, Springfield", f"{f.key}_locality": "Springfield"},
    }
    return {k: v for k, v in values.get(f.field_type, {f.key: "some text"}).items()
            if not k.startswith(f.key + "_") or k in f.subkeys}


def seed_world(http: SyncClient, tenant: Tenant, label: str, field_entities: Sequence[str]) -> World:
    """A second user, pipeline and stage, two organizations and persons, three deals, and a
    custom field of every type (with values on the first record) per ``field_entities``;
    through the API."""
    world = World(label, tenant.company.api_token)
    ids = world.ids
    company = tenant.company
    field_bodies = [{"name": f"Fuzz {t}", "field_type": t, **(
        {"options": [{"label": "One"}, {"label": "Two"}, {"label": "Three"}]} if t in ("enum", "set") else {})}
        for t in FIELD_TYPES]
    made = calls(http, world.token, [
        ("GET", "/v1/pipelines", None), ("GET", "/v1/stages", None),
        ("POST", "/v1/users", {"email": f"second.{company.company_id}@fuzz.example", "name": "Second User"}),
        ("POST", "/v1/pipelines", {"name": "Second pipeline"}),
        ("POST", "/v1/organizations", {"name": "Org Alpha"}),
        ("POST", "/v1/persons", {"name": "Bob Example"}),
        *[("GET", f"/v1/{_fields_resource(e)}?limit=500", None) for e in field_entities],
        *[("POST", f"/v1/{_fields_resource(e)}", body) for e in field_entities for body in field_bodies],
    ])
    pipelines, stages, user, pipeline, org_a, person_b = made[:6]
    system_lists, customs = made[6:6 + len(field_entities)], made[6 + len(field_entities):]
    ids["user"] = [company.user_id, user["id"]]
    ids["pipeline"] = [p["id"] for p in pipelines] + [pipeline["id"]]
    ids["stage"] = [s["id"] for s in stages][:3]
    stage, org_b, person_a, deal_won, deal_lost = calls(http, world.token, [
        ("POST", "/v1/stages", {"name": "Other stage", "pipeline_id": pipeline["id"]}),
        ("POST", "/v1/organizations", {"name": "Org Beta", "owner_id": user["id"]}),
        ("POST", "/v1/persons", {
            "name": "Ann Example", "org_id": org_a["id"],
            "email": [{"value": "ann@fuzz.example", "primary": True, "label": "work"}],
            "phone": [{"value": "+1 555 0100", "primary": True, "label": "work"}]}),
        ("POST", "/v1/deals", {"title": "Deal won", "status": "won", "org_id": org_a["id"]}),
        ("POST", "/v1/deals", {"title": "Deal lost", "status": "lost", "person_id": person_b["id"]}),
    ])
    (deal_open,) = calls(http, world.token, [("POST", "/v1/deals", {
        "title": "Deal open", "person_id": person_a["id"], "org_id": org_a["id"],
        "stage_id": ids["stage"][0], "value": 100, "currency": "EUR"})])
    ids["stage"].append(stage["id"])
    ids["organization"] = [org_a["id"], org_b["id"]]
    ids["person"] = [person_a["id"], person_b["id"]]
    ids["deal"] = [deal_open["id"], deal_won["id"], deal_lost["id"]]
    for entity, system in zip(field_entities, system_lists, strict=True):
        world.system_fields[entity] = [(d["id"], d["key"]) for d in system if not d.get("edit_flag")]
    for i, made_field in enumerate(customs):
        world.fields.append(CustomDef(
            field_entities[i // len(FIELD_TYPES)], made_field["id"], made_field["key"],
            FIELD_TYPES[i % len(FIELD_TYPES)], tuple(o["id"] for o in made_field.get("options") or ()),
            tuple(s["key"] for s in made_field.get("subfields") or ())))
    for entity in field_entities:
        values: dict[str, Any] = {}
        for f in world.custom(entity):
            values.update(valid_v1_custom(f, world))
        # Best effort: a record with every custom value set renders more code paths.
        tenant.api.request("PUT", f"/v1/{ENTITY_RESOURCE[entity]}/{ids[entity][0]}", json=values, check=False)
    role, roles, teams = calls(http, world.token, [("POST", "/v1/roles", {"name": "Fuzz role"}),
                                                   ("GET", "/v1/roles", None),
                                                   ("GET", "/v1/legacyTeams", None)])
    ids["role"] = [r["id"] for r in roles]
    ids["team"] = [t["id"] for t in teams]
    return world


def _fields_resource(entity: str) -> str:
    return {"deal": "dealFields", "person": "personFields", "organization": "organizationFields"}[entity]


def harvest_cursors(http: SyncClient, world: World, op: FuzzOp) -> None:
    """Real v2 cursors of the operation's list (one per sort order), to replay and mutate."""
    if not any(p.get("name") == "cursor" for p in op.query_parameters()):
        return
    orders: list[dict[str, str]] = [{}]
    for p in op.query_parameters():
        if p.get("name") == "sort_by":
            for value in resolve(Contract.load(op.version).document, p.get("schema", {})).get("enum", []):
                orders += [{"sort_by": str(value), "sort_direction": d} for d in ("asc", "desc")]
    path = op.prefixes[0] + op.template
    found: list[dict[str, str]] = []
    urls = [f"{path}?{urlencode({**order, 'limit': 1})}" for order in orders[:9]]
    pages = fetch_all(http, world.token, urls)
    for order, url in zip(orders, urls, strict=False):
        status, body = pages[url]
        extra = json.loads(body).get("additional_data") if status == 200 else None
        cursor = extra.get("next_cursor") if isinstance(extra, dict) else None
        if isinstance(cursor, str):
            found.append({**order, "cursor": cursor})
    world.cursors[op.template] = found


# ---------------------------------------------------------------------------------- values

HUGE_NUMBERS: Final = ("9223372036854775807", "9223372036854775808", "18446744073709551616",
                       "999999999999999999", "1000000000000000000", "99999999999999999999999999999")
# str.isdigit() is true for all of these; int() takes only the decimal ones (١٢, １２, 𝟙, ১).
ODD_DIGITS: Final = ("①", "¹", "²³", "⑳", "₁", "١٢", "１２", "𝟙", "১", "٣①")
ODD_IDS: Final = ("", "0", "-1", "-0", "+1", " 1", "1 ", "01", "1.0", "1e3", "0x1", "1,2", "null",
                  "true", "[1]", "{}", "1/2", "..", "%", "NaN", "Infinity")
# Already percent-encoded: lone surrogates, invalid UTF-8, NUL, an overlong NUL, a slash.
PRE_ENCODED: Final = ("%ED%A0%80", "%ED%BF%BF", "1%ED%A0%80", "%FF", "%FE%FF", "%00", "1%00",
                      "%C0%80", "%2F", "%25", "%E2%91%A0", "%0A", "%20", "%u0031")
EXTREME_DATES: Final = ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01",
                        "9999-12-31", "0001-01-01 00:00:00", "9999-12-31T23:59:59Z",
                        "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0000-00-00",
                        "2024-02-30", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00",
                        "2024-01-01T10:00:00+25:00", "2024-01-01T10:00:00.999999+05:30",
                        "99999-01-01", "-0001-01-01", "2024-W01-1", "now", "1e10", "",
                        "2024-01-01T10:00:00+01:00[Europe/Paris]", "２０２４-01-01")
GOOD_DATES: Final = ("2024-05-06", "2024-05-06 10:20:30", "2024-05-06T10:20:30Z", "1999-12-31",
                     "2030-01-01T00:00:00+02:00")
TIMES: Final = ("10:30", "10:30:00", "23:59:59", "24:00", "25:61", "10:30:00+01:00", "①:00",
                "10:30:00.123456", "", "T10:30")
HOSTILE_STRINGS: Final = (
    "", " ", "\x00", "a\x00b", "\ud800", "a\udc80b", "\u202e\u0635", "\ufeff", "\u0301",
    "Ω≈ç√", "😀" * 3, "①", "¹", "١٢", "１２", "𝟙", "null", "None", "true", "-1", "0", "1.0",
    "1e999", "-1e999", "NaN", "9" * 40, "%00", "%s%n", "' OR 1=1 --", "\"; DROP TABLE deals; --",
    "<script>x</script>", "../../etc/passwd", "1,2,①", "${jndi:x}", "\\", "\"", "\n\r\t", ",",
    "a,b", ":(id)", "\x7f", "\x1b[31m", *EXTREME_DATES[:4],
)
HOSTILE_NUMBERS: Final = (2**63, 2**63 - 1, -(2**63) - 1, 2**64, 10**30, -1, 0, 1.0, 2.0, 1.5, -0.0,
                          1e308, -1e308, 5e-324, 1e16, 123456789.123456789)
LONG_STRINGS: Final = ("x" * 256, "x" * 70_000, "é" * 40_000, "①" * 5_000, "a\x00" * 1_000)
RAW_BODIES: Final = (
    b"", b" ", b"{", b"}", b"[", b'{"title": ', b'{"title": "x"', b"null", b"true", b"0", b"-1",
    b"1e999", b'"x"', b"[]", b"[{}]", b"{}", b'{"a":1}{"b":2}', b"\xff\xfe\x00", b"\xef\xbb\xbf{}",
    b'{"title": NaN}', b'{"title": Infinity}', b'{"title": "\\ud800"}', b'{"name": "\\u0000"}',
    b"[" * 3000 + b"]" * 3000, b'{"a":' * 600 + b"1" + b"}" * 600, b"{'title': 'x'}",
    b"title=x&value=1", b'{"title": "x", "title": 5}', b'{"title": 1' + b"0" * 400 + b"}",
    b'{"title": "x"}\x00', b'{"title": "\xff"}', b'{"\xed\xa0\x80": 1}',
    b'{"title": "' + b"x" * 1_100_000 + b'"}',
)
CONTENT_TYPES: Final = ("application/json",) * 12 + (
    None, "text/plain", "application/json; charset=latin-1", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x", "application/xml")


REF_KIND: Final = {"user_id": "user", "owner_id": "user", "creator_user_id": "user",
                   "person_id": "person", "org_id": "organization", "organization_id": "organization",
                   "stage_id": "stage", "pipeline_id": "pipeline", "deal_id": "deal"}
SORT_KEYS: Final = ("id", "title", "name", "add_time", "update_time", "value", "order_nr", "status",
                    "owner_name", "person_id", "nope", "add_time DESC", "")


@dataclass(frozen=True)
class Piece:
    """A path or query value: ``text`` is percent-encoded when sent unless ``raw``."""

    text: str
    raw: bool = False
    note: str = ""
    foreign: bool = False

    def encoded(self) -> str:
        if self.raw:
            return self.text
        return quote(self.text.encode("utf-8", "surrogatepass"), safe="")


@dataclass(frozen=True)
class FuzzRequest:
    method: str
    path: str  # percent-encoded, as sent
    query: tuple[tuple[str, str], ...]  # percent-encoded pairs
    body: bytes | None
    content_type: str | None
    auth: str  # "header", "query" or "bearer"
    notes: tuple[str, ...] = ()
    foreign_path: bool = False
    site: str = "none"  # where the fault is: "none", "path", "query", "body" or "chaos"

    def url(self, token: str) -> str:
        pairs = list(self.query)
        if self.auth == "query":
            pairs.append(("api_token", token))
        query = "&".join(f"{k}={v}" for k, v in pairs)
        return self.path + ("?" + query if query else "")

    def headers(self, token: str) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.auth == "header":
            out["x-api-token"] = token
        elif self.auth == "bearer":
            out["authorization"] = f"Bearer {token}"
        if self.content_type is not None:
            out["content-type"] = self.content_type
        return out

    def describe(self, limit: int = 600) -> str:
        """The request, to replay by hand (``<token>``: the caller's API token)."""
        lines = [f"{self.method} {self.url('<token>')}"]
        lines.append("  auth: " + {"header": "x-api-token: <token>", "query": "api_token=<token>",
                                    "bearer": "Authorization: Bearer <token>"}[self.auth])
        if self.content_type is not None:
            lines.append(f"  content-type: {self.content_type}")
        if self.body is not None:
            shown = self.body if len(self.body) <= limit else self.body[:limit]
            more = "" if len(self.body) <= limit else f" ... ({len(self.body)} bytes in all)"
            lines.append(f"  body: {shown!r}{more}")
        lines += [f"  where {n}" for n in self.notes]
        return "\n".join(lines)

    @property
    def size(self) -> int:
        return len(self.url("")) + len(self.body or b"")


T = TypeVar("T")


SEEDS: Final = st.tuples(*[st.integers(0, 2**64 - 1)] * 3)


class Dice:
    """Choices for one request: uniform and weighted picks from a ``random.Random`` seeded by
    what hypothesis drew first (three seeds and the body's schema value), and hypothesis's
    own draws for free-form values.

    Hypothesis's ``sampled_from`` favours early items, and its engine builds new examples by
    copying choices of earlier ones, which leaves most of a fault catalogue untried and sends
    the same request again and again; a Random seeded by all of the first draws breaks such
    copies apart. Everything stays a function of hypothesis's choices (deterministic under
    ``derandomize``); nothing is shrunk (findings are collected, not raised).
    """

    def __init__(self, draw: st.DrawFn, seeds: tuple[int, ...], value: Json) -> None:
        self.draw = draw
        self.value = value
        self.rnd = random.Random(f"{seeds}:{json.dumps(value, sort_keys=True, default=repr)}")

    def pick(self, items: Sequence[T]) -> T:
        return self.rnd.choice(items)

    def weighted(self, options: Sequence[tuple[int, T]]) -> T:
        return self.rnd.choices([o for _, o in options], weights=[w for w, _ in options])[0]

    def chance(self, probability: float) -> bool:
        return self.rnd.random() < probability

    def some(self, items: Sequence[T], low: int, high: int) -> list[T]:
        """``low`` to ``high`` distinct items, in their order."""
        if not items:
            return []
        k = self.rnd.randint(min(low, len(items)), min(high, len(items)))
        chosen = set(self.rnd.sample(range(len(items)), k))
        return [item for i, item in enumerate(items) if i in chosen]


NICE_TEXT: Final = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=24)
SHORT_TEXT: Final = st.text(max_size=12)
SMALL_INTS: Final = st.integers(0, 100)
HOSTILE_SCALARS: Final[Strategy[Json]] = st.one_of(
    st.none(), st.booleans(), st.sampled_from(HOSTILE_NUMBERS), st.sampled_from(HOSTILE_STRINGS),
    st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
)
CURSOR_TAIL: Final = st.lists(HOSTILE_SCALARS, max_size=2)
HOSTILE_JSON: Final[Strategy[Json]] = st.recursive(
    HOSTILE_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(("id", "value", "label", "", "x", "\x00")), children, max_size=3)),
    max_leaves=6)
UNKNOWN_KEYS: Final = ("foo", "id", "add_time", "is_deleted", "deleted", "custom_fields", "__proto__", "",
                       "\x00", "a" * 40, "0" * 40 + "_until", "company_id", "active_flag", "label_ids",
                       "creator_user_id", "ID", "title ")
OPTION_ID_JUNK: Final[tuple[Json, ...]] = (
    [{"id": 1}, {"id": 2}], [{"id": {"id": 1}}], {"id": 1}, [{"value": 1}], ["①"], [1.0], [True], [2**64],
    "1,①", [[1]], [None])
LIST_JUNK: Final[tuple[Json, ...]] = (
    [{"id": {"id": 1}}], [[{"label": "x"}]], {}, [None], [{"id": 1.0, "label": "x"}],
    [{"id": True, "label": "x"}], [{"id": "1", "label": "x"}], [{"id": [1], "label": "x"}],
    [{"id": {"a": 1}, "label": "x"}], [{"label": "x" * 300}], [{"label": ""}], [{"label": "\x00"}],
    [{}] * 1001, [{"id": 2**64, "label": "x"}], [{"id": -1, "label": "x"}], [{"label": ["x"]}])
INT_FAULTS: Final[tuple[Json, ...]] = (
    "①", "¹", "²³", "١٢", "𝟙", "1,①", "1.0", "1.5", 1.0, 1.5, True, False, 2**63, 2**64, -(2**63) - 1,
    -1, 0, "", " 1", "+1", "0x10", "1e3", None, [1], {"value": 1}, {"id": 1}, "1,2", 1e308)
NUMBER_FAULTS: Final[tuple[Json, ...]] = (
    1e308, -1e308, 5e-324, 10**30, -(10**30), 2**64, "NaN", "1e999", "①", "1,5", "1.5", "", True, None,
    [1], {"value": 1}, -1, 0.1, 1e16 + 1)
BOOL_FAULTS: Final[tuple[Json, ...]] = (0, 1, 2, "true", "1", "yes", "", None, 1.0, [True], {"value": True})
STRING_FAULTS: Final[tuple[Json, ...]] = (
    "\x00", "a\x00b", "x" * 70_000, "é" * 40_000, "\ud800", "a\udc80b", "", " ", "①", "¹", "1e999",
    "NaN", "\u202e", 1, 1.5, 2**64, True, None, [], {}, ["x"], {"value": "x"}, "x" * 256, "x" * 65_536,
    *EXTREME_DATES[:2])
# Valid values of string properties whose name says what they hold, and faults for them.
NAMED_VALUES: Final[dict[str, tuple[Json, ...]]] = {
    "currency": ("EUR", "USD", "JPY"), "status": ("open", "won", "lost"), "visible_to": ("1", "3", "5", "7"),
    "value": ("100", "0", "1250.5"), "field_type": FIELD_TYPES, "sort_direction": ("asc", "desc"),
    "app": ("sales", "global"), "label": ("work", "home"),
}
NAMED_FAULTS: Final[dict[str, tuple[Json, ...]]] = {
    "currency": ("eur", "XXX", "EURO", "€", "", "E\x00R", "€" * 100, 978),
    "status": ("deleted", "all_not_deleted", "OPEN", "", "open,won", "①", 1),
    "visible_to": ("0", "9", "①", "3.0", 3.0, "", "-1", 2**64),
    "value": ("1e3", "-5", "①", "NaN", "Infinity", "9" * 30, "", "0.000001", "1,5", 1e308, -1e308, 10**30),
    "email": ("not-an-email", "@", "a@b", "", "a\x00@b.c", "①@①.①", ["a@b.c"], {"value": "a@b.c"}),
    "field_type": ("nope", "", "visible_to", "ENUM", "int", "status", "stage", None, 1),
    "name": ("", " ", "\x00", "x" * 256, "x" * 70_000, None, 1, ["x"], {"value": "x"}),
    "title": ("", " ", "\x00", "x" * 256, "x" * 70_000, None, 1, ["x"], {"value": "x"}),
    "field_name": ("", " ", "\x00", "x" * 256, None, 1, ["x"]),
    "label": ("", "①", 1.5, [1, "①"], {"id": 1}, "x" * 300, None),
}
# Families of faults for any value; "specific" ones are picked for what the key holds.
FAULTS: Final[dict[str, tuple[Json, ...]]] = {
    "digits": ("①", "¹", "²³", "1,①", "١٢", "𝟙", "⑳", "₁", ["①"], "1,2,①", "①,1", "٣①"),
    "types": (True, False, None, 1.0, 1.5, [], {}, [1], {"value": 1}, {"id": 1}, "", " ", [{"id": 1}],
              {"value": {"value": 1}}),
    "sizes": (2**63, 2**64, -(2**63) - 1, 10**30, 1e308, -1e308, "9" * 40, -1, 0, "x" * 70_000, 5e-324),
    "dates": EXTREME_DATES + TIMES,
    "text": STRING_FAULTS,
}
FAULT_FAMILIES: Final = ((4, "specific"), (2, "digits"), (2, "types"), (1, "sizes"), (1, "dates"),
                         (1, "text"), (1, "json"))
ID_FAULTS: Final = ("①", "¹", "²³", "١٢", "𝟙", "1,①", "1.0", "-1", "0", "+1", " 1", "1e3", "0x10",
                    *HUGE_NUMBERS, "1,2", "1,,2", ",", "1," * 200)
SORT_FAULTS: Final = ("id ASC,", ",", "id ASCENDING", "id;DROP", "①", "a" * 100, "id ASC, " * 6,
                      ",".join(["a" * 40] * 16), "next_activity_id,next_activity_id", "\x00", "id DESC DESC")
SELECTOR_KEYS: Final = ("id", "title", "name", "value", "nope", "", " id", "①", "a" * 300, "user_id")
UNKNOWN_PARAMS: Final = ("foo", "", "limit[]", "sort_by", "limit", "start", "\x00", "①", "ids", "status",
                         "cursor", "api_token ")
CURSOR_JUNK: Final = ("", "x", "=", "AAAA", "e30", "bnVsbA", "W10", "%%%", "a" * 5000, "eyJzIjpbXX0")
CURSOR_SORTS: Final = ([["id", 0]], [["updated_at", 0], ["id", 0]], [["id", 1]], "x", None, [[1, 2]],
                       [["id", 0], ["id", 0], ["id", 0]], [["cf_num_1", 0], ["id", 0]])
PAGE_VALUES: Final = ("0", "1", "2", "3", "100", "499", "500")


class RequestFactory:
    """Hypothesis strategies for the requests of one operation against one world.

    Most requests carry one fault in an otherwise valid request, so that the fault reaches
    the code that parses it: in a path id, in one query parameter or in one place of the
    body; some carry none, some faults everywhere ("chaos"). Strategies for schema values
    are built once per factory (hypothesis labels each new strategy, which costs far more
    than a draw); everything else is picked with :class:`Dice`.
    """

    def __init__(self, op: FuzzOp, world: World, foreign: World) -> None:
        self.op, self.world, self.foreign = op, world, foreign
        self.document = Contract.load(op.version).document
        self.entity = focus_entity(op)
        self.resource_kind = next((RESOURCE_KIND[s] for s in reversed(op.literals) if s in RESOURCE_KIND),
                                  "any")
        self.fields_op = any(s in FIELD_RESOURCES for s in op.literals)
        self.option_ids = sorted({i for f in world.fields for i in f.option_ids}) or [1]
        self.custom_keys = [f.key for f in world.fields] or ["0" * 40]
        self.custom_by_key = {f.key: f for f in world.fields}
        self.path_params = _TEMPLATE_PARAM.findall(op.template)
        self.query_params = [p for p in op.query_parameters() if p.get("name") != "api_token"]
        sites = [(2, "none"), (2, "chaos")]
        sites += [(3, "path")] if self.path_params else []
        sites += [(4, "query")] if self.query_params else []
        sites += [(8, "body")] if op.body_schema is not None else []
        self.sites = sites
        self.refused: set[str] = set()  # top-level keys refused as unknown in fault-free requests
        self._memo: dict[Any, Any] = {}

    def _cached(self, key: Any, build: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = build()
        found: T = self._memo[key]
        return found

    # -- the request ------------------------------------------------------------------------

    def requests(self) -> Strategy[FuzzRequest]:
        op = self.op

        @st.composite
        def build(draw: st.DrawFn) -> FuzzRequest:
            seeds = draw(SEEDS)
            value = draw(self.value(op.body_schema, "", 0)) if op.body_schema is not None else None
            dice = Dice(draw, seeds, value)
            site = dice.weighted(self.sites)
            notes: list[str] = []
            foreign = False
            path = op.template
            faulty = dice.pick(self.path_params) if site == "path" else None
            for name in self.path_params:
                piece = self.path_value(dice, name, name == faulty or (site == "chaos" and dice.chance(0.3)))
                path = path.replace("{" + name + "}", piece.encoded())
                foreign |= piece.foreign
                if piece.note:
                    notes.append(piece.note)
            path = dice.pick(op.prefixes) + path
            if op.version == "v1" and op.method == "GET" and dice.chance(0.08):
                path += ":(" + ",".join(dice.some(SELECTOR_KEYS, 0, 4)) + ")"
            query = self.draw_query(dice, site)
            notes += [value.note for _, value in query if value.note]
            body, content_type = self.draw_body(dice, notes, site)
            pairs = tuple((quote(k.encode("utf-8", "surrogatepass"), safe=""), v.encoded()) for k, v in query)
            auth = dice.weighted(((8, "header"), (1, "query"), (1, "bearer")))
            return FuzzRequest(op.method, path, pairs, body, content_type, auth, tuple(notes), foreign, site)
        return build()

    def learn(self, exchange: Exchange) -> None:
        """Leave out of later bodies the keys that a fault-free request was refused for as
        unknown (documented by the spec, refused by the server: reported apart). They are
        dropped after every draw: hypothesis requires the draws to depend on its choices only."""
        if exchange.request.site != "none" or exchange.status != 400:
            return
        found = REFUSED_KEYS.search(str(_error_of(exchange.body)))
        if found and self.op.body_schema is not None:
            props = self.flatten(self.op.body_schema).get("properties", {})
            self.refused |= {k.strip() for k in found.group(1).split(",")} & set(props)

    # -- path -------------------------------------------------------------------------------

    def path_value(self, dice: Dice, param: str, hostile: bool) -> Piece:
        kind = param_kind(self.op, param)
        own = self.world.pool(kind)
        if self.op.template.endswith("/options") and kind.startswith("field_code:"):
            own = [f.key for f in self.world.custom(kind.split(":", 1)[1]) if f.option_ids] or own
        if own and not hostile:
            value = dice.pick(own)
            return Piece(value, note=f"{{{param}}}={value} is one of the caller's {kind}s")
        foreign = self.foreign.pool(kind, shared=False)
        how = dice.weighted(((4, "junk"), (3 if foreign else 0, "foreign"), (2, "encoded"), (1, "text"),
                             (1, "empty")))
        if how == "empty":
            return Piece("")
        if how == "foreign":
            value = dice.pick(foreign)
            return Piece(value, foreign=True, note=f"{{{param}}}={value} is ANOTHER company's {kind}")
        if how == "encoded":
            return Piece(dice.pick(PRE_ENCODED), raw=True)
        if how == "text":
            return Piece(dice.draw(SHORT_TEXT))
        junk: tuple[str, ...] = HUGE_NUMBERS + ODD_DIGITS + ODD_IDS
        if kind.startswith("field_code"):
            junk += ("a" * 40, "0" * 40, "f" * 41, "title", "ID", "custom_fields", "a" * 300)
        return Piece(dice.pick(junk))

    # -- query ------------------------------------------------------------------------------

    def draw_query(self, dice: Dice, site: str) -> list[tuple[str, Piece]]:
        """Some of the operation's parameters with valid values; with ``site`` "query" one of
        them hostile (or an unknown or repeated one); with "chaos" any of them."""
        pairs: list[tuple[str, Piece]] = []
        cursors = self.world.cursors.get(self.op.template, [])
        if cursors and dice.chance(0.3):
            base = dict(dice.pick(cursors))
            cursor = self.cursor_value(dice, base.pop("cursor"))
            pairs += [(k, Piece(v)) for k, v in base.items()] + [("cursor", cursor)]
        taken = {k for k, _ in pairs}
        params = [p for p in self.query_params if p.get("name") not in taken]
        target = dice.pick(params) if site == "query" and params and dice.chance(0.9) else None
        for p in params:
            name = str(p.get("name"))
            if p is target or (site == "chaos" and dice.chance(0.15)):
                pairs.append((name, self.hostile_query_value(dice, name)))
            elif dice.chance(0.85 if p.get("required") else 0.35):
                pairs.append((name, self.query_value(dice, name, p.get("schema", {}))))
        if site == "chaos" or (site == "query" and target is None):
            if dice.chance(0.5):
                pairs.append((dice.pick(UNKNOWN_PARAMS), self.hostile_query_value(dice, "")))
            if pairs and dice.chance(0.5):  # a repeated name: the last one wins
                name, _ = dice.pick(pairs)
                pairs.append((name, self.hostile_query_value(dice, name)))
        return pairs

    def hostile_query_value(self, dice: Dice, name: str) -> Piece:
        typed: tuple[str, ...] = ()
        if name in REF_KIND or name in ("ids", "start", "limit", "filter_id"):
            foreign = self.foreign.pool(REF_KIND.get(name, self.resource_kind), shared=False)
            typed = ID_FAULTS + tuple(foreign[:2])
        elif "since" in name or "until" in name or "date" in name or "time" in name:
            typed = EXTREME_DATES
        elif name in ("sort", "sort_by", "custom_fields", "include_fields"):
            typed = SORT_FAULTS
        how = dice.weighted(((4 if typed else 0, "typed"), (3, "catalogue"), (1, "text"), (1, "encoded"),
                             (1, "long")))
        if how == "typed":
            return Piece(dice.pick(typed))
        if how == "text":
            return Piece(dice.draw(SHORT_TEXT))
        if how == "encoded":
            return Piece(dice.pick(PRE_ENCODED), raw=True)
        if how == "long":
            return Piece(dice.pick(("x" * 5000, "①" * 1000, "1," * 2000)))
        return Piece(dice.pick(HOSTILE_STRINGS + EXTREME_DATES + ODD_DIGITS + HUGE_NUMBERS))

    def ids_of(self, dice: Dice, kind: str, csv: bool = False) -> Piece:
        own = self.world.pool(kind) or ["1"]
        if not csv:
            return Piece(dice.pick(own))
        return Piece(",".join(dice.some(own, 1, 4)))

    def query_value(self, dice: Dice, name: str, schema: SpecMap) -> Piece:
        flat = self._cached(("flat", id(schema)), lambda: self.flatten(schema))
        if name in REF_KIND:
            return self.ids_of(dice, REF_KIND[name])
        if name == "ids":
            return self.ids_of(dice, self.resource_kind, csv=True)
        if name in ("start", "limit"):
            return Piece(dice.pick(PAGE_VALUES))
        if name == "sort":
            keys = dice.some(SORT_KEYS[:10] + tuple(self.custom_keys), 1, 5)
            return Piece(", ".join(k + dice.pick(("", " ASC", " DESC")) for k in keys))
        if name == "cursor":
            return self.cursor_value(dice, None)
        if name == "custom_fields":
            return Piece(",".join(dice.some(self.custom_keys, 1, 15)))
        enum = [str(v) for v in flat.get("enum", [])]
        if name == "include_fields" or (enum and name == "status"):
            return Piece(",".join(dice.some(enum or ["x"], 1, 4)))
        if enum:
            return Piece(dice.pick(enum))
        if "since" in name or "until" in name or "date" in name or "time" in name:
            return Piece(dice.pick(GOOD_DATES))
        kind = flat.get("type")
        if kind == "boolean" or name in ("everyone", "owned_by_you", "search_by_email"):
            return Piece(dice.pick(("true", "false", "1", "0")))
        if kind in ("integer", "number"):
            return Piece(str(dice.draw(SMALL_INTS)))
        if name == "first_char":
            return Piece(dice.pick(("a", "A", "b", "ö")))
        if name == "term":
            return Piece(dice.pick(("Admin", "admin@", "Second", "fuzz.example", "a")))
        return Piece(dice.draw(NICE_TEXT))

    def cursor_value(self, dice: Dice, real: str | None) -> Piece:
        """A real cursor (when there is one), a real cursor with hostile values, or junk."""
        payload = None if real is None else _decode_cursor(real)
        how = dice.weighted(((1, "junk"), (2, "crafted"), (3 if real else 0, "real"),
                             (1 if real else 0, "cut"), (4 if payload else 0, "doctored")))
        if how == "real" and real is not None:
            return Piece(real)
        if how == "cut" and real is not None:
            return Piece(dice.pick((real[:-3], real + "A", real[1:])))
        value: Json = dice.pick(EXTREME_DATES + ODD_DIGITS) if dice.chance(0.5) else dice.draw(HOSTILE_SCALARS)
        if how == "doctored" and payload is not None:
            values = list(payload.get("v") or [None])
            values[dice.rnd.randrange(len(values))] = value
            doctored = {**payload, "v": values}
            return Piece(_encode_cursor(doctored), note=f"cursor = base64url of {json.dumps(doctored)[:200]}")
        if how == "crafted":
            crafted = {"s": dice.pick(CURSOR_SORTS), "v": [value, *dice.draw(CURSOR_TAIL)]}
            return Piece(_encode_cursor(crafted), note=f"cursor = base64url of {json.dumps(crafted)[:200]}")
        return Piece(dice.pick(CURSOR_JUNK))

    # -- bodies -----------------------------------------------------------------------------

    def draw_body(self, dice: Dice, notes: list[str], site: str) -> tuple[bytes | None, str | None]:
        """A body from the operation's schema (with valid custom field values for deals,
        persons and organizations); with ``site`` "body" one fault in it, or malformed bytes,
        or another JSON container; with "chaos" several faults and odd content types."""
        schema = self.op.body_schema
        if schema is None:  # operations without a body: now and then an unexpected one
            if site == "chaos" and dice.chance(0.2):
                return dice.pick(RAW_BODIES[:20]), "application/json"
            return None, None
        hostile = site in ("body", "chaos")
        shape = dice.weighted(((1, "raw"), (1, "container"), (8, "value"))) if hostile else "value"
        if shape == "raw":
            return dice.pick(RAW_BODIES), dice.pick(CONTENT_TYPES)
        value = dice.value
        if self.entity is not None and not self.fields_op and isinstance(value, dict) and dice.chance(0.6):
            value = self.draw_custom_values(dice, value, notes)
        if shape == "container":  # a valid value in another JSON container
            value = dice.pick(([value], [value, value], {"data": value}, "x", 1, None))
        elif hostile:
            valid = value
            for _ in range(dice.pick((1, 1, 2, 3)) if site == "chaos" else 1):
                value = self.draw_mutation(dice, value, schema)
            if isinstance(value, dict) and isinstance(valid, dict):  # keep the keys a fault is in
                faulty = {k for k in value if k not in valid or value[k] is not valid[k]}
                value = {k: v for k, v in value.items() if k not in self.refused or k in faulty}
        if not hostile and isinstance(value, dict):
            # Last, after every draw: what is drawn must not depend on what was learnt.
            value = {k: v for k, v in value.items() if k not in self.refused}
        content_type = dice.pick(CONTENT_TYPES) if site == "chaos" else "application/json"
        if content_type == "application/x-www-form-urlencoded" and isinstance(value, dict):
            form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}
            return urlencode(form, encoding="utf-8", errors="surrogatepass").encode("ascii"), content_type
        text = json.dumps(value, ensure_ascii=dice.chance(0.5), allow_nan=True)
        return text.encode("utf-8", "surrogatepass"), content_type

    def flatten(self, schema: Any, depth: int = 0) -> dict[str, Any]:
        """One schema object: ``$ref`` s followed, ``allOf`` merged."""
        schema = resolve(self.document, schema)
        if not isinstance(schema, Mapping):
            return {}
        out = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema.get("allOf", ()) if depth < 8 else ():
            sub = self.flatten(part, depth + 1)
            props = {**sub.get("properties", {}), **out.get("properties", {})}
            required = [*out.get("required", []), *sub.get("required", [])]
            out = {**sub, **out}
            if props:
                out["properties"] = props
            if required:
                out["required"] = required
        return out

    def value(self, schema: Any, name: str, depth: int) -> Strategy[Json]:
        """A spec-valid value, with names steering ids, dates and codes to plausible ones."""
        def build() -> Strategy[Json]:
            flat = self.flatten(schema)
            base = self._value(flat, name, depth)
            return st.one_of(base, st.none()) if flat.get("nullable") else base
        # Schema nodes live as long as the spec (cached per process), so their ids are stable.
        return self._cached(("value", id(schema) if schema else 0, name, depth), build)

    def _value(self, schema: dict[str, Any], name: str, depth: int) -> Strategy[Json]:
        if "enum" in schema and schema["enum"]:
            return st.sampled_from(list(schema["enum"]))
        for key in ("oneOf", "anyOf"):
            if schema.get(key) and depth < 6:
                return st.one_of([self.value(s, name, depth + 1) for s in schema[key]])
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            return self.obj(schema, depth) if depth < 5 else st.just({})
        if kind == "array":
            if name == "options":
                return st.lists(self.option_item(), max_size=4)
            items = schema.get("items", {})
            if depth >= 5:
                return st.just([])
            return st.lists(self.value(items, name, depth + 1), min_size=1 if depth == 0 else 0, max_size=3)
        if kind == "integer" or (kind == "number" and name in REF_KIND):
            return self.int_for(name)
        if kind == "number":
            return st.one_of(st.integers(0, 10**6), st.sampled_from((0, 1, 0.5, 99.99, 100)))
        if kind == "boolean":
            return st.booleans()
        if kind == "string" or not kind:
            return self.text_for(name)
        return HOSTILE_JSON

    def obj(self, schema: dict[str, Any], depth: int) -> Strategy[Json]:
        """Required keys (and, at the top, the name a record needs) plus a few optional ones."""
        props: dict[str, Any] = dict(schema.get("properties", {}))
        required = [k for k in schema.get("required", []) if isinstance(k, str)]
        if depth == 0:
            required += [k for k in ("name", "title", "field_name", "field_type")
                         if k in props and k not in required]
        optional = [k for k in props if k not in required]
        values = {k: self.value(props[k], k, depth + 1) if k in props else self.text_for(k)
                  for k in [*required, *optional]}
        chosen = st.lists(st.sampled_from(optional), unique=True, max_size=min(4, len(optional))) \
            if optional else st.just([])
        @st.composite
        def build(draw: st.DrawFn) -> dict[str, Any]:
            out = {key: draw(values[key]) for key in [*required, *draw(chosen)]}
            if "field_type" in out and "options" in props:  # options go with enum and set only
                if out["field_type"] in ("enum", "set"):
                    out["options"] = out.get("options") or [{"label": "One"}, {"label": "Two"}]
                else:
                    out.pop("options", None)
            return out
        return build()

    def option_item(self) -> Strategy[Json]:
        return self._cached("option-item", lambda: st.one_of(
            st.builds(_label_item, self.text_for("label")),
            st.builds(_option_item, st.sampled_from(self.option_ids), self.text_for("label")),
        ))

    def int_for(self, name: str) -> Strategy[Json]:
        def build() -> Strategy[Json]:
            if name in REF_KIND:  # (another company's ids and junk are faults: draw_fault)
                own = [int(v) for v in self.world.pool(REF_KIND[name])]
                return st.sampled_from(own) if own else st.integers(1, 10**6)
            if name == "id":
                ids = self.option_ids if self.fields_op else [
                    int(v) for v in self.world.pool(self.resource_kind)] or [1]
                return st.sampled_from(ids)
            if "probability" in name:
                return st.integers(0, 100)
            if name == "visible_to":
                return st.sampled_from((1, 3, 5, 7))
            if name in ("order_nr", "rotten_days", "days_to_rotten"):
                return st.sampled_from((1, 0, 3, 99))
            return st.one_of(st.integers(0, 5), st.integers(0, 2**40))
        return self._cached(("int", name), build)

    def text_for(self, name: str) -> Strategy[Json]:
        return self._cached(("text", name), lambda: self._text_for(name))

    def _text_for(self, name: str) -> Strategy[Json]:
        if name in NAMED_VALUES:
            return st.sampled_from(NAMED_VALUES[name])
        if "date" in name or name == "birthday":
            return st.sampled_from(tuple(d for d in GOOD_DATES if len(d) == 10))
        if "time" in name:
            return st.sampled_from(GOOD_DATES)
        if "email" in name:
            return st.sampled_from(("ann@fuzz.example", "bob@fuzz.example"))
        if "phone" in name:
            return st.sampled_from(("+1 555 0100", "555-0199"))
        return st.one_of(NICE_TEXT, st.sampled_from(("Deal", "Ann", "Org", "x" * 255)))

    # -- custom field values ------------------------------------------------------------------

    def custom_value(self, f: CustomDef) -> dict[str, Any]:
        """A valid value of one custom field: its flat v1 keys, or one v2 ``custom_fields`` entry."""
        valid = valid_v1_custom(f, self.world)
        if self.op.version == "v1":
            return valid
        subs = {k[len(f.key) + 1:]: v for k, v in valid.items() if k != f.key}
        return {f.key: {"value": valid.get(f.key), **subs} if f.subkeys else valid.get(f.key)}

    def hostile_custom(self, f: CustomDef) -> list[Json]:
        """Values that a field of ``f``'s type must refuse (or take) without crashing."""
        def build() -> list[Json]:
            out: list[Json] = [
                [{"id": i} for i in f.option_ids[:2]] or [{"id": 1}], {"id": 1}, {"value": {"value": 1}},
                "①", "1,①", "¹", "1,2,3", float(f.option_ids[0]) if f.option_ids else 1.0, True, [], [[1]],
                "2024-02-30", "25:61", "24:00", "10:30:00+01:00", *EXTREME_DATES[:2], "\x00", "x" * 70_000,
                2**64, -1, 0, "", f.option_ids[-1] + 100 if f.option_ids else 5, [1.0], ["1", "①"], ["①"],
                {"value": 1}, 1e308, "NaN", "1e999",
            ]
            ref = REF_FIELD_KIND.get(f.field_type)
            if ref and self.foreign.ids.get(ref):
                out.append(self.foreign.ids[ref][0])
            if self.op.version == "v2" and f.subkeys:
                main = valid_v1_custom(f, self.world).get(f.key)
                for sub in f.subkeys:
                    suffix = sub[len(f.key) + 1:]
                    out += [{"value": main, suffix: bad} for bad in ("①", {"a": 1}, 2**64, "\x00", 1.5, [1])]
                out += [{"value": main, "nope": 1}, {"value": "①"}, {"until": "x"}]
            return out
        return self._cached(("hostile-custom", f.id), build)

    def draw_custom_values(self, dice: Dice, value: dict[str, Any], notes: list[str]) -> dict[str, Any]:
        chosen = dice.some(self.world.custom(self.entity or ""), 1, 5)
        extra: dict[str, Any] = {}
        for f in chosen:
            extra.update(self.custom_value(f))
            notes.append(f"{f.key} is the caller's {f.field_type} custom field"
                         + (f" (options {list(f.option_ids)})" if f.option_ids else ""))
        if not chosen:
            return value
        if self.op.version == "v1":
            return {**value, **extra}
        return {**value, "custom_fields": extra}

    # -- mutations --------------------------------------------------------------------------

    def draw_mutation(self, dice: Dice, value: Json, schema: SpecMap) -> Json:
        """One hostile change where a valid value was: a wrong type, an unknown key, an object
        for a scalar, 1.0 for an int, a boolean, NUL, a very long string, objects as option ids,
        non-ASCII digits, extreme dates; inside ``custom_fields`` too."""
        if isinstance(value, list):
            if value and dice.chance(0.5):
                i = dice.rnd.randrange(len(value))
                return [*value[:i], self.draw_mutation(dice, value[i], {}), *value[i + 1:]]
            return dice.pick(LIST_JUNK) if dice.chance(0.75) else dice.draw(HOSTILE_JSON)
        if not isinstance(value, dict):
            return dice.draw(HOSTILE_JSON)
        props: list[str] = self._cached(("props", id(schema)), lambda: list(
            self.flatten(schema).get("properties", {}))) if schema else []
        out = dict(value)
        where = dice.weighted(((6, "present"), (2, "schema"), (1, "unknown")))
        keys = list(out) if where == "present" else props if where == "schema" else []
        if not keys:
            out[dice.pick(UNKNOWN_KEYS)] = dice.draw(HOSTILE_JSON)
            return out
        key = dice.pick(keys)
        current = out.get(key)
        if key == "custom_fields" and isinstance(current, dict) and current:
            inner = dice.pick(list(current))
            out[key] = {**current, inner: self.draw_fault(dice, inner, current[inner])}
        elif isinstance(current, dict) and current and dice.chance(0.5):
            inner_schema: SpecMap = self.flatten(schema)["properties"][key] if key in props else {}
            out[key] = self.draw_mutation(dice, current, inner_schema)
        else:
            out[key] = self.draw_fault(dice, key, current)
        return out

    def draw_fault(self, dice: Dice, key: str, current: Json) -> Json:
        """A hostile value for ``key`` (whose valid value is ``current``): one of a few families
        (non-ASCII digits, wrong types, sizes, dates, odd text, any JSON), or, most often,
        values picked for what ``key`` holds."""
        family = dice.weighted(FAULT_FAMILIES)
        if family == "json":
            return dice.draw(HOSTILE_JSON)
        if family != "specific":
            return dice.pick(FAULTS[family])
        custom = self.custom_by_key.get(key[:40]) if len(key) >= 40 else None
        if custom is not None:
            return dice.pick(self.hostile_custom(custom))
        if key in NAMED_FAULTS:
            return dice.pick(NAMED_FAULTS[key])
        if key in REF_KIND or key == "id" or key.endswith("_ids"):
            foreign = self.foreign.pool(REF_KIND.get(key, "any"), shared=False)
            return dice.pick((*INT_FAULTS, *[int(v) for v in foreign[:3]]))
        if "time" in key or "date" in key or key == "birthday":
            return dice.pick(EXTREME_DATES + TIMES)
        if isinstance(current, bool):
            return dice.pick(BOOL_FAULTS)
        if isinstance(current, int | float):
            return dice.pick(NUMBER_FAULTS)
        if isinstance(current, list):
            return dice.pick(LIST_JUNK + OPTION_ID_JUNK)
        return dice.pick(STRING_FAULTS)


def _label_item(label: Json) -> Json:
    return {"label": label}


def _option_item(option_id: int, label: Json) -> Json:
    return {"id": option_id, "label": label}


def _decode_cursor(cursor: str) -> dict[str, Any] | None:
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        return None
    return payload if isinstance(payload, dict) else None


def _encode_cursor(payload: Any) -> str:
    text = json.dumps(payload, allow_nan=True).encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


# ---------------------------------------------------------------------------------- exchanges


class LogCapture(logging.Handler):
    """Keeps the error records that dealbase logs (``dealbase.pipedrive`` logs every unhandled
    error with its traceback), so that a 500 can be reported with its cause."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.records_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self.records_lock:
            self.records.append(record)

    @contextmanager
    def installed(self) -> Iterator[LogCapture]:
        logger = logging.getLogger("dealbase")
        logger.addHandler(self)
        try:
            yield self
        finally:
            logger.removeHandler(self)

    def take(self) -> list[logging.LogRecord]:
        with self.records_lock:
            out, self.records = self.records, []
        return out


@dataclass
class Exchange:
    request: FuzzRequest
    status: int | None  # None: an exception escaped the app
    body: bytes
    errors: list[tuple[str, BaseException | None, str]]  # (message, exception, formatted traceback)
    path: str = ""  # the path as sent (httpx drops dot segments: /v1/deals/../x is /v1/x)


def send(http: SyncClient, token: str, request: FuzzRequest, logs: LogCapture) -> Exchange:
    logs.take()
    try:
        response = http.request(request.method, request.url(token), content=request.body,
                                headers=request.headers(token))
    except Exception as exc:  # noqa: BLE001 - an exception that escaped the app is a finding
        errors = [(f"escaped the app: {exc!r}", exc, "".join(traceback.format_exception(exc)))]
        return Exchange(request, None, b"", errors + _logged(logs), request.path)
    path = response.request.url.raw_path.decode("ascii").split("?", 1)[0]
    return Exchange(request, response.status_code, response.content, _logged(logs), path)


def _logged(logs: LogCapture) -> list[tuple[str, BaseException | None, str]]:
    out = []
    for record in logs.take():
        exc = record.exc_info[1] if record.exc_info else None
        text = "".join(traceback.format_exception(*record.exc_info)) if record.exc_info else ""
        out.append((record.getMessage(), exc, text))
    return out


@dataclass
class Finding:
    kind: str  # "5xx", "conformance", "unchanged-on-4xx", "isolation", "read-back"
    op: str
    signature: str  # what makes two findings the same bug
    summary: str
    detail: str
    request: str
    size: int
    count: int = 1


def _src_frame(exc: BaseException | None) -> str:
    """``path:line in function`` of the deepest frame in dealbase's own code."""
    if exc is None:
        return "?"
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if "/dealbase/" in f.filename or "/pipeliner_api/" in f.filename]
    if not frames:
        frames = list(traceback.extract_tb(exc.__traceback__))[-1:]
    if not frames:
        return "?"
    f = frames[-1]
    path = f.filename.split("/src/", 1)[-1]
    return f"{path}:{f.lineno} in {f.name}"


def _version_of(path: str) -> ApiVersion:
    return "v2" if path.startswith("/api/v2") else "v1"


_ERROR_ENVELOPE: Final = OAS30Validator(dict(ERROR_ENVELOPE_SCHEMA))
_INDEX: Final = re.compile(r"\[\d+\]|\['[0-9a-f]{40}[a-z_]*'\]|\.[0-9a-f]{40}[a-z_]*")


def conformance_errors(method: str, path: str, status: int, body: bytes) -> str | None:
    """Why the response breaks the vendored spec, or None (conftest.Pipedrive's check)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return f"status {status}: the body is not JSON: {body[:120]!r}"
    parsed = without_deviations(path, parsed)
    version = _version_of(path)
    contract = Contract.load(version)
    try:
        op = contract.operation(method, path)
    except ContractError as exc:
        return str(exc)
    if op is None:  # the path left the operation's shape (e.g. an empty or slashed id)
        if status < 400:
            return f"status {status} for {method} {path}, which no {version} operation serves"
        problems = [e.message for e in _ERROR_ENVELOPE.iter_errors(parsed)]
        return f"status {status}: not Pipedrive's error envelope: {problems}" if problems else None
    try:
        contract.validate(method, path, status, parsed)
    except ContractError as exc:
        return str(exc)
    return None


def _conformance_signature(message: str) -> str:
    paths = sorted({_INDEX.sub("[*]", line.strip()[2:].split(": ", 1)[0])
                    for line in message.splitlines() if line.strip().startswith("- ")})
    if not paths:
        return re.sub(r"'[^']*'|\d+", "_", message.splitlines()[0])[:160]
    return ", ".join(paths[:8])


def examine(op: FuzzOp, ex: Exchange, foreign: World) -> list[Finding]:
    """Everything asserted about one exchange: no 5xx, the spec, and another company's
    records neither addressable nor referable."""
    req, out = ex.request, []
    sent = req.describe() + (f"\n  (sent as {ex.path})" if ex.path and ex.path != req.path else "")

    def finding(kind: str, signature: str, summary: str, detail: str) -> None:
        out.append(Finding(kind, op.name, signature, summary, detail, sent, req.size))

    if ex.status is None or ex.status >= 500:
        causes = [(msg, exc, tb) for msg, exc, tb in ex.errors if exc is not None] or ex.errors
        where = _src_frame(causes[0][1]) if causes else "?"
        kind = type(causes[0][1]).__name__ if causes and causes[0][1] is not None else "no traceback logged"
        detail = "\n".join(f"{msg}\n{tb}" for msg, _, tb in causes) or ex.body[:300].decode("utf-8", "replace")
        finding("5xx", f"{kind} at {where}", f"{ex.status or 'exception'} ({kind} at {where})", detail)
        return out
    problem = conformance_errors(req.method, ex.path or req.path, ex.status, ex.body)
    if problem is not None:
        finding("conformance", f"{op.name} {ex.status}: {_conformance_signature(problem)}",
                f"response {ex.status} does not match the spec", problem)
    if req.foreign_path and 200 <= ex.status < 300:
        finding("isolation", f"{op.name} answers 2xx for another company's record",
                f"{ex.status} for another company's record", ex.body[:600].decode("utf-8", "replace"))
    if 200 <= ex.status < 300:
        for where, kind, value in _refs(_data_of(ex.body)):
            if foreign.owns(kind, value):
                finding("isolation", f"{op.name} accepted another company's {kind} as {where}",
                        f"the response refers to another company's {kind} {value} at {where}",
                        ex.body[:600].decode("utf-8", "replace"))
    return out


REFUSED_KEYS: Final = re.compile(r"Unknown or read-only field\(s\): ([^;]*)")


def _error_of(body: bytes) -> Any:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed.get("error") if isinstance(parsed, dict) else None


def _data_of(body: bytes) -> Any:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed.get("data") if isinstance(parsed, dict) else None


def _refs(data: Any, where: str = "$") -> Iterator[tuple[str, str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _refs(item, where + "[*]")
    elif isinstance(data, dict):
        for key, value in data.items():
            if key in REF_KIND:
                ref = value.get("value", value.get("id")) if isinstance(value, dict) else value
                yield f"{where}.{key}", REF_KIND[key], ref


# ---------------------------------------------------------------------------------- state

RECORD_URLS: Final = (
    "/v1/deals?status=all_not_deleted,deleted&limit=500", "/v1/persons?limit=500",
    "/v1/organizations?limit=500", "/v1/pipelines", "/v1/stages",
)
FIELD_URLS: Final = ("/v1/dealFields?limit=500", "/v1/personFields?limit=500",
                     "/v1/organizationFields?limit=500")
USER_URLS: Final = ("/v1/users",)
SNAPSHOT_URLS: Final = RECORD_URLS + USER_URLS + FIELD_URLS
READ_BACK_URLS: Final = SNAPSHOT_URLS + (
    "/api/v2/deals?limit=500&include_option_labels=true", "/api/v2/deals?limit=500&status=deleted",
    "/api/v2/persons?limit=500", "/api/v2/organizations?limit=500", "/api/v2/pipelines?limit=500",
    "/api/v2/stages?limit=500",
    "/api/v2/dealFields?limit=500&include_fields=ui_visibility,important_fields,required_fields",
    "/api/v2/personFields?limit=500", "/api/v2/organizationFields?limit=500",
)


def fetch_all(http: SyncClient, token: str, urls: Sequence[str]) -> dict[str, tuple[int | None, bytes]]:
    """GET every url (one portal call; at once would be no faster): {url: (status, body)}."""
    async def run() -> dict[str, tuple[int | None, bytes]]:
        results: dict[str, tuple[int | None, bytes]] = {}
        for url in urls:
            try:
                response = await http.client.get(url, headers={"x-api-token": token})
            except Exception as exc:  # noqa: BLE001 - reported by the caller
                results[url] = (None, repr(exc).encode())
            else:
                results[url] = (response.status_code, response.content)
        return results
    found: dict[str, tuple[int | None, bytes]] = http.portal.call(run)
    return found


Snapshot = dict[str, Any]


def snapshot_urls(op: FuzzOp | None) -> tuple[str, ...]:
    """What a failed request of ``op`` could have changed (None: everything): the records
    always (a field's write touches them too), users and fields only for their own
    operations; a cheap snapshot is one that can be taken after every failing example."""
    if op is None:
        return SNAPSHOT_URLS
    return RECORD_URLS + (USER_URLS if "users" in op.literals else ()) + (
        FIELD_URLS if any(s in FIELD_RESOURCES for s in op.literals) else ())


def snapshot(http: SyncClient, token: str, op: FuzzOp | None = None) -> Snapshot:
    """The company's records (and fields, users) as the v1 lists show them."""
    out: Snapshot = {}
    for url, (status, body) in fetch_all(http, token, snapshot_urls(op)).items():
        out[url] = (status, _data_of(body) if status == 200 else body[:200])
    return out


def describe_change(before: Snapshot, after: Snapshot) -> str:
    lines = []
    for url in SNAPSHOT_URLS:
        old, new = before.get(url), after.get(url)
        if old == new:
            continue
        if old is None or new is None or old[0] != 200 or new[0] != 200:
            lines.append(f"{url}: {old and old[0]} -> {new and new[0]} {new and new[1]!r:.200}")
            continue
        old_items = {i.get("id"): i for i in old[1] or [] if isinstance(i, dict)}
        new_items = {i.get("id"): i for i in new[1] or [] if isinstance(i, dict)}
        for key in sorted(set(old_items) | set(new_items), key=str):
            a, b = old_items.get(key), new_items.get(key)
            if a == b:
                continue
            if a is None or b is None:
                lines.append(f"{url}: id {key} {'appeared' if a is None else 'disappeared'}")
            else:
                changed = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
                what = ", ".join(f"{k}: {a.get(k)!r:.60} -> {b.get(k)!r:.60}" for k in changed[:6])
                lines.append(f"{url}: id {key} changed {what}")
    return "\n".join(lines[:20]) or "(order changed)"


def read_back(http: SyncClient, token: str, op: FuzzOp) -> list[Finding]:
    """After an operation's examples: every list still reads, in the spec's shape."""
    out = []
    for url, (status, body) in fetch_all(http, token, READ_BACK_URLS).items():
        path = url.split("?", 1)[0]
        if status is None or status >= 500:
            out.append(Finding("read-back", op.name, f"read-back GET {path} {status}",
                               f"GET {url} answers {status} after fuzzing {op.name}",
                               body[:600].decode("utf-8", "replace"), f"GET {url}", 0))
            continue
        problem = conformance_errors("GET", path, status, body)
        if problem is not None:
            out.append(Finding("read-back", op.name,
                               f"read-back GET {path} {status}: {_conformance_signature(problem)}",
                               f"GET {url} breaks the spec after fuzzing {op.name}", problem,
                               f"GET {url}", 0))
    return out


def iso_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
