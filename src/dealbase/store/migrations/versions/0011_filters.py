"""saved filters (Pipedrive's /filters)

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table('filters',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('company_id', sa.BigInteger(), nullable=False),
        sa.Column('uid', sa.String(length=120), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('type', sa.Text(), nullable=False),
        sa.Column('temporary_flag', sa.Boolean(), nullable=False),
        sa.Column('owner_id', sa.BigInteger(), nullable=False),
        sa.Column('visible_to', sa.BigInteger(), nullable=False),
        sa.Column('custom_view_id', sa.BigInteger(), nullable=True),
        sa.Column('conditions', JSON, nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('is_deleted', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_filters_uid', 'filters', ['company_id', 'uid'], unique=True)
    op.create_index('ix_filters_updated', 'filters', ['company_id', 'updated_at', 'id'],
                    unique=False)
    op.create_index('ix_filters_owner_id', 'filters', ['company_id', 'owner_id', 'id'],
                    unique=False)


def downgrade() -> None:
    for index in ('ix_filters_owner_id', 'ix_filters_updated', 'ix_filters_uid'):
        op.drop_index(index, table_name='filters')
    op.drop_table('filters')
