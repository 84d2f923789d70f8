"""The base of every form inside a launch.

CSRF is checked app-wide (Flask-WTF). When the LMS iframe blocks the session cookie, the CSRF
secret derives from the launch id the page carries (``lti_tool.web``), so forms need nothing
special; each must still carry the launch id in a hidden ``lid`` field.
"""

import functools
from typing import Any

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms.widgets import Select


class LaunchForm(FlaskForm):
    """A Flask-WTF form used inside a launch."""


class ButtonForm(LaunchForm):
    """A button and nothing else (CSRF and the page's launch id): what it does and to what is
    named by the URL it posts to — confirm, withdraw, retry, revoke, pin, refresh."""


def strip_text(value: Any) -> Any:
    """WTForms filter: surrounding whitespace never counts as input."""
    return value.strip() if isinstance(value, str) else value


@functools.lru_cache(maxsize=4096)
def _option_parts(value: str, label: str) -> tuple[str, str]:
    return f'value="{escape(value)}"', str(escape(label))


class LongSelect(Select):
    """WTForms' ``Select`` for long lists of plain options (the 174 skills): the same HTML,
    each option's escaped value and label kept per process instead of built through
    ``html_params`` on every render (most of the board's template CPU)."""

    @classmethod
    def render_option(cls, value: Any, label: Any, selected: bool, **kwargs: Any) -> Markup:
        if kwargs or not isinstance(value, str) or not isinstance(label, str):
            return super().render_option(value, label, selected, **kwargs)
        attrs, text = _option_parts(value, label)
        return Markup(f"<option {'selected ' if selected else ''}{attrs}>{text}</option>")  # noqa: S704 - escaped in _option_parts
