"""Form rows rendered in Python (``lti_tool.form_rows``, issue 16) give the markup the Jinja
macros of ``templates/_macros.html`` gave, character for character: the old macros' source is
kept here and rendered with the app's environment, beside the functions, for each kind of
field the templates pass, with and without a hint, with and without errors, and with the extra
attributes the templates pass. A page whose form fails still marks the control invalid and
ties the error to it."""

from __future__ import annotations

import itertools
from html.parser import HTMLParser
from typing import Any

import pytest
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    Form,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired

from internships.forms import CheckboxesField
from lti_tool import form_rows
from tests.lti_tool.test_admin import admin_launch, post_settings

# templates/_macros.html's form macros as they were before lti_tool/form_rows.py (commit
# 237aaf8), kept verbatim: what the Python rows must equal.
OLD_MACROS = """\
{% macro hint_and_errors(field) %}
{% if field.description %}<p class="hint" id="{{ field.id }}-hint">{{ field.description }}</p>{% endif %}
{% if field.errors %}<p class="error-text" id="{{ field.id }}-error">{% for error in field.errors %}{{ error }} {% endfor %}</p>{% endif %}
{% endmacro %}

{% macro field_row(field, extra={}) %}
{% set described = [] %}
{% if field.description %}{% set _ = described.append(field.id ~ "-hint") %}{% endif %}
{% if field.errors %}{% set _ = described.append(field.id ~ "-error") %}{% endif %}
{% set attrs = {"aria-describedby": described|join(" ")} if described else {} %}
{% if field.errors %}{% set _ = attrs.update({"aria-invalid": "true"}) %}{% endif %}
{% set _ = attrs.update(extra) %}
<div class="field{% if field.errors %} field-error{% endif %}">
  {% if field.type == "BooleanField" %}
  <p>{{ field(**attrs) }} {{ field_label(field, attrs.get("required"), "inline") }}</p>
  {{ hint_and_errors(field) }}
  {% else %}
  {{ field_label(field, attrs.get("required")) }}
  {{ hint_and_errors(field) }}
  {{ field(**attrs) }}
  {% endif %}
</div>
{% endmacro %}

{% macro field_label(field, required=false, class_="") %}
{%- if required -%}
<label for="{{ field.id }}"{% if class_ %} class="{{ class_ }}"{% endif %}>{{ field.label.text }} <span class="required">(required)</span></label>
{%- elif class_ -%}
{{ field.label(class_=class_) }}
{%- else -%}
{{ field.label() }}
{%- endif -%}
{% endmacro %}

{% macro choice_group(field) %}
<fieldset class="choices{% if field.errors %} field-error{% endif %}" id="{{ field.id }}"{% if field.description or field.errors %} aria-describedby="{% if field.description %}{{ field.id }}-hint {% endif %}{% if field.errors %}{{ field.id }}-error{% endif %}"{% endif %}>
  <legend>{{ field.label.text }}</legend>
  {{ hint_and_errors(field) }}
  {% for option in field %}
  <p class="choice">{{ option() }} {{ option.label(class_="inline") }}</p>
  {% endfor %}
</fieldset>
{% endmacro %}
"""  # noqa: E501

CHOICES = [("a", "Apples & <pears>"), ("b", 'Say "b"'), ("c", "C")]


class Every(Form):
    """A field of each kind the templates pass to field_row or choice_group."""

    text = StringField("Your <name> & title")
    notes = TextAreaField("Notes")
    pick = SelectField("Pick one", choices=CHOICES)
    agree = BooleanField("I agree & accept")
    agree_required = BooleanField("I confirm", validators=[InputRequired()])
    when = DateField("Start date")
    count = IntegerField("Weeks")
    amount = DecimalField("Amount")
    radio = RadioField("Kind", choices=CHOICES)
    boxes = CheckboxesField("Years", choices=CHOICES)


ROW_FIELDS = ("text", "notes", "pick", "agree", "agree_required", "when", "count", "amount")
GROUP_FIELDS = ("radio", "boxes")
# What the templates pass as field_row's extra (grep 'field_row(' templates), and none.
EXTRAS: list[dict[str, Any] | None] = [
    None,
    {},
    {"required": True},
    {"rows": 3},
    {"rows": 8, "spellcheck": "false"},
    {"autocomplete": "email"},
    {"type": "email", "autocomplete": "email"},
    {"type": "date"},
    {"inputmode": "decimal"},
    {"type": "number", "min": 1, "max": 400, "inputmode": "numeric", "required": True},
    {"accept": "application/pdf,.pdf"},
]
DESCRIPTIONS = ("", 'Shown to "employers" & <advisors>')
ERRORS: tuple[list[str], ...] = ([], ["Enter <a> value."], ["First & one.", 'Second "two".'])


