"""The information routes: the space root, entityPublic, errorCodes, getFields and the
server's time, URL and schema version."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import Tenant
from tests.pipeliner.conftest import Pipeliner
from tests.pipeliner.support import (
    COLLECTIONS,
    DATETIME,
    ENTITIES,
    NEVER_ID,
    UID,
    listing,
    ok,
    refused,
)

DESCRIPTOR_KEYS = {"API_NAME", "CALC_FORMULA", "CHOICES", "CUSTOM", "DEFAULT", "DESCRIPTION", "ID",
                   "MAX_VALUE", "MIN_VALUE", "NAME", "PL_TYPE", "READONLY", "REQUIRED", "TYPE"}


def test_space_root_lists_the_collections(pl: Pipeliner) -> None:
    names = ok(pl.get(""))  # no trailing slash
    assert isinstance(names, list) and all(isinstance(n, str) for n in names)
    assert set(names) == set(COLLECTIONS) | {"Data"}
    assert len(names) == len(set(names))
    for name in names:  # every listed collection answers a list
        response = pl.get(f"/{name}", params={"limit": 1})
        assert isinstance(ok(response), list), name
        assert response.headers["content-range"].startswith("items "), name


def test_entity_public_maps_collections_to_entities(pl: Pipeliner) -> None:
    mapping = ok(pl.get("/entityPublic"))
    assert mapping == ENTITIES
    assert set(mapping) == set(ok(pl.get("")))


def test_error_codes_cover_the_codes_the_server_answers(pl: Pipeliner) -> None:
    table = ok(pl.get("/errorCodes"))
    assert isinstance(table, dict) and table
    assert all(k.isdigit() and str(int(k)) == k for k in table), table
    assert all(isinstance(v, str) and v for v in table.values())
    account = pl.create("Accounts", {"ORGANIZATION": "a"})
    answers = [
        (pl.get("/Accounts", auth=False), 401),
        (pl.get("/Accounts", headers={"Authorization": "Basic eDp5"}), 401),
        (pl.get(f"/Accounts/{NEVER_ID}"), 404),
        (pl.get("/Nope"), 404),
        (pl.post("/Accounts", content=b"{"), 400),
        (pl.post("/Accounts", json={"NOPE": 1, "ORGANIZATION": "a"}), 400),
        (pl.post("/Accounts", json={"ORGANIZATION": 1}), 400),
        (pl.post("/Accounts", json={"CITY": "x"}), 400),
        (pl.post("/Opportunities", json={"OPPORTUNITY_NAME": "o", "IS_ARCHIVE": 1}), 400),
        (pl.post("/Contacts", json={"SURNAME": "s", "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": NEVER_ID}]}), 400),
        (pl.get("/Accounts", params={"limit": "x"}), 400),
        (pl.get("/Accounts", params={"filter": "NOPE::1"}), 400),
        (pl.get("/Accounts", params={"sort": "NOPE"}), 400),
        (pl.delete("/Accounts"), 405),
        (pl.post("/Accounts", json={"ID": account["ID"], "ORGANIZATION": "b"}, headers={}), 200),
        (pl.post("/Accounts", content=b" " * (1024 * 1024 + 1)), 413),
    ]
    ok(pl.delete(f"/Accounts/{account['ID']}"))
    answers.append((pl.post("/Accounts", json={"ID": account["ID"], "ORGANIZATION": "c"}), 409))
    seen = set()
    for response, status in answers:
        assert response.status_code == status, (status, response.status_code, response.text)
        if status >= 400:
            seen.add(refused(response, status)["errorcode"])
    assert {301, 401, 402, 403, 404, 405, 406, 410, 411, 412, 420, 421, 422, 430, 440} <= seen
    assert {str(code) for code in seen} <= set(table), seen - {int(k) for k in table}


def _fields(pl: Pipeliner, name: str, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = ok(pl.get(f"/getFields/{name}", params=params))
    return rows


@pytest.mark.parametrize("collection", [*COLLECTIONS, "Data"])
def test_get_fields_by_entity_or_collection(pl: Pipeliner, collection: str) -> None:
    rows = _fields(pl, collection)
    assert rows == _fields(pl, ENTITIES[collection]) == _fields(pl, collection.lower())
    assert rows, collection
    for row in rows:
        assert set(row) == DESCRIPTOR_KEYS, row
        assert isinstance(row["API_NAME"], str) and isinstance(row["NAME"], str)
        assert isinstance(row["PL_TYPE"], str) and isinstance(row["TYPE"], str)
        assert UID.fullmatch(row["ID"]), row
        assert row["CUSTOM"] is False
        assert isinstance(row["READONLY"], bool) and isinstance(row["REQUIRED"], bool)
        assert row["CHOICES"] is None and row["CALC_FORMULA"] is None
    api_names = [r["API_NAME"] for r in rows]
    assert len(set(api_names)) == len(api_names)
    assert len({r["ID"] for r in rows}) == len(rows)
    by_name = {r["API_NAME"]: r for r in rows}
    assert by_name["ID"]["READONLY"] is True
    if collection != "Data":
        for key in ("CREATED", "MODIFIED", "IS_DELETED"):
            assert by_name[key]["READONLY"] is True, key
        # the keys of an entity are exactly the fields
        entity = listing(pl, collection, limit=1)
        if entity:
            assert set(entity[0]) == set(api_names)
    refused(pl.get("/getFields/Nope"), 404, 421)


def test_get_fields_keys_match_the_entities(pl: Pipeliner) -> None:
    bodies = {"Accounts": {"ORGANIZATION": "a"}, "Contacts": {"SURNAME": "s"},
              "Opportunities": {"OPPORTUNITY_NAME": "o"}, "Leads": {"OPPORTUNITY_NAME": "l"},
              "Activities": {"SUBJECT": "a"}, "Tasks": {"SUBJECT": "t"},
              "Appointments": {"SUBJECT": "p", "START_DATE": "2030-01-01 10:00:00",
                               "END_DATE": "2030-01-01 11:00:00"},
              "Notes": {"NOTE": "n"}, "Products": {"NAME": "p"}}
    for collection, body in bodies.items():
        entity = pl.create(collection, body)
        rows = _fields(pl, collection)
        assert [r["API_NAME"] for r in rows] == list(entity), collection
        required = {r["API_NAME"] for r in rows if r["REQUIRED"]}
        assert set(body) <= required, (collection, required)  # what a create cannot do without
        refused(pl.post(f"/{collection}", json={}), 400, 404)
    types = {r["API_NAME"]: r["PL_TYPE"] for r in _fields(pl, "Opportunities")}
    assert types["ACCOUNT_RELATIONS"] == types["CONTACT_RELATIONS"] == "relations"
    assert types["STAGE"] == "relation" and types["ID"] == "id"
    assert types["CLOSING_DATE"] == "date" and types["CREATED"] == "datetime"
    assert types["IS_ARCHIVE"] == "checkbox"
    assert types["OPPORTUNITY_VALUE"] == "currency"
    contact = {r["API_NAME"]: r["PL_TYPE"] for r in _fields(pl, "Contacts")}
    assert contact["EMAIL1"] == "email" and contact["PHONE1"] == "phone"
    readonly = {r["API_NAME"] for r in _fields(pl, "Opportunities") if r["READONLY"]}
    assert {"ID", "CREATED", "MODIFIED", "IS_DELETED", "IS_ARCHIVE"} <= readonly


def test_custom_fields_in_get_fields(pl: Pipeliner, tenant: Tenant) -> None:
    def field(path: str, body: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = tenant.api.post(path, json=body).json()["data"]
        return data

    kind = field("/v1/dealFields", {"name": "Kind", "field_type": "enum",
                                    "options": [{"label": "A"}, {"label": "B"}]})
    code = field("/v1/dealFields", {"name": "Code", "field_type": "varchar"})
    score = field("/v1/dealFields", {"name": "Score", "field_type": "double"})
    size = field("/v1/organizationFields", {"name": "Size", "field_type": "enum",
                                            "options": [{"label": "S"}]})
    custom = _fields(pl, "Opportunities", filter="CUSTOM::1")
    assert [r["API_NAME"] for r in custom] == [kind["key"], code["key"], score["key"]]
    for spelling in ("CUSTOM::TRUE", "CUSTOM::true", "CUSTOM::1::eq", "CUSTOM::0::ne"):
        assert _fields(pl, "Opportunity", filter=spelling) == custom, spelling
    builtin = _fields(pl, "Opportunities", filter="CUSTOM::0")
    assert not {r["API_NAME"] for r in builtin} & {kind["key"], code["key"], score["key"]}
    assert len(builtin) + len(custom) == len(_fields(pl, "Opportunities"))
    rows = {r["API_NAME"]: r for r in custom}
    data = listing(pl, "Data", filter=f"ID_FIELD::{rows[kind['key']]['ID']}")
    assert rows[kind["key"]]["CHOICES"] == {d["ID"]: d["VALUE"] for d in data}
    assert list(rows[kind["key"]]["CHOICES"].values()) == ["A", "B"]
    assert rows[kind["key"]]["PL_TYPE"] == "dropdown"
    assert (rows[kind["key"]]["NAME"], rows[code["key"]]["NAME"]) == ("Kind", "Code")
    assert rows[code["key"]]["CHOICES"] is None and rows[code["key"]]["CUSTOM"] is True
    assert rows[score["key"]]["PL_TYPE"] == "float"
    assert [r["API_NAME"] for r in _fields(pl, "Account", filter="CUSTOM::TRUE")] == [size["key"]]
    assert _fields(pl, "Contacts", filter="CUSTOM::1") == []
    # further filters on descriptor rows
    assert [r["API_NAME"] for r in _fields(pl, "Accounts", filter="API_NAME::ORGANIZATION")] == [
        "ORGANIZATION"]
    assert [r["NAME"] for r in _fields(pl, "Opportunities", filter="NAME::k::ll|CUSTOM::1")] == ["Kind"]
    assert [r["API_NAME"] for r in _fields(pl, "Opportunities", filter="PL_TYPE::dropdown")] == [kind["key"]]
    for bad in ("NOPE::1", "CUSTOM::1::zz", "CUSTOM"):
        refused(pl.get("/getFields/Opportunities", params={"filter": bad}), 400, 411)


def test_server_time_url_and_version(pl: Pipeliner) -> None:
    response = pl.get("/serverAPIUtcDateTime")
    assert response.headers["content-type"].startswith("application/json")
    text = ok(response)
    assert isinstance(text, str) and DATETIME.fullmatch(text), text
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert abs((dt.datetime.fromisoformat(text) - now).total_seconds()) < 300
    url = ok(pl.get("/teamPipelineUrl"))
    assert url == "http://dealbase.test"  # the service URL: scheme and host, no trailing slash
    version = ok(pl.get("/teamPipelineVersion"))
    assert type(version) is int and version >= 9
