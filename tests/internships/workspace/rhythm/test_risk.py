"""The workspace's at-risk reasons on the advisor's student table: a blocked latest check-in
and a late milestone flag the engagement with their reasons; a later check-in that is not
blocked, or the milestone done, clears them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from internships.work.models import Engagement
from internships.workspace.plan.models import Milestone
from internships.workspace.rhythm.models import CheckIn
from lti_tool.extensions import db
from lti_tool.models import utcnow
from tests.internships.work.helpers import engaged

from .helpers import post_checkin


def _table(advisor, risk: str) -> str:
    resp = advisor.client.get(f"/reports/students?lid={advisor.lid}&risk={risk}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_a_blocked_check_in_flags_the_student_until_a_later_one_is_not(app, world):
    advisor = world["advisor"]
    engagement_id = engaged(app, world)
    assert "Students at risk: Blocked at the latest check-in" in _table(advisor, "blocked")
    assert "1 engagement" not in _table(advisor, "blocked")
    resp = post_checkin(world["student"], engagement_id, blocked="yes", blocker="No data access.")
    assert resp.status_code == 303
    text = _table(advisor, "blocked")
    assert "1 engagement" in text
    assert "The student said they are blocked at their latest check-in." in text
    with app.app_context():  # that was last week's; this week's says nothing blocks them
        row = db.session.scalar(select(CheckIn).where(CheckIn.engagement_id == engagement_id))
        assert row is not None
        row.week_start = row.week_start - dt.timedelta(days=7)
        db.session.commit()
    assert post_checkin(world["student"], engagement_id).status_code == 303
    assert "1 engagement" not in _table(advisor, "blocked")


def test_a_late_milestone_flags_the_engagement(app, world):
    advisor = world["advisor"]
    engagement_id = engaged(app, world)
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        milestone = Milestone(
            tenant_id=engagement.tenant_id,
            engagement_id=engagement_id,
            title="Survey draft",
            due_date=dt.date.today() - dt.timedelta(days=2),
        )
        db.session.add(milestone)
        db.session.commit()
        milestone_id = milestone.id
    text = _table(advisor, "late_milestone")
    assert "1 engagement" in text and "past its due date" in text
    with app.app_context():
        done = db.session.get(Milestone, milestone_id)
        assert done is not None
        done.done_at = utcnow()
        db.session.commit()
    assert "1 engagement" not in _table(advisor, "late_milestone")
