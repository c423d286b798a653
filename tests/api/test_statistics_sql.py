"""The pipeline statistics as the database aggregates them (``Unit.stage_statistics``)
against a straightforward Python computation of ``domain.statistics``'s definitions over
the same deals and stage moves, read record by record (``Unit.list``, ``Unit.moves``), on
random histories: deals made, moved between the pipeline's stages and out of it, won,
lost and reopened at random times, through the records service with a pinned clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealbase.domain.statistics import Conversion, Group, Move, Movement, days, percent
from dealbase.query.ast import Cond, Keyset, Query, all_of
from dealbase.service import Service, Unit, live
from tests.conftest import Tenant

T0 = dt.datetime(2030, 1, 1, 10)


# ---- the reference: the definitions, deal by deal ------------------------------------------

@dataclass(frozen=True)
class Deal:
    id: int
    added: dt.datetime
    status: str
    stage_id: int
    value: float
    currency: str
    won_at: dt.datetime | None
    lost_at: dt.datetime | None
    closed_at: dt.datetime | None


def _histories(moves: Iterable[Move]) -> dict[int, list[tuple[dt.datetime, int | None]]]:
    out: dict[int, list[tuple[dt.datetime, int | None]]] = {}
    for deal_id, at, _, after in moves:
        out.setdefault(deal_id, []).append((at, None if after is None else int(after)))
    return out


def _within(at: dt.datetime | None, start: dt.datetime, end: dt.datetime) -> bool:
    return at is not None and start <= at < end


def _add(group: Group, deal: Deal) -> None:
    group.ids.append(deal.id)
    group.values[deal.currency] = group.values.get(deal.currency, 0.0) + deal.value


def movement(deals: Sequence[Deal], moves: Iterable[Move], stages: Sequence[int],
             start: dt.datetime, end: dt.datetime) -> Movement:
    histories = _histories(moves)
    result = Movement(0, Group(), Group(), Group(), Group(), 0, [])
    ages: list[float] = []
    by_stage: dict[int, list[float]] = {}
    for deal in deals:
        history = histories.get(deal.id, [])
        result.moves += sum(
            1 for n, (at, stage) in enumerate(history)
            if n and start <= at < end and stage in stages and history[n - 1][1] != stage)
        if _within(deal.added, start, end):
            _add(result.new, deal)
        if deal.status == "won" and _within(deal.won_at, start, end):
            _add(result.won, deal)
        if deal.status == "lost" and _within(deal.lost_at, start, end):
            _add(result.lost, deal)
        if deal.added < end and (deal.status == "open" or deal.closed_at is None
                                 or deal.closed_at >= end):
            _add(result.left_open, deal)
            ages.append((end - deal.added).total_seconds())
            since, stage = history[-1] if history else (deal.added, deal.stage_id)
            if stage is not None:
                by_stage.setdefault(stage, []).append((end - since).total_seconds())
    result.average_age = days(sum(ages) / len(ages)) if ages else 0
    result.age_by_stage = [(s, days(sum(by_stage[s]) / len(by_stage[s])))
                           for s in stages if s in by_stage]
    return result


def conversion(deals: Sequence[Deal], moves: Iterable[Move], stages: Sequence[int],
               start: dt.datetime, end: dt.datetime) -> Conversion:
    order = {s: n for n, s in enumerate(stages)}
    histories = _histories(moves)
    reached = [0] * len(stages)
    active = won = lost = 0
    for deal in deals:
        if not deal.added < end or (deal.closed_at is not None and deal.status != "open"
                                    and deal.closed_at < start):
            continue
        active += 1
        visited = [order[s] for _, s in histories.get(deal.id, ()) if s in order]
        if not visited and deal.stage_id in order:
            visited = [order[deal.stage_id]]
        for n in range(max(visited, default=-1) + 1):
            reached[n] += 1
        won += deal.status == "won" and _within(deal.won_at, start, end)
        lost += deal.status == "lost" and _within(deal.lost_at, start, end)
    return Conversion([(stages[n], stages[n + 1], percent(reached[n + 1], reached[n]))
                       for n in range(len(stages) - 1)], percent(won, active),
                      percent(lost, active))


def _reference(unit: Unit, where: Any, stages: Sequence[int], start: dt.datetime,
               end: dt.datetime) -> tuple[Movement, Conversion]:
    rows = unit.list("deal", Query(where=where, page=Keyset(None, 500))).items
    deals = [Deal(r["id"], r["created_at"], r["status"], r["stage_id"], float(r["value"]),
                  r["currency"], r["won_at"], r["lost_at"], r["closed_at"]) for r in rows]
    moves = unit.moves("deal", "stage_id", [d.id for d in deals], end)
    return (movement(deals, moves, stages, start, end),
            conversion(deals, moves, stages, start, end))


# ---- random histories ----------------------------------------------------------------------

# What happens to a deal: moved to stage n of the pipeline (3: another pipeline's stage),
# won, lost or reopened; hours after it was made.
events = st.lists(st.tuples(st.integers(1, 300), st.sampled_from(
    [0, 1, 2, 3, 0, 1, 2, "won", "lost", "open"])), max_size=5)
deals = st.lists(st.tuples(
    st.integers(-200, 400),  # made, hours after T0
    st.sampled_from([0, 1, 2, 3]),  # in stage n
    st.integers(0, 40).map(lambda halves: halves / 2),  # value (exact in binary)
    st.sampled_from(["EUR", "USD"]), events), min_size=1, max_size=8)
periods = st.tuples(st.integers(-10, 25), st.integers(1, 20))  # first day, days


@contextmanager
def _pinned(service: Service) -> Iterator[list[dt.datetime]]:
    before = service.clock
    now = [T0]
    service.clock = lambda: now[0]
    try:
        yield now
    finally:
        service.clock = before


def _made(service: Service, tenant: Tenant, histories: Sequence[Any]) -> tuple[int, list[int]]:
    """A pipeline of three stages (and one of another pipeline) and the deals' histories
    played through the records service in time order; the pipeline and its stages."""
    ctx = tenant.ctx
    with _pinned(service) as now:
        with service.unit(ctx, write=True) as unit:
            pipeline, other = (unit.create("pipeline", {"name": n})["id"] for n in ("P", "Q"))
            stages = [unit.create("stage", {"name": f"S{n}", "pipeline_id": pipeline})["id"]
                      for n in range(3)]
            stages.append(unit.create("stage", {"name": "elsewhere", "pipeline_id": other})["id"])
        writes: list[tuple[dt.datetime, int, Mapping[str, Any]]] = []
        for n, (hours, stage, value, currency, changes) in enumerate(histories):
            made = T0 + dt.timedelta(hours=hours)
            writes.append((made, n, {"title": f"deal {n}", "stage_id": stages[stage],
                                     "value": value, "currency": currency}))
            writes += [(made + dt.timedelta(hours=after), n, {"stage_id": stages[what]}
                        if isinstance(what, int) else {"status": what})
                       for after, what in changes]
        ids: dict[int, int] = {}
        for at, n, values in sorted(writes, key=lambda w: (w[0], w[1])):
            now[0] = at
            with service.unit(ctx, write=True) as unit:
                if n in ids:
                    unit.update("deal", ids[n], values)
                else:
                    ids[n] = unit.create("deal", values)["id"]
    return pipeline, stages[:3]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deals, periods)
def test_the_aggregates_are_the_definitions(service: Service, tenant: Tenant,
                                            histories: Sequence[Any],
                                            period: tuple[int, int]) -> None:
    pipeline, stages = _made(service, tenant, histories)
    start = dt.datetime(2030, 1, 1) + dt.timedelta(days=period[0])
    end = start + dt.timedelta(days=period[1])
    where = live(all_of(Cond("pipeline_id", "eq", pipeline), Cond("created_at", "lt", end)))
    with service.unit(tenant.ctx) as unit:
        expected_movement, expected_conversion = _reference(unit, where, stages, start, end)
        assert unit.stage_statistics(Movement, where, stages, start, end) == expected_movement
        assert unit.stage_statistics(Conversion, where, stages, start, end) == \
            expected_conversion


def test_a_pipeline_without_stages_or_deals(service: Service, tenant: Tenant) -> None:
    start, end = T0, T0 + dt.timedelta(days=7)
    with service.unit(tenant.ctx) as unit:
        where = Cond("pipeline_id", "eq", 999_999_999)
        assert unit.stage_statistics(Movement, where, [], start, end) == Movement(
            0, Group(), Group(), Group(), Group(), 0, [])
        assert unit.stage_statistics(Conversion, where, [], start, end) == Conversion([], 0, 0)
