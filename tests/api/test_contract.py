"""Every route the app serves is an operation of the vendored spec, and its success and
error responses validate against that operation's schemas (``Pipedrive.request`` checks).

The cases are generated from the app's own route table, so a new route without a case
fails ``test_success_response_matches_the_spec``.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from starlette.routing import Route

from dealbase.api.app import HEALTH_PATHS, create_app
from dealbase.api.docs import DOCUMENT_PATHS
from dealbase.api.limits import ADMIN_PREFIX
from dealbase.service import create_template
from dealbase.settings import Settings
from tests.conftest import Pipedrive, Tenant
from tests.contract.openapi import Contract

CREATE: dict[str, Any] = {
    "deals": {"title": "c"}, "persons": {"name": "c"}, "organizations": {"name": "c"},
    "pipelines": {"name": "c"}, "activities": {"subject": "c", "type": "call"},
    "activityTypes": {"name": "c", "icon_key": "call"}, "products": {"name": "c"},
    "notes": {"content": "c"}, "leadLabels": {"name": "c", "color": "red"},
    "filters": {"name": "c", "type": "deals", "conditions": {"glue": "and", "conditions": [
        {"glue": "and", "conditions": [None]}, {"glue": "or", "conditions": [None]}]}}}
UPDATE: dict[str, Any] = {
    "deals": {"title": "u"}, "persons": {"name": "u"}, "organizations": {"name": "u"},
    "pipelines": {"name": "u"}, "stages": {"name": "u"}, "activities": {"subject": "u"},
    "activityTypes": {"name": "u"}, "products": {"name": "u"}, "notes": {"content": "u"},
    "leads": {"title": "u"}, "leadLabels": {"name": "u"}, "filters": {"name": "u"}}
# <entity>Fields whose custom fields can be made, and the read-only ones
FIELDS = {"dealFields": "deals", "personFields": "persons", "organizationFields": "organizations",
          "productFields": "products"}
READ_FIELDS = {"activityFields": "subject", "noteFields": "content", "leadFields": "title"}
World = dict[str, Any]


def _routes() -> list[tuple[str, str]]:
    app = create_app(Settings(database_url="sqlite://"))
    out = []
    for route in app.routes:
        if getattr(route, "path", "").startswith("/rest_services/"):
            continue  # the Pipeliner dialect (tests/pipeliner)
        if getattr(route, "path", "") in DOCUMENT_PATHS:
            continue  # the API documents and their page (tests/api/test_openapi_docs.py)
        if getattr(route, "path", "") in HEALTH_PATHS:
            continue  # health and readiness (tests/cli/test_first_hour.py)
        if getattr(route, "path", "").startswith(ADMIN_PREFIX + "/"):
            continue  # dealbase's own admin API (tests/api/test_rate_limits.py)
        if getattr(route, "path", "").startswith("/oauth/"):
            continue  # OAuth, served from another host in the spec (tests/api/test_oauth.py)
        if not getattr(route, "path", "").startswith(("/v1/", "/api/")):
            continue  # the web app (tests/web)
        assert isinstance(route, Route)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            out.append((method, route.path))
    return out


ROUTES = _routes()


def _version(path: str) -> str:
    return "v2" if path.startswith("/api/v2") else "v1"


def _bare(path: str) -> str:
    return re.sub(r"^/(api/)?v[12]", "", path)


def _made(response: Any) -> Any:
    assert response.status_code < 300, response.text
    return response.json()["data"]


@pytest.fixture
def world(pd: Pipedrive, tenant: Tenant) -> World:
    pipeline = _made(pd.post("/v1/pipelines", json={"name": "W"}))
    stage = _made(pd.post("/v1/stages", json={"name": "S", "pipeline_id": pipeline["id"]}))
    org = _made(pd.post("/v1/organizations", json={"name": "O"}))
    person = _made(pd.post("/v1/persons", json={"name": "P", "org_id": org["id"]}))
    deal = _made(pd.post("/v1/deals", json={"title": "D", "stage_id": stage["id"],
                                            "person_id": person["id"], "org_id": org["id"]}))
    world: World = {"pipelines": pipeline, "stages": stage, "organizations": org,
                    "persons": person, "deals": deal, "users": _made(pd.get("/v1/users/me"))}
    for resource in FIELDS:
        world[resource] = _made(pd.post(f"/v1/{resource}", json={
            "name": "F", "field_type": "enum", "options": [{"label": "a"}, {"label": "b"}]}))
    for resource in ("activities", "activityTypes", "products", "notes", "filters"):
        body = {**CREATE[resource], **({"deal_id": deal["id"]} if resource == "notes" else {})}
        world[resource] = _made(pd.post(f"/v1/{resource}", json=body))
    product = world["products"]["id"]
    world["variation"] = _made(pd.post(f"/api/v2/products/{product}/variations",
                                       json={"name": "V"}))
    world["leadLabels"] = _made(pd.post("/v1/leadLabels", json=CREATE["leadLabels"]))
    world["leads"] = _made(pd.post("/v1/leads", json=_body("leads", world)))
    world["comment"] = _made(pd.post(f"/v1/notes/{world['notes']['id']}/comments",
                                     json={"content": "c"}))
    world["discount"] = _made(pd.post(f"/api/v2/deals/{deal['id']}/discounts", json={
        "description": "d", "amount": 1, "type": "amount"}))
    world["participant"] = _made(pd.post("/v1/persons", json={"name": "Q"}))
    _made(pd.post(f"/v1/deals/{deal['id']}/participants",
                  json={"person_id": world["participant"]["id"]}))
    world.update(_project_world(pd, tenant, deal["id"]))
    return world


def _project_world(pd: Pipedrive, tenant: Tenant, deal: int) -> World:
    """A board with a phase, a template with a group and a task, a project made from it
    (its group and task copied), an activity of the project, and an enum project field."""
    board = _made(pd.post("/api/v2/boards", json={"name": "B"}))
    phase = _made(pd.post("/api/v2/phases", json={"name": "F", "board_id": board["id"]}))
    with tenant.records.service.unit(tenant.ctx, write=True) as unit:
        template = create_template(unit, "T", board["id"], groups=["G"],
                                   tasks=[{"title": "t", "group": "G"}])
    project = _made(pd.post("/v1/projects", json={"title": "P", "template_id": template["id"],
                                                  "deal_ids": [deal]}))
    return {"boards": board, "phases": phase, "projectTemplates": template, "projects": project,
            "tasks": _made(pd.get(f"/v1/projects/{project['id']}/tasks"))[0],
            "groups": _made(pd.get(f"/v1/projects/{project['id']}/groups"))[0],
            "project_activity": _made(pd.post("/v1/activities", json={
                "subject": "a", "project_id": project["id"]})),
            "projectFields": _made(pd.post("/api/v2/projectFields", json={
                "field_name": "F", "field_type": "enum",
                "options": [{"label": "a"}, {"label": "b"}]}))}


PROJECT_RESOURCES = ("projects", "tasks", "boards", "phases", "projectTemplates", "projectFields")


def _project_case(method: str, bare: str, path: str, pd: Pipedrive, world: World
                  ) -> tuple[str, Any]:
    """Projects, their tasks, boards, phases, templates and fields (seed 004)."""
    project = world["projects"]
    fresh = {"projects": lambda: _made(pd.post("/api/v2/projects", json={"title": "x"})),
             "tasks": lambda: _made(pd.post("/api/v2/tasks", json={
                 "title": "x", "project_id": project["id"]})),
             "boards": lambda: _made(pd.post("/api/v2/boards", json={"name": "x"})),
             "phases": lambda: _made(pd.post("/api/v2/phases", json={
                 "name": "x", "board_id": world["boards"]["id"]}))}
    create = {"projects": {"title": "n", "deal_ids": [world["deals"]["id"]]},
              "tasks": {"title": "n", "project_id": project["id"]},
              "boards": {"name": "n"}, "phases": {"name": "n", "board_id": world["boards"]["id"]},
              "projectFields": {"field_name": "N", "field_type": "double"}}
    update = {"projects": {"title": "u"}, "tasks": {"title": "u"}, "boards": {"name": "u"},
              "phases": {"name": "u"}, "projectFields": {"field_name": "R"}}
    parts = bare.strip("/").split("/")
    resource, rest = parts[0], parts[1:]
    if resource == "projects" and rest[:1] in (["boards"], ["phases"]):
        resource, rest = rest[0], rest[1:]  # (v1's boards and phases)
    if bare == "/projects/search":
        return f"{path}?term=P&exact_match=1", None
    if resource == "projectFields":
        code = world["projectFields"]["field_code"]
        if rest == []:
            return path, create["projectFields"] if method == "POST" else None
        if rest[-1] == "options":
            body = {"POST": [{"label": "c"}],
                    "PATCH": [{"id": world["projectFields"]["options"][0]["id"], "label": "A"}],
                    "DELETE": [{"id": world["projectFields"]["options"][1]["id"]}]}[method]
            return path.replace("{field_code}", code), body
        if method == "DELETE":
            code = _made(pd.post("/api/v2/projectFields", json=create["projectFields"]))[
                "field_code"]
        return path.replace("{field_code}", code), update["projectFields"] if method == "PATCH" \
            else None
    if rest == []:
        query = f"?board_id={world['boards']['id']}" if resource == "phases" else ""
        return path + query, create.get(resource) if method == "POST" else None
    if rest == ["archived"]:
        return path, None
    if "{activityId}" in bare or "{taskId}" in bare:
        url = path.replace("{id}", str(project["id"])).replace(
            "{activityId}", str(world["project_activity"]["id"])).replace(
            "{taskId}", str(world["tasks"]["id"]))
        return url, {"phase_id": project["phase_id"], "group_id": world["groups"]["id"]}
    if rest[1:] == ["archive"]:
        return path.replace("{id}", str(fresh["projects"]()["id"])), None
    if rest[1:]:
        return path.replace("{id}", str(project["id"])), None
    ident = fresh[resource]()["id"] if method == "DELETE" else world[resource]["id"]
    return path.replace("{id}", str(ident)), update.get(resource) if method in ("PUT", "PATCH") \
        else None


def _body(resource: str, world: World) -> dict[str, Any]:
    """A body that creates a record of ``resource`` in ``world``."""
    if resource == "stages":
        return {"name": "tmp", "pipeline_id": world["pipelines"]["id"]}
    if resource in FIELDS:
        return {"name": "tmp", "field_type": "varchar"}
    if resource == "leads":
        return {"title": "L", "person_id": world["persons"]["id"],
                "label_ids": [world["leadLabels"]["id"]], "value": {"amount": 1, "currency": "EUR"}}
    body: dict[str, Any] = CREATE[resource]
    return body


def _fresh(pd: Pipedrive, world: World, resource: str) -> Any:
    made = _made(pd.post(f"/v1/{resource}", json=_body(resource, world)))["id"]
    return made if resource in ("leads", "leadLabels") else int(made)


def _line(pd: Pipedrive, world: World) -> int:
    """A fresh product attached to the world's deal."""
    return int(_made(pd.post(f"/api/v2/deals/{world['deals']['id']}/products", json={
        "product_id": world["products"]["id"], "item_price": 1, "quantity": 1}))["id"])


