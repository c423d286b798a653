"""every field the Pipeliner reference lists: accounts' contact points, comments, type,
class, parent, picture and access; contacts' postal address, title, salutation, gender,
quick account name, picture, access, sales team and watchers; opportunities' and leads'
quick fields, access, sales team and watchers, and the opportunity's foreign value,
exchange, price list and reason of close; a lead's last move

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')
ADDRESS_PARTS = ('subpremise', 'street_number', 'route', 'sublocality', 'locality',
                 'admin_area_level_1', 'admin_area_level_2', 'country', 'postal_code',
                 'formatted_address')
QUICK = [f'quick_{q}' for q in ('account_name', 'account_email', 'account_phone',
                                'contact_name', 'email', 'phone')]


def _access() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column('access_level', sa.BigInteger(), nullable=True),
            sa.Column('publish_state', sa.BigInteger(), nullable=True)]


def _people() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column('sales_team_ids', JSON, nullable=True),
            sa.Column('watcher_ids', JSON, nullable=True)]


def _quick() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column(q, sa.String(length=255), nullable=True) for q in QUICK]


COLUMNS: dict[str, list[sa.Column]] = {  # type: ignore[type-arg]
    'organizations': [
        sa.Column('emails', JSON, nullable=False, server_default=sa.text("'[]'")),
        sa.Column('phones', JSON, nullable=False, server_default=sa.text("'[]'")),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('account_type', sa.String(length=120), nullable=True),
        sa.Column('account_class', sa.BigInteger(), nullable=True),
        sa.Column('parent_organization_id', sa.BigInteger(), nullable=True),
        sa.Column('parent_relation_type', sa.String(length=120), nullable=True),
        sa.Column('parent_ref', sa.String(length=120), nullable=True),
        sa.Column('picture', sa.Text(), nullable=True),
        *_access()],
    'persons': [
        sa.Column('postal_address', sa.String(length=1024), nullable=True),
        *(sa.Column(f'postal_address_{p}', sa.String(length=255), nullable=True)
          for p in ADDRESS_PARTS),
        sa.Column('honorific', sa.String(length=120), nullable=True),
        sa.Column('salutation', sa.String(length=120), nullable=True),
        sa.Column('gender', sa.BigInteger(), nullable=True),
        sa.Column('quick_account_name', sa.String(length=255), nullable=True),
        sa.Column('picture', sa.Text(), nullable=True),
        *_access(), *_people()],
    'deals': [
        sa.Column('value_foreign', sa.Float(), nullable=True),
        sa.Column('value_auto_calculate', sa.Boolean(), nullable=True),
        sa.Column('currency_exchange_fixed', sa.Boolean(), nullable=True),
        sa.Column('price_list_ref', sa.String(length=120), nullable=True),
        sa.Column('reason_of_close_ref', sa.String(length=120), nullable=True),
        *_quick(), *_access(), *_people()],
    'leads': [
        sa.Column('last_move_at', sa.DateTime(), nullable=True),
        *_quick(), *_access(), *_people()],
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        for column in columns:
            op.add_column(table, column)
    op.create_index('ix_organizations_parent_organization_id', 'organizations',
                    ['company_id', 'parent_organization_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_organizations_parent_organization_id', table_name='organizations')
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_column(column.name)
