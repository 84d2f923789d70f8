"""``LongSelect`` renders exactly what WTForms' ``Select`` renders, only faster."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectMultipleField
from wtforms.widgets import Select

from lti_tool.forms import LongSelect

CHOICES = [("a&b", "Ampersand & co"), ("q", '"Quoted" <b>'), ("x", "Plain"), ("", "None")]


class _Fast(Form):
    skills = SelectMultipleField("Skills", choices=CHOICES, widget=LongSelect(multiple=True))


class _Plain(Form):
    skills = SelectMultipleField("Skills", choices=CHOICES, widget=Select(multiple=True))


def test_long_select_renders_the_same_html_as_wtforms_select():
    for data in (MultiDict(), MultiDict([("skills", "a&b"), ("skills", "x")])):
        fast, plain = _Fast(data), _Plain(data)
        assert str(fast.skills(size=6)) == str(plain.skills(size=6))
    assert 'selected value="a&amp;b"' in str(_Fast(MultiDict([("skills", "a&b")])).skills())
    assert "&lt;b&gt;" in str(_Fast().skills())
