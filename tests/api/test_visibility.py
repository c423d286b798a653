"""Who sees what (issue 13, item 2): the permission matrix.

Users of three roles in a hierarchy (top > middle > low), a second user of the middle
role, a user of the default role and the admin read records of every entity that has a
``visible_to`` (deals, persons, organizations, products, leads), owned by users of each
role with each of Pipedrive's four visibilities, plus a followed record and a deal in a
pipeline hidden from the low role — through every list, get, search, saved filter, count
and summary of both Pipedrive versions and the Pipeliner dialect. Each sees exactly what
``expected`` (the rules, stated here on their own) gives, and a hidden record answers as a
record that does not exist. Writes: a hidden record cannot be changed, deleted, followed or
linked to; a new record takes the writer's role's default visibility; the access levels of
the default role refuse writes and deletes.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from dealbase.query.ast import Cond
from tests.api.answers import data
from tests.api.test_filters import cond, conditions, field_ids, make
from tests.conftest import Pipedrive, SyncClient, Tenant

VISIBILITIES = (1, 3, 5, 7)
OWNERS = ("top", "mid", "low")
VIEWERS = ("admin", "top", "mid", "mid2", "low", "plain")
# entity -> (Pipedrive v1 path, v2 path, title field, Pipeliner collection)
ENTITIES = {
    "deal": ("deals", "deals", "title", "Opportunities"),
    "person": ("persons", "persons", "name", "Contacts"),
    "organization": ("organizations", "organizations", "name", "Accounts"),
    "product": ("products", "products", "name", "Products"),
    "lead": ("leads", None, "title", "Leads"),
}
ROLE_OF = {"top": "Top", "mid": "Middle", "mid2": "Middle", "low": "Low"}
PARENT = {"Top": None, "Middle": "Top", "Low": "Middle"}


@dataclass
class Person:
    id: int
    pd: Pipedrive
    pipeliner: tuple[str, str]  # (token, password)


@dataclass
class World:
    tenant: Tenant
    http: SyncClient
    users: dict[str, Person]
    # entity -> title -> (id, owner, visible_to, followers, pipeline hidden from Low)
    records: dict[str, dict[str, tuple[Any, str, int, tuple[str, ...], bool]]] = field(
        default_factory=dict)
    uids: dict[tuple[str, Any], str] = field(default_factory=dict)


def _ancestors(role: str) -> list[str]:
    out, current = [], PARENT[role]
    while current is not None:
        out.append(current)
        current = PARENT[current]
    return out


def expected(viewer: str, owner: str, visible_to: int, followers: tuple[str, ...],
             hidden_pipeline: bool) -> bool:
    """The rules, on their own: admins see all; a hidden pipeline hides its deals; the
    owner and followers see theirs; 7 is everyone's; 3 the owner's role's; 5 the owner's
    role's and the roles below it."""
    if viewer == "admin":
        return True
    if hidden_pipeline and ROLE_OF.get(viewer) == "Low":
        return False
    if viewer == owner or viewer in followers or visible_to == 7:
        return True
    mine, theirs = ROLE_OF.get(viewer), ROLE_OF[owner]
    if visible_to in (3, 5) and mine == theirs:
        return True
    return visible_to == 5 and mine is not None and theirs in _ancestors(mine)


def _sign_in(tenant: Tenant, http: SyncClient, user_id: int) -> Person:
    service = service_of_tenant(tenant)
    token = service.create_token(tenant.company.company_id, user_id).token
    made = service.create_token(tenant.company.company_id, user_id, "pipeliner")
    return Person(user_id, Pipedrive(http, token), (made.token, made.password or ""))


def service_of_tenant(tenant: Tenant) -> Any:
    return tenant.records.service


