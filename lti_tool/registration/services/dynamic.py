"""LTI Dynamic Registration 1.0 (1EdTech), tool side, behind one-time invitations.

The platform opens ``/registration/register?openid_configuration=…&registration_token=…``
(the operator gave the administrator the URL with ``invite=…``). The tool fetches the platform's
OpenID configuration, validates it, and — once the administrator confirms — POSTs its
registration to the platform and records the returned client id on the invitation's tenant.
Services here never read the request: views pass the tool's URLs and the invitation token in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ...actor import Actor
from ...extensions import db
from ...lti import frame_origins
from ...models import Registration, Tenant
from ...services import audit
from .. import kits
from ..models import RegistrationInvitation
from . import tenants as regs
from .configuration import (
    SHARED_ISSUERS,
    PlatformConfiguration,
    PlatformRegistration,
    build_tool_registration,
    parse_registration_response,
    requested_scopes,
    validate_configuration,
)
from .errors import DynamicRegistrationError, InvitationError
from .invitations import claim_invitation, find_invitation, key_set_id
from .platform import call_platform, fetch_openid_configuration


@dataclass(frozen=True)
class RegistrationPreview:
    """What the administrator confirms: the platform, the tenant, and the tool's registration."""

    invitation: RegistrationInvitation
    platform: PlatformConfiguration
    tenant_label: str
    registration: dict[str, Any]
    missing_scopes: tuple[str, ...]


@dataclass(frozen=True)
class RegistrationOutcome:
    """The stored registration and whether it was new or an update."""

    registration: Registration
    created: bool
    deployment_id: str | None


def _tenant_label(invitation: RegistrationInvitation, platform: PlatformConfiguration) -> str:
    if invitation.tenant_id is not None:
        tenant = db.session.get(Tenant, invitation.tenant_id)
        return f"{tenant.name if tenant else invitation.tenant_id} (existing)"
    return f"{invitation.new_tenant_name or platform.display_name} (new)"


def _refuse_fork(invitation: RegistrationInvitation, platform: PlatformConfiguration) -> None:
    """An invitation for a new tenant may not register an issuer that a tenant already has: that
    would split one institution's data in two. Shared issuers (hosted Canvas) are exempt."""
    if invitation.tenant_id is not None or platform.issuer in SHARED_ISSUERS:
        return
    owner = db.session.scalar(
        select(Tenant.name)
        .join(Registration, Registration.tenant_id == Tenant.id)
        .where(Registration.issuer == platform.issuer)
        .limit(1)
    )
    if owner is not None:
        raise DynamicRegistrationError(
            f"{platform.issuer} is already registered for the tenant {owner!r}. This link would "
            "create a second tenant for it.",
            reason="would_fork_tenant",
            hint=f"Ask the operator for a link for that tenant "
            f"(flask --app lti_tool registration invite --tenant {owner!r}).",
        )


def preview_registration(
    invite_token: str | None,
    configuration_url: str | None,
    registration_token: str | None,
    urls: kits.ToolUrls,
    *,
    allow_private: bool,
) -> RegistrationPreview:
    """Check the invitation, fetch and validate the platform's configuration, and show what
    will be registered. Stores nothing."""
    invitation = find_invitation(invite_token)
    if not configuration_url:
        raise DynamicRegistrationError(
            "The request has no openid_configuration parameter: start the registration from the "
            "LMS (Register by URL / Dynamic Registration) rather than opening this link directly.",
            reason="no_configuration_url",
        )
    document = fetch_openid_configuration(
        configuration_url, registration_token, allow_private=allow_private
    )
    platform = validate_configuration(document, configuration_url, allow_private=allow_private)
    _refuse_fork(invitation, platform)
    return RegistrationPreview(
        invitation=invitation,
        platform=platform,
        tenant_label=_tenant_label(invitation, platform),
        registration=build_tool_registration(platform, urls.for_tenant(key_set_id(invitation))),
        missing_scopes=tuple(s for s in kits.SCOPES if s not in requested_scopes(platform)),
    )


def _unique_tenant_name(name: str) -> str:
    candidate, n = name, 1
    while db.session.scalar(select(Tenant.id).where(Tenant.name == candidate)) is not None:
        n += 1
        candidate = f"{name[:190]} ({n})"
    return candidate


def _existing_registration(
    invitation: RegistrationInvitation,
    platform: PlatformConfiguration,
    answer: PlatformRegistration,
) -> Registration | None:
    """The registration the answer updates (same issuer and client id), if any; a client id of
    another tenant, or one another registration uses at the same token endpoint, is refused."""
    existing = db.session.scalar(
        select(Registration).where(
            Registration.issuer == platform.issuer, Registration.client_id == answer.client_id
        )
    )
    if existing is not None and invitation.tenant_id not in (None, existing.tenant_id):
        raise DynamicRegistrationError(
            f"{platform.issuer} client id {answer.client_id} is already registered for another "
            "institution; a client id belongs to one registration only. Nothing was changed.",
            reason="client_of_other_tenant",
            hint="Create a new LTI key (registration) in the LMS, or ask the operator.",
        )
    try:
        regs.refuse_duplicate_client(
            platform.issuer, answer.client_id, platform.token_endpoint, keep=existing
        )
    except regs.RegistrationError as exc:
        raise DynamicRegistrationError(exc.message, hint=exc.hint, reason=exc.reason) from exc
    return existing


