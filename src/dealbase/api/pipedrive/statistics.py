"""Seed 002's pipeline statistics: ``GET /v1/pipelines/{id}/conversion_statistics`` and
``/movement_statistics`` for a period (``start_date``..``end_date``, whole UTC days) and a
user (``user_id``; the caller by default). The figures are ``domain.statistics``'s, over the
pipeline's live deals owned by that user and their stage moves from the change log, computed
in the database (``Unit.stage_statistics``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ...domain import statistics
from ...domain.currencies import rate
from ...domain.errors import NotFound
from ...query.ast import Cond, Filter, Keyset, Query, Sort, all_of
from ...service import Unit, live
from ..body import query_params
from . import params, render
from .history import converting, currency_totals, money, stage_totals
from .mapping import NOT_ARCHIVED, PIPELINE_V1, PIPELINE_V2, View, format_money
from .rates import rates_of
from .routes import PREFIXES, Api, Handler, Handlers, record_id, routes_at, selected


def _period(q: Mapping[str, str]) -> tuple[dt.datetime, dt.datetime]:
    """``[start_date, end_date]`` as ``[start, end)`` date-times."""
    first, last = params.date(q, "start_date"), params.date(q, "end_date")
    if last < first:
        raise params.bad("end_date", "Parameter 'end_date' must not be before 'start_date'")
    if last == dt.date.max:
        raise params.bad("end_date", "Parameter 'end_date' is out of range")
    start = dt.datetime.combine(first, dt.time())
    return start, dt.datetime.combine(last + dt.timedelta(days=1), dt.time())


def _computed(unit: Unit, q: Mapping[str, str], pipeline_id: int,
              kind: type[statistics.Statistics]) -> statistics.Statistics:
    """``kind`` of statistics of the pipeline over the request's period, of the live deals
    of the user it names (the caller by default) added before the period ended."""
    start, end = _period(q)
    if unit.find("pipeline", live(Cond("id", "eq", pipeline_id))) is None:
        raise NotFound("Pipeline not found")
    owner = params.optional_id(q, "user_id") or unit.ctx.user_id
    if owner is None or unit.find("user", Cond("id", "eq", owner)) is None:
        raise NotFound("User not found")
    stages = [s["id"] for s in unit.list("stage", Query(
        where=live(Cond("pipeline_id", "eq", pipeline_id)), sort=(Sort("order_nr"),),
        page=Keyset(None, 1_000), fields=("id", "order_nr"))).items]
    where = live(all_of(Cond("pipeline_id", "eq", pipeline_id), Cond("owner_id", "eq", owner),
                        Cond("created_at", "lt", end)))
    return unit.stage_statistics(kind, where, stages, start, end)


def _group(group: statistics.Group) -> dict[str, Any]:
    return {"count": len(group.ids), "deals_ids": group.ids,
            "values": {c: int(round(v)) for c, v in sorted(group.values.items())},
            "formatted_values": {c: format_money(round(v, 2), c)
                                 for c, v in sorted(group.values.items())}}


def _conversion(unit: Unit, q: Mapping[str, str], pipeline_id: int) -> dict[str, Any]:
    found = _computed(unit, q, pipeline_id, statistics.Conversion)
    return {"stage_conversions": [{"from_stage_id": a, "to_stage_id": b, "conversion_rate": r}
                                  for a, b, r in found.stages],
            "won_conversion": found.won, "lost_conversion": found.lost}


def _movement(unit: Unit, q: Mapping[str, str], pipeline_id: int) -> dict[str, Any]:
    found = _computed(unit, q, pipeline_id, statistics.Movement)
    return {"movements_between_stages": {"count": found.moves},
            "new_deals": _group(found.new), "deals_left_open": _group(found.left_open),
            "won_deals": _group(found.won), "lost_deals": _group(found.lost),
            "average_age_in_days": {
                "across_all_stages": found.average_age,
                "by_stages": [{"stage_id": s, "value": d} for s, d in found.age_by_stage]}}


# ---- a deal list's summary (``get_summary``) ---------------------------------------------------

def _amounts(value: float, weighted: float, count: int, currency: str) -> dict[str, Any]:
    value, weighted = money(value), money(weighted)
    return {"count": count, "value": value, "value_formatted": format_money(value, currency),
            "weighted_value": weighted,
            "weighted_value_formatted": format_money(weighted, currency)}


def summarised(convert: str | None) -> Callable[[Unit, Filter | None], dict[str, Any]]:
    """What ``get_summary`` adds to a pipeline's or stage's deal list: ``deals_summary``
    with the listed deals' count, value and weighted value per stage and currency, per
    currency, in all; with ``totals_convert_currency``, ``per_stages_converted``: each
    stage's totals in that currency by the company's exchange rates. A stage holding a
    currency without a rate says so (``currencies_without_rate``) and has no converted
    value rather than a guessed one."""
    def summary(unit: Unit, where: Filter | None) -> dict[str, Any]:
        target = converting(unit, convert)
        stages = stage_totals(unit, where)
        currencies = currency_totals(stages)
        out: dict[str, Any] = {
            "per_stages": {str(s): {c: _amounts(v, w, int(n), c)
                                    for c, (v, w, n) in sorted(per.items())}
                           for s, per in sorted(stages.items())},
            "per_currency": {c: _amounts(v, w, int(n), c)
                             for c, (v, w, n) in sorted(currencies.items())},
            "total_count": int(sum(n for _, _, n in currencies.values()))}
        if target is not None:
            rates = rates_of(unit)
            converted: dict[str, Any] = {}
            for s, per in sorted(stages.items()):
                factors = {c: rate(rates, c, target) for c in per}
                missing = sorted(c for c, f in factors.items() if f is None)
                count = int(sum(n for _, _, n in per.values()))
                if missing:
                    converted[str(s)] = {"count": count, "currency": target, "value": None,
                                         "weighted_value": None,
                                         "currencies_without_rate": missing}
                    continue
                value = sum(v * (factors[c] or 0) for c, (v, _, _) in per.items())
                weighted = sum(w * (factors[c] or 0) for c, (_, w, _) in per.items())
                converted[str(s)] = {**_amounts(value, weighted, count, target),
                                     "currency": target, "currencies_without_rate": []}
            out["per_stages_converted"] = converted
        return {"deals_summary": out}
    return summary


def _pipeline(api: Api, view: View) -> Handler:
    """``GET /pipelines/{id}`` (v1 and v2): the pipeline, and (as seed 002 says) the
    summary of its deals across its stages: ``deals_summary`` as ``get_summary`` gives it,
    over its open deals of every owner (archived ones aside), converted with
    ``totals_convert_currency``."""
    handlers = Handlers(api, view)

    async def handler(request: Request) -> Response:
        q = query_params(request)

        def work(unit: Unit) -> Response:
            record = unit.get("pipeline", record_id(request))
            data, related = handlers.present(unit, [record], handlers.render_opts(request))
            where = live(all_of(NOT_ARCHIVED, Cond("pipeline_id", "eq", record["id"]),
                                Cond("status", "eq", "open")))
            shown = {**data[0], **summarised(q.get("totals_convert_currency"))(unit, where)}
            return render.success(selected(request, shown), related_objects=related)
        return await api.read(request, work, long=True)
    return handler


def _handler(api: Api, compute: Callable[[Unit, Mapping[str, str], int], dict[str, Any]]
             ) -> Handler:
    async def handler(request: Request) -> Response:
        q = query_params(request)
        pipeline_id = record_id(request)
        return await api.read(request, lambda unit: render.success(compute(unit, q, pipeline_id)),
                              long=True)
    return handler


def routes(api: Api) -> list[BaseRoute]:
    v1 = PREFIXES["v1"]
    return [*routes_at(v1, "/pipelines/{id}/conversion_statistics", _handler(api, _conversion),
                       ["GET"]),
            *routes_at(v1, "/pipelines/{id}/movement_statistics", _handler(api, _movement),
                       ["GET"]),
            *routes_at(v1, "/pipelines/{id}", _pipeline(api, PIPELINE_V1), ["GET"]),
            *routes_at(PREFIXES["v2"], "/pipelines/{id}", _pipeline(api, PIPELINE_V2), ["GET"])]


__all__ = ["routes"]
