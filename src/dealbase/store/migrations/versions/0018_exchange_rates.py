"""exchange rates that a company's admins keep (converted totals)

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('exchange_rates',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('company_id', sa.BigInteger(), nullable=False),
        sa.Column('uid', sa.String(length=120), nullable=False),
        sa.Column('from_currency', sa.String(length=3), nullable=False),
        sa.Column('to_currency', sa.String(length=3), nullable=False),
        sa.Column('rate', sa.Float(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('is_deleted', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_exchange_rates_uid', 'exchange_rates', ['company_id', 'uid'], unique=True)
    op.create_index('ix_exchange_rates_updated', 'exchange_rates',
                    ['company_id', 'updated_at', 'id'], unique=False)


def downgrade() -> None:
    for index in ('ix_exchange_rates_updated', 'ix_exchange_rates_uid'):
        op.drop_index(index, table_name='exchange_rates')
    op.drop_table('exchange_rates')
