"""The labels of a split: a label column, or (generative classification) a small set of short
responses covering nearly every row (``ctx.artifact(label_info, split)``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ftlint.features.text import normalize

if TYPE_CHECKING:
    from ftlint.context import Context


@dataclass(frozen=True)
class LabelInfo:
    """Labels of a split: one value per row (None where the row has none) and where they come from."""

    values: list[str | None]
    source: str  # e.g. "column 'label'" or "generative: the responses take 4 distinct values"
    generative: bool = False

    def counts(self) -> Counter[str]:
        return Counter(v for v in self.values if v is not None)


@dataclass(frozen=True)
class GenerativeLabelOptions:
    max_distinct: int = 20
    max_words: int = 5
    min_coverage: float = 0.95
    min_rows: int = 20


DEFAULT_OPTIONS = GenerativeLabelOptions()


def label_info(ctx: Context, split: str, options: GenerativeLabelOptions = DEFAULT_OPTIONS) -> LabelInfo | None:
    """The split's labels: a label column, or (generative classification) a small set of short
    responses covering nearly every row. None when the data is not labelled."""
    opts = options
    ds = ctx.dataset(split)
    if ds.has_labels():
        keys = {"classification": "label column", "kto": "KTO boolean label"}
        kinds = {keys.get(ds.kind_of(i), "label") for i in range(min(len(ds), 1))}
        return LabelInfo(list(ds.labels), next(iter(kinds), "label column"))
    n = len(ds)
    if n < opts.min_rows:
        return None
    formats = {f.format for f in ds.files}
    from ftlint.data.schema import FORMATS_BY_NAME

    if not any(FORMATS_BY_NAME[k].kind in ("chat", "instruction") for k in formats if k in FORMATS_BY_NAME):
        return None
    # cheap pass first: too many long responses means free-form generation, not labels
    allowed_long = int((1 - opts.min_coverage) * n)
    long = 0
    for i in range(n):
        if len(ds.response(i).split(None, opts.max_words)) > opts.max_words:
            long += 1
            if long > allowed_long:
                return None
    responses = [normalize(ds.response(i)) for i in range(n)]
    counts = Counter(r for r in responses if r and len(r.split()) <= opts.max_words)
    top = counts.most_common(opts.max_distinct)
    covered = sum(c for _, c in top)
    if len(top) < 2 or covered < opts.min_coverage * n:
        return None
    allowed = {v for v, _ in top}
    values = [r if r in allowed else None for r in responses]
    return LabelInfo(values, f"generative: the responses take {len(top)} distinct short values "
                             f"covering {covered / n:.0%} of rows", generative=True)
