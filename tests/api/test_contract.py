"""Every route the app serves is an operation of the vendored spec, and its success and
error responses validate against that operation's schemas (``Pipedrive.request`` checks).

The cases are generated from the app's own route table, so a new route without a case
fails ``test_success_response_matches_the_spec``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.routing import Route

from dealbase.api.app import create_app
from dealbase.settings import Settings
from tests.conftest import Pipedrive
from tests.contract.openapi import Contract

CREATE = {"deals": {"title": "c"}, "persons": {"name": "c"}, "organizations": {"name": "c"},
          "pipelines": {"name": "c"}}
UPDATE = {"deals": {"title": "u"}, "persons": {"name": "u"}, "organizations": {"name": "u"},
          "pipelines": {"name": "u"}, "stages": {"name": "u"}}
FIELDS = {"dealFields": "deals", "personFields": "persons", "organizationFields": "organizations"}
World = dict[str, Any]


def _routes() -> list[tuple[str, str]]:
    app = create_app(Settings(database_url="sqlite://"))
    out = []
    for route in app.routes:
        if getattr(route, "path", "").startswith("/rest_services/"):
            continue  # the Pipeliner dialect (tests/pipeliner)
        assert isinstance(route, Route)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            out.append((method, route.path))
    return out


ROUTES = _routes()


def _version(path: str) -> str:
    return "v2" if path.startswith("/api/v2") else "v1"


def _bare(path: str) -> str:
    return re.sub(r"^/(api/)?v[12]", "", path)


@pytest.fixture
def world(pd: Pipedrive) -> World:
    pipeline = pd.post("/v1/pipelines", json={"name": "W"}).json()["data"]
    stage = pd.post("/v1/stages", json={"name": "S", "pipeline_id": pipeline["id"]}).json()["data"]
    org = pd.post("/v1/organizations", json={"name": "O"}).json()["data"]
    person = pd.post("/v1/persons", json={"name": "P", "org_id": org["id"]}).json()["data"]
    deal = pd.post("/v1/deals", json={"title": "D", "stage_id": stage["id"],
                                      "person_id": person["id"], "org_id": org["id"]}).json()["data"]
    world: World = {"pipelines": pipeline, "stages": stage, "organizations": org,
                    "persons": person, "deals": deal, "users": pd.get("/v1/users/me").json()["data"]}
    for resource in FIELDS:
        world[resource] = pd.post(f"/v1/{resource}", json={
            "name": "F", "field_type": "enum", "options": [{"label": "a"}, {"label": "b"}]
        }).json()["data"]
    return world


def _fresh(pd: Pipedrive, world: World, resource: str) -> int:
    if resource == "stages":
        body: dict[str, Any] = {"name": "tmp", "pipeline_id": world["pipelines"]["id"]}
    elif resource in FIELDS:
        body = {"name": "tmp", "field_type": "varchar"}
    else:
        body = CREATE[resource]
    return int(pd.post(f"/v1/{resource}", json=body).json()["data"]["id"])


def _case(method: str, path: str, pd: Pipedrive, world: World
          ) -> tuple[str, Any] | None:
    """The concrete (url, body) of a successful call of this route, or None if unknown."""
    parts = _bare(path).strip("/").split("/")
    resource, rest = parts[0], parts[1:]
    v2 = _version(path) == "v2"
    if resource in FIELDS:
        field = world[resource]
        ident = field["key"] if v2 else field["id"]
        if rest == [] and method == "GET":
            return path, None
        if rest == [] and method == "POST":
            return path, ({"field_name": "N", "field_type": "double"} if v2
                          else {"name": "N", "field_type": "double"})
        if rest == [] and method == "DELETE":
            return f"{path}?ids={_fresh(pd, world, resource)}", None
        if rest[-1] == "options":
            url = path.replace("{field_code}", field["key"])
            body = {"POST": [{"label": "c"}], "PATCH": [{"id": 1, "label": "A"}],
                    "DELETE": [{"id": 2}]}[method]
            return url, body
        if method == "DELETE":
            fresh = _fresh(pd, world, resource)
            if v2:
                fresh_key = next(f["key"] for f in pd.get(f"/v1/{resource}?limit=500")
                                 .json()["data"] if f["id"] == fresh)
                return path.replace("{field_code}", fresh_key), None
            return path.replace("{id}", str(fresh)), None
        url = path.replace("{field_code}", str(ident)).replace("{id}", str(ident))
        body = None
        if method in ("PUT", "PATCH"):
            body = {"field_name": "R"} if v2 else {"name": "R"}
        return url, body
    if resource == "users":
        if rest in (["me"], []) and method == "GET":
            return path, None
        if rest == ["find"]:
            return f"{path}?term=admin", None
        if rest == [] and method == "POST":
            return path, {"email": "new@acme.example"}
        other = pd.post("/v1/users", json={"email": "x@acme.example"}).json()["data"]["id"]
        url = path.replace("{id}", str(other))
        return url, ({"active_flag": False} if method == "PUT" else None)
    ident = world[resource]["id"]
    if rest == []:
        if method == "GET":
            return path, None
        if method == "POST":
            body = CREATE.get(resource) or {"name": "n", "pipeline_id": world["pipelines"]["id"]}
            return path, body
        if method == "DELETE":
            return f"{path}?ids={_fresh(pd, world, resource)}", None
    if rest == ["{id}"]:
        if method == "GET":
            return path.replace("{id}", str(ident)), None
        if method in ("PUT", "PATCH"):
            return path.replace("{id}", str(ident)), UPDATE[resource]
        if method == "DELETE":
            return path.replace("{id}", str(_fresh(pd, world, resource))), None
    if rest[1:] in (["deals"], ["persons"]):
        return path.replace("{id}", str(ident)) + "?everyone=1", None
    return None


def test_every_route_is_an_operation_of_the_spec() -> None:
    missing = [(m, p) for m, p in ROUTES if Contract.load(_version(p)).operation(m, p) is None]  # type: ignore[arg-type]
    assert missing == []


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_success_response_matches_the_spec(pd: Pipedrive, world: World, method: str,
                                           path: str) -> None:
    case = _case(method, path, pd, world)
    assert case is not None, f"no contract case for {method} {path}"
    url, body = case
    response = pd.request(method, url, json=body)
    assert response.status_code < 300, response.text


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_unauthenticated_response_matches_the_spec(http: Any, method: str, path: str) -> None:
    url = path.replace("{id}", "1").replace("{field_code}", "abc")
    response = Pipedrive(http, None).request(method, url, json=None)
    assert response.status_code == 401
    assert response.json()["success"] is False


ITEM_ROUTES = [(m, p) for m, p in ROUTES if p.endswith("{id}") or p.endswith("{field_code}")]


@pytest.mark.parametrize(("method", "path"), ITEM_ROUTES,
                         ids=[f"{m} {p}" for m, p in ITEM_ROUTES])
def test_not_found_response_matches_the_spec(pd: Pipedrive, method: str, path: str) -> None:
    url = path.replace("{id}", "999999999").replace("{field_code}", "f" * 40)
    body: Any = {"active_flag": True} if "/users/" in path else {}
    response = pd.request(method, url, json=body if method in ("PUT", "PATCH") else None)
    assert response.status_code == 404

