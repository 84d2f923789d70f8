"""Accepting an applicant sets the learning agreement's terms: the listing's, confirmed or
changed by the advisor, with goals, and dates inside the course's term unless the advisor says
the work runs beyond it. A refused term accepts nobody. Through the pages."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from internships.work.models import Application, Engagement
from lti_tool.extensions import db
from lti_tool.models import AuditEntry, Course
from tests.helpers import csrf_token

from .helpers import form_values, submit_application, the_application

TODAY = dt.date.today()


def _term(app, application_id: int, first: dt.date, last: dt.date) -> None:
    with app.app_context():
        application = db.session.get(Application, application_id)
        course = db.session.get(Course, application.course_id)
        course.term_start, course.term_end = first.isoformat(), last.isoformat()
        db.session.commit()


def test_accepting_asks_for_the_agreements_terms_and_keeps_them_in_the_term(app, world):
    student, advisor = world["student"], world["advisor"]
    submit_application(student, world["listing"])
    application_id = the_application(app, student.sub).id
    _term(app, application_id, TODAY - dt.timedelta(days=30), TODAY + dt.timedelta(days=30))
    page = advisor.client.get(f"/work/listings/{world['listing']}/applicants?lid={advisor.lid}")
    chosen = advisor.client.post(
        f"/work/listings/{world['listing']}/applicants",
        data={
            "lid": advisor.lid,
            "csrf_token": csrf_token(page),
            "form": "decide",
            "application_id": application_id,
            "decision": "accept",
        },
    )
    assert chosen.status_code == 303 and "/accept" in chosen.headers["Location"]
    url = f"/work/applications/{application_id}/accept"
    terms = advisor.client.get(f"{url}?lid={advisor.lid}")
    assert terms.status_code == 200
    values = form_values(terms.get_data(as_text=True), url)
    assert values["supervisor_email"] == "sam@acme.example"  # from the listing's employer
    base = {**values, "lid": advisor.lid, "competencies": "Teamwork"}

    def accepted() -> bool:
        with app.app_context():
            return (
                db.session.scalar(
                    select(Engagement.id).where(Engagement.application_id == application_id)
                )
                is not None
            )

    no_goals = advisor.client.post(url, data={**base, "goals": ""})
    assert no_goals.status_code == 422 and "Write the learning goals." in no_goals.get_data(
        as_text=True
    )
    late = (TODAY + dt.timedelta(days=60)).isoformat()
    beyond = {
        **base,
        "goals": "Run the survey and present it.",
        "start_date": TODAY.isoformat(),
        "end_date": late,
    }
    refused = advisor.client.post(url, data=beyond)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "The work ends after the course&#39;s term" in text
    assert "Run the survey and present it." in text  # what was typed stays
    assert not accepted()  # a refused term accepts nobody
    assert the_application(app, student.sub).status == "submitted"

    ok = advisor.client.post(url, data={**beyond, "beyond_term": "y"})
    assert ok.status_code == 303
    assert accepted()
    with app.app_context():
        engagement = db.session.scalar(
            select(Engagement).where(Engagement.application_id == application_id)
        )
        assert engagement.goals == "Run the survey and present it."
        assert engagement.end_date.isoformat() == late
        assert engagement.acknowledged_at is None  # the student acknowledges next
        # this engagement's entry (earlier tests of the session recorded others)
        detail = next(
            d
            for d in db.session.scalars(
                select(AuditEntry.detail)
                .where(AuditEntry.action == "engagement.agreement")
                .order_by(AuditEntry.id.desc())
            )
            if d.get("engagement_id") == engagement.id
        )
        assert "after the course" in str(detail)  # knowingly beyond the term, recorded
