"""Milestones set with the acceptance: they join the learning agreement (agreed, with a change
record naming the advisor); a bad line refuses the whole acceptance and saves nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from internships.work.models import Engagement
from internships.workspace.plan.models import Milestone, MilestoneChange
from lti_tool.extensions import db
from tests.internships.work.helpers import accept_via_advisor, submit_application, the_application


def _soon(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def test_milestones_written_at_acceptance_start_agreed(app, world):
    submit_application(world["student"], world["listing"])
    application = the_application(app, world["student"].sub)
    lines = f"{_soon(20)} Final presentation\n\n{_soon(5)} - First draft of the dashboard\n"
    resp = accept_via_advisor(world, application.id, milestones=lines, end_date=_soon(40))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:800]
    with app.app_context():
        engagement_id = db.session.scalar(
            select(Engagement.id).where(Engagement.application_id == application.id)
        )
        milestones = db.session.scalars(
            select(Milestone)
            .where(Milestone.engagement_id == engagement_id)
            .order_by(Milestone.position)
        ).all()
        changes = db.session.scalars(
            select(MilestoneChange).where(MilestoneChange.engagement_id == engagement_id)
        ).all()
    assert [(m.title, m.due_date.isoformat()) for m in milestones] == [
        ("First draft of the dashboard", _soon(5)),
        ("Final presentation", _soon(20)),
    ]
    assert {c.status for c in changes} == {"agreed"} and len(changes) == 2
    student = world["student"]
    page = student.client.get(f"/work/engagements/{engagement_id}?lid={student.lid}")
    assert "First draft of the dashboard" in page.get_data(as_text=True)


def test_a_bad_milestone_line_accepts_nobody(app, world):
    submit_application(world["student"], world["listing"])
    application = the_application(app, world["student"].sub)
    resp = accept_via_advisor(
        world, application.id, milestones=f"{_soon(3)} Kick-off\nnext week: the draft"
    )
    text = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Line 2: start with the due date" in text
    with app.app_context():
        tenant = world["school"].tenant_id
        assert (
            db.session.scalar(select(func.count(Milestone.id)).where(Milestone.tenant_id == tenant))
            == 0
        )
        assert (
            db.session.scalar(
                select(func.count(Engagement.id)).where(Engagement.application_id == application.id)
            )
            == 0
        )
    past = accept_via_advisor(world, application.id, milestones="2020-01-01 Too late")
    assert past.status_code == 422 and "has passed" in past.get_data(as_text=True)
