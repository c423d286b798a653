"""The benchmark runner: floors in-process, then the real server under wrk, one table.

    python -m bench.run --scale full --data ~/dealbase-bench \\
        --database-url sqlite:///$HOME/dealbase-bench/full.db \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench

For every database: generate the company (once; ``--data`` keeps its credentials), measure
every workload's in-process floor (``floor.py``), start ``uvicorn bench.server:create``
with one worker, reach the deep pages the way clients do, run every workload and its
HTTP floor through wrk, then repeat the scaling workloads with N workers. It prints one
table (requests/s, items/s, p50/p99, peak RSS per worker, the ratios to the floors) and
the targets, and can write both as Markdown and JSON. Nothing about speed is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.table import Table

from dealbase.api.app import service_of
from dealbase.query.ast import Cond, Keyset, Query, Sort, all_of
from dealbase.service import Unit, live
from dealbase.settings import Settings
from dealbase.store.database import Database, normalise_url

from . import limits, loadgen
from .floor import InProcess, Replay, per_second
from .generate import SCALES, generate
from .server import build
from .workloads import (
    FLOOR,
    HTTP,
    SCALING,
    TARGETS,
    WORKLOADS,
    Company,
    Req,
    Workload,
    basic,
    search_term,
)

DEPTH = {"full": 50_000, "small": 50_000, "tiny": 500}


@dataclass
class Row:
    backend: str
    workers: int
    workload: str
    per_second: float = 0.0
    items_per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    rss_mib: float = 0.0
    floor_per_second: float | None = None
    http_floor_per_second: float | None = None

    def ratio(self, versus: float | None) -> float | None:
        return versus / self.per_second if versus and self.per_second else None


@dataclass
class Report:
    machine: dict[str, Any]
    scale: str
    seconds: int
    connections: int
    rows: list[Row] = field(default_factory=list)
    rate_limits: list[limits.LimitCost] = field(default_factory=list)

    def find(self, backend: str, workers: int, workload: str) -> Row | None:
        return next((r for r in self.rows if (r.backend, r.workers, r.workload)
                     == (backend, workers, workload)), None)


# ---- the company the workloads address ----------------------------------------------------

def saved_filter(app: Any, token: str, stage_id: int, owner: int, manager: str) -> int:
    """A saved deal filter made through the API: the stage, and the "Account manager"
    custom field equal to ``owner`` (the workloads' filtered lists)."""
    async def make() -> int:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://bench.local",
                                     headers={"x-api-token": token}) as client:
            fields = (await client.get("/v1/dealFields?limit=500")).json()["data"]
            ids = {f["key"]: f["id"] for f in fields}
            conditions = [{"object": "deal", "field_id": str(ids[key]), "operator": "=",
                           "value": value, "extra_value": None}
                          for key, value in (("stage_id", stage_id), (manager, owner))]
            made = await client.post("/v1/filters", json={
                "name": "Bench: stage and account manager", "type": "deals", "conditions": {
                    "glue": "and", "conditions": [{"glue": "and", "conditions": conditions},
                                                  {"glue": "or", "conditions": [None]}]}})
            assert made.status_code < 300, made.text
            return int(made.json()["data"]["id"])
    return asyncio.run(make())


def goal(app: Any, token: str, owner: int, stage_id: int) -> str:
    """A goal made through the API: ``owner``'s deals moved into ``stage_id`` in 2024 (the
    goal results workload)."""
    async def make() -> str:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://bench.local",
                                     headers={"x-api-token": token}) as client:
            made = await client.post("/v1/goals", json={
                "title": "Bench: deals progressed", "interval": "quarterly",
                "type": {"name": "deals_progressed", "params": {"stage_id": stage_id}},
                "assignee": {"id": owner, "type": "person"},
                "expected_outcome": {"target": 100, "tracking_metric": "quantity"},
                "duration": {"start": "2024-01-01", "end": "2024-12-31"}})
            assert made.status_code < 300, made.text
            return str(made.json()["data"]["goal"]["id"])
    return asyncio.run(make())


