"""core: the people the advisor claim rule made advisors, kept beyond their launches

Revision ID: a8b9c0d1e2f3
Revises: f7a8b9c0d1e2
Create Date: 2026-12-05 18:20:00

- advisor_claim_seen: one row per person the tenant's advisor claim rule made a career advisor,
  with the claim and their latest such launch (launch rows last hours; this lists them all).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a8b9c0d1e2f3"
down_revision = "f7a8b9c0d1e2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "advisor_claim_seen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("claim_name", sa.String(length=255), nullable=False),
        sa.Column("claim_value", sa.String(length=255), nullable=False),
        sa.Column("last_launch_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_advisor_claim_seen_tenant_id_tenant")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["lti_user.id"],
            name=op.f("fk_advisor_claim_seen_user_id_lti_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisor_claim_seen")),
        sa.UniqueConstraint(
            "tenant_id", "user_id", name=op.f("uq_advisor_claim_seen_tenant_id_user_id")
        ),
    )


def downgrade():
    op.drop_table("advisor_claim_seen")
