"""A pass/fail course gets a pass/fail column, not "out of 100": the credit item placed by Deep
Linking (out of 100) is fitted to the course's grading before its first grade, the sandbox
gradebook shows Pass, and a column already holding grades out of another maximum is left as
it is. Real sandbox launches, awards through HTTP, delivery through the outbox."""

from __future__ import annotations

import html

from sqlalchemy import select

from credit.services.policy import get_policy
from lti_tool.extensions import db
from lti_tool.sandbox.models import SandboxLineItem, SandboxResourceLink

from .conftest import give_work
from .test_column import (  # the column tests' sandbox course, placement and award
    Visitor,
    award,
    course,  # noqa: F401 - a fixture
    deliver,
    gradebook,
    place,
)


def _student(app, sandbox, course_key: str, person: str, mode: str) -> Visitor:
    student = Visitor(app, sandbox, person, course_key)
    with app.app_context():
        ctx = student.ctx()
        give_work(ctx, hours=50)
        policy = get_policy(ctx.tenant_id, int(ctx.course_id or 0))
        policy.grading_mode, policy.points_possible = mode, 100
        db.session.commit()
    return student


def _set_mode(app, student: Visitor, mode: str) -> None:
    with app.app_context():
        ctx = student.ctx()
        get_policy(ctx.tenant_id, int(ctx.course_id or 0)).grading_mode = mode
        db.session.commit()


def _column(app, link: str) -> SandboxLineItem:
    with app.app_context():
        item = db.session.scalar(
            select(SandboxLineItem)
            .join(SandboxResourceLink)
            .where(SandboxResourceLink.resource_link_id == link)
        )
        assert item is not None
        db.session.expunge(item)
        return item


def test_a_pass_fail_course_gets_a_pass_fail_column(app, client, sandbox, course):  # noqa: F811
    (credit_link,) = place(app, sandbox, course, "credit")
    assert _column(app, credit_link).score_maximum == 100  # as Deep Linking places it
    student = _student(app, sandbox, course, "amara-okafor", "pass_fail")
    faculty = Visitor(app, sandbox, "priya-raman", course, link=credit_link)

    assert award(faculty, student).status_code == 303
    page = html.unescape(faculty.get(f"/credit/students/{student.ctx().user_id}"))
    assert "now grades pass/fail (out of 1)" in page
    deliver(app)

    assert _column(app, credit_link).score_maximum == 1
    got = gradebook(sandbox, course)[("Micro-internship credit", "amara-okafor")]
    assert (got["score_given"], got["score_maximum"]) == (1, 1)
    book = client.get(
        "/sandbox/gradebook", query_string={"course": course}, base_url=sandbox.platform_url
    ).get_data(as_text=True)
    assert "Micro-internship credit (pass/fail, out of 1)</th>" in book
    assert "<strong>Pass</strong>" in book
    assert "out of 100" not in book


def test_a_column_with_grades_out_of_another_maximum_is_left_as_it_is(
    app,
    sandbox,
    course,  # noqa: F811
):
    (credit_link,) = place(app, sandbox, course, "credit")
    first = _student(app, sandbox, course, "amara-okafor", "points")
    faculty = Visitor(app, sandbox, "priya-raman", course, link=credit_link)
    assert award(faculty, first, "85").status_code == 303  # a grade out of 100
    deliver(app)
    # The course switches to pass/fail; Amara's 85 / 100 stays current in the column.
    second = _student(app, sandbox, course, "benjamin-tran", "pass_fail")
    _set_mode(app, first, "pass_fail")
    faculty = Visitor(app, sandbox, "priya-raman", course, link=credit_link)
    assert award(faculty, second).status_code == 303
    page = html.unescape(faculty.get(f"/credit/students/{second.ctx().user_id}"))
    assert "now grades pass/fail" not in page
    deliver(app)

    assert _column(app, credit_link).score_maximum == 100
    book = gradebook(sandbox, course)
    assert book[("Micro-internship credit", "amara-okafor")]["score_given"] == 85
    assert book[("Micro-internship credit", "benjamin-tran")]["score_given"] == 1
