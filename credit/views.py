"""The credit blueprint: the course policy, the roster with progress, the review queue and
review page, bulk award, second approvals, sync states and the registrar export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest

from internships.work.services import engagements as eng
from internships.work.services import hours as hour_svc
from internships.work.services.evaluations import evaluation_of
from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext
from lti_tool.errors import AppError, ConnectorError, ForbiddenError, PolicyViolationError
from lti_tool.lti.services_client import roster
from lti_tool.unit_of_work import commit_now, done, field_errors, refused
from lti_tool.web import launch_url

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
    return {"rows": rows, "titles": titles, "policies": policies, "form": forms.ConfirmForm()}


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
        retry_form=forms.ConfirmForm(),
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


def _review_context(ctx: LaunchContext, student_id: int) -> dict[str, Any]:
    course_id = _course_id(ctx)
    award_svc.student_in_course(ctx, course_id, student_id)
    p = progress_svc.student_progress(ctx.tenant_id, course_id, student_id)
    current = policy_svc.read_policy(ctx.tenant_id, course_id)
    evidence = []
    for e in p.engagements:
        engagement = eng.get_engagement_by_id(ctx.tenant_id, e.engagement_id)
        evidence.append(
            {
                "progress": e,
                "engagement": engagement,
                "logs": hour_svc.hour_logs(engagement),
                "deliverables": eng.deliverables(engagement),
                "reflection": eng.reflection_of(engagement),
                "evaluation": evaluation_of(engagement),
            }
        )
    history = award_svc.award_history(ctx.tenant_id, course_id, student_id)
    return {
        "p": p,
        "policy": current,
        "planned": column_svc.planned_column(current),
        "evidence": evidence,
        "history": history,
        "decisions": award_svc.decision_history(ctx.tenant_id, course_id, student_id),
        "states": sync_svc.sync_states(history),
        "retry_form": forms.ConfirmForm(),
    }


def _review(student_id: int, status: int = 200, **form_overrides: Any) -> ResponseReturnValue:
    ctx = current_launch()
    data = _review_context(ctx, student_id)
    p = data["p"]
    award_form = form_overrides.get("award_form") or forms.AwardForm(
        formdata=None,
        idempotency_key=award_svc.new_idempotency_key(),
        credits=max(p.credits_eligible, 1),
        score=data["policy"].score_maximum if data["policy"].grading_mode != "pass_fail" else None,
    )
    correction_form = form_overrides.get("correction_form")
    if correction_form is None and p.award is not None:
        correction_form = forms.CorrectionForm(
            formdata=None,
            idempotency_key=award_svc.new_idempotency_key(),
            supersedes_id=str(p.award.id),
            credits=p.award.credits,
            score=p.award.score_given if p.award.grading_mode != "pass_fail" else None,
        )
    return render_template(
        "credit/review.html",
        award_form=award_form,
        correction_form=correction_form,
        changes_form=form_overrides.get("changes_form") or forms.MessageForm(formdata=None),
        deny_form=form_overrides.get("deny_form") or forms.DenyForm(formdata=None),
        **data,
    ), status


@bp.get("/students/<int:student_id>")
@requires("faculty")
def review(student_id: int) -> ResponseReturnValue:
    return _review(student_id)


def _award_input(form: forms.AwardForm) -> award_svc.AwardInput:
    return award_svc.AwardInput(
        credits=form.credits.data or 0,
        score=float(form.score.data) if form.score.data is not None else None,
        comment=form.comment.data or "",
        idempotency_key=form.idempotency_key.data or "",
    )


def _decide_award(
    student_id: int, form: forms.AwardForm, supersedes: int | None
) -> ResponseReturnValue:
    ctx = current_launch()
    key = "correction_form" if supersedes else "award_form"
    if not form.validate_on_submit():
        return _review(student_id, 422, **{key: form})
    try:
        award = award_svc.made_with_key(ctx, student_id, form.idempotency_key.data or "")
        if award is None:  # not a re-submission of a form that already made its award
            award_svc.validate_award(ctx, student_id, _award_input(form), supersedes_id=supersedes)
            column = column_svc.resolve_column(ctx)
            award = award_svc.award_credit(
                ctx,
                student_id,
                _award_input(form),
                lineitem_url=column.url,
                supersedes_id=supersedes,
            )
            _tell(column)
    except award_svc.AwardConflictError as exc:
        return _back(exc, "credit.review", student_id=student_id)
    except (PolicyViolationError, ConnectorError) as exc:
        _form_error(form, exc)
        return _review(student_id, 422, **{key: form})
    message = (
        "Award recorded; it waits for the second approval."
        if award.status == "awaiting_approval"
        else "Credit awarded; the grade is on its way to the LMS gradebook."
    )
    return _done(message, "credit.review", student_id=student_id)


@bp.post("/students/<int:student_id>/award")
@requires("faculty", write=True)
def award(student_id: int) -> ResponseReturnValue:
    return _decide_award(student_id, forms.AwardForm(), None)


@bp.post("/students/<int:student_id>/correct")
@requires("faculty", write=True)
def correct(student_id: int) -> ResponseReturnValue:
    form = forms.CorrectionForm()
    try:
        supersedes = int(form.supersedes_id.data or "")
    except ValueError:
        raise BadRequest("The correction form is incomplete; reload the page.") from None
    return _decide_award(student_id, form, supersedes)


def _message_decision(
    student_id: int,
    form: Any,
    form_key: str,
    action: Callable[[LaunchContext, int, str], Any],
    done: str,
) -> ResponseReturnValue:
    ctx = current_launch()
    if not form.validate_on_submit():
        return _review(student_id, 422, **{form_key: form})
    try:
        action(ctx, student_id, form.message.data or "")
    except PolicyViolationError as exc:
        return _back(exc, "credit.review", student_id=student_id)
    return _done(done, "credit.review", student_id=student_id)


@bp.post("/students/<int:student_id>/changes")
@requires("faculty", write=True)
def ask_changes(student_id: int) -> ResponseReturnValue:
    return _message_decision(
        student_id,
        forms.MessageForm(),
        "changes_form",
        award_svc.request_changes,
        "Your request for changes was sent to the student.",
    )


@bp.post("/students/<int:student_id>/deny")
@requires("faculty", write=True)
def deny(student_id: int) -> ResponseReturnValue:
    return _message_decision(
        student_id,
        forms.DenyForm(),
        "deny_form",
        award_svc.deny_credit,
        "Credit denied; the student sees your reason.",
    )


# --- faculty: bulk award ----------------------------------------------------------------------


@bp.route("/bulk", methods=["GET", "POST"])
@requires("faculty")
def bulk() -> ResponseReturnValue:
    ctx = current_launch()
    course_id = _course_id(ctx)
    current = policy_svc.read_policy(ctx.tenant_id, course_id)
    form = forms.BulkAwardForm()
    if request.method == "POST":
        if ctx.read_only:
            raise _read_only()
        if form.validate_on_submit():
            try:
                ids = [int(x) for x in (form.student_ids.data or "").split(",") if x]
                column = column_svc.resolve_column(ctx)
                made = award_svc.bulk_award(
                    ctx,
                    student_ids=ids,
                    score=float(form.score.data) if form.score.data is not None else None,
                    idempotency_key=form.idempotency_key.data or "",
                    lineitem_url=column.url,
                )
                _tell(column)
            except ValueError:
                form.form_errors.append("The list of students is damaged; reload the page.")
            except (PolicyViolationError, ConnectorError) as exc:
                _form_error(form, exc)
            else:
                return _done(
                    f"Credit awarded to {len(made)} student{'s' if len(made) != 1 else ''}.",
                    "credit.course",
                )
    lines = award_svc.bulk_candidates(ctx.tenant_id, course_id)
    if request.method == "GET" or (not form.errors and not form.form_errors):
        form.idempotency_key.data = award_svc.new_idempotency_key()
    form.student_ids.data = ",".join(str(line.student_id) for line in lines)
    if form.score.data is None and current.grading_mode != "pass_fail":
        form.score.data = current.score_maximum
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "credit/bulk.html",
        form=form,
        lines=lines,
        policy=current,
        planned=column_svc.planned_column(current),
    ), status


# --- second approvals -------------------------------------------------------------------------


@bp.get("/approvals")
@requires("faculty", "advisor")
def approvals() -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "credit/approvals.html",
        awards=award_svc.awaiting_second_approval(ctx),
        form=forms.ConfirmForm(),
        decline_form=forms.DeclineForm(formdata=None),
    )


@bp.post("/approvals/<int:award_id>/approve")
@requires("faculty", "advisor", write=True)
def approve(award_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        award_svc.approve_award(ctx, award_id)
    except PolicyViolationError as exc:
        return _back(exc, "credit.approvals")
    return _done("Approved; the grade is on its way to the LMS gradebook.", "credit.approvals")


@bp.post("/approvals/<int:award_id>/decline")
@requires("faculty", "advisor", write=True)
def decline(award_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.DeclineForm()
    if not form.validate_on_submit():
        flash("Say why you decline, for the instructor who decided.", "error")
        return redirect(launch_url("credit.approvals"), code=303)
    try:
        award_svc.decline_award(ctx, award_id, form.reason.data or "")
    except PolicyViolationError as exc:
        return _back(exc, "credit.approvals")
    return _done("Declined; the instructor sees your reason.", "credit.approvals")


# --- the gradebook column and grades sent to another column ----------------------------------


@bp.get("/column")
@requires("faculty")
def column() -> ResponseReturnValue:
    ctx = current_launch()
    course_id = _course_id(ctx)
    current = policy_svc.read_policy(ctx.tenant_id, course_id)
    return render_template(
        "credit/column.html",
        planned=column_svc.planned_column(current),
        found=misposted_svc.misposted(ctx.tenant_id, course_id),
        form=forms.ConfirmForm(),
    )


@bp.post("/column/check")
@requires("faculty", write=True)
def column_check() -> ResponseReturnValue:
    ctx = current_launch()
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        resolved = column_svc.resolve_column(ctx)
        new = _check_sent_grades(ctx, _course_id(ctx))
    except (PolicyViolationError, ConnectorError) as exc:
        return _back(exc, "credit.column")
    _tell(resolved)
    return _done(
        f"Checked: {new} grade{'s' if new != 1 else ''} sent to another column found."
        if new
        else "Checked: every credit grade sent so far went to a Career Credit column.",
        "credit.column",
    )


@bp.post("/column/repost")
@requires("faculty", write=True)
def column_repost() -> ResponseReturnValue:
    ctx = current_launch()
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        resolved = column_svc.resolve_column(ctx)
        queued = misposted_svc.repost_misposted(ctx.tenant_id, _course_id(ctx), ctx.actor)
    except (PolicyViolationError, ConnectorError) as exc:
        return _back(exc, "credit.column")
    _tell(resolved)
    return _done(
        f"{queued} grade{'s' if queued != 1 else ''} queued for '{resolved.label}'. "
        "Correct the other columns' cells listed below by hand.",
        "credit.column",
    )


def _check_sent_grades(ctx: LaunchContext, course_id: int) -> int:
    """Record the course's grades sent to a column that is not the tool's; how many."""
    sends = misposted_svc.unchecked_sends(ctx.tenant_id, course_id)
    # Network boundary: what is done so far (the column remembered, the courses checked
    # before) is kept, and no write transaction waits on the LMS.
    commit_now()
    return misposted_svc.record_misposted(ctx.tenant_id, course_id, ctx.actor, sends)


@bp.get("/column/repairs")
@requires("admin", tool_admin=True)
def repairs() -> ResponseReturnValue:
    ctx = current_launch()
    found = misposted_svc.misposted(ctx.tenant_id)
    return render_template("credit/repairs.html", found=found, form=forms.ConfirmForm())


@bp.post("/column/repairs/check")
@requires("admin", tool_admin=True)
def repairs_check() -> ResponseReturnValue:
    ctx = current_launch()
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        new = sum(
            _check_sent_grades(ctx, course_id)
            for course_id in misposted_svc.courses_with_final_awards(ctx.tenant_id)
        )
    except ConnectorError as exc:
        return _back(exc, "credit.repairs")
    return _done(
        f"Checked every course: {new} grade{'s' if new != 1 else ''} sent to another column found.",
        "credit.repairs",
    )


@bp.post("/column/repairs/<int:course_id>/repost")
@requires("admin", tool_admin=True)
def repairs_repost(course_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    if not any(m.course_id == course_id for m in misposted_svc.misposted(ctx.tenant_id)):
        abort(404)
    try:
        queued = misposted_svc.repost_misposted(ctx.tenant_id, course_id, ctx.actor)
    except PolicyViolationError as exc:
        return _back(exc, "credit.repairs")
    return _done(
        f"{queued} grade{'s' if queued != 1 else ''} queued for the course's credit column.",
        "credit.repairs",
    )


# --- sync state and exports -------------------------------------------------------------------


@bp.post("/sync/<int:message_id>/retry")
@requires("faculty", "admin", write=True)
def retry(message_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    back = "credit.failures" if ctx.role == "admin" else "credit.course"
    try:
        if ctx.role == "faculty":  # a deleted credit column is replaced before the retry
            _tell(column_svc.resolve_column(ctx))
        sync_svc.retry_sync(ctx, message_id)
    except (PolicyViolationError, ConnectorError) as exc:
        return _back(exc, back)
    return _done("The grade is queued again.", back)


@bp.get("/failures")
@requires("admin", tool_admin=True)
def failures() -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "credit/failures.html",
        failures=sync_svc.failed_syncs(ctx.tenant_id),
        form=forms.ConfirmForm(),
    )


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
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


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
    if not forms.ConfirmForm().validate_on_submit():
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
