"""Signed links to an employer's own page (itsdangerous, a salt of their own): each issued to
one of the employer's contacts and recorded as an ``EmployerLink`` row keyed by the random
``jti`` the token carries, with an expiry and a revocation. Unlike a supervisor's hours or
evaluation link, using the page never spends it.

A link opens (``open_employer_link``) only while its row is unrevoked and unexpired, its
contact is still the employer's, and the token's tenant and employer are the row's: a token
signed for another employer or tenant, a tampered one, an expired or a revoked one is refused
with a ``LinkError`` whose reason the error page explains."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from internships.supervisor.links import LinkError
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import utcnow

from .models import EmployerContact, EmployerLink

SALT = "career-credit.employer-portal"

REVOKED_MESSAGES = {
    "withdrawn": "The career center withdrew this link.",
    "contact_removed": "This link was sent to someone the career center no longer lists as a "
    "contact of the employer.",
}


class EmployerLinkError(LinkError):
    """An employer link that cannot be used (its own error page: it names the employer's page,
    not a supervisor's)."""


@dataclass(frozen=True)
class EmployerGrant:
    """What a verified employer link allows: the page of one employer of one tenant."""

    jti: str
    tenant_id: int
    employer_id: int
    contact_id: int
    email: str
    name: str

    def actor(self) -> Actor:
        """The employer contact behind the link, in its tenant (never their address: the audit
        trail names the link and the contact's id)."""
        who = f"employer link {self.jti[:8]} (contact {self.contact_id})"
        return Actor.link(self.tenant_id, who)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def max_age_seconds() -> int:
    days = current_app.config["EMPLOYER_LINK_MAX_AGE_DAYS"]
    return int(float(days) * 86400)


def issue_employer_link(actor: Actor, contact: EmployerContact) -> str:
    """A new signed token to ``contact``'s employer's page, recorded (flushed) in the actor's
    tenant."""
    if contact.tenant_id != actor.tenant:
        raise ValueError("the contact is not of the actor's tenant")
    jti = secrets.token_urlsafe(24)
    db.session.add(
        EmployerLink(
            jti=jti,
            tenant_id=contact.tenant_id,
            employer_id=contact.employer_id,
            contact_id=contact.id,
            email=contact.email,
            issued_by=actor.name,
            expires_at=utcnow() + dt.timedelta(seconds=max_age_seconds()),
        )
    )
    db.session.flush()
    payload = {"j": jti, "t": contact.tenant_id, "e": contact.employer_id}
    return _serializer().dumps(payload)


def _payload(token: str) -> dict[str, object]:
    try:
        data = _serializer().loads(token, max_age=max_age_seconds())
    except SignatureExpired as exc:
        raise EmployerLinkError("This link has expired.", reason="expired") from exc
    except BadSignature as exc:
        raise EmployerLinkError("This link is not valid.", reason="invalid") from exc
    if not isinstance(data, dict) or not {"j", "t", "e"} <= data.keys():
        raise EmployerLinkError("This link is not valid.", reason="invalid")
    return data


def open_employer_link(token: str) -> EmployerGrant:
    """The grant of a valid, unexpired, unrevoked employer link whose contact is still the
    employer's; else LinkError (reason invalid, expired or revoked)."""
    data = _payload(token)
    row = db.session.scalar(select(EmployerLink).where(EmployerLink.jti == str(data["j"])))
    if row is None or row.tenant_id != data["t"] or row.employer_id != data["e"]:
        raise EmployerLinkError("This link is not valid.", reason="invalid")
    if row.revoked_at is not None:
        message = REVOKED_MESSAGES.get(row.revoked_reason or "", REVOKED_MESSAGES["withdrawn"])
        raise EmployerLinkError(message, reason="revoked")
    if row.expires_at <= utcnow():
        raise EmployerLinkError("This link has expired.", reason="expired")
    contact = db.session.get(EmployerContact, row.contact_id)
    if (
        contact is None
        or contact.removed_at is not None
        or contact.employer_id != row.employer_id
        or contact.tenant_id != row.tenant_id
    ):
        raise EmployerLinkError(REVOKED_MESSAGES["contact_removed"], reason="revoked")
    return EmployerGrant(
        row.jti, row.tenant_id, row.employer_id, row.contact_id, contact.email, contact.name
    )


def link_tenant(token: str) -> int | None:
    """The tenant a token names (signature checked, expiry ignored), for the page that says
    whom to ask."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if isinstance(data, dict) and isinstance(data.get("t"), int):
        return int(data["t"])
    return None


def revoke_links(tenant_id: int, reason: str, *where: object) -> int:
    """Revoke the tenant's open employer links that match ``where``; returns how many."""
    result = db.session.execute(
        update(EmployerLink)
        .where(
            EmployerLink.tenant_id == tenant_id,
            EmployerLink.revoked_at.is_(None),
            *where,  # type: ignore[arg-type]
        )
        .values(revoked_at=utcnow(), revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
