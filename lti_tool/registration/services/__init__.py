"""Installing the tool for a tenant, as services (no request, flush only; the caller commits).

- ``tenants``: tenants, platform registrations and deployments (operators add them by hand;
  Dynamic Registration stores its answer through them).
- ``invitations``: the one-time invitations Dynamic Registration needs.
- ``platform``: talking to a platform (checked URLs, one guarded request, refusals named).
- ``configuration``: the platform's OpenID configuration checked, the tool's registration built.
- ``dynamic``: LTI Dynamic Registration 1.0, the whole exchange (preview, register, store).
- ``errors``: the refusals of a Dynamic Registration.

The Dynamic Registration API is also reachable here (``services.preview_registration``), as the
views, commands and tests use it.
"""

from __future__ import annotations

from .configuration import (
    PLATFORM_CONFIGURATION,
    TOOL_CONFIGURATION,
    PlatformConfiguration,
    PlatformRegistration,
    build_tool_registration,
    parse_registration_response,
    requested_scopes,
    validate_configuration,
)
from .dynamic import (
    RegistrationOutcome,
    RegistrationPreview,
    preview_registration,
    register_with_platform,
    store_registration,
)
from .errors import (
    DynamicRegistrationError,
    InvitationError,
    PlatformRefusedError,
    PlatformUnreachableError,
)
from .invitations import (
    DEFAULT_INVITATION_HOURS,
    create_invitation,
    find_invitation,
    hash_token,
    key_set_id,
    registration_url,
    tenant_key_set_id,
)
from .platform import check_public_host, fetch_openid_configuration

__all__ = [
    "DEFAULT_INVITATION_HOURS",
    "PLATFORM_CONFIGURATION",
    "TOOL_CONFIGURATION",
    "DynamicRegistrationError",
    "InvitationError",
    "PlatformConfiguration",
    "PlatformRefusedError",
    "PlatformRegistration",
    "PlatformUnreachableError",
    "RegistrationOutcome",
    "RegistrationPreview",
    "build_tool_registration",
    "check_public_host",
    "create_invitation",
    "fetch_openid_configuration",
    "find_invitation",
    "hash_token",
    "key_set_id",
    "parse_registration_response",
    "preview_registration",
    "register_with_platform",
    "registration_url",
    "requested_scopes",
    "store_registration",
    "tenant_key_set_id",
    "validate_configuration",
]
