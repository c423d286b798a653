"""The full-text index: its tables and statements, one per backend.

One row per (record, group of fields): the key (``domain.search.key``: record id,
entity and group in one integer), the company, and the group's text as ``domain.search``
normalises it (``words``). The records service writes the rows in the transaction of
every write to a searched record, so a search sees what the same request cycle wrote.

* SQLite: an FTS5 table (``unicode61`` tokens with diacritics removed, prefix indexes of
  2 and 3 characters); a term's words are prefix queries (``"ada"* "lov"*``), an exact
  term a phrase.
* PostgreSQL: a plain table with a GIN index over ``to_tsvector('simple', words)``; a
  term's words are prefix lexemes (``'ada':* & 'lov':*``), an exact term a phrase
  (``'ada' <-> 'lovelace'``). No extension is needed (the text is folded before it is
  stored); the choice against ``pg_trgm`` is measured in bench/RESULTS.md.

Migration 0010 makes the tables (the FTS5 table and its shadow tables on SQLite; the
table and its GIN index on PostgreSQL). Keys and words are made by dealbase, never by a
client: the statements bind the words
(letters and digits only) and compute the key lists from integers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache, partial
from typing import Any

from .database import Tx, placeholder

TABLE = "search_index"
# The tables a backend's index consists of (FTS5 keeps shadow tables of its own).
TABLES = {"sqlite": (TABLE, *(f"{TABLE}_{s}" for s in ("data", "idx", "content", "docsize",
                                                       "config"))),
          "postgresql": (TABLE,)}
MAX_CANDIDATES = 2000  # index rows one search reads (its best-scored are its results)


def _key(backend: str) -> str:
    return "rowid" if backend == "sqlite" else "key"


def remove(tx: Tx, keys: Sequence[int]) -> None:
    """Drop every row of the records whose first keys (``key(entity, id)``) are given."""
    if not keys:
        return
    m, k = tx.mark, _key(tx.backend)
    tx.many(f"DELETE FROM {TABLE} WHERE {k} BETWEEN {m} AND {m}",
            [(first, first + 15) for first in keys])


def clear(tx: Tx, company_id: int) -> None:
    """Drop every row of a company (before its index is made afresh)."""
    tx.run(f"DELETE FROM {TABLE} WHERE company_id = {tx.mark}", (company_id,))


def put(tx: Tx, company_id: int, rows: Iterable[tuple[int, str]],
        replacing: Sequence[int] = (), *, per_statement: bool = False) -> None:
    """Write index rows (key, words), after dropping the rows of ``replacing``.

    One prepared single-row INSERT run over the rows: on SQLite a multi-row INSERT into
    the FTS5 table costs more a row (a statement journal for each), measured in
    bench/RESULTS.md ("Import", 2026-12-06). ``per_statement``: multi-row INSERTs
    (``Tx.many_rows``) all the same, for a writer on a thread of its own, which would
    otherwise wait for the interpreter's lock after every row SQLite stepped."""
    remove(tx, replacing)
    params = [(key, company_id, text) for key, text in rows]
    if per_statement:
        tx.many_rows(partial(_insert_sql, tx.backend), params)
    else:
        tx.many(_insert_sql(tx.backend, 1), params)


@lru_cache(maxsize=16)
def _insert_sql(backend: str, rows: int) -> str:
    m = placeholder(backend)
    values = ", ".join([f"({m}, {m}, {m})"] * rows)
    return f"INSERT INTO {TABLE} ({_key(backend)}, company_id, words) VALUES {values}"


def query(tx: Tx, company_id: int, words: Sequence[str], exact: bool, codes: Sequence[int],
          limit: int = MAX_CANDIDATES) -> list[tuple[int, str]]:
    """Index rows (key, words) of the company whose text holds every word as a prefix of
    one of its words (``exact``: the words in a row), among the (entity, group) ``codes``
    (``entity code << 4 | group code``): the ``limit`` shortest texts, then the newest."""
    if not words or not codes:
        return []
    wanted = ", ".join(str(int(c)) for c in sorted(set(codes)))
    if tx.backend == "sqlite":
        match = f'"{" ".join(words)}"' if exact else " ".join(f'"{w}"*' for w in words)
        sql = (f"SELECT rowid, words FROM {TABLE} WHERE {TABLE} MATCH ? AND company_id = ?"
               f" AND (rowid & 255) IN ({wanted}) ORDER BY length(words), rowid DESC LIMIT ?")
        params: tuple[Any, ...] = (match, company_id, limit)
    else:
        text = " <-> ".join(f"'{w}'" for w in words) if exact else " & ".join(
            f"'{w}':*" for w in words)
        sql = (f"SELECT key, words FROM {TABLE} WHERE to_tsvector('simple', words) @@"
               " to_tsquery('simple', %s) AND company_id = %s"
               f" AND (key & 255) IN ({wanted}) ORDER BY length(words), key DESC LIMIT %s")
        params = (text, company_id, limit)
    return [(int(k), str(w)) for k, w in tx.rows(sql, params)]


__all__ = ["MAX_CANDIDATES", "TABLE", "TABLES", "clear", "put", "query", "remove"]
