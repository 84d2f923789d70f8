"""The student home's credentials panel (issue 16): one statement, built once per process, that
still binds each request's tenant and student: another student's credential, or another
school's, never shows, and the portfolio's state is the student's own."""

from __future__ import annotations

from accreditation.credentials.pages import portfolio
from accreditation.credentials.pages.cards import card_of
from accreditation.credentials.pages.homes import student_panel
from lti_tool.extensions import db
from tests.helpers import counted

from .conftest import finished, valid_credential


def panel_of(app, person):
    with app.app_context():
        ctx = person.ctx()
        with counted() as seen:
            panel = student_panel(ctx)
        db.session.rollback()
    return panel, seen


def test_the_panel_is_one_statement_for_the_student_alone(app, world, make_school):
    elsewhere = make_school().person("student")
    panel, seen = panel_of(app, world["student"])
    assert len(seen) == 1
    assert panel == {"count": 0, "latest_title": None, "published": False}

    engagement_id, _ = finished(app, world)
    title = card_of(valid_credential(app, engagement_id).document).title
    panel, seen = panel_of(app, world["student"])
    assert len(seen) == 1
    assert panel["count"] == 1 and panel["published"] is False
    assert title and panel["latest_title"] == title
    for person in (world["other"], elsewhere):  # the same statement, other parameters
        assert panel_of(app, person)[0] == {"count": 0, "latest_title": None, "published": False}


def test_the_portfolio_state_is_the_students_own(app, world):
    with app.app_context():
        portfolio.publish(world["student"].ctx())
        db.session.commit()
    assert panel_of(app, world["student"])[0]["published"] is True
    assert panel_of(app, world["other"])[0]["published"] is False
    with app.app_context():
        portfolio.unpublish(world["student"].ctx())
        db.session.commit()
    panel, seen = panel_of(app, world["student"])
    assert panel["published"] is False and len(seen) == 1
