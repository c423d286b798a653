"""initial schema

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_api_tokens_company', ['company_id', 'kind'], unique=False)
        batch_op.create_index('ix_api_tokens_hash', ['token_hash'], unique=True)

    op.create_table('change_log',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.BigInteger(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.create_index('ix_change_log_company', ['company_id', 'seq'], unique=False)
        batch_op.create_index('ix_change_log_record', ['company_id', 'entity', 'record_id', 'seq'], unique=False)

    op.create_table('companies',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('space_id', sa.String(length=64), nullable=False),
    sa.Column('fields_version', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('space_id')
    )
    op.create_table('custom_fields',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('field_type', sa.String(length=32), nullable=False),
    sa.Column('options', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('order_nr', sa.Integer(), nullable=False),
    sa.Column('settings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('creator_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('custom_fields', schema=None) as batch_op:
        batch_op.create_index('ix_custom_fields_entity', ['company_id', 'entity', 'order_nr'], unique=False)
        batch_op.create_index('ix_custom_fields_key', ['company_id', 'key'], unique=True)

    op.create_table('deals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('owner_id', sa.BigInteger(), nullable=False),
    sa.Column('creator_id', sa.BigInteger(), nullable=True),
    sa.Column('person_id', sa.BigInteger(), nullable=True),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('pipeline_id', sa.BigInteger(), nullable=False),
    sa.Column('stage_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('probability', sa.BigInteger(), nullable=True),
    sa.Column('lost_reason', sa.String(length=255), nullable=True),
    sa.Column('visible_to', sa.BigInteger(), nullable=False),
    sa.Column('label_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('expected_close_date', sa.Date(), nullable=True),
    sa.Column('stage_changed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('won_at', sa.DateTime(), nullable=True),
    sa.Column('first_won_at', sa.DateTime(), nullable=True),
    sa.Column('lost_at', sa.DateTime(), nullable=True),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('archived_at', sa.DateTime(), nullable=True),
    sa.Column('origin', sa.String(length=255), nullable=True),
    sa.Column('origin_id', sa.String(length=255), nullable=True),
    sa.Column('channel', sa.BigInteger(), nullable=True),
    sa.Column('channel_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('custom', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index('ix_deals_creator_id', ['company_id', 'creator_id', 'id'], unique=False)
        batch_op.create_index('ix_deals_organization_id', ['company_id', 'organization_id', 'id'], unique=False)
        batch_op.create_index('ix_deals_owner_id', ['company_id', 'owner_id', 'id'], unique=False)
        batch_op.create_index('ix_deals_person_id', ['company_id', 'person_id', 'id'], unique=False)
        batch_op.create_index('ix_deals_pipeline_id', ['company_id', 'pipeline_id', 'id'], unique=False)
        batch_op.create_index('ix_deals_stage_id', ['company_id', 'stage_id', 'id'], unique=False)
        batch_op.create_index('ix_deals_uid', ['company_id', 'uid'], unique=True)
        batch_op.create_index('ix_deals_updated', ['company_id', 'updated_at', 'id'], unique=False)

    op.create_table('organizations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('owner_id', sa.BigInteger(), nullable=False),
    sa.Column('address', sa.String(length=1024), nullable=True),
    sa.Column('address_subpremise', sa.String(length=255), nullable=True),
    sa.Column('address_street_number', sa.String(length=255), nullable=True),
    sa.Column('address_route', sa.String(length=255), nullable=True),
    sa.Column('address_sublocality', sa.String(length=255), nullable=True),
    sa.Column('address_locality', sa.String(length=255), nullable=True),
    sa.Column('address_admin_area_level_1', sa.String(length=255), nullable=True),
    sa.Column('address_admin_area_level_2', sa.String(length=255), nullable=True),
    sa.Column('address_country', sa.String(length=255), nullable=True),
    sa.Column('address_postal_code', sa.String(length=255), nullable=True),
    sa.Column('address_formatted_address', sa.String(length=255), nullable=True),
    sa.Column('label_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('visible_to', sa.BigInteger(), nullable=False),
    sa.Column('website', sa.String(length=2048), nullable=True),
    sa.Column('linkedin', sa.String(length=2048), nullable=True),
    sa.Column('industry', sa.BigInteger(), nullable=True),
    sa.Column('annual_revenue', sa.Float(), nullable=True),
    sa.Column('employee_count', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('custom', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.create_index('ix_organizations_owner_id', ['company_id', 'owner_id', 'id'], unique=False)
        batch_op.create_index('ix_organizations_uid', ['company_id', 'uid'], unique=True)
        batch_op.create_index('ix_organizations_updated', ['company_id', 'updated_at', 'id'], unique=False)

    op.create_table('persons',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('first_name', sa.String(length=255), nullable=True),
    sa.Column('last_name', sa.String(length=255), nullable=True),
    sa.Column('owner_id', sa.BigInteger(), nullable=False),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('emails', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('phones', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('label_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('visible_to', sa.BigInteger(), nullable=False),
    sa.Column('job_title', sa.String(length=255), nullable=True),
    sa.Column('birthday', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('custom', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index('ix_persons_organization_id', ['company_id', 'organization_id', 'id'], unique=False)
        batch_op.create_index('ix_persons_owner_id', ['company_id', 'owner_id', 'id'], unique=False)
        batch_op.create_index('ix_persons_uid', ['company_id', 'uid'], unique=True)
        batch_op.create_index('ix_persons_updated', ['company_id', 'updated_at', 'id'], unique=False)

    op.create_table('pipelines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('order_nr', sa.BigInteger(), nullable=False),
    sa.Column('is_deal_probability_enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pipelines', schema=None) as batch_op:
        batch_op.create_index('ix_pipelines_uid', ['company_id', 'uid'], unique=True)
        batch_op.create_index('ix_pipelines_updated', ['company_id', 'updated_at', 'id'], unique=False)

    op.create_table('stages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('pipeline_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('order_nr', sa.BigInteger(), nullable=False),
    sa.Column('deal_probability', sa.BigInteger(), nullable=False),
    sa.Column('is_rotting_enabled', sa.Boolean(), nullable=False),
    sa.Column('rotting_days', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.create_index('ix_stages_pipeline_id', ['company_id', 'pipeline_id', 'id'], unique=False)
        batch_op.create_index('ix_stages_uid', ['company_id', 'uid'], unique=True)
        batch_op.create_index('ix_stages_updated', ['company_id', 'updated_at', 'id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('phone', sa.String(length=255), nullable=True),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('default_currency', sa.String(length=3), nullable=False),
    sa.Column('locale', sa.String(length=20), nullable=False),
    sa.Column('lang', sa.BigInteger(), nullable=False),
    sa.Column('timezone_name', sa.String(length=64), nullable=False),
    sa.Column('icon_url', sa.String(length=2048), nullable=True),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index('ix_users_uid', ['company_id', 'uid'], unique=True)
        batch_op.create_index('ix_users_updated', ['company_id', 'updated_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_updated')
        batch_op.drop_index('ix_users_uid')

    op.drop_table('users')
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.drop_index('ix_stages_updated')
        batch_op.drop_index('ix_stages_uid')
        batch_op.drop_index('ix_stages_pipeline_id')

    op.drop_table('stages')
    with op.batch_alter_table('pipelines', schema=None) as batch_op:
        batch_op.drop_index('ix_pipelines_updated')
        batch_op.drop_index('ix_pipelines_uid')

    op.drop_table('pipelines')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index('ix_persons_updated')
        batch_op.drop_index('ix_persons_uid')
        batch_op.drop_index('ix_persons_owner_id')
        batch_op.drop_index('ix_persons_organization_id')

    op.drop_table('persons')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_index('ix_organizations_updated')
        batch_op.drop_index('ix_organizations_uid')
        batch_op.drop_index('ix_organizations_owner_id')

    op.drop_table('organizations')
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index('ix_deals_updated')
        batch_op.drop_index('ix_deals_uid')
        batch_op.drop_index('ix_deals_stage_id')
        batch_op.drop_index('ix_deals_pipeline_id')
        batch_op.drop_index('ix_deals_person_id')
        batch_op.drop_index('ix_deals_owner_id')
        batch_op.drop_index('ix_deals_organization_id')
        batch_op.drop_index('ix_deals_creator_id')

    op.drop_table('deals')
    with op.batch_alter_table('custom_fields', schema=None) as batch_op:
        batch_op.drop_index('ix_custom_fields_key')
        batch_op.drop_index('ix_custom_fields_entity')

    op.drop_table('custom_fields')
    op.drop_table('companies')
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.drop_index('ix_change_log_record')
        batch_op.drop_index('ix_change_log_company')

    op.drop_table('change_log')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_api_tokens_hash')
        batch_op.drop_index('ix_api_tokens_company')

    op.drop_table('api_tokens')
