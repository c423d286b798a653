"""users' sign-in passwords (argon2id hashes)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('user_passwords',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('company_id', sa.BigInteger(), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_user_passwords_user', 'user_passwords', ['company_id', 'user_id'],
                    unique=True)


def downgrade() -> None:
    op.drop_index('ix_user_passwords_user', table_name='user_passwords')
    op.drop_table('user_passwords')
