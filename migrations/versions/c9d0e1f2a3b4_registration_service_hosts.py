"""core: the LMS domains a registration's service URLs may use

Revision ID: c9d0e1f2a3b4
Revises: b7c8d9e0f1a2
Create Date: 2026-12-05 05:00:00

Existing registrations learn the hosts their earlier launches named (the stored launch
messages), so grade posts and rosters keep working after the upgrade.
"""

import json
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c9d0e1f2a3b4"
down_revision = "b7c8d9e0f1a2"
branch_labels = None
depends_on = None

NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


def _host(url):
    try:
        parts = urlsplit(url)
        port = parts.port
    except (ValueError, TypeError):
        return None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    return parts.hostname.lower() + (f":{port}" if port and port != default else "")


def upgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("service_hosts", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.alter_column("service_hosts", server_default=None)
    bind = op.get_bind()
    regs = bind.execute(
        sa.text("SELECT id, issuer, auth_login_url, auth_token_url, key_set_url FROM registration")
    ).all()
    for reg_id, *own in regs:
        known = {h for h in (_host(u) for u in own) if h}
        learned = []
        rows = bind.execute(
            sa.text(
                "SELECT message FROM launch WHERE registration_id = :r ORDER BY created_at DESC LIMIT 200"
            ),
            {"r": reg_id},
        )
        for (message,) in rows:
            body = json.loads(message) if isinstance(message, str) else (message or {})
            nrps, ags = body.get(NRPS) or {}, body.get(AGS) or {}
            urls = [nrps.get("context_memberships_url"), ags.get("lineitems"), ags.get("lineitem")]
            for url in urls:
                host = _host(url) if isinstance(url, str) else None
                if host and host not in known and host not in learned and len(learned) < 20:
                    learned.append(host)
        if learned:
            bind.execute(
                sa.text("UPDATE registration SET service_hosts = :h WHERE id = :r").bindparams(
                    sa.bindparam("h", type_=sa.JSON)
                ),
                {"h": learned, "r": reg_id},
            )


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("service_hosts")
