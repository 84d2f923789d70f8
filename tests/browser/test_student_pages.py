"""The student's pages in a real chromium (issue 18): the home, the board, a listing and an
engagement pass axe-core's WCAG 2.1 A/AA rules; the home's next-step button works by keyboard;
the timeline's states read as words; at 320 px wide no page scrolls sideways (WCAG reflow).
Launches are real and signed; the browser carries the launch id in the URL, as inside a
cookie-less LMS iframe."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from internships.demo import seed_listings
from internships.work.models import HourLog
from lti_tool.auth import load_launch
from lti_tool.extensions import db
from tests.credit.conftest import give_work
from tests.helpers import ADVISOR_RULE

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("STUDENT_SHOTS")  # a folder: save what the test saw, to look at


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def school(app: Any, make_platform: Any) -> Any:
    platform = make_platform(tenant_settings=ADVISOR_RULE)
    with app.app_context():
        seed_listings(platform.tenant_id, today=dt.date.today())
        db.session.commit()
    return platform


def _no_sideways_scroll(page: Any, what: str) -> None:
    wide = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert wide[0] <= wide[1] + 1, f"{what} scrolls sideways at 320 px: {wide}"


def test_the_next_step_works_by_keyboard(
    browser_page: Any, live_server: Any, driver: Any, school: Any, assert_accessible: Any
) -> None:
    lid = driver(school).launch(sub="stu-next", role="student", follow=False).lid
    page = browser_page
    page.goto(f"{live_server.tool_url}/home/student?lid={lid}")
    expect(page.locator("#next-step-heading")).to_have_text("Find a micro-internship")
    assert_accessible(page, "the student's home with nothing started")
    _shot(page, "student-home-new")
    for _ in range(40):  # Tab to the next step's button, as a keyboard user does
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "next-step-action":
            break
    else:
        pytest.fail("the next step's button is not reached by Tab")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Micro-internships")
    assert f"lid={lid}" in page.url


def test_student_pages_pass_axe_and_reflow(
    app: Any,
    browser_page: Any,
    live_server: Any,
    driver: Any,
    school: Any,
    assert_accessible: Any,
) -> None:
    lid = driver(school).launch(sub="stu-pages", role="student", follow=False).lid
    with app.app_context():
        ctx = load_launch(lid)
        assert ctx is not None
        engagement = give_work(
            ctx,
            hours=12,
            pending_hours=3,
            status="active",
            reflection=False,
            evaluation=False,
            start=dt.date.today() - dt.timedelta(days=14),
        )
        db.session.commit()
        engagement_id = engagement.id
        log_id = db.session.scalar(
            select(HourLog.id).where(
                HourLog.engagement_id == engagement_id, HourLog.status == "pending"
            )
        )
    base, page = live_server.tool_url, browser_page
    pages = {
        "the student's home": f"{base}/home/student?lid={lid}",
        "the board": f"{base}/internships/?lid={lid}",
        "an engagement": f"{base}/work/engagements/{engagement_id}?lid={lid}",
    }
    page.goto(pages["the student's home"])
    expect(page.locator("#next-step-heading")).to_have_text("Log this week's hours")
    # the timeline's states are words, not only colours
    done = page.locator("ol.timeline li.done").first
    expect(done).to_contain_text("Done:")
    expect(page.locator("ol.timeline li.current").first).to_contain_text("Now:")
    expect(page.locator("ol.timeline li.todo").first).to_contain_text("Next:")
    page.goto(pages["the board"])
    listing = page.locator(".listing-card a").first
    pages["a listing"] = listing.evaluate("a => a.href")
    for what, url in pages.items():
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page, what)
        _shot(page, what.replace("'", "").replace(" ", "-"))
        page.set_viewport_size({"width": 320, "height": 800})
        page.reload()
        _no_sideways_scroll(page, what)
        _shot(page, what.replace("'", "").replace(" ", "-") + "-320")
    more = {
        "my applications": f"{base}/work/applications?lid={lid}",
        "the reflection": f"{base}/work/engagements/{engagement_id}/reflection?lid={lid}",
        "an hour entry": f"{base}/work/engagements/{engagement_id}/hours/{log_id}?lid={lid}",
        "the profile": f"{base}/profile/?lid={lid}",
        "for you": f"{base}/profile/for-you?lid={lid}",
    }
    page.set_viewport_size({"width": 1280, "height": 900})
    for what, url in more.items():
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page, what)
    page.goto(pages["an engagement"])
    expect(page.locator("ol.timeline li.current")).to_contain_text("Now:")
    expect(page.locator("figure.chart img")).to_be_visible()
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert csp_errors == []
