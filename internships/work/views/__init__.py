"""The work blueprint (``/work``): applying and "My applications" for students; applicants and
decisions for advisors. Its other pages are in ``engagements`` (the engagement pages for the
student, the course's faculty and advisors) and ``cpt`` (CPT approvals and course caps)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from internships.profile.recommend import Load, recommend
from internships.services.listings import get_listing
from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext, today_in
from lti_tool.errors import PolicyViolationError
from lti_tool.forms import ButtonForm
from lti_tool.notify.notifications import mark_notifications_read, unread_notifications
from lti_tool.page_forms import dispatch
from lti_tool.unit_of_work import done, field_errors, form_page, refuse, refused
from lti_tool.web import launch_url
from lti_tool.words import money

from ...workspace.rhythm.workload import listing_workload
from .. import forms
from ..models import RATING_LEVELS
from ..services import applications as apps
from ..services import engagements as eng
from ..services import timeline, uploads
from ..services.cpt import is_f1
from ..services.next_step import next_step
from ..services.selection import send_selection_link

bp = Blueprint("work", __name__, url_prefix="/work")


def student_work(ctx: LaunchContext) -> timeline.StudentWork:
    """The launch student's work (``timeline.student_work``: one statement), read once a
    request: the work panel, the workload panel and the "For you" picks all show it."""
    found = g.get(_STUDENT_WORK)
    if found is None or found[0] is not ctx:
        found = (ctx, timeline.student_work(ctx, today_in(ctx.time_zone)))
        setattr(g, _STUDENT_WORK, found)
    return found[1]


def engagement_urls(ctx: LaunchContext) -> dict[int, str]:
    """The addresses of the student's engagement pages, built once a request: the home links
    an engagement from its card, the workload and the unread messages, and a link built in
    a template costs about twice one built here."""
    found = g.get(_ENGAGEMENT_URLS)
    if found is None or found[0] is not ctx:
        engagements = student_work(ctx).engagements
        urls = {f.id: launch_url("work.engagement", engagement_id=f.id) for f in engagements}
        found = (ctx, urls)
        setattr(g, _ENGAGEMENT_URLS, found)
    return found[1]


_STUDENT_WORK, _ENGAGEMENT_URLS = "work_student_work", "work_engagement_urls"


def student_panel(ctx: LaunchContext) -> dict[str, Any]:
    """The student's home panel: unread notifications, the next step, their engagements as
    timelines, and (when they can take more work) up to three listings "For you" (issue 16
    measures this page: the work is one statement, the notifications another when the work
    says one is unread)."""
    work = student_work(ctx)
    facts = work.engagements
    step = next_step(facts, work.waiting, ctx.course_id)
    picks = []
    if step.key in ("find", "applied"):
        current = [f for f in facts if f.status in ("active", "submitted")]
        load = Load(len(current), sum(f.weekly_hours for f in current), work.caps)
        # ratings come from supervisors' evaluations: none of their engagements evaluated, none
        shown = None if any(f.evaluated for f in facts) else set[str]()
        profile = work.profile or timeline.NO_PROFILE  # read with the work
        picks = recommend(ctx, limit=3, load=load, shown=shown, profile=profile)
    return {
        "notifications": unread_notifications(ctx) if work.notes_unread else [],
        "applications": work.applications,
        "engagements": facts,
        "timelines": {f.id: timeline.timeline(f) for f in facts},
        "engagement_urls": engagement_urls(ctx),
        "next_step": step,
        "picks": picks,
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
    "cancelled": "Canceled",
}
HOUR_LABELS = {"pending": "Waiting for review", "confirmed": "Confirmed", "queried": "Queried"}


# States are shown as words on every page that lists them (credit review, reports, the home
# panel, the supervisor's pages), not only on this blueprint's own.
@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {
        "application_label": APPLICATION_LABELS.get,
        "engagement_label": ENGAGEMENT_LABELS.get,
        "hour_label": HOUR_LABELS.get,
        "rating_levels": RATING_LEVELS,
        "money": money,  # the "For you" cards on the student's home show pay
    }


def _read(field: Any, limit_key: str) -> tuple[bytes | None, str]:
    """The uploaded bytes (at most the limit + 1, so an oversize file is refused cheaply)."""
    storage = field.data
    if not isinstance(storage, FileStorage) or not storage.filename:
        return None, ""
    from flask import current_app

    limit = int(current_app.config[limit_key])
    return storage.stream.read(limit + 1), storage.filename


def attachment(name: str | None, filename: str, mimetype: str) -> ResponseReturnValue:
    """A stored upload (résumé, deliverable) as a private download; 404 when there is none."""
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
            field_errors(form, exc)
        else:
            return done(
                f"Your application to {listing.employer.name} is sent.", "work.my_applications"
            )
    needs_cpt = ctx.course_id is not None and is_f1(ctx.tenant_id, ctx.user_id)
    return form_page(
        "work/apply.html",
        form,
        listing=listing,
        needs_cpt=needs_cpt,
        workload=listing_workload(ctx, listing, today_in(ctx.time_zone)),
    )


@bp.get("/applications")
@requires("student")
def my_applications() -> ResponseReturnValue:
    ctx = current_launch()
    applications = apps.my_applications(ctx)
    today = today_in(ctx.time_zone)
    return render_template(
        "work/my_applications.html",
        applications=applications,
        restorable={a.id for a in applications if apps.restorable(a, today)},
        engagements=eng.list_engagements(ctx),
        form=ButtonForm(),
    )


@bp.route("/applications/<int:application_id>/withdraw", methods=["GET", "POST"])
@requires("student", write=True)
def withdraw(application_id: int) -> ResponseReturnValue:
    """Asks first (the page), then withdraws (its form)."""
    ctx = current_launch()
    application = apps.get_application(ctx, application_id)
    if request.method == "GET":
        return render_template(
            "work/withdraw.html", application=application, form=ButtonForm(formdata=None)
        )
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        apps.withdraw_application(ctx, application_id)
    except PolicyViolationError as exc:
        return refused(exc, "work.my_applications")
    return done(
        f"You withdrew your application to “{application.listing.title}”. While the listing "
        "takes applications, “Undo the withdrawal” on this page puts it back.",
        "work.my_applications",
    )


@bp.post("/applications/<int:application_id>/restore")
@requires("student", write=True)
def restore(application_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        application = apps.restore_application(ctx, application_id)
    except PolicyViolationError as exc:
        return refused(exc, "work.my_applications")
    return done(
        f"Your application to “{application.listing.title}” is under consideration again.",
        "work.my_applications",
    )


@bp.get("/applications/<int:application_id>/resume")
@requires("student", "advisor")
def resume(application_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    application = apps.get_application(ctx, application_id)
    return attachment(application.resume_path, application.resume_filename, "application/pdf")


@bp.post("/notifications/read")
@requires("student")
def notifications_read() -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        abort(400)
    mark_notifications_read(ctx)
    return done("Notifications marked as read.", "home.index")


# --- advisors: applicants, decisions, the employer's link ----------------------------------------


@bp.get("/")
@requires("advisor", "faculty")
def overview() -> ResponseReturnValue:
    ctx = current_launch()
    listings = apps.applications_by_listing(ctx.tenant_id) if ctx.role == "advisor" else []
    return render_template(
        "work/overview.html",
        engagements=eng.list_engagements(ctx),
        listings=listings,
    )


def _applicants_page(
    listing_id: int,
    *,
    decide_form: forms.DecideForm | None = None,
    decided: int = 0,
    link_form: forms.SelectionLinkForm | None = None,
) -> ResponseReturnValue:
    """The applicants page; a refused form (``decided``: the application whose decision was
    refused) is shown again with its errors and what was typed, 422."""
    ctx = current_launch()
    listing = get_listing(ctx.tenant_id, listing_id)
    refused_form = decide_form if decide_form is not None else link_form
    return render_template(
        "work/applicants.html",
        listing=listing,
        applications=apps.listing_applicants(ctx.tenant_id, listing.id),
        decide_form=decide_form or forms.DecideForm(formdata=None),
        decided=decided,
        link_form=link_form or forms.SelectionLinkForm(formdata=None),
    ), 422 if refused_form is not None else 200


@bp.route("/listings/<int:listing_id>/applicants", methods=["GET", "POST"])
@requires("advisor")
def applicants(listing_id: int) -> ResponseReturnValue:
    """A listing's applicants: a decision on each (form ``decide``, naming the application) and
    the employer's selection link (form ``selection_link``) post here."""
    posted = dispatch(
        decide=lambda: _decide(listing_id), selection_link=lambda: _selection_link(listing_id)
    )
    return posted or _applicants_page(listing_id)


@requires("advisor", write=True)
def _decide(listing_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    application = apps.get_application(ctx, request.form.get("application_id", 0, type=int))
    if application.listing_id != listing_id:
        abort(404)
    form = forms.DecideForm()
    if not form.validate_on_submit():
        return _applicants_page(listing_id, decide_form=form, decided=application.id)
    if form.decision.data == "accept":  # accepting sets the agreement's terms first
        return redirect(launch_url("work.accept", application_id=application.id), code=303)
    try:
        apps.decide_application(
            ctx.actor,
            application.id,
            form.decision.data or "",
            by_advisor=True,
            override_reason=form.override_reason.data or "",
        )
    except PolicyViolationError as exc:
        return refused(exc, "work.applicants", listing_id=listing_id)
    return done(
        f"Recorded: {APPLICATION_LABELS[application.status].lower()}.",
        "work.applicants",
        listing_id=listing_id,
    )


@requires("advisor", write=True)
def _selection_link(listing_id: int) -> ResponseReturnValue:
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
            return done(
                "The link is on its way to the employer.", "work.applicants", listing_id=listing_id
            )
    return _applicants_page(listing_id, link_form=form)
