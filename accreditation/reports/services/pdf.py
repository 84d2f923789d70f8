"""The progress report as a PDF (reportlab): the same sections as the page, each chart as a PNG
followed by its data table, which is the chart's text alternative on paper too."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from .charts import cohort_chart, competency_chart, hours_chart
from .common import Table
from .progress import ProgressReport

MAX_TABLE_ROWS = 60


@lru_cache(maxsize=1)
def _fonts() -> tuple[str, str]:
    """DejaVu Sans (shipped with matplotlib, so always here): it has the accents and
    punctuation of real names that reportlab's built-in Helvetica lacks."""
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    try:
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(fonts / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(fonts / "DejaVuSans-Bold.ttf")))
    except Exception:  # a trimmed matplotlib install: fall back to the built-in fonts
        return "Helvetica", "Helvetica-Bold"
    return "DejaVuSans", "DejaVuSans-Bold"


def render_pdf(report: ProgressReport, institution: str) -> bytes:
    """The report as PDF bytes."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import (
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        TableStyle,
    )
    from reportlab.platypus import Table as PdfTable

    regular, bold = _fonts()
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=regular, fontSize=9.5)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    h1 = ParagraphStyle("h1", parent=base["Heading1"], fontName=bold, fontSize=17)
    h2 = ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=12.5)
    width = LETTER[0] - 1.5 * inch

    def para(text: str, style: Any = body) -> Any:
        return Paragraph(escape(str(text)), style)

    def table(t: Table) -> Any:
        rows = t.rows[:MAX_TABLE_ROWS]
        data = [[para(h, small) for h in t.headers]]
        data += [[para("" if c is None else c, small) for c in row] for row in rows]
        out = PdfTable(
            data, repeatRows=1, hAlign="LEFT", colWidths=[width / len(t.headers)] * len(t.headers)
        )
        out.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8a99a8")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        extra = [para(f"{len(t.rows) - MAX_TABLE_ROWS} more rows in the CSV export.", small)]
        return [out, *(extra if len(t.rows) > MAX_TABLE_ROWS else [])]

    def chart(png: bytes, height_ratio: float) -> Any:
        return Image(io.BytesIO(png), width=width, height=width * height_ratio)

    tables = report.tables()
    story: list[Any] = [
        para(f"Progress report: {report.name or 'Student'}", h1),
        para(
            f"{institution} · generated {report.generated_on.isoformat()}"
            + (f" · {report.program}" if report.program else "")
            + (f" · class of {report.class_year}" if report.class_year else ""),
        ),
        Spacer(1, 8),
        para("Engagements", h2),
        *(table(tables["engagements"]) if report.engagements else [para("No engagements yet.")]),
        para("Hours over time", h2),
    ]
    if report.weeks:
        story += [
            chart(hours_chart(report.weeks, "png"), 2.8 / 6.4),
            para(
                f"{report.total_logged_hours} hours logged in all; the table lists each week.",
                small,
            ),
            *table(tables["hours"]),
        ]
    else:
        story.append(para("No hours logged yet."))
    story += [para("Credit progress", h2)]
    story += table(tables["credit"]) if report.credit else [para("No course credit yet.")]
    story += [para("Competencies and levels reached", h2)]
    if report.competencies:
        ratio = (0.45 * max(3, len(report.competencies)) + 1.3) / 6.4
        story += [chart(competency_chart(report.competencies, "png"), ratio)]
        story += table(tables["competencies"])
    else:
        story.append(para("No supervisor ratings yet."))
    story += [para("Supervisor comments", h2)]
    comments = report.comments()
    story += [para(f"{listing} — {who}: {text}") for listing, who, text in comments] or [
        para("No comments yet.")
    ]
    story += [
        KeepTogether(
            [
                para("Cohort", h2),
                para(
                    f"The cohort is the {report.cohort_size} {report.cohort_label}. In their "
                    f"work there, this student has {report.confirmed_hours} confirmed hours; "
                    f"the cohort's median is {round(report.cohort_median_hours or 0, 1)}."
                ),
                chart(cohort_chart(report.cohort_bins, report.student_bin, "png"), 2.8 / 6.4),
            ]
        ),
        *table(tables["cohort"]),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        title=f"Progress report: {report.name}",
        author=institution,
        subject="Career Credit progress report",
        leftMargin=0.75 * inch,
        rightMargin=0.75 * inch,
        topMargin=0.7 * inch,
        bottomMargin=0.7 * inch,
    )
    doc.build(story)
    return buffer.getvalue()
