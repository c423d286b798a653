"""limits show|set, fault add|list|remove|clear: a company's rate limits and injected faults
from the command line, and a server applying them."""

from __future__ import annotations

import json
from typing import Any

from dealbase.store.database import Database
from tests.cli.helpers import one_line_error, run
from tests.conftest import Tenant


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_limits_show_and_set(database: Database, app: Any, tenant: Tenant) -> None:
    company = str(tenant.company.company_id)
    shown = _json(run(database, "limits", "show", "--company", company, "--json"))
    assert shown["burst"] == 1_000_000  # the fixtures' high limits
    changed = _json(run(database, "limits", "set", "--plan", "lite", "--seats", "2", "--plan-limits",
                        "--company", company, "--json"))
    assert (changed["plan"], changed["seats"], changed["burst"]) == ("lite", 2, None)
    assert changed["effective"] == {"burst": 20, "oauth_burst": 80, "search_burst": 10,
                                    "daily_budget": 60_000}
    app.state.rate_limits.forget(tenant.company.company_id)  # (a server reads it within 2 s)
    answer = tenant.api.get("/v1/users/me")
    assert answer.headers["x-ratelimit-limit"] == "20"
    assert int(answer.headers["x-daily-requests-left"]) < 60_000
    off = _json(run(database, "limits", "set", "--off", "--company", company, "--json"))
    assert off["enabled"] is False
    app.state.rate_limits.forget(tenant.company.company_id)
    assert "x-ratelimit-limit" not in tenant.api.get("/v1/users/me").headers
    assert "effective burst" in run(database, "limits", "show", "--company", company).stdout
    assert "plan" in one_line_error(run(database, "limits", "set", "--company", company))
    assert "seats" in one_line_error(run(database, "limits", "set", "--seats", "0", "--company",
                                         company))


def test_fault_add_list_remove_clear(database: Database, app: Any, tenant: Tenant) -> None:
    company = str(tenant.company.company_id)
    made = _json(run(database, "fault", "add", "--kind", "error", "--status", "502", "--path",
                     "/api/v2/deals*", "--method", "get", "--calls", "1", "--company", company,
                     "--json"))[0]
    assert made == {"id": made["id"], "method": "GET", "path": "/api/v2/deals*", "kind": "error",
                    "status": 502, "latency_ms": 0, "rate": 1.0, "calls": 1}
    app.state.rate_limits.forget(tenant.company.company_id)
    assert [tenant.api.get("/api/v2/deals").status_code for _ in range(2)] == [502, 200]
    other = _json(run(database, "fault", "add", "--kind", "rate_limit", "--path", "/v1/*",
                      "--company", company, "--json"))[0]
    listed = _json(run(database, "fault", "list", "--company", company, "--json"))
    assert [f["id"] for f in listed] == [made["id"], other["id"]]
    assert run(database, "fault", "remove", str(made["id"]), "--company", company).exit_code == 0
    assert "not found" in one_line_error(run(database, "fault", "remove", str(made["id"]),
                                             "--company", company))
    assert "rate must be" in one_line_error(run(database, "fault", "add", "--kind", "error",
                                                "--path", "/*", "--rate", "3", "--company", company))
    cleared = run(database, "fault", "clear", "--company", company)
    assert cleared.exit_code == 0 and "1 faults removed" in cleared.stdout
    assert _json(run(database, "fault", "list", "--company", company, "--json")) == []
