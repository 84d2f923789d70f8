"""Erasing (or pseudonymizing) a student: their credentials are revoked first (each status
bit set, so a copy they shared stops verifying), then the privacy schema deletes or rewrites
their ``credential`` and ``credential_subject`` rows with the rest of their records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from lti_tool.extensions import db
from lti_tool.models import utcnow

from .. import proof
from ..models import Credential


def revoke_credentials_of_student(tenant_id: int, user_id: int) -> dict[str, int]:
    """Set the status bit of every valid credential of the student; flushes."""
    valid = db.session.scalars(
        select(Credential).where(
            Credential.tenant_id == tenant_id,
            Credential.student_id == user_id,
            Credential.revoked_at.is_(None),
        )
    ).all()
    now = utcnow()
    for credential in valid:
        proof.set_revoked(tenant_id, credential.status_entry, True)
        credential.revoked_at, credential.revoked_reason = now, "erased"
    for credential in db.session.scalars(
        select(Credential).where(
            Credential.tenant_id == tenant_id, Credential.student_id == user_id
        )
    ):
        credential.document = without_subject(credential.document)
    # their rows point at each other: unlinked, so they can be deleted in any order
    db.session.execute(
        update(Credential)
        .where(Credential.tenant_id == tenant_id, Credential.student_id == user_id)
        .values(replaced_by_id=None, shared=False)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return {"credentials_revoked": len(valid)}


def without_subject(document: dict[str, Any]) -> dict[str, Any]:
    """What stays of a document once its holder is erased or pseudonymized: who issued what
    and its status, nothing about the person (their DID or hashed email, their results)."""
    kept = ("@context", "id", "type", "issuer", "validFrom", "name", "credentialStatus")
    return {key: document[key] for key in kept if key in document}
