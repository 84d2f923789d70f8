"""The student's own history in the progress report: engagements with their hours, the
supervisor's evaluation and its ratings, and hours per week."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from internships.models import Employer, Listing
from internships.work.models import CompetencyRating, Engagement, HourLog, SupervisorEvaluation
from lti_tool.extensions import db
from lti_tool.models import Course

from .common import with_placement

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


def _week(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def engagements_of(tenant_id: int, student_id: int) -> dict[int, EngagementReport]:
    """The student's engagements, newest first, with their hours, evaluation and ratings."""
    out = _engagement_rows(tenant_id, student_id)
    if not out:
        return out
    _add_hours(out, tenant_id, student_id)
    by_evaluation = _add_evaluations(out, tenant_id)
    if by_evaluation:
        _add_ratings(by_evaluation, tenant_id)
    return out


def _engagement_rows(tenant_id: int, student_id: int) -> dict[int, EngagementReport]:
    rows = db.session.execute(
        with_placement(
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
        )
        .where(Engagement.tenant_id == tenant_id, Engagement.student_id == student_id)
        .order_by(Engagement.start_date.desc(), Engagement.id.desc())
    ).all()
    return {
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


def _add_hours(out: dict[int, EngagementReport], tenant_id: int, student_id: int) -> None:
    """Logged (not queried) and confirmed minutes per engagement."""
    for eid, status, minutes in db.session.execute(
        select(HourLog.engagement_id, HourLog.status, func.sum(HourLog.minutes))
        .where(HourLog.tenant_id == tenant_id, HourLog.student_id == student_id)
        .group_by(HourLog.engagement_id, HourLog.status)
    ):
        if eid in out and status != "queried":
            out[eid].logged_minutes += int(minutes or 0)
            if status == "confirmed":
                out[eid].confirmed_minutes += int(minutes or 0)


def _add_evaluations(
    out: dict[int, EngagementReport], tenant_id: int
) -> dict[int, EngagementReport]:
    """The supervisor's evaluation of each engagement; the engagements by evaluation id."""
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
    return by_evaluation


def _add_ratings(by_evaluation: dict[int, EngagementReport], tenant_id: int) -> None:
    """Each evaluation's competency ratings, in the order given."""
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


def weeks_of(tenant_id: int, student_id: int) -> list[tuple[str, float, float]]:
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
