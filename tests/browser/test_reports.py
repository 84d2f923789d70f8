"""The advisor reports in a real chromium pass axe-core's WCAG 2.1 A/AA rules: the overview,
the student table filtered to students at risk, employer outcomes, grade sync, the thresholds
form with an error shown, a progress report with its charts, notes and share forms, and the
student's own report and home. Launches are real (signed, through the test client); the
browser opens the pages with the launch id in the URL, as inside a cookie-less iframe."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from accreditation.reports import home_snapshots
from accreditation.reports.services.common import current_term, terms
from lti_tool.extensions import db
from tests.accreditation.reports.conftest import world  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def test_advisor_report_pages_are_accessible(
    browser_page: Any,
    live_server: Any,
    world: Any,  # noqa: F811 - the imported fixture
    assert_accessible: Any,
) -> None:
    page = browser_page
    base, lid = live_server.tool_url, world.advisor.lid
    page.goto(f"{base}/home/advisor?lid={lid}")
    expect(page.locator("#reports-panel-heading")).to_be_visible()
    assert_accessible(page, "the advisor's home with this term's counts")
    page.goto(f"{base}/reports/?lid={lid}")
    expect(page.locator("h1")).to_contain_text("Reports for")
    assert_accessible(page, "the reports overview")
    page.locator("nav.subnav a", has_text="Students at risk").click()
    expect(page.locator("h1")).to_have_text("Students at risk")
    expect(page.locator("#results-count")).to_contain_text("4 engagements")
    assert_accessible(page, "the student table filtered to students at risk")
    page.select_option("#risk", "low_rating")
    page.fill("#q", "tran")
    page.click("button[type=submit]")
    expect(page.locator("#results-count")).to_contain_text("1 engagement")
    page.locator("tbody th a", has_text="Benjamin Tran").click()
    expect(page.locator("h1")).to_have_text("Progress report: Benjamin Tran")
    expect(page.locator("figure img")).to_have_count(3)
    assert_accessible(page, "a progress report with charts, notes and the share form")
    page.click("text=Save the note")
    expect(page.locator("[role=alert]")).to_contain_text("The note was not saved")
    assert_accessible(page, "the note form with an error")
    page.goto(f"{base}/reports/employers?lid={lid}")
    expect(page.locator("h1")).to_have_text("Employers and listings")
    assert_accessible(page, "employer outcomes")
    page.locator("tbody th a", has_text="Beta Labs").click()
    expect(page.locator("h1")).to_contain_text("Beta Labs")
    assert_accessible(page, "an employer's listings")
    page.goto(f"{base}/reports/grades?lid={lid}&state=pending")
    assert_accessible(page, "grade sync")
    page.goto(f"{base}/reports/settings?lid={lid}")
    page.fill("#lowest_level", "9")
    page.click("text=Save thresholds")
    expect(page.locator("[role=alert]")).to_contain_text("The thresholds were not saved")
    assert_accessible(page, "the thresholds form with an error")
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert csp_errors == []


def test_student_report_is_accessible(
    browser_page: Any,
    live_server: Any,
    world: Any,  # noqa: F811 - the imported fixture
    assert_accessible: Any,
) -> None:
    page = browser_page
    base, lid = live_server.tool_url, world.ben.lid
    page.goto(f"{base}/home/student?lid={lid}")
    expect(page.locator("#my-report-heading")).to_be_visible()
    assert_accessible(page, "the student's home with the report panel")
    page.locator("a", has_text="Read your progress report").click()
    expect(page.locator("h1")).to_have_text("Progress report: Benjamin Tran")
    expect(page.locator("text=Follow-up notes")).to_have_count(0)
    assert_accessible(page, "the student's own progress report")


def test_the_student_tables_employer_name_box_is_accessible(
    browser_page: Any,
    live_server: Any,
    world: Any,  # noqa: F811 - the imported fixture
    assert_accessible: Any,
    monkeypatch: Any,
) -> None:
    """Past EMPLOYER_OPTIONS employers (lowered here to one: the live server runs in this
    process) the filter is a labelled name box; it passes axe and filters by keyboard."""
    from accreditation.reports.services import students

    monkeypatch.setattr(students, "EMPLOYER_OPTIONS", 1)
    page = browser_page
    page.goto(f"{live_server.tool_url}/reports/students?lid={world.advisor.lid}")
    box = page.get_by_label("Employer name")
    expect(box).to_be_visible()
    expect(page.locator("#employer_name-hint")).to_contain_text("too many to list")
    assert_accessible(page, "the student table with the employer name box")
    box.fill("beta")
    box.press("Enter")
    expect(page.locator("#results-count")).to_contain_text("engagement")
    expect(page.locator("tbody")).to_contain_text("Beta Labs")
    expect(page.locator("tbody")).not_to_contain_text("Acme Analytics")
    assert_accessible(page, "the student table filtered by an employer's name")


def test_kept_home_figures_and_refresh_now_are_accessible(
    browser_page: Any,
    live_server: Any,
    world: Any,  # noqa: F811 - the imported fixture
    assert_accessible: Any,
    monkeypatch: Any,
    app: Any,
) -> None:
    """At a state system's size the home shows kept figures with their age and "Refresh now":
    pressed by keyboard, it works them out again and says so (no cookie: the launch id)."""
    monkeypatch.setitem(app.config, "ADVISOR_HOME_KEEP_FROM", 1)
    page = browser_page
    base, lid = live_server.tool_url, world.advisor.lid
    page.goto(f"{base}/reports/?lid={lid}")  # worked out (none kept yet; no work pool here)
    expect(page.locator("#kept-age")).to_have_count(0)
    with app.app_context():
        today = dt.date.today()
        term = current_term(terms(world.tenant_id), today)
        home_snapshots.refresh(world.tenant_id, term, today)  # as the work pool does
        db.session.commit()
    page.goto(f"{base}/reports/?lid={lid}")
    expect(page.locator("#kept-age")).to_contain_text("Figures as of")
    assert_accessible(page, "the reports overview with kept figures")
    refresh = page.get_by_role("button", name="Refresh now")
    refresh.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("The figures are worked out again.")).to_be_visible()
    expect(page.locator("#kept-age")).to_contain_text("Figures as of")
