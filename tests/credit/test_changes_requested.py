"""Asking for changes through HTTP: the request names what it reopens (the reflection, a
deliverable, the hours) and exactly that opens again on a finished engagement; the student
changes it and answers; the review page shows what changed and the answer; the history keeps
the exchange; what was reopened closes once the student answers."""

from __future__ import annotations

import datetime as dt
import html

from sqlalchemy import select

from internships.work.models import Deliverable, EngagementReopening
from internships.work.services.engagements import REFLECTION_PROMPTS
from lti_tool.extensions import db
from tests.helpers import launch_csrf

from .conftest import give_work
from .test_pages import get, post

FULL = "I learned to clean survey data and to explain my choices to the client team."


def _text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def _reflection(extra: str = "") -> dict[str, str]:
    answers = {key: FULL for key, _ in REFLECTION_PROMPTS}
    answers["learned"] = FULL + extra
    return answers


def test_a_request_reopens_exactly_what_it_names_and_the_answer_closes_it(app, school):
    faculty = school.person("faculty")
    student = school.person("student", sub="stu-changes")
    with app.app_context():
        engagement = give_work(student.ctx(), hours=50)
        engagement_id, title = engagement.id, engagement.listing.title
        db.session.commit()
        student_id, course_id = student.user_id, student.ctx().course_id
    review = f"/credit/students/{student_id}"
    url = f"/work/engagements/{engagement_id}"

    page = _text(get(faculty, review))
    assert f"The reflection on “{title}”" in page
    assert f"The hours logged for “{title}”" in page
    assert f"A new deliverable for “{title}”" in page

    # Nothing chosen: refused at the review's own address, the message kept.
    message = {"form": "changes", "message": "Add a paragraph on the client interviews."}
    refused = post(faculty, review, message, review)
    assert refused.status_code == 422
    assert "Choose what the student is to change." in _text(refused)
    assert "Add a paragraph on the client interviews." in _text(refused)

    parts = {"parts": [f"reflection:{engagement_id}", f"hours:{engagement_id}"]}
    assert post(faculty, review, {**message, **parts}, review).status_code == 303

    # The finished engagement is open for exactly the reflection and the hours.
    page = _text(get(student, url))
    assert "Your instructor asked for changes" in page
    assert "reopened your reflection and your hours on this engagement" in page
    assert "Revise your reflection" in page
    assert 'name="form" value="hours"' in page
    assert 'name="form" value="deliverable"' not in page
    added = post(
        student,
        url,
        {"form": "deliverable", "title": "Extra", "url": "https://example.org/extra"},
        url,
    )
    assert added.status_code == 303  # refused: a deliverable was not reopened
    with app.app_context():
        assert not db.session.scalars(
            select(Deliverable).where(Deliverable.engagement_id == engagement_id)
        ).all()

    # Answering before changing anything is refused, naming what is still unchanged.
    changes = f"/credit/courses/{course_id}/changes"
    assert changes in _text(get(student, "/home/student"))  # reached from the student's home
    page = _text(get(student, changes))
    assert "Add a paragraph on the client interviews." in page
    assert page.count("not changed yet") == 2
    early = post(student, changes, {"answer": "Done."}, changes)
    assert early.status_code == 422
    assert f"You have not changed the reflection on “{title}”; the hours logged" in _text(early)

    # The student revises the reflection and logs the missing hours.
    reflection = f"{url}/reflection"
    revised = post(
        student, reflection, {**_reflection(" And the interviews."), "submit": "1"}, reflection
    )
    assert revised.status_code == 303
    today = dt.date.today().isoformat()
    hours = {"form": "hours", "work_date": today, "hours": "1.5", "description": "Interviews"}
    assert post(student, url, hours, url).status_code == 303

    # The review page shows what changed.
    page = _text(get(faculty, review))
    assert "Waiting for the student" in page
    assert page.count("changed on") == 2
    assert "Before:" in page and "And the interviews." in page
    assert "1.5 h, Interviews" in page

    answered = post(student, changes, {"answer": "Added the interviews and their hours."}, changes)
    assert answered.status_code == 303
    assert "Resubmitted for review" in _text(get(student, "/home/student"))

    # Closed again: the reflection cannot change any more.
    again = post(student, reflection, {**_reflection(" Later."), "submit": "1"}, reflection)
    assert again.status_code == 422 and "This engagement is no longer active." in _text(again)
    with app.app_context():
        rows = db.session.scalars(
            select(EngagementReopening).where(EngagementReopening.engagement_id == engagement_id)
        ).all()
        assert {r.kind for r in rows} == {"reflection", "hours"}
        assert all(r.closed_at is not None and r.changed_at is not None for r in rows)
    assert "Later." not in _text(get(faculty, review))

    # The exchange, in the history and on the review page.
    page = _text(get(faculty, review))
    assert "The student answered" in page and "Added the interviews and their hours." in page
    assert f"(to change: the reflection on “{title}”; the hours logged for “{title}”)" in page


