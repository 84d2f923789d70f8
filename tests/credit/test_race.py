"""Two instructors deciding the same student at the same moment end with one award: threads
started on a barrier, each with its own connection and real commits (PostgreSQL in CI, and
SQLite's single writer here too)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from credit.models import CreditAward
from credit.services import awards as award_svc
from credit.services import policy as policy_svc
from lti_tool.extensions import db

from .conftest import give_work

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
