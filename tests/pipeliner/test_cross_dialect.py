"""One data model, two dialects: what is written through Pipeliner is read through
Pipedrive v1 and v2 (values, relations, custom fields, deletion), and back.

Ids: Pipeliner shows ``PY-7FFFFFFF-…`` ids for deals, persons, organizations, stages and
pipelines and the Pipedrive integer ids for Clients (users). The tests find a record's
other id by its name, as a client of the other dialect would.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import Pipedrive, Tenant
from tests.pipeliner.conftest import Pipeliner


def one(items: list[dict[str, Any]], key: str, value: Any) -> dict[str, Any]:
    found = [i for i in items if i[key] == value]
    assert len(found) == 1, (key, value, items)
    return found[0]


def pd_id(pd: Pipedrive, path: str, name: str) -> int:
    """The Pipedrive id of the live deal (title) / person / organization (name)."""
    key = "title" if path == "deals" else "name"
    items = pd.get(f"/api/v2/{path}?limit=500").json()["data"]
    return int(one(items, key, name)["id"])


def pl_uid(pl: Pipeliner, collection: str, key: str, value: str) -> str:
    response = pl.get(f"/{collection}", params={"filter": f"{key}::{value}|IS_DELETED::0", "limit": "-1"})
    assert response.status_code == 200, response.text
    return str(one(response.json(), key, value)["ID"])


def pl_get(pl: Pipeliner, collection: str, uid: str) -> dict[str, Any]:
    response = pl.get(f"/{collection}/{uid}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def stage_ids(pl: Pipeliner, pd: Pipedrive) -> dict[str, int]:
    """Pipeliner stage ID -> Pipedrive stage id, paired by (pipeline name, stage name)."""
    pipelines = {p["ID"]: p["NAME"] for p in pl.get("/Pipelines?limit=-1").json()}
    pd_pipelines = {p["id"]: p["name"] for p in pd.get("/v1/pipelines").json()["data"]}
    by_name = {(pd_pipelines[s["pipeline_id"]], s["name"]): s["id"]
               for s in pd.get("/v1/stages?limit=500").json()["data"]}
    return {s["ID"]: by_name[(pipelines[s["PIPELINE_ID"]], s["STAGE_NAME"])]
            for s in pl.get("/Stages?limit=-1").json()}


def pipeline_ids(pl: Pipeliner, pd: Pipedrive) -> dict[str, int]:
    by_name = {p["name"]: p["id"] for p in pd.get("/v1/pipelines").json()["data"]}
    return {p["ID"]: by_name[p["NAME"]] for p in pl.get("/Pipelines?limit=-1").json()}


class DealFields:
    """One deal custom field of each type, made through Pipedrive v1."""

    def __init__(self, pd: Pipedrive) -> None:
        def make(name: str, kind: str, **extra: Any) -> dict[str, Any]:
            response = pd.post("/v1/dealFields", json={"name": name, "field_type": kind, **extra})
            field: dict[str, Any] = response.json()["data"]
            return field

        self.text = make("Codename", "varchar")["key"]
        self.number = make("Score", "double")["key"]
        self.money = make("Budget", "monetary")["key"]
        enum = make("Channel", "enum", options=[{"label": "Web"}, {"label": "Partner"}])
        self.enum, self.enum_id = enum["key"], enum["id"]
        self.options = {o["label"]: o["id"] for o in enum["options"]}
        self.date = make("Renewal", "date")["key"]

    def data_ids(self, pl: Pipeliner) -> dict[str, str]:
        """Option label -> Pipeliner Data ID, from getFields' CHOICES."""
        fields = pl.get("/getFields/Opportunity", params={"filter": "CUSTOM::TRUE"}).json()
        choices = one(fields, "API_NAME", self.enum)["CHOICES"]
        return {label: data_id for data_id, label in choices.items()}


@pytest.fixture
def fields(tenant: Tenant) -> DealFields:
    return DealFields(tenant.api)


