"""Decisions other than an award: deny credit, and the decision row a request for changes
(``changes``) starts from."""

from __future__ import annotations

from collections.abc import Sequence

from internships.work.services import reopenings
from lti_tool.context import LaunchContext
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.notify.notifications import notify
from lti_tool.services import audit

from ...models import CreditDecision
from .history import decision_history
from .rules import current_award, instructor_name, require_faculty, student_in_course


def deny_credit(ctx: LaunchContext, student_id: int, reason: str) -> CreditDecision:
    """Deny credit with a reason the student sees."""
    return decide(ctx, student_id, "denied", reason)


def decide(
    ctx: LaunchContext, student_id: int, kind: str, message: str, *, notify_student: bool = True
) -> CreditDecision:
    """A decision with a message the student reads (checked, recorded, audited; the student
    told unless the caller tells them itself)."""
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
    close_waiting_request(ctx.tenant_id, course_id, student_id)
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
    if not notify_student:
        return decision
    course = ctx.course_title or "your course"
    text = (
        f"{instructor_name(ctx)} asked for changes before awarding credit in {course}: {message}"
        if kind == "changes_requested"
        else f"{instructor_name(ctx)} denied credit in {course}: {message}"
    )
    notify(ctx.tenant_id, student_id, f"credit_{kind}", text)
    return decision


def close_waiting_request(
    tenant_id: int,
    course_id: int,
    student_id: int,
    decisions: Sequence[CreditDecision] | None = None,
    open_parts: bool | None = None,
) -> None:
    """A new decision (another request, a denial, an award) ends the request for changes that
    waited for the student's answer: what it reopened closes again. ``decisions``: the
    student's decisions in the course, newest first, when the caller read them;
    ``open_parts``: whether the newest one's reopened parts are still open, when the caller
    read that (False: nothing to close, nothing read)."""
    if decisions is None:
        decisions = decision_history(tenant_id, course_id, student_id)
    newest = decisions[:1]
    if newest and newest[0].kind == "changes_requested" and open_parts is not False:
        reopenings.close_request(tenant_id, newest[0].id)
