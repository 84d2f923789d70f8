"""A keyboard pass over the main pages in a real chromium (Debian's, driven by Playwright):
the first Tab reaches a visible "Skip to main content" link that moves focus to the main
region; tabbing on reaches every control in document order (no positive tabindex), each with a
visible focus indicator whose colour has at least 3:1 contrast with the page (WCAG 2.1
2.4.1, 2.4.3, 2.4.7, 1.4.11, 2.1.1, 2.1.2); and forms are completed and submitted with the
keyboard alone. Launches are real; pages open with the launch id in the URL, as inside a
cookie-less LMS iframe. docs/ACCESSIBILITY.md reports what this covers."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from lti_tool.actor import Actor
from tests.helpers import ADVISOR_RULE

pytestmark = pytest.mark.browser

MAX_TABS = 150  # more stops than any page has: reaching it means focus never left the page

ACTIVE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const all = Array.from(document.querySelectorAll('*'));
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  return {
    index: all.indexOf(el),
    tag: el.tagName.toLowerCase(),
    id: el.id,
    cls: el.className && el.className.baseVal === undefined ? el.className : '',
    type: el.getAttribute('type') || '',
    text: (el.innerText || el.value || el.getAttribute('aria-label') || '').slice(0, 60),
    width: box.width, height: box.height,
    outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth) || 0,
    outlineColor: style.outlineColor, boxShadow: style.boxShadow,
  };
}"""
POSITIVE_TABINDEX = (
    "() => Array.from(document.querySelectorAll('[tabindex]'))"
    ".filter((el) => el.tabIndex > 0).length"
)


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def keyboard_pass(page: Any, url: str, what: str) -> list[dict[str, Any]]:
    """Open ``url``, check the skip link, tab through the page; returns the focus stops."""
    page.goto(url)
    assert page.evaluate(POSITIVE_TABINDEX) == 0, f"{what}: a positive tabindex reorders focus"
    page.keyboard.press("Tab")
    skip = page.evaluate(ACTIVE)
    assert skip and "skip-link" in skip["cls"], f"{what}: first Tab reached {skip}"
    box = page.locator(".skip-link").bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0 and box["width"] > 0, f"{what}: skip hidden"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main", f"{what}: skip link"

    page.goto(url)
    stops: list[dict[str, Any]] = []
    last_index = -1
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        stop = page.evaluate(ACTIVE)
        if stop is None or stop["index"] <= last_index:
            break  # focus left the page (back to the browser) or wrapped: no trap
        label = f"{what}: {stop['tag']}#{stop['id']} “{stop['text']}”"
        assert stop["width"] > 0 and stop["height"] > 0, f"{label} is focused but not visible"
        ring = stop["outlineStyle"] != "none" and stop["outlineWidth"] >= 2
        assert ring or stop["boxShadow"] != "none", f"{label} shows no focus indicator"
        if ring:
            ratio = contrast(stop["outlineColor"], "rgb(255, 255, 255)")
            assert ratio >= 3, f"{label}: focus ring contrast {ratio:.2f}:1 against the page"
        stops.append(stop)
        last_index = stop["index"]
    else:
        pytest.fail(f"{what}: focus never left the page after {MAX_TABS} Tabs (a trap?)")
    assert stops and stops[0]["cls"] and "skip-link" in stops[0]["cls"], what
    return stops


def tab_to(page: Any, selector: str, what: str) -> None:
    """Press Tab until ``selector`` has focus (as a keyboard user would reach it)."""
    for _ in range(MAX_TABS):
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{what}: Tab never reached {selector}")


@pytest.fixture
def school(app: Any, make_platform: Any, driver: Any) -> dict[str, Any]:
    from internships.demo import seed_listings
    from internships.models import Listing
    from lti_tool.auth import load_launch
    from lti_tool.extensions import db
    from tests.internships.work.helpers import accept, add_listing, ready_to_log

    platform = make_platform(tenant_settings=ADVISOR_RULE)

    def launch(role: str, **kw: Any) -> str:
        custom = {"career_credit_role": "advisor"} if role == "advisor" else {}
        as_role = "faculty" if role == "advisor" else role
        return (
            driver(platform)
            .launch(
                sub=f"kb-{role}",
                role=as_role,
                custom=custom,
                follow=False,
                **({"course": None} if role == "advisor" else {}),
                **kw,
            )
            .lid
        )

    lids = {
        "student": launch("student"),
        "faculty": launch("faculty"),
        "advisor": launch("advisor"),
        "admin": launch("admin", course=None),
    }
    with app.app_context():
        seed_listings(platform.tenant_id, today=dt.date.today())
        ctx = load_launch(lids["student"])
        assert ctx is not None
        engagement = accept(ctx, add_listing(platform.tenant_id, title="Keyboard project"))
        ready_to_log(ctx, engagement)  # acknowledged: the hours form is on the page
        from internships.supervisor.links import issue_link
        from internships.work.models import HourLog

        db.session.add(
            HourLog(
                tenant_id=platform.tenant_id,
                engagement_id=engagement.id,
                student_id=ctx.user_id,
                work_date=dt.date.today() - dt.timedelta(days=2),
                minutes=90,
                description="Pending hours for the supervisor",
                status="pending",
            )
        )
        tokens = {
            purpose: issue_link(Actor(platform.tenant_id, "test"), purpose, subject, "")
            for purpose, subject in (
                ("evaluate", engagement.id),
                ("confirm_hours", engagement.id),
                ("select_applicants", engagement.listing_id),
            )
        }
        db.session.commit()
        listing_id = db.session.scalar(
            db.select(Listing.id)
            .where(Listing.tenant_id == platform.tenant_id, Listing.status == "open")
            .order_by(Listing.id)
        )
        ids = {"engagement": engagement.id, "listing": listing_id, "tokens": tokens}
    return {"lids": lids, **ids}