def resolve(app: Any, info: dict[str, Any], depth: int) -> Company:
    service = service_of(app)
    stage_id, write_stage = info["stage_ids"][0], info["stage_ids"][-1]
    owner, manager = info["user_ids"][7 % len(info["user_ids"])], info["custom"]["manager"]
    deal_id = info["first_deal_id"] + 12_345 % max(1, info["scale"]["deals"])
    with service.unit(service.admin(info["company_id"], info["user_ids"][0])) as records:
        deal = records.get("deal", deal_id)
        person = records.get("person", deal["person_id"])
        org = records.get("organization", deal["organization_id"])
        stage = records.get("stage", stage_id)
        stage_uid = stage["uid"]
        write_stage_uid = records.get("stage", write_stage)["uid"]
        board_pipeline, move_deal, move_stages = board_of(records)
    cookie = service.sessions.start(info["company_id"], info["user_ids"][0], service.clock())
    return Company(
        space=info["space_id"],
        pipedrive={"x-api-token": info["api_token"]},
        user={"x-api-token": service.create_token(info["company_id"], owner).token},
        pipeliner={"Authorization": basic(info["pipeliner_api_token"], info["pipeliner_api_password"])},
        stage_id=stage_id, stage_uid=stage_uid,
        deal_id=deal_id, deal_uid=deal["uid"],
        person_id=person["id"], person_uid=person["uid"], org_id=org["id"], org_uid=org["uid"],
        write_stage_id=write_stage,
        write_stage_uid=write_stage_uid,
        owner_id=owner, manager_key=manager,
        depth=depth, search_term=search_term(info["scale"]["deals"]),
        filter_id=saved_filter(app, info["api_token"], stage_id, owner, manager),
        pipeline_id=stage["pipeline_id"],
        goal_id=goal(app, info["api_token"], owner, info["stage_ids"][
            min(1, len(info["stage_ids"]) - 1)]),
        project_id=info.get("first_project_id", 0) + 42 % max(1, info["scale"].get("projects", 1)),
        web={"Cookie": f"dealbase_session={cookie}",
             "X-CSRF-Token": service.sessions.csrf(cookie)},
        board_pipeline_id=board_pipeline, move_deal_id=move_deal, move_stage_ids=move_stages)


def board_of(records: Unit) -> tuple[int, int, tuple[int, int]]:
    """The pipeline of the stage with the most open deals (the board's worst first paint),
    an open deal of that stage, and that stage with the next one of its pipeline (the
    card moves' two columns)."""
    counts = records.sum_by("deal", live(Cond("status", "eq", "open")), ("stage_id",))
    biggest = max(counts, key=lambda g: (g.count, -g.values["stage_id"])).values["stage_id"]
    stage = records.get("stage", biggest)
    stages = [s["id"] for s in records.list("stage", Query(
        where=live(Cond("pipeline_id", "eq", stage["pipeline_id"])), sort=(Sort("order_nr"),),
        page=Keyset(None, 100))).items]
    other = stages[(stages.index(biggest) + 1) % len(stages)]
    deal = records.find("deal", live(all_of(Cond("stage_id", "eq", biggest),
                                             Cond("status", "eq", "open"))))
    assert deal is not None
    return int(stage["pipeline_id"]), int(deal["id"]), (int(biggest), int(other))


