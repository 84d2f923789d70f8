"""An import's report at scale (issue 17, "Pages that scale"): rows with problems first, then the
rest, each in file order, 100 a page, with the count of each ("37 rows with problems, 963
imported"); another tenant's import never opens; odd page numbers fall back."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest

from internships.models import ImportJob
from lti_tool.extensions import db
from tests.helpers import csrf_token, walk_pages
from tests.internships.test_views import advisor

_ROW = re.compile(r'<tr><th scope="row">(\d+)</th><td>(\w+)')
REJECTED = {row for row in range(2, 1002) if row % 27 == 0}  # 37 of 1,000 rows


def finished_job(app, tenant_id: int, rows: int = 1000) -> int:
    """A background listing import that has finished: rows 2..rows+1, some refused."""
    results: list[dict[str, Any]] = [
        {
            "row": row,
            "outcome": "rejected" if row in REJECTED else "created",
            "key": f"K-{row}",
            "name": f"Listing of row {row}",
            "reason": "estimated_hours is not a whole number." if row in REJECTED else "",
            "listing_id": None,
            "key_source": "external_id",
            "notes": [],
            "draft": False,
        }
        for row in range(2, rows + 2)
    ]
    rejected = sum(1 for r in results if r["outcome"] == "rejected")
    with app.app_context():
        job = ImportJob(
            tenant_id=tenant_id,
            kind="listings",
            filename="big.csv",
            status="done",
            total=rows,
            processed=rows,
            created=rows - rejected,
            rejected=rejected,
            results=results,
            actor="Test Advisor <advisor@example.edu>",
            finished_at=dt.datetime(2026, 3, 1),
        )
        db.session.add(job)
        db.session.commit()
        return job.id


def walk(client, url: str) -> tuple[list[tuple[int, str]], list[str]]:
    return walk_pages(client, url, lambda html: [(int(n), o) for n, o in _ROW.findall(html)])


def test_the_report_shows_problems_first_and_pages_through_every_row_once(
    advised_platform, driver, app
):
    job_id = finished_job(app, advised_platform.tenant_id)
    _, lid = advisor(driver, advised_platform)
    # without a cookie: the paging links carry the launch id
    rows, pages = walk(app.test_client(), f"/internships/import/jobs/{job_id}?lid={lid}")
    assert len(pages) == 10 and "Page 1 of 10" in pages[0] and "Page 10 of 10" in pages[-1]
    assert "37 rows with problems, 963 imported" in pages[0]
    numbers = [row for row, _ in rows]
    assert sorted(numbers) == list(range(2, 1002)) and len(numbers) == len(set(numbers))
    assert [row for row, _ in rows[:37]] == sorted(REJECTED)
    assert {outcome for _, outcome in rows[:37]} == {"Rejected"}
    assert [row for row, _ in rows[37:]] == sorted(set(range(2, 1002)) - REJECTED)
    assert "is not a whole number" in pages[0]


def test_another_tenants_import_never_opens(advised_platform, make_platform, driver, app):
    other = make_platform()
    theirs = finished_job(app, other.tenant_id, rows=5)
    mine = finished_job(app, advised_platform.tenant_id, rows=5)
    client, lid = advisor(driver, advised_platform)
    assert client.get(f"/internships/import/jobs/{mine}?lid={lid}").status_code == 200
    assert client.get(f"/internships/import/jobs/{theirs}?lid={lid}").status_code == 404


@pytest.mark.parametrize(
    ("query", "first_row"),
    [
        ("page=-1", 27),
        ("page=abc", 27),
        ("page=0", 27),
        ("page=2", 96),  # the 101st: after the 9 refused rows, the 92nd other (27, 54, 81 skipped)
        ("page=99999999999", 200),  # past the end: the last page (the 201st row)
    ],
)
def test_odd_page_numbers_fall_back(advised_platform, driver, app, query, first_row):
    job_id = finished_job(app, advised_platform.tenant_id, rows=250)  # 9 refused
    client, lid = advisor(driver, advised_platform)
    resp = client.get(f"/internships/import/jobs/{job_id}?lid={lid}&{query}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "9 rows with problems, 241 imported" in html
    assert int(_ROW.findall(html)[0][0]) == first_row


def test_a_short_import_lists_its_problems_first(advised_platform, driver):
    from tests.internships.test_imports import CSV

    client, lid = advisor(driver, advised_platform)
    page = client.get(f"/internships/import?lid={lid}")
    resp = client.post(
        "/internships/import",
        data={
            "lid": lid,
            "csrf_token": csrf_token(page),
            "file": (io.BytesIO(CSV.encode()), "l.csv"),
        },
        content_type="multipart/form-data",
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html[:800]
    assert "2 rows with problems, 2 imported" in html
    assert [int(row) for row, _ in _ROW.findall(html)] == [4, 5, 2, 3]