def _pages(school: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        ("student", "/home/", "the student's home"),
        ("student", "/internships/", "the board"),
        ("student", f"/internships/{school['listing']}", "a listing"),
        ("student", f"/work/apply/{school['listing']}", "the apply form"),
        ("student", f"/work/engagements/{school['engagement']}", "the student's engagement"),
        ("student", "/profile/", "the profile form"),
        ("student", "/work/applications", "my applications"),
        ("faculty", "/home/", "the faculty home"),
        ("faculty", "/credit/course", "the credit roster"),
        ("faculty", "/credit/policy", "the credit policy form"),
        ("advisor", "/internships/manage", "the manage page"),
        ("advisor", "/internships/new", "the listing form"),
        ("advisor", "/reports/", "the reports overview"),
        ("admin", "/admin/settings", "the tenant settings"),
        ("student", f"/work/engagements/{school['engagement']}/reflection", "the reflection"),
        ("faculty", f"/work/engagements/{school['engagement']}/agreement", "the agreement"),
        (
            "",
            f"/supervisor/evaluate/{school['tokens']['evaluate']}",
            "the supervisor's evaluation form",
        ),
        (
            "",
            f"/supervisor/hours/{school['tokens']['confirm_hours']}",
            "the supervisor's hours review",
        ),
        (
            "",
            f"/supervisor/select/{school['tokens']['select_applicants']}",
            "the applicant selection",
        ),
    ]


def test_every_main_page_is_operable_by_keyboard(
    browser_page: Any, live_server: Any, school: dict[str, Any], assert_accessible: Any
) -> None:
    page = browser_page
    for role, path, what in _pages(school):
        lid = school["lids"].get(role)
        url = f"{live_server.tool_url}{path}" + (f"?lid={lid}" if lid else "")
        stops = keyboard_pass(page, url, what)
        assert len(stops) >= 2, f"{what}: only {len(stops)} focus stops"
        print(f"keyboard pass: {what}: {len(stops)} focus stops")
        assert_accessible(page, what)  # and axe-core's WCAG 2.1 A/AA rules on the same page
    # The error page of a visit without a launch is keyboard-usable too.
    keyboard_pass(page, f"{live_server.tool_url}/home/", "the session-ended error page")


def test_forms_are_completed_and_submitted_with_the_keyboard(
    browser_page: Any, live_server: Any, school: dict[str, Any]
) -> None:
    page = browser_page
    lid = school["lids"]["student"]
    # The profile: type into a field, Tab to the save button, press Enter.
    page.goto(f"{live_server.tool_url}/profile/?lid={lid}")
    tab_to(page, "#program", "the profile form")
    page.keyboard.press("Control+A")
    page.keyboard.type("Business Analytics")
    tab_to(page, "[type=submit]", "the profile form")
    page.keyboard.press("Enter")
    expect(page.locator(".flash, [role=status]").first).to_be_visible()
    page.goto(f"{live_server.tool_url}/profile/?lid={lid}")
    expect(page.locator("#program")).to_have_value("Business Analytics")

    # Hours on the engagement page: a date, the hours, a description, then Space on the button.
    page.goto(f"{live_server.tool_url}/work/engagements/{school['engagement']}?lid={lid}")
    tab_to(page, "#work_date", "the hours form")
    yesterday = dt.date.today() - dt.timedelta(days=1)
    # chromium's date field takes the digits in the locale's order (en-US: month, day, year)
    page.keyboard.type(yesterday.strftime("%m%d%Y"))
    tab_to(page, "#hours", "the hours form")
    page.keyboard.type("1.5")
    tab_to(page, "#description", "the hours form")
    page.keyboard.type("Interview notes typed with the keyboard")
    tab_to(page, "form:has(input[name=form][value=hours]) [type=submit]", "the hours form")
    page.keyboard.press("Space")
    expect(page.locator("body")).to_contain_text("Interview notes typed with the keyboard")

    # A refused form puts its errors where a keyboard user can reach them.
    advisor = school["lids"]["advisor"]
    page.goto(f"{live_server.tool_url}/internships/new?lid={advisor}")
    tab_to(page, "#publish", "the listing form")
    page.keyboard.press("Enter")
    expect(page.locator("[role=alert]")).to_contain_text("not saved")
    keyboard_pass(page, page.url, "the listing form with errors")
