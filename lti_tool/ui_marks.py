"""The design system's icon and pill (``templates/_ui.html``'s ``icon`` and ``pill``), rendered
in Python.

They were Jinja macros; a macro call builds a frame, a dict of arguments and a join of its
output, and a page calls them many times (the engagement page twenty-odd). An icon's markup
depends only on the sprite's address and its name (and its label, when it has one), so the
unlabelled ones are kept as ready ``Markup`` per sprite and name, made once per process; a
pill is its tone's icon and its words. The markup is the macros', character for character,
escaped as autoescape escaped it. ``_ui.html`` binds them under their old names, so
``ui.icon("clock")`` and ``ui.pill(state, label)`` are unchanged.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import Flask
from markupsafe import Markup, escape

from .words import TONE_ICONS
from .words import tone as state_tone


class Marks:
    """The icon and the pill drawn from one sprite (its address: ``static/icons.svg``)."""

    def __init__(self, sprite: str) -> None:
        self._sprite = escape(sprite)
        self._icons: dict[str, Markup] = {}

    def icon(self, name: Any, label: Any = None) -> Markup:
        """The sprite's symbol ``name``: decorative (aria-hidden) or, with a label, an image."""
        if label:
            return self._draw(name, f' role="img" aria-label="{escape(label)}"')
        drawn = self._icons.get(name)
        if drawn is None:
            drawn = self._draw(name, ' aria-hidden="true"')
            if isinstance(name, str):  # the template's literal names: a handful
                self._icons[name] = drawn
        return drawn

    def _draw(self, name: Any, role: str) -> Markup:
        name = escape(name)
        return Markup(  # noqa: S704 - the name, the label and the sprite escaped
            f'<svg class="icon icon-{name}"{role} focusable="false">'
            f'<use href="{self._sprite}#{name}"></use></svg>'
        )

    def pill(self, state: Any, label: Any = None, tone: Any = None) -> Markup:
        """A state's words in its tone's colour (``tone``, or the state's), with its icon."""
        shade = tone or state_tone(state)
        words = label or str(state or "").replace("_", " ").capitalize()
        icon = self.icon(TONE_ICONS.get(shade, ""))
        return Markup(  # noqa: S704 - the tone and the words escaped, the icon is Markup
            f'<span class="pill pill-{escape(shade)}">{icon}<span>{escape(words)}</span></span>'
        )


@lru_cache(maxsize=8)
def marks(sprite: str) -> Marks:
    """The icon and pill of the sprite at ``sprite`` (one per address, kept)."""
    return Marks(sprite)


def init_app(app: Flask) -> None:
    """Give templates ``_ui_marks`` (``_ui.html`` binds its icon and pill)."""
    app.jinja_env.globals["_ui_marks"] = marks
