"""Fixtures of the end-to-end tests: the web app served by uvicorn on a free local port
over a fresh SQLite database, seeded, driven by a real headless Chromium.

The browser is Debian's ``chromium`` (``scripts/test`` installs it when it is missing;
``DEALBASE_TEST_CHROMIUM`` names another binary); Playwright drives it, its own browser
download is not used. The tests are about the browser, so they run on SQLite only: in
``scripts/test``'s PostgreSQL run they are skipped (the SQLite run has them).

Each company seeded (``Site``): the admin and a restricted user, each with a password (they
sign in through the form); a "Sales" pipeline with deals in its stages, organizations, a
person, notes and activities, all dated over three months by the server's clock (which
starts at EPOCH, so the pages print the same dates on every run); a numeric custom field
on deals ("Budget"); and a role of the restricted user's that hides a second pipeline
("Partners"). ``site`` is where the scenarios work (with a crowded "Inbound" pipeline);
``showcase`` is a company of its own that only the screenshots look at.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx
import pytest

from dealbase.api.app import create_app
from dealbase.query.ast import Offset, Query
from dealbase.service import Service
from dealbase.settings import Settings
from dealbase.store.database import Database
from tests.live_server import serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

CHROMIUM = Path(os.environ.get("DEALBASE_TEST_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct horse battery"
WIDE: ViewportSize = {"width": 1280, "height": 800}
NARROW: ViewportSize = {"width": 390, "height": 844}
# The server's clock starts here and runs on (so the screenshots show the same dates on
# every run: the statistics' period and every time the pages print).
EPOCH = dt.datetime(2026, 3, 2, 9, 0)  # (naive UTC, as the records service keeps time)


def skip_reason() -> str | None:
    """Why the end-to-end tests cannot run here, or None."""
    backends = os.environ.get("DEALBASE_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if "sqlite" not in backends:
        return "the browser tests run on SQLite only (in the SQLite run)"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (scripts/test installs Debian's chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@dataclass
class Person:
    """A user who signs in through the form."""

    user_id: int
    email: str
    password: str = PASSWORD


@dataclass
class Site:
    """A company seeded on the running server (what the tests need of it)."""

    url: str
    service: Service
    company_id: int
    api_token: str
    admin: Person
    restricted: Person
    pipeline_id: int  # "Sales", seen by everyone
    stages: dict[str, int]  # Sales' stages by name, in order
    hidden_pipeline_id: int  # "Partners", hidden from the restricted user's role
    hidden_stage_id: int
    hidden_deal_id: int
    org_id: int
    person_id: int
    budget_key: str  # the deal custom field "Budget" (double)
    deals: dict[str, int] = field(default_factory=dict)  # title -> id
    crowded_pipeline_id: int = 0  # (``site`` only) "Inbound", whose stage
    crowded_stage_id: int = 0  # "New" holds CROWD deals


class Clock:
    """The server's clock: from EPOCH on, as real time passes; the seed turns it back to
    date its records (``at``)."""

    def __init__(self) -> None:
        self.base, self.started = EPOCH, time.monotonic()

    def __call__(self) -> dt.datetime:
        return (self.base + dt.timedelta(seconds=time.monotonic() - self.started)
                ).replace(microsecond=0)

    @contextlib.contextmanager
    def at(self, days_ago: float) -> Iterator[None]:
        """The clock shows EPOCH less ``days_ago`` inside the block, then runs on as before."""
        kept = self.base, self.started
        self.base, self.started = EPOCH - dt.timedelta(days=days_ago), time.monotonic()
        try:
            yield
        finally:
            self.base, self.started = kept


CROWD = 60  # deals in one column: more than the board shows at first
EVERYONE = 7  # visible_to: the entire company (3 would be the owner's role only)
PROBABILITY = {"Qualified": 10, "Contact Made": 25, "Demo Scheduled": 50, "Proposal Made": 75,
               "Negotiations Started": 90}  # (the Sales stages' deal probabilities, in %)
# (title, first stage, value, organization, owner, days before EPOCH made)
DEALS = [
    ("Acme rollout", "Qualified", 12000, "Acme Corporation", "ada", 60),
    ("Globex renewal", "Qualified", 8400, "Globex", "rita", 12),
    ("Initech pilot", "Qualified", 3500, "Initech", "ada", 8),
    ("Umbrella expansion", "Qualified", 26000, "Umbrella Corporation", "rita", 45),
    ("Hooli seats", "Contact Made", 9900, "Hooli", "ada", 20),
    ("Stark support plan", "Demo Scheduled", 15500, "Stark Industries", "ada", 30),
    ("Wayne analytics", "Qualified", 42000, "Wayne Enterprises", "rita", 70),
    ("Soylent integration", "Demo Scheduled", 18000, "Soylent", "ada", 50),
    ("Tyrell upgrade", "Demo Scheduled", 64000, "Acme Corporation", "ada", 75),
    ("Vandelay imports", "Negotiations Started", 23500, "Vandelay Industries", "rita", 55),
    ("Cyberdyne licences", "Contact Made", 31000, "Cyberdyne Systems", "ada", 65),
    ("Wonka onboarding", "Proposal Made", 7200, "Wonka Industries", "rita", 40),
    ("Oscorp trial", "Contact Made", 5000, "Oscorp", "ada", 35),
    ("Duff distribution", "Contact Made", 14800, "Duff Beverages", "rita", 18),
    ("Gringotts audit", "Qualified", 6600, "Gringotts", "ada", 5),
    ("Nakatomi security", "Proposal Made", 38000, "Nakatomi Trading", "ada", 22),
    ("Monarch logistics", "Demo Scheduled", 11200, None, "rita", 16),
]
# What happened to them later: (days before EPOCH, title, a stage's name or won/lost)
EVENTS = [
    (60, "Tyrell upgrade", "Proposal Made"),
    (50, "Wayne analytics", "Demo Scheduled"),
    (50, "Cyberdyne licences", "Proposal Made"),
    (30, "Umbrella expansion", "Contact Made"),
    (30, "Tyrell upgrade", "Negotiations Started"),
    (25, "Soylent integration", "Proposal Made"),
    (20, "Cyberdyne licences", "won"),
    (15, "Wonka onboarding", "won"),
    (10, "Oscorp trial", "lost"),
]


def _seed(service: Service, url: str, company_name: str, domain: str) -> Site:
    """A company as described above (emails ``ada@<domain>``, ``rita@<domain>``), its
    records dated over the three months before EPOCH."""
    clock = service.clock
    assert isinstance(clock, Clock)
    admin_email, restricted_email = f"ada@{domain}", f"rita@{domain}"
    with clock.at(90):
        company = service.create_company(company_name, admin_email, "Ada Admin")
        cid, admin_id = company.company_id, company.user_id
        with service.unit(service.admin(cid, admin_id), write=True) as unit:
            budget = unit.create_field("deal", "Budget", "double")
    service.set_password(cid, admin_id, PASSWORD)
    ctx = service.admin(cid, admin_id)  # (its schema has the custom field)
    with clock.at(90), service.unit(ctx, write=True) as unit:
        sales = int(unit.list("pipeline", _everything()).items[0]["id"])
        unit.update("pipeline", sales, {"name": "Sales", "is_deal_probability_enabled": True})
        stages = {str(s["name"]): int(s["id"]) for s in sorted(
            (s for s in unit.list("stage", _everything()).items if s["pipeline_id"] == sales),
            key=lambda s: int(s["order_nr"]))}
        for name, stage_id in stages.items():
            unit.update("stage", stage_id, {"deal_probability": PROBABILITY[name]})
        restricted = unit.create("user", {"name": "Rita Restricted", "email": restricted_email})
        owners = {"ada": admin_id, "rita": int(restricted["id"])}
        orgs = {name: int(unit.create("organization", {"name": name, "visible_to": EVERYONE})["id"])
                for name in sorted({d[3] for d in DEALS if d[3]})}
        org = orgs["Acme Corporation"]
        person = unit.create("person", {"name": "Wile E. Coyote", "organization_id": org,
                                        "visible_to": EVERYONE,
                                        "emails": [{"value": "wile@acme.example",
                                                    "primary": True, "label": "work"}]})
    deals: dict[str, int] = {}
    for title, stage, value, org_name, owner, days_ago in DEALS:
        values: dict[str, Any] = {"title": title, "stage_id": stages[stage], "value": value,
                                  "currency": "USD", budget.key: value * 1.25,
                                  "owner_id": owners[owner], "visible_to": EVERYONE}
        if org_name:
            values["organization_id"] = orgs[org_name]
        if org_name == "Acme Corporation":
            values["person_id"] = person["id"]
        with clock.at(days_ago), service.unit(ctx, write=True) as unit:
            deals[title] = int(unit.create("deal", values)["id"])
    for days_ago, title, what in EVENTS:
        change = {"status": what} if what in ("won", "lost") else {"stage_id": stages[what]}
        with clock.at(days_ago), service.unit(ctx, write=True) as unit:
            unit.update("deal", deals[title], change)
    first = deals[DEALS[0][0]]
    with clock.at(58), service.unit(ctx, write=True) as unit:
        unit.create("note", {"content": "Kick-off call went well: they want the rollout in Q3.",
                             "deal_id": first})
        call = unit.create("activity", {"subject": "Call procurement", "type": "call",
                                        "deal_id": first, "due_date": "2026-01-05"})
    with clock.at(3), service.unit(ctx, write=True) as unit:
        unit.update("activity", int(call["id"]), {"done": True})
        unit.create("activity", {"subject": "Send the rollout plan", "type": "task",
                                 "deal_id": first, "due_date": "2026-03-04"})
        unit.create("activity", {"subject": "Chase the signed NDA", "type": "email",
                                 "deal_id": deals["Umbrella expansion"], "due_date": "2026-02-20"})
        unit.create("activity", {"subject": "Demo to the board", "type": "meeting",
                                 "deal_id": deals["Wayne analytics"], "due_date": "2026-03-03",
                                 "due_time": "14:00"})
    with service.unit(ctx, write=True) as unit:
        partners = unit.create("pipeline", {"name": "Partners"})
        p_stage = unit.create("stage", {"name": "Shortlisted", "pipeline_id": partners["id"],
                                        "order_nr": 1})
        hidden = unit.create("deal", {"title": "Secret partnership", "stage_id": p_stage["id"],
                                      "value": 99000, "currency": "USD", "visible_to": EVERYONE})
    service.set_password(cid, int(restricted["id"]), PASSWORD)
    # The role that hides "Partners" from Rita, through the Pipedrive API as an admin's
    # script would do it.
    with httpx.Client(base_url=url, headers={"x-api-token": company.api_token},
                      timeout=10) as api:
        role = api.post("/v1/roles", json={"name": "Field sales"}).json()["data"]["id"]
        for response in (
                api.post(f"/v1/roles/{role}/assignments", json={"user_id": int(restricted["id"])}),
                api.put(f"/v1/roles/{role}/pipelines",
                        json={"visible_pipeline_ids": {"remove": [int(partners["id"])]}})):
            assert response.status_code < 300, response.text
    return Site(url, service, cid, company.api_token, Person(admin_id, admin_email),
                Person(int(restricted["id"]), restricted_email), sales, stages,
                int(partners["id"]), int(p_stage["id"]), int(hidden["id"]), org, int(person["id"]),
                budget.key, deals)


def _everything() -> Query:

    return Query(page=Offset(0, 500))


@dataclass
class Server:
    url: str
    service: Service


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """The app on a real server over a fresh SQLite database; stopped at the end."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(prefix="dealbase-e2e-",
                                     dir=shm if shm.is_dir() else None) as folder:
        database = Database(f"sqlite:///{Path(folder) / 'dealbase.db'}")
        database.migrate()
        settings = Settings(database_url=database.url)
        service = Service(settings, database)
        service.clock = Clock()
        app = create_app(settings, service)
        try:
            with serve(app, "e2e-tests") as url:
                yield Server(url, service)
        finally:
            service.close()
            database.dispose()


