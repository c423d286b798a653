"""Generate the OpenAPI documents dealbase serves at ``/api/v1/openapi.json`` and
``/api/v2/openapi.json`` (``src/dealbase/api/docs/openapi-v1.json``, ``…-v2.json``), and
the token cost of each routed operation (``token-costs.json``: the rate limiter's table).

Each document holds exactly the Pipedrive operations the app routes (its route table,
``/v1`` and ``/api/v1`` being the same handlers), each copied from Pipedrive's vendored
spec (``tests/contract/specs``) less its ``x-`` annotations (token costs, tool
descriptions), its per-operation ``security`` and its sample data (``example`` of media
types and parameters), plus the components they reference. ``info.description`` lists
dealbase's documented deviations. The server only reads the committed files; run this
after adding a route (a test fails until you do)::

    python scripts/openapi.py           # write the documents
    python scripts/openapi.py --check   # exit 1 if the committed ones differ
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the repository's packages
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from tests.contract.openapi import (  # noqa: E402
    HTTP_METHODS,
    URL_PREFIXES,
    ApiVersion,
    spec_document,
)

OUT_DIR = ROOT / "src" / "dealbase" / "api" / "docs"
COSTS = OUT_DIR / "token-costs.json"  # what each routed operation costs (x-token-cost)
VERSIONS: tuple[ApiVersion, ...] = ("v1", "v2")
_PARAM = re.compile(r"\{[^}/]+\}")

TITLES = {"v1": "dealbase: Pipedrive API v1", "v2": "dealbase: Pipedrive API v2"}
SERVERS = {"v1": [{"url": "/api/v1", "description": "this server"},
                  {"url": "/v1", "description": "this server (the same handlers)"}],
           "v2": [{"url": "/api/v2", "description": "this server"}]}
SECURITY_SCHEMES = {
    "api_token": {"type": "apiKey", "in": "query", "name": "api_token",
                  "description": "A company's API token (`dealbase company create`, `demo`)."},
    "api_key": {"type": "apiKey", "in": "header", "name": "x-api-token",
                "description": "The same token in a header."},
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "The same token as `Authorization: Bearer <token>`."},
}

# Where dealbase answers otherwise than the operations below say, on purpose (README,
# "Decisions"; the same list tests/contract/openapi.py ``without_deviations`` applies).
DEVIATIONS = (
    "Keys the spec types as non-nullable strings or objects (`won_time`, `person_id` objects, "
    "...) are left out when they have no value, instead of being sent as `null`.",
    "v2 `additional_data.next_cursor` is `null` on the last page, as Pipedrive's guides say.",
    "A v2 deal's `stage_change_time` is `null` until the deal changes stage (as Pipedrive "
    "answers).",
    "`GET /recents`: a user's `data` is a list of one user object, as Pipedrive sends it (the "
    "spec types it as the object).",
    "`GET /deals/timeline` and `/deals/timeline/archived` answer a list of intervals, as "
    "Pipedrive does (the spec types one interval).",
    "A product's `code` in search results is a string, as in every other product object (the "
    "search schema alone types it as an integer).",
    "Unknown query parameters are ignored; unknown body fields are refused with 400.",
    "Errors of any status have Pipedrive's error envelope (`success: false`, `error`, "
    "`error_info`).",
)


def _shape(path: str) -> str:
    return _PARAM.sub("{}", path)


def routed(app: Any) -> dict[ApiVersion, set[tuple[str, str]]]:
    """(method, path shape under the version prefix) of every Pipedrive route of ``app``:
    ``GET /v1/deals/{id}`` is ``("GET", "/deals/{}")`` of v1."""
    from starlette.routing import Route

    from dealbase.api.docs import DOCUMENT_PATHS

    out: dict[ApiVersion, set[tuple[str, str]]] = {v: set() for v in VERSIONS}
    for route in app.routes:
        if not isinstance(route, Route) or route.path in DOCUMENT_PATHS:
            continue
        for version in VERSIONS:
            prefix = next((p for p in URL_PREFIXES[version] if route.path.startswith(p + "/")), None)
            if prefix is not None:
                rest = _shape(route.path[len(prefix):])
                out[version] |= {(m, rest) for m in (route.methods or set()) - {"HEAD"}}
                break
    return out


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _components(spec: Mapping[str, Any], roots: Any) -> dict[str, Any]:
    """The components of ``spec`` that ``roots`` reference, transitively."""
    kept: dict[str, dict[str, Any]] = {}
    todo = list(_refs(roots))
    while todo:
        ref = todo.pop()
        parts = ref.split("/")
        if len(parts) != 4 or parts[:2] != ["#", "components"]:
            raise ValueError(f"unsupported $ref {ref!r}")
        kind, name = parts[2], parts[3].replace("~1", "/").replace("~0", "~")
        if name in kept.get(kind, {}):
            continue
        target = spec["components"][kind][name]
        kept.setdefault(kind, {})[name] = target
        todo += list(_refs(target))
    return {kind: dict(sorted(items.items())) for kind, items in sorted(kept.items())}


def _without_examples(node: Any) -> Any:
    """``node`` less the examples of media types and parameters (objects with a ``schema``):
    Pipedrive's sample data, most of the documents' weight. Schemas are kept whole."""
    if isinstance(node, Mapping):
        media = isinstance(node.get("schema"), Mapping)
        return {k: _without_examples(v) for k, v in node.items()
                if not (media and k in ("example", "examples"))}
    if isinstance(node, list):
        return [_without_examples(v) for v in node]
    return node


def _operation(op: Mapping[str, Any]) -> dict[str, Any]:
    """The operation less its ``x-`` annotations (token costs, tool descriptions), its
    ``security`` (the document's own applies) and its examples."""
    kept = {k: v for k, v in op.items() if not k.startswith("x-") and k != "security"}
    return dict(_without_examples(kept))


def _description(version: ApiVersion) -> str:
    lines = [f"The Pipedrive {version} operations this dealbase server implements, as Pipedrive's "
             "own OpenAPI document describes them (responses validate against these schemas).",
             "", "Deviations, on purpose (see the README's \"Decisions\"):", ""]
    return "\n".join(lines + [f"- {d}" for d in DEVIATIONS])


def _routed_operations(version: ApiVersion, app: Any, spec: Mapping[str, Any]
                       ) -> Iterator[tuple[tuple[str, str], str, str, Mapping[str, Any]]]:
    """((method, path shape), path template, method, operation) of the spec's operations
    that ``app`` routes, each once; ValueError if a route has none."""
    wanted = routed(app)[version]
    found: set[tuple[str, str]] = set()
    for template, item in spec["paths"].items():
        for method, op in item.items():
            key = (method.upper(), _shape(template))
            if method in HTTP_METHODS and key in wanted and not op.get("servers") and key not in found:
                found.add(key)
                yield key, template, method, op
    missing = sorted(wanted - found)
    if missing:
        raise ValueError(f"{version}: routes with no operation in the vendored spec: {missing}")


def token_costs(app: Any) -> dict[str, dict[str, int]]:
    """Per version, ``"METHOD /path/{}"`` -> the operation's ``x-token-cost``, for the
    operations ``app`` routes (the rate limiter's table, ``api/limits.py``)."""
    out: dict[str, dict[str, int]] = {}
    for version in VERSIONS:
        spec = spec_document(version)
        out[version] = dict(sorted(
            (f"{key[0]} {key[1]}", int(op["x-token-cost"]))
            for key, _, _, op in _routed_operations(version, app, spec) if "x-token-cost" in op))
    return out


def build(version: ApiVersion, app: Any) -> dict[str, Any]:
    """The document of ``version`` for the routes of ``app``."""
    spec = spec_document(version)
    paths: dict[str, dict[str, Any]] = {}
    for _, template, method, op in _routed_operations(version, app, spec):
        paths.setdefault(template, {})[method] = _operation(op)
    tags = sorted({t for item in paths.values() for op in item.values() for t in op.get("tags", ())})
    known = {t["name"]: t for t in spec.get("tags", ()) if isinstance(t, Mapping)}
    components = _components(spec, paths)
    components["securitySchemes"] = SECURITY_SCHEMES
    return {
        "openapi": spec["openapi"],
        "info": {"title": TITLES[version], "version": spec["info"]["version"],
                 "description": _description(version)},
        "servers": SERVERS[version],
        "security": [{name: []} for name in SECURITY_SCHEMES],
        "tags": [known.get(t, {"name": t}) for t in tags],
        "paths": dict(sorted(paths.items())),
        "components": components,
    }


def render(document: Mapping[str, Any]) -> bytes:
    return orjson.dumps(document) + b"\n"


def target(version: ApiVersion) -> Path:
    return OUT_DIR / f"openapi-{version}.json"


def main(argv: list[str]) -> int:
    from dealbase.api.app import create_app
    from dealbase.settings import Settings

    check = "--check" in argv
    app = create_app(Settings(database_url="sqlite://"))
    stale = []
    for version in VERSIONS:
        document = build(version, app)
        data = render(document)
        path = target(version)
        if check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(path.name)
        else:
            path.write_bytes(data)
            print(f"wrote {path.relative_to(ROOT)} ({len(data):,} bytes, "
                  f"{sum(len(i) for i in document['paths'].values())} operations)")
    costs = orjson.dumps(token_costs(app), option=orjson.OPT_INDENT_2) + b"\n"
    if check:
        if not COSTS.exists() or COSTS.read_bytes() != costs:
            stale.append(COSTS.name)
    else:
        COSTS.write_bytes(costs)
        print(f"wrote {COSTS.relative_to(ROOT)}")
    if stale:
        print(f"out of date: {', '.join(stale)} (run python scripts/openapi.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
