"""What the student home's credit panel reads (issue 16): the student's courses come with the
student, each course's stored policy, the current award and the latest decision in one
statement, the engagements in a second; a course without a stored policy follows the tenant's
defaults as a plain value, the figures the same as each course's own progress."""

from __future__ import annotations

import dataclasses

from credit.services import awards as award_svc
from credit.services import policy as policy_svc
from credit.services import progress as progress_svc
from credit.services.standing import DefaultRules
from lti_tool.extensions import db
from lti_tool.tenants import get_tenant
from tests.helpers import counted

from .conftest import give_work
from .test_page_reads import _figures
from .test_services import award_input, policy_input

RULES = [f.name for f in dataclasses.fields(DefaultRules)]


def test_the_students_courses_are_read_with_their_policies_awards_and_decisions(app, school):
    sub = "stu-home-reads"
    student = school.person("student", sub=sub, course="course-1")
    school.person("student", sub=sub, course="course-2")
    school.person("student", sub=sub, course="course-3")
    faculty1 = school.person("faculty", course="course-1")
    faculty2 = school.person("faculty", course="course-2")
    with app.app_context():
        sctx, sid = student.ctx(), student.user_id
        policy_svc.update_policy(faculty1.ctx(), policy_input(hours_per_credit=40))
        give_work(sctx, hours=50)
        db.session.commit()
        first = award_svc.award_credit(faculty1.ctx(), sid, award_input(), lineitem_url=None)
        db.session.commit()
        correction = award_svc.award_credit(
            faculty1.ctx(), sid, award_input(credits=1), lineitem_url=None, supersedes_id=first.id
        )
        db.session.commit()
        work2 = give_work(sctx, hours=50)
        db.session.commit()
        course2 = school.course_id("course-2")
        policy_svc.assign_engagement_course(sctx, work2.id, course2)
        db.session.commit()
        award_svc.request_changes(faculty2.ctx(), sid, "Say more.", [f"reflection:{work2.id}"])
        db.session.commit()
        latest = award_svc.deny_credit(faculty2.ctx(), sid, "Not this term.")
        db.session.commit()
        current, last = correction.id, latest.id
        db.session.expunge_all()
        tenant = get_tenant(sctx.tenant_id)  # as the launch holds it (the map's ref is weak)

        with counted() as statements:
            rows = progress_svc.student_progress_all_courses(sctx.tenant_id, sid)
        assert len(statements) == 2, statements  # the courses with their rows; the engagements
        assert tenant.id == sctx.tenant_id

        by_course = {p.course_id: p for p in rows}
        assert len(by_course) == 3
        assert by_course[sctx.course_id].award.id == current  # not the superseded one
        assert by_course[course2].last_decision.id == last
        assert by_course[sctx.course_id].policy.hours_per_credit == 40
        for p in rows:
            alone = progress_svc.student_progress(sctx.tenant_id, p.course_id, sid)
            assert _figures(p) == _figures(alone)
            assert p.course_title
            read = policy_svc.read_policy(sctx.tenant_id, p.course_id)
            assert [getattr(p.policy, k) for k in RULES] == [getattr(read, k) for k in RULES]
        course3 = school.course_id("course-3")
        assert isinstance(by_course[course3].policy, DefaultRules)  # no policy stored there


def test_a_student_without_work_is_read_in_one_statement_and_then_in_two(app, school):
    """A new student's first home (the launch's page): their courses say they have no work
    there, so no engagements statement; once they have work, the engagements are read."""
    student = school.person("student", sub="stu-home-new", course="course-1")
    with app.app_context():
        sctx, sid = student.ctx(), student.user_id
        with counted() as statements:
            (fresh,) = progress_svc.student_progress_all_courses(sctx.tenant_id, sid)
        assert len(statements) == 1, statements
        assert fresh.course_id == sctx.course_id and fresh.engagements == []
        assert (
            fresh.state == progress_svc.student_progress(sctx.tenant_id, fresh.course_id, sid).state
        )
        give_work(sctx, hours=10)
        db.session.flush()
        with counted() as statements:
            (working,) = progress_svc.student_progress_all_courses(sctx.tenant_id, sid)
        assert len(statements) == 2, statements
        assert len(working.engagements) == 1 and working.approved_minutes == 600
