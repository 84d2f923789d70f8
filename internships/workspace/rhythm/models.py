"""Models of internships.workspace.rhythm: the weekly check-ins of an engagement and the
reminders sent about it (one row per kind, subject, recipient and period, so each reminder
goes out once).

Every row carries its tenant and every query filters by it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.extensions import Model
from lti_tool.models import utcnow

REMINDER_KINDS = ("agreement", "hours", "milestone", "inactive")
RECIPIENTS = ("student", "supervisor")


class CheckIn(Model):
    """The student's check-in of one week (``week_start``: its Monday in the tenant's zone):
    what was done, what comes next, and whether something blocks them. The supervisor
    confirms it, with a comment or without (``reviewed_at``)."""

    __tablename__ = "workspace_checkin"
    __table_args__ = (
        UniqueConstraint("engagement_id", "week_start"),
        # the latest check-in of an engagement (at-risk "blocked") and its last change
        # (activity): index probes per engagement
        Index("ix_workspace_checkin_activity", "engagement_id", "updated_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"), index=True)
    week_start: Mapped[dt.date]
    done: Mapped[str] = mapped_column(Text, default="")
    next: Mapped[str] = mapped_column(Text, default="")
    blocked: Mapped[bool] = mapped_column(default=False)
    blocker: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    reviewed_by: Mapped[str | None] = mapped_column(String(255), default=None)
    comment: Mapped[str] = mapped_column(Text, default="")


class QuietEngagement(Model):
    """An active engagement on which nothing happened for the tenant's "days without
    activity", as the job runner's latest tick found it (``activity.refresh_quiet``): what the
    advisor's "no activity" flag and the reminder read, one row probe instead of a query per
    source on every report."""

    __tablename__ = "workspace_quiet"
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    found_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Reminder(Model):
    """A reminder sent: ``kind`` (``REMINDER_KINDS``) about ``subject_id`` (the engagement, or
    the milestone for "milestone") to ``recipient`` for ``period`` (an ISO week such as
    2026-W49, or the milestone's due date). The unique key is what makes the tick send each
    reminder once."""

    __tablename__ = "workspace_reminder"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id",
            "kind",
            "subject_id",
            "recipient",
            "period",
            name="uq_workspace_reminder_once",  # the convention's name is too long for PostgreSQL
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int]
    recipient: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(16))
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
