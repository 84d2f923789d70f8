"""The student's calendar feed: made on a student page reached from their home, its address
shown once, served as iCalendar (parsed with the icalendar library) with milestone due dates,
the engagement's dates and the course credit policy's deadline; revoked or replaced, the old
address is not found; a student reaches only their own."""

from __future__ import annotations

import datetime as dt
import re

from icalendar import Calendar
from sqlalchemy import select

from credit.services.policy import get_policy
from internships.work.models import Engagement
from internships.workspace.plan.models import CalendarFeed
from lti_tool.extensions import db
from tests.helpers import csrf_token, reason
from tests.internships.work.helpers import engaged, public_client

from .helpers import agreed_milestone, tenant_today

_ADDRESS = re.compile(r'id="calendar-address" value="([^"]+)"')


def _make_address(person) -> str:
    home = person.client.get(f"/home/student?lid={person.lid}")
    assert "/workspace/plan/calendar?lid=" in home.get_data(as_text=True)
    url = f"/workspace/plan/calendar?lid={person.lid}"
    page = person.client.get(url)
    resp = person.client.post(
        url, data={"form": "create", "csrf_token": csrf_token(page), "lid": person.lid}
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    match = _ADDRESS.search(resp.get_data(as_text=True))
    assert match, resp.get_data(as_text=True)[:2000]
    return match.group(1).split("://", 1)[1].split("/", 1)[1]


def test_the_feed_carries_milestones_engagement_dates_and_credit_deadlines(app, world):
    engagement_id = engaged(app, world)
    tenant_id = world["school"].tenant_id
    today = tenant_today(app, tenant_id)
    start, end, deadline = today, today + dt.timedelta(days=60), today + dt.timedelta(days=75)
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        engagement.start_date, engagement.end_date = start, end
        assert engagement.course_id is not None
        get_policy(tenant_id, engagement.course_id).deadline = deadline
        db.session.commit()
    due = today + dt.timedelta(days=9)
    agreed_milestone(app, world, engagement_id, "Survey draft", due)

    path = "/" + _make_address(world["student"])
    resp = public_client(app).get(path)
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    assert resp.headers["Cache-Control"] == "private, no-store"
    events = {
        str(e["summary"]): e.decoded("dtstart")
        for e in Calendar.from_ical(resp.data).walk("VEVENT")
    }
    title = world_listing_title(app, engagement_id)
    assert events["Due: Survey draft"] == due
    assert events[f"Start: {title}"] == start and events[f"End: {title}"] == end
    assert any(k.startswith("Credit deadline:") and v == deadline for k, v in events.items())
    uids = [str(e["uid"]) for e in Calendar.from_ical(resp.data).walk("VEVENT")]
    assert len(set(uids)) == len(uids)


def world_listing_title(app, engagement_id: int) -> str:
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        return engagement.listing.title


def test_only_the_hash_is_stored_and_a_revoked_address_is_not_found(app, world):
    engaged(app, world)
    student = world["student"]
    path = "/" + _make_address(student)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    with app.app_context():
        stored = db.session.scalars(select(CalendarFeed.token_hash)).all()
        assert token not in stored and all(len(h) == 64 for h in stored)
    assert public_client(app).get(path).status_code == 200
    url = f"/workspace/plan/calendar?lid={student.lid}"
    page = student.client.get(url)
    assert token not in page.get_data(as_text=True)  # shown once, never again
    resp = student.client.post(
        url, data={"form": "revoke", "csrf_token": csrf_token(page), "lid": student.lid}
    )
    assert resp.status_code == 303
    gone = public_client(app).get(path)
    assert gone.status_code == 404 and reason(gone) == "no_calendar"


def test_a_new_address_replaces_the_old_one(app, world):
    engaged(app, world)
    first = "/" + _make_address(world["student"])
    second = "/" + _make_address(world["student"])
    assert first != second
    assert public_client(app).get(first).status_code == 404
    assert public_client(app).get(second).status_code == 200


def test_a_feed_shows_only_its_own_students_dates(app, world):
    engagement_id = engaged(app, world)
    agreed_milestone(
        app,
        world,
        engagement_id,
        "Only mine",
        tenant_today(app, world["school"].tenant_id) + dt.timedelta(days=4),
    )
    other = "/" + _make_address(world["other"])
    resp = public_client(app).get(other)
    assert resp.status_code == 200
    assert b"Only mine" not in resp.data
    assert Calendar.from_ical(resp.data).walk("VEVENT") == []
    mine = public_client(app).get("/" + _make_address(world["student"]))
    assert b"Only mine" in mine.data


def test_a_made_up_address_is_not_found(app):
    resp = public_client(app).get("/workspace/plan/calendar/not-a-real-token.ics")
    assert resp.status_code == 404 and reason(resp) == "no_calendar"


def test_the_calendar_page_is_the_students(app, world):
    advisor = world["advisor"]
    resp = advisor.client.get(f"/workspace/plan/calendar?lid={advisor.lid}")
    assert resp.status_code == 403
