"""A first hour without surprises: one database whatever the folder, said on stderr; a
clean stop leaves a complete SQLite file; bad databases and a busy port are one line and
a non-zero exit; health and readiness; every setting in the README and in ``--help``;
``serve --log-level`` and the access log."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from dealbase.api.app import create_app
from dealbase.cli.main import main
from dealbase.service import Service
from dealbase.settings import Settings, settings_table
from tests.conftest import BACKENDS, PG_URL, SyncClient

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALBASE_")}
    env.update(XDG_DATA_HOME=str(tmp / "xdg"), HOME=str(tmp / "home"), **extra)
    return env


def _dealbase(*args: str, env: dict[str, str], cwd: Path, timeout: float = 120
              ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dealbase", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def _one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """The failure's one line (after the line naming the database, if any)."""
    assert done.returncode == 1, done
    lines = [line for line in done.stderr.splitlines() if not line.startswith("dealbase: database ")]
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    for word in words:
        assert word.lower() in lines[0].lower(), lines[0]
    return lines[0]


# ---- which database ----------------------------------------------------------------------


def test_the_default_database_is_one_whatever_the_folder(tmp_path: Path) -> None:
    env = _env(tmp_path)
    expected = tmp_path / "xdg" / "dealbase" / "dealbase.db"
    ids = []
    for folder in ("a", "b/c"):
        (tmp_path / folder).mkdir(parents=True)
        done = _dealbase("company", "create", f"Co {folder}", "--admin-email", "a@x.example",
                         "--json", env=env, cwd=tmp_path / folder)
        assert done.returncode == 0, done.stderr
        assert done.stderr.splitlines() == [f"dealbase: database {expected}"]
        ids.append(int(done.stdout.split('"company_id": ')[1].split(",")[0]))
        assert not list((tmp_path / folder).iterdir())  # nothing made where it ran
    assert ids == [1, 2] and expected.is_file()


@pytest.mark.parametrize("env, expected", [
    ({"DEALBASE_DATA_DIR": "/srv/db"}, "/srv/db/dealbase.db"),
    ({"XDG_DATA_HOME": "/x"}, "/x/dealbase/dealbase.db"),
    ({"XDG_DATA_HOME": "relative", "HOME": "/home/u"}, "/home/u/.local/share/dealbase/dealbase.db"),
    ({"HOME": "/home/u"}, "/home/u/.local/share/dealbase/dealbase.db"),
])
def test_the_data_directory(env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
                            ) -> None:
    monkeypatch.setattr(Path, "mkdir", lambda *a, **k: None)  # (nothing made on this machine)
    settings = Settings.from_env(env)
    assert settings.database_label == expected
    assert settings.database_url == f"sqlite:///{expected}"


def test_the_database_named_is_absolute_and_without_password(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({}, database_url="sqlite:///rel/x.db").database_label == \
        str(tmp_path / "rel" / "x.db")
    assert Settings.from_env({"DEALBASE_DATABASE_URL": "sqlite:///y.db"}).database_url == \
        f"sqlite:///{tmp_path / 'y.db'}"
    pg = Settings.from_env({}, database_url="postgresql://ann:s3cret@db.example:5433/crm")
    assert pg.database_label == "postgresql://ann@db.example:5433/crm"
    assert pg.database_url == "postgresql://ann:s3cret@db.example:5433/crm"  # (still used)
    assert Settings.from_env({}, database_url="sqlite://").database_label == ":memory:"


# ---- one clear line, a non-zero exit -----------------------------------------------------


@pytest.mark.parametrize("url, words", [
    ("nope", ("not a URL",)),
    ("mysql://u@h/db", ("unsupported", "mysql")),
    ("postgresql://u:pw@127.0.0.1", ("names no database",)),
])
def test_a_bad_database_url_is_one_line(url: str, words: tuple[str, ...], tmp_path: Path) -> None:
    for args in (["company", "create", "X", "--admin-email", "a@x.example"], ["demo"], ["serve"]):
        done = _dealbase(*args, "--database-url", url, env=_env(tmp_path), cwd=tmp_path)
        line = _one_line_error(done, *words)
        assert "pw" not in line and "serving" not in done.stderr


def test_a_sqlite_file_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'folder' / 'x.db'}"
    done = _dealbase("demo", "--database-url", url, env=_env(tmp_path), cwd=tmp_path)
    _one_line_error(done, "unable to open database file", str(tmp_path / "missing"))
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("name, value", [("DEALBASE_PORT", "eighty"), ("DEALBASE_ACCESS_LOG", "maybe"),
                                         ("DEALBASE_LOG_LEVEL", "loud"), ("DEALBASE_WORKERS", "0")])
