"""privacy: the student an email is about

Revision ID: f0e1d2c3b4a5
Revises: e4f5a6b7c8d9
Create Date: 2026-12-05 08:00:00

- email_message.subject_user_id: the student a message is about, whoever it went to (a
  supervisor's link to evaluate them), so that their export lists it and their erasure
  deletes it. Existing messages keep matching by their recipient's address.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f0e1d2c3b4a5"
down_revision = "e4f5a6b7c8d9"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("email_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_user_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_email_message_subject_user_id"), ["subject_user_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_email_message_subject_user_id_lti_user"),
            "lti_user",
            ["subject_user_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("email_message", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_email_message_subject_user_id_lti_user"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_email_message_subject_user_id"))
        batch_op.drop_column("subject_user_id")
