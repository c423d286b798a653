"""Generated hostile requests against every route of the Pipeliner dialect.

Company A (``tenant``, client ``pl``) owns an entity in every collection, custom fields of
most types (dropdowns with Data rows among them) and a deleted Account; company B
(``other``, ``pl_other``) owns the same. Hypothesis generates requests of A's
(``pipeliner_hostile``) at every route: collections (list, get, create, update, delete),
setEntities/deleteEntities, Data, getFields and the info endpoints. Two sweeps make sure
of the rest: every flag combination of the batch calls, and every key ``getFields`` lists
with a value of every JSON type. For every request:

- the status is below 500 (a 500 fails as ``ServerCrash_<site>``, one exception class per
  place the server crashed, with the traceback it logged on "dealbase.pipeliner");
- a status of 400 or more comes with exactly ``{"errorcode": int, "message": str}``, whose
  code is one of ``/errorCodes`` and documented with that HTTP status;
- a status of 400 or more left A's whole state as it was (``support.state``: every
  collection, live and deleted, Data and the custom fields);
- B's state never changes (checked after each request that names something of B's, and
  after each test).

Size: DEALBASE_FUZZ_EXAMPLES multiplies every test's example count (default 1; e.g. 10).
The requests sent per backend are written to the pytest base temp directory
(``pipeliner_fuzz.json``) and printed as a line starting with ``[pipeliner-fuzz]``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dealbase.settings import Settings
from dealbase.store.database import Database
from tests.conftest import Pipedrive, SyncClient, Tenant
from tests.fuzz.pipeliner_hostile import (
    IGNORING,
    Hostile,
    Key,
    Targets,
    base_body,
    batches,
    collection_reads,
    collection_writes,
    data_requests,
    dumps,
    info_requests,
)
from tests.pipeliner import conftest as pipeliner_fixtures
from tests.pipeliner.conftest import Pipeliner
from tests.pipeliner.support import COLLECTIONS, ENTITIES, NEVER_ID, listing, ok, stages, state

pl = pipeliner_fixtures.pl  # the Pipeliner client fixtures, for a module outside tests/pipeliner
pl_other = pipeliner_fixtures.pl_other

MULTIPLIER = float(os.environ.get("DEALBASE_FUZZ_EXAMPLES", "1") or "1")
# HTTP status of each error code, as README.md documents the table.
STATUS_OF_CODE = {301: 401, 302: 403, 400: 400, 401: 400, 402: 400, 403: 400, 404: 400, 405: 400,
                  406: 400, 410: 400, 411: 400, 412: 400, 420: 404, 421: 404, 422: 405, 430: 409,
                  431: 409, 440: 413, 500: 500}
REPORT: dict[str, dict[str, Any]] = {}  # backend -> {"cases", "seconds", "tests"}
SERVER_LOG = "dealbase.pipeliner"


# ---- the world ---------------------------------------------------------------------------

def _field(api: Pipedrive, path: str, name: str, field_type: str, *options: str) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "field_type": field_type}
    if options:
        body["options"] = [{"label": o} for o in options]
    response = api.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _entities(pl: Pipeliner, mark: str, kind_key: str, kind_value: str) -> dict[str, Any]:
    """One live entity per collection (related to each other), in ``pl``'s space."""
    stage = stages(pl)[0]
    made: dict[str, Any] = {}
    made["Accounts"] = pl.create("Accounts", {"ORGANIZATION": f"{mark} org", "CITY": "Oslo"})["ID"]
    made["Contacts"] = pl.create("Contacts", {
        "SURNAME": f"{mark} person", "EMAIL1": f"{mark}@a.example", "PHONE1": "+4712345678",
        "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": made["Accounts"]}]})["ID"]
    made["Opportunities"] = pl.create("Opportunities", {
        "OPPORTUNITY_NAME": f"{mark} deal", "STAGE": stage["ID"], kind_key: kind_value,
        "OPPORTUNITY_VALUE": 10.5, "CLOSING_DATE": "2030-06-01",
        "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": made["Accounts"]}],
        "CONTACT_RELATIONS": [{"CONTACT_ID": made["Contacts"]}]})["ID"]
    made["Leads"] = pl.create("Leads", {"OPPORTUNITY_NAME": f"{mark} lead"})["ID"]
    made["Clients"] = pl.create("Clients", {"LASTNAME": f"{mark} user",
                                            "EMAIL": f"user@{mark}.example"})["ID"]
    made["SalesUnits"] = pl.create("SalesUnits", {"SALES_UNIT_NAME": f"{mark} unit"})["ID"]
    made["Pipelines"] = pl.create("Pipelines", {"NAME": f"{mark} pipeline"})["ID"]
    made["Stages"] = pl.create("Stages", {"STAGE_NAME": f"{mark} stage",
                                          "PIPELINE_ID": made["Pipelines"]})["ID"]
    made["Tasks"] = pl.create("Tasks", {"SUBJECT": f"{mark} task", "OPPTY_ID": made["Leads"],
                                        "DUE_DATE": "2030-01-02 09:00:00"})["ID"]
    made["Activities"] = made["Tasks"]
    made["Appointments"] = pl.create("Appointments", {
        "SUBJECT": f"{mark} meeting", "START_DATE": "2030-01-01 10:00:00",
        "END_DATE": "2030-01-01 11:00:00", "CONTACT_ID": made["Contacts"]})["ID"]
    made["Notes"] = pl.create("Notes", {"NOTE": f"{mark} note",
                                        "OPPTY_ID": made["Opportunities"],
                                        "ADDRESSBOOK_ID": made["Contacts"]})["ID"]
    made["Products"] = pl.create("Products", {"NAME": f"{mark} product"})["ID"]
    return made


