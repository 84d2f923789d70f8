"""Models of internships.employers.portal (every row carries its tenant): the employer's
contacts, the signed links issued to them, and the offers that follow a final evaluation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from internships.models import Employer
from lti_tool.extensions import Model
from lti_tool.models import utcnow

# What a supervisor may offer after the final evaluation, as people read it.
OFFER_KINDS = {
    "internship": "Internship",
    "part_time": "Part-time job",
    "full_time": "Full-time job",
    "micro_internship": "Further micro-internship",
}
# no_offer: the supervisor answered, without an offer (yet); offered: the student may confirm
# (accepted) or decline it.
OFFER_STATUSES = ("no_offer", "offered", "accepted", "declined")


class EmployerContact(Model):
    """A person at an employer whom the career center sends the employer's own page (a signed
    link; no account). Removing a contact (``removed_at``) withdraws their links."""

    __tablename__ = "employer_contact"
    __table_args__ = (UniqueConstraint("employer_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    added_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    employer: Mapped[Employer] = relationship()


class EmployerLink(Model):
    """A signed link to an employer's own page, issued to one contact: keyed by the random
    ``jti`` the token carries; it works until ``expires_at`` or until revoked (the contact
    removed, or the career center withdrew it). Opening the page never spends it."""

    __tablename__ = "employer_link"
    __table_args__ = (Index("ix_employer_link_contact", "tenant_id", "contact_id"),)
    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("employer_contact.id"))
    email: Mapped[str] = mapped_column(String(320))
    issued_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(32), default=None)

    @property
    def state(self) -> str:
        """revoked | expired | open (the expiry compared with the clock now)."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= utcnow() else "open"


class EngagementOffer(Model):
    """The supervisor's answer after the final evaluation ("would you hire or offer further
    work?") and the offer they recorded, which the student confirms or declines. One per
    engagement; ``student_id`` makes the row the student's for export and erasure."""

    __tablename__ = "engagement_offer"
    __table_args__ = (Index("ix_engagement_offer_employer", "tenant_id", "employer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), unique=True
    )
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"))
    would_hire: Mapped[bool]
    kind: Mapped[str | None] = mapped_column(String(24), default=None)
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="no_offer")
    answered_by: Mapped[str] = mapped_column(String(255), default="")
    answered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    offered_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    @property
    def kind_label(self) -> str:
        return OFFER_KINDS.get(self.kind or "", "")
