"""Exchange rates, dealbase's own (Pipedrive keeps its rates to itself): ``GET
/api/dealbase/exchangeRates``, ``POST`` one pair's rate (made, or replaced when the pair
has one), ``DELETE /api/dealbase/exchangeRates/{id}``; in Pipedrive's envelope. Reading is
for every user, changing for admins (the records service says so). Converted totals
(``totals_convert_currency``) use them through ``rates_of``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from ...domain.currencies import Rates
from ...domain.errors import NotFound, Reason
from ...query.ast import Cond, Keyset, Query, all_of
from ...service import Unit, live
from . import params, render
from .routes import Api, record_id, routes_at

PATH = "/api/dealbase/exchangeRates"
KEYS = ("from_currency", "to_currency", "rate")
MOST = 10_000  # rates a company keeps at most in a list (every pair of ~150 currencies)


def _shown(rate: dict[str, Any]) -> dict[str, Any]:
    return {"id": rate["id"], **{k: rate[k] for k in KEYS},
            "update_time": render.v1_time(rate["updated_at"])}


def _all(unit: Unit) -> list[dict[str, Any]]:
    return unit.list("exchange_rate", Query(where=live(None), page=Keyset(None, MOST))).items


def rates_of(unit: Unit) -> Rates:
    """The company's rates by (from, to)."""
    return {(r["from_currency"], r["to_currency"]): float(r["rate"]) for r in _all(unit)}


def routes(api: Api) -> list[BaseRoute]:
    async def listing(request: Request) -> Response:
        return await api.read(request, lambda unit: render.success(
            [_shown(r) for r in _all(unit)]))

    async def put(request: Request) -> Response:
        raw = await api.raw_body(request)

        def work(unit: Unit) -> Response:
            body = api.parse_body(request, raw)
            if not isinstance(body, dict) or set(body) - set(KEYS):
                raise params.bad("body", "The body takes from_currency, to_currency and rate",
                                 Reason.MALFORMED)
            pair = {k: body.get(k) for k in ("from_currency", "to_currency")}
            same = None
            if all(isinstance(v, str) for v in pair.values()):
                same = unit.find("exchange_rate", live(all_of(
                    *(Cond(k, "eq", str(v).strip().upper()) for k, v in pair.items()))))
            if same is not None:
                return render.success(_shown(unit.update("exchange_rate", same["id"],
                                                         {"rate": body.get("rate")})))
            return render.success(_shown(unit.create("exchange_rate", body)), status=201)
        return await api.write(request, work, raw)

    async def delete(request: Request) -> Response:
        rate_id = record_id(request)

        def work(unit: Unit) -> Response:
            if unit.find("exchange_rate", live(Cond("id", "eq", rate_id))) is None:
                raise NotFound("Exchange rate not found")
            unit.delete("exchange_rate", [rate_id])
            return render.success({"id": rate_id})
        return await api.write(request, work)

    return [*routes_at((PATH,), "", listing, ["GET"]), *routes_at((PATH,), "", put, ["POST"]),
            *routes_at((PATH,), "/{id}", delete, ["DELETE"])]


__all__ = ["PATH", "rates_of", "routes"]
