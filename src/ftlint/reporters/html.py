"""A self-contained HTML report: summary, ranked findings, rule outcomes and inline SVG plots.

One file, no network at view time: inline CSS, no scripts, no fonts or images from anywhere,
and a Content-Security-Policy that forbids loading anything. The plots are SVG whose geometry is
computed here (shapes with coordinates); the template (``templates/report.html.j2``, rendered by
jinja2 with autoescaping on) only writes them out, so every string from the data — labels, group
names, snippets, messages — is escaped in one place.

Each plot appears only when its data is there:

* length distribution per split against the maximum sequence length: ``Report.charts["lengths"]``
  (see :mod:`ftlint.charts`);
* label and group distributions: ``Report.charts["labels"]`` / ``["groups"]``, else a finding's
  ``metrics.counts`` (FT102, FT103);
* duplicate clusters: a finding's ``metrics.groups`` of ``[path, index]`` pairs (FT201, FT202, ...);
* the drift picture: a finding's 2-D projection in ``metrics`` (``projection``, ``projection_2d``,
  ``points_2d``, ``embedding_2d``, ``pca``, ``umap``; see :func:`projection_sets`);
* shares, rates and counts per group or kind in any finding's ``metrics`` (fairness rules, FT002,
  FT003...): a small bar chart in the finding's card.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ftlint._version import __version__
from ftlint.model import Finding, Row
from ftlint.printable import printable_report
from ftlint.reporters._common import RenderOptions, location_of

if TYPE_CHECKING:
    from ftlint.findings import Report

TEMPLATE = "report.html.j2"
DOCS_URL = "https://github.com/ftlint/ftlint/blob/main/rules/{code}.md"
#: rows listed in a finding's collapsible "all rows" table (the JSON report has every one)
MAX_ALL_ROWS = 500
#: bars in one bar chart (the rest are summed into one "others" bar)
MAX_BARS = 12
#: points per set in the drift scatter plot
MAX_POINTS = 1500
#: duplicate clusters listed under the cluster plot
MAX_CLUSTERS_LISTED = 8
SPLIT_COLORS = {"train": "#2563eb", "validation": "#d97706", "test": "#7c3aed", "reference": "#db2777"}
OTHER_COLORS = ("#0891b2", "#65a30d", "#9333ea", "#ea580c", "#4b5563", "#0d9488")
PROJECTION_KEYS = ("projection", "projection_2d", "points_2d", "embedding_2d", "pca", "umap", "tsne")
#: metrics drawn elsewhere (a page-level plot) or not a distribution of the data (FT501's weights are the fix)
_NOT_A_BAR_METRIC = frozenset({"groups", "weights", "bin_edges", *PROJECTION_KEYS})
#: rules whose ``metrics.counts`` is the label distribution
LABEL_COUNT_RULES = ("FT102", "FT103")
#: bar charts of metrics in one finding's card
MAX_METRIC_CHARTS = 3


# -- SVG geometry ---------------------------------------------------------------------------------

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
        attrs = [("x", _f(x)), ("y", _f(y)), ("width", _f(max(w, 0))), ("height", _f(max(h, 0)))]
        if rx:
            attrs.append(("rx", _f(rx)))
        if cls:
            attrs.append(("class", cls))
        if fill:
            attrs.append(("fill", fill))
        self.shapes.append(Shape("rect", attrs, title=title))

    def line(self, x1: float, y1: float, x2: float, y2: float, cls: str = "") -> None:
        attrs = [("x1", _f(x1)), ("y1", _f(y1)), ("x2", _f(x2)), ("y2", _f(y2))]
        if cls:
            attrs.append(("class", cls))
        self.shapes.append(Shape("line", attrs))

    def text(self, x: float, y: float, text: str, cls: str = "", anchor: str = "start", title: str = "",
             fill: str = "") -> None:
        attrs = [("x", _f(x)), ("y", _f(y)), ("text-anchor", anchor)]
        if cls:
            attrs.append(("class", cls))
        if fill:
            attrs.append(("fill", fill))
        self.shapes.append(Shape("text", attrs, text=text, title=title))

    def circle(self, x: float, y: float, r: float, fill: str, cls: str = "", title: str = "") -> None:
        attrs = [("cx", _f(x)), ("cy", _f(y)), ("r", _f(r)), ("fill", fill)]
        if cls:
            attrs.append(("class", cls))
        self.shapes.append(Shape("circle", attrs, title=title))


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


def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


def _num(v: float | int) -> str:
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return f"{int(v):,}"


def _short_num(v: float) -> str:
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


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _split_color(name: str, i: int = 0) -> str:
    return SPLIT_COLORS.get(name, OTHER_COLORS[i % len(OTHER_COLORS)])


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
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


# -- plots ----------------------------------------------------------------------------------------

def length_chart(data: dict[str, Any]) -> Chart | None:
    """Histogram of example lengths, one panel per split, with the maximum length marked."""
    splits: dict[str, Any] = data.get("splits") or {}
    edges: list[float] = data.get("edges") or []
    if not splits or len(edges) < 2:
        return None
    unit = data.get("unit", "tokens")
    log = data.get("scale") == "log"
    limits: dict[str, int] = data.get("max_length") or {}
    key = data.get("max_length_key") or "max length"
    width, left, right = 1060, 64, 24
    panel_h, gap, head, top, bottom = 110, 18, 24, 4, 44
    height = top + len(splits) * (head + panel_h + gap) - gap + bottom
    svg = Svg(width, height, f"Distribution of example lengths in {unit} per split")
    lo, hi = edges[0], edges[-1]
    plot_w = width - left - right

    def xpos(v: float) -> float:
        if log:
            v = max(v, lo)
            return left + plot_w * (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo))
        return left + plot_w * (v - lo) / (hi - lo)

    if log:
        ticks = [m * 10 ** e for e in range(int(math.floor(math.log10(lo))), int(math.ceil(math.log10(hi))) + 1)
                 for m in (1, 2, 5) if lo <= m * 10 ** e <= hi]
    else:
        ticks = _nice_ticks(lo, hi, 8)
    captions = []
    for k, (split, s) in enumerate(splits.items()):
        y0 = top + k * (head + panel_h + gap) + head
        counts: list[int] = s["counts"]
        peak = max(counts) or 1
        limit = limits.get(split)
        base = y0 + panel_h
        svg.rect(left, y0, plot_w, panel_h, cls="panel")
        for t in ticks:
            svg.line(xpos(t), y0, xpos(t), base, cls="grid")
        color = _split_color(split, k)
        for i, c in enumerate(counts):
            if not c:
                continue
            x0, x1 = xpos(edges[i]), xpos(edges[i + 1])
            h = (panel_h - 8) * c / peak
            over = limit is not None and (edges[i] + edges[i + 1]) / 2 > limit
            svg.rect(x0 + 0.5, base - h, x1 - x0 - 1, h, cls="bar-over" if over else "", fill="" if over else color,
                     title=f"{split}: {c:,} examples of {_short_num(edges[i])}–{_short_num(edges[i + 1])} {unit}")
        svg.line(left, base, left + plot_w, base, cls="axis")
        svg.text(left - 8, y0 + 12, _short_num(peak), cls="tick", anchor="end")
        svg.text(left - 8, base, "0", cls="tick", anchor="end")
        label = f"{split} · {s['n']:,} examples · median {_num(round(s['p50']))} · p95 {_num(round(s['p95']))}" \
                f" · longest {_num(round(s['max']))} {unit}"
        svg.text(left, y0 - 8, label, cls="panel-label", fill=color)
        if limit:
            lx = xpos(min(limit, hi))
            svg.line(lx, y0 - 4, lx, base, cls="limit")
            over = s.get("over") or 0
            note = f"{key} = {limit:,}" + (f" · {over:,} over ({over / s['n']:.1%})" if over else " · all fit")
            anchor = "end" if lx > left + plot_w * 0.6 else "start"
            svg.text(lx - 6 if anchor == "end" else lx + 6, y0 + 18, note, cls="limit-label", anchor=anchor)
            captions.append(f"{split}: {over:,} of {s['n']:,} over {limit:,}")
        if s.get("beyond_axis"):
            svg.text(left + plot_w, y0 - 8, f"{s['beyond_axis']:,} longer than {_short_num(hi)}: in the last bar",
                     cls="tick", anchor="end")
    last_base = top + len(splits) * (head + panel_h + gap) - gap
    for t in ticks:
        svg.text(xpos(t), last_base + 16, _short_num(t), cls="tick", anchor="middle")
    svg.text(left + plot_w / 2, height - 6, f"{unit} per example" + (" (log scale)" if log else ""),
             cls="axis-label", anchor="middle")
    caption = f"Lengths {data.get('method', '')}."
    if limits:
        caption += " Red: examples the trainer would truncate or drop."
    else:
        caption += " No maximum sequence length known (pass the training config with --config)."
    return Chart("chart-lengths", "Example length per split", svg, caption=caption, wide=True)


def bar_chart(series: dict[str, dict[str, float]], title: str, label: str, *, shares: bool | None = None,
              chart_id: str = "", caption: str = "", link: str = "", width: int = 520,
              fmt: str = "count") -> Chart | None:
    """Horizontal bars per category; with several series (splits), grouped bars of their shares.

    ``fmt``: ``count`` (integers, with their share), ``share`` (values are fractions), or ``value``.
    """
    series = {k: {str(c): float(v) for c, v in vals.items() if _is_number(v)} for k, vals in series.items()}
    series = {k: v for k, v in series.items() if v}
    if not series:
        return None
    multi = len(series) > 1
    shares = multi if shares is None else shares
    totals = {k: sum(v.values()) or 1.0 for k, v in series.items()}
    combined: Counter[str] = Counter()
    for k, vals in series.items():
        for c, v in vals.items():
            combined[c] += v / totals[k] if shares else v
    cats = [c for c, _ in combined.most_common(MAX_BARS)]
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
    svg = Svg(width, height, label)
    plot_w = width - left - right
    for i, cat in enumerate(cats):
        y = top + i * group_h
        svg.text(left - 8, y + group_h / 2 + 1, _cut(cat, 22), cls="cat", anchor="end", title=cat)
        for j, (k, vals) in enumerate(values.items()):
            v = vals[i]
            w = plot_w * v / peak
            color = _split_color(k, j) if multi else "#2563eb"
            raw = series[k].get(cat, 0.0) if not (rest and i == len(cats) - 1) else sum(
                series[k].get(c, 0.0) for c in rest)
            if fmt == "share":
                shown = f"{raw:.1%}"
            elif fmt == "value":
                shown = _num(raw)
            else:
                shown = f"{_num(raw)} ({raw / totals[k]:.0%})"
            by = y + j * bar_h + 3
            svg.rect(left, by, max(w, 1.5), bar_h - 3, fill=color, rx=2,
                     title=f"{k}: {cat}: {shown}" if multi else f"{cat}: {shown}")
            svg.text(left + w + 6, by + bar_h - 6, shown, cls="val")
    legend = [(_split_color(k, j), k) for j, k in enumerate(series)] if multi else []
    if multi and shares:
        caption = (caption + " " if caption else "") + "Bars are each split's share."
    return Chart(chart_id or _slug(title), title, svg, caption=caption, legend=legend, link=link)


def duplicate_chart(f: Finding, anchor: str) -> Chart | None:
    """Cluster sizes of a duplicates finding (``metrics.groups``) and its largest clusters."""
    groups = f.metrics.get("groups")
    if not isinstance(groups, list) or not groups or not all(_is_cluster(g) for g in groups):
        return None  # (FT006's label-variant groups, say, are not row clusters)
    sizes = Counter(min(len(g), 10) for g in groups)
    cats = {("10+" if s == 10 else str(s)): float(n) for s, n in sorted(sizes.items())}
    lines: dict[tuple[str, int], int | None] = {}
    for r in f.rows:
        lines[(r.path, r.index)] = r.line
        d = r.extra.get("duplicate_of") if isinstance(r.extra, dict) else None
        if isinstance(d, dict) and "path" in d and "index" in d:
            lines[(str(d["path"]), int(d["index"]))] = d.get("line")
    width, left, top, bottom = 520, 56, 22, 40
    plot_h = 130
    svg = Svg(width, top + plot_h + bottom, f"Duplicate cluster sizes for {f.code}")
    plot_w = width - left - 16
    peak = max(cats.values())
    slot = plot_w / len(cats)
    bw = min(44.0, slot * 0.6)
    for t in _nice_ticks(0, peak, 4):
        if t == int(t):
            y = top + plot_h - plot_h * t / peak
            svg.line(left, y, left + plot_w, y, cls="grid")
            svg.text(left - 6, y + 4, _short_num(t), cls="tick", anchor="end")
    for i, (cat, n) in enumerate(cats.items()):
        h = plot_h * n / peak
        x = left + slot * i + (slot - bw) / 2
        svg.rect(x, top + plot_h - h, bw, h, fill="#7c3aed", rx=2, title=f"{int(n):,} clusters of {cat} examples")
        svg.text(x + bw / 2, top + plot_h - h - 5, f"{int(n):,}", cls="val", anchor="middle")
        svg.text(x + bw / 2, top + plot_h + 16, cat, cls="tick", anchor="middle")
    svg.line(left, top + plot_h, left + plot_w, top + plot_h, cls="axis")
    svg.text(left + plot_w / 2, top + plot_h + 34, "examples per cluster", cls="axis-label", anchor="middle")
    table = []
    for g in sorted(groups, key=len, reverse=True)[:MAX_CLUSTERS_LISTED]:
        where = []
        for item in g[:6]:
            try:
                path, index = str(item[0]), int(item[1])
            except (TypeError, ValueError, IndexError):
                continue
            line = lines.get((path, index))
            where.append(f"{path}:{line}" if line else f"{path}#{index}")
        more = f" … +{len(g) - 6}" if len(g) > 6 else ""
        table.append([str(len(g)), ", ".join(where) + more])
    redundant = sum(len(g) - 1 for g in groups)
    split = f" in {f.split}" if f.split else ""
    caption = f"{len(groups):,} clusters{split}; {redundant:,} redundant copies to drop ({f.affected.fraction:.1%})."
    title = f"{f.name.replace('-', ' ').capitalize()}{split} ({f.code})"
    return Chart(f"chart-dup-{anchor}", title, svg, caption=caption, link=anchor, table=table,
                 table_head=["size", "rows (first 6)"])


def _is_cluster(group: Any) -> bool:
    """A duplicate cluster: a list of ``[path, index]`` pairs."""
    return isinstance(group, list) and len(group) >= 2 and all(
        isinstance(m, (list, tuple)) and len(m) == 2 and isinstance(m[0], str) and _is_number(m[1]) for m in group)


def projection_sets(metrics: dict[str, Any]) -> tuple[str, dict[str, list[tuple[float, float]]]] | None:
    """A 2-D projection in a finding's metrics, as ``{set name: [(x, y), ...]}``.

    Accepted shapes, under any of :data:`PROJECTION_KEYS`: ``{"train": [[x, y], ...], "reference":
    [...]}``; ``{"train": {"x": [...], "y": [...]}, ...}``; ``{"points": [[x, y, set], ...]}``;
    ``{"x": [...], "y": [...], "set" | "split" | "source" | "labels": [...]}``; or a list of
    ``[x, y, set]`` / ``{"x", "y", "set"}`` items.
    """
    for key in PROJECTION_KEYS:
        value = metrics.get(key)
        if value is None:
            continue
        sets = _as_sets(value)
        if sets:
            return key, sets
    return None


def _as_sets(value: Any) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}

    def add(name: Any, x: Any, y: Any) -> None:
        if _is_number(x) and _is_number(y) and math.isfinite(float(x)) and math.isfinite(float(y)):
            out.setdefault(str(name), []).append((float(x), float(y)))

    def items(seq: Any, default: str) -> None:
        for p in seq:
            if isinstance(p, dict):
                add(p.get("set", p.get("split", p.get("source", default))), p.get("x"), p.get("y"))
            elif isinstance(p, (list, tuple)) and len(p) >= 2:
                add(p[2] if len(p) > 2 else default, p[0], p[1])

    if isinstance(value, list):
        items(value, "points")
    elif isinstance(value, dict):
        if isinstance(value.get("points"), list):
            items(value["points"], "points")
        elif isinstance(value.get("x"), list) and isinstance(value.get("y"), list):
            names = next((value[k] for k in ("set", "split", "source", "labels", "sets") if
                          isinstance(value.get(k), list)), None)
            for i, (x, y) in enumerate(zip(value["x"], value["y"])):
                add(names[i] if names and i < len(names) else "points", x, y)
        else:
            for name, pts in value.items():
                if isinstance(pts, dict) and isinstance(pts.get("x"), list) and isinstance(pts.get("y"), list):
                    for x, y in zip(pts["x"], pts["y"]):
                        add(name, x, y)
                elif isinstance(pts, list):
                    items(pts, str(name))
    return out


def drift_chart(f: Finding, anchor: str) -> Chart | None:
    """Scatter plot of a finding's 2-D projection (train vs reference)."""
    found = projection_sets(f.metrics)
    if not found:
        return None
    key, sets = found
    pts_all = [p for pts in sets.values() for p in pts]
    if len(pts_all) < 2:
        return None
    xs, ys = [p[0] for p in pts_all], [p[1] for p in pts_all]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    width = height = 440
    pad = 16
    svg = Svg(width, height, f"2-D projection of {' vs '.join(sets)} ({f.code})")
    svg.rect(0.5, 0.5, width - 1, height - 1, cls="panel")
    legend = []
    for j, (name, pts) in enumerate(sets.items()):
        color = _split_color(name, j)
        step = max(1, math.ceil(len(pts) / MAX_POINTS))
        for x, y in pts[::step]:
            svg.circle(pad + (width - 2 * pad) * (x - x0) / (x1 - x0),
                       height - pad - (height - 2 * pad) * (y - y0) / (y1 - y0), 2.6, color, cls="dot")
        legend.append((color, f"{name} ({len(pts):,} points" + (f", 1 in {step} shown)" if step > 1 else ")")))
    split = f" ({f.split})" if f.split and f.split not in sets else ""
    method = f.metrics.get("projection_method") or f.metrics.get("method") or (
        key.upper() if key in ("pca", "umap", "tsne") else "")
    how = f" ({method})" if isinstance(method, str) and method else ""
    caption = (f"Each dot is an example, placed by a 2-D projection{how} of its embedding; where one set "
               "covers ground the other does not, the data has drifted.")
    return Chart(f"chart-drift-{anchor}", f"Drift: {' vs '.join(sets)}{split} ({f.code})", svg, caption=caption,
                 legend=legend, link=anchor)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def metric_charts(f: Finding, anchor: str, skip: set[str]) -> list[Chart]:
    """Small bar charts of a finding's per-category metrics, at most :data:`MAX_METRIC_CHARTS`,
    shares and rates first: ``{category: number}`` (2+ entries) as bars; ``{series: {category:
    number}}`` (e.g. FT502's rates per label and group) as grouped bars, one colour per series;
    ``{category: {measure: number}}`` with one measure as bars of that measure."""
    candidates: list[tuple[int, int, str, dict[str, Any], dict[str, dict[str, Any]], str]] = []
    flat_keys = {k: frozenset(v) for k, v in f.metrics.items()
                 if isinstance(v, dict) and v and all(_is_number(x) for x in v.values())}
    for order, (key, value) in enumerate(f.metrics.items()):
        if key in skip or key in _NOT_A_BAR_METRIC or not isinstance(value, dict) or len(value) < 2:
            continue
        title = key.replace("_", " ")
        if all(_is_number(v) for v in value.values()):
            if key == "shares" and flat_keys.get("counts") == flat_keys.get("shares"):
                continue  # the counts chart shows each share beside its count
            series = {f.split or "all": value}
            candidates.append((_metric_priority(key), order, key, value, series, title))
        elif all(isinstance(v, dict) for v in value.values()):
            inner = [{m: x for m, x in v.items() if _is_number(x)} for v in value.values()]
            measures = {m for d in inner for m in d}
            if len(measures) == 1:  # {group: {refusal_rate: x}}: bars of that one measure
                m = next(iter(measures))
                flat = {cat: d[m] for cat, d in zip(value, inner) if m in d}
                if len(flat) >= 2:
                    candidates.append((_metric_priority(key + m), order, f"{key}-{m}", flat,
                                       {f.split or "all": flat}, f"{title}: {m.replace('_', ' ')}"))
            elif len(measures) >= 2 and len(value) <= len(OTHER_COLORS) + len(SPLIT_COLORS):
                series = {str(k): d for k, d in zip(value, inner) if d}
                candidates.append((_metric_priority(key), order, key, {}, series, title))
    charts = []
    for _, _, key, flat, series, title in sorted(candidates, key=lambda c: (c[0], c[1]))[:MAX_METRIC_CHARTS]:
        values = [float(x) for d in series.values() for x in d.values()]
        looks_share = _looks_like_share(key, {str(i): v for i, v in enumerate(values)})
        counts = all(v.is_integer() and v >= 0 for v in values)
        fmt = "share" if looks_share else ("count" if counts else "value")
        c = bar_chart(series, title, f"{f.code} {title}", chart_id=f"m-{anchor}-{_slug(key)}", fmt=fmt,
                      width=480, shares=False)
        if c:
            charts.append(c)
    return charts


