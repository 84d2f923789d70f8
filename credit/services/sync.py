"""Where each award's grade stands on its way to the LMS gradebook, the retry button, and
the registrar's CSV export of awards per course and term."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, Select, String, bindparam, cast, func, literal, select

from lti_tool import jobs
from lti_tool.context import LaunchContext
from lti_tool.csvsafe import csv_text
from lti_tool.db_helpers import plan_for_values
from lti_tool.errors import ForbiddenError, NotFoundError
from lti_tool.extensions import db
from lti_tool.jobs import OutboxMessage
from lti_tool.lti import ags
from lti_tool.models import Course, User

from ..models import CreditAward, CreditPolicy

SYNC_LABELS = {
    "awaiting_approval": "Waiting for the second approval",
    "no_column": "Not sent: no gradebook column",
    "queued": "Queued",
    "sent": "In the gradebook",
    "superseded": "Replaced by a newer grade",
    "failed": "Failed",
}


@dataclass(frozen=True)
class SyncState:
    key: str
    message_id: int | None = None
    reason: str = ""
    attempts: int = 0

    @property
    def label(self) -> str:
        return SYNC_LABELS[self.key]


def source_of(award_id: int) -> str:
    return f"credit_award:{award_id}"


def _state(award: CreditAward, msg: OutboxMessage | None) -> SyncState:
    if award.status == "awaiting_approval":
        return SyncState("awaiting_approval")
    if award.status != "final":
        return SyncState("no_column")
    if msg is None:
        return SyncState("no_column" if not award.lineitem_url else "queued")
    key = {
        jobs.SENT: "sent",
        jobs.SUPERSEDED: "superseded",
        jobs.FAILED: "failed",
    }.get(msg.status, "queued")
    return SyncState(key, msg.id, msg.last_error or "", msg.attempts)


def sync_states(awards: Iterable[CreditAward]) -> dict[int, SyncState]:
    """The sync state of each award, from its outbox message."""
    awards = list(awards)
    messages = jobs.messages_for(source_of(a.id) for a in awards)
    return {a.id: _state(a, messages.get(source_of(a.id))) for a in awards}


def _award_sources(course: bool) -> Select[Any]:
    """The outbox sources of the tenant's awards (of one course when ``course``), with the
    parameters ``tenant_id`` (and ``course_id``)."""
    q = select(literal("credit_award:") + cast(CreditAward.id, String)).where(
        CreditAward.tenant_id == bindparam("tenant_id")
    )
    if course:
        q = q.where(CreditAward.course_id == bindparam("course_id"))
    return q


@functools.cache
def _summary_statement() -> Executable:
    """The course's grade messages counted by status; built once (building it was a tenth of
    the course page's CPU), a page binds ``tenant_id`` and ``course_id``."""
    return (
        select(OutboxMessage.status, func.count())
        .where(
            OutboxMessage.tenant_id == bindparam("tenant_id"),
            OutboxMessage.source.in_(_award_sources(course=True)),
        )
        .group_by(OutboxMessage.status)
    )


def course_summary(tenant_id: int, course_id: int) -> dict[str, int]:
    """How many of the course's grade messages are queued, sent, superseded or failed."""
    plan_for_values()  # every grade message the course ever sent: the counts decide the plan
    rows = db.session.execute(
        _summary_statement(), {"tenant_id": tenant_id, "course_id": course_id}
    ).all()
    summary = {"queued": 0, "sent": 0, "superseded": 0, "failed": 0}
    for status, n in rows:
        key = {jobs.SENT: "sent", jobs.SUPERSEDED: "superseded", jobs.FAILED: "failed"}.get(
            status, "queued"
        )
        summary[key] += int(n)
    return summary


@dataclass(frozen=True)
class FailedSync:
    message: OutboxMessage
    award: CreditAward
    course_title: str
    student_name: str


