"""Models of internships.employers.pay (every row carries its tenant and its student).

No money moves through the tool: these rows record what the employer says it paid and what
the student says they received.

- ``EngagementPay``: a paid engagement's pay terms, copied from its listing the first time
  anyone acts on its pay (until then the listing's terms are read live), with when payment is
  due: on completion (the agreement's end date) or on a schedule (every ``schedule_days`` from
  the start, the last at the end date);
- ``Payment``: a payment the employer marks made (amount, date, reference); the student
  confirms receipt or disputes it with a note, which opens a case an advisor resolves;
- ``OverduePayment``: a due date the employer missed (past due plus the institution's grace
  days), noticed once (the employer's email and the advisors' notices), and blocking the
  employer's new listings until an advisor clears it with a note."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from internships.models import Employer
from internships.work.models import Engagement
from lti_tool.extensions import Model
from lti_tool.models import utcnow

DUE_RULES = ("completion", "schedule")
# marked: the employer says it paid; confirmed: the student received it; disputed: the student
# says otherwise (an open case); voided: an advisor found it was not received (counts nothing)
PAYMENT_STATES = ("marked", "confirmed", "disputed", "voided")
COUNTED_STATES = ("marked", "confirmed")  # what counts as paid
RESOLUTIONS = ("received", "not_received")


class EngagementPay(Model):
    """A paid engagement's pay terms: a fixed fee or an hourly rate (``amount_cents``)."""

    __tablename__ = "engagement_pay"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), unique=True
    )
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    compensation_type: Mapped[str] = mapped_column(String(16))  # fixed | hourly
    amount_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    due_rule: Mapped[str] = mapped_column(String(16), default="completion")
    schedule_days: Mapped[int] = mapped_column(default=0)
    updated_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    engagement: Mapped[Engagement] = relationship()


class Payment(Model):
    """A payment the employer marked made, and what the student and an advisor said of it."""

    __tablename__ = "employer_payment"
    __table_args__ = (
        Index("ix_employer_payment_engagement", "tenant_id", "engagement_id", "state"),
        Index("ix_employer_payment_disputes", "tenant_id", "state", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    paid_on: Mapped[dt.date]
    reference: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16), default="marked")
    marked_by: Mapped[str] = mapped_column(String(255), default="")
    marked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    dispute_note: Mapped[str] = mapped_column(Text, default="")
    disputed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    resolution: Mapped[str | None] = mapped_column(String(16), default=None)
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[str | None] = mapped_column(String(255), default=None)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    engagement: Mapped[Engagement] = relationship()
    employer: Mapped[Employer] = relationship()


class OverduePayment(Model):
    """A due date an engagement's employer missed (by more than the grace days): noticed once,
    and open (blocking the employer's new listings) until an advisor clears it."""

    __tablename__ = "pay_overdue"
    __table_args__ = (
        UniqueConstraint("engagement_id", "due_on"),
        # the advisor's list: open ones, oldest due first (paged)
        Index("ix_pay_overdue_open", "tenant_id", "cleared_at", "due_on", "id"),
        Index("ix_pay_overdue_employer", "tenant_id", "employer_id", "cleared_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"))
    due_on: Mapped[dt.date]
    amount_cents: Mapped[int]  # outstanding when noticed
    currency: Mapped[str] = mapped_column(String(3))
    noticed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    cleared_by: Mapped[str | None] = mapped_column(String(255), default=None)
    clear_note: Mapped[str] = mapped_column(Text, default="")

    engagement: Mapped[Engagement] = relationship()
    employer: Mapped[Employer] = relationship()
