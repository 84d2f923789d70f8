"""Two refusals that looked like success inside an LMS frame without the cookie: "Email the
employer a link" with no address, and "Submit: my work is done" before the learning agreement
is acknowledged. Each now answers with the page again (422), the reason and what to do next to
the field, the person's input kept — no cookie needed, nothing sent or changed."""

from __future__ import annotations

import secrets
from html import escape

from sqlalchemy import func, select

from internships.services.listings import create_listing, ensure_employer
from internships.work.models import Engagement
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.notify.models import EmailMessage
from tests.helpers import csrf_token
from tests.internships.conftest import ACTOR, listing_input

from .helpers import engaged

NO_CONTACT = "The employer has no contact email; give the address to send the link to."


def _cookieless(app):
    """Inside an LMS iframe with third-party cookies blocked: the launch id is all there is."""
    return app.test_client(use_cookies=False)


def _mails_to(app, address: str) -> int:
    with app.app_context():
        query = select(func.count()).where(EmailMessage.to_address == address)
        return int(db.session.scalar(query) or 0)


def _listing_without_contact(app, tenant_id: int) -> int:
    with app.app_context():
        employer = ensure_employer(Actor(tenant_id, ACTOR), f"Quiet Co {secrets.token_hex(3)}")
        listing = create_listing(Actor(tenant_id, ACTOR), listing_input(employer.id), submit=True)
        db.session.commit()
        return int(listing.id)


def test_a_link_with_no_address_to_send_it_to_is_refused_on_the_page(app, world):
    advisor = world["advisor"]
    listing_id = _listing_without_contact(app, world["school"].tenant_id)
    browser = _cookieless(app)
    url = f"/work/listings/{listing_id}/applicants?lid={advisor.lid}"
    # positive control: an address typed in goes out
    typed = f"lee-{secrets.token_hex(3)}@quiet.example"
    sent = browser.post(
        f"/work/listings/{listing_id}/applicants",
        data={
            "form": "selection_link",
            "lid": advisor.lid,
            "csrf_token": csrf_token(browser.get(url)),
            "email": typed,
        },
    )
    assert sent.status_code == 303
    assert _mails_to(app, typed) == 1

    before = _mails_to(app, "")
    refused = browser.post(
        f"/work/listings/{listing_id}/applicants",
        data={
            "form": "selection_link",
            "lid": advisor.lid,
            "csrf_token": csrf_token(browser.get(url)),
            "email": "",
        },
    )
    assert refused.status_code == 422
    text = refused.get_data(True)
    assert escape(NO_CONTACT) in text
    assert 'id="email-error"' in text and 'aria-invalid="true"' in text
    assert _mails_to(app, "") == before


def test_an_address_that_is_not_one_is_refused_and_kept(app, world):
    advisor = world["advisor"]
    listing_id = world["listing"]  # its employer has a contact: the typed text must not win
    browser = _cookieless(app)
    page = browser.get(f"/work/listings/{listing_id}/applicants?lid={advisor.lid}")
    refused = browser.post(
        f"/work/listings/{listing_id}/applicants",
        data={
            "form": "selection_link",
            "lid": advisor.lid,
            "csrf_token": csrf_token(page),
            "email": "sam at acme",
        },
    )
    assert refused.status_code == 422
    text = refused.get_data(True)
    assert "is not an email address" in text
    assert 'value="sam at acme"' in text  # what was typed stays in the field
    assert _mails_to(app, "sam at acme") == 0


def test_submitting_before_the_agreement_is_acknowledged_says_what_to_do(app, world):
    engagement_id = engaged(app, world, ready=False)
    student = world["student"]
    browser = _cookieless(app)
    url = f"/work/engagements/{engagement_id}"
    page = browser.get(f"{url}?lid={student.lid}")
    refused = browser.post(
        f"{url}",
        data={
            "form": "status",
            "lid": student.lid,
            "csrf_token": csrf_token(page),
            "action": "submit",
        },
    )
    assert refused.status_code == 422
    text = refused.get_data(True)
    assert "Acknowledge your learning agreement before you submit." in text
    assert escape("I have read and accept this learning agreement") in text
    assert 'id="action-error"' in text and 'value="submit" id="action-submit" checked' in text
    with app.app_context():
        assert db.session.get(Engagement, engagement_id).status == "active"

    nothing = browser.post(
        f"{url}", data={"form": "status", "lid": student.lid, "csrf_token": csrf_token(page)}
    )
    assert nothing.status_code == 422
    assert "Choose a change." in nothing.get_data(True)

    # acknowledged, the same submission goes through
    browser.post(f"{url}/acknowledge", data={"lid": student.lid, "csrf_token": csrf_token(page)})
    done = browser.post(
        f"{url}",
        data={
            "form": "status",
            "lid": student.lid,
            "csrf_token": csrf_token(page),
            "action": "submit",
        },
    )
    assert done.status_code == 303
    with app.app_context():
        assert db.session.get(Engagement, engagement_id).status == "submitted"
    shown = browser.get(done.headers["Location"]).get_data(True)
    assert "The engagement is now submitted" in shown  # the confirmation, without the cookie


def test_submitting_twice_says_why_although_no_change_is_offered(app, world):
    engagement_id = engaged(app, world)
    student = world["student"]
    browser = _cookieless(app)
    url = f"/work/engagements/{engagement_id}"
    page = browser.get(f"{url}?lid={student.lid}")
    browser.post(f"{url}/acknowledge", data={"lid": student.lid, "csrf_token": csrf_token(page)})
    data = {"lid": student.lid, "csrf_token": csrf_token(page), "action": "submit"}
    assert browser.post(f"{url}", data={**data, "form": "status"}).status_code == 303
    again = browser.post(
        f"{url}", data={**data, "form": "status"}
    )  # e.g. a second tab, or the back button
    assert again.status_code == 422
    text = again.get_data(True)
    assert "This engagement is submitted; it cannot be submitted now." in text
    assert 'id="action-error"' in text
