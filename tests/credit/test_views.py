"""Credit pages over real HTTP with real launches from the sandbox LMS: the roster from NRPS,
the review page, an award whose grade reaches the sandbox gradebook once, a double-submitted
form, bad input, CSRF, read-only TAs, and students and other courses kept out."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from credit.models import CreditAward
from lti_tool import jobs
from lti_tool.auth import load_launch
from lti_tool.extensions import db
from lti_tool.jobs import OutboxMessage
from lti_tool.jobs.delivery import RetryPolicy
from lti_tool.sandbox.seed import stable_id
from tests.conftest import sandbox_launch
from tests.helpers import press_refresh_roster

from .conftest import give_work

COURSE = "bus-390"


class Visitor:
    """One person's browser: a client with the launch id of their sandbox launch."""

    def __init__(self, app: Any, sandbox: Any, person: str, course: str = COURSE) -> None:
        self.client = app.test_client()
        launched = sandbox_launch(self.client, sandbox, course=course, person=person)
        self.lid = launched.lid
        self.home = launched.home
        self.app = app

    def ctx(self):
        with self.app.app_context():
            ctx = load_launch(self.lid)
            assert ctx is not None
            return ctx

    def get(self, path: str, **params: Any):
        return self.client.get(path, query_string={"lid": self.lid, **params})

    def post(self, path: str, data: dict[str, Any], csrf_from: str | None = None):
        body = dict(data)
        body["lid"] = self.lid
        if csrf_from is not None:
            page = self.get(csrf_from).get_data(as_text=True)
            body["csrf_token"] = re.search(
                r'name="csrf_token" type="hidden" value="([^"]+)"', page
            ).group(1)
        return self.client.post(path, data=body, query_string={"lid": self.lid})


def hidden(page: str, form_action: str, name: str) -> str:
    """A hidden input's value inside the form that posts to ``form_action``."""
    start = page.index(f'action="{form_action}')
    form = page[start : page.index("</form>", start)]
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', form).group(1)


@pytest.fixture
def course_people(app, sandbox):
    """The instructor and two students of the sandbox course, launched in that order; Amara
    has finished 50 hours of work counted toward the course."""
    faculty = Visitor(app, sandbox, "priya-raman")
    amara = Visitor(app, sandbox, "amara-okafor")
    ben = Visitor(app, sandbox, "benjamin-tran")
    with app.app_context():
        db.session.execute(OutboxMessage.__table__.delete())
        existing = db.session.scalar(
            select(func.count())
            .select_from(CreditAward)
            .where(
                CreditAward.student_id == amara.ctx().user_id,
                CreditAward.course_id == amara.ctx().course_id,
            )
        )
        if not existing:
            give_work(amara.ctx(), hours=50)
        db.session.commit()
    return faculty, amara, ben


def _award_form(faculty: Visitor, student_id: int) -> dict[str, str]:
    page = faculty.get(f"/credit/students/{student_id}").get_data(as_text=True)
    action = f"/credit/students/{student_id}"
    return {
        "form": "award",
        "csrf_token": hidden(page, action, "csrf_token"),
        "idempotency_key": hidden(page, action, "idempotency_key"),
        "credits": "1",
        "comment": "Strong analysis work.",
    }


def test_roster_lists_everyone_from_nrps_including_not_started_and_dropped(course_people):
    faculty, _amara, _ben = course_people
    refreshed = press_refresh_roster(faculty.client, faculty.lid, "/credit/course")
    assert refreshed.headers["Location"].startswith("/credit/course?")
    page = faculty.get("/credit/course").get_data(as_text=True)
    assert "from the LMS roster" in page
    assert "Read from the LMS just now." in page
    assert re.search(
        r"Amara Okafor</a></th>(?:(?!</tr>).)*(Ready for review|Credit awarded)", page, re.S
    )
    # Emily has not started; Farah dropped the course.
    assert re.search(r"Emily Nguyen</th>(?:(?!</tr>).)*Not started", page, re.S)
    assert re.search(r'Farah Haddad <span class="pill pill-neutral">.*?<span>Dropped</span>', page)
    by_hours = faculty.get("/credit/course", sort="hours", dir="desc").get_data(as_text=True)
    assert 'aria-sort="descending"' in by_hours
    assert by_hours.index("Amara Okafor") < by_hours.index("Benjamin Tran")


