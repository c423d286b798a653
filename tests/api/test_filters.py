"""Saved filters (v1 ``/filters``) and ``filter_id`` on every list that takes it, v1 and v2:
every response is checked against the vendored spec by the ``Pipedrive`` client, and the
lists are asserted to hold exactly the records the conditions name."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dealbase.api.pipedrive import savedfilters
from dealbase.query.ast import Keyset, Query
from dealbase.service import Unit
from tests.api.answers import data, refused
from tests.api.test_concurrency import change_log
from tests.conftest import Pipedrive, Tenant


def field_ids(pd: Pipedrive, resource: str) -> dict[str, int]:
    """A ``<entity>Fields`` list's ids by key."""
    return {f["key"]: f["id"] for f in data(pd.get(f"/v1/{resource}?limit=500"))}


def cond(obj: str, field_id: int, operator: str, value: Any = None,
         extra: Any = None) -> dict[str, Any]:
    return {"object": obj, "field_id": str(field_id), "operator": operator, "value": value,
            "extra_value": extra}


def conditions(all_of: list[Any], any_of: list[Any] | None = None) -> dict[str, Any]:
    """Pipedrive's shape: one "and" group and one "or" group, glued with "and"."""
    return {"glue": "and", "conditions": [{"glue": "and", "conditions": all_of},
                                         {"glue": "or", "conditions": any_of or [None]}]}


def make(pd: Pipedrive, kind: str, body: dict[str, Any], name: str = "F") -> int:
    made = data(pd.post("/v1/filters", json={"name": name, "type": kind, "conditions": body}))
    assert made["type"] == kind and made["active_flag"] is True
    return int(made["id"])


def ids(response: Any) -> list[Any]:
    return sorted(r["id"] for r in (data(response) or []))


# ---- the /filters operations ------------------------------------------------------------

def test_filter_lifecycle(pd: Pipedrive) -> None:
    deal = field_ids(pd, "dealFields")
    me = data(pd.get("/v1/users/me"))["id"]
    body = conditions([cond("deal", deal["title"], "LIKE '%$%'", "stapler")])
    made = data(pd.post("/v1/filters", json={"name": "Staplers", "type": "deals",
                                             "conditions": body}))
    assert (made["name"], made["type"], made["user_id"], made["temporary_flag"],
            made["active_flag"]) == ("Staplers", "deals", me, False, True)
    assert made["conditions"] == body and made["add_time"] == made["update_time"]
    assert data(pd.get(f"/v1/filters/{made['id']}")) == made

    people = make(pd, "people", conditions([]), "Everyone")
    listed = data(pd.get("/v1/filters"))
    assert [f["id"] for f in listed] == [made["id"], people]
    assert "conditions" not in listed[0] and listed[0]["name"] == "Staplers"
    assert [f["id"] for f in data(pd.get("/v1/filters?type=deals"))] == [made["id"]]
    assert [f["id"] for f in data(pd.get("/v1/filters?type=people"))] == [people]
    assert data(pd.get("/v1/filters?type=products")) == []
    page = pd.get("/v1/filters?start=0&limit=1").json()
    assert [f["id"] for f in page["data"]] == [made["id"]]
    assert page["additional_data"]["pagination"]["next_start"] == 1
    assert [f["id"] for f in data(pd.get("/v1/filters?start=1&limit=1"))] == [people]

    changed = data(pd.put(f"/v1/filters/{made['id']}", json={
        "name": "Red staplers", "conditions": conditions([cond("deal", deal["title"], "=",
                                                               "Red")])}))
    assert changed["name"] == "Red staplers" and changed["conditions"]["conditions"][0][
        "conditions"][0]["value"] == "Red"
    renamed = data(pd.put(f"/v1/filters/{made['id']}", json={"name": "Only a new name"}))
    assert renamed["conditions"] == changed["conditions"]

    assert data(pd.delete(f"/v1/filters/{made['id']}")) == {"id": made["id"]}
    assert data(pd.get(f"/v1/filters/{made['id']}"))["active_flag"] is False
    assert [f["id"] for f in data(pd.get("/v1/filters"))] == [people]
    refused(pd.delete(f"/v1/filters/{made['id']}"), 404)
    refused(pd.put(f"/v1/filters/{made['id']}", json={"name": "x"}), 404)
    other = make(pd, "org", conditions([]))
    assert data(pd.delete(f"/v1/filters?ids={people},{other}")) == {"id": [people, other]}
    assert data(pd.get("/v1/filters")) == []
    refused(pd.get("/v1/filters/999999999"), 404)


