"""One-time registration invitations: made by the operator for an existing or a new tenant,
stored only hashed, used up atomically by the registration they allow."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update

from ...actor import Actor
from ...extensions import db
from ...models import Tenant, new_key_set_id, utcnow
from ...services import audit
from .. import kits
from ..models import RegistrationInvitation
from .errors import DynamicRegistrationError, InvitationError

DEFAULT_INVITATION_HOURS = 7 * 24


def hash_token(token: str) -> str:
    """The stored form of an invitation token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(
    actor: Actor,
    *,
    tenant_name: str | None = None,
    new_tenant_name: str | None = None,
    hours: float = DEFAULT_INVITATION_HOURS,
) -> tuple[RegistrationInvitation, str]:
    """Create a one-time invitation for the actor's tenant (an operator, installation-wide, may
    name one) or for a new one; returns it with the token, which is shown once and stored only
    hashed."""
    if hours <= 0:
        raise DynamicRegistrationError("An invitation must be valid for some time (hours > 0).")
    tenant: Tenant | None = None
    if actor.tenant_id is not None:
        tenant = db.session.get(Tenant, actor.tenant_id)
    elif tenant_name:
        tenant = db.session.scalar(select(Tenant).where(Tenant.name == tenant_name))
    if (actor.tenant_id is not None or tenant_name) and tenant is None:
        raise DynamicRegistrationError(
            f"There is no tenant {tenant_name or actor.tenant_id!r}; leave the tenant out to let "
            "the registration create a new one."
        )
    if new_tenant_name:
        if tenant is not None:
            raise DynamicRegistrationError("Name either an existing tenant or a new one, not both.")
        if db.session.scalar(select(Tenant.id).where(Tenant.name == new_tenant_name)):
            raise DynamicRegistrationError(
                f"A tenant named {new_tenant_name!r} exists already; invite for it with --tenant."
            )
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation = RegistrationInvitation(
        token_hash=hash_token(token),
        tenant_id=tenant.id if tenant else None,
        new_tenant_name=new_tenant_name or None,
        new_tenant_key_set_id=None if tenant else new_key_set_id(),
        created_by=actor.name,
        created_at=now,
        expires_at=now + dt.timedelta(hours=hours),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        actor,
        "registration.invite",
        invitation.tenant_id,
        invitation=invitation.id,
        expires_at=invitation.expires_at.isoformat(),
        new_tenant=invitation.new_tenant_name,
    )
    return invitation, token


def registration_url(urls: kits.ToolUrls, token: str) -> str:
    """The URL the LMS administrator pastes into the LMS."""
    return f"{urls.register}?invite={token}"


def find_invitation(token: str | None) -> RegistrationInvitation:
    """The usable invitation for a token, or an ``InvitationError`` saying why not."""
    if not token:
        raise InvitationError(
            "This registration link has no invitation: Career Credit only registers with a "
            "link its operator created.",
            reason="invite_missing",
        )
    invitation = db.session.scalar(
        select(RegistrationInvitation).where(RegistrationInvitation.token_hash == hash_token(token))
    )
    if invitation is None:
        raise InvitationError(
            "This registration link's invitation is unknown.", reason="invite_unknown"
        )
    if invitation.used_at is not None:
        raise InvitationError(
            "This registration link has been used already; each link registers once.",
            reason="invite_used",
        )
    if invitation.expires_at <= utcnow():
        raise InvitationError(
            f"This registration link expired on {invitation.expires_at:%Y-%m-%d %H:%M} UTC.",
            reason="invite_expired",
        )
    return invitation


def claim_invitation(invitation: RegistrationInvitation) -> None:
    """Mark the invitation used, atomically: of two concurrent registrations only one wins."""
    now = utcnow()
    result = db.session.execute(
        update(RegistrationInvitation)
        .where(
            RegistrationInvitation.id == invitation.id,
            RegistrationInvitation.used_at.is_(None),
            RegistrationInvitation.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise InvitationError(
            "This registration link was used by another registration a moment ago.",
            reason="invite_used",
        )
    invitation.used_at = now


def tenant_key_set_id(tenant_id: int) -> str:
    """The tenant's key-set id (its JWKS URL is /lti/jwks/<key_set_id>)."""
    found = db.session.scalar(select(Tenant.key_set_id).where(Tenant.id == tenant_id))
    if found is None:
        raise InvitationError("This institution is no longer registered.", reason="no_tenant")
    return found


def key_set_id(invitation: RegistrationInvitation) -> str:
    """The key-set id of the tenant the invitation registers for (the existing tenant's, or
    the one the new tenant will get): the tool's registration names that tenant's JWKS URL."""
    if invitation.tenant_id is not None:
        tenant = db.session.get(Tenant, invitation.tenant_id)
        if tenant is None:
            raise InvitationError(
                "The invitation's tenant no longer exists.", reason="invite_tenant_gone"
            )
        return tenant.key_set_id
    if not invitation.new_tenant_key_set_id:  # an invitation made before keys were per tenant
        invitation.new_tenant_key_set_id = new_key_set_id()
    return invitation.new_tenant_key_set_id
