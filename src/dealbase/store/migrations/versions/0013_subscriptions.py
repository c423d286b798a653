"""subscriptions and their payments (issue 14)

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
REVENUE = ('mrr', 'arr', 'acv')
INDEXES: dict[str, dict[str, tuple[str, ...]]] = {  # table -> its indexes after company_id
    'subscriptions': {'deal_id': ('deal_id', 'id'), 'owner_id': ('owner_id', 'id')},
    'subscription_payments': {
        'subscription_id': ('subscription_id', 'id'), 'deal_id': ('deal_id', 'id'),
        'subscription_id_is_deleted_due_at': ('subscription_id', 'is_deleted', 'due_at')},
}


def _identity() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column('id', ID, autoincrement=True, nullable=False),
            sa.Column('company_id', sa.BigInteger(), nullable=False),
            sa.Column('uid', sa.String(length=120), nullable=False)]


def _lifecycle() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('updated_at', sa.DateTime(), nullable=False),
            sa.Column('is_deleted', sa.Boolean(), nullable=False)]


def upgrade() -> None:
    for name in REVENUE:
        op.add_column('deals', sa.Column(name, sa.Float(), nullable=True))
    op.create_table('subscriptions', *_identity(),
        sa.Column('deal_id', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('description', sa.String(length=255), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('cadence_type', sa.String(length=16), nullable=True),
        sa.Column('cycle_amount', sa.Float(), nullable=True),
        sa.Column('cycles_count', sa.BigInteger(), nullable=True),
        sa.Column('infinite', sa.Boolean(), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=True),
        sa.Column('end_date', sa.Date(), nullable=True),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('final_status', sa.String(length=32), nullable=True),
        sa.Column('update_deal_value', sa.Boolean(), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=True) for name in REVENUE),
        sa.Column('lifetime_value', sa.Float(), nullable=True),
        sa.Column('owner_id', sa.BigInteger(), nullable=False),
        *_lifecycle(),
        sa.PrimaryKeyConstraint('id'))
    op.create_table('subscription_payments', *_identity(),
        sa.Column('subscription_id', sa.BigInteger(), nullable=False),
        sa.Column('deal_id', sa.BigInteger(), nullable=False),
        sa.Column('amount', sa.Float(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('due_at', sa.Date(), nullable=False),
        sa.Column('payment_type', sa.String(length=16), nullable=False),
        sa.Column('description', sa.String(length=255), nullable=True),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('change_amount', sa.Float(), nullable=False),
        sa.Column('revenue_movement_type', sa.String(length=16), nullable=False),
        *_lifecycle(),
        sa.PrimaryKeyConstraint('id'))
    for table, indexes in INDEXES.items():
        op.create_index(f'ix_{table}_uid', table, ['company_id', 'uid'], unique=True)
        op.create_index(f'ix_{table}_updated', table, ['company_id', 'updated_at', 'id'],
                        unique=False)
        for name, columns in indexes.items():
            op.create_index(f'ix_{table}_{name}', table, ['company_id', *columns], unique=False)


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        for name in (*indexes, 'updated', 'uid'):
            op.drop_index(f'ix_{table}_{name}', table_name=table)
        op.drop_table(table)
    for name in REVENUE:
        op.drop_column('deals', name)
