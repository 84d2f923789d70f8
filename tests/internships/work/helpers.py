"""Shortcuts the work tests share: a CV and a statement, apply, accept, add a listing, read
the audit trail (through the services); apply, accept and read a link through the pages."""

from __future__ import annotations

import datetime as dt
import io
import re
import secrets
from typing import Any

from sqlalchemy import select

from internships.work.models import Application, Engagement
from internships.work.services.applications import (
    ApplicationInput,
    apply_to_listing,
    decide_application,
)
from lti_tool.actor import Actor
from lti_tool.context import LaunchContext
from lti_tool.extensions import db
from lti_tool.models import AuditEntry
from lti_tool.notify.models import EmailMessage
from tests.helpers import csrf_token

ADVISOR_ACTOR = "Ada Advisor <ada@example.edu> (user 0)"
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"xref\n0 3\n0000000000 65535 f \ntrailer\n<< /Root 1 0 R /Size 3 >>\n"
    b"startxref\n9\n%%EOF\n"
)
STATEMENT = "I have run two survey projects for student societies and enjoy careful analysis."


def application_input(**overrides: Any) -> ApplicationInput:
    values: dict[str, Any] = {
        "statement": STATEMENT,
        "availability": "Weekday evenings, about 8 hours a week",
        "consent": True,
        "resume": PDF,
        "resume_filename": "cv.pdf",
    }
    values.update(overrides)
    return ApplicationInput(**values)


def apply(ctx: LaunchContext, listing_id: int, **overrides: Any) -> Application:
    return apply_to_listing(ctx, listing_id, application_input(**overrides))


def accept(ctx: LaunchContext, listing_id: int, **kw: Any) -> Engagement:
    application = apply(ctx, listing_id)
    decide_application(
        Actor(ctx.tenant_id, ADVISOR_ACTOR), application.id, "accept", by_advisor=True, **kw
    )
    engagement = db.session.scalar(
        select(Engagement).where(Engagement.application_id == application.id)
    )
    assert engagement is not None
    return engagement


ACCEPTED_ON = dt.date(2026, 1, 5)


def ready_to_log(
    student: LaunchContext, engagement: Engagement, since: dt.date = ACCEPTED_ON
) -> Engagement:
    """The engagement as accepted on ``since`` (noon UTC) with its learning agreement
    acknowledged, so hours may be logged for days from then on (hours are refused before the
    acknowledgement and outside the engagement's days)."""
    from internships.work.services.engagements import acknowledge_agreement

    engagement.created_at = dt.datetime.combine(since, dt.time(12))
    if engagement.acknowledged_at is None:
        acknowledge_agreement(student, engagement.id)
    db.session.flush()
    return engagement


def audit_actions(tenant_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.tenant_id == tenant_id)
            .order_by(AuditEntry.id)
        )
    )


def add_listing(tenant_id: int, *, employer: str = "Acme Analytics", **overrides: Any) -> int:
    """An open listing in the current session (flushed, not committed)."""
    import datetime as dt

    from internships.services.listings import create_listing, ensure_employer
    from tests.internships.conftest import ACTOR, listing_input

    overrides.setdefault("application_deadline", dt.date.today() + dt.timedelta(days=30))
    emp = ensure_employer(
        Actor(tenant_id, ACTOR),
        employer,
        contact_name="Sam Supervisor",
        contact_email="sam@acme.example",
    )
    listing = create_listing(
        Actor(tenant_id, ACTOR), listing_input(emp.id, **overrides), submit=True
    )
    return int(listing.id)


# --- through the pages (signed launches, a public client) ---------------------------------------


