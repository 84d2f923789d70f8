"""The engagement page's chart of hours per week: every week from the first entry's to the
last's (empty weeks show as gaps), confirmed hours apart from the others, and an SVG with no
style attribute (the page's CSP allows none) whose bars carry their figures as text."""

from __future__ import annotations

import datetime as dt

from internships.work.models import HourLog
from internships.work.views.hour_chart import hours_chart_src, hours_svg, weekly_hours


def _log(day: dt.date, hours: float, status: str = "confirmed") -> HourLog:
    return HourLog(work_date=day, minutes=int(hours * 60), status=status, description="x")


def test_weeks_from_first_to_last_with_the_gaps():
    logs = [
        _log(dt.date(2026, 3, 3), 2),  # Tuesday of the week of Monday 2 March
        _log(dt.date(2026, 3, 5), 1.5, "pending"),
        _log(dt.date(2026, 3, 18), 4, "queried"),  # two weeks later
    ]
    weeks = weekly_hours(logs)
    assert [w.monday for w in weeks] == [
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 9),
        dt.date(2026, 3, 16),
    ]
    assert [(w.confirmed, w.other) for w in weeks] == [(2, 1.5), (0, 0), (0, 4)]
    assert weekly_hours([]) == []


def test_the_svg_has_bars_with_their_figures_and_no_style():
    weeks = weekly_hours([_log(dt.date(2026, 3, 3), 2), _log(dt.date(2026, 3, 10), 3.5)])
    svg = hours_svg(weeks)
    assert svg.count('fill="#0072B2"') == 2
    assert ">3.5<" in svg and ">2<" in svg and ">2 Mar<" in svg
    assert "style" not in svg
    assert hours_chart_src(weeks).startswith("data:image/svg+xml;base64,")
