"""The advisor's student table: one row per engagement across every course of the tenant,
filtered (program, course, term, employer, engagement state, at-risk reason) and searched by
name or email, paged with LIMIT.

Two steps keep a page fast on a large tenant: the filtered, ordered ids of one page (an
index walk on ``engagement``), then the page's details — hours, last activity, evaluation,
at-risk reasons, credit — in a few grouped queries over those ids only (no query per row)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Select, func, or_, select, text

from internships.models import Employer, Listing
from internships.profile.models import StudentProfile
from internships.work.models import (
    ENGAGEMENT_STATUSES,
    CompetencyRating,
    Engagement,
    HourLog,
    SupervisorEvaluation,
)
from lti_tool.extensions import db
from lti_tool.models import Course, User

from .credit import CreditSummary, credit_progress_for
from .risk import OPEN_STATES, RULES, Thresholds, describe, rule_conditions

PER_PAGE = 25
MAX_QUERY = 100
# Counting stops here ("10,000+"): an exact count of a broad filter on a large tenant costs
# more than the page itself, and nobody pages that far (the CSV export has every row).
COUNT_CAP = 10_000
# A name search first finds the matching people; up to this many go to the engagement query
# as a list of ids (an index probe each), more as a subquery.
SEARCH_IDS = 2_000


@dataclass(frozen=True)
class StudentQuery:
    """The filters of the table (all optional)."""

    q: str = ""
    program: str = ""
    course_id: int | None = None
    term: str = ""
    employer_id: int | None = None
    state: str = ""  # an engagement status
    risk: str = ""  # "any" or one of RULES
    student_id: int | None = None
    page: int = 1
    per_page: int = PER_PAGE

    def normalised(self) -> StudentQuery:
        return replace(
            self,
            q=" ".join(self.q.split())[:MAX_QUERY],
            program=self.program.strip()[:200],
            state=self.state if self.state in ENGAGEMENT_STATUSES else "",
            risk=self.risk if self.risk in (*RULES, "any") else "",
            page=max(1, min(self.page, 100_000)),
            per_page=max(1, min(self.per_page, 100)),
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this table (for links and the CSV export)."""
        values = {
            "q": self.q,
            "program": self.program,
            "course": self.course_id,
            "term": self.term,
            "employer": self.employer_id,
            "state": self.state,
            "risk": self.risk,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


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
        return round(self.logged_minutes / 60, 1)

    @property
    def confirmed_hours(self) -> float:
        return round(self.confirmed_minutes / 60, 1)

    @property
    def plan_percent(self) -> int | None:
        return (
            round(100 * self.logged_minutes / (self.planned_hours * 60))
            if self.planned_hours
            else None
        )


@dataclass
class StudentPage:
    query: StudentQuery
    rows: list[StudentRow]
    total: int  # at most COUNT_CAP

    @property
    def capped(self) -> bool:
        return self.total >= COUNT_CAP

    @property
    def total_label(self) -> str:
        return f"{self.total:,}+" if self.capped else f"{self.total:,}"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


def _filtered(
    tenant_id: int, query: StudentQuery, limits: Thresholds, today: dt.date, now: dt.datetime
) -> Select[Any]:
    """SELECT engagement.id with the query's filters (joins only where a filter needs them)."""
    stmt = select(Engagement.id).where(Engagement.tenant_id == tenant_id)
    if query.state:
        stmt = stmt.where(Engagement.status == query.state)
    if query.course_id:
        stmt = stmt.where(Engagement.course_id == query.course_id)
    if query.student_id:
        stmt = stmt.where(Engagement.student_id == query.student_id)
    if query.term:
        stmt = stmt.where(
            Engagement.course_id.in_(
                select(Course.id).where(
                    Course.tenant_id == tenant_id, Course.term_name == query.term
                )
            )
        )
    if query.employer_id:
        stmt = stmt.where(
            Engagement.listing_id.in_(
                select(Listing.id).where(
                    Listing.tenant_id == tenant_id, Listing.employer_id == query.employer_id
                )
            )
        )
    if query.program:
        stmt = stmt.where(
            Engagement.student_id.in_(
                select(StudentProfile.user_id).where(
                    StudentProfile.tenant_id == tenant_id, StudentProfile.program == query.program
                )
            )
        )
    if query.q:
        escaped = query.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        people = select(User.id).where(
            User.tenant_id == tenant_id,
            or_(
                func.lower(User.name).like(like, escape="\\"),
                func.lower(User.email).like(like, escape="\\"),
            ),
        )
        # the planner cannot estimate a substring match: give it the ids when they are few
        found = list(db.session.scalars(people.limit(SEARCH_IDS + 1)))
        if len(found) <= SEARCH_IDS:
            stmt = stmt.where(Engagement.student_id.in_(found or [-1]))
        else:
            stmt = stmt.where(Engagement.student_id.in_(people))
    if query.risk:
        rules = rule_conditions(limits, today, now)
        # every rule needs an open engagement: say so first, so the (tenant, status) index
        # narrows the rows the rules' subqueries run on
        stmt = stmt.where(Engagement.status.in_(OPEN_STATES))
        stmt = stmt.where(or_(*rules.values()) if query.risk == "any" else rules[query.risk])
    return stmt


def student_page(
    tenant_id: int, query: StudentQuery, limits: Thresholds, today: dt.date, now: dt.datetime
) -> StudentPage:
    """One page of the table, newest engagements first, with the total count."""
    query = query.normalised()
    base = _filtered(tenant_id, query, limits, today, now)
    capped = base.limit(COUNT_CAP).subquery()
    total = int(db.session.scalar(select(func.count()).select_from(capped)) or 0)
    # Newest first. Under the cap the matches are few: "id + 0" keeps the planner from walking
    # the whole primary key backwards in search of them (slow when a combination of filters
    # matches little or nothing); it filters first and sorts what it found. Past the cap,
    # matches are dense and the walk stops early.
    order = Engagement.id if total >= COUNT_CAP else Engagement.id + 0
    ids = list(
        db.session.scalars(
            base.order_by(order.desc(), Engagement.id.desc())
            .limit(query.per_page)
            .offset((query.page - 1) * query.per_page)
        )
    )
    return StudentPage(query, rows_for(tenant_id, ids, limits, today, now), total)


def rows_for(
    tenant_id: int, ids: Sequence[int], limits: Thresholds, today: dt.date, now: dt.datetime
) -> list[StudentRow]:
    """The table's rows for these engagement ids (in that order), in five grouped queries."""
    if not ids:
        return []
    rules = rule_conditions(limits, today, now)
    details = db.session.execute(
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
            *(cond.label(f"risk_{name}") for name, cond in rules.items()),
        )
        .join(User, User.id == Engagement.student_id)
        .join(Listing, Listing.id == Engagement.listing_id)
        .join(Employer, Employer.id == Listing.employer_id)
        .outerjoin(Course, Course.id == Engagement.course_id)
        .outerjoin(
            StudentProfile,
            (StudentProfile.user_id == Engagement.student_id)
            & (StudentProfile.tenant_id == tenant_id),
        )
        .where(Engagement.tenant_id == tenant_id, Engagement.id.in_(ids))
    ).all()
    rows: dict[int, StudentRow] = {}
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
        flags = r[13:]
        row.risks = [
            (rule, describe(rule, limits)) for rule, on in zip(RULES, flags, strict=True) if on
        ]
        rows[row.engagement_id] = row
    for eid, logged, confirmed, last in db.session.execute(
        select(
            HourLog.engagement_id,
            func.sum(HourLog.minutes).filter(HourLog.status != "queried"),
            func.sum(HourLog.minutes).filter(HourLog.status == "confirmed"),
            func.max(HourLog.work_date),
        )
        .where(HourLog.tenant_id == tenant_id, HourLog.engagement_id.in_(ids))
        .group_by(HourLog.engagement_id)
    ):
        row = rows[eid]
        row.logged_minutes, row.confirmed_minutes = int(logged or 0), int(confirmed or 0)
        last_date = _as_date(last)
        if last_date and (row.last_activity is None or last_date > row.last_activity):
            row.last_activity = last_date
    for eid, submitted, average, rated in db.session.execute(
        select(
            SupervisorEvaluation.engagement_id,
            SupervisorEvaluation.submitted_at,
            func.avg(CompetencyRating.level),
            func.count(CompetencyRating.level),
        )
        .outerjoin(CompetencyRating, CompetencyRating.evaluation_id == SupervisorEvaluation.id)
        .where(
            SupervisorEvaluation.tenant_id == tenant_id,
            SupervisorEvaluation.engagement_id.in_(ids),
        )
        .group_by(SupervisorEvaluation.engagement_id, SupervisorEvaluation.submitted_at)
    ):
        row = rows[eid]
        row.evaluation = (
            f"Evaluated, average level {float(average):.1f} of 4" if rated else "Evaluated"
        )
        if submitted and (row.last_activity is None or submitted.date() > row.last_activity):
            row.last_activity = submitted.date()
    for row in rows.values():
        if row.evaluation == "Not yet" and any(
            rule == "evaluation_overdue" for rule, _ in row.risks
        ):
            row.evaluation = "Overdue"
    credit = credit_progress_for(
        tenant_id, [(r.student_id, r.course_id) for r in rows.values() if r.course_id]
    )
    for row in rows.values():
        if row.course_id:
            row.credit = credit.get((row.student_id, row.course_id))
    return [rows[i] for i in ids if i in rows]


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def iter_rows(
    tenant_id: int, query: StudentQuery, limits: Thresholds, today: dt.date, now: dt.datetime
) -> Iterator[StudentRow]:
    """Every row of the filtered table (for the CSV export), fetched 500 at a time."""
    base = _filtered(tenant_id, query.normalised(), limits, today, now)
    last_id: int | None = None
    while True:
        stmt = base.order_by(Engagement.id.desc()).limit(500)
        if last_id is not None:
            stmt = stmt.where(Engagement.id < last_id)
        ids = list(db.session.scalars(stmt))
        if not ids:
            return
        yield from rows_for(tenant_id, ids, limits, today, now)
        last_id = ids[-1]


