"""The rows of the advisor's student table for a page of engagement ids: the engagement, the
student, its hours and last activity, the evaluation, the at-risk flags and credit progress in
one statement (an index probe a figure)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, select

from internships.models import Employer, Listing
from internships.profile.models import StudentProfile
from internships.work.models import CompetencyRating, Engagement, HourLog, SupervisorEvaluation
from lti_tool.extensions import db
from lti_tool.models import Course, User
from lti_tool.quantities import quarter_hours

from .common import with_placement
from .credit import CreditSummary, default_policy, progress_columns, summary_of, with_policy
from .risk import RULES, Thresholds, describe, rule_conditions


@dataclass
class StudentRow:
    engagement_id: int
    student_id: int
    name: str
    email: str
    program: str
    course_id: int | None
    course: str
    term: str
    employer: str
    listing: str
    status: str
    planned_hours: int
    logged_minutes: int = 0
    confirmed_minutes: int = 0
    last_activity: dt.date | None = None
    evaluation: str = "Not yet"
    risks: list[tuple[str, str]] = field(default_factory=list)  # (rule, reason)
    credit: CreditSummary | None = None

    @property
    def logged_hours(self) -> float:
        return quarter_hours(self.logged_minutes)

    @property
    def confirmed_hours(self) -> float:
        return quarter_hours(self.confirmed_minutes)

    @property
    def last_day(self) -> str:
        """The last activity as an ISO date ("" without one): the table shows it three times."""
        return self.last_activity.isoformat() if self.last_activity else ""

    @property
    def plan_percent(self) -> int | None:
        return (
            round(100 * self.logged_minutes / (self.planned_hours * 60))
            if self.planned_hours
            else None
        )


def rows_for(
    tenant_id: int, ids: Sequence[int], limits: Thresholds, today: dt.date, now: dt.datetime
) -> list[StudentRow]:
    """The table's rows for these engagement ids (in that order), in one statement: the
    details with hours, evaluations, at-risk flags and credit progress (and the tenant's
    credit defaults when a course has no stored policy: its row as the launch loaded it)."""
    if not ids:
        return []
    rows = _details(tenant_id, ids, limits, today, now)
    return [rows[i] for i in ids if i in rows]


def _details(
    tenant_id: int, ids: Sequence[int], limits: Thresholds, today: dt.date, now: dt.datetime
) -> dict[int, StudentRow]:
    """Engagement, student, course, listing, hours, evaluation and at-risk flags of each id."""
    statement = _details_statement(limits, today, now.replace(second=0, microsecond=0))
    details = db.session.execute(statement, {"tenant_id": tenant_id, "ids": list(ids)}).all()
    rows: dict[int, StudentRow] = {}
    # read once, and only when a course has no stored policy
    defaults = functools.cache(functools.partial(default_policy, tenant_id))
    for r in details:
        row = StudentRow(
            engagement_id=r[0],
            student_id=r[1],
            name=r[2] or "",
            email=r[3] or "",
            program=r[4] or "",
            course_id=r[5],
            course=r[6] or "",
            term=r[7] or "",
            employer=r[8],
            listing=r[9],
            status=r[10],
            planned_hours=r[11] or 0,
            last_activity=_as_date(r[12]),
        )
        _add_hours(row, *r[13:16])
        _add_evaluation(row, *r[16:19])
        row.risks = [
            (rule, describe(rule, limits))
            for rule, on in zip(RULES, r[19:_CREDIT], strict=True)
            if on
        ]
        if row.evaluation == "Not yet" and r[_OVERDUE]:
            row.evaluation = "Overdue"
        if row.course_id:
            row.credit = _credit_of(defaults, *r[_CREDIT:])
        rows[row.engagement_id] = row
    return rows


_CREDIT = 19 + len(RULES)  # where ``progress_columns`` start in a row
_OVERDUE = 19 + RULES.index("evaluation_overdue")


def _credit_of(
    defaults: Callable[[], tuple[int, int]],
    per_credit: int | None,
    max_credits: int | None,
    credits: int | None,
    status: str | None,
    minutes: int | None,
) -> CreditSummary:
    """A row's credit progress from its ``progress_columns``."""
    policy = (
        (per_credit, max_credits)
        if per_credit is not None and max_credits is not None
        else defaults()
    )
    return summary_of(policy, credits, status, int(minutes or 0))


