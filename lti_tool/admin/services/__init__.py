"""What tool administrators read and change, always inside one tenant (the connections' own
services: ``connections``; advisors and their grants: ``advisors``).

Reads take the tenant id; changes take the ``Actor`` first and act in its tenant. Changes are
audited and flushed, and the caller commits once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, bindparam, select, update
from sqlalchemy.orm import selectinload

from ...actor import Actor
from ...errors import NotFoundError
from ...extensions import db
from ...keys import published_keys
from ...models import (
    AdvisorGrant,
    AuditEntry,
    Deployment,
    Launch,
    Registration,
    Tenant,
    utcnow,
)
from ...registration.services.tenants import approve_deployment
from ...services import audit
from ...tenants import get_tenant

RECENT_AUDIT_ENTRIES = 20
# A deployment id first seen by a launch within this many days, and not yet acknowledged by an
# administrator, is listed as new on the admin overview.
NEW_DEPLOYMENT_DAYS = 30


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    created_at: dt.datetime
    signing_from: dt.datetime
    signs_now: bool
    legacy: bool = False  # one of the installation's keys (/lti/jwks), not the tenant's own


@dataclass(frozen=True)
class TenantSettings:
    time_zone: str
    advisor_claim_name: str
    advisor_claim_value: str
    institution_admin_is_tool_admin: bool


# The admin pages' reads, built once and bound per tenant (building them cost each page more
# than running them).
_REGISTRATIONS = (
    select(Registration)
    .where(Registration.tenant_id == bindparam("t"))
    .options(selectinload(Registration.deployments))
    .order_by(Registration.name, Registration.id)
)
_RECENT_AUDIT = (
    select(AuditEntry)
    .where(AuditEntry.tenant_id == bindparam("t"))
    .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    .limit(bindparam("n", type_=Integer))
)


def list_registrations(tenant_id: int) -> list[Registration]:
    """The tenant's platform registrations with their deployments loaded."""
    return list(db.session.scalars(_REGISTRATIONS, {"t": tenant_id}))


def _deployment(tenant_id: int, deployment_pk: int) -> Deployment:
    dep = db.session.scalar(
        select(Deployment).where(Deployment.id == deployment_pk, Deployment.tenant_id == tenant_id)
    )
    if dep is None:
        raise NotFoundError("There is no such deployment at your institution.")
    return dep


def approve_pending_deployment(actor: Actor, deployment_pk: int) -> Deployment:
    """Approve one of the tenant's deployments; approving an active one changes nothing."""
    dep = _deployment(actor.tenant, deployment_pk)
    if dep.status == "active":
        return dep
    return approve_deployment(actor, dep.registration, dep.deployment_id)


def new_deployments(
    tenant_id: int,
    days: int = NEW_DEPLOYMENT_DAYS,
    now: dt.datetime | None = None,
    registrations: list[Registration] | None = None,
) -> list[Deployment]:
    """Deployment ids of the tenant that a launch recorded in the last ``days`` days and no
    administrator has acknowledged, newest first; from ``registrations`` (the tenant's, with
    their deployments: ``list_registrations``) when the caller read them already."""
    since = (now or utcnow()) - dt.timedelta(days=days)
    if registrations is not None:
        found = [
            dep
            for reg in registrations
            for dep in reg.deployments
            if dep.tenant_id == tenant_id
            and dep.first_seen_by_launch
            and dep.acknowledged_at is None
            and dep.first_seen_at >= since
        ]
        return sorted(found, key=lambda dep: (dep.first_seen_at, dep.id), reverse=True)
    return list(
        db.session.scalars(
            select(Deployment)
            .options(selectinload(Deployment.registration))
            .where(
                Deployment.tenant_id == tenant_id,
                Deployment.first_seen_by_launch.is_(True),
                Deployment.acknowledged_at.is_(None),
                Deployment.first_seen_at >= since,
            )
            .order_by(Deployment.first_seen_at.desc(), Deployment.id.desc())
        )
    )


def acknowledge_deployment(actor: Actor, deployment_pk: int) -> Deployment:
    """An administrator has seen a new deployment id (it stops being listed as new); audited.
    Acknowledging does not approve a pending one."""
    dep = _deployment(actor.tenant, deployment_pk)
    if dep.acknowledged_at is None:
        dep.acknowledged_at, dep.acknowledged_by = utcnow(), actor.name
        audit.record(
            actor,
            "deployment.acknowledge",
            issuer=dep.registration.issuer,
            client_id=dep.registration.client_id,
            deployment_id=dep.deployment_id,
            status=dep.status,
        )
        db.session.flush()
    return dep