def test_every_write_is_in_the_change_log(tenant: Tenant) -> None:
    pd = tenant.api
    made = make(pd, "deals", conditions([]))
    data(pd.put(f"/v1/filters/{made}", json={"name": "G"}))
    data(pd.delete(f"/v1/filters/{made}"))
    log = change_log(tenant.records.service.database, tenant.company.company_id, "filter",
                     made)
    assert [action for _, action, _ in log] == ["create", "update", "delete"]
    assert log[1][2]["name"] == ["F", "G"]


def test_helpers(pd: Pipedrive) -> None:
    helpers = data(pd.get("/v1/filters/helpers"))
    assert helpers["operators"]["varchar"]["LIKE '%$%'"] == "contains"
    assert "<" not in helpers["operators"]["varchar"]
    assert helpers["operators"]["date"][">"] == "is later than"
    assert {"=": "is"} in helpers["operators"]["enum"]
    assert "this_quarter" in helpers["relative_dates"]["Relative date intervals"]
    assert "in_6_months" in helpers["relative_dates"]["Relative dates"]
    assert helpers["address_field_components"]["locality"].startswith("City")
    refused(Pipedrive(pd.http, "nope").get("/v1/filters/helpers", check=False), 401)


# ---- lists through filter_id ------------------------------------------------------------

@pytest.fixture
def shop(pd: Pipedrive) -> dict[str, Any]:
    """Persons, organizations and deals to filter."""
    acme = data(pd.post("/v1/organizations", json={"name": "Acme"}), 201)
    initech = data(pd.post("/v1/organizations", json={"name": "Initech"}), 201)
    milton = data(pd.post("/v1/persons", json={"name": "Milton", "org_id": initech["id"]}), 201)
    peter = data(pd.post("/v1/persons", json={"name": "Peter", "org_id": acme["id"]}), 201)
    deals = [data(pd.post("/v1/deals", json=body), 201) for body in (
        {"title": "Red stapler", "value": 50, "currency": "USD", "person_id": milton["id"]},
        {"title": "Blue stapler", "value": 500, "currency": "EUR", "person_id": peter["id"]},
        {"title": "TPS reports", "value": 1500, "currency": "USD", "org_id": acme["id"]},
        {"title": "Printer", "currency": "USD", "status": "won"},  # (value 0)
    )]
    return {"orgs": [acme, initech], "persons": [milton, peter], "deals": deals}


def test_deal_lists_through_a_filter(pd: Pipedrive, shop: dict[str, Any]) -> None:
    f = field_ids(pd, "dealFields")
    d = [x["id"] for x in shop["deals"]]
    cases = [
        (conditions([cond("deal", f["title"], "LIKE '%$%'", "stapler")]), [d[0], d[1]]),
        (conditions([cond("deal", f["title"], "LIKE '$%'", "red")]), [d[0]]),
        (conditions([cond("deal", f["title"], "NOT LIKE '$%'", "Red")]), [d[1], d[2], d[3]]),
        (conditions([cond("deal", f["value"], ">", "100")]), [d[1], d[2]]),
        (conditions([cond("deal", f["value"], ">=", 50, "USD")]), [d[0], d[2]]),
        (conditions([cond("deal", f["org_id"], "IS NULL")]), [d[0], d[1], d[3]]),
        (conditions([cond("deal", f["value"], "IS NOT NULL"),
                     cond("deal", f["currency"], "=", "USD")]), [d[0], d[2], d[3]]),
        (conditions([cond("deal", f["status"], "=", "won")]), [d[3]]),
        (conditions([cond("deal", f["status"], "!=", "won")]), [d[0], d[1], d[2]]),
        (conditions([], [cond("deal", f["value"], "<", 100),
                         cond("deal", f["title"], "=", "TPS reports")]), [d[0], d[2], d[3]]),
        (conditions([cond("deal", f["currency"], "=", "USD")],
                    [cond("deal", f["value"], "<", 10), cond("deal", f["value"], ">", 1000)]),
         [d[2], d[3]]),
        (conditions([cond("deal", f["person_id"], "=", shop["persons"][1]["id"])]), [d[1]]),
        (conditions([cond("deal", f["org_id"], "IS NOT NULL")]), [d[2]]),
        (conditions([]), d),
    ]
    for body, wanted in cases:
        made = make(pd, "deals", body)
        assert ids(pd.get(f"/v1/deals?filter_id={made}&status=all_not_deleted")) == wanted, body
        assert ids(pd.get(f"/api/v2/deals?filter_id={made}")) == wanted, body


