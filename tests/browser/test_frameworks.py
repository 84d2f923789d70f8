"""The learning-outcomes pages (frameworks, evidence) in a real chromium pass axe-core's WCAG 2.1
A/AA rules: frameworks, a framework with its add form (errors shown), an item's history, the
CASE import with a refusal, the crosswalk grid, a student's evidence, and the admin Connections
page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from accreditation.frameworks import case
from accreditation.frameworks.models import Framework
from lti_tool.actor import Actor
from lti_tool.auth import load_launch
from lti_tool.extensions import db
from tests.helpers import ADVISOR_RULE

pytestmark = pytest.mark.browser

CASE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "case"


def test_advisor_outcome_pages_are_accessible(
    browser_page: Any, live_server: Any, driver: Any, make_platform: Any, assert_accessible: Any
) -> None:
    school = make_platform(tenant_settings=ADVISOR_RULE)
    lid = (
        driver(school)
        .launch(
            sub="adv-axe",
            role="faculty",
            course=None,
            custom={"career_credit_role": "advisor"},
            follow=False,
        )
        .lid
    )
    page = browser_page
    page.goto(f"{live_server.tool_url}/frameworks/?lid={lid}")
    expect(page.locator("h1")).to_have_text("Outcome frameworks")
    assert_accessible(page, "the frameworks list")
    page.click("text=NACE Career Readiness Competencies")
    expect(page.locator("h2", has_text="Add an item")).to_be_visible()
    page.click("button:has-text('Add item')")
    expect(page.locator("#name-error")).to_contain_text("Give the item a name.")
    assert_accessible(page, "a framework with the add form's errors")
    page.click("text=Equity & Inclusion")
    expect(page.locator("h2", has_text="Change the wording")).to_be_visible()
    assert_accessible(page, "an item's versions")
    page.goto(f"{live_server.tool_url}/frameworks/import?lid={lid}")
    page.set_input_files("#file", str(CASE_DIR / "malformed_bad_uuid.json"))
    page.click("button:has-text('Import')")
    expect(page.locator("[role=alert]").first).to_contain_text("CFItems[3].identifier")
    assert_accessible(page, "the CASE import with a refusal")


def test_faculty_crosswalk_and_admin_connections_are_accessible(
    app: Any,
    browser_page: Any,
    live_server: Any,
    driver: Any,
    make_platform: Any,
    assert_accessible: Any,
) -> None:
    school = make_platform(tenant_settings=ADVISOR_RULE)
    lid = driver(school).launch(sub="prof-axe", role="faculty", course="7", follow=False).lid
    with app.app_context():
        ctx = load_launch(lid)
        package = case.parse_package(
            __import__("json").loads((CASE_DIR / "valid_flat.json").read_text())
        )
        case.upsert_framework(
            Actor(ctx.tenant_id, "tests"),
            package,
            kind="course",
            source="lms",
            course_id=ctx.course_id,
        )
        db.session.commit()
        # the course's outcomes and the built-in NACE framework (set up at the launch)
        assert db.session.query(Framework).filter_by(tenant_id=ctx.tenant_id).count() == 2
    page = browser_page
    page.goto(f"{live_server.tool_url}/frameworks/crosswalk?lid={lid}")
    expect(page.locator("h1")).to_contain_text("Crosswalk")
    page.check("input[name=align] >> nth=0")
    page.click("button:has-text('Save crosswalk')")
    expect(page.locator(".flash")).to_contain_text("1 added")
    assert_accessible(page, "the crosswalk grid")
    page.goto(f"{live_server.tool_url}/frameworks/lms?lid={lid}")
    assert_accessible(page, "course outcomes from the LMS")
    admin = driver(school).launch(sub="admin-axe", role="admin", course=None, follow=False).lid
    page.goto(f"{live_server.tool_url}/admin/connections/?lid={admin}")
    expect(page.locator("h1")).to_have_text("Connections to the LMS")
    assert_accessible(page, "the admin Connections page")
    page.click("table a:has-text('Change')")
    page.fill("#canvas_url", "not a url")
    page.click("button:has-text('Save connections')")
    expect(page.locator("[role=alert]")).to_contain_text("full https:// address")
    assert_accessible(page, "the Connections form with an error")


def test_student_evidence_page_is_accessible(
    browser_page: Any, live_server: Any, driver: Any, make_platform: Any, assert_accessible: Any
) -> None:
    school = make_platform()
    lid = driver(school).launch(sub="stu-axe", role="student", follow=False).lid
    browser_page.goto(f"{live_server.tool_url}/evidence/?lid={lid}")
    expect(browser_page.locator("h1")).to_have_text("Competencies you have demonstrated")
    assert_accessible(browser_page, "a student's evidence (empty)")
