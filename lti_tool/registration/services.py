"""LTI Dynamic Registration 1.0 (1EdTech), tool side, behind one-time invitations.

The platform opens ``/lti/register?openid_configuration=…&registration_token=…`` (the operator
gave the administrator the URL with ``invite=…``). The tool fetches the platform's OpenID
configuration, validates it, and — once the administrator confirms — POSTs its registration to the
platform and records the returned client id on the invitation's tenant. Services here never read
the request: views pass the tool's URLs and the invitation token in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy import select, update

from .. import netguard
from ..errors import AppError
from ..extensions import db
from ..lti import frame_origins
from ..models import Registration, Tenant, new_key_set_id, utcnow
from ..services import audit
from ..services import registrations as regs
from ..text import storable
from . import kits
from .models import RegistrationInvitation

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
CANVAS = "https://canvas.instructure.com/lti/"
RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email")
# Placements by message type: Canvas's names, and the spec's generic one for everyone else.
CANVAS_PLACEMENTS = {
    RESOURCE_LINK: ("course_navigation", "account_navigation"),
    DEEP_LINKING: ("link_selection", "assignment_selection"),
}
GENERIC_PLACEMENTS: dict[str, tuple[str, ...]] = {RESOURCE_LINK: (), DEEP_LINKING: ("ContentArea",)}
# Issuers shared by many institutions: knowing the issuer says nothing about the tenant.
SHARED_ISSUERS = frozenset(
    {
        "https://canvas.instructure.com",
        "https://canvas.beta.instructure.com",
        "https://canvas.test.instructure.com",
    }
)
MAX_DOCUMENT_BYTES = 1_000_000
DEFAULT_INVITATION_HOURS = 7 * 24


class DynamicRegistrationError(AppError):
    """The registration cannot go ahead; nothing was stored."""

    status = 400
    title = "Career Credit could not be registered"
    hint = (
        "Nothing was registered. Fix what the message says, then start the registration again "
        "from your LMS."
    )


class InvitationError(DynamicRegistrationError):
    """The registration link's invitation is missing, unknown, expired or used."""

    status = 403
    title = "This registration link cannot be used"
    hint = (
        "Ask the Career Credit operator for a new registration link "
        "(flask --app lti_tool platform invite) and paste it into your LMS."
    )


class PlatformUnreachableError(DynamicRegistrationError):
    """The platform could not be reached or did not answer usefully."""

    status = 502
    title = "Your LMS did not answer as expected"


class PlatformRefusedError(DynamicRegistrationError):
    """The platform answered the registration with an error of its own."""

    status = 502
    title = "Your LMS refused the registration"
    hint = (
        "The message above is your LMS's own. Nothing was stored in Career Credit; fix the "
        "cause in the LMS and start the registration again."
    )