def company_info(url: str, scale: str, data: Path, console: Console) -> dict[str, Any]:
    """The generated company for ``url`` at ``scale``; generated on first use."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", normalise_url(url).split("://", 1)[1]).strip("-")[-80:]
    path = data / f"{slug}-{scale}.json"
    if path.exists():
        info: dict[str, Any] = json.loads(path.read_text())
        return info
    console.print(f"generating the {scale} company into {url} …")
    started = time.perf_counter()
    info = generate(url, SCALES[scale], quiet=not console.is_terminal)
    info["generated_in_s"] = round(time.perf_counter() - started, 1)
    data.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info, indent=2))
    return info


# ---- floors, in this process -----------------------------------------------------------------

@dataclass
class Prepared:
    """A workload with its requests fixed (deep pages reached) and its floors measured."""

    workload: Workload
    requests: tuple[Req, ...]
    floor: float | None
    body: bytes | None  # what the HTTP floor serves


def prepare(inproc: InProcess, db: Database, company: Company, workload: Workload,
            seconds: float, warm: float) -> Prepared:
    requests = workload.requests(company)
    if workload.reach is not None:
        requests = (workload.reach(company, inproc.send),)
    if workload.walker is not None:  # walks have no single statement list to replay
        return Prepared(workload, requests, None, None)
    replays, body = [], None
    for n, req in enumerate(requests):
        inproc.send(req)  # warm: the floor replays what a repeated request runs
        if workload.writes and len(requests) > 1:  # (a cycle that goes there and back,
            inproc.send(requests[n - 1])  # as a card moved: the state the request meets)
        with inproc.recording() as statements:
            status, _, answer = inproc.send(req)
        if status >= 300:
            raise RuntimeError(f"{workload.name}: {req.method} {req.path} answered {status}: "
                               f"{answer[:300]!r}")
        body = answer if body is None else body
        if not answer.startswith((b"{", b"[")):  # an HTML page (the web app): as a string
            answer = orjson.dumps(answer.decode())
        replays.append(Replay(db, statements, answer, writes=req.method != "GET"))
    try:
        rate = per_second(lambda: [r.once() for r in replays], seconds, warm) * len(replays)
    finally:
        for r in replays:
            r.close()
    return Prepared(workload, requests, rate, body if len(requests) == 1 else None)


# ---- the server, in child processes ---------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child: SIGTERM when the runner goes away
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def serve(url: str, workers: int, floors: Path, environment: dict[str, str] | None = None
          ) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    env = {**os.environ, "DEALBASE_DATABASE_URL": url, "DEALBASE_BENCH_FLOOR": str(floors),
           **(environment or {})}
    root = Path(__file__).resolve().parent.parent
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.server:create", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning",
         "--no-access-log"], env=env, preexec_fn=_die_with_parent)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}")
            try:
                httpx.get(base + "/bench/floor/-", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start within 60 s") from None
                time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's workers)."""
    found = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) in found:
                    found.append(int(entry.name))
    return found


def _workers(process: subprocess.Popen[bytes], count: int) -> list[int]:
    tree = _tree(process.pid)
    return tree[1:] if count > 1 else tree[:1]


def reset_peak(pids: Sequence[int]) -> None:
    for pid in pids:  # "5" resets the peak resident set size (VmHWM)
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_mib(pids: Sequence[int]) -> float:
    peak = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
    return peak


def http_walk(base: str, company: Company, workload: Workload) -> Req:
    """Walk to the workload's deep page over HTTP, as a client of the server would."""
    assert workload.reach is not None
    with httpx.Client(base_url=base, timeout=600) as client:
        def send(req: Req) -> tuple[int, dict[str, str], bytes]:
            r = client.request(req.method, req.path, headers=dict(req.headers), content=req.body)
            return r.status_code, dict(r.headers), r.content
        return workload.reach(company, send)


MAX_SECONDS = 64  # the longest a measurement is stretched to finish one request


def measure(base: str, pids: Sequence[int], backend: str, workers: int, prepared: Prepared,
            company: Company, seconds: int, connections: int, floor_key: str,
            warmup: int = 0, stop_after: int | None = None) -> Row:
    w = prepared.workload
    requests = prepared.requests
    if w.reach is not None:  # the server has its own memory of the walk: walk again
        requests = (http_walk(base, company, w),)
    if warmup:  # caches (the server's, SQLite's, the OS's) filled before the count starts
        loadgen.run(base, requests, seconds=warmup, connections=connections, walker=w.walker,
                    depth=company.depth)
    reset_peak(pids)
    load = loadgen.run(base, requests, seconds=seconds, connections=connections,
                       walker=w.walker, depth=company.depth, stop_after=stop_after)
    while load.requests == 0 and seconds < MAX_SECONDS:
        # A rate needs a finished request: wrk does not count those still in flight when
        # its time is up (a batch of 1,000 on a busy machine may take longer than a short
        # run), so the run is made longer until one finishes.
        seconds *= 2
        load = loadgen.run(base, requests, seconds=seconds, connections=connections,
                           walker=w.walker, depth=company.depth, stop_after=stop_after)
    row = Row(backend, workers, w.name, load.per_second, load.per_second * w.items, load.p50_ms,
              load.p99_ms, load.errors, peak_mib(pids), prepared.floor)
    if prepared.body is not None:
        floor_req = (Req("GET", f"/bench/floor/{floor_key}"),)
        if warmup:
            loadgen.run(base, floor_req, seconds=warmup, connections=connections)
        floor = loadgen.run(base, floor_req, seconds=seconds, connections=connections,
                            stop_after=stop_after)
        row.http_floor_per_second = floor.per_second
    return row


# ---- one database --------------------------------------------------------------------------

