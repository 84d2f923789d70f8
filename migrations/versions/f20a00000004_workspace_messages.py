"""internships.workspace.messages: each engagement's conversation

Revision ID: f20a00000004
Revises: f19c00000003
Create Date: 2026-12-05 23:55:00

- workspace_message: a message of an engagement's conversation (author kind student,
  supervisor, faculty or advisor; the launched author's user id, NULL for the supervisor; the
  name shown; plain text up to 5,000 characters; an optional attachment stored as
  deliverables are; the address the author used, for the supervisor's reply link).
- workspace_message_read: how far each reader has read (``user:<id>`` or
  ``supervisor:<email>``).
- workspace_message_participant: faculty members and advisors who joined a conversation (a
  faculty member through their course).
- workspace_message_email_batch: per recipient and engagement, the messages already emailed
  and when the last batch went (at most one email an hour, none twice).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f20a00000004"
down_revision = "f19c00000003"
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


def _user(table: str, column: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["lti_user.id"], name=f"fk_{table}_{column}_lti_user", ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "workspace_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("author_kind", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("file_path", sa.String(length=255), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _tenant("workspace_message"),
        _engagement("workspace_message"),
        _user("workspace_message", "author_id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_workspace_message"),
    )
    op.create_index(
        "ix_workspace_message_engagement",
        "workspace_message",
        ["tenant_id", "engagement_id", "id"],
    )
    op.create_index("ix_workspace_message_author_id", "workspace_message", ["author_id"])
    op.create_index("ix_workspace_message_created_at", "workspace_message", ["created_at"])
    op.create_table(
        "workspace_message_read",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("reader", sa.String(length=340), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("last_read_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        _tenant("workspace_message_read"),
        _engagement("workspace_message_read"),
        _user("workspace_message_read", "user_id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_workspace_message_read"),
        sa.UniqueConstraint(
            "engagement_id", "reader", name="uq_workspace_message_read_engagement_id_reader"
        ),
    )
    op.create_index("ix_workspace_message_read_user_id", "workspace_message_read", ["user_id"])
    _participants_and_batches()


def _participants_and_batches() -> None:
    op.create_table(
        "workspace_message_participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("joined_via", sa.String(length=16), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        _tenant("workspace_message_participant"),
        _engagement("workspace_message_participant"),
        _user("workspace_message_participant", "user_id", "CASCADE"),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name="fk_workspace_message_participant_course_id_course",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_workspace_message_participant"),
        sa.UniqueConstraint(
            "engagement_id",
            "user_id",
            name="uq_workspace_message_participant_engagement_id_user_id",
        ),
    )
    op.create_index(
        "ix_workspace_message_participant_user_id", "workspace_message_participant", ["user_id"]
    )
    op.create_table(
        "workspace_message_email_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=340), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("through_id", sa.Integer(), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("email_message_id", sa.Integer(), nullable=True),
        _tenant("workspace_message_email_batch"),
        _engagement("workspace_message_email_batch"),
        _user("workspace_message_email_batch", "user_id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_workspace_message_email_batch"),
        sa.UniqueConstraint(
            "engagement_id",
            "recipient",
            name="uq_workspace_message_email_batch_engagement_id_recipient",
        ),
    )
    op.create_index(
        "ix_workspace_message_email_batch_user_id", "workspace_message_email_batch", ["user_id"]
    )


def downgrade() -> None:
    op.drop_table("workspace_message_email_batch")
    op.drop_table("workspace_message_participant")
    op.drop_table("workspace_message_read")
    op.drop_table("workspace_message")