@pytest.fixture(scope="module")
def old(app):
    with app.app_context():
        return app.jinja_env.from_string(OLD_MACROS).module


def _form(prefix: str, description: str, errors: list[str], data: dict | None = None) -> Form:
    form = Every(prefix=prefix, data=data)
    for field in form:
        field.description = description
        field.errors = list(errors)
    return form


@pytest.mark.parametrize("prefix", ["", 'x"<&>-'])
@pytest.mark.parametrize(("description", "errors"), itertools.product(DESCRIPTIONS, ERRORS))
def test_field_row_is_the_old_macro_markup(app, old, prefix, description, errors):
    form = _form(prefix, description, errors, {"text": "Ann <b>", "agree": True, "pick": "b"})
    for name, extra in itertools.product(ROW_FIELDS, EXTRAS):
        field = form[name]
        expected = old.field_row(field) if extra is None else old.field_row(field, extra)
        got = form_rows.field_row(field) if extra is None else form_rows.field_row(field, extra)
        assert str(got) == str(expected), (name, extra)


@pytest.mark.parametrize("prefix", ["", 'x"<&>-'])
@pytest.mark.parametrize(("description", "errors"), itertools.product(DESCRIPTIONS, ERRORS))
def test_choice_group_is_the_old_macro_markup(app, old, prefix, description, errors):
    form = _form(prefix, description, errors, {"radio": "b", "boxes": ["a", "c"]})
    for name in GROUP_FIELDS:
        assert str(form_rows.choice_group(form[name])) == str(old.choice_group(form[name])), name


def test_labels_and_hints_are_the_old_macro_markup(app, old):
    form = _form("", DESCRIPTIONS[1], ERRORS[2])
    for name, (required, class_) in itertools.product(
        ROW_FIELDS, [(False, ""), (True, ""), (False, "inline"), (True, "inline")]
    ):
        field = form[name]
        assert str(form_rows.field_label(field, required, class_)) == str(
            old.field_label(field, required, class_)
        )
        assert str(form_rows.hint_and_errors(field)) == str(old.hint_and_errors(field))


@pytest.mark.parametrize(
    "imports",
    [
        '{% from "_macros.html" import field_row, choice_group %}',
        '{% from "_macros.html" import field_row, choice_group with context %}',
        '{% from "_macros.html" import field_row, choice_group without context %}',
        '{% from "_macros.html" import field_row, choice_group, hidden_launch with context %}',
        # templates/employers/pay/_panel.html: imports them unless its page did
        "{% if field_row is not defined or choice_group is not defined %}"
        '{% from "_macros.html" import field_row, choice_group %}{% endif %}',
    ],
)
def test_templates_import_the_python_rows(app, imports):
    form = _form("", DESCRIPTIONS[1], ERRORS[1])
    with app.test_request_context():
        template = app.jinja_env.from_string(
            imports + '{{ field_row(form.text, {"rows": 3}) }}{{ choice_group(form.radio) }}'
        )
        html = template.render(form=form)
    expected = form_rows.field_row(form.text, {"rows": 3}) + form_rows.choice_group(form.radio)
    assert html == str(expected)


def test_the_rows_are_not_macros(app):
    """No Jinja macro call per row: the names _macros.html exports are the functions."""
    with app.app_context():
        module = app.jinja_env.get_template("_macros.html").module
    assert module.field_row is form_rows.field_row
    assert module.choice_group is form_rows.choice_group
    assert module.field_label is form_rows.field_label
    assert module.hint_and_errors is form_rows.hint_and_errors


class _Controls(HTMLParser):
    """Each element's attributes by id, and the text of each paragraph that has an id."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str]] = {}
        self.text: dict[str, str] = {}
        self._paragraph: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if "id" in found:
            self.by_id[found["id"]] = found
            if tag == "p":
                self._paragraph = found["id"]
                self.text[found["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._paragraph = None

    def handle_data(self, data: str) -> None:
        if self._paragraph is not None:
            self.text[self._paragraph] += data


def test_a_refused_form_marks_its_control_and_ties_the_error_to_it(make_platform, driver):
    lti, launched = admin_launch(driver, make_platform())
    resp = post_settings(lti, launched.lid, name="bad name!")
    assert resp.status_code == 422
    parsed = _Controls()
    parsed.feed(resp.get_data(as_text=True))
    control = parsed.by_id["advisor_claim_name"]
    assert control["aria-invalid"] == "true"
    assert control["value"] == "bad name!"  # what was typed is kept
    described = control["aria-describedby"].split()
    assert "advisor_claim_name-error" in described
    assert "Use 1 to 64 letters" in parsed.text["advisor_claim_name-error"]
    # the other fields of the form are not marked
    assert "aria-invalid" not in parsed.by_id["advisor_claim_value"]
