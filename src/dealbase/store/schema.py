"""SQLAlchemy tables, derived from the registry plus the tenancy and bookkeeping tables.

Every table carries ``company_id`` and every index leads with it. The migrations in
``migrations/versions`` are frozen snapshots; a test checks that a migrated database
matches this metadata exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine

from ..domain.customfields import SLOT_COLUMNS
from ..domain.entities import ENTITIES
from ..domain.spec import EntitySpec, FieldSpec
from ..domain.types import Kind

# SQLite needs INTEGER PRIMARY KEY for rowid ids; PostgreSQL gets BIGINT.
ID = BigInteger().with_variant(Integer(), "sqlite")
JSON_TYPE = JSON().with_variant(JSONB(), "postgresql")

_COLUMN_TYPES: dict[Kind, TypeEngine[Any]] = {
    Kind.INT: BigInteger(),
    Kind.REF: BigInteger(),
    Kind.FLOAT: Float(),
    Kind.BOOL: Boolean(),
    Kind.DATE: Date(),
    Kind.DATETIME: DateTime(),
    Kind.TIME: String(8),
    Kind.JSON: JSON_TYPE,
}


# Columns that the database fills for rows written without them: the derived counters
# (0), and NOT NULL columns added to tables that already held rows (their migrations give
# the old rows this value).
FILLED_IN: dict[tuple[str, str], str] = {
    ("activities", "busy"): "false", ("activities", "attendees"): "'[]'",
    **{("notes", f"pinned_to_{target}"): "false"
       for target in ("deal", "person", "organization", "lead")},
    ("products", "tax"): "0", ("products", "is_linkable"): "true",
    ("products", "visible_to"): "3", ("products", "billing_frequency"): "'one-time'",
    ("products", "prices"): "'[]'", ("products", "custom"): "'{}'",
    ("leads", "custom"): "'{}'", ("leads", "source_name"): "'API'",
    ("leads", "origin"): "'API'", ("leads", "was_seen"): "false",
    ("leads", "visible_to"): "3",
    ("organizations", "emails"): "'[]'", ("organizations", "phones"): "'[]'",
    ("teams", "is_active"): "true",
}


def _filled_in(table: str, spec: FieldSpec | None, name: str) -> Any:
    if spec is not None and spec.derived is not None and spec.kind is Kind.INT:
        return text("0")
    found = FILLED_IN.get((table, name))
    return None if found is None else text(found)


def _column(spec: FieldSpec, table: str) -> Column[Any]:
    if spec.name == "id":
        return Column("id", ID, primary_key=True, autoincrement=True)
    if spec.kind is Kind.TEXT:
        sql_type: TypeEngine[Any] = (
            Text() if spec.max_length is None or spec.max_length > 2048 else String(spec.max_length)
        )
    else:
        sql_type = _COLUMN_TYPES[spec.kind]
    return Column(spec.name, sql_type, nullable=spec.nullable,
                  server_default=_filled_in(table, spec, spec.name))


def _entity_table(metadata: MetaData, entity: EntitySpec) -> Table:
    columns: list[Column[Any]] = [_column(f, entity.table) for f in entity.columns]
    columns.insert(1, Column("company_id", BigInteger(), nullable=False))
    if entity.has_custom_fields:
        columns.append(Column("custom", JSON_TYPE, nullable=False,
                              server_default=_filled_in(entity.table, None, "custom")))
        columns += [Column(c, Float() if c.startswith("cf_num") else String(255), nullable=True)
                    for c in SLOT_COLUMNS]
    table = Table(entity.table, metadata, *columns)
    t = entity.table
    Index(f"ix_{t}_uid", table.c.company_id, table.c.uid, unique=True)
    Index(f"ix_{t}_updated", table.c.company_id, table.c.updated_at, table.c.id)
    for spec in entity.columns:
        if spec.kind is Kind.REF and spec.derived is None:
            Index(f"ix_{t}_{spec.name}", table.c.company_id, table.c[spec.name], table.c.id)
    for extra in entity.indexes:
        Index(index_name(t, extra), table.c.company_id, *(table.c[c] for c in extra))
    if entity.has_custom_fields:
        for c in SLOT_COLUMNS:  # only rows with a value: each slot holds one field per company
            present = table.c[c].is_not(None)
            Index(f"ix_{t}_{c}", table.c.company_id, table.c[c], table.c.id,
                  sqlite_where=present, postgresql_where=present)
    return table


def index_name(table: str, columns: Sequence[str]) -> str:
    """``ix_<table>_<columns>``, cut to PostgreSQL's 63 characters with a hash of the
    whole name when longer."""
    import hashlib

    name = f"ix_{table}_{'_'.join(columns)}"
    if len(name) <= 63:
        return name
    return f"{name[:54]}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def build_metadata() -> MetaData:
    metadata = MetaData()
    Table(
        "companies", metadata,
        Column("id", ID, primary_key=True, autoincrement=True),
        Column("name", String(255), nullable=False),
        Column("space_id", String(64), nullable=False, unique=True),
        Column("fields_version", BigInteger(), nullable=False),
        Column("created_at", DateTime(), nullable=False),
    )
    tokens = Table(
        "api_tokens", metadata,
        Column("id", ID, primary_key=True, autoincrement=True),
        Column("company_id", BigInteger(), nullable=False),
        Column("user_id", BigInteger(), nullable=True),
        Column("kind", String(16), nullable=False),
        Column("token_hash", String(64), nullable=False),
        Column("secret_hash", String(64), nullable=True),
        Column("created_at", DateTime(), nullable=False),
        # When it stops working (web sessions and invitations; None: API tokens never do)
        Column("expires_at", DateTime(), nullable=True),
    )
    Index("ix_api_tokens_hash", tokens.c.token_hash, unique=True)
    Index("ix_api_tokens_company", tokens.c.company_id, tokens.c.kind)
    passwords = Table(  # users' sign-in passwords (argon2id hashes), for the web app
        "user_passwords", metadata,
        Column("id", ID, primary_key=True, autoincrement=True),
        Column("company_id", BigInteger(), nullable=False),
        Column("user_id", BigInteger(), nullable=False),
        Column("password_hash", String(255), nullable=False),
        Column("updated_at", DateTime(), nullable=False),
    )
    Index("ix_user_passwords_user", passwords.c.company_id, passwords.c.user_id, unique=True)
    Table(  # the installation's own signing keys (web session cookies, CSRF tokens)
        "installation_keys", metadata,
        Column("name", String(32), primary_key=True),
        Column("value", String(128), nullable=False),
        Column("created_at", DateTime(), nullable=False),
    )
    _rate_limit_tables(metadata)
    _oauth_tables(metadata)
    _webhook_tables(metadata)
    for entity in ENTITIES:
        _entity_table(metadata, entity)
    fields = Table(
        "custom_fields", metadata,
        Column("id", ID, primary_key=True, autoincrement=True),
        Column("company_id", BigInteger(), nullable=False),
        Column("entity", String(32), nullable=False),
        Column("key", String(40), nullable=False),
        Column("name", String(255), nullable=False),
        Column("field_type", String(32), nullable=False),
        Column("options", JSON_TYPE, nullable=False),
        Column("order_nr", Integer(), nullable=False),
        Column("settings", JSON_TYPE, nullable=False),
        Column("creator_id", BigInteger(), nullable=True),
        Column("created_at", DateTime(), nullable=False),
        Column("updated_at", DateTime(), nullable=False),
        Column("is_deleted", Boolean(), nullable=False),
        Column("slot", Integer(), nullable=True),
    )
    Index("ix_custom_fields_key", fields.c.company_id, fields.c.key, unique=True)
    Index("ix_custom_fields_entity", fields.c.company_id, fields.c.entity, fields.c.order_nr)
    changes = Table(
        "change_log", metadata,
        Column("seq", ID, primary_key=True, autoincrement=True),
        Column("company_id", BigInteger(), nullable=False),
        Column("entity", String(32), nullable=False),
        Column("record_id", BigInteger(), nullable=False),
        Column("action", String(16), nullable=False),
        Column("changes", JSON_TYPE, nullable=False),
        Column("user_id", BigInteger(), nullable=True),
        Column("created_at", DateTime(), nullable=False),
    )
    Index("ix_change_log_company", changes.c.company_id, changes.c.seq)
    Index("ix_change_log_record", changes.c.company_id, changes.c.entity, changes.c.record_id,
          changes.c.seq)
    Index("ix_change_log_entity", changes.c.company_id, changes.c.entity, changes.c.seq)
    return metadata


def _rate_limit_tables(metadata: MetaData) -> None:
    """Per company: how its API calls are counted, and the faults an admin injected
    (domain/limits.py; issue 15)."""
    limits = Table(
        "rate_limits", metadata,
        Column("id", ID, primary_key=True, autoincrement=True),
        Column("company_id", BigInteger(), nullable=False),
        Column("enabled", Boolean(), nullable=False),
        Column("plan", String(16), nullable=False),
        Column("seats", Integer(), nullable=False),
        Column("burst", BigInteger(), nullable=True),
        Column("search_burst", BigInteger(), nullable=True),
        Column("daily_budget", BigInteger(), nullable=True),
        Column("updated_at", DateTime(), nullable=False),
    )
    Index("ix_rate_limits_company", limits.c.company_id, unique=True)
    faults = Table(
        "injected_faults", metadata,
        Column("id", ID, primary_key=True, autoincrement=True),
        Column("company_id", BigInteger(), nullable=False),
        Column("method", String(8), nullable=False),
        Column("path", String(255), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("status", Integer(), nullable=False),
        Column("latency_ms", Integer(), nullable=False),
        Column("rate", Float(), nullable=False),
        Column("calls", BigInteger(), nullable=True),
        Column("uid", String(32), nullable=False),
        Column("created_at", DateTime(), nullable=False),
    )
    Index("ix_injected_faults_company", faults.c.company_id, faults.c.id)


def _oauth_tables(metadata: MetaData) -> None:
    """OAuth apps of a company, the grants its users gave them (each with its one
    authorization code) and the tokens issued under a grant (service/oauth.py; issue 15).
    Secrets are stored only as SHA-256 hashes; client ids and hashes are looked up
    without a company, as API tokens are."""
    apps = Table(
        "oauth_apps", metadata,
        Column("id", ID, primary_key=True, autoincrement=True),
        Column("company_id", BigInteger(), nullable=False),
        Column("client_id", String(32), nullable=False),
        Column("name", String(255), nullable=False),
        Column("secret_hash", String(64), nullable=True),
        Column("form_key", String(64), nullable=False),
        Column("redirect_uris", JSON_TYPE, nullable=False),
        Column("scopes", String(1000), nullable=False),
        Column("public", Boolean(), nullable=False),
        Column("created_at", DateTime(), nullable=False),
    )
    Index("ix_oauth_apps_client", apps.c.client_id, unique=True)
    Index("ix_oauth_apps_company", apps.c.company_id, apps.c.id)
    grants = Table(
        "oauth_grants", metadata,
        Column("id", ID, primary_key=True, autoincrement=True),
        Column("company_id", BigInteger(), nullable=False),
        Column("app_id", BigInteger(), nullable=False),
        Column("user_id", BigInteger(), nullable=False),
        Column("scopes", String(1000), nullable=False),
        Column("code_hash", String(64), nullable=False),
        Column("code_challenge", String(64), nullable=True),
        Column("redirect_uri", String(2000), nullable=False),
        Column("code_expires_at", DateTime(), nullable=False),
        Column("code_used", Boolean(), nullable=False),
        Column("revoked", Boolean(), nullable=False),
        Column("created_at", DateTime(), nullable=False),
    )
    Index("ix_oauth_grants_code", grants.c.code_hash, unique=True)
    Index("ix_oauth_grants_app", grants.c.company_id, grants.c.app_id)
    tokens = Table(
        "oauth_tokens", metadata,
        Column("id", ID, primary_key=True, autoincrement=True),
        Column("company_id", BigInteger(), nullable=False),
        Column("app_id", BigInteger(), nullable=False),
        Column("grant_id", BigInteger(), nullable=False),
        Column("kind", String(8), nullable=False),
        Column("token_hash", String(64), nullable=False),
        Column("expires_at", DateTime(), nullable=False),
        Column("revoked", Boolean(), nullable=False),
        Column("created_at", DateTime(), nullable=False),
    )
    Index("ix_oauth_tokens_hash", tokens.c.token_hash, unique=True)
    Index("ix_oauth_tokens_grant", tokens.c.company_id, tokens.c.grant_id)


def _webhook_tables(metadata: MetaData) -> None:
    """The webhook outbox (store/outbox.py; issue 15): per company, how far its change
    log was fanned out; per webhook, its delivery health; per event and webhook, one
    delivery (its payload built once), and each attempt at it."""
    cursors = Table(
        "webhook_cursors", metadata,
        Column("id", ID, primary_key=True, autoincrement=True),
        Column("company_id", BigInteger(), nullable=False),
        Column("seq", BigInteger(), nullable=False),
    )
    Index("ix_webhook_cursors_company", cursors.c.company_id, unique=True)
    states = Table(
        "webhook_states", metadata,
        Column("id", ID, primary_key=True, autoincrement=True),
        Column("company_id", BigInteger(), nullable=False),
        Column("webhook_id", BigInteger(), nullable=False),
        Column("ban_count", Integer(), nullable=False),
        Column("banned_until", DateTime(), nullable=True),
        Column("failing_since", DateTime(), nullable=True),
        Column("last_delivery_time", DateTime(), nullable=True),
        Column("last_http_status", Integer(), nullable=True),
    )
    Index("ix_webhook_states_webhook", states.c.company_id, states.c.webhook_id, unique=True)
    deliveries = Table(
        "webhook_deliveries", metadata,
        Column("id", ID, primary_key=True, autoincrement=True),
        Column("company_id", BigInteger(), nullable=False),
        Column("webhook_id", BigInteger(), nullable=False),
        Column("seq", BigInteger(), nullable=False),
        Column("entity", String(32), nullable=False),
        Column("record_id", BigInteger(), nullable=False),
        Column("action", String(16), nullable=False),
        Column("event_id", String(36), nullable=False),
        Column("body", Text(), nullable=False),
        Column("status", String(16), nullable=False),
        Column("attempts", Integer(), nullable=False),
        Column("next_at", DateTime(), nullable=False),
        Column("created_at", DateTime(), nullable=False),
        Column("delivered_at", DateTime(), nullable=True),
        Column("last_status", Integer(), nullable=True),
        Column("last_error", String(255), nullable=True),
        Column("latency_ms", Integer(), nullable=True),
    )
    Index("ix_webhook_deliveries_event", deliveries.c.company_id, deliveries.c.webhook_id,
          deliveries.c.seq, unique=True)
    Index("ix_webhook_deliveries_due", deliveries.c.company_id, deliveries.c.status,
          deliveries.c.next_at)
    pending = deliveries.c.status == text("'pending'")  # (a record's events still to send)
    Index("ix_webhook_deliveries_record", deliveries.c.company_id, deliveries.c.webhook_id,
          deliveries.c.entity, deliveries.c.record_id, deliveries.c.seq,
          sqlite_where=pending, postgresql_where=pending)
    attempts = Table(
        "webhook_attempts", metadata,
        Column("id", ID, primary_key=True, autoincrement=True),
        Column("company_id", BigInteger(), nullable=False),
        Column("webhook_id", BigInteger(), nullable=False),
        Column("delivery_id", BigInteger(), nullable=False),
        Column("attempt", Integer(), nullable=False),
        Column("at", DateTime(), nullable=False),
        Column("ok", Boolean(), nullable=False),
        Column("status", Integer(), nullable=True),
        Column("latency_ms", Integer(), nullable=False),
        Column("error", String(255), nullable=True),
    )
    Index("ix_webhook_attempts_delivery", attempts.c.company_id, attempts.c.delivery_id,
          attempts.c.id)
    Index("ix_webhook_attempts_webhook", attempts.c.company_id, attempts.c.webhook_id,
          attempts.c.id)
