"""The manual install kits: the tool's public URLs, Canvas's developer-key JSON and the values
Moodle's "Manage tools" form asks for. Nothing here is secret."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from ..context import (
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_NRPS,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
)

TITLE = "Career Credit"
DESCRIPTION = (
    "Micro-internships for academic credit: students find short paid projects, instructors award "
    "credit that flows to the gradebook, advisors report on career competencies."
)
TOOL_ID = "career-credit"

AGS_LINEITEM = SCOPE_LINEITEM
AGS_LINEITEM_READONLY = SCOPE_LINEITEM_READONLY
AGS_RESULT_READONLY = SCOPE_RESULT_READONLY
AGS_SCORE = SCOPE_SCORE
NRPS_MEMBERSHIP = SCOPE_NRPS
SCOPES = (AGS_LINEITEM, AGS_LINEITEM_READONLY, AGS_RESULT_READONLY, AGS_SCORE, NRPS_MEMBERSHIP)

# Custom variables Canvas substitutes; the term comes from them (see DESIGN.md, Tenancy).
CANVAS_CUSTOM_FIELDS = {
    "canvas_course_id": "$Canvas.course.id",
    "term_name": "$Canvas.term.name",
    "term_start": "$Canvas.term.startAt",
    "term_end": "$Canvas.term.endAt",
    # the institution's Canvas domain: its pages may frame the tool (lti/frame_origins.py)
    "canvas_api_domain": "$Canvas.api.domain",
}


@dataclass(frozen=True)
class ToolUrls:
    """Where the platform reaches the tool."""

    base: str
    login: str
    launch: str
    jwks: str  # the tenant's key set once ``for_tenant`` named it; else the legacy one
    register: str
    legacy_jwks: str = ""

    def for_tenant(self, key_set_id: str) -> ToolUrls:
        """The same URLs with the tenant's own key set (``/lti/jwks/<key_set_id>``)."""
        legacy = self.legacy_jwks or self.jwks
        return replace(self, jwks=f"{legacy}/{key_set_id}", legacy_jwks=legacy)

    @property
    def names_tenant(self) -> bool:
        """Whether ``jwks`` is a tenant's own key set (not the installation's legacy one)."""
        return bool(self.legacy_jwks) and self.jwks != self.legacy_jwks

    @property
    def domain(self) -> str:
        """Host (and port, if any) of the tool, as LMSs want it in their "domain" field."""
        return urlsplit(self.launch).netloc

    @property
    def redirect_uris(self) -> list[str]:
        """Every URL the platform may post an id_token to (launch and deep linking share one)."""
        return [self.launch]


def tool_urls(base_url: str, key_set_id: str | None = None) -> ToolUrls:
    """The tool's public URLs under ``base_url`` (e.g. https://careers.example.edu), with the
    key set of the tenant whose ``key_set_id`` is given."""
    parts = urlsplit(base_url.rstrip("/"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"The tool's base URL must be an absolute http(s) URL, got {base_url!r}.")
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )

    def build(endpoint: str) -> str:
        return adapter.build(endpoint, force_external=True)

    urls = ToolUrls(
        base=f"{parts.scheme}://{parts.netloc}{parts.path}",
        login=build("lti.oidc_login"),
        launch=build("lti.launch"),
        jwks=build("lti.key_set"),
        register=build("registration.register"),
        legacy_jwks=build("lti.key_set"),
    )
    return urls.for_tenant(key_set_id) if key_set_id else urls


def canvas_developer_key(urls: ToolUrls) -> dict[str, Any]:
    """Canvas's LTI 1.3 developer-key JSON ("Paste JSON" or "Enter URL")."""
    if not urls.names_tenant:
        raise ValueError("Canvas's developer key names one institution's key set: pass its tenant.")

    def placement(name: str, message_type: str, text: str, **extra: Any) -> dict[str, Any]:
        return {
            "placement": name,
            "message_type": message_type,
            "text": text,
            "target_link_uri": urls.launch,
            **extra,
        }

    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "oidc_initiation_url": urls.login,
        "target_link_uri": urls.launch,
        "public_jwk_url": urls.jwks,
        "scopes": list(SCOPES),
        "extensions": [
            {
                "platform": "canvas.instructure.com",
                "domain": urls.domain,
                "tool_id": TOOL_ID,
                "privacy_level": "public",
                "settings": {
                    "text": TITLE,
                    "placements": [
                        placement("course_navigation", "LtiResourceLinkRequest", TITLE),
                        placement(
                            "link_selection", "LtiDeepLinkingRequest", "Micro-internship board"
                        ),
                        placement(
                            "assignment_selection",
                            "LtiDeepLinkingRequest",
                            "Micro-internship credit",
                        ),
                        placement(
                            "account_navigation",
                            "LtiResourceLinkRequest",
                            f"{TITLE} (advisors and administrators)",
                        ),
                    ],
                },
            }
        ],
        "custom_fields": dict(CANVAS_CUSTOM_FIELDS),
    }


@dataclass(frozen=True)
class FormValue:
    """One field of an LMS form and what to put in it."""

    field: str
    value: str
    note: str = ""


def moodle_values(urls: ToolUrls) -> list[FormValue]:
    """What to type into Moodle's Site administration > Plugins > External tool > Manage tools >
    "configure a tool manually", in the form's order."""
    return [
        FormValue("Tool name", TITLE),
        FormValue("Tool URL", urls.launch),
        FormValue("Tool description", DESCRIPTION),
        FormValue("LTI version", "LTI 1.3"),
        FormValue("Public key type", "Keyset URL"),
        FormValue("Public keyset", urls.jwks, "Your institution's own key set.")
        if urls.names_tenant
        else FormValue(
            "Public keyset",
            "",
            "Your institution's own key set URL: open this page from the link on Career "
            "Credit's administration pages, or ask the operator "
            "(registration show-config --tenant NAME).",
        ),
        FormValue("Initiate login URL", urls.login),
        FormValue("Redirection URI(s)", "\n".join(urls.redirect_uris)),
        FormValue(
            "Custom parameters",
            "",
            "Leave empty: Moodle sends the course and term in the standard LTI claims.",
        ),
        FormValue(
            "Tool configuration usage", "Show in activity chooser and as a preconfigured tool"
        ),
        FormValue("Default launch container", "Embed, without blocks"),
        FormValue("Supports Deep Linking (Content-Item Message)", "On (ticked)"),
        FormValue("Content Selection URL", urls.launch, "Where instructors pick what to add."),
        FormValue(
            "IMS LTI Assignment and Grade Services",
            "Use this service for grade sync and column management",
            "Any other choice makes Moodle answer grade passback with 401 Unauthorized.",
        ),
        FormValue(
            "IMS LTI Names and Role Provisioning",
            "Use this service to retrieve members' information as per privacy settings",
            "Instructors see their roster through this service.",
        ),
        FormValue("Tool Settings", "Do not use this service"),
        FormValue("Share launcher's name with tool", "Always"),
        FormValue("Share launcher's email with tool", "Always"),
        FormValue("Accept grades from the tool", "Always"),
        FormValue("Force SSL", "On (ticked) in production"),
    ]
