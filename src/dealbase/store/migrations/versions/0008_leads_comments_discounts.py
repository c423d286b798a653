"""leads as Pipedrive has them (labels, source, origin, channel, seen), lead labels, lead/deal
conversions, note comments, deal discounts

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')
LEAD_COLUMNS = ('creator_id', 'visible_to', 'label_ids', 'source_name', 'origin', 'origin_id', 'channel', 'channel_id',
                'was_seen')
TABLES = {  # table -> its reference columns (each indexed)
    'lead_labels': (),
    'conversions': ('lead_id', 'deal_id', 'owner_id'),
    'note_comments': ('note_id', 'owner_id', 'updated_by'),
    'deal_discounts': ('deal_id', 'owner_id', 'updated_by'),
}


def _identity() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column('id', ID, autoincrement=True, nullable=False),
            sa.Column('company_id', sa.BigInteger(), nullable=False),
            sa.Column('uid', sa.String(length=120), nullable=False)]


def _lifecycle() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('updated_at', sa.DateTime(), nullable=False),
            sa.Column('is_deleted', sa.Boolean(), nullable=False)]


def upgrade() -> None:
    op.add_column('leads', sa.Column('creator_id', sa.BigInteger(), nullable=True))
    op.add_column('leads', sa.Column('visible_to', sa.BigInteger(), nullable=False,
                                     server_default=sa.text('3')))
    op.add_column('leads', sa.Column('label_ids', JSON, nullable=True))
    op.add_column('leads', sa.Column('source_name', sa.String(length=64), nullable=False,
                                     server_default=sa.text("'API'")))
    op.add_column('leads', sa.Column('origin', sa.String(length=64), nullable=False,
                                     server_default=sa.text("'API'")))
    op.add_column('leads', sa.Column('origin_id', sa.String(length=255), nullable=True))
    op.add_column('leads', sa.Column('channel', sa.BigInteger(), nullable=True))
    op.add_column('leads', sa.Column('channel_id', sa.String(length=255), nullable=True))
    op.add_column('leads', sa.Column('was_seen', sa.Boolean(), nullable=False,
                                     server_default=sa.text('false')))

    op.create_table('lead_labels', *_identity(),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('color', sa.Text(), nullable=False),
        *_lifecycle(),
        sa.PrimaryKeyConstraint('id'))
    op.create_table('conversions', *_identity(),
        sa.Column('direction', sa.Text(), nullable=False),
        sa.Column('lead_id', sa.BigInteger(), nullable=False),
        sa.Column('deal_id', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('owner_id', sa.BigInteger(), nullable=False),
        *_lifecycle(),
        sa.PrimaryKeyConstraint('id'))
    op.create_table('note_comments', *_identity(),
        sa.Column('note_id', sa.BigInteger(), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('owner_id', sa.BigInteger(), nullable=False),
        sa.Column('updated_by', sa.BigInteger(), nullable=True),
        *_lifecycle(),
        sa.PrimaryKeyConstraint('id'))
    op.create_table('deal_discounts', *_identity(),
        sa.Column('deal_id', sa.BigInteger(), nullable=False),
        sa.Column('description', sa.String(length=255), nullable=False),
        sa.Column('amount', sa.Float(), nullable=False),
        sa.Column('type', sa.String(length=16), nullable=False),
        sa.Column('owner_id', sa.BigInteger(), nullable=False),
        sa.Column('updated_by', sa.BigInteger(), nullable=True),
        *_lifecycle(),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_leads_creator_id', 'leads', ['company_id', 'creator_id', 'id'],
                    unique=False)
    for table, refs in TABLES.items():
        op.create_index(f'ix_{table}_uid', table, ['company_id', 'uid'], unique=True)
        op.create_index(f'ix_{table}_updated', table, ['company_id', 'updated_at', 'id'],
                        unique=False)
        for ref in refs:
            op.create_index(f'ix_{table}_{ref}', table, ['company_id', ref, 'id'], unique=False)


def downgrade() -> None:
    for table, refs in TABLES.items():
        for ref in refs:
            op.drop_index(f'ix_{table}_{ref}', table_name=table)
        op.drop_index(f'ix_{table}_updated', table_name=table)
        op.drop_index(f'ix_{table}_uid', table_name=table)
        op.drop_table(table)
    op.drop_index('ix_leads_creator_id', table_name='leads')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        for column in LEAD_COLUMNS:
            batch_op.drop_column(column)