@pytest.fixture
def world(tenant: Tenant, http: SyncClient) -> Iterator[World]:
    admin = tenant.records
    pd = tenant.api
    roles: dict[str, int] = {}
    for name in ("Top", "Middle", "Low"):
        parent = PARENT[name]
        body: dict[str, Any] = {"name": name}
        if parent is not None:
            body["parent_role_id"] = roles[parent]
        roles[name] = data(pd.post("/v1/roles", json=body))["id"]
    users = {"admin": Person(tenant.company.user_id, pd, (tenant.company.pipeliner_api_token,
                                                          tenant.company.pipeliner_api_password))}
    for key in ("top", "mid", "mid2", "low", "plain"):
        made = admin.create("user", {"name": key, "email": f"{key}@acme.example"})
        if key in ROLE_OF:
            data(pd.post(f"/v1/roles/{roles[ROLE_OF[key]]}/assignments",
                         json={"user_id": made["id"]}))
        users[key] = _sign_in(tenant, http, made["id"])
    secret = data(pd.post("/v1/pipelines", json={"name": "Secret"}))["id"]
    secret_stage = data(pd.post("/v1/stages", json={"name": "S1", "pipeline_id": secret}))["id"]
    data(pd.put(f"/v1/roles/{roles['Low']}/pipelines",
                  json={"visible_pipeline_ids": {"remove": [secret]}}))
    w = World(tenant, http, users)
    for entity, (_, _, title, _) in ENTITIES.items():
        made_records = w.records.setdefault(entity, {})
        for owner in OWNERS:
            for visible_to in VISIBILITIES:
                name = f"matrix {entity} {owner} {visible_to}"
                values: dict[str, Any] = {title: name, "owner_id": users[owner].id,
                                          "visible_to": visible_to}
                record = admin.create(entity, values)
                made_records[name] = (record["id"], owner, visible_to, (), False)
        name = f"matrix {entity} top followed"
        record = admin.create(entity, {title: name, "owner_id": users["top"].id,
                                       "visible_to": 1, "watcher_ids": [users["low"].id]})
        made_records[name] = (record["id"], "top", 1, ("low",), False)
    name = "matrix deal low secret"
    record = admin.create("deal", {"title": name, "owner_id": users["low"].id, "visible_to": 7,
                                   "stage_id": secret_stage})
    w.records["deal"][name] = (record["id"], "low", 7, (), True)
    by_api = {lead["title"]: lead["id"] for lead in data(pd.get("/v1/leads?limit=500"))}
    w.records["lead"] = {name: (by_api[name], *rest)  # (leads: a UUID in Pipedrive's paths)
                         for name, (_, *rest) in w.records["lead"].items()}
    for entity, by_title in w.records.items():
        with admin.service.unit(admin.ctx) as unit:
            uids = unit.uids(entity, [r[0] for r in by_title.values()]) if entity != "lead" \
                else {}
        w.uids.update({(entity, i): u for i, u in uids.items()})
    yield w


def _same(one: str, other: str, hidden: int, missing: int) -> bool:
    """The two answers are the same but for the id asked about."""
    return one == other.replace(str(missing), str(hidden))


def _visible(w: World, viewer: str, entity: str) -> set[str]:
    return {name for name, (_, owner, vt, followers, hidden) in w.records[entity].items()
            if expected(viewer, owner, vt, followers, hidden)}


def _titles(items: list[dict[str, Any]], title: str) -> set[str]:
    return {i[title] for i in items if str(i.get(title, "")).startswith("matrix ")}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_every_list_and_get_shows_exactly_what_the_rules_give(world: World, viewer: str) -> None:
    w, me = world, world.users[viewer]
    for entity, (v1, v2, title, _) in ENTITIES.items():
        want = _visible(w, viewer, entity)
        assert _titles(data(me.pd.get(f"/v1/{v1}?limit=500")) or [], title) == want, entity
        if v2 is not None:
            assert _titles(data(me.pd.get(f"/api/v2/{v2}?limit=500")), title) == want, entity
        for name, (record_id, *_rest) in w.records[entity].items():
            got = me.pd.get(f"/v1/{v1}/{record_id}", check=False)
            assert got.status_code == (200 if name in want else 404), (entity, name)
            if v2 is not None:
                got = me.pd.get(f"/api/v2/{v2}/{record_id}", check=False)
                assert got.status_code == (200 if name in want else 404), (entity, name)


