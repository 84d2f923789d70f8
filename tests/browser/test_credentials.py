"""The credentials' pages in a real chromium: My credentials, one credential and the portfolio
editor (inside a launch, the launch id in the URL as in a cookie-less LMS iframe), and the
public pages (a shared credential's verification page, the file check and its result, a
published portfolio) pass axe-core's WCAG 2.1 A/AA rules and do not scroll sideways at
320 px. The credential comes from the real flow (tests/accreditation/credentials/pages)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from accreditation.credentials.pages.models import Portfolio
from accreditation.credentials.pages.portfolio import ProjectChoice, publish, save_portfolio
from lti_tool.extensions import db
from tests.accreditation.credentials.pages.conftest import finished, valid_credential
from tests.internships.work.conftest import COMPETENCIES, make_world

pytestmark = pytest.mark.browser


@pytest.fixture
def world(school: Any, seed_listing: Any) -> dict[str, Any]:
    return make_world(school, seed_listing, COMPETENCIES)


def _narrow(page: Any, what: str) -> None:
    page.set_viewport_size({"width": 320, "height": 800})
    wide = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert wide[0] <= wide[1] + 1, f"{what} scrolls sideways at 320 px: {wide}"
    page.set_viewport_size({"width": 1280, "height": 900})


def _prepare(app: Any, world: dict[str, Any], base_url: str) -> tuple[int, Any, str]:
    """A finished engagement's credential (issued naming the live server's host, as the tick
    names the configured public address), shared; the portfolio saved and published."""
    engagement_id, credential_id = finished(app, world, base_url)
    student = world["student"]
    with app.app_context():
        from accreditation.credentials.issuance.services import set_shared

        ctx = student.ctx()
        set_shared(ctx.actor, credential_id, True)
        save_portfolio(
            ctx,
            "Data analyst in training",
            "Projects I am proud of.",
            [ProjectChoice(engagement_id, (), True, False)],
        )
        publish(ctx)
        db.session.commit()
        token = db.session.scalar(
            select(Portfolio.token).where(Portfolio.student_id == student.user_id)
        )
    return credential_id, valid_credential(app, engagement_id), str(token)


def test_the_credentials_pages_pass_axe(
    app: Any, world: dict[str, Any], browser_page: Any, live_server: Any, assert_accessible: Any
) -> None:
    credential_id, credential, token = _prepare(app, world, live_server.tool_url)
    lid = world["student"].lid
    base = live_server.tool_url
    page = browser_page

    page.goto(f"{base}/credentials/mine?lid={lid}")
    expect(page.locator("h1")).to_have_text("My credentials")
    assert_accessible(page, "My credentials")
    _narrow(page, "My credentials")

    page.get_by_role("link", name="Share, add to LinkedIn or choose evidence").first.click()
    expect(page.get_by_role("link", name="Add to LinkedIn profile")).to_be_visible()
    assert f"lid={lid}" in page.url
    assert_accessible(page, "a credential's page")
    _narrow(page, "a credential's page")

    page.goto(f"{base}/credentials/portfolio?lid={lid}")
    expect(page.locator("h1")).to_have_text("My portfolio")
    assert_accessible(page, "the portfolio editor")

    public = page.context.browser.new_context()  # a stranger: no launch, no cookies
    stranger = public.new_page()
    try:
        stranger.goto(f"{base}/credentials/verify/{credential.public_id}")
        expect(stranger.locator(".credential-result")).to_have_attribute("data-state", "valid")
        assert_accessible(stranger, "the public verification page")
        _narrow(stranger, "the public verification page")

        stranger.goto(f"{base}/credentials/verify")
        stranger.get_by_label("Paste the credential's JSON").fill(json.dumps(credential.document))
        stranger.get_by_role("button", name="Check the credential").click()
        expect(stranger.locator(".credential-result")).to_have_attribute("data-state", "valid")
        assert_accessible(stranger, "the file check's result")

        stranger.goto(f"{base}/credentials/verify")
        stranger.get_by_label("Paste the credential's JSON").fill("{not json")
        stranger.get_by_role("button", name="Check the credential").click()
        expect(stranger.get_by_text("That is not JSON")).to_be_visible()
        assert_accessible(stranger, "the file check refusing what is not JSON")

        stranger.goto(f"{base}/credentials/portfolio/{token}")
        expect(stranger.locator("h1")).to_be_visible()
        expect(stranger.get_by_text("Data analyst in training")).to_be_visible()
        assert_accessible(stranger, "a published portfolio")
        _narrow(stranger, "a published portfolio")
    finally:
        public.close()
    assert credential_id


def test_the_supervisors_consent_panel_passes_axe(
    app: Any, world: dict[str, Any], browser_page: Any, live_server: Any, assert_accessible: Any
) -> None:
    from internships.supervisor.links import issue_link
    from lti_tool.actor import Actor
    from tests.accreditation.credentials.pages.conftest import evaluate
    from tests.internships.work.helpers import engaged

    engagement_id = engaged(app, world)
    evaluate(app, world, engagement_id)  # submitted and evaluated: the question shows
    with app.app_context():
        token = issue_link(Actor(world["school"].tenant_id, "Ada"), "workspace", engagement_id, "")
        db.session.commit()
    page = browser_page
    page.goto(f"{live_server.tool_url}/workspace/{token}")
    expect(page.locator("#recommendation-heading")).to_be_visible()
    assert_accessible(page, "the supervisor's workspace page with the consent question")
    page.get_by_role("button", name="Save my answer").click()
    expect(page.get_by_text("Choose yes or no.").first).to_be_visible()
    assert_accessible(page, "the consent question refused without an answer")
    page.get_by_label("Yes, the student may show them in their portfolio").check()
    page.get_by_role("button", name="Save my answer").click()
    expect(page.get_by_text("may appear in the student's portfolio")).to_be_visible()
    assert_accessible(page, "the supervisor's page after their answer")
