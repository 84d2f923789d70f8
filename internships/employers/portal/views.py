"""The portal's routes on the employers blueprint (``/employers``): the employer's own page,
reached by a signed link from an email (no account; rate limited, CSRF on every form), and the
career advisor's pages that keep an employer's contacts and send them that link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from internships.services.listings import get_employer, list_employers
from internships.supervisor.links import LinkError
from internships.work.services.common import career_center_email
from lti_tool.auth import current_launch, public, requires
from lti_tool.context import LaunchContext
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.forms import ButtonForm
from lti_tool.messages import read_note, sign_note
from lti_tool.models import Tenant
from lti_tool.page_forms import dispatch
from lti_tool.ratelimit import public_limit, rate_limited
from lti_tool.unit_of_work import done, field_errors, refuse, refused
from lti_tool.words import money

from ...workspace.home_counts import advisor_counts
from ...workspace.plan.services.checklists import ChecklistInvalidError
from ..blueprint import bp
from . import actions, contacts, page
from .forms import ChecklistForm, ContactForm, CopyForm, InviteForm, PortalForm
from .links import EmployerGrant, EmployerLinkError, link_tenant, open_employer_link

_SAID_SALT = "career-credit.employer-portal.said"


@bp.errorhandler(EmployerLinkError)
def portal_link_error(exc: LinkError) -> ResponseReturnValue:
    refuse()
    token = str((request.view_args or {}).get("token") or "")
    tenant_id = link_tenant(token) if token else None
    tenant = db.session.get(Tenant, tenant_id) if tenant_id else None
    return render_template(
        "employers/portal/link_error.html",
        error=exc,
        contact=career_center_email(tenant),
        institution=tenant.name if tenant else "",
    ), 404 if exc.reason == "invalid" else 410


# --- the employer's page (a signed link) ---------------------------------------------------------


def _said(message: str) -> str:
    return sign_note(message, _SAID_SALT)


def _heard(value: str | None) -> str:
    return read_note(value, _SAID_SALT)


@bp.route("/page/<token>", methods=["GET", "POST"])
@public
@rate_limited(public_limit)
def portal_page(token: str) -> ResponseReturnValue:
    """An employer's own page: listings, applicants, engagements, payments, past projects."""
    grant = open_employer_link(token)
    posted = dispatch(
        review=lambda: _go(token, grant, "supervisor.select_applicants", actions.review_link),
        hours=lambda: _go(token, grant, "supervisor.hours", _purpose("confirm_hours")),
        evaluate=lambda: _go(token, grant, "supervisor.evaluate", _purpose("evaluate")),
        workspace=lambda: _go(token, grant, "workspace.supervisor", _purpose("workspace")),
        copy=lambda: _copy(token, grant),
        checklist=lambda: _checklist(token, grant, keep=True),
        checklist_default=lambda: _checklist(token, grant, keep=False),
        invite=lambda: _invite(token, grant),
    )
    return posted or _employer_page(token, grant)


def _purpose(purpose: str) -> Callable[[EmployerGrant, int], str]:
    return lambda grant, engagement_id: actions.engagement_link(grant, engagement_id, purpose)


def _finished(token: str, message: str) -> ResponseReturnValue:
    """A 303 back to the employer's page with the confirmation signed in the address (the page
    has no launch to carry it)."""
    target = url_for("employers.portal_page", token=token, said=_said(message))
    return redirect(f"{target}#page-said", code=303)


def _go(
    token: str, grant: EmployerGrant, endpoint: str, make: Callable[[EmployerGrant, int], str]
) -> ResponseReturnValue:
    """Issue the supervisor link one item needs and go to its page (a view writes nothing:
    only this button issues a link)."""
    form = PortalForm()
    if not form.validate_on_submit():
        return _employer_page(token, grant, 422, error="The form expired: press the button again.")
    try:
        link = make(grant, _subject(form))
    except (NotFoundError, PolicyViolationError) as exc:
        return _employer_page(token, grant, 422, error=exc.message)
    return redirect(url_for(endpoint, token=link), code=303)


def _copy(token: str, grant: EmployerGrant) -> ResponseReturnValue:
    form = CopyForm()
    if form.validate_on_submit():
        try:
            listing = actions.copy_listing(
                grant, _subject(form), form.title.data or "", form.application_deadline.data
            )
        except actions.PortalInvalidError as exc:
            field_errors(form, exc, fallback="title")
        except (NotFoundError, PolicyViolationError) as exc:
            form.form_errors.append(exc.message)
        else:
            return _finished(token, f"“{listing.title}” waits for the career center's approval.")
    return _employer_page(token, grant, 422, copy_form=form, copy_subject=_subject(form))


def _checklist(token: str, grant: EmployerGrant, *, keep: bool) -> ResponseReturnValue:
    """Save a listing's onboarding checklist (``keep``) or give it the career center's."""
    form = ChecklistForm()
    if form.validate_on_submit():
        lines = (form.items.data or "").splitlines() if keep else None
        try:
            listing = actions.set_checklist(grant, _subject(form), lines)
        except ChecklistInvalidError as exc:
            form.items.errors = [exc.message]
            refuse()
        except (NotFoundError, PolicyViolationError) as exc:
            form.form_errors.append(exc.message)
            refuse()
        else:
            outcome = "saved" if keep else "back to the career center's"
            return _finished(token, f"The onboarding checklist of “{listing.title}” is {outcome}.")
    return _employer_page(token, grant, 422, checklist_form=form, checklist_subject=_subject(form))


