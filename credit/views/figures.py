"""The credit pages' figures (presentation only): students counted by where they stand, the
filters the course page offers over those counts, and the course's progress chart — a small
horizontal bar chart written as SVG text (no plotting library: the course page of a
300-student course is measured in CPU per request), shown as an ``<img>`` with its data table."""

from __future__ import annotations

import base64
import functools
from collections import Counter
from collections.abc import Iterable
from html import escape

from ..services.roster import RosterRow

# Where students stand, in the order a course moves through them: (key, words, states).
BUCKETS: list[tuple[str, str, tuple[str, ...]]] = [
    ("not_started", "Not started", ("not_started",)),
    ("in_progress", "In progress", ("in_progress",)),
    ("ready", "Ready for review", ("ready", "resubmitted")),
    ("changes_requested", "Changes requested", ("changes_requested",)),
    ("awaiting_approval", "Awaiting second approval", ("awaiting_approval",)),
    ("awarded", "Credit awarded", ("awarded",)),
    ("denied", "Credit denied", ("denied",)),
]

# The course page's ``?state=`` filters: each bucket, and the students still working.
FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    key: (words, states) for key, words, states in BUCKETS
} | {
    "working": (
        "Still working (in progress or changes requested)",
        ("in_progress", "changes_requested"),
    )
}

# Bar colors with at least 3:1 against white (WCAG 1.4.11); the words and numbers beside each
# bar say the same, so nothing depends on color.
_FILL = {
    "not_started": "#6b6b6b",
    "in_progress": "#0b5394",
    "ready": "#1f5f9e",
    "changes_requested": "#9a5b00",
    "awaiting_approval": "#8a5300",
    "awarded": "#1e6b2f",
    "denied": "#a4000f",
}


def state_counts(states: Iterable[str]) -> list[tuple[str, str, int]]:
    """(key, words, how many students) per bucket, in the course's order."""
    counted = Counter(states)
    return [(key, words, sum(counted[s] for s in group)) for key, words, group in BUCKETS]


def filtered(rows: list[RosterRow], key: str | None) -> tuple[list[RosterRow], str | None]:
    """The rows whose state is in the filter ``key`` (all rows for an unknown key), and the
    filter's words (None when not filtered)."""
    if not key or key not in FILTERS:
        return rows, None
    words, states = FILTERS[key]
    return [r for r in rows if r.state in states], words


def progress_chart(counts: list[tuple[str, str, int]]) -> str:
    """The counts as a horizontal bar chart: an ``<img src>`` data URI of an SVG."""
    return _chart(tuple(counts))


def chart_alt(counts: list[tuple[str, str, int]]) -> str:
    """The chart's text alternative: every bar's words and number, as the chart shows them."""
    listed = ", ".join(f"{words} {n}" for _, words, n in counts)
    return f"Bar chart of students by where they stand: {listed}."


@functools.lru_cache(maxsize=256)
def _chart(counts: tuple[tuple[str, str, int], ...]) -> str:
    row, label_w, bar_w, pad = 30, 190, 360, 8
    top = max((n for _, _, n in counts), default=0) or 1
    height = row * len(counts) + 2 * pad
    width = label_w + bar_w + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="14">'
    ]
    for i, (key, words, n) in enumerate(counts):
        y = pad + i * row
        w = round(bar_w * n / top)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 19}" text-anchor="end" fill="#1b1b1b">'
            f"{escape(words)}</text>"
        )
        if w:
            parts.append(
                f'<rect x="{label_w}" y="{y + 5}" width="{w}" height="20" rx="2" '
                f'fill="{_FILL.get(key, "#4a4a4a")}"/>'
            )
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 19}" fill="#1b1b1b">{n}</text>')
    parts.append(
        f'<line x1="{label_w}" y1="{pad}" x2="{label_w}" y2="{height - pad}" stroke="#4a4a4a"/>'
        "</svg>"
    )
    svg = "".join(parts).encode()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
