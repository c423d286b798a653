"""The API documents (``/api/v1/openapi.json``, ``/api/v2/openapi.json``,
``/api/pipeliner/openapi.json``) and the page rendering them (``/docs``).

The Pipedrive documents list exactly the app's Pipedrive routes, each operation as the
vendored spec has it: their response schemas are the spec's, so every response the
``pd`` client validates against the spec (tests/contract/openapi.py) validates against
the served documents too; a response is also validated against a served document here
directly. The Pipeliner document is checked against the dialect's route table and real
responses of every collection.
"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30ReadValidator, OAS30Validator
from scripts import openapi as generator
from starlette.routing import Mount, Route

from dealbase.api.docs import DOCUMENT_PATHS, FILES, PIPELINER_PATH, packaged
from dealbase.api.pipeliner.collections import COLLECTIONS
from tests.conftest import Pipedrive, SyncClient, Tenant
from tests.contract.openapi import URL_PREFIXES, Contract, ContractError, without_deviations
from tests.pipeliner.conftest import pipeliner_for
from tests.pipeliner.support import stages

VERSIONS = ("v1", "v2")
METHODS = ("get", "post", "put", "patch", "delete")
PARAM = re.compile(r"\{[^}/]+\}")


def _document(http: SyncClient, path: str) -> Any:
    response = http.request("GET", path)  # no credentials: the documents are public
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def _operations(document: Any) -> dict[tuple[str, str], Any]:
    """(METHOD, path shape) -> operation."""
    return {(m.upper(), PARAM.sub("{}", path)): op for path, item in document["paths"].items()
            for m, op in item.items() if m in METHODS}


def _app_routes(app: Any, version: str) -> set[tuple[str, str]]:
    """(METHOD, path shape) of the app's Pipedrive routes of ``version``, read here from the
    route table (not through the generator)."""
    out = set()
    for route in app.routes:
        if not isinstance(route, Route) or route.path in DOCUMENT_PATHS:
            continue
        for prefix in URL_PREFIXES[version]:  # type: ignore[index]
            if route.path.startswith(prefix + "/"):
                shape = PARAM.sub("{}", route.path[len(prefix):])
                out |= {(m, shape) for m in (route.methods or set()) - {"HEAD"}}
                break
    return out


# ---- the Pipedrive documents ------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_committed_documents_are_what_the_generator_makes(app: Any, version: str) -> None:
    made = generator.render(generator.build(version, app))  # type: ignore[arg-type]
    assert packaged(f"openapi-{version}.json") == made, \
        "the committed document is stale: run python scripts/openapi.py"


@pytest.mark.parametrize("version", VERSIONS)
def test_served_document_lists_exactly_the_routes(app: Any, http: SyncClient, version: str) -> None:
    document = _document(http, f"/api/{version}/openapi.json")
    assert document == generator.build(version, app)  # type: ignore[arg-type]
    served, routed = set(_operations(document)), _app_routes(app, version)
    assert routed, "no Pipedrive routes found"
    assert sorted(routed - served) == [], "routes the document does not list"
    assert sorted(served - routed) == [], "operations the document lists that are not routed"


@pytest.mark.parametrize("version", VERSIONS)
def test_operations_are_the_vendored_specs(http: SyncClient, version: str) -> None:
    """Responses, request bodies and parameters are the spec's, unchanged; only ``x-``
    annotations, per-operation security and examples are left out."""
    document = _document(http, f"/api/{version}/openapi.json")
    spec = Contract.load(version).document  # type: ignore[arg-type]
    checked = 0
    for path, item in document["paths"].items():
        for method, op in item.items():
            original = spec["paths"][path][method]
            assert set(original) - set(op) <= {"security", *(k for k in original if k.startswith("x-"))}
            for status, response in original["responses"].items():
                for media, content in (response.get("content") or {}).items():
                    assert op["responses"][status]["content"][media]["schema"] == content["schema"]
                    checked += 1
            body = (original.get("requestBody") or {}).get("content") or {}
            for media, content in body.items():
                assert op["requestBody"]["content"][media]["schema"] == content["schema"]
            assert [p.get("schema") for p in op.get("parameters", ())] == \
                [p.get("schema") for p in original.get("parameters", ())]
            assert {k: v for k, v in op.items() if k not in ("responses", "requestBody", "parameters")} \
                == {k: v for k, v in original.items() if k not in (
                    "responses", "requestBody", "parameters", "security") and not k.startswith("x-")}
    assert checked > 100


@pytest.mark.parametrize("version", VERSIONS)
def test_document_says_where_it_is_served_and_how_it_deviates(http: SyncClient, version: str) -> None:
    document = _document(http, f"/api/{version}/openapi.json")
    assert [s["url"] for s in document["servers"]] == list(URL_PREFIXES[version])  # type: ignore[index]
    description = document["info"]["description"]
    for words in ("next_cursor", "stage_change_time", "/recents", "/deals/timeline", "`code`"):
        assert words in description
    assert "x-token-cost" not in str(document)
    schemes = document["components"]["securitySchemes"]
    assert {(s.get("in"), s.get("name"), s.get("scheme")) for s in schemes.values()} == {
        ("query", "api_token", None), ("header", "x-api-token", None), (None, None, "bearer")}


def test_responses_validate_against_the_served_documents(pd: Pipedrive, http: SyncClient) -> None:
    contracts = {v: Contract(v, _document(http, f"/api/{v}/openapi.json")) for v in VERSIONS}  # type: ignore[arg-type]
    deal = pd.post("/v1/deals", json={"title": "Documented"}).json()["data"]
    calls = [("GET", "/v1/deals"), ("GET", f"/api/v1/deals/{deal['id']}"), ("GET", "/api/v2/deals"),
             ("GET", f"/api/v2/deals/{deal['id']}"), ("GET", "/v1/deals/999999999"),
             ("PATCH", f"/api/v2/deals/{deal['id']}")]
    for method, path in calls:
        response = pd.request(method, path, json={"title": "Again"} if method == "PATCH" else None)
        version = "v2" if path.startswith("/api/v2") else "v1"
        contracts[version].validate(method, path, response.status_code,
                                    without_deviations(path, response.json()))
    with pytest.raises(ContractError):  # the served document does check
        contracts["v2"].validate("GET", "/api/v2/deals", 200, {"success": True, "data": [{"id": "x"}]})


def test_documents_are_served_gzipped_when_asked(http: SyncClient) -> None:
    for path in ("/api/v1/openapi.json", PIPELINER_PATH):
        plain = http.request("GET", path, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        raw = http.portal.call(_raw_gzip, http.client, path)
        assert gzip.decompress(raw) == plain.content
        assert len(raw) < len(plain.content) / 4


async def _raw_gzip(client: httpx.AsyncClient, path: str) -> bytes:
    async with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["vary"] == "Accept-Encoding"
        return b"".join([chunk async for chunk in response.aiter_raw()])


# ---- the Pipeliner document -------------------------------------------------------------------

def _pipeliner_routes(app: Any) -> set[tuple[str, str]]:
    """(METHOD, path below the space) of every Pipeliner route, ``{collection}`` spelled out
    for each collection (the ``Data`` rows too, which have no search)."""
    names = [c.name for c in COLLECTIONS] + ["Data"]
    out: set[tuple[str, str]] = set()
    for route in app.routes:
        if isinstance(route, Route) and route.path == "/rest_services/v1/{space}":
            out |= {(m, "") for m in (route.methods or set()) - {"HEAD"}}
        if not isinstance(route, Mount) or not route.path.startswith("/rest_services/"):
            continue
        for inner in route.routes:
            assert isinstance(inner, Route)
            for method in (inner.methods or set()) - {"HEAD"}:
                for name in names if "{collection}" in inner.path else [None]:
                    if name == "Data" and inner.path.startswith("/search/"):
                        continue
                    path = inner.path.replace("{collection}", name or "")
                    out.add((method, PARAM.sub("{}", path)))
    return out


def test_pipeliner_document_lists_every_route(app: Any, http: SyncClient) -> None:
    document = _document(http, PIPELINER_PATH)
    assert document["servers"] == [{"url": "/rest_services/v1", "description": "this server"}]
    served = {(method.upper(), PARAM.sub("{}", path.removeprefix("/{space_id}")))
              for path, item in document["paths"].items() for method in item if method in METHODS}
    assert served == _pipeliner_routes(app)
    for schema in document["components"]["schemas"].values():
        OAS30Validator.check_schema(schema)
    ids = [op["operationId"] for item in document["paths"].values()
           for m, op in item.items() if m in METHODS]
    assert len(ids) == len(set(ids))


def _validator(document: Any, name: str) -> Any:
    return OAS30ReadValidator({"components": document["components"],
                               "allOf": [{"$ref": f"#/components/schemas/{name}"}]})


def _check(document: Any, name: str, instance: Any) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in _validator(document, name).iter_errors(instance)]
    assert errors == [], f"{name}: {errors}"


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_pipeliner_entities_validate_against_the_document(http: SyncClient, tenant: Tenant) -> None:
    document = _document(http, PIPELINER_PATH)
    pl = pipeliner_for(http, tenant)
    tenant.api.post("/v1/dealFields", json={"name": "Tier", "field_type": "enum",
                                            "options": [{"label": "gold"}]})
    account = pl.create("Accounts", {"ORGANIZATION": "Docs Ltd", "EMAIL1": "a@docs.example",
                                     "CITY": "Oslo"})
    contact = pl.create("Contacts", {"SURNAME": "Doc", "ACCOUNT_RELATIONS": [
        {"ACCOUNT_ID": account["ID"], "IS_PRIMARY": 1}]})
    stage = stages(pl)[0]["ID"]
    for name, body in [
        ("Opportunities", {"OPPORTUNITY_NAME": "O", "STAGE": stage, "OPPORTUNITY_VALUE": 12.5,
                           "CONTACT_RELATIONS": [{"CONTACT_ID": contact["ID"], "IS_PRIMARY": 1}]}),
        ("Leads", {"OPPORTUNITY_NAME": "L"}), ("Tasks", {"SUBJECT": "T", "DUE_DATE": "2030-01-02"}),
        ("Appointments", {"SUBJECT": "A", "START_DATE": "2030-01-02 10:00:00",
                          "END_DATE": "2030-01-02 11:00:00"}),
        ("Notes", {"NOTE": "N", "ADDRESSBOOK_ID": account["ID"]}), ("Products", {"NAME": "P"}),
        ("Pipelines", {"NAME": "Docs"}),
    ]:
        pl.create(name, body)
    data = _ok(pl.get("/Data"))
    assert data, "the dropdown field's option"
    for coll in [*(c.name for c in COLLECTIONS), "Data"]:
        items = _ok(pl.get(f"/{coll}", params={"limit": 5}))
        assert items, coll
        for item in items:
            _check(document, coll, item)
        _check(document, coll, _ok(pl.get(f"/{coll}/{items[0]['ID']}")))
        fields = _ok(pl.get(f"/getFields/{coll}"))
        properties = document["components"]["schemas"][coll]["properties"]
        assert {f["API_NAME"] for f in fields if not f["CUSTOM"]} == set(properties), coll
    _check(document, "Error", _ok(pl.get("/Accounts/nope"), 404))
    ids = _ok(pl.post("/setEntities", params={"entityName": "Account"},
                      json=[{"ORGANIZATION": "B1"}, {"ORGANIZATION": "B2"}]))
    schema = document["paths"]["/{space_id}/setEntities"]["post"]["responses"]["200"]
    errors = list(OAS30ReadValidator({"components": document["components"],
                                      **schema["content"]["application/json"]["schema"]}).iter_errors(ids))
    assert errors == []
    with pytest.raises(AssertionError):  # the document does check
        _check(document, "Accounts", {**account, "ORGANIZATION": 12})


# ---- the page ---------------------------------------------------------------------------------

def test_docs_page_and_its_assets_load(http: SyncClient) -> None:
    page = http.request("GET", "/docs")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assets = re.findall(r'(?:src|href)="([^"#]+)"', page.text)
    assert {"docs/docs.js", "docs/docs.css"} <= set(assets)
    kinds = {".js": "text/javascript", ".css": "text/css", ".json": "application/json"}
    for asset in assets:
        assert not asset.startswith(("/", "http:", "https:", "//")), asset  # relative: local
        response = http.request("GET", "/" + asset)
        assert response.status_code == 200, asset
        assert response.headers["content-type"].split(";")[0] == kinds[Path(asset).suffix], asset
    script = http.request("GET", "/docs/docs.js").text
    for document in re.findall(r'data-url="([^"]+)"', page.text):
        assert http.request("GET", "/" + document).status_code == 200
    assert "fetch(link.dataset.url" in script  # the only URLs it fetches: the page's own


def test_page_refers_to_no_other_host() -> None:
    for name, _ in FILES.values():
        if name.endswith((".html", ".js", ".css")):
            text = packaged(name).decode()
            assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text, re.I), name
            assert "import(" not in text and "@import" not in text, name


def test_unknown_docs_asset_is_not_found(http: SyncClient) -> None:
    assert http.request("GET", "/docs/other.js").status_code == 404
    assert http.request("POST", "/api/v1/openapi.json").status_code == 405


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_script_parses(tmp_path: Path) -> None:
    script = tmp_path / "docs.js"
    script.write_bytes(packaged("docs.js"))
    subprocess.run(["node", "--check", str(script)], check=True, capture_output=True)
