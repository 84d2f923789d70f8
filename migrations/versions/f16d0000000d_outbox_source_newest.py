"""jobs: the outbox's index on ``source`` becomes (source, tenant_id, id), so an award's
newest message is one index probe (issue 16)

Revision ID: f16d0000000d
Revises: f16c0000000c
Create Date: 2026-12-06

The instructor's home counted every grade message the course had ever sent (``source IN``
every award id of the course): after two minutes of a soak's corrections, 1,800 index probes
and 150 ms of PostgreSQL on each view. It now reads the newest message of each current award
(one per student) in the tenant, ``ORDER BY id DESC LIMIT 1`` per source, which (source,
tenant_id, id) answers in order. With (source, id) alone, a soak's fresh tables (statistics
from when they were empty) had PostgreSQL AND a bitmap of every tenant message into each
probe: 22 ms. The single-column index it replaces answered nothing the new one does not.
Both engines.
"""

from __future__ import annotations

from alembic import op

revision = "f16d0000000d"
down_revision = "f16c0000000c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_message_source_newest", "outbox_message", ["source", "tenant_id", "id"]
    )
    op.drop_index("ix_outbox_message_source", table_name="outbox_message")


def downgrade() -> None:
    op.create_index("ix_outbox_message_source", "outbox_message", ["source"])
    op.drop_index("ix_outbox_message_source_newest", table_name="outbox_message")
