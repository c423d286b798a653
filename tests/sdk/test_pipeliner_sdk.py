"""The ``pipeliner_api`` SDK against the real server over real HTTP (uvicorn on a local port).

Every test gets a fresh space (``space`` fixture); what a test writes is read back
through the SDK rather than trusted from status codes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import http.server
import json
import re
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

import pipeliner_api
from dealbase.api.app import service_of
from pipeliner_api import HTTPErrorException, PipelinerRestApi, new_id
from tests.conftest import calls
from tests.sdk.conftest import Space

UID = re.compile(r"PY-7FFFFFFF-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")
TRICKY = ["a|b", "x:y", "x::y::in", "back\\slash", "trail\\", "a\\|b\\:c", "50% & co=1+1#?", "Zürich ☃"]


def accounts(space: Space, *names: str) -> list[str]:
    ids = space.api.setEntities(space.id, "Account", [{"ORGANIZATION": n} for n in names])
    assert all(isinstance(i, str) and UID.fullmatch(i) for i in ids), ids
    return ids


def names(space: Space, query: Any = None, collection: str = "Accounts") -> list[str]:
    return [e["ORGANIZATION"] for e in space.api.getEntities(space.id, collection, query)]


def raises(call: Any, *args: Any) -> HTTPErrorException:
    with pytest.raises(HTTPErrorException) as caught:
        call(*args)
    return caught.value


# ---- information ---------------------------------------------------------------------------

def test_collections_and_entity_public(space: Space) -> None:
    collections = space.api.getCollections(space.id)
    assert {"Accounts", "Contacts", "Opportunities", "Leads", "Clients", "SalesUnits", "Stages",
            "Pipelines", "Activities", "Tasks", "Appointments", "Notes", "Products", "Data"} <= set(collections)
    public = space.api.getEntityPublic(space.id)
    assert set(public) == set(collections)
    assert public["Opportunities"] == "Opportunity" and public["Accounts"] == "Account"


def test_error_codes_have_integer_keys(space: Space) -> None:
    codes = space.api.getErrorCodes(space.id)
    assert all(isinstance(k, int) and isinstance(v, str) for k, v in codes.items())
    assert {301, 402, 411, 420, 421} <= set(codes)
    assert "Authentication" in codes[301]


def test_get_fields_and_filters(space: Space) -> None:
    fields = space.api.getFields(space.id, "Accounts")
    assert {"ID", "ORGANIZATION", "OWNER_ID", "CREATED"} <= {f["API_NAME"] for f in fields}
    required_fields = space.api.getFields(space.id, "Accounts", {"filter": {"REQUIRED": True}})
    required = [f["API_NAME"] for f in required_fields]
    assert required == ["ORGANIZATION"]
    assert [f["API_NAME"] for f in space.api.getFields(space.id, "Account", "filter=REQUIRED::1")] == required
    assert space.api.getFields(space.id, "Accounts", {"filter": {"CUSTOM": True}}) == []
    assert len(space.api.getFields(space.id, "Accounts", {"filter": {"CUSTOM": False}})) == len(fields)


def test_get_fields_custom_filter_and_custom_values(app: Any, space: Space) -> None:
    ctx = service_of(app).admin(space.company.company_id, space.company.user_id)
    key = calls(app).create_field(ctx, "person", "Shoe size", "varchar").key
    custom = space.api.getFields(space.id, "Contacts", {"filter": {"CUSTOM": True}})
    assert [(f["API_NAME"], f["NAME"], f["CUSTOM"]) for f in custom] == [(key, "Shoe size", True)]
    for raw in ("filter=CUSTOM::1", "filter=CUSTOM::true", "filter=CUSTOM::TRUE"):
        assert space.api.getFields(space.id, "Contacts", raw) == custom
    system = space.api.getFields(space.id, "Contacts", {"filter": {"CUSTOM": False}})
    assert system and key not in {f["API_NAME"] for f in system}
    contact = space.api.setEntity(space.id, "Contacts", {"SURNAME": "Foot", key: "44|45"})
    assert space.api.getEntity(space.id, "Contacts", contact)[key] == "44|45"
    found = space.api.getEntities(space.id, "Contacts", {"filter": {key: "44|45"}})
    assert [c["ID"] for c in found] == [contact]


def test_server_time_is_a_string_and_team_pipeline_url(space: Space) -> None:
    text = space.api.getServerAPIUtcDateTime(space.id)  # seed 001: "UTC date as string"
    assert isinstance(text, str) and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", text)
    moment = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    assert abs(moment - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=60)
    assert space.api.getTeamPipelineUrl(space.id) == space.url


# ---- single entities ---------------------------------------------------------------------

def test_set_entity_creates_and_reads_back(space: Space) -> None:
    account = space.api.setEntity(space.id, "Accounts", {"ORGANIZATION": "Initech", "CITY": "Austin"})
    assert isinstance(account, str) and UID.fullmatch(account)
    contact = space.api.setEntity(space.id, "Contacts", {
        "FIRST_NAME": "Peter", "SURNAME": "Gibbons", "EMAIL1": "peter@initech.example",
        "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": account, "IS_PRIMARY": 1}]})
    got = space.api.getEntity(space.id, "Contacts", contact)
    assert (got["ID"], got["FIRST_NAME"], got["SURNAME"], got["EMAIL1"]) == (
        contact, "Peter", "Gibbons", "peter@initech.example")
    assert got["ACCOUNT_RELATIONS"] == [{"ACCOUNT_ID": account, "IS_PRIMARY": 1}]
    assert got["IS_DELETED"] == 0
    assert space.api.getEntity(space.id, "Accounts", account)["CITY"] == "Austin"


def test_set_entity_with_existing_id_updates(space: Space) -> None:
    account = space.api.setEntity(space.id, "Accounts", {"ORGANIZATION": "Initech", "CITY": "Austin"})
    assert space.api.setEntity(space.id, "Accounts", {"ID": account, "ORGANIZATION": "Initrode"}) == account
    got = space.api.getEntity(space.id, "Accounts", account)
    assert (got["ORGANIZATION"], got["CITY"]) == ("Initrode", "Austin")
    assert names(space) == ["Initrode"]


def test_set_entity_takes_a_string_as_seed_001_allows(space: Space) -> None:
    account = space.api.setEntity(space.id, "Accounts", '{"ORGANIZATION": "Initech", "CITY": "Austin"}')
    assert isinstance(account, str) and UID.fullmatch(account)
    assert space.api.setEntity(space.id, "Accounts", json.dumps({"ID": account, "CITY": "Zürich"})) == account
    got = space.api.getEntity(space.id, "Accounts", account)
    assert (got["ORGANIZATION"], got["CITY"]) == ("Initech", "Zürich")
    error = raises(space.api.setEntity, space.id, "Accounts", "{not json")
    assert error.CODE == 400
    assert names(space) == ["Initech"]


def test_set_entity_with_client_chosen_id(space: Space) -> None:
    chosen = new_id()
    assert UID.fullmatch(chosen) and chosen != new_id()
    assert space.api.setEntity(space.id, "Accounts", {"ID": chosen, "ORGANIZATION": "Mine"}) == chosen
    assert space.api.getEntity(space.id, "Accounts", chosen)["ORGANIZATION"] == "Mine"


def test_integer_ids_of_clients_and_sales_units(space: Space) -> None:
    unit = space.api.setEntity(space.id, "SalesUnits", {"SALES_UNIT_NAME": "East"})
    client = space.api.setEntity(space.id, "Clients", {"EMAIL": "bob@x.example", "LASTNAME": "Slydell",
                                                       "DEFAULT_SALES_UNIT_ID": unit})
    assert isinstance(unit, int) and isinstance(client, int)
    assert space.api.getEntity(space.id, "SalesUnits", unit)["SALES_UNIT_NAME"] == "East"
    got = space.api.getEntity(space.id, "Clients", client)
    assert (got["EMAIL"], got["LASTNAME"], got["DEFAULT_SALES_UNIT_ID"]) == ("bob@x.example", "Slydell", unit)
    assert space.api.setEntity(space.id, "Clients", {"ID": client, "FIRSTNAME": "Bob"}) == client
    assert space.api.getEntity(space.id, "Clients", client)["FIRSTNAME"] == "Bob"
    assert space.api.setEntity(space.id, "SalesUnits", {"ID": unit, "SALES_UNIT_NAME": "West"}) == unit
    units = space.api.getEntities(space.id, "SalesUnits", {"sort": "ID"})
    assert [u["SALES_UNIT_NAME"] for u in units][-1] == "West"


def test_client_created_with_first_and_last_name(space: Space) -> None:
    client = space.api.setEntity(space.id, "Clients", {"EMAIL": "bob@x.example", "FIRSTNAME": "Bob",
                                                       "LASTNAME": "Slydell"})
    got = space.api.getEntity(space.id, "Clients", client)
    assert (got["FIRSTNAME"], got["LASTNAME"]) == ("Bob", "Slydell")


def test_opportunity_with_stage_and_relations_then_update_entity(space: Space) -> None:
    stage = space.api.getEntities(space.id, "Stages", {"sort": "SORT_ORDER", "limit": 1})[0]["ID"]
    account = space.api.setEntity(space.id, "Accounts", {"ORGANIZATION": "Initech"})
    contact = space.api.setEntity(space.id, "Contacts", {"SURNAME": "Lumbergh"})
    deal = space.api.setEntity(space.id, "Opportunities", {
        "OPPORTUNITY_NAME": "TPS reports", "OPPORTUNITY_VALUE": 1234.5, "STAGE": stage,
        "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": account, "IS_PRIMARY": 1}],
        "CONTACT_RELATIONS": [{"CONTACT_ID": contact, "IS_PRIMARY": 1}]})
    got = space.api.getEntity(space.id, "Opportunities", deal)
    assert (got["OPPORTUNITY_NAME"], got["OPPORTUNITY_VALUE"], got["STAGE"]) == ("TPS reports", 1234.5, stage)
    assert got["CONTACT_RELATIONS"] == [{"CONTACT_ID": contact, "IS_PRIMARY": 1}]
    changed = space.api.updateEntity(space.id, "Opportunities", deal, {"OPPORTUNITY_VALUE": 10})
    assert (changed["ID"], changed["OPPORTUNITY_VALUE"], changed["OPPORTUNITY_NAME"]) == (
        deal, 10, "TPS reports")
    assert space.api.getEntity(space.id, "Opportunities", deal)["OPPORTUNITY_VALUE"] == 10


# ---- lists and queries -------------------------------------------------------------------

def test_get_entities_with_string_query(space: Space) -> None:
    for first in ("Todd", "Todd", "Ann"):
        space.api.setEntity(space.id, "Contacts", {"FIRST_NAME": first, "SURNAME": "Packer"})
    todds = space.api.getEntities(space.id, "Contacts", "limit=5&filter=FIRST_NAME::Todd")
    assert [c["FIRST_NAME"] for c in todds] == ["Todd", "Todd"]
    assert len(space.api.getEntities(space.id, "Contacts", "limit=1&filter=SURNAME::Packer")) == 1
    assert len(space.api.getEntities(space.id, "Contacts", "filter=FIRST_NAME%3A%3AAnn")) == 1


def test_dict_filter_operators(space: Space) -> None:
    accounts(space, "alpha", "alphabet", "beta", "gamma")
    assert sorted(names(space, {"filter": {"ORGANIZATION": ("alp", "ll")}})) == ["alpha", "alphabet"]
    assert sorted(names(space, {"filter": {"ORGANIZATION": ("bet", "rl")}})) == ["alphabet"]
    assert sorted(names(space, {"filter": {"ORGANIZATION": ("mm", "fl")}})) == ["gamma"]
    assert sorted(names(space, {"filter": {"ORGANIZATION": ("alpha", "ne")}})) == ["alphabet", "beta", "gamma"]
    listed = {"filter": {"ORGANIZATION": (["beta", "gamma", "delta"], "in")}}
    assert sorted(names(space, listed)) == ["beta", "gamma"]
    assert sorted(names(space, {"filter": {"ORGANIZATION": ("beta", "ge")}})) == ["beta", "gamma"]
    both = {"filter": {"ORGANIZATION": ("alp", "ll"), "CITY": ""}}  # AND; "" = empty
    assert sorted(names(space, both)) == ["alpha", "alphabet"]


@pytest.mark.parametrize("op", ["eq", "in"])
def test_filter_values_with_special_characters_round_trip(space: Space, op: str) -> None:
    accounts(space, *TRICKY, "a", "b", "x", "y", "back", "slash")
    for value in TRICKY:
        condition = (value, "eq") if op == "eq" else ([value, "no such name"], "in")
        assert names(space, {"filter": {"ORGANIZATION": condition}}) == [value], value
    assert sorted(names(space, {"filter": {"ORGANIZATION": (TRICKY[:3], "in")}})) == sorted(TRICKY[:3])


def test_filter_numbers_booleans_and_datetimes(space: Space) -> None:
    stage = space.api.getEntities(space.id, "Stages", {"limit": 1})[0]["ID"]
    small, big = (space.api.setEntity(space.id, "Opportunities", {
        "OPPORTUNITY_NAME": n, "OPPORTUNITY_VALUE": v, "STAGE": stage}) for n, v in (("s", 10), ("b", 5000)))
    deals = {"filter": {"OPPORTUNITY_VALUE": (1000, "gt")}}
    assert [d["ID"] for d in space.api.getEntities(space.id, "Opportunities", deals)] == [big]
    space.api.deleteEntity(space.id, "Opportunities", small)
    deleted = space.api.getEntities(space.id, "Opportunities", {"filter": {"IS_DELETED": True}})
    assert [d["ID"] for d in deleted] == [small]
    live = space.api.getEntities(space.id, "Opportunities", {"filter": {"IS_DELETED": False}})
    assert [d["ID"] for d in live] == [big]
    elsewhere = dt.datetime.now(dt.timezone(dt.timedelta(hours=5)))  # converted to UTC by the SDK
    hour = dt.timedelta(hours=1)
    assert len(space.api.getEntities(space.id, "Opportunities", {"after": elsewhere - hour})) == 1
    assert space.api.getEntities(space.id, "Opportunities", {"after": elsewhere + hour}) == []
    recent = {"filter": {"CREATED": (elsewhere - hour, "ge")}}
    assert [d["ID"] for d in space.api.getEntities(space.id, "Opportunities", recent)] == [big]
    older = {"filter": {"CREATED": (elsewhere - hour, "lt")}}
    assert space.api.getEntities(space.id, "Opportunities", older) == []


def test_get_entities_page_ranges(space: Space) -> None:
    empty = space.api.getEntitiesPage(space.id, "Products")
    assert (empty.items, empty.start, empty.end, empty.total) == ([], 0, -1, 0)
    accounts(space, *(f"acc{i}" for i in range(5)))
    page = space.api.getEntitiesPage(space.id, "Accounts", {"limit": 2, "offset": 2, "sort": "ORGANIZATION"})
    assert ([a["ORGANIZATION"] for a in page.items], page.start, page.end, page.total) == (
        ["acc2", "acc3"], 2, 3, 5)
    tail = space.api.getEntitiesPage(space.id, "Accounts", "limit=10&offset=4")
    assert (len(tail.items), tail.start, tail.end, tail.total) == (1, 4, 4, 5)
    assert space.api.getEntitiesPage(space.id, "Accounts", {"limit": -1}).total == 5


def test_iter_entities_walks_every_page(space: Space) -> None:
    made = [f"acc{i:03d}" for i in range(230)]
    accounts(space, *made)
    assert [a["ORGANIZATION"] for a in space.api.iterEntities(
        space.id, "Accounts", {"limit": 40, "sort": "ORGANIZATION"})] == made
    pages = list(space.api.iterEntitiesPages(space.id, "Accounts", {"limit": 40, "sort": "ORGANIZATION"}))
    assert [(p.start, p.end, p.total) for p in pages][-2:] == [(160, 199, 230), (200, 229, 230)]
    assert len(pages) == 6
    tail = space.api.iterEntities(space.id, "Accounts", "limit=100&sort=-ORGANIZATION&offset=200")
    assert [a["ORGANIZATION"] for a in tail] == made[29::-1]
    narrowed = space.api.iterEntities(space.id, "Accounts",
                                      {"limit": 3, "filter": {"ORGANIZATION": ("acc01", "ll")}})
    assert sorted(a["ORGANIZATION"] for a in narrowed) == made[10:20]
    assert list(space.api.iterEntities(space.id, "Products")) == []


def test_sort_and_loadonly_lists(space: Space) -> None:
    for name, city in (("b", "one"), ("a", "two"), ("c", "two"), ("d", "one")):
        space.api.setEntity(space.id, "Accounts", {"ORGANIZATION": name, "CITY": city})
    assert names(space, {"sort": ["CITY", "-ORGANIZATION"]}) == ["d", "b", "c", "a"]
    assert names(space, {"sort": "-CITY|ORGANIZATION"}) == ["a", "c", "b", "d"]
    slim = space.api.getEntities(space.id, "Accounts",
                                 {"loadonly": ["ID", "ORGANIZATION"], "sort": ["ORGANIZATION"]})
    assert [sorted(a) for a in slim] == [["ID", "ORGANIZATION"]] * 4
    assert [a["ORGANIZATION"] for a in slim] == ["a", "b", "c", "d"]
    cities = space.api.getEntities(space.id, "Accounts", {"loadonly": "CITY"})
    assert [sorted(a) for a in cities] == [["CITY"]] * 4


def test_encode_query_formats() -> None:
    query = {"limit": 5, "offset": None, "sort": ["A", "-B"], "loadonly": ("ID", "NAME"),
             "after": dt.datetime(2026, 1, 2, 8, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
             "filter": {"F": ("a|b:c\\", "fl"), "G": True, "H": ([1, "x:y"], "in"),
                        "D": dt.datetime(2026, 1, 2, 3, 4, 5)}}
    assert pipeliner_api.encode_query(query) == (
        "limit=5&sort=A%7C-B&loadonly=ID%7CNAME&after=2026-01-02%2006%3A04%3A05&filter="
        "F%3A%3Aa%5C%7Cb%5C%3Ac%5C%5C%3A%3Afl%7CG%3A%3A1%7CH%3A%3A1%3Ax%5C%3Ay%3A%3Ain"
        "%7CD%3A%3A2026-01-02%2003%5C%3A04%5C%3A05")
    assert pipeliner_api.encode_query("limit=5&filter=A::b") == "limit=5&filter=A::b"
    with pytest.raises(ValueError):
        pipeliner_api.encode_filter({"F": ("x", "like")})


# ---- batches -------------------------------------------------------------------------------

def test_set_entities_flag_0_is_all_or_nothing(space: Space) -> None:
    error = raises(space.api.setEntities, space.id, "Account",
                   [{"ORGANIZATION": "good"}, {"ORGANIZATION": "bad", "NOPE": 1}], 0)
    assert (error.CODE, error.ERRORCODE) == (400, 402) and "item 1" in error.MESSAGE
    assert names(space) == []
    [first] = accounts(space, "first")
    batch = [{"ID": first, "CITY": "Oslo"}, {"ORGANIZATION": "second"}]
    ids = space.api.setEntities(space.id, "Account", batch, PipelinerRestApi.FLAG_ROLLBACK_ON_ERROR)
    assert ids[0] == first and UID.fullmatch(ids[1])
    assert space.api.getEntity(space.id, "Accounts", first)["CITY"] == "Oslo"
    assert sorted(names(space)) == ["first", "second"]


def test_set_entities_flag_1_skips_failures(space: Space) -> None:
    batch = [{"ORGANIZATION": "kept"}, {"CITY": "no name"}, {"ORGANIZATION": "also"}]
    ids = space.api.setEntities(space.id, "Account", batch, pipeliner_api.FLAG_IGNORE_ON_ERROR)
    assert ids[1] is None and UID.fullmatch(ids[0]) and UID.fullmatch(ids[2])
    kept = [space.api.getEntity(space.id, "Accounts", i)["ORGANIZATION"] for i in (ids[0], ids[2])]
    assert kept == ["kept", "also"]
    assert len(names(space)) == 2


def test_set_entities_flag_2_inserts_unknown_ids(space: Space) -> None:
    chosen = new_id()
    error = raises(space.api.setEntities, space.id, "Account", [{"ID": chosen, "ORGANIZATION": "x"}])
    assert (error.CODE, error.ERRORCODE) == (404, 420)
    assert space.api.setEntities(space.id, "Account", [{"ID": chosen, "ORGANIZATION": "x"}],
                                 PipelinerRestApi.FLAG_INSERT_ON_UPDATE) == [chosen]
    assert space.api.getEntity(space.id, "Accounts", chosen)["ORGANIZATION"] == "x"
    assert space.api.setEntities(space.id, "Account", [{"ID": chosen, "ORGANIZATION": "y"}], 2) == [chosen]
    assert names(space) == ["y"]


def test_set_entities_flag_8_returns_errors_in_place(space: Space) -> None:
    result = space.api.setEntities(space.id, "Account", [{"ORGANIZATION": "ok"}, {"NOPE": 1}, {}],
                                   PipelinerRestApi.FLAG_IGNORE_AND_RETURN_ERRORS)
    assert UID.fullmatch(result[0])
    assert [r["errorcode"] for r in result[1:]] == [402, 404]
    assert all(isinstance(r["message"], str) for r in result[1:])
    assert names(space) == ["ok"]


def test_delete_entity(space: Space) -> None:
    gone, kept = accounts(space, "gone", "kept")
    assert space.api.deleteEntity(space.id, "Accounts", gone) == gone
    assert space.api.getEntity(space.id, "Accounts", gone)["IS_DELETED"] == 1
    assert names(space) == ["kept"]
    error = raises(space.api.deleteEntity, space.id, "Accounts", gone)
    assert (error.CODE, error.ERRORCODE) == (404, 420)
    unit = space.api.setEntity(space.id, "SalesUnits", {"SALES_UNIT_NAME": "Temp"})
    assert isinstance(unit, int)
    assert space.api.deleteEntity(space.id, "SalesUnits", unit) == unit
    assert space.api.getEntity(space.id, "SalesUnits", unit)["IS_DELETED"] == 1


def test_delete_entities_flag_0(space: Space) -> None:
    a, b, c = accounts(space, "a", "b", "c")
    error = raises(space.api.deleteEntities, space.id, "Account", [a, new_id()], 0)
    assert (error.CODE, error.ERRORCODE) == (404, 420) and "item 1" in error.MESSAGE
    assert sorted(names(space)) == ["a", "b", "c"]
    assert space.api.deleteEntities(space.id, "Account", [a, b]) == [a, b]
    assert names(space) == ["c"]


def test_delete_entities_flags_1_4_8(space: Space) -> None:
    a, b, c, d = accounts(space, "a", "b", "c", "d")
    missing = new_id()
    ignore = PipelinerRestApi.FLAG_IGNORE_ON_ERROR
    assert space.api.deleteEntities(space.id, "Account", [a, missing], ignore) == [a]
    assert space.api.deleteEntities(space.id, "Account", [b], PipelinerRestApi.FLAG_GET_NO_DELETED_ID) == []
    flags = PipelinerRestApi.FLAG_IGNORE_ON_ERROR | PipelinerRestApi.FLAG_GET_NO_DELETED_ID
    assert space.api.deleteEntities(space.id, "Account", [c, missing, a], flags) == [missing, a]
    result = space.api.deleteEntities(space.id, "Account", [d, missing], 8)
    assert result[0] == d and result[1]["errorcode"] == 420
    assert names(space) == []
    assert {space.api.getEntity(space.id, "Accounts", i)["IS_DELETED"] for i in (a, b, c, d)} == {1}


# ---- errors --------------------------------------------------------------------------------

def test_wrong_password_is_401(space: Space) -> None:
    api = PipelinerRestApi(space.url)
    api.setCredentials(space.company.pipeliner_api_token, "wrong")
    error = raises(api.getEntities, space.id, "Accounts")
    assert (error.CODE, error.ERRORCODE) == (401, 301)
    assert (error.code, error.errorcode, error.message) == (error.CODE, error.ERRORCODE, error.MESSAGE)
    assert "401" in str(error) and error.MESSAGE in str(error)
    assert raises(PipelinerRestApi(space.url).getCollections, space.id).CODE == 401  # no credentials


def test_unknown_collection_is_404(space: Space) -> None:
    for call, args in ((space.api.getEntities, ("Nope",)), (space.api.getEntity, ("Nope", new_id())),
                       (space.api.setEntities, ("Nope", [])), (space.api.getFields, ("Nope",))):
        error = raises(call, space.id, *args)
        assert (error.CODE, error.ERRORCODE) == (404, 421), call
    error = raises(space.api.getEntity, space.id, "Accounts", new_id())
    assert (error.CODE, error.ERRORCODE) == (404, 420)


def test_unknown_field_is_400(space: Space) -> None:
    error = raises(space.api.setEntity, space.id, "Accounts", {"ORGANIZATION": "x", "NOPE": 1})
    assert (error.CODE, error.ERRORCODE) == (400, 402) and "NOPE" in error.MESSAGE
    assert (raises(space.api.getEntities, space.id, "Accounts", {"filter": {"NOPE": 1}}).ERRORCODE) == 411
    assert (raises(space.api.getEntities, space.id, "Accounts", {"sort": "-NOPE"}).ERRORCODE) == 412
    assert (raises(space.api.getEntities, space.id, "Accounts", {"loadonly": ["NOPE"]}).ERRORCODE) == 410
    required = raises(space.api.setEntity, space.id, "Accounts", {"CITY": "x"})
    assert (required.CODE, required.ERRORCODE) == (400, 404)
    assert names(space) == []


def test_no_server_is_408() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    waits: list[float] = []
    api = PipelinerRestApi(f"http://127.0.0.1:{port}", timeout=2, sleep=waits.append)
    api.setCredentials("token", "password")
    error = raises(api.getCollections, "space")
    assert (error.CODE, error.MESSAGE, error.ERRORCODE) == (408, "no response", None)
    assert len(waits) == 2 and 0.25 <= waits[0] <= 0.5 <= waits[1] <= 1  # refused: nothing was sent
    waits.clear()
    raises(api.setEntity, "space", "Accounts", {"ORGANIZATION": "x"})
    assert len(waits) == 2  # even a POST: a refused connection did nothing


# ---- retries, through a proxy that fails as told --------------------------------------------

class Failing(http.server.ThreadingHTTPServer):
    """A proxy to the live server that answers the first requests of ``failing`` methods with
    ``failures`` (status, headers) instead; ``seen`` logs ``(method, passed_through)``."""

    def __init__(self, target: str, failures: list[tuple[int, dict[str, str]]], failing: set[str]) -> None:
        self.target = urllib.parse.urlsplit(target)
        self.failures, self.failing = list(failures), failing
        self.seen: list[tuple[str, bool]] = []
        super().__init__(("127.0.0.1", 0), _Relay)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Relay(http.server.BaseHTTPRequestHandler):
    server: Failing

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _any(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        proxy = self.server
        if proxy.failures and self.command in proxy.failing:
            proxy.seen.append((self.command, False))
            code, headers = proxy.failures.pop(0)
            payload = json.dumps({"success": False, "message": f"injected {code}"}).encode()
            self.send_response(code)
            for name, value in {**headers, "Content-Length": str(len(payload))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
            return
        proxy.seen.append((self.command, True))
        conn = http.client.HTTPConnection(proxy.target.hostname or "", proxy.target.port, timeout=10)
        conn.request(self.command, self.path, body=body or None, headers=dict(self.headers))
        answer = conn.getresponse()
        payload = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in {"transfer-encoding", "connection", "date", "server"}:
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        conn.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any


@contextlib.contextmanager
def failing(space: Space, failures: list[tuple[int, dict[str, str]]], methods: set[str]
            ) -> Iterator[tuple[PipelinerRestApi, Failing, list[float]]]:
    proxy = Failing(space.url, failures, methods)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    waits: list[float] = []
    api = PipelinerRestApi(proxy.url, timeout=10, sleep=waits.append)
    api.setCredentials(space.company.pipeliner_api_token, space.company.pipeliner_api_password)
    try:
        yield api, proxy, waits
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=5)


def test_a_read_is_retried_after_429_and_503(space: Space) -> None:
    accounts(space, "Initech")
    with failing(space, [(429, {"Retry-After": "3"}), (503, {})], {"GET"}) as (api, proxy, waits):
        assert [a["ORGANIZATION"] for a in api.iterEntities(space.id, "Accounts")] == ["Initech"]
    assert waits[0] == 3.0 and 0.5 <= waits[1] <= 1.0  # as asked, then the second backoff step
    assert proxy.seen == [("GET", False), ("GET", False), ("GET", True)]
    with failing(space, [(429, {"X-RateLimit-Reset": "2"})] * 3, {"GET"}) as (api, proxy, waits):
        assert raises(api.getEntities, space.id, "Accounts").CODE == 429  # out of retries
    assert waits == [2.0, 2.0] and len(proxy.seen) == 3


def test_a_write_is_retried_after_429_but_not_after_5xx(space: Space) -> None:
    with failing(space, [(503, {})], {"POST"}) as (api, proxy, waits):
        assert raises(api.setEntity, space.id, "Accounts", {"ORGANIZATION": "Once"}).CODE == 503
    assert proxy.seen == [("POST", False)] and waits == []
    with failing(space, [(429, {"Retry-After": "1"})], {"POST"}) as (api, proxy, waits):
        made = api.setEntity(space.id, "Accounts", {"ORGANIZATION": "Once"})
    assert proxy.seen == [("POST", False), ("POST", True)] and waits == [1.0]
    assert [a["ID"] for a in space.api.getEntities(space.id, "Accounts")] == [made]
    with failing(space, [(502, {})], {"DELETE"}) as (api, proxy, waits):
        assert api.deleteEntity(space.id, "Accounts", made) == made  # a DELETE may go twice
    assert proxy.seen == [("DELETE", False), ("DELETE", True)] and names(space) == []
