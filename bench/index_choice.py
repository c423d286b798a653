"""PostgreSQL's full-text index, chosen by measurement: a GIN index over
``to_tsvector('simple', words)`` (what dealbase uses) against a ``pg_trgm`` GIN index over
the same text, on a copy of a generated company's index rows.

    python -m bench.index_choice postgresql://postgres@127.0.0.1:5432/bench

Prints, for each kind: the build time, the index size and the median time of the
search statement for a few terms (each word a word prefix, as dealbase matches), all in
this process, on the same table. Needs the ``pg_trgm`` extension (trusted: any owner of
the database may create it); the copy is dropped at the end.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import psycopg

from dealbase.domain.search import term_of

TERMS = ("12345", "lovelace", "acme lic", "ada lovelace12", "zzqx")
RUNS = 15
COPY = "bench_search_copy"


def _ms(conn: psycopg.Connection[Any], sql: str, params: tuple[Any, ...]) -> tuple[float, int]:
    """Median milliseconds of the statement over ``RUNS`` runs (after one), and its rows."""
    conn.execute(sql, params).fetchall()
    times, rows = [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        rows = len(conn.execute(sql, params).fetchall())
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    args = parser.parse_args(argv)
    url = args.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute(f"DROP TABLE IF EXISTS {COPY}")
        conn.execute(f"CREATE TABLE {COPY} AS SELECT * FROM search_index")
        count = conn.execute(f"SELECT count(*) FROM {COPY}").fetchone()
        company = conn.execute(f"SELECT company_id FROM {COPY} LIMIT 1").fetchone()
        assert count is not None and company is not None
        print(f"{count[0]:,} index rows")
        kinds = {
            "tsvector": ("to_tsvector('simple', words)", "gin"),
            "pg_trgm": ("words gin_trgm_ops", "gin"),
        }
        try:
            for kind, (expr, method) in kinds.items():
                started = time.perf_counter()
                conn.execute(f"CREATE INDEX {COPY}_{method}_{kind} ON {COPY} USING {method} ({expr})")
                built = time.perf_counter() - started
                size = conn.execute("SELECT pg_size_pretty(pg_relation_size(%s))",
                                    (f"{COPY}_{method}_{kind}",)).fetchone()
                assert size is not None
                conn.execute(f"ANALYZE {COPY}")
                print(f"\n{kind}: built in {built:.1f} s, {size[0]}")
                for text in TERMS:
                    term = term_of(text, False)
                    assert term is not None
                    if kind == "tsvector":
                        sql = (f"SELECT key, words FROM {COPY} WHERE to_tsvector('simple', words)"
                               " @@ to_tsquery('simple', %s) AND company_id = %s LIMIT 2000")
                        params: tuple[Any, ...] = (" & ".join(f"'{w}':*" for w in term.words),
                                                   company[0])
                    else:  # each word at the start of a word: a regular expression per word
                        sql = (f"SELECT key, words FROM {COPY} WHERE "
                               + " AND ".join("words ~ %s" for _ in term.words)
                               + " AND company_id = %s LIMIT 2000")
                        params = (*(f"(^|[ \\n]){w}" for w in term.words), company[0])
                    ms, rows = _ms(conn, sql, params)
                    print(f"  {text!r:18} {rows:5} rows  {ms:8.2f} ms")
                conn.execute(f"DROP INDEX {COPY}_{method}_{kind}")
        finally:
            conn.execute(f"DROP TABLE IF EXISTS {COPY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
