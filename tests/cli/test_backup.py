"""backup while a server writes, restore, and their refusals."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from dealbase.query.ast import Cond
from dealbase.service import Service, live
from dealbase.settings import Settings
from dealbase.store.database import Database
from tests.cli.helpers import one_line_error, run


def _ids(url: str) -> set[int]:
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return {r[0] for r in conn.execute("SELECT id FROM deals")}
    finally:
        conn.close()


def test_backup_while_writing_holds_every_acknowledged_write(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    service = Service(Settings(database_url=url))
    service.migrate()
    company = service.create_company("Busy", "a@busy.example")
    ctx = service.admin(company.company_id, company.user_id)
    acknowledged: list[int] = []
    stop = threading.Event()
    started = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            with service.unit(ctx, write=True) as unit:
                made = unit.create_many("deal", [{"title": f"d{n}.{i}"} for i in range(20)])
            acknowledged.extend(made)  # committed: acknowledged
            n += 1
            if n == 20:
                started.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert started.wait(60)
        before = list(acknowledged)
        result = run(url, "backup", str(tmp_path / "copy.db"))
        during = len(acknowledged)
    finally:
        stop.set()
        thread.join(60)
    service.close()
    assert result.exit_code == 0, result.output
    assert during > len(before)  # the writer went on while the backup ran
    assert (tmp_path / "copy.db").exists() and not (tmp_path / "copy.db-wal").exists()
    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    back = run(restored, "restore", str(tmp_path / "copy.db"))
    assert back.exit_code == 0, back.output
    held = _ids(restored)
    assert set(before) <= held  # every write acknowledged before the backup began
    assert held <= set(acknowledged)  # and nothing that was never committed
    again = Service(Settings(database_url=restored))
    try:
        with again.unit(again.owner(company.company_id)) as unit:
            assert unit.count("deal", live(Cond("title", "starts_with", "d"))) == len(held)
    finally:
        again.close()


def test_restore_refuses_a_database_with_data_unless_forced(tmp_path: Path) -> None:
    first, second = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    assert run(first, "company", "create", "One", "--admin-email", "a@one.example").exit_code == 0
    assert run(second, "company", "create", "Two", "--admin-email", "b@two.example").exit_code == 0
    assert run(first, "backup", str(tmp_path / "one.db")).exit_code == 0
    assert "exists" in one_line_error(run(first, "backup", str(tmp_path / "one.db")))
    assert run(first, "backup", str(tmp_path / "one.db"), "--force").exit_code == 0
    assert "not empty" in one_line_error(run(second, "restore", str(tmp_path / "one.db")))
    forced = run(second, "restore", str(tmp_path / "one.db"), "--force")
    assert forced.exit_code == 0, forced.output
    names = run(second, "company", "list", "--json").stdout
    assert "One" in names and "Two" not in names


def test_backup_and_restore_error_cases(tmp_path: Path, database: Database) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    assert "no database" in one_line_error(run(url, "backup", str(tmp_path / "b.db")))
    assert "no backup" in one_line_error(run(url, "restore", str(tmp_path / "missing.db")))
    assert "cannot be restored" in one_line_error(run(url, "restore", str(junk)))
    assert "not a dealbase database" in one_line_error(run(url, "restore", str(other)))
    assert "no directory" in one_line_error(run(f"sqlite:///{junk}", "backup",
                                                str(tmp_path / "nope" / "b.db")))
    if database.backend == "postgresql":
        assert "pg_dump" in one_line_error(run(database, "backup", str(tmp_path / "pg.db")))
        assert "pg_restore" in one_line_error(run(database, "restore", str(junk)))
