"""Typed chart specifications: what a rule (or the engine, for report-wide charts) wants plotted.

A producer fills one of these plain dataclasses with numbers; the HTML reporter turns each kind into
SVG and never guesses a chart from metric key names. This module imports nothing from ftlint, so
rules, features, the engine and the reporters can all use it.

Kinds:

- :class:`Histogram`: counts over shared bin edges, one series per split, with vertical markers
  (e.g. the training config's maximum sequence length).
- :class:`Bars`: a value per category, one series per split or group (shares or counts).
- :class:`Clusters`: groups of rows (near-duplicate clusters, conflicting-label sets) as sizes.
- :class:`Projection`: 2-D points per set (training vs reference, outliers).
- :class:`Curve`: y against x per series (training and validation loss against step) with markers
  (the minimum, a spike, the checkpoints).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union


@dataclass(frozen=True)
class Marker:
    """A point of interest on an axis: a vertical line at ``x`` (Histogram, Curve), optionally with
    the y value it marks (a Curve's minimum)."""

    x: float
    label: str
    kind: str = "mark"  # e.g. "limit", "minimum", "spike", "checkpoint", "best"
    y: float | None = None


@dataclass(frozen=True)
class Histogram:
    title: str
    unit: str  # what the x axis counts: "tokens", "characters"
    edges: tuple[float, ...]  # len(counts) + 1, shared by every series
    series: dict[str, tuple[int, ...]]  # series name (a split) -> counts per bin
    scale: Literal["linear", "log"] = "linear"
    markers: tuple[Marker, ...] = ()
    note: str = ""
    kind: Literal["histogram"] = field(default="histogram", init=False)


@dataclass(frozen=True)
class Bars:
    title: str
    label: str  # what a bar measures, e.g. "share of rows"
    series: dict[str, dict[str, float]]  # series name -> category -> value
    shares: bool = False  # values are fractions in [0, 1]
    note: str = ""
    kind: Literal["bars"] = field(default="bars", init=False)


@dataclass(frozen=True)
class Clusters:
    title: str
    sizes: tuple[int, ...]  # one entry per group, largest first
    labels: tuple[str, ...] = ()  # optional, one per group
    note: str = ""
    kind: Literal["clusters"] = field(default="clusters", init=False)


@dataclass(frozen=True)
class Projection:
    title: str
    sets: dict[str, tuple[tuple[float, float], ...]]  # set name -> 2-D points
    method: str = ""  # how the points were projected
    note: str = ""
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
    log_y: bool = False
    note: str = ""
    kind: Literal["curve"] = field(default="curve", init=False)


ChartSpec = Union[Histogram, Bars, Clusters, Projection, Curve]
