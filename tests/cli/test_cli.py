"""The CLI: company create --json, demo seeding, and a newcomer's serve + list deals."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from dealbase.cli.main import main

KEYS = {"company_id", "space_id", "user_id", "api_token", "pipeliner_api_token",
        "pipeliner_api_password"}


def test_company_create_prints_one_json_object(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = CliRunner().invoke(main, ["company", "create", "Acme", "--admin-email",
                                       "a@acme.example", "--json", "--database-url", url])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # (stderr names the database)
    assert set(data) == KEYS
    assert len(data["api_token"]) == 40 and data["pipeliner_api_token"].startswith(
        data["space_id"] + "_")


def test_company_create_refuses_bad_email(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = CliRunner().invoke(main, ["company", "create", "Acme", "--admin-email", "nope",
                                       "--database-url", url])
    assert result.exit_code != 0 and "email" in result.output


def test_every_command_has_help() -> None:
    for args in (["--help"], ["serve", "--help"], ["company", "create", "--help"],
                 ["demo", "--help"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0 and "Usage" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_newcomer_serves_seeds_and_lists_deals(tmp_path: Path) -> None:
    env = {**os.environ, "DEALBASE_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"}
    seeded = subprocess.run([sys.executable, "-m", "dealbase", "demo", "--deals", "12"],
                            env=env, capture_output=True, text=True, timeout=120, check=True)
    token = seeded.stdout.strip().splitlines()[-1].split()[-1]
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "dealbase", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/v1/deals", params={"api_token": token},
                              timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert r.status_code == 200
        assert len(r.json()["data"]) == 12
    finally:
        server.terminate()
        server.wait(timeout=10)
