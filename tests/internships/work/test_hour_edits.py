"""The student changes or deletes an entry still open to review and answers a query on it;
the reviewer sees the answer beside the query. Through the pages, with real launches."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from internships.work.models import HourLog
from internships.work.services.hour_reviews import review_hours
from lti_tool.actor import Actor
from lti_tool.extensions import db
from tests.helpers import csrf_token

from .helpers import audit_actions, engaged, last_link, public_client

TODAY = dt.date.today()


def _log(student, engagement_id: int, day: dt.date, hours: str, text: str) -> int:
    url = f"/work/engagements/{engagement_id}"
    token = csrf_token(student.client.get(f"{url}?lid={student.lid}"))
    resp = student.client.post(
        f"{url}",
        data={
            "form": "hours",
            "lid": student.lid,
            "csrf_token": token,
            "work_date": day.isoformat(),
            "hours": hours,
            "description": text,
        },
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    found = db.session.scalar(
        select(HourLog.id).where(
            HourLog.engagement_id == engagement_id, HourLog.description == text
        )
    )
    assert found is not None
    return int(found)


def _edit_link(student, engagement_id: int, log_id: int) -> str:
    """The entry's link on the engagement page (the student reaches it by clicking)."""
    page = student.client.get(f"/work/engagements/{engagement_id}?lid={student.lid}")
    pattern = r'href="([^"]*/hours/' + str(log_id) + r'\?[^"]*)"'
    links = re.findall(pattern, page.get_data(as_text=True))
    assert links, "no link to change the entry on the engagement page"
    return links[0].replace("&amp;", "&")


def _entry(app, log_id: int) -> HourLog | None:
    with app.app_context():
        return db.session.get(HourLog, log_id)


