"""The sandbox LMS on localhost launches the tool on 127.0.0.1 in a cross-site iframe, in a real
chromium; every page the launch issue adds passes axe-core's WCAG 2.1 A/AA rules."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from lti_tool.sandbox.seed import COURSES, PEOPLE

pytestmark = pytest.mark.browser

COURSE_KEY, _, COURSE_TITLE = COURSES[0]  # bus-390
NAMES = {key: f"{given} {family}" for key, _, given, family in PEOPLE}


def tool_frame(page: Any) -> Any:
    """The iframe's current frame (re-read after it navigates)."""
    frame = page.locator("#tool-frame").element_handle().content_frame()
    assert frame is not None
    return frame


def launch(
    page: Any, live_server: Any, person: str, course: str | None = COURSE_KEY, **extra: str
) -> Any:
    """Open the sandbox's launch page and return the tool's frame once its page has rendered."""
    query = {"person": person} | ({"course": course} if course else {}) | extra
    page.goto(f"{live_server.platform_url}/sandbox/launch?{urlencode(query)}")
    tool = page.frame_locator("#tool-frame")
    try:
        expect(tool.locator("header .who")).to_contain_text(NAMES[person])
    except AssertionError as exc:  # say where the launch stopped, and what the browser said
        urls = [frame.url for frame in page.frames]
        raise AssertionError(f"{exc}\nframes: {urls}\nconsole: {page.console_errors}") from exc
    frame = tool_frame(page)
    assert frame.url.startswith(live_server.tool_url), frame.url  # the tool, on the other site
    return frame


def test_student_launch_renders_home_in_cross_site_iframe(
    browser_page: Any, live_server: Any, sandbox: Any, assert_accessible: Any
) -> None:
    assert live_server.platform_url.startswith("http://localhost:")
    assert live_server.tool_url.startswith("http://127.0.0.1:")

    frame = launch(browser_page, live_server, "amara-okafor")

    expect(frame.locator("header .who")).to_have_text(f"Amara Okafor · {COURSE_TITLE} · Student")
    expect(frame.locator("h1")).to_have_text("Welcome, Amara Okafor")
    expect(frame.locator("main")).to_contain_text(f"Course: {COURSE_TITLE}")
    csp_errors = [e for e in browser_page.console_errors if "Content Security Policy" in e]
    assert csp_errors == []
    assert_accessible(browser_page, "the sandbox launch page")
    assert_accessible(frame, "the student home inside the iframe")


def test_the_launch_page_takes_its_own_address_and_reloads_without_posting_again(
    browser_page: Any, live_server: Any, sandbox: Any
) -> None:
    """The launch POST answers with the student's home, which replaces the POST in the frame's
    history with its own address (the launch id in it): a reload is a GET of the page, never
    the id_token posted again (which a used state would refuse)."""
    frame = launch(browser_page, live_server, "amara-okafor")
    expect(frame.locator("h1")).to_have_text("Welcome, Amara Okafor")
    address = frame.evaluate("() => location.pathname + location.search")
    assert address.startswith("/home/student?lid="), address
    frame.evaluate("() => { window.beforeReload = true; }")
    with frame.expect_navigation() as navigation:
        frame.evaluate("() => location.reload()")
    response = navigation.value
    assert response is not None and response.request.method == "GET", response
    assert response.status == 200 and "/home/student?lid=" in response.url
    reloaded = tool_frame(browser_page)
    expect(reloaded.locator("h1")).to_have_text("Welcome, Amara Okafor")
    assert reloaded.evaluate("() => window.beforeReload === undefined")  # a new document
    assert reloaded.evaluate("() => location.pathname + location.search") == address
    assert [e for e in browser_page.console_errors if "Content Security Policy" in e] == []


def test_sandbox_home_is_accessible(
    browser_page: Any, live_server: Any, sandbox: Any, assert_accessible: Any
) -> None:
    browser_page.goto(f"{live_server.platform_url}/sandbox")
    expect(browser_page.locator("main")).to_contain_text(COURSE_TITLE)
    assert_accessible(browser_page, "the sandbox home")


