"""Property-based fuzzing of every routed Pipedrive operation, v1 and v2.

The operations are found at test time: the app's routes under the contract's URL
prefixes (``/v1``, ``/api/v1``, ``/api/v2``; Pipeliner's ``/rest_services`` skipped),
intersected with the operations of the vendored specs. A route added later is fuzzed
without editing this file; a Pipedrive route that no spec operation has fails
``test_every_pipedrive_route_is_a_spec_operation``.

Each writing operation gets a fresh company, the reading ones share one per entity; all
have users, pipelines, stages, organizations, persons, deals and a custom field of every
type, and another company, seeded once per backend, stands by. Hypothesis builds the
requests from the operation's spec, mostly with one fault in an otherwise valid request
(so that the fault reaches the code that parses it): path ids of the caller's records, of
the other company's, huge, negative, empty, non-ASCII digits ("①", "¹"), percent-encoded
junk; query parameters from their schemas and hostile ones (wrong types, NUL, lone
surrogates percent-encoded, extreme dates such as 0001-01-01T00:00:00+01:00, replayed and
doctored cursors); bodies from the requestBody schema with custom field values, then
mutated (wrong types, unknown keys, objects for scalars, 1.0 for ints, booleans, NUL,
very long strings, objects as option ids) or replaced by malformed bytes. For every
request:

* the status is below 500 (a 500's traceback, logged by ``dealbase.pipedrive``, is
  reported with the request);
* the body validates against the vendored spec, as ``tests.conftest.Pipedrive`` checks
  it (a null ``next_cursor`` dropped first);
* a 4xx left the company's data as it was: its records (and, for field and user
  operations, its fields and users) as the v1 lists show them, compared before and after
  each failing write; for reads, before and after all the examples;
* another company's record is never answered with a 2xx when addressed by path, and no
  2xx response refers to another company's user, person, organization, stage or pipeline.

After each operation, another company's data is compared with its state before, and
every v1 and v2 list of the caller's company is read back and validated (a write that
stored something unreadable shows there).

Every distinct finding of an operation is reported in its subtest (deduplicated, with
the smallest request that showed it); all findings and the number of cases run are
written to ``<pytest basetemp>/pipedrive-fuzz-<backend>.json`` and printed.

``DEALBASE_FUZZ_EXAMPLES`` (default 8: 3,112 cases for the 389 operations routed on
2026-12-06, about 100 s on SQLite and 130 s on PostgreSQL on a 2-core machine; 12 took half
as long again, more than the suite can spend) sets the examples per operation;
``DEALBASE_FUZZ_ONLY`` (comma-separated substrings of operation names such as
``v1 PUT /deals,v2 PATCH``) narrows the run. Generation is derandomized: the same code
fuzzes the same requests; ``DEALBASE_FUZZ_SEED=<n>`` explores another (reproducible)
sequence instead.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

from dealbase.store.database import Database
from tests.conftest import SyncClient, Tenant, _tenant
from tests.fuzz.pipedrive_cases import (
    ENTITY_RESOURCE,
    Finding,
    FuzzOp,
    FuzzRequest,
    LogCapture,
    RequestFactory,
    World,
    describe_change,
    examine,
    focus_entity,
    harvest_cursors,
    iso_now,
    read_back,
    routed_operations,
    seed_world,
    send,
    snapshot,
)

EXAMPLES = int(os.environ.get("DEALBASE_FUZZ_EXAMPLES", "8"))
ONLY = [part for part in os.environ.get("DEALBASE_FUZZ_ONLY", "").split(",") if part] or [""]
SEED = os.environ.get("DEALBASE_FUZZ_SEED")
PROFILE = "dealbase-pipedrive-fuzz"

settings.register_profile(
    PROFILE,
    derandomize=True,  # the same requests on every run and in CI (a @seed overrides it)
    database=None,  # nothing remembered between runs
    deadline=None,
    max_examples=EXAMPLES,
    # Findings are collected, not raised (one run reports every distinct bug), so there is
    # nothing to shrink; each finding keeps the smallest request that showed it.
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.large_base_example, HealthCheck.filter_too_much),
    print_blob=False,
)


def test_every_pipedrive_route_is_a_spec_operation(app: Any) -> None:
    ops, unspecified = routed_operations(app)
    assert {op.version for op in ops} == {"v1", "v2"}
    assert all(op.prefixes for op in ops)
    assert unspecified == [], f"Pipedrive routes with no operation in the vendored specs: {unspecified}"


class OpFindings:
    """An operation's findings, one per signature (the smallest request kept)."""

    def __init__(self) -> None:
        self.by_signature: dict[str, Finding] = {}

    def add(self, finding: Finding) -> None:
        known = self.by_signature.get(finding.signature)
        if known is None:
            self.by_signature[finding.signature] = finding
        else:
            finding.count += known.count
            if finding.size < known.size:
                self.by_signature[finding.signature] = finding
            else:
                known.count = finding.count

    def report(self) -> str:
        parts = []
        for f in self.by_signature.values():
            detail = f.detail if len(f.detail) < 4000 else f.detail[-4000:]
            parts.append(f"[{f.kind}] {f.summary} (seen {f.count}x)\n{f.request}\n{detail}")
        text = f"{len(parts)} distinct finding(s):\n\n" + "\n\n".join(parts)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates, escaped


