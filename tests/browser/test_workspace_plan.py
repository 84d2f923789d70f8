"""The workspace plan in a real chromium: inside the LMS frame with third-party cookies blocked,
the student ticks an onboarding checklist item on the engagement page and sees the
confirmation (the form carries the launch id; no cookie is needed); the checklist and
milestones panels, the supervisor's workspace page, the student's calendar page and the
advisor's checklist template page pass axe-core's WCAG 2.1 A/AA rules."""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from internships.supervisor.links import issue_link
from internships.work.services.engagements import acknowledge_agreement
from internships.workspace.plan.services.milestones import Proposal, agree_change, propose_change
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

STUDENT, STUDENT_COURSE = "grace-kim", "cs-195"
SHOTS = os.environ.get("PLAN_SHOTS")  # a folder: save what the test saw, to look at


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _engagement_with_a_milestone(app: Any, lid: str) -> tuple[int, str]:
    """An engagement of the launched student (accepted by an advisor, agreement acknowledged)
    with one agreed milestone: (engagement id, the supervisor's workspace path)."""
    with app.app_context():
        ctx = load_launch(lid)
        assert ctx is not None
        listing_id = add_listing(ctx.tenant_id, employer="Harbor Light Studio")
        engagement = accept(ctx, listing_id, override_reason="A browser test of the workspace")
        acknowledge_agreement(ctx, engagement.id)
        supervisor = Actor(ctx.tenant_id, "supervisor link (browser test)")
        change = propose_change(
            ctx.actor,
            engagement,
            "student",
            Proposal("add", None, "Style guide draft", dt.date.today() + dt.timedelta(days=4)),
            dt.date.today(),
        )
        agree_change(supervisor, engagement, "supervisor", change.id)
        token = issue_link(Actor(ctx.tenant_id, "tests"), "workspace", engagement.id, "")
        db.session.commit()
        return int(engagement.id), f"/workspace/{token}"


@pytest.mark.parametrize("profile", [True], indirect=True)
def test_the_student_ticks_a_checklist_item_in_the_frame_without_cookies(
    app,
    profile,  # noqa: F811
    live_server,
    sandbox,
    assert_accessible,
):
    _prove_setting(profile, live_server)  # the cookie really is blocked in the frame
    page = profile.new_page()
    query = urlencode({"person": STUDENT, "course": STUDENT_COURSE})
    page.goto(f"{live_server.platform_url}/sandbox/launch?{query}")
    framed = page.frame_locator("#tool-frame")
    expect(framed.locator("header .who")).to_contain_text("Grace Kim")
    lid = re.search(r"[?&]lid=([\w-]+)", tool_frame(page).url)
    assert lid, tool_frame(page).url
    engagement_id, _ = _engagement_with_a_milestone(app, lid.group(1))
    tool_frame(page).goto(
        f"{live_server.tool_url}/work/engagements/{engagement_id}?lid={lid.group(1)}"
    )
    expect(framed.locator("#checklist-heading")).to_have_text("Onboarding checklist")
    expect(framed.locator("#milestones [data-state='due']")).to_contain_text("Style guide draft")
    assert_accessible(tool_frame(page), "the engagement page's checklist and milestones")

    framed.get_by_role("button", name="Tick “Kick-off call held”").click()
    expect(framed.locator(".flash-success")).to_have_text("“Kick-off call held” is ticked.")
    expect(framed.get_by_role("button", name="Untick “Kick-off call held”")).to_be_visible()
    expect(framed.locator("#checklist")).to_contain_text("ticked by the student")
    assert_accessible(tool_frame(page), "the engagement page after a tick")
    assert _tool_cookies(profile, live_server) == []


@pytest.fixture
def school(app: Any, make_platform: Any) -> Any:
    return make_platform(tenant_settings=ADVISOR_RULE)


def test_plan_pages_pass_axe(
    app: Any,
    browser_page: Any,
    live_server: Any,
    driver: Any,
    school: Any,
    assert_accessible: Any,
) -> None:
    student_lid = driver(school).launch(sub="plan-student", role="student", follow=False).lid
    advisor_lid = (
        driver(school)
        .launch(
            sub="plan-advisor",
            role="faculty",
            course=None,
            custom={"career_credit_role": "advisor"},
            follow=False,
        )
        .lid
    )
    engagement_id, supervisor_path = _engagement_with_a_milestone(app, student_lid)
    base, page = live_server.tool_url, browser_page
    page.goto(f"{base}{supervisor_path}")
    expect(page.locator("#checklist-heading")).to_be_visible()
    page.get_by_role("button", name="Tick “Access to tools granted”").click()
    expect(page.locator(".notice.success")).to_contain_text("“Access to tools granted” is ticked.")
    assert_accessible(page, "the supervisor's workspace page")
    _shot(page, "supervisor-workspace")
    page.locator("#milestones summary").first.click()
    page.get_by_label("Due date", exact=True).first.fill("2001-01-01")
    page.get_by_role("button", name="Propose this change").click()
    expect(page.locator("#milestones .error-text").first).to_be_visible()
    assert_accessible(page, "a refused milestone change")
    _shot(page, "supervisor-refused")
    pages = {
        "the calendar page": f"{base}/workspace/plan/calendar?lid={student_lid}",
        "the default checklist": f"{base}/workspace/plan/checklist?lid={advisor_lid}",
        "the listings' checklists": f"{base}/workspace/plan/listings?lid={advisor_lid}",
    }
    for what, url in pages.items():
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page, what)
        _shot(page, what.replace("'", "").replace(" ", "-"))
    page.goto(pages["the calendar page"])
    page.get_by_role("button", name="Make my calendar address").click()
    expect(page.get_by_role("textbox", name="Calendar address")).to_have_value(
        re.compile(r"\.ics$")
    )
    assert_accessible(page, "the calendar page showing a new address")
    assert engagement_id
