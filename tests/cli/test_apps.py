"""app create|list|delete: a company's OAuth apps from the command line; the secret that
``create`` prints (once) authenticates the app at a running server's token endpoint."""

from __future__ import annotations

import json
import re
from typing import Any

from dealbase.store.database import Database
from tests.cli.helpers import one_line_error, run
from tests.conftest import SyncClient, Tenant

REDIRECT = "https://app.example/callback"


def _token_call(http: SyncClient, client_id: str, secret: str) -> Any:
    return http.request("POST", "/oauth/token", auth=(client_id, secret), data={
        "grant_type": "authorization_code", "code": "no-such-code", "redirect_uri": REDIRECT})


def test_app_create_list_delete(database: Database, http: SyncClient, tenant: Tenant) -> None:
    company = str(tenant.company.company_id)
    shown = run(database, "app", "create", "--name", "Sync", "--redirect-uri", REDIRECT,
                "--scopes", "deals:read,contacts:full", "--company", company)
    assert shown.exit_code == 0, shown.output
    client_id = re.search(r"Client ID: (\w+)", shown.stdout)
    secret = re.search(r"Client secret: (\S+)", shown.stdout)
    assert client_id and secret and "not shown again" in shown.stdout
    # the secret authenticates the app (the code is what is wrong), a wrong one does not
    assert _token_call(http, client_id[1], secret[1]).json()["error"] == "invalid_grant"
    assert _token_call(http, client_id[1], secret[1] + "x").status_code == 401
    listed = json.loads(run(database, "app", "list", "--company", company, "--json").stdout)
    assert [(a["client_id"], a["scopes"], a["public"]) for a in listed] == [
        (client_id[1], ["base", "contacts:full", "deals:read"], False)]
    assert secret[1] not in run(database, "app", "list", "--company", company).stdout
    public = json.loads(run(database, "app", "create", "--name", "Desk", "--redirect-uri",
                            "http://127.0.0.1:9000/cb", "--scopes", "base", "--public",
                            "--company", company, "--json").stdout)
    assert public["public"] is True and public["client_secret"] is None
    assert run(database, "app", "delete", str(listed[0]["id"]), "--company", company
               ).exit_code == 0
    assert _token_call(http, client_id[1], secret[1]).status_code == 401
    assert "not found" in one_line_error(run(database, "app", "delete", str(listed[0]["id"]),
                                             "--company", company))
    assert "scopes" in one_line_error(run(database, "app", "create", "--name", "X",
                                          "--redirect-uri", REDIRECT, "--scopes", "deals:write",
                                          "--company", company))
    assert "redirect" in one_line_error(run(database, "app", "create", "--name", "X",
                                            "--redirect-uri", "http://evil.example/cb",
                                            "--scopes", "base", "--company", company))


def test_apps_belong_to_their_company(database: Database, tenant: Tenant, other: Tenant) -> None:
    made = json.loads(run(database, "app", "create", "--name", "Mine", "--redirect-uri",
                          REDIRECT, "--scopes", "base", "--company",
                          str(tenant.company.company_id), "--json").stdout)
    theirs = str(other.company.company_id)
    assert json.loads(run(database, "app", "list", "--company", theirs, "--json").stdout) == []
    assert "not found" in one_line_error(run(database, "app", "delete", str(made["id"]),
                                             "--company", theirs))
