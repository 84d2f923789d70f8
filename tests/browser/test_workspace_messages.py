"""The engagement's conversation in a real chromium: inside the LMS frame with third-party
cookies blocked, the student reads the supervisor's message (its unread count in the heading)
and posts an answer, then sees it and the confirmation (the form carries the launch id; no
cookie is needed); the supervisor's workspace page, the conversation's record pages and the
faculty's conversations page pass axe-core's WCAG 2.1 A/AA rules."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from internships.supervisor.links import issue_link
from internships.work.models import Engagement
from internships.work.services.engagements import acknowledge_agreement
from internships.workspace.messages.services import Reader, post_message
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

# not Emily: tests/credit/test_views.py counts on her never having opened the tool
STUDENT, STUDENT_COURSE = "chloe-martin", "bus-390"


def _engagement_with_a_message(app: Any, lid: str) -> tuple[int, str]:
    """An engagement of the launched student whose supervisor wrote once: (engagement id, the
    supervisor's workspace path)."""
    with app.app_context():
        ctx = load_launch(lid)
        assert ctx is not None
        listing_id = add_listing(ctx.tenant_id, employer="Northwind Books")
        engagement = accept(ctx, listing_id, override_reason="A browser test of the messages")
        acknowledge_agreement(ctx, engagement.id)
        row = db.session.get(Engagement, engagement.id)
        assert row is not None
        post_message(
            Actor(ctx.tenant_id, "supervisor link (browser test)"),
            row,
            Reader.supervisor(row),
            "Welcome! Our style guide is at https://example.com/style-guide.",
        )
        token = issue_link(Actor(ctx.tenant_id, "tests"), "workspace", engagement.id, "")
        db.session.commit()
        return int(engagement.id), f"/workspace/{token}"


@pytest.mark.parametrize("profile", [True], indirect=True)
def test_the_student_posts_a_message_in_the_frame_without_cookies(
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
    expect(framed.locator("header .who")).to_contain_text("Chloé Martin")
    lid = re.search(r"[?&]lid=([\w-]+)", tool_frame(page).url)
    assert lid, tool_frame(page).url
    engagement_id, _ = _engagement_with_a_message(app, lid.group(1))
    try:
        _post_in_the_frame(
            page, framed, live_server, lid.group(1), engagement_id, assert_accessible
        )
    finally:
        _withdraw(app, engagement_id)
    assert _tool_cookies(profile, live_server) == []


def _withdraw(app: Any, engagement_id: int) -> None:
    """Cancel the test's engagement: the shared sandbox's students keep their workload room for
    the other tests that engage them (tests/lti_tool/test_sandbox_moodle.py)."""
    with app.app_context():
        row = db.session.get(Engagement, engagement_id)
        assert row is not None
        row.status = "cancelled"
        db.session.commit()


def _post_in_the_frame(
    page: Any, framed: Any, live_server: Any, lid: str, engagement_id: int, assert_accessible: Any
) -> None:
    tool_frame(page).goto(f"{live_server.tool_url}/work/engagements/{engagement_id}?lid={lid}")
    expect(framed.locator("#messages-heading")).to_have_text("Messages (1 unread)")
    link = framed.locator("#messages .message-body a")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    assert_accessible(tool_frame(page), "the engagement page's conversation")

    framed.get_by_label("Your message").fill("Thank you! I read the guide and will start Monday.")
    framed.get_by_role("button", name="Send message").click()
    expect(framed.locator(".flash-success")).to_have_text("Message sent.")
    expect(framed.locator("#messages .message").last).to_contain_text(
        "I read the guide and will start Monday."
    )
    expect(framed.locator("#messages-heading")).to_have_text("Messages")
    assert_accessible(tool_frame(page), "the engagement page after posting")


@pytest.fixture
def school(app: Any, make_platform: Any) -> Any:
    return make_platform(tenant_settings=ADVISOR_RULE)


def test_message_pages_pass_axe(
    app: Any,
    browser_page: Any,
    live_server: Any,
    driver: Any,
    school: Any,
    assert_accessible: Any,
) -> None:
    student_lid = driver(school).launch(sub="messages-student", role="student", follow=False).lid
    faculty_lid = driver(school).launch(sub="messages-faculty", role="faculty", follow=False).lid
    engagement_id, supervisor_path = _engagement_with_a_message(app, student_lid)
    base, page = live_server.tool_url, browser_page

    page.goto(f"{base}{supervisor_path}")
    expect(page.locator("#messages-heading")).to_contain_text("Messages")
    page.get_by_label("Your message").fill("A second note from the supervisor.")
    page.get_by_role("button", name="Send message").click()
    expect(page.locator(".notice.success")).to_have_text("Message sent.")
    assert_accessible(page, "the supervisor's workspace page with messages")
    page.get_by_role("link", name="The whole conversation on one page").click()
    expect(page.locator("h1")).to_contain_text("Messages:")
    assert_accessible(page, "the supervisor's record of the conversation")

    page.goto(f"{base}/workspace/messages/engagements/{engagement_id}?lid={student_lid}")
    expect(page.locator(".message")).to_have_count(2)
    assert_accessible(page, "the student's record of the conversation")

    page.goto(f"{base}/workspace/messages/conversations?lid={faculty_lid}")
    expect(page.locator("h1")).to_contain_text("Conversations")
    assert_accessible(page, "the faculty's conversations")
