"""The icon and the pill rendered in Python (``lti_tool.ui_marks``, issue 16) give the markup
the Jinja macros of ``templates/_ui.html`` gave, character for character: the old macros'
source is kept here and rendered with the app's environment beside the functions, for every
tone, with and without a label (escaped), with a tone given, and through ``_ui.html``."""

from __future__ import annotations

import itertools

import pytest
from markupsafe import Markup

from lti_tool.ui_marks import marks
from lti_tool.words import STATE_TONES, TONE_ICONS

# templates/_ui.html's icon and pill macros before lti_tool/ui_marks.py, kept verbatim.
OLD_MACROS = """\
{%- set sprite = url_for('static', filename='icons.svg') -%}

{% macro icon(name, label=none) -%}
<svg class="icon icon-{{ name }}"{% if label %} role="img" aria-label="{{ label }}"{% else %} aria-hidden="true"{% endif %} focusable="false"><use href="{{ sprite }}#{{ name }}"></use></svg>
{%- endmacro %}

{% macro pill(state, label=none, tone=none) -%}
{%- set t = tone or (state|tone) -%}
<span class="pill pill-{{ t }}">{{ icon(TONE_ICONS[t]) }}<span>{{ label or (state or "")|replace("_", " ")|capitalize }}</span></span>
{%- endmacro %}
"""  # noqa: E501

STATES = [*STATE_TONES, "in_progress_now", "", None]
LABELS = [None, "", "Waiting for review", "<b>Tom & Jerry</b>", Markup("<em>kept</em>")]
TONES = [None, *TONE_ICONS]


@pytest.fixture
def old_and_new(app):
    with app.test_request_context("/"):
        old = app.jinja_env.from_string(OLD_MACROS).module
        new = marks(app.url_for("static", filename="icons.svg"))
        yield old, new


def test_icons_are_the_macro_s_markup(old_and_new):
    old, new = old_and_new
    for name, label in itertools.product(["clock", "circle-check", "a<b"], LABELS):
        assert new.icon(name, label) == old.icon(name, label), (name, label)
    assert 'aria-label="&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"' in new.icon("clock", LABELS[3])


def test_pills_are_the_macro_s_markup(old_and_new):
    old, new = old_and_new
    for state, label, tone in itertools.product(STATES, LABELS, TONES):
        assert new.pill(state, label) == old.pill(state, label), (state, label)
        assert new.pill(state, label, tone=tone) == old.pill(state, label, tone=tone)
    assert isinstance(new.pill("pending"), Markup)


def test_an_unlabelled_icon_is_drawn_once_per_sprite_and_name(old_and_new):
    _, new = old_and_new
    assert new.icon("clock") is new.icon("clock")
    assert new.icon("clock", "Waiting") is not new.icon("clock", "Waiting")
    assert marks("/elsewhere/icons.svg").icon("clock") != new.icon("clock")


def test_ui_html_binds_them_under_their_old_names(app, old_and_new):
    old, _ = old_and_new
    page = app.jinja_env.from_string(
        '{% import "_ui.html" as ui %}{{ ui.icon("clock") }}|{{ ui.pill("pending", "Wait") }}'
        '|{% call ui.empty_state("None") %}x{% endcall %}'
    )
    icon, pill, empty = page.render().split("|")
    assert icon == old.icon("clock") and pill == old.pill("pending", "Wait")
    assert old.icon("inbox") in empty
