"""The student's cohort in the progress report: who it is (the work in the student's courses,
else the students of their program), its confirmed hours per student and average rating level
per competency, and the histogram of hours."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from internships.profile.models import StudentProfile
from internships.work.models import CompetencyRating, Engagement, HourLog, SupervisorEvaluation
from lti_tool.extensions import db
from lti_tool.models import Course

HOUR_BANDS = (0, 10, 20, 30, 45, 60, 90, 135)  # lower bounds of the cohort histogram's bands


def cohort_condition(tenant_id: int, student_id: int) -> tuple[Any, str]:
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


def cohort_hours(tenant_id: int, cohort: Any, student_id: int) -> dict[int, float]:
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


def cohort_levels(tenant_id: int, cohort: Any) -> dict[str, float]:
    """The cohort's average rating level per competency."""
    rows = db.session.execute(
        select(CompetencyRating.competency, func.avg(CompetencyRating.level))
        .join(SupervisorEvaluation, SupervisorEvaluation.id == CompetencyRating.evaluation_id)
        .join(Engagement, Engagement.id == SupervisorEvaluation.engagement_id)
        .where(Engagement.tenant_id == tenant_id, cohort, CompetencyRating.level.is_not(None))
        .group_by(CompetencyRating.competency)
    )
    return {name: float(avg) for name, avg in rows if avg is not None}


def hour_bins(values: list[float], mine: float) -> tuple[list[tuple[str, int]], int | None]:
    """The cohort histogram: (band label, students) per band of HOUR_BANDS, and the band of
    ``mine``."""
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
