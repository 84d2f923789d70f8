"""The review page builds the decision forms it shows and no others (issue 16): a Flask-WTF
form with its CSRF token cost about a twentieth of the page; the retry button's form was built
on every review, the award, changes and deny forms under an award that shows only the
correction."""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm

from credit.services import awards as award_svc
from credit.services import policy as policy_svc
from lti_tool.extensions import db
from tests.helpers import record_made

from .conftest import give_work
from .test_pages import get
from .test_services import award_input, policy_input


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the forms built, in order."""
    return record_made(monkeypatch, FlaskForm)


def test_a_review_builds_only_the_forms_its_decision_panel_shows(app, school, built):
    faculty, student = school.person("faculty"), school.person("student")
    with app.app_context():
        path = f"/credit/students/{student.user_id}"
        fctx = faculty.ctx()
        give_work(student.ctx(), hours=50)
        policy_svc.update_policy(fctx, policy_input())
        db.session.commit()
        built.clear()  # the launches' own pages (the homes) built theirs
        page = get(faculty, path)
        assert page.status_code == 200
        assert 'value="award"' in page.get_data(as_text=True)
        # no retry button's form: no grade failed to reach the LMS
        assert sorted(built) == ["AwardForm", "DenyForm", "MessageForm"]

        award_svc.award_credit(fctx, student.user_id, award_input(), lineitem_url=None)
        db.session.commit()
        built.clear()
        text = get(faculty, path).get_data(as_text=True)
        assert 'value="correct"' in text and 'value="award"' not in text
        assert built == ["CorrectionForm"]
