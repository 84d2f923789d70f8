"""One student's award, or the correction of their award: every check first (``validate_award``,
which views call before they reach out to the LMS), then the award, its audit entry, its score
in the outbox and the student's notification, in the request's transaction."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from lti_tool.context import LaunchContext
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import User, utcnow
from lti_tool.notify.notifications import notify
from lti_tool.services import audit

from ...models import CreditAward, CreditDecision, CreditPolicy
from ..policy import get_policy
from ..progress import student_progress
from ..standing import StudentProgress
from .decisions import close_waiting_request
from .rules import (
    AwardConflictError,
    AwardInput,
    Standing,
    award_comment,
    by_key,
    conflict,
    current_award,
    enqueue_score,
    instructor_name,
    require_faculty,
    score_for,
    student_standing,
)

_Checked = tuple[User, CreditPolicy, StudentProgress, CreditAward | None]


def _made_for(award: CreditAward | None, course_id: int | None, student_id: int) -> bool:
    return award is not None and award.course_id == course_id and award.student_id == student_id


def validate_award(
    ctx: LaunchContext, student_id: int, data: AwardInput, *, supersedes_id: int | None = None
) -> _Checked:
    """Every check an award must pass, without writing (views call it before they reach out
    to the LMS for the gradebook column)."""
    course_id = require_faculty(ctx)
    standing = student_standing(ctx, course_id, student_id)
    return _checked(ctx, course_id, student_id, data, supersedes_id, standing)[:4]


def check_award(
    ctx: LaunchContext, student_id: int, data: AwardInput, *, supersedes_id: int | None = None
) -> tuple[CreditAward | None, CreditPolicy | None]:
    """The award a form with this idempotency key already made for this student in the course
    (a double click or a re-sent form), with no check; else, once every check of
    ``validate_award`` passed, None and the course's policy they read. The key is read with
    the student's standing: one statement, not two."""
    course_id = require_faculty(ctx)
    key = data.idempotency_key
    standing = student_standing(ctx, course_id, student_id, key if key else None)
    if _made_for(standing.keyed, course_id, student_id):
        return standing.keyed, None
    checked = _checked(ctx, course_id, student_id, data, supersedes_id, standing, figures=False)
    return None, checked[1]


def _checked(
    ctx: LaunchContext,
    course_id: int,
    student_id: int,
    data: AwardInput,
    supersedes_id: int | None,
    standing: Standing,
    figures: bool = True,
) -> tuple[User, CreditPolicy, StudentProgress, CreditAward | None, list[CreditDecision]]:
    """``validate_award``'s checks on the student's ``standing``, and the student's latest
    decision in the course (a list of at most one) they read: ``award_credit`` closes a
    waiting request from it, not read again. Only the current award and the latest decision
    are read, not the whole history. Without ``figures`` a correction's checks read no
    progress (none of them needs it: a correction is checked against the policy's maximum,
    not the checklist), and the progress returned is the student's without figures."""
    if not standing.in_course:  # read with a key that made no award for this student
        raise NotFoundError("This student is not in this course.")
    student, stored = standing.student, standing.stored_policy
    policy = stored if stored is not None else get_policy(ctx.tenant_id, course_id)
    existing = standing.award  # the current award (``current_award``)
    decisions = [standing.decision] if standing.decision is not None else []
    if figures or supersedes_id is None:
        awards = [existing] if existing is not None else []
        progress = student_progress(
            ctx.tenant_id, course_id, student_id, policy, history=(awards, decisions)
        )
    else:
        progress = StudentProgress(student_id, course_id, student.name or "", "", student.sub)
    if supersedes_id is None and existing is not None:
        raise conflict(existing)
    if supersedes_id is not None and (existing is None or existing.id != supersedes_id):
        raise AwardConflictError(
            "The award you are correcting has already been replaced.",
            hint="Reload the page to see the current award.",
        )
    if supersedes_id is None and not progress.checklist_complete:
        raise PolicyViolationError(
            "This student does not meet the course's credit policy yet.",
            hint="The checklist on the review page shows what is missing.",
        )
    limit = policy.max_credits if supersedes_id is not None else progress.credits_eligible
    if not 1 <= data.credits <= max(limit, 0):
        raise PolicyViolationError(
            f"Award between 1 and {limit} credits for this student.",
            hint="The policy allows one credit per "
            f"{policy.hours_per_credit} approved hours, up to {policy.max_credits}.",
        )
    score_for(policy, data.score)
    return student, policy, progress, existing, decisions


