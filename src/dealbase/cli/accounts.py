"""``dealbase company list``, ``dealbase token …`` and ``dealbase user …``: the accounts of a
company, managed from the command line through the records service.

Secrets (tokens, Pipeliner passwords) are printed once, when issued; only their hashes are
stored. Every command acts on one company, named by ``--company`` (its id, space id or
name; not needed while the database holds a single company).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..settings import setting_help

if TYPE_CHECKING:
    from ..service import Company, Context, Service

F = TypeVar("F", bound=Callable[..., Any])

# (as main's: these modules are imported by main, so they take its helpers only when run)
database_option = click.option(
    "--database-url", envvar="DEALBASE_DATABASE_URL", default=None,
    help=setting_help("database_url"))
company_option = click.option(
    "--company", "company_ref", envvar="DEALBASE_COMPANY", default=None,
    help="The company: its id, space id or name (env DEALBASE_COMPANY; not needed when the "
         "database holds one company).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


@contextmanager
def failures() -> Iterator[None]:
    """A refusal by the service (``DealbaseError``) as one line and exit status 1."""
    from ..domain.errors import DealbaseError

    try:
        yield
    except DealbaseError as exc:
        raise click.ClickException(exc.message) from None


def open_service(database_url: str | None) -> Service:
    """The service over the database the settings name (announced on stderr)."""
    from .main import service_for, settings_for

    service = service_for(settings_for(database_url))
    click.get_current_context().call_on_close(service.close)
    return service


def pick_company(service: Service, ref: str | None) -> Company:
    """The company ``ref`` names (id, space id or exact name), or the only one."""
    companies = service.companies()
    if ref is None:
        if len(companies) == 1:
            return companies[0]
        if not companies:
            raise click.ClickException("the database holds no company; create one with "
                                       "`dealbase company create` or `dealbase demo`")
        raise click.ClickException(f"the database holds {len(companies)} companies; "
                                   "choose one with --company (id, space id or name)")
    ref = ref.strip()
    found = [c for c in companies if str(c.id) == ref or c.space_id == ref] or \
        [c for c in companies if c.name == ref]
    if not found:
        raise click.ClickException(f"no company {ref!r} (see `dealbase company list`)")
    if len(found) > 1:
        raise click.ClickException(f"{len(found)} companies are named {ref!r}; use the id")
    return found[0]


def company_context(service: Service, ref: str | None) -> Context:
    """Acting as the chosen company's first active admin user."""
    company = pick_company(service, ref)
    with failures():
        return service.owner(company.id)


def find_user(service: Service, ctx: Context, ref: str) -> dict[str, Any]:
    """The live user ``ref`` names: its id or e-mail address."""
    from ..query.ast import Cond
    from ..service import live

    with service.unit(ctx) as unit:
        where = Cond("id", "eq", int(ref)) if ref.isdigit() and len(ref) < 19 else \
            Cond("email", "eq", ref.strip())
        found = unit.find("user", live(where))
    if found is None:
        raise click.ClickException(f"no user {ref!r} in this company (see `dealbase user list`)")
    return found


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    shown = Table(title=title)
    for column in columns:
        shown.add_column(column)
    for row in rows:
        shown.add_row(*("" if v is None else str(v) for v in row))
    Console(soft_wrap=True).print(shown)


def emit(as_json: bool, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if as_json:
        click.echo(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=str))
    else:
        table(title, columns, rows)


# ---- companies ----------------------------------------------------------------------------

@click.command("list")
@json_option
@database_option
def company_list(as_json: bool, database_url: str | None) -> None:
    """List the companies (id, space id, name)."""
    companies = open_service(database_url).companies()
    emit(as_json, "Companies", ("id", "space_id", "name"),
         [(c.id, c.space_id, c.name) for c in companies])


# ---- API tokens ---------------------------------------------------------------------------

@click.group()
def token() -> None:
    """Manage API tokens (Pipedrive tokens; Pipeliner token + password pairs)."""


