"""The sandbox's two error kinds: one shown as a 400 page, one answered as JSON."""

from __future__ import annotations

from ..errors import AppError


class SandboxError(AppError):
    """A request to the sandbox LMS that it refuses; rendered as a page naming the reason."""

    status = 400
    title = "The sandbox LMS refused this request"
    hint = "Go back to the sandbox home page and start again."

    def __init__(self, message: str, *, parameter: str | None = None, status: int = 400):
        super().__init__(message, reason=parameter or "sandbox")
        self.parameter = parameter
        self.status = status


class ApiError(Exception):
    """A refused service call (token, AGS, NRPS, faults); answered as JSON with a message."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error or {
            400: "invalid_request",
            401: "unauthorized",
            404: "not_found",
            405: "method_not_allowed",
            415: "unsupported_media_type",
            422: "unprocessable",
            429: "too_many_requests",
            500: "server_error",
        }.get(status, "error")
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        return {"error": self.error, "message": self.message, "error_description": self.message}
