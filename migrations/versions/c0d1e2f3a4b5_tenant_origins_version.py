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
    with op.batch_alter_table("tenant") as batch:
        batch.add_column(
            sa.Column("origins_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("tenant") as batch:
        batch.drop_column("origins_version")