def bench_database(url: str, args: argparse.Namespace, report: Report, console: Console) -> None:
    """Measure the chosen workloads on one database: the reads first, then the writes, each
    phase with its floors measured just before its server runs (the write floors commit
    rows, which must not be under the reads' lists when those are measured)."""
    backend = "sqlite" if normalise_url(url).startswith("sqlite") else "postgresql"
    info = company_info(url, args.scale, args.data, console)
    db = Database(url)
    db.migrate()
    app = build(Settings(database_url=url), db)
    service_of(app).limits.configure(info["company_id"], limits.BENCH_LIMITS)  # on, out of reach
    company = resolve(app, info, DEPTH[args.scale])
    chosen = [w for w in WORKLOADS if re.search(args.only, w.name)]
    rows: list[Row] = []
    inproc = InProcess(app, db)
    try:
        console.print(f"[{backend}] rate limiting on a get, on and off (in-process)")
        report.rate_limits.append(limits.measure(app, inproc, backend, info["company_id"],
                                                 company, args.floor_seconds))
        if args.redis_url:
            many = max(2, max(args.workers))
            console.print(f"[{backend}] rate limiting on a get, on and off ({many} workers, "
                          "Redis)")
            report.rate_limits.append(limits.measure_served(
                lambda n, env: _served(url, n, env), app, backend, info["company_id"], company,
                args.seconds, args.connections, many, args.redis_url))
        for phase in ([w for w in chosen if not w.writes], [w for w in chosen if w.writes]):
            prepared = []
            for w in phase:
                console.print(f"[{backend}] floor: {w.name}")
                prepared.append(prepare(inproc, db, company, w, args.floor_seconds,
                                        args.warmup / 2))
            rows += serve_and_measure(url, backend, prepared, company, args, console)
    finally:
        inproc.close()
        db.dispose()
    order = {w.name: n for n, w in enumerate(WORKLOADS)}
    report.rows += sorted(rows, key=lambda r: (r.workers, order[r.workload]))


