"""core: flashed messages kept with their launch

Revision ID: b3c4d5e6f7a8
Revises: 75dc48e986d1
Create Date: 2026-12-05 07:10:00

- launch_message: a confirmation or refusal waiting for the next page of a launch, kept on the
  server so that it survives an LMS iframe that blocks the tool's cookie. Deleted when shown,
  and with its launch (ON DELETE CASCADE).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b3c4d5e6f7a8"
down_revision = "75dc48e986d1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "launch_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("launch_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["launch_id"],
            ["launch.id"],
            name=op.f("fk_launch_message_launch_id_launch"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_launch_message_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_launch_message")),
    )
    with op.batch_alter_table("launch_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_launch_message_launch_id"), ["launch_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("launch_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_launch_message_launch_id"))
    op.drop_table("launch_message")
