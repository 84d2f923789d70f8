"""Models of accreditation.credentials (every row carries its tenant).

A ``Credential`` is one signed document the institution issued to a student: an Open Badges 3.0
``OpenBadgeCredential`` for a finished engagement or a credit award, or a CLR 2.0
``ClrCredential`` bundling them. A document never changes once signed: a correction (a new
award, other evidence, the student's DID) revokes the row (``revoked_at``, its status bit set)
and issues a new one (``replaced_by_id``). At most one valid credential per subject
(``subject_key``: ``engagement:<id>``, ``award:<id>``, ``clr:<student id>``) exists at a time
(a partial unique index), so a tick and a request issuing at the same moment end with one.

``student_id`` makes every row the student's for export and erasure (``lti_tool.privacy``).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.extensions import Model
from lti_tool.models import utcnow

CREDENTIAL_KINDS = ("achievement", "clr")
CREDENTIAL_SOURCES = ("engagement", "award", "clr")
# Why a credential stopped being valid (``revoked_reason``), in words a page can show.
REVOKED_REASONS = {
    "corrected": "The credit award it records was corrected.",
    "evidence": "The student chose other evidence to include.",
    "subject": "The student changed how the credential identifies them.",
    "reissued": "A newer version replaced it.",
    "erased": "The student's records were erased.",
    "withdrawn": "The institution withdrew it.",
}


def new_public_id() -> str:
    """A random, unguessable id for share URLs (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def new_uuid() -> str:
    return str(uuid.uuid4())


class Credential(Model):
    """One signed credential of a student (see the module's docstring)."""

    __tablename__ = "credential"
    __table_args__ = (
        Index(
            "uq_credential_valid_subject",
            "tenant_id",
            "subject_key",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        Index("ix_credential_tenant_student", "tenant_id", "student_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(64), unique=True, default=new_public_id)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # CREDENTIAL_KINDS
    source: Mapped[str] = mapped_column(String(16))  # CREDENTIAL_SOURCES
    subject_key: Mapped[str] = mapped_column(String(64))
    engagement_id: Mapped[int | None] = mapped_column(
        ForeignKey("engagement.id"), index=True, default=None
    )
    award_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_award.id"), index=True, default=None
    )
    name: Mapped[str] = mapped_column(String(300), default="")
    document: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the signed credential
    # kept when the student is pseudonymized: the erasure hook sets its bit after the rewrite
    status_entry: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, info={"personal": "keep"}
    )
    # a CLR's: the uuids of the credentials it bundles (sorted), so it is reissued only when
    # that set changed; an achievement's: empty
    bundled: Mapped[list[str]] = mapped_column(JSON, default=list)
    # what the student chose to include as evidence (never anything by default):
    # {"deliverable_ids": [..], "include_comment": bool}
    evidence_choice: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    shared: Mapped[bool] = mapped_column(default=False)
    issued_by: Mapped[str] = mapped_column(String(255), default="")
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("credential.id", ondelete="SET NULL"), default=None
    )

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None

    @property
    def revoked_words(self) -> str:
        return REVOKED_REASONS.get(self.revoked_reason or "", "")


class CredentialSubject(Model):
    """How a student's credentials identify them: the salt of their hashed email (made once,
    so every credential of theirs carries the same hash) and their own DID when they gave one."""

    __tablename__ = "credential_subject"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"), unique=True)
    salt: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    did: Mapped[str] = mapped_column(String(2000), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CredentialBatch(Model):
    """A background task (kind "credentials") that issues what is missing for a tenant (a
    course's bulk award of hundreds of students, or ``flask credentials issue``); the counters
    are what its progress shows."""

    __tablename__ = "credential_batch"
    __table_args__ = (Index("ix_credential_batch_tenant_status", "tenant_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    actor: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    total: Mapped[int] = mapped_column(default=0)  # credentials to issue
    processed: Mapped[int] = mapped_column(default=0)
    issued: Mapped[int] = mapped_column(default=0)
    revoked: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.processed / self.total) if self.total else 0
