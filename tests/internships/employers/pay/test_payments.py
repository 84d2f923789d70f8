"""Payments on the pay panel, through HTTP: the supervisor marks a payment from their
workspace link, the student confirms or disputes it, an advisor resolves the dispute; a
tampered link or another engagement's link reaches nothing of this one; bad input is refused
with 422 and nothing saved."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from internships.employers.pay.models import EngagementPay, Payment
from internships.work.models import Engagement
from lti_tool.extensions import db
from lti_tool.notify.models import Notification
from tests.helpers import csrf_token
from tests.internships.work.helpers import audit_actions, engaged, public_client

from .helpers import TODAY, engagement_url, mark, payments, post_panel, uid, workspace_path


def test_the_supervisor_marks_a_payment_and_the_student_confirms_it(app, world):
    engagement_id = engaged(app, world)
    path = workspace_path(app, engagement_id)
    browser = public_client(app)
    page = browser.get(path).get_data(as_text=True)
    assert "Mark a payment made" in page and "$500.00" in page
    resp = mark(app, path, browser)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    shown = browser.get(resp.headers["Location"]).get_data(as_text=True)
    assert "is marked as paid; the student is asked to confirm it" in shown
    [payment] = payments(app, engagement_id)
    assert (payment.amount_cents, payment.currency, payment.state) == (50000, "USD", "marked")
    assert payment.reference == "TR-1001" and payment.student_id == uid(app, world["student"])

    student = world["student"]
    page = student.client.get(engagement_url(student, engagement_id)).get_data(as_text=True)
    assert "Confirm I received it" in page and "TR-1001" in page
    resp = post_panel(student, engagement_id, "confirm", payment_id=payment.id)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    assert payments(app, engagement_id)[0].state == "confirmed"
    page = student.client.get(engagement_url(student, engagement_id)).get_data(as_text=True)
    assert "Received" in page and "Paid so far" in page
    # Answered once: a second confirmation is refused (422), nothing changes.
    again = post_panel(student, engagement_id, "confirm", payment_id=payment.id)
    assert again.status_code == 422 and "already answered" in again.get_data(as_text=True)
    with app.app_context():
        actions = audit_actions(world["school"].tenant_id)
        assert "pay.mark" in actions and "pay.confirm" in actions
        row = db.session.scalar(
            select(EngagementPay).where(EngagementPay.engagement_id == engagement_id)
        )
        assert (row.compensation_type, row.amount_cents, row.due_rule) == (
            "fixed",
            50000,
            "completion",
        )
        told = db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == uid(app, world["student"]),
                Notification.kind == "pay_marked",
            )
        )
        assert told == 1


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("amount", "-5", "more than zero"),
        ("amount", "0", "more than zero"),
        ("amount", "lots", "Enter a number"),
        ("paid_on", (TODAY + dt.timedelta(days=2)).isoformat(), "cannot be in the future"),
        ("paid_on", "", "Enter a date"),
        ("currency", "XYZ", "Choose one of the options offered"),
        ("currency", "EUR", "This engagement pays in USD"),
        ("reference", "x" * 201, "200 characters"),
    ],
)
def test_bad_input_is_refused_with_nothing_saved(app, world, field, value, words):
    engagement_id = engaged(app, world)
    path = workspace_path(app, engagement_id)
    resp = mark(app, path, **{field: value})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 422, text[:500]
    assert words in text and "Nothing was saved" in text
    assert payments(app, engagement_id) == []
    with app.app_context():  # not even the terms row the first payment copies
        assert db.session.scalar(select(func.count(EngagementPay.id))) is not None
        assert (
            db.session.scalar(
                select(func.count(EngagementPay.id)).where(
                    EngagementPay.engagement_id == engagement_id
                )
            )
            == 0
        )


def test_a_post_without_its_csrf_token_is_refused(app, world):
    engagement_id = engaged(app, world)
    path = workspace_path(app, engagement_id)
    browser = public_client(app)
    assert mark(app, path, browser).status_code == 303  # positive control
    resp = browser.post(path, data={"form": "pay.mark", "amount": "10", "currency": "USD"})
    assert resp.status_code == 400
    assert len(payments(app, engagement_id)) == 1


def test_a_tampered_link_or_another_engagements_link_reaches_nothing_here(app, world, seed_listing):
    mine = engaged(app, world)
    other_listing = seed_listing(world["school"].tenant_id, employer="Globex")
    world_other = {**world, "student": world["other"], "listing": other_listing}
    theirs = engaged(app, world_other)
    assert mark(app, workspace_path(app, theirs)).status_code == 303  # positive control
    assert payments(app, mine) == [] and len(payments(app, theirs)) == 1
    path = workspace_path(app, mine)
    tampered = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    resp = public_client(app).get(tampered)
    assert resp.status_code == 404
    browser = public_client(app)
    token = csrf_token(browser.get(path))  # a real page's token, then the tampered address
    posted = browser.post(tampered, data={"form": "pay.mark", "csrf_token": token, "amount": "5"})
    assert posted.status_code == 404
    assert payments(app, mine) == []


def test_the_student_disputes_and_an_advisor_resolves_with_notes(app, world):
    engagement_id = engaged(app, world)
    assert mark(app, workspace_path(app, engagement_id), amount="200.00").status_code == 303
    [payment] = payments(app, engagement_id)
    student, advisor = world["student"], world["advisor"]
    short = post_panel(student, engagement_id, "dispute", payment_id=payment.id, note="no")
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(as_text=True)
    assert payments(app, engagement_id)[0].state == "marked"
    note = "Nothing arrived in my bank account this month."
    resp = post_panel(student, engagement_id, "dispute", payment_id=payment.id, note=note)
    assert resp.status_code == 303
    assert payments(app, engagement_id)[0].state == "disputed"
    with app.app_context():
        assert db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == uid(app, advisor), Notification.kind == "pay_disputed"
            )
        )
    home = advisor.client.get(f"/home/advisor?lid={advisor.lid}").get_data(as_text=True)
    assert "disputed payment to resolve" in home
    overdue_page = advisor.client.get(f"/employers/pay/overdue?lid={advisor.lid}")
    assert note[:40] in overdue_page.get_data(as_text=True)
    page = advisor.client.get(engagement_url(advisor, engagement_id)).get_data(as_text=True)
    assert "Resolve the dispute" in page and note in page
    refused = post_panel(advisor, engagement_id, "resolve", payment_id=payment.id, note="ok")
    assert refused.status_code == 422 and payments(app, engagement_id)[0].state == "disputed"
    resp = post_panel(
        advisor,
        engagement_id,
        "resolve",
        payment_id=payment.id,
        resolution="not_received",
        note="The employer's bank returned the transfer; they will pay again.",
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    [row] = payments(app, engagement_id)
    assert (row.state, row.resolution) == ("voided", "not_received")
    assert row.resolved_by and "returned the transfer" in row.resolution_note
    page = student.client.get(engagement_url(student, engagement_id)).get_data(as_text=True)
    assert "Not received" in page and "returned the transfer" in page
    with app.app_context():
        assert "pay.resolve" in audit_actions(world["school"].tenant_id)


def test_only_the_supervisor_marks_and_only_the_student_answers(app, world):
    engagement_id = engaged(app, world)
    student, faculty = world["student"], world["faculty"]
    assert post_panel(student, engagement_id, "mark", amount="5").status_code == 403
    assert post_panel(faculty, engagement_id, "mark", amount="5").status_code == 403
    assert mark(app, workspace_path(app, engagement_id)).status_code == 303
    [payment] = payments(app, engagement_id)
    page = faculty.client.get(engagement_url(faculty, engagement_id)).get_data(as_text=True)
    assert "$500.00" in page and "Confirm I received it" not in page
    refused = post_panel(faculty, engagement_id, "confirm", payment_id=payment.id)
    assert refused.status_code == 403
    assert payments(app, engagement_id)[0].state == "marked"


def test_a_student_cannot_see_or_answer_another_students_payments(app, world):
    engagement_id = engaged(app, world)
    assert mark(app, workspace_path(app, engagement_id), reference="SECRET-REF").status_code == 303
    other = world["other"]
    resp = other.client.get(engagement_url(other, engagement_id))
    assert resp.status_code in (403, 404) and "SECRET-REF" not in resp.get_data(as_text=True)
    token = csrf_token(other.client.get(f"/profile/?lid={other.lid}"))
    [payment] = payments(app, engagement_id)
    posted = other.client.post(
        engagement_url(other, engagement_id),
        data={
            "form": "pay.confirm",
            "csrf_token": token,
            "lid": other.lid,
            "payment_id": payment.id,
        },
    )
    assert posted.status_code in (403, 404)
    assert payments(app, engagement_id)[0].state == "marked"


def test_another_tenants_advisor_cannot_open_the_engagement(app, world, make_school):
    engagement_id = engaged(app, world)
    assert mark(app, workspace_path(app, engagement_id)).status_code == 303
    stranger = make_school().person("advisor")
    resp = stranger.client.get(engagement_url(stranger, engagement_id))
    assert resp.status_code == 404
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(Payment.id)).where(Payment.engagement_id == engagement_id)
            )
            == 1
        )


def test_an_advisor_records_a_payment_once_the_supervisors_link_has_closed(app, world):
    engagement_id = engaged(app, world)
    path = workspace_path(app, engagement_id)
    with app.app_context():
        db.session.get(Engagement, engagement_id).status = "completed"
        db.session.commit()
    assert public_client(app).get(path).status_code == 410  # the link closed with the work
    advisor = world["advisor"]
    page = advisor.client.get(engagement_url(advisor, engagement_id)).get_data(as_text=True)
    assert "Record a payment the employer made" in page
    resp = post_panel(
        advisor,
        engagement_id,
        "mark",
        amount="500.00",
        currency="USD",
        paid_on=TODAY.isoformat(),
        reference="Reported by phone",
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    [payment] = payments(app, engagement_id)
    assert payment.state == "marked" and "(user " in payment.marked_by
    student = world["student"]
    assert post_panel(student, engagement_id, "confirm", payment_id=payment.id).status_code == 303


def test_faculty_of_another_course_cannot_see_the_payments(app, world):
    engagement_id = engaged(app, world)
    assert mark(app, workspace_path(app, engagement_id), reference="COURSE-REF").status_code == 303
    own = world["faculty"]  # positive control: the engagement's course
    assert "COURSE-REF" in own.client.get(engagement_url(own, engagement_id)).get_data(as_text=True)
    stranger = world["school"].person("faculty", course="course-2")
    resp = stranger.client.get(engagement_url(stranger, engagement_id))
    assert resp.status_code in (403, 404) and "COURSE-REF" not in resp.get_data(as_text=True)