def apply_form(lid: str, token: str, **overrides):
    data = {
        "lid": lid,
        "csrf_token": token,
        "statement": STATEMENT,
        "availability": "Evenings, 8 hours a week",
        "consent": "y",
        "resume": (io.BytesIO(PDF), "my cv.pdf"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def submit_application(person, listing_id: int, **overrides):
    page = person.client.get(f"/work/apply/{listing_id}?lid={person.lid}")
    assert page.status_code == 200
    return person.client.post(
        f"/work/apply/{listing_id}",
        data=apply_form(person.lid, csrf_token(page), **overrides),
        content_type="multipart/form-data",
    )


GOALS = "Run the customer survey end to end and present what it found."


def form_values(page_text: str, action: str) -> dict[str, Any]:
    """The values a browser would send from the form whose action contains ``action``: text
    inputs, checked boxes and radios (a list where a name repeats), textareas."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.inside, self.textarea = False, None
            self.values: dict[str, Any] = {}

        def add(self, name: str, value: str) -> None:
            if name in self.values:
                old = self.values[name]
                self.values[name] = [*old, value] if isinstance(old, list) else [old, value]
            else:
                self.values[name] = value

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = {k: v or "" for k, v in attrs}
            if tag == "form":
                self.inside = action in a.get("action", "")
            elif self.inside and tag == "input" and a.get("name"):
                kind = a.get("type", "text")
                if kind in ("checkbox", "radio") and "checked" not in a:
                    return
                if kind not in ("submit", "button"):
                    self.add(a["name"], a.get("value", "on" if kind == "checkbox" else ""))
            elif self.inside and tag == "textarea":
                self.textarea = a.get("name")
                self.values[self.textarea or ""] = ""

        def handle_data(self, data: str) -> None:
            if self.textarea:
                self.values[self.textarea] += data

        def handle_endtag(self, tag: str) -> None:
            if tag == "textarea":
                self.textarea = None
            elif tag == "form":
                self.inside = False

    reader = Reader()
    reader.feed(page_text)
    return reader.values


def accept_via_advisor(world, application_id: int, **extra):
    """The advisor accepts on the applicants page, then confirms the learning agreement's
    terms (the listing's, with goals; ``extra`` overrides or adds fields)."""
    advisor = world["advisor"]
    with advisor.client.application.app_context():
        listing_id = db.session.get(Application, application_id).listing_id
    page = advisor.client.get(f"/work/listings/{listing_id}/applicants?lid={advisor.lid}")
    chosen = advisor.client.post(
        f"/work/listings/{listing_id}/applicants",
        data={
            "lid": advisor.lid,
            "csrf_token": csrf_token(page),
            "form": "decide",
            "application_id": application_id,
            "decision": "accept",
        },
    )
    if chosen.status_code != 303 or "/accept" not in chosen.headers.get("Location", ""):
        return chosen  # refused before the terms (the page says why)
    url = f"/work/applications/{application_id}/accept"
    terms = advisor.client.get(f"{url}?lid={advisor.lid}")
    if terms.status_code != 200:
        return terms
    data = {**form_values(terms.get_data(as_text=True), url), "goals": GOALS, **extra}
    data.setdefault("competencies", "Teamwork")  # the listing named none: the advisor picks one
    if not data.get("supervisor_name"):  # the employer named no contact: the advisor does
        data["supervisor_name"] = "Sam Supervisor"
    data["lid"] = advisor.lid
    return advisor.client.post(
        url,
        data=data,
        follow_redirects=True,
    )


def the_application(app, student_sub: str, listing_id: int | None = None) -> Application:
    """The application of the student with this sub (to ``listing_id`` when given: a sub
    alone is not unique across LMSs and tenants)."""
    with app.app_context():
        from lti_tool.models import User

        query = (
            select(Application)
            .join(User, User.id == Application.student_id)
            .where(User.sub == student_sub)
        )
        if listing_id is not None:
            query = query.where(Application.listing_id == listing_id)
        row = db.session.scalar(query)
        assert row is not None
        db.session.expunge(row)
        return row


def public_client(app):
    """A browser of its own, from an address of its own (the rate limit counts per address)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = (
        f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    )
    return client


def last_link(app, to: str, path: str) -> str:
    """The newest ``/supervisor/<path>/…`` link emailed to ``to`` (other emails to the same
    address, such as a conversation's digest a running runner sends, are passed over)."""
    with app.app_context():
        body = db.session.scalars(
            select(EmailMessage.body)
            .where(
                EmailMessage.to_address == to,
                EmailMessage.body.contains(f"/supervisor/{path}/"),
            )
            .order_by(EmailMessage.id.desc())
        ).first()
    assert body, f"no email to {to} with a /supervisor/{path}/ link"
    match = re.search(rf"https?://[^\s]+(/supervisor/{path}/[^\s]+)", body)
    assert match, body
    return match.group(1)


def acknowledge_on_page(student, engagement_id: int) -> None:
    """The student presses "I have read and accept this learning agreement"."""
    url = f"/work/engagements/{engagement_id}"
    token = csrf_token(student.client.get(f"{url}?lid={student.lid}"))
    resp = student.client.post(f"{url}/acknowledge", data={"lid": student.lid, "csrf_token": token})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]


def accepted_days_ago(app, engagement_id: int, days: int) -> None:
    """Move the engagement's acceptance ``days`` back (hours may be logged from that day)."""
    from lti_tool.models import utcnow

    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        engagement.created_at = utcnow() - dt.timedelta(days=days)
        db.session.commit()


def engaged(app, world, *, ready: bool = True) -> int:
    """The world's student engaged on its listing (accepted by the advisor through the page);
    ``ready``: accepted a week ago and the agreement acknowledged, so hours can be logged."""
    submit_application(world["student"], world["listing"])
    application = the_application(app, world["student"].sub)
    accept_via_advisor(world, application.id)
    with app.app_context():
        engagement_id = int(
            db.session.scalar(
                select(Engagement.id).where(Engagement.application_id == application.id)
            )
        )
    if ready:
        acknowledge_on_page(world["student"], engagement_id)
        accepted_days_ago(app, engagement_id, 7)
    return engagement_id
