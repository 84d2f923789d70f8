"""The audit trail: every administrative change and every decision writes one entry."""

from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import AuditEntry


def record(actor: str, action: str, tenant_id: int | None = None, **detail: Any) -> AuditEntry:
    """Add an audit entry to the current transaction."""
    entry = AuditEntry(tenant_id=tenant_id, actor=actor, action=action, detail=detail)
    db.session.add(entry)
    return entry
