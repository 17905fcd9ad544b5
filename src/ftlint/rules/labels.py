"""FT006 (labels whose spelling varies). The FT3xx label-quality rules live here too as they arrive."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterator

from ftlint.context import Context
from ftlint.findings import Finding, Row
from ftlint.rule import Need, Rule, Severity


def label_key(value: str) -> str:
    """What two spellings of one label share: NFKC, case-folded, whitespace collapsed."""
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
    return " ".join(value.casefold().split())


class InconsistentLabelFormat(Rule):
    """One label spelled several ways: `Positive`, `positive`, ` positive`.

    ## What it does
    Groups the labels of every split (a label column, KTO labels, or the short responses of a
    generative classification dataset, taken as written) by their case-folded, whitespace-
    collapsed form, and reports every group with more than one spelling. The most common
    spelling across all splits is taken as the canonical one; `rows` lists the rows that use
    another, each with its `canonical` spelling in `extra`, and `metrics.groups` lists every
    variant with its count. A variant used only in the validation or test split is reported
    there: the model was never trained on it.

    ## Why it matters
    A classifier (or a model trained to answer with a label) sees `Positive` and `positive` as
    two different classes: the examples of one class are split between them, each half looks
    rarer than it is, and evaluation by exact match marks correct answers wrong.

    ## Example
    ```
    {"text": "great film", "label": "positive"}
    {"text": "loved it", "label": "Positive"}
    {"text": "dull", "label": "negative "}
    ```

    ## How to fix
    Map every variant to its canonical spelling (the `canonical` of each row) before training,
    and normalise labels where the data is produced.
    """

    code = "FT006"
    name = "inconsistent-labels-format"
    summary = "The same label spelled differently (case or whitespace)"
    severity = Severity.WARNING
    requires = frozenset({Need.DATASET, Need.LABELS})

    def _raw_labels(self, ctx: Context, split: str) -> list[str | None] | None:
        info = ctx.labels(split)
        if info is None:
            return None
        if not info.generative:
            return list(info.values)
        ds = ctx.dataset(split)  # generative labels are normalised; the variants are in the responses
        return [ds.response(i) if v is not None else None for i, v in enumerate(info.values)]

    def check(self, ctx: Context) -> Iterator[Finding]:
        per_split: dict[str, list[str | None]] = {}
        for split in ctx.splits:
            values = self._raw_labels(ctx, split)
            if values is not None:
                per_split[split] = values
        totals: Counter[str] = Counter()
        first_seen: dict[str, int] = {}
        for values in per_split.values():
            for v in values:
                if v is not None:
                    totals[v] += 1
                    first_seen.setdefault(v, len(first_seen))
        groups: dict[str, list[str]] = {}
        for v in totals:
            groups.setdefault(label_key(v), []).append(v)
        variants = {k: sorted(vs, key=lambda v: (-totals[v], first_seen[v]))
                    for k, vs in groups.items() if len(vs) > 1}
        if not variants:
            return
        canonical = {v: vs[0] for vs in variants.values() for v in vs}
        group_list = [{"canonical": vs[0], "variants": {v: totals[v] for v in vs}}
                      for vs in sorted(variants.values(), key=lambda vs: first_seen[vs[0]])]
        for split, values in per_split.items():
            rows: list[Row] = []
            seen: Counter[str] = Counter()
            for i, v in enumerate(values):
                if v is None or v not in canonical or canonical[v] == v:
                    continue
                seen[v] += 1
                rows.append(ctx.row(split, i, self.code, text=f"label {v!r} (canonical {canonical[v]!r})",
                                    extra={"label": v, "canonical": canonical[v],
                                           "reason": f"label {v!r} is spelled {canonical[v]!r} elsewhere"}))
            if not rows:
                continue
            shown = "; ".join(
                " / ".join(f"{v!r} ({n:,})" for v, n in g["variants"].items())  # type: ignore[attr-defined]
                for g in group_list[:5]
            )
            more = f" and {len(group_list) - 5} more groups" if len(group_list) > 5 else ""
            yield self.finding(
                f"{len(rows):,} {split} row{'s' if len(rows) != 1 else ''} spell a label differently from its most "
                f"common spelling: {shown}{more}",
                "Map every variant to its canonical spelling (each row's `canonical`) before training, and "
                "normalise labels where the data is produced.",
                rows=rows, total=len(values), split=split,
                metrics={"groups": group_list, "variant_rows": dict(seen)},
            )