def test_a_hidden_record_answers_as_a_missing_one(world: World) -> None:
    w, low = world, world.users["low"]
    hidden = w.records["deal"]["matrix deal top 1"][0]
    missing = 10**9
    for path in ("/v1/deals/{}", "/api/v2/deals/{}", "/v1/deals/{}/flow",
                 "/v1/deals/{}/followers", "/api/v2/deals/{}/followers", "/v1/deals/{}/activities"):
        one = low.pd.get(path.format(hidden), check=False)
        other = low.pd.get(path.format(missing), check=False)
        assert one.status_code == other.status_code == 404, path
        assert _same(one.text, other.text, hidden, missing), path
    for method, path, body in (("PUT", "/v1/deals/{}", {"title": "x"}),
                               ("PATCH", "/api/v2/deals/{}", {"title": "x"}),
                               ("DELETE", "/v1/deals/{}", None),
                               ("POST", "/v1/deals/{}/followers", {"user_id": low.id})):
        one = low.pd.request(method, path.format(hidden), json=body, check=False)
        other = low.pd.request(method, path.format(missing), json=body, check=False)
        assert one.status_code == other.status_code, path
        assert _same(one.text, other.text, hidden, missing), path
    assert data(w.tenant.api.get(f"/v1/deals/{hidden}"))["title"] == "matrix deal top 1"
    # Nor can it be linked to: a reference to it is a reference to nothing.
    person = w.records["person"]["matrix person top 1"][0]
    refused = low.pd.post("/v1/deals", json={"title": "linked", "person_id": person},
                          check=False)
    ghost = low.pd.post("/v1/deals", json={"title": "linked", "person_id": missing},
                        check=False)
    assert refused.status_code == ghost.status_code == 400
    assert _same(refused.text, ghost.text, person, missing)


@pytest.mark.parametrize("viewer", ["top", "mid", "low", "plain"])
def test_search_filters_counts_and_summaries_see_what_lists_see(world: World,
                                                                 viewer: str) -> None:
    w, me = world, world.users[viewer]
    deals = _visible(w, viewer, "deal")
    found = data(me.pd.get("/v1/itemSearch?term=matrix&item_types=deal&limit=500"))["items"]
    assert {i["item"]["title"] for i in found} == deals
    found = data(me.pd.get("/api/v2/deals/search?term=matrix&limit=100"))["items"]
    assert {i["item"]["title"] for i in found} == deals
    persons = _visible(w, viewer, "person")
    found = data(me.pd.get("/v1/persons/search?term=matrix&limit=500"))["items"]
    assert {i["item"]["name"] for i in found} == persons
    title = field_ids(me.pd, "dealFields")["title"]
    saved = make(me.pd, "deals", conditions([cond("deal", title, "LIKE '$%'", "matrix")]))
    listed = data(me.pd.get(f"/v1/deals?filter_id={saved}&status=all_not_deleted"
                            "&limit=500")) or []
    assert _titles(listed, "title") == deals
    summary = data(me.pd.get("/v1/deals/summary?status=open"))
    counted = sum(v["count"] for v in summary["values_total"].values())
    assert counted == len(deals)
    with w.tenant.records.service.unit(w.tenant.records.ctx) as admin_unit:
        ctx = admin_unit.ctx
    from dataclasses import replace
    as_viewer = replace(ctx, user_id=me.id, is_admin=False)
    with w.tenant.records.service.unit(as_viewer) as unit:
        assert unit.count("deal", Cond("title", "starts_with", "matrix ")) == len(deals)
        assert sum(a.count for a in unit.sum_by("deal", Cond("title", "starts_with", "matrix "),
                                                ())) == len(deals)


