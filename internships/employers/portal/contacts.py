"""The career center's side of the employer's page: the employer's contacts (advisors add and
remove them), the signed link emailed to a contact through the outbox, and withdrawing it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from internships.services.listings import get_employer, get_tenant
from internships.work.services.common import career_center_email
from internships.work.services.engagements import EMAIL_RE
from lti_tool.actor import Actor
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.notify.mail import send_email
from lti_tool.services import audit

from .links import issue_employer_link, revoke_links
from .models import EmployerContact, EmployerLink


class ContactInvalidError(PolicyViolationError):
    """A contact's field is not acceptable; ``field`` names it for the form."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message, reason=f"invalid_{field_name}", field=field_name)


def list_contacts(tenant_id: int, employer_id: int) -> list[EmployerContact]:
    """The employer's current contacts, by name."""
    return list(
        db.session.scalars(
            select(EmployerContact)
            .where(
                EmployerContact.tenant_id == tenant_id,
                EmployerContact.employer_id == employer_id,
                EmployerContact.removed_at.is_(None),
            )
            .order_by(EmployerContact.name, EmployerContact.id)
        )
    )


def contact_counts(tenant_id: int) -> dict[int, int]:
    """How many current contacts each employer of the tenant has (one grouped statement)."""
    rows = db.session.execute(
        select(EmployerContact.employer_id, func.count())
        .where(EmployerContact.tenant_id == tenant_id, EmployerContact.removed_at.is_(None))
        .group_by(EmployerContact.employer_id)
    )
    return {int(employer_id): int(n) for employer_id, n in rows}


def list_links(tenant_id: int, employer_id: int) -> list[EmployerLink]:
    """The links issued for the employer's page, newest first."""
    return list(
        db.session.scalars(
            select(EmployerLink)
            .where(EmployerLink.tenant_id == tenant_id, EmployerLink.employer_id == employer_id)
            .order_by(EmployerLink.created_at.desc())
            .limit(100)
        )
    )


def get_contact(tenant_id: int, contact_id: int) -> EmployerContact:
    """One current contact of the tenant, else NotFoundError."""
    contact = db.session.scalar(
        select(EmployerContact).where(
            EmployerContact.id == contact_id,
            EmployerContact.tenant_id == tenant_id,
            EmployerContact.removed_at.is_(None),
        )
    )
    if contact is None:
        raise NotFoundError("That contact does not exist at your institution.")
    return contact


def add_contact(actor: Actor, employer_id: int, name: str, email: str) -> EmployerContact:
    """Add a person to the employer's contacts (or list again one removed before)."""
    employer = get_employer(actor.tenant, employer_id)
    name, email = " ".join(name.split()), email.strip()
    if not 2 <= len(name) <= 200:
        raise ContactInvalidError("name", "Give the contact's name (2 to 200 characters).")
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise ContactInvalidError("email", "Give the contact's email address.")
    contact = db.session.scalar(
        select(EmployerContact).where(
            EmployerContact.employer_id == employer.id,
            EmployerContact.tenant_id == actor.tenant,
            EmployerContact.email.ilike(email),
        )
    )
    if contact is not None and contact.removed_at is None:
        raise ContactInvalidError("email", "That person is already a contact of this employer.")
    if contact is None:
        contact = EmployerContact(tenant_id=actor.tenant, employer_id=employer.id, email=email)
        db.session.add(contact)
    contact.name, contact.removed_at, contact.added_by = name, None, actor.name
    db.session.flush()
    audit.record(actor, "employer_contact.add", employer_id=employer.id, contact_id=contact.id)
    return contact


def remove_contact(actor: Actor, contact_id: int) -> EmployerContact:
    """Remove a contact: the links sent to them stop working."""
    contact = get_contact(actor.tenant, contact_id)
    contact.removed_at = utcnow()
    revoked = revoke_links(actor.tenant, "contact_removed", EmployerLink.contact_id == contact.id)
    db.session.flush()
    audit.record(
        actor,
        "employer_contact.remove",
        employer_id=contact.employer_id,
        contact_id=contact.id,
        links=revoked,
    )
    return contact


def send_employer_link(
    actor: Actor, contact_id: int, link_url: Callable[[str], str]
) -> EmployerContact:
    """Email a contact a new signed link to their employer's page (through the outbox)."""
    contact = get_contact(actor.tenant, contact_id)
    tenant = get_tenant(actor.tenant)
    token = issue_employer_link(actor, contact)
    send_email(
        actor.tenant,
        contact.email,
        f"Your page for {contact.employer.name} at {tenant.name}",
        f"Hello {contact.name},\n\nThe career center of {tenant.name} keeps a page for "
        f"{contact.employer.name}: your listings, applicants to review, hours to confirm, "
        "evaluations due, payments due and past projects, in one place. No account is needed:"
        f"\n\n{link_url(token)}\n\nKeep this link to yourself; it works for a few weeks, until "
        "the career center withdraws it.\n\nQuestions: "
        f"{career_center_email(tenant) or 'reply to this email'}\n",
    )
    audit.record(
        actor, "employer_link.issue", employer_id=contact.employer_id, contact_id=contact.id
    )
    return contact


def withdraw_link(actor: Actor, employer_id: int, jti: str) -> int:
    """Revoke one open link to the employer's page; NotFoundError when there is none."""
    revoked = revoke_links(
        actor.tenant, "withdrawn", EmployerLink.jti == jti, EmployerLink.employer_id == employer_id
    )
    if revoked != 1:
        raise NotFoundError("That link does not exist or no longer works.")
    audit.record(actor, "employer_link.revoke", link=jti[:8])
    return revoked