def test_nested_groups(pd: Pipedrive, shop: dict[str, Any]) -> None:
    f = field_ids(pd, "dealFields")
    d = [x["id"] for x in shop["deals"]]
    body = {"glue": "or", "conditions": [
        {"glue": "and", "conditions": [cond("deal", f["currency"], "=", "EUR")]},
        {"glue": "and", "conditions": [
            cond("deal", f["title"], "LIKE '%$%'", "stapler"),
            {"glue": "or", "conditions": [cond("deal", f["value"], "<", 10),
                                          cond("deal", f["value"], "=", 50)]}]}]}
    made = make(pd, "deals", body)
    assert ids(pd.get(f"/v1/deals?filter_id={made}")) == [d[0], d[1]]


def test_related_object_conditions(pd: Pipedrive, shop: dict[str, Any]) -> None:
    person, org = field_ids(pd, "personFields"), field_ids(pd, "organizationFields")
    d = [x["id"] for x in shop["deals"]]
    by_person = make(pd, "deals", conditions([cond("person", person["name"], "=", "Milton")]))
    assert ids(pd.get(f"/v1/deals?filter_id={by_person}")) == [d[0]]
    by_org = make(pd, "deals", conditions([cond("organization", org["name"], "=", "Acme")]))
    assert ids(pd.get(f"/v1/deals?filter_id={by_org}")) == [d[2]]
    nobody = make(pd, "deals", conditions([cond("person", person["name"], "=", "Bob")]))
    assert ids(pd.get(f"/v1/deals?filter_id={nobody}")) == []
    people = make(pd, "people", conditions([cond("organization", org["name"], "LIKE '$%'",
                                                 "Init")]))
    assert ids(pd.get(f"/v1/persons?filter_id={people}")) == [shop["persons"][0]["id"]]
    product = data(pd.post("/v1/products", json={"name": "Stapler"}), 201)
    data(pd.post(f"/api/v2/deals/{d[1]}/products", json={"product_id": product["id"],
                                                         "item_price": 5}), 201)
    products = field_ids(pd, "productFields")
    with_product = make(pd, "deals", conditions([cond("product", products["name"], "=",
                                                      "Stapler")]))
    assert ids(pd.get(f"/v1/deals?filter_id={with_product}")) == [d[1]]
    refused(pd.post("/v1/filters", json={"name": "x", "type": "org", "conditions": conditions(
        [cond("deal", field_ids(pd, "dealFields")["title"], "=", "x")])}))


