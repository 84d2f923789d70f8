"""Small charts written as SVG text, for pages drawn on every request (the advisor's dashboard,
the attainment reports): microseconds where matplotlib takes 10-40 ms a chart. Their look is the
matplotlib charts' (services/charts.py): the Okabe-Ito colours, the same font and size, no top
or right frame, the title on the left.

Each returns an ``<img src>`` data URI (the CSP allows ``data:`` images; an inline ``<svg>``
would need ``style`` the CSP refuses): presentation attributes only, no script, no style. A
chart never stands alone: its page shows the figures as a table (``ui.chart``), and the bars
of a series differ by pattern as well as colour, so nothing depends on colour alone."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from xml.sax.saxutils import escape

from .charts import BLUE, FONT_FAMILY, GREY, INK, PALETTE

WIDTH = 640
FONT = f"{FONT_FAMILY}, Verdana, Arial, sans-serif"
SIZE = 12  # px: matplotlib's 9 pt at 100 dpi
CHAR = 6.8  # px: the average width of a character at SIZE (labels are cut to fit, not measured)
ROW = 26  # px per bar row (a series' bar and the gap)
LABEL_CHARS = 34


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per row; None: no figure (no bar, "—")


def _uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _cut(text: str, chars: int = LABEL_CHARS) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _svg(height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="{FONT}" font-size="{SIZE}" '
        f'fill="{INK}"><title>{escape(title)}</title>'
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        f'<rect width="2.5" height="6" fill="{GREY}"/></pattern></defs>'
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>' + "".join(body) + "</svg>"
    )


def _legend(series: Sequence[Series], colours: Sequence[str], y: int, x: int) -> list[str]:
    out = []
    for s, colour in zip(series, colours, strict=False):
        fill = "url(#hatch)" if colour == GREY else colour  # the swatch as the bars look
        out.append(
            f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{fill}" stroke="{colour}"/>'
        )
        out.append(f'<text x="{x + 17}" y="{y}">{escape(s.name)}</text>')
        x += 17 + int(len(s.name) * CHAR) + 18
    return out


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    title: str,
    max_value: float | None = None,
    unit: str = "",
) -> str:
    """Horizontal bars, one group per label and one bar per series (the first blue, the second
    hatched grey, then the palette), each with its figure written after it."""
    colours = [BLUE, "url(#hatch)", *PALETTE[2:]][: len(series)]
    swatches = [BLUE, GREY, *PALETTE[2:]][: len(series)]
    left = int(min(LABEL_CHARS, max((len(t) for t in labels), default=8)) * CHAR) + 16
    plot = WIDTH - left - 56
    top = 40 if len(series) > 1 else 28
    group = ROW * len(series) + 8 if len(series) > 1 else ROW
    height = top + max(1, len(labels)) * group + 10
    values = [v for s in series for v in s.values if v is not None]
    scale_max = max_value or max(values, default=0) or 1
    body = [f'<text x="0" y="14" font-weight="bold">{escape(title)}</text>']
    if len(series) > 1:
        body += _legend(series, swatches, 32, 0)
    body.append(f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{height - 8}" stroke="{INK}"/>')
    for i, label in enumerate(labels):
        y0 = top + i * group
        body.append(
            f'<text x="{left - 8}" y="{y0 + group / 2 + 4:.0f}" text-anchor="end">'
            f"{escape(_cut(label))}</text>"
        )
        for k, s in enumerate(series):
            value = s.values[i] if i < len(s.values) else None
            y = y0 + k * ROW + 4
            if value is None:
                body.append(f'<text x="{left + 6}" y="{y + 14}">—</text>')
                continue
            width = max(0.0, min(1.0, value / scale_max)) * plot
            body.append(
                f'<rect x="{left}" y="{y}" width="{width:.1f}" height="{ROW - 8}" '
                f'fill="{colours[k]}" stroke="{swatches[k]}"/>'
            )
            body.append(
                f'<text x="{left + width + 6:.1f}" y="{y + 14}">{_number(value)}{unit}</text>'
            )
    return _uri(_svg(height, body, title))


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    title: str,
    y_label: str,
    max_value: float = 100,
) -> str:
    """Lines across ``labels`` (terms), one per series with its own colour and marker shape,
    the legend under the plotting area; a missing figure breaks the line."""
    left, right, top, plot_h = 56, WIDTH - 16, 30, 180
    inset = 48  # the first and last terms' labels stay inside the picture
    bottom = top + plot_h
    legend_rows = -(-len(series) // 2)
    height = bottom + 40 + legend_rows * 18
    step = (right - left - 2 * inset) / max(1, len(labels) - 1)
    xs = [left + inset + step * i for i in range(len(labels))]

    def y_of(value: float) -> float:
        return bottom - max(0.0, min(1.0, value / max_value)) * plot_h

    body = [f'<text x="0" y="14" font-weight="bold">{escape(title)}</text>']
    for tick in range(0, 101, 25):
        y = y_of(max_value * tick / 100)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#dddddd"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    body.append(
        f'<text transform="translate(12 {(top + bottom) / 2:.0f}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    for x, label in zip(xs, labels, strict=True):
        name = escape(_cut(label, 16))
        body.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{name}</text>')
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = [(xs[i], y_of(v)) if v is not None else None for i, v in enumerate(s.values)]
        for a, b in pairwise(points):  # a term without a figure: a gap
            if a is not None and b is not None:
                body.append(
                    f'<line x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{b[0]:.1f}" y2="{b[1]:.1f}" '
                    f'stroke="{colour}" stroke-width="2"/>'
                )
        body += [_marker(k, p[0], p[1], colour) for p in points if p is not None]
    for k, s in enumerate(series):
        x = left + (k % 2) * (right - left) / 2
        y = bottom + 38 + (k // 2) * 18
        colour = PALETTE[k % len(PALETTE)]
        body.append(_marker(k, x + 6, y - 4, colour))
        body.append(f'<text x="{x + 16:.0f}" y="{y}">{escape(_cut(s.name, 40))}</text>')
    return _uri(_svg(height, body, title))


def _marker(k: int, x: float, y: float, colour: str) -> str:
    """A point of series ``k``: circle, square, triangle, diamond, in turn."""
    shape = k % 4
    if shape == 0:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'
    if shape == 1:
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    if shape == 2:
        pts = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"
    else:
        pts = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
    return f'<polygon points="{pts}" fill="{colour}"/>'
