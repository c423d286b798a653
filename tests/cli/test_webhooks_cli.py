"""webhook list|deliveries|replay: a company's webhooks and their delivery log from the command
line (``dealbase worker`` runs as a process in tests/api/test_webhooks.py)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from dealbase.api.app import service_of
from dealbase.api.pipedrive.dispatch import Dispatcher
from dealbase.domain.webhooks import new_secret
from dealbase.settings import Settings
from dealbase.store.database import Database
from tests.cli.helpers import one_line_error, run
from tests.conftest import Tenant


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_deliveries_and_replay(database: Database, app: Any, tenant: Tenant) -> None:
    service = service_of(app)
    with service.unit(tenant.ctx, write=True) as unit:
        hook = unit.create("webhook", {
            "name": "cli", "subscription_url": "http://127.0.0.1:9/nobody-listens",
            "event_action": "*", "event_object": "deal", "secret": new_secret(),
            "since_seq": unit.version()})
    tenant.records.create("deal", {"title": "D"})
    settings = Settings(database_url=database.url, webhook_allow="127.0.0.1")
    dispatcher = Dispatcher(service, settings, clock=lambda: dt.datetime(2031, 1, 1))
    try:
        while dispatcher.run_once():
            pass
    finally:
        dispatcher.stop()
    company = str(tenant.company.company_id)
    listed = _json(run(database, "webhook", "list", "--company", company, "--json"))
    assert [(w["id"], w["event"], w["version"]) for w in listed] == [(hook["id"], "*.deal", "2.0")]
    assert listed[0]["last_http_status"] is None and listed[0]["last_delivery_time"] is not None
    log = _json(run(database, "webhook", "deliveries", str(hook["id"]), "--company", company,
                    "--json"))
    assert [(d["event"], d["status"], d["attempts"]) for d in log] == [
        ("create.deal", "pending", 1)]
    assert "ConnectError" in log[0]["last_error"]
    replayed = run(database, "webhook", "replay", str(hook["id"]), "--since-seq", "0",
                   "--company", company)
    assert replayed.exit_code == 0 and replayed.stdout.strip() == "1 delivery to send again"
    assert "Webhook not found" in one_line_error(run(
        database, "webhook", "deliveries", "999999", "--company", company))
    with service.unit(tenant.ctx, write=True) as unit:
        unit.delete("webhook", [hook["id"]])
