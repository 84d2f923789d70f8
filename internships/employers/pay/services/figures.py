"""What the pay records say, read in bulk: each paid engagement's standing (what is due, by
when, overdue or disputed), the payments an employer owes (``payments_due``: the employer's
own page) and each employer's pay compliance (``compliance_by_employer``: the advisor's
employer figures). Read-only: these take a tenant id."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, literal, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from internships.models import Listing
from internships.work.models import Engagement, HourLog
from internships.work.services.reads import kept
from lti_tool.context import today_in
from lti_tool.extensions import db
from lti_tool.models import Tenant
from lti_tool.tenants import get_tenant

from ..models import COUNTED_STATES, EngagementPay, OverduePayment, Payment
from .terms import (
    Terms,
    below_floor,
    chunks,
    confirmed_minutes,
    dues,
    effective_rate_cents,
    first_unpaid,
    grace_days,
    paid_cents,
    terms_from,
)

# state of an engagement's pay: paid (every due date covered), upcoming (the next one is
# ahead), due (past it, within the grace days), overdue, disputed (a payment in dispute),
# nothing_due (no due date yet)
STATES = ("paid", "upcoming", "due", "overdue", "disputed", "nothing_due")


@dataclass(frozen=True)
class Standing:
    """A paid engagement's pay, as of today."""

    engagement: Engagement
    terms: Terms
    owed_cents: int  # owed by the next uncovered due date (in all)
    paid_cents: int
    due_on: dt.date | None  # the next uncovered due date
    state: str
    confirmed_minutes: int
    effective_rate_cents: int | None
    below_floor: bool
    ever_overdue: bool

    @property
    def amount_due_cents(self) -> int:
        return max(self.owed_cents - self.paid_cents, 0)


@dataclass(frozen=True)
class PaymentDue:
    """A payment an employer owes on one engagement."""

    engagement_id: int
    student_name: str
    listing_title: str
    amount_due_cents: int
    currency: str
    due_on: dt.date | None
    state: str


@dataclass(frozen=True)
class PayCompliance:
    """An employer's paid engagements and how their pay went."""

    paid_engagements: int = 0
    paid_on_time: int = 0
    overdue: int = 0
    disputed: int = 0
    below_floor: int = 0


def _rows(tenant_id: int, *where: Any) -> list[tuple[Engagement, EngagementPay | None]]:
    stmt = (
        select(Engagement, EngagementPay)
        .join(Listing, Listing.id == Engagement.listing_id)
        .outerjoin(
            EngagementPay,
            (EngagementPay.engagement_id == Engagement.id) & (EngagementPay.tenant_id == tenant_id),
        )
        .options(contains_eager(Engagement.listing), selectinload(Engagement.student))
        .where(
            Engagement.tenant_id == tenant_id,
            Listing.tenant_id == tenant_id,
            or_(EngagementPay.id.is_not(None), Listing.compensation_type != "unpaid"),
            *where,
        )
        .order_by(Engagement.id)
    )
    return [(engagement, row) for engagement, row in db.session.execute(stmt).unique()]


def _flags(tenant_id: int, ids: list[int]) -> tuple[set[int], set[int], set[int]]:
    """Engagements with an open dispute, an overdue notice ever, an uncleared notice."""
    disputed: set[int] = set()
    notices: list[Any] = []
    for chunk in chunks(ids):
        disputed.update(
            db.session.scalars(
                select(Payment.engagement_id).where(
                    Payment.tenant_id == tenant_id,
                    Payment.engagement_id.in_(chunk),
                    Payment.state == "disputed",
                )
            )
        )
        notices += db.session.execute(
            select(OverduePayment.engagement_id, OverduePayment.cleared_at).where(
                OverduePayment.tenant_id == tenant_id, OverduePayment.engagement_id.in_(chunk)
            )
        ).all()
    return disputed, {eid for eid, _ in notices}, {eid for eid, c in notices if c is None}


