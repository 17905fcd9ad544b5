"""The duplicate artifacts of a split (FT202/FT203, FT304 on inputs): MinHash band keys, verified
near-duplicate pairs within a split and the best match of each row across two splits.

The per-row kernels stay plain functions over texts and arrays (``features.minhash.signatures``,
``features.lsh.band_keys`` / ``candidate_pairs_from_keys`` / ``verify``), so a backend can map them
over partitions; this module strings them together over a split (``ctx.artifact(near_duplicates,
split)``), with the Context's memo and disk cache.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import xxhash

from ftlint import cache_schemas
from ftlint.cache import MISS, Arr, Rec, Spec, cache_key
from ftlint.features.rows import field_hashes, normalized_batches, store_field_hashes, unreadable, unreadable_hashes

if TYPE_CHECKING:
    from ftlint.context import Context

#: rows whose signatures are computed together (>= minhash.PARALLEL_MIN_ROWS, so both cores work)
MINHASH_CHUNK = 16384
#: candidate pairs verified together (their rows' texts and shingle hashes held at once)
VERIFY_BLOCK = 4096
#: band keys of at least this many bytes (65,536 rows at 16 bands) are kept in a temporary file
SPILL_BYTES = 8 * 1024 * 1024


class BandKeys:
    """A split's LSH band keys (one uint64 per row and band), band-major: band ``b`` of every row is
    one contiguous column, and the LSH bands one column at a time (``lsh.candidate_pairs_from_keys``).

    From :data:`SPILL_BYTES` on (16 bands x 8 B = 128 B a row: 122 MiB at 1M rows) the keys live in
    an anonymous temporary file (``tempfile.TemporaryFile`` in ``dir``, where the loader spills
    texts, else the system's temporary folder: unlinked at once, gone when closed or when the
    process dies) and a column is read when asked for, so the process holds one band's column (8 B
    a row) instead of all of them; the pages the system caches for the file are reclaimable. Smaller
    ones stay in memory, and so do the keys when no temporary file can be created or written (no
    room). Either way the keys read are the keys written."""

    def __init__(self, n: int, bands: int, dir: str | None = None) -> None:
        self.n, self.bands = n, bands
        self._file: Any = None
        self._mem: np.ndarray | None = None
        if n * bands * 8 >= SPILL_BYTES:
            for where in dict.fromkeys((dir, None)):
                try:
                    # kept open for the keys' life: closed by close(), or when collected
                    self._file = tempfile.TemporaryFile(prefix="ftlint-bands-", dir=where, buffering=0)  # noqa: SIM115
                    self._file.truncate(n * bands * 8)  # zeros, as np.zeros
                    break
                except OSError:
                    self._close_file()
        if self._file is None:
            self._mem = np.zeros((bands, n), dtype=np.uint64)

    @property
    def spilled(self) -> bool:
        return self._file is not None

    def __len__(self) -> int:
        return self.n

    def write_rows(self, start: int, keys: np.ndarray) -> None:
        """Rows ``start .. start + len(keys)`` (``keys``: (m, bands))."""
        keys = np.asarray(keys, dtype=np.uint64).reshape(-1, self.bands)
        for b in range(self.bands):
            self._write(b, start, np.ascontiguousarray(keys[:, b]))

    def write_band(self, band: int, column: np.ndarray) -> None:
        """Band ``band`` of every row."""
        self._write(band, 0, np.ascontiguousarray(column, dtype=np.uint64))

    def _write(self, band: int, start: int, column: np.ndarray) -> None:
        if self._file is not None:
            try:  # unbuffered: what a write returned from is in the file
                view = column.view(np.uint8).data
                self._file.seek((band * self.n + start) * 8)
                while view:
                    view = view[self._file.write(view):]
                return
            except OSError:  # no room left: the keys written so far move to memory, the rest follow
                self._to_memory()
        assert self._mem is not None
        self._mem[band, start:start + column.size] = column

    def _to_memory(self) -> None:
        mem = np.zeros((self.bands, self.n), dtype=np.uint64)
        for b in range(self.bands):
            mem[b] = self._read(b)
        self._close_file()
        self._mem = mem

    def _read(self, band: int) -> np.ndarray:
        out = np.empty(self.n, dtype=np.uint64)
        view = out.view(np.uint8).data
        self._file.seek(band * self.n * 8)
        while view:
            got = self._file.readinto(view)
            if not got:
                raise OSError(f"band keys: a temporary file ended {len(view)} bytes early")
            view = view[got:]
        return out

    def _close_file(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass  # an unlinked temporary file: nothing to keep
            self._file = None

    def band(self, band: int) -> np.ndarray:
        """Band ``band`` of every row: (n,) uint64 (a fresh array when spilled, else a view)."""
        if self._mem is not None:
            return self._mem[band]
        return self._read(band)

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """The keys of rows ``ids`` as a (len(ids), bands) matrix."""
        out = np.empty((len(ids), self.bands), dtype=np.uint64)
        for b in range(self.bands):
            out[:, b] = self.band(b)[ids]
        return out

    def columns(self, ids: np.ndarray | None = None) -> _Columns:
        """The band columns of rows ``ids`` (all rows: None), each read when asked for."""
        return _Columns(self, ids)

    def close(self) -> None:
        self._close_file()


class _Columns(Sequence[np.ndarray]):
    def __init__(self, keys: BandKeys, ids: np.ndarray | None) -> None:
        self._keys, self._ids = keys, ids

    def __len__(self) -> int:
        return self._keys.bands

    def __getitem__(self, band: Any) -> Any:
        if not isinstance(band, int | np.integer) or not 0 <= band < self._keys.bands:
            raise IndexError(band)
        col = self._keys.band(int(band))
        return col if self._ids is None else col[self._ids]


class MinHashBands(NamedTuple):
    """A split's MinHash signatures reduced to their LSH band keys (:func:`minhash_bands`).

    The 128-value signatures are computed in chunks and hashed at once to one 64-bit key per
    (row, band), so a row keeps 8 bytes per band (128 B at 16 bands) instead of a 512-byte
    signature: candidates are verified with the exact Jaccard similarity of the texts, so the
    signature's own estimate is never needed. Large splits keep the keys on disk (:class:`BandKeys`).
    """

    keys: BandKeys  # n rows x bands, band-major
    empty: np.ndarray  # (n,) bool: rows without shingles (never candidates)
    num_perm: int
    ngram: int
    char_ngram: int
    bands: int
    rows: int


class CrossMatches(NamedTuple):
    """Rows of one split that duplicate a row of another (:func:`cross_matches`): for each matched
    row ``b_rows[k]`` of the queried split, its best match ``a_rows[k]`` in the other split."""

    b_rows: np.ndarray  # int64, ascending
    a_rows: np.ndarray  # int64
    similarity: np.ndarray  # float64: exact Jaccard of the shingle sets (1.0 for exact copies)
    exact: np.ndarray  # bool: the same normalised text


#: the declared schema of ``cross_matches`` on disk: ``a_rows`` are rows of the other split ("m")
_CROSS_MATCHES = Spec(Rec(CrossMatches, b_rows=Arr(np.int64, "k", lo=0, hi="n"),
                          a_rows=Arr(np.int64, "k", lo=0, hi="m"), similarity=Arr(np.float64, "k"),
                          exact=Arr(np.bool_, "k")),
                      lambda ctx, split, params: {"m": len(ctx.dataset(params["against"]))})


class _Lookup(Sequence[str]):
    """A read-only sequence of ``n`` texts of which only some (a dict) are materialised."""

    def __init__(self, texts: dict[int, str], n: int) -> None:
        self._texts = texts
        self._n = n

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: Any) -> Any:
        return self._texts[int(i)]


def _spill_dir(ctx: Context) -> str | None:
    """Where the loader spills a large split's texts (next to the cache), if that folder exists."""
    root = ctx.cache.root if ctx.cache.enabled else None
    return str(root) if root is not None and root.is_dir() else None


