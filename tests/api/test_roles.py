"""Roles, permission sets and legacy teams (issue 13, item 1; seed 004's ``/roles``): every
operation of the tags Roles, PermissionSets and LegacyTeams and the users operations
``/permissions``, ``/roleAssignments`` and ``/roleSettings``, against the vendored spec
(the ``pd`` client validates each answer), on both backends: the hierarchy (no cycle,
no parent of another company), one role per user, settings and pipeline visibility
validated, admins alone change anything (others get 403 and nothing changes), bad input
400 and another company's ids not found; and the service's reads that enforcement uses."""

from __future__ import annotations

from typing import Any

import pytest

from dealbase.api.app import service_of
from dealbase.domain.entities.role import PERMISSIONS, REGULAR_PERMISSIONS, ancestors, descendants
from dealbase.service import Roles
from tests.api.answers import data, refused
from tests.conftest import Pipedrive, SyncClient, Tenant

SETTINGS = ("deal_default_visibility", "lead_default_visibility", "org_default_visibility",
            "person_default_visibility", "product_default_visibility")
ACCESS = ("deal_access_level", "org_access_level", "person_access_level",
          "product_access_level")
ADMIN_SETS = {"62cc4d7f-4038-4352-abf3-a8c1c822b631", "233b7976-39bd-43a9-b305-ef3a2b0998e5",
              "982c5ce5-b8ba-4b47-b102-9da024f4b990"}
REGULAR_SETS = {"f07d229d-088a-4144-a40f-1fe64295d180", "ec8a42e5-1842-490d-9113-b3a3b4b1c0a9"}


def _roles(pd: Pipedrive) -> list[dict[str, Any]]:
    return data(pd.get("/v1/roles?limit=500"))  # type: ignore[no-any-return]


def _by_name(pd: Pipedrive) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in _roles(pd)}


def _add(pd: Pipedrive, name: str, parent: int | None = None) -> int:
    body: dict[str, Any] = {"name": name}
    if parent is not None:
        body["parent_role_id"] = parent
    return data(pd.post("/v1/roles", json=body))["id"]  # type: ignore[no-any-return]


def _default(pd: Pipedrive) -> dict[str, Any]:
    return _by_name(pd)["(Unassigned users)"]


@pytest.fixture
def kim(tenant: Tenant, app: Any, http: SyncClient) -> tuple[int, Pipedrive]:
    """A regular user of the tenant, and a client signed in as them."""
    user = tenant.records.create("user", {"name": "Kim", "email": "kim@acme.example"})
    token = service_of(app).create_token(tenant.company.company_id, user["id"]).token
    return user["id"], Pipedrive(http, token)


def _state(pd: Pipedrive) -> Any:
    """Everything the role and team operations could change, as the API shows it."""
    roles = _roles(pd)
    return (roles,
            {r["id"]: (data(pd.get(f"/v1/roles/{r['id']}/settings")),
                       data(pd.get(f"/v1/roles/{r['id']}/pipelines")),
                       data(pd.get(f"/v1/roles/{r['id']}/assignments"))) for r in roles},
            data(pd.get("/v1/legacyTeams")), data(pd.get("/v1/users")))


# ---- roles ---------------------------------------------------------------------------------

def test_a_company_starts_with_its_default_role_holding_its_users(pd: Pipedrive,
                                                                  tenant: Tenant) -> None:
    [default] = _roles(pd)
    assert default == {"id": default["id"], "parent_role_id": None, "name": "(Unassigned users)",
                       "active_flag": True, "assignment_count": "1", "sub_role_count": "0",
                       "level": 1}
    me = data(pd.get("/v1/users/me"))
    assert me["role_id"] == default["id"]
    assert {a["permission_set_id"] for a in me["access"]} == ADMIN_SETS
    assert all(a["admin"] for a in me["access"])
    made = data(pd.post("/v1/users", json={"email": "new@acme.example"}))
    assert made["role_id"] == default["id"]
    assert {a["permission_set_id"] for a in made["access"]} == REGULAR_SETS
    assert _default(pd)["assignment_count"] == "2"


