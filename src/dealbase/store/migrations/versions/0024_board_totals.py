"""the pipeline board's column totals from the board's index alone (issue 17): the index of
a stage's deals by status and update time also holds is_archived, currency, probability
and value, so a column's count, value and weighted value never read the table

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

OLD = 'ix_deals_stage_id_status_is_deleted_updated_at_id'
NEW = 'ix_deals_stage_id_status_is_deleted_updated_at_id_is_a_aeb8b1e4'
COLUMNS = ['company_id', 'stage_id', 'status', 'is_deleted', 'updated_at', 'id']


def upgrade() -> None:
    op.create_index(NEW, 'deals', [*COLUMNS, 'is_archived', 'currency', 'probability', 'value'],
                    unique=False)
    op.drop_index(OLD, table_name='deals')
    op.execute('ANALYZE deals')  # (the planner's figures for the new index)


def downgrade() -> None:
    op.create_index(OLD, 'deals', COLUMNS, unique=False)
    op.drop_index(NEW, table_name='deals')