def _child_case(method: str, bare: str, path: str, pd: Pipedrive, world: World
                ) -> tuple[str, Any] | None:
    """The routes below a record (``/{entity}/{id}/…``)."""
    deal, product = world["deals"]["id"], world["products"]["id"]
    fill = {"{id}": str(deal)}
    body: Any = None
    if "/followers" in bare:  # a new user follows the world's record
        resource = bare.split("/")[1]
        fill = {"{id}": str(world[resource]["id"])}
        user = _made(pd.post("/v1/users", json={
            "email": f"follower{secrets.token_hex(4)}@acme.example"}))["id"]
        if method == "POST":
            body = {"user_id": user}
        elif "{follower_id}" in bare:
            follow = _made(pd.post(f"/v1/{resource}/{world[resource]['id']}/followers",
                                   json={"user_id": user}))
            fill["{follower_id}"] = str(user if _version(path) == "v2" else follow["id"])
    elif bare.startswith("/products/"):
        fill = {"{id}": str(product)}
        if bare.endswith("/variations") and method == "POST":
            body = {"name": "W"}
        elif "{product_variation_id}" in bare:
            variation = world["variation"]["id"] if method == "PATCH" else _made(pd.post(
                f"/api/v2/products/{product}/variations", json={"name": "X"}))["id"]
            fill["{product_variation_id}"] = str(variation)
            body = {"name": "Y"} if method == "PATCH" else None
    elif bare.startswith("/deals/{id}/products"):
        line = {"product_id": product, "item_price": 1, "quantity": 1}
        if bare.endswith("/bulk"):
            body = {"data": [line]}
        elif bare.endswith("/products") and method == "POST":
            body = line
        elif "{product_attachment_id}" in bare:
            fill["{product_attachment_id}"] = str(_line(pd, world))
            body = {"quantity": 2} if method in ("PUT", "PATCH") else None
    elif "/convert/" in bare:
        entity = bare.split("/")[1]
        source = _fresh(pd, world, entity)
        fill = {"{id}": str(source)}
        if "{conversion_id}" in bare:
            target = "deal" if entity == "leads" else "lead"
            started = _made(pd.post(f"/api/v2/{entity}/{source}/convert/{target}"))
            fill["{conversion_id}"] = started["conversion_id"]
    elif bare.startswith("/notes/"):
        fill = {"{id}": str(world["notes"]["id"])}
        if "{commentId}" in bare:
            comment = world["comment"]["uuid"] if method != "DELETE" else _made(pd.post(
                f"/v1/notes/{world['notes']['id']}/comments", json={"content": "x"}))["uuid"]
            fill["{commentId}"] = comment
        if method in ("POST", "PUT"):
            body = {"content": "y"}
    elif bare.startswith("/deals/{id}/installments"):
        installment = {"description": "i", "amount": 2, "billing_date": "2025-01-01"}
        if "{installment_id}" in bare:
            fill["{installment_id}"] = str(_made(pd.post(
                f"/api/v2/deals/{deal}/installments", json=installment))["id"])
            body = {"amount": 3} if method == "PATCH" else None
        elif method == "POST":
            body = installment
    elif bare.startswith("/deals/{id}/discounts"):
        discount = {"description": "d", "amount": 2, "type": "amount"}
        if "{discount_id}" in bare:
            fill["{discount_id}"] = world["discount"]["id"] if method == "PATCH" else _made(
                pd.post(f"/api/v2/deals/{deal}/discounts", json=discount))["id"]
            body = {"amount": 3} if method == "PATCH" else None
        elif method == "POST":
            body = discount
    elif bare.endswith("/merge"):
        resource = bare.split("/")[1]
        fill = {"{id}": str(_fresh(pd, world, resource))}
        body = {"merge_with_id": world[resource]["id"]}
    elif bare.endswith("/participants") and method == "POST":
        body = {"person_id": _made(pd.post("/v1/persons", json={"name": "R"}))["id"]}
    elif "{deal_participant_id}" in bare:
        fill["{deal_participant_id}"] = str(world["participant"]["id"])
    elif bare.split("/")[1] != "deals":
        fill = {"{id}": str(world[bare.split("/")[1]]["id"])}
    url = path
    for key, value in fill.items():
        url = url.replace(key, value)
    if bare.endswith("/deals") or bare.endswith("/persons"):
        url += "?everyone=1"
    return url, body