def test_roles_form_a_hierarchy_without_cycles(pd: Pipedrive, other: Tenant) -> None:
    sales = _add(pd, "Sales")
    east = _add(pd, "East", sales)
    boston = _add(pd, "Boston", east)
    roles = _by_name(pd)
    assert [(roles[n]["parent_role_id"], roles[n]["level"], roles[n]["sub_role_count"])
            for n in ("Sales", "East", "Boston")] == [(None, 1, "1"), (sales, 2, "1"),
                                                      (east, 3, "0")]
    one = pd.get(f"/v1/roles/{east}").json()
    assert one["data"]["name"] == "East" and one["data"]["parent_role_id"] == sales
    assert one["additional_data"]["settings"] == {k: 3 for k in SETTINGS}

    assert data(pd.put(f"/v1/roles/{east}", json={"name": "East coast"})) == {"id": east}
    assert _by_name(pd)["East coast"]["parent_role_id"] == sales  # the parent kept
    before = _roles(pd)
    theirs = _add(other.api, "Theirs")
    for parent in (sales, boston, east):  # itself, or below itself
        refused(pd.put(f"/v1/roles/{sales}", json={"parent_role_id": parent}
                       if parent != sales else {"parent_role_id": sales}), 400)
    refused(pd.put(f"/v1/roles/{east}", json={"parent_role_id": theirs}), 400)
    refused(pd.post("/v1/roles", json={"name": "X", "parent_role_id": theirs}), 400)
    refused(pd.post("/v1/roles", json={"name": "X", "parent_role_id": 10**9}), 400)
    assert _roles(pd) == before

    # moving a branch: East (with Boston) to the top; then no parent at all
    data(pd.put(f"/v1/roles/{east}", json={"parent_role_id": None}))
    roles = _by_name(pd)
    assert (roles["East coast"]["level"], roles["Boston"]["level"]) == (1, 2)
    assert roles["Sales"]["sub_role_count"] == "0"
    data(pd.put(f"/v1/roles/{boston}", json={"parent_role_id": sales}))
    assert _by_name(pd)["Boston"]["level"] == 2


def test_deleting_roles(pd: Pipedrive, tenant: Tenant, kim: tuple[int, Pipedrive]) -> None:
    user_id, _ = kim
    sales = _add(pd, "Sales")
    east = _add(pd, "East", sales)
    data(pd.post(f"/v1/roles/{east}/assignments", json={"user_id": user_id}))
    refused(pd.delete(f"/v1/roles/{sales}"), 400)  # it has a sub-role
    refused(pd.delete(f"/v1/roles/{_default(pd)['id']}"), 400)  # the default role stays
    assert data(pd.delete(f"/v1/roles/{east}")) == {"id": east}
    refused(pd.get(f"/v1/roles/{east}"), 404)
    refused(pd.delete(f"/v1/roles/{east}"), 404)
    refused(pd.put(f"/v1/roles/{sales}", json={"parent_role_id": east}), 400)  # deleted parent
    # its user went to the default role
    assert data(pd.get(f"/v1/users/{user_id}"))["role_id"] == _default(pd)["id"]
    assert _by_name(pd)["Sales"]["sub_role_count"] == "0"
    assert data(pd.delete(f"/v1/roles/{sales}")) == {"id": sales}
    assert [r["name"] for r in _roles(pd)] == ["(Unassigned users)"]


def test_the_role_list_pages(pd: Pipedrive) -> None:
    ids = [_default(pd)["id"], *(_add(pd, f"R{n}") for n in range(4))]
    page = pd.get("/v1/roles?start=0&limit=2").json()
    assert [r["id"] for r in page["data"]] == ids[:2]
    assert page["additional_data"]["pagination"] == {"start": 0, "limit": 2,
                                                     "more_items_in_collection": True,
                                                     "next_start": 2}
    last = pd.get("/v1/roles?start=4&limit=2").json()
    assert [r["id"] for r in last["data"]] == ids[4:]
    assert last["additional_data"]["pagination"]["more_items_in_collection"] is False
    refused(pd.get("/v1/roles?limit=0"), 400)
    refused(pd.get("/v1/roles?start=x"), 400)


# ---- assignments -----------------------------------------------------------------------------

