"""Unit tests of the contract-test harness in tests/contract/openapi.py."""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from . import openapi
from .openapi import (
    ERROR_ENVELOPE_SCHEMA,
    ApiVersion,
    Contract,
    ContractError,
    load_spec_document,
)

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def v1() -> Contract:
    return Contract.load("v1")


@pytest.fixture(scope="module")
def v2() -> Contract:
    return Contract.load("v2")


def _template(contract: Contract, method: str, url_path: str) -> str | None:
    op = contract.operation(method, url_path)
    return None if op is None else op.path_template


# ---------------------------------------------------------------------- path matching


@pytest.mark.parametrize(
    ("method", "url_path", "template", "params"),
    [
        ("GET", "/v1/deals", "/deals", {}),
        ("GET", "/api/v1/deals", "/deals", {}),
        ("GET", "/v1/deals/12", "/deals/{id}", {"id": "12"}),
        ("GET", "/api/v1/deals/12", "/deals/{id}", {"id": "12"}),
        ("GET", "/api/v1/deals:(id,title)", "/deals", {}),
        ("GET", "/v1/deals/5:(id,title,value)", "/deals/{id}", {"id": "5"}),
        ("GET", "/v1/deals?start=0&limit=5", "/deals", {}),
        ("GET", "/v1/deals:(id,title)?start=0&limit=5", "/deals", {}),
        ("GET", "/v1/deals/", "/deals", {}),
        ("DELETE", "/v1/deals?ids=1,2,3", "/deals", {}),
        ("get", "/v1/dealFields/7", "/dealFields/{id}", {"id": "7"}),
        ("GET", "/v1/users/me", "/users/me", {}),
        ("GET", "/v1/users/find?term=x", "/users/find", {}),
        ("GET", "/v1/users/42", "/users/{id}", {"id": "42"}),
        ("GET", "/v1/stages/3/deals", "/stages/{id}/deals", {"id": "3"}),
        ("GET", "http://testserver/v1/persons/9?x=1", "/persons/{id}", {"id": "9"}),
    ],
)
def test_v1_path_matching(
    v1: Contract, method: str, url_path: str, template: str, params: dict[str, str]
) -> None:
    op = v1.operation(method, url_path)
    assert op is not None
    assert op.path_template == template
    assert dict(op.path_params) == params
    assert op.method == method.upper()


@pytest.mark.parametrize(
    ("method", "url_path", "template", "params"),
    [
        ("GET", "/api/v2/deals", "/deals", {}),
        ("PATCH", "/api/v2/deals/12", "/deals/{id}", {"id": "12"}),
        ("GET", "/api/v2/deals/search?term=acme", "/deals/search", {}),
        ("GET", "/api/v2/deals/archived", "/deals/archived", {}),
        ("GET", "/api/v2/deals/products", "/deals/products", {}),
        ("GET", "/api/v2/deals/12/products", "/deals/{id}/products", {"id": "12"}),
        (
            "PATCH",
            "/api/v2/dealFields/abc123def456abc123def456abc123def456abc1",
            "/dealFields/{field_code}",
            {"field_code": "abc123def456abc123def456abc123def456abc1"},
        ),
        (
            "POST",
            "/api/v2/dealFields/abc123/options",
            "/dealFields/{field_code}/options",
            {"field_code": "abc123"},
        ),
        ("GET", "/api/v2/dealFields/a%20b", "/dealFields/{field_code}", {"field_code": "a b"}),
        ("GET", "/api/v2/dealFields/a%2Fb", "/dealFields/{field_code}", {"field_code": "a/b"}),
    ],
)
def test_v2_path_matching(
    v2: Contract, method: str, url_path: str, template: str, params: dict[str, str]
) -> None:
    op = v2.operation(method, url_path)
    assert op is not None
    assert op.path_template == template
    assert dict(op.path_params) == params


def test_operation_metadata(v1: Contract) -> None:
    op = v1.operation("GET", "/v1/deals/1")
    assert op is not None
    assert op.operation_id == "getDeal"
    assert op.deprecated is True
    assert op.describe() == "GET /deals/{id} (getDeal)"


@pytest.mark.parametrize(
    ("method", "url_path"),
    [
        ("GET", "/v1/nope"),
        ("GET", "/v1/deals/1/nope/2"),
        ("PATCH", "/v1/deals/1"),  # v1 updates deals with PUT
        ("POST", "/v1/oauth/token"),  # OAuth lives on oauth.pipedrive.com, not under /v1
        ("GET", "/v1"),
    ],
)
def test_unknown_v1_operation(v1: Contract, method: str, url_path: str) -> None:
    assert v1.operation(method, url_path) is None
    with pytest.raises(ContractError, match="no such operation"):
        v1.validate(method, url_path, 200, {"success": True})
    with pytest.raises(ContractError, match="no such operation"):
        v1.response_status_codes(method, url_path)


