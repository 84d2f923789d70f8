"""Shortcuts of the plan tests: the engagement page and the supervisor's workspace page,
their forms posted as a person does (CSRF token, launch id, the form's name)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from internships.supervisor.links import issue_link
from internships.work.models import Engagement
from internships.workspace.plan.models import MilestoneChange
from lti_tool.actor import Actor
from lti_tool.context import today_in
from lti_tool.extensions import db
from lti_tool.tenants import get_tenant
from tests.helpers import csrf_token
from tests.internships.work.helpers import public_client


def page_url(engagement_id: int) -> str:
    return f"/work/engagements/{engagement_id}"


def launch_page(person: Any, engagement_id: int) -> Any:
    return person.client.get(f"{page_url(engagement_id)}?lid={person.lid}")


def launch_post(person: Any, engagement_id: int, form: str, **data: Any) -> Any:
    """Post a panel form of the engagement page as ``person`` (their launch, no cookie needed)."""
    token = csrf_token(launch_page(person, engagement_id))
    return person.client.post(
        f"{page_url(engagement_id)}?lid={person.lid}",
        data={"form": form, "csrf_token": token, "lid": person.lid, **data},
    )


class Supervisor:
    """The supervisor's browser on their workspace page (a signed "workspace" link)."""

    def __init__(self, app: Any, engagement_id: int) -> None:
        with app.app_context():
            engagement = db.session.get(Engagement, engagement_id)
            assert engagement is not None
            token = issue_link(Actor(engagement.tenant_id, "test"), "workspace", engagement_id, "")
            db.session.commit()
        self.path = f"/workspace/{token}"
        self.client = public_client(app)

    def get(self) -> Any:
        return self.client.get(self.path)

    def post(self, form: str, **data: Any) -> Any:
        token = csrf_token(self.get())
        return self.client.post(self.path, data={"form": form, "csrf_token": token, **data})


def tenant_today(app: Any, tenant_id: int) -> dt.date:
    """Today in the tenant's time zone (due dates and hour logs are dates there)."""
    with app.app_context():
        return today_in(get_tenant(tenant_id).time_zone)


def changes(app: Any, engagement_id: int) -> list[MilestoneChange]:
    """The engagement's milestone changes, oldest first (detached)."""
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(MilestoneChange)
                .where(MilestoneChange.engagement_id == engagement_id)
                .order_by(MilestoneChange.id)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def agreed_milestone(app: Any, world: Any, engagement_id: int, title: str, due: dt.date) -> int:
    """A milestone the student proposed and the supervisor agreed to, through the pages."""
    launch_post(
        world["student"], engagement_id, "milestones.propose", title=title, due_date=due.isoformat()
    )
    change = changes(app, engagement_id)[-1]
    Supervisor(app, engagement_id).post("milestones.answer", change=str(change.id), answer="agree")
    milestone_id = changes(app, engagement_id)[-1].milestone_id
    assert milestone_id is not None
    return milestone_id
