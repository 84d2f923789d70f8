"""What the credit pages read (issue 16): the review page's progress comes from the history it
shows (not from two more statements), its reopened parts' words from the titles it holds, the
student check is one statement, and the course table writes its numbers unescaped but never a
person's name."""

from __future__ import annotations

import pytest

from credit.services import awards as award_svc
from credit.services import policy as policy_svc
from credit.services import progress as progress_svc
from internships.work.services import reopenings
from lti_tool.errors import NotFoundError
from lti_tool.extensions import db
from lti_tool.models import User
from tests.helpers import counted

from .conftest import give_work
from .test_pages import get
from .test_services import award_input, policy_input


def _figures(p):
    return (
        p.state,
        p.award.id if p.award else None,
        p.last_decision.id if p.last_decision else None,
        p.credits_earned,
        p.counted_minutes,
        [(i.key, i.done, i.detail) for i in p.checklist],
    )


def _both_ways(tenant_id, course_id, student_id):
    """The student's progress read by its own queries, and from the history (fewer reads)."""
    alone = progress_svc.student_progress(tenant_id, course_id, student_id)
    history = award_svc.award_history(tenant_id, course_id, student_id)
    decisions = award_svc.decision_history(tenant_id, course_id, student_id)
    with counted() as statements:
        from_history = progress_svc.student_progress(
            tenant_id, course_id, student_id, history=(history, decisions)
        )
    return _figures(alone), _figures(from_history), statements


def test_the_reviews_progress_from_its_history_is_the_progress(app, school):
    faculty, student = school.person("faculty"), school.person("student")
    with app.app_context():
        fctx, sctx = faculty.ctx(), student.ctx()
        engagement = give_work(sctx, hours=50)
        db.session.commit()
        sid = student.user_id
        steps = [
            lambda: None,
            lambda: award_svc.request_changes(
                fctx, sid, "Say more.", [f"reflection:{engagement.id}"]
            ),
            lambda: award_svc.award_credit(fctx, sid, award_input(), lineitem_url=None),
        ]
        for step in steps:
            step()
            db.session.commit()
            alone, from_history, statements = _both_ways(sctx.tenant_id, sctx.course_id, sid)
            assert from_history == alone
            assert not [s for s in statements if "credit_award" in s or "credit_decision" in s]
        current = award_svc.award_history(sctx.tenant_id, sctx.course_id, sid)[0]
        award_svc.award_credit(
            fctx, sid, award_input(credits=1), lineitem_url=None, supersedes_id=current.id
        )
        db.session.commit()
        alone, from_history, _ = _both_ways(sctx.tenant_id, sctx.course_id, sid)
        assert from_history == alone
        assert alone[1] != current.id  # the correction is the current award


def test_reopened_words_read_only_the_titles_the_caller_lacks(app, school):
    faculty, student = school.person("faculty"), school.person("student")
    with app.app_context():
        sctx = student.ctx()
        engagement = give_work(sctx, hours=50)
        db.session.commit()
        decision = award_svc.request_changes(
            faculty.ctx(), student.user_id, "Again.", [f"reflection:{engagement.id}"]
        )
        db.session.commit()
        rows = reopenings.of_requests(sctx.tenant_id, [decision.id])[decision.id]
        read = award_svc.reopened_words(rows)
        titles = {engagement.id: read[rows[0].id].split("“")[1].rstrip("”")}
        with counted() as statements:
            held = award_svc.reopened_words(rows, titles)
        assert held == read
        assert statements == []
        course_id, student_id = sctx.course_id, student.user_id
        asked = award_svc.part_choices(sctx.tenant_id, course_id, student_id)
        with counted() as statements:
            known = award_svc.part_choices(
                sctx.tenant_id, course_id, student_id, list(titles.items()), {engagement.id: []}
            )
        assert known == asked
        assert statements == []


def test_the_student_check_is_one_statement_with_its_reasons(app, school):
    faculty, student = school.person("faculty"), school.person("student")
    elsewhere = school.person("student", course="course-2")
    with app.app_context():
        fctx, student_id = faculty.ctx(), student.user_id
        with counted() as statements:
            found = award_svc.student_in_course(fctx, fctx.course_id, student_id)
        assert found.id == student_id
        assert len(statements) == 1
        with pytest.raises(NotFoundError, match="not in this course"):
            award_svc.student_in_course(fctx, fctx.course_id, elsewhere.user_id)
        with pytest.raises(NotFoundError, match="not known to Career Credit"):
            award_svc.student_in_course(fctx, fctx.course_id, 10**9)


def test_the_course_table_escapes_names_and_writes_the_figures(app, school):
    faculty, student = school.person("faculty"), school.person("student")
    markup = '<b>Ann & "Bo"</b>'
    with app.app_context():
        give_work(student.ctx(), hours=50)
        person = db.session.get(User, student.user_id)
        assert person is not None
        person.name = markup
        db.session.commit()
    page = get(faculty, "/credit/course").get_data(as_text=True)
    assert markup not in page
    assert ">&lt;b&gt;Ann &amp; &#34;Bo&#34;&lt;/b&gt;</a>" in page  # the link to the review
    assert 'data-sort="&lt;b&gt;ann &amp; &#34;bo&#34;&lt;/b&gt;"' in page
    # 50 approved hours of the 135 full credit needs; nothing pending; one credit eligible
    assert '<td data-sort="3000">50 <span class="hint">(37%)</span>' in page
    assert '<td data-sort="0">0</td>' in page
    assert '<td data-sort="1">0 / 1</td>' in page


def test_awards_awaiting_a_second_approval_are_one_statement(app, school):
    faculty = school.person("faculty")
    students = [school.person("student") for _ in range(2)]
    advisor = school.person("advisor", course="course-2")
    with app.app_context():
        fctx = faculty.ctx()
        policy_svc.update_policy(fctx, policy_input(approval_chain="faculty_then_second"))
        for student in students:
            give_work(student.ctx(), hours=50)
        db.session.commit()
        made = {
            award_svc.award_credit(fctx, s.user_id, award_input(), lineitem_url=None).id
            for s in students
        }
        db.session.commit()
        actx, fctx = advisor.ctx(), faculty.ctx()
        with counted() as statements:
            waiting = award_svc.awaiting_second_approval(actx)
        assert {a.id for a in waiting} == made
        assert len(statements) == 1
        assert award_svc.awaiting_second_approval(fctx) == []  # never their own
