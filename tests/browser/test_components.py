"""The design system's components (issue 18) on the administrator's Design system page
(/admin/design): in a real chromium the page passes axe, and component by component the
keyboard works and each part has its name — tabs reached by Tab with aria-current, sortable
headers that sort with Enter and Space and say so (aria-sort, a polite announcement), a
focusable labelled table box, a named progress bar, pills that carry words, a destructive
button behind its confirmation, a form's error tied to its field; at 320 px and at 200% zoom
the page does not scroll sideways, and with reduced motion nothing transitions. Through HTTP
the page answers the tool administrator and refuses the course roles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_keyboard import ACTIVE, tab_to
from tests.helpers import reason

browser = pytest.mark.browser

FIRST_CELLS = """(col) => Array.from(document.querySelectorAll('table.sortable tbody tr'))
  .map((tr) => tr.cells[col].textContent.trim())"""
TRANSITIONS = """() => Array.from(document.querySelectorAll(
  '.button, button, .subnav a, .admin-nav a, input, .stat-card > a'))
  .map((el) => getComputedStyle(el).transitionDuration)
  .filter((d) => d.split(',').some((part) => parseFloat(part) > 0))"""


@pytest.fixture
def design(live_server: Any, make_platform: Any, driver: Any) -> str:
    """The Design system page's address, launched as the tool administrator."""
    platform = make_platform()
    lid = driver(platform).launch(sub="design-admin", role="admin", course=None, follow=False).lid
    return f"{live_server.tool_url}/admin/design?lid={lid}"


@browser
def test_the_design_page_passes_axe_and_its_parts_have_names(
    browser_page: Any, design: str, assert_accessible: Any
) -> None:
    page = browser_page
    page.goto(design)
    expect(page.locator("h1")).to_have_text("Design system")
    assert_accessible(page, "the Design system page")
    # the progress bar is named by its label; its words are beside it
    bar = page.get_by_role("progressbar", name="Hours toward credit")
    expect(bar).to_have_count(1)
    expect(page.locator(".progress", has=bar)).to_contain_text("12.5 of 20 hours")
    # pills say their state in words; their icon is hidden from screen readers
    pill = page.locator(".pill-warning").first
    expect(pill).to_contain_text("Waiting for approval")
    expect(pill.locator("svg")).to_have_attribute("aria-hidden", "true")
    for tone in ("success", "info", "warning", "danger", "neutral"):
        expect(page.locator(f".pill-{tone}").first).to_be_visible()
    # an icon alone has a label
    expect(page.get_by_role("img", name="Waiting for review")).to_have_count(1)
    # the stat cards link to real pages
    link = page.locator(".stat-card a", has_text="Failed grade syncs")
    assert "/credit/failures" in (link.get_attribute("href") or "")
    assert page.console_errors == []


@browser
def test_tabs_and_the_table_box_are_reached_by_tab(browser_page: Any, design: str) -> None:
    page = browser_page
    page.goto(design)
    tab_to(page, ".admin-nav a", "the administration tabs")
    tab_to(page, ".subnav a[aria-current=page]", "the example tabs")
    expect(page.locator(".subnav a[aria-current=page]")).to_have_text("Design system")
    stop = page.evaluate(ACTIVE)
    assert stop["outlineStyle"] != "none" and stop["outlineWidth"] >= 2, stop
    tab_to(page, ".table-scroll", "the table's scrolling box")
    box = page.locator(".table-scroll")
    expect(box).to_have_attribute("role", "region")
    expect(box).to_have_attribute("aria-label", "Example: students and their hours")
    expect(page.get_by_role("region", name="Example: students and their hours")).to_be_focused()


@browser
def test_sort_buttons_work_with_enter_and_space(browser_page: Any, design: str) -> None:
    page = browser_page
    page.goto(design)
    hours = page.get_by_role("button", name="Hours")
    header = page.locator("table.sortable thead th", has=hours)
    expect(header).not_to_have_attribute("aria-sort", "ascending")
    hours.focus()
    page.keyboard.press("Enter")
    expect(header).to_have_attribute("aria-sort", "ascending")
    assert page.evaluate(FIRST_CELLS, 2) == ["0", "3", "8.25", "12.5", "16", "20"]  # by value
    expect(page.locator("[data-sort-status]")).to_have_text("Sorted by Hours, ascending")
    page.keyboard.press("Space")
    expect(header).to_have_attribute("aria-sort", "descending")
    assert page.evaluate(FIRST_CELLS, 2)[0] == "20"
    expect(page.locator("[data-sort-status]")).to_have_text("Sorted by Hours, descending")

    last_log = page.get_by_role("button", name="Last log")
    last_log.focus()
    page.keyboard.press("Enter")  # dates in order, the row without one last
    assert page.evaluate(FIRST_CELLS, 3) == [
        "2026-01-30", "2026-02-14", "2026-02-26", "2026-03-02", "2026-03-04", "—",
    ]  # fmt: skip
    expect(page.locator("table.sortable thead th", has=last_log)).to_have_attribute(
        "aria-sort", "ascending"
    )
    expect(header).not_to_have_attribute("aria-sort", "descending")  # only one column sorted
    expect(page.locator("table.sortable th[data-nosort] button")).to_have_count(0)


