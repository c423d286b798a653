"""products as Pipedrive has them (tax, selectable, visibility, billing, prices per currency, custom fields), product variations, deal products, a deal's products counter

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')
SLOTS = [f'cf_{kind}_{n}' for kind in ('num', 'text') for n in range(1, 9)]


def _identity() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column('id', ID, autoincrement=True, nullable=False),
            sa.Column('company_id', sa.BigInteger(), nullable=False),
            sa.Column('uid', sa.String(length=120), nullable=False)]


def _lifecycle() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('updated_at', sa.DateTime(), nullable=False),
            sa.Column('is_deleted', sa.Boolean(), nullable=False)]


def _indexes(table: str, refs: tuple[str, ...]) -> None:
    op.create_index(f'ix_{table}_uid', table, ['company_id', 'uid'], unique=True)
    op.create_index(f'ix_{table}_updated', table, ['company_id', 'updated_at', 'id'], unique=False)
    for ref in refs:
        op.create_index(f'ix_{table}_{ref}', table, ['company_id', ref, 'id'], unique=False)


def upgrade() -> None:
    op.add_column('products', sa.Column('tax', sa.Float(), nullable=False, server_default=sa.text('0')))
    op.add_column('products', sa.Column('is_linkable', sa.Boolean(), nullable=False,
                                        server_default=sa.text('true')))
    op.add_column('products', sa.Column('visible_to', sa.BigInteger(), nullable=False,
                                        server_default=sa.text('3')))
    op.add_column('products', sa.Column('billing_frequency', sa.String(length=16), nullable=False,
                                        server_default=sa.text("'one-time'")))
    op.add_column('products', sa.Column('billing_frequency_cycles', sa.BigInteger(), nullable=True))
    op.add_column('products', sa.Column('prices', JSON, nullable=False, server_default=sa.text("'[]'")))
    op.add_column('products', sa.Column('custom', JSON, nullable=False, server_default=sa.text("'{}'")))
    for column in SLOTS:
        op.add_column('products', sa.Column(column, sa.Float() if column.startswith('cf_num')
                                            else sa.String(length=255), nullable=True))
    for column in SLOTS:
        present = sa.column(column).is_not(None)
        op.create_index(f'ix_products_{column}', 'products', ['company_id', column, 'id'],
                        unique=False, sqlite_where=present, postgresql_where=present)

    op.create_table('product_variations', *_identity(),
        sa.Column('product_id', sa.BigInteger(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('prices', JSON, nullable=False),
        *_lifecycle(),
        sa.PrimaryKeyConstraint('id'))
    _indexes('product_variations', ('product_id',))

    op.create_table('deal_products', *_identity(),
        sa.Column('deal_id', sa.BigInteger(), nullable=False),
        sa.Column('product_id', sa.BigInteger(), nullable=False),
        sa.Column('product_variation_id', sa.BigInteger(), nullable=True),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('item_price', sa.Float(), nullable=False),
        sa.Column('quantity', sa.Float(), nullable=False),
        sa.Column('discount', sa.Float(), nullable=False),
        sa.Column('discount_type', sa.String(length=16), nullable=False),
        sa.Column('tax', sa.Float(), nullable=False),
        sa.Column('tax_method', sa.String(length=16), nullable=False),
        sa.Column('sum', sa.Float(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=True),
        sa.Column('comments', sa.Text(), nullable=True),
        sa.Column('is_enabled', sa.Boolean(), nullable=False),
        sa.Column('order_nr', sa.BigInteger(), nullable=True),
        sa.Column('billing_frequency', sa.String(length=16), nullable=False),
        sa.Column('billing_frequency_cycles', sa.BigInteger(), nullable=True),
        sa.Column('billing_start_date', sa.Date(), nullable=True),
        sa.Column('owner_id', sa.BigInteger(), nullable=False),
        *_lifecycle(),
        sa.PrimaryKeyConstraint('id'))
    _indexes('deal_products', ('deal_id', 'product_id', 'product_variation_id', 'owner_id'))

    op.add_column('deals', sa.Column('products_count', sa.BigInteger(), nullable=False,
                                     server_default=sa.text('0')))


def downgrade() -> None:
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_column('products_count')
    for table, refs in (('deal_products', ('deal_id', 'product_id', 'product_variation_id',
                                           'owner_id')),
                        ('product_variations', ('product_id',))):
        for ref in refs:
            op.drop_index(f'ix_{table}_{ref}', table_name=table)
        op.drop_index(f'ix_{table}_updated', table_name=table)
        op.drop_index(f'ix_{table}_uid', table_name=table)
        op.drop_table(table)
    for column in SLOTS:
        op.drop_index(f'ix_products_{column}', table_name='products')
    with op.batch_alter_table('products', schema=None) as batch_op:
        for column in ('tax', 'is_linkable', 'visible_to', 'billing_frequency',
                       'billing_frequency_cycles', 'prices', 'custom', *SLOTS):
            batch_op.drop_column(column)