def _invite(token: str, grant: EmployerGrant) -> ResponseReturnValue:
    form = InviteForm()
    if form.validate_on_submit():
        try:
            engagement = actions.invite_supervisor(
                grant, _subject(form), form.name.data or "", form.email.data or ""
            )
        except actions.PortalInvalidError as exc:
            field_errors(form, exc, fallback="email")
        except (NotFoundError, PolicyViolationError) as exc:
            form.form_errors.append(exc.message)
        else:
            return _finished(
                token,
                f"{engagement.supervisor_name} now supervises the project; the student is told.",
            )
    return _employer_page(token, grant, 422, invite_form=form, invite_subject=_subject(form))


def _subject(form: Any) -> int:
    value = str(form.subject.data or "")
    return int(value) if value.isdigit() else 0


def _employer_page(
    token: str, grant: EmployerGrant, status: int = 200, **extra: Any
) -> ResponseReturnValue:
    employer = get_employer(grant.tenant_id, grant.employer_id)
    tenant = db.session.get(Tenant, grant.tenant_id)
    values: dict[str, Any] = {
        "button_form": PortalForm(formdata=None),
        "copy_form": CopyForm(formdata=None),
        "invite_form": InviteForm(formdata=None),
        "checklist_form": ChecklistForm(formdata=None),
        "checklist_subject": 0,
        "copy_subject": 0,
        "invite_subject": 0,
        "error": "",
    }
    values.update(extra)
    shown = page.employer_page(grant.tenant_id, employer)
    return render_template(
        "employers/portal/employer.html",
        token=token,
        grant=grant,
        page=shown,
        checklists=actions.checklist_lines(grant.tenant_id, [x.id for x in shown.adaptable]),
        institution=tenant.name if tenant else "",
        contact=career_center_email(tenant),
        said=_heard(request.args.get("said")),
        money=money,
        **values,
    ), status


# --- the career advisor's pages ------------------------------------------------------------------


@bp.get("/contacts")
@requires("advisor")
def portal_employers() -> ResponseReturnValue:
    """Every employer of the tenant, each with its contacts' page."""
    ctx = current_launch()
    return render_template(
        "employers/portal/employers.html",
        employers=list_employers(ctx.tenant_id),
        counts=contacts.contact_counts(ctx.tenant_id),
    )


@bp.route("/contacts/<int:employer_id>", methods=["GET", "POST"])
@requires("advisor")
def portal_contacts(employer_id: int) -> ResponseReturnValue:
    """An employer's contacts: add, remove, email the employer's page, withdraw a link."""
    ctx = current_launch()
    get_employer(ctx.tenant_id, employer_id)  # another tenant's employer: 404
    posted = dispatch(
        add=lambda: _add_contact(employer_id),
        remove=lambda: _contact_button(employer_id, "remove"),
        send=lambda: _contact_button(employer_id, "send"),
        withdraw=lambda: _contact_button(employer_id, "withdraw"),
    )
    return posted or _contacts_page(employer_id)


def _contacts_page(employer_id: int, form: ContactForm | None = None) -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "employers/portal/contacts.html",
        employer=get_employer(ctx.tenant_id, employer_id),
        contacts=contacts.list_contacts(ctx.tenant_id, employer_id),
        links=contacts.list_links(ctx.tenant_id, employer_id),
        form=form or ContactForm(formdata=None),
        button=ButtonForm(formdata=None),
    ), 422 if form is not None else 200


@requires("advisor", write=True)
def _add_contact(employer_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = ContactForm()
    if form.validate_on_submit():
        try:
            contact = contacts.add_contact(
                ctx.actor, employer_id, form.name.data or "", form.email.data or ""
            )
        except contacts.ContactInvalidError as exc:
            field_errors(form, exc, fallback="email")
        else:
            return done(
                f"{contact.name} is a contact of the employer.",
                "employers.portal_contacts",
                employer_id=employer_id,
            )
    return _contacts_page(employer_id, form)


@requires("advisor", write=True)
def _contact_button(employer_id: int, action: str) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        return refused(
            PolicyViolationError("The form expired: press the button again.", reason="csrf"),
            "employers.portal_contacts",
            employer_id=employer_id,
        )
    value = str(request.form.get("subject", ""))
    try:
        if action == "withdraw":
            contacts.withdraw_link(ctx.actor, employer_id, value)
            message = "The link is withdrawn: it no longer opens the employer's page."
        else:
            contact_id = int(value) if value.isdigit() else 0
            _own_contact(ctx.tenant_id, employer_id, contact_id)
            if action == "remove":
                contact = contacts.remove_contact(ctx.actor, contact_id)
                message = f"{contact.name} is no longer a contact; their links stop working."
            else:
                contact = contacts.send_employer_link(
                    ctx.actor,
                    contact_id,
                    lambda t: url_for("employers.portal_page", token=t, _external=True),
                )
                message = f"The employer's page is on its way to {contact.email}."
    except (NotFoundError, PolicyViolationError) as exc:
        return refused(exc, "employers.portal_contacts", employer_id=employer_id)
    return done(message, "employers.portal_contacts", employer_id=employer_id)


def _own_contact(tenant_id: int, employer_id: int, contact_id: int) -> None:
    if contacts.get_contact(tenant_id, contact_id).employer_id != employer_id:
        raise NotFoundError("That contact is not one of this employer's.")


def advisor_panel(ctx: LaunchContext) -> dict[str, Any]:
    """The advisor's home panel: how many employers have contacts who get their own page."""
    return {"with_contacts": advisor_counts(ctx)["with_contacts"]}
