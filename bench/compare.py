"""Two runs side by side: ``python -m bench.compare BEFORE.json AFTER.json [--markdown OUT]``.

Each run is a ``--json`` report of ``bench.run``. For every workload both runs measured
(same backend and worker count), the table shows the requests per second of each, their
ratio (after ÷ before: above 1.0 is faster), and each run's ratio to its own floor measured
in the same run (÷ floor: below is better), so that a change of the machine's mood between
the runs (the floors move too) can be told from a change of the server.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

COLUMNS = ("backend", "workers", "workload", "before req/s", "after req/s", "after ÷ before",
           "before ÷ floor", "after ÷ floor", "before p99 ms", "after p99 ms")


def _floor_ratio(row: dict[str, Any]) -> float | None:
    floor, rate = row.get("floor_per_second"), row.get("per_second")
    return floor / rate if floor and rate else None


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def rows(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, ...]]:
    index = {(r["backend"], r["workers"], r["workload"]): r for r in before["rows"]}
    out: list[tuple[str, ...]] = []
    for row in after["rows"]:
        old = index.get((row["backend"], row["workers"], row["workload"]))
        if old is None:
            continue
        change = row["per_second"] / old["per_second"] if old["per_second"] else None
        out.append((row["backend"], str(row["workers"]), row["workload"],
                    _fmt(old["per_second"], 0), _fmt(row["per_second"], 0), _fmt(change),
                    _fmt(_floor_ratio(old)), _fmt(_floor_ratio(row)),
                    _fmt(old["p99_ms"]), _fmt(row["p99_ms"])))
    return out


def markdown(before: dict[str, Any], after: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(r) + " |" for r in rows(before, after)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args(argv)
    table = markdown(json.loads(args.before.read_text()), json.loads(args.after.read_text()))
    if args.markdown:
        args.markdown.write_text(table)
    print(table, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
