"""What every credit decision checks and shares: the deciding instructor, the student in the
course, the grade the policy gives, the award's comment and score for the gradebook, and the
student's current award."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, Select, and_, bindparam, false, func, or_, select, true
from sqlalchemy.orm import aliased, load_only

from internships.work.models import Engagement, EngagementReopening
from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.lti import ags
from lti_tool.models import Enrolment, User

from ...models import CreditAward, CreditDecision, CreditPolicy
from ..policy import read_policy
from ..standing import StudentProgress


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


def require_faculty(ctx: LaunchContext) -> int:
    """The course of an instructor's launch that may decide; refuses anyone else."""
    if ctx.role != "faculty" or ctx.read_only or ctx.course_id is None:
        raise ForbiddenError("Only the course's instructors can decide on credit.")
    return ctx.course_id


@functools.cache
def _student_statement() -> Executable:
    """The person of ``student_id`` and whether they are in ``course_id`` (enrolled, or with
    work counted there): one statement, built once."""
    return _student_select()


def _student_select() -> Select[User, bool]:
    """``_student_statement``'s select, to build statements on."""
    course_id: Any = bindparam("course_id")
    enrolled = (
        select(Enrolment.user_id)
        .where(Enrolment.course_id == course_id, Enrolment.user_id == User.id)
        .exists()
    )
    engaged = (
        select(Engagement.id)
        .where(Engagement.course_id == course_id, Engagement.student_id == User.id)
        .exists()
    )
    return select(User, or_(enrolled, engaged)).where(
        User.tenant_id == bindparam("tenant_id"), User.id == bindparam("student_id")
    )


@functools.cache
def _student_policy_statement() -> Executable:
    """``_student_statement`` with the course's stored policy (or None), one statement."""
    policy_here = and_(
        CreditPolicy.tenant_id == bindparam("tenant_id"),
        CreditPolicy.course_id == bindparam("course_id"),
    )
    return _student_select().add_columns(CreditPolicy).outerjoin(CreditPolicy, policy_here)


def student_and_stored_policy(
    ctx: LaunchContext, course_id: int, student_id: int
) -> tuple[User, CreditPolicy | None]:
    """``student_in_course`` and the course's stored policy (None before it has one), in one
    statement."""
    row = _student_row(_student_policy_statement(), ctx, course_id, student_id)
    return row[0], row[2]


@functools.cache
def _student_standing_statement(keyed: bool = False) -> Executable:
    """``_student_policy_statement`` with the student's current award in the course and their
    latest decision there (each None when there is none), and (``keyed``) the tenant's award
    made with the idempotency key ``key``: one statement, built once."""
    tenant_id: Any = bindparam("tenant_id")
    course_id: Any = bindparam("course_id")
    student_id: Any = bindparam("student_id")
    current = and_(  # at most one: a unique index holds the current award
        CreditAward.tenant_id == tenant_id,
        CreditAward.course_id == course_id,
        CreditAward.student_id == student_id,
        CreditAward.superseded_at.is_(None),
        CreditAward.status != "declined",
    )
    latest = (
        select(func.max(CreditDecision.id))
        .where(
            CreditDecision.tenant_id == tenant_id,
            CreditDecision.course_id == course_id,
            CreditDecision.student_id == student_id,
        )
        .scalar_subquery()
    )
    policy_here = and_(CreditPolicy.tenant_id == tenant_id, CreditPolicy.course_id == course_id)
    statement = (
        _student_select()
        .add_columns(CreditPolicy, CreditAward, CreditDecision)
        .select_from(User)
        .outerjoin(CreditPolicy, policy_here)
        .outerjoin(CreditAward, current)
        .outerjoin(CreditDecision, CreditDecision.id == latest)
    )
    if not keyed:
        return statement
    made = aliased(CreditAward)  # at most one: the key is unique in the tenant
    by_key = and_(made.tenant_id == tenant_id, made.idempotency_key == bindparam("key"))
    open_parts = (  # what the latest decision (a request for changes) reopened, still open
        select(EngagementReopening.id)
        .where(
            EngagementReopening.tenant_id == tenant_id,
            EngagementReopening.request_id == CreditDecision.id,
            EngagementReopening.closed_at.is_(None),
        )
        .exists()
    )
    # the award made with the key by its id (read whole only for a re-sent form): the whole
    # row took the statement past psycopg's 4,096-character cache, parsed again each time
    return statement.add_columns(made.id, open_parts).outerjoin(made, by_key)


