"""One student's progress report: engagements, hours over time, credit progress, competencies
and levels reached, supervisor comments, and where the student stands in their cohort.

Who may read it: the student (their own only) and the tenant's advisors. Everything is read
in a fixed number of grouped queries whatever the student's history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from internships.profile.models import StudentProfile
from internships.vocabulary import COMPETENCIES
from internships.work.models import (
    RATING_LEVELS,
    Engagement,
)
from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, NotFoundError
from lti_tool.extensions import db
from lti_tool.models import Course, User
from lti_tool.quantities import quarter_hours

from .cohort import cohort_condition, cohort_hours, cohort_levels, hour_bins
from .common import Table, median
from .credit import CreditSummary, credit_progress_for
from .history import EngagementReport, engagements_of, weeks_of


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
        return quarter_hours(sum(e.logged_minutes for e in self.engagements))

    def tables(self) -> dict[str, Table]:
        """Every table of the report (the page, the PDF and the CSV exports use these)."""
        return {
            "engagements": self._engagements_table(),
            "hours": Table(
                "Hours per week",
                ("Week starting", "Confirmed hours", "Not yet confirmed hours"),
                [list(w) for w in self.weeks],
            ),
            "credit": self._credit_table(),
            "competencies": self._competencies_table(),
            "cohort": Table(
                "Cohort distribution of confirmed hours",
                ("Confirmed hours", "Students", "This student"),
                [
                    (label, count, "yes" if i == self.student_bin else "")
                    for i, (label, count) in enumerate(self.cohort_bins)
                ],
            ),
        }

    def _engagements_table(self) -> Table:
        return Table(
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
                    quarter_hours(e.logged_minutes),
                    quarter_hours(e.confirmed_minutes),
                    e.evaluated_on or "Not yet",
                )
                for e in self.engagements
            ],
        )

    def _credit_table(self) -> Table:
        return Table(
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
        )

    def _competencies_table(self) -> Table:
        return Table(
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
        )

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
    engagements = engagements_of(tenant_id, student_id)
    weeks = weeks_of(tenant_id, student_id)
    credit = _credit(tenant_id, student_id, engagements)
    highest = _highest_levels(engagements.values())
    cohort, cohort_label = cohort_condition(tenant_id, student_id)
    cohort_avg = cohort_levels(tenant_id, cohort)
    names = [c for c in COMPETENCIES if c in highest or c in cohort_avg]
    hours_by_student = cohort_hours(tenant_id, cohort, student_id)
    mine = hours_by_student.get(student_id, 0.0)
    bins, my_bin = hour_bins(list(hours_by_student.values()), mine)
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
        confirmed_hours=quarter_hours(mine * 60),
        cohort_median_hours=median(list(hours_by_student.values())),
    )


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
