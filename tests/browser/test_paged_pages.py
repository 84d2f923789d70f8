"""The pages that scale (issue 17) in a real chromium, with the launch id in the URL as inside a
cookie-less iframe: the manage page searched and paged, the audit trail searched and paged, a
background import's report paged; each passes axe-core's WCAG 2.1 A/AA rules."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.helpers import ADVISOR_RULE
from tests.internships.test_import_report_pages import finished_job
from tests.internships.test_manage_pages import bulk_listings
from tests.lti_tool.test_audit_page import seed_entries

pytestmark = pytest.mark.browser


def test_manage_page_and_import_report_page_through_filters(
    app: Any,
    browser_page: Any,
    live_server: Any,
    make_platform: Any,
    driver: Any,
    assert_accessible: Any,
) -> None:
    school = make_platform(tenant_settings=ADVISOR_RULE)
    bulk_listings(app, school.tenant_id, [f"Survey {n:02d}" for n in range(70)])
    bulk_listings(app, school.tenant_id, ["Draft idea"], status="draft")
    job_id = finished_job(app, school.tenant_id, rows=250)
    custom = {"career_credit_role": "advisor"}
    lid = driver(school).launch(sub="adv-pages", role="faculty", course=None, custom=custom).lid
    page = browser_page
    page.goto(f"{live_server.tool_url}/internships/manage?lid={lid}")
    expect(page.locator(".pagination p")).to_have_text("Page 1 of 2")
    page.fill("#manage-q", "survey")
    page.select_option("#manage-sort", "title")
    page.click("button:has-text('Show listings')")
    expect(page.locator("#all-heading + form + table caption")).to_contain_text("70 listings match")
    page.click("a[rel=next]")
    expect(page.locator(".pagination p")).to_have_text("Page 2 of 2")
    expect(page.locator("#manage-q")).to_have_value("survey")
    expect(page.locator("#manage-sort")).to_have_value("title")
    assert_accessible(page, "the manage page, filtered, on its second page")

    page.goto(f"{live_server.tool_url}/internships/import/jobs/{job_id}?lid={lid}")
    expect(page.get_by_text("9 rows with problems, 241 imported")).to_be_visible()
    page.click("a[rel=next]")
    expect(page.locator(".pagination p")).to_have_text("Page 2 of 3")
    assert_accessible(page, "an import report's second page")


def test_audit_trail_page(
    app: Any,
    browser_page: Any,
    live_server: Any,
    make_platform: Any,
    driver: Any,
    assert_accessible: Any,
) -> None:
    platform = make_platform()
    seed_entries(app, platform.tenant_id, 120)
    lid = driver(platform).launch(sub="admin-audit", role="admin", course=None).lid
    page = browser_page
    page.goto(f"{live_server.tool_url}/admin/?lid={lid}")
    page.click("a:has-text('Search the whole audit trail')")
    expect(page.locator("h1")).to_contain_text("Audit trail")
    page.fill("#audit-q", "alice")
    page.fill("#audit-since", "2026-03-02")
    page.click("button:has-text('Search')")
    expect(page.locator("table caption")).to_contain_text("59 entries match")
    page.click("a[rel=next]")
    expect(page.locator(".pagination p")).to_have_text("Page 2 of 2")
    expect(page.locator("#audit-q")).to_have_value("alice")
    assert_accessible(page, "the audit trail, searched, on its second page")
