"""The base of every form inside a launch.

CSRF is checked app-wide (Flask-WTF). When the LMS iframe blocks the session cookie, the CSRF
secret derives from the launch id the page carries (``lti_tool.web``), so forms need nothing
special; each must still carry the launch id in a hidden ``lid`` field.
"""

from typing import Any

from flask_wtf import FlaskForm


class LaunchForm(FlaskForm):
    """A Flask-WTF form used inside a launch."""


class ButtonForm(LaunchForm):
    """A button and nothing else (CSRF and the page's launch id): what it does and to what is
    named by the URL it posts to — confirm, withdraw, retry, revoke, pin, refresh."""


def strip_text(value: Any) -> Any:
    """WTForms filter: surrounding whitespace never counts as input."""
    return value.strip() if isinstance(value, str) else value
