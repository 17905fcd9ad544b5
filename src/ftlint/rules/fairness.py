"""FT5xx: fairness and bias: group representation, label rates by group, demographic terms in text.

Sensitive attributes come from the columns the settings name (``sensitive = ["gender",
"age_group"]`` or ``--sensitive COLUMN``); numeric columns with many values are binned into
equal-width bins (or at given edges). Without them, FT503 and FT504 audit the text itself with the term lexicons of
:mod:`ftlint.features.lexicons`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftlint.chartspec import MAX_SERIES, bars
from ftlint.context import Context
from ftlint.errors import SettingsError
from ftlint.features.labels import label_info
from ftlint.model import Finding, Location, RowAt, Severity
from ftlint.remedies import Reweight
from ftlint.rule import Need, Rule, Skip

SPLIT = "train"
#: column names that suggest a sensitive attribute (FT504's suggestion)
DEMOGRAPHIC_COLUMN = re.compile(r"(?i)(?:^|_|\b)(gender|sex|age|age_?group|race|ethnicity|ethnic|religion|"
                                r"nationality|disability|marital|pronouns?|sexual_orientation|orientation|caste|"
                                r"dialect)(?:$|_|\b)")


# -- sensitive attributes from columns --------------------------------------------------------------

@dataclass(frozen=True)
class GroupColumn:
    """The group of each row for one sensitive attribute (None: missing)."""

    attribute: str
    values: list[str | None]
    source: str
    edges: tuple[float, ...] | None = None

    def counts(self) -> Counter[str]:
        return Counter(v for v in self.values if v is not None)

    @property
    def missing(self) -> int:
        return sum(v is None for v in self.values)


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, str):
        try:
            f = float(v.strip())
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def _fmt(x: float) -> str:
    return f"{int(x)}" if float(x).is_integer() else f"{x:.4g}"


def _bin_label(lo: float, hi: float, last: bool) -> str:
    if lo == -math.inf:
        return f"< {_fmt(hi)}"
    if hi == math.inf:
        return f">= {_fmt(lo)}"
    return f"[{_fmt(lo)}, {_fmt(hi)}{']' if last else ')'}"


def numeric_edges(values: Sequence[float], bins: int, edges: Sequence[float] | None = None) -> list[float]:
    """Bin edges of a numeric attribute: the given ``edges`` (with open bins below the first and
    above the last), or ``bins`` equal-width bins from the smallest to the largest value (whole
    numbers when the values are). Equal widths, not quantiles: quantile bins hold equal counts by
    construction, so they could never show an under-represented range (few rows over 65)."""
    if edges:
        inner = sorted({float(e) for e in edges})
        return [-math.inf, *inner, math.inf]
    lo, hi = float(min(values)), float(max(values))
    if lo == hi:
        return [lo, hi]
    out = np.linspace(lo, hi, bins + 1)
    if all(float(x).is_integer() for x in values):
        out = np.unique(np.round(out))
    return [float(x) for x in out]


def group_column(ctx: Context, split: str, column: str, bins: int, max_categories: int,
                 edges: Sequence[float] | None = None) -> GroupColumn:
    """The groups of ``column``: its values, or bins of a numeric column (``edges`` when given,
    else ``bins`` equal-width bins when it has more than ``max_categories`` distinct values;
    ``bins`` 0 keeps every value). Computed once per run (:func:`sensitive_groups`)."""
    fixed = tuple(float(e) for e in edges) if edges else None
    return ctx.artifact(sensitive_groups, split, column, bins, max_categories, fixed)


def sensitive_groups(ctx: Context, split: str, column: str, bins: int, max_categories: int,
                     fixed: tuple[float, ...] | None) -> GroupColumn:
    """The artifact of :func:`group_column` (``fixed``: the bin edges, as a tuple)."""
    raw = ctx.dataset(split).extras[column]
    vals: list[Any] = [None if v is None or (isinstance(v, str) and not v.strip()) else v for v in raw]
    present = [v for v in vals if v is not None]
    nums = [_number(v) for v in present]
    numeric = bool(present) and all(x is not None for x in nums)
    distinct = len(set(map(str, present)))
    if numeric and (fixed or (bins > 0 and distinct > max_categories)):
        cuts = numeric_edges([x for x in nums if x is not None], bins, fixed)
        if len(cuts) < 2:
            cuts = [cuts[0], cuts[0]]
        labels = [_bin_label(cuts[k], cuts[k + 1], k == len(cuts) - 2) for k in range(len(cuts) - 1)]
        out: list[str | None] = []
        for v in vals:
            x = _number(v) if v is not None else None
            if x is None:
                out.append(None)
                continue
            k = int(np.searchsorted(np.asarray(cuts), x, side="right")) - 1
            out.append(labels[min(max(k, 0), len(labels) - 1)])
        how = "bins at the given edges" if fixed else "equal-width bins"
        return GroupColumn(column, out, f"column '{column}' in {len(labels)} {how}",
                           tuple(c for c in cuts if math.isfinite(c)))
    norm = [None if v is None else (_fmt(nv) if numeric and (nv := _number(v)) is not None else str(v).strip())
            for v in vals]
    return GroupColumn(column, norm, f"column '{column}'")


def sensitive_columns(ctx: Context, split: str, code: str) -> list[str]:
    """The configured sensitive columns, all present in ``split``; Skip when there are none or some
    are missing (a typo in the settings must not look like a pass)."""
    columns = list(dict.fromkeys(ctx.settings.sensitive))
    if not columns:
        raise Skip("no sensitive attribute configured",
                   'name the columns that hold them: sensitive = ["gender"] in ftlint.toml, or --sensitive gender '
                   "(FT503/FT504 audit the text meanwhile)")
    extras = ctx.dataset(split).extras
    missing = [c for c in columns if c not in extras]
    if missing:
        have = ", ".join(sorted(extras)) or "none"
        raise Skip(f"sensitive column{'s' if len(missing) > 1 else ''} {', '.join(repr(c) for c in missing)} not "
                   f"in the {split} split (its other columns: {have})",
                   "fix the names in sensitive = [...] / --sensitive (a field inside an object column is written "
                   "with dots: metadata.gender), or add the column to the data")
    return columns


def _location(ctx: Context, split: str, key: str | None) -> Location:
    ds = ctx.dataset(split)
    return Location(path=ds.files[0].path if len(ds.files) == 1 else None, line=None, key=key)


def _listing(items: Sequence[tuple[str, str]], limit: int = 8) -> str:
    shown = ", ".join(f"'{k}' {v}" for k, v in items[:limit])
    return shown + (f", and {len(items) - limit} more" if len(items) > limit else "")


def row_factors(groups: Sequence[Any], weights: dict[Any, Any], labels: Sequence[Any] | None = None) -> np.ndarray:
    """Each row's weight from a table of per-group weights (``{group: weight}``), or with ``labels``
    of per group x label weights (``{group: {label: weight}}``); 1.0 for a row with no group, no
    label, or no positive weight in the table (the rows the weights leave alone)."""
    out = np.ones(len(groups), dtype=np.float64)
    for i, g in enumerate(groups):
        entry = weights.get(g) if g is not None else None
        if labels is not None:
            y = labels[i]
            entry = entry.get(y) if isinstance(entry, dict) and y is not None else None
        if isinstance(entry, (int, float)) and entry > 0:
            out[i] = float(entry)
    return out


# -- FT501 --------------------------------------------------------------------------------------------

class GroupUnderrepresented(Rule):
    """A group of a sensitive attribute has far fewer training rows than the others.

    ## What it does
    For each sensitive attribute (the columns named by `sensitive = [...]` in the settings or
    `--sensitive COLUMN`), counts the training rows of each group and reports when the largest
    group has more than `max-ratio` (5) times the rows of the smallest, or when any group has
    fewer than `min-group-rows` (30) rows. Numeric columns with more than `max-categories`
    distinct values (an age) are cut into `bins` (4) equal-width bins, or at the `bin-edges` you
    give (`[30, 45, 65]`: `< 30`, `[30, 45)`, `[45, 65)`, `>= 65`). Rows with no value are left
    out (their count is in `metrics.missing`).

    The message gives every group's count and share and the ratio. `metrics` holds the counts,
    the shares, the bin edges and, in `metrics.weights`, the per-group weights that would
    equalise representation: `{group: weight}`, keyed like `metrics.counts`, where each group's
    rows weigh `n / (groups × group rows)` so every group carries the same total weight. A
    weight column (`ftlint fix`) gives each row its group's weight; rows with no value keep 1.

    Without a configured attribute the rule is skipped (FT503 and FT504 audit the text instead).

    ## Why it matters
    A model sees a group that makes up 3% of its fine-tuning data 3% of the time: it learns that
    group's language, needs and cases worst, and its errors concentrate there. Under-represented
    groups are also where a validation score says least, because few of its rows are measured.

    ## Example
    ```toml
    sensitive = ["gender"]
    ```
    and a `train.csv` with 400 rows of `male`, 70 of `female` and 20 of `nonbinary`:
    the ratio is 20 and `nonbinary` has fewer than 30 rows.

    ## How to fix
    Collect more rows of the small groups, or augment them (paraphrases, counterfactual copies
    with the group's terms swapped); or re-weight: give each row its group's weight from the fix
    line (also in `metrics.weights`), as a per-example weight column your trainer reads.
    """

    code = "FT501"
    name = "group-underrepresented"
    summary = "A sensitive group has far fewer training rows than the others"
    severity = Severity.WARNING
    remedies = (Reweight,)
    option_help = {
        "max_ratio": "report when the largest group has more than this many times the rows of the smallest",
        "min_group_rows": "report any group with fewer rows than this",
        "bins": "equal-width bins for a numeric attribute with many values (0: every value is a group)",
        "max_categories": "a numeric attribute with more distinct values than this is binned",
        "bin_edges": "explicit bin edges for numeric attributes, e.g. [30, 45, 65] (open bins below and above)",
    }

    @dataclass
    class Options:
        max_ratio: float = 5.0
        min_group_rows: int = 30
        bins: int = 4
        max_categories: int = 10
        bin_edges: list[float] | None = None

    def check(self, ctx: Context) -> Iterator[Finding]:
        if SPLIT not in ctx.splits:
            return
        o = self.options
        for column in sensitive_columns(ctx, SPLIT, self.code):
            gc = group_column(ctx, SPLIT, column, o.bins, o.max_categories, o.bin_edges)
            counts = gc.counts()
            if len(counts) < 2:
                continue
            n = sum(counts.values())
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            (largest, nmax), (smallest, nmin) = ranked[0], ranked[-1]
            ratio = nmax / nmin
            small = [g for g, c in ranked if c < o.min_group_rows]
            if ratio <= o.max_ratio and not small:
                continue
            k = len(counts)
            weights = {g: round(n / (k * c), 4) for g, c in ranked}
            shares = {g: round(c / n, 6) for g, c in ranked}
            why = []
            if ratio > o.max_ratio:
                why.append(f"largest/smallest ratio {ratio:.1f} ('{largest}' {nmax:,} / '{smallest}' {nmin:,}), "
                           f"above {o.max_ratio:g}")
            else:
                why.append(f"largest/smallest ratio {ratio:.1f}")
            if small:
                why.append(f"{', '.join(repr(g) for g in small)} {'has' if len(small) == 1 else 'have'} fewer than "
                           f"{o.min_group_rows} rows")
            table = _listing([(g, f"{c:,} ({c / n:.1%})") for g, c in ranked])
            affected = sum(counts[g] for g in counts if g == smallest or g in small)
            fix_w = ", ".join(f"{g} {w:g}" for g, w in list(weights.items())[:8])
            yield self.finding(
                f"{gc.source} of the {SPLIT} split: {table}; " + "; ".join(why),
                f"Collect or augment rows of {', '.join(repr(g) for g in (small or [smallest])[:5])}, or re-weight "
                f"rows by group so every group carries the same total weight: {fix_w} (metrics.weights; a "
                "per-example weight column).",
                location=_location(ctx, SPLIT, column), affected=affected, total=len(gc.values), split=SPLIT,
                metrics={"attribute": column, "source": gc.source, "counts": dict(ranked), "shares": shares,
                         "ratio": round(ratio, 4), "largest": largest, "smallest": smallest, "small_groups": small,
                         "missing": gc.missing, "rows": n, "weights": weights,
                         "bin_edges": list(gc.edges) if gc.edges else None},
                charts=bars("counts", {SPLIT: dict(ranked)}, label=f"rows per {gc.source}"),
                remedies=[Reweight(SPLIT, row_factors(gc.values, weights), weights, f"{self.code} '{column}'")],
            )


# -- FT502 --------------------------------------------------------------------------------------------

def label_parity(labels: Sequence[str], groups: Sequence[str], label: str) -> dict[str, Any]:
    """One-vs-rest demographic parity of ``label`` across ``groups``, with numpy group counts, as
    fairlearn defines it (labels passed as ``y_pred``): per group (sorted), ``selection_rate`` =
    rows with the label / rows of the group and ``count`` = rows of the group (``MetricFrame``);
    ``demographic_parity_difference`` = largest rate - smallest, ``demographic_parity_ratio`` =
    smallest / largest (NaN when every rate is 0, as pandas divides). The numbers are identical to
    fairlearn's, checked in the test suite; fairlearn itself (with pandas and scikit-learn) is not
    imported."""
    names, gcode = _codes(groups)
    selected = np.fromiter((v == label for v in labels), dtype=bool, count=len(labels))
    counts = np.bincount(gcode, minlength=len(names))
    hits = np.bincount(gcode, weights=selected.astype(np.float64), minlength=len(names))
    return _parity(names, counts, hits)


def _codes(values: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    """(the distinct values sorted, each value's position in them; -1 for None), without a Python
    object per row beyond the values themselves."""
    index: dict[Any, int] = {}
    codes = np.fromiter((-1 if v is None else index.setdefault(v, len(index)) for v in values),
                        dtype=np.int64, count=len(values))
    names = list(index)
    order = sorted(range(len(names)), key=names.__getitem__)
    remap = np.empty(len(names) + 1, dtype=np.int64)
    remap[np.asarray(order, dtype=np.int64)] = np.arange(len(names), dtype=np.int64)
    remap[-1] = -1  # None stays -1
    return [names[i] for i in order], remap[codes]


def _parity(names: Sequence[Any], counts: np.ndarray, hits: np.ndarray) -> dict[str, Any]:
    """:func:`label_parity`'s numbers from each group's rows and rows with the label."""
    rates = np.asarray(hits, dtype=np.float64) / np.asarray(counts, dtype=np.float64)
    lo, hi = float(rates.min()), float(rates.max())
    return {
        "rates": {str(k): float(r) for k, r in zip(names, rates.tolist(), strict=True)},
        "counts": {str(k): int(c) for k, c in zip(names, np.asarray(counts).tolist(), strict=True)},
        "difference": hi - lo,
        "ratio": lo / hi if hi > 0 else math.nan,
    }


class LabelDisparity(Rule):
    """The rate of a label differs by group (demographic parity), as fairlearn computes it.

    ## What it does
    For labelled training data (a label column, or generative classification) and each sensitive
    attribute, computes the selection rate of every label in every group (rows of the group with
    the label / rows of the group, fairlearn's `MetricFrame` with `selection_rate`; one-vs-rest for
    more than two labels, so each label is one "selected" outcome), and fairlearn's
    `demographic_parity_difference` (largest rate - smallest) and `demographic_parity_ratio`
    (smallest rate over largest), from numpy group counts: the numbers are identical to
    fairlearn's, checked in the test suite, without importing fairlearn, pandas or scikit-learn.
    Reports a warning when the worst ratio is under `warn-below` (0.8, the "four-fifths rule"),
    an error under `error-below` (0.6). Groups with fewer than
    `min-group-rows` rows are left out of the comparison (their rates are noise) and listed in
    `metrics.excluded_groups`; `labels` restricts the labels compared (e.g. the favourable one).

    The message shows the rates of the worst label per group; `metrics` holds the whole table
    (`rates`: label → group → rate, `counts`: group → label → rows), the ratio and difference per
    label, and in `metrics.weights` the per group × label weights that would give every group the
    same label distribution (reweighing, Kamiran & Calders: `w(g, y) = n_g · n_y / (n · n_gy)`):
    `{group: {label: weight}}`, for the compared groups. A weight column (`ftlint fix`) gives each
    row the weight of its group and label; rows of excluded groups keep 1. Numeric attributes are
    binned as in FT501 (`bins`, `bin-edges`).

    The four-fifths rule is a convention from US employment guidance, not a law of fairness:
    fairlearn's own guide warns that it is wrong in many settings. A low ratio calls for a look
    at how the labels were made; a ratio above 0.8 is no proof of fair labels.

    ## Why it matters
    A model fine-tuned on labels that are given more often to one group learns the group as a
    signal: it reproduces (and often sharpens) the disparity in its predictions.

    ## Example
    ```toml
    sensitive = ["gender"]
    ```
    with `approved` on 60% of the `male` rows and 30% of the `female` rows: ratio 0.5, an error.

    ## How to fix
    Check how the labels were produced for the groups with the lowest rates (annotator bias,
    a proxy feature, a filtering step); collect more examples of the under-selected outcome for
    those groups; or re-weight rows by group × label with the weights in the fix line (also in
    `metrics.weights`) so every group has the same label distribution.
    """

    code = "FT502"
    name = "label-disparity"
    summary = "A label's rate differs by sensitive group (demographic parity ratio below 0.8)"
    severity = Severity.WARNING
    requires = frozenset({Need.DATASET, Need.LABELS})
    escalation = "error_below"
    remedies = (Reweight,)
    option_help = {
        "warn_below": "a warning when the demographic parity ratio (smallest / largest rate) is under this",
        "error_below": "an error (escalated severity) when it is under this",
        "min_group_rows": "groups with fewer labelled rows are left out of the comparison",
        "labels": "compare only these labels (one-vs-rest each); empty: every label",
        "bins": "equal-width bins for a numeric attribute with many values (0: every value is a group)",
        "max_categories": "a numeric attribute with more distinct values than this is binned",
        "bin_edges": "explicit bin edges for numeric attributes, e.g. [30, 45, 65] (open bins below and above)",
    }

    @dataclass
    class Options:
        warn_below: float = 0.8
        error_below: float = 0.6
        min_group_rows: int = 10
        labels: list[str] | None = None
        bins: int = 4
        max_categories: int = 10
        bin_edges: list[float] | None = None

    def check(self, ctx: Context) -> Iterator[Finding]:
        if SPLIT not in ctx.splits:
            return
        info = ctx.artifact(label_info, SPLIT)
        if info is None:
            return
        o = self.options
        for column in sensitive_columns(ctx, SPLIT, self.code):
            gc = group_column(ctx, SPLIT, column, o.bins, o.max_categories, o.bin_edges)
            # rows with a group and a label, as integer codes (no Python object per row at 1M rows)
            gnames, gcode = _codes(gc.values)
            lnames, lcode = _codes(info.values)
            valid = (gcode >= 0) & (lcode >= 0)
            sizes = np.bincount(gcode[valid], minlength=len(gnames))
            kept_g = np.flatnonzero(sizes >= max(1, o.min_group_rows))
            kept = [gnames[i] for i in kept_g.tolist()]
            excluded = [gnames[i] for i in range(len(gnames)) if 0 < sizes[i] < o.min_group_rows]
            keep = valid.copy()
            keep[valid] = sizes[gcode[valid]] >= max(1, o.min_group_rows)
            if len(kept) < 2 or not keep.any():
                continue
            width = len(lnames)
            by_pair = np.bincount(gcode[keep] * width + lcode[keep], minlength=len(gnames) * width)
            table_gl = by_pair.reshape(len(gnames), width)[kept_g]  # kept groups x labels, both sorted
            label_totals = table_gl.sum(axis=0)
            label_counts = {lnames[j]: int(label_totals[j]) for j in range(width) if label_totals[j]}
            column_of = {lnames[j]: j for j in range(width)}
            kept_rows = table_gl.sum(axis=1)
            group_sizes = {g: int(kept_rows[i]) for i, g in enumerate(kept)}
            joint = {(g, lb): int(table_gl[i, column_of[lb]]) for i, g in enumerate(kept) for lb in label_counts}
            del gcode, lcode, valid, keep
            compared = [lb for lb in sorted(label_counts, key=lambda v: (-label_counts[v], v))
                        if not o.labels or lb in o.labels]
            if len(label_counts) < 2 or not compared:
                continue
            per_label = {lb: _parity(kept, kept_rows, table_gl[:, column_of[lb]]) for lb in compared}
            worst = min(compared, key=lambda lb: (per_label[lb]["ratio"], lb))
            wr = per_label[worst]["ratio"]
            if not wr < o.warn_below:
                continue
            n = sum(group_sizes.values())
            weights = {g: {lb: round(group_sizes[g] * label_counts[lb] / (n * joint[(g, lb)]), 4)
                           for lb in sorted(label_counts) if joint[(g, lb)]}
                       for g in sorted(kept)}
            rates = per_label[worst]["rates"]
            ranked = sorted(rates.items(), key=lambda kv: (-kv[1], kv[0]))
            hi_g, hi = ranked[0]
            lo_g, lo = ranked[-1]
            table = _listing([(g, f"{r:.1%} of {group_sizes[g]:,}") for g, r in ranked])
            others = [f"'{lb}' {per_label[lb]['ratio']:.2f}" for lb in compared
                      if lb != worst and per_label[lb]["ratio"] < o.warn_below]
            also = f"; also under {o.warn_below:g}: {', '.join(others)}" if others else ""
            severe = wr < o.error_below
            fix_w = "; ".join(f"{g}: " + ", ".join(f"{lb} {w:g}" for lb, w in ws.items())
                              for g, ws in list(weights.items())[:6])
            yield self.finding(
                f"label {worst!r} by {gc.source} of the {SPLIT} split: {table}; demographic parity ratio "
                f"{wr:.2f} (difference {per_label[worst]['difference']:.2f}), under "
                f"{o.error_below if severe else o.warn_below:g}{also}. The four-fifths (0.8) rule is a convention, "
                "not a law: a low ratio calls for a look at how the labels were made, not a verdict",
                f"Review how {worst!r} was labelled for '{lo_g}' ({lo:.1%}) against '{hi_g}' ({hi:.1%}); collect "
                f"more examples of the under-selected outcome, or re-weight rows by group × label so every group "
                f"has the same label distribution: {fix_w} (metrics.weights; a per-example weight column).",
                location=_location(ctx, SPLIT, column), affected=group_sizes[lo_g], total=len(gc.values),
                escalate=severe, split=SPLIT,
                metrics={
                    "attribute": column, "source": gc.source, "labels_from": info.source, "worst_label": worst,
                    "ratio": {lb: round(per_label[lb]["ratio"], 6) for lb in compared},
                    "difference": {lb: round(per_label[lb]["difference"], 6) for lb in compared},
                    "rates": {lb: {g: round(r, 6) for g, r in per_label[lb]["rates"].items()} for lb in compared},
                    "counts": {g: {lb: joint[(g, lb)] for lb in sorted(label_counts)} for g in sorted(kept)},
                    "group_rows": {g: group_sizes[g] for g in sorted(kept)},
                    "excluded_groups": excluded, "weights": weights,
                    "warn_below": o.warn_below, "error_below": o.error_below,
                },
                charts=[
                    *bars("rates", {lb: per_label[lb]["rates"] for lb in compared[:MAX_SERIES]}, values="share",
                          label="share of each group's rows with the label"),
                    *bars("counts", {g: {lb: joint[(g, lb)] for lb in sorted(label_counts)}
                                     for g in sorted(kept)[:MAX_SERIES]}, label="rows per label"),
                    *bars("group rows", {SPLIT: {g: group_sizes[g] for g in sorted(kept)}}),
                ],
                remedies=[Reweight(SPLIT, row_factors(gc.values, weights, info.values), weights,
                                   f"{self.code} '{column}'")],
            )


# -- terms in the text (FT503, FT504) ---------------------------------------------------------------

def _lexicons(ctx: Context) -> list[Any]:
    from ftlint.features.lexicons import resolve_lexicons

    try:
        return resolve_lexicons(ctx.settings.lexicons, str(ctx.settings.source or "settings"))
    except SettingsError as e:
        raise Skip(f"cannot load the term lexicons: {e.message}", "fix the [lexicons] table of the settings") from None


#: rows whose term counts are computed together
TERM_BLOCK = 16_384


@dataclass(frozen=True)
class TermCounts:
    """Per-row term counts of one lexicon, in the prompts and in the responses."""

    prompts: dict[str, np.ndarray]
    responses: dict[str, np.ndarray]


def term_counts(ctx: Context, split: str, lexicon: Any) -> TermCounts:
    """How often each group of ``lexicon`` is named in each row's prompt and response (keyed by
    the lexicon's content); computed once per run (:func:`demographic_terms`)."""
    return ctx.artifact(demographic_terms, split, lexicon)


def demographic_terms(ctx: Context, split: str, lexicon: Any) -> TermCounts:
    """The artifact of :func:`term_counts`."""
    from ftlint.features.lexicons import count_terms

    ds = ctx.dataset(split)

    def compute() -> TermCounts:
        # in blocks of rows: the split's text is never held whole (it lives on disk for large splits)
        n = len(ds)
        parts: tuple[dict[str, list[np.ndarray]], dict[str, list[np.ndarray]]] = ({}, {})
        for lo in range(0, max(n, 1), TERM_BLOCK):
            prompts, responses = [], []
            for i in range(lo, min(n, lo + TERM_BLOCK)):
                has_reply = ds.last_assistant(i) >= 0
                prompts.append(ds.prompt(i) if has_reply else "\n".join(ds.texts[i]))
                responses.append(ds.response(i) if has_reply else "")
            for out, texts in zip(parts, (prompts, responses)):
                for g, counts in count_terms(texts, lexicon).items():
                    out.setdefault(g, []).append(counts)
        p, r = ({g: np.concatenate(v) for g, v in out.items()} for out in parts)
        return TermCounts(p, r)

    return compute()


def _ratio(counts: dict[str, int]) -> tuple[float, str, str]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    (top, nmax), (bottom, nmin) = ranked[0], ranked[-1]
    return nmax / max(nmin, 1), top, bottom


class DemographicTermSkew(Rule):
    """The text mentions one demographic group far more often than another.

    ## What it does
    Counts, in the training split, the terms of each group of the term lexicons (built in:
    `gender`, with pronouns, kinship and address terms such as *he/him/his/man/father/Mr* and
    *she/her/hers/woman/mother/Mrs*; `religion`, off by default), separately in the prompts and in
    the responses, and reports when the most-mentioned group's terms outnumber the least-mentioned
    group's by more than `info-ratio` (3, info) or `warn-ratio` (10, a warning). Lexicons with
    fewer than `min-terms` (30) occurrences in all are not judged. The message gives the counts,
    the ratio in prompts and in responses (and says when the responses skew further than the
    prompts: the model would learn to add the skew), and example rows that mention only the
    majority group; `metrics` holds the counts per group and field.

    The lexicons are data files: extend or replace them in the settings (`[lexicons] gender =
    "my_terms.toml"`; a file with `extend = true` adds to the built-in one).

    ## Why it matters
    A model learns the associations of its fine-tuning text: when engineers, doctors and
    leaders are "he" ten times as often as "she", the model writes them that way, and answers
    about the less-mentioned group get less practice.

    ## Example
    Replies that say "he" 40 times and "she" 3 times (ratio 13.3, a warning).

    ## How to fix
    Balance the examples: add rows about the less-mentioned group, rewrite some replies in
    neutral or swapped terms (counterfactual augmentation), or make generated replies use
    neutral wording ("they", "the engineer") unless the prompt sets the gender.
    """

    code = "FT503"
    name = "demographic-term-skew"
    summary = "One group's terms far outnumber another's in the text (e.g. he/him vs she/her)"
    severity = Severity.INFO
    escalation = "warn_ratio"
    option_help = {
        "info_ratio": "report (info) when the most-mentioned group's terms outnumber the least-mentioned's by more",
        "warn_ratio": "a warning (escalated severity) above this ratio",
        "min_terms": "fewest term occurrences in a lexicon for its ratio to be judged",
        "max_rows": "example rows listed (rows that mention only the majority group)",
    }

    @dataclass
    class Options:
        info_ratio: float = 3.0
        warn_ratio: float = 10.0
        min_terms: int = 30
        max_rows: int = 20

    def check(self, ctx: Context) -> Iterator[Finding]:
        if SPLIT not in ctx.splits:
            return
        o = self.options
        ds = ctx.dataset(SPLIT)
        for lex in _lexicons(ctx):
            if len(lex.groups) < 2:
                continue
            tc = term_counts(ctx, SPLIT, lex)
            prompts = {g: int(a.sum()) for g, a in tc.prompts.items()}
            responses = {g: int(a.sum()) for g, a in tc.responses.items()}
            total = {g: prompts[g] + responses[g] for g in lex.groups}
            if sum(total.values()) < o.min_terms:
                continue
            ratio, top, bottom = _ratio(total)
            if ratio <= o.info_ratio:
                continue
            per_field = []
            field_ratio: dict[str, float | None] = {}
            for fname, counts in (("prompts", prompts), ("responses", responses)):
                if sum(counts.values()) < max(5, o.min_terms // 3):
                    field_ratio[fname] = None
                    continue
                r = counts[top] / max(counts[bottom], 1)
                field_ratio[fname] = round(r, 4)
                per_field.append(f"{fname} {counts[top]:,} vs {counts[bottom]:,} ({r:.1f}×)")
            pr, rr = field_ratio["prompts"], field_ratio["responses"]
            drift = ""
            if pr is not None and rr is not None and rr > 2 * pr:
                drift = "; the responses skew further than the prompts, so the model learns to add the skew"
            elif pr is not None and rr is not None and pr > 2 * rr:
                drift = "; the skew comes from the prompts, the responses are more balanced"
            only_top = (tc.prompts[top] + tc.responses[top] > 0) & (tc.prompts[bottom] + tc.responses[bottom] == 0)
            idx = np.flatnonzero(only_top)
            rows = [RowAt(SPLIT, int(i),
                            extra={"terms": {g: int(tc.prompts[g][i] + tc.responses[g][i]) for g in lex.groups}})
                    for i in idx[: o.max_rows]]
            counts_txt = ", ".join(f"'{g}' {c:,}" for g, c in sorted(total.items(), key=lambda kv: (-kv[1], kv[0])))
            rel = (f"no '{bottom}' terms at all" if total[bottom] == 0
                   else f"{ratio:.1f}× as many '{top}' terms as '{bottom}'")
            yield self.finding(
                f"{lex.name} terms in the {SPLIT} split: {counts_txt} ({rel}); "
                + (", ".join(per_field) if per_field else "too few terms to compare prompts and responses")
                + f"{drift}; {len(idx):,} rows mention only '{top}' terms",
                f"Add rows about the less-mentioned group ('{bottom}'), rewrite some replies in neutral or swapped "
                "terms (counterfactual augmentation), or keep generated replies neutral unless the prompt sets the "
                f"group; the lexicon is {lex.source} (extend or replace it with [lexicons] {lex.name} = "
                "\"file.toml\").",
                location=_location(ctx, SPLIT, lex.name), rows=rows, affected=len(idx), total=len(ds),
                escalate=ratio > o.warn_ratio, split=SPLIT,
                metrics={"lexicon": lex.name, "lexicon_source": lex.source, "counts": total,
                         "prompts": prompts, "responses": responses, "ratio": round(ratio, 4), "majority": top,
                         "minority": bottom, "prompt_ratio": pr, "response_ratio": rr,
                         "rows_with_terms": {g: int(((tc.prompts[g] + tc.responses[g]) > 0).sum())
                                             for g in lex.groups},
                         "rows_only_majority": len(idx)},
                charts=[*bars("counts", {SPLIT: total}, label=f"{lex.name} terms"),
                        *bars("rows with terms", {SPLIT: {g: int(((tc.prompts[g] + tc.responses[g]) > 0).sum())
                                                          for g in lex.groups}}),
                        *bars("prompts", {SPLIT: prompts}, label=f"{lex.name} terms in prompts")],
            )


class UnauditedSensitiveContent(Rule):
    """Demographic terms (or demographic-looking columns) but no sensitive attribute configured.

    ## What it does
    When the settings name no sensitive attribute, counts the training rows that mention terms
    of the lexicons (gendered pronouns and words by default) and reports them once, with the
    columns of the data whose names suggest a sensitive attribute (`gender`, `sex`, `age`,
    `race`, `ethnicity`, `religion`, `nationality`, ...). It stays silent when a sensitive
    attribute is configured, or when fewer than `min-rows` (10) rows mention any term and no
    column looks demographic.

    ## Why it matters
    Text about people carries their demographics whether or not anyone checks: without a
    sensitive attribute, ftlint cannot compare representation (FT501) or label rates (FT502) by
    group, and that silence must not read as a pass.

    ## Example
    A `train.csv` with a `gender` column and replies that say "he" and "she", linted with no
    `sensitive = [...]` in the settings.

    ## How to fix
    Name the columns that hold the sensitive attributes: `sensitive = ["gender"]` in
    `ftlint.toml` (or `[tool.ftlint]` in `pyproject.toml`), or `--sensitive gender` on the command
    line. Without such a column, FT503 still audits the terms in the text; to silence this
    notice, ignore FT504.
    """

    code = "FT504"
    name = "unaudited-sensitive-content"
    summary = "Demographic content in the data but no sensitive attribute configured"
    severity = Severity.INFO
    default = False
    not_default_because = ("it fires on any text that mentions gendered words when no sensitive attribute is "
                           "configured: a reminder, not a problem in the data")
    option_help = {"min_rows": "fewest rows mentioning lexicon terms to report (without a demographic column)"}

    @dataclass
    class Options:
        min_rows: int = 10

    def check(self, ctx: Context) -> Iterator[Finding]:
        if SPLIT not in ctx.splits or ctx.settings.sensitive:
            return
        ds = ctx.dataset(SPLIT)
        n = len(ds)
        any_term = np.zeros(n, dtype=bool)
        per_lex: dict[str, dict[str, int]] = {}
        for lex in _lexicons(ctx):
            tc = term_counts(ctx, SPLIT, lex)
            rows_by_group = {}
            for g in lex.groups:
                hit = (tc.prompts[g] + tc.responses[g]) > 0
                any_term |= hit
                rows_by_group[g] = int(hit.sum())
            per_lex[lex.name] = rows_by_group
        with_terms = int(any_term.sum())
        columns = [c for c in ds.extras if DEMOGRAPHIC_COLUMN.search(c)
                   and any(v not in (None, "") for v in ds.extras[c])]
        if with_terms < self.options.min_rows and not columns:
            return
        parts = []
        if with_terms:
            detail = "; ".join(f"{name}: " + ", ".join(f"{g} {c:,}" for g, c in groups.items())
                               for name, groups in per_lex.items())
            parts.append(f"{with_terms:,} rows ({with_terms / max(n, 1):.1%}) of the {SPLIT} split mention "
                         f"demographic terms (rows per group: {detail})")
        if columns:
            parts.append(f"column{'s' if len(columns) > 1 else ''} {', '.join(repr(c) for c in columns)} look"
                         f"{'' if len(columns) > 1 else 's'} like a sensitive attribute")
        suggestion = json_list(columns or ["<column>"])
        yield self.finding(
            " and ".join(parts) + ", but no sensitive attribute is configured, so representation (FT501) and label "
            "rates (FT502) by group are not checked",
            f"Name the columns that hold the sensitive attributes: add  sensitive = {suggestion}  to ftlint.toml (or "
            f"[tool.ftlint] in pyproject.toml), or pass --sensitive {(columns or ['COLUMN'])[0]}"
            + ("" if columns else "; without such a column FT503 audits the terms in the text")
            + "; ignore FT504 to silence this notice.",
            location=_location(ctx, SPLIT, None), affected=with_terms, total=max(n, 1), split=SPLIT,
            metrics={"rows_with_terms": with_terms, "rows_per_group": per_lex, "demographic_columns": columns,
                     "suggested_settings": {"sensitive": columns}},
        )


def json_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{x}"' for x in items) + "]"


__all__ = ["DemographicTermSkew", "GroupColumn", "GroupUnderrepresented", "LabelDisparity",
           "UnauditedSensitiveContent", "group_column", "label_parity", "sensitive_columns", "term_counts"]