CSV_HEADERS = (
    "Student",
    "Email",
    "Program",
    "Course",
    "Term",
    "Employer",
    "Listing",
    "Engagement state",
    "Planned hours",
    "Logged hours",
    "Confirmed hours",
    "Percent of plan",
    "Credit progress",
    "Last activity",
    "Evaluation",
    "At risk",
)


def csv_row(row: StudentRow) -> tuple[Any, ...]:
    return (
        row.name,
        row.email,
        row.program,
        row.course,
        row.term,
        row.employer,
        row.listing,
        row.status,
        row.planned_hours,
        row.logged_hours,
        row.confirmed_hours,
        row.plan_percent if row.plan_percent is not None else "",
        row.credit.label if row.credit else "",
        row.last_activity,
        row.evaluation,
        "; ".join(reason for _, reason in row.risks),
    )


def _distinct_programs(tenant_id: int) -> list[str]:
    """The tenant's programs by a loose index scan over (tenant_id, program): one index probe
    per program instead of reading every profile."""
    sql = text(
        "WITH RECURSIVE p(program) AS ("
        " SELECT min(program) FROM student_profile WHERE tenant_id = :t AND program > ''"
        " UNION ALL"
        " SELECT (SELECT min(s.program) FROM student_profile s"
        "         WHERE s.tenant_id = :t AND s.program > p.program)"
        " FROM p WHERE p.program IS NOT NULL"
        ") SELECT program FROM p WHERE program IS NOT NULL LIMIT 500"
    )
    return [str(p) for p in db.session.scalars(sql, {"t": tenant_id})]


@dataclass(frozen=True)
class FilterOptions:
    programs: list[str]
    courses: list[tuple[int, str]]
    terms: list[str]
    employers: list[tuple[int, str]]


def filter_options(tenant_id: int) -> FilterOptions:
    """The choices of the filter form (distinct values of the tenant)."""
    programs = _distinct_programs(tenant_id)
    courses = db.session.execute(
        select(Course.id, Course.title, Course.term_name)
        .where(Course.tenant_id == tenant_id)
        .order_by(Course.title, Course.id)
    ).all()
    terms = db.session.scalars(
        select(Course.term_name)
        .where(Course.tenant_id == tenant_id, Course.term_name.is_not(None))
        .distinct()
        .order_by(Course.term_name)
    )
    employers = db.session.execute(
        select(Employer.id, Employer.name)
        .where(Employer.tenant_id == tenant_id)
        .order_by(Employer.name)
    ).all()
    return FilterOptions(
        programs=list(programs),
        courses=[
            (cid, f"{title or 'Untitled course'}{f' ({term})' if term else ''}")
            for cid, title, term in courses
        ],
        terms=[t for t in terms if t],
        employers=[(eid, name) for eid, name in employers],
    )
