"""The advisor's dashboard and home (issue 18): the students at risk first, with their reasons
and links to each student; the figures as cards that link to their lists; the charts as SVG
bars (no matplotlib on these pages) each with its data table whose rows open their lists."""

from __future__ import annotations

import base64
import os
import re
from html import unescape

from accreditation.reports.services import bars
from internships.models import Listing
from lti_tool.extensions import db
from tests.helpers import counted

from .conftest import World


def page_of(person, path: str) -> str:
    resp = person.client.get(f"{path}?lid={person.lid}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    body = resp.get_data(as_text=True)
    if dump := os.environ.get("H4_DUMP"):  # to read a page while working on it
        with open(f"{dump}/{path.strip('/').replace('/', '_') or 'root'}.html", "w") as out:
            out.write(body)
    return body


def test_the_dashboard_shows_students_at_risk_first_then_cards_then_charts(world: World):
    body = page_of(world.advisor, "/reports/")
    at_risk = body.index('id="at-risk-heading"')
    assert at_risk < body.index('id="counts-heading"') < body.index('id="charts-heading"')
    # four engagements at risk (Amara's, Ben's two, Chloé's), each student linked
    assert "4 engagements are at risk" in body
    for sid in ("amara", "ben", "chloe"):
        assert f"/reports/students/{world.ids[sid]}?" in body
    assert "Supervisor evaluation overdue" in body and "Learning agreement not acknowledged" in body
    # the figures are links to their lists
    cards = re.search(r'<ul class="stat-cards".*?</ul>', body, re.S)
    assert cards is not None
    links = unescape(cards.group(0))
    assert "/reports/students?" in links and "state=active" in links
    assert "/credit/awards?" in links and "/reports/grades?" in links and "state=failed" in links
    assert "Counts for Fall term" in body


def test_the_dashboards_charts_each_have_a_data_table_linking_their_lists(world: World):
    body = unescape(page_of(world.advisor, "/reports/"))
    figures = re.findall(r'<figure class="chart">.*?</figure>', body, re.S)
    assert len(figures) == 2
    for figure in figures:
        assert 'src="data:image/svg+xml;base64,' in figure
        assert "The figures as a table" in figure and "<table>" in figure
        assert "/reports/students?" in figure
    assert "state=submitted" in figures[0] and "risk=no_agreement" in figures[1]
    svg = base64.b64decode(re.search(r"base64,([^\"]+)", figures[0]).group(1)).decode()  # type: ignore[union-attr]
    assert "<script" not in svg and "style=" not in svg and "<style" not in svg
    assert "Engagements by state" in svg


def test_the_advisor_home_puts_what_needs_the_advisor_first(world: World):
    body = page_of(world.advisor, "/home/advisor")
    needs = body.index('id="needs-heading"')
    assert needs < body.index('id="reports-panel-heading"')
    assert "This term at a glance" in body
    assert "4 engagements are at risk" in body
    assert f"/reports/students/{world.ids['ben']}?" in body


def test_bars_escape_labels_and_draw_no_bar_for_a_missing_figure():
    uri = bars.bar_chart(
        ["<b>&", "none"], [bars.Series("A", [3, None]), bars.Series("B", [1, 2])], "T & t"
    )
    svg = base64.b64decode(uri.split(",", 1)[1]).decode()
    assert "&lt;b&gt;&amp;" in svg and "T &amp; t" in svg
    assert svg.count("<rect") == 2 + 1 + 3 + 2  # pattern (2), background, bars, legend


def test_the_advisor_home_reads_the_students_at_risk_and_the_listings_counts_once(
    app, world: World, seed_listing, make_school
):
    """The students at risk (counts and the newest rows) come from one statement, and the
    listings waiting for approval are counted in the statement of the other internships
    panels' counts; another tenant's waiting listing is not counted."""
    other = make_school()
    waiting = seed_listing(world.tenant_id, title="Waiting listing")
    elsewhere = seed_listing(other.tenant_id, title="Another school's listing")
    with app.app_context():
        for listing_id in (waiting, elsewhere):
            db.session.get(Listing, listing_id).status = "pending_approval"
        db.session.commit()
    with app.app_context(), counted() as seen:
        body = page_of(world.advisor, "/home/advisor")
    at_risk = [s for s in seen if "OVER ()" in s and "FROM engagement" in s]
    assert len(at_risk) == 1 and "JOIN lti_user" in at_risk[0]
    assert "FROM application" in at_risk[0]  # the counts and the states beside them
    waiting_counts = [s for s in seen if "listing.source" in s]
    assert len(waiting_counts) == 1 and "workspace_checkin" in waiting_counts[0]
    assert "4 engagements are at risk; the newest 3" in body
    assert f"/reports/students/{world.ids['ben']}?" in body
    assert "Learning agreement not acknowledged" in body  # Chloé's, the newest
    assert "1 listing waits for approval" in body
    # nobody at risk at the other school: its counts still come, beside no engagement
    nobody = page_of(other.person("advisor"), "/home/advisor")
    assert "No student is at risk" in nobody and "Counts for all time" in nobody
    assert "1 listing waits for approval" in nobody