# --- invitations -------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    """The stored form of an invitation token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(
    actor: str,
    *,
    tenant_name: str | None = None,
    tenant_id: int | None = None,
    new_tenant_name: str | None = None,
    hours: float = DEFAULT_INVITATION_HOURS,
) -> tuple[RegistrationInvitation, str]:
    """Create a one-time invitation for an existing tenant (by id or name) or a new one;
    returns it with the token, which is shown once and stored only hashed."""
    if hours <= 0:
        raise DynamicRegistrationError("An invitation must be valid for some time (hours > 0).")
    tenant: Tenant | None = None
    if tenant_id is not None:
        tenant = db.session.get(Tenant, tenant_id)
    elif tenant_name:
        tenant = db.session.scalar(select(Tenant).where(Tenant.name == tenant_name))
    if (tenant_id is not None or tenant_name) and tenant is None:
        raise DynamicRegistrationError(
            f"There is no tenant {tenant_name or tenant_id!r}; leave the tenant out to let the "
            "registration create a new one."
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
        created_by=actor[:255],
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


def _claim_invitation(invitation: RegistrationInvitation) -> None:
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


# --- talking to the platform -------------------------------------------------------------------


def _check_url(label: str, value: Any, *, allow_http: bool) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts is None or parts.scheme not in schemes or not parts.hostname:
        raise DynamicRegistrationError(
            f"The platform's {label} must be an absolute {' or '.join(schemes)} URL, "
            f"got {value!r}.",
            reason="config_invalid",
        )
    return str(value)


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def check_public_host(url: str, *, allow_private: bool) -> None:
    """Refuse URLs whose host resolves to a private, loopback, link-local, multicast or reserved
    address, so a registration cannot make the tool fetch from its own network (the shared
    check in ``netguard``; the fetch itself is pinned to the address vetted then)."""
    if allow_private:  # development and the sandbox: the fetch still pins what it resolves
        return
    try:
        netguard.check_public_host(url, allow_private=allow_private)
    except netguard.AddressRefusedError as exc:
        if exc.reason == "private_address":
            raise DynamicRegistrationError(
                "The platform's address is not on the internet; Career Credit only registers "
                "with platforms on the internet.",
                reason="private_address",
                hint="An operator can allow private addresses for development "
                "(DYNREG_ALLOW_PRIVATE_HOSTS).",
            ) from None
        raise PlatformUnreachableError(
            "The platform's address could not be reached.", reason="config_unreachable"
        ) from None


# RFC 7591 / RFC 6750 error codes a registration endpoint answers with, in our own words: a
# person never sees the body a fetched address returned, only which known refusal it was.
_REGISTRATION_ERRORS = {
    "invalid_redirect_uri": "it refused the tool's redirect URIs",
    "invalid_client_metadata": "it refused part of the tool's configuration",
    "invalid_software_statement": "it refused the software statement",
    "unapproved_software_statement": "it has not approved the software statement",
    "invalid_token": "the registration token was not accepted (it may have expired)",
    "invalid_request": "it found the registration request malformed",
    "access_denied": "it denied the registration",
    "unauthorized": "the registration token was not accepted (it may have expired)",
}


def _platform_message(body: bytes) -> str:
    """Which known refusal a platform's error body names (its OAuth ``error`` code), in the
    tool's words; never any of the body's own text."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        data = None
    code = data.get("error") if isinstance(data, dict) else None
    if isinstance(code, str) and code in _REGISTRATION_ERRORS:
        return f"{_REGISTRATION_ERRORS[code]} ({code})."
    return "no reason Career Credit recognises."


def _read_json(response: requests.Response, what: str) -> dict[str, Any]:
    """Read at most ``MAX_DOCUMENT_BYTES`` of a JSON object; refuse anything else."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_DOCUMENT_BYTES:
        raise PlatformUnreachableError(
            f"The platform's {what} is too large ({declared} bytes).", reason="too_large"
        )
    body = bytearray()
    for chunk in response.iter_content(65536):
        body.extend(chunk)
        if len(body) > MAX_DOCUMENT_BYTES:
            raise PlatformUnreachableError(
                f"The platform's {what} is larger than {MAX_DOCUMENT_BYTES} bytes.",
                reason="too_large",
            )
    if response.status_code >= 400:
        raise PlatformRefusedError(
            f"The platform refused the {what} request (HTTP {response.status_code}): "
            f"{_platform_message(bytes(body))}",
            reason="platform_refused",
        )
    if 300 <= response.status_code < 400:
        raise PlatformUnreachableError(
            f"The platform redirected the {what} request; Career Credit does not follow "
            "redirects here.",
            reason="redirected",
        )
    if "json" not in response.headers.get("Content-Type", "").lower():
        raise PlatformUnreachableError(
            f"The platform's {what} is not JSON "
            f"(Content-Type {response.headers.get('Content-Type') or 'missing'}).",
            reason="not_json",
        )
    try:
        data = json.loads(bytes(body))
    except ValueError as exc:
        raise PlatformUnreachableError(
            f"The platform's {what} is not valid JSON.", reason="not_json"
        ) from exc
    if not isinstance(data, dict):
        raise PlatformUnreachableError(
            f"The platform's {what} is not a JSON object.", reason="not_json"
        )
    if not storable(data):
        raise PlatformUnreachableError(
            f"The platform's {what} holds text that cannot be stored (a NUL character or a "
            "lone UTF-16 surrogate).",
            reason="not_json",
        )
    return data


def _call(
    method: str, url: str, what: str, *, allow_private: bool, **kwargs: Any
) -> dict[str, Any]:
    """One request to the platform through the guarded session: the address vetted once and
    connected to (no second DNS lookup), no redirects, no proxies."""
    guarded = netguard.GuardedSession(allow_private=lambda: allow_private)
    try:
        with guarded.request(method, url, stream=True, allow_redirects=False, **kwargs) as response:
            return _read_json(response, what)
    except netguard.RedirectRefusedError as exc:
        raise PlatformUnreachableError(
            f"The platform redirected the {what} request; Career Credit does not follow "
            "redirects here.",
            reason="redirected",
        ) from exc
    except netguard.AddressRefusedError as exc:
        raise DynamicRegistrationError(
            "The platform's address is not on the internet; Career Credit only registers "
            "with platforms on the internet.",
            reason="private_address",
        ) from exc
    except requests.RequestException as exc:
        raise PlatformUnreachableError(
            f"The platform at {_host(url)} could not be reached for its {what} "
            f"({type(exc).__name__}).",
            reason="platform_unreachable",
        ) from exc


def fetch_openid_configuration(
    url: str, registration_token: str | None, *, allow_private: bool
) -> dict[str, Any]:
    """GET the platform's OpenID configuration (JSON, at most 1 MB, no redirects)."""
    _check_url("OpenID configuration URL", url, allow_http=allow_private)
    check_public_host(url, allow_private=allow_private)
    headers = {"Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    return _call("GET", url, "OpenID configuration", allow_private=allow_private, headers=headers)


@dataclass(frozen=True)
class PlatformConfiguration:
    """What the tool needs from a validated platform OpenID configuration."""

    configuration_url: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    product_family_code: str
    version: str
    account_name: str
    scopes_supported: tuple[str, ...]
    messages: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def is_canvas(self) -> bool:
        return self.product_family_code.lower() == "canvas"

    @property
    def product_label(self) -> str:
        labels = {"canvas": "Canvas", "moodle": "Moodle", "desire2learn": "Brightspace"}
        code = self.product_family_code
        return labels.get(code.lower(), code or "LMS")

    @property
    def display_name(self) -> str:
        return f"{self.product_label} {self.account_name or _host(self.issuer)}"[:200]


# Hosted Canvas: every school shares the issuer and its keys live on Instructure's own hosts,
# while the OpenID configuration (and registration endpoint) is served on the school's domain,
# often a vanity domain. Such a configuration is accepted on another host than its issuer only
# when the keys and the login endpoint are Instructure's: a look-alike configuration on any
# other host cannot bring keys of its own under Canvas's issuer.
HOSTED_CANVAS_ISSUERS = frozenset(
    {
        "canvas.instructure.com",
        "canvas.beta.instructure.com",
        "canvas.test.instructure.com",
    }
)
HOSTED_CANVAS_KEY_HOSTS = frozenset(
    {
        "sso.canvaslms.com",
        "sso.beta.canvaslms.com",
        "sso.test.canvaslms.com",
        "canvas.instructure.com",
        "canvas.beta.instructure.com",
        "canvas.test.instructure.com",
    }
)


def _hosted_canvas_on_school_domain(document: dict[str, Any], urls: dict[str, str]) -> bool:
    platform = document.get(PLATFORM_CONFIGURATION)
    family = platform.get("product_family_code") if isinstance(platform, dict) else None
    if not isinstance(family, str) or family.lower() != "canvas":
        return False
    if _host(urls["issuer"]) not in HOSTED_CANVAS_ISSUERS:
        return False
    return all(
        urlsplit(urls[key]).scheme == "https" and _host(urls[key]) in HOSTED_CANVAS_KEY_HOSTS
        for key in ("jwks_uri", "authorization_endpoint", "token_endpoint")
    )


def validate_configuration(
    document: dict[str, Any], configuration_url: str, *, allow_private: bool
) -> PlatformConfiguration:
    """Check a platform's OpenID configuration against the Dynamic Registration spec: issuer on
    the configuration URL's host (hosted Canvas: on the school's domain, with Instructure's keys),
    required endpoints, RS256, resource-link messages."""
    allow_http = allow_private
    urls = {
        key: _check_url(key, document.get(key), allow_http=allow_http)
        for key in (
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "registration_endpoint",
        )
    }
    issuer = urls["issuer"]
    issuer_parts = urlsplit(issuer)
    if issuer_parts.query or issuer_parts.fragment:
        raise DynamicRegistrationError(
            f"The platform's issuer {issuer!r} has a query or fragment.", reason="config_invalid"
        )
    if _host(issuer) != _host(configuration_url) and not _hosted_canvas_on_school_domain(
        document, urls
    ):
        raise DynamicRegistrationError(
            f"The platform's issuer {issuer} is not on the host of its configuration URL "
            f"({_host(configuration_url)}), as the Dynamic Registration spec requires.",
            reason="issuer_mismatch",
        )
    # The registration token is sent to the registration endpoint: it must stay on the host
    # that gave it out.
    if _host(urls["registration_endpoint"]) != _host(configuration_url):
        raise DynamicRegistrationError(
            f"The platform's registration endpoint is on another host "
            f"({_host(urls['registration_endpoint'])}) than its configuration "
            f"({_host(configuration_url)}).",
            reason="endpoint_host",
        )
    # Launches and services fetch these later, from the server: they must be public too.
    for key in ("jwks_uri", "token_endpoint", "registration_endpoint"):
        check_public_host(urls[key], allow_private=allow_private)
    algs = document.get("id_token_signing_alg_values_supported")
    if not isinstance(algs, list) or "RS256" not in algs:
        raise DynamicRegistrationError(
            "The platform does not list RS256 in id_token_signing_alg_values_supported; LTI 1.3 "
            "requires it.",
            reason="config_invalid",
        )
    response_types = document.get("response_types_supported")
    if response_types is not None and (
        not isinstance(response_types, list) or "id_token" not in response_types
    ):
        raise DynamicRegistrationError(
            "The platform does not support the id_token response type.", reason="config_invalid"
        )
    auth_methods = document.get("token_endpoint_auth_methods_supported")
    if auth_methods is not None and (
        not isinstance(auth_methods, list) or "private_key_jwt" not in auth_methods
    ):
        raise DynamicRegistrationError(
            "The platform does not accept private_key_jwt at its token endpoint.",
            reason="config_invalid",
        )
    scopes = document.get("scopes_supported", [])
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise DynamicRegistrationError(
            "The platform's scopes_supported is not a list of scopes.", reason="config_invalid"
        )
    lti = document.get(PLATFORM_CONFIGURATION)
    if not isinstance(lti, dict):
        raise DynamicRegistrationError(
            f"The configuration has no {PLATFORM_CONFIGURATION} object.", reason="config_invalid"
        )
    messages: dict[str, tuple[str, ...]] = {}
    for message in lti.get("messages_supported") or []:
        if isinstance(message, dict) and isinstance(message.get("type"), str):
            placements = message.get("placements") or []
            messages[message["type"]] = tuple(p for p in placements if isinstance(p, str))
    if RESOURCE_LINK not in messages:
        raise DynamicRegistrationError(
            "The platform does not list LtiResourceLinkRequest among its supported messages.",
            reason="config_invalid",
        )
    account = lti.get(CANVAS + "account_name")
    return PlatformConfiguration(
        configuration_url=configuration_url,
        issuer=issuer,
        authorization_endpoint=urls["authorization_endpoint"],
        token_endpoint=urls["token_endpoint"],
        jwks_uri=urls["jwks_uri"],
        registration_endpoint=urls["registration_endpoint"],
        product_family_code=str(lti.get("product_family_code") or ""),
        version=str(lti.get("version") or ""),
        account_name=account.strip()[:150] if isinstance(account, str) else "",
        scopes_supported=tuple(scopes),
        messages=messages,
    )


def requested_scopes(platform: PlatformConfiguration) -> list[str]:
    """The tool's scopes the platform offers (all of them when it lists none)."""
    if not platform.scopes_supported:
        return list(kits.SCOPES)
    return [s for s in kits.SCOPES if s in platform.scopes_supported]


def build_tool_registration(platform: PlatformConfiguration, urls: kits.ToolUrls) -> dict[str, Any]:
    """The client registration the tool POSTs (spec section 3.6, plus Canvas's extensions)."""
    wanted = CANVAS_PLACEMENTS if platform.is_canvas else GENERIC_PLACEMENTS
    messages: list[dict[str, Any]] = []
    for message_type in (RESOURCE_LINK, DEEP_LINKING):
        if message_type not in platform.messages:
            continue
        offered = platform.messages[message_type]
        placements = [p for p in wanted[message_type] if not offered or p in offered]
        message: dict[str, Any] = {
            "type": message_type,
            "target_link_uri": urls.launch,
            "label": kits.TITLE,
        }
        if placements:
            message["placements"] = placements
        if message_type == DEEP_LINKING:
            message["supported_types"] = ["ltiResourceLink"]
        messages.append(message)
    tool_configuration: dict[str, Any] = {
        "domain": urls.domain,
        "target_link_uri": urls.launch,
        "description": kits.DESCRIPTION,
        "claims": list(CLAIMS),
        "messages": messages,
    }
    if platform.is_canvas:
        tool_configuration["custom_parameters"] = dict(kits.CANVAS_CUSTOM_FIELDS)
        tool_configuration[CANVAS + "privacy_level"] = "public"
        tool_configuration[CANVAS + "tool_id"] = kits.TOOL_ID
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls.login,
        "redirect_uris": urls.redirect_uris,
        "client_name": kits.TITLE,
        "client_uri": urls.base,
        "jwks_uri": urls.jwks,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(requested_scopes(platform)),
        TOOL_CONFIGURATION: tool_configuration,
    }


@dataclass(frozen=True)
class PlatformRegistration:
    """What the platform answered: the client id, and a deployment id when it made one."""

    client_id: str
    deployment_id: str | None


def parse_registration_response(
    response: dict[str, Any], urls: kits.ToolUrls
) -> PlatformRegistration:
    """Take the client id (and deployment id) from the platform's answer; refuse answers
    without a client id or that registered the tool's URLs on another host."""
    client_id = response.get("client_id")
    if isinstance(client_id, int) and not isinstance(client_id, bool):
        client_id = str(client_id)
    if not isinstance(client_id, str) or not client_id.strip() or len(client_id) > 255:
        raise PlatformRefusedError(
            "The platform's registration answer has no client_id.", reason="no_client_id"
        )
    tool_host = _host(urls.launch)
    echoed = list(response.get("redirect_uris") or [])
    for key in ("initiate_login_uri", "jwks_uri"):
        if response.get(key):
            echoed.append(response[key])
    for uri in echoed:
        if not isinstance(uri, str) or _host(uri) != tool_host:
            raise PlatformRefusedError(
                f"The platform registered a URL on another host than Career Credit's "
                f"({uri!r}, expected {tool_host}).",
                reason="redirect_host",
            )
    config = response.get(TOOL_CONFIGURATION)
    deployment = config.get("deployment_id") if isinstance(config, dict) else None
    if isinstance(deployment, int) and not isinstance(deployment, bool):
        deployment = str(deployment)
    if not isinstance(deployment, str) or not deployment.strip() or len(deployment) > 255:
        deployment = None
    return PlatformRegistration(client_id.strip(), deployment)


# --- the whole exchange -----------------------------------------------------------------------


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
            f"(flask --app lti_tool platform invite --tenant {owner!r}).",
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
    actor = f"dynamic registration (invitation {invitation.id} from {invitation.created_by})"[:255]
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
    _claim_invitation(invitation)
    created = existing is None
    if existing is not None:
        registration = existing
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
    else:
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
            regs.create_tenant(tenant_name, actor, key_set_id=key_set_id(invitation))
        try:
            registration = regs.add_platform(
                regs.PlatformSpec(
                    name=platform.display_name,
                    issuer=platform.issuer,
                    client_id=answer.client_id,
                    auth_login_url=platform.authorization_endpoint,
                    auth_token_url=platform.token_endpoint,
                    key_set_url=platform.jwks_uri,
                    tenant=tenant_name,
                ),
                actor,
                allow_http=allow_http,
                name_owner=False,  # the LMS administrator of another institution reads this
            )
        except regs.RegistrationError as exc:
            reason = exc.reason if exc.reason == "duplicate_client" else "registration_invalid"
            raise DynamicRegistrationError(exc.message, hint=exc.hint, reason=reason) from exc
    if answer.deployment_id and answer.deployment_id not in {
        d.deployment_id for d in registration.deployments
    }:
        regs.approve_deployment(registration, answer.deployment_id, actor)
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
    answer = _call(
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
        outcome.registration,
        str(configuration_url),
        f"dynamic registration (invitation {preview.invitation.id})",
    )
    db.session.flush()
    return outcome
