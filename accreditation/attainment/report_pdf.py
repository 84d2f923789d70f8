"""The export's PDF summary: attainment per outcome with a bar chart, the trend across terms
with a line chart, coverage flags and closing-the-loop notes (ReportLab; charts drawn by
matplotlib's Agg backend, which needs no display)."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.platypus import (
    Image,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from lti_tool.pdf import styles as pdf_styles
from lti_tool.pdf import table_font
from lti_tool.words import plural

from . import services

DIRECT_COLOUR = "#1f4e79"
INDIRECT_COLOUR = "#c55a11"


def _png(fig: Figure) -> io.BytesIO:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=150, bbox_inches="tight")
    out.seek(0)
    return out


def attainment_chart(report: services.AttainmentReport) -> io.BytesIO:
    """Horizontal bars: % at or above target per outcome, direct and indirect."""
    rows = report.rows
    height = max(2.5, 0.45 * len(rows) + 1)
    fig = Figure(figsize=(7, height))
    ax = fig.add_subplot()
    ys = list(range(len(rows)))
    for offset, measure, colour in (
        (-0.2, "direct", DIRECT_COLOUR),
        (0.2, "indirect", INDIRECT_COLOUR),
    ):
        values = [r.measures[measure].percent or 0 for r in rows]
        ax.barh([y + offset for y in ys], values, height=0.4, color=colour, label=measure.title())
    ax.set_yticks(ys, [r.outcome.name[:40] for r in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of students at or above the target level")
    ax.legend(loc="lower right")
    return _png(fig)


def trend_chart(trend: services.Trend) -> io.BytesIO | None:
    """Lines: % at or above target per term for each outcome (direct measures)."""
    if len(trend.terms) < 2:
        return None
    fig = Figure(figsize=(7, 3.5))
    ax = fig.add_subplot()
    xs = list(range(len(trend.terms)))
    for outcome in trend.outcomes:
        by_term = trend.cells.get(outcome.id, {}).get("direct", {})
        points = [
            (x, by_term[t].percent or 0.0)
            for x, t in zip(xs, trend.terms, strict=True)
            if t in by_term
        ]
        if points:
            ax.plot(
                [p[0] for p in points], [p[1] for p in points], marker="o", label=outcome.name[:30]
            )
    ax.set_xticks(xs, [t or services.NO_TERM for t in trend.terms], rotation=30, ha="right")
    ax.set_ylim(0, 100)
    ax.set_ylabel("% at or above target (direct)")
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1, 1))
    return _png(fig)


def _table(data: list[list[Any]], widths: list[float] | None = None) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                table_font(),
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde5ee")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def summary_pdf(
    job: Any,
    report: services.AttainmentReport,
    trend: services.Trend,
    cover: services.Coverage,
    notes: dict[int, list[Any]],
    evidence_rows: int,
) -> bytes:
    """The summary PDF of an export."""
    styles = pdf_styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=f"Accreditation summary: {report.framework.title}",
        author="Career Credit",
    )
    story = [
        *_attainment_section(styles, job, report, evidence_rows),
        *_trend_section(styles, trend),
        *_coverage_section(styles, cover),
        *_notes_section(styles, report, notes),
    ]
    doc.build(story)
    return out.getvalue()


def _attainment_section(
    styles: Any, job: Any, report: services.AttainmentReport, evidence_rows: int
) -> list[Any]:
    """The title, the scope, the attainment chart and its table."""
    body, small = styles["BodyText"], styles["Normal"]
    terms = ", ".join(report.scope.terms) if report.scope.terms is not None else "every term"
    story: list[Any] = [
        Paragraph(f"Accreditation summary: {_esc(report.framework.title)}", styles["Title"]),
        Paragraph(
            f"Program: {_esc(job.program or 'all students')} · Terms: {_esc(terms)} · "
            f"Evidence rows: {evidence_rows} · Default target level: {report.targets.level} "
            f"({_esc(services.level_name(report.framework, report.targets.level))})",
            body,
        ),
        Spacer(1, 0.3 * cm),
        Paragraph("Attainment per outcome", styles["Heading2"]),
        Image(attainment_chart(report), width=16 * cm, height=20 * cm, kind="proportional"),
    ]
    data: list[list[Any]] = [["Outcome", "Measure", "Target", "n", "At/above", "%", *report.scale]]
    for row in report.rows:
        for measure, m in row.measures.items():
            data.append(
                [
                    Paragraph(_esc(row.outcome.name), small),
                    measure,
                    row.target,
                    m.n,
                    m.at_or_above,
                    "—" if m.percent is None else f"{m.percent}",
                    *m.counts(),
                ]
            )
    story.append(_table(data))
    return story


def _trend_section(styles: Any, trend: services.Trend) -> list[Any]:
    """The trend chart, when there is a trend to draw."""
    chart = trend_chart(trend)
    if chart is None:
        return []
    return [
        Paragraph("Trend across terms", styles["Heading2"]),
        Image(chart, width=16 * cm, height=8 * cm, kind="proportional"),
    ]


def _coverage_section(styles: Any, cover: services.Coverage) -> list[Any]:
    """The outcomes with too little evidence, and where the evidence came from."""
    flagged = [o.name for o in cover.outcomes if cover.flagged(o.id)]
    return [
        Paragraph("Coverage", styles["Heading2"]),
        Paragraph(
            f"Outcomes with fewer than {cover.min_evidence} rated observations: "
            + (_esc(", ".join(flagged)) if flagged else "none")
            + f". Evidence came from {plural(len(cover.courses), 'course')} and "
            f"{plural(cover.listings_shown, 'listing')}; coverage.csv holds every cell.",
            styles["BodyText"],
        ),
    ]


def _notes_section(
    styles: Any, report: services.AttainmentReport, notes: dict[int, list[Any]]
) -> list[Any]:
    """Closing the loop: each outcome's notes, or that there are none."""
    body, small = styles["BodyText"], styles["Normal"]
    story: list[Any] = [Paragraph("Closing the loop", styles["Heading2"])]
    rows = [
        [
            Paragraph(_esc(o.name), small),
            n.created_at.strftime("%Y-%m-%d"),
            Paragraph(_esc(n.author), small),
            Paragraph(_esc(n.body), small),
        ]
        for o in [r.outcome for r in report.rows]
        for n in notes.get(o.id, [])
    ]
    if rows:
        story.append(
            _table(
                [["Outcome", "Date", "Author", "What will change"], *rows],
                [4 * cm, 2 * cm, 3 * cm, 8 * cm],
            )
        )
    else:
        story.append(Paragraph("No notes yet.", body))
    return story


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
