"""security: supervisor links bound to what they were issued for, revoked launches, new deployments

Revision ID: e4f5a6b7c8d9
Revises: d0e1f2a3b4c5
Create Date: 2026-12-05 07:00:00

- engagement.link_nonce: a random value per engagement that its supervisor links record, so
  a link never opens a later row that got the same id (SQLite reuses the largest deleted id).
- supervisor_link.subject_nonce, student_id, revoked_at, revoked_reason: existing open links
  of an engagement are bound to the engagement that holds their id now, unless that row is
  younger than the link (then the id was reused and the link stays unbound: it never opens).
- launch.revoked_at: an administrator ended the launch (a revoked grant or role rule).
- deployment.first_seen_by_launch, acknowledged_at, acknowledged_by: deployment ids a launch
  recorded are listed as new until an administrator acknowledges them; existing ones are
  marked from the "deployment.first_seen" audit entries.
"""
import json
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e4f5a6b7c8d9'
down_revision = 'd0e1f2a3b4c5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_nonce', sa.String(length=32), nullable=True))
    with op.batch_alter_table('supervisor_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_nonce', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('student_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('revoked_reason', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_supervisor_link_student_id'), ['student_id'], unique=False)
        batch_op.create_index('ix_supervisor_link_subject', ['tenant_id', 'purpose', 'subject_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_supervisor_link_student_id_lti_user'), 'lti_user', ['student_id'], ['id']
        )
    with op.batch_alter_table('launch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('deployment', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('first_seen_by_launch', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column('acknowledged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_by', sa.String(length=255), nullable=True))
    with op.batch_alter_table('deployment', schema=None) as batch_op:
        batch_op.alter_column('first_seen_by_launch', server_default=None)

    bind = op.get_bind()
    # One random value per row, set-based (the nonce is compared, never a secret).
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text(
            "UPDATE engagement SET link_nonce = md5(random()::text || clock_timestamp()::text || id::text)"
        ))
    elif bind.dialect.name == "sqlite":
        bind.execute(sa.text("UPDATE engagement SET link_nonce = lower(hex(randomblob(16)))"))
    else:
        for (engagement_id,) in bind.execute(sa.text("SELECT id FROM engagement")).all():
            bind.execute(
                sa.text("UPDATE engagement SET link_nonce = :n WHERE id = :i"),
                {"n": secrets.token_hex(16), "i": engagement_id},
            )
    bind.execute(sa.text(
        "UPDATE supervisor_link SET subject_nonce = ("
        " SELECT e.link_nonce FROM engagement e WHERE e.id = supervisor_link.subject_id"
        " AND e.tenant_id = supervisor_link.tenant_id AND e.created_at <= supervisor_link.created_at"
        "), student_id = ("
        " SELECT e.student_id FROM engagement e WHERE e.id = supervisor_link.subject_id"
        " AND e.tenant_id = supervisor_link.tenant_id AND e.created_at <= supervisor_link.created_at"
        ") WHERE purpose IN ('confirm_hours', 'evaluate')"
    ))

    seen = set()
    for (detail,) in bind.execute(
        sa.text("SELECT detail FROM audit_entry WHERE action = 'deployment.first_seen'")
    ):
        data = json.loads(detail) if isinstance(detail, str) else (detail or {})
        seen.add((data.get("issuer"), data.get("client_id"), data.get("deployment_id")))
    rows = bind.execute(sa.text(
        "SELECT d.id, r.issuer, r.client_id, d.deployment_id FROM deployment d"
        " JOIN registration r ON r.id = d.registration_id"
    )).all()
    for dep_id, issuer, client_id, deployment_id in rows:
        if (issuer, client_id, deployment_id) in seen:
            bind.execute(
                sa.text("UPDATE deployment SET first_seen_by_launch = :t WHERE id = :i"),
                {"t": True, "i": dep_id},
            )


def downgrade():
    with op.batch_alter_table('deployment', schema=None) as batch_op:
        batch_op.drop_column('acknowledged_by')
        batch_op.drop_column('acknowledged_at')
        batch_op.drop_column('first_seen_by_launch')
    with op.batch_alter_table('launch', schema=None) as batch_op:
        batch_op.drop_column('revoked_at')
    with op.batch_alter_table('supervisor_link', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_supervisor_link_student_id_lti_user'), type_='foreignkey')
        batch_op.drop_index('ix_supervisor_link_subject')
        batch_op.drop_index(batch_op.f('ix_supervisor_link_student_id'))
        batch_op.drop_column('revoked_reason')
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('student_id')
        batch_op.drop_column('subject_nonce')
    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.drop_column('link_nonce')
