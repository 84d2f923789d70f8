"""Employer and listing outcomes — the numbers a career center shows its dean: fill rate, time
to fill, completion rate, median pay and effective hourly rate, supervisor evaluation averages.

Definitions (shown on the page too):
- fill rate: openings taken by an engagement that was not cancelled, over openings offered, for
  listings that were published (not drafts or waiting for approval);
- time to fill: days from publication (approval, else creation) to the first engagement;
- completion rate: completed engagements over those that ended (completed or cancelled);
- pay: a fixed fee, or the hourly rate times the estimated hours, of paid listings; the
  effective hourly rate is the listing's (fee / estimated hours, or the hourly rate). Each
  listing's amounts are in its own currency: medians are taken per currency, never across two.

The pages write amounts through ``lti_tool.words.money`` (``money``,
``EmployerStats.median_pay_text``); employers.csv writes them as numbers, one pair of columns
per currency named in the header ("Median pay (USD)").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, case, func, select

from internships.models import STATUS_LABELS as LISTING_STATUS_LABELS
from internships.models import Employer, Listing
from internships.work.models import CompetencyRating, Engagement, SupervisorEvaluation
from lti_tool.errors import NotFoundError
from lti_tool.extensions import db
from lti_tool.words import money as money_words

from .common import Table, median, percent

PUBLISHED = ("open", "filled", "closed", "expired")


@dataclass
class ListingStats:
    listing_id: int
    employer_id: int
    employer: str
    title: str
    status: str
    openings: int
    filled: int
    completed: int
    cancelled: int
    days_to_fill: float | None
    pay_cents: int | None  # None when unpaid
    rate_cents: int
    currency: str = "USD"
    rating_sum: float = 0.0
    rating_count: int = 0

    @property
    def fill_percent(self) -> int | None:
        return percent(min(self.filled, self.openings), self.openings)

    @property
    def completion_percent(self) -> int | None:
        return percent(self.completed, self.completed + self.cancelled)

    @property
    def rating_average(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None


@dataclass
class EmployerStats:
    employer_id: int
    name: str
    listings: list[ListingStats] = field(default_factory=list)

    @property
    def openings(self) -> int:
        return sum(s.openings for s in self.listings)

    @property
    def filled(self) -> int:
        return sum(min(s.filled, s.openings) for s in self.listings)

    @property
    def fill_percent(self) -> int | None:
        return percent(self.filled, self.openings)

    @property
    def median_days_to_fill(self) -> float | None:
        return median([s.days_to_fill for s in self.listings if s.days_to_fill is not None])

    @property
    def completion_percent(self) -> int | None:
        done = sum(s.completed for s in self.listings)
        return percent(done, done + sum(s.cancelled for s in self.listings))

    @property
    def currencies(self) -> list[str]:
        """The currencies of the paid listings, alphabetically."""
        return sorted({s.currency for s in self.listings if s.pay_cents is not None})

    def median_cents(self, currency: str, amount: Callable[[ListingStats], int]) -> float | None:
        """The median of ``amount`` over the paid listings in ``currency``."""
        paid = [s for s in self.listings if s.pay_cents is not None and s.currency == currency]
        return median([amount(s) for s in paid])

    def median_pay(self, currency: str) -> float | None:
        return self.median_cents(currency, lambda s: s.pay_cents or 0)

    def median_rate(self, currency: str) -> float | None:
        return self.median_cents(currency, lambda s: s.rate_cents)

    @property
    def median_pay_cents(self) -> float | None:
        """The median pay when the paid listings share one currency (``currencies``), else
        None: a median across currencies means nothing."""
        return self.median_pay(self.currencies[0]) if len(self.currencies) == 1 else None

    @property
    def median_rate_cents(self) -> float | None:
        return self.median_rate(self.currencies[0]) if len(self.currencies) == 1 else None

    @property
    def median_pay_text(self) -> str:
        """The median pay per currency in words ("$200.00", "€150.00 · $200.00"); "" when
        no listing is paid."""
        return " · ".join(money(self.median_pay(c), c) for c in self.currencies)

    @property
    def median_rate_text(self) -> str:
        return " · ".join(money(self.median_rate(c), c) for c in self.currencies)

    @property
    def unpaid(self) -> int:
        return sum(1 for s in self.listings if s.pay_cents is None)

    @property
    def rating_average(self) -> float | None:
        count = sum(s.rating_count for s in self.listings)
        return round(sum(s.rating_sum for s in self.listings) / count, 2) if count else None

    @property
    def rating_count(self) -> int:
        return sum(s.rating_count for s in self.listings)


def _moment(value: Any) -> dt.datetime | None:
    # SQLite may hand back an aggregate of a datetime column as text
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def _days(start_value: Any, end_value: Any) -> float | None:
    start, end = _moment(start_value), _moment(end_value)
    if start is None or end is None:
        return None
    return round(max(0.0, (end - start).total_seconds() / 86400), 1)


def listing_stats(
    tenant_id: int,
    *,
    employer_id: int | None = None,
    span: tuple[dt.datetime, dt.datetime] | None = None,
) -> list[ListingStats]:
    """Outcomes per published listing (of one employer, created in ``span``), in two grouped
    queries."""
    stmt = _listings_query(tenant_id)
    ratings = _ratings_query(tenant_id)
    if employer_id is not None:
        stmt = stmt.where(Listing.employer_id == employer_id)
        ratings = ratings.where(
            Engagement.listing_id.in_(
                select(Listing.id).where(
                    Listing.tenant_id == tenant_id, Listing.employer_id == employer_id
                )
            )
        )
    if span is not None:
        stmt = stmt.where(Listing.created_at >= span[0], Listing.created_at < span[1])
    out: dict[int, ListingStats] = {}
    for r in db.session.execute(stmt):
        stats = _listing_row(tuple(r))
        out[stats.listing_id] = stats
    for lid, total, count in db.session.execute(ratings):
        if lid in out:
            out[lid].rating_sum, out[lid].rating_count = float(total or 0), int(count)
    return list(out.values())


def _listings_query(tenant_id: int) -> Select[*tuple[Any, ...]]:
    """Each published listing with its engagements counted (cancelled ones apart)."""
    live = Engagement.status != "cancelled"
    return (
        select(
            Listing.id,
            Listing.employer_id,
            Employer.name,
            Listing.title,
            Listing.status,
            Listing.openings,
            func.coalesce(Listing.approved_at, Listing.created_at),
            Listing.compensation_type,
            Listing.pay_amount_cents,
            Listing.estimated_hours,
            Listing.effective_rate_cents,
            Listing.currency,
            func.count(Engagement.id).filter(live),
            func.count(Engagement.id).filter(Engagement.status == "completed"),
            func.count(Engagement.id).filter(Engagement.status == "cancelled"),
            func.min(case((live, Engagement.created_at))),
        )
        .join(Employer, Employer.id == Listing.employer_id)
        .outerjoin(
            Engagement,
            (Engagement.listing_id == Listing.id) & (Engagement.tenant_id == tenant_id),
        )
        .where(Listing.tenant_id == tenant_id, Listing.status.in_(PUBLISHED))
        .group_by(Listing.id, Employer.name)
        .order_by(Employer.name, Listing.title, Listing.id)
    )


def _ratings_query(tenant_id: int) -> Select[int, int | None, int]:
    """The sum and count of rated competency levels per listing."""
    return (
        select(
            Engagement.listing_id,
            func.sum(CompetencyRating.level),
            func.count(CompetencyRating.level),
        )
        .join(SupervisorEvaluation, SupervisorEvaluation.engagement_id == Engagement.id)
        .join(CompetencyRating, CompetencyRating.evaluation_id == SupervisorEvaluation.id)
        .where(Engagement.tenant_id == tenant_id, CompetencyRating.level.is_not(None))
        .group_by(Engagement.listing_id)
    )


def _listing_row(row: tuple[Any, ...]) -> ListingStats:
    """A listing's stats from a row of ``_listings_query`` (ratings added later)."""
    (lid, emp_id, emp, title, status, openings, published, kind, pay, hours, rate) = row[:11]
    currency, filled, completed, cancelled, first = row[11:]
    total_pay = None
    if kind == "fixed":
        total_pay = pay or 0
    elif kind == "hourly":
        total_pay = (pay or 0) * (hours or 0)
    return ListingStats(
        lid,
        emp_id,
        emp,
        title,
        status,
        openings or 0,
        int(filled),
        int(completed),
        int(cancelled),
        _days(published, first),
        total_pay,
        rate or 0,
        currency or "USD",
    )