def test_unknown_v2_operation(v2: Contract) -> None:
    assert v2.operation("PUT", "/api/v2/deals/1") is None  # v2 updates with PATCH
    with pytest.raises(ContractError, match=r"looked up as PUT /deals/1"):
        v2.validate("PUT", "/api/v2/deals/1", 200, {"success": True})


@pytest.mark.parametrize("url_path", ["/v1/deals", "/api/v2x/deals", "/deals", "/api/v1/deals"])
def test_v2_rejects_foreign_prefixes(v2: Contract, url_path: str) -> None:
    with pytest.raises(ContractError, match="not under the v2 prefixes"):
        v2.operation("GET", url_path)


def test_v1_rejects_foreign_prefixes(v1: Contract) -> None:
    for url_path in ("/api/v2/deals", "/v1deals", "/v10/deals"):
        with pytest.raises(ContractError, match="not under the v1 prefixes"):
            v1.operation("GET", url_path)


def test_spec_path(v1: Contract, v2: Contract) -> None:
    assert v1.spec_path("/api/v1/deals:(id,title)?limit=1") == "/deals"
    assert v1.spec_path("/v1") == "/"
    assert v2.spec_path("/api/v2/deals/1#frag") == "/deals/1"


def test_response_status_codes(v1: Contract, v2: Contract) -> None:
    assert v1.response_status_codes("GET", "/v1/users/me") == {"200", "401"}
    assert v1.response_status_codes("POST", "/v1/deals") == {"201"}
    assert v2.response_status_codes("GET", "/api/v2/deals/1") == {"200"}


def test_load_is_cached_per_version() -> None:
    assert Contract.load("v1") is Contract.load("v1")
    assert Contract.load("v2") is Contract.load("v2")
    assert Contract.load("v1") is not Contract.load("v2")


# ------------------------------------------------------------------------- validation

GOOD_V1_DEALS_LIST: dict[str, Any] = {
    "success": True,
    "data": [],
    "additional_data": {
        "pagination": {"start": 0, "limit": 100, "more_items_in_collection": False}
    },
}


def test_minimal_v1_deal_list_validates(v1: Contract) -> None:
    v1.validate("GET", "/v1/deals", 200, GOOD_V1_DEALS_LIST)
    v1.validate("GET", "/api/v1/deals:(id,title)?start=0", 200, GOOD_V1_DEALS_LIST)
    # The v1 schema documents start/limit/... directly under additional_data.
    v1.validate(
        "GET",
        "/v1/deals",
        200,
        {
            "success": True,
            "data": [{"id": 1, "title": "Deal", "value": 10.5, "visible_to": "3"}],
            "additional_data": {"start": 0, "limit": 100, "more_items_in_collection": False},
        },
    )


def test_bad_v1_deal_list_fails(v1: Contract) -> None:
    body = {**GOOD_V1_DEALS_LIST, "data": "not a list"}
    with pytest.raises(ContractError) as excinfo:
        v1.validate("GET", "/v1/deals", 200, body)
    message = str(excinfo.value)
    assert "GET /v1/deals -> 200" in message
    assert "GET /deals (getDeals)" in message
    assert "$.data: 'not a list' is not of type 'array'" in message
    assert isinstance(excinfo.value, AssertionError)


def test_nested_type_errors_are_reported_with_json_paths(v1: Contract) -> None:
    body = {
        "success": True,
        "data": [{"id": 1}, {"id": "2", "person_id": {"email": [{"primary": "yes"}]}}],
    }
    with pytest.raises(ContractError) as excinfo:
        v1.validate("GET", "/v1/deals", 200, body)
    message = str(excinfo.value)
    assert "2 error(s)" in message
    assert "$.data[1].id: '2' is not of type 'integer'" in message
    assert "$.data[1].person_id.email[0].primary: 'yes' is not of type 'boolean'" in message


def test_identical_errors_from_all_of_branches_are_reported_once(v1: Contract) -> None:
    # In the v1 deal schema, org_id is constrained to "object" by two allOf branches.
    with pytest.raises(ContractError) as excinfo:
        v1.validate("GET", "/v1/deals/1", 200, {"success": True, "data": {"org_id": None}})
    message = str(excinfo.value)
    assert "1 error(s)" in message
    assert message.count("$.data.org_id: None is not of type 'object' (not nullable)") == 1


