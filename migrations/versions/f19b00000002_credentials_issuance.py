"""accreditation.credentials: the credentials issued to students (issue 19)

Revision ID: f19b00000002
Revises: f19a00000001
Create Date: 2026-12-05 23:55:00

- credential: one signed Open Badges 3.0 / CLR 2.0 credential of a student (its document, its
  status list entry, whether it was revoked and what replaced it); at most one valid
  credential per subject (``uq_credential_valid_subject``, partial on ``revoked_at IS NULL``).
- credential_subject: per student, the salt of their hashed email and their own DID.
- credential_batch: the background task that issues what is missing (kind "credentials").
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f19b00000002"
down_revision = "f19a00000001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=64), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("subject_key", sa.String(length=64), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=True),
        sa.Column("award_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("status_entry", sa.JSON(), nullable=False),
        sa.Column("bundled", sa.JSON(), nullable=False),
        sa.Column("evidence_choice", sa.JSON(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("issued_by", sa.String(length=255), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["award_id"], ["credit_award.id"], name=op.f("fk_credential_award_id_credit_award")
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name=op.f("fk_credential_engagement_id_engagement"),
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"],
            ["credential.id"],
            name=op.f("fk_credential_replaced_by_id_credential"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["lti_user.id"], name=op.f("fk_credential_student_id_lti_user")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_credential_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential")),
        sa.UniqueConstraint("public_id", name=op.f("uq_credential_public_id")),
        sa.UniqueConstraint("uuid", name=op.f("uq_credential_uuid")),
    )
    op.create_index(
        "uq_credential_valid_subject",
        "credential",
        ["tenant_id", "subject_key"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.create_index("ix_credential_tenant_student", "credential", ["tenant_id", "student_id"])
    op.create_index(op.f("ix_credential_student_id"), "credential", ["student_id"])
    op.create_index(op.f("ix_credential_engagement_id"), "credential", ["engagement_id"])
    op.create_index(op.f("ix_credential_award_id"), "credential", ["award_id"])
    op.create_table(
        "credential_subject",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("did", sa.String(length=2000), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"], ["lti_user.id"], name=op.f("fk_credential_subject_student_id_lti_user")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_credential_subject_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_subject")),
        sa.UniqueConstraint("student_id", name=op.f("uq_credential_subject_student_id")),
    )
    op.create_index(op.f("ix_credential_subject_tenant_id"), "credential_subject", ["tenant_id"])
    op.create_table(
        "credential_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("revoked", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_credential_batch_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_batch")),
    )
    op.create_index(
        "ix_credential_batch_tenant_status", "credential_batch", ["tenant_id", "status"]
    )


def downgrade() -> None:
    op.drop_index("ix_credential_batch_tenant_status", table_name="credential_batch")
    op.drop_table("credential_batch")
    op.drop_index(op.f("ix_credential_subject_tenant_id"), table_name="credential_subject")
    op.drop_table("credential_subject")
    for name in (
        op.f("ix_credential_award_id"),
        op.f("ix_credential_engagement_id"),
        op.f("ix_credential_student_id"),
        "ix_credential_tenant_student",
        "uq_credential_valid_subject",
    ):
        op.drop_index(name, table_name="credential")
    op.drop_table("credential")
