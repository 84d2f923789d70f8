"""The administrator's data-rights pages in a real browser inside the sandbox LMS's iframe:
the form (with an error), and the confirmation step, each checked with axe-core."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_launch import launch, tool_frame

pytestmark = pytest.mark.browser


def test_data_rights_pages_are_accessible(
    browser_page: Any, live_server: Any, sandbox: Any, assert_accessible: Any
) -> None:
    launch(browser_page, live_server, "amara-okafor")  # known to the tool from now on
    launch(browser_page, live_server, "sam-whitfield", None)
    tool = browser_page.frame_locator("#tool-frame")
    sections = tool.get_by_role("navigation", name="Administration sections")
    sections.get_by_role("link", name="Data rights").click()
    expect(tool.locator("h1")).to_contain_text("Students' data rights at")
    assert_accessible(tool_frame(browser_page), "the data rights page")

    person = tool.get_by_label("Email address or LMS user id")
    person.fill("nobody@example.edu")
    tool.get_by_label("Export: download everything", exact=False).check()
    tool.get_by_role("button", name="Continue").click()
    expect(tool.locator("[role=alert]")).to_contain_text("Nothing was done")
    assert_accessible(tool_frame(browser_page), "the data rights page with an error")

    person.fill("amara.okafor@example.edu")
    tool.get_by_label("Export: download everything", exact=False).check()
    tool.get_by_role("button", name="Continue").click()
    expect(tool.locator("h1")).to_contain_text("Export Amara Okafor?")
    assert_accessible(tool_frame(browser_page), "the data rights confirmation page")
