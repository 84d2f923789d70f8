"""The faculty roster through NRPS: real token, real HTTP, every page followed with the
next-page URL's case intact (the sandbox pages with case-sensitive tokens, 3 per page). The
faculty home shows the roster as kept (tests/lti_tool/test_roster_kept.py); these tests read it
with the home's Refresh roster button."""

from __future__ import annotations

import re

from lti_tool.lti.services_client import roster
from tests.conftest import sandbox_launch
from tests.helpers import press_refresh_roster


def test_faculty_home_lists_the_whole_roster(client, sandbox):
    launched = sandbox_launch(client, sandbox, course="bus-390", person="priya-raman")
    assert launched.home.status_code == 200
    refreshed = press_refresh_roster(client, launched.lid)
    assert refreshed.status_code == 303
    page = client.get(refreshed.headers["Location"]).get_data(as_text=True)
    assert "The roster was read from the LMS just now" in page
    assert "could not be read" not in page
    rows = re.findall(r"<tr(?: class=\"status-inactive\")?>\s*<td>([^<]+)</td>", page)
    # more members than one NRPS page holds: paging was followed to the end
    assert len(rows) > 3
    assert "Amara Okafor" in rows
    assert "Farah Haddad" in rows  # dropped, still listed, marked as such
    assert re.search(r'class="status-inactive">\s*<td>Farah Haddad</td>', page)
    assert "Dropped" in page


def test_roster_client_follows_case_sensitive_next_links(app, client, sandbox):
    from lti_tool.auth import load_launch

    launched = sandbox_launch(client, sandbox, course="cs-195", person="thomas-brooks")
    with app.app_context():
        ctx = load_launch(launched.lid)
        members = roster(ctx.registration_id, ctx.nrps_url)
    ids = [m.user_id for m in members]
    assert len(ids) == len(set(ids))  # no page fetched twice
    assert len(members) > 3


def test_ta_sees_the_roster_read_only(client, sandbox):
    launched = sandbox_launch(client, sandbox, course="bus-390", person="marcus-lee")
    refreshed = press_refresh_roster(client, launched.lid)  # a TA may read the roster again
    assert refreshed.status_code == 303
    page = client.get(refreshed.headers["Location"]).get_data(as_text=True)
    assert "Teaching assistant (read-only)" in page
    assert "Amara Okafor" in page
