"""The work blueprint: applying and "My applications" for students; applicants and decisions
for advisors; engagement pages for the student, the course's faculty and advisors."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from internships.services.listings import get_listing, list_employers, list_listings
from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext
from lti_tool.errors import AppError, PolicyViolationError
from lti_tool.homes import ROLE_LABELS
from lti_tool.unit_of_work import done, refuse, refused
from lti_tool.web import launch_url

from . import forms
from .models import RATING_LEVELS
from .services import applications as apps
from .services import caps, cpt, uploads
from .services import engagements as eng
from .services import evaluations as eval_svc
from .services import hours as hour_svc
from .services.notifications import mark_notifications_read, unread_notifications
from .services.selection import send_selection_link

bp = Blueprint("work", __name__, url_prefix="/work")


def _student_panel(ctx: LaunchContext) -> dict[str, Any]:
    """The student's home panel: unread notifications, applications and engagements."""
    return {
        "notifications": unread_notifications(ctx),
        "applications": apps.my_applications(ctx),
        "engagements": eng.list_engagements(ctx),
    }


APPLICATION_LABELS = {
    "submitted": "Submitted",
    "shortlisted": "Shortlisted",
    "accepted": "Accepted",
    "declined": "Not successful",
    "withdrawn": "Withdrawn",
}
ENGAGEMENT_LABELS = {
    "active": "Active",
    "submitted": "Submitted for review",
    "completed": "Completed",
    "cancelled": "Cancelled",
}


@bp.context_processor
def _helpers() -> dict[str, Any]:
    ctx = g.get("launch")
    return {
        "role_label": ROLE_LABELS.get(ctx.role, ctx.role) if ctx else "",
        "application_label": APPLICATION_LABELS.get,
        "engagement_label": ENGAGEMENT_LABELS.get,
        "rating_levels": RATING_LEVELS,
    }


def _read(field: Any, limit_key: str) -> tuple[bytes | None, str]:
    """The uploaded bytes (at most the limit + 1, so an oversize file is refused cheaply)."""
    storage = field.data
    if not isinstance(storage, FileStorage) or not storage.filename:
        return None, ""
    from flask import current_app

    limit = int(current_app.config[limit_key])
    return storage.stream.read(limit + 1), storage.filename


def _refused(form: Any, exc: AppError) -> None:
    """Show a service's refusal next to the field it names (or at the top of the form)."""
    refuse()
    field = form._fields.get(getattr(exc, "field", "") or "")
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def _back(exc: PolicyViolationError, endpoint: str, **values: Any) -> ResponseReturnValue:
    """A refused action: nothing saved, the reason shown on the page the person came from."""
    return refused(exc, endpoint, **values)


def _done(message: str, endpoint: str, **values: Any) -> ResponseReturnValue:
    return done(message, endpoint, **values)