class Book:
    """An Account, two Contacts (one at the Account) and a second Account, via Pipeliner."""

    def __init__(self, pl: Pipeliner, owner: int) -> None:
        self.owner = owner  # the admin: Client ID == Pipedrive user id
        self.account = pl.create("Accounts", {"ORGANIZATION": "Initech", "CITY": "Austin",
                                              "ADDRESS": "4120 Freidrich Ln", "COUNTRY": "US",
                                              "HOME_PAGE": "https://initech.example"})
        self.other_account = pl.create("Accounts", {"ORGANIZATION": "Initrode"})
        self.peter = pl.create("Contacts", {
            "FIRST_NAME": "Peter", "SURNAME": "Gibbons", "POSITION": "Programmer",
            "EMAIL1": "peter@initech.example", "EMAIL2": "pg@home.example", "PHONE1": "+1 555 0100",
            "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": self.account["ID"], "IS_PRIMARY": 1}]})
        self.milton = pl.create("Contacts", {"FIRST_NAME": "Milton", "SURNAME": "Waddams",
                                             "EMAIL1": "milton@initech.example"})


@pytest.fixture
def book(pl: Pipeliner, tenant: Tenant) -> Book:
    return Book(pl, tenant.company.user_id)


def make_opportunity(pl: Pipeliner, book: Book, fields: DealFields, **extra: Any) -> dict[str, Any]:
    stages = pl.get("/Stages?limit=-1").json()
    body = {
        "OPPORTUNITY_NAME": "TPS reports", "OPPORTUNITY_VALUE": 1234.5, "CURRENCY_ID": "EUR",
        "STAGE": stages[1]["ID"], "CLOSING_DATE": "2027-03-31", "RANKING": 40, "OWNER_ID": book.owner,
        "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": book.other_account["ID"], "IS_PRIMARY": 0},
                              {"ACCOUNT_ID": book.account["ID"], "IS_PRIMARY": 1}],
        "CONTACT_RELATIONS": [{"CONTACT_ID": book.peter["ID"], "IS_PRIMARY": 1},
                              {"CONTACT_ID": book.milton["ID"]}],
        fields.text: "Swingline", fields.number: 2.5, fields.money: 99.9,
        f"{fields.money}_currency": "GBP", fields.enum: fields.data_ids(pl)["Partner"],
        fields.date: "2027-01-15", **extra,
    }
    return pl.create("Opportunities", body)


def later() -> None:
    """Timestamps have whole seconds: wait for the next one so MODIFIED can move."""
    time.sleep(1.05)


# ---- Pipeliner -> Pipedrive ------------------------------------------------------------------

def test_opportunity_from_pipeliner_is_the_same_deal_in_v1_and_v2(
        tenant: Tenant, pl: Pipeliner, book: Book, fields: DealFields) -> None:
    pd = tenant.api
    opp = make_opportunity(pl, book, fields)
    assert opp["ACCOUNT_RELATIONS"] == [{"ACCOUNT_ID": book.account["ID"], "IS_PRIMARY": 1},
                                        {"ACCOUNT_ID": book.other_account["ID"], "IS_PRIMARY": 0}]
    assert opp["CONTACT_RELATIONS"] == [{"CONTACT_ID": book.peter["ID"], "IS_PRIMARY": 1},
                                        {"CONTACT_ID": book.milton["ID"], "IS_PRIMARY": 0}]
    deal_id = pd_id(pd, "deals", "TPS reports")
    org_id, person_id = pd_id(pd, "organizations", "Initech"), pd_id(pd, "persons", "Peter Gibbons")
    stage_id, pipeline_id = stage_ids(pl, pd)[opp["STAGE"]], pipeline_ids(pl, pd)[opp["PIPELINE_ID"]]

    v1 = pd.get(f"/v1/deals/{deal_id}").json()["data"]
    assert (v1["title"], v1["value"], v1["currency"], v1["status"]) == ("TPS reports", 1234.5, "EUR", "open")
    assert (v1["stage_id"], v1["pipeline_id"]) == (stage_id, pipeline_id)
    assert (v1["org_id"]["value"], v1["org_id"]["name"]) == (org_id, "Initech")
    assert (v1["person_id"]["value"], v1["person_id"]["name"]) == (person_id, "Peter Gibbons")
    assert v1["user_id"]["value"] == v1["user_id"]["id"] == opp["OWNER_ID"] == tenant.company.user_id
    assert (v1["expected_close_date"], v1["probability"]) == ("2027-03-31", 40)
    assert (v1[fields.text], v1[fields.number], v1[fields.money], v1[f"{fields.money}_currency"],
            v1[fields.enum], v1[fields.date]) == (
        "Swingline", 2.5, 99.9, "GBP", str(fields.options["Partner"]), "2027-01-15")
    assert (v1["add_time"], v1["update_time"]) == (opp["CREATED"], opp["MODIFIED"])

    v2 = pd.get(f"/api/v2/deals/{deal_id}").json()["data"]
    assert (v2["title"], v2["value"], v2["currency"], v2["owner_id"]) == ("TPS reports", 1234.5, "EUR",
                                                                          book.owner)
    assert (v2["stage_id"], v2["pipeline_id"], v2["org_id"], v2["person_id"]) == (
        stage_id, pipeline_id, org_id, person_id)
    assert (v2["expected_close_date"], v2["probability"], v2["is_deleted"]) == ("2027-03-31", 40, False)
    assert v2["custom_fields"] == {
        fields.text: "Swingline", fields.number: 2.5, fields.money: {"value": 99.9, "currency": "GBP"},
        fields.enum: fields.options["Partner"], fields.date: "2027-01-15"}
    assert v2["update_time"] == opp["MODIFIED"].replace(" ", "T") + "Z"


