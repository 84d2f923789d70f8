"""The credit blueprint's course pages: the course policy, the roster with progress, the review
queue, the registrar export, the awards overview and the institution's defaults."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_launch, requires
from lti_tool.csvsafe import csv_response
from lti_tool.forms import ButtonForm
from lti_tool.lti.roster_pages import refresh_now
from lti_tool.lti.rosters import show_roster
from lti_tool.tenants import get_tenant
from lti_tool.unit_of_work import done, field_errors
from lti_tool.web import launch_url_each

from .. import forms
from ..models import APPROVAL_CHAINS, GRADING_MODES
from ..services import awards as award_svc
from ..services import policy as policy_svc
from ..services import progress as progress_svc
from ..services import sync as sync_svc
from ..services.roster import merge_roster, sort_rows
from . import bp, course_id_of, course_policy, read_only, roster_table
from .figures import chart_alt, filtered, progress_chart, state_counts

# --- faculty: policy --------------------------------------------------------------------------


@bp.route("/policy", methods=["GET", "POST"])
@requires("faculty")
def policy() -> ResponseReturnValue:
    ctx = current_launch()
    _, current = course_policy(ctx)
    form = forms.PolicyForm(obj=current if request.method == "GET" else None)
    if request.method == "GET":
        form.min_rating.data = str(current.min_rating or "")
    if request.method == "POST" and ctx.read_only:
        raise read_only()
    if form.validate_on_submit():
        data = policy_svc.PolicyInput(
            hours_per_credit=form.hours_per_credit.data or 0,
            max_credits=form.max_credits.data or 0,
            allow_stacking=bool(form.allow_stacking.data),
            require_agreement=bool(form.require_agreement.data),
            require_evaluation=bool(form.require_evaluation.data),
            require_reflection=bool(form.require_reflection.data),
            min_rating=forms.min_rating_value(form),
            grading_mode=form.grading_mode.data or "",
            points_possible=form.points_possible.data or 0,
            deadline=form.deadline.data,
            approval_chain=form.approval_chain.data or "",
            second_approver=form.second_approver.data or "",
        )
        try:
            policy_svc.update_policy(ctx, data)
        except policy_svc.PolicyInvalidError as exc:
            field_errors(form, exc)
        else:
            return done(
                "Credit policy saved. Awards already made keep their values.", "credit.policy"
            )
    status = 422 if form.errors or form.form_errors else 200
    limit = policy_svc.tenant_defaults(get_tenant(ctx.tenant_id))["credit_limit"]
    return render_template(
        "credit/policy.html", form=form, policy=current, credit_limit=limit
    ), status


# --- faculty: roster and queue ------------------------------------------------------------------


@bp.get("/course")
@requires("faculty")
def course() -> ResponseReturnValue:
    ctx = current_launch()
    course_id, current = course_policy(ctx)
    rows = progress_svc.course_progress(ctx.tenant_id, course_id, policy=current)
    kept = show_roster(ctx)  # as kept: a stale one is read again in the background
    merged = merge_roster(rows, kept.members if kept.kept else None)
    sort, direction = request.args.get("sort", "name"), request.args.get("dir", "asc")
    counts = state_counts(r.state for r in merged if not r.dropped)
    shown, showing = filtered(sort_rows(merged, sort, direction), request.args.get("state"))
    summary = sync_svc.course_summary(ctx.tenant_id, course_id)
    # The refused grades are among the failed ones the summary counts: none failed, none to read.
    failures = sync_svc.failed_syncs(ctx.tenant_id, course_id) if summary["failed"] else []
    button = ButtonForm()  # both buttons post only the launch and the CSRF token
    return render_template(
        "credit/course.html",
        policy=current,
        rows=shown,
        **roster_table.table(shown, current, launch_url_each("credit.review", "student_id")),
        total=len(merged),
        state=request.args.get("state") if showing else None,
        showing=showing,
        counts=counts,
        chart=progress_chart(counts),
        chart_alt=chart_alt(counts),
        sort=sort,
        direction=direction,
        roster=kept,
        refresh_form=button,
        from_nrps=kept.kept,
        summary=summary,
        failures=failures,
        retry_form=button,
        modes=GRADING_MODES,
        chains=APPROVAL_CHAINS,
    )


@bp.post("/course/roster")
@requires("faculty")
def refresh_roster() -> ResponseReturnValue:
    """The Refresh roster button: the course's roster read from the LMS now."""
    return refresh_now(current_launch(), "credit.course")


@bp.get("/queue")
@requires("faculty")
def queue() -> ResponseReturnValue:
    ctx = current_launch()
    rows = progress_svc.course_progress(ctx.tenant_id, course_id_of(ctx))
    waiting = [p for p in rows if p.state in ("ready", "resubmitted")]
    with_student = [p for p in rows if p.state == "changes_requested"]
    return render_template(
        "credit/queue.html",
        waiting=waiting,
        with_student=with_student,
        approvals=award_svc.awaiting_second_approval(ctx),
    )


# --- exports ---------------------------------------------------------------------------------


@bp.get("/export.csv")
@requires("faculty", "advisor", "admin")
def export() -> ResponseReturnValue:
    ctx = current_launch()
    if ctx.role == "faculty":
        body = sync_svc.registrar_csv(ctx.tenant_id, course_id=course_id_of(ctx))
        name = "credit-awards-course.csv"
    else:
        term = request.args.get("term") or None
        body = sync_svc.registrar_csv(ctx.tenant_id, term=term)
        name = "credit-awards.csv"
    return csv_response(name, body)


@bp.get("/awards")
@requires("advisor", "admin")
def awards() -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "credit/awards.html",
        overview=award_svc.tenant_overview(ctx.tenant_id),
        terms=sync_svc.terms(ctx.tenant_id),
    )


# --- institution defaults ----------------------------------------------------------------------


@bp.route("/defaults", methods=["GET", "POST"])
@requires("admin", tool_admin=True)
def defaults() -> ResponseReturnValue:
    ctx = current_launch()
    current = policy_svc.tenant_defaults(get_tenant(ctx.tenant_id))
    form = forms.DefaultsForm(data=current if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            policy_svc.update_tenant_defaults(
                ctx, {name: form._fields[name].data for name in policy_svc.DEFAULTS}
            )
        except policy_svc.PolicyInvalidError as exc:
            field_errors(form, exc)
        else:
            return done("Credit defaults saved for new courses.", "credit.defaults")
    status = 422 if form.errors or form.form_errors else 200
    return render_template("credit/defaults.html", form=form), status