def _webhook_case(method: str, path: str, pd: Pipedrive) -> tuple[str, Any]:
    body = {"subscription_url": "https://hooks.example.com/in", "event_action": "*",
            "event_object": "deal", "name": "w"}
    if method != "DELETE":
        return path, (body if method == "POST" else None)
    return path.replace("{id}", str(_made(pd.post("/v1/webhooks", json=body))["id"])), None


def _subscription_case(method: str, bare: str, path: str, pd: Pipedrive) -> tuple[str, Any]:
    """The seed's ``/subscriptions`` routes: each on a deal (and subscription) of its own."""
    deal = _made(pd.post("/v1/deals", json={"title": "S"}))["id"]
    payments = [{"amount": 5, "description": "p", "due_at": "2025-01-01"}]
    installment = {"deal_id": deal, "currency": "EUR", "payments": payments}
    recurring = {"deal_id": deal, "currency": "EUR", "start_date": "2025-01-31",
                 "cadence_type": "monthly", "cycle_amount": 10, "cycles_count": 3}
    if bare == "/subscriptions/installment":
        return path, installment
    if bare == "/subscriptions/recurring":
        return path, recurring
    if bare == "/subscriptions/find/{dealId}":
        _made(pd.post("/v1/subscriptions/installment", json=installment))
        return path.replace("{dealId}", str(deal)), None
    kind = "installment" if "/installment/" in bare else "recurring"
    made = _made(pd.post(f"/v1/subscriptions/{kind}",
                         json=installment if kind == "installment" else recurring))["id"]
    body = {"PUT /subscriptions/installment/{id}": {"payments": payments},
            "PUT /subscriptions/recurring/{id}": {"effective_date": "2025-02-01",
                                                  "cycle_amount": 20},
            "PUT /subscriptions/recurring/{id}/cancel": {"end_date": "2025-02-15"}}.get(
        f"{method} {bare}")
    return path.replace("{id}", str(made)), body


