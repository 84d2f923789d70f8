"""The advisor's employer figures (issue 21): per employer, for a term or all time, how its
listings fill and how its students fare — fill rate, time to first applicant, time to fill,
completion rate, average evaluation, pay compliance (the pay area's), repeat engagement rate
and the offers that follow (conversion) — and the first-destination style counts of offers by
employer and program. A few grouped statements for every employer at once.

Definitions (shown on the page too):
- a listing counts for a term when it was created within the term's dates; its engagements,
  evaluations and offers count with it (pay compliance: engagements that started in the term);
- fill rate: openings taken by an engagement that was not canceled, over the openings of
  published listings;
- time to first applicant / to fill: days from publication (approval, else creation) to the
  first application / the first engagement, the median over listings that have one;
- completion rate: completed engagements over those that ended (completed or canceled);
- average evaluation: the mean supervisor rating (1 to 4), "not applicable" left out;
- repeat engagement rate: of the employer's students, the share who worked for it more than
  once; a repeat employer hosted engagements on two or more listings;
- conversion rate: offers made over completed engagements; accepted: offers the student
  confirmed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVarTuple

from sqlalchemy import Select, case, func, select

from internships.employers.pay.services import PayCompliance, compliance_by_employer
from internships.employers.portal.models import EngagementOffer
from internships.models import Employer, Listing
from internships.profile.models import StudentProfile
from internships.work.models import (
    Application,
    CompetencyRating,
    Engagement,
    SupervisorEvaluation,
)
from lti_tool.extensions import db

from .services.common import Table, Term, median, percent

Ts = TypeVarTuple("Ts")
PUBLISHED = ("open", "filled", "closed", "expired")
MADE = ("offered", "accepted", "declined")
NO_PROGRAM = "No program given"


@dataclass
class EmployerFigures:
    employer_id: int
    name: str
    listings: int = 0
    openings: int = 0
    filled: int = 0
    days_to_applicant: list[float] = field(default_factory=list)
    days_to_fill: list[float] = field(default_factory=list)
    completed: int = 0
    cancelled: int = 0
    rating_sum: float = 0.0
    rating_count: int = 0
    students: int = 0
    repeat_students: int = 0
    engaged_listings: int = 0
    offers: int = 0
    accepted: int = 0
    pay: PayCompliance | None = None

    @property
    def fill_percent(self) -> int | None:
        return percent(self.filled, self.openings)

    @property
    def median_days_to_applicant(self) -> float | None:
        return median(self.days_to_applicant)

    @property
    def median_days_to_fill(self) -> float | None:
        return median(self.days_to_fill)

    @property
    def completion_percent(self) -> int | None:
        return percent(self.completed, self.completed + self.cancelled)

    @property
    def rating_average(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None

    @property
    def repeat_percent(self) -> int | None:
        return percent(self.repeat_students, self.students)

    @property
    def repeat_employer(self) -> bool:
        return self.engaged_listings >= 2

    @property
    def conversion_percent(self) -> int | None:
        return percent(self.offers, self.completed)

    @property
    def on_time_percent(self) -> int | None:
        return percent(self.pay.paid_on_time, self.pay.paid_engagements) if self.pay else None


@dataclass
class Figures:
    employers: list[EmployerFigures]
    offers_by_program: list[tuple[str, str, int, int]]  # employer, program, made, accepted

    @property
    def repeat_employers(self) -> int:
        return sum(1 for e in self.employers if e.repeat_employer)

    @property
    def hosting_employers(self) -> int:
        return sum(1 for e in self.employers if e.engaged_listings)


def _days(start: Any, end: Any) -> float | None:
    start = dt.datetime.fromisoformat(start) if isinstance(start, str) else start
    end = dt.datetime.fromisoformat(end) if isinstance(end, str) else end
    if start is None or end is None:
        return None
    return round(max(0.0, (end - start).total_seconds() / 86400), 1)


def _in_span(stmt: Select[*Ts], span: tuple[dt.datetime, dt.datetime] | None) -> Select[*Ts]:
    if span is None:
        return stmt
    return stmt.where(Listing.created_at >= span[0], Listing.created_at < span[1])


def _listing_rows(tenant_id: int, span: tuple[dt.datetime, dt.datetime] | None) -> Any:
    """Per published listing: its employer, openings, publication, first application, and its
    engagements counted (one grouped statement over two grouped subqueries)."""
    live = Engagement.status != "cancelled"
    work = (
        select(
            Engagement.listing_id.label("listing_id"),
            func.count(Engagement.id).filter(live).label("filled"),
            func.count(Engagement.id).filter(Engagement.status == "completed").label("done"),
            func.count(Engagement.id).filter(Engagement.status == "cancelled").label("off"),
            func.min(case((live, Engagement.created_at))).label("first"),
        )
        .where(Engagement.tenant_id == tenant_id)
        .group_by(Engagement.listing_id)
        .subquery()
    )
    applied = (
        select(
            Application.listing_id.label("listing_id"),
            func.min(Application.created_at).label("first"),
        )
        .where(Application.tenant_id == tenant_id)
        .group_by(Application.listing_id)
        .subquery()
    )
    stmt = (
        select(
            Listing.employer_id,
            Employer.name,
            Listing.openings,
            func.coalesce(Listing.approved_at, Listing.created_at),
            applied.c.first,
            func.coalesce(work.c.filled, 0),
            func.coalesce(work.c.done, 0),
            func.coalesce(work.c.off, 0),
            work.c.first,
        )
        .join(Employer, Employer.id == Listing.employer_id)
        .outerjoin(work, work.c.listing_id == Listing.id)
        .outerjoin(applied, applied.c.listing_id == Listing.id)
        .where(Listing.tenant_id == tenant_id, Listing.status.in_(PUBLISHED))
    )
    return db.session.execute(_in_span(stmt, span))


def _engagement_scope(stmt: Select[*Ts], tenant_id: int) -> Select[*Ts]:
    return stmt.join(Listing, Listing.id == Engagement.listing_id).where(
        Engagement.tenant_id == tenant_id, Listing.tenant_id == tenant_id
    )


def _per_employer(tenant_id: int, span: tuple[dt.datetime, dt.datetime] | None) -> tuple[Any, ...]:
    """Ratings, students and offers per employer: three grouped statements."""
    ratings = _engagement_scope(
        select(
            Listing.employer_id,
            func.sum(CompetencyRating.level),
            func.count(CompetencyRating.level),
        )
        .select_from(Engagement)
        .join(SupervisorEvaluation, SupervisorEvaluation.engagement_id == Engagement.id)
        .join(CompetencyRating, CompetencyRating.evaluation_id == SupervisorEvaluation.id)
        .where(CompetencyRating.level.is_not(None)),
        tenant_id,
    ).group_by(Listing.employer_id)
    students = _engagement_scope(
        select(
            Listing.employer_id,
            Engagement.student_id,
            func.count(Engagement.id),
        )
        .select_from(Engagement)
        .where(Engagement.status != "cancelled"),
        tenant_id,
    ).group_by(Listing.employer_id, Engagement.student_id)
    offers = _engagement_scope(
        select(
            EngagementOffer.employer_id,
            func.count(EngagementOffer.id).filter(EngagementOffer.status.in_(MADE)),
            func.count(EngagementOffer.id).filter(EngagementOffer.status == "accepted"),
        )
        .select_from(EngagementOffer)
        .join(Engagement, Engagement.id == EngagementOffer.engagement_id),
        tenant_id,
    ).group_by(EngagementOffer.employer_id)
    return tuple(db.session.execute(_in_span(s, span)).all() for s in (ratings, students, offers))


def employer_figures(tenant_id: int, term: Term | None = None) -> Figures:
    """Every employer's figures for ``term`` (None: all time), by name."""
    span = term.span if term else None
    out: dict[int, EmployerFigures] = {}
    for row in _listing_rows(tenant_id, span):
        _add_listing(out, *row)
    ratings, students, offers = _per_employer(tenant_id, span)
    for emp_id, total, count in ratings:
        if emp_id in out:
            out[emp_id].rating_sum, out[emp_id].rating_count = float(total or 0), int(count)
    for emp_id, _student, engagements in students:
        if emp_id in out:
            out[emp_id].students += 1
            out[emp_id].repeat_students += int(engagements) > 1
    for emp_id, made, accepted in offers:
        if emp_id in out:
            out[emp_id].offers, out[emp_id].accepted = int(made), int(accepted)
    _engaged_listings(tenant_id, span, out)
    start, end = (term.start, term.end) if term else (None, None)
    pay = compliance_by_employer(tenant_id, start, end)
    for emp_id, e in out.items():
        e.pay = pay.get(emp_id)
    ordered = sorted(out.values(), key=lambda e: (e.name.casefold(), e.employer_id))
    return Figures(ordered, offers_by_program(tenant_id, span))


