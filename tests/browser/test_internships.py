"""The internship pages in a real chromium pass axe-core's WCAG 2.1 A/AA rules: the board
(with filters open and results paged), a listing, the advisor's form with errors shown, the
manage page and the approval form. Launches are real (signed, through the test client); the
browser then opens the pages with the launch id in the URL, as inside a cookie-less iframe."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from internships.demo import seed_listings
from lti_tool.actor import Actor
from lti_tool.extensions import db
from tests.helpers import ADVISOR_RULE
from tests.internships.test_imports import CSV

pytestmark = pytest.mark.browser


@pytest.fixture
def school(app: Any, make_platform: Any) -> Any:
    platform = make_platform(tenant_settings=ADVISOR_RULE)
    with app.app_context():
        seed_listings(platform.tenant_id, today=dt.date.today())
        db.session.commit()
    return platform


def test_student_board_and_listing_are_accessible(
    browser_page: Any, live_server: Any, driver: Any, school: Any, assert_accessible: Any
) -> None:
    lid = driver(school).launch(sub="stu-axe", role="student", follow=False).lid
    page = browser_page
    page.goto(f"{live_server.tool_url}/internships/?lid={lid}&per=1&min_hours=5")
    expect(page.locator("h1")).to_have_text("Micro-internships")
    expect(page.locator(".listing-card").first).to_be_visible()
    assert_accessible(page, "the course board with filters open")
    page.fill("#q", "data")
    page.click("button[type=submit]")
    expect(page.locator("#results-heading")).to_contain_text("for “data”")
    page.locator(".listing-card h3 a").first.click()
    expect(page.locator("h2", has_text="At a glance")).to_be_visible()
    assert_accessible(page, "a listing's page")
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert csp_errors == []


def test_advisor_pages_are_accessible(
    browser_page: Any,
    live_server: Any,
    driver: Any,
    school: Any,
    assert_accessible: Any,
    tmp_path: Any,
) -> None:
    lid = (
        driver(school)
        .launch(
            sub="adv-axe",
            role="faculty",
            course=None,
            custom={"career_credit_role": "advisor"},
            follow=False,
        )
        .lid
    )
    page = browser_page
    page.goto(f"{live_server.tool_url}/internships/manage?lid={lid}")
    expect(page.locator("h1")).to_have_text("Manage listings")
    assert_accessible(page, "the manage page")
    page.goto(f"{live_server.tool_url}/internships/new?lid={lid}")
    page.fill("#summary", "Kept after the error")
    page.click("#publish")
    expect(page.locator("[role=alert]")).to_contain_text("The listing was not saved")
    expect(page.locator("#summary")).to_have_value("Kept after the error")
    assert_accessible(page, "the listing form with errors")
    page.goto(f"{live_server.tool_url}/internships/manage?lid={lid}")
    page.locator("a", has_text="Review").first.click()
    expect(page.locator("h1")).to_contain_text("Approve")
    assert_accessible(page, "the approval form")
    page.locator("a", has_text="Read the whole listing").click()
    expect(page.locator("h2", has_text="Take off the board")).to_be_visible()
    assert_accessible(page, "a listing's page for an advisor")
    csv_file = tmp_path / "listings.csv"
    csv_file.write_text(CSV, encoding="utf-8")
    page.goto(f"{live_server.tool_url}/internships/import?lid={lid}")
    page.set_input_files("#file", str(csv_file))
    page.click("button[type=submit]")
    expect(page.locator("#report-heading")).to_contain_text("2 created")
    assert_accessible(page, "the import report")


def test_public_employer_form_and_its_error_page_are_accessible(
    app: Any, browser_page: Any, live_server: Any, school: Any, assert_accessible: Any
) -> None:
    from internships.services.invitations import issue_invitation
    from lti_tool.models import Tenant

    with app.app_context():
        tenant = db.session.get(Tenant, school.tenant_id)
        tenant.settings = {**(tenant.settings or {}), "career_center_email": "careers@example.edu"}
        token = issue_invitation(
            Actor(school.tenant_id, "axe test"), "hr@employer.example", lambda t: t
        )
        db.session.commit()
    page = browser_page
    page.goto(f"{live_server.tool_url}/supervisor/listing/{token}")
    expect(page.locator("h1")).to_contain_text("Offer a micro-internship")
    assert_accessible(page, "the public employer form")
    page.fill("#contact_name", "Priya Nair")
    page.click("button[type=submit]")
    expect(page.locator("[role=alert]")).to_contain_text("Nothing was saved")
    assert_accessible(page, "the public employer form with errors")
    page.fill("#employer_name", "Axe Test Studio")
    page.fill("#contact_name", "Priya Nair")
    page.fill("#title", "Accessible checkout audit")
    page.fill("#estimated_hours", "12")
    page.fill("#pay_amount", "400")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Thank you")
    assert_accessible(page, "the public form's thank-you page")
    page.goto(f"{live_server.tool_url}/supervisor/listing/{token}")
    expect(page.locator("[data-reason=used]")).to_be_visible()
    expect(page.locator("a[href^=mailto]")).to_have_text("careers@example.edu")
    assert_accessible(page, "a used invitation's page")
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []


def test_new_advisor_and_faculty_pages_are_accessible(
    app: Any,
    browser_page: Any,
    live_server: Any,
    driver: Any,
    school: Any,
    assert_accessible: Any,
    tmp_path: Any,
) -> None:
    from internships.services import jobs as job_svc

    advisor = driver(school).launch(
        sub="adv-axe-2",
        role="faculty",
        course=None,
        custom={"career_credit_role": "advisor"},
        follow=False,
    )
    faculty = driver(school).launch(sub="fac-axe", role="faculty", follow=False)
    page = browser_page
    base = live_server.tool_url
    page.goto(f"{base}/internships/invitations?lid={advisor.lid}")
    expect(page.locator("h1")).to_have_text("Employer invitations")
    page.fill("#email", "not-an-email")
    page.click("button[type=submit]")
    expect(page.locator("[role=alert]")).to_contain_text("Nothing was sent")
    assert_accessible(page, "the invitations page with an error")
    page.fill("#email", "hr@example.org")
    page.click("button[type=submit]")
    expect(page.locator("table")).to_contain_text("hr@example.org")
    assert_accessible(page, "the invitations page with an invitation")
    page.goto(f"{base}/work/cpt?lid={advisor.lid}")
    expect(page.locator("h1")).to_have_text("CPT approvals")
    assert_accessible(page, "the CPT approvals page")
    page.goto(f"{base}/profile/import?lid={advisor.lid}")
    expect(page.locator("h1")).to_have_text("Import student records")
    assert_accessible(page, "the SIS import page")
    with app.app_context():
        job = job_svc.create_job(
            Actor(school.tenant_id, "Axe Advisor <a@example.edu> (user 1)"),
            "profiles",
            "sis.csv",
            "lms_user_id,program\nsomeone,History\n",
        )
        db.session.commit()
        job_id = job.id
    page.goto(f"{base}/internships/import/jobs/{job_id}?lid={advisor.lid}")
    expect(page.locator("#import-status")).to_contain_text("Waiting to start")
    assert_accessible(page, "an import's progress page")
    with app.app_context():
        job_svc.run_job(job_id)
    # The page's script polls the counters and reloads into the report when the job ends.
    expect(page.locator("#report-heading")).to_contain_text("Finished", timeout=15000)
    assert_accessible(page, "an import's report page")
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []

    page.goto(f"{base}/work/caps?lid={faculty.lid}")
    expect(page.locator("h1")).to_contain_text("Workload caps")
    assert_accessible(page, "the course's workload caps page")
    page.goto(f"{base}/internships/?lid={faculty.lid}")
    page.locator(".listing-card h3 a").nth(2).click()
    page.locator("button", has_text="Pin to the top").click()
    expect(page.locator(".badge", has_text="Pinned by your instructor")).to_be_visible()
    assert_accessible(page, "a pinned listing's page for faculty")
    page.goto(f"{base}/internships/?lid={faculty.lid}")
    expect(page.locator(".listing-card").first).to_contain_text("Pinned by your instructor")
    assert_accessible(page, "the course board with a pinned listing")