def award_credit(
    ctx: LaunchContext,
    student_id: int,
    data: AwardInput,
    *,
    lineitem_url: str | None,
    supersedes_id: int | None = None,
) -> CreditAward:
    """Award credit (or, with ``supersedes_id``, correct an award). The same idempotency key
    returns the award it already made; a concurrent decision by someone else is refused."""
    course_id = require_faculty(ctx)
    # the award made with this key, read with the student's standing (one statement)
    standing = student_standing(ctx, course_id, student_id, data.idempotency_key)
    again = standing.keyed
    if again is not None:
        if again.course_id != course_id or again.student_id != student_id:
            raise PolicyViolationError("This form was already used for another decision.")
        return again
    checked = _checked(ctx, course_id, student_id, data, supersedes_id, standing)
    student, policy, progress, existing, decisions = checked
    award = _new_award(
        ctx, course_id, student_id, data, policy, progress, lineitem_url, supersedes_id
    )
    stored = _store(ctx, award, existing)
    if stored is not award:
        return stored
    _record(ctx, award, student, data)
    # what the request reopened closes, unless the standing read it closed already
    close_waiting_request(ctx.tenant_id, course_id, student_id, decisions, standing.open_parts)
    db.session.flush()
    return award


def _new_award(
    ctx: LaunchContext,
    course_id: int,
    student_id: int,
    data: AwardInput,
    policy: CreditPolicy,
    progress: StudentProgress,
    lineitem_url: str | None,
    supersedes_id: int | None,
) -> CreditAward:
    """The award (not added yet): final, or awaiting the second approval of a two-step chain."""
    score, label = score_for(policy, data.score)
    two_step = policy.approval_chain == "faculty_then_second"
    return CreditAward(
        tenant_id=ctx.tenant_id,
        course_id=course_id,
        student_id=student_id,
        credits=data.credits,
        approved_minutes=progress.counted_minutes,
        grading_mode=policy.grading_mode,
        score_given=score,
        score_maximum=policy.score_maximum,
        grade_label=label,
        comment=award_comment(data.credits, progress, data.comment),
        engagement_ids=progress.engagement_ids,
        status="awaiting_approval" if two_step else "final",
        decided_by=ctx.actor.name,
        decided_by_user_id=ctx.user_id,
        supersedes_id=supersedes_id,
        idempotency_key=data.idempotency_key,
        registration_id=ctx.registration_id,
        lineitem_url=lineitem_url,
    )


def _store(ctx: LaunchContext, award: CreditAward, existing: CreditAward | None) -> CreditAward:
    """Add the award in place of ``existing`` (a correction); the award the same form made
    meanwhile when the insert collides on its key; a conflict when someone else decided.

    No savepoint around the insert (two statements more on every award): a collision takes
    back the whole transaction. Nothing written before it is lost that matters: a conflict is
    refused, which takes back the request's writes anyway, and the form's twin that made the
    award first read the same column from the LMS and remembered it itself."""
    key, course_id, student_id = award.idempotency_key, award.course_id, award.student_id
    if existing is not None:
        # Out of the "current" index first, so the correction can take its place: one flush
        # updates a table's changed rows before it inserts its new ones.
        existing.superseded_at = utcnow()
    db.session.add(award)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        again = by_key(ctx.tenant_id, key)
        if again is not None and again.student_id == student_id:
            return again
        raise conflict(current_award(ctx.tenant_id, course_id, student_id)) from None
    if existing is not None:  # written with the award's other rows (it breaks no constraint)
        existing.superseded_by_id = award.id
    return award


def _record(ctx: LaunchContext, award: CreditAward, student: User, data: AwardInput) -> None:
    """The audit entry; for a final award its score in the outbox and the student's notice."""
    supersedes_id = award.supersedes_id
    audit.record(
        ctx.actor,
        "credit.corrected" if supersedes_id else "credit.awarded",
        ctx.tenant_id,
        course_id=award.course_id,
        student_id=award.student_id,
        award_id=award.id,
        supersedes_id=supersedes_id,
        credits=award.credits,
        grade=award.grade_label,
        status=award.status,
        reason=data.comment.strip()[:500],
    )
    if award.status != "final":
        return
    enqueue_score(award, student.sub)
    verb = "corrected your credit to" if supersedes_id else "awarded you"
    notify(
        ctx.tenant_id,
        award.student_id,
        "credit_awarded",
        f"{instructor_name(ctx)} {verb} {award.credits} credit"
        f"{'s' if award.credits != 1 else ''} "
        f"({award.grade_label}) in {ctx.course_title or 'your course'}.",
    )
