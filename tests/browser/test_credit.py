"""The credit pages in a real chromium pass axe-core's WCAG 2.1 A/AA rules: the roster with
progress, the review page with its evidence and decision forms, the policy form with errors,
bulk award, and the student's progress bar and checklist. Launches are real and signed; the
browser carries the launch id in the URL, as inside a cookie-less LMS iframe."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from credit.models import MispostedGrade
from credit.services import awards
from lti_tool.auth import load_launch
from lti_tool.extensions import db
from tests.credit.conftest import give_work

pytestmark = pytest.mark.browser


def test_credit_pages_are_accessible(
    app: Any,
    browser_page: Any,
    live_server: Any,
    driver: Any,
    make_platform: Any,
    assert_accessible: Any,
) -> None:
    school = make_platform()
    faculty = driver(school).launch(sub="fac-axe", role="faculty", follow=False).lid
    admin = driver(school).launch(sub="admin-axe", role="admin", follow=False).lid
    student = driver(school).launch(sub="stu-axe", role="student", follow=False).lid
    driver(school).launch(sub="stu-axe-2", role="student", follow=False)
    with app.app_context():
        ctx = load_launch(student)
        assert ctx is not None
        give_work(ctx, hours=50, pending_hours=3)
        db.session.commit()
        student_id, course_id = ctx.user_id, ctx.course_id
        other = load_launch(driver(school).launch(sub="stu-axe-3", role="student").lid)
        assert other is not None
        give_work(other, hours=50)
        faculty_ctx = load_launch(faculty)
        assert faculty_ctx is not None
        made = awards.award_credit(  # no column: nothing is queued for a made-up LMS
            faculty_ctx,
            other.user_id,
            awards.AwardInput(1, None, "", awards.new_idempotency_key()),
            lineitem_url=None,
        )
        db.session.add(  # as a check of an earlier version's grades would record it
            MispostedGrade(
                tenant_id=ctx.tenant_id,
                course_id=made.course_id,
                award_id=made.id,
                student_id=other.user_id,
                lineitem_url="https://lms.example.edu/api/lti/courses/1/line_items/7",
                column_label="Week 5 quiz",
                column_maximum=10,
                kind="foreign",
                grade_label=made.grade_label,
            )
        )
        db.session.commit()
    page = browser_page
    base = live_server.tool_url
    page.goto(f"{base}/credit/course?lid={faculty}")
    expect(page.locator("h1")).to_have_text("Students and credit progress")
    assert_accessible(page, "the roster with credit progress")
    page.goto(f"{base}/credit/students/{student_id}?lid={faculty}")
    expect(page.locator("#decision-heading")).to_be_visible()
    assert_accessible(page, "the review page")
    page.fill("#credits", "5")
    page.locator("form", has=page.locator("#credits")).locator("button[type=submit]").click()
    expect(page.locator("[role=alert]").first).to_be_visible()
    assert_accessible(page, "the review page with an error")
    # Ask for changes: what it reopens is ticked; the exchange shows on the review page and
    # the student answers on a page of their own.
    page.goto(f"{base}/credit/students/{student_id}?lid={faculty}")
    page.locator("summary", has_text="Ask for changes").click()  # folded in the decision panel
    changes = page.locator("form", has=page.locator("#changes-message"))
    changes.locator("input[type=checkbox]").first.check()
    page.fill("#changes-message", "Add a paragraph on the client interviews.")
    changes.locator("button[type=submit]").click()
    expect(page.locator("#exchanges-heading")).to_be_visible()
    assert_accessible(page, "the review page with a request for changes")
    page.goto(f"{base}/credit/courses/{course_id}/changes?lid={student}")
    expect(page.locator("h1")).to_have_text("Changes your instructor asked for")
    page.click("text=Send my answer")
    expect(page.locator(".error-text").first).to_be_visible()
    assert_accessible(page, "the student's answer to a request, refused")
    page.goto(f"{base}/credit/policy?lid={faculty}")
    page.fill("#hours_per_credit", "0")
    page.click("text=Save the policy")
    expect(page.locator(".error-text").first).to_be_visible()
    assert_accessible(page, "the policy form with errors")
    page.goto(f"{base}/credit/bulk?lid={faculty}")
    expect(page.locator("h1")).to_have_text("Award everyone eligible")
    assert_accessible(page, "bulk award")
    page.goto(f"{base}/credit/column?lid={faculty}")
    expect(page.locator("h1")).to_have_text("Gradebook column")
    expect(page.locator("text=Not re-posted yet")).to_be_visible()
    assert_accessible(page, "the gradebook column page with a grade sent to a quiz")
    page.goto(f"{base}/credit/column/repairs?lid={admin}")
    expect(page.locator("text=Week 5 quiz")).to_be_visible()
    assert_accessible(page, "the administrator's list of grades sent to another column")
    page.goto(f"{base}/home/student?lid={student}")
    expect(page.locator("progress[id^=credit-bar]")).to_be_visible()
    assert_accessible(page, "the student's credit progress")
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
