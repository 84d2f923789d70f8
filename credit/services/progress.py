"""Credit progress per student and course: approved and pending hours, credits earned and
eligible, the artefact checklist the policy demands, and where the student stands.

All figures for a course come from a handful of grouped queries (no query per student), so a
roster of thousands renders quickly.

Which work counts: engagements in the course that the student finished (``submitted`` or
``completed``); hours count once confirmed and, when the policy has a deadline, only for days
up to it. Active engagements show their hours as progress but are not counted yet; cancelled
ones never count."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

from internships.models import Listing
from internships.work.models import (
    RATING_LEVELS,
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

COUNTED = ("submitted", "completed")

STATE_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "ready": "Ready for review",
    "changes_requested": "Changes requested",
    "resubmitted": "Resubmitted for review",
    "denied": "Credit denied",
    "awaiting_approval": "Awaiting second approval",
    "awarded": "Credit awarded",
}


@dataclass
class EngagementProgress:
    engagement_id: int
    title: str
    employer: str
    status: str
    planned_hours: int
    approved_minutes: int = 0
    pending_minutes: int = 0
    queried_minutes: int = 0
    late_minutes: int = 0  # confirmed, but after the policy's deadline
    agreement: bool = False
    reflection: bool = False
    evaluation: bool = False
    lowest_rating: int | None = None

    @property
    def counted(self) -> bool:
        return self.status in COUNTED


@dataclass
class ChecklistItem:
    key: str
    label: str
    done: bool
    detail: str = ""


@dataclass
class StudentProgress:
    student_id: int
    course_id: int
    name: str
    email: str
    sub: str
    dropped: bool = False
    engagements: list[EngagementProgress] = field(default_factory=list)
    approved_minutes: int = 0  # confirmed hours of every engagement that is not cancelled
    pending_minutes: int = 0
    counted_minutes: int = 0  # confirmed hours of finished engagements, inside the deadline
    credits_by_hours: int = 0
    credits_earned: int = 0
    checklist: list[ChecklistItem] = field(default_factory=list)
    award: CreditAward | None = None
    last_decision: CreditDecision | None = None
    state: str = "not_started"

    @property
    def approved_hours(self) -> float:
        return round(self.approved_minutes / 60, 2)

    @property
    def pending_hours(self) -> float:
        return round(self.pending_minutes / 60, 2)

    @property
    def counted_hours(self) -> float:
        return round(self.counted_minutes / 60, 2)

    @property
    def checklist_complete(self) -> bool:
        return all(item.done for item in self.checklist)

    @property
    def credits_eligible(self) -> int:
        """Credits the policy allows for the counted work (0 until the checklist is done)."""
        return self.credits_by_hours if self.checklist_complete else 0

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def engagement_ids(self) -> list[int]:
        return sorted(e.engagement_id for e in self.engagements if e.counted)


def _progress_fraction(p: StudentProgress, policy: CreditPolicy) -> float:
    target = policy.hours_per_credit * policy.max_credits * 60
    return min(1.0, p.approved_minutes / target) if target else 0.0


def percent_complete(p: StudentProgress, policy: CreditPolicy) -> int:
    """Approved hours against the hours the course's full credit needs, in percent."""
    return round(100 * _progress_fraction(p, policy))


