"""FT2xx: duplicates and leakage."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ftlint.context import Context
from ftlint.findings import Finding
from ftlint.rule import Rule, Severity


def exact_groups(hashes: np.ndarray) -> list[list[int]]:
    """Groups (of 2 or more row positions, in order) sharing a hash; groups ordered by first row."""
    if len(hashes) == 0:
        return []
    order = np.argsort(hashes, kind="stable")
    sorted_h = hashes[order]
    starts = np.flatnonzero(np.r_[True, sorted_h[1:] != sorted_h[:-1]])
    ends = np.r_[starts[1:], len(sorted_h)]
    groups = [sorted(order[s:e].tolist()) for s, e in zip(starts, ends) if e - s > 1]
    return sorted(groups, key=lambda g: g[0])


class ExactDuplicates(Rule):
    """Examples that are exact copies of each other after normalisation.

    ## What it does
    Hashes the whole example (every turn with its role, the rejected side and the label),
    normalised with Unicode NFKC, case folding and collapsed whitespace, and reports groups of
    identical examples within each split. `rows` lists the copies to drop (all but the first of
    each group) and `metrics.groups` every group as `[path, index]` pairs.

    ## Why it matters
    Duplicates are trained on several times per epoch: they inflate the apparent dataset size,
    over-weight whatever they say, and make the model memorise them verbatim.

    ## Example
    The same instruction and answer twice in an Alpaca file, once with different capitalisation.

    ## How to fix
    Keep the first of each group and drop the rest (`metrics.groups` in the JSON report lists
    them all). Above
    `error-fraction` (10%) of the split the finding is an error: check how the data was assembled.
    """

    code = "FT201"
    name = "exact-duplicates"
    summary = "Exact duplicate examples (after normalisation)"
    severity = Severity.WARNING
    fixable = True
    escalation = "error_fraction"
    option_help = {"error_fraction": "share of the split in duplicate copies above which this is an error"}

    @dataclass
    class Options:
        error_fraction: float = 0.10

    def check(self, ctx: Context) -> Iterator[Finding]:
        for split in ctx.splits:
            ds = ctx.dataset(split)
            if len(ds) < 2:
                continue
            hashes = ctx.text_hashes(split)
            groups = [g for g in exact_groups(hashes) if ds.roles[g[0]]]
            if not groups:
                continue
            rows = []
            for g in groups:
                first = g[0]
                for i in g[1:]:
                    rows.append(ctx.row(split, i, self.code, extra={
                        "duplicate_of": {"path": ds.path(first), "index": int(ds.index[first]),
                                         "line": ds.line_of(first)}}))
            n = len(ds)
            fraction = len(rows) / n
            largest = max(len(g) for g in groups)
            yield self.finding(
                f"{len(rows):,} of {n:,} {split} examples ({fraction:.1%}) are exact copies of another "
                f"({len(groups):,} groups, largest {largest})",
                "Keep the first of each group and drop the copies listed here (every one is in the JSON report's rows).",
                rows=rows, total=n, escalate=fraction > self.options.error_fraction, split=split,
                metrics={
                    "groups": [[[ds.path(i), int(ds.index[i])] for i in g] for g in groups],
                    "duplicate_fraction": round(fraction, 6),
                    "group_count": len(groups),
                },
            )