def build_targets(pl: Pipeliner, pl_other: Pipeliner, tenant: Tenant, other: Tenant) -> Targets:
    api = tenant.api
    deals, persons, orgs = "/v1/dealFields", "/v1/personFields", "/v1/organizationFields"
    kind = _field(api, deals, "fz kind", "enum", "a", "b", "c")
    _field(api, deals, "fz tags", "set", "x", "y")
    for name, field_type in (("fz signed", "date"), ("fz score", "double"),
                             ("fz budget", "monetary"), ("fz manager", "user"),
                             ("fz partner", "org"), ("fz champion", "people"),
                             ("fz code", "varchar"), ("fz memo", "text"), ("fz call", "time"),
                             ("fz term", "daterange")):
        _field(api, deals, name, field_type)
    _field(api, persons, "fz tier", "enum", "gold", "silver")
    _field(api, persons, "fz birthday", "date")
    _field(api, orgs, "fz size", "enum", "S", "M", "L")
    _field(api, orgs, "fz hq", "address")
    _field(api, orgs, "fz revenue", "double")
    data = listing(pl, "Data", sort="ID")
    kind_value = next(d["ID"] for d in data if d["VALUE"] == "a")
    mine = _entities(pl, "acme", kind["key"], kind_value)
    deleted = pl.create("Accounts", {"ORGANIZATION": "acme deleted"})["ID"]
    ok(pl.delete(f"/Accounts/{deleted}"))

    their_kind = _field(other.api, deals, "globex kind", "enum", "g")
    their_data = listing(pl_other, "Data")[0]
    theirs = _entities(pl_other, "globex", their_kind["key"], their_data["ID"])

    keys: dict[str, tuple[Key, ...]] = {}
    for collection in (*COLLECTIONS, "Data"):
        keys[collection] = tuple(Key(f["API_NAME"], f["PL_TYPE"], bool(f["READONLY"]))
                                 for f in ok(pl.get(f"/getFields/{collection}")))
    custom = [f for c in ("Accounts", "Contacts", "Opportunities")
              for f in ok(pl.get(f"/getFields/{c}", params={"filter": "CUSTOM::1"}))]
    stage = stages(pl)[0]
    return Targets(
        mine=mine, theirs=theirs, deleted=deleted, data=tuple(d["ID"] for d in data),
        their_data=their_data["ID"],
        field_ids=tuple(dict.fromkeys(d["ID_FIELD"] for d in data)),
        field_keys=tuple(f["API_NAME"] for f in custom),
        plain_field_id=next(f["ID"] for f in custom if f["PL_TYPE"] == "float"),
        their_field_id=their_data["ID_FIELD"], their_field_key=their_kind["key"], keys=keys,
        pipeline=stage["PIPELINE_ID"], stage=stage["ID"], cap=Settings().max_body_bytes)


