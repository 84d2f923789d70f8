"""The attainment pages' charts (issue 18): attainment per outcome as bars and the trend across
terms as lines, drawn as SVG text by the reports' bars (accreditation/reports/services/bars.py,
the look of every report chart: Okabe-Ito colours, one font and size) in microseconds, so a page
drawn on request never waits for matplotlib. The export's PDF draws the same charts with
matplotlib (report_pdf.py) in the same colours. Each is shown through ``ui.chart`` with its
figures as a table."""

from __future__ import annotations

from dataclasses import dataclass

from accreditation.reports.services import bars

from . import services


@dataclass(frozen=True)
class Chart:
    src: str
    alt: str


def attainment_chart(report: services.AttainmentReport) -> Chart | None:
    """% of students at or above the target per outcome: direct measures beside indirect."""
    rows = report.rows
    if not rows:
        return None
    labels = [r.outcome.name for r in rows]
    direct = [r.measures["direct"].percent for r in rows]
    indirect = [r.measures["indirect"].percent for r in rows]
    src = bars.bar_chart(
        labels,
        [bars.Series("Direct", direct), bars.Series("Indirect (self-assessed)", indirect)],
        "Students at or above the target, per outcome (%)",
        max_value=100,
        unit="%",
    )
    measured = [(p, name) for p, name in zip(direct, labels, strict=True) if p is not None]
    if measured:
        low, low_name = min(measured)
        high, high_name = max(measured)
        finding = (
            f"Direct measures range from {low:g}% ({low_name}) to {high:g}% ({high_name})."
            if len(measured) > 1
            else f"{high_name}: {high:g}% by direct measures."
        )
    else:
        finding = "No outcome has direct evidence yet."
    alt = (
        "Bar chart of the percentage of students at or above the target per outcome, direct "
        f"and indirect measures. {finding} The table gives each figure."
    )
    return Chart(src, alt)


def trend_chart(trend: services.Trend) -> Chart | None:
    """% at or above the target per term, one line per outcome (direct measures)."""
    if len(trend.terms) < 2 or not trend.outcomes:
        return None
    series = []
    for outcome in trend.outcomes:
        by_term = trend.cells.get(outcome.id, {}).get("direct", {})
        values = [by_term[t].percent if t in by_term else None for t in trend.terms]
        series.append(bars.Series(outcome.name, values))
    labels = [t or services.NO_TERM for t in trend.terms]
    src = bars.line_chart(
        labels,
        series,
        "Students at or above the target, per term (direct measures)",
        "% at or above target",
    )
    first, last = labels[0], labels[-1]
    # each outcome from its first term with a figure to its last
    ends = [[v for v in s.values if v is not None] for s in series]
    rising = sum(1 for v in ends if len(v) > 1 and v[-1] > v[0])
    falling = sum(1 for v in ends if len(v) > 1 and v[-1] < v[0])
    alt = (
        f"Line chart of the percentage of students at or above the target per term, one line per "
        f"outcome. From {first} to {last}, {rising} of {len(series)} outcomes rose and "
        f"{falling} fell. The table gives each figure."
    )
    return Chart(src, alt)
