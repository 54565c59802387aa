"""Bar charts drawn on the server as inline SVG: numbers and their labels in, markup out.

A chart fits a phone 320 px wide (it scales with its container through its ``viewBox``), reads
as one image to a screen reader (``role="img"`` named by its ``<title>`` and described by its
``<desc>``), and every text in it is escaped. The page shows the same figures as a table beside
it for whoever cannot see the bars. No scripts, no external libraries.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from markupsafe import Markup

WIDTH = 320
HEIGHT = 180
TOP = 18  # room for the scale's label
BOTTOM = 20  # room for the bars' labels
SIDE = 4
BAR_SHARE = 0.7  # of each bar's slot; the rest is the gap
_ID = re.compile(r"[a-z][a-z0-9-]{0,63}")


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # under the bar, short: "Jan"
    value: int | Decimal  # its height; below zero counts as zero
    text: str  # the value as the page writes it: "1.250"


def bar_chart(chart_id: str, title: str, description: str, bars: Sequence[Bar]) -> Markup:
    """An SVG bar chart; ``chart_id`` (lower-case letters, digits and dashes) keeps the ids of
    its title and description unique on the page."""
    if _ID.fullmatch(chart_id) is None:
        raise ValueError(f"Not a chart id: {chart_id!r}")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        'preserveAspectRatio="xMidYMid meet" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<line class="axis" x1="{SIDE}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - SIDE}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="currentColor" stroke-width="1"/>',
    ]
    parts.extend(_bars(bars))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def _bars(bars: Sequence[Bar]) -> list[str]:
    if not bars:
        return []
    values = [max(Decimal(bar.value), Decimal(0)) for bar in bars]
    top = max(values)
    plot = HEIGHT - TOP - BOTTOM
    slot = Decimal(WIDTH - 2 * SIDE) / len(bars)
    width = slot * Decimal(BAR_SHARE)
    drawn = []
    if top > 0:
        highest = bars[values.index(top)]
        drawn.append(
            f'<line class="scale" x1="{SIDE}" y1="{TOP}" x2="{WIDTH - SIDE}" y2="{TOP}" '
            'stroke="currentColor" stroke-width="0.5" stroke-dasharray="3 3"/>'
            f'<text x="{SIDE}" y="{TOP - 5}" font-size="11">{escape(highest.text)}</text>'
        )
    for index, (bar, value) in enumerate(zip(bars, values, strict=True)):
        height = Decimal(0) if top == 0 else value / top * plot
        x = SIDE + slot * index + (slot - width) / 2
        middle = SIDE + slot * index + slot / 2
        drawn.append(
            f'<rect class="bar" x="{_n(x)}" y="{_n(HEIGHT - BOTTOM - height)}" '
            f'width="{_n(width)}" height="{_n(height)}">'
            f"<title>{escape(bar.label)}: {escape(bar.text)}</title></rect>"
            f'<text x="{_n(middle)}" y="{HEIGHT - 6}" font-size="10" '
            f'text-anchor="middle">{escape(bar.label)}</text>'
        )
    return drawn


def _n(number: Decimal) -> str:
    """A coordinate with two decimals at most: short markup, and never ``1E+2``."""
    return f"{number.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
