"""The employer figures page and its CSV (routes on the reports blueprint, imported by
``accreditation.register`` before it registers the blueprint): advisors only."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from lti_tool import csvsafe
from lti_tool.auth import current_launch, requires
from lti_tool.context import today_in

from . import employer_figures as figures
from .services import bars
from .services.common import csv_lines, current_term, terms
from .views import bp


def _term() -> tuple[list[figures.Term], figures.Term | None]:
    ctx = current_launch()
    all_terms = terms(ctx.tenant_id)
    name = request.args.get("term")
    if not name:
        return all_terms, None
    return all_terms, current_term(all_terms, today_in(ctx.time_zone), name)


@bp.get("/employer-figures")
@requires("advisor")
def employer_figures() -> ResponseReturnValue:
    """Per employer: fill, time to first applicant and to fill, completion, evaluation, pay
    compliance, repeat engagements and offers; offers by employer and program."""
    ctx = current_launch()
    all_terms, term = _term()
    found = figures.employer_figures(ctx.tenant_id, term)
    chart = None
    if found.employers:
        chart = bars.bar_chart(
            [e.name for e in found.employers],
            [
                bars.Series("Fill rate", [e.fill_percent for e in found.employers]),
                bars.Series("Conversion rate", [e.conversion_percent for e in found.employers]),
            ],
            "Fill rate and conversion rate per employer (%)",
            max_value=100,
            unit="%",
        )
    return render_template(
        "reports/employer_figures.html",
        figures=found,
        table=figures.figures_table(found),
        programs=figures.program_table(found),
        chart=chart,
        terms=all_terms,
        term=term,
    )


@bp.get("/employer-figures.csv")
@requires("advisor")
def employer_figures_csv() -> ResponseReturnValue:
    ctx = current_launch()
    _, term = _term()
    table = figures.figures_table(figures.employer_figures(ctx.tenant_id, term))
    return csvsafe.csv_response("employer-figures.csv", csv_lines(table.headers, table.rows))
