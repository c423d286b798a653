"""change_log index by entity and sequence (the newest write to users and fields, for remembered sign-ins)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_change_log_entity', 'change_log', ['company_id', 'entity', 'seq'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_change_log_entity', table_name='change_log')
