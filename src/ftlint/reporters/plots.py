"""Chart builders: one function per chart spec kind (:mod:`ftlint.chartspec`), each turning a spec
into a :class:`Chart` (an :class:`~ftlint.reporters.svg.Svg` with its title, caption, legend and
table). They read the spec's fields only: what is plotted, and how, is the producer's choice.

The HTML view model (:mod:`ftlint.reporters.html`) decides where a chart goes and gives it its
anchor; :func:`build` picks the builder.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from ftlint.chartspec import Bars, ChartSpec, Clusters, Curve, Histogram, Marker, Projection, Series
from ftlint.reporters.svg import ONE_SERIES, Svg, cut, log_ticks, nice_ticks, num, series_color, short_num

#: bars in one bar chart (the rest are summed into one "others" bar)
MAX_BARS = 12
#: points per set in a scatter plot
MAX_POINTS = 1500
#: points per series drawn in a curve (more are thinned, keeping each stretch's lowest and highest)
MAX_CURVE_POINTS = 1200
#: groups listed under a clusters plot
MAX_CLUSTERS_LISTED = 8
#: colours of a curve's markers, by kind (others: grey)
MARKER_COLORS = {"minimum": "#15803d", "best": "#2563eb", "spike": "#c62828", "limit": "#c62828",
                 "checkpoint": "#6b7280"}


@dataclass
class Chart:
    """A plot with its title and caption, as shown in a chart card."""

    id: str
    title: str
    svg: Svg
    caption: str = ""
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, text)
    wide: bool = False
    link: str = ""  # anchor of the finding it illustrates
    table: list[list[str]] = field(default_factory=list)  # optional rows under the plot
    table_head: list[str] = field(default_factory=list)
    stacked: bool = False  # the caption under the plot, not beside it (a full-width plot)


def build(spec: ChartSpec, *, width: int | None = None) -> Chart | None:
    """The chart of ``spec`` (None when it holds nothing to draw); ``width`` for bar charts."""
    if isinstance(spec, Histogram):
        return histogram_chart(spec)
    if isinstance(spec, Bars):
        return bars_chart(spec, width=width or 520)
    if isinstance(spec, Clusters):
        return clusters_chart(spec)
    if isinstance(spec, Projection):
        return projection_chart(spec)
    if isinstance(spec, Curve):
        return curve_chart(spec)
    return None


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _finite(v: float) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# -- histogram --------------------------------------------------------------------------------------

def histogram_chart(spec: Histogram) -> Chart | None:
    """One panel per series over the shared bin edges; a ``limit`` marker draws a line, colours the
    bins above it and says how many lie above it (the series' spread); other markers draw a line."""
    series = {k: v for k, v in spec.series.items() if v}
    edges = list(spec.edges)
    if not series or len(edges) < 2 or not all(len(c) == len(edges) - 1 for c in series.values()):
        return None
    log = spec.scale == "log" and edges[0] > 0
    width, left, right = 1060, 64, 24
    panel_h, gap, head, top, bottom = 110, 18, 24, 4, 44
    height = top + len(series) * (head + panel_h + gap) - gap + bottom
    svg = Svg(width, height, f"{spec.title}: {spec.unit} per series")
    lo, hi = edges[0], edges[-1]
    plot_w = width - left - right

    def xpos(v: float) -> float:
        if log:
            v = max(v, lo)
            return left + plot_w * (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo))
        return left + plot_w * (v - lo) / (hi - lo)

    ticks = log_ticks(lo, hi) if log else nice_ticks(lo, hi, 8)
    for k, (name, counts) in enumerate(series.items()):
        y0 = top + k * (head + panel_h + gap) + head
        peak = max(counts) or 1
        mine = [m for m in spec.markers if m.series in ("", name)]
        limit = next((m for m in mine if m.kind == "limit"), None)
        spread = spec.spreads.get(name)
        base = y0 + panel_h
        svg.rect(left, y0, plot_w, panel_h, cls="panel")
        for t in ticks:
            svg.line(xpos(t), y0, xpos(t), base, cls="grid")
        color = series_color(name, k)
        for i, c in enumerate(counts):
            if not c:
                continue
            x0, x1 = xpos(edges[i]), xpos(edges[i + 1])
            h = (panel_h - 8) * c / peak
            over = limit is not None and (edges[i] + edges[i + 1]) / 2 > limit.x
            svg.rect(x0 + 0.5, base - h, x1 - x0 - 1, h, cls="bar-over" if over else "", fill="" if over else color,
                     title=f"{name}: {c:,} {spec.of} of {short_num(edges[i])}–{short_num(edges[i + 1])} {spec.unit}")
        svg.line(left, base, left + plot_w, base, cls="axis")
        svg.text(left - 8, y0 + 12, short_num(peak), cls="tick", anchor="end")
        svg.text(left - 8, base, "0", cls="tick", anchor="end")
        if spread is not None:
            label = (f"{name} · {spread.n:,} {spec.of} · median {num(round(spread.median))} · p95 "
                     f"{num(round(spread.p95))} · max {num(round(spread.max))} {spec.unit}")
        else:
            label = f"{name} · {sum(counts):,} {spec.of}"
        svg.text(left, y0 - 8, label, cls="panel-label", fill=color)
        for m in mine:
            lx = xpos(min(max(m.x, lo), hi))
            cls = "limit" if m.kind == "limit" else "marker"
            svg.line(lx, y0 - 4, lx, base, cls=cls, stroke="" if m.kind == "limit" else _marker_color(m))
            note = f"{m.label} = {num(m.x)}"
            if m is limit and spread is not None and spread.over is not None:
                note += (f" · {spread.over:,} over ({spread.over / max(spread.n, 1):.1%})" if spread.over
                         else " · all fit")
            anchor = "end" if lx > left + plot_w * 0.6 else "start"
            svg.text(lx - 6 if anchor == "end" else lx + 6, y0 + 18, note, cls="limit-label" if m is limit else "tick",
                     anchor=anchor)
        if spread is not None and spread.beyond_axis:
            svg.text(left + plot_w, y0 - 8, f"{spread.beyond_axis:,} beyond {short_num(hi)}: in the last bar",
                     cls="tick", anchor="end")
    last_base = top + len(series) * (head + panel_h + gap) - gap
    for t in ticks:
        svg.text(xpos(t), last_base + 16, short_num(t), cls="tick", anchor="middle")
    svg.text(left + plot_w / 2, height - 6, (spec.x_label or spec.unit) + (" (log scale)" if log else ""),
             cls="axis-label", anchor="middle")
    return Chart("", spec.title, svg, caption=spec.note, wide=True, stacked=True)


