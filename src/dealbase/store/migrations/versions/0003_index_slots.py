"""index slots for custom fields (cf_num_1..8, cf_text_1..8 with per-company partial indexes), custom_fields.slot, the deal board index

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLES = {'deals': 'deal', 'persons': 'person', 'organizations': 'organization'}
SLOTS = 8
SLOTTED = {
    'double': 'num', 'monetary': 'num', 'enum': 'num', 'user': 'num', 'org': 'num',
    'people': 'num', 'varchar': 'text', 'varchar_auto': 'text', 'phone': 'text',
    'date': 'text', 'daterange': 'text', 'time': 'text', 'timerange': 'text', 'address': 'text',
}


def _columns() -> list[str]:
    return [f'cf_{kind}_{n}' for kind in ('num', 'text') for n in range(1, SLOTS + 1)]


def upgrade() -> None:
    with op.batch_alter_table('custom_fields', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slot', sa.Integer(), nullable=True))
    for table in TABLES:
        for column in _columns():
            op.add_column(table, sa.Column(column, sa.Float() if column.startswith('cf_num') else sa.String(length=255), nullable=True))
        for column in _columns():
            present = sa.column(column).is_not(None)
            op.create_index(f'ix_{table}_{column}', table, ['company_id', column, 'id'], unique=False,
                            sqlite_where=present, postgresql_where=present)
    op.create_index('ix_deals_stage_id_status_is_deleted_updated_at_id', 'deals',
                    ['company_id', 'stage_id', 'status', 'is_deleted', 'updated_at', 'id'], unique=False)
    _backfill()


def _backfill() -> None:
    """Give the existing fields their slots, in the order they were made, and fill them."""
    bind = op.get_bind()
    fields = bind.execute(sa.text(
        'SELECT id, company_id, entity, key, field_type FROM custom_fields '
        'WHERE is_deleted = :no ORDER BY company_id, entity, id'), {'no': False}).all()
    taken: dict[tuple[int, str, str], int] = {}
    for field_id, company_id, entity, key, field_type in fields:
        kind = SLOTTED.get(field_type)
        table = next((t for t, e in TABLES.items() if e == entity), None)
        if kind is None or table is None:
            continue
        number = taken.get((company_id, entity, kind), 0) + 1
        if number > SLOTS:
            continue
        taken[(company_id, entity, kind)] = number
        column = f'cf_{kind}_{number}'
        bind.execute(sa.text('UPDATE custom_fields SET slot = :n WHERE id = :id'),
                     {'n': number, 'id': field_id})
        if bind.dialect.name == 'postgresql':
            value = f"(custom ->> '{key}')"
            if kind == 'num':
                value = f'CAST({value} AS DOUBLE PRECISION)'
        else:
            value = f"json_extract(custom, '$.\"{key}\"')"
        bind.execute(sa.text(f'UPDATE {table} SET {column} = {value} WHERE company_id = :c'),
                     {'c': company_id})


def downgrade() -> None:
    op.drop_index('ix_deals_stage_id_status_is_deleted_updated_at_id', table_name='deals')
    for table in TABLES:
        for column in _columns():
            op.drop_index(f'ix_{table}_{column}', table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in _columns():
                batch_op.drop_column(column)
    with op.batch_alter_table('custom_fields', schema=None) as batch_op:
        batch_op.drop_column('slot')
