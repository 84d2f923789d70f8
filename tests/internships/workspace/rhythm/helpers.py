"""Shortcuts of the rhythm tests: a check-in through the engagement page, the supervisor's
workspace link, a runner tick, the emails one address received."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from internships.work.models import Engagement
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.notify.models import EmailMessage
from tests.helpers import csrf_token

ANSWERS = {"done": "Drafted the survey questions.", "next": "Pilot the survey.", "blocked": "no"}


def engagement_url(engagement_id: int) -> str:
    return f"/work/engagements/{engagement_id}"


def post_checkin(person: Any, engagement_id: int, **overrides: Any) -> Any:
    """The student's check-in form posted from the engagement page (its CSRF token, lid)."""
    url = engagement_url(engagement_id)
    page = person.client.get(f"{url}?lid={person.lid}")
    data = {"form": "rhythm.checkin", "lid": person.lid, "csrf_token": csrf_token(page)}
    data.update({**ANSWERS, **overrides})
    return person.client.post(
        f"{url}?lid={person.lid}", data={k: v for k, v in data.items() if v is not None}
    )


def workspace_path(app: Any, engagement_id: int) -> str:
    """A fresh workspace link of the engagement's supervisor (as an advisor would email it)."""
    from internships.supervisor.links import issue_link

    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        token = issue_link(Actor.link(engagement.tenant_id, "test"), "workspace", engagement_id, "")
        db.session.commit()
    return f"/workspace/{token}"


def tick(app: Any) -> None:
    """One runner tick, the reminders' throttle lifted (as at the first tick of a process)."""
    from internships.workspace.rhythm import reminders
    from lti_tool.jobs.runner import run_tick_hooks

    reminders._last_tick.clear()
    run_tick_hooks(app)


def emails_to(app: Any, tenant_id: int, address: str) -> list[tuple[str, str]]:
    """(subject, body) of the emails one tenant sent to ``address`` (test supervisors share
    an address across schools), oldest first."""
    with app.app_context():
        rows = db.session.execute(
            select(EmailMessage.subject, EmailMessage.body)
            .where(EmailMessage.tenant_id == tenant_id, EmailMessage.to_address == address)
            .order_by(EmailMessage.id)
        ).all()
    return [(str(s), str(b)) for s, b in rows]


def set_engagement(app: Any, engagement_id: int, **values: Any) -> None:
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        for key, value in values.items():
            setattr(engagement, key, value)
        db.session.commit()


def days_ago(days: int) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)
