"""Credit services: policies (defaults, validation, audit), progress, awards (idempotent,
immutable, corrections), decisions, the two-step chain, bulk award and the registrar CSV.
People arrive by real signed launches; data is committed per test in the school's own tenant."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import event, func, select

from credit.models import CreditAward, CreditDecision, ImmutableAwardError
from credit.services import awards as award_svc
from credit.services import policy as policy_svc
from credit.services import progress as progress_svc
from credit.services import sync as sync_svc
from internships.work.services import engagements as eng_svc
from lti_tool.errors import ForbiddenError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.jobs import OutboxMessage
from lti_tool.models import AuditEntry, Course
from lti_tool.notify.models import Notification

from .conftest import give_work

LINEITEM = "https://lms.example.edu/api/lti/courses/1/line_items/9"


def policy_input(**overrides):
    values = {
        "hours_per_credit": 45,
        "max_credits": 3,
        "allow_stacking": True,
        "require_agreement": True,
        "require_evaluation": True,
        "require_reflection": True,
        "min_rating": None,
        "grading_mode": "pass_fail",
        "points_possible": 100,
        "deadline": None,
        "approval_chain": "faculty",
        "second_approver": "advisor",
    }
    values.update(overrides)
    return policy_svc.PolicyInput(**values)


def award_input(credits=1, score=None, key=None, comment=""):
    return award_svc.AwardInput(
        credits=credits,
        score=score,
        comment=comment,
        idempotency_key=key or award_svc.new_idempotency_key(),
    )


def actions(tenant_id):
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.tenant_id == tenant_id)
            .order_by(AuditEntry.id)
        )
    )


@pytest.fixture
def people(school, app):
    faculty = school.person("faculty")
    student = school.person("student")
    other = school.person("student")
    return faculty, student, other


# --- policy ---------------------------------------------------------------------------------


def test_policy_starts_from_tenant_defaults_and_changes_are_validated_and_audited(
    app, school, people
):
    faculty, _student, _other = people
    with app.app_context():
        ctx = faculty.ctx()
        policy = policy_svc.get_policy(ctx.tenant_id, ctx.course_id)
        assert (policy.hours_per_credit, policy.max_credits, policy.grading_mode) == (
            45,
            3,
            "pass_fail",
        )
        updated = policy_svc.update_policy(ctx, policy_input(hours_per_credit=30, max_credits=2))
        db.session.commit()
        assert (updated.hours_per_credit, updated.max_credits) == (30, 2)
        assert "credit.policy_changed" in actions(ctx.tenant_id)

        with pytest.raises(policy_svc.PolicyInvalidError) as bad:
            policy_svc.update_policy(ctx, policy_input(hours_per_credit=-5, max_credits=9))
        assert set(bad.value.problems) == {"hours_per_credit", "max_credits"}
        assert "maximum" in bad.value.problems["max_credits"]
        db.session.rollback()
        assert policy_svc.get_policy(ctx.tenant_id, ctx.course_id).hours_per_credit == 30


def test_deadline_must_fall_inside_the_courses_term(app, people):
    faculty, _s, _o = people
    with app.app_context():
        ctx = faculty.ctx()
        course = db.session.get(Course, ctx.course_id)
        course.term_start, course.term_end = "2026-08-24T00:00:00Z", "2026-12-18T00:00:00Z"
        db.session.flush()
        policy_svc.update_policy(ctx, policy_input(deadline=dt.date(2026, 12, 1)))
        with pytest.raises(policy_svc.PolicyInvalidError) as bad:
            policy_svc.update_policy(ctx, policy_input(deadline=dt.date(2027, 1, 15)))
        assert "2026-08-24 to 2026-12-18" in bad.value.problems["deadline"]
        db.session.rollback()


def test_teaching_assistants_and_students_cannot_change_the_policy(app, school, people):
    ta = school.person("ta")
    _f, student, _o = people
    with app.app_context():
        for who in (ta, student):
            with pytest.raises(ForbiddenError):
                policy_svc.update_policy(who.ctx(), policy_input())


# --- progress -------------------------------------------------------------------------------


def test_progress_counts_confirmed_hours_of_finished_work_and_lists_the_checklist(app, people):
    _faculty, student, other = people
    with app.app_context():
        sctx = student.ctx()
        give_work(sctx, hours=30, pending_hours=4)
        give_work(sctx, hours=20, status="active", reflection=False, evaluation=False)
        db.session.commit()
        p = progress_svc.student_progress(sctx.tenant_id, sctx.course_id, sctx.user_id)
        assert (p.approved_hours, p.pending_hours, p.counted_hours) == (50, 4, 30)
        assert p.credits_by_hours == 0 and p.state == "in_progress"
        hours = next(i for i in p.checklist if i.key == "hours")
        # the same figures as the approved-hours bar beside it: the 20 h of the engagement
        # under way are named, not left out
        assert not hours.done
        assert (
            hours.detail
            == "30 of 45 hours; 20 more approved hours count once their work is finished"
        )

        give_work(sctx, hours=20)  # stacks: 30 + 20 = 50 counted hours
        db.session.commit()
        p = progress_svc.student_progress(sctx.tenant_id, sctx.course_id, sctx.user_id)
        assert (p.counted_hours, p.credits_by_hours, p.credits_eligible) == (50, 1, 1)
        assert p.checklist_complete and p.state == "ready"

        # Everyone in the course, including a student who has not started.
        roster = progress_svc.course_progress(sctx.tenant_id, sctx.course_id)
        states = {r.student_id: r.state for r in roster}
        assert states[other.user_id] == "not_started"


def test_without_stacking_each_engagement_must_reach_the_hours_alone(app, people):
    faculty, student, _o = people
    with app.app_context():
        policy_svc.update_policy(faculty.ctx(), policy_input(allow_stacking=False))
        sctx = student.ctx()
        give_work(sctx, hours=30)
        give_work(sctx, hours=30)
        db.session.commit()
        p = progress_svc.student_progress(sctx.tenant_id, sctx.course_id, sctx.user_id)
        assert (p.counted_hours, p.credits_by_hours) == (60, 0)


def test_hours_after_the_deadline_and_a_low_rating_keep_a_student_from_credit(app, people):
    faculty, student, _o = people
    with app.app_context():
        policy_svc.update_policy(
            faculty.ctx(), policy_input(deadline=dt.date(2026, 9, 3), min_rating=3)
        )
        sctx = student.ctx()
        give_work(sctx, hours=48, level=2, start=dt.date(2026, 9, 1))  # 8 h a day for 6 days
        db.session.commit()
        p = progress_svc.student_progress(sctx.tenant_id, sctx.course_id, sctx.user_id)
        assert p.counted_hours == 24  # 1-3 September only
        rating = next(i for i in p.checklist if i.key == "min_rating")
        assert not rating.done and "Below the minimum" in rating.detail
        hours = next(i for i in p.checklist if i.key == "hours")
        assert hours.detail == (
            "24 of 45 hours; 24 approved hours were logged after the deadline and do not count"
        )


def test_an_acknowledged_agreement_is_done_in_the_checklist_while_the_work_is_under_way(
    app, people
):
    """The home page's checklist and the engagement page agree: an agreement the student
    acknowledged on an engagement still under way is done, not "Not yet"."""
    _f, student, _o = people
    with app.app_context():
        sctx = student.ctx()
        give_work(sctx, hours=5.5, status="active", reflection=False, evaluation=False)
        db.session.commit()
        p = progress_svc.student_progress(sctx.tenant_id, sctx.course_id, sctx.user_id)
        items = {i.key: i for i in p.checklist}
        assert items["agreement"].done and items["agreement"].detail == ""
        assert not items["reflection"].done
        assert items["reflection"].detail == "Finish an engagement first."
        assert items["hours"].detail == (
            "0 of 45 hours; 5.5 more approved hours count once their work is finished"
        )

        give_work(sctx, hours=1, status="active", agreement=False)
        db.session.commit()
        p = progress_svc.student_progress(sctx.tenant_id, sctx.course_id, sctx.user_id)
        agreement = next(i for i in p.checklist if i.key == "agreement")
        assert not agreement.done and agreement.detail.startswith("Missing for: Project ")


def test_missing_artefacts_are_named_in_the_checklist(app, people):
    _f, student, _o = people
    with app.app_context():
        sctx = student.ctx()
        give_work(sctx, hours=50, reflection=False, evaluation=False)
        db.session.commit()
        p = progress_svc.student_progress(sctx.tenant_id, sctx.course_id, sctx.user_id)
        done = {i.key: i.done for i in p.checklist}
        assert done == {"hours": True, "agreement": True, "evaluation": False, "reflection": False}
        assert p.credits_eligible == 0


# --- awards ---------------------------------------------------------------------------------


def test_award_is_idempotent_queues_the_score_and_tells_the_student(app, people):
    faculty, student, _o = people
    with app.app_context():
        give_work(student.ctx(), hours=95)
        db.session.commit()
        ctx = faculty.ctx()
        data = award_input(credits=2)
        first = award_svc.award_credit(ctx, student.user_id, data, lineitem_url=LINEITEM)
        db.session.commit()
        again = award_svc.award_credit(ctx, student.user_id, data, lineitem_url=LINEITEM)
        db.session.commit()
        assert again.id == first.id
        assert (first.credits, first.grade_label, first.status) == (2, "Pass", "final")
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.source == f"credit_award:{first.id}")
        ).all()
        assert len(rows) == 1
        assert rows[0].payload["scoreGiven"] == 1.0 and rows[0].payload["userId"] == student.sub
        assert "2 academic credits for 95 approved hours" in rows[0].payload["comment"]
        assert actions(ctx.tenant_id).count("credit.awarded") == 1
        note = db.session.scalar(
            select(Notification)
            .where(Notification.user_id == student.user_id)
            .order_by(Notification.id.desc())
        )
        assert note is not None and "awarded you 2 credits" in note.message

        with pytest.raises(award_svc.AwardConflictError):
            award_svc.award_credit(ctx, student.user_id, award_input(), lineitem_url=LINEITEM)
        db.session.rollback()


def test_award_beyond_what_the_policy_allows_is_refused_and_nothing_is_written(app, people):
    faculty, student, _o = people
    with app.app_context():
        give_work(student.ctx(), hours=50)
        db.session.commit()
        with pytest.raises(PolicyViolationError, match="between 1 and 1 credits"):
            award_svc.award_credit(
                faculty.ctx(), student.user_id, award_input(credits=2), lineitem_url=LINEITEM
            )
        db.session.rollback()
        assert (
            award_svc.current_award(
                faculty.ctx().tenant_id, faculty.ctx().course_id, student.user_id
            )
            is None
        )


def test_a_student_who_does_not_meet_the_policy_cannot_be_awarded(app, people):
    faculty, student, _o = people
    with app.app_context():
        give_work(student.ctx(), hours=50, evaluation=False)
        db.session.commit()
        with pytest.raises(PolicyViolationError, match="does not meet"):
            award_svc.award_credit(
                faculty.ctx(), student.user_id, award_input(), lineitem_url=LINEITEM
            )
        db.session.rollback()


def test_correction_supersedes_the_award_which_itself_never_changes(app, people):
    faculty, student, _o = people
    with app.app_context():
        policy_svc.update_policy(
            faculty.ctx(), policy_input(grading_mode="points", points_possible=50)
        )
        give_work(student.ctx(), hours=95)
        db.session.commit()
        ctx = faculty.ctx()
        first = award_svc.award_credit(
            ctx, student.user_id, award_input(2, 40), lineitem_url=LINEITEM
        )
        db.session.commit()
        fixed = award_svc.award_credit(
            ctx,
            student.user_id,
            award_input(2, 45, comment="Re-marked the deliverable"),
            lineitem_url=LINEITEM,
            supersedes_id=first.id,
        )
        db.session.commit()
        db.session.refresh(first)
        assert first.superseded_by_id == fixed.id and first.superseded_at is not None
        assert (first.score_given, fixed.score_given, fixed.grade_label) == (40, 45, "45 / 50")
        assert fixed.supersedes_id == first.id
        assert "credit.corrected" in actions(ctx.tenant_id)
        # The pending score of the first award coalesced to the correction.
        statuses = dict(
            db.session.execute(
                select(OutboxMessage.source, OutboxMessage.status).where(
                    OutboxMessage.source.in_(
                        [f"credit_award:{first.id}", f"credit_award:{fixed.id}"]
                    )
                )
            ).all()
        )
        assert statuses == {
            f"credit_award:{first.id}": "superseded",
            f"credit_award:{fixed.id}": "pending",
        }

        first.credits = 3
        with pytest.raises(ImmutableAwardError):
            db.session.flush()
        db.session.rollback()
        # Correcting an award that was already replaced is refused.
        with pytest.raises(award_svc.AwardConflictError, match="already been replaced"):
            award_svc.award_credit(
                ctx,
                student.user_id,
                award_input(2, 30),
                lineitem_url=LINEITEM,
                supersedes_id=first.id,
            )
        db.session.rollback()


def test_changes_requested_resubmitted_then_denied(app, people):
    faculty, student, _o = people
    with app.app_context():
        engagement_id = give_work(student.ctx(), hours=50).id
        db.session.commit()
        ctx, sctx = faculty.ctx(), student.ctx()
        with pytest.raises(PolicyViolationError, match="Choose what the student is to change"):
            award_svc.request_changes(ctx, student.user_id, "Add the final report.")
        db.session.rollback()
        award_svc.request_changes(
            ctx,
            student.user_id,
            "Add the final report to your deliverables.",
            [f"deliverable:{engagement_id}"],
        )
        db.session.commit()
        p = progress_svc.student_progress(sctx.tenant_id, sctx.course_id, sctx.user_id)
        assert p.state == "changes_requested" and "final report" in p.last_decision.message
        with pytest.raises(PolicyViolationError, match="not changed a new deliverable"):
            award_svc.resubmit(sctx, sctx.course_id, "Added it.")
        db.session.rollback()
        eng_svc.add_deliverable(
            sctx, engagement_id, "Final report", url="https://example.org/report"
        )
        award_svc.resubmit(sctx, sctx.course_id, "Added the final report.")
        db.session.commit()
        assert (
            progress_svc.student_progress(sctx.tenant_id, sctx.course_id, sctx.user_id).state
            == "resubmitted"
        )
        award_svc.deny_credit(ctx, student.user_id, "The work was not academic in scope.")
        db.session.commit()
        assert (
            progress_svc.student_progress(sctx.tenant_id, sctx.course_id, sctx.user_id).state
            == "denied"
        )
        with pytest.raises(PolicyViolationError, match="Write a message"):
            award_svc.deny_credit(ctx, student.user_id, "   ")
        db.session.rollback()
        kinds = db.session.scalars(
            select(CreditDecision.kind)
            .where(CreditDecision.student_id == student.user_id)
            .order_by(CreditDecision.id)
        ).all()
        assert kinds == ["changes_requested", "resubmitted", "denied"]
        assert {
            "credit.changes_requested",
            "credit.reopened",
            "credit.resubmitted",
            "credit.denied",
        } <= set(actions(ctx.tenant_id))
        # A student cannot decide.
        with pytest.raises(ForbiddenError):
            award_svc.request_changes(sctx, student.user_id, "x")


def test_two_step_chain_waits_for_an_advisor_who_is_not_the_decider(app, school, people):
    faculty, student, other = people
    advisor = school.person("advisor", course="course-2")
    with app.app_context():
        policy_svc.update_policy(faculty.ctx(), policy_input(approval_chain="faculty_then_second"))
        give_work(student.ctx(), hours=50)
        give_work(other.ctx(), hours=50)
        db.session.commit()
        ctx = faculty.ctx()
        award = award_svc.award_credit(ctx, student.user_id, award_input(), lineitem_url=LINEITEM)
        second = award_svc.award_credit(ctx, other.user_id, award_input(), lineitem_url=LINEITEM)
        db.session.commit()
        assert award.status == "awaiting_approval"
        assert not db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.source == f"credit_award:{award.id}")
        )
        # The deciding instructor sees nothing to approve; the advisor sees both.
        assert award_svc.awaiting_second_approval(ctx) == []
        actx = advisor.ctx()
        assert {a.id for a in award_svc.awaiting_second_approval(actx)} == {award.id, second.id}
        with pytest.raises(ForbiddenError):
            award_svc.approve_award(ctx, award.id)

        award_svc.approve_award(actx, award.id)
        award_svc.decline_award(actx, second.id, "Hours were logged after the term ended.")
        db.session.commit()
        db.session.refresh(award)
        assert award.status == "final" and award.approved_at is not None
        msg = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.source == f"credit_award:{award.id}")
        )
        assert msg is not None and msg.payload["timestamp"].startswith(
            award.approved_at.isoformat()[:19]
        )
        with pytest.raises(award_svc.AwardConflictError):
            award_svc.approve_award(actx, award.id)
        db.session.rollback()
        # A declined award is not current: the instructor may decide again.
        assert award_svc.current_award(ctx.tenant_id, ctx.course_id, other.user_id) is None


def test_bulk_award_is_set_based_and_a_resubmitted_form_adds_nothing(app, school, people):
    faculty, student, other = people
    third = school.person("student")
    with app.app_context():
        for who in (student, other):
            give_work(who.ctx(), hours=50)
        give_work(third.ctx(), hours=10)  # not eligible
        db.session.commit()
        ctx = faculty.ctx()
        lines = award_svc.bulk_candidates(ctx.tenant_id, ctx.course_id)
        assert {line.student_id for line in lines} == {student.user_id, other.user_id}

        inserts: list[str] = []

        def count(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("INSERT INTO CREDIT_AWARD"):
                inserts.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            ids = [line.student_id for line in lines] + [third.user_id]
            made = award_svc.bulk_award(
                ctx,
                student_ids=ids,
                score=None,
                idempotency_key="bulk-key-1234567890",
                lineitem_url=LINEITEM,
            )
            db.session.commit()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert {a.student_id for a in made} == {student.user_id, other.user_id}
        assert len(inserts) == 1
        again = award_svc.bulk_award(
            ctx,
            student_ids=ids,
            score=None,
            idempotency_key="bulk-key-1234567890",
            lineitem_url=LINEITEM,
        )
        db.session.commit()
        assert again == []
        total = db.session.scalar(
            select(func.count())
            .select_from(CreditAward)
            .where(CreditAward.course_id == ctx.course_id)
        )
        assert total == 2
        queued = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.source.in_([f"credit_award:{a.id}" for a in made]))
        )
        assert queued == 2


def test_registrar_csv_lists_current_awards_and_defuses_formulas(app, school, people):
    faculty, student, _o = people
    with app.app_context():
        from lti_tool.models import User

        u = db.session.get(User, student.user_id)
        u.name = '=HYPERLINK("http://evil")'
        course = db.session.get(Course, faculty.ctx().course_id)
        course.term_name = "Fall 2026"
        give_work(student.ctx(), hours=50)
        db.session.commit()
        award_svc.award_credit(faculty.ctx(), student.user_id, award_input(), lineitem_url=LINEITEM)
        db.session.commit()
        text = sync_svc.registrar_csv(school.tenant_id, term="Fall 2026")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == 1
        assert rows[0]["student_name"].startswith("'=")
        assert (rows[0]["credits"], rows[0]["grade"], rows[0]["term"]) == ("1", "Pass", "Fall 2026")
        assert rows[0]["gradebook_sync"] == "Queued"
        assert sync_svc.registrar_csv(school.tenant_id, term="Spring 2027").count("\n") == 1


def test_an_engagement_counts_toward_one_course_the_student_chooses(app, school):
    student = school.person("student", sub="stu-two-courses", course="course-1")
    school.person("student", sub="stu-two-courses", course="course-2")
    with app.app_context():
        sctx = student.ctx()
        engagement = give_work(sctx, hours=50)
        db.session.commit()
        course2 = school.course_id("course-2")
        policy_svc.assign_engagement_course(sctx, engagement.id, course2)
        db.session.commit()
        assert (
            progress_svc.student_progress(
                sctx.tenant_id, sctx.course_id, sctx.user_id
            ).counted_hours
            == 0
        )
        assert (
            progress_svc.student_progress(sctx.tenant_id, course2, sctx.user_id).counted_hours == 50
        )
        other_school_course = 10**9
        with pytest.raises(PolicyViolationError, match="Choose one of your courses"):
            policy_svc.assign_engagement_course(sctx, engagement.id, other_school_course)
        db.session.rollback()


def test_a_students_progress_in_every_course_is_the_same_handful_of_queries(app, school):
    """The student home: progress across courses equals each course's own figures (deadlines
    and awards per course), and reading it costs the same statements for two courses or
    five."""
    sub = "stu-many-courses"
    faculty1 = school.person("faculty", course="course-1")
    student = school.person("student", sub=sub, course="course-1")
    for n in range(2, 6):
        school.person("student", sub=sub, course=f"course-{n}")
    with app.app_context():
        sctx = student.ctx()
        policy_svc.update_policy(faculty1.ctx(), policy_input(deadline=dt.date(2026, 9, 3)))
        first = give_work(sctx, hours=48, start=dt.date(2026, 9, 1))  # 24 h after the deadline
        second = give_work(sctx, hours=50, pending_hours=2)
        db.session.commit()
        policy_svc.assign_engagement_course(sctx, second.id, school.course_id("course-2"))
        db.session.commit()
        assert first.course_id == sctx.course_id

        statements: list[str] = []
        engine = db.engine

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            rows = progress_svc.student_progress_all_courses(sctx.tenant_id, sctx.user_id)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert len(rows) == 5
        for row in rows:
            alone = progress_svc.student_progress(sctx.tenant_id, row.course_id, sctx.user_id)
            assert (row.approved_hours, row.pending_hours, row.counted_hours) == (
                alone.approved_hours,
                alone.pending_hours,
                alone.counted_hours,
            )
            assert (row.state, row.credits_by_hours) == (alone.state, alone.credits_by_hours)
            # the person is read with the courses, not again
            assert (row.name, row.email, row.sub) == (alone.name, alone.email, alone.sub)
        assert not any("FROM lti_user \nWHERE lti_user.id = " in s for s in statements)
        by_course = {r.course_id: r for r in rows}
        assert by_course[sctx.course_id].counted_hours == 24
        assert by_course[school.course_id("course-2")].counted_hours == 50
        assert by_course[school.course_id("course-2")].pending_hours == 2
        # one query per kind of figure, not per course
        assert len(statements) <= 9, statements
