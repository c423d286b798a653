"""``dealbase limits show|set`` and ``dealbase fault add|list|remove|clear``: a company's
rate limits (as Pipedrive counts them) and the faults its Pipedrive routes answer with in
dealbase's testing mode, stored in the database; a running server applies a change
within two seconds (``api/limits.py``)."""

from __future__ import annotations

import json
from typing import Any

import click

from ..domain.limits import FAULT_KINDS, PLANS
from .accounts import company_option, database_option, emit, failures, json_option, open_service, pick_company


@click.group()
def limits() -> None:
    """A company's rate limits (plan, seats, on/off; see the README's "Rate limits")."""


def _show(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(data))
        return
    effective = data["effective"]
    rows = [(k, "" if data[k] is None else data[k]) for k in
            ("enabled", "plan", "seats", "burst", "search_burst", "daily_budget")]
    rows += [(f"effective {k}", v) for k, v in effective.items()]
    emit(False, "Rate limits", ("setting", "value"), rows)


@limits.command("show")
@company_option
@json_option
@database_option
def limits_show(company_ref: str | None, as_json: bool, database_url: str | None) -> None:
    """Show the company's rate-limit settings and what they come to."""
    service = open_service(database_url)
    company = pick_company(service, company_ref)
    _show(service.limits.settings(company.id).as_dict(), as_json)


@limits.command("set")
@click.option("--on/--off", "enabled", default=None, help="Count calls and refuse over the limits, or not.")
@click.option("--plan", type=click.Choice(list(PLANS)), default=None, help="The plan whose limits apply.")
@click.option("--seats", type=int, default=None, help="Seats (the daily budget is 30,000 x plan x seats).")
@click.option("--burst", type=int, default=None, help="Requests per token per 2 s, instead of the plan's.")
@click.option("--search-burst", type=int, default=None,
              help="Search requests per token per 2 s, instead of the plan's.")
@click.option("--daily-budget", type=int, default=None, help="Tokens per day, instead of the plan's.")
@click.option("--plan-limits", is_flag=True, help="Drop the overrides: the plan's limits apply.")
@company_option
@json_option
@database_option
def limits_set(enabled: bool | None, plan: str | None, seats: int | None, burst: int | None,
               search_burst: int | None, daily_budget: int | None, plan_limits: bool,
               company_ref: str | None, as_json: bool, database_url: str | None) -> None:
    """Change the company's rate-limit settings."""
    values: dict[str, Any] = {"burst": None, "search_burst": None, "daily_budget": None} \
        if plan_limits else {}
    given = {"enabled": enabled, "plan": plan, "seats": seats, "burst": burst,
             "search_burst": search_burst, "daily_budget": daily_budget}
    values.update({k: v for k, v in given.items() if v is not None})
    if not values:
        raise click.ClickException("nothing to change: give --on/--off, --plan, --seats, --burst, "
                               "--search-burst, --daily-budget or --plan-limits")
    service = open_service(database_url)
    company = pick_company(service, company_ref)
    with failures():
        new = service.limits.configure(company.id, values)
    _show(new.as_dict(), as_json)


@click.group()
def fault() -> None:
    """Make the company's Pipedrive routes answer with 429s, 5xx or latency (testing mode)."""


COLUMNS = ("id", "method", "path", "kind", "status", "latency_ms", "rate", "calls")


@fault.command("add")
@click.option("--kind", type=click.Choice(FAULT_KINDS), required=True,
              help="429 with the rate-limit headers, a 5xx, or added latency.")
@click.option("--path", required=True, help="Path pattern, * matches anything: '/api/v2/deals*'.")
@click.option("--method", default="*", show_default=True, help="GET, POST, PUT, PATCH, DELETE or *.")
@click.option("--status", type=int, default=None, help="For an error: 500, 502, 503 (default) or 504.")
@click.option("--latency-ms", type=int, default=None, help="For latency: milliseconds added.")
@click.option("--rate", type=float, default=None, help="Share of matching calls struck (default 1).")
@click.option("--calls", type=int, default=None, help="Strike only the next N matching calls.")
@company_option
@json_option
@database_option
def fault_add(kind: str, path: str, method: str, status: int | None, latency_ms: int | None,
              rate: float | None, calls: int | None, company_ref: str | None, as_json: bool,
              database_url: str | None) -> None:
    """Inject a fault."""
    given = {"kind": kind, "path": path, "method": method, "status": status,
             "latency_ms": latency_ms, "rate": rate, "calls": calls}
    service = open_service(database_url)
    company = pick_company(service, company_ref)
    with failures():
        made = service.limits.add_fault(company.id, {k: v for k, v in given.items() if v is not None})
    data = made.as_dict()
    emit(as_json, "Fault added", COLUMNS, [tuple(data[c] for c in COLUMNS)])


@fault.command("list")
@company_option
@json_option
@database_option
def fault_list(company_ref: str | None, as_json: bool, database_url: str | None) -> None:
    """List the company's faults."""
    service = open_service(database_url)
    company = pick_company(service, company_ref)
    found = [f.as_dict() for f in service.limits.list_faults(company.id)]
    emit(as_json, "Faults", COLUMNS, [tuple(f[c] for c in COLUMNS) for f in found])


@fault.command("remove")
@click.argument("fault_id", type=int)
@company_option
@database_option
def fault_remove(fault_id: int, company_ref: str | None, database_url: str | None) -> None:
    """Remove one fault."""
    service = open_service(database_url)
    company = pick_company(service, company_ref)
    with failures():
        service.limits.remove_fault(company.id, fault_id)
    click.echo(f"Fault {fault_id} removed.")


@fault.command("clear")
@company_option
@database_option
def fault_clear(company_ref: str | None, database_url: str | None) -> None:
    """Remove every fault of the company."""
    service = open_service(database_url)
    company = pick_company(service, company_ref)
    click.echo(f"{service.limits.clear_faults(company.id)} faults removed.")


def register(main: click.Group) -> None:
    main.add_command(limits)
    main.add_command(fault)
