"""Faculty rubric ratings of Moodle course competencies go back through
``core_competency_grade_competency_in_course`` with a note naming the engagement; Moodle's
error body fails the row with its message (retry button), an unreachable Moodle retries, and
pending ratings of the same competency coalesce."""

from __future__ import annotations

from urllib.parse import parse_qs

import requests

from internships.work.models import Engagement
from lti_tool import jobs
from lti_tool.auth import load_launch
from lti_tool.extensions import db
from lti_tool.models import utcnow
from tests.accreditation.frameworks.test_lms import MOODLE, configure
from tests.connectors.conftest import fixture
from tests.helpers import csrf_token
from tests.internships.work.helpers import accept

from .conftest import Course, messages

KIND = "moodle.grade_competency"
SERVER = f"{MOODLE}/webservice/rest/server.php"


class FakeMoodle:
    """Answers by ``wsfunction``; grading answers come from ``grades`` in turn."""

    def __init__(self) -> None:
        self.grades: list = []
        self.graded: list[dict[str, str]] = []

    def __call__(self, request, context):
        form = {k: v[0] for k, v in parse_qs(request.text).items()}
        if form["wsfunction"] == "core_competency_list_course_competencies":
            return fixture("moodle", "list_course_competencies.json")
        self.graded.append(form)
        answer = self.grades.pop(0) if self.grades else "ok"
        if isinstance(answer, Exception):
            raise answer
        return (
            fixture("moodle", answer)
            if answer != "ok"
            else fixture("moodle", "grade_competency_in_course.json")
        )


def moodle_course(app, driver, platform, requests_mock, seed_listing, fake) -> Course:
    requests_mock.real_http = True
    requests_mock.post(SERVER, json=fake)
    configure(app, platform, moodle_url=MOODLE, moodle_ws_token="ws-token-1234")
    lti = driver(platform)
    launched = lti.launch(sub="prof-2", role="faculty", course="7", follow=False)
    page = lti.client.get(f"/frameworks/lms?lid={launched.lid}")
    read = lti.client.post(
        "/frameworks/lms/read/moodle", data={"lid": launched.lid, "csrf_token": csrf_token(page)}
    )
    assert read.status_code == 303
    student = driver(platform).launch(sub="42", role="student", course="7", follow=False)
    listing_id = seed_listing(platform.tenant_id, competencies=["Teamwork"], title="Ops audit")
    with app.app_context():
        engagement = accept(load_launch(student.lid), listing_id)
        db.session.commit()
        engagement_id = engagement.id
        assert db.session.get(Engagement, engagement_id).course_id is not None
    return Course(app, platform, lti.client, launched.lid, engagement_id, 0)


def test_competency_rating_reaches_moodle_with_a_note(
    app, driver, platform, requests_mock, seed_listing
):
    fake = FakeMoodle()
    course = moodle_course(app, driver, platform, requests_mock, seed_listing, fake)
    resp = course.rate({"Teamwork": "3", "Written reports": "2"})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    queued = messages(app, platform.tenant_id, KIND)
    assert {m.payload["name"]: m.payload["grade"] for m in queued} == {
        "Teamwork": 3,
        "Written reports": 2,
    }  # "not applicable" is not sent
    assert jobs.drain(app).sent == 2
    graded = {f["competencyid"]: f for f in fake.graded}
    team = graded["22"]
    assert (team["courseid"], team["userid"], team["grade"]) == ("7", "42", "3")
    assert f"(engagement {course.engagement_id})" in team["note"] and "Ops audit" in team["note"]


def test_moodle_refusal_fails_with_its_message_and_outage_retries(
    app, driver, platform, requests_mock, seed_listing
):
    fake = FakeMoodle()
    course = moodle_course(app, driver, platform, requests_mock, seed_listing, fake)
    fake.grades = ["error_accessexception.json", requests.ConnectionError("down")]
    course.rate({"Teamwork": "3", "Written reports": "2"})
    # Each of the two rows once: the outage's backoff (full jitter, from 0 s) may come due
    # while a busy machine is still draining, and a second try would find no outage.
    stats = jobs.drain(app, max_rows=2)
    assert (stats.failed, stats.retried) == (1, 1)
    rows = {m.status: m for m in messages(app, platform.tenant_id, KIND)}
    assert "(access control exception) (accessexception)" in rows["failed"].last_error
    assert "could not reach Moodle" in rows["pending"].last_error
    with app.app_context():
        jobs.retry(rows["failed"].id)
        db.session.get(jobs.OutboxMessage, rows["pending"].id).next_attempt_at = utcnow()
        db.session.commit()
    assert jobs.drain(app).sent == 2


def test_pending_ratings_of_one_competency_coalesce(
    app, driver, platform, requests_mock, seed_listing
):
    fake = FakeMoodle()
    course = moodle_course(app, driver, platform, requests_mock, seed_listing, fake)
    course.rate({"Written reports": "2"})
    course.rate({"Written reports": "4"})
    rows = messages(app, platform.tenant_id, KIND)
    assert [r.status for r in rows] == ["superseded", "pending"]
    assert jobs.drain(app).sent == 1
    assert [f["grade"] for f in fake.graded] == ["4"]
