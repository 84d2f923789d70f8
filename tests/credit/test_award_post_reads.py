"""What an award POST from the review page reads (issue 16): the form's idempotency key with the
student's standing (one statement, before and again after the gradebook column is read from
the LMS; a correction's first checks read no engagements), the course's policy once (the
column it remembers comes with the checks), the launches' line items only when there is no
line item container to search, and nothing of the policy again when the LMS has the column as
remembered. A re-sent form answers with its award; a correction moves the current award out of
the way and replaces it. Real sandbox launches, awards and corrections through HTTP, delivery
through the outbox."""

from __future__ import annotations

from sqlalchemy import select

from credit.models import CreditAward
from lti_tool.extensions import db
from tests.helpers import counted

from .test_column import (  # the column tests' sandbox course, placement and award
    Visitor,
    _hidden,
    award,
    course,  # noqa: F401 - a fixture
    deliver,
    gradebook,
    place,
    ready_student,
)


def _form(faculty: Visitor, student_id: int, name: str, **fields: str) -> dict[str, str]:
    """The review page's form ``name`` (award or correct), filled in."""
    page = faculty.get(f"/credit/students/{student_id}")
    action = f"/credit/students/{student_id}"
    hidden = ["csrf_token", "idempotency_key"] + (["supersedes_id"] if name == "correct" else [])
    return {"form": name, **{h: _hidden(page, action, h) for h in hidden}, **fields}


def _post(app, faculty: Visitor, student_id: int, data: dict[str, str]) -> list[str]:
    with app.app_context(), counted() as statements:
        resp = faculty.post(f"/credit/students/{student_id}", data)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    return statements


def _starting(prefix: str, statements: list[str]) -> int:
    return sum(1 for s in statements if " ".join(s.split()).startswith(prefix))


def _awards(app, student_id: int, course_id: int) -> list[CreditAward]:
    """The student's awards in this course (earlier tests award them in other courses)."""
    with app.app_context():
        found = db.session.scalars(
            select(CreditAward)
            .where(CreditAward.student_id == student_id, CreditAward.course_id == course_id)
            .order_by(CreditAward.id)
        ).all()
        db.session.expunge_all()
        return list(found)


def test_an_award_post_reads_its_key_with_the_checks_and_a_known_column_once(
    app,
    sandbox,
    course,  # noqa: F811
):
    (credit_link,) = place(app, sandbox, course, "credit")
    first = ready_student(app, sandbox, course)
    second = ready_student(app, sandbox, course, "benjamin-tran")
    faculty = Visitor(app, sandbox, "priya-raman", course, link=credit_link)
    assert faculty.ctx().ags_lineitems_url  # the launch names a container to search
    assert award(faculty, first).status_code == 303  # the column found and remembered
    student_id, course_id = second.ctx().user_id, faculty.ctx().course_id

    data = _form(faculty, student_id, "award", credits="1", score="85", comment="Fine work.")
    statements = _post(app, faculty, student_id, data)
    # the checks, with the key, before and after the column is read (the student's standing
    # and their engagements each time); the policy and the award made with the key come with
    # the standing, not in statements of their own
    assert _starting("SELECT lti_user.", statements) == 2, "\n".join(statements)
    assert _starting("SELECT engagement.", statements) == 2  # the checklist, each time
    assert _starting("SELECT credit_policy.", statements) == 0
    assert _starting("SELECT credit_award.", statements) == 0
    assert _starting("SELECT DISTINCT credit_award.lineitem_url", statements) == 0
    assert not any("FROM resource_link" in s for s in statements)  # a container is searched
    assert _starting("UPDATE credit_policy", statements) == 0  # the column as remembered
    (made,) = _awards(app, student_id, course_id)

    # the same form again (a double click): its award, nothing checked or written again
    again = _post(app, faculty, student_id, data)
    assert _starting("SELECT lti_user.", again) == 1
    assert _starting("INSERT INTO credit_award", again) == 0
    assert [a.id for a in _awards(app, student_id, course_id)] == [made.id]

    # a correction: the current award leaves the "current" index before the new one enters
    fix = _form(faculty, student_id, "correct", credits="1", score="70", comment="Recounted.")
    statements = [" ".join(s.split()) for s in _post(app, faculty, student_id, fix)]
    # its checks before the column need no progress (a correction is held to the policy's
    # maximum, not the checklist): the engagements are read once, for the award's figures
    assert _starting("SELECT lti_user.", statements) == 2, "\n".join(statements)
    assert _starting("SELECT engagement.", statements) == 1, "\n".join(statements)
    moved = next(i for i, s in enumerate(statements) if s.startswith("UPDATE credit_award SET"))
    assert statements[moved + 1].startswith("INSERT INTO credit_award")
    old, new = _awards(app, student_id, course_id)
    assert (old.id, old.superseded_by_id, new.supersedes_id) == (made.id, new.id, made.id)
    assert old.superseded_at is not None and new.superseded_at is None
    deliver(app)
    assert (
        gradebook(sandbox, course)[("Micro-internship credit", "benjamin-tran")]["score_given"]
        == 70
    )
