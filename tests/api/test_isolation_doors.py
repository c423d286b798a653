"""Tenant isolation through every Pipedrive route that names a record, generated from the
app's own route table: company B, calling with the ids of company A's records (an
activity, a note and its comment, a product and its variation, a deal with products,
participants and a discount, a lead with its label, a conversion, …), gets what it gets
for ids that never existed, and A's records are unchanged after every call. Where a
route names a record under a parent, B also tries A's child under B's own parent.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from starlette.routing import Route

from dealbase.api.app import create_app
from dealbase.service import create_template
from dealbase.settings import Settings
from tests.conftest import Pipedrive, SyncClient, Tenant, _tenant

NEVER = "999999999"
NEVER_UUID = "00000000-0000-4000-8000-000000000000"
# A body each write route could take, were the record B's own.
BODIES: dict[str, Any] = {"PUT": {"name": "pwned", "title": "pwned", "subject": "pwned",
                                  "content": "pwned"},
                          "PATCH": {"name": "pwned", "title": "pwned"},
                          "POST": {"merge_with_id": 1, "person_id": 1, "content": "pwned",
                                   "product_id": 1, "item_price": 1, "name": "pwned"}}


def _routes() -> list[tuple[str, str]]:
    app = create_app(Settings(database_url="sqlite://"))
    out = []
    for route in app.routes:
        path = getattr(route, "path", "")
        if path.startswith("/rest_services/") or "{" not in path or "{field_code}" in path \
                or re.search(r"Fields/\{id\}$", path) or path.startswith("/api/v1/") \
                or not path.startswith(("/v1/", "/api/")):
            continue  # (fields: test_isolation; /api/v1 is /v1 again; the web app: tests/web)
        assert isinstance(route, Route)
        out += [(m, path) for m in sorted((route.methods or set()) - {"HEAD"})]
    return out


ROUTES = _routes()


def _made(response: Any) -> Any:
    assert response.status_code < 300, response.text
    return response.json()["data"]


def _world(pd: Pipedrive) -> dict[str, Any]:
    """One record of every kind, by the name of the path parameter or segment naming it."""
    org = _made(pd.post("/v1/organizations", json={"name": "O"}))
    person = _made(pd.post("/v1/persons", json={"name": "P", "org_id": org["id"]}))
    extra = _made(pd.post("/v1/persons", json={"name": "Q"}))
    deal = _made(pd.post("/v1/deals", json={"title": "D", "person_id": person["id"],
                                            "org_id": org["id"]}))
    _made(pd.post(f"/v1/deals/{deal['id']}/participants", json={"person_id": extra["id"]}))
    product = _made(pd.post("/api/v2/products", json={"name": "W"}))
    variation = _made(pd.post(f"/api/v2/products/{product['id']}/variations",
                              json={"name": "V"}))
    line = _made(pd.post(f"/api/v2/deals/{deal['id']}/products", json={
        "product_id": product["id"], "item_price": 1}))
    discount = _made(pd.post(f"/api/v2/deals/{deal['id']}/discounts", json={
        "description": "d", "amount": 1, "type": "amount"}))
    note = _made(pd.post("/v1/notes", json={"content": "N", "deal_id": deal["id"]}))
    comment = _made(pd.post(f"/v1/notes/{note['id']}/comments", json={"content": "C"}))
    label = _made(pd.post("/v1/leadLabels", json={"name": "L", "color": "red"}))
    lead = _made(pd.post("/v1/leads", json={"title": "L", "person_id": person["id"],
                                            "label_ids": [label["id"]]}))
    gone = _made(pd.post("/v1/leads", json={"title": "G", "person_id": person["id"]}))
    conversion = _made(pd.post(f"/api/v2/leads/{gone['id']}/convert/deal"))
    pipeline = _made(pd.post("/v1/pipelines", json={"name": "P"}))
    saved = _made(pd.post("/v1/filters", json={"name": "F", "type": "deals", "conditions": {
        "glue": "and", "conditions": [{"glue": "and", "conditions": []}]}}))
    board = _made(pd.post("/api/v2/boards", json={"name": "B"}))
    phase = _made(pd.post("/api/v2/phases", json={"name": "F", "board_id": board["id"]}))
    project = _made(pd.post("/v1/projects", json={"title": "P", "board_id": board["id"],
                                                  "phase_id": phase["id"]}))
    task = _made(pd.post("/v1/tasks", json={"title": "T", "project_id": project["id"]}))
    planned = _made(pd.post("/v1/activities", json={"subject": "A", "project_id": project["id"]}))
    return {
        "projects": project["id"], "tasks": task["id"], "boards": board["id"],
        "phases": phase["id"], "{taskId}": task["id"], "{activityId}": planned["id"],
        "filters": saved["id"],
        "deals": deal["id"], "persons": person["id"], "organizations": org["id"],
        "products": product["id"], "notes": note["id"], "leads": lead["id"],
        "leadLabels": label["id"], "pipelines": pipeline["id"],
        "stages": _made(pd.post("/v1/stages", json={"name": "S",
                                                     "pipeline_id": pipeline["id"]}))["id"],
        "activities": _made(pd.post("/v1/activities", json={"subject": "A",
                                                            "deal_id": deal["id"]}))["id"],
        "activityTypes": _made(pd.post("/v1/activityTypes", json={
            "name": "T", "icon_key": "call"}))["id"],
        "users": _made(pd.post("/v1/users", json={"email": f"u{secrets.token_hex(3)}@a.example"}
                               ))["id"],
        "{product_attachment_id}": line["id"], "{product_variation_id}": variation["id"],
        "{discount_id}": discount["id"], "{commentId}": comment["uuid"],
        "{deal_participant_id}": extra["id"], "{conversion_id}": conversion["conversion_id"],
        "lead_for_conversion": gone["id"],
    }


def _fill(path: str, ids: dict[str, Any], parent: Any = None) -> str:
    """The path with ``ids``' records (``parent``: this id for ``{id}`` instead)."""
    resource = _resource(path)
    main = ids.get(resource)
    if "{conversion_id}" in path and resource == "leads":
        main = ids["lead_for_conversion"]
    url = path.replace("{id}", str(parent if parent is not None else main))
    for key, value in ids.items():
        if key.startswith("{"):
            url = url.replace(key, str(value))
    return url


