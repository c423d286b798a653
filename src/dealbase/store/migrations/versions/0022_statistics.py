"""indexes for pipeline statistics (issue 13): one owner's deals in one pipeline added
before a time, the deals a pipeline's movement and conversion statistics aggregate (their
stage moves are found by ix_change_log_record)

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_deals_pipeline_id_owner_id_created_at', 'deals',
                    ['company_id', 'pipeline_id', 'owner_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_deals_pipeline_id_owner_id_created_at', table_name='deals')