# ---- checking one request ----------------------------------------------------------------

class ServerLog(logging.Handler):
    """Collects what the dialect logs (its 500s log the traceback) during one request."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def tracebacks(self) -> str:
        formatter = logging.Formatter()
        return "\n".join(formatter.formatException(r.exc_info) if r.exc_info else r.getMessage()
                         for r in self.records)

    def site(self) -> str:
        """Where the server crashed: exception type and the deepest dealbase frame."""
        for record in self.records:
            if record.exc_info and record.exc_info[1] is not None:
                error = record.exc_info[1]
                frames = [f for f in traceback.extract_tb(error.__traceback__)
                          if "/dealbase/" in f.filename]
                where = "unknown"
                if frames:
                    last = frames[-1]
                    where = f"{last.filename.rsplit('/src/', 1)[-1]}:{last.lineno}:{last.name}"
                return f"{type(error).__name__} at {where}"
        return "unlogged"


_CRASHES: dict[str, type[AssertionError]] = {}


def crash(site: str) -> type[AssertionError]:
    """One exception class per crash site, so hypothesis shrinks and reports each apart."""
    if site not in _CRASHES:
        name = "ServerCrash_" + re.sub(r"\W+", "_", site).strip("_")
        _CRASHES[site] = type(name, (AssertionError,), {})
    return _CRASHES[site]


def item_error_problem(item: dict[str, Any], codes: set[int]) -> str | None:
    """Why a batch result object is not ``{"errorcode": int, "message": str}``, or None."""
    if set(item) != {"errorcode", "message"}:
        return f"keys {sorted(item)}"
    if type(item["errorcode"]) is not int or item["errorcode"] not in codes:
        return f"errorcode {item['errorcode']!r} is not in /errorCodes"
    if not isinstance(item["message"], str) or not item["message"]:
        return "message is not a non-empty string"
    return None


def error_shape_problem(response: httpx.Response, codes: set[int]) -> str | None:
    """Why a 4xx/5xx body is not the dialect's error body, or None."""
    if response.request.method == "HEAD":  # no body, by HTTP
        return None
    if not response.headers.get("content-type", "").startswith("application/json"):
        return f"content-type {response.headers.get('content-type')!r}"
    try:
        body = response.json()
    except ValueError:
        return "the body is not JSON"
    if not isinstance(body, dict) or set(body) != {"errorcode", "message"}:
        return "the body is not exactly {errorcode, message}"
    if type(body["errorcode"]) is not int:
        return "errorcode is not an integer"
    if not isinstance(body["message"], str) or not body["message"]:
        return "message is not a non-empty string"
    if body["errorcode"] not in codes:
        return f"errorcode {body['errorcode']} is not in /errorCodes"
    documented = STATUS_OF_CODE.get(body["errorcode"])
    if documented is not None and documented != response.status_code:
        return f"errorcode {body['errorcode']} is documented with HTTP {documented}"
    return None


