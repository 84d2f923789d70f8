"""Back after a refused form, in a real chromium: the page shows again, never the browser's
"Confirm form resubmission" (ERR_CACHE_MISS) page.

A form posts to its page's own address (``lti_tool.page_forms``), but that alone does not keep
Back working: the refused form's page (422) is the answer to a POST, pages are ``no-store``,
and chromium asks to resend a POST entry it cannot show from its cache, whatever its address.
The area layouts turn such an entry into a GET of the same address (``history.replaceState``);
the control below shows the same steps without script ending on chromium's error."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Error, expect

from tests.helpers import ADVISOR_RULE

pytestmark = pytest.mark.browser


def _advisor(driver: Any, make_platform: Any) -> str:
    school = make_platform(tenant_settings=ADVISOR_RULE)
    return (
        driver(school)
        .launch(
            sub="adv-back",
            role="faculty",
            course=None,
            custom={"career_credit_role": "advisor"},
            follow=False,
        )
        .lid
    )


def _refuse_then_add(page: Any, tool_url: str, lid: str, name: str) -> str:
    """From the frameworks list to a framework; add an item without a name (refused), then
    with one (added). The framework page's address."""
    page.goto(f"{tool_url}/frameworks/?lid={lid}")
    page.click("text=NACE Career Readiness Competencies")
    expect(page.locator("h2", has_text="Add an item")).to_be_visible()
    address = page.url
    page.fill("#statement", "Keeps going when a plan fails.")
    page.click("button:has-text('Add item')")
    expect(page.locator("#name-error")).to_contain_text("Give the item a name.")
    assert page.url == address  # refused at the page's own address
    expect(page.locator("#statement")).to_have_value("Keeps going when a plan fails.")
    page.fill("#name", name)
    page.click("button:has-text('Add item')")
    expect(page.locator(".flash-success")).to_contain_text(f"Added “{name}”.")
    assert page.url == address  # the redirect after the POST, to the page itself
    return address


def test_back_after_a_refused_form_shows_the_tools_page(
    browser: Any, browser_page: Any, live_server: Any, driver: Any, make_platform: Any
) -> None:
    lid = _advisor(driver, make_platform)
    page = browser_page
    address = _refuse_then_add(page, live_server.tool_url, lid, "Resilience")
    page.go_back()  # to the refused form's entry: loaded afresh, by GET
    expect(page.locator("h1")).to_have_text("NACE Career Readiness Competencies")
    assert page.url == address
    expect(page.locator("a", has_text="Resilience")).to_be_visible()  # a fresh page
    expect(page.locator("#name-error")).to_have_count(0)
    page.go_back()  # the framework as first opened
    expect(page.locator("h1")).to_have_text("NACE Career Readiness Competencies")
    page.go_back()  # the list it was opened from
    expect(page.locator("h1")).to_have_text("Outcome frameworks")
    page.go_forward()
    page.go_forward()
    expect(page.locator("h1")).to_have_text("NACE Career Readiness Competencies")
    page.reload()  # reloading the refused form's entry asks nothing either
    expect(page.locator("h1")).to_have_text("NACE Career Readiness Competencies")
    # nothing refused by the CSP, no script error: only the refusal's own 422 is reported
    assert [e for e in page.console_errors if "status of 422" not in e] == []

    # Control: the same steps where script cannot run end on chromium's resubmission error.
    context = browser.new_context(java_script_enabled=False)
    try:
        plain = context.new_page()
        _refuse_then_add(plain, live_server.tool_url, lid, "Grit")
        with pytest.raises(Error, match="ERR_CACHE_MISS"):
            plain.go_back()
    finally:
        context.close()
