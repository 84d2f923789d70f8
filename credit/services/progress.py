"""Credit progress per student and course: approved and pending hours, credits earned and
eligible, the artefact checklist the policy demands, and where the student stands.

All figures for a course come from a handful of grouped queries (no query per student), so a
roster of thousands renders quickly.

Which work counts: engagements in the course that the student finished (``submitted`` or
``completed``); hours count once confirmed and, when the policy has a deadline, only for days
up to it. Active engagements show their hours as progress but are not counted yet; cancelled
ones never count."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, select

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
from .policy import read_policy
from .standing import (
    EngagementProgress,
    StudentProgress,
    checklist_for,
    credits_by_hours,
    state_of,
)


def course_progress(
    tenant_id: int, course_id: int, student_ids: list[int] | None = None
) -> list[StudentProgress]:
    """Progress of every student of the course known to the tool (or of ``student_ids``),
    sorted by name."""
    policy = read_policy(tenant_id, course_id)
    students = _students(tenant_id, course_id, student_ids)
    eng_filter = _engagement_filter(tenant_id, course_id, student_ids)
    engagements, owner = _engagements(eng_filter)
    # Students with work counted here but no launch into the course yet still appear.
    _add_students(students, tenant_id, course_id, set(owner.values()) - set(students))
    _add_hours(engagements, eng_filter, policy)
    _add_reflections(engagements, eng_filter)
    _add_evaluations(engagements, eng_filter)
    awards = _current_awards(tenant_id, course_id)
    decisions = _latest_decisions(tenant_id, course_id)
    for eid, e in engagements.items():
        students[owner[eid]].engagements.append(e)
    for p in students.values():
        _sum_up(p, policy, awards.get(p.student_id), decisions.get(p.student_id))
    return sorted(students.values(), key=lambda p: (p.name.casefold(), p.student_id))


def _students(
    tenant_id: int, course_id: int, student_ids: list[int] | None
) -> dict[int, StudentProgress]:
    """The course's enrolled students (or the people of ``student_ids``), no figures yet."""
    people = select(User.id, User.name, User.email, User.sub).where(User.tenant_id == tenant_id)
    if student_ids is None:
        people = people.join(Enrolment, Enrolment.user_id == User.id).where(
            Enrolment.course_id == course_id, Enrolment.role == "student"
        )
    else:
        people = people.where(User.id.in_(student_ids))
    return {
        uid: StudentProgress(uid, course_id, name or "", email or "", sub)
        for uid, name, email, sub in db.session.execute(people)
    }


def _engagement_filter(
    tenant_id: int, course_id: int, student_ids: list[int] | None
) -> ColumnElement[bool]:
    """The engagements that count toward the course (every status but cancelled)."""
    eng_filter = and_(
        Engagement.tenant_id == tenant_id,
        Engagement.course_id == course_id,
        Engagement.status != "cancelled",
    )
    if student_ids is not None:
        eng_filter = and_(eng_filter, Engagement.student_id.in_(student_ids))
    return eng_filter


def _engagements(
    eng_filter: ColumnElement[bool],
) -> tuple[dict[int, EngagementProgress], dict[int, int]]:
    """The engagements by id, and the student each belongs to."""
    engagements: dict[int, EngagementProgress] = {}
    rows = db.session.execute(
        select(
            Engagement.id,
            Engagement.student_id,
            Engagement.status,
            Engagement.planned_hours,
            Engagement.acknowledged_at,
            Listing.title,
            Listing.employer_id,
        )
        .join(Listing, Listing.id == Engagement.listing_id)
        .where(eng_filter)
        .order_by(Engagement.id)
    )
    owner: dict[int, int] = {}
    for eid, sid, status, planned, ack, title, _employer in rows:
        engagements[eid] = EngagementProgress(
            eid, title, "", status, planned or 0, agreement=ack is not None
        )
        owner[eid] = sid
    return engagements, owner


def _add_students(
    students: dict[int, StudentProgress], tenant_id: int, course_id: int, missing: set[int]
) -> None:
    """Add the people of ``missing`` (work in the course, no enrolment) to ``students``."""
    if not missing:
        return
    for uid, name, email, sub in db.session.execute(
        select(User.id, User.name, User.email, User.sub).where(
            User.tenant_id == tenant_id, User.id.in_(missing)
        )
    ):
        students[uid] = StudentProgress(uid, course_id, name or "", email or "", sub)


