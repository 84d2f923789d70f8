"""One truth about hours: logged in quarter hours, shown to the quarter on every page, CSV and
PDF (2.75 hours is "2.75" everywhere, never 2.8 on one and 2.75 on another)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from internships.work.models import Engagement
from lti_tool.extensions import db
from lti_tool.quantities import hours_text, quarter_hours

from .conftest import World, day, log


@pytest.mark.parametrize(
    ("minutes", "number", "text"),
    [
        (0, 0.0, "0"),
        (15, 0.25, "0.25"),
        (765, 12.75, "12.75"),
        (2655, 44.25, "44.25"),
        (750, 12.5, "12.5"),
        (720, 12.0, "12"),
        (74055, 1234.25, "1,234.25"),
        (22.5, 0.5, "0.5"),  # half a quarter rounds up
        (None, 0.0, "0"),
    ],
)
def test_hours_are_shown_to_the_quarter(minutes, number, text):
    assert quarter_hours(minutes) == number
    assert hours_text(minutes) == text


def _csv(resp) -> list[list[str]]:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))


def test_the_progress_report_page_and_its_csv_show_the_same_quarter_hours(app, world: World):
    with app.app_context():
        engagement = db.session.scalar(
            select(Engagement).where(Engagement.id == world.ids["e_amara"])
        )
        log(engagement, day(-19), 45)  # 120 + 45 minutes: 2.75 hours
        db.session.commit()
    advisor = world.advisor
    sid = world.ids["amara"]
    page = advisor.client.get(f"/reports/students/{sid}?lid={advisor.lid}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "2.75 confirmed hours" in body and "2.8 confirmed" not in body
    rows = _csv(advisor.client.get(f"/reports/students/{sid}/engagements.csv?lid={advisor.lid}"))
    header, first = rows[0], rows[1]
    assert first[header.index("Logged hours")] == "2.75"
    assert first[header.index("Confirmed hours")] == "2.75"