@dataclass(frozen=True)
class Standing:
    """The student, the course's stored policy, their current award and latest decision;
    whether they are in the course, and the award made with the form's key (if asked)."""

    student: User
    stored_policy: CreditPolicy | None
    award: CreditAward | None
    decision: CreditDecision | None
    in_course: bool = True
    keyed: CreditAward | None = None
    # whether the latest decision reopened parts still open (None: not read)
    open_parts: bool | None = None


def student_standing(
    ctx: LaunchContext, course_id: int, student_id: int, key: str | None = None
) -> Standing:
    """``student_and_stored_policy`` with the student's current award and latest decision in
    the course, in one statement (what an award checks, without the whole history). With
    ``key``, also the tenant's award made with that idempotency key (``by_key``), in the same
    statement, and whether the latest decision's reopened parts are still open; then a student
    no longer in the course is not refused here when there is one (``in_course`` says it: the
    caller answers a re-sent form before it checks anything)."""
    if key is None:
        row = _student_row(_student_standing_statement(), ctx, course_id, student_id)
        return Standing(row[0], row[2], row[3], row[4])
    params: dict[str, Any] = {"tenant_id": ctx.tenant_id, "course_id": course_id}
    params |= {"student_id": student_id, "key": key}
    row = db.session.execute(_student_standing_statement(True), params).first()
    if row is None or row[5] is None:
        _in_course(row)
    # a re-sent form's award: most often the current one, already in the session
    keyed = db.session.get(CreditAward, row[5]) if row[5] is not None else None
    return Standing(row[0], row[2], row[3], row[4], bool(row[1]), keyed, bool(row[6]))


# What the review page shows of each award in the history (and of the current one, its
# decision panel and sync state): the whole rows took the statement past psycopg's
# 4,096-character cache, so psycopg parsed it again on every page.
_HISTORY_AWARD = (
    CreditAward.id,
    CreditAward.credits,
    CreditAward.grading_mode,
    CreditAward.score_given,
    CreditAward.grade_label,
    CreditAward.comment,
    CreditAward.status,
    CreditAward.decided_by,
    CreditAward.approved_by,
    CreditAward.decline_reason,
    CreditAward.superseded_at,
    CreditAward.lineitem_url,
    CreditAward.created_at,
)
# and of each decision (the timeline, the requests for changes, the student's state)
_HISTORY_DECISION = (
    CreditDecision.id,
    CreditDecision.tenant_id,
    CreditDecision.kind,
    CreditDecision.message,
    CreditDecision.decided_by,
    CreditDecision.created_at,
)


@functools.cache
def _student_history_statement() -> Executable:
    """``_student_policy_statement`` with the student's awards in the course, their decisions
    there and the parts each request for changes reopened: one statement, built once. The
    three lists, each read through its own index, are full-joined on nothing (their union:
    each row one list's, the others' columns null), and the union is left-joined to the
    student's row (one row of nulls when all three are empty)."""
    tenant_id: Any = bindparam("tenant_id")
    course_id: Any = bindparam("course_id")
    student_id: Any = bindparam("student_id")
    policy_here = and_(CreditPolicy.tenant_id == tenant_id, CreditPolicy.course_id == course_id)
    awards, decisions = (
        select(*columns)
        .where(model.tenant_id == tenant_id)
        .where(model.course_id == course_id, model.student_id == student_id)
        .subquery()
        for model, columns in ((CreditAward, _HISTORY_AWARD), (CreditDecision, _HISTORY_DECISION))
    )
    requests = select(CreditDecision.id).where(  # the decisions' ids, not their subquery again
        CreditDecision.tenant_id == tenant_id,
        CreditDecision.course_id == course_id,
        CreditDecision.student_id == student_id,
    )
    reopenings = (
        select(EngagementReopening)
        .where(EngagementReopening.tenant_id == tenant_id)
        .where(EngagementReopening.request_id.in_(requests))
        .subquery()
    )
    award, decision = aliased(CreditAward, awards), aliased(CreditDecision, decisions)
    reopening = aliased(EngagementReopening, reopenings)
    history = awards.join(decisions, false(), full=True).join(reopenings, false(), full=True)
    shown = (
        load_only(*(getattr(award, c.key) for c in _HISTORY_AWARD)),
        load_only(*(getattr(decision, c.key) for c in _HISTORY_DECISION)),
    )
    return (
        _student_select()
        .add_columns(CreditPolicy, award, decision, reopening)
        .select_from(User)
        .outerjoin(CreditPolicy, policy_here)
        .outerjoin(history, true())
        .options(*shown)
        # each list's rows tie on the others' null columns: each keeps its own order
        .order_by(award.id.desc(), decision.id.desc(), reopening.id)
    )


