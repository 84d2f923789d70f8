"""Models of the work that follows a listing: applications, engagements and what an engagement
collects (hour logs, deliverables, reflection, supervisor evaluation), signed supervisor links,
CPT approvals and course workload caps. Notifications and email are the core's
(``lti_tool.notify.models``).

Every row carries its tenant and every query filters by it."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from internships.models import Employer, Listing
from lti_tool.extensions import Model
from lti_tool.models import Course, User, utcnow

APPLICATION_STATUSES = ("submitted", "shortlisted", "accepted", "declined", "withdrawn")
ENGAGEMENT_STATUSES = ("active", "submitted", "completed", "cancelled")
HOUR_STATUSES = ("pending", "confirmed", "queried")
# The four levels of the supervisor's rating scale, lowest first (stored as 1..4; N/A is NULL).
RATING_LEVELS = ("Emerging Knowledge", "Understanding", "Early Application", "Advanced Application")
LINK_PURPOSES = ("confirm_hours", "evaluate", "select_applicants", "workspace")
# Supervisor links for an engagement work only while it is in one of these states.
LINK_OPEN_STATUSES = ("active", "submitted")


def new_link_nonce() -> str:
    """A random value a supervisor link records, so that a link never opens a later row that
    happens to get the same id (SQLite reuses the largest deleted id)."""
    return secrets.token_hex(16)


class Application(Model):
    """A student's application to a listing. The statement, résumé and availability reach the
    employer only when ``consented_at`` is set (the student named the employer and agreed)."""

    __tablename__ = "application"
    __table_args__ = (
        UniqueConstraint("listing_id", "student_id"),
        Index("ix_application_tenant_student", "tenant_id", "student_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), default=None)
    statement: Mapped[str] = mapped_column(Text, default="")
    availability: Mapped[str] = mapped_column(Text, default="")
    program: Mapped[str] = mapped_column(String(200), default="")
    class_year: Mapped[str] = mapped_column(String(64), default="")
    resume_path: Mapped[str | None] = mapped_column(String(255), default=None)
    resume_filename: Mapped[str] = mapped_column(String(255), default="")
    resume_size: Mapped[int] = mapped_column(default=0)
    consent_employer: Mapped[str] = mapped_column(String(200), default="")
    consented_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    decided_by: Mapped[str | None] = mapped_column(String(255), default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    listing: Mapped[Listing] = relationship()
    student: Mapped[User] = relationship()


class Engagement(Model):
    """An accepted application becoming work, with its learning agreement."""

    __tablename__ = "engagement"
    # course_id and id too: the advisor's table reads a program's students' engagements
    # from this index alone (d5e6f7a8b9c0)
    __table_args__ = (
        Index(
            "ix_engagement_tenant_student", "tenant_id", "student_id", "status", "course_id", "id"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), index=True, default=None)
    status: Mapped[str] = mapped_column(String(16), default="active")
    # The learning agreement.
    competencies: Mapped[list[str]] = mapped_column(JSON, default=list)  # NACE names
    planned_hours: Mapped[int] = mapped_column(default=0)
    weekly_hours: Mapped[int] = mapped_column(default=0)  # planned load, for the workload cap
    supervisor_name: Mapped[str] = mapped_column(String(200), default="")
    supervisor_email: Mapped[str] = mapped_column(String(320), default="")
    start_date: Mapped[dt.date | None] = mapped_column(default=None)
    end_date: Mapped[dt.date | None] = mapped_column(default=None)
    goals: Mapped[str] = mapped_column(Text, default="")
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    cap_override_reason: Mapped[str] = mapped_column(Text, default="")
    # Recorded on every supervisor link of this engagement (None only for rows bulk-inserted
    # without defaults; a link issued for such a row sets it first).
    link_nonce: Mapped[str | None] = mapped_column(String(32), default=new_link_nonce)
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    listing: Mapped[Listing] = relationship()
    student: Mapped[User] = relationship()
    application: Mapped[Application] = relationship()
    course: Mapped[Course | None] = relationship()


class HourLog(Model):
    """Hours a student worked on one day; the supervisor (or faculty) confirms or queries."""

    __tablename__ = "hour_log"
    __table_args__ = (UniqueConstraint("engagement_id", "work_date", "description"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"), index=True)
    work_date: Mapped[dt.date]
    minutes: Mapped[int]
    description: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reviewed_by: Mapped[str | None] = mapped_column(String(255), default=None)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    review_note: Mapped[str] = mapped_column(Text, default="")
    # the student's answer to a query (kept with the query: the reviewer sees both)
    answer: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def hours(self) -> float:
        return self.minutes / 60


class Deliverable(Model):
    """A file (stored under UPLOADS_DIR with a random name) or a URL the student hands in."""

    __tablename__ = "deliverable"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(1000), default=None)
    file_path: Mapped[str | None] = mapped_column(String(255), default=None)
    filename: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(default=0)
    # the deliverable this one revises (handed in when an instructor asked for changes to it)
    revises_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliverable.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Reflection(Model):
    """The student's answers to the guided reflection prompts (one per engagement)."""

    __tablename__ = "reflection"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id"), unique=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