def test_the_student_changes_a_pending_entry_under_the_rules_of_a_new_one(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    with app.app_context():
        first = _log(student, engagement_id, TODAY, "8", "Interviews")
        second = _log(student, engagement_id, TODAY, "2", "Report")
    link = _edit_link(student, engagement_id, first)
    page = student.client.get(link)
    assert page.status_code == 200 and 'value="8"' in page.get_data(as_text=True)
    form = {
        "form": "change",
        "lid": student.lid,
        "csrf_token": csrf_token(page),
        "work_date": TODAY.isoformat(),
        "hours": "10",  # 10 + 2 on the day: within 12 (the entry itself is not counted twice)
        "description": "Interviews and notes",
    }
    assert student.client.post(link, data=form).status_code == 303
    entry = _entry(app, first)
    assert entry is not None and (entry.minutes, entry.description) == (600, "Interviews and notes")
    # the rules of a new entry: over 12 hours on the day, a day before the engagement began,
    # the same work twice — refused, the form kept, nothing changed
    for change, words in (
        ({"hours": "10.25"}, "no day may have more than 12 hours"),
        ({"work_date": (TODAY - dt.timedelta(days=30)).isoformat()}, "first day"),
        ({"description": "Report"}, "You already logged this work on that day."),
    ):
        refused = student.client.post(link, data={**form, **change})
        assert refused.status_code == 422
        assert words in refused.get_data(as_text=True).replace("&#39;", "'")
    entry = _entry(app, first)
    assert entry is not None and entry.minutes == 600 and entry.work_date == TODAY
    assert _entry(app, second) is not None
    with app.app_context():
        assert "hours.edit" in audit_actions(entry.tenant_id)


def test_a_queried_entry_is_answered_and_the_supervisor_sees_the_answer(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    with app.app_context():
        log_id = _log(student, engagement_id, TODAY, "3", "Kick-off meeting")
        tenant_id = db.session.get(HourLog, log_id).tenant_id
        review_hours(
            Actor(tenant_id, "Sam Supervisor (link)"),
            engagement_id,
            {log_id: ("query", "The kick-off was one hour")},
            reviewer="supervisor",
        )
        db.session.commit()
    page = student.client.get(f"/work/engagements/{engagement_id}?lid={student.lid}")
    assert "Answer or change" in page.get_data(as_text=True)
    link = _edit_link(student, engagement_id, log_id)
    edit = student.client.get(link)
    assert "The kick-off was one hour" in edit.get_data(as_text=True)
    form = {
        "form": "change",
        "lid": student.lid,
        "csrf_token": csrf_token(edit),
        "work_date": TODAY.isoformat(),
        "hours": "1",
        "description": "Kick-off meeting",
    }
    unanswered = student.client.post(link, data=form)
    assert unanswered.status_code == 422
    assert "Answer the query" in unanswered.get_data(as_text=True)
    answer = "You are right: one hour; the other two were preparation, logged apart."
    assert student.client.post(link, data={**form, "answer": answer}).status_code == 303
    entry = _entry(app, log_id)
    assert entry is not None
    assert (entry.status, entry.minutes, entry.answer) == ("pending", 60, answer)
    assert entry.review_note == "The kick-off was one hour"  # the query is kept beside it
    # the supervisor's link shows the query and the answer
    url = f"/work/engagements/{engagement_id}"
    token = csrf_token(student.client.get(f"{url}?lid={student.lid}"))
    student.client.post(
        f"{url}",
        data={
            "form": "supervisor_link",
            "lid": student.lid,
            "csrf_token": token,
            "purpose": "confirm_hours",
        },
    )
    shown = public_client(app).get(last_link(app, "sam@acme.example", "hours"))
    text = shown.get_data(as_text=True)
    assert "the student answered: You are right: one hour" in text


def test_deleting_an_entry_asks_for_confirmation(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    with app.app_context():
        log_id = _log(student, engagement_id, TODAY, "1", "Typo entry")
    link = _edit_link(student, engagement_id, log_id)
    page = student.client.get(link)
    delete = {"form": "delete", "lid": student.lid, "csrf_token": csrf_token(page)}
    unconfirmed = student.client.post(link, data=delete)
    assert unconfirmed.status_code == 422
    assert "Tick the box to confirm" in unconfirmed.get_data(as_text=True)
    assert _entry(app, log_id) is not None
    done = student.client.post(link, data={**delete, "confirm": "y"})
    assert done.status_code == 303
    assert _entry(app, log_id) is None


def test_confirmed_entries_and_other_peoples_entries_stay_as_they_are(app, world):
    engagement_id = engaged(app, world)
    student, other, faculty = world["student"], world["other"], world["faculty"]
    with app.app_context():
        log_id = _log(student, engagement_id, TODAY, "2", "Survey design")
        tenant_id = db.session.get(HourLog, log_id).tenant_id
        open_id = _log(student, engagement_id, TODAY, "1", "Survey pilot")
        review_hours(
            Actor(tenant_id, "Sam"), engagement_id, {log_id: ("confirm", "")}, reviewer="supervisor"
        )
        db.session.commit()
    path = f"/work/engagements/{engagement_id}/hours/{log_id}"
    confirmed = student.client.get(f"{path}?lid={student.lid}")
    assert confirmed.status_code == 422
    assert "can no longer be changed" in confirmed.get_data(as_text=True)
    assert (
        "Change or delete<span"
        not in student.client.get(f"/work/engagements/{engagement_id}?lid={student.lid}")
        .get_data(as_text=True)
        .split("Survey design")[1]
        .split("</tr>")[0]
    )
    # another student: not found; the instructor: not theirs to change
    assert (
        other.client.get(
            f"/work/engagements/{engagement_id}/hours/{open_id}?lid={other.lid}"
        ).status_code
        == 404
    )
    assert (
        faculty.client.get(
            f"/work/engagements/{engagement_id}/hours/{open_id}?lid={faculty.lid}"
        ).status_code
        == 403
    )
    entry = _entry(app, log_id)
    assert entry is not None and entry.status == "confirmed"