def test_booleans_are_not_integers(v2: Contract) -> None:
    with pytest.raises(ContractError, match=r"\$\.data\.id: True is not of type 'integer'"):
        v2.validate("GET", "/api/v2/deals/1", 200, {"success": True, "data": {"id": True}})


def test_nullable_is_respected(v2: Contract) -> None:
    ok = {"success": True, "data": {"id": 1, "probability": None, "lost_reason": None}}
    v2.validate("GET", "/api/v2/deals/1", 200, ok)
    bad = {"success": True, "data": {"id": 1, "person_id": None}}
    with pytest.raises(
        ContractError, match=r"\$\.data\.person_id: None is not of type 'integer' \(not nullable\)"
    ):
        v2.validate("GET", "/api/v2/deals/1", 200, bad)


def test_required_and_enum_are_enforced(v2: Contract) -> None:
    field = {
        "field_name": "Title",
        "field_code": "title",
        "field_type": "varchar",
        "is_custom_field": False,
        "is_optional_response_field": False,
    }
    v2.validate("GET", "/api/v2/dealFields", 200, {"success": True, "data": [field]})

    missing = {k: v for k, v in field.items() if k != "field_code"}
    with pytest.raises(ContractError, match=r"\$\.data\[0\]: 'field_code' is a required property"):
        v2.validate("GET", "/api/v2/dealFields", 200, {"success": True, "data": [missing]})

    wrong_enum = {**field, "field_type": "string"}
    with pytest.raises(ContractError, match=r"\$\.data\[0\]\.field_type: 'string' is not one of"):
        v2.validate("GET", "/api/v2/dealFields", 200, {"success": True, "data": [wrong_enum]})


def test_one_of_errors_name_the_closest_branch(v2: Contract) -> None:
    field = {
        "field_name": "Stage",
        "field_code": "stage",
        "field_type": "enum",
        "is_custom_field": True,
        "is_optional_response_field": False,
        "options": [{"id": 1.5, "label": "x"}],
    }
    with pytest.raises(ContractError) as excinfo:
        v2.validate("GET", "/api/v2/dealFields", 200, {"success": True, "data": [field]})
    message = str(excinfo.value)
    assert "$.data[0].options[0].id: 1.5 is not valid under any of the given schemas" in message
    assert "closest branch" in message


def test_many_errors_are_truncated(v1: Contract) -> None:
    body = {"success": True, "data": [{"id": "x" * 1000} for _ in range(60)]}
    with pytest.raises(ContractError) as excinfo:
        v1.validate("GET", "/v1/deals", 200, body)
    lines = str(excinfo.value).splitlines()
    assert "60 error(s)" in lines[0]
    assert lines[-1] == f"  ... and {60 - openapi.MAX_REPORTED_ERRORS} more"
    assert len(lines) == openapi.MAX_REPORTED_ERRORS + 2
    assert all(len(line) <= openapi.MAX_MESSAGE_CHARS + 60 for line in lines[1:])


def test_documented_error_status_uses_its_schema(v1: Contract) -> None:
    v1.validate(
        "GET", "/v1/users/me", 401, {"success": False, "error": "unauthorized", "errorCode": 401}
    )
    with pytest.raises(ContractError, match=r"response '401'"):
        v1.validate("GET", "/v1/users/me", 401, {"success": False, "errorCode": "401"})


def test_undocumented_error_status_uses_the_error_envelope(v1: Contract, v2: Contract) -> None:
    not_found = {
        "success": False,
        "error": "Deal not found",
        "error_info": "Please check developers.pipedrive.com for more information.",
        "data": None,
        "additional_data": None,
    }
    v1.validate("GET", "/v1/deals/999", 404, not_found)
    v2.validate("GET", "/api/v2/deals/999", 404, {**not_found, "code": "ERR_NOT_FOUND"})
    v2.validate("GET", "/api/v2/deals", 429, {"success": False, "error": "x", "errorCode": 429})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"success": True, "error": "x"}, r"\$\.success: True is not one of \[False\]"),
        ({"success": False}, r"\$: 'error' is a required property"),
        ({"success": False, "error": "x", "data": {}}, r"\$\.data: \{\} is not one of \[None\]"),
        ({"success": False, "error": "x", "errorCode": "400"}, r"\$\.errorCode: '400' is not of"),
        ({"success": False, "error": None}, r"\$\.error: None is not of type 'string'"),
        ("Not Found", r"\$: 'Not Found' is not of type 'object'"),
    ],
)
def test_bad_error_envelope_fails(v1: Contract, body: object, expected: str) -> None:
    with pytest.raises(ContractError, match=expected) as excinfo:
        v1.validate("GET", "/v1/deals/999", 404, body)
    assert "generic Pipedrive error envelope" in str(excinfo.value)


