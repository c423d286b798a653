"""webhooks and their deliveries (issue 15)

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
# table -> its indexes after company_id: name -> (columns, unique)
INDEXES: dict[str, dict[str, tuple[tuple[str, ...], bool]]] = {
    'webhooks': {'uid': (('uid',), True), 'updated': (('updated_at', 'id'), False),
                 'user_id': (('user_id', 'id'), False), 'owner_id': (('owner_id', 'id'), False),
                 'is_deleted_is_active': (('is_deleted', 'is_active'), False)},
    'webhook_cursors': {'company': ((), True)},
    'webhook_states': {'webhook': (('webhook_id',), True)},
    'webhook_deliveries': {'event': (('webhook_id', 'seq'), True),
                           'due': (('status', 'next_at'), False),
                           'record': (('webhook_id', 'entity', 'record_id', 'seq'), False)},  # (pending)
    'webhook_attempts': {'delivery': (('delivery_id', 'id'), False),
                         'webhook': (('webhook_id', 'id'), False)},
}


def _key() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column('id', ID, autoincrement=True, nullable=False),
            sa.Column('company_id', sa.BigInteger(), nullable=False)]


def upgrade() -> None:
    op.create_table('webhooks', *_key(),
        sa.Column('uid', sa.String(length=120), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('subscription_url', sa.String(length=2048), nullable=False),
        sa.Column('event_action', sa.String(length=16), nullable=False),
        sa.Column('event_object', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        sa.Column('http_auth_user', sa.String(length=255), nullable=True),
        sa.Column('http_auth_password', sa.String(length=255), nullable=True),
        sa.Column('version', sa.String(length=8), nullable=False),
        sa.Column('type', sa.String(length=16), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('remove_reason', sa.String(length=255), nullable=True),
        sa.Column('remove_time', sa.DateTime(), nullable=True),
        sa.Column('secret', sa.String(length=120), nullable=False),
        sa.Column('since_seq', sa.BigInteger(), nullable=False),
        sa.Column('app_id', sa.BigInteger(), nullable=True),
        sa.Column('owner_id', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('is_deleted', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_table('webhook_cursors', *_key(),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_table('webhook_states', *_key(),
        sa.Column('webhook_id', sa.BigInteger(), nullable=False),
        sa.Column('ban_count', sa.Integer(), nullable=False),
        sa.Column('banned_until', sa.DateTime(), nullable=True),
        sa.Column('failing_since', sa.DateTime(), nullable=True),
        sa.Column('last_delivery_time', sa.DateTime(), nullable=True),
        sa.Column('last_http_status', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'))
    op.create_table('webhook_deliveries', *_key(),
        sa.Column('webhook_id', sa.BigInteger(), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('record_id', sa.BigInteger(), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('event_id', sa.String(length=36), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_at', sa.DateTime(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('delivered_at', sa.DateTime(), nullable=True),
        sa.Column('last_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.String(length=255), nullable=True),
        sa.Column('latency_ms', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'))
    op.create_table('webhook_attempts', *_key(),
        sa.Column('webhook_id', sa.BigInteger(), nullable=False),
        sa.Column('delivery_id', sa.BigInteger(), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('latency_ms', sa.Integer(), nullable=False),
        sa.Column('error', sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint('id'))
    pending = sa.text("status = 'pending'")  # (a record's events still to send)
    for table, indexes in INDEXES.items():
        for name, (columns, unique) in indexes.items():
            where = pending if (table, name) == ('webhook_deliveries', 'record') else None
            op.create_index(f'ix_{table}_{name}', table, ['company_id', *columns], unique=unique,
                            sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        for name in indexes:
            op.drop_index(f'ix_{table}_{name}', table_name=table)
        op.drop_table(table)
