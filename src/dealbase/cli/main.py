"""``dealbase``: serve the API, create companies, seed a demo company."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from typing import TYPE_CHECKING, Any

import click

from ..settings import LOG_LEVELS, Settings, setting_help, settings_help

if TYPE_CHECKING:
    from ..service import Service


def settings_for(database_url: str | None, *, announce: bool = True, **overrides: object) -> Settings:
    """The settings (env, then these options); ``announce``: say on stderr, in one line,
    which database the command uses. A bad setting is one line and exit status 1."""
    try:
        settings = Settings.from_env(database_url=database_url, **overrides)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    if announce:
        click.echo(f"dealbase: database {settings.database_label}", err=True)
    return settings


def service_for(settings: Settings) -> Service:
    """The records service over the settings' database, created or upgraded in place; a
    database that cannot be opened or upgraded is one line and exit status 1."""
    from dataclasses import replace

    from ..service import Service

    failures = _database_failures()
    try:
        service = Service(replace(settings, pool_size=2))
    except failures as exc:
        raise click.ClickException(_cannot_open(settings, exc)) from None
    try:
        service.migrate()
    except failures as exc:
        with contextlib.suppress(*failures):
            service.close()
        raise click.ClickException(_cannot_open(settings, exc)) from None
    return service


def _database_failures() -> tuple[type[BaseException], ...]:
    """What opening or upgrading a database raises when the database is at fault (not
    dealbase): the drivers', SQLAlchemy's and Alembic's errors, the file system's."""
    import sqlite3

    import psycopg
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    return (SQLAlchemyError, sqlite3.Error, psycopg.Error, CommandError, OSError, ValueError)


def _cannot_open(settings: Settings, exc: BaseException) -> str:
    """One line for a database that failed: the driver's own words, whitespace folded."""
    cause = getattr(exc, "orig", None) or exc  # (SQLAlchemy wraps the driver's error)
    words = " ".join(str(cause).split()) or type(cause).__name__
    return f"cannot use the database {settings.database_label}: {words}"


database_option = click.option(
    "--database-url", envvar="DEALBASE_DATABASE_URL", default=None,
    help=setting_help("database_url"))


@click.group(epilog=settings_help())
@click.version_option(package_name="dealbase")
def main() -> None:
    """dealbase: a self-hostable CRM server speaking the Pipedrive API."""


@main.command()
@click.option("--host", default=None, help=setting_help("host"))
@click.option("--port", default=None, type=int, help=setting_help("port"))
@click.option("--workers", default=None, type=int, help=setting_help("workers"))
@click.option("--log-level", default=None, type=click.Choice(LOG_LEVELS), help=setting_help("log_level"))
@click.option("--access-log/--no-access-log", default=None, help=setting_help("access_log"))
@database_option
def serve(host: str | None, port: int | None, workers: int | None, log_level: str | None,
          access_log: bool | None, database_url: str | None) -> None:
    """Create or upgrade the database, then serve the API (Ctrl-C or SIGTERM stops it
    cleanly: the SQLite file alone is then a complete copy of the data)."""
    import os

    import uvicorn

    settings = settings_for(database_url, announce=False, host=host, port=port, workers=workers,
                         log_level=log_level, access_log=access_log)
    _check_port(settings.host, settings.port)
    service_for(settings).close()
    os.environ["DEALBASE_DATA_DIR"] = settings.data_dir  # (for the workers' from_env)
    os.environ["DEALBASE_DATABASE_URL"] = settings.database_url
    click.echo(f"dealbase serving {settings.database_label} on "
               f"http://{settings.host}:{settings.port}", err=True)
    uvicorn.run("dealbase.cli.main:app_from_env", factory=True, host=settings.host,
                port=settings.port, workers=settings.workers, log_level=None,
                log_config=_log_config(settings), access_log=settings.access_log)


