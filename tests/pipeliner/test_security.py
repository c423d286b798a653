"""Authentication, tenant isolation and hostile input on the Pipeliner dialect.

Company A (``tenant``, client ``pl``) owns one entity in every collection, a dropdown
custom field and its Data rows (``World``). Company B (``other``, ``pl_other``) must not
read, change, delete or reference any of them. Every refused request answers a 4xx with
exactly ``{"errorcode": int, "message": str}`` (never a 500), and the company's whole state
(every collection, live and deleted, listed with limit=-1) is unchanged afterwards.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import Tenant
from tests.pipeliner.conftest import Pipeliner
from tests.pipeliner.support import (
    COLLECTIONS,
    NEVER_ID,
    batch,
    ids,
    is_error,
    listing,
    ok,
    refused,
    stages,
    state,
)

UPDATE_KEY = {"Accounts": "ORGANIZATION", "Contacts": "SURNAME", "Opportunities": "OPPORTUNITY_NAME",
              "Leads": "OPPORTUNITY_NAME", "Clients": "LASTNAME", "SalesUnits": "SALES_UNIT_NAME",
              "Pipelines": "NAME", "Stages": "STAGE_NAME", "Activities": "SUBJECT", "Tasks": "SUBJECT",
              "Appointments": "SUBJECT", "Notes": "NOTE", "Products": "NAME", "Data": "VALUE"}
MARK = "acme-secret"  # in every text of A's; B must never see it
REALM = 'Basic realm="restapi"'


@dataclass
class World:
    ids: dict[str, Any]  # collection -> the ID of A's entity in it
    data: str  # a Data ID of A's dropdown field
    field_key: str
    field_id: str  # the getFields ID of A's dropdown field
    stage: str
    pipeline: str
    user: int
    unit: int
    deleted: str  # A's deleted Account


@pytest.fixture
def world(pl: Pipeliner, tenant: Tenant) -> World:
    field = tenant.api.post("/v1/dealFields", json={
        "name": f"{MARK} kind", "field_type": "enum", "options": [{"label": f"{MARK} A"}]}).json()["data"]
    data = listing(pl, "Data")[0]
    stage = stages(pl)[0]
    user, unit = listing(pl, "Clients")[0]["ID"], listing(pl, "SalesUnits")[0]["ID"]
    made: dict[str, Any] = {}
    made["Accounts"] = pl.create("Accounts", {"ORGANIZATION": f"{MARK} org"})["ID"]
    made["Contacts"] = pl.create("Contacts", {"SURNAME": f"{MARK} person", "EMAIL1": f"{MARK}@a.example",
                                              "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": made["Accounts"]}]})["ID"]
    made["Opportunities"] = pl.create("Opportunities", {
        "OPPORTUNITY_NAME": f"{MARK} deal", "STAGE": stage["ID"], field["key"]: data["ID"],
        "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": made["Accounts"]}],
        "CONTACT_RELATIONS": [{"CONTACT_ID": made["Contacts"]}]})["ID"]
    made["Leads"] = pl.create("Leads", {"OPPORTUNITY_NAME": f"{MARK} lead"})["ID"]
    made["Clients"] = pl.create("Clients", {"LASTNAME": f"{MARK} user", "EMAIL": "u@acme.example"})["ID"]
    made["SalesUnits"] = pl.create("SalesUnits", {"SALES_UNIT_NAME": f"{MARK} unit"})["ID"]
    made["Pipelines"] = pl.create("Pipelines", {"NAME": f"{MARK} pipeline"})["ID"]
    made["Stages"] = pl.create("Stages", {"STAGE_NAME": f"{MARK} stage",
                                          "PIPELINE_ID": made["Pipelines"]})["ID"]
    made["Tasks"] = pl.create("Tasks", {"SUBJECT": f"{MARK} task", "OPPTY_ID": made["Leads"]})["ID"]
    made["Activities"] = made["Tasks"]
    made["Appointments"] = pl.create("Appointments", {
        "SUBJECT": f"{MARK} meeting", "START_DATE": "2030-01-01 10:00:00",
        "END_DATE": "2030-01-01 11:00:00"})["ID"]
    made["Notes"] = pl.create("Notes", {"NOTE": f"{MARK} note", "OPPTY_ID": made["Opportunities"]})["ID"]
    made["Products"] = pl.create("Products", {"NAME": f"{MARK} product"})["ID"]
    deleted = pl.create("Accounts", {"ORGANIZATION": f"{MARK} deleted"})["ID"]
    ok(pl.delete(f"/Accounts/{deleted}"))
    return World(made, data["ID"], field["key"], data["ID_FIELD"], stage["ID"], stage["PIPELINE_ID"],
                 user, unit, deleted)


def _basic(user: str | bytes, password: str | bytes = b"") -> str:
    raw = (user if isinstance(user, bytes) else user.encode()) + b":" + (
        password if isinstance(password, bytes) else password.encode())
    return "Basic " + base64.b64encode(raw).decode()


def _routes(w: World) -> list[tuple[str, str, Any]]:
    """One request of every route kind (method, path, JSON body)."""
    account = w.ids["Accounts"]
    return [
        ("GET", "", None), ("GET", "/entityPublic", None), ("GET", "/errorCodes", None),
        ("GET", "/serverAPIUtcDateTime", None), ("GET", "/teamPipelineUrl", None),
        ("GET", "/teamPipelineVersion", None), ("GET", "/getFields/Accounts", None),
        ("GET", "/Accounts", None), ("GET", f"/Accounts/{account}", None),
        ("POST", "/Accounts", {"ORGANIZATION": "intruder"}),
        ("POST", "/Accounts", {"ID": account, "ORGANIZATION": "intruder"}),
        ("PUT", f"/Accounts/{account}", {"ORGANIZATION": "intruder"}),
        ("PATCH", f"/Accounts/{account}", {"ORGANIZATION": "intruder"}),
        ("DELETE", f"/Accounts/{account}", None),
        ("POST", "/setEntities?entityName=Account&flag=1", [{"ORGANIZATION": "intruder"}]),
        ("POST", "/deleteEntities?entityName=Account&flag=1", [account]),
        ("GET", "/Data", None), ("GET", f"/Data/{w.data}", None),
        ("DELETE", f"/Data/{w.data}", None), ("GET", "/Nope", None),
    ]


# ---- authentication -----------------------------------------------------------------------------

def test_every_route_needs_the_spaces_credentials(pl: Pipeliner, pl_other: Pipeliner, tenant: Tenant,
                                                  world: World) -> None:
    c = tenant.company
    token, password = c.pipeliner_api_token, c.pipeliner_api_password
    other = pl_other.auth
    bad_headers: dict[str, dict[str, str]] = {
        "missing": {},
        "wrong password": {"Authorization": _basic(token, password[::-1])},
        "empty password": {"Authorization": _basic(token, "")},
        "password only": {"Authorization": _basic("", password)},
        "token renamed to another space": {"Authorization": _basic(
            token.replace(c.space_id, pl_other.space_id), password)},
        "another space's credentials": {"Authorization": other},
        "pipedrive token as user": {"Authorization": _basic(c.api_token, "")},
        "pipedrive token as user and password": {"Authorization": _basic(c.api_token, c.api_token)},
        "pipedrive bearer": {"Authorization": f"Bearer {c.api_token}"},
        "pipedrive header": {"x-api-token": c.api_token},
        "malformed base64": {"Authorization": "Basic !!!not-base64!!!"},
        "base64 without colon": {"Authorization": "Basic " + base64.b64encode(token.encode()).decode()},
        "not utf-8": {"Authorization": _basic(b"\xff\xfe" + token.encode(), password)},
        "empty basic": {"Authorization": "Basic "},
        "scheme only": {"Authorization": "Basic"},
        "other scheme": {"Authorization": f"Digest {token}"},
        "huge": {"Authorization": "Basic " + "QUFB" * 4000},
        "nul": {"Authorization": _basic(token + "\x00", password)},
        "token with password swapped": {"Authorization": _basic(password, token)},
    }
    before = state(pl)
    for method, path, body in _routes(world):
        for name, headers in bad_headers.items():
            response = pl.request(method, path, json=body, headers=headers, auth=False)
            assert response.status_code == 401, (name, method, path, response.status_code, response.text)
            assert response.headers.get("www-authenticate") == REALM, (name, method, path)
            refused(response, 401, 301)
    # A's credentials (right or wrong) on B's space, and on a space that does not exist
    for space in (pl_other.space_id, "db_Nowhere0000000000000000", pl.space_id + "x"):
        for method, path, body in _routes(world)[:10]:
            response = pl.http.request(method, f"/rest_services/v1/{space}{path}", json=body,
                                       headers={"Authorization": pl.auth})
            assert response.status_code == 401, (space, method, path, response.text)
            assert response.headers.get("www-authenticate") == REALM
            refused(response, 401, 301)
    assert state(pl) == before
    assert not any(MARK in json.dumps(o) for o in listing(pl_other, "Accounts"))
    # the scheme is case-insensitive; the right credentials work
    assert ok(pl.get("", headers={"Authorization": "basic " + pl.auth.split(" ", 1)[1]}, auth=False))


# ---- isolation ------------------------------------------------------------------------------------

def test_lists_never_show_another_companys_rows(pl: Pipeliner, pl_other: Pipeliner, world: World) -> None:
    mine = pl_other.create("Accounts", {"ORGANIZATION": "globex org"})
    a_ids = {str(v) for v in world.ids.values()} | {world.deleted, world.data}
    for collection in (*COLLECTIONS, "Data"):
        for params in ({}, {"filter": "IS_DELETED::1"}, {"sort": "-MODIFIED"},
                       {"after": "2000-01-01 00:00:00"}):
            if collection == "Data" and set(params) - {"filter"}:
                continue
            items = listing(pl_other, collection, **params)
            text = json.dumps(items)
            assert MARK not in text, (collection, params)
            if collection not in ("Clients", "SalesUnits"):  # integer IDs may coincide in value only
                assert not {str(i) for i in ids(items)} & a_ids, (collection, params)
    assert ids(listing(pl_other, "Accounts")) == [mine["ID"]]
    assert len(listing(pl_other, "Clients")) == 1 and len(listing(pl_other, "SalesUnits")) == 1
    assert listing(pl_other, "Clients")[0]["ID"] != world.user
    assert listing(pl_other, "Data") == []
    assert ok(pl_other.get("/getFields/Opportunities", params={"filter": "CUSTOM::1"})) == []
    assert MARK not in json.dumps(ok(pl_other.get("/getFields/Opportunities")))
    # filters naming A's rows or A's values find nothing of A's
    for collection, phrase in (("Accounts", f"ORGANIZATION::{MARK}::fl"),
                               ("Accounts", f"ID::{world.ids['Accounts']}"),
                               ("Accounts", f"ID::{world.deleted}"),
                               ("Opportunities", f"OWNER_ID::{world.user}"),
                               ("Clients", f"ID::{world.user}"),
                               ("SalesUnits", f"ID::{world.unit}"),
                               ("Stages", f"PIPELINE_ID::{world.pipeline}"),
                               ("Opportunities", f"STAGE::{world.stage}"),
                               ("Notes", f"OPPTY_ID::{world.ids['Opportunities']}")):
        response = pl_other.get(f"/{collection}", params={"filter": phrase})
        if response.status_code == 200:
            assert response.json() == [], (collection, phrase)
        else:
            refused(response, 400)


def test_another_companys_ids_are_not_found(pl: Pipeliner, pl_other: Pipeliner, world: World) -> None:
    before = state(pl)
    b_before = state(pl_other)
    for collection, entity_id in [*world.ids.items(), ("Accounts", world.deleted), ("Data", world.data)]:
        item = f"/{collection}/{entity_id}"
        never = f"/{collection}/{NEVER_ID if collection not in ('Clients', 'SalesUnits') else 999999}"
        key = UPDATE_KEY[collection]
        for method, body in (("GET", None), ("PUT", {key: "x"}), ("PATCH", {key: "y"}), ("DELETE", None)):
            theirs = pl_other.request(method, item, json=body)
            nothing = pl_other.request(method, never, json=body)
            assert theirs.status_code == nothing.status_code == 404, (method, item, theirs.text)
            assert refused(theirs, 404, 420)["errorcode"] == refused(nothing, 404)["errorcode"]
    assert state(pl) == before and state(pl_other) == b_before

    # POST with A's ID in the body is never an update of A's entity
    response = pl_other.post("/Accounts", json={"ID": world.ids["Accounts"], "ORGANIZATION": "B's own"})
    assert response.status_code != 200, response.text
    if response.status_code == 201:
        assert ok(pl_other.get(f"/Accounts/{world.ids['Accounts']}"))["ORGANIZATION"] == "B's own"
    else:
        refused(response, (400, 404, 409))
    refused(pl_other.post("/Clients", json={"ID": world.ids["Clients"], "LASTNAME": "x"}), (400, 404))
    refused(pl_other.post("/Data", json={"ID": world.data, "VALUE": "x"}), (400, 404))
    assert state(pl) == before


def test_batches_do_not_reach_another_companys_ids(pl: Pipeliner, pl_other: Pipeliner,
                                                   world: World) -> None:
    before = state(pl)
    accounts = [world.ids["Accounts"], world.deleted]
    update = [{"ID": i, "ORGANIZATION": "hacked"} for i in accounts]
    refused(batch(pl_other, "setEntities", "Account", update, 0), 404, 420)
    assert ok(batch(pl_other, "setEntities", "Account", update, 1)) == [None, None]
    assert all(is_error(r) and r["errorcode"] == 420
               for r in ok(batch(pl_other, "setEntities", "Account", update, 8)))
    refused(batch(pl_other, "deleteEntities", "Account", accounts, 0), 404, 420)
    assert ok(batch(pl_other, "deleteEntities", "Account", accounts, 4)) == accounts
    assert ok(batch(pl_other, "deleteEntities", "Account", accounts, 5)) == accounts
    assert all(is_error(r) for r in ok(batch(pl_other, "deleteEntities", "Account", accounts, 8)))
    for collection, entity_id in world.ids.items():
        entity = collection.rstrip("s") if collection != "Activities" else "Activity"
        result = ok(batch(pl_other, "deleteEntities", entity.replace("Opportunitie", "Opportunity"),
                          [entity_id], 8))
        assert is_error(result[0]), (collection, result)
    assert state(pl) == before
    # flag 2 inserts into B's own space: A's entity stays as it was
    inserted = batch(pl_other, "setEntities", "Account", [update[0]], 2)
    if inserted.status_code == 200:
        assert inserted.json() in ([world.ids["Accounts"]], [None])
    else:
        refused(inserted, (400, 404, 409))
    assert state(pl) == before


def test_references_to_another_companys_ids_are_refused(pl: Pipeliner, pl_other: Pipeliner,
                                                        world: World) -> None:
    w = world.ids
    b_stage = stages(pl_other)[0]
    own = {
        "Accounts": pl_other.create("Accounts", {"ORGANIZATION": "b"})["ID"],
        "Opportunities": pl_other.create("Opportunities", {"OPPORTUNITY_NAME": "b"})["ID"],
        "Notes": pl_other.create("Notes", {"NOTE": "b"})["ID"],
        "Tasks": pl_other.create("Tasks", {"SUBJECT": "b"})["ID"],
    }
    before, a_before = state(pl_other), state(pl)
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("Contacts", {"SURNAME": "x", "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": w["Accounts"]}]}),
        ("Contacts", {"SURNAME": "x", "OWNER_ID": world.user}),
        ("Contacts", {"SURNAME": "x", "SALES_UNIT_ID": world.unit}),
        ("Accounts", {"ORGANIZATION": "x", "OWNER_ID": world.user}),
        ("Accounts", {"ORGANIZATION": "x", "OWNER_ID": w["Clients"]}),
        ("Opportunities", {"OPPORTUNITY_NAME": "x", "STAGE": world.stage}),
        ("Opportunities", {"OPPORTUNITY_NAME": "x", "STAGE": w["Stages"]}),
        ("Opportunities", {"OPPORTUNITY_NAME": "x", "PIPELINE_ID": world.pipeline}),
        ("Opportunities", {"OPPORTUNITY_NAME": "x", "STAGE": b_stage["ID"], "PIPELINE_ID": world.pipeline}),
        ("Opportunities", {"OPPORTUNITY_NAME": "x", "OWNER_ID": world.user}),
        ("Opportunities", {"OPPORTUNITY_NAME": "x", "CONTACT_RELATIONS": [{"CONTACT_ID": w["Contacts"]}]}),
        ("Opportunities", {"OPPORTUNITY_NAME": "x", "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": w["Accounts"]}]}),
        ("Opportunities", {"OPPORTUNITY_NAME": "x", world.field_key: world.data}),
        ("Leads", {"OPPORTUNITY_NAME": "x", "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": world.deleted}]}),
        ("Stages", {"STAGE_NAME": "x", "PIPELINE_ID": world.pipeline}),
        ("Notes", {"NOTE": "x", "OPPTY_ID": w["Opportunities"]}),
        ("Notes", {"NOTE": "x", "OPPTY_ID": w["Leads"]}),
        ("Notes", {"NOTE": "x", "ADDRESSBOOK_ID": w["Contacts"]}),
        ("Notes", {"NOTE": "x", "ADDRESSBOOK_ID": w["Accounts"]}),
        ("Tasks", {"SUBJECT": "x", "ACCOUNT_ID": w["Accounts"]}),
        ("Tasks", {"SUBJECT": "x", "CONTACT_ID": w["Contacts"]}),
        ("Tasks", {"SUBJECT": "x", "OPPTY_ID": w["Opportunities"]}),
        ("Tasks", {"SUBJECT": "x", "OWNER_ID": world.user}),
        ("Clients", {"LASTNAME": "x", "EMAIL": "x@globex.example", "DEFAULT_SALES_UNIT_ID": world.unit}),
        ("SalesUnits", {"SALES_UNIT_NAME": "x", "PARENT_ID": world.unit}),
        ("Products", {"NAME": "x", "OWNER_ID": world.user}),
        ("Data", {"ID_FIELD": world.field_id, "VALUE": "x"}),
    ]
    for collection, body in attempts:
        refused(pl_other.post(f"/{collection}", json=body), (400, 404))
        updatable = own.get(collection)
        if updatable is not None:
            fields = {k: v for k, v in body.items() if k not in ("ORGANIZATION", "OPPORTUNITY_NAME",
                                                                  "NOTE", "SUBJECT")}
            refused(pl_other.put(f"/{collection}/{updatable}", json=fields), 400)
        refused(batch(pl_other, "setEntities", collection, [body]), (400, 404))
        assert state(pl_other) == before, (collection, body)
    assert state(pl) == a_before


# ---- bad input ------------------------------------------------------------------------------------

async def _stream(size: int) -> AsyncIterator[bytes]:
    chunk = b" " * 65536
    for _ in range(size // len(chunk) + 1):
        yield chunk


def _bad_writes(w: World) -> list[tuple[str, str, dict[str, Any], int | tuple[int, ...]]]:
    """(method, path, request keywords, expected errorcode(s)) of writes that must be refused."""
    acc, opp, lead, task = w.ids["Accounts"], w.ids["Opportunities"], w.ids["Leads"], w.ids["Tasks"]
    big = 1024 * 1024 + 1
    out: list[tuple[str, str, dict[str, Any], int | tuple[int, ...]]] = []
    # malformed JSON and bodies of the wrong shape
    for raw in (b"{", b"{'ORGANIZATION': 'x'}", b'{"ORGANIZATION": "x"} trailing', b"\xff\xfe{}",
                b'{"ORGANIZATION": NaN}', b"[1,", b'{"ORGANIZATION": "\\ud800"}'):
        out += [("POST", "/Accounts", {"content": raw}, (401, 403)),
                ("PUT", f"/Accounts/{acc}", {"content": raw}, (401, 403)),
                ("POST", "/setEntities?entityName=Account", {"content": raw}, (401, 403))]
    for raw in (b'[{"ORGANIZATION": "x"}]', b'"x"', b"5", b"true", b"null"):
        out += [("POST", "/Accounts", {"content": raw}, (401, 403, 404)),
                ("PUT", f"/Accounts/{acc}", {"content": raw}, (401, 403)),
                ("PATCH", f"/Accounts/{acc}", {"content": raw}, (401, 403))]
    # wrong types
    for collection, item, body in (
            ("Opportunities", opp, {"OPPORTUNITY_VALUE": "lots"}),
            ("Opportunities", opp, {"OPPORTUNITY_VALUE": True}),
            ("Opportunities", opp, {"OPPORTUNITY_VALUE": [1]}),
            ("Opportunities", opp, {"OPPORTUNITY_NAME": None}),
            ("Opportunities", opp, {"RANKING": "high"}), ("Opportunities", opp, {"RANKING": 101}),
            ("Opportunities", opp, {"STAGE": 5}), ("Opportunities", opp, {"STAGE": {"ID": w.stage}}),
            ("Opportunities", opp, {"OWNER_ID": "me"}), ("Opportunities", opp, {"OWNER_ID": 1.5}),
            ("Opportunities", opp, {"OWNER_ID": -1}), ("Opportunities", opp, {"OWNER_ID": 2 ** 63}),
            ("Opportunities", opp, {"CLOSING_DATE": 20300101}), ("Opportunities", opp, {"STATUS": "maybe"}),
            ("Opportunities", opp, {"CURRENCY_ID": "EURO"}),
            ("Accounts", acc, {"ORGANIZATION": {"name": "x"}}), ("Accounts", acc, {"ORGANIZATION": ["x"]}),
            ("Accounts", acc, {"ORGANIZATION": 5}), ("Accounts", acc, {"ORGANIZATION": ""}),
            ("Leads", lead, {"IS_ARCHIVE": 2}), ("Leads", lead, {"IS_ARCHIVE": "yes"}),
            ("Tasks", task, {"STATUS": 9}), ("Tasks", task, {"PRIORITY": 0}),
            ("Tasks", task, {"DUE_DATE": []}), ("Tasks", task, {"SUBJECT": 1}),
            ("Contacts", w.ids["Contacts"], {"EMAIL1": ["a@b.example"]}),
            ("Stages", w.ids["Stages"], {"PERCENT": "half"}),
            ("Clients", w.ids["Clients"], {"EMAIL": None}),
            ("SalesUnits", w.ids["SalesUnits"], {"PARENT_ID": "root"}),
            ("Opportunities", opp, {w.field_key: "A"}),
    ):
        out.append(("PUT", f"/{collection}/{item}", {"json": body}, (403, 404, 406)))
    out.append(("POST", "/Opportunities", {"json": {"OPPORTUNITY_NAME": "x", "OPPORTUNITY_VALUE": "lots"}},
                403))
    for raw in (b'{"OPPORTUNITY_VALUE": 1e309}', b'{"OPPORTUNITY_VALUE": -1e400}',
                b'{"OPPORTUNITY_VALUE": 123456789012345678901234567890123456789}'):
        out.append(("PUT", f"/Opportunities/{opp}", {"content": raw}, (401, 403)))
    out.append(("POST", "/Accounts", {"json": {"ORGANIZATION": {"name": "x"}}}, 403))
    # unknown and read-only fields
    for body in ({"NOPE": 1}, {"organization": "x"}, {"": 1}, {"ORGANIZATION ": "x"}, {"X" * 10000: 1},
                 {"ORGANIZATION\x00": "x"}, {"ACCOUNT_RELATIONS": []}):
        out += [("POST", "/Accounts", {"json": {"ORGANIZATION": "x", **body}}, 402),
                ("PUT", f"/Accounts/{acc}", {"json": body}, 402)]
    for body in ({"IS_ARCHIVE": 1}, {"IS_ARCHIVE": 0}, {"LAST_MOVE_DATE": "2030-01-01 00:00:00"}):
        out += [("POST", "/Opportunities", {"json": {"OPPORTUNITY_NAME": "x", **body}}, 405),
                ("PUT", f"/Opportunities/{opp}", {"json": body}, 405),
                ("POST", "/setEntities?entityName=Opportunity", {"json": [{"ID": opp, **body}]}, 405)]
    out.append(("PUT", f"/Accounts/{acc}", {"json": {"ID": NEVER_ID, "ORGANIZATION": "x"}}, 403))
    # NUL characters and over-long strings
    for body in ({"ORGANIZATION": "a\x00b"}, {"ORGANIZATION": "x" * 256},
                 {"ORGANIZATION": "x" * 100_000}, {"CITY": "\x00"}):
        out += [("POST", "/Accounts", {"json": {"ORGANIZATION": "ok", **body}}, 403),
                ("PUT", f"/Accounts/{acc}", {"json": body}, 403)]
    out += [("PUT", f"/Notes/{w.ids['Notes']}", {"json": {"NOTE": "n" * 65536}}, 403),
            ("PUT", f"/Tasks/{task}", {"json": {"SUBJECT": "s" * 256}}, 403),
            ("PUT", f"/Contacts/{w.ids['Contacts']}", {"json": {"EMAIL2": "e\x00@x.example"}}, 403),
            ("PUT", f"/Opportunities/{opp}", {"json": {"OPPORTUNITY_DESCRIPTION": "\x00"}}, 403),
            ("PUT", f"/Data/{w.data}", {"json": {"VALUE": "v\x00"}}, 403),
            ("POST", "/Data", {"json": {"ID_FIELD": w.field_id, "VALUE": "v" * 100_000}}, 403)]
    # bodies over 1 MiB
    huge = {"ORGANIZATION": "x" * big}
    out += [("POST", "/Accounts", {"json": huge}, 440), ("PUT", f"/Accounts/{acc}", {"json": huge}, 440),
            ("PATCH", f"/Accounts/{acc}", {"json": huge}, 440),
            ("POST", "/setEntities?entityName=Account", {"json": [huge]}, 440),
            ("POST", "/deleteEntities?entityName=Account", {"json": [acc] * 30000}, 440),
            ("POST", "/Data", {"json": {"ID_FIELD": w.field_id, "VALUE": "v" * big}}, 440),
            ("POST", "/Accounts", {"content": _stream(big)}, 440)]  # no Content-Length
    return out


def test_bad_writes_are_refused_and_change_nothing(pl: Pipeliner, world: World) -> None:
    before = state(pl)
    for method, path, kw, code in _bad_writes(world):
        response = pl.request(method, path, **kw)
        status = 413 if code == 440 else 400
        try:
            refused(response, status, code)
        except AssertionError as error:
            raise AssertionError(f"{method} {path} {str(kw)[:200]}: {error}") from None
        assert state(pl) == before, (method, path, str(kw)[:200])


def test_hostile_query_strings_never_500(pl: Pipeliner, world: World) -> None:
    before = state(pl)
    many = ":".join(f"name{i}" for i in range(500))
    thousand = ":".join(f"name{i}" for i in range(1000))
    filters: list[tuple[str, int]] = [  # (filter, expected status)
        ("ORGANIZATION::x' OR '1'='1", 200), ("ORGANIZATION::'; DROP TABLE organizations; --", 200),
        ("ORGANIZATION::%", 200), ("ORGANIZATION::\\", 200), ("ORGANIZATION::abc\\", 200),
        ("ORGANIZATION::\\::fl", 200), (f"ORGANIZATION::{many}::in", 200),
        ("ID::" + ":".join([NEVER_ID] * 150) + "::in", 200), (f"ORGANIZATION::{thousand}::in", 400),
        ("ID::" + ":".join([NEVER_ID] * 1000) + "::in", 400),
        ("ORGANIZATION::x::EQ", 200), ("|", 400), ("ORGANIZATION::x||CITY::y", 400),
        ("ORGANIZATION OR 1=1::x", 400), ("ORGANIZATION::x::eq OR 1=1", 400),
        ("ORGANIZATION\\::x", 400), ("\\", 400), ("::", 400), ("::::", 400), ("ORGANIZATION", 400),
        ("ORGANIZATION::a::b::c", 400), ("ORGANIZATION::" + "a" * 10000, 400),
        ("ORGANIZATION::x::like", 400), ("ORGANIZATION::x::regex", 400), ("ORGANIZATION::x::", 400),
        ("NOPE::1", 400), ("organization::x", 400), ("ORGANIZATION.name::x", 400), ("::x", 400),
        ("ORGANIZATION::a\x00b", 400), ("|".join(["CITY::x"] * 33), 400),
        ("ACCOUNT_RELATIONS::x", 400), ("OWNER_ID::1 OR 1=1", 400), ("CREATED::2030-01-01' --::gt", 400),
        ("OWNER_ID::" + ":".join(["1"] * 1000) + "::in", 400),
        ("OWNER_ID::" + ":".join(map(str, range(1, 501))) + "::in", 200),
    ]
    for text, status in filters:
        response = pl.get("/Accounts", params={"filter": text})
        assert response.status_code == status, (text[:100], response.status_code, response.text[:300])
        if status == 400:
            refused(response, 400, 411)
        else:
            assert MARK not in response.text or text.startswith(("ORGANIZATION::%", "OWNER_ID"))
    others: list[tuple[str, str]] = [
        ("/Accounts?limit=100000000000000000000", "limit"), ("/Accounts?limit=1;DROP", "limit"),
        ("/Accounts?offset=-5", "offset"), ("/Accounts?offset=%00", "offset"),
        ("/Accounts?sort=ORGANIZATION;DROP TABLE x", "sort"), ("/Accounts?sort=" + "A|" * 200, "sort"),
        ("/Accounts?loadonly=ID,ORGANIZATION", "loadonly"), ("/Accounts?loadonly=*", "loadonly"),
        ("/Accounts?after=1' OR '1'='1", "after"), ("/Accounts?after=%FF%FE", "after"),
        ("/Accounts?filter=%FF%FE", "filter"), ("/Accounts?filter=ORGANIZATION::%FF::fl", ""),
        ("/getFields/Accounts?filter=CUSTOM::1'--", ""), ("/Data?filter=NOPE::1", "filter"),
        ("/Data?sort=NOPE", "sort"), ("/Data?limit=x", "limit"),
    ]
    for url, param in others:
        response = pl.get(url)
        assert response.status_code < 500, (url, response.text)
        if param:
            refused(response, 400, (410, 411, 412))
    for path in ("/Accounts/' OR 1=1 --", "/Accounts/%00", "/Accounts/" + "A" * 10000,
                 f"/Accounts/{world.ids['Accounts']}%00", "/Clients/-1", "/Clients/1e3",
                 "/Clients/99999999999999999999", "/Clients/" + "9" * 5000, "/Data/junk",
                 "/Data/PY-7FFFFFFF-FFFFFFFF-DA7A-4000-8000-FFFFFFFFFFFF", "/Tasks/%2e%2e",
                 "/getFields/%00", "/Nope/1"):
        for method in ("GET", "PUT", "DELETE"):
            body = {"VALUE" if path.startswith("/Data") else "ORGANIZATION": "x"}
            response = pl.request(method, path, json=body if method == "PUT" else None)
            refused(response, 404, (420, 421))
    for method, path in (("DELETE", "/Accounts"), ("PUT", "/Accounts"), ("PATCH", "/Accounts"),
                         ("POST", f"/Accounts/{world.ids['Accounts']}"), ("PUT", "/setEntities"),
                         ("DELETE", "/errorCodes"), ("POST", "/getFields/Accounts"), ("POST", "")):
        refused(pl.request(method, path, json={}), 405, 422)
    assert state(pl) == before
    assert MARK in json.dumps(listing(pl, "Accounts"))  # the tables are still there


def test_unauthenticated_huge_or_malformed_bodies_are_401(pl: Pipeliner, world: World) -> None:
    """Credentials are checked before a body is read: nothing is parsed for strangers."""
    before = state(pl)
    for kw in ({"content": b"{"}, {"json": {"ORGANIZATION": "x" * (2 * 1024 * 1024)}}):
        response = pl.post("/Accounts", auth=False, **kw)
        assert response.status_code == 401, response.text[:200]
        refused(response, 401, 301)
    assert state(pl) == before


def test_error_bodies_are_json_even_for_routing_errors(http: Any, pl: Pipeliner) -> None:
    for path in ("/rest_services/v1/", f"/rest_services/v1/{pl.space_id}/Accounts/a/b",
                 f"/rest_services/v1/{pl.space_id}//Accounts", "/rest_services/v1/x/y/z/w"):
        response: httpx.Response = http.request("GET", path, headers={"Authorization": pl.auth})
        assert response.status_code in (401, 404), (path, response.status_code)
        refused(response, (401, 404))
