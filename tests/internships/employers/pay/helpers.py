"""Shortcuts of the pay tests: a paid engagement (through the pages), its supervisor's
workspace link, confirmed hours, a post of the pay panel's forms, the sweep of overdue
payments, and reading the rows back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import url_for
from sqlalchemy import select

from internships.employers.pay.models import OverduePayment, Payment
from internships.employers.pay.services.overdue import sweep
from internships.supervisor.links import issue_link
from internships.work.models import Engagement, HourLog
from lti_tool.actor import Actor
from lti_tool.extensions import db
from tests.helpers import csrf_token
from tests.internships.work.helpers import engaged, public_client

TODAY = dt.date.today()


def paid_engagement(app, world, *, ended_days_ago: int | None = None) -> int:
    """The world's student engaged on its listing; ``ended_days_ago``: the agreement's end
    date that many days back (the payment on completion fell due then)."""
    engagement_id = engaged(app, world)
    if ended_days_ago is not None:
        set_end(app, engagement_id, TODAY - dt.timedelta(days=ended_days_ago))
    return engagement_id


def set_end(app, engagement_id: int, end: dt.date, days: int = 30) -> None:
    """The agreement's dates: ``days`` of work ending on ``end``."""
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        engagement.start_date = end - dt.timedelta(days=days)
        engagement.end_date = end
        db.session.commit()


def workspace_path(app, engagement_id: int) -> str:
    """A fresh workspace link of the engagement's supervisor (as the advisor emails it)."""
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        token = issue_link(Actor(engagement.tenant_id, "tests"), "workspace", engagement_id, "")
        db.session.commit()
        with app.test_request_context():
            return url_for("workspace.supervisor", token=token)


def confirm_hours(app, engagement_id: int, minutes: int, day: dt.date | None = None) -> None:
    """Hours the supervisor confirmed (the hours pages are tested in tests/internships/work)."""
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        db.session.add(
            HourLog(
                tenant_id=engagement.tenant_id,
                engagement_id=engagement_id,
                student_id=engagement.student_id,
                work_date=day or TODAY - dt.timedelta(days=40),
                minutes=minutes,
                description=f"Work {minutes}",
                status="confirmed",
                reviewed_by="Sam Supervisor",
            )
        )
        db.session.commit()


def engagement_url(person, engagement_id: int) -> str:
    return f"/work/engagements/{engagement_id}?lid={person.lid}"


def post_panel(person, engagement_id: int, action: str, **data: Any):
    """A launch person posts one of the pay panel's forms from the engagement page."""
    url = engagement_url(person, engagement_id)
    page = person.client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    values = {"form": f"pay.{action}", "csrf_token": csrf_token(page), "lid": person.lid}
    return person.client.post(url, data={**values, **data})


def mark(app, path: str, client=None, **data: Any):
    """The supervisor marks a payment on their workspace page (``path``)."""
    client = client or public_client(app)
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    values = {
        "form": "pay.mark",
        "csrf_token": csrf_token(page),
        "amount": "500.00",
        "currency": "USD",
        "paid_on": (TODAY - dt.timedelta(days=1)).isoformat(),
        "reference": "TR-1001",
    }
    return client.post(path, data={**values, **data})


def payments(app, engagement_id: int) -> list[Payment]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(Payment).where(Payment.engagement_id == engagement_id).order_by(Payment.id)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def overdue_rows(app, engagement_id: int) -> list[OverduePayment]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(OverduePayment).where(OverduePayment.engagement_id == engagement_id)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def tick(app) -> int:
    """The runner's tick hook, now (its own throttle aside)."""
    return sweep(app, force=True)


def uid(app, person) -> int:
    """The tool's user id of a person who launched."""
    with app.app_context():
        return person.user_id
