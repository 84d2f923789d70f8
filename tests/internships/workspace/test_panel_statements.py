"""The statements each workspace panel runs on the engagement page: a fixed few, whatever the
engagement holds (no statement per row), and the panels that show the same rows read them
once (the hour logs, the checklist's rows)."""

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
    "checklist": 3,  # its rows, its templates (before a tick), the hour logs (the page reads first)
    "milestones": 1,  # the milestones with their changes (one statement)
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


def _statements_by_panel(app, student, engagement_id: int, hour_days: int = 0) -> dict:
    """The statements each panel runs for the student's view of the engagement."""
    with app.test_request_context():
        ctx = load_launch(student.lid)
        assert ctx is not None
        g.launch = ctx
        engagement = get_engagement(ctx, engagement_id)
        _log_hours(engagement, hour_days)
        counted: list[str] = []

        def count(*_args: object) -> None:
            counted.append("statement")

        by_panel: dict[str, tuple[int, bool]] = {}
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            viewer = panels.Viewer.of_launch(ctx)
            for panel in panels._registered():
                before = len(counted)
                shown = panel.provide(viewer, engagement) is not None
                by_panel[panel.name] = (len(counted) - before, shown)
            # read again on the same page, the hour logs by day cost nothing more
            before = len(counted)
            assert panels.hour_days(engagement).logged or not hour_days
            assert len(counted) == before
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return by_panel


def test_each_panel_runs_a_fixed_few_statements(app, world):
    by_panel = _statements_by_panel(app, world["student"], engaged(app, world), hour_days=6)
    assert {name: n for name, (n, _) in by_panel.items() if name in EXPECTED} == EXPECTED
    assert by_panel["pay"][1]  # a paid engagement shows its pay


def test_an_unpaid_engagement_s_pay_panel_runs_one_statement(app, world, seed_listing):
    from internships.models import Listing

    unpaid = seed_listing(
        world["school"].tenant_id, compensation_type="unpaid", pay_amount_cents=None
    )
    with app.app_context():  # approved with its justification (tested elsewhere)
        db.session.get(Listing, unpaid).status = "open"
        db.session.commit()
    engagement_id = engaged(app, {**world, "listing": unpaid})
    assert _statements_by_panel(app, world["student"], engagement_id)["pay"] == (1, False)
