"""The root page in a real browser: it passes axe-core, and the favicon loads."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_root_page_is_accessible(
    browser_page: Any, live_server: Any, assert_accessible: Any
) -> None:
    browser_page.goto(f"{live_server.tool_url}/")
    expect(browser_page.locator("h1")).to_have_text("Career Credit")
    expect(browser_page.get_by_role("link", name="Open the sandbox LMS")).to_be_visible()
    assert_accessible(browser_page, "the root page")
    icon = browser_page.evaluate(
        "async () => (await fetch(document.querySelector('link[rel=icon]').href)).status"
    )
    assert icon == 200
