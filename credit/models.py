"""Credit: the policy of a course, the decisions faculty take and the awards they make.

An award is immutable: once written only its approval (for a two-step chain) and its
replacement by a correction are recorded on it, and a guard refuses any other change. At most
one award per course and student is current (a partial unique index), so two faculty deciding
the same student at the same moment end with one award; the idempotency key makes a
re-submitted form return the award it already made."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.extensions import Model
from lti_tool.models import Course, User, utcnow

GRADING_MODES = {
    "pass_fail": "Pass/fail",
    "points": "Points",
    "percentage": "Percentage",
}
APPROVAL_CHAINS = {
    "faculty": "The instructor alone",
    "faculty_then_second": "The instructor, then a second approver",
}
SECOND_APPROVERS = {
    "advisor": "A career advisor",
    "faculty": "Another instructor of the course (for example the department chair)",
}
AWARD_STATUSES = ("awaiting_approval", "final", "declined")
DECISION_KINDS = ("changes_requested", "denied", "resubmitted", "approval_declined")


class CreditPolicy(Model):
    """The credit rules of one course; new courses start from the tenant's defaults."""

    __tablename__ = "credit_policy"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), unique=True)
    hours_per_credit: Mapped[int] = mapped_column(default=45)
    max_credits: Mapped[int] = mapped_column(default=3)
    allow_stacking: Mapped[bool] = mapped_column(default=True)
    require_agreement: Mapped[bool] = mapped_column(default=True)
    require_evaluation: Mapped[bool] = mapped_column(default=True)
    require_reflection: Mapped[bool] = mapped_column(default=True)
    min_rating: Mapped[int | None] = mapped_column(default=None)  # 1..4, None = no minimum
    grading_mode: Mapped[str] = mapped_column(String(16), default="pass_fail")
    points_possible: Mapped[int] = mapped_column(default=100)
    deadline: Mapped[dt.date | None] = mapped_column(default=None)
    approval_chain: Mapped[str] = mapped_column(String(32), default="faculty")
    second_approver: Mapped[str] = mapped_column(String(16), default="advisor")
    # The course's credit column: a line item the tool owns (its resourceId/tag), placed by
    # Deep Linking or created through AGS, read from the LMS when it was chosen.
    lineitem_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    lineitem_label: Mapped[str] = mapped_column(String(500), default="")
    lineitem_maximum: Mapped[float | None] = mapped_column(Float, default=None)
    lineitems_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    lineitem_registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id"), default=None
    )
    # How many more columns carry the tool's marks (the credit item placed twice)
    lineitem_others: Mapped[int] = mapped_column(default=0)
    updated_by: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()

    @property
    def score_maximum(self) -> float:
        return {"pass_fail": 1.0, "points": float(self.points_possible), "percentage": 100.0}[
            self.grading_mode
        ]


class CreditAward(Model):
    """Credits and a grade for one student in one course. ``created_at`` (or ``approved_at``
    for a two-step chain) is the score's timestamp on every send."""

    __tablename__ = "credit_award"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index(
            "uq_credit_award_current",
            "course_id",
            "student_id",
            unique=True,
            sqlite_where=text("superseded_at IS NULL AND status != 'declined'"),
            postgresql_where=text("superseded_at IS NULL AND status != 'declined'"),
        ),
        Index("ix_credit_award_tenant_course", "tenant_id", "course_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"), index=True)
    credits: Mapped[int]
    approved_minutes: Mapped[int] = mapped_column(default=0)  # hours behind it, at the time
    grading_mode: Mapped[str] = mapped_column(String(16))
    score_given: Mapped[float] = mapped_column(Float)
    score_maximum: Mapped[float] = mapped_column(Float)
    grade_label: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text, default="")
    engagement_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(24), default="final")
    decided_by: Mapped[str] = mapped_column(String(255))
    decided_by_user_id: Mapped[int | None] = mapped_column(default=None)
    approved_by: Mapped[str | None] = mapped_column(String(255), default=None)
    approved_by_user_id: Mapped[int | None] = mapped_column(default=None)
    approved_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("credit_award.id"), default=None)
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_award.id"), default=None
    )
    superseded_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id"), default=None)
    lineitem_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    student: Mapped[User] = relationship(foreign_keys=[student_id])
    course: Mapped[Course] = relationship()

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None and self.status != "declined"

    @property
    def score_timestamp(self) -> dt.datetime:
        return self.approved_at or self.created_at


# Only these may change after an award is written, and only once (None → value, or the
# status moving out of "awaiting_approval").
_MUTABLE_ONCE = {
    "status",
    "approved_by",
    "approved_by_user_id",
    "approved_at",
    "decline_reason",
    "superseded_by_id",
    "superseded_at",
}


class ImmutableAwardError(RuntimeError):
    """Code tried to rewrite an award; a correction is a new award instead."""


@event.listens_for(CreditAward, "before_update")
def _guard_award(_mapper: Any, _connection: Any, award: CreditAward) -> None:
    state: Any = inspect(award)
    # the attributes changed since the award was loaded (each keeps its loaded value there),
    # not every one of its columns' histories: an award POST updates two awards
    for key in list(state.committed_state):
        attr = state.attrs[key]
        hist = attr.history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        if attr.key not in _MUTABLE_ONCE:
            raise ImmutableAwardError(f"credit_award.{attr.key} cannot change")
        if attr.key == "status":
            if old != "awaiting_approval":
                raise ImmutableAwardError("an award's status changes only once")
        elif old not in (None, ""):
            raise ImmutableAwardError(f"credit_award.{attr.key} is set once")


class CreditDecision(Model):
    """A decision that is not an award: changes requested (the student sees the message),
    denied (with a reason), a declined second approval, or the student's resubmission."""

    __tablename__ = "credit_decision"
    __table_args__ = (Index("ix_credit_decision_course_student", "course_id", "student_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"))
    kind: Mapped[str] = mapped_column(String(24))
    message: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(255))
    decided_by_user_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


MISPOSTED_KINDS = {
    "foreign": "another assignment's column",
    "deleted": "a column since deleted",
}


class MispostedGrade(Model):
    """A credit grade an earlier version of the tool sent to a gradebook column that is not
    Career Credit's (it replaced the student's score there), found by checking the course's
    sent grades against the LMS; re-posted to the credit column. The overwritten score itself
    cannot be restored by the tool: the instructor corrects that cell."""

    __tablename__ = "credit_misposted_grade"
    __table_args__ = (
        UniqueConstraint("award_id", "lineitem_url"),
        Index("ix_credit_misposted_grade_tenant_course", "tenant_id", "course_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    award_id: Mapped[int] = mapped_column(ForeignKey("credit_award.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"), index=True)
    lineitem_url: Mapped[str] = mapped_column(String(1000))
    column_label: Mapped[str] = mapped_column(String(500), default="")
    column_maximum: Mapped[float | None] = mapped_column(Float, default=None)
    kind: Mapped[str] = mapped_column(String(16))  # MISPOSTED_KINDS
    grade_label: Mapped[str] = mapped_column(String(32), default="")
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    found_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    found_by: Mapped[str] = mapped_column(String(255), default="")
    reposted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    reposted_to: Mapped[str | None] = mapped_column(String(1000), default=None)
    reposted_by: Mapped[str] = mapped_column(String(255), default="")

    student: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()

    @property
    def kind_label(self) -> str:
        return MISPOSTED_KINDS.get(self.kind, self.kind)