def test_a_user_has_one_role(pd: Pipedrive, kim: tuple[int, Pipedrive], other: Tenant) -> None:
    user_id, _ = kim
    sales, support = _add(pd, "Sales"), _add(pd, "Support")
    default = _default(pd)["id"]
    assert data(pd.post(f"/v1/roles/{sales}/assignments", json={"user_id": user_id})) == {
        "user_id": user_id, "role_id": sales}
    assert [a["user_id"] for a in data(pd.get(f"/v1/roles/{sales}/assignments"))] == [user_id]
    assert data(pd.post(f"/v1/roles/{support}/assignments", json={"user_id": user_id}))
    assert data(pd.get(f"/v1/roles/{sales}/assignments")) == []  # moved, not added
    [mine] = data(pd.get(f"/v1/users/{user_id}/roleAssignments"))
    assert mine == {"user_id": user_id, "role_id": support, "parent_role_id": None,
                    "name": "Support", "active_flag": True, "type": "1"}
    roles = _by_name(pd)
    assert (roles["Sales"]["assignment_count"], roles["Support"]["assignment_count"],
            roles["(Unassigned users)"]["assignment_count"]) == ("0", "1", "1")
    # again: the same answer, nothing else changes
    data(pd.post(f"/v1/roles/{support}/assignments", json={"user_id": user_id}))
    assert _by_name(pd)["Support"]["assignment_count"] == "1"

    refused(pd.delete(f"/v1/roles/{sales}/assignments", json={"user_id": user_id}), 400)
    assert data(pd.delete(f"/v1/roles/{support}/assignments",
                          json={"user_id": user_id})) == {"id": support}
    assert data(pd.get(f"/v1/users/{user_id}"))["role_id"] == default
    refused(pd.delete(f"/v1/roles/{default}/assignments", json={"user_id": user_id}), 400)

    theirs = data(other.api.get("/v1/users/me"))["id"]
    refused(pd.post(f"/v1/roles/{sales}/assignments", json={"user_id": theirs}), 404)
    refused(pd.post(f"/v1/roles/{sales}/assignments", json={"user_id": 10**9}), 404)
    refused(pd.get(f"/v1/users/{theirs}/roleAssignments"), 404)
    page = pd.get(f"/v1/roles/{default}/assignments?start=1&limit=1").json()
    assert [a["user_id"] for a in page["data"]] == [user_id]
    assert page["additional_data"]["pagination"]["more_items_in_collection"] is False


# ---- settings ------------------------------------------------------------------------------

def test_role_settings(pd: Pipedrive, kim: tuple[int, Pipedrive]) -> None:
    user_id, _ = kim
    default = _default(pd)["id"]
    sales = _add(pd, "Sales")
    assert data(pd.get(f"/v1/roles/{default}/settings")) == {
        **{k: 3 for k in SETTINGS}, **{k: 7 for k in ACCESS}}
    assert data(pd.get(f"/v1/roles/{sales}/settings")) == {k: 3 for k in SETTINGS}
    assert data(pd.post(f"/v1/roles/{sales}/settings",
                        json={"setting_key": "deal_default_visibility", "value": 1})) == {
        "id": sales, "deal_default_visibility": 1}
    data(pd.post(f"/v1/roles/{sales}/settings", json={"setting_key": "org_default_visibility",
                                                      "value": 7}))
    data(pd.post(f"/v1/roles/{default}/settings", json={"setting_key": "deal_access_level",
                                                        "value": 1}))
    assert data(pd.get(f"/v1/roles/{sales}/settings")) == {
        **{k: 3 for k in SETTINGS}, "deal_default_visibility": 1, "org_default_visibility": 7}
    assert data(pd.get(f"/v1/users/{user_id}/roleSettings"))["deal_access_level"] == 1
    data(pd.post(f"/v1/roles/{sales}/assignments", json={"user_id": user_id}))
    assert data(pd.get(f"/v1/users/{user_id}/roleSettings"))["deal_default_visibility"] == 1