def employer_stats(
    tenant_id: int, span: tuple[dt.datetime, dt.datetime] | None = None
) -> list[EmployerStats]:
    """Outcomes per employer (their published listings), by name."""
    employers: dict[int, EmployerStats] = {}
    for s in listing_stats(tenant_id, span=span):
        employers.setdefault(
            s.employer_id, EmployerStats(s.employer_id, s.employer)
        ).listings.append(s)
    return sorted(employers.values(), key=lambda e: (e.name.casefold(), e.employer_id))


def overall(stats: list[EmployerStats]) -> EmployerStats:
    """Every employer together (the totals row)."""
    everyone = EmployerStats(0, "All employers")
    for e in stats:
        everyone.listings.extend(e.listings)
    return everyone


def get_employer_name(tenant_id: int, employer_id: int) -> str:
    name = db.session.scalar(
        select(Employer.name).where(Employer.tenant_id == tenant_id, Employer.id == employer_id)
    )
    if name is None:
        raise NotFoundError("That employer does not exist.")
    return str(name)


def money(cents: float | None, currency: str = "USD") -> str:
    """An amount in words (``lti_tool.words.money``: "$200.00", "€12.50"), "" for None."""
    return "" if cents is None else money_words(round(cents), currency)


def amount(cents: float | None) -> Decimal | None:
    """An amount as a CSV number in its currency's units, to the cent (200.00, 12.35)."""
    if cents is None:
        return None
    return (Decimal(str(cents)) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _pct(value: int | None) -> str:
    return "" if value is None else f"{value}%"


def employers_table(stats: list[EmployerStats]) -> Table:
    """employers.csv: amounts are numbers, in a pair of columns (median pay, median hourly
    rate) per currency of the paid listings, the currency in the header; USD when none is
    paid."""
    currencies = sorted({c for e in stats for c in e.currencies}) or ["USD"]
    headers = (
        "Employer",
        "Listings",
        "Openings",
        "Fill rate",
        "Median days to fill",
        "Completion rate",
        *(f"Median {what} ({c})" for c in currencies for what in ("pay", "hourly rate")),
        "Unpaid listings",
        "Evaluation average (1-4)",
        "Ratings",
    )
    rows = [
        (
            e.name,
            len(e.listings),
            e.openings,
            _pct(e.fill_percent),
            "" if e.median_days_to_fill is None else e.median_days_to_fill,
            _pct(e.completion_percent),
            *(x for c in currencies for x in (amount(e.median_pay(c)), amount(e.median_rate(c)))),
            e.unpaid,
            "" if e.rating_average is None else e.rating_average,
            e.rating_count,
        )
        for e in stats
    ]
    return Table("Employers", headers, rows)


def listings_table(stats: list[ListingStats], *, numbers: bool = False) -> Table:
    """An employer's listings; with ``numbers`` (the CSV) pay and hourly rate are numbers in
    the currency of the Currency column, else amounts in words ("$200.00")."""

    def cash(cents: int | None, currency: str) -> Any:
        return amount(cents) if numbers else money(cents, currency)

    headers = (
        "Listing",
        "Status",
        "Openings",
        "Filled",
        "Fill rate",
        "Days to fill",
        "Completed",
        "Canceled",
        "Completion rate",
        "Pay",
        "Hourly rate",
        "Currency",
        "Evaluation average (1-4)",
        "Ratings",
    )
    rows = [
        (
            s.title,
            LISTING_STATUS_LABELS.get(s.status, s.status),
            s.openings,
            s.filled,
            _pct(s.fill_percent),
            "" if s.days_to_fill is None else s.days_to_fill,
            s.completed,
            s.cancelled,
            _pct(s.completion_percent),
            "Unpaid" if s.pay_cents is None else cash(s.pay_cents, s.currency),
            "" if s.pay_cents is None else cash(s.rate_cents, s.currency),
            "" if s.pay_cents is None else s.currency,
            "" if s.rating_average is None else s.rating_average,
            s.rating_count,
        )
        for s in stats
    ]
    return Table("Listings", headers, rows)