@pytest.mark.parametrize("viewer", ["top", "mid", "low", "plain"])
def test_the_pipeliner_dialect_sees_the_same(world: World, viewer: str) -> None:
    w, me = world, world.users[viewer]
    space = w.tenant.company.space_id
    auth = "Basic " + base64.b64encode(":".join(me.pipeliner).encode()).decode()
    for entity, (_, _, _, collection) in ENTITIES.items():
        if entity == "lead":
            continue
        want = {w.uids[(entity, w.records[entity][name][0])]
                for name in _visible(w, viewer, entity)}
        every = {w.uids[(entity, r[0])] for r in w.records[entity].values()}
        got = w.http.request("GET", f"/rest_services/v1/{space}/{collection}?limit=500",
                             headers={"Authorization": auth})
        assert got.status_code == 200, got.text
        assert {i["ID"] for i in got.json()} & every == want, entity
        for uid in sorted(every):
            one = w.http.request("GET", f"/rest_services/v1/{space}/{collection}/{uid}",
                                 headers={"Authorization": auth})
            assert one.status_code == (200 if uid in want else 404), (entity, uid)


def test_hidden_pipelines_are_gone_for_their_role(world: World) -> None:
    w = world
    names = {p["name"] for p in data(w.users["low"].pd.get("/v1/pipelines"))}
    assert "Secret" not in names and names
    assert "Secret" in {p["name"] for p in data(w.users["mid"].pd.get("/v1/pipelines"))}
    assert "S1" not in {s["name"] for s in data(w.users["low"].pd.get("/v1/stages"))}


def test_new_records_take_the_writers_role_default_visibility(world: World) -> None:
    w = world
    top_role = data(w.tenant.api.get(f"/v1/users/{w.users['top'].id}"))["role_id"]
    data(w.tenant.api.post(f"/v1/roles/{top_role}/settings",
                           json={"setting_key": "deal_default_visibility", "value": 1}))
    made = data(w.users["top"].pd.post("/v1/deals", json={"title": "private"}), 201)
    assert made["visible_to"] == "1"
    made = data(w.users["mid"].pd.post("/v1/deals", json={"title": "shared"}), 201)
    assert made["visible_to"] == "3"
    said = data(w.users["top"].pd.post("/v1/deals", json={"title": "said", "visible_to": 7}),
                201)
    assert said["visible_to"] == "7"


def test_a_writer_who_hides_a_record_from_themselves_gets_it_back_once(world: World) -> None:
    w, mid = world, world.users["mid"]
    made = data(mid.pd.post("/v1/deals", json={"title": "hand over", "visible_to": 1}), 201)
    moved = data(mid.pd.put(f"/v1/deals/{made['id']}", json={"user_id": w.users["top"].id}))
    assert moved["user_id"]["id"] == w.users["top"].id
    assert mid.pd.get(f"/v1/deals/{made['id']}", check=False).status_code == 404


def test_the_default_roles_access_levels_refuse_writes(world: World) -> None:
    w = world
    default = next(r for r in data(w.tenant.api.get("/v1/roles?limit=500"))
                   if r["name"] == "(Unassigned users)")
    data(w.tenant.api.post(f"/v1/roles/{default['id']}/settings",
                           json={"setting_key": "deal_access_level", "value": 1}))
    low = w.users["low"]
    mine = w.records["deal"]["matrix deal low 1"][0]
    before = data(w.tenant.api.get(f"/v1/deals/{mine}"))
    assert low.pd.post("/v1/deals", json={"title": "no"}, check=False).status_code == 403
    assert low.pd.put(f"/v1/deals/{mine}", json={"title": "no"}, check=False).status_code == 403
    assert low.pd.delete(f"/v1/deals/{mine}", check=False).status_code == 403
    assert data(w.tenant.api.get(f"/v1/deals/{mine}")) == before
    assert data(low.pd.get(f"/v1/deals/{mine}"))["title"] == "matrix deal low 1"
    data(w.tenant.api.post(f"/v1/roles/{default['id']}/settings",
                           json={"setting_key": "deal_access_level", "value": 3}))
    assert low.pd.put(f"/v1/deals/{mine}", json={"title": "yes"}, check=False).status_code == 200
    assert low.pd.delete(f"/v1/deals/{mine}", check=False).status_code == 403
    data(w.tenant.api.post(f"/v1/roles/{default['id']}/settings",
                           json={"setting_key": "deal_access_level", "value": 2}))
    assert data(low.pd.get("/v1/deals?limit=500")) in (None, [])
    assert data(w.tenant.api.get("/v1/deals?limit=500"))