def test_undocumented_success_status_fails(v1: Contract) -> None:
    with pytest.raises(ContractError, match=r"status 200 is not documented.*documented: 201"):
        v1.validate("POST", "/v1/deals", 200, {"success": True, "data": {"id": 1}})
    with pytest.raises(ContractError, match=r"status 204 is not documented"):
        v1.validate("DELETE", "/v1/deals/1", 204, None)


def test_error_envelope_schema_shape() -> None:
    assert ERROR_ENVELOPE_SCHEMA["required"] == ["success", "error"]


def _example_cases() -> list[tuple[ApiVersion, str, str, str]]:
    cases: list[tuple[ApiVersion, str, str, str]] = []
    versions: tuple[ApiVersion, ...] = ("v1", "v2")
    for version in versions:
        contract = Contract.load(version)
        for path, item in contract.document["paths"].items():
            for method, op in item.items():
                if not isinstance(op, dict) or op.get("servers"):
                    continue
                for status, response in op.get("responses", {}).items():
                    media = (response.get("content") or {}).get("application/json") or {}
                    if "example" in media:
                        cases.append((version, method.upper(), path, status))
    return cases


def test_every_spec_example_validates() -> None:
    """The spec's own response examples must pass (finds self-contradictory schemas)."""
    failures: list[str] = []
    cases = _example_cases()
    assert len(cases) > 400
    for version, method, path, status in cases:
        contract = Contract.load(version)
        prefix = "/v1" if version == "v1" else "/api/v2"
        concrete = prefix + re.sub(r"\{[^}]+\}", "1", path)
        op = contract.operation(method, concrete)
        assert op is not None and op.path_template == path, (method, concrete)
        example = contract.document["paths"][path][method.lower()]["responses"][status]
        body = example["content"]["application/json"]["example"]
        try:
            contract.validate(method, concrete, int(status), body)
        except ContractError as exc:
            failures.append(str(exc))
    assert not failures, "\n\n".join(failures[:5])


# ------------------------------------------------------------- synthetic specifications

SYNTHETIC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/trees/{id}": {
            "get": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Node"}}
                        },
                    },
                    "4XX": {"$ref": "#/components/responses/Problem"},
                    "default": {
                        "description": "other",
                        "content": {"application/json": {"schema": {"type": "integer"}}},
                    },
                }
            }
        },
        "/files/{id}": {
            "get": {
                "responses": {
                    "200": {
                        "description": "bytes",
                        "content": {"application/octet-stream": {"schema": {"type": "string"}}},
                    },
                    "204": {"description": "nothing"},
                }
            }
        },
        "/mail/{id}": {
            "get": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "status": {
                                            "type": "string",
                                            "nullable": True,
                                            "enum": ["opened", "sent"],
                                        },
                                        "when": {"type": "string", "format": "date-time"},
                                    },
                                }
                            }
                        },
                    }
                }
            }
        },
    },
    "components": {
        "schemas": {
            "Node": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                },
            }
        },
        "responses": {
            "Problem": {
                "description": "client error",
                "content": {
                    "application/problem+json": {
                        "schema": {"type": "object", "required": ["title"]}
                    }
                },
            }
        },
    },
}


@pytest.fixture
def synthetic() -> Contract:
    return Contract("v2", SYNTHETIC)


def test_recursive_refs(synthetic: Contract) -> None:
    tree: dict[str, Any] = {"name": "leaf"}
    for depth in range(30):
        tree = {"name": f"n{depth}", "children": [tree, {"name": "sibling"}]}
    synthetic.validate("GET", "/api/v2/trees/1", 200, tree)

    broken = {"name": "root", "children": [{"name": "a", "children": [{"children": []}]}]}
    with pytest.raises(
        ContractError, match=r"\$\.children\[0\]\.children\[0\]: 'name' is a required property"
    ):
        synthetic.validate("GET", "/api/v2/trees/1", 200, broken)


def test_status_range_default_and_response_refs(synthetic: Contract) -> None:
    synthetic.validate("GET", "/api/v2/trees/1", 404, {"title": "gone"})
    with pytest.raises(ContractError, match=r"(?s)response '4XX'.*'title' is a required property"):
        synthetic.validate("GET", "/api/v2/trees/1", 404, {})
    synthetic.validate("GET", "/api/v2/trees/1", 302, 7)
    with pytest.raises(ContractError, match=r"response 'default'"):
        synthetic.validate("GET", "/api/v2/trees/1", 500, {"success": False, "error": "x"})


