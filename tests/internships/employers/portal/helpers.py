"""Helpers of the employer portal tests: the advisor adds a contact and emails them the
employer's page (through the pages), the link from the email, a supervisor's workspace link."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from internships.models import Listing
from internships.supervisor.links import issue_link
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.notify.models import EmailMessage
from tests.helpers import csrf_token


def employer_of(app: Any, listing_id: int) -> int:
    with app.app_context():
        employer_id = db.session.scalar(select(Listing.employer_id).where(Listing.id == listing_id))
        assert employer_id is not None
        return int(employer_id)


def contacts_url(employer_id: int) -> str:
    return f"/employers/contacts/{employer_id}"


def post_contacts(advisor: Any, employer_id: int, **data: Any) -> Any:
    url = contacts_url(employer_id)
    page = advisor.client.get(f"{url}?lid={advisor.lid}")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return advisor.client.post(
        f"{url}?lid={advisor.lid}",
        data={"csrf_token": csrf_token(page), "lid": advisor.lid, **data},
    )


def contact_id(app: Any, email: str, employer_id: int) -> int:
    from internships.employers.portal.models import EmployerContact

    with app.app_context():
        cid = db.session.scalar(
            select(EmployerContact.id)
            .where(EmployerContact.email == email, EmployerContact.employer_id == employer_id)
            .order_by(EmployerContact.id.desc())
        )
        assert cid is not None
        return int(cid)


def page_link(app: Any, to: str) -> str:
    """The path of the latest employer page link emailed to ``to``."""
    with app.app_context():
        body = db.session.scalars(
            select(EmailMessage.body)
            .where(EmailMessage.to_address == to)
            .order_by(EmailMessage.id.desc())
        ).first()
    assert body, f"no email to {to}"
    match = re.search(r"https?://[^\s]+(/employers/page/[^\s]+)", body)
    assert match, body
    return match.group(1)


def employer_link(app: Any, world: dict[str, Any], email: str = "dana@acme.example") -> str:
    """The advisor adds ``email`` as a contact of the world's listing's employer and emails
    them the employer's page; the path of the link."""
    employer_id = employer_of(app, world["listing"])
    added = post_contacts(world["advisor"], employer_id, form="add", name="Dana Lead", email=email)
    assert added.status_code == 303, added.get_data(as_text=True)[:800]
    sent = post_contacts(
        world["advisor"], employer_id, form="send", subject=str(contact_id(app, email, employer_id))
    )
    assert sent.status_code == 303, sent.get_data(as_text=True)[:800]
    return page_link(app, email)


def workspace_path(app: Any, tenant_id: int, engagement_id: int) -> str:
    """A supervisor's workspace link for the engagement (issued as the career center would)."""
    from flask import url_for

    with app.app_context():
        token = issue_link(Actor(tenant_id, "advisor (test)"), "workspace", engagement_id, "")
        db.session.commit()
    with app.test_request_context():
        return url_for("workspace.supervisor", token=token)


def page_post(client: Any, path: str, **data: Any) -> Any:
    """A POST of one of the page's forms, with the page's CSRF token; a field named
    ``prefix__name`` is posted as ``prefix-name`` (a panel's prefixed fields)."""
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    fields = {name.replace("__", "-"): value for name, value in data.items()}  # offer-kind
    return client.post(path, data={"csrf_token": csrf_token(page), **fields})
