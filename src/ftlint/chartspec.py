"""Typed chart specifications: what a rule (or the engine, for report-wide charts) wants plotted.

A producer fills one of these plain dataclasses with numbers; the HTML reporter turns each kind into
SVG (:mod:`ftlint.reporters.plots`, one builder per kind) and never guesses a chart from metric key
names. This module imports nothing from ftlint, so rules, features, the engine and the reporters can
all use it.

Kinds:

- :class:`Histogram`: counts over shared bin edges, one series per split, with vertical markers
  (e.g. the training config's maximum sequence length).
- :class:`Bars`: a value per category, one series per split or group (shares or counts).
- :class:`Clusters`: groups of rows (near-duplicate clusters, conflicting-label sets) as sizes.
- :class:`Projection`: 2-D points per set (training vs reference, outliers).
- :class:`Curve`: y against x per series (training and validation loss against step) with markers
  (the minimum, a spike, the checkpoints).

Every kind has an optional ``key``: a short name that is stable across runs (``lengths``, ``dup``),
from which the HTML report makes the chart's anchor; without one the title is used. Specs ride on
``Finding.charts`` and ``Report.charts``; the JSON report does not include them.

The helpers :func:`bars` and :func:`cluster_chart` build the two specs most rules need.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Marker:
    """A point of interest on an axis: a vertical line at ``x`` (Histogram, Curve), optionally with
    the y value it marks (a Curve's minimum)."""

    x: float
    label: str
    kind: str = "mark"  # e.g. "limit", "minimum", "spike", "checkpoint", "best"
    y: float | None = None
    #: the series it belongs to ("": every one): the Histogram panel a limit applies to, the Curve
    #: series on whose axis ``y`` lies
    series: str = ""


@dataclass(frozen=True)
class Spread:
    """What a Histogram series' bins do not say: how many values, their median, 95th percentile and
    maximum, how many lie above the series' ``limit`` marker and how many beyond the last edge
    (counted in the last bin)."""

    n: int
    median: float
    p95: float
    max: float
    over: int | None = None
    beyond_axis: int = 0


@dataclass(frozen=True)
class Histogram:
    title: str
    unit: str  # what the x axis counts: "tokens", "characters"
    edges: tuple[float, ...]  # len(counts) + 1, shared by every series
    series: dict[str, tuple[int, ...]]  # series name (a split) -> counts per bin
    scale: Literal["linear", "log"] = "linear"
    #: a ``limit`` marker colours the bins above it (in its series' panel, or every panel)
    markers: tuple[Marker, ...] = ()
    note: str = ""
    spreads: dict[str, Spread] = field(default_factory=dict)  # series name -> its spread
    of: str = "examples"  # what one count counts
    x_label: str = ""  # the x axis' label (default: the unit)
    key: str = ""
    kind: Literal["histogram"] = field(default="histogram", init=False)


@dataclass(frozen=True)
class Bars:
    title: str
    label: str  # what a bar measures, e.g. "share of rows"
    series: dict[str, dict[str, float]]  # series name -> category -> value
    #: what the values are: counts (each shown with its share of its series), fractions in [0, 1],
    #: or other numbers
    values: Literal["count", "share", "value"] = "count"
    #: several series compared by each one's shares rather than by their values (labels per split)
    normalize: bool = False
    note: str = ""
    key: str = ""
    kind: Literal["bars"] = field(default="bars", init=False)


@dataclass(frozen=True)
class Clusters:
    title: str
    sizes: tuple[int, ...]  # one entry per group, largest first
    labels: tuple[str, ...] = ()  # optional: where the first len(labels) groups are (largest first)
    note: str = ""
    key: str = ""
    kind: Literal["clusters"] = field(default="clusters", init=False)


@dataclass(frozen=True)
class Projection:
    title: str
    sets: dict[str, tuple[tuple[float, float], ...]]  # set name -> 2-D points
    method: str = ""  # how the points were projected
    note: str = ""
    key: str = ""
    kind: Literal["projection"] = field(default="projection", init=False)


@dataclass(frozen=True)
class Series:
    name: str  # e.g. "train loss", "eval loss"
    points: tuple[tuple[float, float], ...]  # (x, y), x ascending
    axis: Literal["left", "right"] = "left"  # a metric on its own scale goes right


@dataclass(frozen=True)
class Curve:
    title: str
    x_label: str  # e.g. "step"
    y_label: str  # e.g. "loss"
    series: tuple[Series, ...]
    markers: tuple[Marker, ...] = ()
    log_y: bool = False  # the left axis on a logarithmic scale
    note: str = ""
    y2_label: str = ""  # the right axis' label (series with axis="right")
    key: str = ""
    kind: Literal["curve"] = field(default="curve", init=False)


ChartSpec = Histogram | Bars | Clusters | Projection | Curve

#: series a Bars chart tells apart by colour (a producer gives at most this many)
MAX_SERIES = 10


# -- helpers for producers --------------------------------------------------------------------------

def bars(title: str, series: Mapping[str, Mapping[str, float]], *, values: Literal["count", "share", "value"] =
         "count", label: str = "", key: str = "", note: str = "") -> list[ChartSpec]:
    """``[Bars]`` of ``series`` (series name -> category -> number; one series for a split's counts),
    or ``[]`` when there are fewer than two categories (nothing to compare)."""
    clean = {str(s): {str(c): v for c, v in vals.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
             for s, vals in series.items()}
    clean = {s: vals for s, vals in clean.items() if vals}
    if len({c for vals in clean.values() for c in vals}) < 2:
        return []
    return [Bars(title, label or title, clean, values=values, note=note, key=key)]


def cluster_chart(title: str, groups: Sequence[Sequence[int]], where: Callable[[int], str], *, note: str = "",
             key: str = "dup", listed: int = 8, shown: int = 6) -> list[ChartSpec]:
    """``[Clusters]`` of ``groups`` (row positions), largest first (ties in the given order), with
    the first ``shown`` rows of the ``listed`` largest described by ``where``; ``[]`` without groups."""
    if not groups:
        return []
    order = sorted(range(len(groups)), key=lambda k: -len(groups[k]))
    labels = []
    for k in order[:listed]:
        g = groups[k]
        more = f" … +{len(g) - shown}" if len(g) > shown else ""
        labels.append(", ".join(where(i) for i in g[:shown]) + more)
    return [Clusters(title, tuple(len(groups[k]) for k in order), tuple(labels), note=note, key=key)]
