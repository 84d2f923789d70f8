"""Advisors' private follow-up notes on a student, and sharing a progress report with its
student (a notification and the advisor's message on the student's home)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Row, bindparam, select

from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.notify.notifications import notify
from lti_tool.services import audit

from ..models import AdvisorNote, ReportShare
from .progress import report_student_id

MAX_NOTE = 4000


class NoteInvalidError(PolicyViolationError):
    """A note or share message is not acceptable; ``field`` names the form field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message, reason=f"invalid_{field_name}", field=field_name)


def _advisor(ctx: LaunchContext) -> None:
    if ctx.role != "advisor":
        raise ForbiddenError("Only career advisors read and write these notes.", reason="role")
    if ctx.read_only:
        raise ForbiddenError("Your access is read-only.", reason="read_only")


def add_note(
    ctx: LaunchContext, student_id: int, body: str, follow_up_on: dt.date | None
) -> AdvisorNote:
    """An advisor notes a follow-up on a student (advisors only ever see it)."""
    _advisor(ctx)
    student_id = report_student_id(ctx, student_id)
    text = body.strip()
    if not 2 <= len(text) <= MAX_NOTE:
        raise NoteInvalidError("body", f"Write the note (2 to {MAX_NOTE} characters).")
    note = AdvisorNote(
        tenant_id=ctx.tenant_id,
        student_id=student_id,
        author_id=ctx.user_id,
        author=ctx.actor.name,
        body=text,
        follow_up_on=follow_up_on,
    )
    db.session.add(note)
    db.session.flush()
    # the note's text is private: the audit entry records that it exists, not what it says
    audit.record(ctx.actor, "reports.note", ctx.tenant_id, student_id=student_id, note_id=note.id)
    return note


def notes_for(ctx: LaunchContext, student_id: int) -> list[AdvisorNote]:
    """The notes on a student, newest first (advisors only)."""
    _advisor_read(ctx)
    return list(
        db.session.scalars(
            select(AdvisorNote)
            .where(AdvisorNote.tenant_id == ctx.tenant_id, AdvisorNote.student_id == student_id)
            .order_by(AdvisorNote.created_at.desc(), AdvisorNote.id.desc())
        )
    )


def _advisor_read(ctx: LaunchContext) -> None:
    if ctx.role != "advisor":
        raise ForbiddenError("Only career advisors read these notes.", reason="role")


def share_report(ctx: LaunchContext, student_id: int, message: str) -> ReportShare:
    """An advisor shares a student's progress report with the student: recorded, and the
    student is notified (in the tool and by email)."""
    _advisor(ctx)
    student_id = report_student_id(ctx, student_id)
    text = message.strip()
    if len(text) > 2000:
        raise NoteInvalidError("message", "Keep the message under 2,000 characters.")
    share = ReportShare(
        tenant_id=ctx.tenant_id, student_id=student_id, shared_by=ctx.actor.name, message=text
    )
    db.session.add(share)
    db.session.flush()
    notify(
        ctx.tenant_id,
        student_id,
        "report_shared",
        f"{ctx.user_name or 'Your career advisor'} shared your progress report with you. "
        "Open it from your Career Credit home.",
    )
    audit.record(ctx.actor, "reports.share", ctx.tenant_id, student_id=student_id)
    return share


_LATEST_SHARE = (  # built once (parameters tenant_id, student_id)
    select(ReportShare.created_at, ReportShare.message, ReportShare.shared_by)
    .where(
        ReportShare.tenant_id == bindparam("tenant_id"),
        ReportShare.student_id == bindparam("student_id"),
    )
    .order_by(ReportShare.id.desc())
    .limit(1)
)


def latest_share(tenant_id: int, student_id: int) -> Row[dt.datetime, str, str] | None:
    """The student's latest shared report: its ``created_at``, ``message`` and ``shared_by``."""
    params = {"tenant_id": tenant_id, "student_id": student_id}
    return db.session.execute(_LATEST_SHARE, params).first()
