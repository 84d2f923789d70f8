"""The progress report's charts (accreditation/reports/services/charts.py) keep their legends
clear of the bars, on the page and in the PDF, whichever weeks are the busiest."""

from __future__ import annotations

from typing import Any

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from accreditation.reports.services import charts


def _figure(monkeypatch, draw) -> Any:
    kept: dict[str, Any] = {}
    monkeypatch.setattr(charts, "_render", lambda fig, fmt: kept.setdefault("fig", fig) and b"")
    draw()
    return kept["fig"]


@pytest.mark.parametrize("busiest", ["first", "last", "flat"])
def test_the_hours_legend_covers_no_bar(monkeypatch, busiest: str):
    height = {"first": lambda w: 30.0 - w, "last": lambda w: 10.0 + w, "flat": lambda w: 20.0}
    weeks = [(f"2026-01-{w + 1:02d}", height[busiest](w), 2.0) for w in range(12)]
    fig = _figure(monkeypatch, lambda: charts.hours_chart(weeks, "png"))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    assert [p for p in ax.patches if legend.overlaps(p.get_window_extent(renderer))] == []
    assert fig.bbox.contains(legend.x0, legend.y0) and fig.bbox.contains(legend.x1, legend.y1)
