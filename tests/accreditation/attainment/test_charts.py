"""The attainment pages' charts (accreditation/attainment/charts.py): SVG with no script or
style, an alt text that states the finding, and no chart where there is nothing to draw."""

from __future__ import annotations

import base64
from types import SimpleNamespace

from accreditation.attainment import charts
from accreditation.attainment.services.report import Measure, Trend, TrendCell


def _svg(uri: str) -> str:
    assert uri.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(uri.split(",", 1)[1]).decode()
    assert "<script" not in svg and "style=" not in svg and "<style" not in svg
    return svg


def _row(name: str, direct: dict[int, int], indirect: dict[int, int]) -> SimpleNamespace:
    return SimpleNamespace(
        outcome=SimpleNamespace(id=hash(name) % 1000, name=name),
        measures={"direct": Measure(3, 4, direct), "indirect": Measure(3, 4, indirect)},
    )


def test_attainment_chart_states_the_range_of_direct_measures():
    report = SimpleNamespace(
        rows=[_row("Teamwork", {3: 1, 1: 1}, {}), _row("Communication", {4: 2}, {2: 1})]
    )
    chart = charts.attainment_chart(report)  # type: ignore[arg-type]
    assert chart is not None
    assert "from 50% (Teamwork) to 100% (Communication)" in chart.alt
    svg = _svg(chart.src)
    assert "Teamwork" in svg and "Indirect (self-assessed)" in svg and ">—<" in svg
    assert charts.attainment_chart(SimpleNamespace(rows=[])) is None  # type: ignore[arg-type]


def test_the_trend_breaks_its_line_where_a_term_has_no_figure():
    a, b = SimpleNamespace(id=1, name="Teamwork"), SimpleNamespace(id=2, name="Leadership")
    cells = {
        1: {"direct": {"F25": TrendCell(2, 50.0), "S26": TrendCell(2, 100.0)}},
        2: {"direct": {"F25": TrendCell(1, 100.0), "F26": TrendCell(1, 0.0)}},
    }
    chart = charts.trend_chart(Trend(["F25", "S26", "F26"], cells, [a, b]))  # type: ignore[list-item]
    assert chart is not None
    assert "1 of 2 outcomes rose and 1 fell" in chart.alt  # first to last figure of each
    svg = _svg(chart.src)
    assert svg.count("<line") - svg.count('stroke="#dddddd"') == 1  # Leadership: a gap at S26
    assert charts.trend_chart(Trend(["F25"], cells, [a])) is None  # type: ignore[list-item]
