"""followers of deals, persons, organizations, products and users; their followers_count

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

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
REFS = ('user_id', 'deal_id', 'person_id', 'organization_id', 'product_id', 'followed_user_id')
COUNTED = ('deals', 'persons', 'organizations', 'products')


def upgrade() -> None:
    op.create_table('followers',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('company_id', sa.BigInteger(), nullable=False),
        sa.Column('uid', sa.String(length=120), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        *(sa.Column(ref, sa.BigInteger(), nullable=True) for ref in REFS[1:]),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('is_deleted', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_followers_uid', 'followers', ['company_id', 'uid'], unique=True)
    op.create_index('ix_followers_updated', 'followers', ['company_id', 'updated_at', 'id'],
                    unique=False)
    for ref in REFS:
        op.create_index(f'ix_followers_{ref}', 'followers', ['company_id', ref, 'id'],
                        unique=False)
    for table in COUNTED:  # nobody follows anything yet: 0 is every row's count
        op.add_column(table, sa.Column('followers_count', sa.BigInteger(), nullable=False,
                                       server_default=sa.text('0')))


def downgrade() -> None:
    for table in COUNTED:
        op.drop_column(table, 'followers_count')
    for index in (*(f'ix_followers_{ref}' for ref in REFS), 'ix_followers_updated',
                  'ix_followers_uid'):
        op.drop_index(index, table_name='followers')
    op.drop_table('followers')
