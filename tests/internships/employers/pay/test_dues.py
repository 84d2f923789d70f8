"""What an engagement owes by when (``terms.dues``), on its own: on completion, on a schedule,
an hourly rate over confirmed hours, a canceled engagement; and the effective rate."""

from __future__ import annotations

import datetime as dt

from internships.employers.pay.services.terms import (
    Due,
    Terms,
    dues,
    effective_rate_cents,
    first_unpaid,
)
from internships.work.models import Engagement

START, END, TODAY = dt.date(2026, 9, 1), dt.date(2026, 9, 29), dt.date(2026, 9, 15)


def _engagement(status: str = "active", end: dt.date | None = END) -> Engagement:
    return Engagement(
        status=status, start_date=START, end_date=end, created_at=dt.datetime(2026, 8, 30)
    )


def test_a_fixed_fee_is_due_on_completion():
    terms = Terms("fixed", 50000, "USD")
    assert dues(terms, _engagement(), {}, TODAY) == [Due(END, 50000)]
    assert dues(terms, _engagement(end=None), {}, TODAY) == []  # no end date: no due date yet
    assert dues(terms, _engagement("cancelled"), {}, TODAY) == []


def test_a_schedule_splits_a_fee_in_equal_parts_up_to_the_end():
    terms = Terms("fixed", 30000, "USD", "schedule", 10)
    assert dues(terms, _engagement(), {}, TODAY) == [
        Due(dt.date(2026, 9, 11), 10000),
        Due(dt.date(2026, 9, 21), 20000),
        Due(END, 30000),
    ]


def test_an_hourly_rate_owes_the_hours_confirmed_up_to_each_date():
    terms = Terms("hourly", 2000, "USD", "schedule", 14)
    minutes = {dt.date(2026, 9, 3): 120, dt.date(2026, 9, 20): 90}
    assert dues(terms, _engagement(), minutes, TODAY) == [
        Due(dt.date(2026, 9, 15), 4000),
        Due(END, 7000),
    ]
    # canceled with no end date: the confirmed hours fall due on the last day worked
    canceled = _engagement("cancelled", end=None)
    assert dues(Terms("hourly", 2000, "USD"), canceled, minutes, TODAY) == [
        Due(dt.date(2026, 9, 20), 7000)
    ]


def test_payments_cover_due_dates_in_order_and_the_effective_rate():
    all_dues = [Due(dt.date(2026, 9, 11), 10000), Due(END, 30000)]
    assert first_unpaid(all_dues, 0) == all_dues[0]
    assert first_unpaid(all_dues, 10000) == all_dues[1]
    assert first_unpaid(all_dues, 30000) is None
    assert effective_rate_cents(Terms("fixed", 50000, "USD"), 40 * 60) == 1250
    assert effective_rate_cents(Terms("hourly", 1800, "USD"), 30) == 1800
    assert effective_rate_cents(Terms("fixed", 50000, "USD"), 0) is None
