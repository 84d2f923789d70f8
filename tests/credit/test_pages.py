"""The rest of the credit pages over HTTP with real launches: second approvals, the failed-sync
page and its retry button, the registrar export, the student's resubmission and choice of
course, and bulk award through the sandbox LMS."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import func, select, update

from credit.models import CreditAward
from credit.services import awards as award_svc
from credit.services import policy as policy_svc
from lti_tool import jobs
from lti_tool.extensions import db
from lti_tool.jobs import OutboxMessage

from .conftest import give_work
from .test_services import LINEITEM, award_input, policy_input
from .test_views import Visitor, hidden


def get(person, path, **params):
    return person.client.get(path, query_string={"lid": person.lid, **params})


def token(person, page_path):
    page = get(person, page_path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def post(person, path, data, token_page=None, *, csrf=None):
    token_value = csrf or token(person, token_page)
    return person.client.post(
        path,
        data={"csrf_token": token_value, "lid": person.lid, **data},
        query_string={"lid": person.lid},
    )


def test_second_approval_through_the_advisors_page(app, school):
    faculty, student = school.person("faculty"), school.person("student")
    advisor = school.person("advisor", course="course-2")
    with app.app_context():
        policy_svc.update_policy(faculty.ctx(), policy_input(approval_chain="faculty_then_second"))
        give_work(student.ctx(), hours=50)
        db.session.commit()
        award = award_svc.award_credit(
            faculty.ctx(), student.user_id, award_input(), lineitem_url=LINEITEM
        )
        db.session.commit()
        award_id = award.id
    page = get(advisor, "/credit/approvals").get_data(as_text=True)
    assert f"/credit/approvals/{award_id}/approve" in page
    # The deciding instructor is offered nothing to approve.
    assert f"/credit/approvals/{award_id}/approve" not in get(
        faculty, "/credit/approvals"
    ).get_data(as_text=True)
    # Declining needs a reason; then approving works once.
    decline = {"form": "decline", "award_id": str(award_id), "reason": " "}
    resp = post(advisor, "/credit/approvals", decline, "/credit/approvals")
    assert resp.status_code == 422  # at the page's own address, the reason beside its box
    assert f'id="reason-{award_id}-error">Say why you decline.</p>' in resp.get_data(as_text=True)
    kept = token(advisor, "/credit/approvals")
    resp = post(advisor, f"/credit/approvals/{award_id}/approve", {}, "/credit/approvals")
    assert resp.status_code == 303
    with app.app_context():
        assert db.session.get(CreditAward, award_id).status == "final"
    again = post(advisor, f"/credit/approvals/{award_id}/approve", {}, csrf=kept)
    assert again.status_code == 303
    assert "already approved" in get(advisor, "/credit/approvals").get_data(as_text=True)


def test_failed_syncs_are_listed_for_faculty_and_admins_and_can_be_retried(app, school):
    faculty, student = school.person("faculty"), school.person("student")
    admin = school.person("admin", course=None)
    with app.app_context():
        give_work(student.ctx(), hours=50)
        db.session.commit()
        award = award_svc.award_credit(
            faculty.ctx(), student.user_id, award_input(), lineitem_url=LINEITEM
        )
        db.session.commit()
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.source == f"credit_award:{award.id}")
            .values(
                status=jobs.FAILED,
                last_http_status=422,
                last_error="User is not a student in this course",
            )
        )
        db.session.commit()
        message_id = db.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.source == f"credit_award:{award.id}")
        )
    course_page = get(faculty, "/credit/course").get_data(as_text=True)
    assert "User is not a student in this course" in course_page and "1 failed" in course_page
    admin_page = get(admin, "/credit/failures")
    assert admin_page.status_code == 200
    assert "User is not a student in this course" in admin_page.get_data(as_text=True)
    # A student cannot retry; the admin can.
    student_try = post(student, f"/credit/sync/{message_id}/retry", {}, "/profile/")
    assert student_try.status_code == 403
    resp = post(admin, f"/credit/sync/{message_id}/retry", {}, "/credit/failures")
    assert resp.status_code == 303
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id).status == jobs.PENDING


def test_registrar_export_for_a_course_and_for_a_term(app, school):
    faculty, student = school.person("faculty"), school.person("student")
    advisor = school.person("advisor", course="course-2")
    with app.app_context():
        give_work(student.ctx(), hours=95)
        db.session.commit()
        award_svc.award_credit(
            faculty.ctx(), student.user_id, award_input(credits=2), lineitem_url=LINEITEM
        )
        db.session.commit()
    resp = get(faculty, "/credit/export.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.data.startswith(b"\xef\xbb\xbf")  # UTF-8's byte order mark, for Excel
    rows = list(csv.DictReader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert [(r["lms_user_id"], r["credits"]) for r in rows] == [(student.sub, "2")]
    advisor_rows = list(
        csv.DictReader(io.StringIO(get(advisor, "/credit/export.csv").data.decode("utf-8-sig")))
    )
    assert student.sub in {r["lms_user_id"] for r in advisor_rows}
    assert get(advisor, "/credit/awards").status_code == 200


def test_student_chooses_the_course_of_an_engagement(app, school):
    # (answering a request for changes: tests/credit/test_changes_requested.py)
    student = school.person("student", sub="stu-choose", course="course-1")
    school.person("student", sub="stu-choose", course="course-2")
    with app.app_context():
        engagement = give_work(student.ctx(), hours=50)
        db.session.commit()
        engagement_id = engagement.id
        course2 = school.course_id("course-2")

    page = f"/credit/engagements/{engagement_id}/course"
    assert get(student, page).status_code == 200
    resp = post(student, page, {"course_id": str(course2)}, page)
    assert resp.status_code == 303
    bad = post(student, page, {"course_id": "999999"}, page)
    assert bad.status_code == 422 and "Choose one of the options offered." in bad.get_data(
        as_text=True
    )
    # Another student cannot open this engagement's page.
    assert get(school.person("student"), page).status_code in (403, 404)


def test_bulk_award_through_the_sandbox_lists_who_gets_what_then_awards_once(app, sandbox):
    faculty = Visitor(app, sandbox, "thomas-brooks", course="cs-195")
    grace = Visitor(app, sandbox, "grace-kim", course="cs-195")
    with app.app_context():
        if not db.session.scalar(
            select(func.count())
            .select_from(CreditAward)
            .where(CreditAward.student_id == grace.ctx().user_id)
        ):
            give_work(grace.ctx(), hours=50)
        db.session.commit()
    page = faculty.get("/credit/bulk").get_data(as_text=True)
    assert "Grace Kim" in page
    assert 'id="bulk-column"' in page and "“Micro-internship credit”" in page  # named first
    data = {
        "csrf_token": hidden(page, "/credit/bulk", "csrf_token"),
        "idempotency_key": hidden(page, "/credit/bulk", "idempotency_key"),
        "student_ids": hidden(page, "/credit/bulk", "student_ids"),
    }
    unconfirmed = faculty.post("/credit/bulk", data)
    assert unconfirmed.status_code == 422 and "Tick the box" in unconfirmed.get_data(as_text=True)
    first = faculty.post("/credit/bulk", data | {"confirm": "y"})
    second = faculty.post("/credit/bulk", data | {"confirm": "y"})
    assert (first.status_code, second.status_code) == (303, 303)
    with app.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(CreditAward)
            .where(CreditAward.student_id == grace.ctx().user_id)
        )
        assert count == 1
