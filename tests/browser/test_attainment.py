"""The attainment pages in a real chromium pass axe-core's WCAG 2.1 A/AA rules: a student's
competencies, a course's attainment, the program and term report with its note form (errors
shown), coverage, targets, the exports form and an export's progress and finished pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from accreditation.attainment import exports
from accreditation.evidence.models import Evidence
from accreditation.frameworks import services as fw_services
from lti_tool.auth import load_launch
from lti_tool.extensions import db
from tests.helpers import ADVISOR_RULE

pytestmark = pytest.mark.browser


def _evidence(app: Any, lid: str, ratings: list[tuple[str, int, str]]) -> None:
    with app.app_context():
        ctx = load_launch(lid)
        fw = fw_services.ensure_builtin_frameworks(ctx.tenant_id)
        for n, (name, level, source) in enumerate(ratings):
            item = next(i for i in fw.items if i.current.name == name)
            db.session.add(
                Evidence(
                    tenant_id=ctx.tenant_id,
                    student_id=ctx.user_id,
                    course_id=ctx.course_id,
                    item_id=item.id,
                    item_version_id=item.current.id,
                    level=level,
                    source=source,
                    method="supervisor_rating" if source == "direct" else "self_assessment",
                    rater="Sam Supervisor",
                    observed_at=dt.datetime(2026, 3, 1),
                    origin=f"axe:{ctx.user_id}:{n}",
                )
            )
        db.session.commit()


def test_attainment_pages_are_accessible(
    app: Any,
    browser_page: Any,
    live_server: Any,
    driver: Any,
    make_platform: Any,
    assert_accessible: Any,
) -> None:
    school = make_platform(tenant_settings=ADVISOR_RULE)
    student = driver(school).launch(sub="stu-att", role="student", course="7", follow=False).lid
    _evidence(app, student, [("Teamwork", 3, "direct"), ("Teamwork", 2, "indirect")])
    page = browser_page
    page.goto(f"{live_server.tool_url}/attainment/me?lid={student}")
    expect(page.locator("h1")).to_have_text("Competencies you have demonstrated")
    assert_accessible(page, "a student's competencies")

    prof = driver(school).launch(sub="prof-att", role="faculty", course="7", follow=False).lid
    page.goto(f"{live_server.tool_url}/attainment/course?lid={prof}")
    expect(page.locator("h1")).to_contain_text("Attainment per outcome")
    assert_accessible(page, "a course's attainment")

    advisor = (
        driver(school)
        .launch(
            sub="adv-att",
            role="faculty",
            course=None,
            custom={"career_credit_role": "advisor"},
            follow=False,
        )
        .lid
    )
    page.goto(f"{live_server.tool_url}/attainment/program?lid={advisor}")
    expect(page.locator("h1")).to_have_text("Program and term attainment")
    page.click("button:has-text('Save the note')")
    expect(page.locator("#body-error")).to_contain_text("Write what the program will change.")
    expect(page.locator("h1")).to_have_text("Program and term attainment")  # the page again
    assert_accessible(page, "the program report with a refused note")
    page.fill("#body", "Add a teamwork workshop before placements.")
    page.click("button:has-text('Save the note')")
    expect(page.locator(".flash")).to_contain_text("Your note is saved.")
    assert_accessible(page, "the program report with a note")
    page.goto(f"{live_server.tool_url}/attainment/coverage?lid={advisor}")
    expect(page.locator("h1")).to_have_text("Coverage of outcomes")
    assert_accessible(page, "the coverage matrix")
    page.goto(f"{live_server.tool_url}/attainment/trend?lid={advisor}")
    expect(page.locator("h1")).to_have_text("Trend across terms")
    assert_accessible(page, "the trend across terms")
    page.goto(f"{live_server.tool_url}/attainment/coverage/listings?lid={advisor}")
    expect(page.locator("h1")).to_have_text("Coverage of outcomes by listing")
    assert_accessible(page, "coverage by listing")
    page.goto(f"{live_server.tool_url}/attainment/settings?lid={advisor}")
    page.fill("#min_evidence", "0")
    page.click("button:has-text('Save the targets')")
    expect(page.locator("[role=alert]")).to_contain_text("Nothing was saved")
    assert_accessible(page, "the targets form with an error")
    page.goto(f"{live_server.tool_url}/attainment/exports?lid={advisor}")
    assert_accessible(page, "the exports form")
    page.check("#pseudonymize")
    page.click("button:has-text('Build the export')")
    expect(page.locator("#export-status")).to_contain_text("Waiting to start")
    assert_accessible(page, "an export in progress")
    with app.app_context():
        # Other tests may have left exports queued in the shared database: all must finish.
        statuses = [job.status for job in exports.run_queued()]
        assert statuses and set(statuses) == {"done"}
    expect(page.locator("a:has-text('Download the export')")).to_be_visible(timeout=15000)
    assert_accessible(page, "a finished export")
