"""SVG primitives for the HTML report: shapes with computed coordinates, number formats and axis
ticks. Nothing here knows what is plotted (:mod:`ftlint.reporters.plots` builds the charts).

An :class:`Svg` is a list of :class:`Shape` s; the template (``templates/report.html.j2``) writes
each as ``<tag attr="value">`` with jinja2's autoescaping, so a label from the data is text, never
markup. Tags and attribute names are constants of this module, never data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

SPLIT_COLORS = {"train": "#2563eb", "validation": "#d97706", "test": "#7c3aed", "reference": "#db2777"}
OTHER_COLORS = ("#0891b2", "#65a30d", "#9333ea", "#ea580c", "#4b5563", "#0d9488")
#: the colour of a chart with one series
ONE_SERIES = "#2563eb"


@dataclass
class Shape:
    """One SVG element: ``tag`` and attribute names are constants of this module, never data."""

    tag: str
    attrs: list[tuple[str, str]]
    text: str = ""
    title: str = ""


@dataclass
class Svg:
    width: int
    height: int
    label: str
    shapes: list[Shape] = field(default_factory=list)

    def rect(self, x: float, y: float, w: float, h: float, cls: str = "", fill: str = "", title: str = "",
             rx: float = 0) -> None:
        attrs = [("x", fmt(x)), ("y", fmt(y)), ("width", fmt(max(w, 0))), ("height", fmt(max(h, 0)))]
        if rx:
            attrs.append(("rx", fmt(rx)))
        if cls:
            attrs.append(("class", cls))
        if fill:
            attrs.append(("fill", fill))
        self.shapes.append(Shape("rect", attrs, title=title))

    def line(self, x1: float, y1: float, x2: float, y2: float, cls: str = "", stroke: str = "",
             title: str = "") -> None:
        attrs = [("x1", fmt(x1)), ("y1", fmt(y1)), ("x2", fmt(x2)), ("y2", fmt(y2))]
        if cls:
            attrs.append(("class", cls))
        if stroke:
            attrs.append(("stroke", stroke))
        self.shapes.append(Shape("line", attrs, title=title))

    def text(self, x: float, y: float, text: str, cls: str = "", anchor: str = "start", title: str = "",
             fill: str = "") -> None:
        attrs = [("x", fmt(x)), ("y", fmt(y)), ("text-anchor", anchor)]
        if cls:
            attrs.append(("class", cls))
        if fill:
            attrs.append(("fill", fill))
        self.shapes.append(Shape("text", attrs, text=text, title=title))

    def circle(self, x: float, y: float, r: float, fill: str, cls: str = "", title: str = "") -> None:
        attrs = [("cx", fmt(x)), ("cy", fmt(y)), ("r", fmt(r)), ("fill", fill)]
        if cls:
            attrs.append(("class", cls))
        self.shapes.append(Shape("circle", attrs, title=title))

    def polyline(self, points: list[tuple[float, float]], stroke: str, cls: str = "", title: str = "") -> None:
        attrs = [("points", " ".join(f"{fmt(x)},{fmt(y)}" for x, y in points)), ("stroke", stroke)]
        if cls:
            attrs.append(("class", cls))
        self.shapes.append(Shape("polyline", attrs, title=title))


def fmt(v: float) -> str:
    """A coordinate: one decimal at most."""
    return f"{v:.1f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


def num(v: float | int) -> str:
    """A value shown to a person: 1,234; 0.123; 12,346."""
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return f"{int(v):,}"


def short_num(v: float) -> str:
    """Axis labels: 950, 1.5k, 20k, 1.2M."""
    a = abs(v)
    if a >= 1e6:
        s = f"{v / 1e6:.1f}".rstrip("0").rstrip(".") + "M"
    elif a >= 1e3:
        s = f"{v / 1e3:.1f}".rstrip("0").rstrip(".") + "k"
    elif a >= 10 or float(v).is_integer():
        s = f"{v:.0f}"
    else:
        s = f"{v:.2g}"
    return s


def cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def series_color(name: str, i: int = 0) -> str:
    """A split's own colour (train, validation, test, reference), else one of a palette by position."""
    return SPLIT_COLORS.get(name, OTHER_COLORS[i % len(OTHER_COLORS)])


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten apart) from ``lo`` to ``hi``."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    ticks = []
    v = start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    return ticks


def log_ticks(lo: float, hi: float) -> list[float]:
    """1, 2 and 5 times each power of ten between ``lo`` and ``hi`` (both > 0)."""
    return [m * 10 ** e for e in range(int(math.floor(math.log10(lo))), int(math.ceil(math.log10(hi))) + 1)
            for m in (1, 2, 5) if lo <= m * 10 ** e <= hi]
