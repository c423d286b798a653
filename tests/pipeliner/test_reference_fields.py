"""Every field reference/pipeliner-api.md §5.2 lists for Accounts, Contacts, Leads,
Opportunities, Notes and Products exists on its collection: described by getFields,
written, read back, filtered where its type allows (``EMAILn``/``PHONEn`` and the relation
arrays included), and mapped onto the Pipedrive side per §8 (addresses, comments)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tenant
from tests.pipeliner.conftest import Pipeliner

# §5.2, per collection (PICTURE is a blob: kept as the text a client sends)
REFERENCE: dict[str, tuple[str, ...]] = {
    "Accounts": ("ID", "ORGANIZATION", "OWNER_ID", "SALES_UNIT_ID", "ACCOUNT_TYPE_ID",
                 "ACCOUNT_CLASS", "INDUSTRIES_ID", "PARENT_ACCOUNT_ID",
                 "PARENT_ACCOUNT_RELATION_TYPE_ID", "PARENT_ID",
                 *(f"EMAIL{i}" for i in range(1, 6)), *(f"PHONE{i}" for i in range(1, 6)),
                 "ADDRESS", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY", "HOME_PAGE",
                 "COMMENTS", "PICTURE", "ACCESS_LEVEL", "PUBLISH_STATE", "CREATED", "MODIFIED",
                 "IS_DELETED"),
    "Contacts": ("ID", "FIRST_NAME", "MIDDLE_NAME", "SURNAME", "TITLE", "SALUTATION", "GENDER",
                 "POSITION", "OWNER_ID", "SALES_UNIT_ID", "ACCOUNT_RELATIONS",
                 "QUICK_ACCOUNT_NAME", *(f"EMAIL{i}" for i in range(1, 6)),
                 *(f"PHONE{i}" for i in range(1, 6)), "ADDRESS", "CITY", "STATE_PROVINCE",
                 "ZIP_CODE", "COUNTRY", "COMMENTS", "PICTURE", "ACCESS_LEVEL", "PUBLISH_STATE",
                 "SALES_TEAM", "WATCHERS", "CREATED", "MODIFIED", "IS_DELETED"),
    "Leads": ("ID", "OPPORTUNITY_NAME", "OPPORTUNITY_DESCRIPTION", "OWNER_ID", "SALES_UNIT_ID",
              "ACCOUNT_RELATIONS", "CONTACT_RELATIONS", "QUICK_ACCOUNT_NAME",
              "QUICK_ACCOUNT_EMAIL", "QUICK_ACCOUNT_PHONE", "QUICK_CONTACT_NAME", "QUICK_EMAIL",
              "QUICK_PHONE", "RANKING", "IS_ARCHIVE", "LAST_MOVE_DATE", "ACCESS_LEVEL",
              "PUBLISH_STATE", "SALES_TEAM", "WATCHERS", "CREATED", "MODIFIED", "IS_DELETED"),
    "Opportunities": ("ID", "OPPORTUNITY_NAME", "OPPORTUNITY_DESCRIPTION", "STAGE",
                      "CLOSING_DATE", "OPPORTUNITY_VALUE", "OPPORTUNITY_VALUE_FOREGIN",
                      "OPPORTUNITY_VALUE_AUTO_CALCULATE", "CURRENCY_ID",
                      "CURRENCY_EXCHANGE_FIXED", "PRODUCT_PRICE_LIST_ID", "OWNER_ID",
                      "SALES_UNIT_ID", "ACCOUNT_RELATIONS", "CONTACT_RELATIONS",
                      "QUICK_ACCOUNT_NAME", "QUICK_ACCOUNT_EMAIL", "QUICK_ACCOUNT_PHONE",
                      "QUICK_CONTACT_NAME", "QUICK_EMAIL", "QUICK_PHONE", "RANKING",
                      "REASON_OF_CLOSE_ID", "REASON_OF_CLOSE_DESCRIPTION", "IS_ARCHIVE",
                      "LAST_MOVE_DATE", "ACCESS_LEVEL", "PUBLISH_STATE", "SALES_TEAM", "WATCHERS",
                      "CREATED", "MODIFIED", "IS_DELETED"),
    "Notes": ("ID", "NOTE", "OPPTY_ID", "ADDRESSBOOK_ID", "OWNER_ID"),
    "Products": ("ID", "NAME", "DESCRIPTION", "SKU", "UNIT_SYMBOL", "PRODUCT_CATEGORY_ID",
                 "CREATED", "MODIFIED", "IS_DELETED"),
}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text[:600]
    return response.json()


def listing(pl: Pipeliner, collection: str, **params: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(pl.get(f"/{collection}", params=params))
    return found


@pytest.mark.parametrize("collection", sorted(REFERENCE))
def test_every_reference_field_is_described_and_read(pl: Pipeliner, collection: str) -> None:
    described = {d["API_NAME"] for d in ok(pl.get(f"/getFields/{collection}"))}
    assert set(REFERENCE[collection]) <= described
    listed = listing(pl, collection, limit="1")
    if listed:
        assert set(REFERENCE[collection]) <= set(listed[0])


def test_account_fields_round_trip_and_filter(pl: Pipeliner, tenant: Tenant) -> None:
    parent = pl.create("Accounts", {"ORGANIZATION": "Initech Holdings"})
    made = pl.create("Accounts", {
        "ORGANIZATION": "Initech", "ACCOUNT_TYPE_ID": "customer", "ACCOUNT_CLASS": 2,
        "PARENT_ACCOUNT_ID": parent["ID"], "PARENT_ACCOUNT_RELATION_TYPE_ID": "subsidiary",
        "EMAIL1": "info@initech.example", "EMAIL2": "sales@initech.example",
        "PHONE1": "+1 555 0100", "ADDRESS": "4120 Freidrich Ln", "CITY": "Austin",
        "STATE_PROVINCE": "TX", "ZIP_CODE": "78744", "COUNTRY": "US",
        "COMMENTS": "Moved the TPS reports", "PICTURE": "data:image/png;base64,AA==",
        "ACCESS_LEVEL": 1, "PUBLISH_STATE": 0})
    got = ok(pl.get(f"/Accounts/{made['ID']}"))
    assert (got["EMAIL1"], got["EMAIL2"], got["EMAIL3"], got["PHONE1"]) == (
        "info@initech.example", "sales@initech.example", None, "+1 555 0100")
    assert (got["CITY"], got["ZIP_CODE"], got["COMMENTS"], got["PARENT_ACCOUNT_ID"],
            got["ACCOUNT_CLASS"], got["ACCESS_LEVEL"]) == (
        "Austin", "78744", "Moved the TPS reports", parent["ID"], 2, 1)
    ids = [a["ID"] for a in listing(pl, "Accounts", filter="EMAIL2::sales@initech.example")]
    assert ids == [made["ID"]]
    assert listing(pl, "Accounts", filter="EMAIL1::sales@initech.example") == []
    assert [a["ID"] for a in listing(pl, "Accounts", filter="EMAIL1::info@::ll")] == [made["ID"]]
    assert [a["ID"] for a in listing(pl, "Accounts", filter="CITY::Austin")] == [made["ID"]]
    assert [a["ID"] for a in listing(pl, "Accounts", filter="PHONE1::::ne")] == [made["ID"]]
    assert [a["ID"] for a in listing(pl, "Accounts",
                                     filter=f"PARENT_ACCOUNT_ID::{parent['ID']}")] == [made["ID"]]
    assert [a["ORGANIZATION"] for a in listing(pl, "Accounts", sort="-CITY")][0] == "Initech"
    # Pipedrive: the address is the organization's; contact points and comments are not shown
    org = next(o for o in tenant.api.get("/api/v2/organizations").json()["data"]
               if o["name"] == "Initech")
    assert org["address"]["value"] == "4120 Freidrich Ln"
    assert (org["address"]["locality"], org["address"]["postal_code"]) == ("Austin", "78744")
    assert "emails" not in org and "notes" not in org and "picture" not in org


def test_contact_fields_round_trip_filter_and_pipedrive(pl: Pipeliner, tenant: Tenant) -> None:
    account = pl.create("Accounts", {"ORGANIZATION": "Initrode"})
    other = pl.create("Accounts", {"ORGANIZATION": "Penetrode"})
    clients = ok(pl.get("/Clients"))
    me = clients[0]["ID"]
    made = pl.create("Contacts", {
        "SURNAME": "Bolton", "FIRST_NAME": "Michael", "TITLE": "Mr.", "SALUTATION": "Dear",
        "GENDER": 1, "QUICK_ACCOUNT_NAME": "Initrode",
        "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": account["ID"], "IS_PRIMARY": 1},
                              {"ACCOUNT_ID": other["ID"]}],
        "EMAIL1": "michael@initrode.example", "PHONE2": "555-0199",
        "ADDRESS": "1 Main St", "CITY": "Austin", "STATE_PROVINCE": "TX", "ZIP_CODE": "78701",
        "COUNTRY": "US", "COMMENTS": "Hates Michael Bolton", "SALES_TEAM": [me],
        "WATCHERS": [me]})
    got = ok(pl.get(f"/Contacts/{made['ID']}"))
    assert (got["TITLE"], got["SALUTATION"], got["GENDER"], got["QUICK_ACCOUNT_NAME"]) == (
        "Mr.", "Dear", 1, "Initrode")
    assert (got["CITY"], got["COUNTRY"], got["SALES_TEAM"], got["WATCHERS"]) == (
        "Austin", "US", [me], [me])
    assert got["PHONE1"] == "555-0199"  # positions close up: the first phone is PHONE1
    pl.create("Contacts", {"SURNAME": "Waddams",
                           "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": other["ID"]}]})
    by_primary = listing(pl, "Contacts", filter=f"ACCOUNT_RELATIONS::{account['ID']}")
    assert [c["SURNAME"] for c in by_primary] == ["Bolton"]
    by_either = listing(pl, "Contacts", filter=f"ACCOUNT_RELATIONS::{other['ID']}")
    assert sorted(c["SURNAME"] for c in by_either) == ["Bolton", "Waddams"]
    assert [c["SURNAME"] for c in listing(
        pl, "Contacts", filter=f"ACCOUNT_RELATIONS::{account['ID']}::ne")] == ["Waddams"]
    assert [c["SURNAME"] for c in listing(pl, "Contacts", filter=f"WATCHERS::{me}")] == ["Bolton"]
    assert [c["SURNAME"] for c in listing(pl, "Contacts", filter="CITY::Austin")] == ["Bolton"]
    assert [c["SURNAME"] for c in listing(
        pl, "Contacts", filter="EMAIL1::michael@initrode.example")] == ["Bolton"]
    for bad in ("ACCOUNT_RELATIONS::x::gt", "WATCHERS::abc", "EMAIL1::a::gtx",
                "SALES_TEAM::1::ll"):
        assert pl.get("/Contacts", params={"filter": bad}).status_code in (400, 412), bad
    # Pipedrive v2: the postal address; v1: its parts
    person = next(p for p in tenant.api.get("/api/v2/persons").json()["data"]
                  if p["name"] == "Michael Bolton")
    assert person["postal_address"]["value"] == "1 Main St"
    assert person["postal_address"]["locality"] == "Austin"
    assert person["notes"] == "Hates Michael Bolton" and "honorific" not in person
    v1 = tenant.api.get(f"/v1/persons/{person['id']}").json()["data"]
    assert (v1["postal_address"], v1["postal_address_postal_code"]) == ("1 Main St", "78701")
    changed = tenant.api.patch(f"/api/v2/persons/{person['id']}", json={
        "postal_address": {"value": "2 Side St", "locality": "Dallas"}}).json()["data"]
    assert changed["postal_address"]["locality"] == "Dallas"
    assert ok(pl.get(f"/Contacts/{made['ID']}"))["CITY"] == "Dallas"


def test_opportunity_and_lead_fields(pl: Pipeliner) -> None:
    stage = ok(pl.get("/Stages"))[0]["ID"]
    account = pl.create("Accounts", {"ORGANIZATION": "Chotchkie's"})
    clients = ok(pl.get("/Clients"))
    opp = pl.create("Opportunities", {
        "OPPORTUNITY_NAME": "Flair", "STAGE": stage, "OPPORTUNITY_VALUE_FOREGIN": 37.5,
        "OPPORTUNITY_VALUE_AUTO_CALCULATE": 1, "CURRENCY_EXCHANGE_FIXED": 0,
        "PRODUCT_PRICE_LIST_ID": "PL-1", "REASON_OF_CLOSE_ID": "R-1",
        "QUICK_ACCOUNT_NAME": "Chotchkie's", "QUICK_EMAIL": "stan@chotchkies.example",
        "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": account["ID"]}], "ACCESS_LEVEL": 2,
        "WATCHERS": [clients[0]["ID"]]})
    got = ok(pl.get(f"/Opportunities/{opp['ID']}"))
    assert (got["OPPORTUNITY_VALUE_FOREGIN"], got["OPPORTUNITY_VALUE_AUTO_CALCULATE"],
            got["CURRENCY_EXCHANGE_FIXED"], got["PRODUCT_PRICE_LIST_ID"],
            got["REASON_OF_CLOSE_ID"], got["QUICK_EMAIL"], got["ACCESS_LEVEL"]) == (
        37.5, 1, 0, "PL-1", "R-1", "stan@chotchkies.example", 2)
    assert [o["ID"] for o in listing(pl, "Opportunities",
                                     filter="QUICK_ACCOUNT_NAME::chotch::ll")] == [opp["ID"]]
    lead = pl.create("Leads", {"OPPORTUNITY_NAME": "Pieces of flair", "QUICK_PHONE": "555",
                               "LAST_MOVE_DATE": "2030-01-02 03:04:05"})
    got = ok(pl.get(f"/Leads/{lead['ID']}"))
    assert got["QUICK_PHONE"] == "555" and got["LAST_MOVE_DATE"].startswith("2030-01-02")
    assert [x["ID"] for x in listing(pl, "Leads", filter="QUICK_PHONE::555")] == [lead["ID"]]
    assert pl.post("/Leads", json={"OPPORTUNITY_NAME": "x", "SALES_TEAM": [0]}).status_code \
        in (400, 412, 422)
    assert pl.post("/Leads", json={"OPPORTUNITY_NAME": "x", "SALES_TEAM": "me"}).status_code \
        in (400, 412, 422)
