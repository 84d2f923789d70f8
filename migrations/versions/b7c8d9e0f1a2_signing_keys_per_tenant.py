"""keys: signing keys per tenant, each tenant with its own JWKS URL

Existing tenants keep signing with the installation's keys (legacy_keys) until the operator
rotates a key of their own in; new tenants sign with their own keys from the start.

Revision ID: b7c8d9e0f1a2
Revises: a1f2e3d4c5b6
Create Date: 2026-12-06 09:00:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7c8d9e0f1a2"
down_revision = "a1f2e3d4c5b6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_set_id", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("legacy_keys", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    tenant = sa.table(
        "tenant",
        sa.column("id", sa.Integer),
        sa.column("key_set_id", sa.String),
        sa.column("legacy_keys", sa.Boolean),
    )
    conn = op.get_bind()
    for (tenant_id,) in conn.execute(sa.select(tenant.c.id)).all():
        conn.execute(
            tenant.update()
            .where(tenant.c.id == tenant_id)
            .values(key_set_id=secrets.token_urlsafe(16), legacy_keys=True)
        )
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.alter_column("key_set_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("legacy_keys", server_default=None)
        batch_op.create_unique_constraint(batch_op.f("uq_tenant_key_set_id"), ["key_set_id"])
    with op.batch_alter_table("tool_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tenant_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_tool_key_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_tool_key_tenant_id_tenant"), "tenant", ["tenant_id"], ["id"]
        )
    with op.batch_alter_table("registration_invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("new_tenant_key_set_id", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("registration_invitation", schema=None) as batch_op:
        batch_op.drop_column("new_tenant_key_set_id")
    op.execute(sa.text("DELETE FROM tool_key WHERE tenant_id IS NOT NULL"))
    with op.batch_alter_table("tool_key", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tool_key_tenant_id_tenant"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_tool_key_tenant_id"))
        batch_op.drop_column("tenant_id")
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_tenant_key_set_id"), type_="unique")
        batch_op.drop_column("legacy_keys")
        batch_op.drop_column("key_set_id")