@pytest.mark.parametrize("body", [
    {"setting_key": "deal_default_visibility", "value": 2},
    {"setting_key": "deal_default_visibility", "value": "3"},
    {"setting_key": "deal_default_visibility", "value": True},
    {"setting_key": "deal_default_visibility", "value": 3.5},
    {"setting_key": "deal_default_visibility"},
    {"value": 3},
    {"setting_key": "deal_visibility", "value": 3},
    {"setting_key": "deal_access_level", "value": 1},  # the default role's only
    {"setting_key": "deal_default_visibility", "value": 3, "extra": 1},
    {"setting_key": 5, "value": 3}, [], "x",
])
def test_bad_settings_are_refused_and_change_nothing(pd: Pipedrive, body: Any) -> None:
    sales = _add(pd, "Sales")
    before = _state(pd)
    refused(pd.post(f"/v1/roles/{sales}/settings", json=body), 400)
    default = _default(pd)["id"]
    if isinstance(body, dict) and body.get("setting_key") == "deal_access_level":
        refused(pd.post(f"/v1/roles/{default}/settings",
                        json={"setting_key": "deal_access_level", "value": 8}), 400)
    assert _state(pd) == before


# ---- pipelines -----------------------------------------------------------------------------

def test_pipeline_visibility(pd: Pipedrive, other: Tenant) -> None:
    first = data(pd.get("/v1/pipelines"))[0]["id"]
    second = data(pd.post("/v1/pipelines", json={"name": "Second"}))["id"]
    sales = _add(pd, "Sales")
    path = f"/v1/roles/{sales}/pipelines"
    assert data(pd.get(path)) == {"pipeline_ids": [first, second], "visible": True}
    assert data(pd.put(path, json={"visible_pipeline_ids": {"remove": [second]}})) == {
        "pipeline_ids": [first], "visible": True}
    assert data(pd.get(f"{path}?visible=false")) == {"pipeline_ids": [second],
                                                     "visible": False}
    assert data(pd.get(f"{path}?visible=1"))["pipeline_ids"] == [first]
    third = data(pd.post("/v1/pipelines", json={"name": "Third"}))["id"]  # visible to all
    assert data(pd.get(path))["pipeline_ids"] == [first, third]
    # Pipedrive documents the lists as text: "[1]"
    assert data(pd.put(path, json={"visible_pipeline_ids": {
        "add": f"[{second}]", "remove": f"[{first}, {third}]"}}))["pipeline_ids"] == [second]
    assert data(pd.get(f"/v1/roles/{_default(pd)['id']}/pipelines"))["pipeline_ids"] == [
        first, second, third]
    # a deleted pipeline is no longer listed
    pd.delete(f"/v1/pipelines/{first}")
    assert data(pd.get(f"{path}?visible=false"))["pipeline_ids"] == [third]

    theirs = data(other.api.get("/v1/pipelines"))[0]["id"]
    before = _state(pd)
    for body in ({"visible_pipeline_ids": {"add": [theirs]}},
                 {"visible_pipeline_ids": {"remove": [theirs]}},
                 {"visible_pipeline_ids": {"remove": [first]}},  # deleted
                 {"visible_pipeline_ids": {"add": [second], "remove": [second]}},
                 {"visible_pipeline_ids": {"add": ["x"]}},
                 {"visible_pipeline_ids": {"add": "[x]"}},
                 {"visible_pipeline_ids": {"add": [True]}},
                 {"visible_pipeline_ids": {"show": [second]}},
                 {"visible_pipeline_ids": {}}, {"visible_pipeline_ids": [second]},
                 {"visible_pipeline_ids": {"add": [second]}, "extra": 1}, {}):
        refused(pd.put(path, json=body), 400)
    refused(pd.get(f"{path}?visible=maybe"), 400)
    assert _state(pd) == before


# ---- permission sets and what users may do -------------------------------------------------

