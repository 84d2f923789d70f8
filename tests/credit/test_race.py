"""Two instructors deciding the same student at the same moment end with one award: threads
started on a barrier, each with its own connection and real commits (PostgreSQL in CI, and
SQLite's single writer here too)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from credit.models import CreditAward
from credit.services import awards as award_svc
from credit.services import policy as policy_svc
from credit.services.awards import rules, single
from lti_tool.extensions import db

from .conftest import give_work
from .test_services import award_input, policy_input

LINEITEM = "https://lms.example.edu/api/lti/courses/1/line_items/9"


def test_two_first_visits_create_one_policy(app, school):
    people = [school.person("faculty") for _ in range(2)]
    barrier = threading.Barrier(2)
    ids: list[int] = []

    def visit(who) -> None:
        with app.app_context():
            ctx = who.ctx()
            barrier.wait()
            ids.append(policy_svc.get_policy(ctx.tenant_id, ctx.course_id).id)
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=visit, args=(who,)) for who in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(ids) == 2 and ids[0] == ids[1]


def test_two_faculty_awarding_the_same_student_at_once_make_one_award(app, school):
    first, second = school.person("faculty"), school.person("faculty")
    student = school.person("student")
    with app.app_context():
        give_work(student.ctx(), hours=50)
        policy_svc.get_policy(school.tenant_id, student.ctx().course_id)
        db.session.commit()
        student_id = student.user_id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(who) -> None:
        with app.app_context():
            ctx = who.ctx()
            data = award_svc.AwardInput(1, None, "", award_svc.new_idempotency_key())
            barrier.wait()
            try:
                award_svc.award_credit(ctx, student_id, data, lineitem_url=LINEITEM)
                db.session.commit()
                result = "awarded"
            except award_svc.AwardConflictError:
                db.session.rollback()
                result = "refused"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=decide, args=(who,)) for who in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["awarded", "refused"]
    with app.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(CreditAward)
            .where(CreditAward.student_id == student_id)
        )
        assert count == 1


def _award_after_a_twin(app, school, monkeypatch, same_form: bool):
    """An award whose checks read the student's standing before another award of them was
    committed (as when both wait on the LMS at once): its insert collides. With the same form
    (``same_form``: the same idempotency key) the twin's award answers; else a conflict."""
    faculty, student = school.person("faculty"), school.person("student")
    with app.app_context():
        give_work(student.ctx(), hours=50)
        ctx = faculty.ctx()
        policy_svc.update_policy(ctx, policy_input())
        db.session.commit()
        key = award_svc.new_idempotency_key()
        before = rules.student_standing(ctx, ctx.course_id, student.user_id, key)
        twin = award_svc.award_credit(
            ctx, student.user_id, award_input(key=key), lineitem_url=LINEITEM
        )
        db.session.commit()
        twin_id = twin.id
        # the checks see the standing as it was before the twin's commit
        monkeypatch.setattr(single, "student_standing", lambda *_args: before)
        data = award_input(key=key if same_form else None)
        try:
            made = award_svc.award_credit(ctx, student.user_id, data, lineitem_url=LINEITEM)
            outcome = made.id
        except award_svc.AwardConflictError as exc:
            outcome = exc.message
        db.session.commit()  # the session is usable after the collision
        ids = db.session.scalars(
            select(CreditAward.id).where(CreditAward.student_id == student.user_id)
        ).all()
        return twin_id, outcome, ids


def test_a_colliding_award_of_the_same_form_answers_with_the_twins_award(app, school, monkeypatch):
    twin_id, outcome, ids = _award_after_a_twin(app, school, monkeypatch, same_form=True)
    assert outcome == twin_id
    assert ids == [twin_id]


def test_a_colliding_award_of_another_form_is_refused_as_a_conflict(app, school, monkeypatch):
    twin_id, outcome, ids = _award_after_a_twin(app, school, monkeypatch, same_form=False)
    assert outcome.startswith("Credit for this student was just decided by")
    assert ids == [twin_id]
