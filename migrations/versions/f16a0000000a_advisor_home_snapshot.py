"""accreditation.reports: the advisor home's figures kept per tenant and term (issue 16)

Revision ID: f16a0000000a
Revises: f21c00000009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f16a0000000a"
down_revision = "f21c00000009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "advisor_home_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("term_key", sa.String(length=200), nullable=False),
        sa.Column("engagements", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_advisor_home_snapshot_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisor_home_snapshot")),
        sa.UniqueConstraint(
            "tenant_id", "term_key", name=op.f("uq_advisor_home_snapshot_tenant_id_term_key")
        ),
    )


def downgrade() -> None:
    op.drop_table("advisor_home_snapshot")
