"""The sandbox's competencies page (the course's Moodle competencies and the ratings Career
Credit wrote back) and its home page's Moodle section pass axe-core's WCAG 2.1 A/AA rules in a
real chromium, with a rating on the page."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from connectors import moodle
from lti_tool.admin.services.connections import credentials_for
from lti_tool.extensions import db
from lti_tool.registration.services.tenants import find_registration
from lti_tool.sandbox.seed import stable_id
from tests.browser.conftest import assert_accessible, browser, browser_page

pytestmark = pytest.mark.browser
__all__ = ["assert_accessible", "browser", "browser_page"]  # the browser package's fixtures


def test_the_competencies_and_home_pages_are_accessible(
    app: Any, browser_page: Any, live_server: Any, sandbox: Any, assert_accessible: Any
) -> None:
    with app.app_context():
        reg = find_registration(sandbox.issuer, sandbox.client_id)
        creds = credentials_for(reg.id)
        url, token = creds.moodle_url, creds.moodle_ws_token
        db.session.rollback()
    client = moodle.MoodleClient(url, token, requests.Session())
    course, grace = int(stable_id("course:cs-195")), int(stable_id("person:grace-kim"))
    moodle.grade_competency_in_course(client, course, grace, 28, 4, "Career Credit: page test")

    browser_page.goto(f"{live_server.platform_url}/sandbox/competencies?course=cs-195")
    expect(browser_page.locator("h1")).to_have_text("Competencies: CS 195 Professional Practice")
    expect(browser_page.locator("#competency-ratings")).to_contain_text("4 · Advanced Application")
    assert_accessible(browser_page, "the sandbox's competencies page")

    browser_page.goto(f"{live_server.platform_url}/sandbox")
    expect(browser_page.locator("#moodle-heading")).to_be_visible()
    assert_accessible(browser_page, "the sandbox home page with its Moodle section")