def _resource(path: str) -> str:
    """The kind of record a path's ``{id}`` names (v1's boards and phases sit under
    ``/projects/``)."""
    parts = re.sub(r"^/(api/)?v[12]/", "", path).split("/")
    return parts[1] if parts[0] == "projects" and parts[1:2] in (["boards"], ["phases"]) \
        else parts[0]


def _never(path: str) -> dict[str, Any]:
    return {k: (NEVER_UUID if k in ("leads", "leadLabels", "{commentId}", "{conversion_id}",
                                    "lead_for_conversion") else NEVER)
            for k in ("deals", "persons", "organizations", "products", "notes", "leads", "filters",
                      "leadLabels", "pipelines", "stages", "activities", "activityTypes",
                      "users", "{product_attachment_id}", "{product_variation_id}",
                      "{discount_id}", "{commentId}", "{deal_participant_id}",
                      "{conversion_id}", "lead_for_conversion", "projects", "tasks", "boards",
                      "phases", "projectTemplates", "{taskId}", "{activityId}")}


class Doors:
    def __init__(self, a: Tenant, b: Tenant) -> None:
        self.a, self.b = a, b
        self.ids = _world(a.api)
        with a.records.service.unit(a.ctx, write=True) as unit:
            self.ids["projectTemplates"] = create_template(unit, "T", self.ids["boards"])["id"]
        b_deal = _made(b.api.post("/v1/deals", json={"title": "B"}))
        b_note = _made(b.api.post("/v1/notes", json={"content": "B"}))
        b_product = _made(b.api.post("/api/v2/products", json={"name": "B"}))
        b_project = _made(b.api.post("/v1/projects", json={"title": "B"}))
        self.b_parents = {"deals": b_deal["id"], "notes": b_note["id"],
                          "products": b_product["id"], "projects": b_project["id"]}

    def state(self) -> list[Any]:
        """A's records as A reads them."""
        api, ids = self.a.api, self.ids
        urls = [f"/v1/{r}/{ids[r]}" for r in ("deals", "persons", "organizations", "products",
                                               "notes", "leads", "activities", "pipelines",
                                               "stages", "users", "filters")]
        urls += [f"/v1/deals/{ids['deals']}/products", f"/v1/deals/{ids['deals']}/participants",
                 f"/api/v2/deals/{ids['deals']}/discounts", f"/v1/notes/{ids['notes']}/comments",
                 f"/api/v2/products/{ids['products']}/variations", "/v1/leadLabels",
                 "/v1/activityTypes", f"/v1/projects/{ids['projects']}/plan",
                 f"/v1/projects/{ids['projects']}/tasks", f"/api/v2/tasks/{ids['tasks']}",
                 f"/api/v2/boards/{ids['boards']}", f"/api/v2/phases/{ids['phases']}",
                 f"/v1/projectTemplates/{ids['projectTemplates']}",
                 f"/api/v2/projects/{ids['projects']}"]
        return [api.get(u).json() for u in urls]


@pytest.fixture(scope="module")
def doors(app: Any, http: SyncClient) -> Doors:
    return Doors(_tenant(app, http, f"Acme{secrets.token_hex(4)}"),
                 _tenant(app, http, f"Globex{secrets.token_hex(4)}"))


def _norm(text: str, ids: dict[str, Any]) -> str:
    for value in sorted((str(v) for v in ids.values()), key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(value)}\b", "<id>", text)
    return text


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_other_companys_ids_answer_as_ids_that_never_were(doors: Doors, method: str,
                                                          path: str) -> None:
    b, ids = doors.b.api, doors.ids
    body = BODIES.get(method)
    before = doors.state()
    missing = b.request(method, _fill(path, _never(path)), json=body, check=False)
    hostile = b.request(method, _fill(path, ids), json=body, check=False)
    assert hostile.status_code in (404, 400) and missing.status_code == hostile.status_code, (
        hostile.text, missing.text)
    assert _norm(hostile.text, ids) == _norm(missing.text, _never(path))
    resource = _resource(path)
    if resource in doors.b_parents and path.count("{") > 1:
        under_own = b.request(method, _fill(path, ids, doors.b_parents[resource]), json=body,
                              check=False)
        assert under_own.status_code in (404, 400), under_own.text
    assert doors.state() == before
