"""bench.compare puts two runs side by side, workload by workload."""

from __future__ import annotations

from bench.compare import markdown, rows


def _run(per_second: float, floor: float) -> dict[str, object]:
    return {"rows": [
        {"backend": "sqlite", "workers": 1, "workload": "get · v2", "per_second": per_second,
         "floor_per_second": floor, "p99_ms": 1.5},
        {"backend": "sqlite", "workers": 1, "workload": "walk to depth · v1", "per_second": 10.0,
         "floor_per_second": None, "p99_ms": 9.0}]}


def test_the_change_and_each_runs_own_floor_ratio() -> None:
    before, after = _run(1000.0, 4000.0), _run(1100.0, 4400.0)
    after["rows"].append({"backend": "postgresql", "workers": 1, "workload": "new",  # type: ignore[attr-defined]
                          "per_second": 5.0, "p99_ms": 1.0})
    assert rows(before, after) == [
        ("sqlite", "1", "get · v2", "1,000", "1,100", "1.10", "4.00", "4.00", "1.50", "1.50"),
        ("sqlite", "1", "walk to depth · v1", "10", "10", "1.00", "–", "–", "9.00", "9.00")]
    table = markdown(before, after)
    assert table.splitlines()[0].startswith("| backend | workers | workload | before req/s")
    assert len(table.splitlines()) == 4  # the workload only one run has is left out
