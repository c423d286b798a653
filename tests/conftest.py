"""Fixtures: one database per backend per session, a fresh company (tenant) per test.

Every test runs on SQLite; when DEALBASE_TEST_POSTGRES_URL is set, the database-backed
tests run on PostgreSQL too, in a database of their own made for the session on that
server (so several runs never clobber each other). Each test makes its own companies,
so tests never see each other's rows and need no cleanup. Every Pipedrive response a
test receives is checked against the vendored spec (``Pipedrive.request``).
"""

from __future__ import annotations

import builtins
import functools
import os
import secrets
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dealbase.api.app import create_app, service_of
from dealbase.domain.customfields import CustomField
from dealbase.query.ast import Filter, Query
from dealbase.service import Context, Credentials, NewCompany, Page, Service
from dealbase.settings import Settings
from dealbase.store.database import Database
from tests.contract.openapi import Contract, without_deviations

PG_URL = os.environ.get("DEALBASE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
# scripts/test runs one pytest per backend side by side: DEALBASE_TEST_BACKENDS picks one.
BACKENDS = [b for b in BACKENDS
            if b in os.environ.get("DEALBASE_TEST_BACKENDS", "sqlite,postgresql").split(",")]


@pytest.fixture(scope="session")
def fast_tmp() -> Iterator[Path]:
    """A folder for test databases: in memory (/dev/shm) where the machine has it, so a
    commit's fsync costs nothing; the tests are not about durability."""
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(prefix="dealbase-test-",
                                     dir=shm if shm.is_dir() else None) as folder:
        yield Path(folder)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of this session's own, on the server of
    DEALBASE_TEST_POSTGRES_URL; dropped at the end."""
    assert PG_URL is not None
    name = f"dealbase_test_{secrets.token_hex(6)}"
    server = create_engine(Database(PG_URL).url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(Database(PG_URL).url).set(database=name).render_as_string(
            hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database(request: pytest.FixtureRequest, fast_tmp: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{fast_tmp / 'dealbase.db'}")
    else:
        db = Database(request.getfixturevalue("pg_url"))
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def service(database: Database) -> Service:
    return Service(Settings(database_url=database.url), database)


@pytest.fixture(scope="session")
def app(service: Service) -> Any:
    return create_app(service.settings, service)


class SyncClient:
    """httpx over the in-process ASGI app, driven from sync tests through an anyio portal."""

    def __init__(self, portal: Any, client: httpx.AsyncClient) -> None:
        self.portal, self.client = portal, client

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        return self.portal.call(functools.partial(self.client.request, method, url, **kw))  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def http(app: Any) -> Iterator[SyncClient]:
    with anyio.from_thread.start_blocking_portal() as portal:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                   base_url="http://dealbase.test")
        yield SyncClient(portal, client)
        portal.call(client.aclose)


def _version(path: str) -> str:
    return "v2" if path.startswith("/api/v2") else "v1"


class Pipedrive:
    """A Pipedrive API client for one token; checks every response against the spec."""

    def __init__(self, http: SyncClient, token: str | None) -> None:
        self.http, self.token = http, token

    def request(self, method: str, url: str, *, json: Any = None, content: bytes | None = None,
                headers: dict[str, str] | None = None, check: bool = True) -> httpx.Response:
        all_headers = {"x-api-token": self.token} if self.token else {}
        all_headers.update(headers or {})
        response = self.http.request(method, url, json=json, content=content,
                                     headers=all_headers)
        if check:
            path = httpx.URL(url).path
            checked = without_deviations(path, response.json())
            Contract.load(_version(path)).validate(method, path, response.status_code, checked)  # type: ignore[arg-type]
        return response

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", url, **kw)

    def patch(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("PATCH", url, **kw)

    def delete(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", url, **kw)


class Direct:
    """The records service as a company's admin, one unit of work per call (a test's
    shortcut to the door; the context is re-read each time, custom fields included)."""

    def __init__(self, service: Service, company_id: int, user_id: int) -> None:
        self.service, self.company_id, self.user_id = service, company_id, user_id

    @property
    def ctx(self) -> Context:
        return self.service.admin(self.company_id, self.user_id)

    def create(self, entity: str, values: Mapping[str, Any]) -> dict[str, Any]:
        with self.service.unit(self.ctx, write=True) as unit:
            return unit.create(entity, values)

    def update(self, entity: str, record_id: int, values: Mapping[str, Any]) -> dict[str, Any]:
        with self.service.unit(self.ctx, write=True) as unit:
            return unit.update(entity, record_id, values)

    def delete(self, entity: str, ids: Sequence[int]) -> builtins.list[int]:
        with self.service.unit(self.ctx, write=True) as unit:
            return unit.delete(entity, ids)

    def get(self, entity: str, record_id: int) -> dict[str, Any]:
        with self.service.unit(self.ctx) as unit:
            return unit.get(entity, record_id)

    def list(self, entity: str, query: Query, *, total: bool = False) -> Page:
        with self.service.unit(self.ctx) as unit:
            return unit.list(entity, query, total=total)

    def count(self, entity: str, where: Filter | None) -> int:
        with self.service.unit(self.ctx) as unit:
            return unit.count(entity, where)

    def create_field(self, entity: str, name: str, field_type: str,
                     options: Sequence[Any] | None = None,
                     settings: Mapping[str, Any] | None = None) -> CustomField:
        with self.service.unit(self.ctx, write=True) as unit:
            return unit.create_field(entity, name, field_type, options, settings)

    def delete_fields(self, entity: str, ids: Sequence[int]) -> builtins.list[int]:
        with self.service.unit(self.ctx, write=True) as unit:
            return unit.delete_fields(entity, ids)


class Calls:
    """The service's units as ctx-first calls (``records.create(ctx, "deal", {...})``), for
    tests that drive the door with contexts of their own; also the store-level pieces
    (change log, metadata, database) that store tests look at."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.engine = engine = service._records
        self.changelog, self.metadata, self.db = engine.changelog, engine.metadata, engine.db
        self.registry, self.tables = engine.registry, engine.tables

    def refresh(self, ctx: Context) -> Context:
        fresh = self.service.admin(ctx.company_id, ctx.user_id or 0)
        return Context(ctx.company_id, ctx.user_id, fresh.schema, ctx.is_admin,
                       fresh.company_name, fresh.space_id)

    def authenticate(self, token: str, kind: str = "pipedrive", secret: str | None = None
                     ) -> Context:
        with self.service.unit(Credentials(token, kind, secret)) as unit:
            return unit.ctx

    def create(self, ctx: Context, entity: str, values: Mapping[str, Any]) -> dict[str, Any]:
        with self.service.unit(ctx, write=True) as unit:
            return unit.create(entity, values)

    def update(self, ctx: Context, entity: str, record_id: int, values: Mapping[str, Any]
               ) -> dict[str, Any]:
        with self.service.unit(ctx, write=True) as unit:
            return unit.update(entity, record_id, values)

    def delete(self, ctx: Context, entity: str, ids: Sequence[int]) -> builtins.list[int]:
        with self.service.unit(ctx, write=True) as unit:
            return unit.delete(entity, ids)

    def get(self, ctx: Context, entity: str, record_id: int) -> dict[str, Any]:
        with self.service.unit(ctx) as unit:
            return unit.get(entity, record_id)

    def list(self, ctx: Context, entity: str, query: Query, *, with_total: bool = False) -> Page:
        with self.service.unit(ctx) as unit:
            return unit.list(entity, query, total=with_total)

    def count(self, ctx: Context, entity: str, where: Filter | None) -> int:
        with self.service.unit(ctx) as unit:
            return unit.count(entity, where)

    def create_many(self, ctx: Context, entity: str, items: Sequence[Mapping[str, Any]]
                    ) -> builtins.list[int]:
        with self.service.unit(ctx, write=True) as unit:
            return unit.create_many(entity, items)

    def exists(self, ctx: Context, entity: str, record_id: int) -> bool:
        with self.service.unit(ctx) as unit:
            return unit.exists(entity, record_id)

    def get_many(self, ctx: Context, entity: str, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        with self.service.unit(ctx) as unit:
            return unit.get_many(entity, ids)

    def uids(self, ctx: Context, entity: str, ids: Sequence[int], *, write: bool = False
             ) -> dict[int, str]:
        with self.service.unit(ctx, write=write) as unit:
            return unit.uids(entity, ids)

    def create_field(self, ctx: Context, entity: str, name: str, field_type: str,
                     options: Sequence[Any] | None = None) -> CustomField:
        with self.service.unit(ctx, write=True) as unit:
            return unit.create_field(entity, name, field_type, options)

    def delete_fields(self, ctx: Context, entity: str, ids: Sequence[int]) -> builtins.list[int]:
        with self.service.unit(ctx, write=True) as unit:
            return unit.delete_fields(entity, ids)


def calls(app: Any) -> Calls:
    return Calls(service_of(app))


HIGH_LIMITS = {"burst": 1_000_000, "search_burst": 1_000_000, "daily_budget": 10**12}


@dataclass
class Tenant:
    company: NewCompany
    api: Pipedrive
    records: Direct

    @property
    def ctx(self) -> Context:
        """The admin's context, with the company's current custom fields."""
        return self.records.ctx


def _tenant(app: Any, http: SyncClient, name: str) -> Tenant:
    service = service_of(app)
    company = service.create_company(name, f"admin@{name.lower()}.example", "Admin")
    # Limits stay on (headers, counting) but high: tests call fast (tests/api/test_rate_limits.py
    # exercises the defaults).
    service.limits.configure(company.company_id, HIGH_LIMITS)
    return Tenant(company, Pipedrive(http, company.api_token),
                  Direct(service, company.company_id, company.user_id))


@pytest.fixture
def tenant(app: Any, http: SyncClient) -> Tenant:
    return _tenant(app, http, "Acme")


@pytest.fixture
def other(app: Any, http: SyncClient) -> Tenant:
    return _tenant(app, http, "Globex")


@pytest.fixture
def pd(tenant: Tenant) -> Pipedrive:
    return tenant.api