def test_non_json_and_empty_responses_are_not_checked(synthetic: Contract) -> None:
    synthetic.validate("GET", "/api/v2/files/1", 200, b"\x00binary")
    synthetic.validate("GET", "/api/v2/files/1", 204, None)
    # Undocumented 4xx still falls back to the error envelope.
    with pytest.raises(ContractError, match="error envelope"):
        synthetic.validate("GET", "/api/v2/files/1", 404, {})


def test_nullable_enum_and_unchecked_format(synthetic: Contract) -> None:
    synthetic.validate("GET", "/api/v2/mail/1", 200, {"status": None, "when": "not a date"})
    with pytest.raises(ContractError, match=r"\$\.status: 'bounced' is not one of"):
        synthetic.validate("GET", "/api/v2/mail/1", 200, {"status": "bounced"})


def test_rejects_non_openapi_30_documents() -> None:
    with pytest.raises(ValueError, match="OpenAPI 3.0"):
        Contract("v2", {**SYNTHETIC, "openapi": "3.1.0"})
    with pytest.raises(ValueError, match="OpenAPI 3.0"):
        Contract("v2", {"swagger": "2.0", "paths": {}})


# ------------------------------------------------------------------------------ caching

SMALL_YAML = b"""\
openapi: 3.0.1
info: {title: small, version: '1'}
paths:
  /things:
    get:
      responses:
        200:
          description: ok
"""


def _cache_files(directory: Path) -> list[Path]:
    return sorted(directory.iterdir()) if directory.exists() else []


def test_cache_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "small.yaml"
    spec.write_bytes(SMALL_YAML)
    cache = tmp_path / "cache"

    first = load_spec_document(spec, cache_dir=cache)
    # Integer YAML keys (unquoted status codes) become strings.
    assert list(first["paths"]["/things"]["get"]["responses"]) == ["200"]
    files = _cache_files(cache)
    assert len(files) == 1
    assert hashlib.sha256(SMALL_YAML).hexdigest() in files[0].name
    assert files[0].suffix == ".json"

    def no_yaml(raw: bytes) -> bytes:
        raise AssertionError("YAML was parsed although a cache entry exists")

    monkeypatch.setattr(openapi, "_parse_yaml", no_yaml)
    assert load_spec_document(spec, cache_dir=cache) == first


def test_cache_is_keyed_by_content(tmp_path: Path) -> None:
    spec = tmp_path / "small.yaml"
    cache = tmp_path / "cache"
    spec.write_bytes(SMALL_YAML)
    load_spec_document(spec, cache_dir=cache)
    spec.write_bytes(SMALL_YAML.replace(b"title: small", b"title: changed"))
    assert load_spec_document(spec, cache_dir=cache)["info"]["title"] == "changed"
    assert len(_cache_files(cache)) == 2


def test_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    spec = tmp_path / "small.yaml"
    spec.write_bytes(SMALL_YAML)
    cache = tmp_path / "cache"
    load_spec_document(spec, cache_dir=cache)
    (entry,) = _cache_files(cache)
    entry.write_bytes(b'{"truncated":')
    assert load_spec_document(spec, cache_dir=cache)["info"]["title"] == "small"
    assert entry.read_bytes().startswith(b'{"openapi":')


def test_cache_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "small.yaml"
    spec.write_bytes(SMALL_YAML)
    cache = tmp_path / "from-env" / "nested"
    monkeypatch.setenv(openapi.CACHE_ENV_VAR, str(cache))
    load_spec_document(spec)
    assert len(_cache_files(cache)) == 1


def test_unwritable_cache_is_not_fatal(tmp_path: Path) -> None:
    spec = tmp_path / "small.yaml"
    spec.write_bytes(SMALL_YAML)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    assert load_spec_document(spec, cache_dir=blocker / "cache")["openapi"] == "3.0.1"


def test_concurrent_writers_leave_one_complete_entry(tmp_path: Path) -> None:
    spec = tmp_path / "small.yaml"
    spec.write_bytes(SMALL_YAML)
    cache = tmp_path / "cache"
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(load_spec_document(spec, cache_dir=cache))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 8 and all(r == results[0] for r in results)
    files = _cache_files(cache)
    assert len(files) == 1 and not files[0].name.endswith(".tmp")


def test_vendored_specs_are_unmodified() -> None:
    expected = {
        "openapi-v1-2026-01-with-deprecated.yaml": "cc7952f2605b5737",
        "openapi-v2.yaml": "8900dc89d2734f8b",
    }
    for name, prefix in expected.items():
        digest = hashlib.sha256((openapi.SPEC_DIR / name).read_bytes()).hexdigest()
        assert digest.startswith(prefix), name