def _difference(before: dict[str, Any], after: dict[str, Any]) -> str:
    lines = []
    for part in before:
        if before[part] == after.get(part):
            continue
        old = {json.dumps(x, sort_keys=True) for x in before[part]} if isinstance(
            before[part], list) else {json.dumps(before[part], sort_keys=True)}
        new = {json.dumps(x, sort_keys=True) for x in after[part]} if isinstance(
            after.get(part), list) else {json.dumps(after.get(part), sort_keys=True)}
        lines.append(f"{part}: gone {sorted(old - new)[:2]!s:.700} / new {sorted(new - old)[:2]!s:.700}")
    return "\n".join(lines)


class Fuzz:
    """Sends hostile requests as A and checks each; keeps A's last known state."""

    def __init__(self, http: SyncClient, pl: Pipeliner, pl_other: Pipeliner, targets: Targets,
                 backend: str) -> None:
        self.http, self.pl, self.pl_other, self.targets = http, pl, pl_other, targets
        self.backend = backend
        self.known: dict[str, Any] | None = None  # A's state, while it is known
        self.theirs = state(pl_other)
        self.their_texts = targets.their_values
        self.codes = {int(c) for c in ok(pl.get("/errorCodes"))}
        self.cases = 0
        self.last: httpx.Response | None = None

    def exchange(self, hostile: Hostile) -> tuple[httpx.Response, ServerLog]:
        """Send as A, unchecked; what the server logged meanwhile."""
        log = ServerLog()
        logger = logging.getLogger(SERVER_LOG)
        logger.addHandler(log)
        try:
            headers = {"Authorization": self.pl.auth, **hostile.headers}
            response = self.http.request(hostile.method, self.pl.base + hostile.target,
                                         content=hostile.content(), headers=headers)
        finally:
            logger.removeHandler(log)
        self.cases += 1
        self.last = response
        return response, log

    def send(self, hostile: Hostile) -> httpx.Response:
        """Send as A and check the answer, A's state and (if named) B's state."""
        before = self.known if self.known is not None else state(self.pl)
        self.known = None
        response, log = self.exchange(hostile)
        status = response.status_code
        told = f"{hostile!r}\n-> {status} {response.text[:500]!r}"
        after = state(self.pl) if status >= 400 else None
        if status >= 500:
            changed = "" if after == before else "\nand A's state changed:\n" + _difference(
                before, after or {})
            raise crash(log.site())(f"{told}{changed}\nserver traceback:\n{log.tracebacks()}")
        if status >= 400:
            problem = error_shape_problem(response, self.codes)
            assert problem is None, f"non-conforming error body: {problem}\n{told}"
            assert after == before, f"a refused request changed A's state:\n{told}\n" + (
                _difference(before, after or {}))
            self.known = after
        elif hostile.method in ("GET", "HEAD", "OPTIONS"):
            self.known = before
        if hostile.mentions(self.their_texts):
            self.theirs_unchanged(told)
        return response

    def sweep(self, collection: str, items: list[dict[str, Any]]) -> dict[str, str]:
        """One setEntities with flag 8 (every item on its own): each result must be an ID or
        a conforming error object. On a 500, the first item that crashes (a search over
        prefixes) is sent alone and checked, so that the failure names a minimal request.
        The failures found, by crash site (or collection)."""
        try:
            response = self.send(self._batch(collection, items, 8))
        except AssertionError as error:
            if self.last is None or self.last.status_code < 500:
                return {collection: str(error)}
            item = items[self._first_crash(collection, items)]
            try:
                self.send(self._batch(collection, [item], 0))
            except AssertionError as alone:
                return {type(alone).__name__: f"{type(alone).__name__}: {alone}"}
            return {f"{collection} crash": str(error)}  # no item crashes alone
        results = response.json()
        assert isinstance(results, list) and len(results) == len(items), results
        for item, result in zip(items, results, strict=True):
            problem = item_error_problem(result, self.codes) if isinstance(result, dict) else None
            if problem is not None:
                return {f"{collection} item": f"setEntities flag 8 of {collection}, item "
                                              f"{item!r:.300}: {problem}"}
        return {}

    @staticmethod
    def _batch(collection: str, items: list[dict[str, Any]], flag: int) -> Hostile:
        return Hostile("POST", "/setEntities", f"entityName={ENTITIES[collection]}&flag={flag}",
                       dumps(items))

    def _first_crash(self, collection: str, items: list[dict[str, Any]]) -> int:
        """The index of the item a crashing batch crashes on (diagnostic sends, unchecked:
        the items run in order, so the shortest crashing prefix ends with it)."""
        low, high = 1, len(items)  # the prefix of ``high`` items crashes
        while low < high:
            middle = (low + high) // 2
            if self.exchange(self._batch(collection, items[:middle], 8))[0].status_code >= 500:
                high = middle
            else:
                low = middle + 1
        self.known = None
        return high - 1

    def theirs_unchanged(self, told: str = "") -> None:
        now = state(self.pl_other)
        assert now == self.theirs, f"B's state changed:\n{told}\n{_difference(self.theirs, now)}"


