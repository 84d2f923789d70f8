"""A launch into a course writes its user, course, enrolment, resource link and launch: in one
statement on PostgreSQL (data-modifying WITH queries), one by one on SQLite; a launch again
updates what the LMS changed and adds nothing twice."""

from __future__ import annotations

from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.models import Course, Enrolment, Launch, ResourceLink, User
from tests.helpers import counted
from tests.platform import launch_id

WRITES = ("INSERT", "UPDATE", "DELETE", "WITH")


def _launch(lti, app, sub: str, title: str, name: str):
    params = lti.login(sub)
    body = lti.platform.claims(
        sub=sub,
        role="student",
        nonce=params["nonce"],
        context={"id": "course-7", "title": title, "label": "BUS390"},
        name=name,
    )
    token = lti.platform.sign(body)
    with app.app_context(), counted() as seen:
        resp = lti.post(token, params["state"])
    lid = launch_id(resp)
    return lid, [s for s in seen if s.lstrip().upper().startswith(WRITES)]


def _rows(app, lid: str):
    with app.app_context():
        launch = db.session.get(Launch, lid)
        assert launch is not None
        user = db.session.get(User, launch.user_id)
        course = db.session.get(Course, launch.course_id)
        enrolments = db.session.scalars(
            select(Enrolment).where(Enrolment.course_id == course.id)
        ).all()
        links = db.session.scalars(
            select(ResourceLink).where(ResourceLink.course_id == course.id)
        ).all()
        users = db.session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.tenant_id == launch.tenant_id, User.sub == "s-7")
        )
        return launch, user, course, enrolments, links, users


def test_a_course_launch_writes_its_rows_in_one_statement_on_postgresql(lti, app):
    lid, writes = _launch(lti, app, "s-7", "Internship Seminar", "Ana Lima")
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
    # the login state's use is marked too (an UPDATE); the rows are the rest
    rows = [s for s in writes if "lti_state" not in s]
    assert len(rows) == (1 if postgresql else 5), rows
    launch, user, course, enrolments, links, users = _rows(app, lid)
    assert (user.sub, user.name, user.email) == ("s-7", "Ana Lima", "s-7@example.edu")
    assert course.title == "Internship Seminar" and course.tenant_id == launch.tenant_id
    assert [(e.user_id, e.role, e.tenant_id) for e in enrolments] == [
        (user.id, "student", launch.tenant_id)
    ]
    assert [(link.resource_link_id, link.title) for link in links] == [("rl-course-7", "Board")]
    assert launch.role == "student" and users == 1


def test_a_launch_again_updates_what_the_lms_changed_and_adds_nothing_twice(lti, app):
    first, _ = _launch(lti, app, "s-7", "Internship Seminar", "Ana Lima")
    again, _ = _launch(lti, app, "s-7", "Internship Seminar (Spring)", "Ana Lima Souza")
    assert first != again
    _, user, course, enrolments, links, users = _rows(app, again)
    _, old_user, old_course, *_ = _rows(app, first)
    assert (old_user.id, old_course.id) == (user.id, course.id)
    assert user.name == "Ana Lima Souza" and course.title == "Internship Seminar (Spring)"
    assert len(enrolments) == 1 and len(links) == 1 and users == 1