_TENANT: Any = bindparam("tenant_id")
_IDS: Any = bindparam("ids", expanding=True)


@functools.lru_cache(maxsize=16)
def _details_statement(limits: Thresholds, today: dt.date, now: dt.datetime) -> Any:
    """``_details``'s statement, built once per thresholds, day and minute (as
    ``rule_conditions`` keeps the rules); parameters ``tenant_id`` and ``ids``."""
    rules = rule_conditions(limits, today, now)
    statement = with_policy(
        with_placement(
            select(
                Engagement.id,
                Engagement.student_id,
                User.name,
                User.email,
                StudentProfile.program,
                Engagement.course_id,
                Course.title,
                Course.term_name,
                Employer.name,
                Listing.title,
                Engagement.status,
                Engagement.planned_hours,
                Engagement.updated_at,
                *_per_engagement(),
                *(cond.label(f"risk_{name}") for name, cond in rules.items()),
                *progress_columns(_TENANT),
            ).join(User, User.id == Engagement.student_id)
        ),
        _TENANT,
    )
    return statement.outerjoin(
        StudentProfile,
        (StudentProfile.user_id == Engagement.student_id) & (StudentProfile.tenant_id == _TENANT),
    ).where(Engagement.tenant_id == _TENANT, Engagement.id.in_(_IDS))


def _per_engagement() -> list[Any]:
    """Each row's logged and confirmed minutes, last day worked, and its evaluation's
    submission, average level and ratings: correlated subqueries (an index probe each), not
    grouped subqueries joined, whose join orders PostgreSQL's planner searched (18 ms of
    planning instead of 2). By the engagement alone (its row is the tenant's), as the at-risk
    rules read them: the hours are then index-only scans of ``ix_hour_log_engagement_date``."""
    of_row = (HourLog.engagement_id == Engagement.id,)
    evaluation = (SupervisorEvaluation.engagement_id == Engagement.id,)

    def ratings(aggregate: Any) -> Any:
        return (
            select(aggregate(CompetencyRating.level))
            .join(SupervisorEvaluation, SupervisorEvaluation.id == CompetencyRating.evaluation_id)
            .where(*evaluation)
            .scalar_subquery()
        )

    return [
        select(func.sum(HourLog.minutes))
        .where(*of_row, HourLog.status != "queried")
        .scalar_subquery(),
        select(func.sum(HourLog.minutes))
        .where(*of_row, HourLog.status == "confirmed")
        .scalar_subquery(),
        select(func.max(HourLog.work_date)).where(*of_row).scalar_subquery(),
        select(SupervisorEvaluation.submitted_at).where(*evaluation).scalar_subquery(),
        ratings(func.avg),
        ratings(func.count),
    ]


def _add_hours(row: StudentRow, logged: Any, confirmed: Any, last: Any) -> None:
    """Logged and confirmed minutes; the last day worked counts as activity."""
    row.logged_minutes, row.confirmed_minutes = int(logged or 0), int(confirmed or 0)
    last_date = _as_date(last)
    if last_date and (row.last_activity is None or last_date > row.last_activity):
        row.last_activity = last_date


def _add_evaluation(row: StudentRow, submitted: Any, average: Any, rated: Any) -> None:
    """The supervisor's evaluation and its average level; its submission counts as activity."""
    if submitted is None:
        return  # no evaluation
    row.evaluation = f"Evaluated, average level {float(average):.1f} of 4" if rated else "Evaluated"
    if row.last_activity is None or submitted.date() > row.last_activity:
        row.last_activity = submitted.date()


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