def _workers() -> int:
    """Processes for MinHash: 2 where they pay; 1 once a threads-heavy library is loaded (it forks)."""
    if any(m in sys.modules for m in ("torch", "tensorflow", "jax")):
        return 1
    return max(1, min(2, os.cpu_count() or 1))


def minhash_bands(ctx: Context, split: str, num_perm: int = 128, ngram: int = 5, char_ngram: int = 5,
                  field: str = "full", bands: int = 16, rows: int = 8) -> MinHashBands:
    """MinHash of every row's normalised text (``field`` as in ``rows.normalized_batches``) as LSH
    band keys (:class:`MinHashBands`): word ``ngram``-gram shingles (character ``char_ngram``-grams
    for texts of fewer words), datasketch-compatible signatures (``features.minhash``, seed 1),
    ``bands`` x ``rows``. Computed once per split and field, shared by FT202 and FT203 (FT304 on
    inputs), in chunks of 16,384 rows over 2 processes (the freed heap handed back after each); the
    same pass computes the row hashes of the field when nothing asked for them yet (one
    normalisation pass, not two). With the cache on, the band keys of the split's rows are also
    persisted per row (keyed by the row's text hash), so a re-run after an edit (pre-commit)
    hashes only the rows it has not seen."""
    from ftlint.features.lsh import band_keys
    from ftlint.features.minhash import EMPTY_HASH, signatures
    from ftlint.memory import release_free_memory

    ds = ctx.dataset(split)
    params = {"num_perm": num_perm, "ngram": ngram, "char_ngram": char_ngram, "field": field,
              "bands": bands, "rows": rows}

    def incremental() -> MinHashBands:
        # Rows whose normalised text was seen by an earlier run of this split (a pre-commit re-run
        # after an edit) take their band keys from the persisted per-row index; only the others
        # are hashed. The index holds the rows of the latest content of the split.
        n = len(ds)
        hashes = ctx.artifact(field_hashes, split, field)
        ikey = cache_key("minhash_rows", 1, split, sorted(params.items()))
        schema = cache_schemas.minhash_rows(bands)
        old = ctx.cache.get(ikey, schema, "minhash_rows")
        keys = BandKeys(n, bands, _spill_dir(ctx))
        empty = np.zeros(n, dtype=bool)
        known = np.zeros(n, dtype=bool)
        pos = np.zeros(n, dtype=np.int64)
        if old is not MISS and len(old[0]):
            oh, ok, oe = old
            pos = np.minimum(np.searchsorted(oh, hashes), len(oh) - 1)
            known = oh[pos] == hashes
            empty[known] = oe[pos[known]]
        missing = np.flatnonzero(~known)
        part = fresh(missing.tolist()) if missing.size else None
        if part is not None:
            empty[missing] = part.empty
        for b in range(bands):  # one band column at a time: the rows seen before, then the new ones
            col = np.zeros(n, dtype=np.uint64)
            if known.any():
                col[known] = ok[pos[known], b]
            if part is not None:
                col[missing] = part.keys.band(b)
            keys.write_band(b, col)
        if part is not None:
            part.keys.close()
        del old, part
        if missing.size or not known.any():
            uh, first = np.unique(hashes, return_index=True)
            ctx.cache.put(ikey, (uh, keys.rows(first), empty[first]), schema, "minhash_rows")
        return MinHashBands(keys, empty, num_perm, ngram, char_ngram, bands, rows)

    def fresh(subset: list[int] | None = None) -> MinHashBands:
        n = len(ds) if subset is None else len(subset)
        keys = BandKeys(n, bands, _spill_dir(ctx))
        empty = np.zeros(n, dtype=bool)
        hashes = (None if subset is not None or ctx.has_artifact(field_hashes, split, field)
                  else np.empty(n, dtype=np.uint64))
        h = xxhash.xxh3_64_intdigest
        workers = _workers()
        size = -(-n // max(1, n // MINHASH_CHUNK))  # equal chunks of at least MINHASH_CHUNK rows
        chunk: list[str] = []
        start = 0

        def flush() -> None:
            nonlocal chunk, start
            if chunk:
                sigs = signatures(chunk, num_perm, ngram, char_ngram=char_ngram, workers=workers)
                stop = start + len(chunk)
                keys.write_rows(start, band_keys(sigs, bands, rows))
                empty[start:stop] = np.all(sigs == np.uint32(EMPTY_HASH), axis=1)
                start, chunk = stop, []
                del sigs
                release_free_memory()

        for lo, texts in normalized_batches(ctx, split, field, rows=subset):
            if hashes is not None:
                hashes[lo:lo + len(texts)] = np.fromiter(map(h, texts), dtype=np.uint64, count=len(texts))
            chunk.extend(t.decode("utf-8", "surrogatepass") for t in texts)
            if len(chunk) >= size:
                flush()
        flush()
        if hashes is not None:
            bad = ctx.artifact(unreadable, split)
            if bad.size:
                hashes[bad] = unreadable_hashes(ds, bad)
            store_field_hashes(ctx, split, field, hashes)
        return MinHashBands(keys, empty, num_perm, ngram, char_ngram, bands, rows)

    return incremental() if ctx.cache.enabled else fresh()


def _texts_of_rows(ctx: Context, split: str, field: str, rows: np.ndarray) -> _Lookup:
    wanted = np.unique(rows).tolist()
    out: dict[int, str] = {}
    for lo, batch in normalized_batches(ctx, split, field, rows=wanted):
        for k, t in enumerate(batch):
            out[wanted[lo + k]] = t.decode("utf-8", "surrogatepass")
    return _Lookup(out, len(ctx.dataset(split)))


def _verify(ctx: Context, split: str, field: str, pairs: np.ndarray, threshold: float, ngram: int,
            char_ngram: int, other: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact Jaccard check of candidate pairs (rows of ``split``, or of ``split`` x ``other``): the
    pairs kept, sorted, and their similarity. Pairs of identical normalised text are 1.0 unread."""
    from ftlint.features.lsh import verify
    from ftlint.memory import release_free_memory

    b_split = other or split
    same = (ctx.artifact(field_hashes, split, field)[pairs[:, 0]]
            == ctx.artifact(field_hashes, b_split, field)[pairs[:, 1]])
    rest = pairs[~same]
    kept_pairs, kept_sims = [pairs[same].reshape(-1, 2)], [np.ones(int(same.sum()))]
    # a block of pairs at a time: only its rows' texts and shingles are held, whatever the candidates
    for lo in range(0, len(rest), VERIFY_BLOCK):
        part = rest[lo:lo + VERIFY_BLOCK]
        if other is None:
            ta = tb = _texts_of_rows(ctx, split, field, part)
        else:
            ta, tb = _texts_of_rows(ctx, split, field, part[:, 0]), _texts_of_rows(ctx, b_split, field, part[:, 1])
        kept = verify(part, ta, threshold, texts_b=None if other is None else tb, ngram=ngram,
                      char_ngram=char_ngram)
        kept_pairs.append(kept.pairs.reshape(-1, 2))
        kept_sims.append(kept.similarity)
        del ta, tb, kept
    all_pairs = np.concatenate(kept_pairs).reshape(-1, 2)
    sims = np.concatenate(kept_sims)
    release_free_memory()  # the blocks' texts and shingles: rules that follow start from what is in use
    order = np.lexsort((all_pairs[:, 1], all_pairs[:, 0]))
    return all_pairs[order], sims[order]


def near_duplicates(ctx: Context, split: str, threshold: float = 0.8, field: str = "full", ngram: int = 5,
                    char_ngram: int = 5, num_perm: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, of rows of ``split`` whose normalised texts (``field``) have a
    shingle-set Jaccard similarity >= ``threshold``, with those similarities: LSH candidates of
    :func:`minhash_bands` (bands x rows from ``lsh.lsh_params``: 16 x 8 at 0.8), verified exactly
    (``lsh.verify``). Exact copies are included (similarity 1.0). Cached on disk."""
    from ftlint.features.lsh import candidate_pairs_from_keys, lsh_params

    def compute() -> tuple[np.ndarray, np.ndarray]:
        bands, rows = lsh_params(threshold, num_perm)
        mb = ctx.artifact(minhash_bands, split, num_perm, ngram, char_ngram, field, bands, rows)
        ids = np.flatnonzero(~mb.empty)
        cand = np.zeros((0, 2), dtype=np.int64)
        if ids.size > 1:  # the kept band keys, one band column at a time
            keys = mb.keys.columns(None if ids.size == len(mb.keys) else ids)
            cand = candidate_pairs_from_keys(keys, ids, len(mb.keys)).reshape(-1, 2)
        return _verify(ctx, split, field, cand, threshold, ngram, char_ngram)

    params = {"threshold": threshold, "field": field, "ngram": ngram, "char_ngram": char_ngram,
              "num_perm": num_perm}
    return ctx.stored("near_duplicates", split, params, compute, cache_schemas.near_duplicates())


def exact_matches(ha: np.ndarray, hb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of ``b`` whose row hash (``hb``) equals a row's of ``a`` (``ha``), empty texts never
    matching: (a mask over ``b``, the first ``a`` row of each match, the matching ``b`` rows)."""
    nothing = np.uint64(xxhash.xxh3_64_intdigest(b""))
    order = np.argsort(ha, kind="stable")  # the first row of `a` with each hash
    sa = ha[order]
    exact = np.zeros(hb.size, dtype=bool)
    pos = np.zeros(hb.size, dtype=np.int64)
    if sa.size:
        pos = np.minimum(np.searchsorted(sa, hb), sa.size - 1)
        exact = (sa[pos] == hb) & (hb != nothing)
    ex_b = np.flatnonzero(exact)
    return exact, order[pos[ex_b]], ex_b


def best_matches(ex_a: np.ndarray, ex_b: np.ndarray, pairs: np.ndarray, sims: np.ndarray) -> CrossMatches:
    """The :class:`CrossMatches` of exact matches ``ex_b`` -> ``ex_a`` and verified near pairs
    ``(a, b)`` with their similarities: per ``b`` row its exact copy, else its most similar ``a`` row
    (then the lowest), ordered by ``b`` row."""
    best = np.lexsort((pairs[:, 0], -sims, pairs[:, 1]))  # per b row: most similar, then lowest a
    pairs, sims = pairs[best], sims[best]
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:, 1] != pairs[:-1, 1]
    b_rows = np.concatenate([ex_b, pairs[first, 1]]).astype(np.int64)
    a_rows = np.concatenate([ex_a, pairs[first, 0]]).astype(np.int64)
    sim = np.concatenate([np.ones(ex_b.size), sims[first]])
    is_exact = np.concatenate([np.ones(ex_b.size, dtype=bool), np.zeros(int(first.sum()), dtype=bool)])
    o = np.argsort(b_rows, kind="stable")
    return CrossMatches(b_rows[o], a_rows[o], sim[o], is_exact[o])


def cross_matches(ctx: Context, a: str, b: str, threshold: float = 0.8, field: str = "full", ngram: int = 5,
                  char_ngram: int = 5, num_perm: int = 128) -> CrossMatches:
    """Rows of split ``b`` that exactly (the same normalised text) or nearly (Jaccard >=
    ``threshold``) duplicate a row of split ``a``, each with its best match in ``a``: an exact
    copy (the first), else the most similar row (then the lowest). Near matches come from banding
    ``a`` and ``b`` together (``lsh.cross_candidate_pairs_from_keys``) and exact verification. Cached on disk."""
    from ftlint.features.lsh import cross_candidate_pairs_from_keys, lsh_params

    def compute() -> CrossMatches:
        exact, ex_a, ex_b = exact_matches(ctx.artifact(field_hashes, a, field), ctx.artifact(field_hashes, b, field))
        bands, rows = lsh_params(threshold, num_perm)
        ma = ctx.artifact(minhash_bands, a, num_perm, ngram, char_ngram, field, bands, rows)
        mb = ctx.artifact(minhash_bands, b, num_perm, ngram, char_ngram, field, bands, rows)
        ia, ib = np.flatnonzero(~ma.empty), np.flatnonzero(~mb.empty & ~exact)
        cand = np.zeros((0, 2), dtype=np.int64)
        if ia.size and ib.size:  # the kept band keys, one band at a time (no copy of them)
            cand = cross_candidate_pairs_from_keys(ma.keys.columns(None if ia.size == len(ma.keys) else ia), ia,
                                                   mb.keys.columns(None if ib.size == len(mb.keys) else ib), ib,
                                                   len(ma.keys), len(mb.keys)).reshape(-1, 2)
        pairs, sims = _verify(ctx, a, field, cand, threshold, ngram, char_ngram, other=b)
        return best_matches(ex_a, ex_b, pairs, sims)

    params = {"against": a, "against_content": ctx.split_hash(a), "threshold": threshold, "field": field,
              "ngram": ngram, "char_ngram": char_ngram, "num_perm": num_perm}
    return ctx.stored("cross_matches", b, params, compute, _CROSS_MATCHES)
