"""One exception hierarchy and one handler per kind: a person sees what went wrong and what to
do, with a correlation id that is also in the log. Never a traceback.

Connectors import nothing from the app, so their errors (``connectors.errors.ExternalError``)
are not ``AppError``s; they have the same shape (message, hint, reason, status, title) and the
app shows them the same way: ``EXPLAINED`` names both, for whoever catches a person's error."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, g, has_request_context, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from connectors.errors import ExternalError

log = logging.getLogger("career_credit.errors")


class AppError(Exception):
    """Base of every error a person may see."""

    status = 400
    title = "Something is not right"
    hint = "Go back and try again. If it keeps happening, contact your LMS administrator."

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        reason: str | None = None,
        field: str | None = None,
        errors: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint
        self.reason = reason or type(self).__name__
        # The one field-error shape: form field name -> what is wrong with it (empty when the
        # error is about no one field). ``field=`` is the short form for a single field.
        self.errors: dict[str, str] = dict(errors or {})
        if field is not None:
            self.errors.setdefault(field, message)

    @property
    def field(self) -> str | None:
        """The first field the error is about (``None`` when none): for callers written
        before ``errors``."""
        return next(iter(self.errors), None)


class LaunchError(AppError):
    """An LTI message was refused; the text is written for an LMS administrator."""

    status = 400
    title = "The LMS launch could not be completed"


class SessionExpiredError(AppError):
    status = 401
    title = "Your session with Career Credit has ended"
    hint = "Open Career Credit again from your course in the LMS."


class ForbiddenError(AppError):
    status = 403
    title = "You do not have access to this page"
    hint = "If you think you should, ask your instructor or career center."


class NotFoundError(AppError):
    status = 404
    title = "Not found"
    hint = "Check the link, or go back to your Career Credit home."


class PolicyViolationError(AppError):
    status = 422
    title = "That is not allowed"


class ConnectorError(AppError):
    status = 502
    title = "Another system did not answer as expected"


# The errors written for a person: the app's own, and what a connector raised.
EXPLAINED: tuple[type[AppError], type[ExternalError]] = (AppError, ExternalError)


def correlation_id() -> str:
    if "correlation_id" not in g:
        g.correlation_id = secrets.token_hex(8)
    return str(g.correlation_id)


# Addresses people open from an emailed link, without an LMS account (supervisors, employers;
# /s/ is the links' older address): they have no LMS administrator to ask.
LINK_PREFIXES = ("/supervisor/", "/s/")


def _for_the_reader(hint: str) -> str:
    """The hint in the words of who reads it: on a page opened from an emailed link the person
    to ask is the career center that sent it, not an LMS administrator."""
    if has_request_context() and request.path.startswith(LINK_PREFIXES):
        return hint.replace("your LMS administrator", "the career center that sent you the link")
    return hint


def _render(status: int, title: str, message: str, hint: str, reason: str):
    cid = correlation_id()
    hint = _for_the_reader(hint)
    if request.accept_mimetypes.best == "application/json":
        body = {
            "error": reason,
            "title": title,
            "message": message,
            "hint": hint,
            "correlation_id": cid,
        }
        return body, status
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=title,
            message=message,
            hint=hint,
            reason=reason,
            correlation_id=cid,
            ask_whom=_for_the_reader("your LMS administrator"),
        ),
        status,
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    @app.errorhandler(ExternalError)
    def handle_app_error(exc: AppError | ExternalError):
        log.warning(
            "%s [%s] %s (correlation id %s)",
            type(exc).__name__,
            exc.reason,
            exc.message,
            correlation_id(),
        )
        return _render(exc.status, exc.title, exc.message, exc.hint, exc.reason)

    @app.errorhandler(CSRFError)
    def handle_csrf(exc: CSRFError):
        log.warning("CSRF refused: %s (correlation id %s)", exc.description, correlation_id())
        return _render(
            400,
            "This form has expired",
            "The form was missing its security token "
            "or the token had expired, so nothing was saved.",
            "Reload the page and submit the form again.",
            "csrf",
        )

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        status = exc.code or 500
        hints = {
            404: "Check the link, or go back to your Career Credit home.",
            405: "Use the buttons and links on the page rather than typing the address.",
            429: "Wait a minute and try again.",
        }
        return _render(
            status,
            exc.name,
            exc.description or exc.name,
            hints.get(status, "Go back and try again."),
            f"http_{status}",
        )

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        log.exception("Unexpected error (correlation id %s)", correlation_id())
        from .extensions import db

        db.session.rollback()
        return _render(
            500,
            "Something went wrong on our side",
            "Nothing you entered was saved.",
            "Try again in a minute. If it keeps happening, give the correlation id "
            "below to your LMS administrator.",
            "internal",
        )
