"""Talking to a platform during Dynamic Registration: its URLs checked (absolute, public host),
one request at a time through the guarded session (no redirects, at most 1 MB of JSON), and its
refusals named in the tool's words, never echoing its body."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import requests

from ... import netguard
from ...text import storable
from .errors import DynamicRegistrationError, PlatformRefusedError, PlatformUnreachableError

MAX_DOCUMENT_BYTES = 1_000_000


def check_url(label: str, value: Any, *, allow_http: bool) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts is None or parts.scheme not in schemes or not parts.hostname:
        raise DynamicRegistrationError(
            f"The platform's {label} must be an absolute {' or '.join(schemes)} URL, "
            f"got {value!r}.",
            reason="config_invalid",
        )
    return str(value)


def host_of(url: str) -> str:
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
    return "no reason Career Credit recognizes."


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


def call_platform(
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
            f"The platform at {host_of(url)} could not be reached for its {what} "
            f"({type(exc).__name__}).",
            reason="platform_unreachable",
        ) from exc


def fetch_openid_configuration(
    url: str, registration_token: str | None, *, allow_private: bool
) -> dict[str, Any]:
    """GET the platform's OpenID configuration (JSON, at most 1 MB, no redirects)."""
    check_url("OpenID configuration URL", url, allow_http=allow_private)
    check_public_host(url, allow_private=allow_private)
    headers = {"Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    return call_platform(
        "GET", url, "OpenID configuration", allow_private=allow_private, headers=headers
    )
