"""Inside the LMS frame of a real chromium that blocks third-party cookies, the confirmation
and the refusal after a form POST reach the person: flashed messages travel with the launch on
the server, not in the cookie the browser drops. The framed page asks the LMS to fit the frame
(Canvas's lti.frameResize) and shows no site header or footer of its own."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from lti_tool.actor import Actor
from tests.browser.test_launch import tool_frame
from tests.browser.test_third_party_cookies import (  # noqa: F401 (the profile fixture)
    _prove_setting,
    _tool_cookies,
    profile,
)

pytestmark = pytest.mark.browser

ADVISOR, ADVISOR_NAME = "jordan-ellis", "Jordan Ellis"
# The LMS page (the top frame only) records the lti.frameResize messages its frame sends.
COLLECT_RESIZES = """
if (window.top === window) {
  window.ccResizes = [];
  window.addEventListener("message", (event) => {
    const data = event.data || {};
    if (data.subject === "lti.frameResize") { window.ccResizes.push(data.height); }
  });
}
"""


@pytest.fixture
def advisor_listing(app: Any, sandbox: Any) -> tuple[int, str]:
    """An open listing of the sandbox tenant whose employer has no contact email: (id, title)."""
    from internships.services.listings import ListingInput, create_listing, ensure_employer
    from lti_tool.extensions import db
    from lti_tool.registration.services.tenants import find_registration

    title = f"Volunteer rota redesign {secrets.token_hex(3)}"
    with app.app_context():
        tenant_id = find_registration(sandbox.issuer, sandbox.client_id).tenant_id
        employer = ensure_employer(
            Actor(tenant_id, "tests"), f"Riverside Pantry {secrets.token_hex(3)}"
        )
        listing = create_listing(
            Actor(tenant_id, "tests"),
            ListingInput(
                employer_id=employer.id,
                title=title,
                estimated_hours=12,
                compensation_type="fixed",
                pay_amount_cents=45000,
                location_type="remote",
                summary="Redesign the volunteer rota with the coordinator.",
            ),
            submit=True,
        )
        db.session.commit()
        return int(listing.id), title


@pytest.mark.parametrize("profile", [True], indirect=True)
def test_a_refusal_and_a_confirmation_reach_the_framed_page_without_cookies(
    profile,  # noqa: F811
    live_server,
    sandbox,
    advisor_listing,
    assert_accessible,
):
    _prove_setting(profile, live_server)  # the cookie really is blocked in the frame
    listing_id, title = advisor_listing
    profile.add_init_script(script=COLLECT_RESIZES)
    page = profile.new_page()
    page.goto(f"{live_server.platform_url}/sandbox/launch?{urlencode({'person': ADVISOR})}")
    framed = page.frame_locator("#tool-frame")
    expect(framed.locator("header .who")).to_contain_text(ADVISOR_NAME)
    lid = re.search(r"[?&]lid=([\w-]+)", tool_frame(page).url)
    assert lid, tool_frame(page).url
    tool_frame(page).goto(
        f"{live_server.tool_url}/work/listings/{listing_id}/applicants?lid={lid.group(1)}"
    )
    expect(framed.locator("h1")).to_have_text(f"Applicants for “{title}”")
    # inside the LMS's chrome: one compact header line, no site brand or footer
    expect(framed.locator(".brand")).to_have_count(0)
    expect(framed.locator("footer")).to_have_count(0)
    expect(framed.locator("main")).to_have_count(1)

    send = framed.get_by_role("button", name="Email the employer a link to review applicants")
    send.click()  # no address, and the employer has none: refused, with what to do
    expect(framed.locator("#email-error")).to_have_text(
        "The employer has no contact email; give the address to send the link to."
    )
    assert_accessible(tool_frame(page), "a framed page showing a refusal")

    framed.get_by_label("Send the link to").fill("coordinator@riverside.example")
    send.click()
    expect(framed.locator(".flash-success")).to_have_text("The link is on its way to the employer.")
    expect(framed.locator("#email-error")).to_have_count(0)
    assert_accessible(tool_frame(page), "a framed page showing a confirmation")
    assert _tool_cookies(profile, live_server) == []

    # the frame asked the LMS page to fit it (Canvas's lti.frameResize)
    page.wait_for_function("() => (window.ccResizes || []).length > 0")
    heights = page.evaluate("() => window.ccResizes")
    assert all(isinstance(h, int) and h > 0 for h in heights), heights
