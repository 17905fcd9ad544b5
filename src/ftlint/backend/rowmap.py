"""Per-row artifacts in the engine's map: the registry of the artifacts whose row ``i`` depends only
on row ``i``, computed part by part on the workers and installed in the driver's Context.

Each :class:`RowArtifact` names an artifact function of a feature or rule module (``fn(ctx, split,
*args)``, the function the rules call through ``ctx.artifact``), when the selected rules need it
(``wanted``: the argument tuples the rules will ask for, per split), and how the values of the
parts make the split's value (``merge``: row positions shifted by each part's first row). On a
worker the function itself runs, unchanged, over a Context that holds only the part's rows
(:func:`compute`): the in-process path and the engine run the same code on the same rows, so the
merged value is the in-process value, and ``ctx.remember`` puts it where the rules look.

Adding an artifact to the engine is one entry here; an artifact that is not row-local (a norm of
the split, a fitted model) must not be registered: it runs on the driver (or, for a split-wide
statistic, as a first map whose small results merge, as FT201-FT203's stage does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: ``merge(values, firsts)``: the split's value from the value of each part and each part's first row
Merge = Callable[[Sequence[Any], Sequence[int]], Any]
#: ``wanted(ctx, rules)``: ``[(split, args), ...]`` the selected rules will ask for
Wanted = Callable[[Any, Sequence[Any]], list[tuple[str, tuple[Any, ...]]]]


@dataclass(frozen=True)
class RowArtifact:
    name: str
    fn: Callable[..., Any]
    merge: Merge
    wanted: Wanted
    #: the rules that read it (run after it is installed)
    codes: tuple[str, ...]


#: one job of a part: (registry name, args after the split)
Job = tuple[str, tuple[Any, ...]]


def _options(rules: Sequence[Any], code: str) -> Any:
    return next((r.options for r in rules if type(r).code == code), None)


# -- merges ----------------------------------------------------------------------------------------

def _merge_truncation(values: Sequence[Any], firsts: Sequence[int]) -> Any:
    from ftlint.rules.replies import TruncationScan

    return TruncationScan([w for v in values for w in v.lengths], sum(v.clean for v in values),
                          sum(v.starts for v in values),
                          [(i + o, w, c) for v, o in zip(values, firsts) for i, w, c in v.found])


def _merge_rows(values: Sequence[Any], firsts: Sequence[int]) -> list[Any]:
    """Lists of tuples whose first item is a row position."""
    return [(t[0] + o, *t[1:]) for v, o in zip(values, firsts) for t in v]


def _merge_degenerate(values: Sequence[Any], firsts: Sequence[int]) -> Any:
    import numpy as np

    from ftlint.rules.text import DegenerateScan

    def cat(name: str) -> Any:
        return np.concatenate([getattr(v, name) for v in values])

    return DegenerateScan(np.concatenate([v.side_row + o for v, o in zip(values, firsts)]), cat("side_len"),
                          cat("side_blank"), cat("side_rejected"),
                          {i + o: p for v, o in zip(values, firsts) for i, p in v.problems.items()},
                          {i + o: e for v, o in zip(values, firsts) for i, e in v.extras.items()},
                          {i + o: t for v, o in zip(values, firsts) for i, t in v.shown.items()})


def _merge_terms(values: Sequence[Any], firsts: Sequence[int]) -> Any:
    import numpy as np

    from ftlint.rules.fairness import TermCounts

    def cat(side: str) -> dict[str, Any]:
        groups = getattr(values[0], side).keys()
        return {g: np.concatenate([getattr(v, side)[g] for v in values]) for g in groups}

    return TermCounts(cat("prompts"), cat("responses"))


def _merge_privacy(values: Sequence[Any], firsts: Sequence[int]) -> Any:
    """Row keys shifted; a part's metadata column ``j`` (field ``-2 - j``) renumbered in the split's
    columns (those with a non-empty string in any row: the union of the parts', sorted)."""
    from ftlint.rules.privacy import FieldHits, PrivacyScan

    columns = tuple(sorted({c for v in values for c in v.columns}))
    where = {c: j for j, c in enumerate(columns)}
    out = PrivacyScan(columns=columns)
    for v, o in zip(values, firsts):
        remap = [where[c] for c in v.columns]
        for i, hits in v.by_row.items():
            out.by_row[i + o] = [FieldHits(h.row + o, h.field if h.field >= -1 else -2 - remap[-2 - h.field], h.hits)
                                 for h in hits]
    out.by_row = dict(sorted(out.by_row.items()))
    return out


# -- what the selected rules ask for ------------------------------------------------------------------

def _every_split(code: str, args: Callable[[Any], tuple[Any, ...]]) -> Wanted:
    def wanted(ctx: Any, rules: Any) -> list[tuple[str, tuple[Any, ...]]]:
        o = _options(rules, code)
        return [] if o is None else [(s, args(o)) for s in ctx.splits]

    return wanted


def _privacy_wanted(ctx: Any, rules: Any) -> list[tuple[str, tuple[Any, ...]]]:
    return [(s, ()) for s in ctx.splits] if {"FT701", "FT702"} & {type(r).code for r in rules} else []


def _terms_wanted(ctx: Any, rules: Any) -> list[tuple[str, tuple[Any, ...]]]:
    from ftlint.rule import Skip
    from ftlint.rules.fairness import SPLIT, _lexicons

    if not {"FT503", "FT504"} & {type(r).code for r in rules} or SPLIT not in ctx.splits:
        return []
    try:
        lexicons = _lexicons(ctx)
    except Skip:
        return []
    return [(SPLIT, (lex,)) for lex in lexicons]


def registry() -> dict[str, RowArtifact]:
    """The per-row artifacts an engine computes in its map (imported on first use)."""
    from ftlint.rules.fairness import demographic_terms
    from ftlint.rules.privacy import privacy_scan
    from ftlint.rules.replies import language_mismatch_scan, refusal_scan, truncation_scan
    from ftlint.rules.text import degenerate_scan, encoding_scan, placeholder_scan

    entries = [
        RowArtifact("encoding_scan", encoding_scan, _merge_rows, _every_split("FT005", lambda o: (o.check_invisible,)),
                    ("FT005",)),
        RowArtifact("placeholder_scan", placeholder_scan, _merge_rows,
                    _every_split("FT007", lambda o: (o.blanks_in_responses,)), ("FT007",)),
        RowArtifact("degenerate_scan", degenerate_scan, _merge_degenerate,
                    _every_split("FT008", lambda o: (o.min_chars, o.ngram, o.max_duplicate_fraction,
                                                     o.min_compression_ratio)), ("FT008",)),
        RowArtifact("truncation_scan", truncation_scan, _merge_truncation,
                    _every_split("FT009", lambda o: (o.min_words, o.check_starts)), ("FT009",)),
        RowArtifact("refusal_scan", refusal_scan, _merge_rows, _every_split("FT010", lambda o: ()), ("FT010",)),
        RowArtifact("language_mismatch_scan", language_mismatch_scan, _merge_rows,
                    _every_split("FT011", lambda o: (o.min_letters, o.min_confidence)), ("FT011",)),
        RowArtifact("demographic_terms", demographic_terms, _merge_terms, _terms_wanted, ("FT503", "FT504")),
        RowArtifact("privacy_scan", privacy_scan, _merge_privacy, _privacy_wanted, ("FT701", "FT702")),
    ]
    return {e.name: e for e in entries}


def jobs(ctx: Any, rules: Sequence[Any]) -> tuple[dict[str, list[Job]], set[str]]:
    """The per-row artifacts the selected rules need, per split (those already computed left out),
    and the codes of the rules that read them."""
    out: dict[str, list[Job]] = {}
    codes: set[str] = set()
    for name, entry in registry().items():
        for split, args in entry.wanted(ctx, rules):
            if not ctx.has_artifact(entry.fn, split, *args):
                out.setdefault(split, []).append((name, args))
                codes.update(entry.codes)
    return out, codes


def compute(ds: Any, settings: Any, jobs: Sequence[Job]) -> list[Any]:
    """On a worker: each job's artifact over the part's rows ``ds`` (a Context of that part alone)."""
    from ftlint.context import Context

    if not jobs:
        return []
    reg = registry()
    sub = Context({ds.split: ds}, settings)
    return [sub.artifact(reg[name].fn, ds.split, *args) for name, args in jobs]


def install(ctx: Any, split: str, jobs: Sequence[Job], values: Sequence[Sequence[Any]], firsts: Sequence[int]) -> None:
    """On the driver: each job's merged value put in ``ctx`` as its artifact (``values[p][j]``: job
    ``j`` of part ``p``)."""
    reg = registry()
    for j, (name, args) in enumerate(jobs):
        entry = reg[name]
        ctx.remember(entry.merge([v[j] for v in values], firsts), entry.fn, split, *args)
