"""Benchmark contamination (FT204) on a backend (``--engine``): the training rows that share an
``n``-word window with a ``--contamination`` file, found by grouping window hashes by key.

- **driver**: the benchmark's window index (``features.contamination.contamination_index``: every
  distinct window hash with the benchmark text it first comes from) is built once, as without an
  engine, and a bitmap of its hashes (16 bits per indexed window, at most 2 MiB; it travels with each
  map task) is made to prefilter the training windows.
- **map** (one task per part of the training split, :mod:`ftlint.backend.partition`): read the part
  with ftlint's reader, take each row's contamination text (``rows.contamination_text``), canonical
  with punctuation as whitespace, and its window hashes (``ngrams.window_hashes``, the kernel of
  ``NgramIndex.query``); keep only the (row, hash) records whose hash is in the bitmap. They stay
  where they were computed; only each part's record indexes are gathered (to check the parts read as
  the loaded data).
- **shuffle**: the kept training records and the index's (hash, source) records are grouped by the
  64-bit hash; each bucket joins them exactly (the in-process decision is this same membership of a
  hash in the index) and returns the (row, hash, source) matches, a few per contaminated row. No text
  moves: the FT204 rule reads the matched benchmark windows on the driver, as it does without an
  engine.
- **driver**: each row's matches become an ``NgramMatch`` (its shared hashes sorted, the source of
  the lowest one), exactly what ``NgramIndex.query`` gives, and are put in the Context as the
  ``contamination_matches`` artifact (and its on-disk cache entry), so FT204 runs unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ftlint.backend.base import Backend
from ftlint.backend.partition import Part, plan_parts, read_part

#: the rule whose artifact this stage computes
CONTAMINATION_RULE = "FT204"
#: the most bits of the prefilter bitmap sent to the map (2**24 bits: 2 MiB)
FILTER_BITS = 24


class ContamPart(NamedTuple):
    """What the map keeps of a training part (on the worker that computed it)."""

    records: np.ndarray  # int64: record index of each row in its file
    rows: np.ndarray  # int64: the part's row of each kept window
    hashes: np.ndarray  # uint64: the kept window hashes (those the prefilter lets through)


class IndexChunk(NamedTuple):
    """A slice of the benchmark index, placed on a worker for the shuffle."""

    hashes: np.ndarray  # uint64, distinct
    sources: np.ndarray  # int64: the index's text of each hash


def prefilter(hashes: np.ndarray) -> np.ndarray:
    """A bitmap (packed, uint8) of the low bits of ``hashes`` (about 16 bits per hash, 2**16 to
    2**:data:`FILTER_BITS`): never a false negative, so the join after it is the exact one."""
    width = min(FILTER_BITS, max(16, (16 * max(1, hashes.size) - 1).bit_length()))
    bits = np.zeros(1 << width, dtype=bool)
    bits[(hashes & np.uint64((1 << width) - 1)).astype(np.int64)] = True
    return np.packbits(bits)


def _passes(packed: np.ndarray, values: np.ndarray) -> np.ndarray:
    low = (values & np.uint64(packed.size * 8 - 1)).astype(np.int64)
    return ((packed[low >> 3] >> (7 - (low & 7)).astype(np.uint8)) & 1).astype(bool)


def map_part(part: Part, n: int, packed: np.ndarray) -> ContamPart:
    """The window hashes of one part's rows that may be in the index (see the module docstring)."""
    from ftlint.features.ngrams import canonical_batch, window_hashes
    from ftlint.features.rows import NORMALIZE_BATCH, contamination_text

    ds = read_part(part)
    rows: list[np.ndarray] = []
    kept: list[np.ndarray] = []
    for lo in range(0, len(ds), NORMALIZE_BATCH):
        hi = min(len(ds), lo + NORMALIZE_BATCH)
        texts = canonical_batch([contamination_text(ds, i) for i in range(lo, hi)], punctuation=True)
        values, offsets = window_hashes(texts, n)
        if not values.size:
            continue
        hit = np.flatnonzero(_passes(packed, values))
        rows.append(lo + np.searchsorted(offsets, hit, side="right") - 1)
        kept.append(values[hit])
    return ContamPart(np.asarray(ds.index, dtype=np.int64), _cat(rows, np.int64), _cat(kept, np.uint64))


def _cat(arrays: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)


def _records_of(value: ContamPart) -> np.ndarray:
    return value.records


def _place(chunk: IndexChunk) -> IndexChunk:
    return chunk


