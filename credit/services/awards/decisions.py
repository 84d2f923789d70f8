"""Decisions other than an award: ask the student for changes, deny credit, and the student's
resubmission after changes were asked for."""

from __future__ import annotations

from sqlalchemy import select

from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.notify.notifications import notify
from lti_tool.services import audit

from ...models import CreditDecision
from .rules import current_award, instructor_name, require_faculty, student_in_course


def request_changes(ctx: LaunchContext, student_id: int, message: str) -> CreditDecision:
    """Ask the student for changes; they see the message on their home."""
    return _decide(ctx, student_id, "changes_requested", message)


def deny_credit(ctx: LaunchContext, student_id: int, reason: str) -> CreditDecision:
    """Deny credit with a reason the student sees."""
    return _decide(ctx, student_id, "denied", reason)


def _decide(ctx: LaunchContext, student_id: int, kind: str, message: str) -> CreditDecision:
    course_id = require_faculty(ctx)
    student_in_course(ctx, course_id, student_id)
    message = message.strip()
    if not message:
        raise PolicyViolationError(
            "Write a message for the student.",
            hint="Say what needs to change, or why credit is denied.",
        )
    existing = current_award(ctx.tenant_id, course_id, student_id)
    if existing is not None:
        raise PolicyViolationError(
            "This student already has an award in this course.",
            hint="Use 'Correct this award' to change it.",
        )
    decision = CreditDecision(
        tenant_id=ctx.tenant_id,
        course_id=course_id,
        student_id=student_id,
        kind=kind,
        message=message[:4000],
        decided_by=ctx.actor.name,
        decided_by_user_id=ctx.user_id,
    )
    db.session.add(decision)
    db.session.flush()
    audit.record(
        ctx.actor,
        f"credit.{kind}",
        ctx.tenant_id,
        course_id=course_id,
        student_id=student_id,
        decision_id=decision.id,
        reason=message[:500],
    )
    course = ctx.course_title or "your course"
    text = (
        f"{instructor_name(ctx)} asked for changes before awarding credit in {course}: {message}"
        if kind == "changes_requested"
        else f"{instructor_name(ctx)} denied credit in {course}: {message}"
    )
    notify(ctx.tenant_id, student_id, f"credit_{kind}", text)
    return decision


def resubmit(ctx: LaunchContext, course_id: int) -> CreditDecision:
    """The student says they made the changes their instructor asked for."""
    if ctx.role != "student":
        raise ForbiddenError("Only the student can resubmit their work.")
    last = db.session.scalar(
        select(CreditDecision)
        .where(
            CreditDecision.tenant_id == ctx.tenant_id,
            CreditDecision.course_id == course_id,
            CreditDecision.student_id == ctx.user_id,
        )
        .order_by(CreditDecision.id.desc())
        .limit(1)
    )
    if last is None or last.kind != "changes_requested":
        raise PolicyViolationError("Your instructor has not asked for changes in this course.")
    decision = CreditDecision(
        tenant_id=ctx.tenant_id,
        course_id=course_id,
        student_id=ctx.user_id,
        kind="resubmitted",
        decided_by=ctx.actor.name,
        decided_by_user_id=ctx.user_id,
    )
    db.session.add(decision)
    db.session.flush()
    audit.record(ctx.actor, "credit.resubmitted", ctx.tenant_id, course_id=course_id)
    return decision
