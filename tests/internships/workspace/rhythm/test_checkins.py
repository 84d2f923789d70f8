"""Weekly check-ins through the pages: the student checks in on the engagement page (inside
the launch), the supervisor confirms on their workspace page (a signed link), faculty and
advisors read them; refusals save nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from internships.workspace.rhythm.models import CheckIn
from lti_tool.extensions import db
from lti_tool.notify.models import Notification
from tests.helpers import csrf_token, launch_csrf, reason
from tests.internships.work.helpers import engaged, public_client

from .helpers import engagement_url, post_checkin, workspace_path


def _checkins(app, engagement_id: int) -> list[CheckIn]:
    with app.app_context():
        rows = list(
            db.session.scalars(select(CheckIn).where(CheckIn.engagement_id == engagement_id))
        )
        db.session.expunge_all()
        return rows


def test_the_student_checks_in_and_the_supervisor_confirms_by_link(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    resp = post_checkin(student, engagement_id, blocked="yes", blocker="No access to the CRM.")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    assert resp.headers["Location"].endswith("#checkins-heading")
    page = student.client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Your check-in for this week is saved." in page
    assert "No access to the CRM." in page and "Waiting for confirmation" in page
    [row] = _checkins(app, engagement_id)
    assert row.blocked and row.reviewed_at is None

    # the supervisor's workspace page, by its signed link (no launch, no account)
    path = workspace_path(app, engagement_id)
    browser = public_client(app)
    text = browser.get(path).get_data(as_text=True)
    assert "Weekly check-ins" in text and "No access to the CRM." in text
    resp = browser.post(
        path,
        data={
            "form": "rhythm.review",
            "csrf_token": csrf_token(text),
            "checkin_id": str(row.id),
            "comment": "I have asked IT for your access.",
        },
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    assert "Check-in confirmed. Thank you." in browser.get(resp.headers["Location"]).get_data(
        as_text=True
    )
    [row] = _checkins(app, engagement_id)
    assert row.reviewed_at is not None and row.comment == "I have asked IT for your access."
    page = student.client.get(f"{engagement_url(engagement_id)}?lid={student.lid}")
    text = page.get_data(as_text=True)
    assert "Confirmed by Sam Supervisor" in text and "I have asked IT for your access." in text
    # confirmed: this week's check-in can no longer change
    assert 'value="rhythm.checkin"' not in text
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).where(
                    Notification.user_id == student.user_id, Notification.kind == "checkin_reviewed"
                )
            )
            == 1
        )


def test_a_check_in_changes_until_confirmed_and_is_refused_after(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    assert post_checkin(student, engagement_id).status_code == 303
    assert post_checkin(student, engagement_id, done="Drafted and tested it.").status_code == 303
    [row] = _checkins(app, engagement_id)
    assert row.done == "Drafted and tested it."
    path = workspace_path(app, engagement_id)
    browser = public_client(app)
    token = csrf_token(browser.get(path))
    data = {"form": "rhythm.review", "csrf_token": token, "checkin_id": str(row.id)}
    assert browser.post(path, data=data).status_code == 303
    # a second confirmation of the same check-in is refused, and says why
    again = browser.post(path, data=data)
    assert again.status_code == 422 and "already confirmed" in again.get_data(as_text=True)


def test_bad_answers_are_shown_again_and_nothing_is_saved(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    resp = post_checkin(student, engagement_id, blocked="yes", blocker="", done="")
    assert resp.status_code == 422
    text = resp.get_data(as_text=True)
    assert "Say what is blocking you." in text and "Say what you got done." in text
    assert "Pilot the survey." in text  # what was typed is kept
    assert _checkins(app, engagement_id) == []
    # without its CSRF token the form is refused
    url = f"{engagement_url(engagement_id)}?lid={student.lid}"
    no_token = student.client.post(
        url,
        data={
            "form": "rhythm.checkin",
            "lid": student.lid,
            "done": "x",
            "next": "y",
            "blocked": "no",
        },
    )
    assert no_token.status_code == 400
    assert _checkins(app, engagement_id) == []


def test_only_the_student_checks_in_and_only_the_supervisor_confirms(app, world):
    engagement_id = engaged(app, world)
    # another student of the same course cannot reach the engagement at all
    other = post_checkin_as_other(world, engagement_id)
    assert other.status_code == 404
    advisor = world["advisor"]
    page = advisor.client.get(f"{engagement_url(engagement_id)}?lid={advisor.lid}")
    assert "Weekly check-ins" in page.get_data(as_text=True)
    refused = advisor.client.post(
        f"{engagement_url(engagement_id)}?lid={advisor.lid}",
        data={
            "form": "rhythm.checkin",
            "lid": advisor.lid,
            "csrf_token": csrf_token(page),
            "done": "a",
            "next": "b",
            "blocked": "no",
        },
    )
    assert refused.status_code == 403 and reason(refused) == "role"
    assert post_checkin(world["student"], engagement_id).status_code == 303
    [row] = _checkins(app, engagement_id)
    # the student cannot confirm their own check-in
    student = world["student"]
    page = student.client.get(f"{engagement_url(engagement_id)}?lid={student.lid}")
    own = student.client.post(
        f"{engagement_url(engagement_id)}?lid={student.lid}",
        data={
            "form": "rhythm.review",
            "lid": student.lid,
            "csrf_token": csrf_token(page),
            "checkin_id": str(row.id),
        },
    )
    assert own.status_code == 403 and reason(own) == "role"
    assert _checkins(app, engagement_id)[0].reviewed_at is None


def post_checkin_as_other(world, engagement_id: int):
    other = world["other"]
    url = engagement_url(engagement_id)
    token = launch_csrf(other.client.application, other.lid)
    return other.client.post(
        f"{url}?lid={other.lid}",
        data={
            "form": "rhythm.checkin",
            "lid": other.lid,
            "csrf_token": token,
            "done": "a",
            "next": "b",
            "blocked": "no",
        },
    )


def test_a_link_of_another_engagement_cannot_confirm_this_ones_check_in(app, world, seed_listing):
    from tests.internships.work.helpers import (
        accept_via_advisor,
        submit_application,
        the_application,
    )

    engagement_id = engaged(app, world)
    assert post_checkin(world["student"], engagement_id).status_code == 303
    [row] = _checkins(app, engagement_id)
    # the other student's engagement on a second listing, and its supervisor's link
    listing = seed_listing(world["school"].tenant_id, employer="Beta Labs")
    submit_application(world["other"], listing)
    accept_via_advisor(world, the_application(app, world["other"].sub, listing).id)
    with app.app_context():
        from internships.work.models import Engagement

        second = db.session.scalar(select(Engagement.id).where(Engagement.listing_id == listing))
    path = workspace_path(app, int(second))
    browser = public_client(app)
    resp = browser.post(
        path,
        data={
            "form": "rhythm.review",
            "csrf_token": csrf_token(browser.get(path)),
            "checkin_id": str(row.id),
        },
    )
    assert resp.status_code == 422 and "That check-in does not exist." in resp.get_data(
        as_text=True
    )
    assert _checkins(app, engagement_id)[0].reviewed_at is None


def test_another_course_cannot_read_the_check_ins(app, world):
    engagement_id = engaged(app, world)
    assert post_checkin(world["student"], engagement_id, done="Secret progress.").status_code == 303
    faculty = world["faculty"]  # the engagement's course: a positive control
    own = faculty.client.get(f"{engagement_url(engagement_id)}?lid={faculty.lid}")
    assert own.status_code == 200 and "Secret progress." in own.get_data(as_text=True)
    stranger = world["school"].person("faculty", course="course-2")
    resp = stranger.client.get(f"{engagement_url(engagement_id)}?lid={stranger.lid}")
    assert resp.status_code == 404 and "Secret progress." not in resp.get_data(as_text=True)
