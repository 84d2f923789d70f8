"""The supervisor blueprint (``/supervisor``): public pages reached by a signed link, for
employer supervisors without an LMS account — review a listing's applicants (what each student
consented to share, every view audited), confirm or query hours, evaluate the student, and — by
an advisor's invitation — submit a listing for approval. Rate limited; an expired or used link
gets a plain page that says whom to ask. Links emailed before the area had its name point at
``/s/...``: ``old_address`` sends them on (registered by ``internships.register``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request
from flask.typing import ResponseReturnValue

from lti_tool.auth import public
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import csrf, db
from lti_tool.models import Tenant
from lti_tool.ratelimit import limited
from lti_tool.unit_of_work import commit_now, field_errors, refuse
from lti_tool.words import plural

from ..services import invitations as invitation_svc
from ..services.listings import ListingInvalidError
from ..work.forms import hour_decisions
from ..work.models import RATING_LEVELS
from ..work.services import applications as apps
from ..work.services import engagements as eng
from ..work.services import evaluations as eval_svc
from ..work.services import hour_reviews
from ..work.services import hours as hour_svc
from ..work.services.common import career_center_email
from ..work.services.selection import disclose_application
from ..work.views import attachment
from . import forms
from .links import (
    LinkError,
    link_tenant,
    mark_used,
    open_engagement_link,
    open_listing_link,
)

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")
limited(bp)  # every page: the public rate limit (the limiter is bound by create_app)
OLD_PREFIX = "/s"  # where the links emailed before the area had its name point


@public
@csrf.exempt  # it writes nothing: the page it sends a POST on checks the form's token
def old_address(rest: str) -> ResponseReturnValue:
    """A link emailed before the area was named: a permanent redirect to the same page under
    ``/supervisor`` (308, so a form's POST stays a POST), the query string kept."""
    query = request.query_string.decode("latin-1")
    return redirect(f"{bp.url_prefix}/{rest}{'?' + query if query else ''}", code=308)


@bp.errorhandler(LinkError)
def link_error(exc: LinkError) -> ResponseReturnValue:
    refuse()
    token = (request.view_args or {}).get("token") or ""
    invitation = request.endpoint == "supervisor.employer_listing"
    find_tenant = invitation_svc.invitation_tenant if invitation else link_tenant
    tenant_id = find_tenant(str(token)) if token else None
    tenant = db.session.get(Tenant, tenant_id) if tenant_id else None
    status = 404 if exc.reason == "invalid" else 410
    return render_template(
        "supervisor/invitation_error.html" if invitation else "supervisor/link_error.html",
        error=exc,
        contact=career_center_email(tenant),
        institution=tenant.name if tenant else "",
    ), status


def _thanks(message: str) -> ResponseReturnValue:
    return render_template("supervisor/done.html", message=message)


@bp.route("/select/<token>", methods=["GET", "POST"])
@public
def select_applicants(token: str) -> ResponseReturnValue:
    grant, listing = open_listing_link(token, for_update=request.method == "POST")
    form = forms.SupervisorForm()
    errors: list[str] = []
    if form.validate_on_submit():
        decided = 0
        for application in apps.listing_applicants(grant.tenant_id, listing.id):
            decision = request.form.get(f"decision-{application.id}", "")
            if decision not in apps.DECISIONS:
                continue
            try:
                with db.session.begin_nested():
                    apps.decide_application(
                        grant.actor(),
                        application.id,
                        decision,
                        by_advisor=False,
                        listing_id=listing.id,
                    )
                decided += 1
            except PolicyViolationError as exc:
                errors.append(f"{application.student.name}: {exc.message} {exc.hint}")
        if decided and not errors:
            mark_used(grant)
            return _thanks(
                f"Thank you: {plural(decided, 'decision')} recorded for “{listing.title}”."
            )
        if not decided and not errors:
            errors.append("Choose a decision for at least one applicant.")
        refuse()  # no decision stands; the disclosures below are recorded all the same
    applicants = apps.listing_applicants(grant.tenant_id, listing.id)
    for application in applicants:
        disclose_application(grant.actor(), listing.id, application.id, "view")
    commit_now()  # the disclosures are a record of what was shown: kept whatever the form says
    status = 422 if errors else 200
    return render_template(
        "supervisor/select.html",
        listing=listing,
        applicants=applicants,
        form=form,
        errors=errors,
        token=token,
    ), status


@bp.get("/select/<token>/resume/<int:application_id>")
@public
def resume(token: str, application_id: int) -> ResponseReturnValue:
    grant, _listing = open_listing_link(token)
    application = disclose_application(grant.actor(), grant.subject_id, application_id, "resume")
    return attachment(application.resume_path, application.resume_filename, "application/pdf")


@bp.route("/hours/<token>", methods=["GET", "POST"])
@public
def hours(token: str) -> ResponseReturnValue:
    grant, engagement = open_engagement_link(
        token, "confirm_hours", for_update=request.method == "POST"
    )
    logs = [log for log in hour_svc.hour_logs(engagement) if log.status != "confirmed"]
    form = forms.SupervisorForm()
    errors: list[str] = []
    if form.validate_on_submit():
        decisions = hour_decisions(request.form, [log.id for log in logs])
        try:
            if not decisions:
                raise eng.EngagementInvalidError("note", "Confirm or query at least one entry.")
            hour_reviews.review_hours(
                grant.actor(), engagement.id, decisions, reviewer="supervisor"
            )
        except eng.EngagementInvalidError as exc:
            refuse()
            errors.append(exc.message)
        else:
            mark_used(grant)
            return _thanks("Thank you: your review of the hours is recorded.")
    return render_template(
        "supervisor/hours.html",
        engagement=engagement,
        logs=logs,
        review=hour_reviews.hours_review(engagement, logs),
        form=form,
        errors=errors,
    ), 422 if errors else 200


@bp.route("/evaluate/<token>", methods=["GET", "POST"])
@public
def evaluate(token: str) -> ResponseReturnValue:
    grant, engagement = open_engagement_link(token, "evaluate", for_update=request.method == "POST")
    form = forms.SupervisorForm()
    errors: list[str] = []
    values: dict[str, Any] = dict(request.form) if request.method == "POST" else {}
    if form.validate_on_submit():
        name = str(request.form.get("supervisor_name", ""))
        try:
            eval_svc.submit_evaluation(
                grant.actor(name),
                engagement.id,
                name,
                forms.ratings_from(request.form, engagement.competencies),
                str(request.form.get("comments", "")),
            )
        except PolicyViolationError as exc:
            refuse()
            errors.append(exc.message)
        else:
            mark_used(grant)
            return _thanks("Thank you: your evaluation is recorded and the student is told.")
    return render_template(
        "supervisor/evaluate.html",
        engagement=engagement,
        form=form,
        errors=errors,
        values=values,
        levels=RATING_LEVELS,
        choices=forms.RATING_CHOICES,
    ), 422 if errors else 200


@bp.route("/listing/<token>", methods=["GET", "POST"])
@public
def employer_listing(token: str) -> ResponseReturnValue:
    """The public form an invited employer uses to submit one listing for approval."""
    grant = invitation_svc.verify_invitation(token, for_update=request.method == "POST")
    employer = (
        invitation_svc.get_employer(grant.tenant_id, grant.employer_id)
        if grant.employer_id
        else None
    )
    tenant = invitation_svc.get_tenant(grant.tenant_id)
    form = forms.EmployerListingForm(data={"contact_email": grant.email})
    form.require_employer = employer is None
    errors: list[str] = []
    if form.validate_on_submit():
        who = invitation_svc.EmployerDetails(
            name=form.employer_name.data or "",
            website=form.employer_website.data or "",
            contact_name=form.contact_name.data or "",
            contact_email=form.contact_email.data or "",
        )
        try:
            listing = invitation_svc.submit_listing(grant, who, form.to_input(0))
        except ListingInvalidError as exc:
            aliases = {"pay_amount_cents": "pay_amount", "new_employer": "employer_name"}
            field_errors(form, exc, aliases=aliases)
            errors.extend(form.form_errors)  # what names no field of the form: at the top
        else:
            return _thanks(
                f"Thank you: “{listing.title}” is with the career center of {tenant.name}. "
                "They review every listing before students see it, and write to you if they "
                "have a question."
            )
    elif form.errors:
        errors.append("Nothing was sent: correct the fields marked below.")
    return render_template(
        "supervisor/listing_form.html",
        form=form,
        employer=employer,
        institution=tenant.name,
        contact=career_center_email(tenant),
        errors=errors,
    ), 422 if form.errors or errors else 200
