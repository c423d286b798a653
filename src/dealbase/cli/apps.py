"""``dealbase app create|list|delete``: a company's OAuth apps (README "OAuth apps").

``create`` prints the app's client id and, for a confidential app, its client secret:
the only time the secret is ever shown (only its hash is stored)."""

from __future__ import annotations

import json

import click

from ..domain.scopes import SCOPES
from .accounts import company_option, database_option, emit, failures, json_option, open_service, pick_company

COLUMNS = ("id", "client_id", "name", "public", "redirect_uris", "scopes", "created_at")


@click.group()
def app() -> None:
    """A company's OAuth apps (authorization code with PKCE; see the README's "OAuth apps")."""


@app.command("create")
@click.option("--name", required=True, help="What the consent page calls the app.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True,
              help="A callback URL (https, or http on localhost), matched exactly; repeatable.")
@click.option("--scopes", required=True,
              help=f"Comma-separated scopes the app may ask for: {', '.join(SCOPES)}.")
@click.option("--public", is_flag=True,
              help="A public client (no secret; PKCE required), e.g. a desktop or mobile app.")
@company_option
@json_option
@database_option
def app_create(name: str, redirect_uris: tuple[str, ...], scopes: str, public: bool,
               company_ref: str | None, as_json: bool, database_url: str | None) -> None:
    """Register an app; prints its client id and secret (shown once)."""
    service = open_service(database_url)
    company = pick_company(service, company_ref)
    with failures():
        made = service.oauth.create_app(company.id, name, list(redirect_uris), scopes, public)
    data = {**made.app.as_dict(), "client_secret": made.client_secret}
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo(f"App {made.app.id} created: {made.app.name}")
    click.echo(f"Client ID: {made.app.client_id}")
    if made.client_secret is None:
        click.echo("Client secret: none (a public client: it must use PKCE)")
    else:
        click.echo(f"Client secret: {made.client_secret}")
        click.echo("Store the secret now: it is not shown again.")
    click.echo(f"Scopes: {','.join(made.app.scopes)}")


@app.command("list")
@company_option
@json_option
@database_option
def app_list(company_ref: str | None, as_json: bool, database_url: str | None) -> None:
    """List the company's apps (never their secrets)."""
    service = open_service(database_url)
    company = pick_company(service, company_ref)
    found = [a.as_dict() for a in service.oauth.list_apps(company.id)]
    if as_json:
        click.echo(json.dumps(found))
        return
    emit(False, "OAuth apps", COLUMNS, [
        tuple(" ".join(a[c]) if c in ("redirect_uris",) else
              ",".join(a[c]) if c == "scopes" else a[c] for c in COLUMNS) for a in found])


@app.command("delete")
@click.argument("app_id", type=int)
@company_option
@database_option
def app_delete(app_id: int, company_ref: str | None, database_url: str | None) -> None:
    """Delete an app: its tokens stop working at once."""
    service = open_service(database_url)
    company = pick_company(service, company_ref)
    with failures():
        service.oauth.delete_app(company.id, app_id)
    click.echo(f"App {app_id} deleted.")


def register(main: click.Group) -> None:
    main.add_command(app)