# -- bars -------------------------------------------------------------------------------------------

def bars_chart(spec: Bars, *, width: int = 520) -> Chart | None:
    """Horizontal bars per category, the largest first (at most :data:`MAX_BARS`, the rest summed);
    with several series, grouped bars, one colour per series (compared by their shares when the
    spec normalises)."""
    series = {k: {str(c): float(v) for c, v in vals.items() if _finite(v)} for k, vals in spec.series.items()}
    series = {k: v for k, v in series.items() if v}
    if not series:
        return None
    multi = len(series) > 1
    shares = spec.normalize and multi
    totals = {k: sum(v.values()) or 1.0 for k, v in series.items()}
    combined: dict[str, float] = {}
    for k, vals in series.items():
        for c, v in vals.items():
            combined[c] = combined.get(c, 0.0) + (v / totals[k] if shares else v)
    cats = sorted(combined, key=combined.__getitem__, reverse=True)[:MAX_BARS]  # stable: ties keep their order
    rest = [c for c in combined if c not in cats]
    if rest:
        cats.append(f"({len(rest)} others)")
    values: dict[str, list[float]] = {}
    for k, vals in series.items():
        row = [vals.get(c, 0.0) for c in cats[: len(cats) - (1 if rest else 0)]]
        if rest:
            row.append(sum(vals.get(c, 0.0) for c in rest))
        values[k] = [v / totals[k] for v in row] if shares else row
    peak = max((max(v) for v in values.values()), default=0.0) or 1.0
    bar_h = 14 if multi else 18
    group_h = bar_h * len(series) + 8
    left, right, top = 150, 128, 8
    height = top + group_h * len(cats) + 4
    svg = Svg(width, height, spec.label or spec.title)
    plot_w = width - left - right
    for i, cat in enumerate(cats):
        y = top + i * group_h
        svg.text(left - 8, y + group_h / 2 + 1, cut(cat, 22), cls="cat", anchor="end", title=cat)
        for j, (k, bars) in enumerate(values.items()):
            v = bars[i]
            w = max(plot_w * v / peak, 0.0)
            color = series_color(k, j) if multi else ONE_SERIES
            raw = series[k].get(cat, 0.0) if not (rest and i == len(cats) - 1) else sum(
                series[k].get(c, 0.0) for c in rest)
            if spec.values == "share":
                shown = f"{raw:.1%}"
            elif spec.values == "value":
                shown = num(raw)
            else:
                shown = f"{num(raw)} ({raw / totals[k]:.0%})"
            by = y + j * bar_h + 3
            svg.rect(left, by, max(w, 1.5), bar_h - 3, fill=color, rx=2,
                     title=f"{k}: {cat}: {shown}" if multi else f"{cat}: {shown}")
            svg.text(left + w + 6, by + bar_h - 6, shown, cls="val")
    legend = [(series_color(k, j), k) for j, k in enumerate(series)] if multi else []
    caption = spec.note
    if shares:
        caption = (caption + " " if caption else "") + "Bars are each split's share."
    return Chart("", spec.title, svg, caption=caption, legend=legend)


