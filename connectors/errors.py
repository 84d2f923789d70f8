"""One error type per system, all of them the core's ``ConnectorError`` (a 502 page that says
what went wrong and what to do). The only thing connectors import from the core."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from lti_tool.errors import ConnectorError

log = logging.getLogger("career_credit.connectors")


class CaseProviderError(ConnectorError):
    """A CASE provider could not be reached or did not send a CASE package."""


class CaseAddressError(CaseProviderError):
    """The address a person typed is not a CASE package address: their input, not a provider's
    failure, so a 422 rather than the 502 of a provider that failed."""

    status = 422


class CanvasError(ConnectorError):
    """Canvas refused or failed a REST call."""


class CanvasAuthError(CanvasError):
    """The Canvas token is missing, expired beyond refresh, or lacks permission."""

    status = 403
    title = "Canvas did not accept Career Credit's access"


class CanvasRateLimitError(CanvasError):
    """Canvas kept throttling the requests after the retries."""

    status = 503
    title = "Canvas is busy"


class MoodleError(ConnectorError):
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


def log_unreachable(system: str, url: str, detail: str) -> None:
    """Log why a person-supplied address failed, without its credentials, query or fragment:
    the page says only that it could not be reached (no port, status or body to probe with)."""
    try:
        parts = urlsplit(url)
        where = f"{parts.scheme}://{parts.hostname or ''}"
        where += f":{parts.port}" if parts.port else ""
        where += parts.path
    except ValueError:
        where = "(unparseable URL)"
    log.warning("%s at %s could not be reached: %s", system, where, detail)


def failure_detail(exc: BaseException) -> str:
    """What the log says about a failed call (the guarded transport's reason if it has one)."""
    return str(getattr(exc, "detail", "") or type(exc).__name__)