@browser
def test_the_destructive_button_is_behind_a_confirmation(browser_page: Any, design: str) -> None:
    page = browser_page
    page.goto(design)
    confirm = page.get_by_role("button", name="Yes, delete the listing")
    expect(confirm).to_be_hidden()
    tab_to(page, "#delete-example > summary", "the delete button")
    page.keyboard.press("Enter")
    expect(confirm).to_be_visible()
    expect(page.locator(".confirm-panel")).to_contain_text("This cannot be undone")
    tab_to(page, ".confirm-panel button.danger", "the confirmation")
    page.keyboard.press("Enter")
    expect(page.locator(".notice.success[role=status]")).to_contain_text("Nothing was deleted")
    assert "lid=" in page.url  # the launch travels with the example form


@browser
def test_a_field_in_error_says_so_in_words(browser_page: Any, design: str) -> None:
    page = browser_page
    page.goto(design)
    hours = page.get_by_label("Hours worked")
    expect(hours).to_have_attribute("aria-invalid", "true")  # shown refused from the start
    expect(hours).to_have_accessible_description(
        "In quarter hours. Enter quarter hours from 0.25 to 40, for example 1.5."
    )
    page.get_by_role("button", name="Check the form").click()
    field = page.get_by_label("Listing title")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(
        "What the student will do, in a few words. Enter the listing's title."
    )
    field.fill("Museum visitor survey")
    page.get_by_label("Hours worked").fill("1.5")
    page.get_by_label("Hours worked").press("Enter")
    expect(page.get_by_role("status").filter(has_text="would be saved")).to_be_visible()
    expect(page.get_by_label("Hours worked")).not_to_have_attribute("aria-invalid", "true")


@browser
def test_narrow_screens_and_reduced_motion(
    browser_page: Any, design: str, assert_accessible: Any
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(design)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 320, f"the page scrolls sideways at 320 px ({width} px wide)"
    box = "(s) => { const e = document.querySelector(s); return e.scrollWidth > e.clientWidth; }"
    assert page.evaluate(box, ".table-scroll"), "the wide table scrolls inside its own box"
    assert_accessible(page, "the Design system page at 320 px")
    # 200% zoom of a 1280 px window: a 640 px wide layout at two device pixels a pixel
    page.set_viewport_size({"width": 640, "height": 400})
    page.reload()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 640, f"the page scrolls sideways at 200% zoom ({width} px wide)"

    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.evaluate(TRANSITIONS), "positive control: buttons and tabs transition"
    page.emulate_media(reduced_motion="reduce")
    page.reload()
    assert page.evaluate(TRANSITIONS) == []


def test_the_page_answers_the_tool_administrator_only(make_platform: Any, driver: Any) -> None:
    platform = make_platform()
    admin = driver(platform)
    lid = admin.launch(sub="design-admin-http", role="admin", course=None, follow=False).lid
    resp = admin.client.get(f"/admin/design?lid={lid}")
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "<h1>Design system</h1>" in text and 'class="table-scroll"' in text
    for role in ("student", "faculty"):
        lti = driver(platform)
        launched = lti.launch(sub=f"design-{role}", role=role)
        assert launched.home.status_code == 200
        resp = lti.client.get(f"/admin/design?lid={launched.lid}")
        assert resp.status_code == 403, role
        assert reason(resp) == "role"
        assert "Design system" not in resp.get_data(as_text=True)


SORT_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "sort.js"
EDGE_TABLE = """<table class="sortable"><thead><tr>
  <th scope="col">Name</th><th scope="col">Amount</th><th scope="col">When</th>
  <th scope="col"><a href="#x">Linked</a></th><th scope="col" data-nosort>Notes</th>
</tr></thead><tbody>
  <tr><td>émile</td><td>1,200</td><td>2026-03-02T10:00</td><td>a</td><td>x</td></tr>
  <tr><td>Zoë</td><td>80%</td><td>—</td><td>b</td><td>y</td></tr>
  <tr><td>adam</td><td data-sort="5">five</td><td>2026-03-02T09:00</td><td>c</td><td>z</td></tr>
  <tr><td>Bea</td><td></td><td>2025-12-31</td><td>d</td><td>w</td></tr>
</tbody></table>"""


@browser
def test_sorting_reads_numbers_dates_overrides_and_leaves_controls_alone(
    browser_page: Any,
) -> None:
    page = browser_page
    page.set_content(EDGE_TABLE)
    page.add_script_tag(path=str(SORT_JS))
    expect(page.locator(".sort-button")).to_have_count(3)  # not the linked or nosort header
    page.get_by_role("button", name="Amount").click()
    assert page.evaluate(FIRST_CELLS, 0) == ["adam", "Zoë", "émile", "Bea"]  # 5, 80, 1200, empty
    page.get_by_role("button", name="Amount").click()
    assert page.evaluate(FIRST_CELLS, 0) == ["émile", "Zoë", "adam", "Bea"]  # empty stays last
    page.get_by_role("button", name="When").click()
    assert page.evaluate(FIRST_CELLS, 0) == ["Bea", "adam", "émile", "Zoë"]  # by time, dash last
    page.get_by_role("button", name="Name").click()
    assert page.evaluate(FIRST_CELLS, 0) == ["adam", "Bea", "émile", "Zoë"]  # ignoring case
