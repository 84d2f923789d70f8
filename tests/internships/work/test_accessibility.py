"""The apply, engagement and supervisor pages in a real chromium pass axe-core's WCAG 2.1 A/AA
rules (fixtures of tests/browser). Launches are real; the browser opens the pages with the
launch id in the URL, as inside a cookie-less LMS iframe."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from internships.supervisor.links import issue_link
from internships.work.models import Engagement
from lti_tool.actor import Actor
from lti_tool.extensions import db
from tests.browser import conftest as browser_fixtures

from .helpers import accept_via_advisor, submit_application, the_application

pytestmark = pytest.mark.browser
# The real-browser fixtures live in tests/browser; these names make them visible here.
browser = browser_fixtures.browser
browser_page = browser_fixtures.browser_page
assert_accessible = browser_fixtures.assert_accessible


def test_apply_engagement_and_supervisor_pages_are_accessible(
    app: Any, browser_page: Any, live_server: Any, world: Any, assert_accessible: Any
) -> None:
    page = browser_page
    other = world["other"]
    page.goto(f"{live_server.tool_url}/work/apply/{world['listing']}?lid={other.lid}")
    expect(page.locator("h1")).to_contain_text("Apply to")
    assert_accessible(page, "the apply form")
    page.click("input[type=submit]")
    expect(page.locator("[role=alert]")).to_be_visible()
    assert_accessible(page, "the apply form with errors")

    student = world["student"]
    submit_application(student, world["listing"])
    application = the_application(app, student.sub)
    accept_via_advisor(world, application.id)
    with app.app_context():
        engagement_id = db.session.scalar(
            select(Engagement.id).where(Engagement.application_id == application.id)
        )
        token = issue_link(Actor(world["school"].tenant_id, "test"), "evaluate", engagement_id, "")
        db.session.commit()
    page.goto(f"{live_server.tool_url}/work/engagements/{engagement_id}?lid={student.lid}")
    expect(page.locator("h1")).to_have_text("Market research sprint")
    assert_accessible(page, "the student's engagement page")
    page.goto(f"{live_server.tool_url}/work/applications?lid={student.lid}")
    assert_accessible(page, "My applications")
    advisor = world["advisor"]
    page.goto(f"{live_server.tool_url}/work/engagements/{engagement_id}?lid={advisor.lid}")
    assert_accessible(page, "the advisor's engagement page")
    page.goto(
        f"{live_server.tool_url}/work/listings/{world['listing']}/applicants?lid={advisor.lid}"
    )
    assert_accessible(page, "the applicants page")

    page.goto(f"{live_server.tool_url}/supervisor/evaluate/{token}")
    expect(page.locator("h1")).to_contain_text("Evaluate")
    assert_accessible(page, "the supervisor's evaluation form")
    page.click("button[type=submit]")  # nothing rated: refused, with the reason
    expect(page.locator("[role=alert]")).to_contain_text("Nothing was saved")
    assert_accessible(page, "the evaluation form with errors")
    page.check("#rating-0-3")
    page.check("#rating-1-na")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Thank you")
    page.goto(f"{live_server.tool_url}/supervisor/evaluate/not-a-token")
    assert_accessible(page, "the link error page")
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert csp_errors == []