def test_permission_sets(pd: Pipedrive, kim: tuple[int, Pipedrive], tenant: Tenant) -> None:
    user_id, _ = kim
    admin = tenant.company.user_id
    sets = data(pd.get("/v1/permissionSets"))
    assert {s["id"] for s in sets} == ADMIN_SETS | REGULAR_SETS
    counts = {s["id"]: (s["type"], s["assignment_count"]) for s in sets}
    assert all(counts[i] == ("admin", 1) for i in ADMIN_SETS)
    assert all(counts[i] == ("regular", 1) for i in REGULAR_SETS)
    assert [s["name"] for s in data(pd.get("/v1/permissionSets?app=global"))] == [
        "Global admin", "Global regular user"]
    assert data(pd.get("/v1/permissionSets?app=projects")) == []
    refused(pd.get("/v1/permissionSets?app=nope"), 400)

    regular = "f07d229d-088a-4144-a40f-1fe64295d180"
    one = data(pd.get(f"/v1/permissionSets/{regular}"))
    assert one["name"] == "Deals regular user" and one["contents"] == list(REGULAR_PERMISSIONS)
    assert [(a["user_id"], a["name"]) for a in data(
        pd.get(f"/v1/permissionSets/{regular}/assignments"))] == [(user_id, "Deals regular user")]
    admins = data(pd.get("/v1/permissionSets/233b7976-39bd-43a9-b305-ef3a2b0998e5/assignments"))
    assert [a["user_id"] for a in admins] == [admin]
    refused(pd.get("/v1/permissionSets/nope"), 404)
    refused(pd.get("/v1/permissionSets/nope/assignments"), 404)

    assert data(pd.get(f"/v1/users/{admin}/permissions")) == {p: True for p in PERMISSIONS}
    mine = data(pd.get(f"/v1/users/{user_id}/permissions"))
    assert {p for p, granted in mine.items() if granted} == set(REGULAR_PERMISSIONS)
    assert set(mine) == set(PERMISSIONS)
    refused(pd.get("/v1/users/999999999/permissions"), 404)


# ---- who may change what, bad input, isolation ---------------------------------------------

def test_only_admins_change_roles_and_teams(pd: Pipedrive, kim: tuple[int, Pipedrive],
                                           tenant: Tenant) -> None:
    user_id, theirs = kim
    sales = _add(pd, "Sales")
    team = data(pd.get("/v1/legacyTeams"))[0]["id"]
    default = _default(pd)["id"]
    before = _state(pd)
    assert _state(theirs)[:3] == before[:3]  # everyone reads (users differ by is_you)
    for method, path, body in (
            ("POST", "/v1/roles", {"name": "Mine"}),
            ("PUT", f"/v1/roles/{sales}", {"name": "Mine"}),
            ("DELETE", f"/v1/roles/{sales}", None),
            ("POST", f"/v1/roles/{sales}/assignments", {"user_id": user_id}),
            ("DELETE", f"/v1/roles/{default}/assignments", {"user_id": user_id}),
            ("POST", f"/v1/roles/{sales}/settings", {"setting_key": "deal_default_visibility",
                                                     "value": 7}),
            ("PUT", f"/v1/roles/{sales}/pipelines", {"visible_pipeline_ids": {"remove": [1]}}),
            ("POST", "/v1/roles", {"bad": 1}),  # refused before the body is read
            ("POST", "/v1/legacyTeams", {"name": "Mine", "manager_id": user_id}),
            ("PUT", f"/v1/legacyTeams/{team}", {"name": "Mine"}),
            ("POST", f"/v1/legacyTeams/{team}/users", {"users": [tenant.company.user_id]}),
            ("DELETE", f"/v1/legacyTeams/{team}/users", {"users": [user_id]})):
        body_refused = refused(theirs.request(method, path, json=body), 403)
        assert body_refused["errorCode"] == 403
    assert _state(pd) == before


@pytest.mark.parametrize("body", [
    {}, {"name": ""}, {"name": 5}, {"name": None}, {"name": ["x"]}, {"name": "x" * 256},
    {"name": "x", "parent_role_id": "x"}, {"name": "x", "parent_role_id": -1},
    {"name": "x", "parent_role_id": True}, {"name": "x", "parent_role_id": {"id": 1}},
    {"name": "x", "extra": 1}, {"name": "x", "id": 5}, [], "x", 5,
])
def test_bad_roles_are_refused_and_change_nothing(pd: Pipedrive, body: Any) -> None:
    sales = _add(pd, "Sales")
    before = _state(pd)
    refused(pd.post("/v1/roles", json=body), 400)
    if body != {}:
        refused(pd.put(f"/v1/roles/{sales}", json=body), 400)
    for method, path in (("POST", f"/v1/roles/{sales}/assignments"),
                         ("DELETE", f"/v1/roles/{sales}/assignments")):
        if not isinstance(body, int):  # (an integer is a user id: one that is not found)
            refused(pd.request(method, path, json={"user_id": body}), 400)
    refused(pd.request("POST", "/v1/roles", content=b"{not json",
                       headers={"content-type": "application/json"}), 400)
    assert _state(pd) == before


