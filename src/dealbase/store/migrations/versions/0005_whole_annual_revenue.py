"""organizations.annual_revenue holds whole currency units (Pipedrive's API types it an integer)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _retype(sql_type: str, value: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE organizations ALTER COLUMN annual_revenue TYPE {sql_type} "
                   f"USING {value}")
        return
    # SQLite keeps a column's declared type: a new column takes the values, then the name.
    op.execute(f"ALTER TABLE organizations ADD COLUMN annual_revenue_new {sql_type}")
    op.execute(f"UPDATE organizations SET annual_revenue_new = {value}")
    op.execute("ALTER TABLE organizations DROP COLUMN annual_revenue")
    op.execute("ALTER TABLE organizations RENAME COLUMN annual_revenue_new TO annual_revenue")


def upgrade() -> None:
    _retype("BIGINT", "CAST(round(annual_revenue) AS BIGINT)")


def downgrade() -> None:
    _retype("FLOAT", "CAST(annual_revenue AS FLOAT)")
