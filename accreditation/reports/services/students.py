"""The advisor's student table: one row per engagement across every course of the tenant,
filtered (program, course, term, employer, engagement state, at-risk reason) and searched by
name or email, paged with LIMIT.

Two steps keep a page fast on a large tenant: the filtered, ordered ids of one page with
their count (see ``student_page``), then the page's details — hours, last activity, evaluation,
at-risk reasons, credit — in a few grouped queries over those ids only (no query per row)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
    text,
)

from internships.models import Employer, Listing
from internships.profile.models import StudentProfile
from internships.work.models import (
    ENGAGEMENT_STATUSES,
    Engagement,
)
from lti_tool.extensions import db
from lti_tool.models import Course, User

from .common import without_jit
from .risk import OPEN_STATES, RULES, Thresholds, rule_conditions
from .student_rows import StudentRow, rows_for

PER_PAGE = 25
MAX_QUERY = 100
# Counting stops here ("10,000+"): an exact count of a broad filter on a large tenant costs
# more than the page itself, and nobody pages that far (the CSV export has every row).
COUNT_CAP = 10_000
# A name search first finds the matching people; up to this many go to the engagement query
# as a list of ids (an index probe each), more as a subquery.
SEARCH_IDS = 2_000
# Up to this many employers the filter form lists them all; past it (10,000 at
# benchmarks/advisor.py --scale 5, whose options were most of the page's cost) it asks for part
# of a name instead, matched like the name search.
EMPLOYER_OPTIONS = 200


@dataclass(frozen=True)
class StudentQuery:
    """The filters of the table (all optional)."""

    q: str = ""
    program: str = ""
    course_id: int | None = None
    term: str = ""
    employer_id: int | None = None
    employer_name: str = ""  # part of an employer's name
    state: str = ""  # an engagement status
    risk: str = ""  # "any" or one of RULES
    student_id: int | None = None
    page: int = 1
    per_page: int = PER_PAGE

    def normalised(self) -> StudentQuery:
        return replace(
            self,
            q=" ".join(self.q.split())[:MAX_QUERY],
            employer_name=" ".join(self.employer_name.split())[:MAX_QUERY],
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
            "employer_name": self.employer_name,
            "state": self.state,
            "risk": self.risk,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


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
    if query.employer_name:
        stmt = stmt.where(Engagement.listing_id.in_(_listings_of_employers_named(tenant_id, query)))
    if query.program:
        stmt = stmt.where(
            Engagement.student_id.in_(
                select(StudentProfile.user_id).where(
                    StudentProfile.tenant_id == tenant_id, StudentProfile.program == query.program
                )
            )
        )
    if query.q:
        stmt = stmt.where(Engagement.student_id.in_(_people_named(tenant_id, query.q)))
    if query.risk:
        stmt = stmt.where(_at_risk(query.risk, limits, today, now))
    return stmt


def _like(words: str) -> str:
    """A LIKE pattern matching ``words`` anywhere (lower case; ``\\`` escapes)."""
    escaped = words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _people_named(tenant_id: int, words: str) -> Any:
    """The ids of the people whose name or email holds ``words``."""
    like = _like(words)
    people = select(User.id).where(
        User.tenant_id == tenant_id,
        or_(
            func.lower(User.name).like(like, escape="\\"),
            func.lower(User.email).like(like, escape="\\"),
        ),
    )
    # the planner cannot estimate a substring match: give it the ids when they are few
    found = list(db.session.scalars(people.limit(SEARCH_IDS + 1)))
    return (found or [-1]) if len(found) <= SEARCH_IDS else people


def _listings_of_employers_named(tenant_id: int, query: StudentQuery) -> Any:
    """The ids of the listings of the employers whose name holds ``query.employer_name``:
    a subquery on the listings' (tenant, employer) index, given the employers' ids when they
    are few (the planner cannot estimate a substring match)."""
    employers = select(Employer.id).where(
        Employer.tenant_id == tenant_id,
        func.lower(Employer.name).like(_like(query.employer_name), escape="\\"),
    )
    found = list(db.session.scalars(employers.limit(SEARCH_IDS + 1)))
    employer_ids: Any = (found or [-1]) if len(found) <= SEARCH_IDS else employers
    return select(Listing.id).where(
        Listing.tenant_id == tenant_id, Listing.employer_id.in_(employer_ids)
    )


def _at_risk(risk: str, limits: Thresholds, today: dt.date, now: dt.datetime) -> Any:
    """The risk filter: one rule, or any of them."""
    rules = rule_conditions(limits, today, now)
    # every rule needs an open engagement: say so first, so the (tenant, status) index
    # narrows the rows the rules' subqueries run on
    is_open = Engagement.status.in_(OPEN_STATES)
    if risk != "any":
        return and_(is_open, rules[risk])
    # coalesce(..., false) keeps the same rows (NULL and false both fail) but hides the OR
    # from PostgreSQL's planner, which otherwise ORs one bitmap per rule's status condition
    # (1.5 M row pointers at 2.5 M engagements) before counting the first matches
    return and_(is_open, func.coalesce(or_(*rules.values()), false()))


def _page_statement(base: Select[Any]) -> Select[Any]:
    """One statement finds the matches (at most COUNT_CAP: any of them, in no order), counts
    them and cuts a page from them, newest first (parameters ``cap``, ``per_page``, ``offset``).
    When they are fewer than the cap they are every match, so that page is the page: a filter
    that matches little or nothing (where finding the matches is the whole cost) is read once."""
    found = base.limit(bindparam("cap")).subquery()
    return (
        select(found.c.id, func.count().over())
        .order_by(found.c.id.desc())
        .limit(bindparam("per_page"))
        .offset(bindparam("offset"))
    )


# The table as it opens, unfiltered: its page statement built once (parameter tenant_id)
_OF_TENANT = select(Engagement.id).where(Engagement.tenant_id == bindparam("tenant_id"))
_UNFILTERED_PAGE = _page_statement(_OF_TENANT)


def student_page(
    tenant_id: int, query: StudentQuery, limits: Thresholds, today: dt.date, now: dt.datetime
) -> StudentPage:
    """One page of the table, newest engagements first, with the total count."""
    query = query.normalised()
    # The at-risk rules are subqueries per row: up to COUNT_CAP rows of them pass
    # jit_above_cost, and compiling took 200-400 ms for a statement that runs in 40 ms.
    without_jit()
    base = functools.partial(_filtered, tenant_id, query, limits, today, now)
    offset = (query.page - 1) * query.per_page
    params = {"tenant_id": tenant_id, "cap": COUNT_CAP, "per_page": query.per_page}
    params["offset"] = offset
    unfiltered = query == StudentQuery(page=query.page, per_page=query.per_page)
    statement = _UNFILTERED_PAGE if unfiltered else _page_statement(base())
    rows = db.session.execute(statement, params).all()
    ids = [int(row[0]) for row in rows]
    if rows:
        total = int(rows[0][1])
    elif offset:  # a page past the last one: count the matches on their own
        capped = base().limit(COUNT_CAP).subquery()
        total = int(db.session.scalar(select(func.count()).select_from(capped)) or 0)
    else:
        total = 0
    if total >= COUNT_CAP:
        # The matches found were some of many: take the page newest first from all of them.
        # They are dense, so walking the primary key backwards stops early.
        ids = list(
            db.session.scalars(
                base().order_by(Engagement.id.desc()).limit(query.per_page).offset(offset)
            )
        )
    return StudentPage(query, rows_for(tenant_id, ids, limits, today, now), total)


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


# The filter form's choices in one statement (parameters t and n): part 0 the tenant's
# programs, by a loose index scan over (tenant_id, program) (one index probe per program
# instead of reading every profile); part 1 its courses (by title); part 2 its distinct terms;
# part 3 its first n employers by name. Each part keeps its order in the ORDER BY.
_OPTIONS = text(
    "WITH RECURSIVE p(program) AS ("
    " SELECT min(program) FROM student_profile WHERE tenant_id = :t AND program > ''"
    " UNION ALL"
    " SELECT (SELECT min(s.program) FROM student_profile s"
    "         WHERE s.tenant_id = :t AND s.program > p.program)"
    " FROM p WHERE p.program IS NOT NULL)"
    " SELECT 0 AS part, CAST(NULL AS INTEGER) AS id, program AS label, CAST(NULL AS VARCHAR)"
    " AS term FROM (SELECT program FROM p WHERE program IS NOT NULL LIMIT 500) AS programs"
    " UNION ALL SELECT 1, id, title, term_name FROM course WHERE tenant_id = :t"
    " UNION ALL SELECT DISTINCT 2, CAST(NULL AS INTEGER), term_name, CAST(NULL AS VARCHAR)"
    " FROM course WHERE tenant_id = :t AND term_name IS NOT NULL"
    " UNION ALL SELECT 3, id, name, CAST(NULL AS VARCHAR) FROM (SELECT id, name FROM employer"
    " WHERE tenant_id = :t ORDER BY name, id LIMIT :n) AS employers"
    " ORDER BY part, label, id"
).columns(part=Integer, id=Integer, label=String, term=String)


@dataclass(frozen=True)
class FilterOptions:
    programs: list[str]
    courses: list[tuple[int, str]]
    terms: list[str]
    # every employer when they are at most EMPLOYER_OPTIONS; otherwise only the one chosen
    # (a link from an employer's page), and the form asks for part of a name
    employers: list[tuple[int, str]]
    employers_listed: bool = True
    employer_count: int = 0


def filter_options(tenant_id: int, employer_id: int | None = None) -> FilterOptions:
    """The choices of the filter form (distinct values of the tenant), in one statement."""
    parts: tuple[list[Any], list[Any], list[Any], list[Any]] = ([], [], [], [])
    for part, oid, label, term in db.session.execute(
        _OPTIONS, {"t": tenant_id, "n": EMPLOYER_OPTIONS + 1}
    ):
        parts[part].append((oid, label, term))
    programs = [str(label) for _, label, _ in parts[0]]
    courses = parts[1]
    terms = [label for _, label, _ in parts[2]]
    employers = [(oid, label) for oid, label, _ in parts[3]]
    listed = len(employers) <= EMPLOYER_OPTIONS
    count = len(employers)
    if not listed:
        count = int(
            db.session.scalar(
                select(func.count()).select_from(Employer).where(Employer.tenant_id == tenant_id)
            )
            or 0
        )
        of_tenant = select(Employer.id, Employer.name).where(Employer.tenant_id == tenant_id)
        employers = (
            [
                (eid, name)
                for eid, name in db.session.execute(of_tenant.where(Employer.id == employer_id))
            ]
            if employer_id
            else []
        )
    return FilterOptions(
        programs=list(programs),
        courses=[
            (cid, f"{title or 'Untitled course'}{f' ({term})' if term else ''}")
            for cid, title, term in courses
        ],
        terms=[t for t in terms if t],
        employers=employers,
        employers_listed=listed,
        employer_count=count,
    )
