"""What tool administrators read and change, always inside one tenant.

Every function takes the tenant id (and, for changes, the actor) explicitly; changes are
audited and flushed, and the caller commits once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..errors import NotFoundError, PolicyViolationError
from ..extensions import db
from ..keys import published_keys
from ..models import AdvisorGrant, AuditEntry, Deployment, Registration, Tenant, User, utcnow
from ..services import audit
from ..services.registrations import approve_deployment

RECENT_AUDIT_ENTRIES = 20


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    created_at: dt.datetime
    signing_from: dt.datetime
    signs_now: bool


@dataclass(frozen=True)
class TenantSettings:
    time_zone: str
    advisor_claim_name: str
    advisor_claim_value: str
    institution_admin_is_tool_admin: bool


def get_tenant(tenant_id: int) -> Tenant:
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFoundError("This institution is no longer registered with Career Credit.")
    return tenant


def list_registrations(tenant_id: int) -> list[Registration]:
    """The tenant's platform registrations with their deployments loaded."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.tenant_id == tenant_id)
            .options(selectinload(Registration.deployments))
            .order_by(Registration.name, Registration.id)
        )
    )


def approve_pending_deployment(tenant_id: int, deployment_pk: int, actor: str) -> Deployment:
    """Approve one of the tenant's deployments; approving an active one changes nothing."""
    dep = db.session.scalar(
        select(Deployment).where(Deployment.id == deployment_pk, Deployment.tenant_id == tenant_id)
    )
    if dep is None:
        raise NotFoundError("There is no such deployment at your institution.")
    if dep.status == "active":
        return dep
    return approve_deployment(dep.registration, dep.deployment_id, actor)


def list_keys(now: dt.datetime | None = None) -> list[KeyInfo]:
    """The tool's published keys and which one signs now (the rule of ``keys.signing_key``,
    without creating a key as a side effect of reading a page)."""
    now = now or utcnow()
    keys = published_keys()
    ready = [k for k in keys if k.signing_from <= now]
    signer = max(ready, key=lambda k: k.signing_from) if ready else (keys[0] if keys else None)
    return [KeyInfo(k.kid, k.created_at, k.signing_from, k is signer) for k in keys]


def recent_audit(tenant_id: int, limit: int = RECENT_AUDIT_ENTRIES) -> list[AuditEntry]:
    """The tenant's latest audit entries, newest first."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.tenant_id == tenant_id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
    )


def list_advisor_grants(tenant_id: int) -> list[tuple[AdvisorGrant, User]]:
    """Advisor grants of the tenant with the person each names."""
    rows = db.session.execute(
        select(AdvisorGrant, User)
        .join(User, User.id == AdvisorGrant.user_id)
        .where(AdvisorGrant.tenant_id == tenant_id, User.tenant_id == tenant_id)
        .order_by(User.name, User.email, User.id)
    ).all()
    return [(grant, user) for grant, user in rows]


def grantable_users(tenant_id: int) -> list[User]:
    """People of the tenant who have launched the tool and are not advisors yet."""
    granted = select(AdvisorGrant.user_id).where(AdvisorGrant.tenant_id == tenant_id)
    return list(
        db.session.scalars(
            select(User)
            .where(User.tenant_id == tenant_id, User.id.not_in(granted))
            .order_by(User.name, User.email, User.id)
        )
    )


def grant_advisor(tenant_id: int, user_id: int, actor: str) -> AdvisorGrant:
    """Grant the career-advisor role to a person of the tenant (from their next launch)."""
    user = db.session.scalar(select(User).where(User.id == user_id, User.tenant_id == tenant_id))
    if user is None:
        raise NotFoundError(
            "That person is not known at your institution: they must open "
            "Career Credit from the LMS once first."
        )
    exists = db.session.scalar(
        select(AdvisorGrant.id).where(
            AdvisorGrant.tenant_id == tenant_id, AdvisorGrant.user_id == user_id
        )
    )
    if exists is not None:
        raise PolicyViolationError(f"{user.name or user.email} is already a career advisor.")
    grant = AdvisorGrant(tenant_id=tenant_id, user_id=user.id, granted_by=actor[:255])
    db.session.add(grant)
    audit.record(
        actor, "advisor.grant", tenant_id, user_id=user.id, name=user.name, email=user.email
    )
    db.session.flush()
    return grant


def revoke_advisor(tenant_id: int, grant_id: int, actor: str) -> None:
    """Remove an advisor grant of the tenant (effective from the person's next launch)."""
    row = db.session.execute(
        select(AdvisorGrant, User)
        .join(User, User.id == AdvisorGrant.user_id)
        .where(AdvisorGrant.id == grant_id, AdvisorGrant.tenant_id == tenant_id)
    ).first()
    if row is None:
        raise NotFoundError("There is no such advisor grant at your institution.")
    grant, user = row
    audit.record(
        actor, "advisor.revoke", tenant_id, user_id=user.id, name=user.name, email=user.email
    )
    db.session.delete(grant)
    db.session.flush()


def current_settings(tenant: Tenant) -> TenantSettings:
    """The tenant's settings as the form shows them (defaults as ``roles.decide`` reads them)."""
    settings = tenant.settings or {}
    rule = settings.get("advisor_claim") or {}
    return TenantSettings(
        time_zone=tenant.time_zone,
        advisor_claim_name=str(rule.get("name") or ""),
        advisor_claim_value=str(rule.get("value") or "") if rule.get("name") else "",
        institution_admin_is_tool_admin=bool(settings.get("institution_admin_is_tool_admin", True)),
    )


def update_settings(tenant_id: int, new: TenantSettings, actor: str) -> bool:
    """Save the tenant's time zone and role rules; audits old and new values. Returns False
    (and records nothing) when nothing changed."""
    tenant = get_tenant(tenant_id)
    old = current_settings(tenant)
    if old == new:
        return False
    settings: dict[str, Any] = dict(tenant.settings or {})
    settings.pop("advisor_claim", None)
    if new.advisor_claim_name:
        settings["advisor_claim"] = {
            "name": new.advisor_claim_name,
            "value": new.advisor_claim_value,
        }
    settings["institution_admin_is_tool_admin"] = new.institution_admin_is_tool_admin
    tenant.settings = settings  # a new dict: the JSON column does not track in-place changes
    tenant.time_zone = new.time_zone
    audit.record(actor, "tenant.settings", tenant_id, old=_as_dict(old), new=_as_dict(new))
    db.session.flush()
    return True


def _as_dict(s: TenantSettings) -> dict[str, Any]:
    return {
        "time_zone": s.time_zone,
        "advisor_claim": (
            {"name": s.advisor_claim_name, "value": s.advisor_claim_value}
            if s.advisor_claim_name
            else None
        ),
        "institution_admin_is_tool_admin": s.institution_admin_is_tool_admin,
    }