def _add_listing(
    out: dict[int, EmployerFigures],
    employer_id: int,
    name: str,
    openings: int | None,
    published: Any,
    applied: Any,
    filled: int,
    done: int,
    off: int,
    first: Any,
) -> None:
    e = out.setdefault(employer_id, EmployerFigures(employer_id, name))
    e.listings += 1
    e.openings += openings or 0
    e.filled += min(int(filled), openings or 0)
    e.completed, e.cancelled = e.completed + int(done), e.cancelled + int(off)
    for days, into in (
        (_days(published, applied), e.days_to_applicant),
        (_days(published, first), e.days_to_fill),
    ):
        if days is not None:
            into.append(days)


def _engaged_listings(
    tenant_id: int, span: tuple[dt.datetime, dt.datetime] | None, out: dict[int, EmployerFigures]
) -> None:
    """How many of each employer's listings hosted an engagement that was not canceled."""
    stmt = _engagement_scope(
        select(Listing.employer_id, func.count(func.distinct(Engagement.listing_id)))
        .select_from(Engagement)
        .where(Engagement.status != "cancelled"),
        tenant_id,
    ).group_by(Listing.employer_id)
    for emp_id, n in db.session.execute(_in_span(stmt, span)):
        if emp_id in out:
            out[emp_id].engaged_listings = int(n)


