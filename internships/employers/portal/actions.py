"""What an employer contact does from their page (``EmployerGrant``: the signed link): open a
supervisor page for one item (a link issued on demand, so viewing the page writes nothing),
copy a past listing into a new one waiting for the career center's approval, and invite a
colleague as an engagement's supervisor."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from internships.models import Listing
from internships.services.invitations import SOURCE
from internships.services.listings import create_listing, get_tenant
from internships.supervisor.links import issue_link, revoke_engagement_links
from internships.work.models import LINK_OPEN_STATUSES, Engagement
from internships.work.services.common import career_center_email
from internships.work.services.engagements import EMAIL_RE
from internships.work.services.evaluations import evaluation_of
from lti_tool.context import today_in
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.notify.mail import send_email
from lti_tool.notify.notifications import notify
from lti_tool.services import audit

from ...workspace.plan.services.checklists import (
    clear_listing_checklist,
    set_listing_checklist,
    template_items,
)
from .links import EmployerGrant
from .listing_copy import copy_input

PURPOSES = ("confirm_hours", "evaluate", "workspace")


class PortalInvalidError(PolicyViolationError):
    """An employer page's field is not acceptable; ``field`` names it for the form."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message, reason=f"invalid_{field_name}", field=field_name)


def own_listing(grant: EmployerGrant, listing_id: int) -> Listing:
    """A listing of the link's employer, else NotFoundError."""
    listing = db.session.scalar(
        select(Listing).where(
            Listing.id == listing_id,
            Listing.tenant_id == grant.tenant_id,
            Listing.employer_id == grant.employer_id,
        )
    )
    if listing is None:
        raise NotFoundError("That listing is not one of your organization's.")
    return listing


def own_engagement(grant: EmployerGrant, engagement_id: int) -> Engagement:
    """An engagement on a listing of the link's employer, else NotFoundError."""
    engagement = db.session.scalar(
        select(Engagement)
        .join(Listing, Listing.id == Engagement.listing_id)
        .where(
            Engagement.id == engagement_id,
            Engagement.tenant_id == grant.tenant_id,
            Listing.employer_id == grant.employer_id,
        )
    )
    if engagement is None:
        raise NotFoundError("That project is not one of your organization's.")
    return engagement


def review_link(grant: EmployerGrant, listing_id: int) -> str:
    """A new selection link (token) for one of the employer's listings, issued to the contact."""
    listing = own_listing(grant, listing_id)
    if listing.status not in ("open", "filled"):
        raise PolicyViolationError(
            "Only a published listing has applicants to review.", reason="not_open"
        )
    token = issue_link(grant.actor(), "select_applicants", listing.id, grant.email)
    audit.record(
        grant.actor(), "supervisor_link.issue", listing_id=listing.id, purpose="select_applicants"
    )
    return token


def engagement_link(grant: EmployerGrant, engagement_id: int, purpose: str) -> str:
    """A new supervisor link (token) to confirm hours, evaluate or open the workspace of one of
    the employer's engagements under way."""
    if purpose not in PURPOSES:
        raise PolicyViolationError("Unknown kind of link.", reason="purpose")
    engagement = own_engagement(grant, engagement_id)
    if engagement.status not in LINK_OPEN_STATUSES:
        raise PolicyViolationError(
            f"This project is {engagement.status}: its pages are closed.", reason="closed"
        )
    if not engagement.supervisor_email:
        raise PolicyViolationError(
            "The project names no supervisor yet; ask the career center.", reason="no_supervisor"
        )
    if purpose == "evaluate" and evaluation_of(engagement) is not None:
        raise PolicyViolationError("This project is evaluated already.", reason="evaluated")
    token = issue_link(grant.actor(), purpose, engagement.id, "")
    audit.record(
        grant.actor(), "supervisor_link.issue", engagement_id=engagement.id, purpose=purpose
    )
    return token


def copy_listing(
    grant: EmployerGrant, listing_id: int, title: str, deadline: dt.date | None
) -> Listing:
    """A new listing copied from one of the employer's, with a new title and deadline, waiting
    for the career center's approval (as a listing sent through an invitation)."""
    source = own_listing(grant, listing_id)
    tenant = get_tenant(grant.tenant_id)
    if deadline is not None and deadline < today_in(tenant.time_zone):
        raise PortalInvalidError("application_deadline", "Choose a deadline from today on.")
    data = copy_input(source, title, deadline)
    actor = grant.actor()
    listing = create_listing(actor, data, submit=False, source=SOURCE)
    listing.status = "pending_approval"
    db.session.flush()
    audit.record(actor, "listing.copy", listing_id=listing.id, copied_from=source.id)
    send_email(
        grant.tenant_id,
        career_center_email(tenant),
        f"New listing waits for approval: {listing.title}",
        f"{source.employer.name} copied “{source.title}” into “{listing.title}” from their "
        "employer page. It waits for approval under Manage listings in Career Credit.\n",
    )
    return listing


def set_checklist(grant: EmployerGrant, listing_id: int, lines: list[str] | None) -> Listing:
    """Adapt the onboarding checklist of one of the employer's listings (``lines``), or give it
    back the career center's (None). Engagements whose checklist is written keep theirs."""
    listing = own_listing(grant, listing_id)
    if lines is None:
        clear_listing_checklist(grant.actor(), listing.id)
    else:
        set_listing_checklist(grant.actor(), listing.id, lines)
    return listing


def checklist_lines(tenant_id: int, listing_ids: list[int]) -> dict[int, str]:
    """Each listing's onboarding checklist as the employer edits it (one item per line)."""
    return {
        listing_id: "\n".join(item["label"] for item in template_items(tenant_id, listing_id))
        for listing_id in listing_ids
    }


def invite_supervisor(
    grant: EmployerGrant, engagement_id: int, name: str, email: str
) -> Engagement:
    """Make a colleague the supervisor of one of the employer's engagements under way: the
    previous supervisor's links stop working, the change is audited and the student told."""
    engagement = own_engagement(grant, engagement_id)
    if engagement.status not in LINK_OPEN_STATUSES:
        raise PolicyViolationError(
            f"This project is {engagement.status}: its supervisor stays as it was.",
            reason="closed",
        )
    name, email = " ".join(name.split()), email.strip()
    if not 2 <= len(name) <= 200:
        raise PortalInvalidError("name", "Give your colleague's name.")
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise PortalInvalidError("email", "Give your colleague's email address.")
    if email.lower() == engagement.supervisor_email.strip().lower():
        raise PortalInvalidError("email", "This person supervises the project already.")
    actor = grant.actor()
    revoked = revoke_engagement_links(grant.tenant_id, engagement.id, "supervisor_changed")
    engagement.supervisor_name, engagement.supervisor_email = name, email
    db.session.flush()
    audit.record(
        actor, "engagement.supervisor_change", engagement_id=engagement.id, links_revoked=revoked
    )
    notify(
        grant.tenant_id,
        engagement.student_id,
        "supervisor_changed",
        f"{name} now supervises “{engagement.listing.title}” for "
        f"{engagement.listing.employer.name}.",
        engagement_id=engagement.id,
    )
    return engagement