def test_another_companys_roles_and_teams_are_not_found(pd: Pipedrive, other: Tenant) -> None:
    theirs = _add(other.api, "Theirs")
    team = data(other.api.get("/v1/legacyTeams"))[0]["id"]
    user = data(other.api.get("/v1/users/me"))["id"]
    before = _state(other.api)
    for method, path, body in (
            ("GET", f"/v1/roles/{theirs}", None), ("PUT", f"/v1/roles/{theirs}", {"name": "x"}),
            ("DELETE", f"/v1/roles/{theirs}", None),
            ("GET", f"/v1/roles/{theirs}/assignments", None),
            ("POST", f"/v1/roles/{theirs}/assignments", {"user_id": user}),
            ("GET", f"/v1/roles/{theirs}/settings", None),
            ("POST", f"/v1/roles/{theirs}/settings", {"setting_key": "deal_default_visibility",
                                                      "value": 7}),
            ("GET", f"/v1/roles/{theirs}/pipelines", None),
            ("PUT", f"/v1/roles/{theirs}/pipelines", {"visible_pipeline_ids": {"add": [1]}}),
            ("GET", f"/v1/users/{user}/permissions", None),
            ("GET", f"/v1/users/{user}/roleSettings", None),
            ("GET", f"/v1/legacyTeams/{team}", None),
            ("PUT", f"/v1/legacyTeams/{team}", {"name": "x"}),
            ("GET", f"/v1/legacyTeams/{team}/users", None),
            ("POST", f"/v1/legacyTeams/{team}/users", {"users": [user]}),
            ("GET", f"/v1/legacyTeams/user/{user}", None),
            ("GET", "/v1/roles/abc", None), ("GET", "/v1/roles/0", None)):
        refused(pd.request(method, path, json=body), 404)
    assert _state(other.api) == before
    assert [r["name"] for r in _roles(pd)] == ["(Unassigned users)"]


# ---- legacy teams ----------------------------------------------------------------------------