def test_permitted_users_are_the_users_who_see_the_record(world: World) -> None:
    w = world
    record = w.records["deal"]["matrix deal mid 3"][0]
    got = set(data(w.tenant.api.get(f"/v1/deals/{record}/permittedUsers")))
    want = {w.users[v].id for v in VIEWERS if expected(v, "mid", 3, (), False)}
    assert got == want


def test_a_visible_deal_says_its_person_and_organization_are_hidden(world: World) -> None:
    w, low = world, world.users["low"]
    person = w.records["person"]["matrix person top 1"][0]
    org = w.records["organization"]["matrix organization top 1"][0]
    seen_person = w.records["person"]["matrix person top 7"][0]
    deal = w.tenant.records.create("deal", {"title": "linked", "visible_to": 7,
                                            "person_id": person, "organization_id": org})
    shown = data(low.pd.get(f"/v1/deals/{deal['id']}"))
    assert (shown["person_hidden"], shown["org_hidden"]) == (True, True)
    assert shown.get("person_name") is None and shown.get("org_name") is None
    assert "matrix person top 1" not in low.pd.get(f"/v1/deals/{deal['id']}").text
    admin = data(w.tenant.api.get(f"/v1/deals/{deal['id']}"))
    assert (admin["person_hidden"], admin["org_hidden"]) == (False, False)
    assert "matrix person top 1" in w.tenant.api.get(f"/v1/deals/{deal['id']}").text
    open_deal = w.tenant.records.create("deal", {"title": "open", "person_id": seen_person,
                                                 "visible_to": 7})
    stage = open_deal["stage_id"]
    listed = {d["id"]: d for d in data(low.pd.get(f"/v1/stages/{stage}/deals?everyone=1"
                                                  "&limit=500"))}
    assert listed[open_deal["id"]]["person_hidden"] is False
    assert listed[deal["id"]]["person_hidden"] is True


def test_rules_read_as_the_writer_a_hidden_stage_or_pipeline_is_missing(world: World) -> None:
    w, low = world, world.users["low"]
    secret = next(p for p in data(w.tenant.api.get("/v1/pipelines")) if p["name"] == "Secret")
    stage = next(s for s in data(w.tenant.api.get(f"/v1/stages?pipeline_id={secret['id']}")))
    missing = 10**9
    for key, hidden in (("stage_id", stage["id"]), ("pipeline_id", secret["id"])):
        one = low.pd.post("/v1/deals", json={"title": "x", key: hidden}, check=False)
        other = low.pd.post("/v1/deals", json={"title": "x", key: missing}, check=False)
        assert one.status_code == other.status_code == 400, key
        assert _same(one.text, other.text, hidden, missing), key


def test_a_new_deal_goes_to_the_first_pipeline_its_writer_sees(world: World) -> None:
    w = world
    first = min(data(w.tenant.api.get("/v1/pipelines")), key=lambda p: p["order_nr"])
    third = data(w.tenant.api.post("/v1/pipelines", json={"name": "Third"}))["id"]
    data(w.tenant.api.post("/v1/stages", json={"name": "T1", "pipeline_id": third}))
    role = data(w.tenant.api.get(f"/v1/users/{w.users['low'].id}"))["role_id"]
    data(w.tenant.api.put(f"/v1/roles/{role}/pipelines",
                          json={"visible_pipeline_ids": {"remove": [first["id"]]}}))
    made = data(w.users["low"].pd.post("/v1/deals", json={"title": "placed"}), 201)
    seen = {p["id"] for p in data(w.users["low"].pd.get("/v1/pipelines"))}
    assert made["pipeline_id"] == third and third in seen and first["id"] not in seen
