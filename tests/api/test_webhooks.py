"""Webhooks (issue 15): Pipedrive's management API, v1 and v2 payloads (§11) delivered to a
real HTTP receiver on 127.0.0.1, retries and bans on a clock the test drives, a receiver
down for ten minutes, replays, signatures, the SSRF guard, a dispatcher killed with
kill -9, and two dispatchers on PostgreSQL.

The app under test lets webhooks reach 127.0.0.1 (``DEALBASE_WEBHOOK_ALLOW``), as an
operator would for a receiver on the same machine; the dispatcher runs cycle by cycle in
the test (``run_once``) on the test's clock, except where a real process is the point.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio.from_thread
import httpx
import pytest

from dealbase.api.app import create_app, service_of
from dealbase.api.pipedrive.dispatch import Dispatcher, Refused, Sender
from dealbase.api.pipedrive.mapping import wire_uuid
from dealbase.domain import webhooks as rules
from dealbase.domain.errors import ValidationError
from dealbase.query.ast import Cond, Keyset, Query
from dealbase.service import Service
from dealbase.settings import Settings
from tests.conftest import Pipedrive, SyncClient, Tenant

T0 = dt.datetime(2031, 3, 1, 9, 0, 0)
ALLOW = "127.0.0.1"


# ---- a real receiver ------------------------------------------------------------------------

class Server(ThreadingHTTPServer):
    request_queue_size = 128  # (the dispatcher sends a batch at once)
    daemon_threads = True


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers ``status`` (a
    function of the request number), optionally after ``delay`` seconds; it notes when
    the same event is being handled twice at once."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        self.status: Callable[[int], int] = lambda n: 200
        self.delay = 0.0
        self.location = ""
        self.in_flight: dict[str, int] = {}
        self.overlaps: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                event = self.headers.get(rules.EVENT_HEADER, "")
                with receiver.lock:
                    number = len(receiver.requests)
                    if receiver.in_flight.get(event):
                        receiver.overlaps.append(event)
                    receiver.in_flight[event] = receiver.in_flight.get(event, 0) + 1
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.status(number)
                with receiver.lock:
                    receiver.in_flight[event] -= 1
                    receiver.requests.append(({k.lower(): v for k, v in self.headers.items()},
                                              body, status))
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def payloads(self, ok_only: bool = True) -> list[dict[str, Any]]:
        return [json.loads(b) for _, b, s in self.requests if not ok_only or 200 <= s < 300]


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class Harness:
    """The app (127.0.0.1 allowed), a tenant's Pipedrive client on it, a receiver and a
    dispatcher on the test's clock."""

    def __init__(self, service: Service, tenant: Tenant, http: SyncClient) -> None:
        self.service, self.tenant = service, tenant
        self.settings = Settings(database_url=service.settings.database_url,
                                 webhook_allow=ALLOW)
        self.pd = Pipedrive(http, tenant.company.api_token)
        self.clock = Clock()
        self.receiver = Receiver()
        self.dispatcher = Dispatcher(service, self.settings, clock=self.clock)

    def hook(self, version: str = "2.0", action: str = "*", obj: str = "*",
             **more: Any) -> dict[str, Any]:
        answer = self.pd.post("/v1/webhooks", json={
            "subscription_url": self.receiver.url, "event_action": action, "event_object": obj,
            "name": f"hook {version}", "version": version, **more})
        assert answer.status_code == 201, answer.text
        made: dict[str, Any] = answer.json()["data"]
        return made

    def ext(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """A call to dealbase's own routes (not in Pipedrive's spec: not checked by it)."""
        return self.pd.request(method, path, check=False, **kw)

    def drain(self, cycles: int = 200) -> None:
        """Cycles until there is nothing left to do at this time."""
        for _ in range(cycles):
            if not self.dispatcher.run_once():
                return
        raise AssertionError("the dispatcher never ran out of work")

    def close(self) -> None:
        with self.service.unit(self.tenant.ctx, write=True) as unit:
            ids = [r["id"] for r in unit.list("webhook", Query(
                where=Cond("is_deleted", "eq", False), page=Keyset(None, 1000))).items]
            if ids:
                unit.delete("webhook", ids)
        self.dispatcher.stop()
        self.receiver.close()


@pytest.fixture(scope="module")
def hooks_http(app: Any) -> Iterator[SyncClient]:
    """A client of an app over the session's service that lets webhooks reach 127.0.0.1."""
    service = service_of(app)
    settings = Settings(database_url=service.settings.database_url, webhook_allow=ALLOW)
    with anyio.from_thread.start_blocking_portal() as portal:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(
            app=create_app(settings, service)), base_url="http://dealbase.test")
        yield SyncClient(portal, client)
        portal.call(client.aclose)


@pytest.fixture
def wh(app: Any, tenant: Tenant, hooks_http: SyncClient) -> Iterator[Harness]:
    harness = Harness(service_of(app), tenant, hooks_http)
    yield harness
    harness.close()