def _issued(new: Any, space_id: str, as_json: bool, what: str) -> None:
    data = {**dataclasses.asdict(new), "space_id": space_id}
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo(f"{what} {new.kind} token {new.id} for user {new.user_id}.")
    click.echo(f"Token: {new.token}")
    if new.password is not None:
        click.echo(f"Password: {new.password}")
        click.echo(f"Space id: {space_id}")
    click.echo("This secret is shown only now.")


@token.command("create")
@click.option("--user", "user_ref", default=None,
              help="The user (id or e-mail); by default the company's first admin.")
@click.option("--kind", type=click.Choice(("pipedrive", "pipeliner")), default="pipedrive",
              show_default=True, help="Which API the token is for.")
@company_option
@json_option
@database_option
def token_create(user_ref: str | None, kind: str, company_ref: str | None, as_json: bool,
                 database_url: str | None) -> None:
    """Issue a new API token for a user (the secret is shown once)."""
    service = open_service(database_url)
    ctx = company_context(service, company_ref)
    user_id = ctx.user_id if user_ref is None else int(find_user(service, ctx, user_ref)["id"])
    assert user_id is not None
    with failures():
        new = service.create_token(ctx.company_id, user_id, kind)
    _issued(new, ctx.space_id or "", as_json, "Created")


@token.command("list")
@company_option
@json_option
@database_option
def token_list(company_ref: str | None, as_json: bool, database_url: str | None) -> None:
    """List a company's API tokens (ids, kinds, users; never the secrets)."""
    service = open_service(database_url)
    company = pick_company(service, company_ref)
    tokens = service.tokens(company.id)
    emit(as_json, f"API tokens of {company.name}", ("id", "kind", "user_id", "created_at"),
         [(t.id, t.kind, t.user_id, t.created_at.isoformat(sep=" ")) for t in tokens])


@token.command("revoke")
@click.argument("token_id", type=int)
@company_option
@database_option
def token_revoke(token_id: int, company_ref: str | None, database_url: str | None) -> None:
    """Delete an API token: requests bearing it are refused from now on."""
    service = open_service(database_url)
    company = pick_company(service, company_ref)
    with failures():
        service.revoke_token(company.id, token_id)
    click.echo(f"Token {token_id} revoked.")


@token.command("rotate")
@click.argument("token_id", type=int)
@company_option
@json_option
@database_option
def token_rotate(token_id: int, company_ref: str | None, as_json: bool,
                 database_url: str | None) -> None:
    """Replace a token's secret (and Pipeliner password): the old one stops working."""
    service = open_service(database_url)
    company = pick_company(service, company_ref)
    with failures():
        new = service.rotate_token(company.id, token_id)
    _issued(new, company.space_id, as_json, "Rotated")


# ---- users --------------------------------------------------------------------------------

USER_COLUMNS = ("id", "name", "email", "is_admin", "is_active")


@click.group()
def user() -> None:
    """Manage a company's users."""


@user.command("add")
@click.argument("email")
@click.option("--name", default=None, help="Full name (default: the e-mail's local part).")
@click.option("--admin", is_flag=True, help="Make the user an admin.")
@company_option
@json_option
@database_option
def user_add(email: str, name: str | None, admin: bool, company_ref: str | None, as_json: bool,
             database_url: str | None) -> None:
    """Add a user to a company (give it a token with `dealbase token create --user`)."""
    import re

    from ..query.ast import Cond
    from ..service import live

    if not re.fullmatch(r"[^@\s]+@[^@\s]+", email.strip()):
        raise click.ClickException(f"{email!r} is not a valid email address")
    service = open_service(database_url)
    ctx = company_context(service, company_ref)
    with failures(), service.unit(ctx, write=True) as unit:
        if unit.find("user", live(Cond("email", "eq", email.strip()))) is not None:
            raise click.ClickException(f"a user with e-mail {email!r} already exists")
        made = unit.create("user", {"email": email.strip(), "name": name or email.split("@")[0],
                                    "is_admin": admin})
    emit(as_json, "User added", USER_COLUMNS, [tuple(made[c] for c in USER_COLUMNS)])