def test_a_bad_setting_is_one_line(name: str, value: str, tmp_path: Path) -> None:
    done = _dealbase("serve", env=_env(tmp_path, **{name: value}), cwd=tmp_path)
    _one_line_error(done, name.removeprefix("DEALBASE_").lower().split("_")[0])


@pytest.mark.skipif(PG_URL is None, reason="DEALBASE_TEST_POSTGRES_URL is not set")
def test_a_postgresql_database_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    assert PG_URL is not None
    name = f"dealbase_missing_{secrets.token_hex(4)}"
    url = make_url(PG_URL).set(database=name, password="hunter2").render_as_string(
        hide_password=False)
    for args in (["company", "create", "X", "--admin-email", "a@x.example"], ["serve"]):
        done = _dealbase(*args, "--database-url", url, env=_env(tmp_path), cwd=tmp_path)
        line = _one_line_error(done, name, "does not exist")
        assert "hunter2" not in done.stderr and "serving" not in done.stderr
        shown = Settings.from_env({}, database_url=url).database_label
        assert line.startswith(f"Error: cannot use the database {shown}: ")


def test_a_port_in_use_is_one_line_and_nothing_served(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _dealbase("serve", "--port", str(port), env=_env(tmp_path), cwd=tmp_path)
    _one_line_error(done, f"127.0.0.1:{port}", "in use")
    assert "serving" not in done.stderr and "http://" not in done.stderr


# ---- health ------------------------------------------------------------------------------


def test_healthz_and_readyz_answer_without_a_token(http: SyncClient) -> None:
    for path in ("/healthz", "/readyz"):
        r = http.request("GET", path)
        assert (r.status_code, r.json()) == (200, {"status": "ok"})
    assert http.request("POST", "/healthz").status_code == 405


class _Client:
    """GET on an in-process app (no lifespan: the test owns the service)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def get(self, path: str) -> httpx.Response:
        async def get() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                         base_url="http://dealbase.test") as client:
                return await client.get(path)
        return anyio.run(get)


def test_readyz_is_503_until_the_database_is_migrated(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'fresh.db'}")
    service = Service(settings)
    client = _Client(create_app(settings, service))
    try:
        assert client.get("/healthz").status_code == 200
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["status"] == "unavailable"
        service.migrate()
        assert client.get("/readyz").status_code == 200
    finally:
        service.close()


def test_readyz_is_503_when_the_database_does_not_answer() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(database_url=f"postgresql://nobody@127.0.0.1:{port}/none")
    service = Service(settings)
    client = _Client(create_app(settings, service))
    try:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 503
    finally:
        service.close()


# ---- serve: a clean stop, the log --------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=BACKENDS)
def served_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database for a server of the test's own: a SQLite file on disk (not /dev/shm: the
    point is what is on disk), or the session's PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'dealbase.db'}"
    else:
        yield request.getfixturevalue("pg_url")


def _serve(url: str, tmp: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "dealbase", "serve", "--port", str(port),
                               "--database-url", url, *args], env=_env(tmp), cwd=tmp,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return server, port
        except httpx.TransportError:
            pass
        assert server.poll() is None, server.communicate()
        assert time.monotonic() < deadline, "the server did not become ready"
        time.sleep(0.1)


def _stop(server: subprocess.Popen[str], how: signal.Signals) -> tuple[str, str]:
    """Stop the server with a signal; it exits when the app has shut down (0 on SIGINT; on
    SIGTERM uvicorn re-raises the signal once shut down, as supervisors expect)."""
    server.send_signal(how)
    out, err = server.communicate(timeout=30)
    assert server.returncode in (0, -how), err
    return out, err


def _count_deals(url: str, company_id: int, user_id: int) -> int:
    service = Service(Settings(database_url=url))
    try:
        with service.unit(service.admin(company_id, user_id)) as unit:
            return unit.count("deal", None)
    finally:
        service.close()


@pytest.mark.parametrize("how, workers", [(signal.SIGINT, 1), (signal.SIGTERM, 1), (signal.SIGTERM, 2)])
def test_a_clean_stop_leaves_every_deal_in_the_database_file(
        how: signal.Signals, workers: int, served_url: str, tmp_path: Path) -> None:
    if served_url.startswith("sqlite"):
        Path(make_url(served_url).database or "").parent.mkdir()
    setup = Service(Settings(database_url=served_url))
    setup.migrate()
    company = setup.create_company("Stopped", "a@stop.example")
    setup.close()
    server, port = _serve(served_url, tmp_path, "--workers", str(workers))
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,  # (a loaded CI)
                          headers={"x-api-token": company.api_token}) as client:
            for n in range(40):
                r = client.post("/v1/deals", json={"title": f"deal {n}", "value": n})
                assert r.status_code == 201, r.text
    finally:
        out, err = _stop(server, how)
    assert err.splitlines()[0].startswith("dealbase serving ")
    if served_url.startswith("sqlite"):
        path = Path(make_url(served_url).database or "")
        wal = path.with_name(path.name + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0
        copy = tmp_path / "copy" / "dealbase.db"
        copy.parent.mkdir()
        shutil.copy2(path, copy)  # the file alone, as a backup by copying would take it
        served_url = f"sqlite:///{copy}"
    assert _count_deals(served_url, company.company_id, company.user_id) == 40


def test_the_access_log_and_the_log_level(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    runs: list[tuple[str, str]] = []
    for args in ((), ("--access-log", "--log-level", "info"), ("--access-log", "--log-level", "error")):
        server, port = _serve(url, tmp_path, *args)
        httpx.get(f"http://127.0.0.1:{port}/healthz", params={"probe": "x"}, timeout=60)
        runs.append(_stop(server, signal.SIGTERM))
    quiet, loud, errors_only = ("".join(run) for run in runs)
    line = '"GET /healthz?probe=x HTTP/1.1" 200'
    assert line not in quiet and "Uvicorn running" not in quiet and "Started server" not in quiet
    assert line in loud and "Started server process" in loud
    assert line in errors_only and "Started server" not in errors_only  # the log: whatever the level
    for run in (quiet, loud, errors_only):
        assert f"dealbase serving {tmp_path / 'log.db'} on http://127.0.0.1:" in run


def test_settings_from_the_environment_reach_serve(tmp_path: Path) -> None:
    port = _free_port()
    env = _env(tmp_path, DEALBASE_PORT=str(port), DEALBASE_ACCESS_LOG="yes",
               DEALBASE_DATA_DIR=str(tmp_path / "data"))
    server = subprocess.Popen([sys.executable, "-m", "dealbase", "serve"], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, server.communicate()
                time.sleep(0.1)
        assert r.status_code == 200
    finally:
        out, err = _stop(server, signal.SIGINT)
    assert f"dealbase serving {tmp_path / 'data' / 'dealbase.db'} on http://127.0.0.1:{port}" in err
    assert '"GET /readyz HTTP/1.1" 200' in out + err


# ---- every setting documented ------------------------------------------------------------


def test_the_readme_settings_table_is_generated_from_the_settings() -> None:
    readme = (ROOT / "README.md").read_text()
    begin, end = "<!-- settings:begin -->\n", "<!-- settings:end -->"
    assert readme.index("## Quickstart") < readme.index("## Settings") < readme.index(begin)
    table = readme[readme.index(begin) + len(begin):readme.index(end)]
    assert table == settings_table(), (
        "regenerate the README's Settings table: python -c 'from dealbase.settings import "
        "settings_table; print(settings_table(), end=\"\")'")


def test_every_setting_is_in_help() -> None:
    import dataclasses

    top = CliRunner().invoke(main, ["--help"])
    serve = CliRunner().invoke(main, ["serve", "--help"])
    assert top.exit_code == serve.exit_code == 0
    for f in dataclasses.fields(Settings):
        assert f"DEALBASE_{f.name.upper()}" in top.output
        option: Any = f.metadata["option"]
        if option.startswith("serve "):
            assert option.split()[1] in serve.output
            assert f"DEALBASE_{f.name.upper()}" in serve.output.replace("\n", " ").replace("  ", "")
