"""The import report with every problem and key, the drafts list and the completion form in a
real chromium pass axe-core's WCAG 2.1 A/AA rules; an advisor reaches the drafts by clicking
from Manage listings and completes one with the keyboard-operable form."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.helpers import ADVISOR_RULE
from tests.internships.test_imports import posting

pytestmark = pytest.mark.browser


def test_import_report_drafts_and_completion_are_accessible(
    browser_page: Any,
    live_server: Any,
    driver: Any,
    make_platform: Any,
    assert_accessible: Any,
    tmp_path: Any,
) -> None:
    school = make_platform(tenant_settings=ADVISOR_RULE)
    lid = (
        driver(school)
        .launch(
            sub="adv-drafts-axe",
            role="faculty",
            course=None,
            custom={"career_credit_role": "advisor"},
            follow=False,
        )
        .lid
    )
    draft = posting("AX-1", title="Archive tagging sprint", workHours="")
    draft.pop("identifier")
    draft["datePosted"] = "2030-09-01"
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps([draft, posting("AX-2", title="", baseSalary=None)]))
    page = browser_page
    base = live_server.tool_url
    page.goto(f"{base}/internships/import?lid={lid}")
    page.set_input_files("#file", str(feed))
    page.click("button[type=submit]")
    expect(page.locator("#report-heading")).to_contain_text("1 draft waits for an advisor")
    expect(page.locator("td li", has_text="The title is missing")).to_be_visible()
    assert_accessible(page, "the import report with problems, keys and a draft")

    page.goto(f"{base}/internships/manage?lid={lid}")
    page.locator("#drafts-heading + p a", has_text="Drafts to complete").click()
    expect(page.locator("h1")).to_have_text("Drafts to complete")
    expect(page.locator("tbody tr")).to_have_count(1)
    assert_accessible(page, "the drafts list")
    page.locator("a", has_text="Complete").click()
    expect(page.locator("h1")).to_contain_text("Archive tagging sprint")
    assert_accessible(page, "the completion form")
    page.click("button[type=submit]")
    expect(page.locator("[role=alert]")).to_contain_text("The listing was not submitted")
    assert_accessible(page, "the completion form with an error")
    page.fill("#estimated_hours", "30")
    page.press("#estimated_hours", "Enter")
    expect(page.locator(".flashes")).to_contain_text("is complete: it is open to students")
    expect(page.locator("main")).to_contain_text("No imported draft waits for you.")
