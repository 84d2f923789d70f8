"""The skill picker in a real chromium: a text filter finds a skill among the 174, the keyboard
alone chooses it (the list is one Tab stop, walked with the arrow keys), the "Chosen" line
names every choice (kept when the filter hides it), the search submits them, and axe finds
nothing. Without script the checkboxes work alone."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from .test_internships import school  # noqa: F401 - the fixture: a school with the demo listings

pytestmark = pytest.mark.browser


def test_the_board_picker_filters_chooses_by_keyboard_and_shows_the_choices(
    browser_page: Any,
    live_server: Any,
    driver: Any,
    school: Any,  # noqa: F811 - the imported fixture
    assert_accessible: Any,
) -> None:
    lid = driver(school).launch(sub="stu-picker", role="student", follow=False).lid
    page = browser_page
    page.goto(f"{live_server.tool_url}/internships/?lid={lid}")
    page.locator("summary", has_text="Filters").click()
    chosen = page.locator("#skills-chosen")
    expect(chosen).to_have_text("Chosen: none")
    search = page.get_by_label("Find skills")
    expect(search).to_be_visible()  # the script showed the filter
    search.fill("sql")
    expect(page.locator("#skills .picker-count")).to_have_text("1 of 174 shown")
    expect(page.get_by_label("SQL", exact=True)).to_be_visible()
    expect(page.get_by_label("Python programming")).to_be_hidden()
    search.press("Enter")  # to the first match, not a submitted form
    expect(page.get_by_label("SQL", exact=True)).to_be_focused()
    assert "skills" not in page.url
    page.keyboard.press("Space")
    expect(chosen).to_have_text("Chosen: SQL")
    search.focus()
    search.press("Escape")  # the whole list again; the choice stays
    expect(search).to_have_value("")
    expect(page.get_by_label("Python programming")).to_be_visible()
    # the list is one Tab stop, at the chosen box; the arrow keys move in it
    search.press("Tab")
    expect(page.get_by_label("SQL", exact=True)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Stakeholder communication")).to_be_focused()
    page.keyboard.press("Tab")  # out of the 174 boxes at once
    assert page.evaluate("() => !document.activeElement.closest('#skills')")
    assert page.evaluate("() => document.activeElement.type") == "checkbox"  # competencies
    search.fill("excel")
    search.press("Enter")
    expect(page.get_by_label("Spreadsheet software (Excel)")).to_be_focused()
    page.keyboard.press("Space")
    expect(chosen).to_have_text("Chosen: Spreadsheet software (Excel), SQL")
    expect(page.get_by_label("SQL", exact=True)).to_be_hidden()  # filtered out, still chosen
    assert_accessible(page, "the board with the skill picker filtered")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#results-heading")).to_be_visible()
    query = parse_qs(urlsplit(page.url).query)
    assert sorted(query["skills"]) == ["spreadsheet-software", "sql"]
    expect(page.locator("#skills-chosen")).to_have_text("Chosen: Spreadsheet software (Excel), SQL")
    expect(page.get_by_label("SQL", exact=True)).to_be_checked()
    assert_accessible(page, "the board with skills chosen")
    assert page.console_errors == []


def test_the_picker_works_without_script(
    browser: Any,
    live_server: Any,
    driver: Any,
    school: Any,  # noqa: F811 - the imported fixture
    assert_accessible: Any,
) -> None:
    lid = driver(school).launch(sub="stu-noscript", role="student", follow=False).lid
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.tool_url}/internships/?lid={lid}")
        page.locator("summary", has_text="Filters").click()
        expect(page.locator("#skills .picker-filter")).to_be_hidden()  # needs the script
        page.get_by_label("SQL", exact=True).check()
        page.get_by_label("Python programming").check()
        page.get_by_role("button", name="Search").click()
        expect(page.locator("#skills-chosen")).to_have_text("Chosen: Python programming, SQL")
        assert sorted(parse_qs(urlsplit(page.url).query)["skills"]) == [
            "python-programming",
            "sql",
        ]
    finally:
        context.close()
