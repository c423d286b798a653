"""activity types; notes pinned and with their last writer; activities as Pipedrive has them (done time, busy, location parts, participants, attendees, creator, conference); leads with the deal's custom fields; derived activity, note, deal and people counters on deals, persons, organizations and leads, filled for the rows there

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import secrets
import time
import uuid

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')
ADDRESS_PARTS = ('subpremise', 'street_number', 'route', 'sublocality', 'locality',
                 'admin_area_level_1', 'admin_area_level_2', 'country', 'postal_code',
                 'formatted_address')
SLOTS = [f'cf_{kind}_{n}' for kind in ('num', 'text') for n in range(1, 9)]
DEFAULT_TYPES = (('Call', 'call', 'call'), ('Meeting', 'meeting', 'meeting'),
                 ('Task', 'task', 'task'), ('Deadline', 'deadline', 'deadline'),
                 ('Email', 'email', 'email'), ('Lunch', 'lunch', 'lunch'))
DONE = 4
PINNED_TO = ('deal', 'person', 'organization', 'lead')
# parent table -> (the activities' and notes' column pointing at it, deal counters' column)
PARENTS = {'deals': ('deal_id', None), 'persons': ('person_id', 'person_id'),
           'organizations': ('organization_id', 'organization_id'), 'leads': ('lead_id', None)}
ACTIVITY_COUNTERS = ('activities_count', 'done_activities_count', 'undone_activities_count',
                     'notes_count')
DEAL_COUNTERS = ('open_deals_count', 'closed_deals_count', 'won_deals_count', 'lost_deals_count')


def _counter(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default=sa.text('0'))


def _slots(table: str) -> None:
    for column in SLOTS:
        op.add_column(table, sa.Column(column, sa.Float() if column.startswith('cf_num')
                                       else sa.String(length=255), nullable=True))
    for column in SLOTS:
        present = sa.column(column).is_not(None)
        op.create_index(f'ix_{table}_{column}', table, ['company_id', column, 'id'], unique=False,
                        sqlite_where=present, postgresql_where=present)


def upgrade() -> None:
    op.create_table('activity_types',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('company_id', sa.BigInteger(), nullable=False),
        sa.Column('uid', sa.String(length=120), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('icon_key', sa.String(length=64), nullable=False),
        sa.Column('color', sa.String(length=6), nullable=True),
        sa.Column('order_nr', sa.BigInteger(), nullable=False),
        sa.Column('is_custom', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('is_deleted', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_activity_types_uid', 'activity_types', ['company_id', 'uid'], unique=True)
    op.create_index('ix_activity_types_updated', 'activity_types', ['company_id', 'updated_at', 'id'],
                    unique=False)

    for part in ADDRESS_PARTS:
        op.add_column('activities', sa.Column(f'location_{part}', sa.String(length=255), nullable=True))
    op.add_column('activities', sa.Column('done_at', sa.DateTime(), nullable=True))
    op.add_column('activities', sa.Column('busy', sa.Boolean(), nullable=False,
                                          server_default=sa.text('false')))
    op.add_column('activities', sa.Column('public_description', sa.Text(), nullable=True))
    op.add_column('activities', sa.Column('participant_ids', JSON, nullable=True))
    op.add_column('activities', sa.Column('attendees', JSON, nullable=False,
                                          server_default=sa.text("'[]'")))
    op.add_column('activities', sa.Column('creator_id', sa.BigInteger(), nullable=True))
    op.add_column('activities', sa.Column('conference_meeting_client', sa.String(length=255), nullable=True))
    op.add_column('activities', sa.Column('conference_meeting_url', sa.String(length=2048), nullable=True))
    op.add_column('activities', sa.Column('conference_meeting_id', sa.String(length=255), nullable=True))
    op.create_index('ix_activities_creator_id', 'activities', ['company_id', 'creator_id', 'id'],
                    unique=False)
    op.create_index('ix_activities_owner_id_status_is_deleted_due_date_id', 'activities',
                    ['company_id', 'owner_id', 'status', 'is_deleted', 'due_date', 'id'], unique=False)
    for target in PINNED_TO:
        op.add_column('notes', sa.Column(f'pinned_to_{target}', sa.Boolean(), nullable=False,
                                         server_default=sa.text('false')))
    op.add_column('notes', sa.Column('updated_by', sa.BigInteger(), nullable=True))
    op.create_index('ix_notes_updated_by', 'notes', ['company_id', 'updated_by', 'id'], unique=False)
    op.add_column('leads', sa.Column('custom', JSON, nullable=False, server_default=sa.text("'{}'")))
    _slots('leads')

    for table, (_, deal_ref) in PARENTS.items():
        for name in ACTIVITY_COUNTERS:
            op.add_column(table, _counter(name))
        op.add_column(table, sa.Column('next_activity_id', sa.BigInteger(), nullable=True))
        op.add_column(table, sa.Column('last_activity_id', sa.BigInteger(), nullable=True))
        if deal_ref is not None:
            for name in DEAL_COUNTERS:
                op.add_column(table, _counter(name))
    op.add_column('organizations', _counter('people_count'))
    _fill()


def _fill() -> None:
    """Old rows: activities done at their last update and made by their owner, every
    company's default activity types, and every counter."""
    bind = op.get_bind()
    pg = bind.dialect.name == 'postgresql'
    no = 'false' if pg else '0'
    bind.execute(sa.text('UPDATE activities SET creator_id = owner_id'))
    bind.execute(sa.text('UPDATE notes SET updated_by = owner_id'))
    bind.execute(sa.text(f'UPDATE activities SET done_at = updated_at WHERE status = {DONE}'))
    now = sa.func.now() if pg else sa.text("strftime('%Y-%m-%d %H:%M:%f', 'now')")
    companies = [row[0] for row in bind.execute(sa.text('SELECT id FROM companies'))]
    types = sa.table('activity_types', *(sa.column(c) for c in (
        'company_id', 'uid', 'name', 'key', 'icon_key', 'color', 'order_nr', 'is_custom',
        'created_at', 'updated_at', 'is_deleted')))
    for company_id in companies:
        for order, (name, key, icon) in enumerate(DEFAULT_TYPES, start=1):
            bind.execute(types.insert().values(
                company_id=company_id, uid=_uid(), name=name, key=key, icon_key=icon, color=None,
                order_nr=order, is_custom=False, created_at=now, updated_at=now, is_deleted=False))
    live = f'is_deleted = {no}'
    for table, (ref, deal_ref) in PARENTS.items():
        def among(child: str, column: str, extra: str = '', table: str = table) -> str:
            return (f'FROM {child} c WHERE c.company_id = {table}.company_id '
                    f'AND c.{column} = {table}.id AND c.{live}{extra}')
        sets = [f'activities_count = (SELECT count(*) {among("activities", ref)})',
                f'done_activities_count = (SELECT count(*) {among("activities", ref, f" AND c.status = {DONE}")})',
                f'undone_activities_count = (SELECT count(*) {among("activities", ref, f" AND c.status <> {DONE}")})',
                f'notes_count = (SELECT count(*) {among("notes", ref)})',
                f'next_activity_id = (SELECT c.id {among("activities", ref, f" AND c.status <> {DONE}")} '
                'ORDER BY c.due_date ASC NULLS LAST, c.due_time ASC NULLS LAST, c.id ASC LIMIT 1)',
                f'last_activity_id = (SELECT c.id {among("activities", ref, f" AND c.status = {DONE}")} '
                'ORDER BY c.due_date DESC NULLS LAST, c.due_time DESC NULLS LAST, c.id DESC LIMIT 1)']
        if deal_ref is not None:
            sets += [f"open_deals_count = (SELECT count(*) {among('deals', deal_ref, ' AND c.status = ' + repr('open'))})",
                     f"closed_deals_count = (SELECT count(*) {among('deals', deal_ref, ' AND c.status IN (' + repr('won') + ', ' + repr('lost') + ')')})",
                     f"won_deals_count = (SELECT count(*) {among('deals', deal_ref, ' AND c.status = ' + repr('won'))})",
                     f"lost_deals_count = (SELECT count(*) {among('deals', deal_ref, ' AND c.status = ' + repr('lost'))})"]
        if table == 'organizations':
            sets.append(f'people_count = (SELECT count(*) {among("persons", "organization_id")})')
        bind.execute(sa.text(f'UPDATE {table} SET {", ".join(sets)}'))


