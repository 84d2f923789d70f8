"""The employer portal in a real chromium: the employer's own page (reached by its signed link,
no launch), the supervisor's workspace with the offer panel, and the advisor's employer figures
and contacts pages pass axe-core's WCAG 2.1 A/AA rules."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.accreditation.reports.test_employer_figures import _dataset
from tests.internships.employers.portal.helpers import (
    employer_link,
    employer_of,
)
from tests.internships.employers.portal.test_offers import _evaluate
from tests.internships.work.conftest import COMPETENCIES, make_world
from tests.internships.work.helpers import engaged

pytestmark = pytest.mark.browser


def test_the_employer_page_and_the_offer_panel_pass_axe(
    app: Any,
    browser_page: Any,
    live_server: Any,
    school: Any,
    seed_listing: Any,
    assert_accessible: Any,
) -> None:
    world = make_world(school, seed_listing, COMPETENCIES)
    engagement_id = engaged(app, world)
    _evaluate(app, engagement_id)
    page = browser_page
    page.goto(live_server.tool_url + employer_link(app, world))
    expect(page.locator("h1")).to_have_text("Acme Analytics")
    assert_accessible(page, "the employer's page")
    page.get_by_role("button", name="Open the workspace").first.click()
    expect(page.locator("#offer-heading")).to_be_visible()
    assert_accessible(page, "the supervisor's workspace with the offer panel")
    page.locator("#offer-would_hire-0").check()
    page.locator("#offer-kind").select_option("full_time")
    page.get_by_role("button", name="Record my answer").click()
    expect(page.get_by_role("status")).to_contain_text("your answer is recorded")
    advisor = world["advisor"]
    contacts = f"/employers/contacts/{employer_of(app, world['listing'])}?lid={advisor.lid}"
    page.goto(live_server.tool_url + contacts)
    expect(page.locator("h1")).to_contain_text("Contacts of Acme Analytics")
    assert_accessible(page, "the advisor's contacts page")
    student = world["student"]
    page.goto(f"{live_server.tool_url}/work/engagements/{engagement_id}?lid={student.lid}")
    expect(page.get_by_role("button", name="Confirm the offer")).to_be_visible()
    assert_accessible(page, "the student's engagement page with an offer")


def test_the_employer_figures_pass_axe(
    app: Any,
    browser_page: Any,
    live_server: Any,
    school: Any,
    seed_listing: Any,
    assert_accessible: Any,
) -> None:
    advisor = _dataset(app, school, seed_listing)["advisor"]
    page = browser_page
    page.goto(f"{live_server.tool_url}/reports/employer-figures?lid={advisor.lid}")
    expect(page.locator("h1")).to_have_text("Employer figures")
    page.get_by_text("The figures as a table").click()
    assert_accessible(page, "the employer figures")
