"""The second approval of a two-step chain: who may give it, the awards waiting for it, and
approving (the award becomes final and its grade is queued) or declining with a reason."""

from __future__ import annotations

import functools

from sqlalchemy import Executable, and_, bindparam, select

from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import Course, User, utcnow
from lti_tool.notify.notifications import notify
from lti_tool.services import audit

from ...models import CreditAward, CreditDecision, CreditPolicy
from ..policy import get_policy
from .rules import AwardConflictError, enqueue_score

# who gives the second approval in a course without a stored policy: CreditPolicy's default
_UNSTORED_SECOND_APPROVER = "advisor"


def may_give_second_approval(ctx: LaunchContext, award: CreditAward) -> bool:
    """An advisor (or another instructor of the course, as the policy says), never the person
    who decided."""
    policy = get_policy(award.tenant_id, award.course_id)
    return _may_approve(ctx, award, policy.second_approver)


def _may_approve(ctx: LaunchContext, award: CreditAward, second_approver: str) -> bool:
    if ctx.tenant_id != award.tenant_id or ctx.read_only or ctx.user_id == award.decided_by_user_id:
        return False
    if second_approver == "advisor":
        return ctx.role == "advisor"
    return ctx.role == "faculty" and ctx.course_id == award.course_id


@functools.lru_cache(maxsize=2)
def _awaiting_statement(of_course: bool) -> Executable:
    """The tenant's (or ``of_course``: the course's) awards waiting for a second approval,
    each with who gives it under its course's policy; built once, bound with ``tenant_id``
    (and ``course_id``)."""
    q = (
        select(CreditAward, CreditPolicy.second_approver)
        .outerjoin(
            CreditPolicy,
            and_(
                CreditPolicy.tenant_id == CreditAward.tenant_id,
                CreditPolicy.course_id == CreditAward.course_id,
            ),
        )
        .where(
            CreditAward.tenant_id == bindparam("tenant_id"),
            CreditAward.status == "awaiting_approval",
            CreditAward.superseded_at.is_(None),
        )
        .order_by(CreditAward.id)
    )
    if of_course:
        q = q.where(CreditAward.course_id == bindparam("course_id"))
    return q


def awaiting_second_approval(ctx: LaunchContext) -> list[CreditAward]:
    """Awards this person may approve: an advisor sees the tenant's, an instructor the
    course's (never their own). One statement: an award's course has a stored policy (the
    award stored it); without one, the policy's default (an advisor) would approve."""
    of_course = ctx.role == "faculty"
    params = (
        {"tenant_id": ctx.tenant_id, "course_id": ctx.course_id}
        if of_course
        else {"tenant_id": ctx.tenant_id}
    )
    rows = db.session.execute(_awaiting_statement(of_course), params)
    return [a for a, second in rows if _may_approve(ctx, a, second or _UNSTORED_SECOND_APPROVER)]


def _pending_award(ctx: LaunchContext, award_id: int) -> CreditAward:
    award = db.session.get(CreditAward, award_id)
    if award is None or award.tenant_id != ctx.tenant_id:
        raise NotFoundError("This award does not exist.")
    if not may_give_second_approval(ctx, award):
        raise ForbiddenError("You cannot give the second approval for this award.")
    if award.status != "awaiting_approval" or award.superseded_at is not None:
        raise AwardConflictError(
            "This award was already approved, declined or replaced.",
            hint="Reload the page to see where it stands.",
        )
    return award


def approve_award(ctx: LaunchContext, award_id: int) -> CreditAward:
    """Give the second approval: the award becomes final and its grade is queued."""
    award = _pending_award(ctx, award_id)
    award.status = "final"
    award.approved_by = ctx.actor.name
    award.approved_by_user_id = ctx.user_id
    award.approved_at = utcnow()
    db.session.flush()
    audit.record(
        ctx.actor, "credit.approved", ctx.tenant_id, award_id=award.id, course_id=award.course_id
    )
    student = db.session.get(User, award.student_id)
    enqueue_score(award, student.sub if student else "")
    course = db.session.get(Course, award.course_id)
    notify(
        ctx.tenant_id,
        award.student_id,
        "credit_awarded",
        f"You were awarded {award.credits} credit{'s' if award.credits != 1 else ''} "
        f"({award.grade_label}) in {course.title if course else 'your course'}.",
    )
    return award


def decline_award(ctx: LaunchContext, award_id: int, reason: str) -> CreditAward:
    """Decline the second approval with a reason the deciding instructor sees."""
    if not reason.strip():
        raise PolicyViolationError("Say why you decline, for the instructor who decided.")
    award = _pending_award(ctx, award_id)
    award.status = "declined"
    award.decline_reason = reason.strip()[:4000]
    award.approved_by = ctx.actor.name
    award.approved_by_user_id = ctx.user_id
    award.approved_at = utcnow()
    db.session.add(
        CreditDecision(
            tenant_id=award.tenant_id,
            course_id=award.course_id,
            student_id=award.student_id,
            kind="approval_declined",
            message=award.decline_reason,
            decided_by=ctx.actor.name,
            decided_by_user_id=ctx.user_id,
        )
    )
    db.session.flush()
    audit.record(
        ctx.actor,
        "credit.approval_declined",
        ctx.tenant_id,
        award_id=award.id,
        course_id=award.course_id,
        reason=award.decline_reason[:500],
    )
    return award
