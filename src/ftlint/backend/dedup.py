"""The duplicate and leakage stage on a backend (``--engine``): the heavy part of a check at scale.

- **map** (one task per part, :mod:`ftlint.backend.partition`): read the part with ftlint's reader,
  normalise, hash each row (the FT201 key and every finding's fingerprint), MinHash the text FT202 and
  FT203 compare and reduce it to LSH band keys. The band keys stay where they were computed; the
  row hashes (8 bytes a row) are gathered.
- **shuffle**: (band, band key, row) records grouped by key; each bucket emits its candidate pairs
  with the kernel of ``features.lsh`` (``band_pair_codes``, ``cross_band_pair_codes``), so the pairs
  are those of the in-process code exactly.
- **driver**: candidates are verified with the exact Jaccard similarity of their texts (only
  candidate rows are read), exact groups (FT201) and connected components (FT202) are formed there.

The results are put in the Context under the artifacts' own names and parameters, so the rules run
unchanged and produce the same findings as without an engine; every other rule runs on the driver
over the loaded data.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import xxhash

import ftlint.backend.rowmap as rowmap
from ftlint.backend.base import Backend
from ftlint.backend.partition import Part, plan_parts, read_part
from ftlint.backend.rowmap import Job

#: rules whose artifacts this stage computes
DEDUP_RULES = ("FT201", "FT202", "FT203")
_SALT = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class MapParams:
    field: str
    common: frozenset[int]
    minhash: bool
    num_perm: int = 128
    ngram: int = 5
    char_ngram: int = 5
    bands: int = 16
    rows: int = 8


class PartValue(NamedTuple):
    """What the map keeps of a part (on the worker that computed it)."""

    records: np.ndarray  # int64: record index of each row in its file
    hashes: np.ndarray  # uint64: normalised full-text hash (FT201 key, fingerprints)
    fhashes: np.ndarray | None  # uint64: hash of the compared text when it is not the full text
    keys: np.ndarray | None  # (n, bands) uint64 band keys
    empty: np.ndarray | None  # bool: rows without shingles


def _row_hashes(texts: list[bytes]) -> np.ndarray:
    h = xxhash.xxh3_64_intdigest
    return np.fromiter(map(h, texts), dtype=np.uint64, count=len(texts))


def map_part(part: Part, params: MapParams) -> PartValue:
    """The per-row work of one part (see the module docstring): the same steps as the Context's
    ``text_hashes``, ``field_hashes`` and ``minhash`` artifacts, on the part's rows."""
    from ftlint.features.duplicates import MINHASH_CHUNK
    from ftlint.features.lsh import band_keys
    from ftlint.features.minhash import EMPTY_HASH, signatures
    from ftlint.features.ngrams import canonical_batch
    from ftlint.features.rows import NORMALIZE_BATCH, varying_text

    ds = read_part(part)
    n = len(ds)
    bad = np.asarray(ds.unreadable_rows(), dtype=np.int64)
    bad_set = set(bad.tolist())
    hashes = np.empty(n, dtype=np.uint64)
    fhashes = None if params.field == "full" else np.empty(n, dtype=np.uint64)
    keys = np.zeros((n, params.bands), dtype=np.uint64) if params.minhash else None
    empty = np.zeros(n, dtype=bool) if params.minhash else None
    chunk: list[str] = []
    start = 0

    def flush() -> None:
        nonlocal chunk, start
        if chunk and keys is not None and empty is not None:
            sigs = signatures(chunk, params.num_perm, params.ngram, char_ngram=params.char_ngram, workers=1)
            stop = start + len(chunk)
            keys[start:stop] = band_keys(sigs, params.bands, params.rows)
            empty[start:stop] = np.all(sigs == np.uint32(EMPTY_HASH), axis=1)
            start, chunk = stop, []

    for lo in range(0, n, NORMALIZE_BATCH):
        hi = min(n, lo + NORMALIZE_BATCH)
        texts = canonical_batch(ds.full_texts(lo, hi))
        for i in range(lo, hi):
            if i in bad_set:  # an unreadable row's partial text is no text at all
                texts[i - lo] = b""
        hashes[lo:hi] = _row_hashes(texts)
        if fhashes is not None:
            texts = canonical_batch([varying_text(ds, i, params.common) for i in range(lo, hi)])
            for i in range(lo, hi):
                if i in bad_set:
                    texts[i - lo] = b""
            fhashes[lo:hi] = _row_hashes(texts)
        if params.minhash:
            chunk.extend(t.decode("utf-8", "surrogatepass") for t in texts)
            if len(chunk) >= MINHASH_CHUNK:
                flush()
    flush()
    if bad.size:  # the Context's unreadable-row hashes: unique to the row
        h = xxhash.xxh3_64_intdigest
        special = np.fromiter((h(f"\x00ftlint unreadable row\x00{ds.path(i)}\x00{int(ds.index[i])}".encode(
            "utf-8", "surrogatepass")) for i in bad.tolist()), dtype=np.uint64, count=bad.size)
        hashes[bad] = special
        if fhashes is not None:
            fhashes[bad] = special
    return PartValue(np.asarray(ds.index, dtype=np.int64), hashes, fhashes, keys, empty)


