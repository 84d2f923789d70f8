"""core: the framing origins a registration's platform revealed

Revision ID: 75dc48e986d1
Revises: f0e1d2c3b4a5
Create Date: 2026-12-05 06:40:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "75dc48e986d1"
down_revision = "f0e1d2c3b4a5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("frame_origins", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.alter_column("frame_origins", server_default=None)


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("frame_origins")
