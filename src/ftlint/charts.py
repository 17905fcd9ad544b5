"""The report-wide plots: what no finding carries, as typed chart specs (:mod:`ftlint.chartspec`).

Findings carry the numbers behind each problem and their own charts (``Finding.charts``); what they
do not carry is the shape of the data itself: how long the examples are against the training
config's maximum sequence length, how the labels and the group columns are distributed.
:func:`report_charts` computes that in one O(n) pass per split, reusing what the rules already
computed through the Context (token counts, labels) and never tokenising anything itself. The
engine calls it after the rules (when an HTML report is written) and the specs become
``Report.charts``. It never raises: a chart that cannot be computed is left out and its reason
returned (``Report.chart_errors``).

The specs, in order: a :class:`~ftlint.chartspec.Histogram` of example lengths per split (key
``lengths``) with a ``limit`` marker per split at the maximum length; a
:class:`~ftlint.chartspec.Bars` of the labels per split (key ``labels``); a Bars per group column
(key ``group-<column>``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

import numpy as np

from ftlint.chartspec import Bars, ChartSpec, Histogram, Marker, Spread
from ftlint.features.labels import label_info

#: histogram bins of the length plot
LENGTH_BINS = 40
#: a logarithmic length axis when the axis spans more than this many medians
LOG_SCALE_RATIO = 12.0
#: most distinct values a column may take to be plotted as a group distribution
GROUP_MAX_DISTINCT = 12
#: columns whose name says they hold a group (plotted first, and even when sparse)
GROUP_NAMES = ("group", "groups", "language", "lang", "locale", "dialect", "domain", "source", "region",
               "country", "gender", "sex", "age_group", "demographic", "persona", "task", "category", "topic")
#: at most this many group columns per split
GROUP_MAX_COLUMNS = 4
#: a column (not named like a group) is plotted only when this share of rows has a value
GROUP_MIN_COVERAGE = 0.9


def report_charts(ctx: Any) -> tuple[list[ChartSpec], dict[str, str]]:
    """The report-wide chart specs (none when there is nothing to plot) and, for each plot that
    could not be computed, why. Never raises."""
    out: list[ChartSpec] = []
    errors: dict[str, str] = {}
    for name, fn in (("lengths", _lengths), ("labels", _labels), ("groups", _groups)):
        try:
            out.extend(fn(ctx))
        except Exception as e:  # noqa: BLE001 - a plot must never fail the run
            errors[name] = f"{type(e).__name__}: {e}"
    return out, errors


# -- lengths --------------------------------------------------------------------------------------

def _max_lengths(ctx: Any) -> tuple[dict[str, int], str | None]:
    """The maximum length per split: the training config's, else the one the rules checked against
    (FT602's ``max-length`` option)."""
    plan = getattr(ctx, "plan", None)
    seq = getattr(plan, "sequence", None)
    if seq is None or getattr(seq, "unlimited", False):
        return _checked_limits(ctx), None
    value = getattr(getattr(seq, "max_length", None), "value", None)
    if not value:
        return _checked_limits(ctx), None
    train = int(value)
    ev = getattr(getattr(seq, "eval_max_length", None), "value", None)
    limits = {"train": train, "validation": int(ev) if ev else train, "test": int(ev) if ev else train}
    key = getattr(seq.max_length, "key", None)
    return limits, key


def _checked_limits(ctx: Any) -> dict[str, int]:
    """The limit each split's token counts were computed against by a rule (FT602 with its
    ``max-length`` option and no limit in a config), the first per split."""
    from ftlint.features.tokens import split_token_lengths

    limits: dict[str, int] = {}
    for args, _ in ctx.computed(split_token_lengths):
        limit = args.get("limit")
        if isinstance(limit, int) and limit > 0:
            limits.setdefault(args["split"], limit)
    return limits


def _computed_token_lengths(ctx: Any, split: str) -> Any:
    """Token counts the rules already computed for ``split`` (FT602), preferring real tokenizer
    counts to estimates; None when no rule asked for them (then nothing is tokenised here)."""
    from ftlint.features.tokens import split_token_lengths

    found = [v for args, v in ctx.computed(split_token_lengths) if args["split"] == split and v is not None]
    if not found:
        return None
    found.sort(key=lambda v: (getattr(v, "method", "") != "tokenizer", int(np.count_nonzero(~v.exact))))
    return found[0]


def _estimate(ds: Any) -> tuple[np.ndarray, str, str]:
    """Per-row token estimate (the same one FT602 uses without a tokenizer), or characters."""
    try:
        from ftlint.features.tokens import ESTIMATE_METHOD, estimate_turns
    except ImportError:
        chars = np.fromiter((sum(len(t) for t in row) for row in ds.texts), dtype=np.int64, count=len(ds))
        return chars, "characters", "characters of all turns"
    est = np.fromiter((sum(estimate_turns(row)) for row in ds.texts), dtype=np.int64, count=len(ds))
    return est, "tokens", ESTIMATE_METHOD


def _lengths(ctx: Any) -> list[ChartSpec]:
    limits, key = _max_lengths(ctx)
    per_split: dict[str, np.ndarray] = {}
    units: set[str] = set()
    methods: list[str] = []
    for split in ctx.splits:
        ds = ctx.dataset(split)
        if len(ds) == 0:
            continue
        tl = _computed_token_lengths(ctx, split)
        if tl is not None and len(tl.lengths) == len(ds):
            lengths = np.asarray(tl.lengths, dtype=np.float64)
            if not bool(np.all(tl.exact)):
                # rows that provably fit were not tokenised: their value is an upper bound; plot
                # the estimate instead, never above that bound
                est, unit, _ = _estimate(ds)
                if unit == "tokens":
                    loose = ~np.asarray(tl.exact)
                    lengths[loose] = np.minimum(est[loose], lengths[loose])
            units.add("tokens")
            method = str(getattr(tl, "source", "")) if getattr(tl, "method", "") == "estimate" \
                else f"counted with {getattr(tl, 'source', 'the tokenizer')}"
            if not bool(np.all(tl.exact)):
                method += " (rows that fit the limit: estimated)"
        else:
            est, unit, method = _estimate(ds)
            lengths = est.astype(np.float64)
            units.add(unit)
        per_split[split] = lengths
        if method not in methods:
            methods.append(method)
    if not per_split:
        return []
    unit = "tokens" if units == {"tokens"} else "characters"
    if unit == "characters":
        limits = {}  # a token limit cannot be drawn on a character axis
    top = max(float(v.max()) for v in per_split.values())
    limit_max = max((limits.get(s, 0) for s in per_split), default=0)
    hi = max(top, limit_max * 1.08 if limit_max else 0.0, 1.0)
    # a long tail must not squash the plot: cut the axis at the 99.5th percentile (or just past the
    # limit) and count what lies beyond in the last bin
    p995 = max(float(np.percentile(v, 99.5)) for v in per_split.values())
    axis = max(p995, limit_max * 1.08 if limit_max else 0.0, 1.0)
    if hi > 1.5 * axis:
        hi = axis
    hi = _nice_ceiling(hi)
    # when the limit dwarfs the examples (or a few are far longer than most), a linear axis puts
    # every example in the first bar or two: use a logarithmic one
    low = min(float(v.min()) for v in per_split.values())
    median = max(float(np.median(v)) for v in per_split.values())
    scale: Literal["linear", "log"] = "log" if median > 0 and hi / median > LOG_SCALE_RATIO else "linear"
    if scale == "log":
        lo = float(10 ** np.floor(np.log10(max(low, 1.0))))
        edges = np.geomspace(lo, hi, LENGTH_BINS + 1)
    else:
        edges = np.linspace(0.0, hi, LENGTH_BINS + 1)
    series: dict[str, tuple[int, ...]] = {}
    spreads: dict[str, Spread] = {}
    markers: list[Marker] = []
    for split, v in per_split.items():
        counts, _ = np.histogram(np.clip(v, edges[0], hi), bins=edges)
        limit = limits.get(split)
        series[split] = tuple(int(c) for c in counts)
        spreads[split] = Spread(
            n=int(len(v)),
            median=float(np.percentile(v, 50)),
            p95=float(np.percentile(v, 95)),
            max=float(v.max()),
            over=int(np.count_nonzero(v > limit)) if limit else None,
            beyond_axis=int(np.count_nonzero(v > hi)),
        )
        if limit:
            markers.append(Marker(float(limit), key or "max length", kind="limit", series=split))
    note = f"Lengths {'; '.join(methods)}."
    if markers:
        note += " Red: examples the trainer would truncate or drop."
    else:
        note += " No maximum sequence length known (pass the training config with --config)."
    return [Histogram("Example length per split", unit, tuple(round(float(e), 3) for e in edges), series,
                      scale=scale, markers=tuple(markers), note=note, spreads=spreads, of="examples",
                      x_label=f"{unit} per example", key="lengths")]


def _nice_ceiling(x: float) -> float:
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) >= ``x``."""
    if x <= 0:
        return 1.0
    exp = 10 ** np.floor(np.log10(x))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * exp >= x:
            return float(m * exp)
    return float(10 * exp)


# -- labels and groups ----------------------------------------------------------------------------

def _labels(ctx: Any) -> list[ChartSpec]:
    splits: dict[str, dict[str, float]] = {}
    source: dict[str, str] = {}
    for split in ctx.splits:
        if len(ctx.dataset(split)) == 0:
            continue
        info = ctx.artifact(label_info, split)
        if info is None:
            continue
        counts = info.counts()
        if not counts:
            continue
        splits[split] = {str(k): int(v) for k, v in counts.most_common()}
        source[split] = info.source
    if not splits:
        return []
    if len(set(source.values())) == 1:
        note = f"Labels: {next(iter(source.values()))}."
    else:
        note = "Labels from " + "; ".join(f"{k}: {v}" for k, v in source.items()) + "."
    return [Bars("Label distribution", "Label distribution per split", splits, values="count",
                 normalize=len(splits) > 1, note=note, key="labels")]


def _groups(ctx: Any) -> list[ChartSpec]:
    columns: dict[str, dict[str, dict[str, float]]] = {}  # column -> split -> value -> count
    sensitive = [str(c) for c in (getattr(getattr(ctx, "settings", None), "sensitive", None) or [])]
    for split in ctx.splits:
        ds = ctx.dataset(split)
        n = len(ds)
        if n == 0 or not ds.extras:
            continue
        # the configured sensitive attributes first, then columns named like a group, then the rest
        names = sorted(ds.extras, key=lambda c: (c not in sensitive, c.lower() not in GROUP_NAMES, c))
        found = 0
        for col in names:
            if found >= GROUP_MAX_COLUMNS:
                break
            named = col in sensitive or col.lower() in GROUP_NAMES
            counts = _categorical(ds.extras[col], n, named=named)
            if counts:
                columns.setdefault(col, {})[split] = dict(counts)
                found += 1
    return [Bars(f"Groups: {col}", f"Distribution of column {col} per split", per_split, values="count",
                 normalize=len(per_split) > 1, note=f"Values of the column '{col}'.", key=f"group-{col}")
            for col, per_split in columns.items()]


def _categorical(values: list[Any], n: int, named: bool) -> dict[str, int] | None:
    """Value counts of a low-cardinality column (strings or booleans), None otherwise."""
    counts: Counter[str] = Counter()
    present = 0
    for v in values:
        if v is None or v == "":
            continue
        if isinstance(v, float) or (isinstance(v, int) and not isinstance(v, bool)):
            return None  # numbers are measurements or ids, not groups
        present += 1
        counts[str(v)] += 1
        if len(counts) > GROUP_MAX_DISTINCT:
            return None
    if len(counts) < 2 or (not named and present < GROUP_MIN_COVERAGE * n):
        return None
    if not named and max(counts.values()) == 1:
        return None
    return dict(counts.most_common())