def _credits_by_hours(p: StudentProgress, policy: CreditPolicy) -> int:
    per_credit = policy.hours_per_credit * 60
    counted = [e for e in p.engagements if e.counted]
    if policy.allow_stacking:
        credits = sum(e.approved_minutes - e.late_minutes for e in counted) // per_credit
    else:
        credits = sum((e.approved_minutes - e.late_minutes) // per_credit for e in counted)
    return int(min(credits, policy.max_credits))


def _checklist(p: StudentProgress, policy: CreditPolicy) -> list[ChecklistItem]:
    counted = [e for e in p.engagements if e.counted]
    hours_needed = policy.hours_per_credit
    items = [
        ChecklistItem(
            "hours",
            f"At least {hours_needed} approved hours of finished work",
            p.counted_minutes >= hours_needed * 60 and policy.max_credits > 0,
            f"{p.counted_hours:g} of {hours_needed} hours",
        )
    ]
    none = "Finish an engagement first." if not counted else ""

    def every(attr: str) -> tuple[bool, str]:
        if not counted:
            return False, none
        missing = [e.title for e in counted if not getattr(e, attr)]
        return not missing, ("Missing for: " + ", ".join(missing)) if missing else ""

    if policy.require_agreement:
        done, detail = every("agreement")
        items.append(ChecklistItem("agreement", "Learning agreement acknowledged", done, detail))
    if policy.require_evaluation:
        done, detail = every("evaluation")
        items.append(ChecklistItem("evaluation", "Supervisor's final evaluation", done, detail))
    if policy.require_reflection:
        done, detail = every("reflection")
        items.append(ChecklistItem("reflection", "Reflection submitted", done, detail))
    if policy.min_rating:
        level = RATING_LEVELS[policy.min_rating - 1]
        low = [
            e.title
            for e in counted
            if e.lowest_rating is not None and e.lowest_rating < policy.min_rating
        ]
        rated = counted and all(e.evaluation for e in counted)
        items.append(
            ChecklistItem(
                "min_rating",
                f"Every competency rated at least {level}",
                bool(rated) and not low,
                ("Below the minimum: " + ", ".join(low)) if low else none,
            )
        )
    return items


def _state(p: StudentProgress) -> str:
    if p.award is not None:
        return "awaiting_approval" if p.award.status == "awaiting_approval" else "awarded"
    decision = p.last_decision
    if decision is not None and decision.kind == "denied":
        return "denied"
    if p.checklist_complete and p.credits_by_hours > 0:
        if decision is not None and decision.kind == "changes_requested":
            return "changes_requested"
        if decision is not None and decision.kind == "resubmitted":
            return "resubmitted"
        return "ready"
    if decision is not None and decision.kind == "changes_requested":
        return "changes_requested"
    return "in_progress" if p.engagements else "not_started"


def course_progress(
    tenant_id: int, course_id: int, student_ids: list[int] | None = None
) -> list[StudentProgress]:
    """Progress of every student of the course known to the tool (or of ``student_ids``),
    sorted by name."""
    policy = read_policy(tenant_id, course_id)
    people = select(User.id, User.name, User.email, User.sub).where(User.tenant_id == tenant_id)
    if student_ids is None:
        people = people.join(Enrolment, Enrolment.user_id == User.id).where(
            Enrolment.course_id == course_id, Enrolment.role == "student"
        )
    else:
        people = people.where(User.id.in_(student_ids))
    students: dict[int, StudentProgress] = {
        uid: StudentProgress(uid, course_id, name or "", email or "", sub)
        for uid, name, email, sub in db.session.execute(people)
    }
    # Students with work counted here but no launch into the course yet still appear.
    eng_filter = and_(
        Engagement.tenant_id == tenant_id,
        Engagement.course_id == course_id,
        Engagement.status != "cancelled",
    )
    if student_ids is not None:
        eng_filter = and_(eng_filter, Engagement.student_id.in_(student_ids))
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
    missing = set(owner.values()) - set(students)
    if missing:
        for uid, name, email, sub in db.session.execute(
            select(User.id, User.name, User.email, User.sub).where(
                User.tenant_id == tenant_id, User.id.in_(missing)
            )
        ):
            students[uid] = StudentProgress(uid, course_id, name or "", email or "", sub)

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
    for (eid,) in db.session.execute(
        select(Reflection.engagement_id)
        .join(Engagement, Engagement.id == Reflection.engagement_id)
        .where(eng_filter, Reflection.submitted_at.is_not(None))
    ):
        if eid in engagements:
            engagements[eid].reflection = True
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

    award_filter = and_(
        CreditAward.tenant_id == tenant_id,
        CreditAward.course_id == course_id,
        CreditAward.superseded_at.is_(None),
        CreditAward.status != "declined",
    )
    awards = {a.student_id: a for a in db.session.scalars(select(CreditAward).where(award_filter))}
    latest = (
        select(CreditDecision.student_id, func.max(CreditDecision.id).label("last_id"))
        .where(CreditDecision.tenant_id == tenant_id, CreditDecision.course_id == course_id)
        .group_by(CreditDecision.student_id)
        .subquery()
    )
    decisions = {
        d.student_id: d
        for d in db.session.scalars(
            select(CreditDecision).join(latest, latest.c.last_id == CreditDecision.id)
        )
    }

    for eid, e in engagements.items():
        students[owner[eid]].engagements.append(e)
    for p in students.values():
        for e in p.engagements:
            p.approved_minutes += e.approved_minutes
            p.pending_minutes += e.pending_minutes
            if e.counted:
                p.counted_minutes += e.approved_minutes - e.late_minutes
        p.credits_by_hours = _credits_by_hours(p, policy)
        p.checklist = _checklist(p, policy)
        p.award = awards.get(p.student_id)
        if p.award is not None and p.award.status == "final":
            p.credits_earned = p.award.credits
        decision = decisions.get(p.student_id)
        # A decision older than the current award no longer describes where the student is.
        if decision is not None and (p.award is None or decision.created_at > p.award.created_at):
            p.last_decision = decision
        p.state = _state(p)
    return sorted(students.values(), key=lambda p: (p.name.casefold(), p.student_id))


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
