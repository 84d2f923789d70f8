"""Decisions on credit: award (single, bulk, correction), ask for changes, deny, and the
second approval of a two-step chain. Each writes an audit entry and tells the student; a final
award writes its score to the outbox in the same transaction."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from internships.work.mail import send_email
from internships.work.models import EmailMessage, Notification
from internships.work.services.notifications import notify
from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.lti import ags
from lti_tool.models import AuditEntry, Course, Enrolment, User, utcnow
from lti_tool.services import audit

from ..models import CreditAward, CreditDecision, CreditPolicy
from .policy import get_policy
from .progress import StudentProgress, course_progress, student_progress


class AwardConflictError(PolicyViolationError):
    """Someone else decided this student first."""


@dataclass(frozen=True)
class AwardInput:
    credits: int
    score: float | None  # points or percent; ignored for pass/fail
    comment: str
    idempotency_key: str


def new_idempotency_key() -> str:
    """A key for one rendering of a decision form; a re-submission carries the same key."""
    return secrets.token_urlsafe(24)


def _require_faculty(ctx: LaunchContext) -> int:
    if ctx.role != "faculty" or ctx.read_only or ctx.course_id is None:
        raise ForbiddenError("Only the course's instructors can decide on credit.")
    return ctx.course_id


def _student_in_course(ctx: LaunchContext, course_id: int, student_id: int) -> User:
    user = db.session.get(User, student_id)
    if user is None or user.tenant_id != ctx.tenant_id:
        raise NotFoundError("This student is not known to Career Credit.")
    known = db.session.scalar(
        select(func.count())
        .select_from(Enrolment)
        .where(Enrolment.course_id == course_id, Enrolment.user_id == student_id)
    )
    if not known:
        from internships.work.models import Engagement

        known = db.session.scalar(
            select(func.count())
            .select_from(Engagement)
            .where(Engagement.course_id == course_id, Engagement.student_id == student_id)
        )
    if not known:
        raise NotFoundError("This student is not in this course.")
    return user


# --- single decisions -----------------------------------------------------------------------


def _score(policy: CreditPolicy, score: float | None) -> tuple[float, str]:
    if policy.grading_mode == "pass_fail":
        return 1.0, "Pass"
    maximum = policy.score_maximum
    if score is None or not 0 <= score <= maximum:
        raise PolicyViolationError(
            f"Enter a grade between 0 and {maximum:g}.",
            hint="The grade is what the LMS gradebook shows.",
        )
    if policy.grading_mode == "percentage":
        return float(score), f"{score:g}%"
    return float(score), f"{score:g} / {maximum:g}"


def _comment(credits: int, p: StudentProgress, text: str) -> str:
    base = (
        f"{credits} academic credit{'s' if credits != 1 else ''} for "
        f"{p.counted_hours:g} approved hours of micro-internship work."
    )
    return f"{base} {text.strip()}".strip()[:2000]


def _enqueue(award: CreditAward, sub: str) -> None:
    if award.status != "final" or not award.lineitem_url or award.registration_id is None:
        return
    ags.enqueue_score(
        tenant_id=award.tenant_id,
        registration_id=award.registration_id,
        lineitem=award.lineitem_url,
        user_id=sub,
        score_given=award.score_given,
        score_maximum=award.score_maximum,
        timestamp=award.score_timestamp,
        comment=award.comment,
        source=f"credit_award:{award.id}",
    )


def _by_key(tenant_id: int, key: str) -> CreditAward | None:
    return db.session.scalar(
        select(CreditAward).where(
            CreditAward.tenant_id == tenant_id, CreditAward.idempotency_key == key
        )
    )


def made_with_key(ctx: LaunchContext, student_id: int, key: str) -> CreditAward | None:
    """The award a form with this idempotency key already made for this student (a double
    click or a re-sent form), if any."""
    award = _by_key(ctx.tenant_id, key) if key else None
    if award is None or award.course_id != ctx.course_id or award.student_id != student_id:
        return None
    return award


def current_award(tenant_id: int, course_id: int, student_id: int) -> CreditAward | None:
    return db.session.scalar(
        select(CreditAward).where(
            CreditAward.tenant_id == tenant_id,
            CreditAward.course_id == course_id,
            CreditAward.student_id == student_id,
            CreditAward.superseded_at.is_(None),
            CreditAward.status != "declined",
        )
    )


def _conflict(existing: CreditAward | None) -> AwardConflictError:
    who = existing.decided_by.split(" <")[0] if existing else "another instructor"
    return AwardConflictError(
        f"Credit for this student was just decided by {who}; nothing new was saved.",
        hint="Reload the page to see the award. To change it, use 'Correct this award'.",
    )


_Checked = tuple[User, CreditPolicy, StudentProgress, CreditAward | None]


def validate_award(
    ctx: LaunchContext, student_id: int, data: AwardInput, *, supersedes_id: int | None = None
) -> _Checked:
    """Every check an award must pass, without writing (views call it before they reach out
    to the LMS for the gradebook column)."""
    course_id = _require_faculty(ctx)
    student = _student_in_course(ctx, course_id, student_id)
    policy = get_policy(ctx.tenant_id, course_id)
    progress = student_progress(ctx.tenant_id, course_id, student_id)
    existing = current_award(ctx.tenant_id, course_id, student_id)
    if supersedes_id is None and existing is not None:
        raise _conflict(existing)
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
    _score(policy, data.score)
    return student, policy, progress, existing


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
    course_id = _require_faculty(ctx)
    again = _by_key(ctx.tenant_id, data.idempotency_key)
    if again is not None:
        if again.course_id != course_id or again.student_id != student_id:
            raise PolicyViolationError("This form was already used for another decision.")
        return again
    student, policy, progress, existing = validate_award(
        ctx, student_id, data, supersedes_id=supersedes_id
    )
    score, label = _score(policy, data.score)
    two_step = policy.approval_chain == "faculty_then_second"
    award = CreditAward(
        tenant_id=ctx.tenant_id,
        course_id=course_id,
        student_id=student_id,
        credits=data.credits,
        approved_minutes=progress.counted_minutes,
        grading_mode=policy.grading_mode,
        score_given=score,
        score_maximum=policy.score_maximum,
        grade_label=label,
        comment=_comment(data.credits, progress, data.comment),
        engagement_ids=progress.engagement_ids,
        status="awaiting_approval" if two_step else "final",
        decided_by=ctx.actor,
        decided_by_user_id=ctx.user_id,
        supersedes_id=supersedes_id,
        idempotency_key=data.idempotency_key,
        registration_id=ctx.registration_id,
        lineitem_url=lineitem_url,
    )
    try:
        with db.session.begin_nested():
            if existing is not None:
                # Out of the "current" index first, so the correction can take its place.
                existing.superseded_at = utcnow()
                db.session.flush()
            db.session.add(award)
            db.session.flush()
            if existing is not None:
                existing.superseded_by_id = award.id
                db.session.flush()
    except IntegrityError:
        again = _by_key(ctx.tenant_id, data.idempotency_key)
        if again is not None and again.student_id == student_id:
            return again
        raise _conflict(current_award(ctx.tenant_id, course_id, student_id)) from None
    audit.record(
        ctx.actor,
        "credit.corrected" if supersedes_id else "credit.awarded",
        ctx.tenant_id,
        course_id=course_id,
        student_id=student_id,
        award_id=award.id,
        supersedes_id=supersedes_id,
        credits=award.credits,
        grade=label,
        status=award.status,
        reason=data.comment.strip()[:500],
    )
    if award.status == "final":
        _enqueue(award, student.sub)
        verb = "corrected your credit to" if supersedes_id else "awarded you"
        notify(
            ctx.tenant_id,
            student_id,
            "credit_awarded",
            f"{_name(ctx)} {verb} {award.credits} credit{'s' if award.credits != 1 else ''} "
            f"({label}) in {ctx.course_title or 'your course'}.",
        )
    db.session.flush()
    return award


def _name(ctx: LaunchContext) -> str:
    return ctx.user_name or "Your instructor"


def request_changes(ctx: LaunchContext, student_id: int, message: str) -> CreditDecision:
    """Ask the student for changes; they see the message on their home."""
    return _decide(ctx, student_id, "changes_requested", message)


def deny_credit(ctx: LaunchContext, student_id: int, reason: str) -> CreditDecision:
    """Deny credit with a reason the student sees."""
    return _decide(ctx, student_id, "denied", reason)


def _decide(ctx: LaunchContext, student_id: int, kind: str, message: str) -> CreditDecision:
    course_id = _require_faculty(ctx)
    _student_in_course(ctx, course_id, student_id)
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
        decided_by=ctx.actor,
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
        f"{_name(ctx)} asked for changes before awarding credit in {course}: {message}"
        if kind == "changes_requested"
        else f"{_name(ctx)} denied credit in {course}: {message}"
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
        decided_by=ctx.actor,
        decided_by_user_id=ctx.user_id,
    )
    db.session.add(decision)
    db.session.flush()
    audit.record(ctx.actor, "credit.resubmitted", ctx.tenant_id, course_id=course_id)
    return decision


# --- the second approval --------------------------------------------------------------------


def may_give_second_approval(ctx: LaunchContext, award: CreditAward) -> bool:
    policy = get_policy(award.tenant_id, award.course_id)
    if ctx.tenant_id != award.tenant_id or ctx.read_only or ctx.user_id == award.decided_by_user_id:
        return False
    if policy.second_approver == "advisor":
        return ctx.role == "advisor"
    return ctx.role == "faculty" and ctx.course_id == award.course_id


def awaiting_second_approval(ctx: LaunchContext) -> list[CreditAward]:
    """Awards this person may approve: an advisor sees the tenant's, an instructor the
    course's (never their own)."""
    q = select(CreditAward).where(
        CreditAward.tenant_id == ctx.tenant_id,
        CreditAward.status == "awaiting_approval",
        CreditAward.superseded_at.is_(None),
    )
    if ctx.role == "faculty":
        q = q.where(CreditAward.course_id == ctx.course_id)
    return [
        a
        for a in db.session.scalars(q.order_by(CreditAward.id))
        if may_give_second_approval(ctx, a)
    ]


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
    award.approved_by = ctx.actor
    award.approved_by_user_id = ctx.user_id
    award.approved_at = utcnow()
    db.session.flush()
    audit.record(
        ctx.actor, "credit.approved", ctx.tenant_id, award_id=award.id, course_id=award.course_id
    )
    student = db.session.get(User, award.student_id)
    _enqueue(award, student.sub if student else "")
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
    award.approved_by = ctx.actor
    award.approved_by_user_id = ctx.user_id
    award.approved_at = utcnow()
    db.session.add(
        CreditDecision(
            tenant_id=award.tenant_id,
            course_id=award.course_id,
            student_id=award.student_id,
            kind="approval_declined",
            message=award.decline_reason,
            decided_by=ctx.actor,
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


# --- bulk award -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkLine:
    student_id: int
    name: str
    credits: int
    hours: float


def bulk_candidates(tenant_id: int, course_id: int) -> list[BulkLine]:
    """Everyone ready for review, with the credits the policy gives them."""
    return [
        BulkLine(p.student_id, p.name or p.email or p.sub, p.credits_eligible, p.counted_hours)
        for p in course_progress(tenant_id, course_id)
        if p.state in ("ready", "resubmitted") and p.credits_eligible > 0
    ]


def _insert_rows(model: Any, rows: list[dict[str, Any]], *, ignore_conflicts: bool = False) -> None:
    """One executemany INSERT of many rows (the driver batches them; the statement compiles
    once). With ``ignore_conflicts``: ON CONFLICT DO NOTHING, so a student decided meanwhile
    (the current-award index) or a re-submitted form (the idempotency key) adds no row."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    stmt_mod = postgresql if dialect == "postgresql" else sqlite
    stmt = stmt_mod.insert(model)
    db.session.execute(stmt.on_conflict_do_nothing() if ignore_conflicts else stmt, rows)


@dataclass(frozen=True)
class BulkAward:
    """One award a bulk award made."""

    id: int
    student_id: int
    credits: int
    grade_label: str
    status: str
    created_at: dt.datetime


def bulk_award(
    ctx: LaunchContext,
    *,
    student_ids: list[int],
    score: float | None,
    idempotency_key: str,
    lineitem_url: str | None,
    comment: str = "",
) -> list[BulkAward]:
    """Award everyone in ``student_ids`` who is still ready, with the credits the policy gives
    them, set-based (a few statements whatever the number of students). A re-submitted form
    (same key) adds nothing; students decided meanwhile are skipped."""
    course_id = _require_faculty(ctx)
    policy = get_policy(ctx.tenant_id, course_id)
    wanted = set(student_ids)
    # The whole course in a few grouped queries (cheaper than thousands of ids in IN lists).
    progress = {
        p.student_id: p
        for p in course_progress(ctx.tenant_id, course_id)
        if p.student_id in wanted and p.state in ("ready", "resubmitted") and p.credits_eligible > 0
    }
    score_given, label = _score(policy, score)
    two_step = policy.approval_chain == "faculty_then_second"
    now = utcnow()
    rows = [
        {
            "tenant_id": ctx.tenant_id,
            "course_id": course_id,
            "student_id": p.student_id,
            "credits": p.credits_eligible,
            "approved_minutes": p.counted_minutes,
            "grading_mode": policy.grading_mode,
            "score_given": score_given,
            "score_maximum": policy.score_maximum,
            "grade_label": label,
            "comment": _comment(p.credits_eligible, p, comment),
            "engagement_ids": p.engagement_ids,
            "status": "awaiting_approval" if two_step else "final",
            "decided_by": ctx.actor,
            "decided_by_user_id": ctx.user_id,
            "idempotency_key": f"{idempotency_key[:40]}:{p.student_id}",
            "registration_id": ctx.registration_id,
            "lineitem_url": lineitem_url,
            "created_at": now,
        }
        for p in progress.values()
    ]
    if not rows:
        return []
    _insert_rows(CreditAward, rows, ignore_conflicts=True)
    prefix = f"{idempotency_key[:40]}:"
    made_now = (
        CreditAward.tenant_id == ctx.tenant_id,
        CreditAward.course_id == course_id,
        CreditAward.created_at == now,
        CreditAward.idempotency_key.startswith(prefix, autoescape=True),
    )
    made = [
        BulkAward(*row)
        for row in db.session.execute(
            select(
                CreditAward.id,
                CreditAward.student_id,
                CreditAward.credits,
                CreditAward.grade_label,
                CreditAward.status,
                CreditAward.created_at,
            ).where(*made_now)
        )
    ]
    if not made:
        return []
    _insert_rows(
        AuditEntry,
        [
            {
                "tenant_id": ctx.tenant_id,
                "actor": ctx.actor,
                "action": "credit.awarded",
                "detail": {
                    "course_id": course_id,
                    "student_id": a.student_id,
                    "award_id": a.id,
                    "credits": a.credits,
                    "grade": a.grade_label,
                    "status": a.status,
                    "bulk": True,
                },
                "created_at": now,
            }
            for a in made
        ],
    )
    final = [a for a in made if a.status == "final"]
    if final and lineitem_url:
        # One INSERT ... SELECT from the awards just made: no score visits Python.
        ags.enqueue_scores_from_select(
            select(
                CreditAward.tenant_id.label("tenant_id"),
                CreditAward.registration_id.label("registration_id"),
                CreditAward.lineitem_url.label("lineitem"),
                User.sub.label("user_id"),
                CreditAward.score_given.label("score_given"),
                CreditAward.score_maximum.label("score_maximum"),
                CreditAward.created_at.label("timestamp"),
                CreditAward.comment.label("comment"),
                (literal("credit_award:") + cast(CreditAward.id, String)).label("source"),
            )
            .join(User, User.id == CreditAward.student_id)
            .where(*made_now, CreditAward.status == "final")
        )
    _notify_many(ctx, final, made_now)
    db.session.flush()
    return made


def _notify_many(ctx: LaunchContext, awards: list[BulkAward], made_now: tuple[Any, ...]) -> None:
    """In-app notifications set-based; email copies (stored, and sent when SMTP is
    configured) for each. ``made_now``: the criteria that select the awards just made."""
    if not awards:
        return
    course = ctx.course_title or "your course"
    texts = {
        a.student_id: f"{_name(ctx)} awarded you {a.credits} credit"
        f"{'s' if a.credits != 1 else ''} ({a.grade_label}) in {course}."[:500]
        for a in awards
    }
    _insert_rows(
        Notification,
        [
            {"tenant_id": ctx.tenant_id, "user_id": sid, "kind": "credit_awarded", "message": t}
            for sid, t in texts.items()
        ],
    )
    emails = dict(
        db.session.execute(
            select(User.id, User.email)
            .join(CreditAward, CreditAward.student_id == User.id)
            .where(*made_now, CreditAward.status == "final", User.email != "")
        ).all()
    )
    if not emails:
        return
    if current_app.config["MAIL_SMTP_HOST"]:
        for sid, address in emails.items():
            send_email(
                ctx.tenant_id,
                address,
                "Career Credit: " + texts[sid][:120],
                texts[sid],
                about_user_id=sid,
            )
        return
    _insert_rows(
        EmailMessage,
        [
            {
                "tenant_id": ctx.tenant_id,
                "to_address": address[:320],
                "subject": ("Career Credit: " + texts[sid][:120])[:300],
                "body": f"{texts[sid]}\n\nOpen Career Credit from your course in the LMS to "
                "see the details.\n",
                "transport": "outbox",
                "subject_user_id": sid,  # the student's export and erasure find it
            }
            for sid, address in emails.items()
        ],
    )


def decided_since(ctx: LaunchContext, since: dt.datetime) -> int:
    """How many awards this course made since ``since``."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(CreditAward)
            .where(
                CreditAward.tenant_id == ctx.tenant_id,
                CreditAward.course_id == ctx.course_id,
                CreditAward.created_at >= since,
            )
        )
        or 0
    )