def standings(tenant_id: int, *where: Any, today: dt.date | None = None) -> Iterator[Standing]:
    """The standing of each paid engagement of the tenant (``where``: further conditions on
    Engagement or Listing)."""
    tenant = get_tenant(tenant_id)
    today = today or today_in(tenant.time_zone)
    rows = _rows(tenant_id, *where)
    ids = [engagement.id for engagement, _ in rows]
    minutes, paid = confirmed_minutes(tenant_id, ids), paid_cents(tenant_id, ids)
    disputed, ever, open_notice = _flags(tenant_id, ids)
    for engagement, row in rows:
        terms = terms_from(row, engagement.listing)
        if terms is None:
            continue
        eid = engagement.id
        flags = (eid in disputed, eid in ever, eid in open_notice)
        yield _standing(tenant, today, engagement, terms, minutes[eid], paid.get(eid, 0), flags)


def _standing(
    tenant: Tenant,
    today: dt.date,
    engagement: Engagement,
    terms: Terms,
    by_day: dict[dt.date, int],
    got: int,
    flags: tuple[bool, bool, bool],
) -> Standing:
    """One engagement's standing from its confirmed minutes by day, what its payments add up
    to, and ``flags``: (a payment in dispute, ever noticed overdue, a notice not cleared)."""
    disputed, ever, open_notice = flags
    all_dues = dues(terms, engagement, by_day, today)
    nxt = first_unpaid(all_dues, got)
    if disputed:
        state = "disputed"
    elif nxt is not None:
        late = nxt.due_on + dt.timedelta(days=grace_days(tenant)) < today or open_notice
        state = "overdue" if late else "due" if nxt.due_on <= today else "upcoming"
    else:
        state = "paid" if all_dues else "nothing_due"
    total = sum(by_day.values())
    return Standing(
        engagement=engagement,
        terms=terms,
        owed_cents=nxt.owed_cents if nxt else (all_dues[-1].owed_cents if all_dues else 0),
        paid_cents=got,
        due_on=nxt.due_on if nxt else None,
        state=state,
        confirmed_minutes=total,
        effective_rate_cents=effective_rate_cents(terms, total),
        below_floor=below_floor(tenant, terms, total),
        ever_overdue=ever,
    )


def overdue_counts(tenant_id: Any, engagement_id: Any) -> tuple[Any, Any]:
    """Scalar subqueries: how many overdue notices the engagement had, how many not cleared."""
    of = (OverduePayment.tenant_id == tenant_id, OverduePayment.engagement_id == engagement_id)
    notices = select(func.count(OverduePayment.id)).where(*of)
    uncleared = notices.where(OverduePayment.cleared_at.is_(None))
    return notices.scalar_subquery(), uncleared.scalar_subquery()


@functools.cache
def _one_statements() -> tuple[Any, Any]:
    """One engagement's pay row (or None) with its overdue notices (how many, how many not
    cleared), and its confirmed minutes by day, built once (the workspace's pay panel reads
    them on every engagement page): a request binds ``tenant_id`` and ``engagement_id``."""
    tenant_id: Any = bindparam("tenant_id")
    engagement_id: Any = bindparam("engagement_id")
    one_row = select(literal(1).label("one")).subquery()
    pay = (
        select(EngagementPay, *overdue_counts(tenant_id, engagement_id))
        .select_from(one_row)
        .outerjoin(
            EngagementPay,
            (EngagementPay.tenant_id == tenant_id) & (EngagementPay.engagement_id == engagement_id),
        )
    )
    minutes = (
        select(HourLog.work_date, func.sum(HourLog.minutes))
        .where(
            HourLog.tenant_id == tenant_id,
            HourLog.engagement_id == engagement_id,
            HourLog.status == "confirmed",
        )
        .group_by(HourLog.work_date)
    )
    return pay, minutes


@dataclass(frozen=True)
class PayBasis:
    """An engagement's pay terms and its overdue notices: ever noticed, one not cleared."""

    terms: Terms
    ever_overdue: bool
    open_notice: bool


def pay_basis(engagement: Engagement) -> PayBasis | None:
    """The engagement's ``PayBasis`` in one statement (None: it is unpaid), read once per
    transaction (``reads``; the engagement page reads it with its other rows: ``page_rows``)."""
    return kept("pay_basis", engagement, lambda: _read_pay_basis(engagement))