def _check_port(host: str, port: int) -> None:
    """Bind the address as the server will (and let go at once): one line if it cannot."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise click.ClickException(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _log_config(settings: Settings) -> dict[str, object]:
    """uvicorn's logging, with the server's and dealbase's loggers at the chosen level and
    the access log (when on) at info whatever that level is."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    level = settings.log_level.upper()
    loggers = config["loggers"]
    loggers["uvicorn"]["level"] = loggers["uvicorn.error"]["level"] = level
    loggers["uvicorn.access"]["level"] = "INFO"
    loggers["dealbase"] = {"handlers": ["default"], "level": level, "propagate": False}
    return config


def app_from_env():  # type: ignore[no-untyped-def]
    """Factory uvicorn calls in each worker."""
    from ..api.app import create_app

    return create_app(Settings.from_env())


@main.group()
def company() -> None:
    """Manage companies (tenants)."""


@company.command("create")
@click.argument("name")
@click.option("--admin-email", required=True, help="Email of the company's first (admin) user.")
@click.option("--admin-name", default=None, help="Name of the admin user.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the secrets.")
@database_option
def company_create(name: str, admin_email: str, admin_name: str | None, as_json: bool,
                   database_url: str | None) -> None:
    """Create a company, its admin user and that user's API tokens (shown once)."""
    from ..domain.errors import DealbaseError

    service = service_for(settings_for(database_url))
    try:
        created = service.create_company(name, admin_email, admin_name)
    except DealbaseError as exc:
        raise click.ClickException(exc.message) from None
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(created)))
        return
    click.echo(f"Company {name!r} created (id {created.company_id}, space {created.space_id}).")
    click.echo(f"Pipedrive API token (admin {admin_email}): {created.api_token}")
    click.echo(f"Pipeliner API token: {created.pipeliner_api_token}")
    click.echo(f"Pipeliner API password: {created.pipeliner_api_password}")
    click.echo("These secrets are shown only now.")


@main.command()
@click.option("--name", default="Demo Company", show_default=True, help="Company name.")
@click.option("--admin-email", default="admin@demo.example", show_default=True,
              help="Admin email.")
@click.option("--deals", default=60, show_default=True, type=click.IntRange(0, 100_000),
              help="How many deals.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object with the Pipedrive and Pipeliner credentials.")
@database_option
def demo(name: str, admin_email: str, deals: int, as_json: bool, database_url: str | None) -> None:
    """Seed a realistic demo company (users, pipeline, organizations, persons, deals).
    Run again, it seeds nothing more: it finds the company by name and prints fresh
    credentials (the previous ones stop working)."""
    from ..domain.errors import DealbaseError
    from .demo import seed_demo

    service = service_for(settings_for(database_url))
    try:
        result = seed_demo(service, name, admin_email, deals)
    except DealbaseError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        service.close()
    made = result.company
    if as_json:
        click.echo(json.dumps({**dataclasses.asdict(made), "name": name.strip(),
                               "deals": result.deals, "created": result.created}))
        return
    click.echo(f"Demo company {name!r} " + (f"seeded with {result.deals} deals." if result.created
                                            else "exists: credentials rotated, nothing seeded."))
    click.echo(f"Pipeliner space id: {made.space_id}")
    click.echo(f"Pipeliner API token: {made.pipeliner_api_token}")
    click.echo(f"Pipeliner API password: {made.pipeliner_api_password}")
    click.echo(f"API token: {made.api_token}")


# ---- accounts, import/export, backup/restore (their own modules) ----------------------------
from . import accounts, backup, transfer  # noqa: E402  (they use the helpers above)

accounts.register(main, company)
transfer.register(main)
backup.register(main)
from . import limits as limits_cli  # noqa: E402

limits_cli.register(main)
from . import templates  # noqa: E402

templates.register(main)
from . import rates as rates_cli  # noqa: E402

rates_cli.register(main)
from . import webhooks as webhooks_cli  # noqa: E402

webhooks_cli.register(main)
from . import apps as apps_cli  # noqa: E402

apps_cli.register(main)
