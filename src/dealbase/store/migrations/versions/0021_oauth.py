"""OAuth apps, grants and tokens (issue 15)

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table('oauth_apps',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('company_id', sa.BigInteger(), nullable=False),
        sa.Column('client_id', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=True),
        sa.Column('form_key', sa.String(length=64), nullable=False),
        sa.Column('redirect_uris', JSON, nullable=False),
        sa.Column('scopes', sa.String(length=1000), nullable=False),
        sa.Column('public', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_oauth_apps_client', 'oauth_apps', ['client_id'], unique=True)
    op.create_index('ix_oauth_apps_company', 'oauth_apps', ['company_id', 'id'])
    op.create_table('oauth_grants',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('company_id', sa.BigInteger(), nullable=False),
        sa.Column('app_id', sa.BigInteger(), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        sa.Column('scopes', sa.String(length=1000), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('code_challenge', sa.String(length=64), nullable=True),
        sa.Column('redirect_uri', sa.String(length=2000), nullable=False),
        sa.Column('code_expires_at', sa.DateTime(), nullable=False),
        sa.Column('code_used', sa.Boolean(), nullable=False),
        sa.Column('revoked', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_oauth_grants_code', 'oauth_grants', ['code_hash'], unique=True)
    op.create_index('ix_oauth_grants_app', 'oauth_grants', ['company_id', 'app_id'])
    op.create_table('oauth_tokens',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('company_id', sa.BigInteger(), nullable=False),
        sa.Column('app_id', sa.BigInteger(), nullable=False),
        sa.Column('grant_id', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('revoked', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_oauth_tokens_hash', 'oauth_tokens', ['token_hash'], unique=True)
    op.create_index('ix_oauth_tokens_grant', 'oauth_tokens', ['company_id', 'grant_id'])


def downgrade() -> None:
    op.drop_index('ix_oauth_tokens_grant', table_name='oauth_tokens')
    op.drop_index('ix_oauth_tokens_hash', table_name='oauth_tokens')
    op.drop_table('oauth_tokens')
    op.drop_index('ix_oauth_grants_app', table_name='oauth_grants')
    op.drop_index('ix_oauth_grants_code', table_name='oauth_grants')
    op.drop_table('oauth_grants')
    op.drop_index('ix_oauth_apps_company', table_name='oauth_apps')
    op.drop_index('ix_oauth_apps_client', table_name='oauth_apps')
    op.drop_table('oauth_apps')
