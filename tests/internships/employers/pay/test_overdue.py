"""Overdue payments, through HTTP and the runner's tick: noticed once (the employer's email and
the advisors' notices), listed for the advisor (paged), blocking the employer's new listings
until an advisor clears them (audited); the grace days an advisor sets; another tenant sees
and clears nothing of it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from internships.employers.pay.models import OverduePayment
from internships.models import Listing
from internships.work.models import Engagement
from lti_tool.extensions import db
from lti_tool.models import Tenant
from lti_tool.notify.models import EmailMessage, Notification
from tests.helpers import csrf_token
from tests.internships.work.helpers import audit_actions

from .helpers import TODAY, mark, overdue_rows, paid_engagement, tick, uid, workspace_path


def _emails(app, tenant_id: int, to: str, subject: str) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(func.count(EmailMessage.id)).where(
                    EmailMessage.tenant_id == tenant_id,
                    EmailMessage.to_address == to,
                    EmailMessage.subject.startswith(subject),
                )
            )
        )


def _advisor_notices(app, person) -> int:
    user_id = uid(app, person)
    with app.app_context():
        return int(
            db.session.scalar(
                select(func.count(Notification.id)).where(
                    Notification.user_id == user_id, Notification.kind == "pay_overdue"
                )
            )
        )


def _supervisor_email(app, engagement_id: int) -> str:
    with app.app_context():
        return db.session.get(Engagement, engagement_id).supervisor_email


def test_an_overdue_payment_is_noticed_once(app, world):
    within = paid_engagement(app, world, ended_days_ago=3)  # inside the 7 grace days
    tick(app)
    assert overdue_rows(app, within) == []  # positive control below: the same, later
    with app.app_context():
        engagement = db.session.get(Engagement, within)
        engagement.end_date = TODAY - dt.timedelta(days=10)
        db.session.commit()
    to = _supervisor_email(app, within)
    assert to
    tick(app)
    tick(app)
    [row] = overdue_rows(app, within)
    assert (row.amount_cents, row.due_on, row.cleared_at) == (
        50000,
        TODAY - dt.timedelta(days=10),
        None,
    )
    assert _emails(app, world["school"].tenant_id, to, "Payment overdue") == 1
    assert _advisor_notices(app, world["advisor"]) == 1
    advisor = world["advisor"]
    home = advisor.client.get(f"/home/advisor?lid={advisor.lid}").get_data(as_text=True)
    assert "overdue payment to clear" in home and "/employers/pay/overdue" in home
    page = advisor.client.get(f"/employers/pay/overdue?lid={advisor.lid}").get_data(as_text=True)
    assert "Overdue, waiting to be cleared (1)" in page and "$500.00" in page
    student = world["student"]
    shown = student.client.get(f"/work/engagements/{within}?lid={student.lid}")
    assert "Overdue" in shown.get_data(as_text=True)


def test_a_payment_marked_in_time_is_not_overdue(app, world):
    engagement_id = paid_engagement(app, world, ended_days_ago=10)
    assert mark(app, workspace_path(app, engagement_id)).status_code == 303
    tick(app)
    assert overdue_rows(app, engagement_id) == []


def _acme(app, tenant_id: int) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(Listing.employer_id).where(Listing.tenant_id == tenant_id).limit(1)
            )
        )


def _new_listing(advisor, employer_id: int):
    form = advisor.client.get(f"/internships/new?lid={advisor.lid}")
    return advisor.client.post(
        "/internships/new",
        data={
            "lid": advisor.lid,
            "csrf_token": csrf_token(form),
            "employer": str(employer_id),
            "title": "Inventory survey",
            "summary": "Count and classify stock.",
            "estimated_hours": "20",
            "compensation_type": "fixed",
            "pay_amount": "600.00",
            "currency": "USD",
            "location_type": "remote",
            "openings": "1",
            "competencies": ["Teamwork"],
            "publish": "Publish",
        },
    )


def test_an_employer_with_overdue_payments_cannot_publish_until_an_advisor_clears_them(app, world):
    tenant_id = world["school"].tenant_id
    engagement_id = paid_engagement(app, world, ended_days_ago=10)
    advisor = world["advisor"]
    employer_id = _acme(app, tenant_id)
    tick(app)
    [row] = overdue_rows(app, engagement_id)
    refused = _new_listing(advisor, employer_id)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422, text[:500]
    assert "has 1 overdue payment to students" in text and "cannot publish" in text
    with app.app_context():
        assert not db.session.scalar(select(Listing.id).where(Listing.title == "Inventory survey"))
    url = f"/employers/pay/overdue?lid={advisor.lid}"
    token = csrf_token(advisor.client.get(url))
    short = advisor.client.post(
        url, data={"form": "clear", "csrf_token": token, "overdue_id": row.id, "note": "ok"}
    )
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(as_text=True)
    assert overdue_rows(app, engagement_id)[0].cleared_at is None
    note = "Paid late by bank transfer on the 14th; the student confirmed."
    cleared = advisor.client.post(
        url, data={"form": "clear", "csrf_token": token, "overdue_id": row.id, "note": note}
    )
    assert cleared.status_code == 303, cleared.get_data(as_text=True)[:500]
    [row] = overdue_rows(app, engagement_id)
    assert row.cleared_at is not None and row.clear_note == note and row.cleared_by
    with app.app_context():
        assert "pay.overdue_clear" in audit_actions(tenant_id)
    assert _new_listing(advisor, employer_id).status_code == 303
    tick(app)  # noticed once: a cleared due date is not noticed again
    assert len(overdue_rows(app, engagement_id)) == 1


def test_the_grace_days_are_validated_and_used(app, world):
    advisor = world["advisor"]
    url = f"/employers/pay/settings?lid={advisor.lid}"
    page = advisor.client.get(url)
    assert page.status_code == 200 and 'value="7"' in page.get_data(as_text=True)
    token = csrf_token(page)
    for bad, words in (("-1", "Give 0 to 90 days"), ("91", "Give 0 to 90 days"), ("x", "whole")):
        resp = advisor.client.post(
            url, data={"form": "grace", "csrf_token": token, "grace_days": bad}
        )
        assert resp.status_code == 422 and words in resp.get_data(as_text=True), bad
    with app.app_context():
        tenant = db.session.get(Tenant, world["school"].tenant_id)
        assert "pay_grace_days" not in (tenant.settings or {})
    ok = advisor.client.post(url, data={"form": "grace", "csrf_token": token, "grace_days": "20"})
    assert ok.status_code == 303
    with app.app_context():
        tenant = db.session.get(Tenant, world["school"].tenant_id)
        assert tenant.settings["pay_grace_days"] == 20
        assert "pay.grace_days" in audit_actions(tenant.id)
    engagement_id = paid_engagement(app, world, ended_days_ago=10)
    tick(app)
    assert overdue_rows(app, engagement_id) == []  # 10 days late is within 20 grace days


def test_the_overdue_list_is_paged(app, world):
    engagement_id = paid_engagement(app, world, ended_days_ago=10)
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        for n in range(60):
            db.session.add(
                OverduePayment(
                    tenant_id=engagement.tenant_id,
                    engagement_id=engagement_id,
                    student_id=engagement.student_id,
                    employer_id=engagement.listing.employer_id,
                    due_on=TODAY - dt.timedelta(days=100 + n),
                    amount_cents=1000 + n,
                    currency="USD",
                )
            )
        db.session.commit()
    advisor = world["advisor"]
    first = advisor.client.get(f"/employers/pay/overdue?lid={advisor.lid}").get_data(as_text=True)
    assert "Overdue, waiting to be cleared (60)" in first and "Page 1 of 2" in first
    assert first.count('name="overdue_id"') == 50 and "Next page" in first
    second = advisor.client.get(f"/employers/pay/overdue?page=2&lid={advisor.lid}")
    assert second.get_data(as_text=True).count('name="overdue_id"') == 10


def test_another_tenant_sees_and_clears_nothing(app, world, make_school):
    engagement_id = paid_engagement(app, world, ended_days_ago=10)
    tick(app)
    [row] = overdue_rows(app, engagement_id)
    stranger = make_school().person("advisor")
    url = f"/employers/pay/overdue?lid={stranger.lid}"
    page = stranger.client.get(url)
    assert "Overdue, waiting to be cleared (0)" in page.get_data(as_text=True)
    resp = stranger.client.post(
        url,
        data={
            "form": "clear",
            "csrf_token": csrf_token(
                stranger.client.get(f"/employers/pay/settings?lid={stranger.lid}")
            ),
            "overdue_id": row.id,
            "note": "Clearing someone else's overdue payment.",
        },
    )
    assert resp.status_code == 404
    assert overdue_rows(app, engagement_id)[0].cleared_at is None


def test_students_and_faculty_cannot_open_the_advisor_pages(app, world):
    for who in ("student", "faculty"):
        person = world[who]
        for path in ("overdue", "report", "settings", "report.csv"):
            resp = person.client.get(f"/employers/pay/{path}?lid={person.lid}")
            assert resp.status_code == 403, (who, path)


def test_approving_a_waiting_listing_of_a_blocked_employer_is_refused(app, world, seed_listing):
    tenant_id = world["school"].tenant_id
    waiting = seed_listing(tenant_id, pay_amount_cents=20000, title="Low pay sprint")
    with app.app_context():
        assert db.session.get(Listing, waiting).status == "pending_approval"  # below the floor
    engagement_id = paid_engagement(app, world, ended_days_ago=10)
    tick(app)
    assert len(overdue_rows(app, engagement_id)) == 1
    advisor = world["advisor"]
    url = f"/internships/{waiting}/approve"
    token = csrf_token(advisor.client.get(f"{url}?lid={advisor.lid}"))
    resp = advisor.client.post(
        url, data={"lid": advisor.lid, "csrf_token": token, "form": "approve", "note": "fine"}
    )
    assert resp.status_code == 422 and "cannot publish new listings" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Listing, waiting).status == "pending_approval"


def test_an_invited_employer_with_overdue_payments_cannot_submit_a_listing(app, world):
    from tests.internships.work.helpers import public_client
    from tests.internships.work.test_invitations import invite, listing_form

    tenant_id = world["school"].tenant_id
    engagement_id = paid_engagement(app, world, ended_days_ago=10)
    tick(app)
    assert len(overdue_rows(app, engagement_id)) == 1
    path = invite(app, world["advisor"], employer=str(_acme(app, tenant_id)))
    employer = public_client(app)
    page = employer.get(path)
    assert page.status_code == 200
    resp = employer.post(path, data=listing_form(csrf_token(page)))
    text = resp.get_data(as_text=True)
    assert resp.status_code == 422, text[:500]
    assert "cannot publish new listings" in text
    with app.app_context():
        assert not db.session.scalar(
            select(Listing.id).where(
                Listing.tenant_id == tenant_id, Listing.source == "employer_form"
            )
        )