# -- clusters ---------------------------------------------------------------------------------------

def clusters_chart(spec: Clusters) -> Chart | None:
    """How many groups have each size (10 and more in one bar), and where the largest are."""
    if not spec.sizes:
        return None
    sizes = Counter(min(s, 10) for s in spec.sizes)
    cats = {("10+" if s == 10 else str(s)): float(n) for s, n in sorted(sizes.items())}
    width, left, top, bottom = 520, 56, 22, 40
    plot_h = 130
    svg = Svg(width, top + plot_h + bottom, f"Group sizes: {spec.title}")
    plot_w = width - left - 16
    peak = max(cats.values())
    slot = plot_w / len(cats)
    bw = min(44.0, slot * 0.6)
    for t in nice_ticks(0, peak, 4):
        if t == int(t):
            y = top + plot_h - plot_h * t / peak
            svg.line(left, y, left + plot_w, y, cls="grid")
            svg.text(left - 6, y + 4, short_num(t), cls="tick", anchor="end")
    for i, (cat, n) in enumerate(cats.items()):
        h = plot_h * n / peak
        x = left + slot * i + (slot - bw) / 2
        svg.rect(x, top + plot_h - h, bw, h, fill="#7c3aed", rx=2, title=f"{int(n):,} clusters of {cat} examples")
        svg.text(x + bw / 2, top + plot_h - h - 5, f"{int(n):,}", cls="val", anchor="middle")
        svg.text(x + bw / 2, top + plot_h + 16, cat, cls="tick", anchor="middle")
    svg.line(left, top + plot_h, left + plot_w, top + plot_h, cls="axis")
    svg.text(left + plot_w / 2, top + plot_h + 34, "examples per cluster", cls="axis-label", anchor="middle")
    table = [[str(size), label] for size, label in zip(spec.sizes, spec.labels[:MAX_CLUSTERS_LISTED])]
    return Chart("", spec.title, svg, caption=spec.note, table=table, table_head=["size", "rows"] if table else [])


# -- projection -------------------------------------------------------------------------------------

def projection_chart(spec: Projection) -> Chart | None:
    """A scatter plot of the 2-D points, one colour per set (at most :data:`MAX_POINTS` per set drawn)."""
    sets = {name: [(float(x), float(y)) for x, y in pts if _finite(x) and _finite(y)]
            for name, pts in spec.sets.items()}
    sets = {k: v for k, v in sets.items() if v}
    pts_all = [p for pts in sets.values() for p in pts]
    if len(pts_all) < 2:
        return None
    xs, ys = [p[0] for p in pts_all], [p[1] for p in pts_all]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    width = height = 440
    pad = 16
    how = f" ({spec.method})" if spec.method else ""
    svg = Svg(width, height, f"2-D projection{how} of {' vs '.join(sets)}")
    svg.rect(0.5, 0.5, width - 1, height - 1, cls="panel")
    legend = []
    for j, (name, pts) in enumerate(sets.items()):
        color = series_color(name, j)
        step = max(1, math.ceil(len(pts) / MAX_POINTS))
        for x, y in pts[::step]:
            svg.circle(pad + (width - 2 * pad) * (x - x0) / (x1 - x0),
                       height - pad - (height - 2 * pad) * (y - y0) / (y1 - y0), 2.6, color, cls="dot")
        legend.append((color, f"{name} ({len(pts):,} points" + (f", 1 in {step} shown)" if step > 1 else ")")))
    return Chart("", spec.title, svg, caption=spec.note or f"2-D projection{how}.", legend=legend)