def _attachment(name: str | None, filename: str, mimetype: str) -> ResponseReturnValue:
    if not name:
        abort(404)
    response = send_file(
        uploads.open_path(name), mimetype=mimetype, as_attachment=True, download_name=filename
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- students: apply, my applications, withdraw --------------------------------------------------


@bp.route("/apply/<int:listing_id>", methods=["GET", "POST"])
@requires("student", write=True)
def apply(listing_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    listing = get_listing(ctx.tenant_id, listing_id, open_only=True)
    existing = apps.current_application(ctx, listing.id)
    if existing is not None:
        flash(f"You applied to “{listing.title}” already.", "success")
        return redirect(launch_url("work.my_applications"), code=303)
    form = forms.ApplyForm()
    form.name_employer(listing.employer.name)
    if form.validate_on_submit():
        data, filename = _read(form.resume, "RESUME_MAX_BYTES")
        payload = apps.ApplicationInput(
            statement=form.statement.data or "",
            availability=form.availability.data or "",
            consent=bool(form.consent.data),
            resume=data,
            resume_filename=filename,
            program=form.program.data or "",
            class_year=form.class_year.data or "",
            meets_work_authorization=bool(form.meets_work_authorization.data),
        )
        try:
            apps.apply_to_listing(ctx, listing.id, payload)
        except apps.ApplicationInvalidError as exc:
            _refused(form, exc)
        else:
            return _done(
                f"Your application to {listing.employer.name} is sent.", "work.my_applications"
            )
    status = 422 if form.errors or form.form_errors else 200
    needs_cpt = ctx.course_id is not None and cpt.is_f1(ctx.tenant_id, ctx.user_id)
    return render_template(
        "internships/work/apply.html", form=form, listing=listing, needs_cpt=needs_cpt
    ), status


@bp.get("/applications")
@requires("student")
def my_applications() -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "internships/work/my_applications.html",
        applications=apps.my_applications(ctx),
        engagements=eng.list_engagements(ctx),
        form=forms.ConfirmForm(),
    )


@bp.post("/applications/<int:application_id>/withdraw")
@requires("student", write=True)
def withdraw(application_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        application = apps.withdraw_application(ctx, application_id)
    except PolicyViolationError as exc:
        return _back(exc, "work.my_applications")
    return _done(
        f"You withdrew your application to “{application.listing.title}”.", "work.my_applications"
    )


@bp.get("/applications/<int:application_id>/resume")
@requires("student", "advisor")
def resume(application_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    application = apps.get_application(ctx, application_id)
    return _attachment(application.resume_path, application.resume_filename, "application/pdf")


@bp.post("/notifications/read")
@requires("student")
def notifications_read() -> ResponseReturnValue:
    ctx = current_launch()
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    mark_notifications_read(ctx)
    return _done("Notifications marked as read.", "home.index")


# --- advisors: applicants, decisions, the employer's link ----------------------------------------


@bp.get("/")
@requires("advisor", "faculty")
def overview() -> ResponseReturnValue:
    ctx = current_launch()
    listings = apps.applications_by_listing(ctx.tenant_id) if ctx.role == "advisor" else []
    return render_template(
        "internships/work/overview.html",
        engagements=eng.list_engagements(ctx),
        listings=listings,
    )


def _applicants_page(
    listing_id: int, link_form: forms.SelectionLinkForm | None = None, status: int = 200
) -> ResponseReturnValue:
    ctx = current_launch()
    listing = get_listing(ctx.tenant_id, listing_id)
    return render_template(
        "internships/work/applicants.html",
        listing=listing,
        applications=apps.listing_applicants(ctx.tenant_id, listing.id),
        decide_form=forms.DecideForm(formdata=None),
        link_form=link_form or forms.SelectionLinkForm(formdata=None),
    ), status


@bp.get("/listings/<int:listing_id>/applicants")
@requires("advisor")
def applicants(listing_id: int) -> ResponseReturnValue:
    return _applicants_page(listing_id)


@bp.post("/applications/<int:application_id>/decide")
@requires("advisor", write=True)
def decide(application_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    application = apps.get_application(ctx, application_id)
    form = forms.DecideForm()
    if not form.validate_on_submit():
        flash("Choose shortlist, accept or decline.", "error")
    else:
        try:
            apps.decide_application(
                ctx.actor,
                ctx.tenant_id,
                application.id,
                form.decision.data or "",
                by_advisor=True,
                override_reason=form.override_reason.data or "",
            )
        except PolicyViolationError as exc:
            refuse()
            flash(f"{exc.message} {exc.hint}", "error")
        else:
            flash(f"Recorded: {APPLICATION_LABELS[application.status].lower()}.", "success")
    return redirect(launch_url("work.applicants", listing_id=application.listing_id), code=303)


@bp.post("/listings/<int:listing_id>/selection-link")
@requires("advisor", write=True)
def selection_link(listing_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.SelectionLinkForm()
    valid = form.validate_on_submit()
    typed = (form.email.data or "").strip()
    if valid and typed and "@" not in typed:
        form.email.errors = [
            f"“{typed}” is not an email address: give the address to send the link to, "
            "like name@example.com, or leave the field empty to use the employer's contact."
        ]
    elif valid:
        try:
            send_selection_link(
                ctx.actor,
                ctx.tenant_id,
                listing_id,
                typed,
                lambda token: url_for("supervisor.select_applicants", token=token, _external=True),
            )
        except PolicyViolationError as exc:
            # e.g. no address typed and the employer has no contact email: say so next to the
            # field, nothing sent
            refuse()
            form.email.errors = [*form.email.errors, exc.message]
        else:
            return _done(
                "The link is on its way to the employer.", "work.applicants", listing_id=listing_id
            )
    return _applicants_page(listing_id, form, 422)


# --- engagements ---------------------------------------------------------------------------------


def _engagement_page(engagement_id: int, status: int = 200, **forms_in: Any) -> ResponseReturnValue:
    ctx = current_launch()
    engagement = eng.get_engagement(ctx, engagement_id)
    page_forms = {
        "hours_form": forms.HoursForm(formdata=None),
        "deliverable_form": forms.DeliverableForm(formdata=None),
        "confirm_form": forms.ConfirmForm(formdata=None),
        "status_form": forms.StatusForm(formdata=None),
        "link_form": forms.SupervisorLinkForm(formdata=None),
    }
    page_forms.update(forms_in)
    return render_template(
        "internships/work/engagement.html",
        engagement=engagement,
        logs=hour_svc.hour_logs(engagement),
        summary=hour_svc.hours_summary(engagement),
        deliverables=eng.deliverables(engagement),
        reflection=eng.reflection_of(engagement),
        evaluation=eval_svc.evaluation_of(engagement),
        prompts=eng.REFLECTION_PROMPTS,
        **page_forms,
    ), status


@bp.get("/engagements/<int:engagement_id>")
@requires("student", "faculty", "advisor")
def engagement(engagement_id: int) -> ResponseReturnValue:
    return _engagement_page(engagement_id)


@bp.post("/engagements/<int:engagement_id>/acknowledge")
@requires("student", write=True)
def acknowledge(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        eng.acknowledge_agreement(ctx, engagement_id)
    except PolicyViolationError as exc:
        return _back(exc, "work.engagement", engagement_id=engagement_id)
    return _done(
        "You acknowledged the learning agreement.", "work.engagement", engagement_id=engagement_id
    )


@bp.post("/engagements/<int:engagement_id>/hours")
@requires("student", write=True)
def log_hours(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.HoursForm()
    if form.validate_on_submit() and form.work_date.data:
        try:
            hour_svc.log_hours(
                ctx,
                engagement_id,
                form.work_date.data,
                form.hours.data or "",
                form.description.data or "",
            )
        except eng.EngagementInvalidError as exc:
            _refused(form, exc)
        else:
            return _done("Hours logged.", "work.engagement", engagement_id=engagement_id)
    return _engagement_page(engagement_id, 422, hours_form=form)


@bp.post("/engagements/<int:engagement_id>/hours/review")
@requires("faculty", "advisor", write=True)
def review_hours(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    engagement = eng.get_engagement(ctx, engagement_id)
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    log_ids = [log.id for log in hour_svc.hour_logs(engagement)]
    try:
        hour_svc.review_hours(
            ctx.actor,
            ctx.tenant_id,
            engagement.id,
            forms.hour_decisions(request.form, log_ids),
            reviewer=ctx.role,
        )
    except eng.EngagementInvalidError as exc:
        refuse()
        flash(exc.message, "error")
        return redirect(launch_url("work.engagement", engagement_id=engagement_id), code=303)
    return _done("Hours reviewed.", "work.engagement", engagement_id=engagement_id)


@bp.post("/engagements/<int:engagement_id>/deliverables")
@requires("student", write=True)
def add_deliverable(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.DeliverableForm()
    if form.validate_on_submit():
        data, filename = _read(form.file, "DELIVERABLE_MAX_BYTES")
        try:
            eng.add_deliverable(
                ctx,
                engagement_id,
                form.title.data or "",
                url=form.url.data or "",
                data=data,
                filename=filename,
            )
        except eng.EngagementInvalidError as exc:
            _refused(form, exc)
        else:
            return _done("Deliverable added.", "work.engagement", engagement_id=engagement_id)
    return _engagement_page(engagement_id, 422, deliverable_form=form)


@bp.get("/deliverables/<int:deliverable_id>")
@requires("student", "faculty", "advisor")
def deliverable_file(deliverable_id: int) -> ResponseReturnValue:
    deliverable = eng.get_deliverable(current_launch(), deliverable_id)
    return _attachment(deliverable.file_path, deliverable.filename, deliverable.content_type)


@bp.route("/engagements/<int:engagement_id>/reflection", methods=["GET", "POST"])
@requires("student", write=True)
def reflection(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    engagement = eng.get_engagement(ctx, engagement_id)
    saved = eng.reflection_of(engagement)
    form = forms.ReflectionForm(data=saved.answers if saved and request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            eng.save_reflection(ctx, engagement.id, form.answers(), submit=bool(form.submit.data))
        except (eng.EngagementInvalidError, PolicyViolationError) as exc:
            _refused(form, exc)
        else:
            message = "Reflection submitted." if form.submit.data else "Draft saved."
            return _done(message, "work.engagement", engagement_id=engagement.id)
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "internships/work/reflection.html", form=form, engagement=engagement, reflection=saved
    ), status


@bp.route("/engagements/<int:engagement_id>/agreement", methods=["GET", "POST"])
@requires("faculty", "advisor", write=True)
def agreement(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    engagement = eng.get_engagement(ctx, engagement_id)
    form = forms.AgreementForm(obj=engagement if request.method == "GET" else None)
    if form.validate_on_submit():
        data = eng.AgreementInput(
            competencies=list(form.competencies.data or []),
            planned_hours=form.planned_hours.data or 0,
            supervisor_name=form.supervisor_name.data or "",
            supervisor_email=form.supervisor_email.data or "",
            start_date=form.start_date.data,
            end_date=form.end_date.data,
            goals=form.goals.data or "",
        )
        try:
            eng.update_agreement(ctx, engagement.id, data)
        except eng.EngagementInvalidError as exc:
            _refused(form, exc)
        else:
            return _done(
                "Learning agreement saved; the student is asked to acknowledge it.",
                "work.engagement",
                engagement_id=engagement.id,
            )
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "internships/work/agreement.html", form=form, engagement=engagement
    ), status


@bp.post("/engagements/<int:engagement_id>/status")
@requires("student", "faculty", "advisor", write=True)
def change_status(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.StatusForm()
    if form.validate_on_submit():
        try:
            engagement = eng.change_status(ctx, engagement_id, form.action.data or "")
            if (
                engagement.status == "submitted"
                and engagement.supervisor_email
                and eval_svc.evaluation_of(engagement) is None
            ):
                eval_svc.send_supervisor_link(
                    ctx.actor, ctx.tenant_id, engagement.id, "evaluate", _supervisor_url("evaluate")
                )
        except PolicyViolationError as exc:
            # e.g. "Submit: my work is done" before the learning agreement is acknowledged:
            # the reason and what to do, on the page, next to the choice
            refuse()
            message = exc.message
            if exc.reason == "not_acknowledged":
                message += (
                    " Use “I have read and accept this learning agreement” under Learning "
                    "agreement at the top of this page, then submit again."
                )
            form.action.errors = [*form.action.errors, message]
        else:
            return _done(
                f"The engagement is now {ENGAGEMENT_LABELS[engagement.status].lower()}.",
                "work.engagement",
                engagement_id=engagement.id,
            )
    return _engagement_page(engagement_id, 422, status_form=form)


def _supervisor_url(purpose: str) -> Any:
    endpoint = {"confirm_hours": "supervisor.hours", "evaluate": "supervisor.evaluate"}[purpose]
    return lambda token: url_for(endpoint, token=token, _external=True)


@bp.post("/engagements/<int:engagement_id>/supervisor-link")
@requires("student", "faculty", "advisor", write=True)
def supervisor_link(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    engagement = eng.get_engagement(ctx, engagement_id)
    form = forms.SupervisorLinkForm()
    if not form.validate_on_submit():
        abort(400)
    purpose = form.purpose.data or ""
    if ctx.role == "student" and purpose != "confirm_hours":
        abort(403)
    try:
        eval_svc.send_supervisor_link(
            ctx.actor, ctx.tenant_id, engagement.id, purpose, _supervisor_url(purpose)
        )
    except PolicyViolationError as exc:
        return _back(exc, "work.engagement", engagement_id=engagement_id)
    return _done(
        f"We emailed {engagement.supervisor_name or 'the supervisor'} a link.",
        "work.engagement",
        engagement_id=engagement.id,
    )


# --- CPT approvals (advisors) --------------------------------------------------------------------


def _cpt_choices(ctx: LaunchContext, form: forms.CptForm) -> None:
    f1 = {user.id for user in cpt.f1_students(ctx.tenant_id)}
    students = cpt.known_students(ctx.tenant_id)
    form.student.choices = [(0, "Choose a student")] + [
        (u.id, f"{u.name or u.email or 'Student ' + str(u.id)}{' (F-1)' if u.id in f1 else ''}")
        for u in sorted(students, key=lambda u: (u.id not in f1, u.name or ""))
    ]
    form.employer.choices = [(0, "Choose an employer")] + [
        (e.id, e.name) for e in list_employers(ctx.tenant_id)
    ]
    form.listing.choices = [(0, "Any listing of the employer")] + [
        (listing.id, f"{listing.title} ({listing.employer.name})")
        for listing in list_listings(ctx.tenant_id)
        if listing.status in ("open", "pending_approval", "filled")
    ]


@bp.route("/cpt", methods=["GET", "POST"])
@requires("advisor", write=True)
def cpt_approvals() -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.CptForm()
    _cpt_choices(ctx, form)
    if form.validate_on_submit():
        data = cpt.CptInput(
            student_id=form.student.data or 0,
            start_date=form.start_date.data,
            end_date=form.end_date.data,
            dso_name=form.dso_name.data or "",
            note=form.note.data or "",
            employer_id=form.employer.data or None,
            listing_id=form.listing.data or None,
        )
        try:
            cpt.record_cpt_approval(ctx.tenant_id, ctx.actor, data)
        except eng.EngagementInvalidError as exc:
            _refused(form, exc)
        else:
            return _done("The CPT approval is recorded.", "work.cpt_approvals")
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "internships/work/cpt.html",
        form=form,
        approvals=cpt.list_cpt_approvals(ctx.tenant_id),
        revoke_form=forms.ConfirmForm(formdata=None),
    ), status


@bp.post("/cpt/<int:approval_id>/revoke")
@requires("advisor", write=True)
def revoke_cpt(approval_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    cpt.revoke_cpt_approval(ctx.tenant_id, approval_id, ctx.actor)
    return _done("The CPT approval is marked revoked.", "work.cpt_approvals")


# --- per-course workload caps (faculty; a TA reads them) -----------------------------------------


@bp.get("/caps")
@requires("faculty")
def course_caps() -> ResponseReturnValue:
    ctx = current_launch()
    current = caps.effective_caps(ctx.tenant_id, ctx.course_id)
    form = forms.CapsForm(
        data={
            "max_concurrent": current.course_concurrent,
            "max_weekly_hours": current.course_weekly_hours,
        }
    )
    return render_template("internships/work/caps.html", form=form, caps=current)


@bp.post("/caps")
@requires("faculty", write=True)
def save_course_caps() -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.CapsForm()
    if form.validate_on_submit():
        try:
            caps.set_course_caps(ctx, form.max_concurrent.data, form.max_weekly_hours.data)
        except eng.EngagementInvalidError as exc:
            _refused(form, exc)
        else:
            return _done("The course's workload caps are saved.", "work.course_caps")
    current = caps.effective_caps(ctx.tenant_id, ctx.course_id)
    return render_template("internships/work/caps.html", form=form, caps=current), 422