def offers_by_program(
    tenant_id: int, span: tuple[dt.datetime, dt.datetime] | None = None
) -> list[tuple[str, str, int, int]]:
    """Offers made and accepted per employer and the student's program (their profile)."""
    program = func.coalesce(func.nullif(StudentProfile.program, ""), NO_PROGRAM)
    stmt = (
        select(
            Employer.name,
            program,
            func.count(EngagementOffer.id),
            func.count(EngagementOffer.id).filter(EngagementOffer.status == "accepted"),
        )
        .select_from(EngagementOffer)
        .join(Engagement, Engagement.id == EngagementOffer.engagement_id)
        .join(Listing, Listing.id == Engagement.listing_id)
        .join(Employer, Employer.id == EngagementOffer.employer_id)
        .outerjoin(
            StudentProfile,
            (StudentProfile.user_id == EngagementOffer.student_id)
            & (StudentProfile.tenant_id == tenant_id),
        )
        .where(EngagementOffer.tenant_id == tenant_id, EngagementOffer.status.in_(MADE))
        .group_by(Employer.name, program)
        .order_by(Employer.name, program)
    )
    return [(e, p, int(n), int(a)) for e, p, n, a in db.session.execute(_in_span(stmt, span))]


HEADERS = (
    "Employer",
    "Listings",
    "Openings",
    "Fill rate (%)",
    "Median days to first applicant",
    "Median days to fill",
    "Completion rate (%)",
    "Average evaluation (1-4)",
    "Paid on time (%)",
    "Overdue payments",
    "Repeat engagement rate (%)",
    "Repeat employer",
    "Offers made",
    "Offers accepted",
    "Conversion rate (%)",
)


def figures_table(figures: Figures) -> Table:
    """The figures as a table (the page's and the CSV's)."""
    rows: list[Sequence[Any]] = [
        (
            e.name,
            e.listings,
            e.openings,
            e.fill_percent,
            e.median_days_to_applicant,
            e.median_days_to_fill,
            e.completion_percent,
            e.rating_average,
            e.on_time_percent,
            e.pay.overdue if e.pay else None,
            e.repeat_percent,
            e.repeat_employer,
            e.offers,
            e.accepted,
            e.conversion_percent,
        )
        for e in figures.employers
    ]
    return Table("Employer figures", HEADERS, rows)


def program_table(figures: Figures) -> Table:
    return Table(
        "Offers by employer and program",
        ("Employer", "Program", "Offers made", "Offers accepted"),
        figures.offers_by_program,
    )
