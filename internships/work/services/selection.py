"""The employer's side of selection: a signed link for a listing's applicants, and the
audited disclosure of what each student consented to share."""

from __future__ import annotations

from collections.abc import Callable

from internships.services.listings import get_listing
from internships.supervisor.links import issue_link
from lti_tool.actor import Actor
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.notify.mail import send_email
from lti_tool.services import audit

from ..models import Application


def send_selection_link(
    actor: Actor, listing_id: int, email: str, link_url: Callable[[str], str]
) -> str:
    """Email the employer (``email``, default the employer's contact) a signed link to review
    the listing's applicants; returns the token."""
    tenant_id = actor.tenant
    listing = get_listing(tenant_id, listing_id)
    email = (email or listing.employer.contact_email).strip()
    if "@" not in email:
        raise PolicyViolationError(
            "The employer has no contact email; give the address to send the link to.",
            reason="no_email",
        )
    token = issue_link(actor, "select_applicants", listing.id, email)
    send_email(
        tenant_id,
        email,
        f"Applicants for “{listing.title}”",
        f"Hello {listing.employer.contact_name or 'there'},\n\nStudents have applied to "
        f"“{listing.title}”. Review them and choose whom to shortlist, accept or decline:\n\n"
        f"{link_url(token)}\n\nThe link works for one set of decisions and expires in a few "
        "days; no account is needed.\n",
    )
    audit.record(
        actor,
        "supervisor_link.issue",
        listing_id=listing.id,
        purpose="select_applicants",
        email=email,
    )
    return token


def disclose_application(
    actor: Actor, listing_id: int, application_id: int, what: str
) -> Application:
    """An application of the listing as the employer may see it (consented only); every
    disclosure is audited."""
    application = db.session.get(Application, application_id)
    if (
        application is None
        or application.tenant_id != actor.tenant
        or application.listing_id != listing_id
        or application.consented_at is None
        or application.status == "withdrawn"
    ):
        raise NotFoundError("That application does not exist.")
    audit.record(
        actor,
        "application.disclose",
        application_id=application.id,
        listing_id=listing_id,
        what=what,
    )
    return application