def test_contact_and_account_from_pipeliner_in_v1_and_v2(tenant: Tenant, book: Book) -> None:
    pd = tenant.api
    org_id = pd_id(pd, "organizations", "Initech")
    org1 = pd.get(f"/v1/organizations/{org_id}").json()["data"]
    assert (org1["name"], org1["address"], org1["address_locality"], org1["address_country"]) == (
        "Initech", "4120 Freidrich Ln", "Austin", "US")
    assert org1["owner_id"]["value"] == book.account["OWNER_ID"] and org1["people_count"] == 1
    org2 = pd.get(f"/api/v2/organizations/{org_id}").json()["data"]
    assert org2["address"]["locality"] == "Austin" and org2["website"] == "https://initech.example"

    person_id = pd_id(pd, "persons", "Peter Gibbons")
    p1 = pd.get(f"/v1/persons/{person_id}").json()["data"]
    assert (p1["first_name"], p1["last_name"], p1["org_id"]["value"]) == ("Peter", "Gibbons", org_id)
    assert [(e["value"], e["primary"]) for e in p1["email"]] == [
        ("peter@initech.example", True), ("pg@home.example", False)]
    assert [p["value"] for p in p1["phone"]] == ["+1 555 0100"]
    p2 = pd.get(f"/api/v2/persons/{person_id}").json()["data"]
    assert (p2["name"], p2["org_id"], p2["owner_id"]) == ("Peter Gibbons", org_id, book.peter["OWNER_ID"])
    assert [e["value"] for e in p2["emails"]] == ["peter@initech.example", "pg@home.example"]
    milton = pd.get(f"/api/v2/persons/{pd_id(pd, 'persons', 'Milton Waddams')}").json()["data"]
    assert milton.get("org_id") is None


def test_clients_are_pipedrive_users(tenant: Tenant, pl: Pipeliner, book: Book) -> None:
    pd = tenant.api
    bill = pd.post("/v1/users", json={"name": "Bill Lumbergh", "email": "bill@initech.example"}).json()["data"]
    clients = pl.get("/Clients?limit=-1").json()
    users = pd.get("/v1/users").json()["data"]
    assert sorted(c["ID"] for c in clients) == sorted(u["id"] for u in users)
    client = one(clients, "ID", bill["id"])
    assert (client["FIRSTNAME"], client["LASTNAME"], client["EMAIL"]) == ("Bill", "Lumbergh",
                                                                           "bill@initech.example")
    stage = pl.get("/Stages").json()[0]["ID"]
    pl.create("Opportunities", {"OPPORTUNITY_NAME": "Saturday", "STAGE": stage, "OWNER_ID": bill["id"]})
    deal_id = pd_id(pd, "deals", "Saturday")
    assert pd.get(f"/v1/deals/{deal_id}").json()["data"]["user_id"]["id"] == bill["id"]
    assert pd.get(f"/api/v2/deals/{deal_id}").json()["data"]["owner_id"] == bill["id"]
    pd.put(f"/v1/organizations/{pd_id(pd, 'organizations', 'Initech')}", json={"owner_id": bill["id"]})
    assert pl_get(pl, "Accounts", book.account["ID"])["OWNER_ID"] == bill["id"]


