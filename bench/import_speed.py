"""How fast ``dealbase import`` loads deals: a generated CSV into a fresh database.

    python -m bench.import_speed --rows 1000000 --folder /tmp/import-bench

Writes a CSV of ``--rows`` generated deals (title, value, currency, status, expected
close date and two custom fields: an enum by label and a number), creates a fresh
database (SQLite in ``--folder`` unless ``--database-url`` names one) with one company
and those fields, then imports the file with the CLI's import path (``run_import``:
streamed, ``--batch`` rows per write unit through ``Unit.batch``). Prints rows per
second, the CPU time the import took (on a machine shared with other work, the wall
time varies with the load; the CPU time much less), the process's peak resident memory,
and checks that every row went in.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import time
from pathlib import Path

from dealbase.cli.transfer import BATCH, run_import
from dealbase.service import Service, live
from dealbase.settings import Settings

SOURCES = ("Web", "Referral", "Event", "Cold call")
STATUSES = ("open", "open", "open", "won", "lost")


def write_csv(path: Path, rows: int, seed: int = 16) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(("Title", "Value", "Currency", "Status", "Expected close date",
                      "Lead source", "Contract months"))
        for n in range(rows):
            out.writerow((f"Deal {n} {rng.choice(SOURCES)}", rng.randrange(500, 50_000, 50),
                          rng.choice(("USD", "EUR")), rng.choice(STATUSES),
                          f"2031-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                          rng.choice(SOURCES), rng.randint(1, 36)))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # (KiB on Linux)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    source = args.folder / f"deals-{args.rows}.csv"
    if not source.exists():
        started = time.perf_counter()
        write_csv(source, args.rows)
        print(f"wrote {source.stat().st_size / 2**20:.0f} MiB in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
    url = args.database_url
    if url is None:
        db = args.folder / "import.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    service = Service(Settings(database_url=url, pool_size=2))
    service.migrate()
    company = service.create_company("Import bench", "bench@import.example")
    ctx = service.admin(company.company_id, company.user_id)
    with service.unit(ctx, write=True) as unit:
        unit.create_field("deal", "Lead source", "enum", [{"label": s} for s in SOURCES])
        unit.create_field("deal", "Contract months", "double")
    ctx = service.admin(company.company_id, company.user_id)
    rss_before = peak_rss_mib()
    started, cpu = time.perf_counter(), time.process_time()
    with source.open("rb") as f:
        tally = run_import(service, ctx, "deal", f, "csv", (), None, batch=args.batch)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    with service.unit(ctx) as unit:
        stored = unit.count("deal", live())
    service.close()
    print(f"backend {url.split(':')[0]}, {args.rows:,} rows, batch {args.batch}: "
          f"{seconds:.1f} s, {args.rows / seconds:,.0f} rows/s (CPU {cpu:.1f} s:"
          f" {cpu / args.rows * 1e6:.0f} µs a row); created {tally.created:,}, "
          f"refused {tally.failed:,}, stored {stored:,}; peak RSS {peak_rss_mib():.0f} MiB "
          f"(before the import {rss_before:.0f} MiB)")
    return 0 if stored == args.rows and tally.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