def _goal_case(method: str, bare: str, path: str, pd: Pipedrive) -> tuple[str, Any]:
    """Goals: each on a goal of its own (the caller's)."""
    me = pd.get("/v1/users/me").json()["data"]["id"]
    body = {"title": "G", "type": {"name": "deals_won", "params": {"pipeline_id": None}},
            "assignee": {"id": me, "type": "person"}, "interval": "monthly",
            "expected_outcome": {"target": 3, "tracking_metric": "quantity"},
            "duration": {"start": "2025-01-01", "end": "2025-12-31"}}
    if bare == "/goals":
        return path, body
    if bare == "/goals/find":
        return f"{path}?type.name=deals_won", None
    made = _made(pd.post("/v1/goals", json=body))["goal"]["id"]
    url = path.replace("{id}", made)
    if bare.endswith("/results"):
        return f"{url}?period.start=2025-01-01&period.end=2025-03-31", None
    return url, ({"title": "H"} if method == "PUT" else None)


def _role_case(method: str, bare: str, path: str, pd: Pipedrive, world: World
               ) -> tuple[str, Any]:
    """Roles, permission sets and legacy teams (tests/api/test_roles.py goes deeper)."""
    resource = bare.split("/")[1]
    user = _made(pd.post("/v1/users", json={
        "email": f"member{secrets.token_hex(4)}@acme.example"}))["id"]
    if resource == "permissionSets":
        return path.replace("{id}", str(_made(pd.get("/v1/permissionSets"))[0]["id"])), None
    if resource == "legacyTeams":
        if bare == "/legacyTeams/user/{id}":
            return path.replace("{id}", str(user)), None
        if bare == "/legacyTeams":
            return path, {"name": "Team", "manager_id": user} if method == "POST" else None
        team = _made(pd.post("/v1/legacyTeams", json={"name": "Other", "manager_id": user}))["id"]
        if method == "DELETE":
            _made(pd.post(f"/v1/legacyTeams/{team}/users", json={"users": [user]}))
        return path.replace("{id}", str(team)), {
            "PUT /legacyTeams/{id}": {"name": "Renamed"},
            "POST /legacyTeams/{id}/users": {"users": [user]},
            "DELETE /legacyTeams/{id}/users": {"users": [user]}}.get(f"{method} {bare}")
    if bare == "/roles":
        return path, {"name": "Role"} if method == "POST" else None
    role = _made(pd.post("/v1/roles", json={"name": f"Role {secrets.token_hex(3)}"}))["id"]
    url = path.replace("{id}", str(role))
    if bare.endswith("/assignments"):
        if method == "DELETE":
            _made(pd.post(f"/v1/roles/{role}/assignments", json={"user_id": user}))
        return url, {"user_id": user} if method in ("POST", "DELETE") else None
    if bare.endswith("/settings"):
        return url, ({"setting_key": "deal_default_visibility", "value": 1}
                     if method == "POST" else None)
    if bare.endswith("/pipelines"):
        return url, ({"visible_pipeline_ids": {"remove": [world["pipelines"]["id"]]}}
                     if method == "PUT" else None)
    return url, {"name": "Renamed"} if method == "PUT" else None


