"""One message per problem (issue 17): a value WTForms cannot read ("abc" in a number field)
is refused with one message in the tool's words, not with that and then what the validators
find next (a missing value, a range); the same message is never shown twice for a field."""

from __future__ import annotations

import datetime as dt
import html
import re

from werkzeug.datastructures import MultiDict
from wtforms import DecimalField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from lti_tool.extensions import db
from lti_tool.forms import CheckedForm

from .conftest import give_work
from .test_pages import get, post

ERRORS = re.compile(r'<p class="error-text" id="([\w-]+)-error">(.*?)</p>', re.S)


class _Form(CheckedForm):
    class Meta:
        csrf = False

    hours = DecimalField("Hours", validators=[InputRequired("Enter the hours."), NumberRange(1, 9)])
    count = IntegerField("Count", validators=[Optional(), NumberRange(1, 5)])
    choice = SelectField("Choice", choices=[("a", "A")])


def test_unreadable_input_gets_one_message_in_the_tools_words(app):
    with app.test_request_context():
        form = _Form(MultiDict({"hours": "abc", "count": "zz", "choice": "b"}))
        assert not form.validate()
        assert form.errors == {
            "hours": ["Enter a number, like 2.5."],
            "count": ["Enter a whole number, like 3."],
            "choice": ["Choose one of the options offered."],
        }
        in_range = _Form(MultiDict({"hours": "20", "count": "3", "choice": "a"}))
        assert not in_range.validate()
        assert in_range.errors == {"hours": ["Number must be between 1 and 9."]}


def test_the_hours_form_and_the_board_say_one_thing_about_a_word_for_a_number(app, school):
    student = school.person("student", sub="stu-one-message")
    with app.app_context():
        engagement_id = give_work(student.ctx(), hours=4, status="active").id
        db.session.commit()
    url = f"/work/engagements/{engagement_id}"
    entry = {
        "form": "hours",
        "work_date": dt.date.today().isoformat(),
        "hours": "lots",
        "description": "Interviews",
    }
    refused = post(student, url, entry, url)
    assert refused.status_code == 422
    errors = dict(ERRORS.findall(html.unescape(refused.get_data(as_text=True))))
    assert errors["hours"].strip() == "Give the hours as a number, e.g. 2.5.", errors
    board = get(student, "/internships/", min_hours="lots").get_data(as_text=True)
    assert board.count("Enter a whole number, like 3.") == 1


def test_the_credit_pages_show_hours_to_the_quarter_like_every_other(app, school):
    """One truth about hours (issue 17): 12.75 confirmed hours are "12.75" on the review page,
    the roster, the queue, the student's credit panel and the engagement page alike."""
    faculty = school.person("faculty")
    student = school.person("student", sub="stu-quarter")
    with app.app_context():
        engagement_id = give_work(student.ctx(), hours=12.75).id
        db.session.commit()
        student_id = student.user_id
    review = html.unescape(get(faculty, f"/credit/students/{student_id}").get_data(as_text=True))
    assert "12.75 counted hours (12.75 approved in all, 0 waiting)" in review
    assert "12.75 hours confirmed of" in review
    roster = get(faculty, "/credit/course").get_data(as_text=True)
    assert "12.75" in roster and "12.8" not in roster
    home = html.unescape(get(student, "/home/student").get_data(as_text=True))
    assert "12.75 of" in home and "12.8" not in home
    page = get(student, f"/work/engagements/{engagement_id}").get_data(as_text=True)
    assert "12.75 confirmed · 0 waiting" in page