# -- curve ------------------------------------------------------------------------------------------

def curve_chart(spec: Curve) -> Chart | None:
    """Lines per series against x, a left axis (logarithmic with ``log_y``) and, for series on their
    own scale, a right one; markers are dashed vertical lines with their label, and a dot where
    they give a y (on the axis of their series)."""
    left_s = [s for s in spec.series if s.axis != "right"]
    right_s = [s for s in spec.series if s.axis == "right"]
    log = spec.log_y

    def usable(s: Series, on_log: bool) -> list[tuple[float, float]]:
        return [(float(x), float(y)) for x, y in s.points if _finite(x) and _finite(y) and (y > 0 or not on_log)]

    lp = {s.name: usable(s, log) for s in left_s}
    rp = {s.name: usable(s, False) for s in right_s}
    if not any(lp.values()) and not any(rp.values()):
        return None
    axis_of = {s.name: ("right" if s.axis == "right" else "left") for s in spec.series}
    xs = [x for pts in (*lp.values(), *rp.values()) for x, _ in pts] + [m.x for m in spec.markers if _finite(m.x)]
    xlo, xhi = min(xs), max(xs)
    if xhi <= xlo:
        xhi = xlo + 1

    def y_range(points: list[list[tuple[float, float]]], marks: list[Marker], on_log: bool) -> tuple[float, float]:
        ys = [y for pts in points for _, y in pts] + [m.y for m in marks if m.y is not None and _finite(m.y)
                                                      and (m.y > 0 or not on_log)]
        if not ys:
            return (1.0, 10.0) if on_log else (0.0, 1.0)
        lo, hi = min(ys), max(ys)
        if on_log:
            lo, hi = 10 ** math.floor(math.log10(lo)), 10 ** math.ceil(math.log10(hi))
            return (lo, hi if hi > lo else lo * 10)
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        pad = (hi - lo) * 0.05
        return lo - pad, hi + pad

    lmarks = [m for m in spec.markers if axis_of.get(m.series, "left") == "left"]
    rmarks = [m for m in spec.markers if axis_of.get(m.series, "left") == "right"]
    ly = y_range(list(lp.values()), lmarks, log)
    ry = y_range(list(rp.values()), rmarks, False)
    width, height = 1060, 334
    left, right = 64, 64 if right_s else 24
    top, bottom = 40, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    svg = Svg(width, height, f"{spec.title}: {spec.y_label} against {spec.x_label}")

    def xpos(x: float) -> float:
        return left + plot_w * (x - xlo) / (xhi - xlo)

    def ypos(y: float, axis: str) -> float:
        lo, hi = ly if axis == "left" else ry
        if axis == "left" and log:
            return top + plot_h - plot_h * (math.log10(y) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        return top + plot_h - plot_h * (y - lo) / (hi - lo)

    svg.rect(left, top, plot_w, plot_h, cls="panel")
    lticks = log_ticks(*ly) if log else nice_ticks(*ly, 5)
    for t in lticks:
        if ly[0] <= t <= ly[1]:
            y = ypos(t, "left")
            svg.line(left, y, left + plot_w, y, cls="grid")
            svg.text(left - 8, y + 4, short_num(t), cls="tick", anchor="end")
    if right_s:
        for t in nice_ticks(*ry, 5):
            if ry[0] <= t <= ry[1]:
                svg.text(left + plot_w + 8, ypos(t, "right") + 4, short_num(t), cls="tick", anchor="start")
    for t in nice_ticks(xlo, xhi, 8):
        svg.line(xpos(t), top + plot_h, xpos(t), top + plot_h + 4, cls="axis")
        svg.text(xpos(t), top + plot_h + 16, short_num(t), cls="tick", anchor="middle")
    svg.line(left, top + plot_h, left + plot_w, top + plot_h, cls="axis")
    svg.line(left, top, left, top + plot_h, cls="axis")
    if right_s:
        svg.line(left + plot_w, top, left + plot_w, top + plot_h, cls="axis")
    legend = []
    for j, s in enumerate(spec.series):
        axis = axis_of[s.name]
        pts = (lp if axis == "left" else rp).get(s.name) or []
        color = series_color(s.name, j)
        legend.append((color, s.name + (" (right axis)" if axis == "right" and left_s else "")))
        for segment in _segments(s, pts):
            thin = _thin(segment, MAX_CURVE_POINTS)
            if len(thin) == 1:
                x, y = thin[0]
                svg.circle(xpos(x), ypos(y, axis), 2.5, color, title=f"{s.name}: {num(y)} at {spec.x_label} {num(x)}")
            else:
                svg.polyline([(xpos(x), ypos(y, axis)) for x, y in thin], color, cls="series-line", title=s.name)
    rows: list[list[tuple[float, float]]] = [[], []]  # the markers' labels: two rows, so that neighbours do not overlap
    for m in spec.markers:
        if not _finite(m.x):
            continue
        color = _marker_color(m)
        mx = xpos(m.x)
        axis = axis_of.get(m.series, "left")
        shown = f"{m.label} ({spec.x_label} {num(m.x)}" + (f", {num(m.y)})" if m.y is not None else ")")
        svg.line(mx, top, mx, top + plot_h, cls="marker", stroke=color, title=shown)
        if m.y is not None and _finite(m.y) and (axis == "right" or not log or m.y > 0):
            svg.circle(mx, ypos(m.y, axis), 4, color, cls="marker-dot", title=shown)
        anchor = "end" if mx > left + plot_w * 0.7 else "start"
        span = (mx - 6.5 * len(m.label) - 4, mx) if anchor == "end" else (mx, mx + 6.5 * len(m.label) + 4)
        row = next((k for k, taken in enumerate(rows) if all(span[1] < a or span[0] > b for a, b in taken)), None)
        if row is None:
            continue  # no room for its label (many checkpoints): the line's tooltip says what it marks
        rows[row].append(span)
        svg.text(mx - 4 if anchor == "end" else mx + 4, top - 22 + 14 * row, m.label, cls="tick", anchor=anchor,
                 title=shown, fill=color)
    svg.text(left, top - 8 if not spec.markers else height - 6, spec.y_label + (" (log scale)" if log else ""),
             cls="axis-label", anchor="start")
    if right_s and spec.y2_label:
        svg.text(left + plot_w, height - 6, spec.y2_label + " (right axis)", cls="axis-label", anchor="end")
    svg.text(left + plot_w / 2, height - 6, spec.x_label, cls="axis-label", anchor="middle")
    return Chart("", spec.title, svg, caption=spec.note, legend=legend, wide=True, stacked=True)


def _marker_color(m: Marker) -> str:
    return MARKER_COLORS.get(m.kind, "#4b5563")


def _segments(s: Series, usable: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """The runs of ``usable`` points between the series' points that cannot be drawn (NaN, inf,
    a value <= 0 on a log axis): a gap in the line, not a line across it."""
    keep = set(usable)
    out: list[list[tuple[float, float]]] = [[]]
    for x, y in s.points:
        p = (float(x), float(y)) if _finite(x) and _finite(y) else None
        if p is not None and p in keep:
            out[-1].append(p)
        elif out[-1]:
            out.append([])
    return [seg for seg in out if seg]


def _thin(points: list[tuple[float, float]], limit: int) -> list[tuple[float, float]]:
    """At most about ``limit`` points: each of ``limit / 2`` stretches keeps its lowest and highest
    point (in x order), so a spike survives the thinning."""
    if len(points) <= limit:
        return points
    size = math.ceil(len(points) / (limit // 2))
    out: list[tuple[float, float]] = []
    for i in range(0, len(points), size):
        chunk = points[i: i + size]
        lo = min(range(len(chunk)), key=lambda k: chunk[k][1])
        hi = max(range(len(chunk)), key=lambda k: chunk[k][1])
        out.extend(chunk[k] for k in sorted({lo, hi}))
    if out[-1] != points[-1]:
        out.append(points[-1])
    return out