def _case(method: str, path: str, pd: Pipedrive, world: World
          ) -> tuple[str, Any] | None:
    """The concrete (url, body) of a successful call of this route, or None if unknown."""
    bare = _bare(path)
    parts = bare.strip("/").split("/")
    resource, rest = parts[0], parts[1:]
    v2 = _version(path) == "v2"
    if resource in PROJECT_RESOURCES:
        return _project_case(method, bare, path, pd, world)
    if resource in READ_FIELDS:
        return path.replace("{field_code}", READ_FIELDS[resource]), None
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
    if resource == "itemSearch" and rest == ["field"]:
        return (f"{path}?term=c&entity_type=deal&field=title" if v2 else
                f"{path}?term=c&field_type=dealField&field_key=title&exact_match=1"), None
    if resource == "itemSearch" or rest == ["search"]:
        return f"{path}?term={'c' if rest else 'cc'}&exact_match={int(bool(rest))}", None
    if resource == "recents":
        return f"{path}?since_timestamp=2000-01-01%2000:00:00", None
    if rest[:1] == ["summary"]:
        return path, None
    if rest[:1] == ["timeline"]:
        return f"{path}?start_date=2000-01-01&interval=month&amount=1&field_key=add_time", None
    if rest == ["archived"] or resource in ("leadSources", "currencies") \
            or rest == ["helpers"]:
        return path, None
    if rest in (["collection"], ["products"], ["installments"]):
        return (path if rest == ["collection"] else f"{path}?deal_ids={world['deals']['id']}"), None
    if resource == "subscriptions":
        return _subscription_case(method, bare, path, pd)
    if resource == "goals":
        return _goal_case(method, bare, path, pd)
    if resource in ("roles", "permissionSets", "legacyTeams"):
        return _role_case(method, bare, path, pd, world)
    if rest[-1:] in (["conversion_statistics"], ["movement_statistics"]):
        return (path.replace("{id}", str(world["pipelines"]["id"]))
                + "?start_date=2000-01-01&end_date=2000-01-31"), None
    if resource == "webhooks":
        return _webhook_case(method, path, pd)
    if len(rest) > 1:
        return _child_case(method, bare, path, pd, world)
    ident = world[resource]["id"]
    if rest == []:
        if method == "GET":
            return path, None
        if method == "POST":
            return path, _body(resource, world) if resource != "stages" else {
                "name": "n", "pipeline_id": world["pipelines"]["id"]}
        if method == "DELETE":
            return f"{path}?ids={_fresh(pd, world, resource)}", None
    if rest == ["{id}"]:
        if method == "GET":
            return path.replace("{id}", str(ident)), None
        if method in ("PUT", "PATCH"):
            return path.replace("{id}", str(ident)), UPDATE[resource]
        if method == "DELETE":
            return path.replace("{id}", str(_fresh(pd, world, resource))), None
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

