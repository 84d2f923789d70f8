"""What the advisor's dashboard and home put on the page (issue 18), gathered for the templates:
the at-risk students first, then the two charts that link to their lists (engagements per
state, at-risk engagements per reason) as SVG bars (services/bars.py: no matplotlib on a page
drawn on every request) with the figures each chart's data table shows."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from internships.work.views import ENGAGEMENT_LABELS

from .home_snapshots import HomeFigures
from .services import bars, risk
from .services.progress import ProgressReport


@dataclass(frozen=True)
class Chart:
    src: str  # the image's data URI
    alt: str  # the main finding, in words
    rows: list[tuple[str, int, str]]  # (label, figure, the key of the list it links to)


def state_chart(states: list[tuple[str, int]]) -> Chart:
    """Engagements per state; each state links to the student table filtered by it."""
    return _state_chart(tuple(states))


# A chart is a pure function of its figures: kept for the last few sets of them (writing the
# SVG and its data URI on every request was a tenth of the dashboard's CPU). Read only.
@functools.lru_cache(maxsize=64)
def _state_chart(states: tuple[tuple[str, int], ...]) -> Chart:
    labels = [ENGAGEMENT_LABELS.get(s, s) for s, _ in states]
    total = sum(n for _, n in states)
    src = bars.bar_chart(
        labels, [bars.Series("Engagements", [n for _, n in states])], "Engagements by state"
    )
    if total:
        state, most = max(states, key=lambda sn: sn[1])
        finding = (
            f"{total:,} engagements; the most are {ENGAGEMENT_LABELS.get(state, state).lower()} "
            f"({most:,})."
        )
    else:
        finding = "No engagements yet."
    alt = f"Bar chart of engagements by state. {finding} The table below gives each figure."
    return Chart(src, alt, [(label, n, s) for label, (s, n) in zip(labels, states, strict=True)])


def risk_chart(reasons: list[tuple[str, int]]) -> Chart:
    """Open engagements flagged per at-risk reason; each reason links to its filtered list."""
    return _risk_chart(tuple(reasons))


@functools.lru_cache(maxsize=64)
def _risk_chart(reasons: tuple[tuple[str, int], ...]) -> Chart:
    labels = [risk.RULE_LABELS[r] for r, _ in reasons]
    src = bars.bar_chart(
        labels,
        [bars.Series("Engagements", [n for _, n in reasons])],
        "Engagements at risk by reason",
    )
    flagged = [(label, n) for label, (_, n) in zip(labels, reasons, strict=True) if n]
    if flagged:
        label, most = max(flagged, key=lambda ln: ln[1])
        finding = f"The most common reason is “{label.lower()}” ({most:,})."
    else:
        finding = "No engagement is at risk."
    alt = f"Bar chart of engagements at risk by reason. {finding} The table below gives each."
    return Chart(src, alt, [(label, n, r) for label, (r, n) in zip(labels, reasons, strict=True)])


def charts(figures: HomeFigures) -> dict[str, Any]:
    """The home's two charts, of its figures (current or kept)."""
    return {
        "state_chart": state_chart(figures.states),
        "risk_chart": risk_chart(figures.at_risk.by_reason),
    }


def _hours(value: float) -> str:
    return f"{value:g} hour" + ("" if value == 1 else "s")


def report_alts(report: ProgressReport, own: bool) -> dict[str, str]:
    """Each progress-report chart's alt text: its main finding, in words."""
    who = "You" if own else "This student"
    alts = {}
    if report.weeks:
        week, confirmed, pending = max(report.weeks, key=lambda w: w[1] + w[2])
        alts["hours"] = (
            f"Bar chart of hours per week: {_hours(report.total_logged_hours)} logged over "
            f"{len(report.weeks)} weeks; the busiest week, starting {week}, had "
            f"{_hours(confirmed + pending)}. The table gives each week."
        )
    rated = [(name, level) for name, level, _ in report.competencies if level]
    if rated:
        best = max(level for _, level in rated)
        names = [name for name, level in rated if level == best]
        alts["competencies"] = (
            f"Bar chart of the highest level reached per competency beside the cohort average: "
            f"the highest, level {best}, on {', '.join(names)}. The table gives the values."
        )
    else:
        alts["competencies"] = "Bar chart of competencies: no ratings yet."
    median = report.cohort_median_hours
    alts["cohort"] = (
        f"Bar chart of how many {report.cohort_label} reached each band of confirmed hours. "
        f"{who} {'have' if own else 'has'} {_hours(report.confirmed_hours)} confirmed"
        + (f"; the cohort's median is {_hours(median)}" if median is not None else "")
        + ". The table gives the counts."
    )
    return alts
