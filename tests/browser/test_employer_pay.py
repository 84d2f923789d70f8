"""Employer pay in a real chromium: inside the LMS frame with third-party cookies blocked, the
student confirms a payment the employer marked (the form carries the launch id; no cookie is
needed) and sees the confirmation; the pay panel on the supervisor's workspace page (marking a
payment, and a refusal), the advisor's overdue payments, pay report and pay settings pass
axe-core's WCAG 2.1 A/AA rules."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from internships.employers.pay.services.overdue import notice_overdue
from internships.employers.pay.services.payments import PaymentInput, mark_payment
from internships.supervisor.links import issue_link
from internships.work.models import Engagement
from internships.work.services.engagements import acknowledge_agreement
from lti_tool.actor import Actor
from lti_tool.auth import load_launch
from lti_tool.extensions import db
from tests.browser.test_launch import tool_frame
from tests.browser.test_third_party_cookies import (  # noqa: F401 (the profile fixture)
    _prove_setting,
    _tool_cookies,
    profile,
)
from tests.helpers import ADVISOR_RULE
from tests.internships.work.helpers import accept, add_listing

pytestmark = pytest.mark.browser

STUDENT, STUDENT_COURSE = "chloe-martin", "bus-390"


def _paid_engagement(
    app: Any, lid: str, *, marked: bool, ended_days_ago: int = 0
) -> tuple[int, str]:
    """A paid engagement of the launched student ($450 fixed fee), a payment marked if asked:
    (engagement id, the supervisor's workspace path)."""
    with app.app_context():
        ctx = load_launch(lid)
        assert ctx is not None
        listing_id = add_listing(
            ctx.tenant_id, employer="Harbor Freight Co", pay_amount_cents=45000
        )
        engagement = accept(ctx, listing_id, override_reason="A browser test of pay")
        acknowledge_agreement(ctx, engagement.id)
        row = db.session.get(Engagement, engagement.id)
        assert row is not None
        if ended_days_ago:
            row.end_date = dt.date.today() - dt.timedelta(days=ended_days_ago)
            row.start_date = row.end_date - dt.timedelta(days=20)
        if marked:
            mark_payment(
                Actor(ctx.tenant_id, "supervisor link (browser test)"),
                row,
                PaymentInput(45000, "USD", dt.date.today(), "ACH 5521"),
            )
        token = issue_link(Actor(ctx.tenant_id, "tests"), "workspace", engagement.id, "")
        db.session.commit()
        return int(engagement.id), f"/workspace/{token}"


@pytest.mark.parametrize("profile", [True], indirect=True)
def test_the_student_confirms_a_payment_in_the_frame_without_cookies(
    app,
    profile,  # noqa: F811
    live_server,
    sandbox,
    assert_accessible,
):
    _prove_setting(profile, live_server)  # the cookie really is blocked in the frame
    page = profile.new_page()
    query = urlencode({"person": STUDENT, "course": STUDENT_COURSE})
    page.goto(f"{live_server.platform_url}/sandbox/launch?{query}")
    framed = page.frame_locator("#tool-frame")
    expect(framed.locator("header .who")).to_contain_text("Martin")
    lid = re.search(r"[?&]lid=([\w-]+)", tool_frame(page).url)
    assert lid, tool_frame(page).url
    engagement_id, _ = _paid_engagement(app, lid.group(1), marked=True)
    tool_frame(page).goto(
        f"{live_server.tool_url}/work/engagements/{engagement_id}?lid={lid.group(1)}"
    )
    expect(framed.locator("#pay-heading")).to_have_text("Pay")
    expect(framed.locator("#pay")).to_contain_text("ACH 5521")
    assert_accessible(tool_frame(page), "the engagement page's pay panel")

    framed.get_by_role("button", name=re.compile("Confirm I received it")).click()
    expect(framed.locator(".flash-success")).to_have_text("Thank you: the payment is confirmed.")
    expect(framed.locator("#pay")).to_contain_text("Received")
    expect(framed.get_by_role("button", name=re.compile("Confirm I received it"))).to_have_count(0)
    assert_accessible(tool_frame(page), "the pay panel after confirming")
    assert _tool_cookies(profile, live_server) == []


@pytest.fixture
def school(app: Any, make_platform: Any) -> Any:
    return make_platform(tenant_settings=ADVISOR_RULE)


def test_pay_pages_pass_axe(
    app: Any,
    browser_page: Any,
    live_server: Any,
    driver: Any,
    school: Any,
    assert_accessible: Any,
) -> None:
    student_lid = driver(school).launch(sub="pay-student", role="student", follow=False).lid
    advisor_lid = (
        driver(school)
        .launch(
            sub="pay-advisor",
            role="faculty",
            course=None,
            custom={"career_credit_role": "advisor"},
            follow=False,
        )
        .lid
    )
    engagement_id, supervisor_path = _paid_engagement(
        app, student_lid, marked=False, ended_days_ago=30
    )
    base, page = live_server.tool_url, browser_page

    page.goto(f"{base}{supervisor_path}")
    expect(page.locator("#pay-heading")).to_have_text("Pay")
    page.get_by_label("Amount paid").fill("-20")
    page.get_by_label("Date paid").fill(dt.date.today().isoformat())
    page.get_by_role("button", name="Mark as paid").click()
    expect(page.locator("#pay-amount-error")).to_contain_text("more than zero")
    assert_accessible(page, "the supervisor's pay panel showing a refusal")
    page.get_by_label("Amount paid").fill("200.00")
    page.get_by_label("Date paid").fill(dt.date.today().isoformat())
    page.get_by_role("button", name="Mark as paid").click()
    expect(page.locator(".notice.success")).to_contain_text("is marked as paid")
    assert_accessible(page, "the supervisor's workspace page with a payment")

    with app.app_context():  # the rest ($250) is overdue: the runner's sweep, now
        tenant_id = db.session.get(Engagement, engagement_id).tenant_id
        assert len(notice_overdue(tenant_id)) == 1
        db.session.commit()
    page.goto(f"{base}/home/advisor?lid={advisor_lid}")
    page.get_by_role("link", name="See the overdue payments and disputes").click()
    expect(page.locator("h1")).to_have_text("Overdue payments")
    expect(page.locator("#overdue-heading")).to_have_text("Overdue, waiting to be cleared (1)")
    page.get_by_role("button", name="Clear").click()
    expect(page.locator(".error-text").first).to_contain_text("Write why it is cleared")
    assert_accessible(page, "the advisor's overdue payments with a refusal")
    page.get_by_role("link", name="Pay report").click()
    expect(page.locator("h1")).to_have_text("Pay report")
    assert_accessible(page, "the advisor's pay report")
    page.get_by_role("link", name="Pay settings").click()
    expect(page.locator("h1")).to_have_text("Pay settings")
    assert_accessible(page, "the advisor's pay settings")
    page.goto(f"{base}/work/engagements/{engagement_id}?lid={advisor_lid}")
    expect(page.locator("#pay-terms-heading")).to_have_text("When payment is due")
    assert_accessible(page, "the advisor's engagement page with the pay panel")