def _update_registration(
    registration: Registration,
    platform: PlatformConfiguration,
    answer: PlatformRegistration,
    actor: Actor,
) -> None:
    """A re-registration of the same client: the platform's endpoints as it now names them."""
    registration.auth_login_url = platform.authorization_endpoint
    registration.auth_token_url = platform.token_endpoint
    registration.key_set_url = platform.jwks_uri
    audit.record(
        actor,
        "registration.update",
        registration.tenant_id,
        issuer=platform.issuer,
        client_id=answer.client_id,
        via="dynamic registration",
    )


def _new_registration(
    invitation: RegistrationInvitation,
    platform: PlatformConfiguration,
    answer: PlatformRegistration,
    actor: Actor,
    *,
    allow_http: bool,
) -> Registration:
    """A new client on the invitation's tenant, or on a new tenant when the invitation says so."""
    tenant_name: str
    if invitation.tenant_id is not None:
        tenant = db.session.get(Tenant, invitation.tenant_id)
        if tenant is None:
            raise InvitationError(
                "The invitation's tenant no longer exists.", reason="invite_tenant_gone"
            )
        tenant_name = tenant.name
    else:
        tenant_name = _unique_tenant_name(invitation.new_tenant_name or platform.display_name)
        regs.create_tenant(actor, tenant_name, key_set_id=key_set_id(invitation))
    try:
        return regs.add_platform(
            actor,
            regs.PlatformSpec(
                name=platform.display_name,
                issuer=platform.issuer,
                client_id=answer.client_id,
                auth_login_url=platform.authorization_endpoint,
                auth_token_url=platform.token_endpoint,
                key_set_url=platform.jwks_uri,
                tenant=tenant_name,
            ),
            allow_http=allow_http,
            name_owner=False,  # the LMS administrator of another institution reads this
        )
    except regs.RegistrationError as exc:
        reason = exc.reason if exc.reason == "duplicate_client" else "registration_invalid"
        raise DynamicRegistrationError(exc.message, hint=exc.hint, reason=reason) from exc


def store_registration(
    invitation: RegistrationInvitation,
    platform: PlatformConfiguration,
    answer: PlatformRegistration,
    *,
    allow_http: bool,
) -> RegistrationOutcome:
    """Record the platform's answer on the invitation's tenant and use up the invitation: the
    same issuer + client id updates the existing registration, a new client id is added to the
    tenant, and a new tenant is made only when the invitation says so."""
    actor = Actor(
        invitation.tenant_id,
        f"dynamic registration (invitation {invitation.id} from {invitation.created_by})",
    )
    existing = _existing_registration(invitation, platform, answer)
    claim_invitation(invitation)
    created = existing is None
    if existing is not None:
        registration = existing
        _update_registration(registration, platform, answer, actor)
    else:
        registration = _new_registration(invitation, platform, answer, actor, allow_http=allow_http)
    if answer.deployment_id and answer.deployment_id not in {
        d.deployment_id for d in registration.deployments
    }:
        regs.approve_deployment(actor, registration, answer.deployment_id)
    invitation.registration_id = registration.id
    audit.record(
        actor,
        "registration.dynamic",
        registration.tenant_id,
        invitation=invitation.id,
        issuer=platform.issuer,
        client_id=answer.client_id,
        deployment_id=answer.deployment_id,
        product=platform.product_family_code,
        created=created,
    )
    db.session.flush()
    return RegistrationOutcome(registration, created, answer.deployment_id)


def register_with_platform(
    invite_token: str | None,
    configuration_url: str | None,
    registration_token: str | None,
    urls: kits.ToolUrls,
    *,
    allow_private: bool,
) -> RegistrationOutcome:
    """The confirmed exchange: re-validate everything, POST the tool's registration with the
    registration token as Bearer, and store the answer. The caller commits; on any error it
    rolls back and nothing is stored."""
    preview = preview_registration(
        invite_token, configuration_url, registration_token, urls, allow_private=allow_private
    )
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    answer = call_platform(
        "POST",
        preview.platform.registration_endpoint,
        "registration answer",
        allow_private=allow_private,
        data=json.dumps(preview.registration),
        headers=headers,
    )
    outcome = store_registration(
        preview.invitation,
        preview.platform,
        parse_registration_response(answer, urls),
        allow_http=allow_private,
    )
    # The openid_configuration address is on the LMS's own domain (Canvas serves it on the
    # institution's): its pages there may frame the tool.
    frame_origins.learn_from_registration(
        Actor(
            outcome.registration.tenant_id,
            f"dynamic registration (invitation {preview.invitation.id})",
        ),
        outcome.registration,
        str(configuration_url),
    )
    db.session.flush()
    return outcome
