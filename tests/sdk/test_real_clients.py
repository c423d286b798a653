"""The clients people use, unchanged, against a live dealbase (reference/real-clients.md):
the official Node SDK ``pipedrive`` (npm, pinned in clients/node) and the Singer tap
``tap-pipedrive`` (PyPI, pinned in clients/tap, in a virtual environment of its own).
``scripts/test`` installs both; without them these tests fail and say so."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from dealbase.api.app import service_of
from dealbase.service import NewCompany
from tests.conftest import Pipedrive, SyncClient

CLIENTS = Path(__file__).parent / "clients"
ROOT = Path(__file__).parents[2]
TAP_PYTHON = ROOT / ".clients" / "tap-pipedrive" / "bin" / "python"
# The tap's streams that dealbase serves (filters and files come with their issues).
TAP_STREAMS = ("currency", "activity_types", "stages", "pipelines", "notes", "activities",
               "deals", "organizations", "persons", "products", "deal_products", "deal_fields",
               "users", "dealflow")


def _company(app: Any, name: str) -> NewCompany:
    return service_of(app).create_company(name, f"admin@{name.lower()}.example", "Admin")


# ---- the official Node SDK -----------------------------------------------------------------

def test_node_sdk_does_ordinary_work(app: Any, live_url: str, http: SyncClient) -> None:
    node_modules = CLIENTS / "node" / "node_modules" / "pipedrive"
    node = shutil.which("node")
    if node is None or not node_modules.is_dir():
        pytest.fail("the Node SDK is not installed: scripts/test installs it "
                    "(npm ci in tests/sdk/clients/node)")
    company = _company(app, "Nodesdk")
    done = subprocess.run([node, "work.mjs"], cwd=CLIENTS / "node", capture_output=True,
                          text=True, timeout=120, check=False,
                          env={**os.environ, "BASE": live_url, "TOKEN": company.api_token})
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    made = report["deals_made"]
    assert [d["title"] for d in made] == [f"Deal {n}" for n in range(5)]
    assert report["deal_got"]["id"] == made[0]["id"] and report["deal_got"]["activities_count"] == 0
    assert (report["deal_patched"]["title"], report["deal_patched"]["value"]) == (
        "Deal 0 (renamed)", 999)
    assert report["deals_paged"] == [d["id"] for d in made]  # five deals in pages of two
    assert report["activity"]["duration"] == "00:30" and report["activity_done"] is True
    assert report["activities_of_deal"] == [report["activity"]["id"]]
    assert report["product_got"]["prices"][0]["price"] == 12.5
    assert report["note_updated"] == "Loves staplers"
    assert [len(page) for page in report["note_pages"]] == [2, 1]
    assert report["lead"]["value"] == {"amount": 50, "currency": "USD"}
    assert report["lead_updated"] == "Printers" and report["lead"]["id"] in report["leads_listed"]
    assert report["currencies"] == ["EUR"]
    assert [(i["id"], i["type"], i["emails"]) for i in report["person_search"]] == [
        (made[0]["person_id"], "person", ["peter@initech.example"])]
    assert 0 < report["person_search"][0]["score"] <= 1
    assert report["email_search"] == [made[0]["person_id"]]
    found = {(i["item"]["type"], i["item"]["id"]) for i in report["item_search"]["items"]}
    assert found == {("organization", report["item_search"]["items"][0]["item"]["id"]),
                     ("person", made[0]["person_id"])}
    assert {i["item"]["id"] for i in report["item_search"]["related_items"]
            if i["item"]["type"] == "deal"} == {d["id"] for d in made}
    assert report["deal_search"] == [made[3]["id"]]
    assert report["lead_search"] == [report["lead"]["id"]]
    deleted = report["deleted"]
    assert deleted["activity"] == {"id": report["activity"]["id"]} and deleted["note"] is True
    assert deleted["lead"] == {"id": report["lead"]["id"]}
    assert deleted["deal"] == {"id": made[4]["id"]}
    assert report["missing_deal"] == {"rejected": True, "success": False, "errorCode": 404,
                                      "error": report["missing_deal"]["error"]}
    assert report["bad_token"]["rejected"] is True and report["bad_token"]["errorCode"] == 401
    # what the SDK did is what the store holds
    pd = Pipedrive(http, company.api_token)
    live = pd.get("/api/v2/deals").json()["data"]
    assert [d["id"] for d in live] == [d["id"] for d in made[:4]]
    assert live[0]["title"] == "Deal 0 (renamed)"
    assert pd.get(f"/v1/notes?deal_id={made[1]['id']}").json()["data"][0]["content"] == "More 0"


# ---- the Singer tap ----------------------------------------------------------------------

def _tap_out(live_url: str, tmp: Path, *args: str) -> str:
    """Run the tap; what it wrote on its standard output."""
    done = subprocess.run([str(TAP_PYTHON), str(CLIENTS / "tap" / "run_tap.py"), live_url,
                           "--config", str(tmp / "config.json"), *args], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def _tap(live_url: str, tmp: Path, *args: str) -> list[dict[str, Any]]:
    """Run the tap; its Singer messages."""
    out = _tap_out(live_url, tmp, *args)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _records(messages: list[dict[str, Any]], stream: str) -> list[dict[str, Any]]:
    return [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == stream]


def test_singer_tap_discovers_and_syncs_incrementally(app: Any, live_url: str, http: SyncClient,
                                                      tmp_path: Path) -> None:
    if not TAP_PYTHON.is_file():
        pytest.fail("tap-pipedrive is not installed: scripts/test installs it into "
                    ".clients/tap-pipedrive")
    company = _company(app, "Singertap")
    pd = Pipedrive(http, company.api_token)
    field = pd.post("/v1/dealFields", json={"name": "Region", "field_type": "varchar"}).json()["data"]
    org = pd.post("/api/v2/organizations", json={"name": "Initech"}).json()["data"]
    person = pd.post("/api/v2/persons", json={"name": "Peter", "org_id": org["id"]}).json()["data"]
    deals = [pd.post("/api/v2/deals", json={
        "title": f"Deal {n}", "person_id": person["id"], "org_id": org["id"],
        "custom_fields": {field["key"]: f"R{n}"}}).json()["data"] for n in range(3)]
    pd.post(f"/api/v2/deals/{deals[0]['id']}/products", json={"product_id": pd.post(
        "/api/v2/products", json={"name": "Stapler"}).json()["data"]["id"], "item_price": 3})
    pd.post("/api/v2/activities", json={"subject": "Call", "deal_id": deals[0]["id"]})
    pd.post("/v1/notes", json={"content": "Hello", "deal_id": deals[0]["id"]})
    (tmp_path / "config.json").write_text(json.dumps({
        "api_token": company.api_token, "start_date": "2020-01-01T00:00:00Z"}))
    # The tap takes the deals added before the second its sync starts in (whole seconds).
    time.sleep(1.1)

    catalog = json.loads(_tap_out(live_url, tmp_path, "--discover"))
    streams = {s["tap_stream_id"]: s for s in catalog["streams"]}
    assert set(TAP_STREAMS) <= set(streams)
    assert field["key"] in streams["deals"]["schema"]["properties"]  # from /v1/dealFields
    for stream in catalog["streams"]:
        root = next(m for m in stream["metadata"] if m["breadcrumb"] == [])
        root["metadata"]["selected"] = stream["tap_stream_id"] in TAP_STREAMS
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))

    first = _tap(live_url, tmp_path, "--catalog", str(tmp_path / "catalog.json"))
    assert sorted(r["id"] for r in _records(first, "deals")) == [d["id"] for d in deals]
    assert {r[field["key"]] for r in _records(first, "deals")} == {"R0", "R1", "R2"}
    assert [r["name"] for r in _records(first, "organizations")] == ["Initech"]
    assert [r["subject"] for r in _records(first, "activities")] == ["Call"]
    assert [r["content"] for r in _records(first, "notes")] == ["Hello"]
    assert [r["name"] for r in _records(first, "products")] == ["Stapler"]
    assert [r["deal_id"] for r in _records(first, "deal_products")] == [deals[0]["id"]]
    assert "EUR" in {r["code"] for r in _records(first, "currency")}
    # users: by /v1/users (the start date is more than a month old); deal flow: each new
    # deal's creation (the flow's add_time rows)
    assert [r["email"] for r in _records(first, "users")] == ["admin@singertap.example"]
    flow = _records(first, "dealflow")
    assert sorted(r["item_id"] for r in flow) == [d["id"] for d in deals]
    assert {r["field_key"] for r in flow} == {"add_time"}
    state = [m["value"] for m in first if m["type"] == "STATE"][-1]
    (tmp_path / "state.json").write_text(json.dumps(state))

    # Changes between the syncs: one deal renamed, one deleted, one new, a person renamed.
    time.sleep(1.1)  # (the tap's bookmarks are whole seconds)
    pd.patch(f"/api/v2/deals/{deals[1]['id']}", json={"title": "Deal 1 (renamed)"})
    pd.delete(f"/api/v2/deals/{deals[2]['id']}")
    new = pd.post("/api/v2/deals", json={"title": "Deal 3"}).json()["data"]
    pd.patch(f"/api/v2/persons/{person['id']}", json={"name": "Peter Gibbons"})
    stages = pd.get("/api/v2/stages").json()["data"]
    moved_to = next(s for s in stages if s["id"] != deals[0]["stage_id"]
                    and s["pipeline_id"] == deals[0]["pipeline_id"])
    pd.patch(f"/api/v2/deals/{deals[0]['id']}", json={"stage_id": moved_to["id"]})
    added = pd.post("/v1/users", json={"email": "milton@singertap.example"}).json()["data"]
    second = _tap(live_url, tmp_path, "--catalog", str(tmp_path / "catalog.json"),
                  "--state", str(tmp_path / "state.json"))
    by_id = {r["id"]: r for r in _records(second, "deals")}
    assert set(by_id) >= {deals[1]["id"], deals[2]["id"], new["id"]}
    assert deals[0]["id"] in by_id  # (moved to another stage)
    assert by_id[deals[1]["id"]]["title"] == "Deal 1 (renamed)"
    # users now by /v1/recents (the bookmark is recent): the user added since
    assert [r["id"] for r in _records(second, "users")] == [added["id"]]
    moves = [r for r in _records(second, "dealflow") if r["field_key"] == "stage_id"]
    assert [(r["item_id"], r["old_value"], r["new_value"]) for r in moves] == [
        (deals[0]["id"], str(deals[0]["stage_id"]), str(moved_to["id"]))]
    assert by_id[deals[2]["id"]]["is_deleted"] is True
    assert [r["name"] for r in _records(second, "persons")] == ["Peter Gibbons"]
    assert _records(second, "organizations") == []


def test_singer_tap_survives_a_429_and_resumes(app: Any, live_url: str, http: SyncClient,
                                                tmp_path: Path) -> None:
    """The tap waits ``x-ratelimit-reset`` seconds after a 429 with ``x-ratelimit-remaining:
    0`` and tries again (real-clients.md); here the 429 comes from dealbase's testing mode
    on its deals list, once."""
    if not TAP_PYTHON.is_file():
        pytest.fail("tap-pipedrive is not installed: scripts/test installs it into "
                    ".clients/tap-pipedrive")
    company = _company(app, "Pacedtap")
    pd = Pipedrive(http, company.api_token)
    deals = [pd.post("/api/v2/deals", json={"title": f"Deal {n}"}).json()["data"] for n in range(2)]
    fault = pd.request("POST", "/api/dealbase/faults", check=False, json={
        "kind": "rate_limit", "method": "GET", "path": "/api/v2/deals", "calls": 1})
    assert fault.status_code == 201, fault.text
    (tmp_path / "config.json").write_text(json.dumps({
        "api_token": company.api_token, "start_date": "2020-01-01T00:00:00Z"}))
    time.sleep(1.1)  # (the tap takes the deals added before the second its sync starts in)
    catalog = json.loads(_tap_out(live_url, tmp_path, "--discover"))
    for stream in catalog["streams"]:
        root = next(m for m in stream["metadata"] if m["breadcrumb"] == [])
        root["metadata"]["selected"] = stream["tap_stream_id"] == "deals"
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    done = subprocess.run([str(TAP_PYTHON), str(CLIENTS / "tap" / "run_tap.py"), live_url,
                           "--config", str(tmp_path / "config.json"), "--catalog",
                           str(tmp_path / "catalog.json")], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "rate limit exceeded" in done.stderr.lower()  # it met the 429 ...
    synced = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert sorted(r["id"] for r in _records(synced, "deals")) == [d["id"] for d in deals]  # ... and resumed
