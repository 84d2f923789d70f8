"""One error type per system, all of them the core's ``ConnectorError`` (a 502 page that says
what went wrong and what to do). The only thing connectors import from the core."""

from __future__ import annotations

from lti_tool.errors import ConnectorError


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

    def __init__(self, message: str, *, errorcode: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint, reason=f"moodle_{errorcode}" if errorcode else None)
        self.errorcode = errorcode
