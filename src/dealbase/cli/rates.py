"""``dealbase rates list|set|delete``: the exchange rates a company's converted totals use
(``totals_convert_currency``), kept through the records service as the company's first
admin; the same rates as ``/api/dealbase/exchangeRates``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .accounts import (
    company_context,
    company_option,
    database_option,
    emit,
    failures,
    json_option,
    open_service,
)

if TYPE_CHECKING:
    from ..service import Unit


@click.group()
def rates() -> None:
    """A company's exchange rates (what one unit of a currency is worth in another)."""


def _find(unit: Unit, source: str, target: str) -> dict[str, Any] | None:
    from ..query.ast import Cond, all_of
    from ..service import live

    return unit.find("exchange_rate", live(all_of(
        Cond("from_currency", "eq", source.strip().upper()),
        Cond("to_currency", "eq", target.strip().upper()))))


@rates.command("list")
@company_option
@json_option
@database_option
def rates_list(company_ref: str | None, as_json: bool, database_url: str | None) -> None:
    """List the company's exchange rates."""
    from ..query.ast import Keyset, Query
    from ..service import live

    service = open_service(database_url)
    with service.unit(company_context(service, company_ref)) as unit:
        found = unit.list("exchange_rate", Query(where=live(None), page=Keyset(None, 10_000)))
    emit(as_json, "Exchange rates", ("from", "to", "rate", "updated"),
         [(r["from_currency"], r["to_currency"], r["rate"], r["updated_at"])
          for r in found.items])


@rates.command("set")
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@click.argument("rate", type=float)
@company_option
@database_option
def rates_set(source: str, target: str, rate: float, company_ref: str | None,
              database_url: str | None) -> None:
    """One unit of FROM is worth RATE of TO (made, or replaced)."""
    service = open_service(database_url)
    with failures(), service.unit(company_context(service, company_ref), write=True) as unit:
        same = _find(unit, source, target)
        if same is None:
            unit.create("exchange_rate", {"from_currency": source, "to_currency": target,
                                          "rate": rate})
        else:
            unit.update("exchange_rate", int(same["id"]), {"rate": rate})
    click.echo(f"1 {source.upper()} = {rate:g} {target.upper()}")


@rates.command("delete")
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@company_option
@database_option
def rates_delete(source: str, target: str, company_ref: str | None,
                 database_url: str | None) -> None:
    """Forget the rate from FROM to TO."""
    service = open_service(database_url)
    with failures(), service.unit(company_context(service, company_ref), write=True) as unit:
        same = _find(unit, source, target)
        if same is None:
            raise click.ClickException(f"no rate from {source.upper()} to {target.upper()}")
        unit.delete("exchange_rate", [int(same["id"])])
    click.echo(f"deleted the rate from {source.upper()} to {target.upper()}")


def register(main: click.Group) -> None:
    main.add_command(rates)


__all__ = ["register"]
