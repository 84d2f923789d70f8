"""The employer figures are kept and shown with their age: a view writes nothing (with none
kept it works them out for itself), "Refresh now" keeps them (at once where the process has no
work pool, as in tests), later changes show only after a refresh, and the table is paged."""

from __future__ import annotations

from sqlalchemy import func, select

from accreditation.reports.models import EmployerFiguresSnapshot
from lti_tool.extensions import db
from tests.helpers import csrf_token


def _page(advisor, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return advisor.client.get(f"/reports/employer-figures?lid={advisor.lid}&{query}")


def _refresh(advisor):
    page = _page(advisor)
    return advisor.client.post(
        f"/reports/employer-figures?lid={advisor.lid}",
        data={"form": "refresh", "csrf_token": csrf_token(page), "lid": advisor.lid},
    )


def _kept(app, tenant_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(EmployerFiguresSnapshot.id)).where(
                EmployerFiguresSnapshot.tenant_id == tenant_id
            )
        )


def test_kept_figures_show_their_age_until_refreshed(app, school, seed_listing):
    advisor = school.person("advisor")
    seed_listing(school.tenant_id, employer="Acme Analytics", title="Survey sprint")
    first = _page(advisor).get_data(as_text=True)
    assert "Acme Analytics" in first and "Worked out on" in first
    assert _kept(app, school.tenant_id) == 0  # a view writes nothing
    resp = _refresh(advisor)
    assert resp.status_code == 303
    assert "worked out again" in advisor.client.get(resp.headers["Location"]).get_data(as_text=True)
    assert _kept(app, school.tenant_id) == 1
    seed_listing(school.tenant_id, employer="Bay Robotics", title="Sensor log review")
    assert "Bay Robotics" not in _page(advisor).get_data(as_text=True)  # the kept figures
    _refresh(advisor)
    assert "Bay Robotics" in _page(advisor).get_data(as_text=True)
    rows = advisor.client.get(f"/reports/employer-figures.csv?lid={advisor.lid}")
    assert "Bay Robotics" in rows.get_data(as_text=True)


def test_the_table_is_paged_and_the_csv_has_every_employer(app, school, seed_listing):
    advisor = school.person("advisor")
    for n in range(30):
        seed_listing(school.tenant_id, employer=f"Employer {n:02d}", title=f"Project {n}")
    first = _page(advisor).get_data(as_text=True)
    assert "Employer 00" in first and "Employer 24" in first and "Employer 25" not in first
    assert "Page 1 of 2" in first and "Next page" in first
    second = _page(advisor, page=2).get_data(as_text=True)
    assert "Employer 25" in second and "Employer 29" in second and "Employer 00" not in second
    assert "Employer 29" in _page(advisor, page=99).get_data(as_text=True)  # the last page
    csv_text = advisor.client.get(f"/reports/employer-figures.csv?lid={advisor.lid}")
    assert all(f"Employer {n:02d}" in csv_text.get_data(as_text=True) for n in range(30))


def test_refresh_needs_its_csrf_token(app, school):
    advisor = school.person("advisor")
    resp = advisor.client.post(
        f"/reports/employer-figures?lid={advisor.lid}", data={"form": "refresh", "lid": advisor.lid}
    )
    assert resp.status_code == 400
    assert _kept(app, school.tenant_id) == 0


def test_refresh_now_never_works_the_figures_out_in_the_request_where_a_pool_runs(
    app, school, seed_listing, pool
):
    """With a job for these figures already waiting (a second press), the press is that job:
    at a state system's size working them out in the request would take minutes."""
    from accreditation.reports import employer_snapshots

    advisor = school.person("advisor")
    seed_listing(school.tenant_id, employer="Acme Analytics", title="Survey sprint")
    waiting = (school.tenant_id, "")
    employer_snapshots._keeper._pending.add(waiting)  # a job for them waits on the pool
    try:
        resp = _refresh(advisor)
        assert resp.status_code == 303
        page = advisor.client.get(resp.headers["Location"]).get_data(as_text=True)
        assert "being worked out again" in page
        assert _kept(app, school.tenant_id) == 0  # nothing worked out by the request
        assert pool == []  # nor a second job handed over
    finally:
        employer_snapshots._keeper._pending.discard(waiting)
