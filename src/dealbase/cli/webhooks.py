"""``dealbase worker`` (the webhook dispatcher on its own) and ``dealbase webhook
list|deliveries|replay`` (a company's webhooks, their delivery log, replays)."""

from __future__ import annotations

import datetime as dt
import signal
from typing import Any

import click

from ..query.ast import Cond, Keyset, Query
from .accounts import (
    company_context,
    company_option,
    database_option,
    emit,
    failures,
    json_option,
    open_service,
)


@click.command()
@database_option
def worker(database_url: str | None) -> None:
    """Run the webhook dispatcher in the foreground until Ctrl-C or SIGTERM (as many as
    wanted on PostgreSQL, on any machines; one works at a time on a SQLite file). Turn
    off the one inside `dealbase serve` with DEALBASE_WEBHOOK_DISPATCHER=0."""
    from ..api.app import dispatcher_for
    from .main import service_for, settings_for

    settings = settings_for(database_url)
    service = service_for(settings)
    dispatcher = dispatcher_for(service, settings)

    def stop(signum: int, frame: Any) -> None:
        dispatcher.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"dealbase worker dispatching webhooks of {settings.database_label}", err=True)
    try:
        dispatcher.run()
    finally:
        dispatcher.stop()
        service.close()


@click.group()
def webhook() -> None:
    """A company's webhooks: list them, read their delivery log, replay deliveries."""


@webhook.command("list")
@company_option
@json_option
@database_option
def webhook_list(company_ref: str | None, as_json: bool, database_url: str | None) -> None:
    """The company's webhooks."""
    service = open_service(database_url)
    ctx = company_context(service, company_ref)
    with service.unit(ctx) as unit:
        found = unit.list("webhook", Query(where=Cond("is_deleted", "eq", False),
                                           page=Keyset(None, 1000))).items
    states = service.webhooks.states(ctx, [r["id"] for r in found])
    rows = [(r["id"], r["name"], f"{r['event_action']}.{r['event_object']}",
             r["subscription_url"], r["version"], int(r["is_active"]), r["user_id"],
             *(states.get(r["id"], (None, None)))) for r in found]
    emit(as_json, "Webhooks", ("id", "name", "event", "subscription_url", "version",
                               "is_active", "user_id", "last_delivery_time",
                               "last_http_status"), rows)


@webhook.command("deliveries")
@click.argument("webhook_id", type=int)
@click.option("--status", type=click.Choice(["pending", "delivered"]), default=None,
              help="Only deliveries in this state.")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@company_option
@json_option
@database_option
def webhook_deliveries(webhook_id: int, status: str | None, limit: int,
                       company_ref: str | None, as_json: bool, database_url: str | None) -> None:
    """A webhook's delivery log, newest first: status, attempts, latency."""
    service = open_service(database_url)
    ctx = company_context(service, company_ref)
    with failures():
        found = service.webhooks.deliveries(ctx, webhook_id, status=status, limit=limit)
    rows = [(d.id, d.event_id, d.seq, f"{d.action}.{d.entity}", d.record_id, d.status,
             d.attempts, d.last_status, d.latency_ms, d.last_error) for d, _ in found]
    emit(as_json, f"Deliveries of webhook {webhook_id}",
         ("id", "event_id", "seq", "event", "entity_id", "status", "attempts",
          "last_http_status", "latency_ms", "last_error"), rows)


@webhook.command("replay")
@click.argument("webhook_id", type=int)
@click.option("--delivery", "delivery_id", type=int, default=None, help="One delivery, by id.")
@click.option("--since-seq", type=int, default=None,
              help="Every delivery from this change-log sequence number on.")
@click.option("--since", type=click.DateTime(), default=None,
              help="Every delivery of an event at this time (UTC) or later.")
@company_option
@database_option
def webhook_replay(webhook_id: int, delivery_id: int | None, since_seq: int | None,
                   since: dt.datetime | None, company_ref: str | None,
                   database_url: str | None) -> None:
    """Send deliveries again (their stored payload; the dispatcher sends them)."""
    service = open_service(database_url)
    ctx = company_context(service, company_ref)
    with failures():
        count = service.webhooks.replay(ctx, webhook_id, delivery_id=delivery_id,
                                        since_seq=since_seq, since=since)
    click.echo(f"{count} deliver{'y' if count == 1 else 'ies'} to send again")


def register(main: click.Group) -> None:
    main.add_command(worker)
    main.add_command(webhook)
