"""Alembic environment: runs on the connection that Database.migrate hands over."""

from __future__ import annotations

from alembic import context

from dealbase.store.schema import build_metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=build_metadata(),
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
