"""roles (visibility groups: hierarchy, settings, hidden pipelines) and every user's role;
a team's manager, active flag and creator (Pipedrive's legacy teams) (issue 13)

Every company gets its default role, and its users that role.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')
SETTINGS = [f'{kind}_default_visibility' for kind in ('deal', 'lead', 'org', 'person', 'product')]
ACCESS = [f'{kind}_access_level' for kind in ('deal', 'org', 'person', 'product')]
TEAM_COLUMNS = ('manager_id', 'is_active', 'creator_id')
TEAM_INDEXES = ('ix_teams_manager_id', 'ix_teams_creator_id')


def upgrade() -> None:
    op.create_table('roles',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('company_id', sa.BigInteger(), nullable=False),
        sa.Column('uid', sa.String(length=120), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('parent_id', sa.BigInteger(), nullable=True),
        sa.Column('is_default', sa.Boolean(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in SETTINGS + ACCESS),
        sa.Column('hidden_pipeline_ids', JSON, nullable=True),
        sa.Column('assignment_count', sa.BigInteger(), nullable=False,
                  server_default=sa.text('0')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('is_deleted', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_roles_uid', 'roles', ['company_id', 'uid'], unique=True)
    op.create_index('ix_roles_updated', 'roles', ['company_id', 'updated_at', 'id'], unique=False)
    op.create_index('ix_roles_parent_id', 'roles', ['company_id', 'parent_id', 'id'],
                    unique=False)
    op.add_column('users', sa.Column('role_id', sa.BigInteger(), nullable=True))
    op.create_index('ix_users_role_id', 'users', ['company_id', 'role_id', 'id'], unique=False)
    op.add_column('teams', sa.Column('manager_id', sa.BigInteger(), nullable=True))
    op.add_column('teams', sa.Column('is_active', sa.Boolean(), nullable=False,
                                     server_default=sa.text('true')))
    op.add_column('teams', sa.Column('creator_id', sa.BigInteger(), nullable=True))
    for name in TEAM_INDEXES:
        column = name.removeprefix('ix_teams_')
        op.create_index(name, 'teams', ['company_id', column, 'id'], unique=False)
    _default_roles()


def _default_roles() -> None:
    """Each company's default role, its users in it."""
    bind = op.get_bind()
    roles = sa.table('roles', sa.column('hidden_pipeline_ids', JSON), *(sa.column(c) for c in (
        'company_id', 'uid', 'name', 'parent_id', 'is_default', *SETTINGS, *ACCESS,
        'assignment_count', 'created_at', 'updated_at', 'is_deleted')))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    for (company_id,) in bind.execute(sa.text('SELECT id FROM companies ORDER BY id')).all():
        users = bind.execute(sa.text(
            'SELECT COUNT(*) FROM users WHERE company_id = :c AND NOT is_deleted'),
            {'c': company_id}).scalar_one()
        bind.execute(roles.insert().values(
            company_id=company_id, uid=f'PY-7FFFFFFF-{str(uuid.uuid4()).upper()}',
            name='(Unassigned users)', parent_id=None, is_default=True,
            **{s: 3 for s in SETTINGS}, **{a: 7 for a in ACCESS}, hidden_pipeline_ids=[],
            assignment_count=users, created_at=now, updated_at=now,
            is_deleted=False))
        role_id = bind.execute(sa.text(
            'SELECT id FROM roles WHERE company_id = :c AND is_default'),
            {'c': company_id}).scalar_one()
        bind.execute(sa.text('UPDATE users SET role_id = :r WHERE company_id = :c'),
                     {'r': role_id, 'c': company_id})


def downgrade() -> None:
    for name in TEAM_INDEXES:
        op.drop_index(name, table_name='teams')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        for column in TEAM_COLUMNS:
            batch_op.drop_column(column)
    op.drop_index('ix_users_role_id', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('role_id')
    for name in ('ix_roles_parent_id', 'ix_roles_updated', 'ix_roles_uid'):
        op.drop_index(name, table_name='roles')
    op.drop_table('roles')
