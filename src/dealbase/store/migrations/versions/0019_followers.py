"""followers of organizations, products and users (their watcher_ids, as deals, persons
and leads have since 0009)

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')
TABLES = ('organizations', 'products', 'users')


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column('watcher_ids', JSON, nullable=True))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, 'watcher_ids')