def _data(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()["data"]


# ---- the management API ---------------------------------------------------------------------

def test_create_list_and_delete_as_pipedrive(wh: Harness) -> None:
    made = wh.hook("1.0", "added", "deal", http_auth_user="u", http_auth_password="p4ss")
    assert made["signing_secret"].startswith("whsec_")
    assert (made["event_action"], made["event_object"], made["version"]) == ("added", "deal",
                                                                             "1.0")
    assert made["is_active"] == 1 and made["type"] == "general"
    assert made["http_auth_user"] == "u" and made["http_auth_password"] == "********"
    assert made["user_id"] == made["owner_id"] == wh.tenant.company.user_id
    listed = _data(wh.pd.get("/v1/webhooks"))
    assert [h["id"] for h in listed] == [made["id"]]
    assert "signing_secret" not in listed[0] and listed[0]["http_auth_password"] == "********"
    assert "p4ss" not in wh.pd.get("/v1/webhooks").text
    v2 = wh.hook("2.0", "change", "person")  # v2's words too; 2.0 is the default version
    assert _data(wh.pd.post("/v1/webhooks", json={
        "subscription_url": wh.receiver.url, "event_action": "*", "event_object": "*",
        "name": "n"}))["version"] == "2.0"
    assert wh.pd.delete(f"/v1/webhooks/{v2['id']}").json() == {"status": "ok", "success": True}
    assert wh.pd.delete(f"/v1/webhooks/{v2['id']}").status_code == 404
    assert v2["id"] not in [h["id"] for h in _data(wh.pd.get("/v1/webhooks"))]


@pytest.mark.parametrize(("body", "field"), [
    ({"event_action": "*", "event_object": "*", "name": "n"}, "subscription_url"),
    ({"subscription_url": "URL", "event_object": "*", "name": "n"}, "event_action"),
    ({"subscription_url": "URL", "event_action": "*", "name": "n"}, "event_object"),
    ({"subscription_url": "URL", "event_action": "*", "event_object": "*"}, "name"),
    ({"subscription_url": "URL", "event_action": "poked", "event_object": "*", "name": "n"},
     "event_action"),
    ({"subscription_url": "URL", "event_action": "*", "event_object": "dragon", "name": "n"},
     "event_object"),
    ({"subscription_url": "URL", "event_action": "*", "event_object": "*", "name": "n",
      "version": "3.0"}, "version"),
    ({"subscription_url": "ftp://example.com/x", "event_action": "*", "event_object": "*",
      "name": "n"}, "subscription_url"),
    ({"subscription_url": "http://10.1.2.3/x", "event_action": "*", "event_object": "*",
      "name": "n"}, "subscription_url"),
    ({"subscription_url": "http://[::1]/x", "event_action": "*", "event_object": "*",
      "name": "n"}, "subscription_url"),
    ({"subscription_url": "http://169.254.169.254/latest", "event_action": "*",
      "event_object": "*", "name": "n"}, "subscription_url"),
    ({"subscription_url": "URL", "event_action": "*", "event_object": "*", "name": "n",
      "user_id": 999999}, "user_id"),
])
def test_bad_webhooks_are_refused_with_pipedrives_errors(wh: Harness, body: dict[str, Any],
                                                         field: str) -> None:
    body = {k: (wh.receiver.url if v == "URL" else v) for k, v in body.items()}
    answer = wh.pd.post("/v1/webhooks", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["success"] is False and field in answer.json()["errors"]
    assert _data(wh.pd.get("/v1/webhooks")) == []


def test_forty_webhooks_per_user_then_422(wh: Harness) -> None:
    for _ in range(rules.MAX_PER_USER):
        wh.hook()
    answer = wh.pd.post("/v1/webhooks", json={"subscription_url": wh.receiver.url,
                                              "event_action": "*", "event_object": "*",
                                              "name": "one too many"})
    assert answer.status_code == 422 and answer.json()["error"] == "webhooks limit reached"


def test_a_user_cannot_subscribe_as_another(wh: Harness) -> None:
    other = wh.tenant.records.create("user", {"name": "Sam", "email": "sam@acme.example"})
    token = wh.service.create_token(wh.tenant.company.company_id, other["id"]).token
    sam = Pipedrive(wh.pd.http, token)
    answer = sam.post("/v1/webhooks", json={
        "subscription_url": wh.receiver.url, "event_action": "*", "event_object": "*",
        "name": "n", "user_id": wh.tenant.company.user_id})
    assert answer.status_code == 403
    mine = _data(sam.post("/v1/webhooks", json={
        "subscription_url": wh.receiver.url, "event_action": "*", "event_object": "*",
        "name": "n"}))
    assert _data(sam.get("/v1/webhooks"))[0]["id"] == mine["id"]
    assert mine["id"] in [h["id"] for h in _data(wh.pd.get("/v1/webhooks"))]  # (the admin's)
    assert sam.delete(f"/v1/webhooks/{wh.hook()['id']}").status_code == 404


# ---- payloads: every event kind of every entity, v1 and v2 ---------------------------------

def _world(wh: Harness) -> list[tuple[str, int, dict[str, Any]]]:
    """One record of each entity webhooks report on, and a change to make to it."""
    records = wh.tenant.records
    made: dict[str, int] = {}

    def make(entity: str, values: dict[str, Any]) -> None:
        made[entity] = records.create(entity, values)["id"]

    make("pipeline", {"name": "P"})
    make("stage", {"name": "S", "pipeline_id": made["pipeline"]})
    make("organization", {"name": "O"})
    make("person", {"name": "Pe"})
    make("deal", {"title": "D", "stage_id": made["stage"]})
    make("activity_type", {"name": "AT", "icon_key": "call"})
    make("activity", {"subject": "A", "type": "call"})
    make("note", {"content": "N", "deal_id": made["deal"]})
    make("product", {"name": "Pr"})
    make("user", {"name": "U", "email": "u@acme.example"})
    make("lead", {"title": "L", "person_id": made["person"]})
    make("deal_product", {"deal_id": made["deal"], "product_id": made["product"],
                          "item_price": 1, "quantity": 1})
    make("project_board", {"name": "B"})
    make("project_phase", {"name": "Ph", "board_id": made["project_board"]})
    make("project", {"title": "Pj", "board_id": made["project_board"],
                     "phase_id": made["project_phase"]})
    make("task", {"title": "T", "project_id": made["project"]})
    change = {"deal": {"title": "x"}, "lead": {"title": "x"}, "project": {"title": "x"},
              "task": {"title": "x"}, "activity": {"subject": "x"}, "note": {"content": "x"},
              "deal_product": {"quantity": 2}}
    return [(e, i, change.get(e, {"name": "x"})) for e, i in made.items()]


def _wire(wh: Harness, entity: str, ident: int) -> Any:
    """A record's id on the wire: a lead's is a UUID."""
    return wire_uuid(wh.tenant.records.get(entity, ident)["uid"]) if entity == "lead" else ident


def test_every_event_of_every_entity_in_v1_and_v2(wh: Harness) -> None:
    v1, v2 = wh.hook("1.0"), wh.hook("2.0")
    world = _world(wh)
    records = wh.tenant.records
    wire = {e: _wire(wh, e, i) for e, i, _ in world}
    for entity, ident, values in world:
        records.update(entity, ident, values)
    for entity, ident, _ in reversed(world):
        records.delete(entity, [ident])
    wh.drain()
    got = wh.receiver.payloads()
    firsts = [p for p in got if "v" in p]
    seconds = [p for p in got if "v" not in p]
    assert {p["meta"]["webhook_id"] for p in firsts} == {str(v1["id"])}
    assert {p["meta"]["webhook_id"] for p in seconds} == {str(v2["id"])}
    user = wh.tenant.company.user_id
    for entity, _, values in world:
        ident = wire[entity]
        name = rules.OBJECTS[entity]
        mine = [p for p in firsts if p["meta"]["object"] == name and p["meta"]["id"] == ident]
        assert [p["event"] for p in mine] == [f"added.{name}", f"updated.{name}",
                                              f"deleted.{name}"], entity
        added, updated, deleted = mine
        for payload in mine:
            meta = payload["meta"]
            assert payload["v"] == 1 and payload["retry"] == 0 and meta["v"] == 1
            assert meta["company_id"] == wh.tenant.company.company_id
            assert meta["user_id"] == user and meta["change_source"] == "api"
            assert meta["timestamp_micro"] == meta["timestamp"] * 1_000_000
            assert user in meta["permitted_user_ids"]
            assert payload["matches_filters"] == {"current": [], "previous": []}
            assert ("send_activity_notifications" in meta) == (entity == "activity")
        one = (lambda o: o[0]) if entity == "user" else (lambda o: o)  # (users: arrays)
        assert added["previous"] is None and one(added["current"])["id"] == ident
        assert updated["current"] is not None and updated["previous"] is not None
        key, new = next(iter(values.items()))
        assert one(updated["current"])[key] == new
        assert one(updated["previous"])[key] != new
        assert deleted["current"] is None and one(deleted["previous"])["id"] == ident
        ours = [p for p in seconds if p["meta"]["entity"] == name
                and p["meta"]["entity_id"] == str(ident)]
        assert [p["meta"]["action"] for p in ours] == ["create", "change", "delete"], entity
        create, change, delete = ours
        for payload in ours:
            meta = payload["meta"]
            assert meta["version"] == "2.0" and meta["attempt"] == 1 and meta["type"] == "general"
            assert meta["company_id"] == str(wh.tenant.company.company_id)
            assert meta["user_id"] == str(user) and meta["webhook_owner_id"] == str(user)
            assert ("permitted_user_ids" in meta) == (entity != "user")
            assert meta["timestamp"].endswith("Z")
        assert create["previous"] is None and create["data"]["id"] == ident
        assert change["data"][key] == new
        assert key in change["previous"] and change["previous"][key] != new
        assert set(change["previous"]) <= set(change["data"])  # (only what changed)
        assert "id" not in change["previous"]
        assert delete["data"] is None and delete["previous"]["id"] == ident
    assert len({p["meta"]["id"] for p in seconds}) == len(seconds)  # one id per event


def test_payloads_are_the_dialects_objects_as_of_the_change(
        wh: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    wh.hook("1.0", "*", "deal")
    wh.hook("2.0", "*", "deal")
    clock = Clock()  # the writes' own time, a minute apart (update_time as of each)
    monkeypatch.setattr(wh.service._records, "clock", clock)
    deal = _data(wh.pd.post("/api/v2/deals", json={"title": "first", "value": 10}))["id"]
    as_v1 = _data(wh.pd.get(f"/v1/deals/{deal}"))
    as_v2 = _data(wh.pd.get(f"/api/v2/deals/{deal}"))
    clock.tick(60)
    wh.pd.patch(f"/api/v2/deals/{deal}", json={"title": "second"})
    clock.tick(60)
    wh.pd.patch(f"/api/v2/deals/{deal}", json={"title": "third", "value": 30})
    wh.drain()  # (fanned out after all three writes: each payload shows its own moment)
    v1 = [p for p in wh.receiver.payloads() if "v" in p]
    v2 = [p for p in wh.receiver.payloads() if "v" not in p]
    assert v1[0]["current"] == as_v1 and v2[0]["data"] == as_v2
    assert [p["current"]["title"] for p in v1] == ["first", "second", "third"]
    assert [p["data"]["title"] for p in v2] == ["first", "second", "third"]
    assert v2[1]["previous"]["title"] == "first" and "value" not in v2[1]["previous"]
    assert v2[2]["previous"]["title"] == "second" and v2[2]["previous"]["value"] == 10
    assert [p["event"] for p in v1] == ["added.deal", "updated.deal", "updated.deal"]
    assert [p["current"]["update_time"][-8:] for p in v1] == ["09:00:00", "09:01:00",
                                                              "09:02:00"]


def test_subscriptions_filter_by_action_and_object(wh: Harness) -> None:
    wh.hook("1.0", "deleted", "person")
    wh.hook("2.0", "create", "deal")
    person = wh.tenant.records.create("person", {"name": "P"})["id"]
    deal = wh.tenant.records.create("deal", {"title": "D"})["id"]
    wh.tenant.records.update("deal", deal, {"title": "E"})
    wh.tenant.records.delete("person", [person])
    wh.drain()
    got = wh.receiver.payloads()
    assert sorted(p.get("event") or f"{p['meta']['action']}.{p['meta']['entity']}"
                  for p in got) == ["create.deal", "deleted.person"]


def test_a_merge_is_merged_and_deleted_in_v1_and_names_the_other_in_v2(wh: Harness) -> None:
    v1 = wh.hook("1.0", "merged", "person")
    wh.hook("1.0", "deleted", "person")
    wh.hook("2.0", "*", "person")
    keep = wh.tenant.records.create("person", {"name": "Keep"})["id"]
    gone = wh.tenant.records.create("person", {"name": "Gone"})["id"]
    wh.drain()
    before = len(wh.receiver.payloads())
    _data(wh.pd.put(f"/v1/persons/{gone}/merge", json={"merge_with_id": keep}))
    wh.drain()
    got = wh.receiver.payloads()[before:]
    v1_events = sorted((p["event"], p["meta"]["id"]) for p in got if "event" in p)
    assert v1_events == [("deleted.person", gone), ("merged.person", keep)]
    merged = next(p for p in got if p.get("event") == "merged.person")
    assert merged["meta"]["webhook_id"] == str(v1["id"])
    assert merged["current"]["id"] == keep and merged["current"]["name"] == "Keep"
    v2 = {(p["meta"]["action"], p["meta"]["entity_id"]): p["meta"] for p in got
          if "event" not in p}
    assert v2[("change", str(keep))]["merged_from_id"] == str(gone)
    assert v2[("delete", str(gone))]["merged_to_id"] == str(keep)
    assert wh.pd.get(f"/v1/persons/{keep}/flow").status_code == 200  # (the log reads on)
    assert wh.pd.get(f"/v1/persons/{keep}/changelog").status_code == 200
    # Subscribers of updates alone hear no merge; a plain update is not a merge.
    wh.tenant.records.update("person", keep, {"name": "Kept"})
    wh.drain()
    later = wh.receiver.payloads()[before + len(got):]
    assert [p["meta"]["action"] for p in later] == ["change"]
    assert "merged_from_id" not in later[0]["meta"]


def test_a_replay_since_a_time_past_the_calendar_is_a_400(wh: Harness) -> None:
    made = wh.hook()
    answer = wh.ext("POST", f"/api/dealbase/webhooks/{made['id']}/replay",
                    json={"since": "0001-01-01T00:00:00+05:00"})
    assert answer.status_code == 400, answer.text


def test_an_event_that_cannot_be_built_holds_up_no_other(wh: Harness,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    wh.hook("2.0", "*", "*")
    build = wh.dispatcher.payloads.build

    def broken(unit: Any, hook: Any, change: Any, event_id: str) -> str | None:
        if change.entity == "person":
            raise RuntimeError("a renderer's bug")
        return build(unit, hook, change, event_id)

    monkeypatch.setattr(wh.dispatcher.payloads, "build", broken)
    wh.tenant.records.create("person", {"name": "Broken"})
    deal = wh.tenant.records.create("deal", {"title": "Fine"})["id"]
    wh.drain()
    got = [(p["meta"]["entity"], p["meta"]["entity_id"]) for p in wh.receiver.payloads()]
    assert got == [("deal", str(deal))]


def test_deal_installments_are_their_own_object(wh: Harness) -> None:
    wh.hook("2.0", "*", "deal_installment")
    deal = wh.tenant.records.create("deal", {"title": "Paid in parts"})["id"]
    made = _data(wh.pd.post(f"/api/v2/deals/{deal}/installments", json={
        "description": "First", "amount": 100, "billing_date": "2031-01-01"}))
    _data(wh.pd.patch(f"/api/v2/deals/{deal}/installments/{made['id']}", json={"amount": 150}))
    # A recurring subscription's payments are no installments: nothing is sent for them.
    other = wh.tenant.records.create("deal", {"title": "Monthly"})["id"]
    assert wh.pd.post("/v1/subscriptions/recurring", json={
        "deal_id": other, "currency": "USD", "cadence_type": "monthly", "cycle_amount": 10,
        "start_date": "2031-01-01", "cycles_count": 2}, check=False).status_code < 300
    wh.drain()
    got = [(p["meta"]["action"], p["meta"]["entity"], p["meta"]["entity_id"])
           for p in wh.receiver.payloads()]
    assert got == [("create", "deal_installment", str(made["id"])),
                   ("change", "deal_installment", str(made["id"]))]
    change = wh.receiver.payloads()[1]
    assert change["data"]["amount"] == 150 and change["previous"] == {"amount": 100}
    assert change["data"]["deal_id"] == deal


def test_events_of_a_user_who_cannot_see_are_not_sent(wh: Harness) -> None:
    other = wh.tenant.records.create("user", {"name": "Kim", "email": "kim@acme.example"})
    wh.hook("2.0", user_id=other["id"])
    wh.tenant.records.update("user", other["id"], {"is_active": False})
    wh.tenant.records.create("deal", {"title": "unseen"})
    wh.drain()
    assert wh.receiver.requests == []


def test_events_are_read_with_the_webhook_users_permissions(wh: Harness) -> None:
    sam = wh.tenant.records.create("user", {"name": "Sam", "email": "sam@acme.example"})["id"]
    theirs = wh.hook("2.0", "create", "deal", user_id=sam)
    wh.hook("2.0", "create", "deal")  # (the admin's: sees everything)
    private = wh.tenant.records.create("deal", {"title": "private", "visible_to": 1})["id"]
    shared = wh.tenant.records.create("deal", {"title": "shared", "visible_to": 3})["id"]
    wh.drain()
    got = wh.receiver.payloads()
    mine = [p for p in got if p["meta"]["webhook_id"] == str(theirs["id"])]
    assert [p["data"]["id"] for p in mine] == [shared]  # the private deal is not Sam's to see
    admins = {p["data"]["id"]: p["meta"]["permitted_user_ids"] for p in got if p not in mine}
    assert str(sam) not in admins[private] and str(sam) in admins[shared]


# ---- signatures, auth, event ids ----------------------------------------------------------

def test_signed_with_basic_auth_and_a_stable_event_id(wh: Harness) -> None:
    made = wh.hook("2.0", http_auth_user="hook", http_auth_password="s3cret")
    wh.tenant.records.create("deal", {"title": "D"})
    wh.drain()
    (headers, body, _), = wh.receiver.requests
    assert headers["authorization"] == "Basic " + base64.b64encode(b"hook:s3cret").decode()
    assert headers["content-type"] == "application/json"
    now = int(wh.clock().replace(tzinfo=dt.UTC).timestamp())
    signature = headers[rules.SIGNATURE_HEADER.lower()]
    assert rules.verify(made["signing_secret"], signature, body, now)
    assert not rules.verify(made["signing_secret"], signature, body + b" ", now)
    assert not rules.verify("whsec_other", signature, body, now)
    assert not rules.verify(made["signing_secret"], signature, body, now + 3600)
    assert headers[rules.EVENT_HEADER.lower()] == json.loads(body)["meta"]["id"]


def test_signature_round_trip() -> None:
    secret = rules.new_secret()
    header = rules.sign(secret, 1_700_000_000, b'{"a":1}')
    assert header.startswith("t=1700000000,v1=")
    assert rules.verify(secret, header, b'{"a":1}', 1_700_000_100)
    assert not rules.verify(secret, header, b'{"a":2}', 1_700_000_100)
    assert not rules.verify(secret, header, b'{"a":1}', 1_700_000_000 + 301)
    assert not rules.verify(secret, "v1=deadbeef", b'{"a":1}', 1_700_000_000)
    assert rules.new_secret() != secret


# ---- retries, bans, a receiver down --------------------------------------------------------

def _attempts(wh: Harness) -> list[int]:
    return [p["meta"]["attempt"] if "meta" in p and "v" not in p else p["retry"] + 1
            for p in wh.receiver.payloads(ok_only=False)]


def test_retries_after_3_30_and_150_seconds_then_every_5_minutes(wh: Harness) -> None:
    made = wh.hook("1.0")
    wh.receiver.status = lambda n: 500
    wh.tenant.records.create("deal", {"title": "D"})
    wh.drain()
    assert _attempts(wh) == [1]
    for wait, expected in ((2, [1]), (1, [1, 2]), (29, [1, 2]), (1, [1, 2, 3]),
                           (149, [1, 2, 3]), (1, [1, 2, 3, 4]), (299, [1, 2, 3, 4]),
                           (1, [1, 2, 3, 4, 5])):
        wh.clock.tick(wait)
        wh.drain()
        assert _attempts(wh) == expected, wait
    assert [p["retry"] for p in wh.receiver.payloads(ok_only=False)] == [0, 1, 2, 3, 4]
    wh.receiver.status = lambda n: 204
    wh.clock.tick(300)
    wh.drain()
    assert len(wh.receiver.payloads()) == 1
    log = _data(wh.ext("GET", f"/api/dealbase/webhooks/{made['id']}/deliveries"))
    assert [(d["status"], d["attempts"]) for d in log] == [("delivered", 6)]
    assert [a["http_status"] for a in log[0]["attempt_log"]] == [500] * 5 + [204]
    assert all(a["latency_ms"] >= 0 for a in log[0]["attempt_log"])
    listed = _data(wh.pd.get("/v1/webhooks"))[0]
    assert listed["last_http_status"] == 204 and listed["last_delivery_time"] is not None


def test_ten_failed_first_attempts_ban_for_30_minutes_and_nothing_is_dropped(wh: Harness
                                                                              ) -> None:
    wh.hook("2.0", "create", "deal")
    wh.receiver.status = lambda n: 503
    for n in range(rules.BAN_AFTER):
        wh.tenant.records.create("deal", {"title": f"d{n}"})
    wh.drain()
    assert len(wh.receiver.requests) == rules.BAN_AFTER  # ten first attempts: banned now
    wh.receiver.status = lambda n: 200
    wh.tenant.records.create("deal", {"title": "during the ban"})
    for _ in range(29):
        wh.clock.tick(60)
        wh.drain()
    assert len(wh.receiver.requests) == rules.BAN_AFTER  # held, not sent, not dropped
    wh.clock.tick(61)
    wh.drain()
    titles = sorted(p["data"]["title"] for p in wh.receiver.payloads())
    assert titles == sorted([f"d{n}" for n in range(rules.BAN_AFTER)] + ["during the ban"])


def test_a_receiver_down_for_ten_minutes_loses_nothing_and_keeps_order(wh: Harness) -> None:
    wh.hook("2.0")
    down_until = T0 + dt.timedelta(minutes=10)
    wh.receiver.status = lambda n: 200 if wh.clock() >= down_until else 503
    records = wh.tenant.records
    deals = [records.create("deal", {"title": f"deal {n}"})["id"] for n in range(4)]
    wh.drain()
    for step in range(1, 60):  # writes keep coming while the receiver is down, and after
        wh.clock.tick(20)
        if step % 6 == 0:
            for deal in deals:
                records.update("deal", deal, {"title": f"step {step}"})
        wh.drain()
    for _ in range(12):
        wh.clock.tick(300)
        wh.drain()
    accepted = wh.receiver.payloads()
    ids = [p["meta"]["id"] for p in accepted]
    assert len(ids) == len(set(ids))  # each event delivered once
    with wh.service.unit(wh.tenant.ctx) as unit:
        expected = {d: [c.seq for c in unit.changes("deal", d)] for d in deals}
    for deal in deals:
        got = [p for p in accepted if p["meta"]["entity_id"] == str(deal)]
        assert len(got) == len(expected[deal]) == 10
        assert [p["meta"]["action"] for p in got] == ["create"] + ["change"] * 9
        titles = [p["data"]["title"] for p in got]
        assert titles == [f"deal {deals.index(deal)}"] + [f"step {s}" for s in range(6, 60, 6)]
    assert any(p["meta"]["attempt"] > 4 for p in accepted)  # (kept past Pipedrive's 4 tries)


def test_three_days_without_success_deactivate_and_keep_deliveries_replayable(wh: Harness
                                                                              ) -> None:
    made = wh.hook("2.0")
    wh.receiver.status = lambda n: 500
    wh.tenant.records.create("deal", {"title": "D"})
    wh.drain()
    for _ in range(3):
        wh.clock.tick(86_400)
        wh.drain()
    listed = _data(wh.pd.get("/v1/webhooks"))[0]
    assert listed["is_active"] == 0 and listed["remove_reason"] == rules.REMOVED_FOR_FAILURES
    tried = len(wh.receiver.requests)
    wh.clock.tick(3600)
    wh.drain()
    assert len(wh.receiver.requests) == tried  # inactive: nothing sent
    log = _data(wh.ext("GET", f"/api/dealbase/webhooks/{made['id']}/deliveries?status=pending"))
    assert len(log) == 1 and log[0]["status"] == "pending"


# ---- the delivery log and replays ---------------------------------------------------------

def test_replay_one_delivery_or_everything_since(wh: Harness) -> None:
    made = wh.hook("2.0")
    deals = [wh.tenant.records.create("deal", {"title": f"d{n}"})["id"] for n in range(3)]
    wh.drain()
    assert len(wh.receiver.payloads()) == 3
    log = _data(wh.ext("GET", f"/api/dealbase/webhooks/{made['id']}/deliveries"))
    assert [d["entity_id"] for d in log] == list(reversed(deals))
    first = log[-1]
    one = _data(wh.ext("GET", f"/api/dealbase/webhooks/{made['id']}/deliveries/{first['id']}"))
    assert one["payload"]["meta"]["id"] == first["event_id"]
    assert _data(wh.ext("POST", f"/api/dealbase/webhooks/{made['id']}/deliveries/{first['id']}"
                            "/replay")) == {"replayed": 1}
    wh.drain()
    again = wh.receiver.payloads()[-1]
    assert again["meta"]["id"] == first["event_id"] and again["meta"]["attempt"] == 2
    assert _data(wh.ext("POST", f"/api/dealbase/webhooks/{made['id']}/replay",
                            json={"since_seq": log[1]["seq"]})) == {"replayed": 2}
    wh.drain()
    assert sorted(p["meta"]["entity_id"] for p in wh.receiver.payloads()[-2:]) == \
        sorted(str(d) for d in deals[1:])
    assert _data(wh.ext("POST", f"/api/dealbase/webhooks/{made['id']}/replay",
                            json={"since": "2000-01-01 00:00:00"})) == {"replayed": 3}
    bad = wh.ext("POST", f"/api/dealbase/webhooks/{made['id']}/replay", json={"since": "soon"})
    assert bad.status_code == 400
    assert wh.ext("GET", "/api/dealbase/webhooks/999999/deliveries").status_code == 404


def test_the_log_forgets_delivered_events_after_the_days_it_keeps(wh: Harness) -> None:
    made = wh.hook("2.0")
    wh.tenant.records.create("deal", {"title": "delivered"})
    wh.drain()
    wh.receiver.status = lambda n: 500
    wh.tenant.records.create("deal", {"title": "still pending"})
    wh.drain()
    url = f"/api/dealbase/webhooks/{made['id']}/deliveries"
    assert sorted(d["status"] for d in _data(wh.ext("GET", url))) == ["delivered", "pending"]
    wh.clock.tick(wh.settings.webhook_keep_days * 86_400 - 3600)
    wh.drain()
    assert len(_data(wh.ext("GET", url))) == 2  # (not old enough yet)
    wh.clock.tick(2 * 3600)
    wh.drain()
    assert [d["status"] for d in _data(wh.ext("GET", url))] == ["pending"]


def test_another_company_sees_no_webhook_nor_its_log(wh: Harness, other: Tenant) -> None:
    made = wh.hook("2.0")
    theirs = Pipedrive(wh.pd.http, other.company.api_token)
    assert _data(theirs.get("/v1/webhooks")) == []
    assert theirs.delete(f"/v1/webhooks/{made['id']}").status_code == 404
    assert theirs.request("GET", f"/api/dealbase/webhooks/{made['id']}/deliveries",
                          check=False).status_code == 404
    other.records.create("deal", {"title": "theirs"})
    wh.drain()
    assert wh.receiver.requests == []


# ---- the SSRF guard -----------------------------------------------------------------------

@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "172.16.3.4", "192.168.1.1",
                                     "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1",
                                     "fe80::1", "fc00::1", "::ffff:10.0.0.1", "224.0.0.1"])
def test_the_guard_refuses_addresses_that_are_not_public(address: str) -> None:
    assert rules.refused(address)


@pytest.mark.parametrize("host", ["2130706433", "127.1", "0x7f000001", "10.1",
                                  "[2002:7f00:1::]", "[2002:a00:1::]"])
def test_addresses_written_as_resolvers_read_them_are_refused_at_creation(host: str) -> None:
    with pytest.raises(ValidationError):
        rules.check_url(f"http://{host}/hook")
    assert rules.check_url("http://[2002:808:808::]/hook")  # (6to4 of a public address)


def test_the_guard_lets_public_and_allowed_addresses_through() -> None:
    assert not rules.refused("93.184.216.34") and not rules.refused("2606:4700::1111")
    allowed = rules.allow_list("127.0.0.1, 10.0.0.0/8")
    assert not rules.refused("127.0.0.1", allowed) and not rules.refused("10.9.9.9", allowed)
    assert rules.refused("127.0.0.2", allowed) and rules.refused("192.168.0.1", allowed)
    with pytest.raises(ValueError):
        rules.allow_list("not-a-network")


def test_names_that_resolve_to_private_addresses_are_refused() -> None:
    names = {"evil.example": ["93.184.216.34", "10.0.0.7"], "good.example": ["93.184.216.34"]}
    sender = Sender(lambda: T0, resolver=lambda host, port: names[host])
    try:
        with pytest.raises(Refused, match="10.0.0.7"):
            sender.target("https://evil.example/hook")
        url, host, extensions = sender.target("https://good.example:8443/hook?x=1")
        assert url == "https://93.184.216.34:8443/hook?x=1"  # (the address it checked)
        assert host == {"Host": "good.example:8443"}
        assert extensions == {"sni_hostname": "good.example"}
    finally:
        sender.close()


def test_a_name_resolving_to_a_private_address_fails_the_delivery(wh: Harness) -> None:
    made = wh.hook("2.0", subscription_url="http://internal.example/hook")
    wh.dispatcher.sender.resolver = lambda host, port: ["10.0.0.9"]
    wh.tenant.records.create("deal", {"title": "D"})
    wh.drain()
    log = _data(wh.ext("GET", f"/api/dealbase/webhooks/{made['id']}/deliveries"))
    assert log[0]["status"] == "pending" and "10.0.0.9" in log[0]["last_error"]


def test_redirects_are_refused(wh: Harness) -> None:
    made = wh.hook("2.0")
    target = Receiver()
    try:
        wh.receiver.status = lambda n: 302
        wh.receiver.location = target.url
        wh.tenant.records.create("deal", {"title": "D"})
        wh.drain()
        assert len(wh.receiver.requests) == 1 and target.requests == []
        log = _data(wh.ext("GET", f"/api/dealbase/webhooks/{made['id']}/deliveries"))
        assert log[0]["status"] == "pending" and "redirect" in log[0]["last_error"]
    finally:
        target.close()


# ---- a dispatcher killed mid-delivery; two dispatchers on PostgreSQL ----------------------

def _worker(url: str) -> subprocess.Popen[bytes]:
    """``dealbase worker`` in a process of its own."""
    env = {**os.environ, "DEALBASE_DATABASE_URL": url, "DEALBASE_WEBHOOK_ALLOW": ALLOW,
           "DEALBASE_WEBHOOK_POLL_MS": "50"}
    return subprocess.Popen([sys.executable, "-m", "dealbase", "worker"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _until(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_kill_9_mid_delivery_then_restart_loses_nothing(wh: Harness) -> None:
    made = wh.hook("2.0")
    wh.receiver.delay = 1.5  # (slow enough to be killed while it waits)
    deals = [wh.tenant.records.create("deal", {"title": f"d{n}"})["id"] for n in range(3)]
    url = wh.service.settings.database_url
    first = _worker(url)
    try:
        _until(lambda: sum(wh.receiver.in_flight.values()) == len(deals))
        killed = {e for e, n in wh.receiver.in_flight.items() if n}
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
    wh.receiver.delay = 0
    log = _data(wh.ext("GET", f"/api/dealbase/webhooks/{made['id']}/deliveries"))
    assert {d["status"] for d in log} == {"pending"}  # (none was acknowledged)
    second = _worker(url)
    try:
        _until(lambda: all(d["status"] == "delivered" for d in _data(wh.ext(
            "GET", f"/api/dealbase/webhooks/{made['id']}/deliveries"))))
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(10) == 0
    _until(lambda: len(wh.receiver.requests) == 2 * len(deals))  # (the killed ones' too)
    events = [json.loads(b)["meta"]["id"] for _, b, _ in wh.receiver.requests]
    assert killed == {d["event_id"] for d in log}
    assert all(events.count(e) == 2 for e in killed)  # again after the restart, same id
    assert {p["meta"]["entity_id"] for p in wh.receiver.payloads()} == {str(d) for d in deals}


def test_two_dispatchers_never_send_one_event_at_the_same_time(wh: Harness) -> None:
    if wh.service.webhooks.backend != "postgresql":
        other = Dispatcher(wh.service, wh.settings, clock=wh.clock)
        try:
            assert wh.dispatcher.lock.acquire() and not other.lock.acquire()
            assert other.run_once() == 0  # (one dispatcher per SQLite file)
        finally:
            other.stop()
        return
    wh.hook("2.0")
    wh.receiver.delay = 0.01
    records = wh.tenant.records
    deals = [records.create("deal", {"title": "t0"})["id"] for _ in range(8)]
    for n in range(1, 5):
        for deal in deals:
            records.update("deal", deal, {"title": f"t{n}"})
    other = Dispatcher(wh.service, wh.settings, clock=wh.clock)
    errors: list[BaseException] = []

    def run(dispatcher: Dispatcher) -> None:
        try:
            for _ in range(400):
                dispatcher.run_once()
                if len(wh.receiver.payloads()) >= 40:
                    return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in (wh.dispatcher, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.stop()
    assert errors == [] and wh.receiver.overlaps == []
    accepted = wh.receiver.payloads()
    assert len(accepted) == 40 and len({p["meta"]["id"] for p in accepted}) == 40
    for deal in deals:
        titles = [p["data"]["title"] for p in accepted if p["meta"]["entity_id"] == str(deal)]
        assert titles == [f"t{n}" for n in range(5)]


def test_a_write_committed_after_a_later_one_is_not_skipped(wh: Harness) -> None:
    """PostgreSQL takes seqs before commit: a lower seq may become visible after a higher
    one. The dispatcher's horizon waits for it instead of moving past it."""
    if wh.service.webhooks.backend != "postgresql":
        pytest.skip("SQLite has one writer: its seqs become visible in order")
    wh.hook("2.0", "create", "deal")
    holding, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with wh.service.unit(wh.tenant.ctx, write=True) as unit:
            unit.create("deal", {"title": "slow"})  # (its seq is taken now)
            holding.set()
            release.wait(10)

    writer = threading.Thread(target=slow_writer)
    writer.start()
    try:
        assert holding.wait(10)
        wh.tenant.records.create("deal", {"title": "fast"})  # a higher seq, committed first
        wh.drain()
        assert wh.receiver.requests == []  # (nothing passes the open transaction's seq)
    finally:
        release.set()
        writer.join()
    wh.drain()
    assert [p["data"]["title"] for p in wh.receiver.payloads()] in (["slow", "fast"],
                                                                   ["fast", "slow"])

