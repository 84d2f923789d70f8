"""Advisor reporting models: private follow-up notes on a student, the record of a progress
report shared with its student, and the indexes the advisor reports read through.

The at-risk thresholds are not a table: they live in ``Tenant.settings["at_risk"]`` (see
``services/risk.py``). Every row carries its tenant and every query filters by it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from internships.profile.models import StudentProfile
from internships.work.models import Application, Engagement, HourLog
from lti_tool.extensions import Model, db
from lti_tool.models import utcnow


class EmployerFiguresSnapshot(Model):
    """The advisor's employer figures of one term ("" for all time) as last worked out: the
    page reads them (with their age) instead of working them out per view; a stale one is
    worked out again in the background (``employer_snapshots``)."""

    __tablename__ = "employer_figures_snapshot"
    __table_args__ = (UniqueConstraint("tenant_id", "term_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    term_key: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EmployerFiguresRow(Model):
    """One employer's row of a kept ``EmployerFiguresSnapshot``, at its position by name (from
    0), with its offers by program: a page reads the rows of its positions only. The snapshot's
    ``data`` holds how many there are and the counts at a glance."""

    __tablename__ = "employer_figures_row"
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("employer_figures_snapshot.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    row: Mapped[list[Any]] = mapped_column(JSON)
    programs: Mapped[list[Any]] = mapped_column(JSON, default=list)


class AdvisorHomeSnapshot(Model):
    """The advisor home's figures of one term ("" for all time) at an institution large enough
    that working them out takes longer than a page should (``home_snapshots``): the counts,
    engagements per state and the students at risk, as last worked out, with the engagements
    they counted (whether the tenant is large) and the at-risk thresholds they used."""

    __tablename__ = "advisor_home_snapshot"
    __table_args__ = (UniqueConstraint("tenant_id", "term_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    term_key: Mapped[str] = mapped_column(String(200), default="")
    engagements: Mapped[int] = mapped_column(default=0)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# PostgreSQL trigram indexes on lti_user for the name/email search, created by hand in this
# module's migration; the "models and migrations agree" check leaves them alone.
db.metadata.info.setdefault("unmanaged_names", set()).update(
    {"ix_lti_user_name_trgm", "ix_lti_user_email_trgm"}
)


class AdvisorNote(Model):
    """A follow-up an advisor notes on a student: read by advisors of the tenant only, never
    shown to the student or to faculty."""

    __tablename__ = "advisor_note"
    __table_args__ = (Index("ix_advisor_note_tenant_student", "tenant_id", "student_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"))
    author: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    follow_up_on: Mapped[dt.date | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReportShare(Model):
    """An advisor shared a student's progress report with the student (who can always
    download their own; the share adds a message and a notification)."""

    __tablename__ = "report_share"
    __table_args__ = (Index("ix_report_share_tenant_student", "tenant_id", "student_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"))
    shared_by: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# Indexes the advisor reports need on the work tables (created by this module's migration):
# hours per tenant and date (home counts), an engagement's latest log and its hours by status
# (inactivity, the table's rows, cohorts: index-only), engagements by state and by listing,
# applications by date, profiles by program.
REPORT_INDEXES = (
    Index(
        "ix_hour_log_tenant_status_date",
        HourLog.tenant_id,
        HourLog.status,
        HourLog.work_date,
        HourLog.minutes,
    ),
    Index(
        "ix_hour_log_engagement_date",
        HourLog.engagement_id,
        HourLog.work_date,
        HourLog.status,
        HourLog.minutes,
    ),
    Index("ix_engagement_tenant_status", Engagement.tenant_id, Engagement.status, Engagement.id),
    Index("ix_engagement_tenant_listing", Engagement.tenant_id, Engagement.listing_id),
    Index("ix_application_tenant_created", Application.tenant_id, Application.created_at),
    Index("ix_student_profile_tenant_program", StudentProfile.tenant_id, StudentProfile.program),
)
