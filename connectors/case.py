"""Fetch a CASE 1.0/1.1 package (CFPackage) from a provider:
``GET …/ims/case/v1p0/CFPackages/{id}``.

The caller passes the HTTP session (the core's, with its timeout), so this module needs nothing
of ours but the error type.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import requests

from .errors import CaseAddressError, CaseProviderError, failure_detail, log_unreachable

PACKAGE_PATH = "/ims/case/v1p0/CFPackages/"
MAX_BYTES = 20 * 1024 * 1024
UNREACHABLE = "Career Credit could not read a CASE package at that address."


def check_package_url(url: str, *, allow_http: bool = False) -> str:
    """The URL if it names a CASE package on an https provider, else CaseProviderError."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:  # "http://[": not a URL at all
        parts = urlsplit("")
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.netloc or PACKAGE_PATH not in parts.path:
        raise CaseAddressError(
            "That is not a CASE package address.",
            hint="Use the provider's https address ending in "
            "/ims/case/v1p0/CFPackages/<package identifier>.",
            reason="case_url",
        )
    return url


def fetch_package(
    url: str,
    session: requests.Session,
    *,
    allow_http: bool = False,
) -> Any:
    """The package's JSON from a CASE provider. Which hosts may be reached is the session's
    business: callers pass the core's guarded session (public addresses only, pinned, no
    redirects)."""
    url = check_package_url(url, allow_http=allow_http)
    try:
        resp = session.get(
            url, headers={"Accept": "application/json"}, stream=True, allow_redirects=False
        )
    except requests.RequestException as exc:
        log_unreachable("CASE provider", url, failure_detail(exc))
        raise CaseProviderError(
            UNREACHABLE,
            hint="Check the address, or try again later.",
            reason="case_unreachable",
        ) from exc
    with resp:
        if resp.status_code != 200:
            log_unreachable("CASE provider", url, f"answered {resp.status_code}")
            raise CaseProviderError(
                UNREACHABLE,
                hint="Check the package identifier in the address; a private package may need "
                "to be downloaded and uploaded as a file instead.",
                reason="case_unreachable",
            )
        body = bytearray()
        for chunk in resp.iter_content(64 * 1024):
            body.extend(chunk)
            if len(body) > MAX_BYTES:
                break
    if len(body) > MAX_BYTES:
        raise CaseProviderError(
            "The CASE package is larger than 20 MB.",
            hint="Download it and ask an operator to import it with the command line.",
            reason="case_too_large",
        )
    try:
        return json.loads(bytes(body))
    except ValueError as exc:
        raise CaseProviderError(
            "The CASE provider did not send JSON.",
            hint="Check that the address is the package's API address, not its web page.",
            reason="case_not_json",
        ) from exc