def test_award_reaches_the_sandbox_gradebook_once_even_when_the_form_is_sent_twice(
    app, sandbox, course_people
):
    faculty, amara, _ben = course_people
    student_id = amara.ctx().user_id

    def amara_results() -> dict[str, dict]:
        """Amara's results in the sandbox course by line item (other tests post there too)."""
        resp = requests.get(sandbox.api_url(COURSE, "attempts.json"), timeout=10)
        return {
            r["line_item"]: r
            for r in resp.json()["results"]
            if r["user_id"] == stable_id("person:amara-okafor")
        }

    before = amara_results()
    form = _award_form(faculty, student_id)
    first = faculty.post(f"/credit/students/{student_id}", form)
    second = faculty.post(f"/credit/students/{student_id}", form)  # double click
    assert (first.status_code, second.status_code) == (303, 303)
    # The second click lands on the same success, not on a conflict.
    assert "just decided" not in faculty.get(f"/credit/students/{student_id}").get_data(
        as_text=True
    )
    with app.app_context():
        awards = db.session.scalars(
            select(CreditAward).where(
                CreditAward.student_id == student_id,
                CreditAward.course_id == amara.ctx().course_id,
            )
        ).all()
        assert len(awards) == 1
        award = awards[0]
        assert award.lineitem_url and "/line_items/" in award.lineitem_url
    stats = jobs.drain(app, policy=RetryPolicy(base_s=0.05, cap_s=0.5), wait_s=5)
    assert stats.sent >= 1
    # One score reached the credit column for the two clicks, and no submission attempt.
    result = amara_results()[award.lineitem_url]
    earlier = before.get(award.lineitem_url, {"score_posts": 0, "attempts": 0})
    assert result["score_posts"] - earlier["score_posts"] == 1
    assert result["attempts"] == earlier["attempts"]
    page = faculty.get(f"/credit/students/{student_id}").get_data(as_text=True)
    assert "In the gradebook" in page
    # The student sees the award on their home.
    home = amara.get("/home/student").get_data(as_text=True)
    assert "Credit awarded" in home and "1 credit, grade Pass" in home


def test_bad_award_input_is_shown_and_nothing_is_saved(app, sandbox, course_people):
    faculty, _amara, _ben = course_people
    diego = Visitor(app, sandbox, "diego-ramirez")
    student_id = diego.ctx().user_id
    with app.app_context():
        if not db.session.scalar(
            select(func.count())
            .select_from(CreditAward)
            .where(CreditAward.student_id == student_id)
        ):
            give_work(diego.ctx(), hours=50)
            db.session.commit()
    form = _award_form(faculty, student_id) | {"credits": "7"}
    resp = faculty.post(f"/credit/students/{student_id}", form)
    assert resp.status_code == 422
    assert "Award between 1 and 1 credits" in resp.get_data(as_text=True)
    no_token = {k: v for k, v in _award_form(faculty, student_id).items() if k != "csrf_token"}
    assert faculty.post(f"/credit/students/{student_id}", no_token).status_code == 400
    with app.app_context():
        assert not db.session.scalar(
            select(func.count())
            .select_from(CreditAward)
            .where(CreditAward.student_id == student_id)
        )


def test_students_teaching_assistants_and_other_courses_are_kept_out(app, sandbox, course_people):
    _faculty, amara, ben = course_people
    amara_id, ben_id = amara.ctx().user_id, ben.ctx().user_id
    # A student reaches no faculty page and never another student's record.
    for path in (
        "/credit/course",
        f"/credit/students/{ben_id}",
        "/credit/queue",
        "/credit/export.csv",
    ):
        resp = amara.get(path)
        assert resp.status_code == 403, path
        assert 'data-reason="role"' in resp.get_data(as_text=True)
    assert "Benjamin" not in amara.get("/home/student").get_data(as_text=True)
    # A TA reads but cannot decide.
    ta = Visitor(app, sandbox, "marcus-lee")
    assert ta.get(f"/credit/students/{amara_id}").status_code == 200
    form = {"form": "award", "idempotency_key": "k" * 24, "credits": "1"}
    resp = ta.post(f"/credit/students/{amara_id}", form, csrf_from="/credit/policy")
    assert resp.status_code == 403 and 'data-reason="read_only"' in resp.get_data(as_text=True)
    # An instructor of another course cannot open a student who is only in this one.
    other = Visitor(app, sandbox, "thomas-brooks", course="cs-195")
    resp = other.get(f"/credit/students/{amara_id}")
    assert resp.status_code == 404


def test_policy_page_validates_and_keeps_the_old_values(app, course_people):
    faculty, _amara, _ben = course_people
    page = faculty.get("/credit/policy").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {
        "csrf_token": token,
        "hours_per_credit": "-3",
        "max_credits": "2",
        "allow_stacking": "y",
        "require_agreement": "y",
        "require_evaluation": "y",
        "require_reflection": "y",
        "min_rating": "",
        "grading_mode": "pass_fail",
        "points_possible": "100",
        "approval_chain": "faculty",
        "second_approver": "advisor",
    }
    bad = faculty.post("/credit/policy", data)
    assert bad.status_code == 422 and "Number must be between 1 and 400" in bad.get_data(
        as_text=True
    )
    good = faculty.post("/credit/policy", data | {"hours_per_credit": "40"})
    assert good.status_code == 303
    assert 'value="40"' in faculty.get("/credit/policy").get_data(as_text=True)
    faculty.post("/credit/policy", data | {"hours_per_credit": "45"})
