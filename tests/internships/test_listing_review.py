"""Reviewing a listing that waits for approval, through the pages: send it back or reject it
with a reason its maker is told; a past deadline keeps it from opening."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from internships.models import Listing
from lti_tool.extensions import db
from lti_tool.models import AuditEntry
from lti_tool.notify.models import EmailMessage, Notification
from tests.helpers import csrf_token

from .test_views import _listing_form, advisor


def _pending_listing_by(client, lid: str, app, title: str, **overrides: str) -> int:
    """An advisor writes an unpaid listing through the page: it waits for approval."""
    form = client.get(f"/internships/new?lid={lid}")
    data = _listing_form(title=title, compensation_type="unpaid", pay_amount="", **overrides)
    resp = client.post(
        "/internships/new", data={"lid": lid, "csrf_token": csrf_token(form), **data}
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    with app.app_context():
        listing = db.session.scalar(select(Listing).where(Listing.title == title))
        assert listing is not None and listing.status == "pending_approval"
        return listing.id


def test_send_back_and_reject_with_a_reason_the_maker_is_told(advised_platform, driver, app):
    client, lid = advisor(driver, advised_platform)
    first = _pending_listing_by(client, lid, app, "Archive sorting")
    second = _pending_listing_by(client, lid, app, "Unpaid marketing blitz")
    page = client.get(f"/internships/{first}/approve?lid={lid}")
    text = page.get_data(as_text=True)
    assert "Send it back for changes" in text and "Reject it" in text
    token = csrf_token(page)
    short = client.post(
        f"/internships/{first}/approve",
        data={
            "form": "return_listing",
            "lid": lid,
            "csrf_token": token,
            "outcome": "send_back",
            "reason": "no",
        },
    )
    assert short.status_code == 422
    assert "Nothing was changed" in short.get_data(as_text=True)
    sent_back = client.post(
        f"/internships/{first}/approve",
        data={
            "form": "return_listing",
            "lid": lid,
            "csrf_token": token,
            "outcome": "send_back",
            "reason": "Say what the student will learn, and pay at least the floor.",
        },
    )
    assert sent_back.status_code == 303
    rejected = client.post(
        f"/internships/{second}/approve",
        data={
            "form": "return_listing",
            "lid": lid,
            "csrf_token": token,
            "outcome": "reject",
            "reason": "Marketing for the employer is not a learning project.",
        },
    )
    assert rejected.status_code == 303
    with app.app_context():
        assert db.session.get(Listing, first).status == "draft"
        closed = db.session.get(Listing, second)
        assert closed.status == "closed"
        assert closed.approval_note == "Marketing for the employer is not a learning project."
        told = db.session.scalars(
            select(Notification.message).where(Notification.kind.like("listing_%"))
        ).all()
        assert any("sent back for changes" in m and "pay at least the floor" in m for m in told)
        assert any("was not approved" in m for m in told)
        mails = db.session.scalars(
            select(EmailMessage.subject).where(EmailMessage.subject.like("%Archive sorting%"))
        ).all()
        assert mails, "the advisor who wrote it is emailed"
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("listing.%"))
        ).all()
        assert "listing.send_back" in actions and "listing.reject" in actions
    # a decided listing is not decided again
    again = client.post(
        f"/internships/{second}/approve",
        data={
            "form": "return_listing",
            "lid": lid,
            "csrf_token": token,
            "outcome": "send_back",
            "reason": "Changed my mind.",
        },
    )
    assert again.status_code == 422
    assert "This listing does not wait for approval" in again.get_data(as_text=True)


def test_a_listing_whose_deadline_passed_cannot_be_approved(advised_platform, driver, app):
    client, lid = advisor(driver, advised_platform)
    listing_id = _pending_listing_by(client, lid, app, "Late archive project")
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        listing.application_deadline = dt.date.today() - dt.timedelta(days=1)
        db.session.commit()
    from internships.vocabulary import UNPAID_FACTORS

    factors = {
        f"factor_{key}": f"Agreed in the learning agreement for {key}." for key, _ in UNPAID_FACTORS
    }
    page = client.get(f"/internships/{listing_id}/approve?lid={lid}")
    refused = client.post(
        f"/internships/{listing_id}/approve",
        data={
            "lid": lid,
            "csrf_token": csrf_token(page),
            "form": "approve",
            "note": "Fine",
            **factors,
        },
    )
    assert refused.status_code == 422
    assert "has passed, so it cannot open to students" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Listing, listing_id).status == "pending_approval"


def test_a_listing_with_a_past_deadline_is_not_published_but_saves_as_a_draft(
    advised_platform, driver, app
):
    client, lid = advisor(driver, advised_platform)
    past = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    form = client.get(f"/internships/new?lid={lid}")
    data = _listing_form(title="Yesterday's project", application_deadline=past)
    refused = client.post(
        "/internships/new", data={"lid": lid, "csrf_token": csrf_token(form), **data}
    )
    assert refused.status_code == 422
    assert "The deadline has passed, so the listing cannot be published" in refused.get_data(
        as_text=True
    )
    draft = {**{k: v for k, v in data.items() if k != "publish"}, "save_draft": "Save as draft"}
    saved = client.post(
        "/internships/new", data={"lid": lid, "csrf_token": csrf_token(form), **draft}
    )
    assert saved.status_code == 303
    with app.app_context():
        listing = db.session.scalar(select(Listing).where(Listing.title == "Yesterday's project"))
        assert listing is not None and listing.status == "draft"
