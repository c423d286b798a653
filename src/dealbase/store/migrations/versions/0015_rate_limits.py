"""rate-limit settings and injected faults per company (issue 15)

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('rate_limits',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('company_id', sa.BigInteger(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('plan', sa.String(length=16), nullable=False),
        sa.Column('seats', sa.Integer(), nullable=False),
        sa.Column('burst', sa.BigInteger(), nullable=True),
        sa.Column('search_burst', sa.BigInteger(), nullable=True),
        sa.Column('daily_budget', sa.BigInteger(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_rate_limits_company', 'rate_limits', ['company_id'], unique=True)
    op.create_table('injected_faults',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('company_id', sa.BigInteger(), nullable=False),
        sa.Column('method', sa.String(length=8), nullable=False),
        sa.Column('path', sa.String(length=255), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('latency_ms', sa.Integer(), nullable=False),
        sa.Column('rate', sa.Float(), nullable=False),
        sa.Column('calls', sa.BigInteger(), nullable=True),
        sa.Column('uid', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_injected_faults_company', 'injected_faults', ['company_id', 'id'])


def downgrade() -> None:
    op.drop_index('ix_injected_faults_company', table_name='injected_faults')
    op.drop_table('injected_faults')
    op.drop_index('ix_rate_limits_company', table_name='rate_limits')
    op.drop_table('rate_limits')
