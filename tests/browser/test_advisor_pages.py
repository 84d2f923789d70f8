"""The career advisor's pages in a real chromium (issue 18): the home, the reports dashboard, the
student table and a student's progress report pass axe-core with zero violations; the stat
cards are links a keyboard reaches and follows; each chart has its data table; at 320 px no page
scrolls sideways (a wide table scrolls inside its own box)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.accreditation.reports.conftest import world  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

PAGES = (
    ("/home/advisor", "the advisor's home"),
    ("/reports/", "the reports dashboard"),
    ("/reports/students", "the student table"),
)


def _pages(world: Any) -> list[tuple[str, str]]:  # noqa: F811 - the imported fixture's value
    return [*PAGES, (f"/reports/students/{world.ids['ben']}", "a student's progress report")]


def test_the_advisor_pages_pass_axe_wide_and_at_320_px(
    browser_page: Any,
    live_server: Any,
    world: Any,  # noqa: F811 - the imported fixture
    assert_accessible: Any,
) -> None:
    page = browser_page
    base, lid = live_server.tool_url, world.advisor.lid
    for path, what in _pages(world):
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{base}{path}?lid={lid}")
        expect(page.locator("h1")).to_have_count(1)
        assert_accessible(page, what)
        page.set_viewport_size({"width": 320, "height": 640})
        page.reload()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 320, f"{what} scrolls sideways at 320 px ({width} px wide)"
        assert_accessible(page, f"{what} at 320 px")
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert csp_errors == []


def test_stat_cards_are_links_a_keyboard_reaches_and_follows(
    browser_page: Any,
    live_server: Any,
    world: Any,  # noqa: F811 - the imported fixture
) -> None:
    page = browser_page
    page.goto(f"{live_server.tool_url}/reports/?lid={world.advisor.lid}")
    card = page.locator(".stat-card a", has_text="Active engagements")
    expect(card).to_have_count(1)
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.closest('.stat-card') !== null"):
            break
    else:
        pytest.fail("Tab never reached a stat card")
    while not page.evaluate(
        "() => (document.activeElement.textContent || '').includes('Active engagements')"
    ):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Students across courses")
    expect(page.locator("#state")).to_have_value("active")
    expect(page.locator("#results-count")).to_contain_text("2 engagements")

    page.goto(f"{live_server.tool_url}/home/advisor?lid={world.advisor.lid}")
    page.locator(".stat-card a", has_text="Engagements at risk").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Students at risk")


def test_each_chart_has_its_data_table(
    browser_page: Any,
    live_server: Any,
    world: Any,  # noqa: F811 - the imported fixture
) -> None:
    page = browser_page
    base, lid = live_server.tool_url, world.advisor.lid
    for path, charts in (("/reports/", 2), (f"/reports/students/{world.ids['ben']}", 3)):
        page.goto(f"{base}{path}?lid={lid}")
        figures = page.locator("figure.chart")
        expect(figures).to_have_count(charts)
        for i in range(charts):
            figure = figures.nth(i)
            alt = figure.locator("img").get_attribute("alt") or ""
            assert len(alt) > 30, f"{path}: chart {i} says too little: {alt!r}"
            summary = figure.locator("summary", has_text="The figures as a table")
            summary.focus()
            page.keyboard.press("Enter")  # a keyboard opens the table
            expect(figure.locator("table")).to_be_visible()
    page.goto(f"{base}/reports/?lid={lid}")
    page.locator("figure.chart summary").first.click()
    page.locator("figure.chart table a", has_text="Submitted for review").click()
    expect(page.locator("#state")).to_have_value("submitted")
