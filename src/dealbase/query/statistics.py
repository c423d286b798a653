"""A pipeline's movement and conversion statistics (``domain.statistics``) as one aggregate
statement each: the deals meeting the caller's filter (compiled as every list's is, so the
records service's visibility applies to them as to lists), joined to their stage moves in the
change log (``ix_change_log_record`` finds them), grouped in the database. What comes
back is a few rows: counts, sums and id lists per group, per currency, per stage.

``compile_statistics`` makes the statement; ``read_statistics`` turns its rows into the
answer. The definitions of the figures are ``domain.statistics``'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from ..domain.spec import EntitySpec
from ..domain.statistics import Conversion, Group, Movement, Statistics, days, percent
from ..domain.types import Kind
from ..store.changelog import field_change
from ..store.codec import encode
from .ast import Filter
from .compile import Compiled, Params, Seen, field_expr, ident, where_clause

# What the statements read of a deal (canonical names, the columns of ``d``).
FACTS = ("id", "created_at", "status", "stage_id", "value", "currency", "won_at", "lost_at",
         "closed_at")
EPOCH = dt.datetime(1970, 1, 1)


class _Sql:
    """The backend's spelling of what differs: integers from the log, epoch seconds, id
    lists, floating sums."""

    def __init__(self, backend: str) -> None:
        sqlite = backend == "sqlite"
        self.integer = "INTEGER" if sqlite else "BIGINT"
        self.real = "REAL" if sqlite else "DOUBLE PRECISION"
        self.epoch = ("CAST(strftime('%s', {}) AS INTEGER)" if sqlite
                      else "CAST(extract(epoch FROM {}) AS BIGINT)")
        self.ids = "group_concat(id)" if sqlite else "string_agg(CAST(id AS TEXT), ',')"


def _deals_and_moves(where: Filter | None, seen: Seen, deal: EntitySpec,
                     company_id: int, end: dt.datetime, params: Params) -> str:
    """``d``: the deals meeting ``where`` and ``seen`` (their ``FACTS``); ``raw``: their
    stage moves before ``end`` (deal, seq, at, stage entered)."""
    backend = params.backend
    facts = ", ".join(f"{field_expr(deal, deal.field(name), backend)} AS {ident(name)}"
                      for name in FACTS)
    d = (f"d AS (SELECT {facts} FROM {ident(deal.table)} "
         f"WHERE {where_clause(where, deal, company_id, params, seen)})")
    _, new, present = field_change(backend, "stage_id")
    moves = (f"SELECT record_id AS deal, seq, created_at AS at, "
             f"CAST({new} AS {_Sql(backend).integer}) AS stage FROM change_log "
             f"WHERE company_id = {params.bind(int(company_id))} AND entity = "
             f"{params.bind(deal.name)} AND record_id IN (SELECT id FROM d) AND {present} "
             f"AND created_at < {params.bind(encode(Kind.DATETIME, backend, end))}")
    return f"WITH {d}, raw AS ({moves})"


def _order(column: str, stages: Sequence[int], params: Params) -> str:
    """The position of ``column``'s stage in ``stages`` (NULL: none of them)."""
    if not stages:
        return f"CAST(NULL AS {_Sql(params.backend).integer})"
    whens = " ".join(f"WHEN {params.bind(int(s))} THEN {n}" for n, s in enumerate(stages))
    return f"CASE {column} {whens} END"


def _movement(where: Filter | None, seen: Seen, deal: EntitySpec,
              stages: Sequence[int], start: dt.datetime, end: dt.datetime, company_id: int,
              params: Params) -> str:
    """Rows (kind, currency, stage, count, total, ids): ``moves`` (the count), per currency
    ``new``, ``won``, ``lost`` and ``open`` (deals left open: count, value, ids), ``age``
    (deals left open: count, sum of their addition's epoch seconds) and per stage ``stage``
    (deals left open in it: count, sum of the epoch seconds they entered it)."""
    sql = _Sql(params.backend)
    head = _deals_and_moves(where, seen, deal, company_id, end, params)
    since, until = (encode(Kind.DATETIME, params.backend, t) for t in (start, end))
    b = params.bind
    within = f"d.created_at < {b(until)} AND "
    open_ = f"(d.status = 'open' OR d.closed_at IS NULL OR d.closed_at >= {b(until)})"
    m = ("m AS (SELECT deal, at, stage, lag(stage) OVER w AS prev, "
         "row_number() OVER w AS position, row_number() OVER (PARTITION BY deal ORDER BY seq DESC)"
         " AS back FROM raw WINDOW w AS (PARTITION BY deal ORDER BY seq))")
    o = ("o AS (SELECT d.id, d.currency, d.value, d.created_at, "
         "CASE WHEN m.deal IS NULL THEN d.stage_id ELSE m.stage END AS stage, "
         "CASE WHEN m.deal IS NULL THEN d.created_at ELSE m.at END AS since "
         f"FROM d LEFT JOIN m ON m.deal = d.id AND m.back = 1 WHERE {within}{open_})")
    moved = (f"SELECT 'moves' AS kind, CAST(NULL AS TEXT) AS currency, CAST(NULL AS "
             f"{sql.integer}) AS stage, count(*) AS n, CAST(0 AS {sql.real}) AS total, "
             "CAST(NULL AS TEXT) AS ids FROM m WHERE m.position > 1 AND "
             f"m.at >= {b(since)} AND ")  # (bound in the order they are written)
    moved += (f"m.stage IN ({', '.join(b(int(s)) for s in stages)})" if stages else "1 = 0")
    moved += " AND (m.prev IS NULL OR m.prev <> m.stage)"

    def group(kind: str, source: str, condition: str) -> str:
        return (f"SELECT '{kind}', currency, NULL, count(*), CAST(sum(value) AS {sql.real}), "
                f"{sql.ids} FROM {source}{condition} GROUP BY currency")

    def period(column: str) -> str:
        return f"{column} >= {b(since)} AND {column} < {b(until)}"

    parts = [moved,
             group("new", "d", f" WHERE {period('created_at')}"),
             group("won", "d", f" WHERE status = 'won' AND {period('won_at')}"),
             group("lost", "d", f" WHERE status = 'lost' AND {period('lost_at')}"),
             group("open", "o", ""),
             f"SELECT 'age', NULL, NULL, count(*), "
             f"CAST(sum({sql.epoch.format('created_at')}) AS {sql.real}), NULL FROM o",
             f"SELECT 'stage', NULL, stage, count(*), "
             f"CAST(sum({sql.epoch.format('since')}) AS {sql.real}), NULL FROM o "
             "WHERE stage IS NOT NULL GROUP BY stage"]
    return f"{head}, {m}, {o} " + " UNION ALL ".join(parts)