@user.command("list")
@click.option("--all", "everyone", is_flag=True, help="Include deactivated users.")
@company_option
@json_option
@database_option
def user_list(everyone: bool, company_ref: str | None, as_json: bool,
              database_url: str | None) -> None:
    """List a company's users."""
    from ..query.ast import Cond, Keyset, Query, all_of
    from ..service import live

    service = open_service(database_url)
    ctx = company_context(service, company_ref)
    where = live(None if everyone else Cond("is_active", "eq", True))
    rows: list[tuple[Any, ...]] = []
    after: tuple[Any, ...] | None = None
    with service.unit(ctx) as unit:
        while True:
            page = unit.list("user", Query(where=all_of(where), page=Keyset(after, 500)))
            rows += [tuple(u[c] for c in USER_COLUMNS) for u in page.items]
            after = page.last_key()
            if not page.more or after is None:
                break
    emit(as_json, "Users", USER_COLUMNS, rows)


@user.command("deactivate")
@click.argument("user_ref", metavar="USER")
@company_option
@database_option
def user_deactivate(user_ref: str, company_ref: str | None, database_url: str | None) -> None:
    """Deactivate a user (id or e-mail): its tokens are refused from now on."""
    service = open_service(database_url)
    ctx = company_context(service, company_ref)
    found = find_user(service, ctx, user_ref)
    if not found["is_active"]:
        raise click.ClickException(f"user {found['id']} is already deactivated")
    if found["id"] == ctx.user_id:
        others = [u for u in _admins(service, ctx) if u != found["id"]]
        if not others:
            raise click.ClickException("this is the company's last active admin")
    with failures(), service.unit(ctx, write=True) as unit:
        unit.update("user", found["id"], {"is_active": False})
    click.echo(f"User {found['id']} ({found['email']}) deactivated.")


def _admins(service: Service, ctx: Context) -> list[int]:
    from ..query.ast import Cond, Keyset, Query, all_of
    from ..service import live

    with service.unit(ctx) as unit:
        page = unit.list("user", Query(where=live(all_of(
            Cond("is_admin", "eq", True), Cond("is_active", "eq", True))), page=Keyset(None, 2)))
    return [int(u["id"]) for u in page.items]


@user.command("invite")
@click.argument("user_ref", metavar="USER")
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True,
              help="Where the web app is served (the link starts with it).")
@company_option
@database_option
def user_invite(user_ref: str, base_url: str, company_ref: str | None,
                database_url: str | None) -> None:
    """Print an invitation link (valid 7 days, once) that lets a user choose a password
    and sign in to the web app."""
    service = open_service(database_url)
    ctx = company_context(service, company_ref)
    found = find_user(service, ctx, user_ref)
    with failures():
        token = service.sessions.invite(ctx, int(found["id"]), service.clock())
    click.echo(f"Invitation for user {found['id']} ({found['email']}), valid 7 days:")
    click.echo(f"{base_url.rstrip('/')}/invite/{token}")


@user.command("set-password")
@click.argument("user_ref", metavar="USER")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@company_option
@database_option
def user_set_password(user_ref: str, password_stdin: bool, company_ref: str | None,
                      database_url: str | None) -> None:
    """Set a user's sign-in password (stored as an argon2id hash)."""
    service = open_service(database_url)
    ctx = company_context(service, company_ref)
    found = find_user(service, ctx, user_ref)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    with failures():
        service.set_password(ctx.company_id, int(found["id"]), password)
    click.echo(f"Password set for user {found['id']} ({found['email']}).")


def register(main: click.Group, company: click.Group) -> None:
    """Add these commands to the ``dealbase`` group (and ``company list`` to ``company``)."""
    company.add_command(company_list)
    main.add_command(token)
    main.add_command(user)
