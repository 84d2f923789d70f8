"""The advisor's manage page at scale (issue 17, "Pages that scale"): "All listings" is searched
by title or employer, filtered by status, sorted and paged (50 a page), within one tenant, with
exact counts; its links carry the launch id and the filters; odd query values fall back."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest

from internships.models import Listing
from internships.services.listings import ensure_employer
from lti_tool.actor import Actor
from lti_tool.extensions import db
from tests.helpers import walk_pages
from tests.internships.conftest import ACTOR
from tests.internships.test_views import advisor

_ROW = re.compile(r'<th scope="row"><a href="[^"]*">([^<]*)</a></th>')


def bulk_listings(app, tenant_id: int, titles: list[str], **fields) -> None:
    """Listings written straight to the database (hundreds, quickly), one minute apart."""
    employer_name = fields.pop("employer", "Acme Analytics")
    with app.app_context():
        employer = ensure_employer(Actor(tenant_id, ACTOR), employer_name)
        start = fields.pop("created_from", dt.datetime(2026, 1, 1))
        db.session.add_all(
            Listing(
                tenant_id=tenant_id,
                employer_id=employer.id,
                title=title,
                estimated_hours=10,
                compensation_type="fixed",
                pay_amount_cents=10000,
                location_type="remote",
                status=fields.get("status", "open"),
                application_deadline=fields.get("application_deadline"),
                created_at=start + dt.timedelta(minutes=n),
            )
            for n, title in enumerate(titles)
        )
        db.session.commit()


def all_listings(html: str) -> list[str]:
    """The titles in the "All listings" table (not the approval queue's)."""
    section = html[html.index('id="all-heading"') :]
    return [unescape(title) for title in _ROW.findall(section)]


def walk(client, url: str) -> tuple[list[str], list[str]]:
    """Every title on every page, following "Next page" links only; and the pages' HTML."""
    return walk_pages(client, url, all_listings)


def test_paging_reaches_every_listing_once_and_never_another_tenants(
    advised_platform, make_platform, driver, app
):
    other = make_platform()
    mine = [f"Project {n:03d}" for n in range(120)]
    bulk_listings(app, advised_platform.tenant_id, mine)
    bulk_listings(app, other.tenant_id, [f"Elsewhere {n:03d}" for n in range(60)])
    _, lid = advisor(driver, advised_platform)
    # a browser that keeps no cookie: the paging links alone must carry the launch
    titles, pages = walk(app.test_client(), f"/internships/manage?lid={lid}")
    assert len(pages) == 3
    assert "Page 1 of 3" in pages[0] and "Page 3 of 3" in pages[2]
    assert "120 listings at" in pages[0] and "1 to 50 shown" in pages[0]
    assert "101 to 120 shown" in pages[2]
    assert sorted(titles) == mine and len(titles) == len(set(titles)) == 120
    assert titles[0] == "Project 119"  # newest first
    assert not any("Elsewhere" in html for html in pages)
    assert 'rel="prev"' in pages[1] and 'rel="prev"' not in pages[0]


def test_search_status_and_sort_narrow_and_survive_paging(advised_platform, driver, app):
    tenant_id = advised_platform.tenant_id
    surveys = [f"Survey {n:02d}" for n in range(55)]
    bulk_listings(app, tenant_id, surveys, application_deadline=dt.date(2030, 1, 1))
    bulk_listings(app, tenant_id, ["Archive work"], employer="Survey Partners")
    bulk_listings(app, tenant_id, ["Alpha census", "Zebra census"], status="draft")
    bulk_listings(
        app, tenant_id, ["Late one"], application_deadline=dt.date(2029, 5, 1), status="closed"
    )
    client, lid = advisor(driver, advised_platform)

    # the title or the employer's name, any case; the filter stays on the next page
    titles, pages = walk(client, f"/internships/manage?lid={lid}&q=SURVEY")
    assert "56 listings match" in pages[0] and "Page 1 of 2" in pages[0]
    assert 'name="q" value="SURVEY"' in pages[1]
    assert sorted(titles) == sorted([*surveys, "Archive work"])

    drafts = client.get(f"/internships/manage?lid={lid}&status=draft").get_data(as_text=True)
    assert all_listings(drafts) == ["Zebra census", "Alpha census"]  # newest first
    assert "2 listings match" in drafts and "Page 1 of" not in drafts

    by_title = client.get(f"/internships/manage?lid={lid}&status=draft&sort=title")
    assert all_listings(by_title.get_data(as_text=True)) == ["Alpha census", "Zebra census"]

    by_deadline, pages = walk(client, f"/internships/manage?lid={lid}&sort=deadline")
    assert by_deadline[0] == "Late one"  # soonest deadline first, none last
    assert set(by_deadline[-3:]) == {"Archive work", "Zebra census", "Alpha census"}
    next_link = re.search(r'<a href="([^"]*)" rel="next">', pages[0])
    assert len(by_deadline) == 59 and next_link and "sort=deadline" in next_link.group(1)

    nothing = client.get(f"/internships/manage?lid={lid}&q=nowhere").get_data(as_text=True)
    assert "No listing matches" in nothing and all_listings(nothing) == []


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        "page=abc",
        "page=0",
        "page=99999999999999999999",
        "page=%EF%BC%92",  # a full-width digit
        "sort=bogus",
        "status=bogus",
        "q=%25_%5C",  # LIKE's wildcards and escape match themselves
        "q=" + "x" * 5000,
    ],
)
def test_odd_query_values_fall_back(advised_platform, driver, app, query):
    bulk_listings(app, advised_platform.tenant_id, [f"Odd {n:02d}" for n in range(60)])
    client, lid = advisor(driver, advised_platform)
    resp = client.get(f"/internships/manage?lid={lid}&{query}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    shown = all_listings(html)
    if query.startswith("q="):
        assert shown == [] and "No listing matches" in html
    elif query == "page=99999999999999999999":
        assert "Page 2 of 2" in html and len(shown) == 10  # past the end: the last page
    else:
        assert "Page 1 of 2" in html and len(shown) == 50 and shown[0] == "Odd 59"


def test_a_percent_sign_is_searched_for_itself(advised_platform, driver, app):
    bulk_listings(app, advised_platform.tenant_id, ["100% remote survey", "Plain survey"])
    client, lid = advisor(driver, advised_platform)
    html = client.get(f"/internships/manage?lid={lid}&q=100%25").get_data(as_text=True)
    assert all_listings(html) == ["100% remote survey"]
