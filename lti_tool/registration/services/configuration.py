"""A platform's OpenID configuration checked against the Dynamic Registration spec, the tool's
registration built for it, and the platform's answer read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ...context import PLATFORM_CONFIGURATION, TOOL_CONFIGURATION
from .. import kits
from .errors import DynamicRegistrationError, PlatformRefusedError
from .platform import check_public_host, check_url, host_of

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
        return f"{self.product_label} {self.account_name or host_of(self.issuer)}"[:200]


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
    if host_of(urls["issuer"]) not in HOSTED_CANVAS_ISSUERS:
        return False
    return all(
        urlsplit(urls[key]).scheme == "https" and host_of(urls[key]) in HOSTED_CANVAS_KEY_HOSTS
        for key in ("jwks_uri", "authorization_endpoint", "token_endpoint")
    )


def _endpoints(document: dict[str, Any], *, allow_http: bool) -> dict[str, str]:
    """The issuer and the endpoints the tool needs, each an absolute URL."""
    return {
        key: check_url(key, document.get(key), allow_http=allow_http)
        for key in (
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "registration_endpoint",
        )
    }


def _check_hosts(
    document: dict[str, Any], urls: dict[str, str], configuration_url: str, *, allow_private: bool
) -> None:
    """The issuer on the configuration URL's host (hosted Canvas: on the school's domain, with
    Instructure's keys), the registration endpoint on it too, and the fetched ones public."""
    issuer = urls["issuer"]
    issuer_parts = urlsplit(issuer)
    if issuer_parts.query or issuer_parts.fragment:
        raise DynamicRegistrationError(
            f"The platform's issuer {issuer!r} has a query or fragment.", reason="config_invalid"
        )
    if host_of(issuer) != host_of(configuration_url) and not _hosted_canvas_on_school_domain(
        document, urls
    ):
        raise DynamicRegistrationError(
            f"The platform's issuer {issuer} is not on the host of its configuration URL "
            f"({host_of(configuration_url)}), as the Dynamic Registration spec requires.",
            reason="issuer_mismatch",
        )
    # The registration token is sent to the registration endpoint: it must stay on the host
    # that gave it out.
    if host_of(urls["registration_endpoint"]) != host_of(configuration_url):
        raise DynamicRegistrationError(
            f"The platform's registration endpoint is on another host "
            f"({host_of(urls['registration_endpoint'])}) than its configuration "
            f"({host_of(configuration_url)}).",
            reason="endpoint_host",
        )
    # Launches and services fetch these later, from the server: they must be public too.
    for key in ("jwks_uri", "token_endpoint", "registration_endpoint"):
        check_public_host(urls[key], allow_private=allow_private)


def _check_protocol(document: dict[str, Any]) -> list[str]:
    """RS256 id tokens, private_key_jwt at the token endpoint; returns the scopes offered."""
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
    return scopes


def _lti_configuration(
    document: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """The platform's LTI configuration object and its messages with their placements; resource
    link launches must be among them."""
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
    return lti, messages


def validate_configuration(
    document: dict[str, Any], configuration_url: str, *, allow_private: bool
) -> PlatformConfiguration:
    """Check a platform's OpenID configuration against the Dynamic Registration spec: issuer on
    the configuration URL's host (hosted Canvas: on the school's domain, with Instructure's keys),
    required endpoints, RS256, resource-link messages."""
    urls = _endpoints(document, allow_http=allow_private)
    _check_hosts(document, urls, configuration_url, allow_private=allow_private)
    scopes = _check_protocol(document)
    lti, messages = _lti_configuration(document)
    account = lti.get(CANVAS + "account_name")
    return PlatformConfiguration(
        configuration_url=configuration_url,
        issuer=urls["issuer"],
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
    tool_host = host_of(urls.launch)
    echoed = list(response.get("redirect_uris") or [])
    for key in ("initiate_login_uri", "jwks_uri"):
        if response.get(key):
            echoed.append(response[key])
    for uri in echoed:
        if not isinstance(uri, str) or host_of(uri) != tool_host:
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
