"""The engagement page's chart of hours per week (issue 18): a small SVG drawn here from the
hour entries the page loads anyway (no query, no matplotlib: internships may not import the
accreditation reports' charts), shown as an image with its figures as a table beside it."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from ..models import HourLog
from ..services.common import week_bounds

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 640, 220, 24, 40, 8
MAX_WEEKS = 16  # the latest weeks; the table beside the chart lists every week
BAR, INK, RULE = "#0072B2", "#1a1a1a", "#6b7780"  # the reports' blue (Okabe-Ito), dark text


@dataclass(frozen=True)
class Week:
    monday: dt.date
    confirmed: float
    other: float  # waiting for review or queried

    @property
    def total(self) -> float:
        return self.confirmed + self.other


def weekly_hours(logs: Iterable[HourLog]) -> list[Week]:
    """Hours logged per week (Monday first), every week from the first entry's to the last's,
    empty weeks included so the gaps show."""
    minutes: dict[dt.date, list[int]] = {}
    for log in logs:
        monday = week_bounds(log.work_date)[0]
        pair = minutes.setdefault(monday, [0, 0])
        pair[0 if log.status == "confirmed" else 1] += log.minutes
    if not minutes:
        return []
    weeks, day, last = [], min(minutes), max(minutes)
    while day <= last:
        confirmed, other = minutes.get(day, [0, 0])
        weeks.append(Week(day, confirmed / 60, other / 60))
        day += dt.timedelta(days=7)
    return weeks


def _text(x: float, y: float, words: str, anchor: str = "middle") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="12" '
        f'font-family="DejaVu Sans, Arial, sans-serif" fill="{INK}">{escape(words)}</text>'
    )


def hours_svg(weeks: list[Week]) -> str:
    """The latest weeks as bars, each labelled with its hours and its Monday."""
    shown = weeks[-MAX_WEEKS:]
    top = max((w.total for w in shown), default=0) or 1
    slot = (WIDTH - 2 * LEFT) / max(len(shown), 1)
    plot = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}">',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - LEFT}" y2="{HEIGHT - BOTTOM}" '
        f'stroke="{RULE}" stroke-width="1"/>',
    ]
    for i, week in enumerate(shown):
        height = plot * week.total / top
        x = LEFT + i * slot + slot * 0.15
        y = HEIGHT - BOTTOM - height
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" '
            f'fill="{BAR}"/>'
        )
        middle = x + slot * 0.35
        if week.total:
            parts.append(_text(middle, y - 6, f"{week.total:g}"))
        parts.append(_text(middle, HEIGHT - BOTTOM + 16, week.monday.strftime("%-d %b")))
    parts.append("</svg>")
    return "".join(parts)


def hours_chart_src(weeks: list[Week]) -> str:
    """The chart as a data: URL for an <img> (the page's CSP allows data: images)."""
    svg = hours_svg(weeks).encode()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
