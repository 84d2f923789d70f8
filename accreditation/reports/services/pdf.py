"""The progress report as a PDF: ``templates/pdf/progress_report.html`` laid out by
``lti_tool.pdf`` (WeasyPrint, tagged PDF/UA-1) with the same sections as the page, each chart
(a PNG drawn by .charts) followed by its data table, which is the chart's text alternative on
paper too. The PDF's metadata is its title, which the first page shows: no email or other
personal data."""

from __future__ import annotations

from lti_tool import pdf
from lti_tool.quantities import hours_value_text

from .charts import cohort_chart, competency_chart, data_uri, hours_chart
from .progress import ProgressReport

MAX_TABLE_ROWS = 60


def render_pdf(report: ProgressReport, institution: str) -> bytes:
    """The report as PDF bytes."""
    title = f"Progress report: {report.name or 'Student'}"
    charts = {
        "hours": data_uri(hours_chart(report.weeks, "png"), "png") if report.weeks else "",
        "competencies": (
            data_uri(competency_chart(report.competencies, "png"), "png")
            if report.competencies
            else ""
        ),
        "cohort": data_uri(cohort_chart(report.cohort_bins, report.student_bin, "png"), "png"),
    }
    return pdf.render(
        "progress_report.html",
        title=title,
        header=title,
        header_right=institution,
        subtitle=(
            f"{institution} · generated {report.generated_on.isoformat()}"
            + (f" · {report.program}" if report.program else "")
            + (f" · class of {report.class_year}" if report.class_year else "")
        ),
        report=report,
        tables=report.tables(),
        charts=charts,
        limit=MAX_TABLE_ROWS,
        comments=report.comments(),
        hours_line=f"{report.total_logged_hours} hours logged in all; the table lists each week.",
        cohort_line=(
            f"The cohort is the {report.cohort_size} {report.cohort_label}. In their work there, "
            f"this student has {hours_value_text(report.confirmed_hours)} confirmed hours; the "
            f"cohort's median is {hours_value_text(report.cohort_median_hours)}."
        ),
    )
