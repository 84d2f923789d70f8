"""accreditation.credentials.proof: the institution's credential signing keys and status lists

Revision ID: f19a00000001
Revises: c0d1e2f3a4b5
Create Date: 2026-12-05 23:45:00

- issuer_key: one Ed25519 key of a tenant's did:web DID document (private key encrypted,
  Fernet, like the LTI keys); retired keys leave the DID document.
- credential_status_list: one W3C Bitstring Status List (revocation) of a tenant, its bits,
  the next index to hand out and the signed status list credential kept for its version.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f19a00000001"
down_revision = "c0d1e2f3a4b5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issuer_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("public_multibase", sa.String(length=64), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_issuer_key_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issuer_key")),
        sa.UniqueConstraint("public_multibase", name=op.f("uq_issuer_key_public_multibase")),
    )
    op.create_index(op.f("ix_issuer_key_tenant_id"), "issuer_key", ["tenant_id"], unique=False)
    op.create_table(
        "credential_status_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("bits", sa.LargeBinary(), nullable=False),
        sa.Column("next_index", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("signed", sa.JSON(), nullable=True),
        sa.Column("signed_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_credential_status_list_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_status_list")),
        sa.UniqueConstraint(
            "tenant_id", "number", name=op.f("uq_credential_status_list_tenant_id_number")
        ),
    )


def downgrade() -> None:
    op.drop_table("credential_status_list")
    op.drop_index(op.f("ix_issuer_key_tenant_id"), table_name="issuer_key")
    op.drop_table("issuer_key")