def serve_and_measure(url: str, backend: str, prepared: Sequence[Prepared], company: Company,
                      args: argparse.Namespace, console: Console) -> list[Row]:
    """Serve with each worker count and measure the prepared workloads against it."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        floors = Path(tmp) / "floors.json"
        keys = {p.workload.name: f"w{i}" for i, p in enumerate(prepared)}
        floors.write_text(json.dumps({keys[p.workload.name]: p.body.decode()
                                      for p in prepared if p.body is not None}))
        for workers in args.workers:
            runs = prepared if workers == 1 else [p for p in prepared if p.workload.name in SCALING]
            if not runs:
                continue
            with serve(url, workers, floors) as (base, process):
                pids = _workers(process, workers)
                for p in runs:
                    console.print(f"[{backend}] {workers} worker(s): {p.workload.name}")
                    rows.append(measure(base, pids, backend, workers, p, company,
                                        args.seconds, args.connections,
                                        keys[p.workload.name], args.warmup, args.requests))
    return rows


# ---- the table ----------------------------------------------------------------------------

def _fmt(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


COLUMNS = ("backend", "workers", "workload", "req/s", "items/s", "p50 ms", "p99 ms",
           "peak RSS MiB", "floor/s", "÷ floor", "HTTP floor/s", "÷ HTTP floor", "errors")


def rows_of(report: Report) -> list[list[str]]:
    return [[r.backend, str(r.workers), r.workload, _fmt(r.per_second), _fmt(r.items_per_second),
             _fmt(r.p50_ms, 2), _fmt(r.p99_ms, 2), _fmt(r.rss_mib, 1), _fmt(r.floor_per_second),
             _fmt(r.ratio(r.floor_per_second), 2), _fmt(r.http_floor_per_second),
             _fmt(r.ratio(r.http_floor_per_second), 2), str(r.errors)] for r in report.rows]


TARGET_COLUMNS = ("backend", "workload", "versus", "measured", "target", "met")


def targets_of(report: Report) -> list[list[str]]:
    out = []
    for backend in dict.fromkeys(r.backend for r in report.rows):
        for t in TARGETS:
            if t.backend not in (None, backend):
                continue
            row = report.find(backend, 1, t.workload)
            if row is None:
                continue
            if t.per_second is not None:
                out.append([backend, t.workload, "items/s", _fmt(row.items_per_second),
                            f"≥ {t.per_second:,}", "yes" if row.items_per_second >= t.per_second else "NO"])
                continue
            if t.versus == FLOOR:
                versus = row.floor_per_second
            elif t.versus == HTTP:
                versus = row.http_floor_per_second
            else:
                other = report.find(backend, 1, t.versus or "")
                versus = other.per_second if other else None
            ratio = row.ratio(versus)
            out.append([backend, t.workload, t.versus or "", _fmt(ratio, 2), f"≤ {t.ratio}",
                        "–" if ratio is None else ("yes" if ratio <= (t.ratio or 0) else "NO")])
        scaled = [(w, report.find(backend, 1, w), report.find(backend, n, w))
                  for w in SCALING for n in sorted({r.workers for r in report.rows if r.workers > 1})]
        for w, one, many in scaled:
            if one and many and one.per_second:
                out.append([backend, w, f"{many.workers} workers ÷ 1",
                            _fmt(many.per_second / one.per_second, 2), "≈ cores", "–"])
    return out


def markdown(report: Report) -> str:
    def table(head: Sequence[str], body: list[list[str]]) -> str:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in body])
    m = report.machine
    return (f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, {m['system']}, "
            f"Python {m['python']}; scale {report.scale}; {report.seconds} s per workload, "
            f"{report.connections} connections.\n\n"
            + table(COLUMNS, rows_of(report)) + "\n\n" + table(TARGET_COLUMNS, targets_of(report)) + "\n"
            + "".join(f"\n{line}\n" for line in limit_lines(report)))


@contextlib.contextmanager
def _served(url: str, workers: int, environment: dict[str, str]) -> Iterator[str]:
    """The server alone (no floors), with ``environment`` added: its base URL."""
    with tempfile.TemporaryDirectory() as tmp:
        floors = Path(tmp) / "floors.json"
        floors.write_text("{}")
        with serve(url, workers, floors, environment) as (base, _):
            yield base


def limit_lines(report: Report) -> list[str]:
    """What rate limiting costs a get, one line per database and way of counting."""
    return [f"Rate limiting on `{c.request}` ({c.backend}, {c.where}): "
            f"{c.on_per_second:,.0f}/s on, {c.off_per_second:,.0f}/s off, "
            f"{c.cost_us:+.1f} µs a request." for c in report.rate_limits]


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = 0.0
    with contextlib.suppress(OSError, ValueError):
        memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gib": round(memory, 1),
            "system": f"{platform.system()} {platform.release()}", "python": platform.python_version()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the dealbase benchmark suite.")
    parser.add_argument("--database-url", action="append", required=True,
                        help="a database to measure (repeatable)")
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--data", type=Path, required=True,
                        help="folder that keeps the generated companies' credentials")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per workload")
    parser.add_argument("--requests", type=int, default=None,
                        help="end each wrk run after this many responses per thread (at most "
                             "--seconds): quick runs, as the tests' tiny scale makes")
    parser.add_argument("--floor-seconds", type=float, default=3.0)
    parser.add_argument("--warmup", type=int, default=2,
                        help="seconds of unmeasured load before each measurement")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", default=f"1,{os.cpu_count() or 1}",
                        help="comma-separated worker counts (the first should be 1)")
    parser.add_argument("--only", default="", help="regular expression of workload names")
    parser.add_argument("--redis-url", default=os.environ.get("DEALBASE_BENCH_REDIS_URL", ""),
                        help="also measure rate limiting with several workers counting in "
                             "this Redis (e.g. redis://127.0.0.1:6379/0)")
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    args.workers = sorted({int(n) for n in args.workers.split(",")})
    loadgen.wrk_path()
    console = Console(width=None if sys.stdout.isatty() else 200)
    report = Report(machine(), args.scale, args.seconds, args.connections)
    for url in args.database_url:
        bench_database(url, args, report, console)
    table = Table(*COLUMNS, title=f"dealbase benchmark ({args.scale})")
    for r in rows_of(report):
        table.add_row(*r)
    console.print(table)
    targets = Table(*TARGET_COLUMNS, title="targets")
    for r in targets_of(report):
        targets.add_row(*r)
    console.print(targets)
    for line in limit_lines(report):
        console.print(line)
    if args.markdown:
        args.markdown.write_text(markdown(report))
    if args.json:
        args.json.write_text(json.dumps({**asdict(report), "targets": targets_of(report),
                                         "rate_limits": [{**asdict(c), "cost_us": c.cost_us}
                                                         for c in report.rate_limits]}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