REOPEN_KINDS = ("reflection", "deliverable", "hours")


class EngagementReopening(Model):
    """Something of an engagement an instructor reopened by asking for changes before
    awarding credit (``request_id``: that ``credit_decision``): the reflection, a deliverable
    (``deliverable_id`` names the one to revise; NULL asks for a new one) or the hours. The
    student may change exactly that, even on a finished engagement, until they answer the
    request (``closed_at``); ``changed_at`` is their first change, ``before`` what the
    reflection said when it was reopened."""

    __tablename__ = "engagement_reopening"
    __table_args__ = (Index("ix_engagement_reopening_open", "tenant_id", "engagement_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    request_id: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16))
    deliverable_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliverable.id", ondelete="SET NULL"), default=None
    )
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class SupervisorEvaluation(Model):
    """The supervisor's evaluation of an engagement (one per engagement)."""

    __tablename__ = "supervisor_evaluation"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id"), unique=True)
    supervisor_name: Mapped[str] = mapped_column(String(200))
    comments: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    ratings: Mapped[list[CompetencyRating]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan", order_by="CompetencyRating.id"
    )


class CompetencyRating(Model):
    """One targeted competency rated 1..4 (``RATING_LEVELS``) or N/A (``level`` NULL)."""

    __tablename__ = "competency_rating"
    __table_args__ = (UniqueConstraint("evaluation_id", "competency"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("supervisor_evaluation.id", ondelete="CASCADE")
    )
    competency: Mapped[str] = mapped_column(String(64))
    level: Mapped[int | None] = mapped_column(default=None)
    comment: Mapped[str] = mapped_column(Text, default="")

    evaluation: Mapped[SupervisorEvaluation] = relationship(back_populates="ratings")

    @property
    def level_name(self) -> str:
        return RATING_LEVELS[self.level - 1] if self.level else "Not applicable"


class SupervisorLink(Model):
    """A signed link issued to a supervisor: bound to one purpose and one engagement (or, for
    selection, one listing); ``used_at`` makes it single-use after a submission.

    An engagement's link also records the engagement's ``link_nonce``, its student and (in
    ``email``) its supervisor: the link opens only while all three still match and the
    engagement is open. ``revoked_at`` ends it early (new supervisor, engagement closed,
    student erased). ``student_id`` makes the row the student's for export and erasure."""

    __tablename__ = "supervisor_link"
    __table_args__ = (Index("ix_supervisor_link_subject", "tenant_id", "purpose", "subject_id"),)
    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int]  # engagement id, or listing id for select_applicants
    subject_nonce: Mapped[str | None] = mapped_column(String(32), default=None)
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id"), index=True, default=None
    )
    email: Mapped[str] = mapped_column(String(320), default="")
    issued_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(32), default=None)


class CptApproval(Model):
    """An F-1 student's Curricular Practical Training authorisation as the school's DSO gave
    it, recorded by an advisor: for one employer (any of its listings) or one listing, over
    a date range. Credit-bearing off-campus work of an F-1 student needs one."""

    __tablename__ = "cpt_approval"
    __table_args__ = (Index("ix_cpt_approval_tenant_student", "tenant_id", "student_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"))
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"))
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listing.id"), default=None)
    engagement_id: Mapped[int | None] = mapped_column(ForeignKey("engagement.id"), default=None)
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    dso_name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(255), default=None)

    student: Mapped[User] = relationship()
    employer: Mapped[Employer] = relationship()
    listing: Mapped[Listing | None] = relationship()


class CourseWorkloadCap(Model):
    """A course's own workload caps, set by its instructor; a NULL cap falls back to the
    tenant's setting."""

    __tablename__ = "course_workload_cap"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), unique=True)
    max_concurrent: Mapped[int | None] = mapped_column(default=None)
    max_weekly_hours: Mapped[int | None] = mapped_column(default=None)
    updated_by: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
