"""The advisor's overview (routes on the reports blueprint, imported by
``accreditation.reports.register`` before it registers the blueprint): the reports home with
this term's counts, the students at risk and the charts, its counts as CSV, "Refresh now" for
kept figures, and the advisor's home panel. The figures come from ``home_snapshots``: current
at most institutions, kept and shown with their age at a state system's size."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext, today_in
from lti_tool.forms import ButtonForm
from lti_tool.page_forms import dispatch
from lti_tool.unit_of_work import done

from . import home_snapshots, presentation
from .services import dashboard, risk
from .services.common import current_term, terms, without_jit
from .views import bp, clock, table_csv, term_of


def advisor_panel(ctx: LaunchContext) -> dict[str, Any]:
    """The advisor's home panel: this term's counts, each linking to its list, and the students
    at risk (the home shows them first)."""
    without_jit()
    today, now = clock(ctx)
    term = current_term(terms(ctx.tenant_id), today)
    limits = risk.tenant_thresholds(ctx.tenant_id)
    figures = home_snapshots.home_figures(ctx.tenant_id, term, limits, today, now)
    return {
        "counts": figures.counts,
        "at_risk": figures.at_risk_top(3),
        "kept": figures,
        "rule_labels": risk.RULE_LABELS,
    }


def _home_figures(ctx: LaunchContext, term: Any) -> home_snapshots.HomeFigures:
    limits = risk.tenant_thresholds(ctx.tenant_id)
    return home_snapshots.home_figures(ctx.tenant_id, term, limits, *clock(ctx))


@bp.route("/", methods=["GET", "POST"])
@requires("advisor")
def home() -> ResponseReturnValue:
    ctx = current_launch()
    all_terms, term = term_of(ctx)
    posted = dispatch(refresh=lambda: _refresh_home(ctx, term))
    if posted:
        return posted
    figures = _home_figures(ctx, term)
    return render_template(
        "reports/home.html",
        counts=figures.counts,
        at_risk=figures.at_risk,
        kept=figures,
        refresh_form=ButtonForm(formdata=None),
        terms=all_terms,
        term=term,
        **presentation.charts(figures),
    )


def _refresh_home(ctx: LaunchContext, term: Any) -> ResponseReturnValue:
    if not ButtonForm().validate_on_submit():
        abort(400)
    later = home_snapshots.refresh_soon(ctx.tenant_id, term, today_in(ctx.time_zone))
    return done(
        "The figures are being worked out again; reload this page in a minute."
        if later
        else "The figures are worked out again.",
        "reports.home",
        **({"term": term.name} if term else {}),
    )


@bp.get("/counts.csv")
@requires("advisor")
def home_csv() -> ResponseReturnValue:
    ctx = current_launch()
    _, term = term_of(ctx)
    return table_csv("counts.csv", dashboard.counts_table(_home_figures(ctx, term).counts))
