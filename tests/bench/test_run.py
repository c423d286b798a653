"""The benchmark suite end to end at its tiny scale, on each test backend: a company is
generated, every workload's floor is measured in-process, a real server (1 and 2
workers) is driven by wrk, and the report holds every workload with live figures and
no errors. Nothing here is about speed."""

from __future__ import annotations

import json
from pathlib import Path

from bench.workloads import SCALING, TARGETS, WORKLOADS

from bench import run
from dealbase.store.database import Database


def test_the_suite_runs_at_tiny_scale(database: Database, tmp_path: Path) -> None:
    out, table = tmp_path / "report.json", tmp_path / "report.md"
    code = run.main(["--database-url", database.url, "--scale", "tiny", "--data", str(tmp_path),
                     "--seconds", "1", "--requests", "100", "--floor-seconds", "0.1",
                     "--warmup", "0", "--workers", "1,2",
                     "--json", str(out), "--markdown", str(table)])
    assert code == 0
    report = json.loads(out.read_text())
    rows = {(r["workers"], r["workload"]): r for r in report["rows"]}
    assert {name for workers, name in rows if workers == 1} == {w.name for w in WORKLOADS}
    assert {name for workers, name in rows if workers == 2} == set(SCALING)
    for (_, name), row in rows.items():
        assert row["per_second"] > 0 and row["p50_ms"] > 0, name
        assert row["errors"] == 0, name
        assert 10 < row["rss_mib"] < 1024, name
        workload = next(w for w in WORKLOADS if w.name == name)
        if workload.walker is None:
            assert row["floor_per_second"] > 0, name
    singles = [w.name for w in WORKLOADS if w.walker is None
               and w.name not in ("mixed 8 reads : 2 writes", "card move · web")]
    assert all(rows[(1, name)]["http_floor_per_second"] > 0 for name in singles)
    judged = {(t[0], t[1]) for t in report["targets"]}
    backend = "sqlite" if database.backend == "sqlite" else "postgresql"
    assert {(backend, t.workload) for t in TARGETS if t.backend in (None, backend)} <= judged
    assert "| backend | workers | workload |" in table.read_text()
    costs = report["rate_limits"]  # rate limiting on a get, on and off, in-process
    assert [c["backend"] for c in costs] == [backend]
    assert costs[0]["on_per_second"] > 0 and costs[0]["off_per_second"] > 0
    assert "Rate limiting on `GET /api/v2/deals/{id}`" in table.read_text()
