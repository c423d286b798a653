"""``dealbase``: serve the API, create companies, seed a demo company."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING

import click

from ..settings import Settings

if TYPE_CHECKING:
    from ..service import Service


def _settings(database_url: str | None) -> Settings:
    return Settings.from_env(database_url=database_url)


def _service(settings: Settings) -> Service:
    """The records service over the settings' database, created or upgraded in place."""
    from dataclasses import replace

    from ..service import Service

    service = Service(replace(settings, pool_size=2))
    service.migrate()
    return service


database_option = click.option(
    "--database-url", envvar="DEALBASE_DATABASE_URL", default=None,
    help="Database URL (default sqlite:///dealbase.db; env DEALBASE_DATABASE_URL).")


@click.group()
@click.version_option(package_name="dealbase")
def main() -> None:
    """dealbase: a self-hostable CRM server speaking the Pipedrive API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes.")
@database_option
def serve(host: str, port: int, workers: int, database_url: str | None) -> None:
    """Create or upgrade the database, then serve the API."""
    import os

    import uvicorn

    settings = _settings(database_url)
    _service(settings).close()
    os.environ["DEALBASE_DATABASE_URL"] = settings.database_url
    click.echo(f"dealbase serving {settings.database_url} on http://{host}:{port}", err=True)
    uvicorn.run("dealbase.cli.main:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="warning")


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

    service = _service(_settings(database_url))
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
@click.option("--deals", default=60, show_default=True, type=int, help="How many deals.")
@database_option
def demo(name: str, admin_email: str, deals: int, database_url: str | None) -> None:
    """Seed a realistic demo company (users, pipeline, organizations, persons, deals)."""
    from .demo import seed_demo

    result = seed_demo(_service(_settings(database_url)), name, admin_email, deals)
    click.echo(f"Demo company {name!r} seeded with {result.deals} deals.")
    click.echo(f"API token: {result.company.api_token}")
