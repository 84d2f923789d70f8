"""The Career advisors admin page in a real chromium: it passes axe with the claim rule's
advisors listed, with a search that is too short, with results and a refused grant, and after
a grant; the search and the grant work from the keyboard alone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

RULE = {"advisor_claim": {"name": "career_credit_role", "value": "advisor"}}


def test_the_advisors_page_is_accessible_and_works_from_the_keyboard(
    app, browser_page, live_server, make_platform, driver, assert_accessible
):
    platform = make_platform(tenant_settings=RULE)
    driver(platform).launch(
        sub="adv-claim-b",
        role="faculty",
        course=None,
        custom={"career_credit_role": "advisor"},
        name="Cleo Claim",
    )
    driver(platform).launch(sub="hana-b", role="faculty", name="Hana Search")
    lid = driver(platform).launch(sub="adv-admin-b", role="admin", course=None, follow=False).lid
    page = browser_page
    address = f"{live_server.tool_url}/admin/advisors?lid={lid}"
    page.goto(address)
    expect(page.locator("h1")).to_contain_text("Career advisors")
    expect(page.locator("section", has=page.locator("#claim-heading"))).to_contain_text(
        "Cleo Claim"
    )
    assert_accessible(page, "the Career advisors page")

    # one character: the search says what it needs
    page.get_by_label("Name or email address").fill("h")
    page.keyboard.press("Enter")
    expect(page.locator("#advisor-q-error")).to_contain_text("at least 2 characters")
    assert_accessible(page, "the Career advisors page with a too-short search")

    page.get_by_label("Name or email address").fill("hana")
    page.keyboard.press("Enter")
    expect(page.locator("legend")).to_contain_text("1 person matches")
    # Grant without choosing: refused at the page's own address, the results kept
    page.get_by_role("button", name="Grant advisor role").click()
    expect(page.locator("#user-error")).to_contain_text("Choose a person")
    assert re.search(r"/admin/advisors\?q=hana&page=1&lid=", page.url)  # the search's own
    assert_accessible(page, "the Career advisors page with a refused grant")

    radio = page.get_by_role("radio", name=re.compile("Hana Search"))
    radio.focus()
    page.keyboard.press("Space")
    expect(radio).to_be_checked()
    page.keyboard.press("Tab")  # to the Grant button
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text("The career advisor role is granted")
    expect(page.locator("section", has=page.locator("#grants-heading"))).to_contain_text(
        "Hana Search"
    )
    assert_accessible(page, "the Career advisors page with a grant")
