"""The employer figures page and its CSVs (routes on the reports blueprint, imported by
``accreditation.reports.register`` before it registers the blueprint): advisors only. The
figures are kept (``employer_snapshots``) and shown with their age; the table is paged, the
chart and the offers by program show the page's employers, the CSVs have every employer and
every offer row."""

from __future__ import annotations

import math

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue

from lti_tool import csvsafe
from lti_tool.auth import current_launch, requires
from lti_tool.context import today_in
from lti_tool.forms import ButtonForm
from lti_tool.page_forms import dispatch
from lti_tool.paging import Page, page_number
from lti_tool.unit_of_work import done

from . import employer_figures as figures
from . import employer_snapshots as kept
from .services import bars
from .services.common import csv_lines, current_term, terms
from .views import bp

PER_PAGE = 25
FILL, CONVERSION = 3, 14  # the table's fill rate and conversion rate columns


def _term() -> tuple[list[figures.Term], figures.Term | None]:
    ctx = current_launch()
    all_terms = terms(ctx.tenant_id)
    name = request.args.get("term")
    if not name:
        return all_terms, None
    return all_terms, current_term(all_terms, today_in(ctx.time_zone), name)


def _chart(rows: list[list]) -> str | None:
    if not rows:
        return None
    return bars.bar_chart(
        [str(row[0]) for row in rows],
        [
            bars.Series("Fill rate", [row[FILL] for row in rows]),
            bars.Series("Conversion rate", [row[CONVERSION] for row in rows]),
        ],
        "Fill rate and conversion rate per employer (%)",
        max_value=100,
        unit="%",
    )


@bp.route("/employer-figures", methods=["GET", "POST"])
@requires("advisor")
def employer_figures() -> ResponseReturnValue:
    """Per employer: fill, time to first applicant and to fill, completion, evaluation, pay
    compliance, repeat engagements and offers; offers by employer and program."""
    ctx = current_launch()
    all_terms, term = _term()
    posted = dispatch(refresh=lambda: _refresh(term))
    if posted:
        return posted
    found = kept.kept_figures(ctx.tenant_id, term)
    last = max(1, math.ceil(found.total / PER_PAGE))
    number = min(page_number(request.args.get("page")), last)
    rows, programs = found.page((number - 1) * PER_PAGE, number * PER_PAGE)
    return render_template(
        "reports/employer_figures.html",
        kept=found,
        page=Page(rows, number, PER_PAGE, found.total),
        table=kept.table(rows),
        programs=kept.program_table(programs),
        chart=_chart(rows),
        terms=all_terms,
        term=term,
        refresh_form=ButtonForm(formdata=None),
    )


def _refresh(term: figures.Term | None) -> ResponseReturnValue:
    if not ButtonForm().validate_on_submit():
        abort(400)
    later = kept.refresh_soon(current_launch().tenant_id, term)
    extra = {"term": term.name} if term else {}
    return done(
        "The figures are being worked out again; this page shows them within a few minutes."
        if later
        else "The figures are worked out again.",
        "reports.employer_figures",
        **extra,
    )


@bp.get("/employer-figures.csv")
@requires("advisor")
def employer_figures_csv() -> ResponseReturnValue:
    ctx = current_launch()
    _, term = _term()
    rows = kept.kept_figures(ctx.tenant_id, term).every_row()
    return csvsafe.csv_response("employer-figures.csv", csv_lines(figures.HEADERS, rows))


@bp.get("/employer-figures-programs.csv")
@requires("advisor")
def employer_figures_programs_csv() -> ResponseReturnValue:
    """Every employer's offers by program (the page shows those of its page's employers)."""
    ctx = current_launch()
    _, term = _term()
    rows = kept.kept_figures(ctx.tenant_id, term).every_program()
    return csvsafe.csv_response(
        "employer-figures-programs.csv", csv_lines(kept.PROGRAM_HEADERS, rows)
    )
