"""n-gram contamination (FT204): every ``n``-word window of the benchmark / held-out files
(``--contamination``) indexed once, and the training rows that share one (``features.ngrams``
holds the kernels: canonical text and window hashes)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from ftlint.cache import Arr, Int, Rec, Seq, Spec
from ftlint.features.ngrams import DEFAULT_NGRAM, NgramIndex, NgramMatch, canonical_batch
from ftlint.features.rows import NORMALIZE_BATCH, contamination_text

if TYPE_CHECKING:
    from ftlint.context import Context


def contamination_index(ctx: Context, n: int = DEFAULT_NGRAM) -> tuple[NgramIndex, list[tuple[int, int]]]:
    """Every ``n``-word window of the contamination files' rows (``--contamination``): an
    :class:`NgramIndex` of their texts (``rows.contamination_text``, ASCII punctuation as
    whitespace), and the ``(contamination file's dataset, row)`` of each indexed text."""
    sources: list[tuple[int, int]] = []

    def batches() -> Iterator[list[bytes]]:
        for d, ds in enumerate(ctx.contamination):
            for lo in range(0, len(ds), NORMALIZE_BATCH):
                hi = min(len(ds), lo + NORMALIZE_BATCH)
                sources.extend((d, i) for i in range(lo, hi))
                yield canonical_batch([contamination_text(ds, i) for i in range(lo, hi)], punctuation=True)

    return NgramIndex(n).build(batches()), sources


def contamination_matches(ctx: Context, split: str, n: int = DEFAULT_NGRAM) -> list[NgramMatch]:
    """Rows of ``split`` that share an ``n``-word window with a contamination file
    (:func:`contamination_index`): :class:`NgramMatch` es whose ``position`` is the row and
    ``source`` the index's text. Streams the rows; cached on disk."""
    def compute() -> list[NgramMatch]:
        index, _ = ctx.artifact(contamination_index, n)
        ds = ctx.dataset(split)
        out: list[NgramMatch] = []
        for lo in range(0, len(ds), NORMALIZE_BATCH):
            hi = min(len(ds), lo + NORMALIZE_BATCH)
            texts = canonical_batch([contamination_text(ds, i) for i in range(lo, hi)], punctuation=True)
            out.extend(NgramMatch(lo + m.position, m.hashes, m.source) for m in index.query(texts))
        return out

    files = tuple(f.content_hash for ds in ctx.contamination for f in ds.files)
    return ctx.stored("contamination_matches", split, {"n": n, "files": files}, compute,
                      contamination_matches_schema())


@functools.cache
def contamination_matches_schema() -> Spec:
    """The declared on-disk schema of :func:`contamination_matches` (``ftlint.cache``)."""
    return Spec(Seq(Rec(NgramMatch, position=Int(0, "n"), hashes=Arr(np.uint64, None), source=Int(0, "sources"))),
                lambda ctx, split, params: {"sources": sum(len(ds) for ds in ctx.contamination)})