def test_stages_and_pipelines_pair_by_id(tenant: Tenant, pl: Pipeliner) -> None:
    pd = tenant.api
    pipeline = pd.post("/v1/pipelines", json={"name": "Renewals"}).json()["data"]
    first = pd.post("/v1/stages", json={"name": "Due", "pipeline_id": pipeline["id"],
                                        "deal_probability": 30}).json()["data"]
    pd.post("/api/v2/stages", json={"name": "Signed", "pipeline_id": pipeline["id"]})
    renewals = one(pl.get("/Pipelines?limit=-1").json(), "NAME", "Renewals")
    stages = pl.get("/Stages", params={"filter": f"PIPELINE_ID::{renewals['ID']}", "sort": "SORT_ORDER"}).json()
    assert [(s["STAGE_NAME"], s["SORT_ORDER"]) for s in stages] == [("Due", 1), ("Signed", 2)]
    assert stages[0]["PERCENT"] == 30
    assert stage_ids(pl, pd)[stages[0]["ID"]] == first["id"]
    opp = pl.create("Opportunities", {"OPPORTUNITY_NAME": "Renew", "STAGE": stages[1]["ID"]})
    assert opp["PIPELINE_ID"] == renewals["ID"]
    deal = pd.get(f"/api/v2/deals/{pd_id(pd, 'deals', 'Renew')}").json()["data"]
    assert (deal["pipeline_id"], deal["stage_id"]) == (pipeline["id"], stage_ids(pl, pd)[stages[1]["ID"]])
    pd.patch(f"/api/v2/deals/{deal['id']}", json={"stage_id": first["id"]})
    assert pl_get(pl, "Opportunities", opp["ID"])["STAGE"] == stages[0]["ID"]


# ---- Pipedrive -> Pipeliner ------------------------------------------------------------------

def test_deal_from_pipedrive_v1_in_pipeliner(tenant: Tenant, pl: Pipeliner, book: Book,
                                             fields: DealFields) -> None:
    pd = tenant.api
    stage = pd.get("/v1/stages").json()["data"][2]
    org_id, person_id = pd_id(pd, "organizations", "Initrode"), pd_id(pd, "persons", "Milton Waddams")
    created = pd.post("/v1/deals", json={
        "title": "Red stapler", "value": "77.25", "currency": "USD", "stage_id": stage["id"],
        "org_id": org_id, "person_id": person_id, "user_id": book.owner, "expected_close_date": "2026-12-24",
        "probability": 15, fields.text: "basement", fields.number: "-3.5", fields.money: "10",
        f"{fields.money}_currency": "EUR", fields.enum: str(fields.options["Web"]),
        fields.date: "2026-06-01"}).json()["data"]
    uid = pl_uid(pl, "Opportunities", "OPPORTUNITY_NAME", "Red stapler")
    opp = pl_get(pl, "Opportunities", uid)
    stage_uid = {v: k for k, v in stage_ids(pl, pd).items()}[stage["id"]]
    pipeline_uid = {v: k for k, v in pipeline_ids(pl, pd).items()}[stage["pipeline_id"]]
    assert (opp["OPPORTUNITY_NAME"], opp["OPPORTUNITY_VALUE"], opp["CURRENCY_ID"]) == (
        "Red stapler", 77.25, "USD")
    assert (opp["STAGE"], opp["PIPELINE_ID"]) == (stage_uid, pipeline_uid)
    assert (opp["OWNER_ID"], opp["CLOSING_DATE"], opp["RANKING"], opp["STATUS"]) == (
        book.owner, "2026-12-24", 15, "open")
    assert opp["ACCOUNT_RELATIONS"] == [{"ACCOUNT_ID": book.other_account["ID"], "IS_PRIMARY": 1}]
    assert opp["CONTACT_RELATIONS"] == [{"CONTACT_ID": book.milton["ID"], "IS_PRIMARY": 1}]
    assert (opp[fields.text], opp[fields.number], opp[fields.money], opp[f"{fields.money}_currency"],
            opp[fields.enum], opp[fields.date]) == (
        "basement", -3.5, 10, "EUR", fields.data_ids(pl)["Web"], "2026-06-01")
    assert (opp["CREATED"], opp["MODIFIED"], opp["IS_DELETED"]) == (
        created["add_time"], created["update_time"], 0)


