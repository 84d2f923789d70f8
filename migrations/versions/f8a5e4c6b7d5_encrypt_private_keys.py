"""core: encrypt the tool's and the sandbox's private keys at rest

Revision ID: f8a5e4c6b7d5
Revises: e7f4d3b5a6c4
Create Date: 2026-11-26 10:55:00

The columns stay TEXT; their values become Fernet ciphertext (``fernet:…``) under the first
key of CAREER_CREDIT_ENCRYPTION_KEYS. Downgrade decrypts them again.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f8a5e4c6b7d5'
down_revision = 'e7f4d3b5a6c4'
branch_labels = None
depends_on = None

TABLES = ("tool_key", "sandbox_key")


def _rewrite(transform):
    from lti_tool import crypto

    bind = op.get_bind()
    for name in TABLES:
        tbl = sa.table(name, sa.column("id", sa.Integer), sa.column("private_pem", sa.Text))
        for key, stored in bind.execute(sa.select(tbl.c.id, tbl.c.private_pem)).all():
            new = transform(crypto, stored)
            if new != stored:
                bind.execute(sa.update(tbl).where(tbl.c.id == key).values(private_pem=new))


def upgrade():
    _rewrite(lambda crypto, v: v if crypto.is_encrypted(v) else crypto.encrypt(v))


def downgrade():
    _rewrite(lambda crypto, v: crypto.decrypt(v) if crypto.is_encrypted(v) else v)
