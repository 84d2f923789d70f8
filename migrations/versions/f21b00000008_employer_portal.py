"""internships.employers.portal: employer contacts, their signed links, offers

Revision ID: f21b00000008
Revises: f21a00000007
Create Date: 2026-12-05 23:55:00

- employer_contact: the people at an employer the career center sends the employer's own page;
- employer_link: each signed link issued to a contact (jti, expiry, revocation);
- engagement_offer: the supervisor's answer after the final evaluation and the offer the
  student confirms or declines (the student's row: export and erasure find it).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f21b00000008"
down_revision = "f21a00000007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "employer_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("added_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employer.id"], name=op.f("fk_employer_contact_employer_id_employer")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_employer_contact_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employer_contact")),
        sa.UniqueConstraint(
            "employer_id", "email", name=op.f("uq_employer_contact_employer_id_email")
        ),
    )
    op.create_index(
        op.f("ix_employer_contact_tenant_id"), "employer_contact", ["tenant_id"], unique=False
    )
    op.create_table(
        "employer_link",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("issued_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["employer_contact.id"],
            name=op.f("fk_employer_link_contact_id_employer_contact"),
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employer.id"], name=op.f("fk_employer_link_employer_id_employer")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_employer_link_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_employer_link")),
    )
    op.create_index(
        "ix_employer_link_contact", "employer_link", ["tenant_id", "contact_id"], unique=False
    )
    op.create_table(
        "engagement_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("would_hire", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answered_by", sa.String(length=255), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.Column("offered_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employer.id"], name=op.f("fk_engagement_offer_employer_id_employer")
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name=op.f("fk_engagement_offer_engagement_id_engagement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["lti_user.id"], name=op.f("fk_engagement_offer_student_id_lti_user")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_engagement_offer_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_offer")),
        sa.UniqueConstraint("engagement_id", name=op.f("uq_engagement_offer_engagement_id")),
    )
    op.create_index(
        "ix_engagement_offer_employer",
        "engagement_offer",
        ["tenant_id", "employer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_engagement_offer_student_id"), "engagement_offer", ["student_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_engagement_offer_student_id"), table_name="engagement_offer")
    op.drop_index("ix_engagement_offer_employer", table_name="engagement_offer")
    op.drop_table("engagement_offer")
    op.drop_index("ix_employer_link_contact", table_name="employer_link")
    op.drop_table("employer_link")
    op.drop_index(op.f("ix_employer_contact_tenant_id"), table_name="employer_contact")
    op.drop_table("employer_contact")