def join_records(value: ContamPart | IndexChunk, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """(hash, [split row, -1]) of a training part's windows; (hash, [-1, source]) of an index chunk."""
    if isinstance(value, IndexChunk):
        payload = np.full((value.hashes.size, 2), -1, dtype=np.int64)
        payload[:, 1] = value.sources
        return value.hashes, payload
    payload = np.full((value.hashes.size, 2), -1, dtype=np.int64)
    payload[:, 0] = value.rows + offset
    return value.hashes, payload


def join_reduce(keys: np.ndarray, payload: np.ndarray, _arg: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The training records of one bucket whose hash is in the index: (rows, hashes, sources)."""
    bench = payload[:, 0] < 0
    bh, bs = keys[bench], payload[bench, 1]
    order = np.argsort(bh, kind="stable")
    bh, bs = bh[order], bs[order]
    th, trow = keys[~bench], payload[~bench, 0]
    if not bh.size or not th.size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    pos = np.minimum(np.searchsorted(bh, th), bh.size - 1)
    hit = bh[pos] == th
    return trow[hit], th[hit], bs[pos[hit]]


def assemble(found: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> list[Any]:
    """``NgramMatch`` es from the joined records, as ``NgramIndex.query`` makes them: one per row in
    row order, its shared hashes sorted, its source the index's text of the lowest one."""
    from ftlint.features.ngrams import NgramMatch

    parts = [f for f in found if f[0].size]
    if not parts:
        return []
    rows = np.concatenate([f[0] for f in parts])
    hashes = np.concatenate([f[1] for f in parts])
    sources = np.concatenate([f[2] for f in parts])
    order = np.lexsort((hashes, rows))
    rows, hashes, sources = rows[order], hashes[order], sources[order]
    cuts = np.flatnonzero(np.diff(rows)) + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [rows.size]])
    return [NgramMatch(int(rows[s]), hashes[s:e].copy(), int(sources[s])) for s, e in zip(starts, ends)]


def _nparts(backend: Backend) -> int:
    return max(1, 2 * backend.workers)


def engine_matches(ctx: Any, backend: Backend, split: str, n: int, partition_size: int,
                   echo: Callable[[str], None]) -> list[Any] | None:
    """``contamination_matches(ctx, split, n)`` computed on ``backend``; None when the split's files
    cannot be read in parts as the driver read them (then it is computed in-process)."""
    from ftlint.features.contamination import contamination_index

    ds = ctx.dataset(split)
    index, _ = ctx.artifact(contamination_index, n)
    if not len(ds) or not len(index):
        return []
    parts = plan_parts(ds, dict(ctx.settings.dataset.columns), partition_size)
    if not parts:
        return None
    t0 = time.perf_counter()
    handles = backend.map(map_part, parts, n, prefilter(index.hashes))
    got = backend.gather(handles, _records_of)
    records = np.concatenate(got) if got else np.zeros(0, dtype=np.int64)
    fid = np.concatenate([np.full(len(g), p.file_id, dtype=np.int64) for g, p in zip(got, parts)])
    if records.shape != ds.index.shape or not np.array_equal(records, ds.index) or \
            not np.array_equal(fid, np.asarray(ds.file_id, dtype=np.int64)):
        echo(f"engine: the parts of {split} do not read as the loaded data; FT204 computed in-process")
        return None
    offsets = np.cumsum([0, *map(len, got)])[:-1].tolist()
    chunks = np.array_split(np.arange(len(index)), max(1, backend.workers))
    placed = backend.map(_place, [IndexChunk(index.hashes[c], index.sources[c]) for c in chunks if c.size])
    found = backend.group([*handles, *placed], join_records, join_reduce, _nparts(backend),
                          [*offsets, *([0] * len(placed))])
    matches = assemble(found)
    echo(f"engine: FT204 map of {len(parts)} part(s) and join in {time.perf_counter() - t0:.1f} s")
    return matches


def distribute_contamination(ctx: Any, rules: list[Any], backend: Backend, partition_size: int,
                             echo: Callable[[str], None] = lambda s: None) -> None:
    """Compute FT204's ``contamination_matches`` of the training split on ``backend`` (when FT204 is
    selected and there are contamination files) and put it in ``ctx``, so the rule finds it there."""
    from ftlint.features.contamination import contamination_matches, contamination_matches_schema

    rule = next((r for r in rules if type(r).code == CONTAMINATION_RULE), None)
    if rule is None or "train" not in ctx.splits or not ctx.contamination:
        return
    n = rule.options.ngram
    files = tuple(f.content_hash for ds in ctx.contamination for f in ds.files)

    def compute() -> list[Any]:
        got = engine_matches(ctx, backend, "train", n, partition_size, echo)
        if got is None:
            raise _InProcess  # nothing stored: the rule computes it in-process
        return got

    try:
        matches = ctx.stored("contamination_matches", "train", {"n": n, "files": files}, compute,
                             contamination_matches_schema())
    except _InProcess:
        return
    ctx.remember(matches, contamination_matches, "train", n)


class _InProcess(Exception):
    """The training split cannot be read in parts as the driver read it."""
