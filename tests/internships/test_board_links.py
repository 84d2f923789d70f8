"""The board's links, built once a page (issue 16): each listing's link is the one URL built
for the page with the listing's id put in, each page number's the one pagination URL with the
number put in. They lead where they did when each was built on its own: to the listing, with
the search to return to, and to the page of the same search."""

from __future__ import annotations

import html
import re

from .test_views import seed, student  # noqa: F401 (seed: the listing factory fixture)


def _hrefs(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]


def test_the_board_links_lead_to_each_listing_and_each_page(
    advised_platform,
    driver,
    seed,  # noqa: F811 (the fixture imported above)
):
    ids = {
        seed(advised_platform.tenant_id, title=f"Survey project {n:02d}", estimated_hours=10 + n)
        for n in range(14)
    }
    client, lid = student(driver, advised_platform)
    first = client.get(f"/internships/?lid={lid}&q=survey&sort=hours").get_data(as_text=True)
    listing_links = [h for h in _hrefs(first) if re.match(r"/internships/\d+\?", h)]
    assert len(listing_links) == 12  # a page of cards
    found = {int(re.match(r"/internships/(\d+)\?", h).group(1)) for h in listing_links}
    assert found < ids
    for href in listing_links:
        assert href.endswith(f"&lid={lid}") and "back=q%3Dsurvey%26sort%3Dhours" in href
    detail = client.get(listing_links[0]).get_data(as_text=True)
    assert "Survey project 00" in detail

    next_page = [h for h in _hrefs(first) if "page=2" in h]
    assert next_page and all(h.endswith(f"lid={lid}") for h in next_page)
    second = client.get(next_page[0]).get_data(as_text=True)
    assert "Survey project 12" in second and "Survey project 00" not in second
    assert 'aria-current="page">Page 2' in second
    back = [h for h in _hrefs(second) if re.match(r"/internships/\d+\?", h)]
    assert back and all("page%3D2" in h for h in back)  # the search and its page