def test_deal_person_and_organization_from_pipedrive_v2_in_pipeliner(
        tenant: Tenant, pl: Pipeliner, fields: DealFields) -> None:
    pd = tenant.api
    tier = pd.post("/api/v2/organizationFields", json={"field_name": "Tier", "field_type": "double"}
                   ).json()["data"]["field_code"]
    org = pd.post("/api/v2/organizations", json={"name": "Chotchkie's", "custom_fields": {tier: 3},
                                                 "address": {"value": "1 Flair Rd", "locality": "Austin"}}
                  ).json()["data"]
    person = pd.post("/api/v2/persons", json={
        "name": "Joanna Flair", "org_id": org["id"],
        "emails": [{"value": "jo@chotchkies.example", "primary": True, "label": "work"},
                   {"value": "jo@home.example", "primary": False, "label": "home"}],
        "phones": [{"value": "+1 555 0199", "primary": True, "label": "work"}]}).json()["data"]
    deal = pd.post("/api/v2/deals", json={
        "title": "Flair", "value": 37, "currency": "USD", "org_id": org["id"], "person_id": person["id"],
        "owner_id": tenant.company.user_id, "probability": 90, "expected_close_date": "2026-09-30",
        "custom_fields": {fields.text: "pieces", fields.money: {"value": 15, "currency": "USD"},
                          fields.enum: fields.options["Partner"], fields.date: "2026-10-01"}}).json()["data"]

    account = pl_get(pl, "Accounts", pl_uid(pl, "Accounts", "ORGANIZATION", "Chotchkie's"))
    assert (account[tier], account["ADDRESS"], account["CITY"], account["OWNER_ID"]) == (
        3, "1 Flair Rd", "Austin", tenant.company.user_id)
    contact = one(pl.get("/Contacts?limit=-1").json(), "EMAIL1", "jo@chotchkies.example")
    assert (contact["EMAIL1"], contact["EMAIL2"], contact["EMAIL3"]) == ("jo@chotchkies.example",
                                                                         "jo@home.example", None)
    assert contact["PHONE1"] == "+1 555 0199"
    assert contact["ACCOUNT_RELATIONS"] == [{"ACCOUNT_ID": account["ID"], "IS_PRIMARY": 1}]
    opp = pl_get(pl, "Opportunities", pl_uid(pl, "Opportunities", "OPPORTUNITY_NAME", "Flair"))
    assert (opp["OPPORTUNITY_VALUE"], opp["CURRENCY_ID"], opp["RANKING"], opp["CLOSING_DATE"]) == (
        37, "USD", 90, "2026-09-30")
    assert opp["STAGE"] in stage_ids(pl, pd) and stage_ids(pl, pd)[opp["STAGE"]] == deal["stage_id"]
    assert opp["ACCOUNT_RELATIONS"] == [{"ACCOUNT_ID": account["ID"], "IS_PRIMARY": 1}]
    assert opp["CONTACT_RELATIONS"] == [{"CONTACT_ID": contact["ID"], "IS_PRIMARY": 1}]
    assert (opp[fields.text], opp[fields.number], opp[fields.money], opp[f"{fields.money}_currency"],
            opp[fields.enum], opp[fields.date]) == (
        "pieces", None, 15, "USD", fields.data_ids(pl)["Partner"], "2026-10-01")
    # a person made with a name only is still a named Contact (SURNAME is required there)
    assert person["name"] == "Joanna Flair"
    assert (contact["FIRST_NAME"], contact["SURNAME"]) == ("Joanna", "Flair")


# ---- updates, both ways ----------------------------------------------------------------------

