"""Launches in a real chromium whose profile blocks third-party cookies (as Safari, and Chrome
with third-party cookies off, do): the tool keeps its OIDC state in the LMS's platform storage
(1EdTech client-side postMessage flow), falls back to cookies where they work, and offers a
new window where the LMS has no storage. Each test first proves the profile's setting is real."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from lti_tool.actor import Actor
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, cookie_profile

pytestmark = pytest.mark.browser

STUDENT, STUDENT_NAME, COURSE = "amara-okafor", "Amara Okafor", "bus-390"
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"xref\n0 3\ntrailer\n<< /Root 1 0 R /Size 3 >>\nstartxref\n9\n%%EOF\n"
)


@pytest.fixture
def open_listing(app: Any, sandbox: Any) -> str:
    """An open listing in the sandbox tenant with no eligibility rules; returns its title."""
    import secrets

    from internships.services.listings import ListingInput, create_listing, ensure_employer
    from lti_tool.extensions import db
    from lti_tool.registration.services.tenants import find_registration

    title = f"Survey data clean-up {secrets.token_hex(3)}"
    with app.app_context():
        tenant_id = find_registration(sandbox.issuer, sandbox.client_id).tenant_id
        employer = ensure_employer(Actor(tenant_id, "tests"), "Riverside Food Bank")
        create_listing(
            Actor(tenant_id, "tests"),
            ListingInput(
                employer_id=employer.id,
                title=title,
                estimated_hours=10,
                compensation_type="fixed",
                pay_amount_cents=40000,
                location_type="remote",
                summary="Clean and chart a volunteer survey.",
            ),
            submit=True,
        )
        db.session.commit()
    return title


@pytest.fixture
def profile(request: Any) -> Iterator[Any]:
    """A persistent chromium context whose preferences block (or allow) third-party cookies."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found")
    from playwright.sync_api import sync_playwright

    # Assertions wait as long as actions (a launch is several round trips; a busy machine is
    # slow): expect's own default is 5 s, and only the `browser` fixture raised it, so this
    # module's waits depended on which tests had run before it.
    expect.set_options(timeout=TIMEOUT_MS)
    block = request.param
    folder = cookie_profile(block)
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
def test_blocked_cookies_launch_through_platform_storage(
    profile, live_server, sandbox, open_listing
):
    _prove_setting(profile, live_server)
    page = _open(profile, live_server)
    frame = page.frame_locator("#tool-frame")
    expect(frame.locator("h1")).to_have_text(f"Welcome, {STUDENT_NAME}")
    # the tool stored state and nonce in the LMS's storage frame (two put_data messages)
    assert page.locator("html").get_attribute("data-lti-storage-puts") == "2"
    assert _tool_cookies(profile, live_server) == []
    # pages and forms keep working without the cookie: the launch id and a CSRF token bound
    # to it travel with them — search (GET), then an application with a résumé (POST)
    frame.locator("a", has_text="Browse micro-internships").click()
    expect(frame.locator("h1")).to_have_text("Micro-internships")
    frame.get_by_role("searchbox").fill(open_listing)
    frame.get_by_role("button", name="Search").click()
    expect(frame.locator("#results-heading")).to_contain_text("1 listing")
    frame.get_by_role("link", name=open_listing).first.click()
    frame.get_by_role("link", name=f"Apply to {open_listing}").click()
    frame.get_by_label("Why you", exact=False).first.fill(
        "I cleaned survey data for two student societies and enjoy careful analysis."
    )
    frame.get_by_label("availab", exact=False).first.fill("Tuesday and Thursday afternoons")
    frame.locator("input[type=file]").set_input_files(
        files=[{"name": "cv.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    frame.locator("input[type=checkbox][name=consent]").check()
    frame.locator("form [type=submit]").last.click()
    expect(frame.locator("h1")).to_have_text("My applications")
    expect(frame.locator("main")).to_contain_text(open_listing)
    assert _tool_cookies(profile, live_server) == []


@pytest.mark.parametrize("profile", [False], indirect=True)
def test_allowed_cookies_launch_works_too(profile, live_server, sandbox):
    _prove_setting(profile, live_server)
    page = _open(profile, live_server, storage="off")
    frame = page.frame_locator("#tool-frame")
    expect(frame.locator("h1")).to_have_text(f"Welcome, {STUDENT_NAME}")
    assert page.locator("html").get_attribute("data-lti-storage-puts") is None
    frame.locator("a", has_text="Browse micro-internships").click()
    frame.get_by_role("searchbox").fill("data")
    frame.get_by_role("button", name="Search").click()
    expect(frame.locator("#results-heading")).to_contain_text("for “data”")


@pytest.mark.parametrize("profile", [True], indirect=True)
def test_no_storage_and_no_cookies_offers_a_new_window(profile, live_server, sandbox):
    _prove_setting(profile, live_server)
    page = _open(profile, live_server, storage="off")
    frame = page.frame_locator("#tool-frame")
    button = frame.locator("a", has_text="Open Career Credit in a new window")
    expect(button).to_be_visible()
    expect(frame.locator("footer")).to_have_count(0)  # in the LMS's chrome: no footer of ours
    with profile.expect_page() as popup_info:
        button.click()
    popup = popup_info.value
    expect(popup.locator("h1")).to_have_text(f"Welcome, {STUDENT_NAME}")
    assert popup.url.startswith(live_server.tool_url)


# Run in every frame before its scripts: on the tool's pages, the platform's first answer to
# lti.get_data reaches the tool's listener 2.5 s late — what a busy machine did now and then
# (the storage script gave up after 2 s and posted the launch without the stored state:
# state_mismatch after the first POST).
SLOW_FIRST_GET_DATA = """(toolOrigin) => {
  if (window.location.origin !== toolOrigin) { return; }
  const add = window.addEventListener;
  let delayed = false;
  window.addEventListener = function (type, listener, options) {
    if (type === "message" && typeof listener === "function") {
      const inner = listener;
      listener = function (event) {
        const data = event.data || {};
        if (!delayed && data.subject === "lti.get_data.response") {
          delayed = true;
          window.setTimeout(() => inner.call(window, event), 2500);
          return undefined;
        }
        return inner.call(window, event);
      };
    }
    return add.call(this, type, listener, options);
  };
}"""


@pytest.mark.parametrize("profile", [True], indirect=True)
def test_a_slow_platform_storage_answer_still_launches(profile, live_server, sandbox):
    _prove_setting(profile, live_server)
    profile.add_init_script(script=f"({SLOW_FIRST_GET_DATA})({json.dumps(live_server.tool_url)})")
    page = _open(profile, live_server)
    frame = page.frame_locator("#tool-frame")
    expect(frame.locator("h1")).to_have_text(f"Welcome, {STUDENT_NAME}")
    assert _tool_cookies(profile, live_server) == []


# Run in the LMS page (the top frame) before its scripts: its platform-storage listener starts
# 1.5 s late, as when the LMS page is still loading its own scripts while the tool's frame
# already asks (the first lti.capabilities was lost, and the launch refused).
LATE_LMS_LISTENER = """(platformOrigin) => {
  if (window.top !== window || window.location.origin !== platformOrigin) { return; }
  const add = window.addEventListener;
  window.addEventListener = function (type, listener, options) {
    if (type === "message") {
      window.setTimeout(() => add.call(window, type, listener, options), 1500);
      return undefined;
    }
    return add.call(this, type, listener, options);
  };
}"""


@pytest.mark.parametrize("profile", [True], indirect=True)
def test_an_lms_page_that_listens_late_still_launches(profile, live_server, sandbox):
    _prove_setting(profile, live_server)
    profile.add_init_script(script=f"({LATE_LMS_LISTENER})({json.dumps(live_server.platform_url)})")
    page = _open(profile, live_server)
    frame = page.frame_locator("#tool-frame")
    expect(frame.locator("h1")).to_have_text(f"Welcome, {STUDENT_NAME}")
    assert page.locator("html").get_attribute("data-lti-storage-puts") == "2"
