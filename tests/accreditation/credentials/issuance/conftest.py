"""The issuance tests' world (tests/internships/work/conftest.py's: a school with two students,
an advisor, an instructor and a listing targeting Teamwork and Communication) and the flow that
finishes an engagement through HTTP: the student logs hours and hands in a link, the supervisor
confirms the hours and submits the evaluation through the emailed links, the advisor marks the
engagement completed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from internships.work.models import Engagement, HourLog
from lti_tool.extensions import db
from tests.helpers import csrf_token, launch_csrf
from tests.internships.work.conftest import make_world
from tests.internships.work.helpers import (
    accept_via_advisor,
    accepted_days_ago,
    last_link,
    public_client,
    submit_application,
    the_application,
)

COMPETENCIES = ("Teamwork", "Communication")
DELIVERABLE_URL = "https://portfolio.example.org/survey-report"


@pytest.fixture
def world(school, seed_listing):
    return make_world(school, seed_listing, COMPETENCIES)


def _post(app: Any, person: Any, page: str, **data: Any) -> Any:
    """A form of the engagement page posted as the person's browser does (the page's token is
    the launch's: derived from its launch id)."""
    token = launch_csrf(app, person.lid)
    return person.client.post(page, data={"lid": person.lid, "csrf_token": token, **data})


def engaged(app: Any, world: dict[str, Any]) -> int:
    """The world's student engaged on its listing (accepted by the advisor), the agreement
    acknowledged, accepted a week ago (so hours can be logged)."""
    submit_application(world["student"], world["listing"])
    application = the_application(app, world["student"].sub)
    accept_via_advisor(world, application.id)
    with app.app_context():
        engagement_id = int(
            db.session.scalar(
                select(Engagement.id).where(Engagement.application_id == application.id)
            )
        )
    resp = _post(app, world["student"], f"/work/engagements/{engagement_id}/acknowledge")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    accepted_days_ago(app, engagement_id, 7)
    return engagement_id


def _supervisor_confirms_hours(app: Any, world: dict[str, Any], engagement_id: int) -> None:
    url = f"/work/engagements/{engagement_id}"
    student = world["student"]
    resp = _post(app, student, url, form="supervisor_link", purpose="confirm_hours")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    path = last_link(app, "sam@acme.example", "hours")
    with app.app_context():
        ids = list(
            db.session.scalars(select(HourLog.id).where(HourLog.engagement_id == engagement_id))
        )
    browser = public_client(app)
    page = browser.get(path)
    decisions = {f"decision-{i}": "confirm" for i in ids}
    done = browser.post(path, data={"csrf_token": csrf_token(page), **decisions})
    assert done.status_code == 200, done.get_data(as_text=True)[:500]


def _supervisor_evaluates(app: Any, comment: str) -> None:
    path = last_link(app, "sam@acme.example", "evaluate")
    browser = public_client(app)
    page = browser.get(path)
    done = browser.post(
        path,
        data={
            "csrf_token": csrf_token(page),
            "supervisor_name": "Sam Supervisor",
            "rating-0": "3",  # Communication: Early Application
            "comment-0": "Clear weekly updates",
            "rating-1": "na",  # Teamwork: not applicable
            "comments": comment,
        },
    )
    assert done.status_code == 200, done.get_data(as_text=True)[:500]


def finish_engagement(
    app: Any, world: dict[str, Any], *, hours: int = 6, comment: str = "A pleasure to work with"
) -> int:
    """The world's student's engagement, finished through HTTP; its id."""
    engagement_id = engaged(app, world)
    student, advisor = world["student"], world["advisor"]
    url = f"/work/engagements/{engagement_id}"
    today = dt.date.today()
    for n in range(2):
        resp = _post(
            app,
            student,
            url,
            form="hours",
            work_date=(today - dt.timedelta(days=n + 1)).isoformat(),
            hours=str(hours // 2),
            description=f"Survey analysis, part {n + 1}",
        )
        assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    resp = _post(app, student, url, form="deliverable", title="Survey report", url=DELIVERABLE_URL)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    _supervisor_confirms_hours(app, world, engagement_id)
    resp = _post(app, student, url, form="status", action="submit")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    _supervisor_evaluates(app, comment)
    resp = _post(app, advisor, url, form="status", action="complete")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    return engagement_id


@pytest.fixture(autouse=True)
def _forget_queued_scores(app):
    """Scores the award tests queue for made-up gradebooks are not left for other tests'
    drains (as tests/credit/conftest.py does)."""
    yield
    from lti_tool.jobs import OutboxMessage

    with app.app_context():
        db.session.execute(
            OutboxMessage.__table__.delete().where(OutboxMessage.source.like("credit_award:%"))
        )
        db.session.commit()
