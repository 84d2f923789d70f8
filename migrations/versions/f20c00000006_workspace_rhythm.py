"""internships.workspace.rhythm: weekly check-ins and the reminders sent

Revision ID: f20c00000006
Revises: f20b00000005
Create Date: 2026-12-05 23:55:00

- workspace_checkin: a student's check-in of one week of an engagement (done, next, blocked)
  and the supervisor's confirmation or comment; one per engagement and week.
- workspace_quiet: the active engagements on which nothing happened for the tenant's "days
  without activity", refreshed by the job runner's tick (the at-risk flag reads it).
- workspace_reminder: each reminder email sent, unique per kind, subject, recipient and
  period, so a reminder goes out once however often the tick runs.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f20c00000006"
down_revision = "f20b00000005"
branch_labels = None
depends_on = None


def _tenant(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenant.id"], name=f"fk_{table}_tenant_id_tenant"
    )


def _engagement(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["engagement_id"],
        ["engagement.id"],
        name=f"fk_{table}_engagement_id_engagement",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "workspace_checkin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("done", sa.Text(), nullable=False),
        sa.Column("next", sa.Text(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("blocker", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=255), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        _engagement("workspace_checkin"),
        sa.ForeignKeyConstraint(
            ["student_id"], ["lti_user.id"], name="fk_workspace_checkin_student_id_lti_user"
        ),
        _tenant("workspace_checkin"),
        sa.PrimaryKeyConstraint("id", name="pk_workspace_checkin"),
        sa.UniqueConstraint(
            "engagement_id", "week_start", name="uq_workspace_checkin_engagement_id_week_start"
        ),
    )
    op.create_index(
        "ix_workspace_checkin_activity", "workspace_checkin", ["engagement_id", "updated_at"]
    )
    op.create_index("ix_workspace_checkin_student_id", "workspace_checkin", ["student_id"])
    op.create_table(
        "workspace_quiet",
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        _engagement("workspace_quiet"),
        _tenant("workspace_quiet"),
        sa.PrimaryKeyConstraint("engagement_id", name="pk_workspace_quiet"),
    )
    op.create_index("ix_workspace_quiet_tenant_id", "workspace_quiet", ["tenant_id"])
    op.create_table(
        "workspace_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        _engagement("workspace_reminder"),
        _tenant("workspace_reminder"),
        sa.PrimaryKeyConstraint("id", name="pk_workspace_reminder"),
        sa.UniqueConstraint(
            "tenant_id",
            "kind",
            "subject_id",
            "recipient",
            "period",
            name="uq_workspace_reminder_once",
        ),
    )
    op.create_index("ix_workspace_reminder_engagement_id", "workspace_reminder", ["engagement_id"])


def downgrade() -> None:
    op.drop_index("ix_workspace_reminder_engagement_id", table_name="workspace_reminder")
    op.drop_table("workspace_reminder")
    op.drop_index("ix_workspace_quiet_tenant_id", table_name="workspace_quiet")
    op.drop_table("workspace_quiet")
    op.drop_index("ix_workspace_checkin_student_id", table_name="workspace_checkin")
    op.drop_index("ix_workspace_checkin_activity", table_name="workspace_checkin")
    op.drop_table("workspace_checkin")
