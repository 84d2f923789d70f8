"""internships.workspace.plan: onboarding checklists, milestones, calendar feeds

Revision ID: f20b00000005
Revises: f20a00000004
Create Date: 2026-12-05 23:50:00

- workspace_checklist_template: the tenant's default onboarding checklist (listing_id NULL,
  one per tenant: a partial unique index) and each listing's own.
- workspace_checklist_item: an engagement's checklist, copied from a template when first
  written; who ticked each item and when; ``kickoff`` marks the kick-off call.
- workspace_milestone: the agreed milestones of an engagement (the deliverable that answers one
  marks it done).
- workspace_milestone_change: every proposed change to the milestones, who proposed and who
  agreed, before and after.
- workspace_calendar_feed: the SHA-256 of each student's private calendar address token.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f20b00000005"
down_revision = "f20a00000004"
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
    _checklists()
    _milestones()
    op.create_table(
        "workspace_calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["lti_user.id"],
            name="fk_workspace_calendar_feed_student_id_lti_user",
            ondelete="CASCADE",
        ),
        _tenant("workspace_calendar_feed"),
        sa.PrimaryKeyConstraint("id", name="pk_workspace_calendar_feed"),
        sa.UniqueConstraint("token_hash", name="uq_workspace_calendar_feed_token_hash"),
    )
    op.create_index(
        "ix_workspace_calendar_feed_student_id", "workspace_calendar_feed", ["student_id"]
    )


def _checklists() -> None:
    op.create_table(
        "workspace_checklist_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listing.id"],
            name="fk_workspace_checklist_template_listing_id_listing",
            ondelete="CASCADE",
        ),
        _tenant("workspace_checklist_template"),
        sa.PrimaryKeyConstraint("id", name="pk_workspace_checklist_template"),
        sa.UniqueConstraint("listing_id", name="uq_workspace_checklist_template_listing_id"),
    )
    op.create_index(
        "uq_workspace_checklist_template_default",
        "workspace_checklist_template",
        ["tenant_id"],
        unique=True,
        sqlite_where=sa.text("listing_id IS NULL"),
        postgresql_where=sa.text("listing_id IS NULL"),
    )
    op.create_table(
        "workspace_checklist_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kickoff", sa.Boolean(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by", sa.String(length=255), nullable=True),
        sa.Column("done_role", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _engagement("workspace_checklist_item"),
        _tenant("workspace_checklist_item"),
        sa.PrimaryKeyConstraint("id", name="pk_workspace_checklist_item"),
        sa.UniqueConstraint(
            "engagement_id", "position", name="uq_workspace_checklist_item_engagement_id_position"
        ),
    )


def _milestones() -> None:
    op.create_table(
        "workspace_milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("deliverable_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deliverable_id"],
            ["deliverable.id"],
            name="fk_workspace_milestone_deliverable_id_deliverable",
            ondelete="SET NULL",
        ),
        _engagement("workspace_milestone"),
        _tenant("workspace_milestone"),
        sa.PrimaryKeyConstraint("id", name="pk_workspace_milestone"),
    )
    op.create_index("ix_workspace_milestone_due", "workspace_milestone", ["tenant_id", "due_date"])
    op.create_index(
        "ix_workspace_milestone_engagement_id", "workspace_milestone", ["engagement_id"]
    )
    op.create_table(
        "workspace_milestone_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.String(length=255), nullable=False),
        sa.Column("proposed_role", sa.String(length=16), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("student_agreed_by", sa.String(length=255), nullable=True),
        sa.Column("student_agreed_at", sa.DateTime(), nullable=True),
        sa.Column("supervisor_agreed_by", sa.String(length=255), nullable=True),
        sa.Column("supervisor_agreed_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        _engagement("workspace_milestone_change"),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["workspace_milestone.id"],
            name="fk_workspace_milestone_change_milestone_id_workspace_milestone",
            ondelete="SET NULL",
        ),
        _tenant("workspace_milestone_change"),
        sa.PrimaryKeyConstraint("id", name="pk_workspace_milestone_change"),
    )
    op.create_index(
        "ix_workspace_milestone_change_engagement_id",
        "workspace_milestone_change",
        ["engagement_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_workspace_milestone_change_engagement_id", "workspace_milestone_change")
    op.drop_table("workspace_milestone_change")
    op.drop_index("ix_workspace_milestone_engagement_id", "workspace_milestone")
    op.drop_index("ix_workspace_milestone_due", "workspace_milestone")
    op.drop_table("workspace_milestone")
    op.drop_table("workspace_checklist_item")
    op.drop_index("uq_workspace_checklist_template_default", "workspace_checklist_template")
    op.drop_table("workspace_checklist_template")
    op.drop_index("ix_workspace_calendar_feed_student_id", "workspace_calendar_feed")
    op.drop_table("workspace_calendar_feed")
