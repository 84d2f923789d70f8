"""The instructor's pages in a real chromium (issue 18): the faculty home (credit at a glance
and the review queue before the roster), the course's progress with its chart and the chart's
data table, and the two-column review page pass axe-core's WCAG 2.1 A/AA rules; the decision
panel is reached with the keyboard and credit is denied with the keyboard alone, behind its
confirmation tick; at 320 px wide no page scrolls sideways (WCAG 1.4.10 reflow). Launches are
real and signed; the launch id rides in the URL, as inside a cookie-less LMS iframe."""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.sync_api import expect

from credit.services import awards
from lti_tool.auth import load_launch
from lti_tool.extensions import db
from tests.conftest import sandbox_launch
from tests.credit.conftest import give_work
from tests.helpers import press_refresh_roster

pytestmark = pytest.mark.browser

SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
FOCUS_IN_DECISION = "() => !!document.activeElement.closest('#decision')"


@pytest.fixture
def course(app: Any, driver: Any, make_platform: Any) -> dict[str, Any]:
    """An instructor, a student ready for review, one still working and one awarded."""
    school = make_platform()
    faculty = driver(school).launch(sub="fac-pages", role="faculty", follow=False).lid
    ready = driver(school).launch(sub="stu-ready", role="student", follow=False).lid
    working = driver(school).launch(sub="stu-working", role="student", follow=False).lid
    done = driver(school).launch(sub="stu-done", role="student", follow=False).lid
    admin = driver(school).launch(sub="admin-pages", role="admin", follow=False).lid
    with app.app_context():
        ctx = {lid: load_launch(lid) for lid in (faculty, ready, working, done)}
        assert all(ctx.values())
        give_work(ctx[ready], hours=50, pending_hours=3)
        give_work(ctx[working], hours=6, status="active", reflection=False, evaluation=False)
        give_work(ctx[done], hours=50)
        db.session.commit()
        awards.award_credit(
            ctx[faculty],
            ctx[done].user_id,
            awards.AwardInput(1, None, "", awards.new_idempotency_key()),
            lineitem_url=None,  # no column: nothing is queued for a made-up LMS
        )
        db.session.commit()
        return {"faculty": faculty, "admin": admin, "ready_id": ctx[ready].user_id}


def _shot(page: Any, name: str) -> None:
    """A full-page screenshot when FACULTY_SHOTS names a folder (for looking, not asserting)."""
    folder = os.environ.get("FACULTY_SHOTS")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_faculty_pages_pass_axe_and_reflow(
    browser_page: Any, live_server: Any, course: dict[str, Any], assert_accessible: Any
) -> None:
    page = browser_page
    base, lid = live_server.tool_url, course["faculty"]
    page.goto(f"{base}/home/faculty?lid={lid}")
    glance = page.get_by_role("list", name="Credit at a glance")
    expect(glance.get_by_role("link", name="1 ready for your review")).to_be_visible()
    # the figures and the queue come before the roster
    order = page.evaluate(
        """() => ['ul.stat-cards', '#queue-preview-heading', '#roster-heading']
             .map((s) => document.querySelector(s).getBoundingClientRect().top)"""
    )
    assert order == sorted(order)
    expect(page.get_by_role("link", name="Review Person stu-ready")).to_be_visible()
    assert_accessible(page, "the faculty home")
    _shot(page, "faculty-home")

    page.goto(f"{base}/credit/course?lid={lid}")
    chart = page.locator("figure.chart img")
    expect(chart).to_have_attribute(
        "alt",
        "Bar chart of students by where they stand: "
        + (
            "Not started 0, In progress 1, Ready for review 1, Changes requested 0, "
            "Awaiting second approval 0, Credit awarded 1, Credit denied 0."
        ),
    )
    page.locator("figure.chart summary").click()  # the figures as a table
    data = page.locator("figure.chart table")
    expect(data.locator("tbody tr")).to_have_count(7)
    expect(data.get_by_role("row", name="Ready for review 1")).to_be_visible()
    assert_accessible(page, "the course's progress with the chart's table open")
    _shot(page, "course-progress")

    page.goto(f"{base}/credit/students/{course['ready_id']}?lid={lid}")
    expect(page.locator("#decision-heading")).to_be_visible()
    assert_accessible(page, "the review page")
    _shot(page, "review")

    for path, what in (
        ("/credit/queue", "the review queue"),
        ("/credit/approvals", "second approvals, none waiting"),
        ("/credit/course?state=working", "the course page filtered to the students still working"),
    ):
        page.goto(f"{base}{path}{'&' if '?' in path else '?'}lid={lid}")
        assert_accessible(page, what)
    for path in ("/credit/failures", "/credit/defaults", "/credit/awards"):
        page.goto(f"{base}{path}?lid={course['admin']}")
        assert_accessible(page, f"the administrator's {path}")

    page.set_viewport_size({"width": 320, "height": 720})
    for path in ("/home/faculty", "/credit/course", f"/credit/students/{course['ready_id']}"):
        page.goto(f"{base}{path}?lid={lid}")
        assert page.evaluate(SIDEWAYS) <= 0, f"{path} scrolls sideways at 320 px"
    _shot(page, "review-320")
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []


def test_the_decision_is_reached_and_credit_denied_by_keyboard(
    browser_page: Any, live_server: Any, course: dict[str, Any]
) -> None:
    page = browser_page
    base, lid = live_server.tool_url, course["faculty"]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/credit/students/{course['ready_id']}?lid={lid}")
    # "Go to the decision", at the top of the page, takes the keyboard to the panel
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == (
            "Go to the decision"
        ):
            break
    else:
        pytest.fail("no “Go to the decision” link in the Tab order")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS_IN_DECISION), "Tab after the jump is not in the decision panel"
    # the panel stays in view while the evidence scrolls (sticky aside)
    page.mouse.wheel(0, 1500)
    box = page.locator("#decision").bounding_box()
    assert box is not None and box["y"] < 900

    # Deny, by keyboard: open the confirmation, give a reason, forget the tick: refused
    deny = page.locator("details.confirm > summary")
    deny.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#deny-message")).to_be_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "deny-message"
    page.keyboard.type("The work was not academic in scope.")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "deny-confirm"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Deny credit"
    page.keyboard.press("Enter")
    expect(page.locator("text=Tick the box to confirm that credit is denied.")).to_be_visible()
    expect(page.locator("#deny-message")).to_have_value("The work was not academic in scope.")
    # the refused form is open again; tick with Space, send with Enter
    page.locator("#deny-confirm").focus()
    page.keyboard.press("Space")
    expect(page.locator("#deny-confirm")).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".pill", has_text="Credit denied").first).to_be_visible()


def test_the_roster_from_the_lms_folds_below_the_credit_figures(
    app: Any, browser_page: Any, live_server: Any, sandbox: Any, assert_accessible: Any
) -> None:
    client = app.test_client()
    launched = sandbox_launch(client, sandbox, course="bus-390", person="priya-raman")
    assert press_refresh_roster(client, launched.lid).status_code == 303
    page = browser_page
    page.goto(f"{live_server.tool_url}/home/faculty?lid={launched.lid}")
    roster = page.locator("details.roster-details")
    expect(roster.locator("table")).to_be_hidden()  # folded: the figures come first
    roster.locator("summary").press("Enter")
    expect(roster.get_by_role("cell", name="Amara Okafor")).to_be_visible()
    assert_accessible(page, "the faculty home with the roster open")
    page.set_viewport_size({"width": 320, "height": 720})
    assert page.evaluate(SIDEWAYS) <= 0, "the faculty home scrolls sideways at 320 px"
