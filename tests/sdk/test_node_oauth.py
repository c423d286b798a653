"""The official Node SDK's OAuth 2 client (``v1.OAuth2Configuration``), unchanged, against a
live dealbase: it exchanges a code (HTTP Basic, form body), follows ``api_domain`` to
``/api/v1``, sends the bearer on v1 and v2, refreshes and revokes (tests/sdk/clients/node)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from dealbase.api.app import service_of
from tests.sdk.test_real_clients import CLIENTS

REDIRECT = "https://app.example/callback"
PASSWORD = "correct horse battery staple"


def test_node_sdk_oauth_client(app: Any, live_url: str) -> None:
    node = shutil.which("node")
    if node is None or not (CLIENTS / "node" / "node_modules" / "pipedrive").is_dir():
        pytest.fail("the Node SDK is not installed: scripts/test installs it "
                    "(npm ci in tests/sdk/clients/node)")
    service = service_of(app)
    company = service.create_company("Nodeoauth", "admin@nodeoauth.example", "Admin")
    service.set_password(company.company_id, company.user_id, PASSWORD)
    made = service.oauth.create_app(company.company_id, "Node app", [REDIRECT], "deals:full")
    with httpx.Client(base_url=live_url) as browser:  # the user, in a browser
        page = browser.get("/oauth/authorize", params={
            "client_id": made.app.client_id, "redirect_uri": REDIRECT, "state": "s"})
        fields = dict(re.findall(r'<input type=hidden name=(\w+) value="([^"]*)">', page.text))
        done = browser.post("/oauth/authorize", data={
            **fields, "email": "admin@nodeoauth.example", "password": PASSWORD,
            "decision": "allow"})
    code = parse_qs(urlsplit(done.headers["location"]).query)["code"][0]
    run = subprocess.run([node, "oauth.mjs"], cwd=CLIENTS / "node", capture_output=True,
                         text=True, timeout=60, check=False, env={
                             **os.environ, "BASE": live_url, "CODE": code,
                             "CLIENT_ID": made.app.client_id,
                             "CLIENT_SECRET": made.client_secret or "",
                             "REDIRECT_URI": REDIRECT})
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["token"] == {"token_type": "Bearer", "scope": "base,deals:full",
                               "expires_in": 3599}
    assert report["base_path"] == f"{live_url}/api/v1"
    assert report["me"] == company.user_id
    assert report["deal"]["title"] == "Via OAuth"
    assert report["person_write"] == {"rejected": True, "success": False, "errorCode": 403,
                                      "error": "Scope and URL mismatch"}
    assert report["refreshed"] is True and report["deal_after_refresh"] == "Via OAuth"
    assert report["after_revoke"]["rejected"] is True
    assert report["after_revoke"]["errorCode"] == 401
