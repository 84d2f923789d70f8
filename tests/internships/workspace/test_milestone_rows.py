"""The milestones panel reads an engagement's milestones and their changes in one statement
(issue 16), each in its own order, and only that engagement's."""

from __future__ import annotations

import datetime as dt

from internships.models import Listing
from internships.work.services.access import get_engagement_by_id
from internships.workspace.plan.models import Milestone, MilestoneChange
from internships.workspace.plan.services import milestones
from internships.workspace.plan.services.milestone_rows import milestones_and_changes
from lti_tool.extensions import db
from tests.helpers import counted
from tests.internships.work.helpers import engaged

DAY = dt.date(2026, 3, 2)
NOON = dt.datetime(2026, 3, 2, 12, 0)


def _add(engagement, due_days: list[int], proposed_hours: list[int]) -> None:
    ids = {"tenant_id": engagement.tenant_id, "engagement_id": engagement.id}
    for n, days in enumerate(due_days):
        db.session.add(
            Milestone(**ids, title=f"M{n}", due_date=DAY + dt.timedelta(days=days), position=n)
        )
    for n, hours in enumerate(proposed_hours):
        db.session.add(
            MilestoneChange(
                **ids,
                kind="add",
                after={"title": f"C{n}", "due_date": DAY.isoformat()},
                proposed_by="student",
                proposed_role="student",
                proposed_at=NOON + dt.timedelta(hours=hours),
            )
        )
    db.session.flush()


def test_milestones_and_changes_in_one_statement_as_each_read_has_them(app, world, seed_listing):
    other_listing = seed_listing(world["school"].tenant_id)
    with app.app_context():  # open, as the world's listing is
        db.session.get(Listing, other_listing).status = "open"
        db.session.commit()
    mine = engaged(app, world)
    theirs = engaged(app, {**world, "student": world["other"], "listing": other_listing})
    with app.app_context():
        tenant_id = world["school"].tenant_id
        engagement = get_engagement_by_id(tenant_id, mine)
        assert milestones_and_changes(engagement) == ([], [])
        _add(engagement, [9, 2, 5, 2], [3, 1, 7])
        _add(get_engagement_by_id(tenant_id, theirs), [1], [2])  # another engagement's
        with counted() as seen:
            rows, changes = milestones_and_changes(engagement)
        assert len(seen) == 1
        assert rows == milestones.milestones_of(engagement)
        assert changes == milestones.changes_of(engagement)
        assert [m.title for m in rows] == ["M1", "M3", "M2", "M0"]
        assert [c.after["title"] for c in changes] == ["C2", "C0", "C1"]