def test_a_revised_deliverable_names_the_one_it_replaces(app, school):
    faculty = school.person("faculty")
    student = school.person("student", sub="stu-revise")
    with app.app_context():
        engagement = give_work(student.ctx(), hours=50)
        engagement_id = engagement.id
        db.session.add(
            Deliverable(
                tenant_id=engagement.tenant_id,
                engagement_id=engagement_id,
                title="Survey report",
                url="https://example.org/v1",
            )
        )
        db.session.commit()
        first = db.session.scalar(
            select(Deliverable.id).where(Deliverable.engagement_id == engagement_id)
        )
        student_id = student.user_id
    review = f"/credit/students/{student_id}"
    url = f"/work/engagements/{engagement_id}"
    assert "A revised version of the deliverable “Survey report”" in _text(get(faculty, review))
    request = {
        "form": "changes",
        "message": "Fix the chart labels.",
        "parts": [f"deliverable:{engagement_id}:{first}"],
    }
    assert post(faculty, review, request, review).status_code == 303

    page = _text(get(student, url))
    assert "A revised version of “Survey report”" in page
    assert "A new deliverable</option>" not in page  # only the revision was asked for
    revision = {"form": "deliverable", "title": "Survey report v2", "url": "https://example.org/v2"}
    missing = post(student, url, revision, url)
    assert missing.status_code == 422
    assert "choose the deliverable it replaces" in _text(missing)
    assert post(student, url, {**revision, "revises": str(first)}, url).status_code == 303
    with app.app_context():
        v2 = db.session.scalar(select(Deliverable).where(Deliverable.title == "Survey report v2"))
        assert v2 is not None and v2.revises_id == first
    page = _text(get(faculty, review))
    assert "Survey report v2" in page and "changed on" in page


def test_only_the_student_answers_and_only_their_instructor_asks(app, school):
    faculty = school.person("faculty")
    student = school.person("student", sub="stu-only")
    other = school.person("student", sub="stu-other")
    elsewhere = school.person("faculty", sub="fac-elsewhere", course="course-2")
    with app.app_context():
        engagement_id = give_work(student.ctx(), hours=50).id
        db.session.commit()
        student_id, course_id = student.user_id, student.ctx().course_id
    review = f"/credit/students/{student_id}"
    request = {"form": "changes", "message": "More.", "parts": [f"hours:{engagement_id}"]}
    # An instructor of another course cannot ask (the student is not theirs).
    assert post(elsewhere, review, request, "/credit/policy").status_code == 404
    # A part that is not this student's work is refused, nothing reopened.
    forged = {**request, "parts": ["hours:999999"]}
    assert post(faculty, review, forged, review).status_code == 422
    assert post(faculty, review, request, review).status_code == 303
    changes = f"/credit/courses/{course_id}/changes"
    # Another student has no request there: sent home with a word; faculty cannot open it.
    assert get(other, changes).status_code == 303
    told = get(other, "/home/student").get_data(as_text=True)  # the word reaches them
    assert "Your instructor is not waiting for changes from you in that course." in told
    assert get(faculty, changes).status_code == 403
    # The other student cannot log hours on this engagement, reopened or not.
    url = f"/work/engagements/{engagement_id}"
    hours = {"form": "hours", "work_date": dt.date.today().isoformat(), "hours": "1"}
    forged_hours = {**hours, "description": "x"}
    assert post(other, url, forged_hours, csrf=launch_csrf(app, other.lid)).status_code == 404


def test_a_later_decision_closes_what_a_waiting_request_reopened(app, school):
    faculty = school.person("faculty")
    student = school.person("student", sub="stu-superseded")
    with app.app_context():
        engagement_id = give_work(student.ctx(), hours=50).id
        db.session.commit()
        student_id = student.user_id
    review = f"/credit/students/{student_id}"
    reflection = f"/work/engagements/{engagement_id}/reflection"
    ask = {"form": "changes", "message": "Revise it.", "parts": [f"reflection:{engagement_id}"]}
    assert post(faculty, review, ask, review).status_code == 303
    assert get(student, reflection).status_code == 200  # open to revise
    deny = {"form": "deny", "message": "Not academic in scope.", "confirm": "y"}
    assert post(faculty, review, deny, review).status_code == 303
    refused = post(student, reflection, {**_reflection(" Too late."), "submit": "1"}, reflection)
    assert refused.status_code == 422
    assert "This engagement is no longer active." in _text(refused)
    with app.app_context():
        rows = db.session.scalars(
            select(EngagementReopening).where(EngagementReopening.engagement_id == engagement_id)
        ).all()
        assert [r.closed_at is not None for r in rows] == [True]