def test_update_through_pipeliner_is_seen_by_pipedrive(tenant: Tenant, pl: Pipeliner, book: Book,
                                                       fields: DealFields) -> None:
    pd = tenant.api
    opp = make_opportunity(pl, book, fields)
    deal_id = pd_id(pd, "deals", "TPS reports")
    before = pd.get(f"/v1/deals/{deal_id}").json()["data"]
    later()
    stages = pl.get("/Stages?limit=-1").json()
    changed = pl.patch(f"/Opportunities/{opp['ID']}", json={
        "OPPORTUNITY_VALUE": 2000, "STAGE": stages[3]["ID"], fields.text: "Cover sheet",
        fields.enum: fields.data_ids(pl)["Web"], fields.number: None,
        "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": book.other_account["ID"], "IS_PRIMARY": 1}]})
    assert changed.status_code == 200, changed.text
    modified = changed.json()["MODIFIED"]
    assert modified > opp["MODIFIED"]
    v1 = pd.get(f"/v1/deals/{deal_id}").json()["data"]
    assert (v1["value"], v1["stage_id"], v1[fields.text], v1[fields.enum], v1[fields.number]) == (
        2000, stage_ids(pl, pd)[stages[3]["ID"]], "Cover sheet", str(fields.options["Web"]), None)
    assert v1["org_id"]["value"] == pd_id(pd, "organizations", "Initrode")
    assert v1["person_id"]["value"] == before["person_id"]["value"]  # untouched keys stay
    assert v1[fields.money] == 99.9 and v1["update_time"] == modified > before["update_time"]
    v2 = pd.get(f"/api/v2/deals/{deal_id}").json()["data"]
    assert v2["update_time"] == modified.replace(" ", "T") + "Z"
    assert v2["custom_fields"][fields.enum] == fields.options["Web"]
    assert v2["custom_fields"].get(fields.number) is None

    batch = pl.post("/setEntities?entityName=Opportunity", json=[{"ID": opp["ID"], "RANKING": 55,
                                                                  "STATUS": "won"}])
    assert batch.json() == [opp["ID"]]
    won = pd.get(f"/api/v2/deals/{deal_id}").json()["data"]
    assert (won["probability"], won["status"]) == (55, "won") and won["won_time"] is not None

    later()
    pl.put(f"/Contacts/{book.peter['ID']}", json={"EMAIL1": "peter@chotchkies.example", "EMAIL2": None})
    person = pd.get(f"/api/v2/persons/{pd_id(pd, 'persons', 'Peter Gibbons')}").json()["data"]
    assert [e["value"] for e in person["emails"]] == ["peter@chotchkies.example"]
    assert person["update_time"] > v2["update_time"]


def test_update_through_pipedrive_is_seen_by_pipeliner(tenant: Tenant, pl: Pipeliner, book: Book,
                                                       fields: DealFields) -> None:
    pd = tenant.api
    opp = make_opportunity(pl, book, fields)
    deal_id = pd_id(pd, "deals", "TPS reports")
    later()
    pd.patch(f"/api/v2/deals/{deal_id}", json={
        "title": "TPS reports v2", "value": 10, "probability": 75,
        "custom_fields": {fields.money: {"value": 5, "currency": "EUR"}, fields.date: None}})
    back = pl_get(pl, "Opportunities", opp["ID"])
    assert (back["OPPORTUNITY_NAME"], back["OPPORTUNITY_VALUE"], back["RANKING"]) == ("TPS reports v2", 10, 75)
    assert (back[fields.money], back[f"{fields.money}_currency"], back[fields.date]) == (5, "EUR", None)
    assert (back[fields.text], back[fields.enum]) == (opp[fields.text], opp[fields.enum])  # kept
    assert back["ACCOUNT_RELATIONS"] == opp["ACCOUNT_RELATIONS"]  # the further items survive
    assert back["CONTACT_RELATIONS"] == opp["CONTACT_RELATIONS"]
    assert back["MODIFIED"] > opp["MODIFIED"]
    assert back["MODIFIED"] == pd.get(f"/v1/deals/{deal_id}").json()["data"]["update_time"]
    pd.put(f"/v1/deals/{deal_id}", json={"status": "lost", "lost_reason": "price"})
    lost = pl_get(pl, "Opportunities", opp["ID"])
    assert (lost["STATUS"], lost["REASON_OF_CLOSE_DESCRIPTION"]) == ("lost", "price")

    later()
    renamed = pd.put(f"/v1/persons/{pd_id(pd, 'persons', 'Milton Waddams')}", json={"name": "Milton W."})
    milton = pl_get(pl, "Contacts", book.milton["ID"])
    assert milton["MODIFIED"] > book.milton["MODIFIED"]
    assert milton["MODIFIED"] == renamed.json()["data"]["update_time"]
    assert renamed.json()["data"]["name"] == "Milton W."
    assert (milton["FIRST_NAME"], milton["SURNAME"]) == ("Milton", "W.")  # the new name


