"""Tenants, platform registrations and deployments: what an operator adds by hand (`flask
registration add`) and what a Dynamic Registration stores."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ... import keys
from ...actor import Actor
from ...errors import AppError, NotFoundError
from ...extensions import db
from ...models import Deployment, Registration, Tenant, new_key_set_id, utcnow
from ...services import audit
from ...tenants import set_up_tenant

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


def _same_endpoint(url: str) -> str:
    """A token endpoint URL compared the way a server routes it: scheme and host in lower
    case, no trailing slash, no default port."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and (parts.scheme, port) not in (("https", 443), ("http", 80)):
        host = f"{host}:{port}"
    return f"{parts.scheme.lower()}://{host}{parts.path.rstrip('/')}"


def refuse_duplicate_client(
    issuer: str,
    client_id: str,
    token_url: str,
    *,
    keep: Registration | None = None,
    name_owner: bool = False,
) -> None:
    """A client id belongs to one registration in the whole installation: refuse the same
    issuer + client id, and the same client id with the same token endpoint under another
    issuer string (the same LMS key registered twice), except for ``keep`` (an update).
    Only an operator (``name_owner``) is told which tenant holds it."""
    rows = db.session.execute(
        select(Registration, Tenant.name)
        .join(Tenant, Tenant.id == Registration.tenant_id)
        .where(Registration.client_id == client_id)
    ).all()
    wanted = _same_endpoint(token_url)
    for reg, owner in rows:
        if keep is not None and reg.id == keep.id:
            continue
        where = f" (tenant {owner!r}, registration {reg.name!r})" if name_owner else ""
        if reg.issuer == issuer:
            raise RegistrationError(
                f"{issuer} with client id {client_id} is already registered{where}. A client id "
                "belongs to one registration only; nothing was changed.",
                reason="duplicate_client",
                hint="If this is a re-install of the same LMS key, update the existing "
                "registration instead; otherwise create a new LTI key in the LMS.",
            )
        if _same_endpoint(reg.auth_token_url) == wanted:
            raise RegistrationError(
                f"Client id {client_id} is already registered with the token endpoint "
                f"{token_url}{where} under another issuer. The same LMS key cannot be "
                "registered twice; nothing was changed.",
                reason="duplicate_client",
                hint="Create a new LTI key in the LMS for this registration.",
            )


def create_tenant(actor: Actor, name: str, *, key_set_id: str | None = None) -> Tenant:
    """A new tenant with its own signing key (published at its own JWKS URL). Flushes."""
    tenant = Tenant(
        name=name,
        settings={"institution_admin_is_tool_admin": True},
        key_set_id=key_set_id or new_key_set_id(),
    )
    db.session.add(tenant)
    db.session.flush()
    audit.record(actor, "tenant.create", tenant.id, name=tenant.name)
    keys.ensure_tenant_key(tenant)
    set_up_tenant(tenant.id)
    return tenant


def _check_spec(spec: PlatformSpec, *, allow_http: bool, name_owner: bool) -> None:
    """Refuse a registration with a malformed URL, no client id, or the client of another."""
    for label, url in (
        ("issuer", spec.issuer),
        ("auth login URL", spec.auth_login_url),
        ("auth token URL", spec.auth_token_url),
        ("key set URL", spec.key_set_url),
    ):
        _check_url(label, url, allow_http=allow_http)
    if not spec.client_id.strip():
        raise RegistrationError("The client id must not be empty.")
    refuse_duplicate_client(spec.issuer, spec.client_id, spec.auth_token_url, name_owner=name_owner)


def _tenant_for(actor: Actor, spec: PlatformSpec) -> Tenant:
    """The named tenant (which must exist), or a new one named after the registration."""
    tenant_name = spec.tenant or spec.name
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == tenant_name))
    if spec.tenant and tenant is None:
        raise RegistrationError(
            f"There is no tenant named {spec.tenant!r}; leave --tenant out "
            "to create one named after the registration."
        )
    return tenant if tenant is not None else create_tenant(actor, tenant_name)


def _add_registration(spec: PlatformSpec, tenant: Tenant) -> Registration:
    """The registration row and its announced deployments (active from the start)."""
    reg = Registration(
        tenant_id=tenant.id,
        name=spec.name,
        issuer=spec.issuer,
        client_id=spec.client_id,
        auth_login_url=spec.auth_login_url,
        auth_token_url=spec.auth_token_url,
        key_set_url=spec.key_set_url,
        strict_deployments=spec.strict_deployments,
    )
    try:
        with db.session.begin_nested():  # a registration stored meanwhile by another request
            db.session.add(reg)
    except IntegrityError as exc:
        raise RegistrationError(
            f"{spec.issuer} with client id {spec.client_id} was registered meanwhile; "
            "nothing was changed.",
            reason="duplicate_client",
        ) from exc
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
    return reg


def add_platform(
    actor: Actor, spec: PlatformSpec, *, allow_http: bool = False, name_owner: bool = True
) -> Registration:
    """Register a platform (issuer + client id) for a new or named tenant."""
    _check_spec(spec, allow_http=allow_http, name_owner=name_owner)
    tenant = _tenant_for(actor, spec)
    reg = _add_registration(spec, tenant)
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


def remove_platform(actor: Actor, issuer: str, client_id: str) -> None:
    """Remove a registration and its deployments; the tenant and its data stay."""
    reg = find_registration(issuer, client_id)
    audit.record(actor, "registration.remove", reg.tenant_id, issuer=issuer, client_id=client_id)
    db.session.delete(reg)
    db.session.flush()


def approve_deployment(actor: Actor, registration: Registration, deployment_id: str) -> Deployment:
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
