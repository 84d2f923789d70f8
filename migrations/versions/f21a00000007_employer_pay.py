"""internships.employers.pay: engagement pay terms, payment records, overdue payments

Revision ID: f21a00000007
Revises: f20c00000006
Create Date: 2026-12-05 23:58:00

- engagement_pay: a paid engagement's pay terms (fixed fee or hourly rate, currency, when
  payment is due), copied from its listing the first time anyone acts on its pay;
- employer_payment: a payment the employer marked made, the student's confirmation or dispute
  and an advisor's resolution;
- pay_overdue: a due date an employer missed, noticed once, cleared by an advisor.
Every row names its student (export and erasure find it).
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f21a00000007"
down_revision = "f20c00000006"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, **kw: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), **kw
    )


def _row(table: str) -> list[Any]:
    """The columns and keys every table of this area starts with."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        _fk(table, "tenant_id", "tenant"),
        _fk(table, "engagement_id", "engagement", ondelete="CASCADE"),
        _fk(table, "student_id", "lti_user"),
        _fk(table, "employer_id", "employer"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "engagement_pay",
        *_row("engagement_pay"),
        sa.Column("compensation_type", sa.String(length=16), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("due_rule", sa.String(length=16), nullable=False),
        sa.Column("schedule_days", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("engagement_id", name=op.f("uq_engagement_pay_engagement_id")),
    )
    op.create_index(
        op.f("ix_engagement_pay_student_id"), "engagement_pay", ["student_id"], unique=False
    )
    op.create_index(
        op.f("ix_engagement_pay_employer_id"), "engagement_pay", ["employer_id"], unique=False
    )
    op.create_table(
        "employer_payment",
        *_row("employer_payment"),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("marked_by", sa.String(length=255), nullable=False),
        sa.Column("marked_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("dispute_note", sa.Text(), nullable=False),
        sa.Column("disputed_at", sa.DateTime(), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=False),
        sa.Column("resolved_by", sa.String(length=255), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
    )
    op.create_index(
        "ix_employer_payment_engagement",
        "employer_payment",
        ["tenant_id", "engagement_id", "state"],
        unique=False,
    )
    op.create_index(
        "ix_employer_payment_disputes", "employer_payment", ["tenant_id", "state", "id"]
    )
    op.create_index(
        op.f("ix_employer_payment_student_id"), "employer_payment", ["student_id"], unique=False
    )
    op.create_index(
        op.f("ix_employer_payment_employer_id"), "employer_payment", ["employer_id"], unique=False
    )
    op.create_table(
        "pay_overdue",
        *_row("pay_overdue"),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("noticed_at", sa.DateTime(), nullable=False),
        sa.Column("cleared_at", sa.DateTime(), nullable=True),
        sa.Column("cleared_by", sa.String(length=255), nullable=True),
        sa.Column("clear_note", sa.Text(), nullable=False),
        sa.UniqueConstraint(
            "engagement_id", "due_on", name=op.f("uq_pay_overdue_engagement_id_due_on")
        ),
    )
    op.create_index(
        "ix_pay_overdue_open", "pay_overdue", ["tenant_id", "cleared_at", "due_on", "id"]
    )
    op.create_index(
        "ix_pay_overdue_employer", "pay_overdue", ["tenant_id", "employer_id", "cleared_at"]
    )
    op.create_index(op.f("ix_pay_overdue_student_id"), "pay_overdue", ["student_id"], unique=False)


def downgrade() -> None:
    op.drop_table("pay_overdue")
    op.drop_table("employer_payment")
    op.drop_table("engagement_pay")
