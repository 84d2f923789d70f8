"""The export's PDF summary: attainment per outcome with a bar chart, the trend across terms
with a line chart, coverage flags and closing-the-loop notes. ``templates/pdf/
attainment_summary.html`` laid out by ``lti_tool.pdf`` (WeasyPrint, tagged PDF/UA-1); the charts
are drawn by matplotlib's Agg backend (no display) as PNGs, each legend outside the plotting
area so it never covers a bar or a line."""

from __future__ import annotations

import base64
import io
from types import SimpleNamespace
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from accreditation.reports.services import charts
from lti_tool import pdf
from lti_tool.words import plural

from . import services

# the colours of every report chart (Okabe-Ito), as the pages' SVG bars draw these charts:
# direct measures blue, indirect ones hatched grey (never colour alone)
DIRECT_COLOUR = charts.BLUE
INDIRECT_COLOUR = charts.GREY


def _png(fig: Figure) -> io.BytesIO:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=150, bbox_inches="tight")
    out.seek(0)
    return out


def _data_uri(png: io.BytesIO) -> str:
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()


def attainment_figure(report: services.AttainmentReport) -> Figure:
    """Horizontal bars: % at or above target per outcome, direct and indirect; the legend sits
    above the plotting area, clear of the bars however long they are."""
    rows = report.rows
    height = max(2.5, 0.45 * len(rows) + 1)
    charts.style()
    fig = Figure(figsize=(7, height))
    ax = fig.add_subplot()
    ys = list(range(len(rows)))
    for offset, measure, colour, hatch, label in (
        (-0.2, "direct", DIRECT_COLOUR, None, "Direct"),
        (0.2, "indirect", INDIRECT_COLOUR, "..", "Indirect (self-assessed)"),
    ):
        values = [r.measures[measure].percent or 0 for r in rows]
        ax.barh(
            [y + offset for y in ys], values, height=0.4, color=colour, hatch=hatch, label=label
        )
    ax.set_yticks(ys, [r.outcome.name[:40] for r in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of students at or above the target level")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    return fig


def attainment_chart(report: services.AttainmentReport) -> io.BytesIO:
    """``attainment_figure`` as a PNG."""
    return _png(attainment_figure(report))


def trend_chart(trend: services.Trend) -> io.BytesIO | None:
    """Lines: % at or above target per term for each outcome (direct measures); the legend to
    the right of the plotting area."""
    if len(trend.terms) < 2:
        return None
    charts.style()
    fig = Figure(figsize=(7, 3.5))
    ax = fig.add_subplot()
    xs = list(range(len(trend.terms)))
    for k, outcome in enumerate(trend.outcomes):
        by_term = trend.cells.get(outcome.id, {}).get("direct", {})
        points = [
            (x, by_term[t].percent or 0.0)
            for x, t in zip(xs, trend.terms, strict=True)
            if t in by_term
        ]
        if points:
            ax.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                marker=charts.MARKERS[k % len(charts.MARKERS)],
                color=charts.PALETTE[k % len(charts.PALETTE)],
                label=outcome.name[:30],
            )
    ax.set_xticks(xs, [t or services.NO_TERM for t in trend.terms], rotation=30, ha="right")
    ax.set_ylim(0, 100)
    ax.set_ylabel("% at or above target (direct)")
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1, 1))
    return _png(fig)


def summary_pdf(
    job: Any,
    report: services.AttainmentReport,
    trend: services.Trend,
    cover: services.Coverage,
    notes: dict[int, list[Any]],
    evidence_rows: int,
) -> bytes:
    """The summary PDF of an export."""
    title = f"Accreditation summary: {report.framework.title}"
    trend_png = trend_chart(trend)
    return pdf.render(
        "attainment_summary.html",
        title=title,
        header=title,
        header_right="Career Credit",
        page_size="A4",
        scope_line=_scope_line(job, report, evidence_rows),
        attainment_chart=_data_uri(attainment_chart(report)),
        attainment=_attainment_table(report),
        trend_chart=_data_uri(trend_png) if trend_png else "",
        coverage_line=coverage_line(cover),
        notes=_notes_table(report, notes),
    )


def _scope_line(job: Any, report: services.AttainmentReport, evidence_rows: int) -> str:
    terms = ", ".join(report.scope.terms) if report.scope.terms is not None else "every term"
    level = report.targets.level
    return (
        f"Program: {job.program or 'all students'} · Terms: {terms} · "
        f"Evidence rows: {evidence_rows} · Default target level: {level} "
        f"({services.level_name(report.framework, level)})"
    )


def _attainment_table(report: services.AttainmentReport) -> SimpleNamespace:
    """Each outcome's measures: n, at or above the target, the percent and the count per level."""
    rows = [
        [
            row.outcome.name,
            measure,
            row.target,
            m.n,
            m.at_or_above,
            "—" if m.percent is None else m.percent,
            *m.counts(),
        ]
        for row in report.rows
        for measure, m in row.measures.items()
    ]
    headers = ["Outcome", "Measure", "Target", "n", "At or above", "%", *report.scale]
    return SimpleNamespace(title="Attainment per outcome", headers=headers, rows=rows)


def coverage_line(cover: services.Coverage) -> str:
    """The outcomes with too little evidence, and where the evidence came from."""
    flagged = [o.name for o in cover.outcomes if cover.flagged(o.id)]
    return (
        f"Outcomes with fewer than {cover.min_evidence} rated observations: "
        + (", ".join(flagged) if flagged else "none")
        + f". Evidence came from {plural(len(cover.courses), 'course')} and "
        f"{plural(cover.listings_shown, 'listing')}; coverage.csv holds every cell."
    )


def _notes_table(report: services.AttainmentReport, notes: dict[int, list[Any]]) -> SimpleNamespace:
    """Closing the loop: each outcome's notes."""
    rows = [
        [o.name, n.created_at.strftime("%Y-%m-%d"), n.author, n.body]
        for o in [r.outcome for r in report.rows]
        for n in notes.get(o.id, [])
    ]
    headers = ["Outcome", "Date", "Author", "What will change"]
    return SimpleNamespace(title="Closing the loop", headers=headers, rows=rows)
