"""lti_tool: a version of each tenant's framing origins, so pages cache them

Revision ID: c0d1e2f3a4b5
Revises: b9c0d1e2f3a4
Create Date: 2026-12-05 21:10:00

- tenant.origins_version: raised in the transaction of every change to what a tenant's
  Content-Security-Policy origins come from (its registrations, their Canvas connections, its
  settings; ``lti_tool.csp``). Every page reads the tenant row with its launch already, so a
  process keeps the origins computed for a version and reads them again only when the version
  moved: one statement less on every page, and no page ever uses origins older than the
  tenant row it read.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c0d1e2f3a4b5"
down_revision = "b9c0d1e2f3a4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN on both engines: batch mode would copy the tenant table on SQLite,
    # which every other table references
    op.add_column(
        "tenant", sa.Column("origins_version", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # SQLite 3.35+ drops a column in place
        op.execute("ALTER TABLE tenant DROP COLUMN origins_version")
    else:
        op.drop_column("tenant", "origins_version")