def _metric_priority(key: str) -> int:
    k = key.lower()
    if any(w in k for w in ("rate", "share", "fraction", "proportion")):
        return 0
    if any(w in k for w in ("count", "rows", "by_", "per_")):
        return 1
    return 2


def _looks_like_share(key: str, value: dict[str, Any]) -> bool:
    nums = [float(v) for v in value.values() if _is_number(v)]
    named = any(w in key.lower() for w in ("share", "rate", "fraction", "ratio_of", "pct", "proportion"))
    return bool(nums) and all(0.0 <= v <= 1.0 for v in nums) and (named or not all(v.is_integer() for v in nums))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


# -- the page's view model ------------------------------------------------------------------------

@dataclass
class RowView:
    where: str
    split: str
    detail: str
    snippet: str


@dataclass
class FindingView:
    anchor: str
    severity: str
    code: str
    name: str
    message: str
    fix: str
    where: str
    split: str
    affected: int
    fraction: float
    has_rows: bool
    examples: list[RowView]
    all_rows: list[RowView]
    rows_total: int
    metrics: list[tuple[str, str]]
    charts: list[Chart]
    docs: list[tuple[str, str]]
    doc_url: str
    plots: list[tuple[str, str]] = field(default_factory=list)  # page-level plots of this finding: (id, title)


