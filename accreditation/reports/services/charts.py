"""Charts drawn on the server with matplotlib's object API and the Agg backend (no pyplot, so
no global figure state between requests): SVG for pages, PNG for the PDF. Each chart has a
data table next to it (the text alternative). Colours differ in lightness as well as hue and
the few-bar charts add hatching, so no chart depends on colour alone."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

from internships.work.models import RATING_LEVELS

# Okabe-Ito colours (distinguishable with colour-vision deficiencies), dark text: every chart
# of the reports and of attainment (pages, PDFs, the SVG bars of services/bars.py) uses these.
BLUE, ORANGE, GREY, INK = "#0072B2", "#D55E00", "#999999", "#1a1a1a"
GREEN, PURPLE, YELLOW, SKY = "#009E73", "#CC79A7", "#E69F00", "#56B4E9"
# the series of a chart with many (the trend's outcomes), in this order; markers tell them apart
# without colour
PALETTE = (BLUE, ORANGE, GREEN, PURPLE, YELLOW, SKY, INK)
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
FONT_SIZE = 9  # points: 12 px on a page at 100 dpi, the SVG bars' size
FONT_FAMILY = "DejaVu Sans"  # matplotlib's own; the SVG bars name it first


def _figure(
    width: float, height: float, left: float = 0.09, bottom: float = 0.22, top: float = 0.88
) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    style()
    fig = Figure(figsize=(width, height), dpi=100)
    # fixed margins: tight_layout measures every label first and costs a third of the drawing
    fig.subplots_adjust(left=left, right=0.98, bottom=bottom, top=top)
    return fig, fig.add_subplot(1, 1, 1)


def style() -> None:
    """The charts' shared look: font, size, the Okabe-Ito colour cycle (called before a figure
    is made; matplotlib's settings are per process, and these are the same for every chart)."""
    import matplotlib

    matplotlib.use("Agg")
    from cycler import cycler

    matplotlib.rcParams["svg.hashsalt"] = "career-credit"  # stable ids: same data, same SVG
    matplotlib.rcParams["font.size"] = FONT_SIZE
    matplotlib.rcParams["font.family"] = FONT_FAMILY
    matplotlib.rcParams["axes.prop_cycle"] = cycler(color=PALETTE)
    matplotlib.rcParams["axes.spines.top"] = False
    matplotlib.rcParams["axes.spines.right"] = False
    matplotlib.rcParams["axes.titlelocation"] = "left"
    matplotlib.rcParams["text.color"] = INK


def _render(fig: Any, fmt: str) -> bytes:
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {}
    fig.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


def data_uri(data: bytes, fmt: str) -> str:
    """An ``<img src>`` value (the page's CSP allows ``data:`` images; an inline ``<svg>``
    would bring a ``<style>`` element the CSP refuses)."""
    mime = "image/svg+xml" if fmt == "svg" else "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def hours_chart(weeks: Sequence[tuple[str, float, float]], fmt: str = "svg") -> bytes:
    """Stacked bars per week: confirmed and not yet confirmed hours."""
    fig, ax = _figure(6.4, 2.8)
    labels = [w for w, _, _ in weeks] or ["—"]
    confirmed = [c for _, c, _ in weeks] or [0]
    pending = [p for _, _, p in weeks] or [0]
    x = range(len(labels))
    ax.bar(x, confirmed, color=BLUE, label="Confirmed")
    ax.bar(x, pending, bottom=confirmed, color=ORANGE, label="Not yet confirmed")
    step = max(1, len(labels) // 10)
    ax.set_xticks(list(x)[::step], labels[::step], rotation=30, ha="right")
    ax.set_ylabel("Hours")
    # the title on the left and the legend on the right, both above the plotting area: a
    # legend inside it covers the bars of the busiest weeks
    ax.set_title("Hours per week", color=INK, loc="left")
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _render(fig, fmt)


def competency_chart(
    rows: Sequence[tuple[str, int | None, float | None]], fmt: str = "svg"
) -> bytes:
    """Horizontal bars per competency: the student's highest level and the cohort average."""
    height = 0.45 * max(3, len(rows)) + 1.3
    fig, ax = _figure(6.4, height, left=0.3, bottom=0.55 / height, top=1 - 0.55 / height)
    names = [name for name, _, _ in rows] or ["No ratings yet"]
    mine = [level or 0 for _, level, _ in rows] or [0]
    cohort = [avg or 0 for _, _, avg in rows] or [0]
    y = [i * 1.0 for i in range(len(names))]
    ax.barh([v + 0.2 for v in y], mine, height=0.4, color=BLUE, label="Highest level reached")
    ax.barh(
        [v - 0.2 for v in y], cohort, height=0.4, color=GREY, hatch="..", label="Cohort average"
    )
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(0, len(RATING_LEVELS))
    ax.set_xticks(range(len(RATING_LEVELS) + 1), ["0", "1", "2", "3", "4"])
    ax.set_xlabel("Level (1 Emerging Knowledge … 4 Advanced Application)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _render(fig, fmt)


def cohort_chart(
    bins: Sequence[tuple[str, int]],
    highlight: int | None,
    fmt: str = "svg",
    marker: str = "This student",
) -> bytes:
    """Students of the cohort per band of confirmed hours; the student's band highlighted."""
    fig, ax = _figure(6.4, 2.8, bottom=0.3)
    labels = [label for label, _ in bins] or ["—"]
    counts = [count for _, count in bins] or [0]
    colours = [BLUE if i == highlight else GREY for i in range(len(labels))]
    bars = ax.bar(range(len(labels)), counts, color=colours)
    if highlight is not None and 0 <= highlight < len(bars):
        bars[highlight].set_hatch("//")
        ax.annotate(
            marker,
            (highlight, counts[highlight]),
            ha="center",
            va="bottom",
            color=INK,
            fontweight="bold",
        )
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_xlabel("Confirmed hours")
    ax.set_ylabel("Students")
    ax.set_title("Cohort: confirmed hours per student", color=INK)
    ax.spines[["top", "right"]].set_visible(False)
    return _render(fig, fmt)
