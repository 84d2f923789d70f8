"""Launches in a real chromium whose profile blocks third-party cookies (as Safari, and Chrome
with third-party cookies off, do): the tool keeps its OIDC state in the LMS's platform storage
(1EdTech client-side postMessage flow), falls back to cookies where they work, and offers a
new window where the LMS has no storage. Each test first proves the profile's setting is real."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS

pytestmark = pytest.mark.browser

STUDENT, STUDENT_NAME, COURSE = "amara-okafor", "Amara Okafor", "bus-390"


@pytest.fixture
def profile(request: Any) -> Iterator[Any]:
    """A persistent chromium context whose preferences block (or allow) third-party cookies."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found")
    from playwright.sync_api import sync_playwright

    block = request.param
    folder = Path(tempfile.mkdtemp(prefix="cc-chromium-"))
    (folder / "Default").mkdir()
    (folder / "Default" / "Preferences").write_text(
        json.dumps(
            {
                "profile": {
                    "cookie_controls_mode": 1 if block else 0,
                    "block_third_party_cookies": block,
                }
            }
        )
    )
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(folder), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.block = block
        yield context
        context.close()


def _open(context: Any, live_server: Any, **query: str) -> Any:
    page = context.new_page()
    params = {"course": COURSE, "person": STUDENT, **query}
    page.goto(f"{live_server.platform_url}/sandbox/launch?{urlencode(params)}")
    return page


def _tool_cookies(context: Any, live_server: Any) -> list[dict]:
    return context.cookies(live_server.tool_url)


def _prove_setting(context: Any, live_server: Any) -> None:
    """A cookie set inside the cross-site frame comes back only when the profile allows it."""
    page = _open(context, live_server)
    frame = page.frame_locator("#tool-frame")
    expect(frame.locator("header .who")).to_contain_text(STUDENT_NAME)
    stored = [c["name"] for c in _tool_cookies(context, live_server)]
    if context.block:
        assert stored == [], f"third-party cookies were not blocked: {stored}"
    else:
        assert "cc_session" in stored
    page.close()


@pytest.mark.parametrize("profile", [True], indirect=True)
def test_blocked_cookies_launch_through_platform_storage(profile, live_server, sandbox):
    _prove_setting(profile, live_server)
    page = _open(profile, live_server)
    frame = page.frame_locator("#tool-frame")
    expect(frame.locator("h1")).to_have_text(f"Welcome, {STUDENT_NAME}")
    # the tool stored state and nonce in the LMS's storage frame (two put_data messages)
    assert page.locator("html").get_attribute("data-lti-storage-puts") == "2"
    assert _tool_cookies(profile, live_server) == []
    # pages and forms keep working without the cookie: the launch id travels with them
    frame.locator("a", has_text="Browse micro-internships").click()
    expect(frame.locator("h1")).to_have_text("Micro-internships")
    frame.get_by_role("searchbox").fill("data")
    frame.get_by_role("button", name="Search").click()
    expect(frame.locator("#results-heading")).to_contain_text("for “data”")
    assert _tool_cookies(profile, live_server) == []


@pytest.mark.parametrize("profile", [False], indirect=True)
def test_allowed_cookies_launch_works_too(profile, live_server, sandbox):
    _prove_setting(profile, live_server)
    page = _open(profile, live_server, storage="off")
    frame = page.frame_locator("#tool-frame")
    expect(frame.locator("h1")).to_have_text(f"Welcome, {STUDENT_NAME}")
    assert page.locator("html").get_attribute("data-lti-storage-puts") is None


@pytest.mark.parametrize("profile", [True], indirect=True)
def test_no_storage_and_no_cookies_offers_a_new_window(profile, live_server, sandbox):
    _prove_setting(profile, live_server)
    page = _open(profile, live_server, storage="off")
    frame = page.frame_locator("#tool-frame")
    button = frame.locator("a", has_text="Open Career Credit in a new window")
    expect(button).to_be_visible()
    with profile.expect_page() as popup_info:
        button.click()
    popup = popup_info.value
    popup.wait_for_load_state()
    expect(popup.locator("h1")).to_have_text(f"Welcome, {STUDENT_NAME}")
    assert popup.url.startswith(live_server.tool_url)
