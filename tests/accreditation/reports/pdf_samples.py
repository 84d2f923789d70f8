"""A progress report built in memory (no database) for the PDF tests and the PDF benchmark
(benchmarks/report_pdf.py): as many engagements, weeks and comments as asked, with long words
and names with accents, the cases a PDF table has to lay out."""

from __future__ import annotations

import datetime as dt

from accreditation.reports.services.credit import CreditSummary
from accreditation.reports.services.history import EngagementReport
from accreditation.reports.services.progress import CreditLine, ProgressReport

START = dt.date(2026, 1, 5)
LISTINGS = (
    "Interdisciplinary stakeholder communications internship",
    "Market research sprint",
    "Environmental sustainability benchmarking",
)
EMPLOYERS = ("Acme Analytics International", "Łukasz Wróbel Consulting", "Ødegård & Zoë Partners")
COMMENT = (
    "Thorough, well-organized documentation; communicated responsibilities and "
    "interdependencies clearly to every stakeholder."
)


def sample_report(*, engagements: int = 3, weeks: int = 12, comments: int = 3) -> ProgressReport:
    """A student's report with ``engagements`` engagements, ``weeks`` weeks of hours and
    ``comments`` supervisor comments (one per engagement first, then per-competency ones)."""
    rows = []
    for i in range(engagements):
        ratings = [("Teamwork", 3, COMMENT if i * 2 + 1 < comments else "")]
        rows.append(
            EngagementReport(
                engagement_id=i + 1,
                listing=LISTINGS[i % len(LISTINGS)],
                employer=EMPLOYERS[i % len(EMPLOYERS)],
                course="BUS 390 Internship Seminar",
                status="In progress",
                start_date=START + dt.timedelta(days=7 * i),
                end_date=START + dt.timedelta(days=7 * i + 70),
                planned_hours=40,
                logged_minutes=600 + 60 * i,
                confirmed_minutes=540 + 60 * i,
                supervisor="José Núñez",
                evaluated_on=START + dt.timedelta(days=7 * i + 60),
                comments=COMMENT if i * 2 < comments else "",
                ratings=ratings,
            )
        )
    extra = max(0, comments - 2 * engagements)
    if rows and extra:
        rows[0].ratings += [(f"Competency {n}", 2, COMMENT) for n in range(extra)]
    return ProgressReport(
        student_id=1,
        name="Chloé Martin-Ødegård",
        email="chloe@example.edu",
        program="Economics BA",
        class_year="2027",
        generated_on=dt.date(2026, 4, 1),
        engagements=rows,
        weeks=[
            ((START + dt.timedelta(weeks=w)).isoformat(), 4.0 + w % 5, 1.0 if w % 3 else 0.0)
            for w in range(weeks)
        ],
        credit=[
            CreditLine(
                "BUS 390 Internship Seminar", CreditSummary(1, 3, 30.0, 90, None), "In progress"
            )
        ],
        competencies=[
            ("Teamwork", 3, 2.5),
            ("Communication", 2, 2.75),
            ("Critical Thinking", None, 1.5),
        ],
        cohort_label="students in BUS 390 Internship Seminar",
        cohort_size=24,
        cohort_bins=[(f"{10 * b}-{10 * b + 9}", 2 + b % 4) for b in range(6)],
        student_bin=2,
        confirmed_hours=30.0,
        cohort_median_hours=27.5,
    )
