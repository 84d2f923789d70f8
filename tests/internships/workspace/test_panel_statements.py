"""The statements each workspace panel runs on the engagement page: a fixed few, whatever the
engagement holds (no statement per row), and the panels that show the same rows read them
once per request (``panels.hour_days``, the checklist's rows)."""

from __future__ import annotations

import datetime as dt

from flask import g
from sqlalchemy import event

from internships.work.models import HourLog
from internships.work.services.access import get_engagement
from internships.workspace import panels
from lti_tool.auth import load_launch
from lti_tool.extensions import db
from tests.internships.work.helpers import engaged

# the student's view of an engagement with hours logged
EXPECTED = {
    "messages": 1,  # the latest messages with the reader's read mark
    "checklist": 3,  # its rows, its templates (before a tick), the hour logs by day
    "milestones": 2,  # the milestones, their changes
    "rhythm": 1,  # the latest check-ins
    "pay": 2,  # the payments, the pay row with its overdue notices (hours: shared)
    "offer": 1,
}


def _log_hours(engagement, days: int) -> None:
    for n in range(days):
        db.session.add(
            HourLog(
                tenant_id=engagement.tenant_id,
                engagement_id=engagement.id,
                student_id=engagement.student_id,
                work_date=dt.date.today() - dt.timedelta(days=n + 1),
                minutes=60,
                description=f"Day {n}",
                status="confirmed" if n % 2 else "pending",
            )
        )
    db.session.flush()


def test_each_panel_runs_a_fixed_few_statements(app, world):
    engagement_id = engaged(app, world)
    with app.test_request_context():
        ctx = load_launch(world["student"].lid)
        assert ctx is not None
        g.launch = ctx
        engagement = get_engagement(ctx, engagement_id)
        _log_hours(engagement, 6)
        counted: list[str] = []

        def count(*_args: object) -> None:
            counted.append("statement")

        by_panel: dict[str, int] = {}
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            viewer = panels.Viewer.of_launch(ctx)
            for panel in panels._registered():
                before = len(counted)
                panel.provide(viewer, engagement)
                by_panel[panel.name] = len(counted) - before
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        mine = {name: n for name, n in by_panel.items() if name in EXPECTED}
        assert mine == EXPECTED
        # read again on the same page, the hour logs by day cost nothing more
        assert panels.hour_days(engagement).logged and len(counted) == sum(by_panel.values())