@pytest.fixture(scope="session")
def site(server: Server) -> Site:
    """The company the scenarios work in (they move, write and sign out)."""
    site = _seed(server.service, server.url, "Initrode", "initrode.example")
    service = server.service
    with service.unit(service.admin(site.company_id, site.admin.user_id), write=True) as unit:
        inbound = unit.create("pipeline", {"name": "Inbound"})
        stage = unit.create("stage", {"name": "New", "pipeline_id": inbound["id"], "order_nr": 1})
        unit.create("stage", {"name": "Triaged", "pipeline_id": inbound["id"], "order_nr": 2})
        for n in range(CROWD):
            unit.create("deal", {"title": f"Inbound lead {n + 1:02}", "stage_id": stage["id"],
                                 "value": 100 * (n + 1), "visible_to": EVERYONE})
    site.crowded_pipeline_id, site.crowded_stage_id = int(inbound["id"]), int(stage["id"])
    return site


@pytest.fixture(scope="session")
def showcase(server: Server) -> Site:
    """A company of its own for the screenshots: nothing else changes it, so they show the
    seed whatever ran before."""
    return _seed(server.service, server.url, "Northwind Traders", "northwind.example")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """A headless Chromium (Debian's, driven by Playwright) for a module's tests. Not the
    session's: Playwright's sync API keeps an event loop marked running in this thread
    while it is started, which would refuse the next modules' anyio portals."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
        yield browser
        browser.close()


class Open(Protocol):
    """``open_page``: a page in a fresh browser context, signed in as ``person`` if given."""

    def __call__(self, person: Person | None = None, viewport: ViewportSize | None = None
                 ) -> Page: ...


@pytest.fixture
def open_page(server: Server, chromium: Browser) -> Iterator[Open]:
    """``open_page(person=None, viewport=WIDE)``: a page in a fresh browser context (its own
    cookies), signed in as ``person`` through the sign-in form when one is given. Every
    page fails its test on a JavaScript error or a refused (CSP) script."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_(person: Person | None = None, viewport: ViewportSize | None = None) -> Page:
        context = chromium.new_context(base_url=server.url, viewport=viewport or WIDE,
                                       locale="en-US", timezone_id="UTC",
                                       reduced_motion="reduce")
        context.set_default_timeout(10_000)  # (a busy CI machine; a pass never waits)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda msg: errors.append(f"{page.url}: {msg.text}")
                if msg.type == "error" and "Content Security Policy" in msg.text else None)
        if person is not None:
            sign_in(page, person)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, errors


def sign_in(page: Page, person: Person, next_path: str = "/board") -> None:
    """Sign in through the form (as a person does), landing on ``next_path``."""
    page.goto(f"/signin?next={next_path}")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{next_path}")


def screenshot(page: Page, name: str) -> Path:
    """The viewport as ``docs/screenshots/<name>.png`` (written whole, then renamed in)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    data = page.screenshot(full_page=False, animations="disabled", caret="hide")
    if not target.exists() or target.read_bytes() != data:
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(data)
        partial.replace(target)
    return target


def no_horizontal_overflow(page: Page) -> None:
    """The page frame is no wider than the viewport (only the board's columns scroll)."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth,"
                           " document.body.scrollWidth]")
    assert max(widths[0], widths[2]) <= widths[1], f"{page.url}: {widths}"

