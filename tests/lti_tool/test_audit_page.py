"""The administrator's audit trail (issue 17, "Pages that scale"): every entry of the tenant,
newest first, 50 a page, searched by action or actor and bounded by days in the tenant's time
zone; another tenant's entries never appear; odd query values fall back."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from lti_tool.extensions import db
from lti_tool.models import AuditEntry
from tests.helpers import walk_pages
from tests.lti_tool.test_admin import admin_launch

_MARK = re.compile(r"<td>seeded: (\d+)</td>")
START = dt.datetime(2026, 3, 1, 12, 0)  # UTC, as entries are stored


def seed_entries(app, tenant_id: int, count: int, **fields) -> None:
    """``count`` entries, ``seeded: n`` in their details, one every six hours from START."""
    with app.app_context():
        db.session.add_all(
            AuditEntry(
                tenant_id=tenant_id,
                actor=fields.get("actor") or ("Alice Admin" if n % 2 else "Bob Builder"),
                action=fields.get("action") or ("listing.create" if n % 3 else "grade.sync"),
                detail={"seeded": n},
                created_at=START + dt.timedelta(hours=6 * n),
            )
            for n in range(count)
        )
        db.session.commit()


def walk(client, url: str) -> tuple[list[int], list[str]]:
    return walk_pages(client, url, lambda html: [int(n) for n in _MARK.findall(html)])


def test_the_audit_trail_pages_through_every_entry_once_newest_first(driver, make_platform, app):
    platform, other = make_platform(), make_platform()
    seed_entries(app, platform.tenant_id, 120)
    seed_entries(app, other.tenant_id, 30, actor="Other School", action="secret.other")
    _, launched = admin_launch(driver, platform)
    index = launched.home.get_data(as_text=True)
    assert f"/admin/audit?lid={launched.lid}" in index  # reached by a link
    # without a cookie: the links carry the launch id
    marks, pages = walk(app.test_client(), f"/admin/audit?lid={launched.lid}")
    assert sorted(marks) == list(range(120)) and len(marks) == 120
    assert marks == sorted(marks, reverse=True)  # newest first
    assert "Page 1 of 3" in pages[0] and "Page 3 of 3" in pages[-1]
    assert not any("Other School" in html or "secret.other" in html for html in pages)


def test_search_and_dates_narrow_and_survive_paging(driver, make_platform, app):
    platform = make_platform()
    seed_entries(app, platform.tenant_id, 120)
    lti, launched = admin_launch(driver, platform)
    lid = launched.lid
    marks, pages = walk(lti.client, f"/admin/audit?lid={lid}&q=alice")
    assert sorted(marks) == [n for n in range(120) if n % 2]
    assert "60 entries match" in pages[0] and len(pages) == 2
    assert 'value="alice"' in pages[1]
    marks, _ = walk(lti.client, f"/admin/audit?lid={lid}&q=GRADE.SYNC")
    assert sorted(marks) == [n for n in range(120) if n % 3 == 0]
    # four entries a day from 12:00 UTC on 1 March: 2 March holds 2..5; both days are included
    marks, _ = walk(lti.client, f"/admin/audit?lid={lid}&since=2026-03-02&until=2026-03-03")
    assert sorted(marks) == list(range(2, 10))
    marks, _ = walk(lti.client, f"/admin/audit?lid={lid}&since=2026-03-30")
    assert sorted(marks) == list(range(114, 120))


def test_days_are_the_tenants(driver, make_platform, app):
    platform = make_platform()
    with app.app_context():
        from lti_tool.models import Tenant

        db.session.get(Tenant, platform.tenant_id).time_zone = "Pacific/Auckland"  # UTC+13
        db.session.commit()
    seed_entries(app, platform.tenant_id, 6)  # from 12:00 UTC on 1 March, six hours apart
    lti, launched = admin_launch(driver, platform)
    url = f"/admin/audit?lid={launched.lid}&since=2026-03-02&until=2026-03-02"
    marks, _ = walk(lti.client, url)
    assert sorted(marks) == [0, 1, 2, 3]  # 2 March in Auckland: 11:00 UTC on 1 March to 11:00


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("page=-1", 50),
        ("page=abc", 50),
        ("page=99999999999", 10),  # past the end: the last page
        ("since=yesterday", 50),
        ("since=0001-01-01&until=9999-12-31", 50),
        ("until=2026-02-30", 50),
        ("q=%25_", 0),  # LIKE's wildcards match themselves
    ],
)
def test_odd_query_values_fall_back(driver, make_platform, app, query, shown):
    platform = make_platform()
    seed_entries(app, platform.tenant_id, 60, actor="Seeded Person")
    lti, launched = admin_launch(driver, platform)
    search = "" if query.startswith("q=") else "q=seeded&"
    resp = lti.client.get(f"/admin/audit?lid={launched.lid}&{search}{query}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert len(_MARK.findall(html)) == shown
    if "since=" in query or "until=" in query:
        assert "not understood" in html


def test_only_tool_administrators_open_it(driver, make_platform):
    platform = make_platform()
    lti, launched = admin_launch(driver, platform)
    assert lti.client.get(f"/admin/audit?lid={launched.lid}").status_code == 200
    other = driver(platform)
    student = other.launch(sub="student-audit", role="student", follow=False)
    assert other.client.get(f"/admin/audit?lid={student.lid}").status_code == 403