@functools.lru_cache(maxsize=16)
def _failed_statement(course: bool, limit: int) -> Executable:
    """The failed grade messages with their awards, course titles and students, newest first;
    built once per (course or tenant, limit), bound with ``tenant_id`` (and ``course_id``)."""
    tenant_id: Any = bindparam("tenant_id")
    q = (
        select(OutboxMessage, CreditAward, Course.title, User.name)
        .join(
            CreditAward,
            OutboxMessage.source == literal("credit_award:") + cast(CreditAward.id, String),
        )
        .join(Course, Course.id == CreditAward.course_id)
        .join(User, User.id == CreditAward.student_id)
        .where(
            OutboxMessage.tenant_id == tenant_id,
            CreditAward.tenant_id == tenant_id,
            OutboxMessage.status == jobs.FAILED,
        )
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    if course:
        q = q.where(CreditAward.course_id == bindparam("course_id"))
    return q


def failed_syncs(
    tenant_id: int, course_id: int | None = None, limit: int = 200
) -> list[FailedSync]:
    """Grades the LMS refused for good (a tenant's, or a course's), newest first."""
    params = {"tenant_id": tenant_id}
    if course_id is not None:
        params["course_id"] = course_id
    rows = db.session.execute(_failed_statement(course_id is not None, limit), params)
    return [FailedSync(m, a, t or "", n or "") for m, a, t, n in rows]


def retry_sync(ctx: LaunchContext, message_id: int) -> OutboxMessage:
    """Queue a failed grade again: the course's instructors, or a tool administrator."""
    msg = db.session.get(OutboxMessage, message_id)
    if msg is None or msg.tenant_id != ctx.tenant_id or not msg.source.startswith("credit_award:"):
        raise NotFoundError("There is no such grade sync.")
    award = db.session.get(CreditAward, int(msg.source.split(":", 1)[1]))
    if award is None or award.tenant_id != ctx.tenant_id:
        raise NotFoundError("There is no such grade sync.")
    allowed = ctx.is_tool_admin or (
        ctx.role == "faculty" and not ctx.read_only and ctx.course_id == award.course_id
    )
    if not allowed:
        raise ForbiddenError(
            "Only the course's instructors or a Career Credit administrator can retry."
        )
    from lti_tool.services import audit

    audit.record(
        ctx.actor, "credit.sync_retried", ctx.tenant_id, award_id=award.id, message_id=msg.id
    )
    column = db.session.scalar(
        select(CreditPolicy.lineitem_url).where(
            CreditPolicy.tenant_id == ctx.tenant_id, CreditPolicy.course_id == award.course_id
        )
    )
    student = db.session.get(User, award.student_id)
    elsewhere = column is not None and (msg.payload or {}).get("lineitem") != column
    if elsewhere and award.is_current and student is not None and award.registration_id:
        # Refused as not the tool's column, or deleted: the grade goes to the credit column.
        return ags.enqueue_score(
            tenant_id=award.tenant_id,
            registration_id=award.registration_id,
            lineitem=str(column),
            user_id=student.sub,
            score_given=award.score_given,
            score_maximum=award.score_maximum,
            timestamp=award.score_timestamp,
            comment=award.comment,
            source=source_of(award.id),
        )
    return jobs.retry(message_id, tenant_id=ctx.tenant_id)


# --- registrar export -----------------------------------------------------------------------

REGISTRAR_HEADER = [
    "term",
    "course_label",
    "course_title",
    "student_name",
    "student_email",
    "lms_user_id",
    "credits",
    "grade",
    "grading_mode",
    "approved_hours",
    "decided_by",
    "decided_at",
    "approved_by",
    "approved_at",
    "award_id",
    "corrects_award_id",
    "gradebook_sync",
]


def registrar_csv(tenant_id: int, *, course_id: int | None = None, term: str | None = None) -> str:
    """Current, final awards as CSV (one course, or every course of a term)."""
    q = (
        select(CreditAward, Course, User)
        .join(Course, Course.id == CreditAward.course_id)
        .join(User, User.id == CreditAward.student_id)
        .where(
            CreditAward.tenant_id == tenant_id,
            CreditAward.status == "final",
            CreditAward.superseded_at.is_(None),
        )
        .order_by(Course.term_name, Course.label, User.name, CreditAward.id)
    )
    if course_id is not None:
        q = q.where(CreditAward.course_id == course_id)
    if term:
        q = q.where(Course.term_name == term)
    rows = db.session.execute(q).all()
    states = sync_states(a for a, _c, _u in rows)
    lines = (
        (
            course.term_name or "",
            course.label,
            course.title,
            user.name,
            user.email,
            user.sub,
            award.credits,
            award.grade_label,
            award.grading_mode,
            round(award.approved_minutes / 60, 2),
            award.decided_by.split(" <")[0],
            award.created_at.isoformat(timespec="seconds"),
            (award.approved_by or "").split(" <")[0],
            award.approved_at.isoformat(timespec="seconds") if award.approved_at else "",
            award.id,
            award.supersedes_id or "",
            states[award.id].label,
        )
        for award, course, user in rows
    )
    return csv_text(REGISTRAR_HEADER, lines)


def terms(tenant_id: int) -> list[str]:
    """Term names of the tenant's courses that have awards."""
    return sorted(
        t
        for t in db.session.scalars(
            select(Course.term_name)
            .join(CreditAward, CreditAward.course_id == Course.id)
            .where(Course.tenant_id == tenant_id, Course.term_name.is_not(None))
            .distinct()
        )
        if t
    )
