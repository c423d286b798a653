"""pipeliner entities: teams, leads, activities, notes, products; team, name and relation columns

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('activities',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('owner_id', sa.BigInteger(), nullable=False),
    sa.Column('team_id', sa.BigInteger(), nullable=True),
    sa.Column('deal_id', sa.BigInteger(), nullable=True),
    sa.Column('lead_id', sa.BigInteger(), nullable=True),
    sa.Column('person_id', sa.BigInteger(), nullable=True),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('due_time', sa.String(length=8), nullable=True),
    sa.Column('duration', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.BigInteger(), nullable=False),
    sa.Column('priority', sa.BigInteger(), nullable=False),
    sa.Column('location', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_deal_id', ['company_id', 'deal_id', 'id'], unique=False)
        batch_op.create_index('ix_activities_lead_id', ['company_id', 'lead_id', 'id'], unique=False)
        batch_op.create_index('ix_activities_organization_id', ['company_id', 'organization_id', 'id'], unique=False)
        batch_op.create_index('ix_activities_owner_id', ['company_id', 'owner_id', 'id'], unique=False)
        batch_op.create_index('ix_activities_person_id', ['company_id', 'person_id', 'id'], unique=False)
        batch_op.create_index('ix_activities_team_id', ['company_id', 'team_id', 'id'], unique=False)
        batch_op.create_index('ix_activities_uid', ['company_id', 'uid'], unique=True)
        batch_op.create_index('ix_activities_updated', ['company_id', 'updated_at', 'id'], unique=False)

    op.create_table('leads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('owner_id', sa.BigInteger(), nullable=False),
    sa.Column('team_id', sa.BigInteger(), nullable=True),
    sa.Column('person_id', sa.BigInteger(), nullable=True),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('participant_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('organization_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('probability', sa.BigInteger(), nullable=True),
    sa.Column('expected_close_date', sa.Date(), nullable=True),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_organization_id', ['company_id', 'organization_id', 'id'], unique=False)
        batch_op.create_index('ix_leads_owner_id', ['company_id', 'owner_id', 'id'], unique=False)
        batch_op.create_index('ix_leads_person_id', ['company_id', 'person_id', 'id'], unique=False)
        batch_op.create_index('ix_leads_team_id', ['company_id', 'team_id', 'id'], unique=False)
        batch_op.create_index('ix_leads_uid', ['company_id', 'uid'], unique=True)
        batch_op.create_index('ix_leads_updated', ['company_id', 'updated_at', 'id'], unique=False)

    op.create_table('notes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.BigInteger(), nullable=False),
    sa.Column('deal_id', sa.BigInteger(), nullable=True),
    sa.Column('lead_id', sa.BigInteger(), nullable=True),
    sa.Column('person_id', sa.BigInteger(), nullable=True),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.create_index('ix_notes_deal_id', ['company_id', 'deal_id', 'id'], unique=False)
        batch_op.create_index('ix_notes_lead_id', ['company_id', 'lead_id', 'id'], unique=False)
        batch_op.create_index('ix_notes_organization_id', ['company_id', 'organization_id', 'id'], unique=False)
        batch_op.create_index('ix_notes_owner_id', ['company_id', 'owner_id', 'id'], unique=False)
        batch_op.create_index('ix_notes_person_id', ['company_id', 'person_id', 'id'], unique=False)
        batch_op.create_index('ix_notes_uid', ['company_id', 'uid'], unique=True)
        batch_op.create_index('ix_notes_updated', ['company_id', 'updated_at', 'id'], unique=False)

    op.create_table('products',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('code', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('unit', sa.String(length=64), nullable=True),
    sa.Column('category', sa.String(length=255), nullable=True),
    sa.Column('owner_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_owner_id', ['company_id', 'owner_id', 'id'], unique=False)
        batch_op.create_index('ix_products_uid', ['company_id', 'uid'], unique=True)
        batch_op.create_index('ix_products_updated', ['company_id', 'updated_at', 'id'], unique=False)

    op.create_table('teams',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('parent_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.create_index('ix_teams_parent_id', ['company_id', 'parent_id', 'id'], unique=False)
        batch_op.create_index('ix_teams_uid', ['company_id', 'uid'], unique=True)
        batch_op.create_index('ix_teams_updated', ['company_id', 'updated_at', 'id'], unique=False)

    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('participant_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('organization_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('team_id', sa.BigInteger(), nullable=True))
        batch_op.create_index('ix_deals_team_id', ['company_id', 'team_id', 'id'], unique=False)

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.BigInteger(), nullable=True))
        batch_op.create_index('ix_organizations_team_id', ['company_id', 'team_id', 'id'], unique=False)

    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('middle_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('organization_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('team_id', sa.BigInteger(), nullable=True))
        batch_op.create_index('ix_persons_team_id', ['company_id', 'team_id', 'id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('last_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('team_id', sa.BigInteger(), nullable=True))
        batch_op.create_index('ix_users_team_id', ['company_id', 'team_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_team_id')
        batch_op.drop_column('team_id')
        batch_op.drop_column('last_name')
        batch_op.drop_column('first_name')

    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index('ix_persons_team_id')
        batch_op.drop_column('team_id')
        batch_op.drop_column('organization_ids')
        batch_op.drop_column('middle_name')

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_index('ix_organizations_team_id')
        batch_op.drop_column('team_id')

    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index('ix_deals_team_id')
        batch_op.drop_column('team_id')
        batch_op.drop_column('organization_ids')
        batch_op.drop_column('participant_ids')
        batch_op.drop_column('description')

    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_index('ix_teams_updated')
        batch_op.drop_index('ix_teams_uid')
        batch_op.drop_index('ix_teams_parent_id')

    op.drop_table('teams')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_updated')
        batch_op.drop_index('ix_products_uid')
        batch_op.drop_index('ix_products_owner_id')

    op.drop_table('products')
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.drop_index('ix_notes_updated')
        batch_op.drop_index('ix_notes_uid')
        batch_op.drop_index('ix_notes_person_id')
        batch_op.drop_index('ix_notes_owner_id')
        batch_op.drop_index('ix_notes_organization_id')
        batch_op.drop_index('ix_notes_lead_id')
        batch_op.drop_index('ix_notes_deal_id')

    op.drop_table('notes')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_updated')
        batch_op.drop_index('ix_leads_uid')
        batch_op.drop_index('ix_leads_team_id')
        batch_op.drop_index('ix_leads_person_id')
        batch_op.drop_index('ix_leads_owner_id')
        batch_op.drop_index('ix_leads_organization_id')

    op.drop_table('leads')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_updated')
        batch_op.drop_index('ix_activities_uid')
        batch_op.drop_index('ix_activities_team_id')
        batch_op.drop_index('ix_activities_person_id')
        batch_op.drop_index('ix_activities_owner_id')
        batch_op.drop_index('ix_activities_organization_id')
        batch_op.drop_index('ix_activities_lead_id')
        batch_op.drop_index('ix_activities_deal_id')

    op.drop_table('activities')
