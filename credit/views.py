"""The credit blueprint: the course policy, the roster with progress, the review queue and
review page, bulk award, second approvals, sync states and the registrar export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template, request
from flask.typing import ResponseReturnValue

from internships.work.services import engagements as eng
from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext
from lti_tool.csvsafe import csv_response
from lti_tool.errors import AppError, ConnectorError, ForbiddenError, PolicyViolationError
from lti_tool.forms import ButtonForm
from lti_tool.lti.services_client import roster
from lti_tool.unit_of_work import done, field_errors, refused

from . import forms
from .models import APPROVAL_CHAINS, GRADING_MODES
from .services import awards as award_svc
from .services import column as column_svc
from .services import misposted as misposted_svc
from .services import policy as policy_svc
from .services import progress as progress_svc
from .services import standing
from .services import sync as sync_svc
from .services.roster import merge_roster, sort_rows

bp = Blueprint("credit", __name__, url_prefix="/credit")


# --- home panels ----------------------------------------------------------------------------


def _student_panel(ctx: LaunchContext) -> dict[str, Any]:
    rows = progress_svc.student_progress_all_courses(ctx.tenant_id, ctx.user_id)
    titles = progress_svc.course_titles(ctx.tenant_id, [p.course_id for p in rows])
    policies = {p.course_id: policy_svc.read_policy(ctx.tenant_id, p.course_id) for p in rows}
    return {"rows": rows, "titles": titles, "policies": policies, "form": ButtonForm()}


def _faculty_panel(ctx: LaunchContext) -> dict[str, Any]:
    if ctx.course_id is None:
        return {"waiting": 0, "failed": 0}
    rows = progress_svc.course_progress(ctx.tenant_id, ctx.course_id)
    return {
        "waiting": sum(1 for p in rows if p.state in ("ready", "resubmitted")),
        "failed": sync_svc.course_summary(ctx.tenant_id, ctx.course_id)["failed"],
        "approvals": len(award_svc.awaiting_second_approval(ctx)),
        "misposted": misposted_svc.open_misposted_count(ctx.tenant_id, ctx.course_id),
    }


def _advisor_panel(ctx: LaunchContext) -> dict[str, Any]:
    return {"approvals": len(award_svc.awaiting_second_approval(ctx))}


# --- helpers --------------------------------------------------------------------------------


_done = done  # flash the confirmation, 303 (the request handler commits)
_back = refused  # nothing saved, the reason flashed where the person came from


def _form_error(form: Any, exc: AppError) -> None:
    field_errors(form, exc)


def _tell(column: column_svc.ResolvedColumn) -> None:
    """What the instructor should know about the credit column (created, replaced)."""
    for news in column.news:
        flash(news, "info")


def _read_only() -> ForbiddenError:
    return ForbiddenError(
        "Your access to this course is read-only (teaching assistant).", reason="read_only"
    )


def _course_id(ctx: LaunchContext) -> int:
    if ctx.course_id is None:
        abort(404)
    return ctx.course_id


# --- faculty: policy --------------------------------------------------------------------------


@bp.route("/policy", methods=["GET", "POST"])
@requires("faculty")
def policy() -> ResponseReturnValue:
    ctx = current_launch()
    current = policy_svc.read_policy(ctx.tenant_id, _course_id(ctx))
    form = forms.PolicyForm(obj=current if request.method == "GET" else None)
    if request.method == "GET":
        form.min_rating.data = str(current.min_rating or "")
    if request.method == "POST" and ctx.read_only:
        raise _read_only()
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
            _form_error(form, exc)
        else:
            return _done(
                "Credit policy saved. Awards already made keep their values.", "credit.policy"
            )
    status = 422 if form.errors or form.form_errors else 200
    limit = policy_svc.tenant_defaults(policy_svc._tenant(ctx.tenant_id))["credit_limit"]
    return render_template(
        "credit/policy.html", form=form, policy=current, credit_limit=limit
    ), status


# --- faculty: roster, queue, review -------------------------------------------------------------


@bp.get("/course")
@requires("faculty")
def course() -> ResponseReturnValue:
    ctx = current_launch()
    course_id = _course_id(ctx)
    current = policy_svc.read_policy(ctx.tenant_id, course_id)
    rows = progress_svc.course_progress(ctx.tenant_id, course_id)
    members, roster_error = None, None
    if ctx.nrps_url:
        try:
            members = roster(ctx.registration_id, ctx.nrps_url)
        except ConnectorError as exc:
            roster_error = exc.message
    merged = merge_roster(rows, members)
    sort, direction = request.args.get("sort", "name"), request.args.get("dir", "asc")
    merged = sort_rows(merged, sort, direction)
    return render_template(
        "credit/course.html",
        policy=current,
        rows=merged,
        sort=sort,
        direction=direction,
        roster_error=roster_error,
        from_nrps=members is not None,
        summary=sync_svc.course_summary(ctx.tenant_id, course_id),
        failures=sync_svc.failed_syncs(ctx.tenant_id, course_id),
        percent=standing.percent_complete,
        retry_form=ButtonForm(),
        modes=GRADING_MODES,
        chains=APPROVAL_CHAINS,
    )


@bp.get("/queue")
@requires("faculty")
def queue() -> ResponseReturnValue:
    ctx = current_launch()
    rows = progress_svc.course_progress(ctx.tenant_id, _course_id(ctx))
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
        body = sync_svc.registrar_csv(ctx.tenant_id, course_id=_course_id(ctx))
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
    current = policy_svc.tenant_defaults(policy_svc._tenant(ctx.tenant_id))
    form = forms.DefaultsForm(data=current if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            policy_svc.update_tenant_defaults(
                ctx, {name: form._fields[name].data for name in policy_svc.DEFAULTS}
            )
        except policy_svc.PolicyInvalidError as exc:
            _form_error(form, exc)
        else:
            return _done("Credit defaults saved for new courses.", "credit.defaults")
    status = 422 if form.errors or form.form_errors else 200
    return render_template("credit/defaults.html", form=form), status


# --- students ---------------------------------------------------------------------------------


@bp.post("/resubmit/<int:course_id>")
@requires("student", write=True)
def resubmit(course_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        award_svc.resubmit(ctx, course_id)
    except PolicyViolationError as exc:
        return _back(exc, "home.student")
    return _done("Your instructor will review your work again.", "home.student")


@bp.route("/engagements/<int:engagement_id>/course", methods=["GET", "POST"])
@requires("student")
def choose_course(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    engagement = eng.get_engagement(ctx, engagement_id)
    courses = policy_svc.student_courses(ctx.tenant_id, ctx.user_id)
    form = forms.ChooseCourseForm(
        data={"course_id": engagement.course_id} if request.method == "GET" else None
    )
    form.course_id.choices = [(c.id, c.title or c.label or f"Course {c.id}") for c in courses]
    if form.validate_on_submit():
        try:
            policy_svc.assign_engagement_course(ctx, engagement.id, form.course_id.data)
        except PolicyViolationError as exc:
            _form_error(form, exc)
        else:
            return _done(
                "Saved: this engagement counts toward the course you chose.",
                "work.engagement",
                engagement_id=engagement.id,
            )
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "credit/choose_course.html", form=form, engagement=engagement, courses=courses
    ), status
