"""Charts as inline SVG, drawn on the server: no script, readable by assistive technology.

Each chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>`` naming
what it shows and its range; the page puts the same numbers in a table right
after it (a chart is never the only way to read a figure). Colours are chosen
for contrast on white (WCAG 2.1 AA for graphics, 3:1) and each series also
differs by dash pattern, so colour is never the only cue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 200
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 12, 12, 28
# Dark blue, dark orange, dark green, dark red: each >= 4.5:1 against white.
COLOURS = ("#1f4e9c", "#a84300", "#1b6e2e", "#a3162c")
DASHES = ("", "6 3", "2 3", "8 3 2 3")


@dataclass(frozen=True)
class Line:
    """One series of a chart; ``None`` values leave a gap."""

    label: str
    values: Sequence[float | None]


def line_chart(
    title: str, description: str, labels: Sequence[str], lines: Sequence[Line], *, unit: str,
    y_max: float | None = None,
) -> str:
    """An SVG line chart of ``lines`` over the x ``labels`` (first and last are printed)."""
    present = [v for line in lines for v in line.values if v is not None]
    top = y_max if y_max is not None else _nice(max(present, default=0.0))
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    count = max(len(labels), 2)

    def x(i: int) -> float:
        return _LEFT + plot_w * i / (count - 1)

    def y(v: float) -> float:
        return _TOP + plot_h * (1 - (v / top if top else 0))

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{_id(title)}-t {_id(title)}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{_id(title)}-t">{escape(title)}</title>',
        f'<desc id="{_id(title)}-d">{escape(description)}</desc>',
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{WIDTH - _RIGHT}" y2="{_TOP + plot_h}" '
        'stroke="#333"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + plot_h}" stroke="#333"/>',
        f'<text x="{_LEFT - 6}" y="{_TOP + 4}" text-anchor="end">{_fmt(top)}</text>',
        f'<text x="{_LEFT + 6}" y="{_TOP + 4}">{escape(unit)}</text>',
        f'<text x="{_LEFT - 6}" y="{_TOP + plot_h}" text-anchor="end">0</text>',
    ]
    if labels:
        parts.append(f'<text x="{_LEFT}" y="{HEIGHT - 8}">{escape(labels[0])}</text>')
        parts.append(f'<text x="{WIDTH - _RIGHT}" y="{HEIGHT - 8}" text-anchor="end">'
                     f'{escape(labels[-1])}</text>')
    for n, line in enumerate(lines):
        colour, dash = COLOURS[n % len(COLOURS)], DASHES[n % len(DASHES)]
        for segment in _segments(line.values):
            points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in segment)
            style = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{style} '
                         f'points="{points}"><title>{escape(line.label)}</title></polyline>')
        for i, v in enumerate(line.values):  # a marker per value: a lone bucket still shows
            if v is not None:
                at = escape(labels[i]) if i < len(labels) else ""
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                             f'<title>{escape(line.label)} {at}: {_fmt(round(v, 1))}</title>'
                             '</circle>')
    parts.append("</svg>")
    return "".join(parts)


def legend(lines: Sequence[Line]) -> str:
    """A legend naming each series with its colour and dash pattern."""
    items = []
    for n, line in enumerate(lines):
        colour, dash = COLOURS[n % len(COLOURS)], DASHES[n % len(DASHES)]
        style = f' stroke-dasharray="{dash}"' if dash else ""
        items.append(
            f'<li><svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" '
            f'y2="5" stroke="{colour}" stroke-width="2"{style}/></svg> {escape(line.label)}</li>')
    return f'<ul class="legend">{"".join(items)}</ul>'


def _segments(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    segments: list[list[tuple[int, float]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append((i, value))
    return [s for s in segments if len(s) > 1]


def _nice(value: float) -> float:
    """A round axis maximum at or above ``value``."""
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000):
        if value <= step:
            return float(step)
    return float(int(value * 1.2))


def _fmt(value: float) -> str:
    return f"{value:g}"


def _id(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower())
