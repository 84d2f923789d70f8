"""Employer invitations: an advisor emails an employer a signed, expiring link (itsdangerous)
to a public form that submits one listing for approval — no LMS account needed.

Each invitation is an ``EmployerInvitation`` row keyed by the random ``jti`` the token carries;
the submission spends it, and an advisor may withdraw it before then. A submitted listing has
source ``employer_form`` and always waits in the approval queue, whatever it pays."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from lti_tool.actor import Actor
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.notify.mail import send_email
from lti_tool.services import audit

from ..models import EmployerInvitation, Listing
from ..supervisor.links import LinkError
from ..work.services.common import career_center_email
from .listings import (
    ListingInput,
    ListingInvalidError,
    create_listing,
    ensure_employer,
    get_employer,
    get_tenant,
)

SALT = "career-credit.employer-invitation"
DEFAULT_DAYS, MAX_DAYS = 14, 60
SOURCE = "employer_form"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


@dataclass(frozen=True)
class InvitationGrant:
    """What a verified invitation allows: one listing submission in one tenant."""

    jti: str
    tenant_id: int
    employer_id: int | None
    email: str


def issue_invitation(
    actor: Actor,
    email: str,
    link_url: Callable[[str], str],
    *,
    employer_id: int | None = None,
    days: int = DEFAULT_DAYS,
    message: str = "",
) -> str:
    """Record an invitation, email its link to ``email`` and return the token."""
    tenant_id = actor.tenant
    email = email.strip()
    if "@" not in email or len(email) > 320:
        raise ListingInvalidError("email", "Give the employer's email address.")
    if not 1 <= days <= MAX_DAYS:
        raise ListingInvalidError("days", f"Choose between 1 and {MAX_DAYS} days.")
    tenant = get_tenant(tenant_id)
    employer = get_employer(tenant_id, employer_id) if employer_id else None
    jti = secrets.token_urlsafe(24)
    expires = utcnow() + dt.timedelta(days=days)
    db.session.add(
        EmployerInvitation(
            jti=jti,
            tenant_id=tenant_id,
            employer_id=employer.id if employer else None,
            email=email,
            message=message.strip()[:2000],
            issued_by=actor.name,
            expires_at=expires,
        )
    )
    db.session.flush()
    token = _serializer().dumps({"j": jti, "t": tenant_id})
    who = f" for {employer.name}" if employer else ""
    note = f"\n{message.strip()}\n" if message.strip() else ""
    send_email(
        tenant_id,
        email,
        f"Offer a micro-internship to {tenant.name} students",
        f"Hello,\n\nThe career center of {tenant.name} invites you to offer a short, paid "
        f"project to its students{who}.\n{note}\nDescribe the project on this form; no account "
        f"is needed:\n\n{link_url(token)}\n\nThe link works once and expires on "
        f"{expires:%-d %B %Y}. The career center reviews every listing before students see "
        f"it.\n\nQuestions: {career_center_email(tenant) or 'reply to this email'}\n",
    )
    audit.record(
        actor,
        "employer_invitation.issue",
        invitation=jti[:8],
        employer_id=employer.id if employer else None,
        days=days,
    )
    return token


def invitation_tenant(token: str) -> int | None:
    """The tenant a token names (signature checked, expiry ignored), for the error page."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    return int(data["t"]) if isinstance(data, dict) and isinstance(data.get("t"), int) else None


def verify_invitation(token: str, *, for_update: bool = False) -> InvitationGrant:
    """The grant of a valid, unexpired, unused invitation, else LinkError with a reason."""
    max_age = MAX_DAYS * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkError("This invitation has expired.", reason="expired") from exc
    except BadSignature as exc:
        raise LinkError("This invitation link is not valid.", reason="invalid") from exc
    if not isinstance(data, dict) or not {"j", "t"} <= data.keys():
        raise LinkError("This invitation link is not valid.", reason="invalid")
    stmt = select(EmployerInvitation).where(EmployerInvitation.jti == str(data["j"]))
    if for_update:
        stmt = stmt.with_for_update()
    row = db.session.scalar(stmt)
    if row is None or row.tenant_id != data["t"]:
        raise LinkError("This invitation link is not valid.", reason="invalid")
    if row.used_at is not None:
        raise LinkError("This invitation has already been used.", reason="used")
    if row.revoked_at is not None:
        raise LinkError("The career center withdrew this invitation.", reason="revoked")
    if row.expires_at <= utcnow():
        raise LinkError("This invitation has expired.", reason="expired")
    return InvitationGrant(row.jti, row.tenant_id, row.employer_id, row.email)


