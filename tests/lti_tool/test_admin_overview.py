"""The administrator's overview (issue 18): one screen of figures, each a link to where it is
handled, from the tenant's own data only; the signing key's state in words."""

from __future__ import annotations

import datetime as dt
import re

from lti_tool.admin.services import KeyInfo
from lti_tool.admin.views.overview import key_state
from lti_tool.extensions import db
from lti_tool.jobs.models import FAILED, SENT, OutboxMessage
from tests.helpers import counted

from .test_admin import admin_launch, pending_deployment

NOW = dt.datetime(2026, 3, 10, 12, 0)


def _key(
    kid: str, days_ago: float, signs_in: float = -1, signs_now: bool = False, legacy: bool = False
) -> KeyInfo:
    created = NOW - dt.timedelta(days=days_ago)
    return KeyInfo(kid, created, NOW + dt.timedelta(days=signs_in), signs_now, legacy)


def test_key_state_names_the_signer_its_age_and_a_rotation_under_way():
    state = key_state([_key("old", 40, signs_now=True), _key("new", 1, signs_in=2)], NOW)
    assert (state.signing_kid, state.age_days) == ("old", 40)
    assert state.next_from == NOW + dt.timedelta(days=2) and not state.legacy
    quiet = key_state([_key("only", 3, signs_now=True)], NOW)
    assert quiet.next_from is None and quiet.age_days == 3
    legacy = key_state([_key("shared", 400, signs_now=True, legacy=True)], NOW)
    assert legacy.legacy
    assert key_state([], NOW).signing_kid is None


def _figures(html: str) -> dict[str, tuple[str, str]]:
    """The stat cards: label -> (number, link)."""
    found = re.findall(
        r'<li class="stat-card[^"]*"><a href="([^"]+)"><span class="stat-number">([^<]+)</span>'
        r' <span class="stat-label">([^<]+)</span>',
        html,
    )
    return {label: (number, href.replace("&amp;", "&")) for href, number, label in found}


def test_the_overview_counts_what_waits_and_links_to_where_it_is_handled(
    app, make_platform, driver
):
    mine, theirs = make_platform(strict=True), make_platform()
    pending_deployment(mine, driver, "waits-here")
    with app.app_context():
        for tenant_id, status in ((mine.tenant_id, FAILED), (mine.tenant_id, SENT),
                                  (theirs.tenant_id, FAILED)):  # fmt: skip
            db.session.add(
                OutboxMessage(
                    tenant_id=tenant_id,
                    kind="score",
                    payload={},
                    source="credit_award:1",
                    status=status,
                )
            )
        db.session.commit()
    _lti, launched = admin_launch(driver, mine)
    html = launched.home.get_data(as_text=True)
    figures = _figures(html)
    lid = launched.lid
    assert figures["Platform registrations"] == ("1", f"/admin/registrations?lid={lid}")
    assert figures["Deployments waiting for approval"] == ("1", "#pending-heading")
    assert figures["Failed grade syncs"] == ("1", f"/credit/failures?lid={lid}")  # not theirs
    assert figures["Frame origins allowed"][1] == f"/admin/frame-origins?lid={lid}"
    assert figures["Days since the signing key was made"][1].startswith("/admin/registrations?")
    # what waits is on the overview itself, with its button
    assert "waits-here" in html and 'action="/admin/deployments/' in html
    # the long guides are not: a link to their page
    assert "Install in Canvas (developer key)" not in html
    assert f'href="/admin/guides?lid={lid}"' in html


def test_the_frame_origin_figures_are_the_frame_origins_pages_without_queries_of_their_own(
    app, make_platform, driver
):
    """The overview counts the allowed and seen origins as the frame origins page lists them,
    from the registrations it read already and the origins the process keeps for the tenant's
    origins version, and the new deployments from the registrations: a repeated view costs 6
    statements (it cost 9)."""

    from lti_tool.lti import frame_origins
    from lti_tool.models import Registration, Tenant

    platform = make_platform()
    with app.app_context():
        tenant = db.session.get(Tenant, platform.tenant_id)
        tenant.settings = {**(tenant.settings or {}), "frame_origins": ["https://lms.one.edu"]}
        reg = db.session.query(Registration).filter_by(tenant_id=platform.tenant_id).one()
        reg.frame_origins = [
            {"origin": "https://lms.two.edu", "source": "launch", "allowed": True},
            {"origin": "https://pages.three.edu", "source": "seen", "allowed": False},
            {"origin": "https://lms.one.edu", "source": "seen", "allowed": False},
        ]
        db.session.commit()
    lti, launched = admin_launch(driver, platform)
    figures = _figures(launched.home.get_data(as_text=True))
    with app.app_context():
        found = frame_origins.overview(db.session.get(Tenant, platform.tenant_id))
    allowed = len(found.configured) + len(found.learned) + len(found.derived)
    assert (allowed, len(found.seen)) == (3, 1)  # lms.one, lms.two, the issuer's origin
    assert figures["Frame origins allowed · 1 seen, not allowed"][0] == str(allowed)
    with app.app_context(), counted() as seen:
        again = lti.client.get(f"/admin/?lid={launched.lid}")
    assert again.status_code == 200
    assert _figures(again.get_data(as_text=True)) == figures
    assert len(seen) == 6, seen
