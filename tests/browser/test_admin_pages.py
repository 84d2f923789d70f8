"""The administrator's overview and install guides in a real browser (issue 18): both pass
axe-core's WCAG 2.1 A/AA rules, the overview's figures are links a keyboard reaches, and at
320 px neither page scrolls sideways (wide tables scroll in their own box)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.lti_tool.test_admin import pending_deployment

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


def _admin(make_platform: Any, driver: Any) -> str:
    return driver(make_platform()).launch(sub="admin-pages", role="admin", course=None).lid


def test_overview_and_guides_pass_axe(
    browser_page: Any, live_server: Any, make_platform: Any, driver: Any, assert_accessible: Any
) -> None:
    lid = _admin(make_platform, driver)
    page = browser_page
    page.goto(f"{live_server.tool_url}/admin/?lid={lid}")
    expect(page.locator("h1")).to_have_text("Career Credit administration")
    expect(page.locator(".stat-card")).to_have_count(5)
    assert_accessible(page, "the administrator's overview")
    page.get_by_role("link", name="Install guides").first.click()
    expect(page.locator("h1")).to_have_text("Install guides")
    expect(page.get_by_role("heading", name="Install in Canvas (developer key)")).to_be_visible()
    assert_accessible(page, "the install guides")
    page.get_by_role("link", name="Registrations and keys").first.click()
    expect(page.locator("h1")).to_have_text("Registrations and keys")
    assert_accessible(page, "the registrations and keys")


def test_what_waits_for_approval_passes_axe_on_the_overview(
    browser_page: Any, live_server: Any, make_platform: Any, driver: Any, assert_accessible: Any
) -> None:
    platform = make_platform(strict=True)
    pending_deployment(platform, driver, "waits-for-you")
    lid = driver(platform).launch(sub="admin-waits", role="admin", course=None).lid
    page = browser_page
    page.goto(f"{live_server.tool_url}/admin/?lid={lid}")
    expect(page.get_by_role("heading", name="Deployments waiting for approval")).to_be_visible()
    expect(page.locator("#pending-heading ~ .table-scroll")).to_contain_text("waits-for-you")
    assert_accessible(page, "the overview with a deployment waiting for approval")
    page.get_by_role("button", name="Approve").first.click()
    expect(page.locator(".flash")).to_contain_text("is approved")
    expect(page.locator("h1")).to_have_text("Career Credit administration")


def test_overview_cards_are_links_a_keyboard_reaches(
    browser_page: Any, live_server: Any, make_platform: Any, driver: Any
) -> None:
    lid = _admin(make_platform, driver)
    page = browser_page
    page.goto(f"{live_server.tool_url}/admin/?lid={lid}")
    cards = page.locator(".stat-card a")
    expect(cards).to_have_count(5)
    wanted = {cards.nth(i).get_attribute("href") for i in range(cards.count())}
    reached: set[str] = set()
    for _ in range(80):  # Tab through the page: each card's link takes the focus in turn
        page.keyboard.press("Tab")
        href = page.evaluate(
            "() => document.activeElement.closest('.stat-card') ? "
            "document.activeElement.getAttribute('href') : null"
        )
        if href:
            reached.add(href)
        if reached == wanted:
            break
    assert reached == wanted
    # Enter on the registrations card opens the page it counts
    cards.first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Registrations and keys")


@pytest.mark.parametrize("path", ["/admin/", "/admin/guides", "/admin/registrations"])
def test_no_sideways_scroll_at_320_px(
    browser_page: Any, live_server: Any, make_platform: Any, driver: Any, path: str
) -> None:
    lid = _admin(make_platform, driver)
    page = browser_page
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{live_server.tool_url}{path}?lid={lid}")
    expect(page.locator("h1")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL), page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
