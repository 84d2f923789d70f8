"""The employer's own page through HTTP: an advisor adds a contact and emails the link; the
page lists the employer's listings, applicants and projects; its buttons issue supervisor links
on demand; tampered, expired, revoked and another employer's links are refused."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from internships.employers.portal.models import EmployerContact, EmployerLink
from internships.work.models import Engagement, SupervisorLink
from lti_tool.extensions import db
from lti_tool.models import AuditEntry, utcnow
from tests.helpers import reason
from tests.internships.work.helpers import engaged, public_client

from .helpers import (
    contact_id,
    employer_link,
    employer_of,
    page_post,
    post_contacts,
)


def _links(app) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(SupervisorLink)) or 0)


def test_the_advisor_emails_the_page_and_it_shows_the_employers_work(app, world):
    engagement_id = engaged(app, world)
    path = employer_link(app, world)
    browser = public_client(app)
    before = _links(app)
    page = browser.get(path)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Acme Analytics" in text and "Projects under way" in text
    assert "Open the workspace" in text and "Payments due" in text
    assert _links(app) == before  # viewing the page issues nothing
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action)))
        assert "employer_contact.add" in actions and "employer_link.issue" in actions
        assert db.session.get(Engagement, engagement_id) is not None


def test_the_contact_form_refuses_a_bad_address_and_saves_nothing(app, world):
    employer_id = employer_of(app, world["listing"])
    resp = post_contacts(world["advisor"], employer_id, form="add", name="Dana", email="nope")
    assert resp.status_code == 422
    assert "Give an email address" in resp.get_data(as_text=True)
    with app.app_context():
        count = select(func.count()).where(EmployerContact.employer_id == employer_id)
        assert db.session.scalar(count.select_from(EmployerContact)) == 0


def test_a_student_cannot_open_the_contacts_page(app, world):
    student = world["student"]
    employer_id = employer_of(app, world["listing"])
    resp = student.client.get(f"/employers/contacts/{employer_id}?lid={student.lid}")
    assert resp.status_code == 403


def test_another_institutions_advisor_cannot_see_the_employer(app, world, make_school):
    employer_id = employer_of(app, world["listing"])
    other = make_school().person("advisor")
    resp = other.client.get(f"/employers/contacts/{employer_id}?lid={other.lid}")
    assert resp.status_code == 404


def test_a_tampered_link_is_refused(app, world):
    path = employer_link(app, world)
    resp = public_client(app).get(path[:-3] + "xyz")
    assert resp.status_code == 404 and reason(resp) == "invalid"
    assert "career center" in resp.get_data(as_text=True)


def test_an_expired_link_is_refused_with_whom_to_ask(app, world):
    path = employer_link(app, world)
    assert public_client(app).get(path).status_code == 200
    with app.app_context():
        tenant_id = world["school"].tenant_id
        for row in db.session.scalars(
            select(EmployerLink).where(EmployerLink.tenant_id == tenant_id)
        ):
            row.expires_at = utcnow() - dt.timedelta(minutes=1)
        db.session.commit()
    resp = public_client(app).get(path)
    assert resp.status_code == 410 and reason(resp) == "expired"
    assert "careers@example.edu" in resp.get_data(as_text=True)


def test_a_withdrawn_link_and_a_removed_contacts_link_are_refused(app, world):
    path = employer_link(app, world)
    second = employer_link(app, world, email="lee@acme.example")
    employer_id = employer_of(app, world["listing"])
    with app.app_context():
        jti = db.session.scalar(
            select(EmployerLink.jti).where(
                EmployerLink.email == "dana@acme.example",
                EmployerLink.tenant_id == world["school"].tenant_id,
            )
        )
    resp = post_contacts(world["advisor"], employer_id, form="withdraw", subject=jti)
    assert resp.status_code == 303
    refused = public_client(app).get(path)
    assert refused.status_code == 410 and reason(refused) == "revoked"
    assert public_client(app).get(second).status_code == 200  # the positive control
    lee = contact_id(app, "lee@acme.example", employer_id)
    assert (
        post_contacts(world["advisor"], employer_id, form="remove", subject=str(lee)).status_code
        == 303
    )
    refused = public_client(app).get(second)
    assert refused.status_code == 410 and reason(refused) == "revoked"
    assert "no longer lists" in refused.get_data(as_text=True)


def test_another_employers_link_reaches_none_of_this_employers_work(app, world, seed_listing):
    engagement_id = engaged(app, world)
    other_listing = seed_listing(world["school"].tenant_id, employer="Bay Robotics")
    mine = employer_link(app, world)
    theirs = employer_link(app, {**world, "listing": other_listing}, email="kim@bay.example")
    browser = public_client(app)
    text = browser.get(theirs).get_data(as_text=True)
    assert "Bay Robotics" in text and "Acme Analytics" not in text
    for form, subject in (("workspace", engagement_id), ("review", world["listing"])):
        resp = page_post(browser, theirs, form=form, subject=str(subject))
        assert resp.status_code == 422, form
        assert "not one of your organization" in resp.get_data(as_text=True)
    ok = page_post(public_client(app), mine, form="workspace", subject=str(engagement_id))
    assert ok.status_code == 303 and "/workspace/" in ok.headers["Location"]


def test_the_buttons_issue_a_supervisor_link_and_go_to_its_page(app, world):
    engagement_id = engaged(app, world)
    path = employer_link(app, world)
    browser = public_client(app)
    for form, where in (("workspace", "/workspace/"), ("evaluate", "/supervisor/evaluate/")):
        resp = page_post(browser, path, form=form, subject=str(engagement_id))
        assert resp.status_code == 303 and where in resp.headers["Location"], form
        assert browser.get(resp.headers["Location"]).status_code == 200


def test_a_button_without_its_csrf_token_is_refused(app, world):
    engagement_id = engaged(app, world)
    path = employer_link(app, world)
    browser = public_client(app)
    browser.get(path)
    before = _links(app)
    resp = browser.post(path, data={"form": "workspace", "subject": str(engagement_id)})
    assert resp.status_code in (400, 422)
    assert _links(app) == before
