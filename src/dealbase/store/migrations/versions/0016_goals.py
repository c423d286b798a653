"""goals (issue 13)

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')
INDEXES = {  # name -> columns after company_id
    'ix_goals_owner_id': ('owner_id', 'id'), 'ix_goals_stage_id': ('stage_id', 'id'),
    'ix_goals_updated': ('updated_at', 'id'),
    'ix_goals_assignee_type_assignee_id': ('assignee_type', 'assignee_id')}


def upgrade() -> None:
    op.create_table('goals',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('company_id', sa.BigInteger(), nullable=False),
        sa.Column('uid', sa.String(length=120), nullable=False),
        sa.Column('title', sa.String(length=255), nullable=True),
        sa.Column('owner_id', sa.BigInteger(), nullable=False),
        sa.Column('type_name', sa.String(length=32), nullable=False),
        sa.Column('pipeline_ids', JSON, nullable=True),
        sa.Column('stage_id', sa.BigInteger(), nullable=True),
        sa.Column('activity_type_ids', JSON, nullable=True),
        sa.Column('assignee_type', sa.String(length=16), nullable=False),
        sa.Column('assignee_id', sa.BigInteger(), nullable=False),
        sa.Column('cadence', sa.String(length=16), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=True),
        sa.Column('target', sa.Float(), nullable=False),
        sa.Column('tracking_metric', sa.String(length=16), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('is_deleted', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_goals_uid', 'goals', ['company_id', 'uid'], unique=True)
    for name, columns in INDEXES.items():
        op.create_index(name, 'goals', ['company_id', *columns], unique=False)


def downgrade() -> None:
    for name in (*INDEXES, 'ix_goals_uid'):
        op.drop_index(name, table_name='goals')
    op.drop_table('goals')