def test_changing_the_primary_through_pipedrive_keeps_the_relations_a_set(
        tenant: Tenant, pl: Pipeliner, book: Book, fields: DealFields) -> None:
    """Making a further contact/account the deal's person/org must not list it twice."""
    pd = tenant.api
    opp = make_opportunity(pl, book, fields)
    deal_id = pd_id(pd, "deals", "TPS reports")
    pd.put(f"/v1/deals/{deal_id}", json={"person_id": pd_id(pd, "persons", "Milton Waddams"),
                                         "org_id": pd_id(pd, "organizations", "Initrode")})
    back = pl_get(pl, "Opportunities", opp["ID"])
    contacts = [c["CONTACT_ID"] for c in back["CONTACT_RELATIONS"]]
    accounts = [a["ACCOUNT_ID"] for a in back["ACCOUNT_RELATIONS"]]
    assert back["CONTACT_RELATIONS"][0] == {"CONTACT_ID": book.milton["ID"], "IS_PRIMARY": 1}
    assert back["ACCOUNT_RELATIONS"][0] == {"ACCOUNT_ID": book.other_account["ID"], "IS_PRIMARY": 1}
    twice = sorted({i for i in contacts + accounts if (contacts + accounts).count(i) > 1})
    assert twice == [], (back["CONTACT_RELATIONS"], back["ACCOUNT_RELATIONS"])


# ---- deletion, both ways ---------------------------------------------------------------------

def test_delete_through_pipeliner_is_deleted_in_pipedrive(tenant: Tenant, pl: Pipeliner, book: Book,
                                                          fields: DealFields) -> None:
    pd = tenant.api
    opp = make_opportunity(pl, book, fields)
    deal_id = pd_id(pd, "deals", "TPS reports")
    person_id = pd_id(pd, "persons", "Milton Waddams")
    assert pl.delete(f"/Opportunities/{opp['ID']}").json()["IS_DELETED"] == 1
    deleted = pl.post("/deleteEntities?entityName=Contact", json=[book.milton["ID"]])
    assert deleted.json() == [book.milton["ID"]]
    v1 = pd.get(f"/v1/deals/{deal_id}").json()["data"]
    assert (v1["status"], v1["deleted"], v1["active"]) == ("deleted", True, False)
    assert pd.get(f"/api/v2/deals/{deal_id}").json()["data"]["is_deleted"] is True
    assert deal_id not in [d["id"] for d in pd.get("/api/v2/deals").json()["data"]]
    assert deal_id in [d["id"] for d in pd.get("/v1/deals?status=deleted").json()["data"]]
    assert pd.get(f"/v1/persons/{person_id}").json()["data"]["active_flag"] is False
    assert pd.get(f"/api/v2/persons/{person_id}").json()["data"]["is_deleted"] is True


def test_delete_through_pipedrive_is_deleted_in_pipeliner(tenant: Tenant, pl: Pipeliner, book: Book,
                                                          fields: DealFields) -> None:
    pd = tenant.api
    opp = make_opportunity(pl, book, fields)
    assert pd.delete(f"/v1/deals/{pd_id(pd, 'deals', 'TPS reports')}").status_code == 200
    assert pd.delete(f"/api/v2/organizations/{pd_id(pd, 'organizations', 'Initrode')}").status_code == 200
    assert pl_get(pl, "Opportunities", opp["ID"])["IS_DELETED"] == 1
    assert pl_get(pl, "Accounts", book.other_account["ID"])["IS_DELETED"] == 1
    assert pl.get("/Opportunities").json() == []
    assert [a["ORGANIZATION"] for a in pl.get("/Accounts").json()] == ["Initech"]
    gone = pl.get("/Accounts", params={"filter": "IS_DELETED::1"}).json()
    assert [a["ID"] for a in gone] == [book.other_account["ID"]]
    assert pl.patch(f"/Opportunities/{opp['ID']}", json={"RANKING": 1}).status_code == 404


