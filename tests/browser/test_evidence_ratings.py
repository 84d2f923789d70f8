"""The rating pages in a real chromium pass axe-core's WCAG 2.1 A/AA rules: the faculty
rubric (with a refusal shown) and the student's self-assessment."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from lti_tool.auth import load_launch
from lti_tool.extensions import db
from tests.helpers import ADVISOR_RULE
from tests.internships.work.helpers import accept, add_listing

pytestmark = pytest.mark.browser


def test_rating_pages_are_accessible(
    app: Any,
    browser_page: Any,
    live_server: Any,
    driver: Any,
    make_platform: Any,
    assert_accessible: Any,
) -> None:
    school = make_platform(tenant_settings=ADVISOR_RULE)
    prof = driver(school).launch(sub="prof-rate", role="faculty", follow=False).lid
    student = driver(school).launch(sub="stud-rate", role="student", follow=False).lid
    with app.app_context():
        listing_id = add_listing(school.tenant_id, competencies=["Teamwork", "Leadership"])
        engagement = accept(load_launch(student), listing_id)
        db.session.commit()
        engagement_id = engagement.id
    page = browser_page
    page.goto(f"{live_server.tool_url}/evidence/ratings?lid={prof}")
    expect(page.locator("h1")).to_have_text("Rate outcomes")
    assert_accessible(page, "the list of internships to rate")
    page.goto(f"{live_server.tool_url}/evidence/ratings/{engagement_id}?lid={prof}")
    page.check("input[name^=level-] >> nth=0")
    page.click("button:has-text('Save ratings')")
    expect(page.locator("[role=alert]")).to_contain_text("or choose “Not applicable”")
    assert_accessible(page, "the faculty rubric with a refusal")
    page.goto(f"{live_server.tool_url}/evidence/self-assessment/{engagement_id}?lid={student}")
    expect(page.locator("h1")).to_have_text("Assess yourself")
    assert_accessible(page, "the self-assessment")
