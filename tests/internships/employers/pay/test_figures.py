"""What the pay records add up to: an hourly engagement owes its confirmed hours, a fixed fee
over many confirmed hours falls below the pay floor (flagged on the panel and in the report),
a schedule splits what is due, the paid and unpaid share per employer and term (page and
CSV), and the figures H8's employer page and report read (``payments_due``,
``compliance_by_employer``)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from internships.employers.pay.services import compliance_by_employer, payments_due
from internships.models import Listing
from internships.work.models import Engagement
from lti_tool.extensions import db
from tests.internships.work.helpers import engaged

from .helpers import TODAY, confirm_hours, engagement_url, mark, post_panel, set_end, workspace_path


def _hourly_world(world, seed_listing) -> dict:
    listing = seed_listing(
        world["school"].tenant_id,
        employer="Initech",
        compensation_type="hourly",
        pay_amount_cents=2000,
    )
    return {**world, "listing": listing}


def test_an_hourly_engagement_owes_its_confirmed_hours(app, world, seed_listing):
    engagement_id = engaged(app, _hourly_world(world, seed_listing))
    set_end(app, engagement_id, TODAY + dt.timedelta(days=5))
    student = world["student"]
    page = student.client.get(engagement_url(student, engagement_id)).get_data(as_text=True)
    assert "$20.00 an hour" in page and "Owed so far" in page
    assert "Nothing due yet" in page  # no confirmed hours yet: nothing owed
    confirm_hours(app, engagement_id, 90)
    confirm_hours(app, engagement_id, 150, TODAY - dt.timedelta(days=39))
    page = student.client.get(engagement_url(student, engagement_id)).get_data(as_text=True)
    assert "Owed by the next due date" in page and "$80.00" in page  # 4 hours at $20
    with app.app_context():
        employer_id = db.session.get(Engagement, engagement_id).listing.employer_id
        [due] = payments_due(world["school"].tenant_id, employer_id)
        assert (due.engagement_id, due.amount_due_cents, due.currency) == (
            engagement_id,
            8000,
            "USD",
        )
        assert (due.state, due.due_on) == ("upcoming", TODAY + dt.timedelta(days=5))
        assert due.listing_title == "Market research sprint" and due.student_name
    assert mark(app, workspace_path(app, engagement_id), amount="80.00").status_code == 303
    with app.app_context():
        assert payments_due(world["school"].tenant_id, employer_id) == []


def test_a_fixed_fee_over_many_hours_falls_below_the_pay_floor(app, world):
    engagement_id = engaged(app, world)  # $500 for an estimated 20 hours: $25 an hour
    confirm_hours(app, engagement_id, 20 * 60)
    advisor = world["advisor"]
    page = advisor.client.get(engagement_url(advisor, engagement_id)).get_data(as_text=True)
    assert "The effective hourly rate is $25.00" in page and "Below the pay floor" not in page
    confirm_hours(app, engagement_id, 20 * 60, TODAY - dt.timedelta(days=38))  # 40 hours now
    page = advisor.client.get(engagement_url(advisor, engagement_id)).get_data(as_text=True)
    assert "The effective hourly rate is $12.50" in page and "Below the pay floor" in page
    report = advisor.client.get(f"/employers/pay/report?lid={advisor.lid}").get_data(as_text=True)
    assert "Engagements paid below the pay floor (1)" in report
    assert "$12.50 an hour over 40 confirmed hours" in report
    with app.app_context():
        employer_id = db.session.get(Engagement, engagement_id).listing.employer_id
        figures = compliance_by_employer(world["school"].tenant_id)
        assert figures[employer_id].below_floor == 1
        assert figures[employer_id].paid_engagements == 1


def test_a_schedule_splits_the_fee_over_its_due_dates(app, world):
    engagement_id = engaged(app, world)
    set_end(app, engagement_id, TODAY + dt.timedelta(days=8), days=28)  # started 20 days ago
    advisor = world["advisor"]
    bad = post_panel(advisor, engagement_id, "terms", due_rule="schedule", schedule_days="0")
    assert bad.status_code == 422 and "Give 1 to 92 days" in bad.get_data(as_text=True)
    resp = post_panel(advisor, engagement_id, "terms", due_rule="schedule", schedule_days="14")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:400]
    # due dates: 14 days after the start (6 days ago) and the end date: $250 each
    with app.app_context():
        employer_id = db.session.get(Engagement, engagement_id).listing.employer_id
        [due] = payments_due(world["school"].tenant_id, employer_id)
        assert (due.amount_due_cents, due.due_on, due.state) == (
            25000,
            TODAY - dt.timedelta(days=6),
            "due",
        )
    assert mark(app, workspace_path(app, engagement_id), amount="250.00").status_code == 303
    with app.app_context():
        [due] = payments_due(world["school"].tenant_id, employer_id)
        assert (due.amount_due_cents, due.due_on, due.state) == (
            25000,
            TODAY + dt.timedelta(days=8),
            "upcoming",
        )
    student = world["student"]
    refused = post_panel(student, engagement_id, "terms", due_rule="completion")
    assert refused.status_code == 403


def test_the_paid_and_unpaid_share_per_employer_and_term(app, world, seed_listing):
    tenant_id = world["school"].tenant_id
    engaged(app, world)
    unpaid = seed_listing(tenant_id, compensation_type="unpaid", pay_amount_cents=None)
    with app.app_context():  # approved with its seven-factor justification (tested elsewhere)
        db.session.get(Listing, unpaid).status = "open"
        db.session.commit()
    engaged(app, {**world, "student": world["other"], "listing": unpaid})
    advisor = world["advisor"]
    page = advisor.client.get(f"/employers/pay/report?lid={advisor.lid}").get_data(as_text=True)
    assert "Acme Analytics" in page and "50%" in page
    resp = advisor.client.get(f"/employers/pay/report.csv?lid={advisor.lid}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == [
        "Employer",
        "Term",
        "Paid engagements",
        "Unpaid engagements",
        "Paid share (%)",
    ]
    [acme] = [r for r in rows[1:] if r[0] == "Acme Analytics"]
    assert acme[2:5] == ["1", "1", "50"]
    with app.app_context():
        figures = compliance_by_employer(tenant_id)
        assert sum(f.paid_engagements for f in figures.values()) == 1  # the unpaid one is not


def test_compliance_counts_on_time_overdue_and_disputed(app, world, seed_listing):
    from .helpers import payments, tick

    tenant_id = world["school"].tenant_id
    on_time = engaged(app, world)
    set_end(app, on_time, TODAY - dt.timedelta(days=10))
    assert mark(app, workspace_path(app, on_time)).status_code == 303
    late = engaged(app, {**world, "student": world["other"], "listing": seed_listing(tenant_id)})
    set_end(app, late, TODAY - dt.timedelta(days=10))
    tick(app)
    student = world["student"]
    [payment] = payments(app, on_time)
    assert (
        post_panel(
            student, on_time, "dispute", payment_id=payment.id, note="The amount was short."
        ).status_code
        == 303
    )
    with app.app_context():
        employer_id = db.session.get(Engagement, on_time).listing.employer_id
        c = compliance_by_employer(tenant_id)[employer_id]
        assert (c.paid_engagements, c.paid_on_time, c.overdue, c.disputed) == (2, 0, 1, 1)
        # a period that ends before both engagements started counts neither
        assert compliance_by_employer(tenant_id, end=TODAY - dt.timedelta(days=60)) == {}
    _panel_agrees(app, tenant_id, {on_time: "disputed", late: "overdue"})
    assert (
        post_panel(
            world["advisor"],
            on_time,
            "resolve",
            payment_id=payment.id,
            resolution="received",
            note="The bank statement shows the full amount.",
        ).status_code
        == 303
    )
    with app.app_context():
        c = compliance_by_employer(tenant_id)[employer_id]
        assert (c.paid_on_time, c.overdue, c.disputed) == (1, 1, 0)
    _panel_agrees(app, tenant_id, {on_time: "paid", late: "overdue"})


def _panel_agrees(app, tenant_id: int, states: dict[int, str]) -> None:
    """The pay panel's standing of one engagement (``standing_of``: its own two statements)
    is the one the bulk figures (``standings``) work out, in the expected state."""
    from internships.employers.pay.services.figures import standing_of, standings
    from internships.employers.pay.services.payments import payments_of

    with app.app_context():
        bulk = {s.engagement.id: s for s in standings(tenant_id)}
        for engagement_id, state in states.items():
            engagement = db.session.get(Engagement, engagement_id)
            one = standing_of(engagement, payments_of(engagement))
            assert one == bulk[engagement_id] and one.state == state
            assert one.ever_overdue == bulk[engagement_id].ever_overdue
