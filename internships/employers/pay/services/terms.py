"""A paid engagement's pay terms and what it owes when: the due dates (on completion, or on a
schedule), the amount owed by each (a fixed fee, or the hourly rate times the confirmed
hours), what the payments cover, and the effective hourly rate against the pay floor.

The terms are the engagement's ``EngagementPay`` row once anyone acted on its pay; before
that they are read from its listing (``terms_for``), so every page shows them without a
write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select

from internships.models import Listing
from internships.services.listing_rules import pay_floor_cents
from internships.work.models import Engagement, HourLog
from lti_tool.extensions import db
from lti_tool.models import Tenant

from ..models import COUNTED_STATES, EngagementPay, Payment

DEFAULT_GRACE_DAYS = 7
MAX_GRACE_DAYS = 90
GRACE_SETTING = "pay_grace_days"


@dataclass(frozen=True)
class Terms:
    """What an engagement pays (``amount_cents``: the fee, or the rate an hour) and when."""

    compensation_type: str  # fixed | hourly
    amount_cents: int
    currency: str
    due_rule: str = "completion"  # completion | schedule
    schedule_days: int = 0
    saved: bool = False  # an EngagementPay row holds them (else: the listing's, read live)


@dataclass(frozen=True)
class Due:
    """A due date and the amount owed, in all, by then."""

    due_on: dt.date
    owed_cents: int


def grace_days(tenant: Tenant) -> int:
    """The institution's grace days past a due date before a payment is overdue."""
    value = (tenant.settings or {}).get(GRACE_SETTING, DEFAULT_GRACE_DAYS)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_GRACE_DAYS:
        return DEFAULT_GRACE_DAYS
    return value


def terms_from(row: EngagementPay | None, listing: Listing) -> Terms | None:
    """The terms of an engagement: its saved row, else its listing's (None: unpaid)."""
    if row is not None:
        return Terms(
            row.compensation_type,
            row.amount_cents,
            row.currency,
            row.due_rule,
            row.schedule_days,
            saved=True,
        )
    if not listing.is_paid or not listing.pay_amount_cents:
        return None
    return Terms(listing.compensation_type, listing.pay_amount_cents, listing.currency)


def pay_row(engagement: Engagement) -> EngagementPay | None:
    return db.session.scalar(
        select(EngagementPay).where(
            EngagementPay.tenant_id == engagement.tenant_id,
            EngagementPay.engagement_id == engagement.id,
        )
    )


def terms_for(engagement: Engagement) -> Terms | None:
    """The engagement's pay terms, or None when it is unpaid."""
    return terms_from(pay_row(engagement), engagement.listing)


def confirmed_minutes(
    tenant_id: int, engagement_ids: Iterable[int]
) -> dict[int, dict[dt.date, int]]:
    """Confirmed minutes by engagement and work day."""
    ids = list(engagement_ids)
    out: dict[int, dict[dt.date, int]] = {eid: {} for eid in ids}
    if not ids:
        return out
    for chunk in chunks(ids):
        rows = db.session.execute(
            select(HourLog.engagement_id, HourLog.work_date, func.sum(HourLog.minutes))
            .where(
                HourLog.tenant_id == tenant_id,
                HourLog.engagement_id.in_(chunk),
                HourLog.status == "confirmed",
            )
            .group_by(HourLog.engagement_id, HourLog.work_date)
        )
        for eid, day, minutes in rows:
            out[eid][day] = int(minutes or 0)
    return out


CHUNK = 5000  # ids per IN list: PostgreSQL takes at most 65,535 parameters in a statement


def chunks(ids: list[int]) -> Iterable[list[int]]:
    """``ids`` in lists short enough for one statement's IN (a whole institution's)."""
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def paid_cents(tenant_id: int, engagement_ids: Iterable[int]) -> dict[int, int]:
    """What the marked and confirmed payments add up to, by engagement."""
    ids = list(engagement_ids)
    if not ids:
        return {}
    out: dict[int, int] = {}
    for chunk in chunks(ids):
        rows = db.session.execute(
            select(Payment.engagement_id, func.sum(Payment.amount_cents))
            .where(
                Payment.tenant_id == tenant_id,
                Payment.engagement_id.in_(chunk),
                Payment.state.in_(COUNTED_STATES),
            )
            .group_by(Payment.engagement_id)
        )
        out.update({eid: int(total or 0) for eid, total in rows})
    return out


def start_of(engagement: Engagement) -> dt.date:
    return engagement.start_date or engagement.created_at.date()


def _boundaries(terms: Terms, start: dt.date, end: dt.date | None, today: dt.date) -> list[dt.date]:
    if terms.due_rule != "schedule" or terms.schedule_days <= 0:
        return [end] if end is not None else []
    step = dt.timedelta(days=terms.schedule_days)
    days, day = [], start + step
    while (end is None or day < end) and (end is not None or day <= today):
        days.append(day)
        day += step
    return [*days, end] if end is not None else days


def dues(
    terms: Terms,
    engagement: Engagement,
    minutes_by_day: Mapping[dt.date, int],
    today: dt.date,
) -> list[Due]:
    """The engagement's due dates with the amount owed by each (in all). A fixed fee falls due
    in equal parts over the dates (a schedule without an end date owes it at none: the fee
    has no last date); an hourly rate owes the hours confirmed for work up to each date. A
    cancelled engagement owes its confirmed hours, not a fixed fee."""
    days = _boundaries(terms, start_of(engagement), engagement.end_date, today)
    if terms.compensation_type == "fixed":
        if engagement.status == "cancelled" or engagement.end_date is None:
            return []
        n = len(days)
        return [Due(day, terms.amount_cents * (i + 1) // n) for i, day in enumerate(days)]
    out = []
    for day in days:
        minutes = sum(m for work_day, m in minutes_by_day.items() if work_day <= day)
        out.append(Due(day, round(terms.amount_cents * minutes / 60)))
    if engagement.status == "cancelled" and not out and minutes_by_day:
        last = max(minutes_by_day)
        out.append(Due(last, round(terms.amount_cents * sum(minutes_by_day.values()) / 60)))
    return [due for due in out if due.owed_cents > 0]


def first_unpaid(all_dues: list[Due], paid: int) -> Due | None:
    """The earliest due date the payments so far do not cover."""
    return next((due for due in all_dues if due.owed_cents > paid), None)


def effective_rate_cents(terms: Terms, minutes: int) -> int | None:
    """Pay per confirmed hour (a fixed fee over the hours; the hourly rate), None without
    confirmed hours."""
    if minutes <= 0:
        return None
    if terms.compensation_type == "hourly":
        return terms.amount_cents
    return round(terms.amount_cents * 60 / minutes)


def below_floor(tenant: Tenant, terms: Terms, minutes: int) -> bool:
    """The effective rate fell below the institution's pay floor (in its own currency)."""
    rate = effective_rate_cents(terms, minutes)
    currency = (tenant.settings or {}).get("currency", "USD")
    return rate is not None and terms.currency == currency and rate < pay_floor_cents(tenant)
