"""``LongSelect``: single, exactly what WTForms' ``Select`` renders, only faster; multiple, the
checkbox picker, which submits what the multi-select submitted."""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectField, SelectMultipleField
from wtforms.validators import InputRequired
from wtforms.widgets import Select

from lti_tool.forms import LongSelect

CHOICES = [("a&b", "Ampersand & co"), ("q", '"Quoted" <b>'), ("x", "Plain"), ("", "None")]


class _Fast(Form):
    skills = SelectMultipleField("Skills", choices=CHOICES, widget=LongSelect(multiple=True))
    one = SelectField("One", choices=CHOICES, widget=LongSelect())


class _Plain(Form):
    one = SelectField("One", choices=CHOICES, widget=Select())


def test_a_single_long_select_renders_the_same_html_as_wtforms_select():
    for data in (MultiDict(), MultiDict([("one", "a&b")])):
        assert str(_Fast(data).one(size=6)) == str(_Plain(data).one(size=6))
    assert 'selected value="a&amp;b"' in str(_Fast(MultiDict([("one", "a&b")])).one())


def test_a_multiple_long_select_is_a_picker_of_checkboxes(app):
    with app.test_request_context():
        html = str(_Fast(MultiDict([("skills", "a&b"), ("skills", "x")])).skills())
        empty = str(_Fast().skills())
    assert '<fieldset class="picker" id="skills" data-picker' in html
    assert "<legend>Skills</legend>" in html
    boxes = re.findall(r'<input type="checkbox" name="skills" value="([^"]*)" id="([^"]*)"', html)
    assert boxes == [
        ("a&amp;b", "skills-0"),
        ("q", "skills-1"),
        ("x", "skills-2"),
        ("", "skills-3"),
    ]
    # each checkbox has exactly one label, tied by its id
    assert [re.findall(rf'<label for="{box_id}">', html) for _, box_id in boxes] == [
        [f'<label for="{box_id}">'] for _, box_id in boxes
    ]
    assert 'value="a&amp;b" id="skills-0" checked>' in html
    assert 'value="q" id="skills-1">' in html  # not chosen
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert "Chosen: Ampersand &amp; co, Plain</p>" in html
    assert "Chosen: none</p>" in empty and " checked" not in empty
    # the filter waits for the script, which comes with the page's nonce
    assert '<p class="picker-filter" hidden>' in html
    assert re.search(r'<script defer nonce="[^"]+" src="/static/js/picker.js">', html)


def test_a_pickers_errors_are_tied_to_it(app):
    class _Required(Form):
        skills = SelectMultipleField(
            "Skills",
            choices=CHOICES,
            widget=LongSelect(multiple=True),
            validators=[InputRequired()],
        )

    form = _Required(MultiDict())
    assert not form.validate()
    with app.test_request_context():
        html = str(form.skills())
    assert 'aria-describedby="skills-hint skills-chosen skills-error"' in html
    assert '<p class="error-text" id="skills-error">This field is required.</p>' in html


def test_a_kept_picker_follows_its_values_and_errors_and_each_request_has_its_own_nonce(app):
    """The fieldset is kept per process by what it is made of: another choice, no choice, an
    error, or other choices each give their own HTML; the script's nonce is the request's."""

    class _Other(Form):
        skills = SelectMultipleField(
            "Skills", choices=[("z", "Zed")], widget=LongSelect(multiple=True)
        )

    def render(form: Form) -> str:
        with app.test_request_context():
            return str(form.skills())

    x = render(_Fast(MultiDict([("skills", "x")])))
    again = render(_Fast(MultiDict([("skills", "x")])))
    q = render(_Fast(MultiDict([("skills", "q")])))
    none = render(_Fast())
    nonces = [re.search(r'nonce="([^"]+)"', html).group(1) for html in (x, again)]  # type: ignore[union-attr]
    assert nonces[0] != nonces[1]
    assert x.replace(nonces[0], "") == again.replace(nonces[1], "")
    assert 'value="x" id="skills-2" checked>' in x and "Chosen: Plain</p>" in x
    assert 'value="q" id="skills-1" checked>' in q and 'value="x" id="skills-2">' in q
    assert " checked" not in none and "Chosen: none</p>" in none
    failing = _Fast(MultiDict([("skills", "x")]))
    failing.skills.errors = ["Choose fewer skills."]
    assert '<p class="error-text" id="skills-error">Choose fewer skills.</p>' in render(failing)
    assert "Zed" in render(_Other()) and "Zed" not in none
