"""The launch context: everything a view or service needs to know about the launch, built once
per request. The only module of the tool that knows LTI claim and scope URLs (the sandbox, a
platform of its own, and tests/platform.py spell theirs out, so each checks the other)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from .actor import Actor

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = CLAIM + "message_type"
DEPLOYMENT_ID = CLAIM + "deployment_id"
ROLES = CLAIM + "roles"
CONTEXT = CLAIM + "context"
RESOURCE_LINK = CLAIM + "resource_link"
CUSTOM = CLAIM + "custom"
TARGET_LINK_URI = CLAIM + "target_link_uri"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DEEP_LINKING = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
# OAuth scopes of the LTI services
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
# Dynamic Registration's documents
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"


@dataclass(frozen=True)
class LaunchContext:
    launch_id: str
    tenant_id: int
    tenant_name: str
    time_zone: str
    registration_id: int
    user_id: int
    user_name: str
    user_email: str
    course_id: int | None
    course_title: str
    role: str
    read_only: bool
    is_tool_admin: bool
    message_type: str
    nrps_url: str | None
    ags_lineitems_url: str | None
    ags_lineitem_url: str | None
    ags_scopes: tuple[str, ...]
    deep_linking: dict[str, Any] | None
    placement: str | None
    expires_at: dt.datetime

    @property
    def is_deep_linking(self) -> bool:
        return self.message_type == "LtiDeepLinkingRequest"

    @property
    def actor(self) -> Actor:
        """The launch's user acting in the launch's tenant (``actor.name`` is how they appear in
        the audit trail and on decisions)."""
        return Actor.user(self.tenant_id, self.user_id, self.user_name, self.user_email)


def zone_of(time_zone: str) -> dt.tzinfo:
    """A tenant's time zone (UTC when the zone is unknown)."""
    try:
        return zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def today_in(time_zone: str) -> dt.date:
    """Today in a tenant's time zone (UTC when the zone is unknown): deadlines and hour logs
    are dates there."""
    return dt.datetime.now(zone_of(time_zone)).date()


def day_in(moment: dt.datetime, time_zone: str) -> dt.date:
    """The day a stored moment (naive UTC) fell on in a tenant's time zone."""
    return moment.replace(tzinfo=dt.UTC).astimezone(zone_of(time_zone)).date()


def claims_summary(message: dict[str, Any]) -> dict[str, Any]:
    """The service endpoints and settings a launch carries (a claim of the wrong type counts
    as absent: the id_token is signed by the platform, not necessarily well formed)."""

    def obj(name: str) -> dict[str, Any]:
        value = message.get(name)
        return value if isinstance(value, dict) else {}

    def text(value: Any) -> str | None:
        return value if isinstance(value, str) else None

    ags, nrps, custom = obj(AGS), obj(NRPS), obj(CUSTOM)
    scopes = ags.get("scope")
    deep_linking = message.get(DEEP_LINKING)
    return {
        "message_type": text(message.get(MESSAGE_TYPE)) or "",
        "nrps_url": text(nrps.get("context_memberships_url")),
        "ags_lineitems_url": text(ags.get("lineitems")),
        "ags_lineitem_url": text(ags.get("lineitem")),
        "ags_scopes": tuple(s for s in scopes if isinstance(s, str))
        if isinstance(scopes, list)
        else (),
        "deep_linking": deep_linking if isinstance(deep_linking, dict) else None,
        # what a deep-linked item was placed for (its custom parameter): "board" or "credit"
        "placement": text(custom.get("cc_placement")),
    }


def term_from_custom(custom: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """Term name/start/end from custom variables (Canvas: $Canvas.term.name, .startAt, .endAt);
    unsubstituted variables ("$Canvas.term.name") count as absent."""

    def clean(key: str) -> str | None:
        value = custom.get(key)
        if not isinstance(value, str) or not value.strip() or value.startswith("$"):
            return None
        return value.strip()[:255]

    return clean("term_name"), clean("term_start"), clean("term_end")
