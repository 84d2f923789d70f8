"""Credit progress per student and course: approved and pending hours, credits earned and
eligible, the artefact checklist the policy demands, and where the student stands.

All figures for a course come from a handful of grouped queries (no query per student), so a
roster of thousands renders quickly.

Which work counts: engagements in the course that the student finished (``submitted`` or
``completed``); hours count once confirmed and, when the policy has a deadline, only for days
up to it. Active engagements show their hours as progress but are not counted yet; cancelled
ones never count."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import ColumnElement, Executable, and_, bindparam, func, select

from internships.models import Listing
from internships.work.models import (
    CompetencyRating,
    Engagement,
    HourLog,
    Reflection,
    SupervisorEvaluation,
)
from lti_tool.extensions import db
from lti_tool.models import Course, Enrolment, User

from ..models import CreditAward, CreditDecision, CreditPolicy
from .policy import read_policies
from .standing import (
    EngagementProgress,
    StudentProgress,
    checklist_for,
    credits_by_hours,
    state_of,
)


def course_progress(
    tenant_id: int,
    course_id: int,
    student_ids: list[int] | None = None,
    policy: CreditPolicy | None = None,
) -> list[StudentProgress]:
    """Progress of every student of the course known to the tool (or of ``student_ids``),
    sorted by name (under ``policy`` when the caller read the course's policy already)."""
    found = _progress(
        tenant_id, [course_id], student_ids, policies={course_id: policy} if policy else None
    )
    return sorted(found.values(), key=lambda p: (p.name.casefold(), p.student_id))


def _progress(
    tenant_id: int,
    course_ids: list[int],
    student_ids: list[int] | None,
    courses_known: bool = False,
    policies: dict[int, CreditPolicy] | None = None,
) -> dict[tuple[int, int], StudentProgress]:
    """Progress by (student, course) for the courses of ``course_ids``: of their enrolled
    students (and anyone with work counted there), or of each of ``student_ids`` in each
    course. The same grouped queries serve one course's roster and one student's courses.
    ``courses_known``: the caller read the courses from the tenant's own rows; ``policies``:
    the courses' policies, when the caller read them."""
    if policies is None:
        policies = read_policies(tenant_id, course_ids, courses_known)
    students = _students(tenant_id, course_ids, student_ids)
    params = {"tenant_id": tenant_id, "course_ids": course_ids, "student_ids": student_ids}
    by_students = student_ids is not None
    engagements, owner = _engagements(params, by_students)
    # Students with work counted here but no launch into the course yet still appear.
    _add_students(students, tenant_id, set(owner.values()) - set(students))
    _add_hours(engagements, params, by_students)
    awards = _current_awards(tenant_id, course_ids, student_ids)
    decisions = _latest_decisions(tenant_id, course_ids, student_ids)
    for eid, e in engagements.items():
        if owner[eid] in students:
            students[owner[eid]].engagements.append(e)
    for key, p in students.items():
        _sum_up(p, policies[p.course_id], awards.get(key), decisions.get(key))
    return students


def _in(column: Any, values: list[int]) -> ColumnElement[bool]:
    """``column = value`` for one value (the common case reads better in a plan), else IN."""
    return column == values[0] if len(values) == 1 else column.in_(values)


def _students(
    tenant_id: int, course_ids: list[int], student_ids: list[int] | None
) -> dict[tuple[int, int], StudentProgress]:
    """The courses' enrolled students (or the people of ``student_ids`` in every course), no
    figures yet."""
    people = select(User.id, User.name, User.email, User.sub).where(User.tenant_id == tenant_id)
    if student_ids is None:
        rows = db.session.execute(
            people.add_columns(Enrolment.course_id)
            .join(Enrolment, Enrolment.user_id == User.id)
            .where(_in(Enrolment.course_id, course_ids), Enrolment.role == "student")
        )
        return {
            (uid, cid): StudentProgress(uid, cid, name or "", email or "", sub)
            for uid, name, email, sub, cid in rows
        }
    found = {}
    for uid, name, email, sub in db.session.execute(people.where(_in(User.id, student_ids))):
        for cid in course_ids:
            found[(uid, cid)] = StudentProgress(uid, cid, name or "", email or "", sub)
    return found


def _engagement_filter(by_students: bool) -> ColumnElement[bool]:
    """The engagements that count toward the courses (every status but cancelled), with the
    parameters ``tenant_id``, ``course_ids`` and (``by_students``) ``student_ids``."""
    eng_filter = and_(
        Engagement.tenant_id == bindparam("tenant_id"),
        Engagement.course_id.in_(bindparam("course_ids", expanding=True)),
        Engagement.status != "cancelled",
    )
    if by_students:
        eng_filter = and_(
            eng_filter, Engagement.student_id.in_(bindparam("student_ids", expanding=True))
        )
    return eng_filter


@functools.cache
def _engagements_statement(by_students: bool) -> Executable:
    """Each engagement with its listing's title, whether its reflection was submitted and
    whether (with its lowest rating) the supervisor evaluated it. Built once: a page view only
    binds its parameters."""
    reflected = (
        select(Reflection.id)
        .where(Reflection.engagement_id == Engagement.id, Reflection.submitted_at.is_not(None))
        .exists()
    )
    evaluated = (
        select(SupervisorEvaluation.id)
        .where(SupervisorEvaluation.engagement_id == Engagement.id)
        .exists()
    )
    lowest = (
        select(func.min(CompetencyRating.level))
        .join(SupervisorEvaluation, SupervisorEvaluation.id == CompetencyRating.evaluation_id)
        .where(SupervisorEvaluation.engagement_id == Engagement.id)
        .scalar_subquery()
    )
    return (
        select(
            Engagement.id,
            Engagement.student_id,
            Engagement.course_id,
            Engagement.status,
            Engagement.planned_hours,
            Engagement.acknowledged_at,
            Listing.title,
            reflected,
            evaluated,
            lowest,
        )
        .join(Listing, Listing.id == Engagement.listing_id)
        .where(_engagement_filter(by_students))
        .order_by(Engagement.id)
    )


def _engagements(
    params: dict[str, Any], by_students: bool
) -> tuple[dict[int, EngagementProgress], dict[int, tuple[int, int]]]:
    """The engagements by id, and the (student, course) each belongs to."""
    engagements: dict[int, EngagementProgress] = {}
    rows = db.session.execute(_engagements_statement(by_students), _bound(params))
    owner: dict[int, tuple[int, int]] = {}
    for eid, sid, cid, status, planned, ack, title, reflected, evaluated, lowest in rows:
        if cid is None:  # the filter names the courses; an engagement without one is not here
            continue
        engagements[eid] = EngagementProgress(
            eid,
            title,
            "",
            status,
            planned or 0,
            agreement=ack is not None,
            reflection=bool(reflected),
            evaluation=bool(evaluated),
            lowest_rating=lowest if evaluated else None,
        )
        owner[eid] = (sid, cid)
    return engagements, owner


def _bound(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a statement binds (``student_ids`` only when given)."""
    return {k: v for k, v in params.items() if v is not None}


def _add_students(
    students: dict[tuple[int, int], StudentProgress],
    tenant_id: int,
    missing: set[tuple[int, int]],
) -> None:
    """Add the (student, course) pairs of ``missing`` (work in the course, no enrolment)."""
    if not missing:
        return
    people = db.session.execute(
        select(User.id, User.name, User.email, User.sub).where(
            User.tenant_id == tenant_id, User.id.in_({uid for uid, _ in missing})
        )
    )
    by_id = {uid: (name, email, sub) for uid, name, email, sub in people}
    for uid, cid in missing:
        if uid not in by_id:  # not a person of this tenant: nothing to show
            continue
        name, email, sub = by_id[uid]
        students[(uid, cid)] = StudentProgress(uid, cid, name or "", email or "", sub)


@functools.cache
def _hours_statement(by_students: bool) -> Executable:
    """Confirmed (and late: after the course policy's deadline), pending and queried minutes
    per engagement and status. A course without a stored policy has no deadline (the
    defaults set none)."""
    return (
        select(
            HourLog.engagement_id,
            HourLog.status,
            func.sum(HourLog.minutes),
            func.sum(HourLog.minutes).filter(HourLog.work_date > CreditPolicy.deadline),
        )
        .join(Engagement, Engagement.id == HourLog.engagement_id)
        .outerjoin(
            CreditPolicy,
            and_(
                CreditPolicy.tenant_id == Engagement.tenant_id,
                CreditPolicy.course_id == Engagement.course_id,
            ),
        )
        .where(_engagement_filter(by_students))
        .group_by(HourLog.engagement_id, HourLog.status)
    )


def _add_hours(
    engagements: dict[int, EngagementProgress], params: dict[str, Any], by_students: bool
) -> None:
    """Each engagement's minutes by status, in one grouped query."""
    hour_rows = db.session.execute(_hours_statement(by_students), _bound(params))
    for eid, status, minutes, late in hour_rows:
        e = engagements.get(eid)
        if e is None:
            continue
        if status == "confirmed":
            e.approved_minutes += int(minutes or 0)
            e.late_minutes += int(late or 0)
        elif status == "pending":
            e.pending_minutes += int(minutes or 0)
        else:
            e.queried_minutes += int(minutes or 0)


@functools.cache
def _awards_statement(by_students: bool) -> Executable:
    """The courses' current awards (not superseded, not declined), built once: a page binds
    ``tenant_id``, ``course_ids`` and (``by_students``) ``student_ids``."""
    where = [
        CreditAward.tenant_id == bindparam("tenant_id"),
        CreditAward.course_id.in_(bindparam("course_ids", expanding=True)),
        CreditAward.superseded_at.is_(None),
        CreditAward.status != "declined",
    ]
    if by_students:
        where.append(CreditAward.student_id.in_(bindparam("student_ids", expanding=True)))
    return select(CreditAward).where(*where)


def _current_awards(
    tenant_id: int, course_ids: list[int], student_ids: list[int] | None
) -> dict[tuple[int, int], CreditAward]:
    """The courses' current award per (student, course) (not superseded, not declined)."""
    params = {"tenant_id": tenant_id, "course_ids": course_ids, "student_ids": student_ids}
    statement = _awards_statement(student_ids is not None)
    return {(a.student_id, a.course_id): a for a in db.session.scalars(statement, _bound(params))}


@functools.cache
def _decisions_statement(by_students: bool) -> Executable:
    """The courses' latest decision per (student, course), built once (parameters as
    ``_awards_statement``'s)."""
    where = [
        CreditDecision.tenant_id == bindparam("tenant_id"),
        CreditDecision.course_id.in_(bindparam("course_ids", expanding=True)),
    ]
    if by_students:
        where.append(CreditDecision.student_id.in_(bindparam("student_ids", expanding=True)))
    latest = (
        select(func.max(CreditDecision.id).label("last_id"))
        .where(*where)
        .group_by(CreditDecision.student_id, CreditDecision.course_id)
        .subquery()
    )
    return select(CreditDecision).join(latest, latest.c.last_id == CreditDecision.id)


def _latest_decisions(
    tenant_id: int, course_ids: list[int], student_ids: list[int] | None
) -> dict[tuple[int, int], CreditDecision]:
    """The courses' latest decision per (student, course)."""
    params = {"tenant_id": tenant_id, "course_ids": course_ids, "student_ids": student_ids}
    statement = _decisions_statement(student_ids is not None)
    return {(d.student_id, d.course_id): d for d in db.session.scalars(statement, _bound(params))}


def _sum_up(
    p: StudentProgress,
    policy: CreditPolicy,
    award: CreditAward | None,
    decision: CreditDecision | None,
) -> None:
    """A student's totals, credits, checklist and state from their engagements and decisions."""
    for e in p.engagements:
        p.approved_minutes += e.approved_minutes
        p.pending_minutes += e.pending_minutes
        if e.counted:
            p.counted_minutes += e.approved_minutes - e.late_minutes
    p.policy = policy
    p.credits_by_hours = credits_by_hours(p, policy)
    p.checklist = checklist_for(p, policy)
    p.award = award
    if p.award is not None and p.award.status == "final":
        p.credits_earned = p.award.credits
    # A decision older than the current award no longer describes where the student is.
    if decision is not None and (p.award is None or decision.created_at > p.award.created_at):
        p.last_decision = decision
    p.state = state_of(p)


def student_progress(
    tenant_id: int, course_id: int, student_id: int, policy: CreditPolicy | None = None
) -> StudentProgress:
    """One student's progress in one course (under ``policy`` when the caller read the
    course's policy already)."""
    found = list(
        _progress(
            tenant_id, [course_id], [student_id], policies={course_id: policy} if policy else None
        ).values()
    )
    if not found:
        user = db.session.get(User, student_id)
        name = user.name if user else ""
        return StudentProgress(student_id, course_id, name, "", user.sub if user else "")
    return found[0]


@functools.cache
def _their_courses_statement() -> Executable:
    """A student's courses with their titles: where they are a student or have work counted."""
    tenant_id: Any = bindparam("tenant_id")
    student_id: Any = bindparam("student_id")
    theirs = (
        select(Enrolment.course_id)
        .where(
            Enrolment.tenant_id == tenant_id,
            Enrolment.user_id == student_id,
            Enrolment.role == "student",
        )
        .union(
            select(Engagement.course_id).where(
                Engagement.tenant_id == tenant_id,
                Engagement.student_id == student_id,
                Engagement.course_id.is_not(None),
            )
        )
        .subquery()
    )
    return (
        select(Course.id, Course.title)
        .where(Course.tenant_id == tenant_id, Course.id.in_(select(theirs.c.course_id)))
        .order_by(Course.id)
    )


def student_progress_all_courses(tenant_id: int, student_id: int) -> list[StudentProgress]:
    """A student's progress in every course where they are a student or have work counted,
    by course (each with its ``course_title``): the same handful of grouped queries whatever
    the number of courses."""
    titles: dict[int, str | None] = dict(
        db.session.execute(
            _their_courses_statement(), {"tenant_id": tenant_id, "student_id": student_id}
        ).all()
    )
    if not titles:
        return []
    ids = list(titles)
    found = _progress(tenant_id, ids, [student_id], courses_known=True)
    rows = [found[(student_id, cid)] for cid in ids if (student_id, cid) in found]
    for p in rows:
        p.course_title = titles[p.course_id] or ""
    return rows
