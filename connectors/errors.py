"""The connectors' own errors, one type per system, all of them ``ExternalError``: what went
wrong and what to do, in the shape of the app's errors (message, hint, reason, status, title).
Connectors import nothing from the app; the app shows an ``ExternalError`` as it shows its own
(``lti_tool.errors`` handles it as a page, the CLI as one line, the outbox as a retry).

Also the one way to log a failed call to an address a person typed (``log_unreachable``), with
the URL's credentials, query and fragment left out (``loggable_url``)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

log = logging.getLogger("career_credit.connectors")


class ExternalError(Exception):
    """Another system failed or refused (a 502 page unless a subclass says otherwise)."""

    status = 502
    title = "Another system did not answer as expected"
    hint = "Go back and try again. If it keeps happening, contact your LMS administrator."

    def __init__(self, message: str, *, hint: str | None = None, reason: str | None = None):
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint
        self.reason = reason or type(self).__name__


class CaseProviderError(ExternalError):
    """A CASE provider could not be reached or did not send a CASE package."""


class CaseAddressError(CaseProviderError):
    """The address a person typed is not a CASE package address: their input, not a provider's
    failure, so a 422 rather than the 502 of a provider that failed."""

    status = 422


class CanvasError(ExternalError):
    """Canvas refused or failed a REST call."""


class CanvasAuthError(CanvasError):
    """The Canvas token is missing, expired beyond refresh, or lacks permission."""

    status = 403
    title = "Canvas did not accept Career Credit's access"


class CanvasRateLimitError(CanvasError):
    """Canvas kept throttling the requests after the retries."""

    status = 503
    title = "Canvas is busy"


class MoodleError(ExternalError):
    """Moodle's web services answered with an error (``errorcode`` as Moodle names it)."""

    def __init__(
        self,
        message: str,
        *,
        errorcode: str = "",
        hint: str | None = None,
        reason: str | None = None,
    ) -> None:
        if reason is None and errorcode:
            reason = f"moodle_{errorcode}"
        super().__init__(message, hint=hint, reason=reason)
        self.errorcode = errorcode


def loggable_url(url: str) -> str:
    """The URL without credentials, query or fragment (tokens travel there)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparseable URL)"
    return f"{parts.scheme}://{host}{port}{parts.path}"


def log_unreachable(system: str, url: str, detail: str) -> None:
    """Log why a person-supplied address failed, without its credentials, query or fragment:
    the page says only that it could not be reached (no port, status or body to probe with)."""
    log.warning("%s at %s could not be reached: %s", system, loggable_url(url), detail)


def failure_detail(exc: BaseException) -> str:
    """What the log says about a failed call (the guarded transport's reason if it has one)."""
    return str(getattr(exc, "detail", "") or type(exc).__name__)
