"""The audit trail: every administrative change and every decision writes one entry."""

from __future__ import annotations

from typing import Any

from ..actor import Actor
from ..extensions import db
from ..models import AuditEntry


def record(
    actor: Actor | str, action: str, tenant_id: int | None = None, **detail: Any
) -> AuditEntry:
    """Add an audit entry to the current transaction: in ``actor``'s tenant unless
    ``tenant_id`` names one (a plain string actor is an installation-wide operator)."""
    if isinstance(actor, Actor):
        tenant_id = actor.tenant_id if tenant_id is None else tenant_id
        actor = actor.name
    entry = AuditEntry(tenant_id=tenant_id, actor=actor[:255], action=action, detail=detail)
    db.session.add(entry)
    return entry
