"""What an employer does from their page, through HTTP: copy a past listing into a new one
waiting for approval, and invite a colleague as an engagement's supervisor (the old links stop,
the change is audited, the student told). Bad input is refused with the form and saves
nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from internships.models import Listing
from internships.work.models import Engagement
from lti_tool.extensions import db
from lti_tool.models import AuditEntry
from lti_tool.notify.models import Notification
from tests.helpers import reason
from tests.internships.work.helpers import engaged, public_client

from .helpers import employer_link, employer_of, page_post, workspace_path


def _listings(app, employer_id: int) -> list[Listing]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(Listing).where(Listing.employer_id == employer_id).order_by(Listing.id)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def test_copying_a_listing_makes_a_new_one_waiting_for_approval(app, world):
    path = employer_link(app, world)
    employer_id = employer_of(app, world["listing"])
    deadline = dt.date.today() + dt.timedelta(days=20)
    resp = page_post(
        public_client(app),
        path,
        form="copy",
        subject=str(world["listing"]),
        title="Survey analysis, spring round",
        application_deadline=deadline.isoformat(),
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    shown = public_client(app).get(resp.headers["Location"]).get_data(as_text=True)
    assert "waits for the career center" in shown
    source, copy = _listings(app, employer_id)
    assert copy.title == "Survey analysis, spring round"
    assert copy.status == "pending_approval" and copy.source == "employer_form"
    assert copy.application_deadline == deadline
    assert (copy.estimated_hours, copy.pay_amount_cents) == (
        source.estimated_hours,
        source.pay_amount_cents,
    )
    with app.app_context():
        assert db.session.scalar(
            select(AuditEntry.action).where(AuditEntry.action == "listing.copy")
        )


def test_a_copy_with_a_bad_title_or_a_past_deadline_saves_nothing(app, world):
    path = employer_link(app, world)
    employer_id = employer_of(app, world["listing"])
    for title, deadline, words in (
        ("", "", "This is required."),
        ("Survey again", "2020-01-01", "Choose a deadline from today on."),
    ):
        resp = page_post(
            public_client(app),
            path,
            form="copy",
            subject=str(world["listing"]),
            title=title,
            application_deadline=deadline,
        )
        assert resp.status_code == 422
        assert words in resp.get_data(as_text=True)
    assert len(_listings(app, employer_id)) == 1


def test_inviting_a_colleague_changes_the_supervisor(app, world):
    engagement_id = engaged(app, world)
    tenant_id = world["school"].tenant_id
    old = workspace_path(app, tenant_id, engagement_id)
    assert public_client(app).get(old).status_code == 200
    path = employer_link(app, world)
    resp = page_post(
        public_client(app),
        path,
        form="invite",
        subject=str(engagement_id),
        name="Robin Colleague",
        email="robin@acme.example",
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement.supervisor_name == "Robin Colleague"
        assert engagement.supervisor_email == "robin@acme.example"
        notes = db.session.scalars(
            select(Notification.message).where(Notification.user_id == engagement.student_id)
        )
        assert any("Robin Colleague now supervises" in n for n in notes)
        assert db.session.scalar(
            select(AuditEntry.action).where(
                AuditEntry.tenant_id == tenant_id,
                AuditEntry.action == "engagement.supervisor_change",
            )
        )
    refused = public_client(app).get(old)
    assert refused.status_code == 410 and reason(refused) == "revoked"
    assert public_client(app).get(workspace_path(app, tenant_id, engagement_id)).status_code == 200


def test_an_invitation_with_a_bad_address_changes_nothing(app, world):
    engagement_id = engaged(app, world)
    path = employer_link(app, world)
    with app.app_context():
        before = db.session.get(Engagement, engagement_id).supervisor_email
    resp = page_post(
        public_client(app),
        path,
        form="invite",
        subject=str(engagement_id),
        name="Robin Colleague",
        email="robin-at-acme",
    )
    assert resp.status_code == 422
    assert "Give an email address" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Engagement, engagement_id).supervisor_email == before
        changes = select(func.count()).where(AuditEntry.action == "engagement.supervisor_change")
        assert (
            db.session.scalar(
                changes.select_from(AuditEntry).where(
                    AuditEntry.tenant_id == world["school"].tenant_id
                )
            )
            == 0
        )