def award_history(tenant_id: int, course_id: int, student_id: int) -> list[CreditAward]:
    """Every award for the student in the course, newest first (corrections included)."""
    return list(
        db.session.scalars(
            select(CreditAward)
            .where(
                CreditAward.tenant_id == tenant_id,
                CreditAward.course_id == course_id,
                CreditAward.student_id == student_id,
            )
            .order_by(CreditAward.id.desc())
        )
    )


def decision_history(tenant_id: int, course_id: int, student_id: int) -> list[CreditDecision]:
    return list(
        db.session.scalars(
            select(CreditDecision)
            .where(
                CreditDecision.tenant_id == tenant_id,
                CreditDecision.course_id == course_id,
                CreditDecision.student_id == student_id,
            )
            .order_by(CreditDecision.id.desc())
        )
    )


@dataclass(frozen=True)
class CourseAwards:
    course_id: int
    title: str
    term: str
    students: int
    credits: int
    awaiting: int


def tenant_overview(tenant_id: int) -> list[CourseAwards]:
    """Per course of the tenant: students awarded, credits, awards awaiting approval."""
    current = (CreditAward.superseded_at.is_(None), CreditAward.status != "declined")
    rows = db.session.execute(
        select(
            Course.id,
            Course.title,
            Course.term_name,
            func.count().filter(CreditAward.status == "final"),
            func.coalesce(func.sum(CreditAward.credits).filter(CreditAward.status == "final"), 0),
            func.count().filter(CreditAward.status == "awaiting_approval"),
        )
        .join(CreditAward, CreditAward.course_id == Course.id)
        .where(Course.tenant_id == tenant_id, CreditAward.tenant_id == tenant_id, *current)
        .group_by(Course.id, Course.title, Course.term_name)
        .order_by(Course.term_name, Course.title)
    )
    return [
        CourseAwards(cid, t or "", term or "", int(n), int(c), int(w))
        for cid, t, term, n, c, w in rows
    ]
