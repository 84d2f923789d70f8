"""One student's progress report: engagements, hours over time, credit progress, competencies
and levels reached, supervisor comments, and where the student stands in their cohort.

Who may read it: the student (their own only) and the tenant's advisors. Everything is read
in a fixed number of grouped queries whatever the student's history."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from internships.models import Employer, Listing
from internships.profile.models import StudentProfile
from internships.vocabulary import COMPETENCIES
from internships.work.models import (
    RATING_LEVELS,
    CompetencyRating,
    Engagement,
    HourLog,
    SupervisorEvaluation,
)
from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, NotFoundError
from lti_tool.extensions import db
from lti_tool.models import Course, User

from .common import Table, median
from .credit import CreditSummary, credit_progress_for

HOUR_BANDS = (0, 10, 20, 30, 45, 60, 90, 135)  # lower bounds of the cohort histogram's bands
MAX_WEEKS = 52


@dataclass
class EngagementReport:
    engagement_id: int
    listing: str
    employer: str
    course: str
    status: str
    start_date: dt.date | None
    end_date: dt.date | None
    planned_hours: int
    logged_minutes: int = 0
    confirmed_minutes: int = 0
    supervisor: str = ""
    evaluated_on: dt.date | None = None
    comments: str = ""
    ratings: list[tuple[str, int | None, str]] = field(default_factory=list)


@dataclass
class CreditLine:
    course: str
    summary: CreditSummary
    state: str = ""


@dataclass
class ProgressReport:
    student_id: int
    name: str
    email: str
    program: str
    class_year: str
    generated_on: dt.date
    engagements: list[EngagementReport]
    weeks: list[tuple[str, float, float]]  # (week starting, confirmed h, not yet confirmed h)
    credit: list[CreditLine]
    competencies: list[tuple[str, int | None, float | None]]  # (name, highest, cohort average)
    cohort_label: str
    cohort_size: int
    cohort_bins: list[tuple[str, int]]
    student_bin: int | None
    confirmed_hours: float
    cohort_median_hours: float | None

    @property
    def total_logged_hours(self) -> float:
        return round(sum(e.logged_minutes for e in self.engagements) / 60, 1)

    def tables(self) -> dict[str, Table]:
        """Every table of the report (the page, the PDF and the CSV exports use these)."""
        return {
            "engagements": Table(
                "Engagements",
                (
                    "Listing",
                    "Employer",
                    "Course",
                    "State",
                    "Start",
                    "End",
                    "Planned hours",
                    "Logged hours",
                    "Confirmed hours",
                    "Evaluated on",
                ),
                [
                    (
                        e.listing,
                        e.employer,
                        e.course,
                        e.status,
                        e.start_date or "",
                        e.end_date or "",
                        e.planned_hours,
                        round(e.logged_minutes / 60, 1),
                        round(e.confirmed_minutes / 60, 1),
                        e.evaluated_on or "Not yet",
                    )
                    for e in self.engagements
                ],
            ),
            "hours": Table(
                "Hours per week",
                ("Week starting", "Confirmed hours", "Not yet confirmed hours"),
                [list(w) for w in self.weeks],
            ),
            "credit": Table(
                "Credit progress",
                (
                    "Course",
                    "Approved hours",
                    "Hours for full credit",
                    "Percent",
                    "Credits awarded",
                    "State",
                ),
                [
                    (
                        c.course,
                        c.summary.approved_hours,
                        c.summary.hours_needed,
                        f"{c.summary.percent}%",
                        c.summary.credits_awarded,
                        c.state or c.summary.label,
                    )
                    for c in self.credit
                ],
            ),
            "competencies": Table(
                "Competencies and levels reached",
                ("Competency", "Highest level reached", "Level name", "Cohort average"),
                [
                    (
                        name,
                        level or "",
                        RATING_LEVELS[level - 1] if level else "Not rated",
                        "" if avg is None else round(avg, 2),
                    )
                    for name, level, avg in self.competencies
                ],
            ),
            "cohort": Table(
                "Cohort distribution of confirmed hours",
                ("Confirmed hours", "Students", "This student"),
                [
                    (label, count, "yes" if i == self.student_bin else "")
                    for i, (label, count) in enumerate(self.cohort_bins)
                ],
            ),
        }

    def comments(self) -> list[tuple[str, str, str]]:
        """(engagement, supervisor, comment) — overall comments, then per-competency ones."""
        out = []
        for e in self.engagements:
            if e.comments:
                out.append((e.listing, e.supervisor, e.comments))
            for name, _, comment in e.ratings:
                if comment:
                    out.append((e.listing, e.supervisor, f"{name}: {comment}"))
        return out


def report_student_id(ctx: LaunchContext, student_id: int | None) -> int:
    """Whose report this launch may read: a student only their own, an advisor any student of
    the tenant; everyone else nobody."""
    if ctx.role == "student":
        if student_id not in (None, ctx.user_id):
            raise ForbiddenError("You can read only your own progress report.", reason="not_own")
        return ctx.user_id
    if ctx.role != "advisor":
        raise ForbiddenError("Progress reports are for advisors and students.", reason="role")
    if student_id is None:
        raise NotFoundError("Choose a student first.")
    found = db.session.scalar(
        select(User.id).where(User.id == student_id, User.tenant_id == ctx.tenant_id)
    )
    if found is None:
        raise NotFoundError("That student does not exist or is not in your institution.")
    return int(found)


def _week(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def build_report(tenant_id: int, student_id: int, today: dt.date) -> ProgressReport:
    """The report of one student of the tenant (the caller checked access)."""
    user = db.session.execute(
        select(User.name, User.email).where(User.id == student_id, User.tenant_id == tenant_id)
    ).one()
    profile = db.session.execute(
        select(StudentProfile.program, StudentProfile.class_year).where(
            StudentProfile.tenant_id == tenant_id, StudentProfile.user_id == student_id
        )
    ).first()
    program, class_year = (profile[0], profile[1]) if profile else ("", "")
    engagements = _engagements(tenant_id, student_id)
    weeks = _weeks(tenant_id, student_id)
    credit = _credit(tenant_id, student_id, engagements)
    highest = _highest_levels(engagements.values())
    cohort, cohort_label = _cohort(tenant_id, student_id)
    cohort_avg = _cohort_levels(tenant_id, cohort)
    names = [c for c in COMPETENCIES if c in highest or c in cohort_avg]
    hours_by_student = _cohort_hours(tenant_id, cohort, student_id)
    mine = hours_by_student.get(student_id, 0.0)
    bins, my_bin = _bins(list(hours_by_student.values()), mine)
    return ProgressReport(
        student_id=student_id,
        name=user[0] or "",
        email=user[1] or "",
        program=program,
        class_year=class_year,
        generated_on=today,
        engagements=list(engagements.values()),
        weeks=weeks,
        credit=credit,
        competencies=[(n, highest.get(n), cohort_avg.get(n)) for n in names],
        cohort_label=cohort_label,
        cohort_size=len(hours_by_student),
        cohort_bins=bins,
        student_bin=my_bin,
        confirmed_hours=round(mine, 1),
        cohort_median_hours=median(list(hours_by_student.values())),
    )


def _engagements(tenant_id: int, student_id: int) -> dict[int, EngagementReport]:
    rows = db.session.execute(
        select(
            Engagement.id,
            Listing.title,
            Employer.name,
            Course.title,
            Engagement.status,
            Engagement.start_date,
            Engagement.end_date,
            Engagement.planned_hours,
            Engagement.supervisor_name,
        )
        .join(Listing, Listing.id == Engagement.listing_id)
        .join(Employer, Employer.id == Listing.employer_id)
        .outerjoin(Course, Course.id == Engagement.course_id)
        .where(Engagement.tenant_id == tenant_id, Engagement.student_id == student_id)
        .order_by(Engagement.start_date.desc(), Engagement.id.desc())
    ).all()
    out = {
        r[0]: EngagementReport(
            engagement_id=r[0],
            listing=r[1],
            employer=r[2],
            course=r[3] or "",
            status=r[4],
            start_date=r[5],
            end_date=r[6],
            planned_hours=r[7] or 0,
            supervisor=r[8] or "",
        )
        for r in rows
    }
    if not out:
        return out
    for eid, status, minutes in db.session.execute(
        select(HourLog.engagement_id, HourLog.status, func.sum(HourLog.minutes))
        .where(HourLog.tenant_id == tenant_id, HourLog.student_id == student_id)
        .group_by(HourLog.engagement_id, HourLog.status)
    ):
        if eid in out and status != "queried":
            out[eid].logged_minutes += int(minutes or 0)
            if status == "confirmed":
                out[eid].confirmed_minutes += int(minutes or 0)
    evaluations = db.session.execute(
        select(
            SupervisorEvaluation.id,
            SupervisorEvaluation.engagement_id,
            SupervisorEvaluation.supervisor_name,
            SupervisorEvaluation.submitted_at,
            SupervisorEvaluation.comments,
        ).where(
            SupervisorEvaluation.tenant_id == tenant_id,
            SupervisorEvaluation.engagement_id.in_(list(out)),
        )
    ).all()
    by_evaluation = {}
    for ev_id, eid, supervisor, submitted, comments in evaluations:
        e = out[eid]
        e.supervisor, e.evaluated_on, e.comments = supervisor, submitted.date(), comments or ""
        by_evaluation[ev_id] = e
    if by_evaluation:
        for ev_id, competency, level, comment in db.session.execute(
            select(
                CompetencyRating.evaluation_id,
                CompetencyRating.competency,
                CompetencyRating.level,
                CompetencyRating.comment,
            )
            .where(
                CompetencyRating.tenant_id == tenant_id,
                CompetencyRating.evaluation_id.in_(list(by_evaluation)),
            )
            .order_by(CompetencyRating.id)
        ):
            by_evaluation[ev_id].ratings.append((competency, level, comment or ""))
    return out


def _weeks(tenant_id: int, student_id: int) -> list[tuple[str, float, float]]:
    per_week: dict[dt.date, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for day, status, minutes in db.session.execute(
        select(HourLog.work_date, HourLog.status, func.sum(HourLog.minutes))
        .where(
            HourLog.tenant_id == tenant_id,
            HourLog.student_id == student_id,
            HourLog.status != "queried",
        )
        .group_by(HourLog.work_date, HourLog.status)
    ):
        slot = per_week[_week(_as_date(day))]
        slot[0 if status == "confirmed" else 1] += int(minutes or 0) / 60
    if not per_week:
        return []
    first, last = min(per_week), max(per_week)
    first = max(first, last - dt.timedelta(weeks=MAX_WEEKS - 1))
    out = []
    week = first
    while week <= last:
        confirmed, pending = per_week.get(week, [0.0, 0.0])
        out.append((week.isoformat(), round(confirmed, 1), round(pending, 1)))
        week += dt.timedelta(weeks=1)
    return out


def _credit(
    tenant_id: int, student_id: int, engagements: dict[int, EngagementReport]
) -> list[CreditLine]:
    course_rows = db.session.execute(
        select(Engagement.course_id, Course.title)
        .join(Course, Course.id == Engagement.course_id)
        .where(Engagement.tenant_id == tenant_id, Engagement.student_id == student_id)
        .distinct()
    ).all()
    titles: dict[int, str] = {
        cid: title or "Untitled course" for cid, title in course_rows if cid is not None
    }
    summaries = credit_progress_for(tenant_id, [(student_id, cid) for cid in titles])
    states = credit_states(tenant_id, student_id, list(titles))
    return [
        CreditLine(titles[cid], summaries[(student_id, cid)], states.get(cid, ""))
        for cid in sorted(titles, key=lambda c: titles[c])
        if (student_id, cid) in summaries
    ]


def credit_states(tenant_id: int, student_id: int, course_ids: list[int]) -> dict[int, str]:
    """The credit module's state of the student in each course ("Ready for review", "Credit
    awarded", ...). Its progress function creates a missing course policy from the tenant's
    defaults (flushed), so this runs in a nested transaction that is rolled back: a report
    never writes."""
    from credit.services.progress import student_progress

    states = {}
    with db.session.begin_nested() as nested:
        for cid in course_ids:
            states[cid] = student_progress(tenant_id, cid, student_id).state_label
        nested.rollback()
    return states


def _highest_levels(engagements: Any) -> dict[str, int]:
    highest: dict[str, int] = {}
    for e in engagements:
        for name, level, _ in e.ratings:
            if level:
                highest[name] = max(level, highest.get(name, 0))
    return highest


def _cohort(tenant_id: int, student_id: int) -> tuple[Any, str]:
    """The cohort as a condition on engagements, and its name: the work done in the student's
    courses (the unit where credit is earned; a few hundred students, read through the
    course index), else — a student without a course — every engagement of the tenant's
    students in the same program."""
    courses = db.session.execute(
        select(Course.id, Course.title)
        .where(
            Course.tenant_id == tenant_id,
            Course.id.in_(
                select(Engagement.course_id).where(
                    Engagement.tenant_id == tenant_id, Engagement.student_id == student_id
                )
            ),
        )
        .order_by(Course.title)
    ).all()
    if courses:
        names = ", ".join(title or "Untitled course" for _, title in courses[:3])
        more = f" and {len(courses) - 3} more" if len(courses) > 3 else ""
        return Engagement.course_id.in_([cid for cid, _ in courses]), f"students in {names}{more}"
    program = db.session.scalar(
        select(StudentProfile.program).where(
            StudentProfile.tenant_id == tenant_id, StudentProfile.user_id == student_id
        )
    )
    if program:
        members = select(StudentProfile.user_id).where(
            StudentProfile.tenant_id == tenant_id, StudentProfile.program == program
        )
        return Engagement.student_id.in_(members), f"students in {program}"
    return Engagement.student_id == student_id, "students (no course or program yet)"


def _cohort_hours(tenant_id: int, cohort: Any, student_id: int) -> dict[int, float]:
    """Confirmed hours per student of the cohort's engagements (0 for those without)."""
    rows = db.session.execute(
        select(Engagement.student_id, func.sum(HourLog.minutes))
        .outerjoin(
            HourLog,
            (HourLog.engagement_id == Engagement.id) & (HourLog.status == "confirmed"),
        )
        .where(Engagement.tenant_id == tenant_id, cohort)
        .group_by(Engagement.student_id)
    )
    hours = {sid: int(minutes or 0) / 60 for sid, minutes in rows}
    hours.setdefault(student_id, 0.0)
    return hours


def _cohort_levels(tenant_id: int, cohort: Any) -> dict[str, float]:
    """The cohort's average rating level per competency."""
    rows = db.session.execute(
        select(CompetencyRating.competency, func.avg(CompetencyRating.level))
        .join(SupervisorEvaluation, SupervisorEvaluation.id == CompetencyRating.evaluation_id)
        .join(Engagement, Engagement.id == SupervisorEvaluation.engagement_id)
        .where(Engagement.tenant_id == tenant_id, cohort, CompetencyRating.level.is_not(None))
        .group_by(CompetencyRating.competency)
    )
    return {name: float(avg) for name, avg in rows if avg is not None}


def _bins(values: list[float], mine: float) -> tuple[list[tuple[str, int]], int | None]:
    counts = [0] * len(HOUR_BANDS)

    def band(value: float) -> int:
        return max(i for i, low in enumerate(HOUR_BANDS) if value >= low)

    for value in values:
        counts[band(value)] += 1
    labels = [
        f"{low} to {HOUR_BANDS[i + 1]}" if i + 1 < len(HOUR_BANDS) else f"{low}+"
        for i, low in enumerate(HOUR_BANDS)
    ]
    return list(zip(labels, counts, strict=True)), band(mine)
