"""The student home's credentials and progress report panels share one statement (issue 16):
the counts, the newest valid credential's title (read from its document by JSON path, the
same title as its card) and the advisor's latest share, each the launch student's own."""

from __future__ import annotations

import datetime as dt

from flask import g

from accreditation.credentials.pages.cards import card_of
from accreditation.credentials.pages.homes import student_panel as credentials_panel
from accreditation.reports.models import ReportShare
from accreditation.reports.views import student_panel as reports_panel
from accreditation.student_home import _title
from lti_tool.extensions import db
from tests.helpers import counted

from .conftest import finished, valid_credential


def panels_of(app, person):
    """Both panels' data as the home reads them (reports first), and the statements."""
    with app.app_context():
        ctx = person.ctx()
        with counted() as seen:
            report, credentials = reports_panel(ctx), credentials_panel(ctx)
        db.session.rollback()
    return report, credentials, seen


def share(app, tenant_id: int, student_id: int, message: str, when: dt.datetime) -> None:
    with app.app_context():
        db.session.add(
            ReportShare(
                tenant_id=tenant_id,
                student_id=student_id,
                shared_by="Avery Advisor",
                message=message,
                created_at=when,
            )
        )
        db.session.commit()


def test_both_panels_are_one_statement_for_the_student_alone(app, world, make_school):
    elsewhere = make_school().person("student")
    report, credentials, seen = panels_of(app, world["student"])
    assert len(seen) == 1, seen
    assert report == {"share": None}
    assert credentials == {"count": 0, "latest_title": None, "published": False}

    engagement_id, _ = finished(app, world)
    title = card_of(valid_credential(app, engagement_id).document).title
    with app.app_context():
        sctx = world["student"].ctx()
        student_id, tenant_id = sctx.user_id, sctx.tenant_id
    share(app, tenant_id, student_id, "Older.", dt.datetime(2026, 3, 1, 9))
    share(app, tenant_id, student_id, "Well done this term.", dt.datetime(2026, 4, 2, 10))
    report, credentials, seen = panels_of(app, world["student"])
    assert len(seen) == 1, seen
    assert title and credentials == {"count": 1, "latest_title": title, "published": False}
    assert report["share"].message == "Well done this term."
    assert report["share"].shared_by == "Avery Advisor"
    assert report["share"].created_at == dt.datetime(2026, 4, 2, 10)
    for person in (world["other"], elsewhere):  # the same statement, other parameters
        report, credentials, _ = panels_of(app, person)
        assert report == {"share": None}
        assert credentials == {"count": 0, "latest_title": None, "published": False}


def test_the_reading_kept_for_the_request_is_the_launch_student_s(app, world):
    with app.app_context():
        student, other = world["student"].ctx(), world["other"].ctx()
        with counted() as seen:
            reports_panel(student)
            credentials_panel(student)
            reports_panel(other)  # another student in the same context: read again
        assert len(seen) == 2, seen
        assert g.accreditation_student_home.student_id == other.user_id


def test_the_title_is_the_card_s():
    assert _title(" Data analysis ", "Micro-internship") == "Data analysis"
    assert _title(None, " Micro-internship ") == "Micro-internship"
    assert _title("  ", None) == "Achievement"
    assert _title(3, {"x": 1}) == "Achievement"
