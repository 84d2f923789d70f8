"""The employer figures page reads only what it shows (issue 16): the kept figures are rows, one
per employer at its position by name, and a page reads its 25 employers' rows and their offers
by program; the CSVs have every row; a snapshot kept before the rows is worked out again; and
no advisor ever sees another institution's figures."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import func, select

from accreditation.reports import employer_figures as figures
from accreditation.reports import employer_snapshots
from accreditation.reports.models import EmployerFiguresRow, EmployerFiguresSnapshot
from internships.employers.portal.models import EngagementOffer
from internships.profile.models import StudentProfile
from lti_tool.extensions import db
from lti_tool.models import utcnow
from tests.helpers import counted, csrf_token
from tests.internships.work.helpers import accept

PROGRAMS_TABLE = re.compile(r'id="programs-heading".*?<tbody>(.*?)</tbody>', re.S)


def _offers_of(app, school, seed_listing, count: int = 30) -> None:
    """``count`` employers (Employer 00, 01...), each with a completed engagement and an offer
    to the same Economics student (the offer made as the supervisor's answer makes it)."""
    student = school.person("student")
    listings = [
        seed_listing(school.tenant_id, employer=f"Employer {n:02d}", title=f"Project {n}")
        for n in range(count)
    ]
    with app.app_context():
        for listing_id in listings:
            engagement = accept(student.ctx(), listing_id)
            engagement.status = "completed"
            db.session.add(
                EngagementOffer(
                    tenant_id=school.tenant_id,
                    engagement_id=engagement.id,
                    student_id=engagement.student_id,
                    employer_id=engagement.listing.employer_id,
                    would_hire=True,
                    kind="full_time",
                    status="offered",
                )
            )
        db.session.add(
            StudentProfile(tenant_id=school.tenant_id, user_id=student.user_id, program="Economics")
        )
        db.session.commit()


def _page(advisor, page: int = 1) -> str:
    url = f"/reports/employer-figures?lid={advisor.lid}&page={page}"
    return advisor.client.get(url).get_data(as_text=True)


def _program_employers(html: str) -> set[str]:
    """The employers the page's offers-by-program table names."""
    table = PROGRAMS_TABLE.search(html)
    assert table, html[-3000:]
    return set(re.findall(r'<th scope="row">([^<]+)</th><td>Economics</td>', table.group(1)))


def _refresh(advisor) -> None:
    page = advisor.client.get(f"/reports/employer-figures?lid={advisor.lid}")
    resp = advisor.client.post(
        f"/reports/employer-figures?lid={advisor.lid}",
        data={"form": "refresh", "csrf_token": csrf_token(page), "lid": advisor.lid},
    )
    assert resp.status_code == 303


def _csv(advisor, name: str) -> list[dict[str, str]]:
    resp = advisor.client.get(f"/reports/{name}?lid={advisor.lid}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


def _kept_rows(app, tenant_id: int) -> int:
    with app.app_context():
        stmt = select(func.count()).where(EmployerFiguresRow.tenant_id == tenant_id)
        return db.session.scalar(stmt) or 0


def test_a_page_shows_the_offers_of_its_own_employers(app, school, seed_listing):
    _offers_of(app, school, seed_listing)
    advisor = school.person("advisor")
    first = {f"Employer {n:02d}" for n in range(25)}
    rest = {f"Employer {n:02d}" for n in range(25, 30)}
    for kept in (False, True):  # worked out for the view, then read from the kept rows
        if kept:
            _refresh(advisor)
            assert _kept_rows(app, school.tenant_id) == 30
        one, two = _page(advisor, 1), _page(advisor, 2)
        assert _program_employers(one) == first
        assert _program_employers(two) == rest
        assert "of the employers on this page (1 to 25 of 30)" in one
        assert "of the employers on this page (26 to 30 of 30)" in two
        rows = _csv(advisor, "employer-figures-programs.csv")
        assert [r["Employer"] for r in rows] == sorted(first | rest)
        assert {(r["Program"], r["Offers made"], r["Offers accepted"]) for r in rows} == {
            ("Economics", "1", "0")
        }
        assert len(_csv(advisor, "employer-figures.csv")) == 30
    assert "employer-figures-programs.csv" in _page(advisor)  # linked beside the table


def test_a_page_reads_only_its_rows(app, school, seed_listing):
    _offers_of(app, school, seed_listing, count=3)
    advisor = school.person("advisor")
    _refresh(advisor)
    with app.app_context(), counted() as seen:
        assert "Employer 02" in _page(advisor)
    rows = [s for s in seen if "employer_figures_row" in s]
    assert len(rows) == 1 and "position >=" in rows[0] and "position <" in rows[0]
    assert "tenant_id" in rows[0]
    assert not [s for s in seen if "FROM listing" in s]  # not worked out again
    with app.test_request_context("/"):
        found = employer_snapshots.kept_figures(school.tenant_id, None)
        assert found.worked is None and found.total == 3
        rows, programs = found.page(1, 2)
    assert [row[0] for row in rows] == ["Employer 01"]
    assert [p[0] for p in programs] == ["Employer 01"]


def test_offers_of_an_employer_without_a_row_are_in_the_csv(app, school, monkeypatch):
    advisor = school.person("advisor")
    found = figures.Figures(
        [figures.EmployerFigures(1, "Acme Analytics", listings=1, offers=1)],
        [("Acme Analytics", "Economics", 1, 1), ("Gone Gadgets", "Nursing", 2, 0)],
    )
    monkeypatch.setattr(figures, "employer_figures", lambda *_args: found)
    _refresh(advisor)
    rows = _csv(advisor, "employer-figures-programs.csv")
    assert [(r["Employer"], r["Program"]) for r in rows] == [
        ("Acme Analytics", "Economics"),
        ("Gone Gadgets", "Nursing"),
    ]
    text = _page(advisor)
    assert "Acme Analytics" in text and "Gone Gadgets" not in text


def test_a_snapshot_kept_before_the_rows_is_worked_out_again(app, school, seed_listing):
    advisor = school.person("advisor")
    seed_listing(school.tenant_id, employer="Acme Analytics", title="Survey sprint")
    old = {"rows": [["Old Employer"] + [None] * 14], "programs": [], "glance": {}}
    with app.app_context():
        db.session.add(
            EmployerFiguresSnapshot(
                tenant_id=school.tenant_id, term_key="", data=old, computed_at=utcnow()
            )
        )
        db.session.commit()
    text = _page(advisor)
    assert "Acme Analytics" in text and "Old Employer" not in text
    assert _kept_rows(app, school.tenant_id) == 0  # a view writes nothing
    _refresh(advisor)
    assert _kept_rows(app, school.tenant_id) == 1
    assert "Acme Analytics" in _page(advisor)


def test_the_pool_keeps_the_rows_of_a_snapshot_kept_before_them(app, school, seed_listing, pool):
    advisor = school.person("advisor")
    seed_listing(school.tenant_id, employer="Acme Analytics", title="Survey sprint")
    with app.app_context():
        db.session.add(
            EmployerFiguresSnapshot(
                tenant_id=school.tenant_id, term_key="", data={"rows": []}, computed_at=utcnow()
            )
        )
        db.session.commit()
    assert "Acme Analytics" in _page(advisor)  # worked out for the view, handed to the pool
    assert len(pool) == 1
    pool[0].result(timeout=30)
    assert _kept_rows(app, school.tenant_id) == 1
    assert "Acme Analytics" in _page(advisor) and len(pool) == 1  # kept: nothing handed over


def test_another_institutions_advisor_never_sees_them(app, school, seed_listing, make_school):
    _offers_of(app, school, seed_listing, count=3)
    _refresh(school.person("advisor"))
    other = make_school().person("advisor")
    for _ in range(2):  # worked out for the view, then kept (their own, empty)
        text = _page(other)
        assert "Employer 0" not in text and "No offer recorded yet." in text
        assert _csv(other, "employer-figures.csv") == []
        assert _csv(other, "employer-figures-programs.csv") == []
        _refresh(other)
    assert _kept_rows(app, school.tenant_id) == 3
