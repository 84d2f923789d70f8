"""The advisor's pay pages on the employers blueprint (``/employers/pay/...``): the overdue
payments and open disputes (``employers.pay_overdue``, paged), the paid and unpaid share per
employer and term with the engagements below the pay floor (``employers.pay_report``, and its
CSV), the grace days (``employers.pay_settings``); and the advisor's home panel."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext
from lti_tool.csvsafe import csv_response, csv_text
from lti_tool.errors import PolicyViolationError
from lti_tool.page_forms import dispatch
from lti_tool.paging import page_number
from lti_tool.tenants import get_tenant
from lti_tool.unit_of_work import done, field_errors, form_page

from ...workspace.home_counts import advisor_counts
from ..blueprint import bp
from . import forms
from .services import overdue as overdue_svc
from .services import payments as pay_svc
from .services import report as report_svc
from .services.terms import grace_days

DISPUTES_SHOWN = 50


@bp.route("/pay/overdue", methods=["GET", "POST"])
@requires("advisor")
def pay_overdue() -> ResponseReturnValue:
    """Overdue payments waiting for an advisor (oldest due first, paged), and open disputes."""
    return dispatch(clear=_clear) or _overdue_page(forms.ClearOverdueForm(formdata=None))


def _overdue_page(form: forms.ClearOverdueForm, failed_id: int = 0) -> ResponseReturnValue:
    ctx = current_launch()
    page = overdue_svc.open_overdue(ctx.tenant_id, page_number(request.args.get("page")))
    return form_page(
        "employers/pay/overdue.html",
        form,
        page=page,
        failed_id=failed_id,
        disputes=pay_svc.open_disputes(ctx.tenant_id, DISPUTES_SHOWN),
        dispute_total=pay_svc.dispute_count(ctx.tenant_id),
        grace=grace_days(get_tenant(ctx.tenant_id)),
    )


def _clear() -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.ClearOverdueForm()
    value = str(form.overdue_id.data or "")
    overdue_id = int(value) if value.isdigit() else 0
    if ctx.read_only:
        form.form_errors.append("Your access is read-only.")
    elif form.validate_on_submit():
        try:
            overdue_svc.clear_overdue(ctx.actor, overdue_id, form.note.data or "")
        except PolicyViolationError as exc:
            field_errors(form, exc, fallback="note")
        else:
            return done(
                "The overdue payment is cleared; it no longer holds back the employer's listings.",
                "employers.pay_overdue",
                page=request.args.get("page") or None,
            )
    return _overdue_page(form, overdue_id)


@bp.get("/pay/report")
@requires("advisor")
def pay_report() -> ResponseReturnValue:
    """Paid and unpaid engagements per employer and term; engagements below the pay floor."""
    ctx = current_launch()
    return render_template(
        "employers/pay/report.html",
        lines=report_svc.pay_share(ctx.tenant_id),
        below=report_svc.below_floor_engagements(ctx.tenant_id),
    )


CSV_HEADER = (
    "Employer",
    "Term",
    "Paid engagements",
    "Unpaid engagements",
    "Paid share (%)",
    "Paid below the pay floor",
)


@bp.get("/pay/report.csv")
@requires("advisor")
def pay_report_csv() -> ResponseReturnValue:
    """The report's table as CSV."""
    ctx = current_launch()
    rows = (
        (x.employer, x.term, x.paid, x.unpaid, f"{x.paid_share:.0f}", x.below_floor)
        for x in report_svc.pay_share(ctx.tenant_id)
    )
    return csv_response("pay-share.csv", csv_text(CSV_HEADER, rows))


@bp.route("/pay/settings", methods=["GET", "POST"])
@requires("advisor")
def pay_settings() -> ResponseReturnValue:
    """The institution's grace days past a due date."""
    ctx = current_launch()
    form = forms.GraceDaysForm(
        formdata=None if request.method == "GET" else request.form,
        data={"grace_days": grace_days(get_tenant(ctx.tenant_id))},
    )
    return dispatch(grace=lambda: _save_grace(ctx, form)) or form_page(
        "employers/pay/settings.html", form
    )


def _save_grace(ctx: LaunchContext, form: forms.GraceDaysForm) -> ResponseReturnValue:
    if ctx.read_only:
        form.form_errors.append("Your access is read-only.")
    elif form.validate():
        try:
            report_svc.set_grace_days(ctx.actor, form.grace_days.data or 0)
        except PolicyViolationError as exc:
            field_errors(form, exc)
        else:
            return done("The grace days are saved.", "employers.pay_settings")
    return form_page("employers/pay/settings.html", form)


def advisor_panel(ctx: LaunchContext) -> dict[str, Any] | None:
    """The advisor's home panel: overdue payments and open disputes, with their list."""
    counts = advisor_counts(ctx)
    return {"overdue": counts["overdue"], "disputes": counts["disputes"]}