def _conversion(where: Filter | None, seen: Seen, deal: EntitySpec,
                stages: Sequence[int], start: dt.datetime, end: dt.datetime, company_id: int,
                params: Params) -> str:
    """Rows (furthest, count, won, lost) of the deals active in the period, per the
    position in ``stages`` of the furthest stage each reached (-1: none)."""
    head = _deals_and_moves(where, seen, deal, company_id, end, params)
    since, until = (encode(Kind.DATETIME, params.backend, t) for t in (start, end))
    b = params.bind
    m = f"m AS (SELECT deal, max({_order('stage', stages, params)}) AS furthest FROM raw GROUP BY deal)"
    furthest = f"COALESCE(m.furthest, {_order('d.stage_id', stages, params)}, -1)"

    def closed(status: str, column: str) -> str:
        return (f"sum(CASE WHEN d.status = '{status}' AND d.{column} >= {b(since)} AND "
                f"d.{column} < {b(until)} THEN 1 ELSE 0 END)")

    return (f"{head}, {m} SELECT {furthest} AS furthest, count(*), {closed('won', 'won_at')}, "
            f"{closed('lost', 'lost_at')} FROM d LEFT JOIN m ON m.deal = d.id "
            f"WHERE d.created_at < {b(until)} AND NOT (d.closed_at IS NOT NULL AND "
            f"d.status <> 'open' AND d.closed_at < {b(since)}) GROUP BY 1")


def compile_statistics(kind: type[Statistics], where: Filter | None, deal: EntitySpec,
                       stages: Sequence[int], start: dt.datetime, end: dt.datetime,
                       company_id: int, backend: str, seen: Seen = None) -> Compiled:
    """The statement of ``kind`` (``Movement`` or ``Conversion``) over ``[start, end)``:
    of the deals meeting ``where`` and ``seen`` (those the caller may see; see
    ``where_clause``), ``stages`` their pipeline's in order."""
    params = Params(backend)
    make = _movement if kind is Movement else _conversion
    sql = make(where, seen, deal, stages, start, end, company_id, params)
    return Compiled(sql, tuple(params.values))


def _movement_of(rows: Iterable[Sequence[Any]], stages: Sequence[int], end: dt.datetime
                 ) -> Movement:
    found = Movement(0, Group(), Group(), Group(), Group(), 0, [])
    groups = {"new": found.new, "open": found.left_open, "won": found.won, "lost": found.lost}
    ends = (end - EPOCH).total_seconds()
    by_stage: dict[int, int] = {}
    for kind, currency, stage, count, total, ids in rows:
        count = int(count)
        if kind == "moves":
            found.moves = count
        elif kind in groups:
            group = groups[kind]
            group.ids += (int(i) for i in str(ids).split(","))
            group.values[str(currency)] = float(total or 0)
        elif kind == "age" and count:
            found.average_age = days((count * ends - float(total)) / count)
        elif kind == "stage":
            by_stage[int(stage)] = days((count * ends - float(total)) / count)
    for group in groups.values():
        group.ids.sort()
    found.age_by_stage = [(s, by_stage[s]) for s in stages if s in by_stage]
    return found


def _conversion_of(rows: Iterable[Sequence[Any]], stages: Sequence[int]) -> Conversion:
    reached = [0] * len(stages)  # deals that reached stage n or a later one
    active = won = lost = 0
    for furthest, count, won_here, lost_here in rows:
        count = int(count)
        active, won, lost = active + count, won + int(won_here or 0), lost + int(lost_here or 0)
        for n in range(min(int(furthest), len(stages) - 1) + 1):
            reached[n] += count
    return Conversion([(stages[n], stages[n + 1], percent(reached[n + 1], reached[n]))
                       for n in range(len(stages) - 1)], percent(won, active),
                      percent(lost, active))


def read_statistics(kind: type[Statistics], rows: Iterable[Sequence[Any]],
                    stages: Sequence[int], end: dt.datetime) -> Statistics:
    """The answer of ``compile_statistics``'s statement of ``kind``."""
    found = _movement_of(rows, stages, end) if kind is Movement else _conversion_of(rows, stages)
    assert isinstance(found, kind)
    return found


__all__ = ["FACTS", "compile_statistics", "read_statistics"]