def _add_hours(
    engagements: dict[int, EngagementProgress],
    eng_filter: ColumnElement[bool],
    policy: CreditPolicy,
) -> None:
    """Confirmed (and late), pending and queried minutes per engagement, in one grouped query."""
    hour_rows = db.session.execute(
        select(
            HourLog.engagement_id,
            HourLog.status,
            func.sum(HourLog.minutes),
            func.sum(HourLog.minutes).filter(HourLog.work_date > policy.deadline)
            if policy.deadline
            else func.sum(0),
        )
        .join(Engagement, Engagement.id == HourLog.engagement_id)
        .where(eng_filter)
        .group_by(HourLog.engagement_id, HourLog.status)
    )
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


def _add_reflections(
    engagements: dict[int, EngagementProgress], eng_filter: ColumnElement[bool]
) -> None:
    """Mark the engagements whose reflection was submitted."""
    for (eid,) in db.session.execute(
        select(Reflection.engagement_id)
        .join(Engagement, Engagement.id == Reflection.engagement_id)
        .where(eng_filter, Reflection.submitted_at.is_not(None))
    ):
        if eid in engagements:
            engagements[eid].reflection = True


def _add_evaluations(
    engagements: dict[int, EngagementProgress], eng_filter: ColumnElement[bool]
) -> None:
    """Mark the engagements with a supervisor's evaluation, with their lowest rating."""
    for eid, lowest in db.session.execute(
        select(SupervisorEvaluation.engagement_id, func.min(CompetencyRating.level))
        .join(Engagement, Engagement.id == SupervisorEvaluation.engagement_id)
        .outerjoin(CompetencyRating, CompetencyRating.evaluation_id == SupervisorEvaluation.id)
        .where(eng_filter)
        .group_by(SupervisorEvaluation.engagement_id)
    ):
        if eid in engagements:
            engagements[eid].evaluation = True
            engagements[eid].lowest_rating = lowest


def _current_awards(tenant_id: int, course_id: int) -> dict[int, CreditAward]:
    """The course's current award per student (not superseded, not declined)."""
    award_filter = and_(
        CreditAward.tenant_id == tenant_id,
        CreditAward.course_id == course_id,
        CreditAward.superseded_at.is_(None),
        CreditAward.status != "declined",
    )
    return {a.student_id: a for a in db.session.scalars(select(CreditAward).where(award_filter))}


def _latest_decisions(tenant_id: int, course_id: int) -> dict[int, CreditDecision]:
    """The course's latest decision per student."""
    latest = (
        select(CreditDecision.student_id, func.max(CreditDecision.id).label("last_id"))
        .where(CreditDecision.tenant_id == tenant_id, CreditDecision.course_id == course_id)
        .group_by(CreditDecision.student_id)
        .subquery()
    )
    return {
        d.student_id: d
        for d in db.session.scalars(
            select(CreditDecision).join(latest, latest.c.last_id == CreditDecision.id)
        )
    }


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
    p.credits_by_hours = credits_by_hours(p, policy)
    p.checklist = checklist_for(p, policy)
    p.award = award
    if p.award is not None and p.award.status == "final":
        p.credits_earned = p.award.credits
    # A decision older than the current award no longer describes where the student is.
    if decision is not None and (p.award is None or decision.created_at > p.award.created_at):
        p.last_decision = decision
    p.state = state_of(p)


def student_progress(tenant_id: int, course_id: int, student_id: int) -> StudentProgress:
    """One student's progress in one course."""
    found = course_progress(tenant_id, course_id, [student_id])
    if not found:
        user = db.session.get(User, student_id)
        name = user.name if user else ""
        return StudentProgress(student_id, course_id, name, "", user.sub if user else "")
    return found[0]


def student_progress_all_courses(tenant_id: int, student_id: int) -> list[StudentProgress]:
    """A student's progress in every course where they are a student or have work counted."""
    course_ids = set(
        db.session.scalars(
            select(Enrolment.course_id).where(
                Enrolment.tenant_id == tenant_id,
                Enrolment.user_id == student_id,
                Enrolment.role == "student",
            )
        )
    ) | set(
        db.session.scalars(
            select(Engagement.course_id).where(
                Engagement.tenant_id == tenant_id,
                Engagement.student_id == student_id,
                Engagement.course_id.is_not(None),
            )
        )
    )
    return [
        student_progress(tenant_id, cid, student_id) for cid in sorted(c for c in course_ids if c)
    ]


def course_titles(tenant_id: int, course_ids: list[int]) -> dict[int, str]:
    return dict(
        db.session.execute(
            select(Course.id, Course.title).where(
                Course.tenant_id == tenant_id, Course.id.in_(course_ids)
            )
        ).all()
    )
