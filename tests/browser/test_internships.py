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
from lti_tool.extensions import db
from tests.internships.test_imports import CSV

pytestmark = pytest.mark.browser

ADVISOR_RULE = {"advisor_claim": {"name": "career_credit_role", "value": "advisor"}}


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
            sub="adv-axe", role="faculty", custom={"career_credit_role": "advisor"}, follow=False
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