def set_strict_deployments(actor: Actor, registration_id: int, strict: bool) -> Registration:
    """Switch a registration's new deployment ids between waiting for approval (strict) and
    launching at once; audited."""
    reg = db.session.scalar(
        select(Registration).where(
            Registration.id == registration_id, Registration.tenant_id == actor.tenant
        )
    )
    if reg is None:
        raise NotFoundError("There is no such platform registration at your institution.")
    if reg.strict_deployments != strict:
        reg.strict_deployments = strict
        audit.record(
            actor,
            "registration.strict_deployments",
            issuer=reg.issuer,
            client_id=reg.client_id,
            strict=strict,
        )
        db.session.flush()
    return reg


def end_launches(tenant_id: int, *where: Any) -> int:
    """End the tenant's open launches that match ``where`` (their next request gets the
    "session ended" page that says an administrator changed their role); returns how many."""
    now = utcnow()
    result = db.session.execute(
        update(Launch)
        .where(Launch.tenant_id == tenant_id, Launch.expires_at > now, *where)
        .values(expires_at=now, revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def list_keys(tenant_id: int, now: dt.datetime | None = None) -> list[KeyInfo]:
    """The tenant's own published keys and which one signs now (the rule of
    ``keys.signing_key``, without creating a key as a side effect of reading a page); while the
    tenant still signs with the installation's legacy keys, those are listed too."""
    now = now or utcnow()
    tenant = get_tenant(tenant_id)
    own = published_keys(tenant_id)
    ready = [k for k in own if k.signing_from <= now]
    legacy = tenant.legacy_keys and not ready
    signer = max(ready, key=lambda k: (k.created_at, k.id)) if ready else None
    if not legacy and signer is None and own:
        signer = own[0]
    shown = [KeyInfo(k.kid, k.created_at, k.signing_from, k is signer) for k in own]
    if legacy:
        installation = published_keys()
        ready_global = [k for k in installation if k.signing_from <= now]
        global_signer = (
            max(ready_global, key=lambda k: (k.created_at, k.id))
            if ready_global
            else (installation[0] if installation else None)
        )
        shown = [
            KeyInfo(k.kid, k.created_at, k.signing_from, k is global_signer, legacy=True)
            for k in installation
        ] + shown
    return shown


def recent_audit(tenant_id: int, limit: int = RECENT_AUDIT_ENTRIES) -> list[AuditEntry]:
    """The tenant's latest audit entries, newest first."""
    return list(db.session.scalars(_RECENT_AUDIT, {"t": tenant_id, "n": limit}))


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


def update_settings(actor: Actor, new: TenantSettings) -> bool:
    """Save the tenant's time zone and role rules; audits old and new values. Returns False
    (and records nothing) when nothing changed."""
    tenant_id = actor.tenant
    tenant = get_tenant(tenant_id)
    old = current_settings(tenant)
    if old == new:
        return False
    settings: dict[str, Any] = dict(tenant.settings or {})
    old_rule = settings.pop("advisor_claim", None)
    if new.advisor_claim_name:
        # What the form does not show (the placements a rule names, ``resource_links``, set
        # by an operator) stays as it was.
        kept = (
            {k: v for k, v in old_rule.items() if k not in ("name", "value")}
            if isinstance(old_rule, dict)
            else {}
        )
        settings["advisor_claim"] = {
            **kept,
            "name": new.advisor_claim_name,
            "value": new.advisor_claim_value,
        }
    settings["institution_admin_is_tool_admin"] = new.institution_admin_is_tool_admin
    tenant.settings = settings  # a new dict: the JSON column does not track in-place changes
    tenant.time_zone = new.time_zone
    ended = _end_launches_of_changed_rules(tenant_id, old, new)
    audit.record(
        actor,
        "tenant.settings",
        old=_as_dict(old),
        new=_as_dict(new),
        launches_ended=ended,
    )
    db.session.flush()
    return True


def _end_launches_of_changed_rules(tenant_id: int, old: TenantSettings, new: TenantSettings) -> int:
    """A changed role rule ends the open launches it may have decided: advisors without an
    explicit grant when the advisor claim changes, tool administrators when institution
    administrators stop being tool administrators."""
    ended = 0
    if (old.advisor_claim_name, old.advisor_claim_value) != (
        new.advisor_claim_name,
        new.advisor_claim_value,
    ):
        granted = select(AdvisorGrant.user_id).where(AdvisorGrant.tenant_id == tenant_id)
        ended += end_launches(tenant_id, Launch.role == "advisor", Launch.user_id.not_in(granted))
    if old.institution_admin_is_tool_admin and not new.institution_admin_is_tool_admin:
        ended += end_launches(tenant_id, Launch.is_tool_admin.is_(True))
    return ended


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
