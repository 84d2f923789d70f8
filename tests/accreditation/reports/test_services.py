"""Service-level rules of the advisor reports: stored thresholds are validated value by value,
terms come from the courses' LMS dates, and the cohort bands place a student."""

from __future__ import annotations

import datetime as dt

from accreditation.reports.services.cohort import hour_bins as _bins
from accreditation.reports.services.common import Term, current_term, median
from accreditation.reports.services.risk import Thresholds, describe, thresholds_of


def test_thresholds_fall_back_to_defaults_one_value_at_a_time():
    assert thresholds_of(None) == Thresholds()
    stored = {
        "at_risk": {
            "inactive_days": 21,
            "deadline_days": 0,  # below the limit
            "lowest_level": True,  # a bool is not a level
            "agreement_days": "9",  # not a number
            "deadline_min_percent": 75,
        }
    }
    assert thresholds_of(stored) == Thresholds(inactive_days=21, deadline_min_percent=75)
    assert describe("inactive", Thresholds(inactive_days=21)).startswith(
        "No hours logged in the last 21 days"
    )


def test_the_current_term_contains_today_else_the_latest_started():
    fall = Term("Fall 2026", dt.date(2026, 8, 24), dt.date(2026, 12, 11))
    spring = Term("Spring 2026", dt.date(2026, 1, 12), dt.date(2026, 5, 8))
    undated = Term("Summer", None, None)
    terms = [fall, spring, undated]
    assert current_term(terms, dt.date(2026, 9, 1)) == fall
    assert current_term(terms, dt.date(2026, 6, 1)) == spring  # between terms
    assert current_term(terms, dt.date(2025, 1, 1)) is None
    assert current_term(terms, dt.date(2026, 9, 1), "Spring 2026") == spring
    assert current_term(terms, dt.date(2026, 9, 1), "No such term") is None
    assert fall.span == (dt.datetime(2026, 8, 24), dt.datetime(2026, 12, 12))


def test_cohort_bands_and_median():
    bins, mine = _bins([0.0, 9.9, 10.0, 44.0, 200.0], 44.0)
    counts = dict(bins)
    assert counts["0 to 10"] == 2 and counts["10 to 20"] == 1 and counts["135+"] == 1
    assert bins[mine][0] == "30 to 45"
    assert median([3, 1, 2]) == 2 and median([1, 2, 3, 4]) == 2.5 and median([]) is None