def _read_pay_basis(engagement: Engagement) -> PayBasis | None:
    if engagement.listing.tenant_id != engagement.tenant_id:
        return None
    params = {"tenant_id": engagement.tenant_id, "engagement_id": engagement.id}
    row, notices, uncleared = db.session.execute(_one_statements()[0], params).one()
    return basis_from(engagement, row, notices, uncleared)


def basis_from(
    engagement: Engagement, row: EngagementPay | None, notices: int, uncleared: int
) -> PayBasis | None:
    """The ``PayBasis`` of an engagement's pay row and its ``overdue_counts``."""
    listing = engagement.listing
    if listing.tenant_id != engagement.tenant_id:
        return None
    terms = terms_from(row, listing)
    return PayBasis(terms, bool(notices), bool(uncleared)) if terms is not None else None


def standing_of(
    engagement: Engagement,
    payments: list[Payment],
    today: dt.date | None = None,
    minutes_by_day: dict[dt.date, int] | None = None,
    basis: PayBasis | None = None,
) -> Standing | None:
    """The standing of one engagement (None: unpaid), as ``standings`` has it, from its
    ``payments`` (``payments_of``, which the panel shows too) and two statements (none for
    what is given: its confirmed minutes by work day, its ``pay_basis``)."""
    basis = basis or pay_basis(engagement)
    if basis is None:
        return None
    by_day = minutes_by_day
    if by_day is None:
        params = {"tenant_id": engagement.tenant_id, "engagement_id": engagement.id}
        rows = db.session.execute(_one_statements()[1], params)
        by_day = {day: int(total or 0) for day, total in rows}
    got = sum(p.amount_cents for p in payments if p.state in COUNTED_STATES)
    disputed = any(p.state == "disputed" for p in payments)
    flags = (disputed, basis.ever_overdue, basis.open_notice)
    tenant = get_tenant(engagement.tenant_id)
    today = today or today_in(tenant.time_zone)
    return _standing(tenant, today, engagement, basis.terms, by_day, got, flags)


def payments_due(tenant_id: int, employer_id: int) -> list[PaymentDue]:
    """What an employer owes: each of its engagements with an amount outstanding (upcoming,
    due, overdue or disputed), the earliest due date first."""
    out = []
    for s in standings(tenant_id, Listing.employer_id == employer_id):
        if s.state in ("paid", "nothing_due") or s.amount_due_cents <= 0:
            continue
        out.append(
            PaymentDue(
                engagement_id=s.engagement.id,
                student_name=s.engagement.student.name or "Student",
                listing_title=s.engagement.listing.title,
                amount_due_cents=s.amount_due_cents,
                currency=s.terms.currency,
                due_on=s.due_on,
                state=s.state,
            )
        )
    return sorted(out, key=lambda p: (p.due_on or dt.date.max, p.engagement_id))


def in_period(start: dt.date | None, end: dt.date | None) -> list[Any]:
    """Conditions: the engagement started within [start, end] (either may be open)."""
    began = Engagement.start_date
    conditions: list[Any] = []
    if start is not None:
        conditions.append(or_(began >= start, began.is_(None) & (Engagement.created_at >= start)))
    if end is not None:
        after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
        conditions.append(or_(began <= end, began.is_(None) & (Engagement.created_at < after)))
    return conditions


def compliance_by_employer(
    tenant_id: int, start: dt.date | None = None, end: dt.date | None = None
) -> dict[int, PayCompliance]:
    """Per employer id: its paid engagements (started within [start, end]), how many were paid
    in full without ever being overdue, are overdue, are disputed, fell below the pay floor."""
    counts: dict[int, dict[str, int]] = {}
    for s in standings(tenant_id, *in_period(start, end)):
        c = counts.setdefault(s.engagement.listing.employer_id, dict.fromkeys(_FIELDS, 0))
        c["paid_engagements"] += 1
        c["paid_on_time"] += s.state == "paid" and not s.ever_overdue
        c["overdue"] += s.state == "overdue"
        c["disputed"] += s.state == "disputed"
        c["below_floor"] += s.below_floor
    return {employer_id: PayCompliance(**c) for employer_id, c in counts.items()}


_FIELDS = ("paid_engagements", "paid_on_time", "overdue", "disputed", "below_floor")