def test_legacy_teams_are_the_companys_sales_units(pd: Pipedrive, tenant: Tenant,
                                                   kim: tuple[int, Pipedrive]) -> None:
    user_id, _ = kim
    admin = tenant.company.user_id
    [unit] = data(pd.get("/v1/legacyTeams"))
    assert unit["name"] == "Default sales unit" and unit["users"] == [admin]
    made = data(pd.post("/v1/legacyTeams", json={"name": "Closers", "manager_id": admin,
                                                 "users": [user_id]}))
    assert made == {"id": made["id"], "name": "Closers", "manager_id": admin,
                    "created_by_user_id": admin, "users": [user_id], "active_flag": 1,
                    "deleted_flag": 0, "add_time": made["add_time"]}
    team = made["id"]
    assert data(pd.get(f"/v1/legacyTeams/{team}")) == made
    assert "users" not in data(pd.get(f"/v1/legacyTeams/{team}?skip_users=1"))
    assert [t["id"] for t in data(pd.get(f"/v1/legacyTeams/user/{user_id}"))] == [team]
    assert [t["name"] for t in data(pd.get("/v1/legacyTeams?order_by=name"))] == [
        "Closers", "Default sales unit"]
    with tenant.records.service.unit(tenant.ctx) as work:  # the user's sales unit moved
        assert work.get("user", user_id)["team_id"] == team

    changed = data(pd.put(f"/v1/legacyTeams/{team}", json={"name": "Openers", "active_flag": 0,
                                                          "users": [admin]}))
    assert (changed["name"], changed["active_flag"], changed["users"]) == ("Openers", 0, [admin])
    assert data(pd.get(f"/v1/legacyTeams/{unit['id']}/users")) == []
    assert data(pd.post(f"/v1/legacyTeams/{team}/users", json={"users": [user_id]})) == [
        admin, user_id]
    assert data(pd.delete(f"/v1/legacyTeams/{team}/users", json={"users": [admin]})) == [
        user_id]
    assert data(pd.get(f"/v1/legacyTeams/{team}/users")) == [user_id]
    assert data(pd.get(f"/v1/legacyTeams/user/{admin}")) == []

    before = _state(pd)
    for method, path, body in (
            ("POST", "/v1/legacyTeams", {"name": "X"}),
            ("POST", "/v1/legacyTeams", {"manager_id": admin}),
            ("POST", "/v1/legacyTeams", {"name": "X", "manager_id": 10**9}),
            ("POST", "/v1/legacyTeams", {"name": "X", "manager_id": admin, "users": [10**9]}),
            ("POST", "/v1/legacyTeams", {"name": "X", "manager_id": admin, "users": "x"}),
            ("POST", "/v1/legacyTeams", {"name": "X", "manager_id": admin, "extra": 1}),
            ("POST", "/v1/legacyTeams", {"name": "X", "manager_id": admin, "active_flag": 2}),
            ("PUT", f"/v1/legacyTeams/{team}", {"name": 5}),
            ("PUT", f"/v1/legacyTeams/{team}", {"deleted_flag": "yes"}),
            ("POST", f"/v1/legacyTeams/{team}/users", {"users": [True]}),
            ("POST", f"/v1/legacyTeams/{team}/users", {}),
            ("DELETE", f"/v1/legacyTeams/{team}/users", {"users": [10**9]})):
        refused(pd.request(method, path, json=body), 400)
    refused(pd.get("/v1/legacyTeams?order_by=nope"), 400)
    refused(pd.get("/v1/legacyTeams?skip_users=2"), 400)
    assert _state(pd) == before

    gone = data(pd.put(f"/v1/legacyTeams/{team}", json={"deleted_flag": 1}))
    assert gone["deleted_flag"] == 1 and gone["users"] == []
    refused(pd.get(f"/v1/legacyTeams/{team}"), 404)
    assert [t["id"] for t in data(pd.get("/v1/legacyTeams"))] == [unit["id"]]


# ---- the service's reads (what visibility enforcement uses) --------------------------------

def test_the_service_reads_the_hierarchy_settings_and_pipelines(
        pd: Pipedrive, tenant: Tenant, kim: tuple[int, Pipedrive]) -> None:
    user_id, _ = kim
    top = _add(pd, "Top")
    mid = _add(pd, "Mid", top)
    low, side = _add(pd, "Low", mid), _add(pd, "Side", top)
    data(pd.post(f"/v1/roles/{low}/assignments", json={"user_id": user_id}))
    data(pd.post(f"/v1/roles/{low}/settings", json={"setting_key": "lead_default_visibility",
                                                    "value": 5}))
    second = data(pd.post("/v1/pipelines", json={"name": "Second"}))["id"]
    data(pd.put(f"/v1/roles/{low}/pipelines", json={"visible_pipeline_ids": {"remove": [second]}}))
    with tenant.records.service.unit(tenant.ctx) as unit:
        roles = Roles(unit)
        assert roles.role_of(user_id)["id"] == low
        assert roles.role_of(tenant.company.user_id)["is_default"] is True
        assert roles.ancestors(low) == [mid, top]
        assert roles.descendants(top) == [mid, side, low]
        assert roles.descendants(low) == [] and roles.ancestors(top) == []
        assert roles.level(low) == 3
        assert roles.settings(low)["lead_default_visibility"] == 5
        assert second not in roles.visible_pipelines(low)
        assert roles.visible_pipelines(low, visible=False) == [second]
        assert second in roles.visible_pipelines(top)
    # the pure functions, on a broken chain and a loop written around the service
    assert ancestors({1: None, 2: 1, 3: 2}, 3) == [2, 1]
    assert ancestors({1: 2, 2: 1}, 1) == [2]
    assert descendants({1: None, 2: 1, 3: 2, 4: 1}, 1) == [2, 4, 3]
    assert descendants({1: 2, 2: 1}, 1) == [2]