@pytest.fixture(scope="module", autouse=True)
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Cases and seconds per backend: a JSON file in the base temp dir and one line each."""
    yield
    path = Path(tmp_path_factory.getbasetemp()) / "pipeliner_fuzz.json"
    path.write_text(json.dumps({"multiplier": MULTIPLIER, "backends": REPORT}, indent=2))
    lines = [f"[pipeliner-fuzz] backend={b} cases={r['cases']} seconds={r['seconds']:.1f} "
             f"multiplier={MULTIPLIER:g} report={path}" for b, r in REPORT.items()]
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # shown even when the tests pass
            reporter.ensure_newline()
            for line in lines:
                reporter.write_line(line)


@pytest.fixture
def fuzz(request: pytest.FixtureRequest, http: SyncClient, pl: Pipeliner, pl_other: Pipeliner,
         tenant: Tenant, other: Tenant, database: Database) -> Iterator[Fuzz]:
    started = time.perf_counter()
    targets = build_targets(pl, pl_other, tenant, other)
    fuzzer = Fuzz(http, pl, pl_other, targets, database.backend)
    try:
        yield fuzzer
    finally:
        entry = REPORT.setdefault(database.backend, {"cases": 0, "seconds": 0.0, "tests": {}})
        entry["cases"] += fuzzer.cases
        entry["seconds"] += time.perf_counter() - started
        entry["tests"][request.node.name] = fuzzer.cases


def run(fuzz: Fuzz, strategy: Callable[[Targets], st.SearchStrategy[Hostile]], examples: int) -> None:
    """``examples`` (times DEALBASE_FUZZ_EXAMPLES) generated requests, each checked."""
    @settings(max_examples=max(1, round(examples * MULTIPLIER)), derandomize=True, database=None,
              deadline=None, print_blob=False, suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.generate, Phase.shrink])
    @given(strategy(fuzz.targets))
    def hostile_request(hostile: Hostile) -> None:
        fuzz.send(hostile)

    hostile_request()
    fuzz.theirs_unchanged("(after the test)")


def test_collection_writes(fuzz: Fuzz) -> None:
    """POST/PUT/PATCH/DELETE on every collection with hostile bodies, ids and headers."""
    run(fuzz, collection_writes, 120)


def test_collection_reads(fuzz: Fuzz) -> None:
    """Lists with hostile limit/offset/sort/filter/after/loadonly; gets of hostile ids."""
    run(fuzz, collection_reads, 100)


def test_batches(fuzz: Fuzz) -> None:
    """setEntities/deleteEntities: random flag bits and entity names, hostile items."""
    run(fuzz, batches, 80)


def test_data_rows(fuzz: Fuzz) -> None:
    """Data: POST with VALUE and ID_FIELD, PUT/PATCH/DELETE, lists and gets."""
    run(fuzz, data_requests, 60)


def test_fields_and_info(fuzz: Fuzz) -> None:
    """getFields of every name with hostile filters, the info endpoints, odd methods/paths."""
    run(fuzz, info_requests, 50)


def test_every_flag_combination(fuzz: Fuzz) -> None:
    """setEntities and deleteEntities under every combination of flags 1, 2, 4 and 8 (with
    the flags that change nothing, 256, 512 and 2**24, in turn), each with a batch that
    mixes good items, hostile items, B's ids and (where one bad item must fail the whole
    batch) A's live entity."""
    t = fuzz.targets
    neutral = (0, 256, 512, 1 << 24, 256 | 512, 512 | (1 << 24), 256 | (1 << 24), 256 | 512 | (1 << 24))
    for combination in range(16):
        flag = sum(b for i, b in enumerate((1, 2, 4, 8)) if combination >> i & 1)
        flag |= neutral[combination % 8]
        opportunity = t.mine["Opportunities"]
        items = [{"OPPORTUNITY_NAME": "fz", "STAGE": t.stage},
                 {"ID": opportunity, "CLOSING_DATE": "2030-13-01"},
                 {"ID": t.theirs["Opportunities"], "OPPORTUNITY_NAME": "theirs"},
                 {"ID": NEVER_ID, "OPPORTUNITY_NAME": "new"},
                 {"OPPORTUNITY_NAME": "x" * 300}, 5, None,
                 {"ID": opportunity, "ACCOUNT_RELATIONS": [{"ACCOUNT_ID": t.deleted}]}]
        fuzz.send(Hostile("POST", "/setEntities", f"entityName=Opportunity&flag={flag}", dumps(items)))
        doomed: list[Any] = [t.theirs["Accounts"], t.deleted, NEVER_ID, 7, None, ["x"]]
        if not flag & IGNORING:
            doomed.insert(combination % len(doomed), t.mine["Accounts"])
        fuzz.send(Hostile("POST", "/deleteEntities", f"entityName=Account&flag={flag}", dumps(doomed)))


