"""internships: what an instructor's request for changes reopens

Revision ID: f7a8b9c0d1e2
Revises: e6f7a8b9c0d1
Create Date: 2026-12-05 18:00:00

- engagement_reopening: the reflection, a deliverable or the hours of an engagement that a
  request for changes (credit_decision) reopened, until the student answers it.
- deliverable.revises_id: the deliverable a revised one replaces.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f7a8b9c0d1e2"
down_revision = "e6f7a8b9c0d1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("deliverable") as batch:
        batch.add_column(sa.Column("revises_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_deliverable_revises_id_deliverable"),
            "deliverable",
            ["revises_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "engagement_reopening",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("deliverable_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["deliverable_id"],
            ["deliverable.id"],
            name=op.f("fk_engagement_reopening_deliverable_id_deliverable"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["engagement.id"],
            name=op.f("fk_engagement_reopening_engagement_id_engagement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_engagement_reopening_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_reopening")),
    )
    op.create_index(
        "ix_engagement_reopening_open",
        "engagement_reopening",
        ["tenant_id", "engagement_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_engagement_reopening_request_id"),
        "engagement_reopening",
        ["request_id"],
        unique=False,
    )


def downgrade():
    op.drop_index(op.f("ix_engagement_reopening_request_id"), table_name="engagement_reopening")
    op.drop_index("ix_engagement_reopening_open", table_name="engagement_reopening")
    op.drop_table("engagement_reopening")
    with op.batch_alter_table("deliverable") as batch:
        batch.drop_constraint(op.f("fk_deliverable_revises_id_deliverable"), type_="foreignkey")
        batch.drop_column("revises_id")