def _uid() -> str:
    stamp = time.time_ns() // 1_000_000
    value = (stamp & 0xFFFF_FFFF_FFFF) << 80 | secrets.randbits(80)
    value = value & ~(0xF << 76) | 0x7 << 76
    value = value & ~(0x3 << 62) | 0x2 << 62
    return f'PY-7FFFFFFF-{str(uuid.UUID(int=value)).upper()}'


def downgrade() -> None:
    op.drop_column('organizations', 'people_count')
    for table, (_, deal_ref) in PARENTS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in (*ACTIVITY_COUNTERS, 'next_activity_id', 'last_activity_id',
                         *(DEAL_COUNTERS if deal_ref is not None else ())):
                batch_op.drop_column(name)
    for column in SLOTS:
        op.drop_index(f'ix_leads_{column}', table_name='leads')
    op.drop_index('ix_notes_updated_by', table_name='notes')
    with op.batch_alter_table('notes', schema=None) as batch_op:
        for target in PINNED_TO:
            batch_op.drop_column(f'pinned_to_{target}')
        batch_op.drop_column('updated_by')
    op.drop_index('ix_activities_owner_id_status_is_deleted_due_date_id', table_name='activities')
    op.drop_index('ix_activities_creator_id', table_name='activities')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        for column in (*SLOTS, 'custom'):
            batch_op.drop_column(column)
    with op.batch_alter_table('activities', schema=None) as batch_op:
        for column in (*(f'location_{p}' for p in ADDRESS_PARTS), 'done_at', 'busy',
                       'public_description', 'participant_ids', 'attendees', 'creator_id',
                       'conference_meeting_client', 'conference_meeting_url',
                       'conference_meeting_id'):
            batch_op.drop_column(column)
    op.drop_index('ix_activity_types_updated', table_name='activity_types')
    op.drop_index('ix_activity_types_uid', table_name='activity_types')
    op.drop_table('activity_types')
