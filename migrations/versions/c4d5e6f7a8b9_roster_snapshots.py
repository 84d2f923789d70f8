"""core: the course roster kept from the LMS

Revision ID: c4d5e6f7a8b9
Revises: b3c4d5e6f7a8
Create Date: 2026-12-06 09:00:00

- roster_snapshot: one course's NRPS members as last read from the LMS, with when, the last
  error and the claim of the one refresh running; pages show it instead of reading the LMS.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4d5e6f7a8b9"
down_revision = "b3c4d5e6f7a8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "roster_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("memberships_url", sa.String(length=1000), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_at", sa.DateTime(), nullable=True),
        sa.Column("refresh_started_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_roster_snapshot_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_roster_snapshot_registration_id_registration"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_roster_snapshot_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_snapshot")),
        sa.UniqueConstraint(
            "tenant_id", "course_id", name=op.f("uq_roster_snapshot_tenant_id_course_id")
        ),
    )


def downgrade():
    op.drop_table("roster_snapshot")