def test_custom_field_descriptors_match_pipedrive(tenant: Tenant, pl: Pipeliner, fields: DealFields) -> None:
    descriptors = pl.get("/getFields/Opportunity").json()
    custom = {d["API_NAME"]: d for d in descriptors if d["CUSTOM"]}
    names = {f["key"]: f["name"] for f in tenant.api.get("/v1/dealFields?limit=500").json()["data"]
             if f["edit_flag"]}
    assert {k: custom[k]["NAME"] for k in names} == names
    assert [custom[k]["PL_TYPE"] for k in (fields.money, fields.enum, fields.date)] == [
        "currency", "dropdown", "date"]
    data = pl.get("/Data", params={"filter": f"ID_FIELD::{custom[fields.enum]['ID']}"}).json()
    assert {d["ID"]: d["VALUE"] for d in data} == custom[fields.enum]["CHOICES"]
    assert sorted(custom[fields.enum]["CHOICES"].values()) == sorted(fields.options)
    ids = [d["ID"] for d in descriptors]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []  # every field its own ID


# ---- leads, notes, activities and products ---------------------------------------------------

def test_lead_note_activity_and_product_from_pipedrive_in_pipeliner(tenant: Tenant,
                                                                    pl: Pipeliner) -> None:
    pd = tenant.api
    person = pd.post("/v1/persons", json={"name": "Samir Nagheenanajar"}).json()["data"]
    lead = pd.post("/v1/leads", json={"title": "Printer deal", "person_id": person["id"],
                                      "value": {"amount": 40, "currency": "EUR"}}).json()["data"]
    uid = "PY-7FFFFFFF-" + lead["id"].upper()
    seen = pl_get(pl, "Leads", uid)
    assert (seen["OPPORTUNITY_NAME"], seen["OPPORTUNITY_VALUE"], seen["CURRENCY_ID"]) == (
        "Printer deal", 40, "EUR")
    assert [c["IS_PRIMARY"] for c in seen["CONTACT_RELATIONS"]] == [1]
    note = pd.post("/v1/notes", json={"content": "PC load letter", "lead_id": lead["id"]}
                   ).json()["data"]
    task = pd.post("/api/v2/activities", json={"subject": "Fix it", "type": "task",
                                               "lead_id": lead["id"], "due_date": "2030-01-02"}
                   ).json()["data"]
    pl_note = one(pl.get("/Notes?limit=-1").json(), "NOTE", "PC load letter")
    assert pl_note["OPPTY_ID"] == uid and note["lead_id"] == lead["id"]
    pl_task = one(pl.get("/Tasks?limit=-1").json(), "SUBJECT", "Fix it")
    assert pl_task["OPPTY_ID"] == uid and pl_task["DUE_DATE"].startswith("2030-01-02")
    assert task["lead_id"] == lead["id"]
    pd.post("/api/v2/products", json={"name": "TPS cover sheet", "code": "TPS-1",
                                      "unit": "pad"})
    product = one(pl.get("/Products?limit=-1").json(), "NAME", "TPS cover sheet")
    assert (product["SKU"], product["UNIT_SYMBOL"]) == ("TPS-1", "pad")


def test_lead_note_and_product_from_pipeliner_in_pipedrive(tenant: Tenant, pl: Pipeliner) -> None:
    pd = tenant.api
    made = pl.post("/Leads", json={"OPPORTUNITY_NAME": "Fax machine", "OPPORTUNITY_VALUE": 9,
                                   "CURRENCY_ID": "USD"})
    assert made.status_code in (200, 201), made.text
    uid = str(made.json()["ID"])
    lead_id = uid.removeprefix("PY-7FFFFFFF-").lower()
    lead = pd.get(f"/v1/leads/{lead_id}").json()["data"]
    assert (lead["title"], lead["value"], lead["source_name"]) == (
        "Fax machine", {"amount": 9, "currency": "USD"}, "API")
    note = pl.post("/Notes", json={"NOTE": "Smash it", "OPPTY_ID": uid})
    assert note.status_code in (200, 201), note.text
    (seen,) = [n for n in pd.get("/v1/notes").json()["data"] if n["content"] == "Smash it"]
    assert seen["lead_id"] == lead_id
    product = pl.post("/Products", json={"NAME": "Stapler", "SKU": "S-1"})
    assert product.status_code in (200, 201), product.text
    (item,) = [p for p in pd.get("/api/v2/products").json()["data"] if p["name"] == "Stapler"]
    assert item["code"] == "S-1"
    assert pd.delete(f"/v1/leads/{lead_id}").status_code == 200
    assert pl_get(pl, "Leads", uid)["IS_DELETED"] == 1