@dataclass
class EmployerDetails:
    """Who the employer is, as they say on the public form (ignored when the invitation is
    bound to a known employer, except the contact person)."""

    name: str
    website: str = ""
    contact_name: str = ""
    contact_email: str = ""


def submit_listing(grant: InvitationGrant, who: EmployerDetails, data: ListingInput) -> Listing:
    """The employer's listing from the public form: pending approval, source employer_form;
    spends the invitation. Flushes; the caller commits."""
    actor = Actor.link(
        grant.tenant_id, f"employer invitation {grant.jti[:8]} ({who.contact_email or grant.email})"
    )
    if not who.contact_name.strip() or "@" not in who.contact_email:
        raise ListingInvalidError("contact_email", "Give your name and email address.")
    if grant.employer_id:
        employer = get_employer(grant.tenant_id, grant.employer_id)
    else:
        employer = ensure_employer(
            actor,
            who.name,
            website=who.website.strip()[:500],
            contact_name=who.contact_name.strip()[:200],
            contact_email=who.contact_email.strip()[:320],
        )
    # An employer without a contact gets the one who filled the form in; a known one keeps its
    # own (the advisor can change it when approving).
    if not employer.contact_email:
        employer.contact_name = who.contact_name.strip()[:200]
        employer.contact_email = who.contact_email.strip()[:320]
    data.employer_id = employer.id
    from ..employers.pay.services.overdue import refuse_if_blocked  # issue 21: overdue pay blocks

    refuse_if_blocked(grant.tenant_id, employer.id)
    listing = create_listing(actor, data, submit=False, source=SOURCE, external_id=grant.jti)
    listing.status = "pending_approval"
    spent = db.session.execute(
        update(EmployerInvitation)
        .where(EmployerInvitation.jti == grant.jti, EmployerInvitation.used_at.is_(None))
        .values(used_at=utcnow(), listing_id=listing.id)
        .execution_options(synchronize_session=False)
    )
    if getattr(spent, "rowcount", 0) != 1:
        raise LinkError("This invitation has already been used.", reason="used")
    db.session.flush()
    audit.record(
        actor,
        "employer_invitation.submit",
        invitation=grant.jti[:8],
        listing_id=listing.id,
        employer_id=employer.id,
    )
    tenant = get_tenant(grant.tenant_id)
    send_email(
        grant.tenant_id,
        career_center_email(tenant),
        f"New listing waits for approval: {listing.title}",
        f"{employer.name} submitted “{listing.title}” through an employer invitation. It waits "
        "for approval under Manage listings in Career Credit.\n",
    )
    return listing


def list_invitations(tenant_id: int, limit: int = 100) -> list[EmployerInvitation]:
    """The tenant's invitations, newest first."""
    return list(
        db.session.scalars(
            select(EmployerInvitation)
            .where(EmployerInvitation.tenant_id == tenant_id)
            .order_by(EmployerInvitation.created_at.desc())
            .limit(limit)
        )
    )


def revoke_invitation(actor: Actor, jti: str) -> EmployerInvitation:
    """Withdraw an unused invitation so its link stops working."""
    row = db.session.scalar(
        select(EmployerInvitation).where(
            EmployerInvitation.jti == jti, EmployerInvitation.tenant_id == actor.tenant
        )
    )
    if row is None:
        raise NotFoundError("That invitation does not exist at your institution.")
    if row.used_at is not None or row.revoked_at is not None:
        raise PolicyViolationError(
            "This invitation was used or withdrawn already.", reason="not_revocable"
        )
    row.revoked_at = utcnow()
    db.session.flush()
    audit.record(actor, "employer_invitation.revoke", invitation=jti[:8])
    return row
