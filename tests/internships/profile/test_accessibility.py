"""The profile and "For you" pages in a real chromium pass axe-core's WCAG 2.1 A/AA rules
(fixtures of tests/browser), with the launch id in the URL as inside a cookie-less iframe."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import conftest as browser_fixtures

pytestmark = pytest.mark.browser
browser = browser_fixtures.browser
browser_page = browser_fixtures.browser_page
assert_accessible = browser_fixtures.assert_accessible


def test_profile_and_for_you_pages_are_accessible(
    browser_page: Any, live_server: Any, school: Any, seed_listing: Any, assert_accessible: Any
) -> None:
    seed_listing(school.tenant_id, skills=["sql"], competencies=["Teamwork"])
    student = school.person("student")
    page = browser_page
    page.goto(f"{live_server.tool_url}/profile/?lid={student.lid}")
    expect(page.locator("h1")).to_have_text("Your profile")
    assert_accessible(page, "the profile form")
    page.fill("#weekly_availability_hours", "99")
    page.click("button[type=submit]")
    expect(page.locator("[role=alert]")).to_be_visible()
    assert_accessible(page, "the profile form with errors")
    page.fill("#weekly_availability_hours", "10")
    page.check("#skills input[value=sql]")
    page.click("button[type=submit]")
    expect(page.locator("body")).to_contain_text("Your profile is saved.")
    page.goto(f"{live_server.tool_url}/profile/for-you?lid={student.lid}")
    expect(page.locator(".reasons").first).to_contain_text("Uses your SQL")
    assert_accessible(page, "the For you page")
