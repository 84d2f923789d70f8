"""A listing that waits for approval, sent back or rejected with a reason; whoever made it is
told: the employer who sent it through an invitation (by email, they have no account), the
advisor who wrote or imported it (a notification and an email). Approving stays in
``listings.approve_listing``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select

from lti_tool.actor import Actor
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import User
from lti_tool.notify.mail import send_email
from lti_tool.notify.notifications import notify
from lti_tool.services import audit

from ..models import Listing
from .listings import get_listing

# what each outcome does: the listing's new status, the words of the message, its kind
OUTCOMES = {
    "send_back": ("draft", "sent back for changes", "listing_sent_back"),
    "reject": ("closed", "not approved", "listing_rejected"),
}
MIN_REASON = 10
# ``Actor.user`` names a person "Name <email> (user 12)": the user the listing's maker was
_USER_ID = re.compile(r"\(user (\d+)\)$")


def return_listing(actor: Actor, listing_id: int, outcome: str, reason: str) -> Listing:
    """Send back (to draft, to be changed and submitted again) or reject (closed) a listing
    that waits for approval, with a reason its maker is told."""
    if outcome not in OUTCOMES:
        raise PolicyViolationError(
            "Choose to send the listing back or to reject it.", reason="outcome"
        )
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise PolicyViolationError(
            f"Give the reason in at least {MIN_REASON} characters: whoever made the listing "
            "reads it.",
            reason="reason",
        )
    listing = get_listing(actor.tenant, listing_id)
    if listing.status != "pending_approval":
        raise PolicyViolationError(
            "Only a listing that waits for approval can be sent back or rejected.",
            reason="not_pending",
        )
    status, words, kind = OUTCOMES[outcome]
    listing.status = status
    listing.approval_note = reason
    db.session.flush()
    audit.record(actor, f"listing.{outcome}", listing_id=listing.id, reason=reason)
    _tell_maker(listing, words, kind, reason)
    return listing


def _tell_maker(listing: Listing, words: str, kind: str, reason: str) -> None:
    text = f"Your listing “{listing.title}” was {words} by the career center: {reason}"
    if listing.source == "employer_form" and listing.employer.contact_email:
        send_email(
            listing.tenant_id,
            listing.employer.contact_email,
            f"Your listing “{listing.title[:150]}” was {words}",
            f"Hello {listing.employer.contact_name or 'there'},\n\n{text}\n\n"
            "Reply to the career center's invitation email if you have questions.\n",
        )
    found = _USER_ID.search(listing.created_by or "")
    maker = db.session.get(User, int(found.group(1))) if found else None
    if maker is not None and maker.tenant_id == listing.tenant_id:  # a person of this tenant
        notify(listing.tenant_id, maker.id, kind, text)


@dataclass(frozen=True)
class WaitingCounts:
    """What waits for the career center: listings to approve (and how many of them employers
    sent) and imported drafts to complete."""

    waiting: int
    from_employers: int
    drafts: int


_pending = Listing.status == "pending_approval"
# built once (the advisor's home reads it, with the other internships panels' counts:
# ``workspace.home_counts``): a request binds ``tenant_id``
WAITING_COUNTS = select(
    func.count().filter(_pending),
    func.count().filter(_pending, Listing.source == "employer_form"),
    func.count().filter(Listing.status == "draft", Listing.source == "import"),
).where(
    Listing.tenant_id == bindparam("tenant_id"),
    Listing.status.in_(("pending_approval", "draft")),
)


def waiting_counts(tenant_id: int) -> WaitingCounts:
    """The counts of ``approval_queue`` and ``drafts_to_complete`` in one statement (the
    advisor's home reads ``WAITING_COUNTS`` beside its other counts)."""
    row = db.session.execute(WAITING_COUNTS, {"tenant_id": tenant_id}).one()
    return WaitingCounts(int(row[0]), int(row[1]), int(row[2]))