def _detail(r: Row) -> str:
    e = r.extra if isinstance(r.extra, dict) else {}
    if isinstance(e.get("duplicate_of"), dict):
        d = e["duplicate_of"]
        return f"copy of {d.get('path')}:{d.get('line') or '#' + str(d.get('index'))}"
    for key in ("reason", "problems", "empty"):
        if key in e:
            v = e[key]
            return "; ".join(map(str, v)) if isinstance(v, list) else str(v)
    parts = []
    for k, v in e.items():
        if isinstance(v, (str, int, float, bool)):
            parts.append(f"{k.replace('_', ' ')}: {_num(v) if _is_number(v) else v}")
        if len(parts) == 4:
            break
    return ", ".join(parts)


def _row_view(r: Row) -> RowView:
    where = f"{r.path}:{r.line}" if r.line else f"{r.path}#{r.index}"
    return RowView(where, r.split, _detail(r), r.snippet)


def _scalar_metrics(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for k, v in metrics.items():
        if v is None or isinstance(v, (dict, list)):
            continue
        if isinstance(v, float):
            shown = f"{v:.1%}" if "fraction" in k or "share" in k else _num(v)
        elif _is_number(v):
            shown = _num(v)
        else:
            shown = _cut(str(v), 80)
        out.append((k.replace("_", " "), shown))
    return out[:10]


def _docs(rule: type | None) -> list[tuple[str, str]]:
    if rule is None:
        return []
    try:
        sections = rule.doc_sections()  # type: ignore[attr-defined]
    except Exception:
        return []
    keep = ("What it does", "Why it matters", "How to fix")
    return [(t, sections[t]) for t in keep if sections.get(t)]


def _finding_view(f: Finding, i: int, report: Report, options: RenderOptions, rules: dict[str, type],
                  skip_metrics: set[str]) -> FindingView:
    anchor = f"finding-{i + 1}"
    path, line = location_of(f, report)
    where = f"{path}:{line}"
    if f.location.key:
        where += f" ({f.location.key})"
    rule = rules.get(f.code)
    return FindingView(
        anchor=anchor, severity=f.severity.label, code=f.code, name=f.name, message=f.message, fix=f.fix,
        where=where, split=f.split or "", affected=f.affected.count, fraction=f.affected.fraction,
        has_rows=bool(f.rows),
        examples=[_row_view(r) for r in f.rows[: max(options.max_rows, 0)]],
        all_rows=[_row_view(r) for r in f.rows[:MAX_ALL_ROWS]] if len(f.rows) > options.max_rows else [],
        rows_total=len(f.rows),
        metrics=_scalar_metrics(f.metrics),
        charts=metric_charts(f, anchor, skip_metrics),
        docs=_docs(rule),
        doc_url=DOCS_URL.format(code=f.code) if f.code.startswith("FT") and rule is not None else "",
    )


def _page_charts(report: Report, anchors: dict[int, str]) -> list[Chart]:
    charts: list[Chart] = []
    data = report.charts or {}
    lengths = data.get("lengths") or {}
    if lengths and not lengths.get("max_length"):
        # a max-length from the rule (e.g. FT602's max-length option) when the config gave none
        for f in report.findings:
            limit = f.metrics.get("max_length") if f.code == "FT602" else None
            if _is_number(limit) and lengths.get("unit") == "tokens" and f.split in lengths.get("splits", {}):
                lengths = {**lengths, "max_length": {**lengths.get("max_length", {}), f.split: int(limit)},
                           "max_length_key": "max length"}
    c = length_chart(lengths) if lengths else None
    if c:
        charts.append(c)
    label_data = (data.get("labels") or {}).get("splits") or {}
    if label_data:
        src = (data.get("labels") or {}).get("source") or {}
        if len(set(src.values())) == 1:
            caption = f"Labels: {next(iter(src.values()))}."
        else:
            caption = "Labels from " + "; ".join(f"{k}: {v}" for k, v in src.items()) + "." if src else ""
        c = bar_chart(label_data, "Label distribution", "Label distribution per split", chart_id="chart-labels",
                      caption=caption)
        if c:
            charts.append(c)
    else:
        for i, f in enumerate(report.findings):
            counts = f.metrics.get("counts")
            if f.code in LABEL_COUNT_RULES and isinstance(counts, dict) and len(counts) >= 2:
                c = bar_chart({f.split or "train": counts}, "Label distribution", "Label distribution",
                              chart_id="chart-labels", caption=f"From {f.code} {f.name}.", link=anchors[i])
                if c:
                    charts.append(c)
                    break
    groups = (data.get("groups") or {}).get("splits") or {}
    columns: dict[str, dict[str, dict[str, int]]] = {}
    for split, cols in groups.items():
        for col, counts in cols.items():
            columns.setdefault(col, {})[split] = counts
    for col, per_split in columns.items():
        c = bar_chart(per_split, f"Groups: {col}", f"Distribution of column {col} per split",
                      chart_id=f"chart-group-{_slug(col)}", caption=f"Values of the column '{col}'.")
        if c:
            charts.append(c)
    for i, f in enumerate(report.findings):
        c = drift_chart(f, anchors[i])
        if c:
            charts.append(c)
    for i, f in enumerate(report.findings):
        c = duplicate_chart(f, anchors[i])
        if c:
            charts.append(c)
    return charts


def _inputs(report: Report) -> list[dict[str, str]]:
    out = []
    for i in report.inputs:
        notes = []
        if i.extra.get("loadable") is False:
            notes.append(f"not loaded: {i.extra.get('reason') or 'not loadable'}")
        for k, v in i.extra.items():
            if k in ("loadable", "reason", "from_config") or v is None or isinstance(v, (dict, list)):
                continue
            notes.append(f"{k.replace('_', ' ')}: {v}")
        out.append({
            "path": i.path, "role": i.role.replace("_", " "), "split": i.split or "",
            "format": i.format or "", "records": "" if i.records is None else f"{i.records:,}",
            "source": i.split_source or "", "notes": "; ".join(notes), "missing": i.extra.get("loadable") is False,
        })
    return out


def view(report: Report, options: RenderOptions) -> dict[str, Any]:
    """Everything the template shows, as plain values (strings are escaped by the template, and
    control and bidi characters from the data shown as ``<U+XXXX>`` first)."""
    report = printable_report(report)
    rules = {r.code: r for r in report.rules}
    anchors = {i: f"finding-{i + 1}" for i in range(len(report.findings))}
    charts = _page_charts(report, anchors)
    half = [c for c in charts if not c.wide]
    if len(half) % 2 == 1:
        half[-1].wide = True  # no hole in the two-column grid: the last one takes the full row
    label_chart = any(c.id == "chart-labels" for c in charts)
    # FT102/FT103's metrics.counts are the label distribution, drawn above
    findings = [_finding_view(f, i, report, options, rules,
                              {"counts"} if label_chart and f.code in LABEL_COUNT_RULES else set())
                for i, f in enumerate(report.findings)]
    for fv in findings:
        fv.plots = [(c.id, c.title) for c in charts if c.link == fv.anchor]
    s = report.summary
    failed = [o for o in report.outcomes if o.outcome == "failed"]
    skipped = [o for o in report.outcomes if o.outcome == "skipped"]
    ran = [o for o in report.outcomes if o.outcome == "ran"]
    levels = {"error": 3, "warning": 2, "info": 1}
    threshold = levels.get(options.fail_on)
    failing = bool(failed) or (threshold is not None and any(levels[f.severity] >= threshold for f in findings))
    if failed:
        status = ("failed", f"{len(failed)} rule{'s' if len(failed) != 1 else ''} failed (a bug in ftlint)")
    elif failing:
        status = ("fail", f"fails at --fail-on {options.fail_on}")
    elif findings:
        status = ("warn", f"passes at --fail-on {options.fail_on}")
    elif any(i.role == "dataset" and i.extra.get("loadable") is False for i in report.inputs):
        status = ("warn", "a named dataset was not loaded")  # never "all passed" over unread data
    else:
        status = ("pass", "all checks passed")
    datasets = [i for i in report.inputs if i.role == "dataset" and i.records is not None]
    config = next((i for i in report.inputs if i.role == "training_config"), None)
    subtitle = [f"{sum(i.records or 0 for i in datasets):,} records in {len(datasets)} file"
                f"{'s' if len(datasets) != 1 else ''}"]
    splits = sorted({i.split for i in datasets if i.split}, key=lambda x: ("train", "validation", "test").index(x)
                    if x in ("train", "validation", "test") else 9)
    if splits:
        subtitle.append("splits: " + ", ".join(splits))
    if config is not None:
        fw = config.extra.get("framework")
        subtitle.append(f"training config {config.path}" + (f" ({fw})" if fw else ""))
    outcomes = [{"outcome": o.outcome, "code": o.code, "name": o.name, "reason": o.reason or "",
                 "fix": o.fix or "", "seconds": f"{o.seconds:.3f}", "findings": o.findings}
                for o in failed + skipped + ran]
    not_checked: list[dict[str, Any]] = [
        {"outcome": "failed", "rules": [(o.code, o.name)], "reason": o.reason or "", "fix": o.fix or ""}
        for o in failed]
    by_reason: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for o in skipped:
        by_reason.setdefault((o.reason or "skipped", o.fix or ""), []).append((o.code, o.name))
    not_checked += [{"outcome": "skipped", "rules": codes, "reason": reason, "fix": fix}
                    for (reason, fix), codes in by_reason.items()]
    timings = sorted(((k, v) for k, v in report.timings.items() if k != "total"), key=lambda kv: -kv[1])[:15]
    return {
        "version": __version__,
        "status": status,
        "summary": {"error": s["error"], "warning": s["warning"], "info": s["info"],
                    "suppressed": s.get("suppressed", 0), "total": len(findings),
                    "ran": len(ran), "skipped": len(skipped), "failed": len(failed)},
        "subtitle": " · ".join(subtitle),
        "inputs": _inputs(report),
        "charts": charts,
        "findings": findings,
        "outcomes": outcomes,
        "not_checked": not_checked,
        "notes": list(report.notes),
        "timings": [(k, f"{v:.3f}") for k, v in timings],
        "total_seconds": f"{report.timings.get('total', 0.0):.2f}",
        "max_rows": options.max_rows,
        "max_all_rows": MAX_ALL_ROWS,
        "chart_errors": (report.charts or {}).get("errors") or {},
    }


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ftlint", "templates"),
        autoescape=True,  # every string from the data is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["pct"] = lambda v: f"{v:.1%}"
    env.filters["num"] = _num
    return env


def render(report: Report, options: RenderOptions) -> str:
    return _environment().get_template(TEMPLATE).render(**view(report, options))
