"""Weekly check-ins in a real chromium: inside the LMS frame with third-party cookies
blocked, the student checks in on the engagement page and sees the confirmation (the form
carries the launch id; no cookie is needed); a refused check-in shows its errors; the
check-ins panel, the supervisor's confirmation on their workspace page and the reminder
settings page pass axe-core's WCAG 2.1 A/AA rules."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from internships.supervisor.links import issue_link
from internships.work.services.engagements import acknowledge_agreement
from lti_tool.actor import Actor
from lti_tool.auth import load_launch
from lti_tool.extensions import db
from tests.browser.test_launch import tool_frame
from tests.browser.test_third_party_cookies import (  # noqa: F401 (the profile fixture)
    _prove_setting,
    _tool_cookies,
    profile,
)
from tests.helpers import ADVISOR_RULE
from tests.internships.work.helpers import accept, add_listing

pytestmark = pytest.mark.browser

STUDENT, STUDENT_NAME, COURSE = "diego-ramirez", "Diego Ramírez", "bus-390"


def _engagement(app: Any, lid: str) -> tuple[int, str]:
    """An engagement of the launched student (accepted by an advisor, agreement acknowledged):
    (engagement id, the supervisor's workspace path)."""
    with app.app_context():
        ctx = load_launch(lid)
        assert ctx is not None
        listing_id = add_listing(ctx.tenant_id, employer="Lakeside Print Works")
        engagement = accept(ctx, listing_id, override_reason="A browser test of check-ins")
        acknowledge_agreement(ctx, engagement.id)
        token = issue_link(Actor(ctx.tenant_id, "tests"), "workspace", engagement.id, "")
        db.session.commit()
        return int(engagement.id), f"/workspace/{token}"


def _panel(frame: Any) -> Any:
    return frame.locator("#checkins")


@pytest.mark.parametrize("profile", [True], indirect=True)
def test_the_student_checks_in_inside_the_frame_without_cookies(
    app,
    profile,  # noqa: F811
    live_server,
    sandbox,
    assert_accessible,
):
    _prove_setting(profile, live_server)  # the cookie really is blocked in the frame
    page = profile.new_page()
    query = urlencode({"person": STUDENT, "course": COURSE})
    page.goto(f"{live_server.platform_url}/sandbox/launch?{query}")
    framed = page.frame_locator("#tool-frame")
    expect(framed.locator("header .who")).to_contain_text(STUDENT_NAME)
    lid = re.search(r"[?&]lid=([\w-]+)", tool_frame(page).url)
    assert lid, tool_frame(page).url
    engagement_id, _ = _engagement(app, lid.group(1))
    tool_frame(page).goto(
        f"{live_server.tool_url}/work/engagements/{engagement_id}?lid={lid.group(1)}"
    )
    expect(framed.locator("#checkins-heading")).to_have_text("Weekly check-ins")
    assert_accessible(tool_frame(page), "the engagement page's check-ins panel")

    # refused: blocked, but not saying by what; what was typed stays
    framed.get_by_label("What did you get done this week?").fill("Mapped the print queue.")
    framed.get_by_label("What will you do next?").fill("Interview the press operators.")
    framed.get_by_label("Yes, something is blocking me").check()
    framed.get_by_role("button", name="Save my check-in").click()
    expect(framed.locator("#checkin-blocker-error")).to_have_text("Say what is blocking you.")
    expect(framed.get_by_label("What did you get done this week?")).to_have_value(
        "Mapped the print queue."
    )
    assert_accessible(tool_frame(page), "a refused check-in")

    framed.get_by_label("What is blocking you?").fill("Waiting for access to the scheduler.")
    framed.get_by_role("button", name="Save my check-in").click()
    expect(framed.locator(".flash-success")).to_have_text("Your check-in for this week is saved.")
    expect(_panel(framed)).to_contain_text("Waiting for access to the scheduler.")
    expect(_panel(framed)).to_contain_text("Waiting for confirmation")
    assert_accessible(tool_frame(page), "the engagement page after a check-in")
    assert _tool_cookies(profile, live_server) == []


@pytest.fixture
def school(app: Any, make_platform: Any) -> Any:
    return make_platform(tenant_settings=ADVISOR_RULE)


def test_the_supervisor_confirms_and_the_settings_page_passes_axe(
    app: Any,
    browser_page: Any,
    live_server: Any,
    driver: Any,
    school: Any,
    assert_accessible: Any,
) -> None:
    student = driver(school)
    student_lid = student.launch(sub="rhythm-student", role="student", follow=False).lid
    advisor_lid = (
        driver(school)
        .launch(
            sub="rhythm-advisor",
            role="faculty",
            course=None,
            custom={"career_credit_role": "advisor"},
            follow=False,
        )
        .lid
    )
    engagement_id, supervisor_path = _engagement(app, student_lid)
    base, page = live_server.tool_url, browser_page
    page.goto(f"{base}/work/engagements/{engagement_id}?lid={student_lid}")
    page.get_by_label("What did you get done this week?").fill("Drafted the schedule.")
    page.get_by_label("What will you do next?").fill("Test it with the team.")
    page.get_by_label("No, nothing is blocking me").check()
    page.get_by_role("button", name="Save my check-in").click()
    expect(page.locator(".flash-success")).to_have_text("Your check-in for this week is saved.")

    page.goto(f"{base}{supervisor_path}")
    expect(page.locator("#checkins-heading")).to_be_visible()
    assert_accessible(page, "the supervisor's workspace page with a check-in to confirm")
    page.get_by_label("Comment (optional)").first.fill("Good start: share it on Friday.")
    page.get_by_role("button", name=re.compile("Confirm this check-in")).first.click()
    expect(page.locator(".notice.success")).to_contain_text("Check-in confirmed. Thank you.")
    expect(page.locator("#checkins")).to_contain_text("Good start: share it on Friday.")
    assert_accessible(page, "the supervisor's workspace page after confirming")

    for what, url in {
        "the reminder settings": f"{base}/workspace/rhythm/settings?lid={advisor_lid}",
        "the advisor's home": f"{base}/home/advisor?lid={advisor_lid}",
        "the student's home": f"{base}/home/student?lid={student_lid}",
    }.items():
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page, what)
    page.goto(f"{base}/workspace/rhythm/settings?lid={advisor_lid}")
    page.get_by_label("Days without activity").fill("0")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.locator("#no_activity_days-error")).to_contain_text("Use a number from 2 to 90.")
    assert_accessible(page, "refused reminder settings")