@dataclass(frozen=True)
class History:
    """The student, the course's policy to read, their awards and decisions there newest first
    (as ``award_history`` and ``decision_history`` give them) and what each request for
    changes reopened, by the request's id (as ``decisions_and_reopenings`` gives it)."""

    student: User
    policy: CreditPolicy
    awards: list[CreditAward]
    decisions: list[CreditDecision]
    reopened: dict[int, list[EngagementReopening]]


def student_history(ctx: LaunchContext, course_id: int, student_id: int) -> History:
    """``student_and_policy``, ``award_history`` and ``decisions_and_reopenings`` in one
    statement (the review page shows them all)."""
    params = {"tenant_id": ctx.tenant_id, "course_id": course_id, "student_id": student_id}
    rows = db.session.execute(_student_history_statement(), params).all()
    student, _, stored, *_ = _in_course(rows[0] if rows else None)
    awards = [row[3] for row in rows if row[3] is not None]
    decisions = [row[4] for row in rows if row[4] is not None]
    reopened: dict[int, list[EngagementReopening]] = {d.id: [] for d in decisions}
    for row in rows:
        if row[5] is not None:
            reopened[row[5].request_id].append(row[5])
    policy = stored if stored is not None else read_policy(ctx.tenant_id, course_id)
    return History(student, policy, awards, decisions, reopened)


def student_and_policy(
    ctx: LaunchContext, course_id: int, student_id: int
) -> tuple[User, CreditPolicy]:
    """``student_in_course`` and the course's policy to read (``policy.read_policy``) in one
    statement when the course has a stored policy (the review page reads both)."""
    student, stored = student_and_stored_policy(ctx, course_id, student_id)
    return student, stored if stored is not None else read_policy(ctx.tenant_id, course_id)


def student_in_course(ctx: LaunchContext, course_id: int, student_id: int) -> User:
    """The student, enrolled in the course or with work counted there; else NotFoundError."""
    return _student_row(_student_statement(), ctx, course_id, student_id)[0]


def _student_row(statement: Executable, ctx: LaunchContext, course_id: int, student_id: int) -> Any:
    """The row of a student statement (the person, whether in the course, ...); NotFoundError
    when the tenant has no such person or they are not in the course."""
    params = {"tenant_id": ctx.tenant_id, "course_id": course_id, "student_id": student_id}
    return _in_course(db.session.execute(statement, params).first())


def _in_course(row: Any) -> Any:
    """The row of a student statement; NotFoundError when there is none (the tenant has no
    such person) or its second column says they are not in the course."""
    if row is None:
        raise NotFoundError("This student is not known to Career Credit.")
    if not row[1]:
        raise NotFoundError("This student is not in this course.")
    return row


def score_for(policy: CreditPolicy, score: float | None) -> tuple[float, str]:
    """The score sent to the gradebook and its label, checked against the policy's mode."""
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


def award_comment(credits: int, p: StudentProgress, text: str) -> str:
    """The gradebook comment: the credits and hours, then the instructor's words."""
    base = (
        f"{credits} academic credit{'s' if credits != 1 else ''} for "
        f"{p.counted_hours:g} approved hours of micro-internship work."
    )
    return f"{base} {text.strip()}".strip()[:2000]


def instructor_name(ctx: LaunchContext) -> str:
    """How the student's notification names the person who decided."""
    return ctx.user_name or "Your instructor"


def enqueue_score(award: CreditAward, sub: str) -> None:
    """Queue a final award's score for its gradebook column (in the outbox, same transaction)."""
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


@functools.cache
def _by_key_statement() -> Executable:
    """The award of ``key`` in the tenant, built once (an award's POST reads it twice)."""
    return select(CreditAward).where(
        CreditAward.tenant_id == bindparam("tenant_id"),
        CreditAward.idempotency_key == bindparam("key"),
    )


def by_key(tenant_id: int, key: str) -> CreditAward | None:
    """The award a form with this idempotency key made, if any."""
    return db.session.scalar(_by_key_statement(), {"tenant_id": tenant_id, "key": key})


def current_award(tenant_id: int, course_id: int, student_id: int) -> CreditAward | None:
    """The student's award in the course that stands (not superseded, not declined)."""
    return db.session.scalar(
        select(CreditAward).where(
            CreditAward.tenant_id == tenant_id,
            CreditAward.course_id == course_id,
            CreditAward.student_id == student_id,
            CreditAward.superseded_at.is_(None),
            CreditAward.status != "declined",
        )
    )


def conflict(existing: CreditAward | None) -> AwardConflictError:
    """The refusal when someone else decided the student first."""
    who = existing.decided_by.split(" <")[0] if existing else "another instructor"
    return AwardConflictError(
        f"Credit for this student was just decided by {who}; nothing new was saved.",
        hint="Reload the page to see the award. To change it, use 'Correct this award'.",
    )