@pytest.mark.parametrize(
    ("person", "course", "role"),
    [
        ("priya-raman", COURSE_KEY, "Instructor"),
        ("marcus-lee", COURSE_KEY, "Teaching assistant (read-only)"),
        ("jordan-ellis", None, "Career advisor"),  # advisors and admins: account navigation
        ("linda-okafor", COURSE_KEY, "Observer"),
        ("sam-whitfield", None, "Career Credit administrator"),
    ],
)
def test_role_home_is_accessible(
    browser_page: Any,
    live_server: Any,
    sandbox: Any,
    assert_accessible: Any,
    person: str,
    course: str | None,
    role: str,
) -> None:
    frame = launch(browser_page, live_server, person, course)

    expect(frame.locator("header .who")).to_contain_text(role)
    assert_accessible(frame, f"the {role.lower()} page")


def test_error_page_is_accessible(
    browser_page: Any, live_server: Any, sandbox: Any, assert_accessible: Any
) -> None:
    response = browser_page.goto(f"{live_server.tool_url}/lti/launch")

    assert response is not None
    assert 400 <= response.status < 500
    expect(browser_page.locator("main")).to_be_visible()
    assert_accessible(browser_page, "the launch error page")


def test_admin_sections_are_accessible(
    browser_page: Any, live_server: Any, sandbox: Any, assert_accessible: Any
) -> None:
    launch(browser_page, live_server, "sam-whitfield", None)
    tool = browser_page.frame_locator("#tool-frame")

    sections = tool.get_by_role("navigation", name="Administration sections")
    for section, heading in [
        ("Career advisors", "Career advisors at"),
        ("Settings", "Settings for"),
    ]:
        sections.get_by_role("link", name=section).click()
        expect(sections.get_by_role("link", name=section)).to_have_attribute("aria-current", "page")
        expect(tool.locator("h1")).to_contain_text(heading)
        assert_accessible(tool_frame(browser_page), f"the admin {section.lower()} page")


def test_deep_linking_picker_and_placement_are_accessible(
    browser_page: Any, live_server: Any, sandbox: Any, assert_accessible: Any
) -> None:
    launch(browser_page, live_server, "priya-raman", message="deep_link")
    tool = browser_page.frame_locator("#tool-frame")
    expect(tool.locator("h1")).to_have_text("Add Career Credit to your course")
    assert_accessible(tool_frame(browser_page), "the deep-linking picker")

    tool.get_by_role("button", name="Add to course").click()  # nothing chosen: refused
    expect(tool.get_by_role("alert")).to_contain_text("Choose at least one item")
    assert_accessible(tool_frame(browser_page), "the deep-linking picker with an error")

    tool.get_by_label("Micro-internship credit").check()
    tool.get_by_role("button", name="Add to course").click()

    expect(tool.locator("h1")).to_have_text(f"Content added to {COURSE_TITLE}")
    expect(tool.locator("#placed-items")).to_contain_text("Graded:")
    frame = tool_frame(browser_page)
    assert frame.url.startswith(live_server.platform_url), frame.url  # back on the LMS
    assert_accessible(frame, "the sandbox's placed-content page")


def test_sandbox_gradebook_and_error_pages_are_accessible(
    browser_page: Any, live_server: Any, sandbox: Any, assert_accessible: Any
) -> None:
    browser_page.goto(f"{live_server.platform_url}/sandbox/gradebook?course={COURSE_KEY}")
    expect(browser_page.locator("h1")).to_have_text(f"Gradebook: {COURSE_TITLE}")
    assert_accessible(browser_page, "the sandbox gradebook")

    response = browser_page.goto(f"{live_server.platform_url}/sandbox/launch?person=nobody")
    assert response is not None
    assert 400 <= response.status < 500
    assert_accessible(browser_page, "the sandbox error page")
