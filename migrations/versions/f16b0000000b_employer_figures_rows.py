"""accreditation.reports: the kept employer figures as rows, one per employer (issue 16)

A page reads the rows of its employers instead of one blob of every employer. Snapshots kept
before this have no rows: they are treated as not kept and worked out again.

Revision ID: f16b0000000b
Revises: f16a0000000a
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f16b0000000b"
down_revision = "f16a0000000a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "employer_figures_row",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.JSON(), nullable=False),
        sa.Column("programs", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["employer_figures_snapshot.id"],
            name=op.f("fk_employer_figures_row_snapshot_id_employer_figures_snapshot"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_employer_figures_row_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("snapshot_id", "position", name=op.f("pk_employer_figures_row")),
    )


def downgrade() -> None:
    op.drop_table("employer_figures_row")
