"""The faculty course page's reads (issue 16): the roster's people come with their awards and
decisions in one statement, tenant- and course-scoped, with the figures each student's own
progress gives; the refused grades are read only when some failed; the table's values are the
progress's; the Dropped and Not on the LMS roster pills appear exactly where a row needs them."""

from __future__ import annotations

import re

from sqlalchemy import delete

from credit.services import awards as award_svc
from credit.services import policy as policy_svc
from credit.services import progress as progress_svc
from credit.services.roster import RosterRow
from credit.views.roster_table import row_cells
from lti_tool.extensions import db
from lti_tool.models import Enrolment, User
from tests.helpers import counted, press_refresh_roster

from .conftest import give_work
from .test_page_reads import _figures
from .test_pages import get
from .test_services import award_input
from .test_views import course_people  # noqa: F401  (a fixture)


def _school_course(app, school, make_school):
    """A course where one student is awarded, one asked for changes, one has work but no
    enrolment, one has nothing; a student of another course and a person of another school
    (enrolled here by a stray row) have work too. The ids of the four, and the course's."""
    faculty = school.person("faculty")
    awarded, asked, unenrolled, idle = (school.person("student") for _ in range(4))
    elsewhere = school.person("student", course="course-2")
    outsider = make_school().person("student")
    with app.app_context():
        fctx = faculty.ctx()
        work = {s.user_id: give_work(s.ctx(), hours=50) for s in (awarded, asked, unenrolled)}
        give_work(elsewhere.ctx(), hours=50)
        give_work(outsider.ctx(), hours=50)
        db.session.execute(
            delete(Enrolment).where(
                Enrolment.user_id == unenrolled.user_id, Enrolment.course_id == fctx.course_id
            )
        )
        db.session.add(
            Enrolment(
                tenant_id=fctx.tenant_id,
                course_id=fctx.course_id,
                user_id=outsider.user_id,
                role="student",
            )
        )
        db.session.commit()
        award_svc.award_credit(fctx, awarded.user_id, award_input(), lineitem_url=None)
        award_svc.request_changes(
            fctx, asked.user_id, "Say more.", [f"hours:{work[asked.user_id].id}"]
        )
        db.session.commit()
        ids = [s.user_id for s in (awarded, asked, unenrolled, idle)]
        return faculty, ids, fctx.tenant_id, fctx.course_id


def test_the_roster_reads_its_people_with_their_awards_and_decisions_in_one_statement(
    app, school, make_school
):
    _, ids, tenant_id, course_id = _school_course(app, school, make_school)
    with app.app_context():
        policy = policy_svc.read_policy(tenant_id, course_id)
        with counted() as statements:
            rows = progress_svc.course_progress(tenant_id, course_id, policy=policy)
        # the people (awards, decisions) and the engagements; on PostgreSQL planned for the
        # course's values first (``plan_for_values``: its award history decides the plans)
        postgresql = db.engine.dialect.name == "postgresql"
        assert len(statements) == 2 + postgresql, statements
        assert sorted(p.student_id for p in rows) == sorted(ids)  # not the other two
        by_id = {p.student_id: p for p in rows}
        assert [by_id[sid].state for sid in ids] == [
            "awarded",
            "changes_requested",
            "ready",
            "not_started",
        ]
        for sid in ids:  # each as the student's own progress (its own statements) has it
            alone = progress_svc.student_progress(tenant_id, course_id, sid)
            assert _figures(by_id[sid]) == _figures(alone)
            assert by_id[sid].policy is policy  # the caller's policy, as before


def test_the_table_shows_the_progress_figures(app, school, make_school):
    _, _, tenant_id, course_id = _school_course(app, school, make_school)
    with app.app_context():
        policy = policy_svc.read_policy(tenant_id, course_id)
        found = progress_svc.course_progress(tenant_id, course_id, policy=policy)
        rows = [RosterRow(p.name, p.email, p) for p in found]
        cells = row_cells(rows, policy, lambda sid: f"/review/{sid}")
        full = policy.hours_per_credit * policy.max_credits * 60
        for p, c in zip(found, cells, strict=True):
            assert (c.eligible, c.earned, c.done, c.items) == (
                p.credits_eligible,
                p.credits_earned,
                sum(1 for item in p.checklist if item.done),
                len(p.checklist),
            )
            assert (c.state, c.state_label) == (p.state, p.state_label)
            assert c.percent == round(100 * min(1.0, p.approved_minutes / full))
        assert {c.hours for c in cells} == {"50", "0"}


def test_the_refused_grades_are_read_only_when_some_failed(app, school):
    faculty = school.person("faculty")
    school.person("student")
    with app.app_context(), counted() as statements:
        page = get(faculty, "/credit/course").get_data(as_text=True)
    assert "0 failed" in page and "The LMS has refused no grade of this course." in page
    assert not [s for s in statements if s.startswith("SELECT outbox_message.id")]
    # test_pages.py's failed-sync test shows the refused grades when one failed.


def test_the_dropped_and_off_roster_pills_appear_where_a_row_needs_them(
    app,
    course_people,  # noqa: F811
):
    faculty, _amara, _ben = course_people
    with app.app_context():
        ctx = faculty.ctx()
        stray = User(tenant_id=ctx.tenant_id, issuer="https://lms.example", sub="stray-1")
        stray.name = "Stray Student"
        db.session.add(stray)
        db.session.flush()
        db.session.add(
            Enrolment(
                tenant_id=ctx.tenant_id, course_id=ctx.course_id, user_id=stray.id, role="student"
            )
        )
        stray_id = stray.id
        db.session.commit()
    try:
        unread = faculty.get("/credit/course").get_data(as_text=True)
        if "from the LMS roster" not in unread:  # before the roster is read: every row is on it
            assert "Not on the LMS roster" not in unread
        press_refresh_roster(faculty.client, faculty.lid, "/credit/course")
        page = faculty.get("/credit/course").get_data(as_text=True)
        assert re.search(r'Stray Student</a> <span class="pill pill-\w+">.*?>Not on the LMS', page)
        assert re.search(r'Farah Haddad <span class="pill pill-neutral">.*?>Dropped<', page)
        ready = faculty.get("/credit/course", state="ready").get_data(as_text=True)
        assert "Farah Haddad" not in ready and ">Dropped<" not in ready
        assert "Not on the LMS roster" not in ready
    finally:
        with app.app_context():
            db.session.execute(delete(Enrolment).where(Enrolment.user_id == stray_id))
            db.session.execute(delete(User).where(User.id == stray_id))
            db.session.commit()
