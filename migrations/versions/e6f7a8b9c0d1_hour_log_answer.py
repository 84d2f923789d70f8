"""internships: the student's answer to a query on an hour entry

Revision ID: e6f7a8b9c0d1
Revises: d5e6f7a8b9c0
Create Date: 2026-12-05 15:50:00

- hour_log.answer: what the student answered when they changed a queried entry; the reviewer
  sees it beside the query. Empty for every entry so far.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e6f7a8b9c0d1"
down_revision = "d5e6f7a8b9c0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("hour_log") as batch:
        batch.add_column(sa.Column("answer", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("hour_log") as batch:
        batch.drop_column("answer")