def test_related_conditions_read_no_more_than_they_may_match(
        pd: Pipedrive, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A condition on related records gathers at most ``MAX_RELATED`` of them (reading
    one more to tell), and refuses a filter that matches more."""
    monkeypatch.setattr(savedfilters, "MAX_RELATED", 2)
    read: list[tuple[str, int]] = []
    real = Unit.list

    def spy(self: Unit, entity: str, query: Query, **kw: Any) -> Any:
        if isinstance(query.page, Keyset):
            read.append((entity, query.page.limit))
        return real(self, entity, query, **kw)
    monkeypatch.setattr(Unit, "list", spy)
    person = field_ids(pd, "personFields")
    d = [x["id"] for x in shop["deals"]]
    two = make(pd, "deals", conditions([cond("person", person["name"], "IS NOT NULL")]))
    assert ids(pd.get(f"/v1/deals?filter_id={two}")) == [d[0], d[1]]
    assert ("person", 2) in read and max(limit for entity, limit in read
                                         if entity == "person") <= 2
    data(pd.post("/v1/persons", json={"name": "Samir"}), 201)
    refused(pd.get(f"/v1/deals?filter_id={two}"), 400)


def test_nested_deal_lists_and_precedence(pd: Pipedrive, shop: dict[str, Any],
                                          tenant: Tenant) -> None:
    f = field_ids(pd, "dealFields")
    d = shop["deals"]
    cheap = make(pd, "deals", conditions([cond("deal", f["value"], "<", 1000)]))
    stage, pipeline = d[0]["stage_id"], d[0]["pipeline_id"]
    wanted = [d[0]["id"], d[1]["id"], d[3]["id"]]
    assert ids(pd.get(f"/v1/stages/{stage}/deals?filter_id={cheap}")) == wanted
    assert ids(pd.get(f"/v1/pipelines/{pipeline}/deals?filter_id={cheap}")) == wanted
    assert ids(pd.get(f"/v1/stages/{stage}/deals?filter_id={cheap}&user_id=999999")) == wanted
    # filter_id takes precedence over user_id and owned_by_you (as the spec says); other
    # parameters still narrow the list
    assert ids(pd.get(f"/v1/deals?filter_id={cheap}&user_id=999999")) == wanted
    assert ids(pd.get(f"/v1/deals?filter_id={cheap}&status=open")) == wanted[:2]
    other_user = data(pd.post("/v1/users", json={"email": "bob@acme.example"}))
    data(pd.put(f"/v1/deals/{d[0]['id']}", json={"user_id": other_user["id"]}))
    assert ids(pd.get(f"/v1/deals?filter_id={cheap}&owned_by_you=1")) == wanted
    assert ids(pd.get("/v1/deals?owned_by_you=1")) == [d[1]["id"], d[2]["id"], d[3]["id"]]
    # (without a filter, a stage's deals are the caller's open ones: not the won printer)
    assert ids(pd.get(f"/v1/stages/{stage}/deals")) == [d[1]["id"], d[2]["id"]]


def test_every_entity_list(pd: Pipedrive, shop: dict[str, Any]) -> None:
    person, org = field_ids(pd, "personFields"), field_ids(pd, "organizationFields")
    milton, peter = shop["persons"]
    only_milton = make(pd, "people", conditions([cond("person", person["name"], "=", "Milton")]))
    for url in ("/v1/persons", "/api/v2/persons"):
        assert ids(pd.get(f"{url}?filter_id={only_milton}")) == [milton["id"]]
    acme = make(pd, "org", conditions([cond("organization", org["name"], "LIKE '%$'", "cme")]))
    for url in ("/v1/organizations", "/api/v2/organizations"):
        assert ids(pd.get(f"{url}?filter_id={acme}")) == [shop["orgs"][0]["id"]]

    cheap_item = data(pd.post("/v1/products", json={"name": "Clip", "prices": [
        {"currency": "USD", "price": 1}]}), 201)
    data(pd.post("/v1/products", json={"name": "Desk"}), 201)
    product = field_ids(pd, "productFields")
    clips = make(pd, "products", conditions([cond("product", product["name"], "LIKE '$%'",
                                                  "cl")]))
    for url in ("/v1/products", "/api/v2/products"):
        assert ids(pd.get(f"{url}?filter_id={clips}")) == [cheap_item["id"]]

    call = data(pd.post("/v1/activities", json={"subject": "Call", "due_date": "2030-01-02",
                                               "person_id": milton["id"]}), 201)
    data(pd.post("/v1/activities", json={"subject": "Lunch", "due_date": "2030-03-01",
                                        "person_id": peter["id"]}), 201)
    activity = field_ids(pd, "activityFields")
    january = make(pd, "activity", conditions([cond("activity", activity["due_date"], "<",
                                                    "2030-02-01")]))
    for url in ("/v1/activities", "/api/v2/activities"):
        assert ids(pd.get(f"{url}?filter_id={january}")) == [call["id"]]
    of_milton = make(pd, "activity", conditions([cond("person", person["name"], "=", "Milton")]))
    assert ids(pd.get(f"/v1/activities?filter_id={of_milton}")) == [call["id"]]

    lead = data(pd.post("/v1/leads", json={"title": "Hot lead", "person_id": milton["id"]}), 201)
    data(pd.post("/v1/leads", json={"title": "Cold lead", "person_id": peter["id"]}), 201)
    lead_fields = field_ids(pd, "leadFields")
    hot = make(pd, "leads", conditions([cond("lead", lead_fields["title"], "LIKE '%$%'", "hot")]))
    assert [x["id"] for x in data(pd.get(f"/v1/leads?filter_id={hot}"))] == [lead["id"]]
    assert data(pd.get(f"/v1/leads/archived?filter_id={hot}")) == []
    # a filter of one type on another type's list
    refused(pd.get(f"/v1/deals?filter_id={hot}"))
    refused(pd.get(f"/api/v2/persons?filter_id={clips}"))


def test_custom_field_conditions(pd: Pipedrive) -> None:
    def new_field(name: str, field_type: str, options: list[str] | None = None
                  ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "field_type": field_type}
        if options:
            body["options"] = [{"label": o} for o in options]
        made: dict[str, Any] = data(pd.post("/v1/dealFields", json=body))
        return made

    size = new_field("Size", "enum", ["S", "M", "L"])
    tags = new_field("Tags", "set", ["a", "b", "c"])
    budget = new_field("Budget", "monetary")
    score = new_field("Score", "double")
    due = new_field("Due", "date")
    code = new_field("Code", "varchar")
    s, m, _ = (o["id"] for o in size["options"])
    a, b, c = (o["id"] for o in tags["options"])
    made = [data(pd.post("/v1/deals", json=body), 201)["id"] for body in (
        {"title": "one", size["key"]: s, tags["key"]: f"{a},{b}", budget["key"]: 10,
         f"{budget['key']}_currency": "EUR", score["key"]: 1.5, due["key"]: "2030-01-01",
         code["key"]: "AB-1"},
        {"title": "two", size["key"]: m, tags["key"]: f"{b}", budget["key"]: 100,
         f"{budget['key']}_currency": "USD", score["key"]: 7, due["key"]: "2030-06-01",
         code["key"]: "XY-2"},
        {"title": "three"},
    )]
    cases = [
        (cond("deal", size["id"], "=", str(s)), [made[0]]),
        (cond("deal", size["id"], "!=", s), [made[1], made[2]]),
        (cond("deal", size["id"], "IS NULL"), [made[2]]),
        (cond("deal", tags["id"], "=", b), [made[0], made[1]]),
        (cond("deal", tags["id"], "contains", str(a)), [made[0]]),
        (cond("deal", tags["id"], "not_contains", a), [made[1], made[2]]),
        (cond("deal", tags["id"], "=", c), []),
        (cond("deal", budget["id"], ">", 5), [made[0], made[1]]),
        (cond("deal", budget["id"], ">", 5, "usd"), [made[1]]),
        (cond("deal", score["id"], "<=", "1.5"), [made[0]]),
        (cond("deal", due["id"], ">", "2030-01-01"), [made[1]]),
        (cond("deal", due["id"], "=", "2030-01-01"), [made[0]]),
        (cond("deal", due["id"], "IS NOT NULL"), [made[0], made[1]]),
        (cond("deal", code["id"], "LIKE '$%'", "ab"), [made[0]]),
        (cond("deal", code["id"], "=", "XY-2"), [made[1]]),
    ]
    for leaf, wanted in cases:
        f = make(pd, "deals", conditions([leaf]))
        assert ids(pd.get(f"/v1/deals?filter_id={f}")) == wanted, leaf
        assert ids(pd.get(f"/api/v2/deals?filter_id={f}")) == wanted, leaf
    refused(pd.post("/v1/filters", json={"name": "x", "type": "deals", "conditions": conditions(
        [cond("deal", size["id"], "=", 999999)])}))  # not an option of the field
    refused(pd.post("/v1/filters", json={"name": "x", "type": "deals", "conditions": conditions(
        [cond("deal", budget["id"], "=", 1, "dollars")])}))

    # a field deleted since: a clear 400 when the filter is used
    by_code = make(pd, "deals", conditions([cond("deal", code["id"], "=", "AB-1")]))
    data(pd.delete(f"/v1/dealFields/{code['id']}"))
    error = refused(pd.get(f"/v1/deals?filter_id={by_code}"))
    assert "field_id" in error["error"]
    refused(pd.get(f"/api/v2/deals?filter_id={by_code}"))


class Pinned:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def test_relative_dates(pd: Pipedrive, tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    # Wednesday 2030-05-15, 12:00
    monkeypatch.setattr(tenant.records.service, "clock", Pinned(dt.datetime(2030, 5, 15, 12)))
    f = field_ids(pd, "dealFields")
    days = {"2030-05-14": None, "2030-05-15": None, "2030-05-16": None, "2030-05-13": None,
            "2030-05-19": None, "2030-05-20": None, "2030-04-30": None, "2030-06-01": None,
            "2030-03-31": None, "2030-07-01": None, "2029-12-31": None, "2031-01-01": None,
            "2030-05-09": None, "2030-04-15": None, "2030-05-22": None}
    for day in days:
        days[day] = data(pd.post("/v1/deals", json={"title": day, "expected_close_date": day}),
                         201)["id"]
    data(pd.post("/v1/deals", json={"title": "no date"}), 201)

    def matched(operator: str, value: str) -> list[str]:
        made = make(pd, "deals", conditions([cond("deal", f["expected_close_date"], operator,
                                                  value)]))
        got = data(pd.get(f"/v1/deals?filter_id={made}&limit=100")) or []
        return sorted(d["title"] for d in got)

    assert matched("=", "today") == ["2030-05-15"]
    assert matched("=", "yesterday") == ["2030-05-14"]
    assert matched("=", "tomorrow") == ["2030-05-16"]
    assert matched("=", "this_week") == ["2030-05-13", "2030-05-14", "2030-05-15", "2030-05-16",
                                         "2030-05-19"]
    assert matched("=", "next_week") == ["2030-05-20", "2030-05-22"]
    assert matched("=", "last_week") == ["2030-05-09"]
    assert matched("=", "last_month") == ["2030-04-15", "2030-04-30"]
    assert matched("=", "next_month") == ["2030-06-01"]
    assert matched("=", "this_quarter") == sorted(
        d for d in days if "2030-04-01" <= d <= "2030-06-30")
    assert matched("=", "last_quarter") == ["2030-03-31"]
    assert matched("=", "next_quarter") == ["2030-07-01"]
    assert matched("=", "last_year") == ["2029-12-31"]
    assert matched("=", "next_year") == ["2031-01-01"]
    assert matched("=", "this_year") == sorted(d for d in days if d.startswith("2030"))
    assert matched("=", "1_month_ago") == ["2030-04-15"]
    assert matched("=", "1_week_ago") == []
    assert matched("=", "in_1_week") == ["2030-05-22"]
    assert matched("=", "last_7_days") == ["2030-05-09", "2030-05-13", "2030-05-14",
                                           "2030-05-15"]
    assert matched("<", "today") == sorted(d for d in days if d < "2030-05-15")
    assert matched(">", "this_month") == ["2030-06-01", "2030-07-01", "2031-01-01"]
    assert matched("<=", "this_week") == sorted(d for d in days if d <= "2030-05-19")
    assert matched(">=", "tomorrow") == sorted(d for d in days if d >= "2030-05-16")
    assert "no date" in matched("!=", "today") and "2030-05-15" not in matched("!=", "today")
    assert matched("=", "before_today") == sorted(d for d in days if d < "2030-05-15")
    assert matched("=", "later_or_tomorrow") == sorted(d for d in days if d > "2030-05-15")

    # a date-time field: add_time, relative to the pinned clock
    made = make(pd, "deals", conditions([cond("deal", f["add_time"], "=", "today")]))
    assert len(data(pd.get(f"/v1/deals?filter_id={made}&limit=100"))) == len(days) + 1
    earlier = make(pd, "deals", conditions([cond("deal", f["add_time"], "<", "today")]))
    assert data(pd.get(f"/v1/deals?filter_id={earlier}")) in ([], None)
    # the same filter, another day
    monkeypatch.setattr(tenant.records.service, "clock", Pinned(dt.datetime(2030, 5, 16, 1)))
    assert len(data(pd.get(f"/v1/deals?filter_id={earlier}&limit=100"))) == len(days) + 1
    refused(pd.post("/v1/filters", json={"name": "x", "type": "deals", "conditions": conditions(
        [cond("deal", f["add_time"], ">", "later_or_today")])}))  # (it has no end)


# ---- bad input and isolation ------------------------------------------------------------

def _fields(pd: Pipedrive) -> dict[str, int]:
    return field_ids(pd, "dealFields")


BAD_CONDITIONS: list[Any] = [
    "not json {",
    "[1, 2]",
    [],
    42,
    None,
    {"glue": "xor", "conditions": []},
    {"glue": "and"},
    {"glue": "and", "conditions": {}},
    {"glue": "and", "conditions": [1]},
    {"glue": "and", "conditions": [], "extra": 1},
    {"glue": "and", "conditions": [{"glue": "and", "conditions": [{"glue": "and", "conditions": [
        {"glue": "and", "conditions": []}]}]}]},  # too deep
    "TITLE_TOO_MANY",
    "UNKNOWN_FIELD",
    "UNKNOWN_OBJECT",
    "MISSING_OPERATOR",
    "EXTRA_KEY",
    "LIKE_ON_NUMBER",
    "ORDER_ON_TEXT",
    "BAD_NUMBER",
    "BAD_DATE",
    "HOSTILE_FIELD_ID",
    "TEXT_WITH_NUL",
    "OBJECT_VALUE",
    "BOOL_FIELD_ID",
    "CUSTOM_ID_OF_NOTHING",
]


def _bad_body(name: Any, f: dict[str, int]) -> Any:
    title, value = f["title"], f["value"]
    leaf = {
        "TITLE_TOO_MANY": [cond("deal", title, "=", str(n)) for n in range(17)],
        "UNKNOWN_FIELD": [cond("deal", 9_999_999_999, "=", "x")],
        "UNKNOWN_OBJECT": [cond("project", title, "=", "x")],
        "MISSING_OPERATOR": [{"object": "deal", "field_id": str(title), "value": "x"}],
        "EXTRA_KEY": [{**cond("deal", title, "=", "x"), "sql": "1=1"}],
        "LIKE_ON_NUMBER": [cond("deal", value, "LIKE '%$%'", "1")],
        "ORDER_ON_TEXT": [cond("deal", title, "<", "x")],
        "BAD_NUMBER": [cond("deal", value, ">", "1e3; DROP TABLE deals")],
        "BAD_DATE": [cond("deal", f["expected_close_date"], "=", "2030-13-45")],
        "HOSTILE_FIELD_ID": [cond("deal", "1 OR 1=1", "=", "x")],  # type: ignore[arg-type]
        "TEXT_WITH_NUL": [cond("deal", title, "=", "a\x00b")],
        "OBJECT_VALUE": [cond("deal", value, "=", {"x": 1})],
        "BOOL_FIELD_ID": [{**cond("deal", title, "=", "x"), "field_id": True}],
        "CUSTOM_ID_OF_NOTHING": [cond("deal", 1, "=", "x")],
    }.get(name) if isinstance(name, str) else None
    return conditions(leaf) if leaf is not None else name


@pytest.mark.parametrize("bad", BAD_CONDITIONS, ids=[str(b)[:40] for b in BAD_CONDITIONS])
def test_bad_conditions_are_refused_and_nothing_is_stored(pd: Pipedrive, bad: Any) -> None:
    f = _fields(pd)
    body = _bad_body(bad, f)
    good = make(pd, "deals", conditions([cond("deal", f["title"], "=", "x")]))
    before = data(pd.get(f"/v1/filters/{good}"))
    refused(pd.post("/v1/filters", json={"name": "Bad", "type": "deals", "conditions": body}))
    refused(pd.put(f"/v1/filters/{good}", json={"name": "Bad", "conditions": body}))
    assert [x["id"] for x in data(pd.get("/v1/filters"))] == [good]
    assert data(pd.get(f"/v1/filters/{good}")) == before


@pytest.mark.parametrize("body", [
    {"name": "x", "type": "nope", "conditions": {"glue": "and", "conditions": []}},
    {"name": "x", "conditions": {"glue": "and", "conditions": []}},
    {"name": "", "type": "deals", "conditions": {"glue": "and", "conditions": []}},
    {"type": "deals", "conditions": {"glue": "and", "conditions": []}},
    {"name": "x", "type": "deals"},
    {"name": "x", "type": "deals", "conditions": {"glue": "and", "conditions": []},
     "unknown": 1},
    {"name": ["x"], "type": "deals", "conditions": {"glue": "and", "conditions": []}},
])
def test_bad_filter_bodies(pd: Pipedrive, body: dict[str, Any]) -> None:
    refused(pd.post("/v1/filters", json=body))
    assert data(pd.get("/v1/filters")) == []


def test_conditions_as_json_text(pd: Pipedrive) -> None:
    import json

    f = _fields(pd)
    body = conditions([cond("deal", f["title"], "=", "x")])
    made = data(pd.post("/v1/filters", json={"name": "x", "type": "deals",
                                             "conditions": json.dumps(body)}))
    assert made["conditions"] == body


@pytest.mark.parametrize("filter_id", ["abc", "1.5", "-1", "0", "1 OR 1=1", "①", "9" * 30])
def test_a_malformed_filter_id_is_refused(pd: Pipedrive, filter_id: str) -> None:
    for url in ("/v1/deals", "/api/v2/deals", "/v1/persons", "/v1/leads", "/api/v2/activities"):
        refused(pd.get(f"{url}?filter_id={filter_id}"))


def test_filters_of_another_company_and_deleted_ones(pd: Pipedrive, tenant: Tenant,
                                                     other: Tenant) -> None:
    f = _fields(pd)
    data(pd.post("/v1/deals", json={"title": "Mine"}), 201)
    data(other.api.post("/v1/deals", json={"title": "Theirs"}), 201)
    mine = make(pd, "deals", conditions([]))
    theirs = make(other.api, "deals", conditions([]))
    # a filter that keeps everything keeps the caller's records only
    assert [d["title"] for d in data(pd.get(f"/v1/deals?filter_id={mine}"))] == ["Mine"]
    assert [d["title"] for d in data(other.api.get(f"/v1/deals?filter_id={theirs}"))] == [
        "Theirs"]
    # another company's filter answers as one that never was
    never = refused(pd.get("/v1/deals?filter_id=999999999"), 404)
    assert refused(pd.get(f"/v1/deals?filter_id={theirs}"), 404) == never
    assert refused(pd.get(f"/api/v2/deals?filter_id={theirs}"), 404)["error"] == never["error"]
    for method in ("GET", "PUT", "DELETE"):
        assert refused(pd.request(method, f"/v1/filters/{theirs}", json={"name": "pwned"}),
                       404)["error"] == refused(pd.request(
                           method, "/v1/filters/999999999", json={"name": "pwned"}),
                           404)["error"]
    refused(pd.delete(f"/v1/filters?ids={theirs}"), 404)
    assert data(other.api.get(f"/v1/filters/{theirs}"))["name"] == "F"
    assert data(other.api.get(f"/v1/filters/{theirs}"))["active_flag"] is True
    assert [x["id"] for x in data(pd.get("/v1/filters"))] == [mine]
    # conditions cannot reach another company's records either
    their_person = data(other.api.post("/v1/persons", json={"name": "Theirs"}), 201)
    by_name = make(pd, "deals", conditions([cond("deal", f["person_id"], "=",
                                                 their_person["id"])]))
    assert data(pd.get(f"/v1/deals?filter_id={by_name}")) in ([], None)
    # a deleted filter
    data(pd.delete(f"/v1/filters/{mine}"))
    assert refused(pd.get(f"/v1/deals?filter_id={mine}"), 404) == never
