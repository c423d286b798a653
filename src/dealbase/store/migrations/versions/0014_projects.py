"""projects, their templates, boards, phases, groups and tasks (issue 14)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')
# (frozen copies of domain.entities.project's DEFAULT_BOARD and DEFAULT_PHASES)
DEFAULT_BOARD = 'Delivery'
DEFAULT_PHASES = ('To do', 'In progress', 'Review', 'Done')
TABLES = ('tasks', 'projects', 'project_templates', 'project_phases', 'project_groups', 'project_boards')


def upgrade() -> None:
    op.create_table('project_boards',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('order_nr', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_project_boards_uid', 'project_boards', ['company_id', 'uid'], unique=True)
    op.create_index('ix_project_boards_updated', 'project_boards', ['company_id', 'updated_at', 'id'], unique=False)
    op.create_table('project_groups',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('project_id', sa.BigInteger(), nullable=True),
    sa.Column('template_id', sa.BigInteger(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('order_nr', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_project_groups_project_id', 'project_groups', ['company_id', 'project_id', 'id'], unique=False)
    op.create_index('ix_project_groups_template_id', 'project_groups', ['company_id', 'template_id', 'id'], unique=False)
    op.create_index('ix_project_groups_uid', 'project_groups', ['company_id', 'uid'], unique=True)
    op.create_index('ix_project_groups_updated', 'project_groups', ['company_id', 'updated_at', 'id'], unique=False)
    op.create_table('project_phases',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('board_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('order_nr', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_project_phases_board_id', 'project_phases', ['company_id', 'board_id', 'id'], unique=False)
    op.create_index('ix_project_phases_uid', 'project_phases', ['company_id', 'uid'], unique=True)
    op.create_index('ix_project_phases_updated', 'project_phases', ['company_id', 'updated_at', 'id'], unique=False)
    op.create_table('project_templates',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('board_id', sa.BigInteger(), nullable=False),
    sa.Column('owner_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_project_templates_board_id', 'project_templates', ['company_id', 'board_id', 'id'], unique=False)
    op.create_index('ix_project_templates_owner_id', 'project_templates', ['company_id', 'owner_id', 'id'], unique=False)
    op.create_index('ix_project_templates_uid', 'project_templates', ['company_id', 'uid'], unique=True)
    op.create_index('ix_project_templates_updated', 'project_templates', ['company_id', 'updated_at', 'id'], unique=False)
    op.create_table('projects',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('board_id', sa.BigInteger(), nullable=False),
    sa.Column('phase_id', sa.BigInteger(), nullable=False),
    sa.Column('owner_id', sa.BigInteger(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('deal_ids', JSON, nullable=True),
    sa.Column('person_ids', JSON, nullable=True),
    sa.Column('organization_ids', JSON, nullable=True),
    sa.Column('label_ids', JSON, nullable=False),
    sa.Column('health_status', sa.BigInteger(), nullable=True),
    sa.Column('template_id', sa.BigInteger(), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(), nullable=True),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('archived_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('custom', JSON, nullable=False),
    sa.Column('cf_num_1', sa.Float(), nullable=True),
    sa.Column('cf_num_2', sa.Float(), nullable=True),
    sa.Column('cf_num_3', sa.Float(), nullable=True),
    sa.Column('cf_num_4', sa.Float(), nullable=True),
    sa.Column('cf_num_5', sa.Float(), nullable=True),
    sa.Column('cf_num_6', sa.Float(), nullable=True),
    sa.Column('cf_num_7', sa.Float(), nullable=True),
    sa.Column('cf_num_8', sa.Float(), nullable=True),
    sa.Column('cf_text_1', sa.String(length=255), nullable=True),
    sa.Column('cf_text_2', sa.String(length=255), nullable=True),
    sa.Column('cf_text_3', sa.String(length=255), nullable=True),
    sa.Column('cf_text_4', sa.String(length=255), nullable=True),
    sa.Column('cf_text_5', sa.String(length=255), nullable=True),
    sa.Column('cf_text_6', sa.String(length=255), nullable=True),
    sa.Column('cf_text_7', sa.String(length=255), nullable=True),
    sa.Column('cf_text_8', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_projects_board_id', 'projects', ['company_id', 'board_id', 'id'], unique=False)
    op.create_index('ix_projects_cf_num_1', 'projects', ['company_id', 'cf_num_1', 'id'], unique=False, sqlite_where=sa.text('cf_num_1 IS NOT NULL'), postgresql_where=sa.text('cf_num_1 IS NOT NULL'))
    op.create_index('ix_projects_cf_num_2', 'projects', ['company_id', 'cf_num_2', 'id'], unique=False, sqlite_where=sa.text('cf_num_2 IS NOT NULL'), postgresql_where=sa.text('cf_num_2 IS NOT NULL'))
    op.create_index('ix_projects_cf_num_3', 'projects', ['company_id', 'cf_num_3', 'id'], unique=False, sqlite_where=sa.text('cf_num_3 IS NOT NULL'), postgresql_where=sa.text('cf_num_3 IS NOT NULL'))
    op.create_index('ix_projects_cf_num_4', 'projects', ['company_id', 'cf_num_4', 'id'], unique=False, sqlite_where=sa.text('cf_num_4 IS NOT NULL'), postgresql_where=sa.text('cf_num_4 IS NOT NULL'))
    op.create_index('ix_projects_cf_num_5', 'projects', ['company_id', 'cf_num_5', 'id'], unique=False, sqlite_where=sa.text('cf_num_5 IS NOT NULL'), postgresql_where=sa.text('cf_num_5 IS NOT NULL'))
    op.create_index('ix_projects_cf_num_6', 'projects', ['company_id', 'cf_num_6', 'id'], unique=False, sqlite_where=sa.text('cf_num_6 IS NOT NULL'), postgresql_where=sa.text('cf_num_6 IS NOT NULL'))
    op.create_index('ix_projects_cf_num_7', 'projects', ['company_id', 'cf_num_7', 'id'], unique=False, sqlite_where=sa.text('cf_num_7 IS NOT NULL'), postgresql_where=sa.text('cf_num_7 IS NOT NULL'))
    op.create_index('ix_projects_cf_num_8', 'projects', ['company_id', 'cf_num_8', 'id'], unique=False, sqlite_where=sa.text('cf_num_8 IS NOT NULL'), postgresql_where=sa.text('cf_num_8 IS NOT NULL'))
    op.create_index('ix_projects_cf_text_1', 'projects', ['company_id', 'cf_text_1', 'id'], unique=False, sqlite_where=sa.text('cf_text_1 IS NOT NULL'), postgresql_where=sa.text('cf_text_1 IS NOT NULL'))
    op.create_index('ix_projects_cf_text_2', 'projects', ['company_id', 'cf_text_2', 'id'], unique=False, sqlite_where=sa.text('cf_text_2 IS NOT NULL'), postgresql_where=sa.text('cf_text_2 IS NOT NULL'))
    op.create_index('ix_projects_cf_text_3', 'projects', ['company_id', 'cf_text_3', 'id'], unique=False, sqlite_where=sa.text('cf_text_3 IS NOT NULL'), postgresql_where=sa.text('cf_text_3 IS NOT NULL'))
    op.create_index('ix_projects_cf_text_4', 'projects', ['company_id', 'cf_text_4', 'id'], unique=False, sqlite_where=sa.text('cf_text_4 IS NOT NULL'), postgresql_where=sa.text('cf_text_4 IS NOT NULL'))
    op.create_index('ix_projects_cf_text_5', 'projects', ['company_id', 'cf_text_5', 'id'], unique=False, sqlite_where=sa.text('cf_text_5 IS NOT NULL'), postgresql_where=sa.text('cf_text_5 IS NOT NULL'))
    op.create_index('ix_projects_cf_text_6', 'projects', ['company_id', 'cf_text_6', 'id'], unique=False, sqlite_where=sa.text('cf_text_6 IS NOT NULL'), postgresql_where=sa.text('cf_text_6 IS NOT NULL'))
    op.create_index('ix_projects_cf_text_7', 'projects', ['company_id', 'cf_text_7', 'id'], unique=False, sqlite_where=sa.text('cf_text_7 IS NOT NULL'), postgresql_where=sa.text('cf_text_7 IS NOT NULL'))
    op.create_index('ix_projects_cf_text_8', 'projects', ['company_id', 'cf_text_8', 'id'], unique=False, sqlite_where=sa.text('cf_text_8 IS NOT NULL'), postgresql_where=sa.text('cf_text_8 IS NOT NULL'))
    op.create_index('ix_projects_is_archived_phase_id_id', 'projects', ['company_id', 'is_archived', 'phase_id', 'id'], unique=False)
    op.create_index('ix_projects_owner_id', 'projects', ['company_id', 'owner_id', 'id'], unique=False)
    op.create_index('ix_projects_phase_id', 'projects', ['company_id', 'phase_id', 'id'], unique=False)
    op.create_index('ix_projects_template_id', 'projects', ['company_id', 'template_id', 'id'], unique=False)
    op.create_index('ix_projects_uid', 'projects', ['company_id', 'uid'], unique=True)
    op.create_index('ix_projects_updated', 'projects', ['company_id', 'updated_at', 'id'], unique=False)
    op.create_table('tasks',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('company_id', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('project_id', sa.BigInteger(), nullable=True),
    sa.Column('template_id', sa.BigInteger(), nullable=True),
    sa.Column('parent_task_id', sa.BigInteger(), nullable=True),
    sa.Column('assignee_ids', JSON, nullable=True),
    sa.Column('is_done', sa.Boolean(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('is_milestone', sa.Boolean(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('priority', sa.BigInteger(), nullable=True),
    sa.Column('creator_id', sa.BigInteger(), nullable=True),
    sa.Column('phase_id', sa.BigInteger(), nullable=True),
    sa.Column('group_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_tasks_creator_id', 'tasks', ['company_id', 'creator_id', 'id'], unique=False)
    op.create_index('ix_tasks_group_id', 'tasks', ['company_id', 'group_id', 'id'], unique=False)
    op.create_index('ix_tasks_parent_task_id', 'tasks', ['company_id', 'parent_task_id', 'id'], unique=False)
    op.create_index('ix_tasks_phase_id', 'tasks', ['company_id', 'phase_id', 'id'], unique=False)
    op.create_index('ix_tasks_project_id', 'tasks', ['company_id', 'project_id', 'id'], unique=False)
    op.create_index('ix_tasks_project_id_is_deleted_id', 'tasks', ['company_id', 'project_id', 'is_deleted', 'id'], unique=False)
    op.create_index('ix_tasks_template_id', 'tasks', ['company_id', 'template_id', 'id'], unique=False)
    op.create_index('ix_tasks_uid', 'tasks', ['company_id', 'uid'], unique=True)
    op.create_index('ix_tasks_updated', 'tasks', ['company_id', 'updated_at', 'id'], unique=False)
    op.add_column('activities', sa.Column('project_id', sa.BigInteger(), nullable=True))
    op.add_column('activities', sa.Column('project_phase_id', sa.BigInteger(), nullable=True))
    op.add_column('activities', sa.Column('project_group_id', sa.BigInteger(), nullable=True))
    op.create_index('ix_activities_project_group_id', 'activities', ['company_id', 'project_group_id', 'id'], unique=False)
    op.create_index('ix_activities_project_id', 'activities', ['company_id', 'project_id', 'id'], unique=False)
    op.create_index('ix_activities_project_phase_id', 'activities', ['company_id', 'project_phase_id', 'id'], unique=False)
    _default_boards()


def _default_boards() -> None:
    """Every company that exists already gets the board and phases a new one starts with."""
    bind = op.get_bind()
    now = sa.func.now() if bind.dialect.name == 'postgresql' else sa.text(
        "strftime('%Y-%m-%d %H:%M:%f', 'now')")
    boards = sa.table('project_boards', *(sa.column(c) for c in (
        'id', 'company_id', 'uid', 'name', 'order_nr', 'created_at', 'updated_at', 'is_deleted')))
    phases = sa.table('project_phases', *(sa.column(c) for c in (
        'company_id', 'uid', 'board_id', 'name', 'order_nr', 'created_at', 'updated_at',
        'is_deleted')))
    for (company_id,) in bind.execute(sa.text('SELECT id FROM companies')).all():
        board_id = bind.execute(boards.insert().values(
            company_id=company_id, uid=_uid(), name=DEFAULT_BOARD, order_nr=1, created_at=now,
            updated_at=now, is_deleted=False).returning(boards.c.id)).scalar_one()
        for order, name in enumerate(DEFAULT_PHASES, start=1):
            bind.execute(phases.insert().values(
                company_id=company_id, uid=_uid(), board_id=board_id, name=name,
                order_nr=order, created_at=now, updated_at=now, is_deleted=False))


def _uid() -> str:
    return f'PY-7FFFFFFF-{str(uuid.uuid4()).upper()}'


def downgrade() -> None:
    for column in ('project_group_id', 'project_phase_id', 'project_id'):
        op.drop_index(f'ix_activities_{column}', table_name='activities')
        op.drop_column('activities', column)
    for table in TABLES:
        op.drop_table(table)