def small_part(value: PartValue) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """What the driver gathers of a part: record indexes and row hashes (8-24 bytes a row)."""
    return value.records, value.hashes, value.fhashes


def row_part(part: Part, settings: Any, jobs: dict[str, list[Job]]) -> tuple[int, list[Any]]:
    """The second map: the part's rows and its value of each per-row artifact job of its split
    (:mod:`ftlint.backend.rowmap`; small: counts, arrays, the rows a rule reports)."""
    ds = read_part(part)
    return len(ds), rowmap.compute(ds, settings, jobs.get(part.split, []))


# -- the shuffles -------------------------------------------------------------------------------------

def _band_records(part: np.ndarray, ids: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """(route key, [band, band key, row id]) records of rows ``ids`` whose keys of bands ``lo`` to
    ``hi`` are ``part`` (m, hi - lo), row after row (each row's bands in order). Written straight
    into the two outputs (broadcast, no per-record temporaries)."""
    m = part.shape[0]
    bands = hi - lo
    salts = (np.arange(lo, hi, dtype=np.uint64) + np.uint64(1)) * _SALT
    route = np.empty((m, bands), dtype=np.uint64)
    np.bitwise_xor(part, salts[None, :], out=route)
    payload = np.empty((m, bands, 3), dtype=np.int64)
    payload[:, :, 0] = np.arange(lo, hi, dtype=np.int64)[None, :]
    payload[:, :, 1] = part.view(np.int64)
    payload[:, :, 2] = np.asarray(ids, dtype=np.int64)[:, None]
    return route.reshape(-1), payload.reshape(m * bands, 3)


def near_records(value: PartValue, arg: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Band records of bands ``lo`` to ``hi`` of a part whose first row is ``offset``."""
    assert value.keys is not None and value.empty is not None
    offset, lo, hi = arg
    local = np.flatnonzero(~value.empty)
    return _band_records(value.keys[local, lo:hi], local + offset, lo, hi)  # this round's bands only


def cross_records(value: PartValue, arg: tuple[int, np.ndarray | None, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Band records (bands ``lo`` to ``hi``) of a part of split A (``skip`` None, ids from 0) or of
    split B (rows in ``skip`` -- exact copies -- left out; ids shifted past A's)."""
    assert value.keys is not None and value.empty is not None
    offset, skip, lo, hi = arg
    keep = ~value.empty if skip is None else ~value.empty & ~skip
    local = np.flatnonzero(keep)
    return _band_records(value.keys[local, lo:hi], local + offset, lo, hi)  # this round's bands only


#: band records (32 bytes each, summed over the parts) one shuffle moves at most: the bands are
#: shuffled in rounds of as many bands as fit (16 bands of 10M rows are 160M records, 5 GiB at once);
#: every band's pairs are found within its round, so the rounds change the cost, never the pairs
SHUFFLE_BYTES = 256 << 20


def band_rounds(rows: int, bands: int) -> list[tuple[int, int]]:
    """The ``(first band, past the last)`` of each round of the band shuffle of ``rows`` rows."""
    per_round = max(1, min(bands, SHUFFLE_BYTES // max(1, rows * 32)))
    return [(lo, min(bands, lo + per_round)) for lo in range(0, bands, per_round)]


def _per_band(payload: np.ndarray, bands: int, emit: Callable[[np.ndarray, np.ndarray], list[np.ndarray]]
              ) -> np.ndarray:
    codes: list[np.ndarray] = []
    for b in range(bands):
        sel = payload[:, 0] == b
        if not sel.any():
            continue
        ids = payload[sel, 2]
        order = np.argsort(ids, kind="stable")
        codes.extend(emit(payload[sel, 1].view(np.uint64)[order], ids[order]))
    return np.unique(np.concatenate(codes)) if codes else np.zeros(0, dtype=np.int64)


def near_reduce(_keys: np.ndarray, payload: np.ndarray, arg: tuple[int, int]) -> np.ndarray:
    from ftlint.features.lsh import band_pair_codes

    n, bands = arg
    return _per_band(payload, bands, lambda k, ids: band_pair_codes(k, ids, n))


def cross_reduce(_keys: np.ndarray, payload: np.ndarray, arg: tuple[int, int, int]) -> np.ndarray:
    from ftlint.features.lsh import cross_band_pair_codes

    na, width, bands = arg
    return _per_band(payload, bands, lambda k, ids: cross_band_pair_codes(k, ids, na, width))


def _decode(codes: list[np.ndarray], width: int) -> np.ndarray:
    c = np.unique(np.concatenate(codes)) if codes else np.zeros(0, dtype=np.int64)
    out = np.empty((c.size, 2), dtype=np.int64)
    np.divmod(c, np.int64(max(1, width)), out=(out[:, 0], out[:, 1]))
    return out


# -- the driver -------------------------------------------------------------------------------------

def _options(rules: list[Any], code: str) -> Any:
    return next((r.options for r in rules if type(r).code == code), None)


def part_size(ctx: Any, workers: int, largest: int) -> int:
    """Bytes per part: at most ``largest`` (``[engine] partition-size``), and small enough that the
    splits make at least four parts per worker (a pool kept busy to the end of the map), but not
    under 1 MiB unless ``largest`` is (a part costs a task and a read)."""
    total = 0
    for split in ctx.splits:
        for f in ctx.dataset(split).files:
            try:
                total += os.path.getsize(f.abspath)
            except OSError:
                pass
    return min(largest, max(1 << 20, -(-total // max(1, 4 * workers))))


class Stage:
    """The map over every part of the splits that can be read in parts, run once (on first need)."""

    def __init__(self, ctx: Any, backend: Backend, params: MapParams, partition_size: int,
                 echo: Callable[[str], None]) -> None:
        self.ctx, self.backend, self.params, self.echo = ctx, backend, params, echo
        self.parts: dict[str, list[Part]] = {}
        for split in ctx.splits:
            ds = ctx.dataset(split)
            planned = plan_parts(ds, dict(ctx.settings.dataset.columns), partition_size) if len(ds) else None
            if planned:
                self.parts[split] = planned
            elif len(ds):
                echo(f"engine: {split} is computed in-process (its files cannot be read in parts)")
        self._done = False
        self.handles: dict[str, list[Any]] = {}
        self.offsets: dict[str, list[int]] = {}
        self.hashes: dict[str, np.ndarray] = {}
        self.fhashes: dict[str, np.ndarray] = {}

    @property
    def splits(self) -> list[str]:
        self.run()
        return list(self.handles)

    def run(self) -> None:
        if self._done:
            return
        self._done = True
        order = [(s, p) for s, ps in self.parts.items() for p in ps]
        if not order:
            return
        t0 = time.perf_counter()
        handles = self.backend.map(map_part, [p for _, p in order], self.params)
        small = self.backend.gather(handles, small_part)
        self.echo(f"engine: map of {len(order)} part(s) on {self.backend.workers} worker(s) in "
                  f"{time.perf_counter() - t0:.1f} s")
        k = 0
        for split, parts in self.parts.items():
            ds = self.ctx.dataset(split)
            got = small[k:k + len(parts)]
            hs = handles[k:k + len(parts)]
            k += len(parts)
            index = np.concatenate([g[0] for g in got]) if got else np.zeros(0, dtype=np.int64)
            fid = np.concatenate([np.full(len(g[0]), p.file_id, dtype=np.int64) for g, p in zip(got, parts)])
            if index.shape != ds.index.shape or not np.array_equal(index, ds.index) or \
                    not np.array_equal(fid, np.asarray(ds.file_id, dtype=np.int64)):
                self.echo(f"engine: the parts of {split} do not read as the loaded data; computed in-process")
                continue
            sizes = [len(g[0]) for g in got]
            self.offsets[split] = (np.cumsum([0, *sizes])[:-1]).tolist()
            self.handles[split] = hs
            self.hashes[split] = np.concatenate([g[1] for g in got])
            if self.params.field != "full":
                self.fhashes[split] = np.concatenate([g[2] for g in got])


class RowMap:
    """The second map (the per-row artifacts of :mod:`ftlint.backend.rowmap`), running while the
    driver runs the rules that do not read them; :meth:`install` waits for it and puts its results
    in the Context before the rules that do (``codes``) run."""

    def __init__(self, ctx: Any, backend: Backend, stage: Stage, jobs: dict[str, list[Job]], codes: set[str],
                 echo: Callable[[str], None]) -> None:
        self.ctx, self.backend, self.stage, self.jobs, self.codes, self.echo = ctx, backend, stage, jobs, codes, echo
        self.splits = [s for s in stage.splits if jobs.get(s)]
        parts = [p for s in self.splits for p in stage.parts[s]]
        self.t0 = time.perf_counter()
        self.pending = backend.map_async(row_part, parts, ctx.settings, jobs) if parts else None

    def install(self) -> None:
        if self.pending is None:
            return
        pending, self.pending = self.pending, None
        got = self.backend.gather(pending.result())
        self.echo(f"engine: per-row map of {len(got)} part(s) ({', '.join(sorted(self.codes))}) done "
                  f"{time.perf_counter() - self.t0:.1f} s after it started")
        k = 0
        for split in self.splits:
            parts = self.stage.parts[split]
            mine = got[k:k + len(parts)]
            k += len(parts)
            sizes = [n for n, _ in mine]
            if (np.cumsum([0, *sizes])[:-1]).tolist() != self.stage.offsets[split] or \
                    sum(sizes) != len(self.ctx.dataset(split)):
                self.echo(f"engine: the parts of {split} do not read as the loaded data; computed in-process")
                continue
            rowmap.install(self.ctx, split, self.jobs[split], [v for _, v in mine], self.stage.offsets[split])


def distribute(ctx: Any, rules: list[Any], backend: Backend, partition_size: int,
               echo: Callable[[str], None] = lambda s: None) -> RowMap | None:
    """Run the engine's maps over every split and put their results in ``ctx`` under the artifacts'
    own names, so the rules find them there: the row hashes (every finding's fingerprint) and the
    duplicate and leakage artifacts of FT201-FT203 (their MinHash in the first map, their candidates
    through the shuffle) before this returns; the per-row artifacts of the selected rules
    (:mod:`ftlint.backend.rowmap`) from a second map, started here and installed by the returned
    :class:`RowMap` (None: nothing to wait for) when the rules that read them are about to run."""
    from ftlint import cache_schemas
    from ftlint.features.duplicates import _CROSS_MATCHES, _verify, cross_matches, near_duplicates
    from ftlint.features.lsh import lsh_params
    from ftlint.features.rows import common_segments, duplicate_field, store_field_hashes
    from ftlint.rules.duplicates import LEAK_PAIRS

    if not ctx.splits:
        return None
    codes = {type(r).code for r in rules}
    dedup = bool(codes & set(DEDUP_RULES))
    near, leak = _options(rules, "FT202"), _options(rules, "FT203")
    field = ctx.artifact(duplicate_field) if (near or leak) else "full"
    common = ctx.artifact(common_segments) if field != "full" else frozenset()
    # one MinHash per row serves FT202 and FT203 when they agree on the shingles and the banding
    wanted = [o for o in (near, leak) if o is not None]
    shapes = {(o.ngram, lsh_params(o.threshold, 128)) for o in wanted}
    minhash = len(shapes) == 1
    ngram, (bands, rows) = next(iter(shapes)) if minhash else (5, (16, 8))
    params = MapParams(field, common, minhash, 128, ngram, 5, bands, rows)
    size = part_size(ctx, backend.workers, partition_size)
    stage = Stage(ctx, backend, params, size, echo)
    stage.run()
    jobs, codes = rowmap.jobs(ctx, rules)
    # started now: the workers compute it while the driver verifies FT202/FT203's candidates and runs
    # the rules that do not read it
    later = RowMap(ctx, backend, stage, jobs, codes, echo)
    for split in ctx.splits:
        if split not in stage.splits:
            continue
        store_field_hashes(ctx, split, "full", stage.hashes[split])
        if field != "full":
            store_field_hashes(ctx, split, field, stage.fhashes[split])
    if not dedup or not minhash:
        return later  # FT202 and FT203 shingle differently: their MinHash is computed in-process
    if near is not None:
        for split in stage.splits:
            n = len(ctx.dataset(split))
            if n < 2:
                continue

            def compute(s: str = split, n: int = n) -> tuple[np.ndarray, np.ndarray]:
                res: list[np.ndarray] = []
                for lo, hi in band_rounds(n, bands):
                    res += backend.group(stage.handles[s], near_records, near_reduce, _nparts(backend),
                                         [(o, lo, hi) for o in stage.offsets[s]], (n, bands))
                cand = _decode(res, n)
                return _verify(ctx, s, field, cand, near.threshold, ngram, 5)

            p = {"threshold": near.threshold, "field": field, "ngram": ngram, "char_ngram": 5, "num_perm": 128}
            found = ctx.stored("near_duplicates", split, p, compute, cache_schemas.near_duplicates())
            ctx.remember(found, near_duplicates, split, near.threshold, field=field, ngram=ngram)
    if leak is not None:
        for b, a in LEAK_PAIRS:
            if a not in stage.splits or b not in stage.splits:
                continue
            if not len(ctx.dataset(a)) or not len(ctx.dataset(b)):
                continue

            def cross(a: str = a, b: str = b) -> Any:
                return _cross_matches(ctx, backend, stage, a, b, leak.threshold, field, ngram, bands)

            p = {"against": a, "against_content": ctx.split_hash(a), "threshold": leak.threshold, "field": field,
                 "ngram": ngram, "char_ngram": 5, "num_perm": 128}
            matches = ctx.stored("cross_matches", b, p, cross, _CROSS_MATCHES)
            ctx.remember(matches, cross_matches, a, b, leak.threshold, field=field, ngram=ngram)
    return later


def _nparts(backend: Backend) -> int:
    return max(1, 2 * backend.workers)


def _cross_matches(ctx: Any, backend: Backend, stage: Stage, a: str, b: str, threshold: float, field: str,
                   ngram: int, bands: int) -> Any:
    """``Context.cross_matches`` with the candidates from the shuffle (the same steps otherwise)."""
    from ftlint.features.duplicates import _verify, best_matches, exact_matches

    ha = stage.hashes[a] if field == "full" else stage.fhashes[a]
    hb = stage.hashes[b] if field == "full" else stage.fhashes[b]
    exact, ex_a, ex_b = exact_matches(ha, hb)
    na, nb = len(ctx.dataset(a)), len(ctx.dataset(b))
    handles = [*stage.handles[a], *stage.handles[b]]
    offs_b = stage.offsets[b]
    ends_b = [*offs_b[1:], nb]
    res: list[np.ndarray] = []
    for lo, hi in band_rounds(na + nb, bands):
        args: list[Any] = [(o, None, lo, hi) for o in stage.offsets[a]]
        args += [(na + o, exact[o:e], lo, hi) for o, e in zip(offs_b, ends_b)]
        res += backend.group(handles, cross_records, cross_reduce, _nparts(backend), args,
                             (na, max(nb, 1), bands))
    cand = _decode(res, max(nb, 1))
    pairs, sims = _verify(ctx, a, field, cand, threshold, ngram, 5, other=b)
    return best_matches(ex_a, ex_b, pairs, sims)
