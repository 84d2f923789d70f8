"""Employer invitations: the advisor issues a signed, expiring link (emailed through the
outbox); the employer submits one listing on the public form (no LMS account) that waits for
approval with source "employer form"; a used, expired, withdrawn or forged link gets a plain
page naming the career center; rate limited; audited; CSRF on the public form."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from internships.models import EmployerInvitation, Listing
from internships.services.listings import ensure_employer
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import AuditEntry
from lti_tool.notify.models import EmailMessage
from tests.helpers import csrf_token
from tests.internships.conftest import ACTOR

from .helpers import public_client

EMPLOYER_EMAIL = "hr@northwind.example"


@pytest.fixture
def world(school):
    return {
        "school": school,
        "student": school.person("student"),
        "advisor": school.person("advisor"),
        "faculty": school.person("faculty"),
    }


def invite(app, advisor, email: str = EMPLOYER_EMAIL, **extra) -> str:
    """Issue an invitation through the advisor's page; returns the public path of the link."""
    page = advisor.client.get(f"/internships/invitations?lid={advisor.lid}")
    assert page.status_code == 200
    resp = advisor.client.post(
        "/internships/invitations",
        data={
            "lid": advisor.lid,
            "csrf_token": csrf_token(page),
            "email": email,
            "days": "14",
            **extra,
        },
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    with app.app_context():
        body = db.session.scalars(
            select(EmailMessage.body)
            .where(EmailMessage.to_address == email)
            .order_by(EmailMessage.id.desc())
        ).first()
    assert body, "no invitation email"
    match = re.search(r"https?://[^\s]+(/supervisor/listing/[^\s]+)", body)
    assert match, body
    return match.group(1)


def listing_form(token: str, **overrides) -> dict:
    data = {
        "csrf_token": token,
        "employer_name": "Northwind Design Studio",
        "employer_website": "https://northwind.example",
        "contact_name": "Priya Nair",
        "contact_email": EMPLOYER_EMAIL,
        "title": "Accessibility audit of a booking site",
        "summary": "Audit five pages and fix what you find.",
        "description_md": "## Work\n\n- audit\n- fix",
        "estimated_hours": "20",
        "compensation_type": "fixed",
        "pay_amount": "600",
        "currency": "USD",
        "location_type": "remote",
        "openings": "1",
        "competencies": ["Technology"],
        "application_deadline": (dt.date.today() + dt.timedelta(days=10)).isoformat(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_employer_submits_a_listing_that_waits_for_approval(app, world):
    path = invite(app, world["advisor"])
    employer = public_client(app)
    page = employer.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    assert "Offer a micro-internship" in page.get_data(as_text=True)
    resp = employer.post(path, data=listing_form(csrf_token(page)))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:1500]
    assert "is with the career center" in resp.get_data(as_text=True)
    with app.app_context():
        listing = db.session.scalar(
            select(Listing).where(
                # this school's: other tests post the same title to other schools
                Listing.tenant_id == world["school"].tenant_id,
                Listing.title == "Accessibility audit of a booking site",
            )
        )
        assert listing is not None
        # Paid above the floor, and still waiting: every employer listing is reviewed.
        assert (listing.status, listing.source) == ("pending_approval", "employer_form")
        assert listing.tenant_id == world["school"].tenant_id
        assert listing.employer.name == "Northwind Design Studio"
        assert listing.employer.contact_email == EMPLOYER_EMAIL
        invitation = db.session.scalar(
            select(EmployerInvitation).where(EmployerInvitation.listing_id == listing.id)
        )
        assert invitation is not None and invitation.used_at is not None
        actions = set(
            db.session.scalars(
                select(AuditEntry.action).where(AuditEntry.tenant_id == listing.tenant_id)
            )
        )
        assert {"employer_invitation.issue", "employer_invitation.submit"} <= actions
        to_center = db.session.scalar(
            select(EmailMessage.subject).where(
                EmailMessage.to_address == "careers@example.edu",
                EmailMessage.tenant_id == listing.tenant_id,
            )
        )
        assert to_center and "waits for approval" in to_center
    # The advisor sees it in the approval queue and approves it.
    advisor = world["advisor"]
    manage = advisor.client.get(f"/internships/manage?lid={advisor.lid}").get_data(as_text=True)
    assert "Accessibility audit of a booking site" in manage
    home = advisor.client.get(f"/home/?lid={advisor.lid}", follow_redirects=True).get_data(True)
    assert "1 listing waits for approval, 1 of them sent by employers" in home
    with app.app_context():
        listing_id = db.session.scalar(
            select(Listing.id).where(
                Listing.source == "employer_form", Listing.tenant_id == world["school"].tenant_id
            )
        )
    approve = advisor.client.get(f"/internships/{listing_id}/approve?lid={advisor.lid}")
    assert "sent it through an invitation" in approve.get_data(as_text=True)
    approved = advisor.client.post(
        f"/internships/{listing_id}/approve",
        data={
            "lid": advisor.lid,
            "csrf_token": csrf_token(approve),
            "form": "approve",
            "note": "Checked with Priya.",
        },
    )
    assert approved.status_code == 303
    student = world["student"]
    board = student.client.get(f"/internships/?lid={student.lid}").get_data(as_text=True)
    assert "Accessibility audit of a booking site" in board
    # Used: the same link now gets the plain page naming the career center.
    again = employer.get(path)
    assert again.status_code == 410
    text = again.get_data(as_text=True)
    assert 'data-reason="used"' in text and "careers@example.edu" in text


def test_the_public_form_says_what_is_wrong_and_saves_nothing(app, world):
    path = invite(app, world["advisor"])
    employer = public_client(app)
    page = employer.get(path)
    bad = employer.post(
        path, data=listing_form(csrf_token(page), pay_amount=None, employer_name="")
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Give your organization&#39;s name." in text or "Give your organization's name." in text
    without_token = employer.post(path, data=listing_form(""))
    assert without_token.status_code == 400
    pay_missing = employer.post(path, data=listing_form(csrf_token(page), pay_amount=None))
    assert pay_missing.status_code == 422
    assert "Enter the amount paid, or choose unpaid." in pay_missing.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(
                select(Listing.id).where(
                    Listing.source == "employer_form",
                    Listing.tenant_id == world["school"].tenant_id,
                )
            )
            is None
        )
    # The link still works after refusals: it is spent only by a submission.
    good = employer.post(path, data=listing_form(csrf_token(page)))
    assert good.status_code == 200 and "is with the career center" in good.get_data(as_text=True)


def test_an_invitation_bound_to_an_employer_keeps_its_identity(app, world):
    with app.app_context():
        employer = ensure_employer(
            Actor(world["school"].tenant_id, ACTOR),
            "Harbor Logistics",
            contact_email="ops@harbor.example",
        )
        db.session.commit()
        employer_id = employer.id
    path = invite(app, world["advisor"], employer=str(employer_id))
    client = public_client(app)
    page = client.get(path)
    assert "for <strong>Harbor Logistics</strong>" in page.get_data(as_text=True)
    resp = client.post(path, data=listing_form(csrf_token(page), employer_name="Someone Else"))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:800]
    with app.app_context():
        listing = db.session.scalar(
            select(Listing).where(
                Listing.source == "employer_form", Listing.tenant_id == world["school"].tenant_id
            )
        )
        assert listing is not None and listing.employer_id == employer_id
        assert listing.employer.contact_email == "ops@harbor.example"  # kept, not overwritten


def test_expired_withdrawn_and_forged_links_say_whom_to_ask(app, world):
    advisor = world["advisor"]
    path = invite(app, advisor)
    client = public_client(app)
    assert client.get(path).status_code == 200  # positive control
    with app.app_context():
        db.session.execute(update(EmployerInvitation).values(expires_at=dt.datetime(2020, 1, 1)))
        db.session.commit()
    expired = client.get(path)
    assert expired.status_code == 410
    assert 'data-reason="expired"' in expired.get_data(as_text=True)
    assert "careers@example.edu" in expired.get_data(as_text=True)

    second = invite(app, advisor, email="other@northwind.example")
    with app.app_context():
        jti = db.session.scalar(
            select(EmployerInvitation.jti).where(
                EmployerInvitation.email == "other@northwind.example"
            )
        )
    page = advisor.client.get(f"/internships/invitations?lid={advisor.lid}")
    withdrawn = advisor.client.post(
        f"/internships/invitations/{jti}/revoke",
        data={"lid": advisor.lid, "csrf_token": csrf_token(page)},
    )
    assert withdrawn.status_code == 303
    revoked = client.get(second)
    assert revoked.status_code == 410 and 'data-reason="revoked"' in revoked.get_data(as_text=True)

    forged = client.get(path[:-3] + "abc")
    assert forged.status_code == 404 and 'data-reason="invalid"' in forged.get_data(as_text=True)
    # A supervisor link's token is not an invitation (salts differ).
    assert client.get("/supervisor/listing/not-a-token").status_code == 404


def test_only_advisors_issue_invitations(world):
    student, faculty = world["student"], world["faculty"]
    assert student.client.get(f"/internships/invitations?lid={student.lid}").status_code == 403
    assert faculty.client.get(f"/internships/invitations?lid={faculty.lid}").status_code == 403


def test_the_invitation_page_refuses_a_bad_email(app, world):
    advisor = world["advisor"]
    page = advisor.client.get(f"/internships/invitations?lid={advisor.lid}")
    resp = advisor.client.post(
        "/internships/invitations",
        data={"lid": advisor.lid, "csrf_token": csrf_token(page), "email": "nope", "days": "14"},
    )
    assert resp.status_code == 422
    assert "Give an email address like name@example.org." in resp.get_data(as_text=True)


def test_the_public_form_is_rate_limited(app, monkeypatch):
    monkeypatch.setitem(app.config, "SUPERVISOR_RATE_LIMIT", "2 per minute")
    client = public_client(app)
    codes = [client.get("/supervisor/listing/not-a-token").status_code for _ in range(3)]
    assert codes == [404, 404, 429]
