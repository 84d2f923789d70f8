"""The refusals of a registration: each says what to do next, and nothing was stored."""

from __future__ import annotations

from ...errors import AppError


class DynamicRegistrationError(AppError):
    """The registration cannot go ahead; nothing was stored."""

    status = 400
    title = "Career Credit could not be registered"
    hint = (
        "Nothing was registered. Fix what the message says, then start the registration again "
        "from your LMS."
    )


class InvitationError(DynamicRegistrationError):
    """The registration link's invitation is missing, unknown, expired or used."""

    status = 403
    title = "This registration link cannot be used"
    hint = (
        "Ask the Career Credit operator for a new registration link "
        "(flask --app lti_tool registration invite) and paste it into your LMS."
    )


class PlatformUnreachableError(DynamicRegistrationError):
    """The platform could not be reached or did not answer usefully."""

    status = 502
    title = "Your LMS did not answer as expected"


class PlatformRefusedError(DynamicRegistrationError):
    """The platform answered the registration with an error of its own."""

    status = 502
    title = "Your LMS refused the registration"
    hint = (
        "The message above is your LMS's own. Nothing was stored in Career Credit; fix the "
        "cause in the LMS and start the registration again."
    )