# Values of every JSON type, then the worst strings, then dates pushed out of range by
# their offset; one setEntities per collection and group.
WRONG_TYPES: tuple[tuple[Any, ...], ...] = (
    ("x", 12345, 1.5, True, None, ["x"], {"ID": NEVER_ID}),
    ("a\x00b", "x" * 300, "①", 2**63),
    ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"),
)


def test_every_key_with_every_type(fuzz: Fuzz) -> None:
    """Every key getFields lists, of every collection, with a value of every JSON type (and
    the worst strings), on update and on create: in setEntities with flag 8, and for Data
    (which batches do not take) in POST and PUT; every distinct failure is reported."""
    t = fuzz.targets
    failures: dict[str, str] = {}  # crash site (or collection) -> the failure
    # Data rows first, while A's state (read around every refusal) is small
    for value in (v for group in WRONG_TYPES for v in group):
        for key in t.keys["Data"]:
            sends = [Hostile("POST", "/Data", "", dumps({**base_body(t, "Data"), key.name: value}))]
            if key.name == "VALUE":  # a PUT reads VALUE only
                sends.append(Hostile("PUT", f"/Data/{t.data[-1]}", "", dumps({key.name: value})))
            for hostile in sends:
                try:
                    fuzz.send(hostile)
                except AssertionError as error:
                    kind = type(error).__name__
                    failures.setdefault(kind if kind.startswith("ServerCrash") else f"Data {key.name}",
                                        f"{kind}: {error}")
    for collection in COLLECTIONS:
        for group in WRONG_TYPES:
            items: list[dict[str, Any]] = []
            for value in group:
                for key in t.keys[collection]:
                    items.append({"ID": t.mine[collection], key.name: value})
                    items.append({**base_body(t, collection), key.name: value})
            for site, failure in fuzz.sweep(collection, items).items():
                failures.setdefault(site, failure)
    assert not failures, f"{len(failures)} distinct failures:\n\n" + "\n\n".join(failures.values())
