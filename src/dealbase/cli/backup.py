"""``dealbase backup PATH`` and ``dealbase restore PATH`` for SQLite databases.

A backup goes through SQLite's online backup API (``sqlite3.Connection.backup``) in one
step, which reads one snapshot: it is consistent while a server is writing, and holds
what is still in the write-ahead log (copying ``dealbase.db`` alone does not). The copy is
a single self-contained file (rollback journal mode), written beside PATH and renamed into
place, so PATH is never a half-written backup. PostgreSQL has its own tools (``pg_dump``).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import click

from ..settings import Settings
from .accounts import database_option

BUSY_TIMEOUT = 30.0  # seconds a backup or restore waits for a writer's lock


def sqlite_file(settings: Settings, doing: str) -> Path:
    """The SQLite file of the settings' database; one line and exit 1 for PostgreSQL."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        hint = "pg_dump" if doing == "backup" else "pg_restore (or psql for a plain dump)"
        raise click.ClickException(f"{doing} is for SQLite databases; for PostgreSQL use {hint}")
    if not url.database or url.database == ":memory:":
        raise click.ClickException(f"an in-memory database cannot be {doing}d")
    return Path(url.database).absolute()


def _dealbase_file(path: Path) -> str | None:
    """Why ``path`` is not a dealbase SQLite database, or None if it is one."""
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            return f"the file is damaged ({check})"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"alembic_version", "companies"} <= tables:
            return "it is not a dealbase database"
        return None
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        conn.close()


def _companies(path: Path) -> int:
    """How many companies the database at ``path`` holds (0 for a file without data)."""
    if not path.exists() or path.stat().st_size == 0:
        return 0
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT)
    try:
        return int(conn.execute("SELECT count(*) FROM companies").fetchone()[0])
    except sqlite3.DatabaseError:
        return 0 if not conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] else 1
    finally:
        conn.close()


def copy_database(source: Path, target: Path, *, standalone: bool) -> None:
    """Copy the database at ``source`` into ``target`` in one backup step (one snapshot).
    ``standalone``: leave ``target`` as one file in rollback-journal mode."""
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT)
    try:
        dst = sqlite3.connect(target, timeout=BUSY_TIMEOUT)
        try:
            src.backup(dst)  # pages=-1: the whole database in one step, one read snapshot
            if standalone:
                dst.execute("PRAGMA journal_mode=DELETE")
            dst.commit()
        finally:
            dst.close()
    finally:
        src.close()


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@database_option
def backup(path: Path, force: bool, database_url: str | None) -> None:
    """Copy the SQLite database to PATH, consistently, even while a server is writing."""
    from .main import settings_for

    settings = settings_for(database_url)
    source = sqlite_file(settings, "backup")
    if not source.exists():
        raise click.ClickException(f"there is no database at {source}")
    path = path.absolute()
    if path == source:
        raise click.ClickException("the backup cannot be the database itself")
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists; pass --force to replace it")
    if not path.parent.is_dir():
        raise click.ClickException(f"there is no directory {path.parent}")
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.unlink(missing_ok=True)
        copy_database(source, partial, standalone=True)
        os.replace(partial, path)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"backup failed: {' '.join(str(exc).split())}") from None
    click.echo(f"Backed up {source} to {path} ({path.stat().st_size:,} bytes).")


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace a database that already holds companies (their data is lost).")
@database_option
def restore(path: Path, force: bool, database_url: str | None) -> None:
    """Replace the (empty) SQLite database with the backup at PATH. Stop the server first."""
    from .main import service_for, settings_for

    settings = settings_for(database_url)
    target = sqlite_file(settings, "restore")
    path = path.absolute()
    if not path.is_file():
        raise click.ClickException(f"there is no backup at {path}")
    if path == target:
        raise click.ClickException("the backup is the database itself")
    problem = _dealbase_file(path)
    if problem is not None:
        raise click.ClickException(f"{path} cannot be restored: {problem}")
    held = _companies(target)
    if held and not force:
        raise click.ClickException(f"{target} is not empty ({held} companies); "
                                   "pass --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        copy_database(path, target, standalone=False)
    except (sqlite3.Error, OSError) as exc:
        raise click.ClickException(f"restore failed: {' '.join(str(exc).split())}") from None
    service_for(settings).close()  # a backup from an older dealbase: upgraded in place
    click.echo(f"Restored {path} into {target}.")


def register(main: click.Group) -> None:
    main.add_command(backup)
    main.add_command(restore)
