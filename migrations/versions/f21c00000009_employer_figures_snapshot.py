"""accreditation.reports: the employer figures kept per tenant and term (issue 21)

Revision ID: f21c00000009
Revises: f21b00000008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f21c00000009"
down_revision = "f21b00000008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "employer_figures_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("term_key", sa.String(length=200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_employer_figures_snapshot_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employer_figures_snapshot")),
        sa.UniqueConstraint(
            "tenant_id", "term_key", name=op.f("uq_employer_figures_snapshot_tenant_id_term_key")
        ),
    )


def downgrade() -> None:
    op.drop_table("employer_figures_snapshot")
