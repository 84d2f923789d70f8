"""Tenants, platform registrations and deployments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from ..errors import AppError, NotFoundError
from ..extensions import db
from ..models import Deployment, Registration, Tenant, utcnow
from . import audit

CANVAS_PRESET = {
    "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
    "auth_token_url": "https://sso.canvaslms.com/login/oauth2/token",
    "key_set_url": "https://sso.canvaslms.com/api/lti/security/jwks",
    "issuer": "https://canvas.instructure.com",
}


class RegistrationError(AppError):
    """A registration request that cannot be carried out as given."""


@dataclass(frozen=True)
class PlatformSpec:
    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    deployment_ids: tuple[str, ...] = ()
    strict_deployments: bool = False
    tenant: str | None = None


def _check_url(label: str, value: str, *, allow_http: bool) -> None:
    parts = urlsplit(value or "")
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.netloc:
        raise RegistrationError(
            f"{label} must be an absolute {' or '.join(schemes)} URL, got {value!r}."
        )


def apply_preset(preset: str | None, moodle_url: str | None, **given: str | None) -> dict:
    """Fill the endpoint URLs a preset knows; explicit values win."""
    values = {k: v for k, v in given.items() if v}
    if preset == "canvas":
        for key, url in CANVAS_PRESET.items():
            values.setdefault(key, url)
    elif preset == "moodle":
        if not moodle_url:
            raise RegistrationError("The moodle preset needs --moodle-url (the site's address).")
        base = moodle_url.rstrip("/")
        values.setdefault("issuer", base)
        values.setdefault("auth_login_url", f"{base}/mod/lti/auth.php")
        values.setdefault("auth_token_url", f"{base}/mod/lti/token.php")
        values.setdefault("key_set_url", f"{base}/mod/lti/certs.php")
    elif preset:
        raise RegistrationError(f"Unknown preset {preset!r}: use canvas or moodle.")
    return values


def add_platform(spec: PlatformSpec, actor: str, *, allow_http: bool = False) -> Registration:
    """Register a platform (issuer + client id) for a new or named tenant."""
    for label, url in (
        ("issuer", spec.issuer),
        ("auth login URL", spec.auth_login_url),
        ("auth token URL", spec.auth_token_url),
        ("key set URL", spec.key_set_url),
    ):
        _check_url(label, url, allow_http=allow_http)
    if not spec.client_id.strip():
        raise RegistrationError("The client id must not be empty.")
    existing = db.session.scalar(
        select(Registration).where(
            Registration.issuer == spec.issuer, Registration.client_id == spec.client_id
        )
    )
    if existing is not None:
        raise RegistrationError(
            f"{spec.issuer} with client id {spec.client_id} is already "
            f"registered (tenant {existing.tenant.name!r})."
        )
    tenant_name = spec.tenant or spec.name
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == tenant_name))
    if spec.tenant and tenant is None:
        raise RegistrationError(
            f"There is no tenant named {spec.tenant!r}; leave --tenant out "
            "to create one named after the registration."
        )
    if tenant is None:
        tenant = Tenant(name=tenant_name, settings={"institution_admin_is_tool_admin": True})
        db.session.add(tenant)
        db.session.flush()
        audit.record(actor, "tenant.create", tenant.id, name=tenant.name)
    reg = Registration(
        tenant=tenant,
        name=spec.name,
        issuer=spec.issuer,
        client_id=spec.client_id,
        auth_login_url=spec.auth_login_url,
        auth_token_url=spec.auth_token_url,
        key_set_url=spec.key_set_url,
        strict_deployments=spec.strict_deployments,
    )
    db.session.add(reg)
    db.session.flush()
    for dep_id in dict.fromkeys(spec.deployment_ids):
        db.session.add(
            Deployment(
                registration_id=reg.id,
                tenant_id=tenant.id,
                deployment_id=dep_id,
                status="active",
                approved_at=utcnow(),
            )
        )
    audit.record(
        actor,
        "registration.add",
        tenant.id,
        issuer=spec.issuer,
        client_id=spec.client_id,
        deployments=list(spec.deployment_ids),
        strict=spec.strict_deployments,
    )
    db.session.flush()
    return reg


def find_registration(issuer: str, client_id: str) -> Registration:
    reg = db.session.scalar(
        select(Registration).where(
            Registration.issuer == issuer, Registration.client_id == client_id
        )
    )
    if reg is None:
        raise NotFoundError(f"No registration for issuer {issuer} and client id {client_id}.")
    return reg


def remove_platform(issuer: str, client_id: str, actor: str) -> None:
    """Remove a registration and its deployments; the tenant and its data stay."""
    reg = find_registration(issuer, client_id)
    audit.record(actor, "registration.remove", reg.tenant_id, issuer=issuer, client_id=client_id)
    db.session.delete(reg)
    db.session.flush()


def approve_deployment(registration: Registration, deployment_id: str, actor: str) -> Deployment:
    """Let a deployment id launch (pending ones, or one announced before its first launch)."""
    dep = db.session.scalar(
        select(Deployment).where(
            Deployment.registration_id == registration.id, Deployment.deployment_id == deployment_id
        )
    )
    if dep is None:
        dep = Deployment(
            registration_id=registration.id,
            tenant_id=registration.tenant_id,
            deployment_id=deployment_id,
        )
        db.session.add(dep)
    dep.status = "active"
    dep.approved_at = utcnow()
    audit.record(
        actor,
        "deployment.approve",
        registration.tenant_id,
        issuer=registration.issuer,
        client_id=registration.client_id,
        deployment_id=deployment_id,
    )
    db.session.flush()
    return dep


# Hosted Canvas: one issuer for every school, whose pages live on <school>.instructure.com.
CANVAS_ISSUERS = {
    "https://canvas.instructure.com",
    "https://canvas.beta.instructure.com",
    "https://canvas.test.instructure.com",
}


def _origins(rows: list[Any]) -> list[str]:
    origins: dict[str, None] = {}
    for issuer, login, settings in rows:
        for url in (issuer, login, *((settings or {}).get("frame_origins") or [])):
            parts = urlsplit(str(url))
            if parts.scheme and parts.netloc:
                origins[f"{parts.scheme}://{parts.netloc}"] = None
        if issuer in CANVAS_ISSUERS:
            origins["https://*.instructure.com"] = None
    return list(origins)


def platform_origins(tenant_id: int) -> list[str]:
    """Origins of a tenant's platforms (plus the tenant's ``frame_origins`` setting, for an LMS
    on its own domain): the only sites allowed to frame the tool's pages."""
    rows = db.session.execute(
        select(Registration.issuer, Registration.auth_login_url, Tenant.settings)
        .join(Tenant, Tenant.id == Registration.tenant_id)
        .where(Registration.tenant_id == tenant_id)
    ).all()
    return _origins(list(rows))


def issuer_origins(issuer: str) -> list[str]:
    """Frame origins of every tenant registered with this issuer (the login and launch
    exchange happens before the tenant is known)."""
    tenants = select(Registration.tenant_id).where(Registration.issuer == issuer)
    rows = db.session.execute(
        select(Registration.issuer, Registration.auth_login_url, Tenant.settings)
        .join(Tenant, Tenant.id == Registration.tenant_id)
        .where(Registration.tenant_id.in_(tenants))
    ).all()
    return _origins(list(rows))
