"""What erasing or pseudonymising a student means for the marketplace beyond its rows: every
open supervisor link issued about them is revoked (a link must never outlive its student)."""

from __future__ import annotations

from . import links


def revoke_supervisor_links(tenant_id: int, user_id: int) -> dict[str, int]:
    """Revoke the open supervisor links issued about the student."""
    return {"supervisor_links_revoked": links.revoke_links_for_student(tenant_id, user_id)}