class Stats:
    """What a backend's run did: cases, statuses per operation, where the time went."""

    def __init__(self) -> None:
        self.cases = 0
        self.statuses: dict[str, Counter[str]] = {}
        self.sites: Counter[str] = Counter()  # "<fault site> <status class>"
        self.refused: dict[str, list[str]] = {}  # spec body properties refused as unknown
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def timed(self, what: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[what] += time.perf_counter() - started


def fuzz_operation(op: FuzzOp, app: Any, http: SyncClient, foreign: World, logs: LogCapture,
                   worlds: dict[str | None, World], stats: Stats) -> OpFindings:
    """Run one operation's examples: writes on a fresh company each, reads on one company
    per entity (a read leaves it as it was, which is checked)."""
    entity = focus_entity(op)
    read_only = op.method == "GET"
    with stats.timed("seeding"):
        world = worlds.get(entity) if read_only else None
        if world is None:
            tenant: Tenant = _tenant(app, http, f"Fuzz{len(stats.statuses)}")
            world = seed_world(http, tenant, "the caller's", [entity] if entity else [])
            if read_only:
                worlds[entity] = world
        harvest_cursors(http, world, op)
    factory = RequestFactory(op, world, foreign)
    findings = OpFindings()
    token = world.token
    statuses = stats.statuses.setdefault(op.name, Counter())
    with stats.timed("snapshots"):
        state: dict[str, Any] = {"before": snapshot(http, token, op)}
    first = state["before"]

    @settings(settings.get_profile(PROFILE), max_examples=EXAMPLES)
    @given(factory.requests())
    def example(request: FuzzRequest) -> None:
        stats.cases += 1
        if state["before"] is None:
            with stats.timed("snapshots"):
                state["before"] = snapshot(http, token, op)
        with stats.timed("requests"):
            exchange = send(http, token, request, logs)
        status = exchange.status
        statuses[str(status)] += 1
        stats.sites[f"{request.site} {str(status)[0]}xx"] += 1
        with stats.timed("checks"):
            for finding in examine(op, exchange, foreign):
                findings.add(finding)
            factory.learn(exchange)
        if read_only:
            return  # checked once, after all the examples
        if status is not None and 400 <= status < 500:
            with stats.timed("snapshots"):
                after = snapshot(http, token, op)
            if after != state["before"]:
                findings.add(Finding(
                    "unchanged-on-4xx", op.name, f"{op.name} {status} changed data",
                    f"answered {status} but changed the company's data",
                    describe_change(state["before"], after), request.describe(), request.size))
            state["before"] = after
        else:
            state["before"] = None  # a write (or a crash) may have changed the data

    with stats.timed("examples"):
        (seed(int(SEED))(example) if SEED else example)()
    if factory.refused:
        stats.refused[op.name] = sorted(factory.refused)
    if read_only:
        with stats.timed("snapshots"):
            after = snapshot(http, token, op)
        if after != first:
            findings.add(Finding("unchanged-on-4xx", op.name, f"{op.name} changed data",
                                 "a read changed the company's data", describe_change(first, after), "", 0))
    else:
        with stats.timed("read-back"):
            for finding in read_back(http, token, op):
                findings.add(finding)
    return findings


def test_pipedrive_fuzz(app: Any, http: SyncClient, database: Database, other: Tenant,
                        subtests: pytest.Subtests, request: pytest.FixtureRequest,
                        tmp_path_factory: pytest.TempPathFactory) -> None:
    backend = str(database.backend)
    ops, _ = routed_operations(app)
    ops = [op for op in ops if any(part in op.name for part in ONLY)]
    assert ops, f"no routed Pipedrive operation matches DEALBASE_FUZZ_ONLY={ONLY!r}"
    started = time.perf_counter()
    stats = Stats()
    with stats.timed("seeding"):
        foreign = seed_world(http, other, "another company's", list(ENTITY_RESOURCE))
        foreign_before = snapshot(http, foreign.token)
    logs = LogCapture()
    worlds: dict[str | None, World] = {}
    every: list[Finding] = []
    with logs.installed():
        for op in ops:
            with subtests.test(msg=op.name):
                findings = fuzz_operation(op, app, http, foreign, logs, worlds, stats)
                with stats.timed("isolation"):
                    foreign_after = snapshot(http, foreign.token)
                if foreign_after != foreign_before:
                    findings.add(Finding("isolation", op.name, f"{op.name} changed another company's data",
                                         "another company's data changed",
                                         describe_change(foreign_before, foreign_after), "", 0))
                    foreign_before = foreign_after
                every += findings.by_signature.values()
                if findings.by_signature:
                    pytest.fail(f"{op.name}: {findings.report()}", pytrace=False)
    seconds = time.perf_counter() - started
    _record(request, tmp_path_factory, backend, ops, stats, seconds, every)


def _record(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, backend: str,
            ops: list[FuzzOp], stats: Stats, seconds: float, findings: list[Finding]) -> None:
    """The figures of the run: a JSON file in the basetemp, a property, one printed line."""
    grouped: dict[str, dict[str, Any]] = {}
    for f in findings:
        entry = grouped.setdefault(f.signature if f.kind in ("5xx", "read-back") else f"{f.op}|{f.signature}", {
            **asdict(f), "ops": [], "count": 0})
        entry["ops"].append(f.op)
        entry["count"] += f.count
    report = {
        "backend": backend, "finished": iso_now(), "operations": len(ops),
        "examples_per_operation": EXAMPLES, "seed": SEED or "derandomized", "cases": stats.cases,
        "seconds": round(seconds, 1),
        "seconds_by_phase": {k: round(v, 1) for k, v in sorted(stats.seconds.items(), key=lambda i: -i[1])},
        "distinct_findings": len(grouped), "findings": list(grouped.values()),
        "statuses_by_fault_site": dict(sorted(stats.sites.items())),
        "spec_body_properties_refused_as_unknown": stats.refused,
        "statuses": {op: dict(sorted(c.items())) for op, c in stats.statuses.items()},
    }
    path = tmp_path_factory.getbasetemp() / f"pipedrive-fuzz-{backend}.json"
    path.write_text(json.dumps(report, indent=2))
    request.node.user_properties.append(("pipedrive_fuzz_cases", stats.cases))
    line = (f"pipedrive fuzz [{backend}]: {stats.cases} cases over {len(ops)} operations "
            f"({EXAMPLES} examples each) in {seconds:.1f}s, {len(grouped)} distinct finding(s); "
            f"report: {path}")
    print(line)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # shown without -s, as live logs are
            reporter.write("\n")
            reporter.write_line(line)
