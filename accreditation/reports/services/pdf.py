"""The progress report as a PDF (reportlab): the same sections as the page, each chart as a PNG
followed by its data table, which is the chart's text alternative on paper too."""

from __future__ import annotations

import io
from typing import Any

from lti_tool.pdf import fonts
from lti_tool.quantities import hours_value_text

from .charts import cohort_chart, competency_chart, hours_chart
from .common import Table
from .progress import ProgressReport

MAX_TABLE_ROWS = 60


class _Writer:
    """The styles of the report's PDF and its three kinds of block: a paragraph, a table (at
    most MAX_TABLE_ROWS rows, then a line saying how many more the CSV holds) and a chart."""

    def __init__(self) -> None:
        from reportlab.lib.pagesizes import LETTER
        from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
        from reportlab.lib.units import inch

        regular, bold = fonts()
        base = getSampleStyleSheet()
        self.body = ParagraphStyle("body", parent=base["BodyText"], fontName=regular, fontSize=9.5)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8, leading=10)
        self.h1 = ParagraphStyle("h1", parent=base["Heading1"], fontName=bold, fontSize=17)
        self.h2 = ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=12.5)
        self.width = LETTER[0] - 1.5 * inch

    def para(self, text: str, style: Any = None) -> Any:
        from xml.sax.saxutils import escape

        from reportlab.platypus import Paragraph

        return Paragraph(escape(str(text)), self.body if style is None else style)

    def table(self, t: Table) -> list[Any]:
        from reportlab.lib import colors
        from reportlab.platypus import Table as PdfTable
        from reportlab.platypus import TableStyle

        rows = t.rows[:MAX_TABLE_ROWS]
        data = [[self.para(h, self.small) for h in t.headers]]
        data += [[self.para("" if c is None else c, self.small) for c in row] for row in rows]
        out = PdfTable(
            data,
            repeatRows=1,
            hAlign="LEFT",
            colWidths=[self.width / len(t.headers)] * len(t.headers),
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
        more = f"{len(t.rows) - MAX_TABLE_ROWS} more rows in the CSV export."
        return [out, *([self.para(more, self.small)] if len(t.rows) > MAX_TABLE_ROWS else [])]

    def chart(self, png: bytes, height_ratio: float) -> Any:
        from reportlab.platypus import Image

        return Image(io.BytesIO(png), width=self.width, height=self.width * height_ratio)


def render_pdf(report: ProgressReport, institution: str) -> bytes:
    """The report as PDF bytes."""
    pdf = _Writer()
    tables = report.tables()
    story = [
        *_opening(pdf, report, institution, tables),
        *_hours(pdf, report, tables),
        *_credit_and_competencies(pdf, report, tables),
        *_comments(pdf, report),
        *_cohort(pdf, report, tables),
    ]
    return _build(report, institution, story)


def _opening(
    pdf: _Writer, report: ProgressReport, institution: str, tables: dict[str, Table]
) -> list[Any]:
    """The title, who and when, and the engagements."""
    from reportlab.platypus import Spacer

    return [
        pdf.para(f"Progress report: {report.name or 'Student'}", pdf.h1),
        pdf.para(
            f"{institution} · generated {report.generated_on.isoformat()}"
            + (f" · {report.program}" if report.program else "")
            + (f" · class of {report.class_year}" if report.class_year else ""),
        ),
        Spacer(1, 8),
        pdf.para("Engagements", pdf.h2),
        *(
            pdf.table(tables["engagements"])
            if report.engagements
            else [pdf.para("No engagements yet.")]
        ),
    ]


def _hours(pdf: _Writer, report: ProgressReport, tables: dict[str, Table]) -> list[Any]:
    """Hours over time: the chart and the week-by-week table."""
    story: list[Any] = [pdf.para("Hours over time", pdf.h2)]
    if not report.weeks:
        return [*story, pdf.para("No hours logged yet.")]
    return [
        *story,
        pdf.chart(hours_chart(report.weeks, "png"), 2.8 / 6.4),
        pdf.para(
            f"{report.total_logged_hours} hours logged in all; the table lists each week.",
            pdf.small,
        ),
        *pdf.table(tables["hours"]),
    ]


def _credit_and_competencies(
    pdf: _Writer, report: ProgressReport, tables: dict[str, Table]
) -> list[Any]:
    """Credit progress, then the competencies and levels reached."""
    story: list[Any] = [pdf.para("Credit progress", pdf.h2)]
    story += pdf.table(tables["credit"]) if report.credit else [pdf.para("No course credit yet.")]
    story += [pdf.para("Competencies and levels reached", pdf.h2)]
    if report.competencies:
        ratio = (0.45 * max(3, len(report.competencies)) + 1.3) / 6.4
        story += [pdf.chart(competency_chart(report.competencies, "png"), ratio)]
        story += pdf.table(tables["competencies"])
    else:
        story.append(pdf.para("No supervisor ratings yet."))
    return story


def _comments(pdf: _Writer, report: ProgressReport) -> list[Any]:
    """The supervisors' comments."""
    comments = report.comments()
    return [
        pdf.para("Supervisor comments", pdf.h2),
        *(
            [pdf.para(f"{listing} — {who}: {text}") for listing, who, text in comments]
            or [pdf.para("No comments yet.")]
        ),
    ]


def _cohort(pdf: _Writer, report: ProgressReport, tables: dict[str, Table]) -> list[Any]:
    """The student among their cohort: the text and chart kept together, then the table."""
    from reportlab.platypus import KeepTogether

    return [
        KeepTogether(
            [
                pdf.para("Cohort", pdf.h2),
                pdf.para(
                    f"The cohort is the {report.cohort_size} {report.cohort_label}. In their "
                    f"work there, this student has {hours_value_text(report.confirmed_hours)} "
                    f"confirmed hours; the cohort's median is "
                    f"{hours_value_text(report.cohort_median_hours)}."
                ),
                pdf.chart(cohort_chart(report.cohort_bins, report.student_bin, "png"), 2.8 / 6.4),
            ]
        ),
        *pdf.table(tables["cohort"]),
    ]


def _build(report: ProgressReport, institution: str, story: list[Any]) -> bytes:
    """Lay the story out on Letter pages with the document's metadata."""
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.units import inch
    from reportlab.platypus import SimpleDocTemplate

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
