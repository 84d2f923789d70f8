"""Supervisor links are bound to what they were issued for: the engagement (by a per-row nonce,
not just its id), its student, its current supervisor and its open state. Replacing the
supervisor, finishing or cancelling the engagement and erasing the student revoke the open
links; a deleted engagement's id reused by a new one never opens through an old link."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import pytest
from sqlalchemy import delete, select, text

from internships.supervisor import links
from internships.work.models import Engagement, HourLog, SupervisorLink
from lti_tool.extensions import db
from lti_tool.models import AuditEntry
from tests.helpers import csrf_token

from .helpers import (
    accept_via_advisor,
    engaged,
    last_link,
    public_client,
    submit_application,
    the_application,
)


def send_hours_link(
    app, person, engagement_id: int, to: str = "sam@acme.example", *, log_hours: bool = True
) -> str:
    url = f"/work/engagements/{engagement_id}"
    token = csrf_token(person.client.get(f"{url}?lid={person.lid}"))
    if log_hours:  # hours waiting, so the supervisor's page has its form
        person.client.post(
            f"{url}",
            data={
                "form": "hours",
                "lid": person.lid,
                "csrf_token": token,
                "work_date": dt.date.today().isoformat(),
                "hours": "2",
                "description": f"Survey work {secrets.token_hex(3)}",
            },
        )
    resp = person.client.post(
        f"{url}",
        data={
            "form": "supervisor_link",
            "lid": person.lid,
            "csrf_token": token,
            "purpose": "confirm_hours",
        },
    )
    assert resp.status_code == 303
    return last_link(app, to, "hours")


def refused(resp, reason: str, status: int = 410) -> str:
    text_ = resp.get_data(as_text=True)
    assert resp.status_code == status, text_[:600]
    assert f'data-reason="{reason}"' in text_
    assert "careers@example.edu" in text_  # whom to ask for a new link
    return text_


def set_supervisor(faculty, engagement_id: int, email: str):
    url = f"/work/engagements/{engagement_id}/agreement"
    form = faculty.client.get(f"{url}?lid={faculty.lid}")
    return faculty.client.post(
        url,
        data={
            "lid": faculty.lid,
            "csrf_token": csrf_token(form),
            "competencies": ["Teamwork"],
            "planned_hours": "24",
            "supervisor_name": "Robin Replacement",
            "supervisor_email": email,
            "start_date": "2026-09-01",
            "end_date": "2026-09-30",
        },
    )


def test_replacing_the_supervisor_revokes_the_open_links(app, world):
    engagement_id = engaged(app, world)
    path = send_hours_link(app, world["student"], engagement_id)
    browser = public_client(app)
    assert browser.get(path).status_code == 200  # positive control
    # Keeping the same supervisor (another letter case) revokes nothing.
    assert set_supervisor(world["faculty"], engagement_id, "SAM@acme.example").status_code == 303
    assert browser.get(path).status_code == 200
    assert set_supervisor(world["faculty"], engagement_id, "robin@acme.example").status_code == 303
    page = refused(browser.get(path), "revoked")
    assert "no longer names" in page
    assert "Survey" not in page and world["student"].sub not in page
    with app.app_context():
        row = db.session.scalar(
            select(SupervisorLink).where(SupervisorLink.subject_id == engagement_id)
        )
        assert row.revoked_reason == "supervisor_changed"
        assert db.session.scalar(
            select(AuditEntry.id).where(
                AuditEntry.tenant_id == world["school"].tenant_id,
                AuditEntry.action == "supervisor_link.revoke",
            )
        )
    # The new supervisor's link works.
    new_path = send_hours_link(app, world["student"], engagement_id, "robin@acme.example")
    assert browser.get(new_path).status_code == 200


def test_a_link_checks_the_current_supervisor_even_without_a_revocation(app, world):
    engagement_id = engaged(app, world)
    path = send_hours_link(app, world["student"], engagement_id)
    browser = public_client(app)
    assert browser.get(path).status_code == 200
    with app.app_context():  # changed behind the services' back: the binding still holds
        db.session.get(Engagement, engagement_id).supervisor_email = "eve@elsewhere.example"
        db.session.commit()
    assert "no longer names" in refused(browser.get(path), "revoked")


@pytest.mark.parametrize("action", ["complete", "cancel"])
def test_finishing_or_cancelling_the_engagement_revokes_the_open_links(app, world, action):
    engagement_id = engaged(app, world)
    student, faculty, advisor = world["student"], world["faculty"], world["advisor"]
    hours = send_hours_link(app, student, engagement_id)
    url = f"/work/engagements/{engagement_id}"
    token = csrf_token(student.client.get(f"{url}?lid={student.lid}"))
    student.client.post(f"{url}/acknowledge", data={"lid": student.lid, "csrf_token": token})
    resp = student.client.post(
        f"{url}",
        data={"form": "status", "lid": student.lid, "csrf_token": token, "action": "submit"},
    )
    assert resp.status_code == 303
    evaluate = last_link(app, "sam@acme.example", "evaluate")
    browser = public_client(app)
    page = browser.get(hours)  # positive controls: submitted is still open
    assert page.status_code == 200
    form_token = csrf_token(page)
    assert browser.get(evaluate).status_code == 200
    advisor_token = csrf_token(advisor.client.get(f"{url}?lid={advisor.lid}"))
    closer = faculty if action == "complete" else advisor
    token = csrf_token(closer.client.get(f"{url}?lid={closer.lid}"))
    resp = closer.client.post(
        f"{url}", data={"form": "status", "lid": closer.lid, "csrf_token": token, "action": action}
    )
    assert resp.status_code == 303
    with app.app_context():
        assert db.session.get(Engagement, engagement_id).status == (
            "completed" if action == "complete" else "cancelled"
        )
    for path in (hours, evaluate):
        assert "finished or canceled" in refused(browser.get(path), "revoked")
        assert refused(browser.post(path, data={"csrf_token": form_token}), "revoked")
    # And no new link is sent for a closed engagement.
    resp = advisor.client.post(
        f"{url}",
        data={
            "form": "supervisor_link",
            "lid": advisor.lid,
            "csrf_token": advisor_token,
            "purpose": "confirm_hours",
        },
        follow_redirects=True,
    )
    assert "no new supervisor link can be sent" in resp.get_data(as_text=True)


def test_a_closed_engagement_refuses_a_link_that_was_never_revoked(app, world):
    engagement_id = engaged(app, world)
    path = send_hours_link(app, world["student"], engagement_id)
    browser = public_client(app)
    assert browser.get(path).status_code == 200
    with app.app_context():  # the state check does not depend on the revocation
        db.session.get(Engagement, engagement_id).status = "cancelled"
        db.session.commit()
    assert "cancelled" in refused(browser.get(path), "closed")


def test_erasing_the_student_revokes_their_supervisor_links(app, world):
    engagement_id = engaged(app, world)
    path = send_hours_link(app, world["student"], engagement_id)
    with app.app_context():
        tenant_id = db.session.get(Engagement, engagement_id).tenant_id
    browser = public_client(app)
    assert browser.get(path).status_code == 200
    admin = world["school"].driver(world["school"].platform)
    launched = admin.launch(sub="admin-erase", role="admin", course=None)
    page = admin.client.get(f"/admin/privacy?lid={launched.lid}")
    confirm = admin.client.post(
        "/admin/privacy",
        data={
            "lid": launched.lid,
            "csrf_token": csrf_token(page),
            "person": world["student"].sub,
            "action": "erase",
        },
    )
    assert confirm.status_code == 200
    body = confirm.get_data(as_text=True)
    user_id = re.search(r'name="user_id" type="hidden" value="(\d+)"', body).group(1)
    done = admin.client.post(
        "/admin/privacy/run",
        data={
            "lid": launched.lid,
            "csrf_token": csrf_token(confirm),
            "user_id": user_id,
            "action": "erase",
            "confirm": "y",
        },
    )
    assert done.status_code == 303, done.get_data(as_text=True)[:800]
    with app.app_context():
        assert db.session.get(Engagement, engagement_id) is None
        # the link rows are the student's (student_id): erasure deletes them with the rest
        assert (
            db.session.scalar(
                select(SupervisorLink.jti).where(
                    # the tenant too: SQLite gives a later test's engagement the same id
                    SupervisorLink.tenant_id == tenant_id,
                    SupervisorLink.subject_id == engagement_id,
                )
            )
            is None
        )
    page = browser.get(path)
    assert page.status_code == 404 and 'data-reason="invalid"' in page.get_data(as_text=True)


def test_revoke_links_for_student_ends_every_open_link_about_them(app, world):
    engagement_id = engaged(app, world)
    path = send_hours_link(app, world["student"], engagement_id)
    browser = public_client(app)
    assert browser.get(path).status_code == 200
    with app.app_context():
        student_id = db.session.get(Engagement, engagement_id).student_id
        other_tenant = links.revoke_links_for_student(world["school"].tenant_id + 999, student_id)
        assert other_tenant == 0
        assert links.revoke_links_for_student(world["school"].tenant_id, student_id) == 1
        db.session.commit()
    refused(browser.get(path), "revoked")


def test_a_reused_engagement_id_never_opens_through_an_old_link(app, world, seed_listing):
    """SQLite gives a new row the largest deleted id again; PostgreSQL is made to (setval)."""
    first = engaged(app, world)
    path = send_hours_link(app, world["student"], first)
    browser = public_client(app)
    page = browser.get(path)
    assert page.status_code == 200  # positive control
    form_token = csrf_token(page)
    with app.app_context():
        db.session.execute(delete(HourLog).where(HourLog.engagement_id == first))
        db.session.execute(delete(Engagement).where(Engagement.id == first))
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(
                text("SELECT setval(pg_get_serial_sequence('engagement', 'id'), :i, false)"),
                {"i": first},
            )
        db.session.commit()
    gone = refused(browser.get(path), "revoked")  # deleted: a page, not a 500
    assert "no longer exists" in gone
    # Another student of the same employer (same supervisor address) gets the same id.
    other = world["other"]
    listing = seed_listing(world["school"].tenant_id, title="Second project")
    submit_application(other, listing)
    accepted = accept_via_advisor({**world, "listing": listing}, the_application(app, other.sub).id)
    assert "is accepted" in accepted.get_data(as_text=True), accepted.get_data(as_text=True)[-3000:]
    with app.app_context():
        second = db.session.scalar(
            select(Engagement)
            .where(Engagement.student_id != None)  # noqa: E711
            .order_by(Engagement.id.desc())
        )
        assert second.id == first and second.supervisor_email == "sam@acme.example"
    for resp in (browser.get(path), browser.post(path, data={"csrf_token": form_token})):
        page = refused(resp, "revoked")
        assert "Second project" not in page and other.sub not in page
