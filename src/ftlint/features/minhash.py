"""MinHash signatures of already-normalised texts, computed in batched numpy.

Shingles
--------
A text is split into *tokens* exactly as ``text.encode("utf-8").split()`` does, that is on
runs of ASCII whitespace (space, ``\\t``, ``\\n``, ``\\r``, ``\\v``, ``\\f``). The text is
expected to be normalised already (lowercase, NFKC, whitespace collapsed); the shingles are
defined on the canonical form ``b" ".join(tokens)``, so stray whitespace never changes them.

- A text with at least ``ngram`` tokens is shingled into its word ``ngram``-grams: the UTF-8
  bytes ``b" ".join(tokens[i:i + ngram])``.
- A shorter, non-empty text is shingled into its character ``char_ngram``-grams of the canonical
  form (the UTF-8 bytes of each run of ``char_ngram`` characters, spaces included); a text
  shorter than ``char_ngram`` characters is one shingle, the whole text.
- An empty (or all-whitespace) text has no shingles.

:func:`shingles` is the plain-Python reference of this definition; :func:`signatures` computes
the same shingles in numpy without building them.

Hashes and permutations
-----------------------
Each shingle is hashed to 32 bits by :func:`shingle_hash` (a 64-bit polynomial hash of the
shingle's bytes, mixed with the MurmurHash3 64-bit finaliser and xor-folded to 32 bits), which
numpy can evaluate for every shingle of a batch from prefix sums over one UTF-8 blob. The
signature then follows datasketch 2.x's ``"affine32"`` scheme bit for bit: the 32-bit hash is
pre-mixed with the 32-bit MurmurHash3 finaliser and permuted by ``a_k * h + b_k mod 2**32``,
with ``(a, b)`` drawn exactly as ``datasketch.MinHash(num_perm, seed)`` draws them (see
:func:`permutations`). Hence, for every text::

    m = datasketch.MinHash(num_perm, seed=seed, hashfunc=shingle_hash)
    m.update_batch(shingles(text, ngram))
    assert (m.hashvalues == signatures([text], num_perm, ngram, seed)[0]).all()

and each row can be wrapped as ``LeanMinHash(seed=seed, hashvalues=row, scheme="affine32")``
(see :func:`lean_minhash`). An empty text gets the signature of an empty datasketch MinHash:
every value is ``2**32 - 1`` (:data:`EMPTY_HASH`).
"""

from __future__ import annotations

import itertools
import mmap
import multiprocessing
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from ftlint.features.hashing import fmix64, powers

if TYPE_CHECKING:
    from datasketch import LeanMinHash

__all__ = [
    "EMPTY_HASH",
    "estimated_jaccard",
    "exact_jaccard",
    "lean_minhash",
    "permutations",
    "shingle_hash",
    "shingle_hash64",
    "shingle_hashes",
    "shingle_set",
    "shingles",
    "signatures",
]

#: The value of every signature slot of a text without shingles (datasketch's empty MinHash).
EMPTY_HASH: Final[int] = 0xFFFFFFFF

_MASK64: Final[int] = (1 << 64) - 1
# Multiplier of the polynomial byte hash (odd, so invertible modulo 2**64).
_POLY: Final[int] = 0x9E3779B97F4A7C15
_POLY_INV: Final[int] = pow(_POLY, -1, 1 << 64)
# MurmurHash3 fmix64 / fmix32 constants.
_F64_M1: Final[int] = 0xFF51AFD7ED558CCD
_F64_M2: Final[int] = 0xC4CEB9FE1A85EC53
_F32_M1: Final[int] = 0x85EBCA6B
_F32_M2: Final[int] = 0xC2B2AE35

#: Characters of text hashed together (one UTF-8 blob per batch): a few hundred documents,
#: so that the per-byte uint64 arrays stay in cache (measured: ~200 documents of 1.2 kB were
#: 1.4x faster than 2,000).
_BATCH_CHARS: Final[int] = 256_000
#: At most this many documents per batch, however short.
_BATCH_MAX_DOCS: Final[int] = 8192
#: Elements (permutations x shingles) per block of the permute-and-min stage: 128 x 3072
#: uint32 (1.5 MiB, within L2) measured fastest here, ahead of 128 x 4096 (by ~12%) and of
#: smaller blocks, which pay more per-call overhead.
_BLOCK_ELEMENTS: Final[int] = 128 * 3072
#: Inputs smaller than this are never split over worker processes.
PARALLEL_MIN_ROWS: Final[int] = 16_384


# --------------------------------------------------------------------------------------------
# Reference (plain Python) definitions
# --------------------------------------------------------------------------------------------


def _check_ngrams(ngram: int, char_ngram: int) -> None:
    if ngram < 1:
        raise ValueError(f"ngram must be >= 1, got {ngram}")
    if char_ngram < 1:
        raise ValueError(f"char_ngram must be >= 1, got {char_ngram}")


def shingles(text: str, ngram: int = 5, char_ngram: int = 5) -> list[bytes]:
    """The shingles of one normalised text, in order (repeats included), as UTF-8 bytes.

    Word ``ngram``-grams when the text has at least ``ngram`` tokens; otherwise character
    ``char_ngram``-grams of the canonical text (the whole text if it is shorter than that);
    ``[]`` for an empty text. This is the reference definition that :func:`signatures`
    implements in numpy.
    """
    _check_ngrams(ngram, char_ngram)
    tokens = text.encode("utf-8").split()
    if len(tokens) >= ngram:
        return [b" ".join(tokens[i : i + ngram]) for i in range(len(tokens) - ngram + 1)]
    if not tokens:
        return []
    chars = b" ".join(tokens).decode("utf-8")
    if len(chars) <= char_ngram:
        return [chars.encode("utf-8")]
    return [chars[i : i + char_ngram].encode("utf-8") for i in range(len(chars) - char_ngram + 1)]


def shingle_set(text: str, ngram: int = 5, char_ngram: int = 5) -> frozenset[bytes]:
    """The set of shingles of one normalised text (see :func:`shingles`)."""
    return frozenset(shingles(text, ngram, char_ngram))


def exact_jaccard(text_a: str, text_b: str, ngram: int = 5, char_ngram: int = 5) -> float:
    """Exact Jaccard similarity of the shingle sets of two normalised texts.

    Two texts without shingles (both empty) have similarity 0.0, not 1.0: emptiness is not
    evidence of near-duplication (exact duplicates and empty rows are other rules' business).
    """
    a = shingle_set(text_a, ngram, char_ngram)
    b = shingle_set(text_b, ngram, char_ngram)
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * _F64_M1) & _MASK64
    h ^= h >> 33
    h = (h * _F64_M2) & _MASK64
    return h ^ (h >> 33)


def _poly64(data: bytes) -> int:
    h = 0
    p = 1
    for byte in data:
        h = (h + (byte + 1) * p) & _MASK64
        p = (p * _POLY) & _MASK64
    return h


def shingle_hash64(shingle: bytes) -> int:
    """The 64-bit hash of one shingle (before folding to 32 bits); see :func:`shingle_hash`."""
    return _fmix64(_poly64(shingle))


def shingle_hash(shingle: bytes) -> int:
    """The 32-bit hash of one shingle, as used by :func:`signatures`.

    ``h = sum((byte_k + 1) * P**k) mod 2**64`` over the shingle's bytes, then the MurmurHash3
    64-bit finaliser, then ``(h ^ (h >> 32)) & 0xFFFFFFFF``. Slow (pure Python): it exists so
    that datasketch can be run with ``hashfunc=shingle_hash`` and compared bit for bit.
    """
    h = shingle_hash64(shingle)
    return (h ^ (h >> 32)) & 0xFFFFFFFF


def permutations(
    num_perm: int = 128, seed: int = 1
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """The affine32 permutation parameters ``(a, b)`` of ``datasketch.MinHash(num_perm, seed)``.

    datasketch 2.x draws ``a = 2 * randint(0, 2**31) + 1`` (odd) and then ``b = randint(0, 2**32)``,
    both as ``num_perm`` uint32 values from ``numpy.random.RandomState(seed)``.
    """
    if num_perm < 1:
        raise ValueError(f"num_perm must be >= 1, got {num_perm}")
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def lean_minhash(row: npt.NDArray[np.uint32], seed: int = 1) -> LeanMinHash:
    """Wrap one signature row as a ``datasketch.LeanMinHash`` (scheme ``"affine32"``)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=row, scheme="affine32")


def estimated_jaccard(
    sig_a: npt.NDArray[np.uint32], sig_b: npt.NDArray[np.uint32]
) -> npt.NDArray[np.float64]:
    """MinHash estimate of Jaccard similarity: the share of equal slots, row by row.

    Accepts two rows or two ``(n, num_perm)`` arrays; returns a float or an ``(n,)`` array.
    """
    return np.mean(np.asarray(sig_a) == np.asarray(sig_b), axis=-1)


# --------------------------------------------------------------------------------------------
# numpy implementation
# --------------------------------------------------------------------------------------------


def _np_fmix32(h: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    h = h ^ (h >> np.uint32(16))
    h *= np.uint32(_F32_M1)
    h ^= h >> np.uint32(13)
    h *= np.uint32(_F32_M2)
    h ^= h >> np.uint32(16)
    return h


def _ranges(starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Concatenation of ``arange(s, s + l)`` for each (s, l)."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    nz = lengths > 0
    starts, lengths = starts[nz], lengths[nz]
    step = np.ones(total, dtype=np.int64)
    heads = np.cumsum(lengths) - lengths
    step[0] = starts[0]
    step[heads[1:]] = starts[1:] - (starts[:-1] + lengths[:-1] - 1)
    return np.cumsum(step)


def _encode_batch(
    texts: Sequence[str],
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """One canonical UTF-8 blob for a batch: ``(blob, starts, ends, spaces)``.

    Documents are joined by single spaces; document d is ``blob[starts[d]:ends[d]]`` and
    ``spaces`` lists the positions of every space byte (separators included). Canonical means
    that ASCII whitespace occurs only as single spaces between tokens; documents that are not
    are re-joined from their tokens first.
    """
    enc = [t.encode("utf-8") for t in texts]
    n = len(enc)
    lens = np.fromiter(map(len, enc), dtype=np.int64, count=n)
    starts = np.cumsum(lens + 1) - lens - 1
    ends = starts + lens
    blob = np.frombuffer(b" ".join(enc), dtype=np.uint8)
    spaces = np.flatnonzero(blob == 32)
    nonempty = lens > 0
    bad_pos: list[npt.NDArray[np.int64]] = []
    if np.count_nonzero(blob < 14):  # \t \n \v \f \r (and harmless control bytes)
        bad_pos.append(np.flatnonzero((blob - np.uint8(9)) < 5))
    edge = np.concatenate([starts[nonempty], ends[nonempty] - 1])
    bad_pos.append(edge[blob[edge] == 32])
    double = spaces[:-1][np.diff(spaces) == 1]
    if double.size:
        # Two adjacent separators (an empty document) are fine; any other double space is not
        # (a space next to a separator is a leading/trailing space, caught above).
        seps = ends[:-1]
        if seps.size:
            at = np.minimum(np.searchsorted(seps, double), seps.size - 1)
            both = (seps[at] == double) & (seps[np.minimum(at + 1, seps.size - 1)] == double + 1)
            double = double[~both]
        bad_pos.append(double)
    bad = np.concatenate(bad_pos)
    if bad.size == 0:
        return blob, starts, ends, spaces
    for d in np.unique(np.searchsorted(starts, bad, side="right") - 1).tolist():
        enc[d] = b" ".join(enc[d].split())
    lens = np.fromiter(map(len, enc), dtype=np.int64, count=n)
    starts = np.cumsum(lens + 1) - lens - 1
    ends = starts + lens
    blob = np.frombuffer(b" ".join(enc), dtype=np.uint8)
    return blob, starts, ends, np.flatnonzero(blob == 32)


def _shingle_spans(
    blob: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    spaces: npt.NDArray[np.int64],
    ngram: int,
    char_ngram: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Byte spans ``[start, end)`` of every shingle of a canonical blob, grouped by document.

    Returns ``(start, end, counts)`` where ``counts[d]`` is the number of shingles of document d
    and the spans of document d are contiguous, in document order.
    """
    n_docs = starts.size
    doc_len = ends - starts
    nonempty = doc_len > 0
    # Canonical blob: tokens are exactly the runs between spaces (an empty document is one
    # empty run between two separators, and has no tokens).
    tok_start = np.empty(spaces.size + 1, dtype=np.int64)
    tok_start[0] = 0
    np.add(spaces, 1, out=tok_start[1:])
    tok_end = np.append(spaces, blob.size)
    first_tok = np.searchsorted(spaces, starts)
    ntok = np.where(nonempty, np.searchsorted(spaces, ends) - first_tok + 1, 0)
    word_docs = ntok >= ngram
    n_word = np.where(word_docs, ntok - ngram + 1, 0)
    counts = n_word.copy()
    # Global index of the first token of every word shingle.
    g = _ranges(first_tok[word_docs], n_word[word_docs])
    start = tok_start[g]
    end = tok_end[g + (ngram - 1)]

    short = nonempty & ~word_docs
    if short.any():
        s_docs = np.flatnonzero(short)
        pos = _ranges(starts[s_docs], doc_len[s_docs])
        cs = pos[(blob[pos] & np.uint8(0xC0)) != 0x80]  # character start bytes
        nch = np.searchsorted(cs, ends[s_docs]) - np.searchsorted(cs, starts[s_docs])
        n_char = np.maximum(nch - char_ngram + 1, 1)
        counts[s_docs] = n_char
        first_c = np.cumsum(nch) - nch
        local = _ranges(np.zeros(s_docs.size, dtype=np.int64), n_char)
        which = np.repeat(np.arange(s_docs.size), n_char)
        ci = first_c[which] + local
        c_start = cs[ci]
        within = local + char_ngram < nch[which]
        c_end = np.where(within, cs[np.minimum(ci + char_ngram, cs.size - 1)], ends[s_docs][which])
        # Merge with word shingles in document order.
        w_doc = np.repeat(np.arange(n_docs), n_word)
        c_doc = s_docs[which]
        order = np.argsort(np.concatenate([w_doc, c_doc]), kind="stable")
        start = np.concatenate([start, c_start])[order]
        end = np.concatenate([end, c_end])[order]
    return start, end, counts


class _Workspace:
    """Per-call scratch arrays, reused across batches to avoid re-faulting fresh pages:
    ``P**k`` and ``P**-k`` modulo 2**64, the prefix-sum buffer and the permutation block."""

    def __init__(self) -> None:
        self.pw: npt.NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)
        self.inv: npt.NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)
        self.prefix: npt.NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)
        self.block: npt.NDArray[np.uint32] = np.zeros((0, 0), dtype=np.uint32)

    def powers(self, size: int) -> None:
        if self.pw.size < size:
            size = max(size, self.pw.size * 5 // 4)
            self.pw = powers(_POLY, size)
            self.inv = powers(_POLY_INV, size)
            self.prefix = np.empty(size, dtype=np.uint64)

    def block_buffer(self, rows: int, cols: int) -> npt.NDArray[np.uint32]:
        if self.block.shape[0] != rows or self.block.shape[1] < cols:
            self.block = np.empty((rows, cols), dtype=np.uint32)
        return self.block


def _span_hash64(
    blob: npt.NDArray[np.uint8],
    start: npt.NDArray[np.int64],
    end: npt.NDArray[np.int64],
    ws: _Workspace,
) -> npt.NDArray[np.uint64]:
    """:func:`shingle_hash64` of every span ``blob[start:end]``, from prefix sums."""
    n = blob.size
    ws.powers(n + 1)
    prefix = ws.prefix[: n + 1]
    prefix[0] = 0
    w = prefix[1:]
    w[...] = blob
    w += np.uint64(1)
    w *= ws.pw[:n]
    np.cumsum(w, out=w)
    h = prefix[end]
    h -= prefix[start]
    h *= ws.inv[start]
    return fmix64(h)


def _fold32(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
    return (h ^ (h >> np.uint64(32))).astype(np.uint32)


def _batch_signatures(
    texts: Sequence[str],
    ngram: int,
    char_ngram: int,
    a: npt.NDArray[np.uint32],
    b: npt.NDArray[np.uint32],
    ws: _Workspace,
) -> npt.NDArray[np.uint32]:
    num_perm = a.size
    out = np.full((len(texts), num_perm), EMPTY_HASH, dtype=np.uint32)
    blob, starts, ends, spaces = _encode_batch(texts)
    start, end, counts = _shingle_spans(blob, starts, ends, spaces, ngram, char_ngram)
    if start.size == 0:
        return out
    x = _np_fmix32(_fold32(_span_hash64(blob, start, end, ws)))
    del blob, start, end
    docs = np.flatnonzero(counts)
    seg = np.zeros(docs.size + 1, dtype=np.int64)
    np.cumsum(counts[docs], out=seg[1:])
    a_col = a[:, None]
    b_col = b[:, None]
    width = max(_BLOCK_ELEMENTS // num_perm, 1)
    buf = ws.block_buffer(num_perm, width)
    i = 0
    while i < docs.size:
        # The documents whose shingles fit one block together.
        j = int(np.searchsorted(seg, seg[i] + width, side="right")) - 1
        if j <= i:
            # One document with more shingles than a block: fold its blocks into one row.
            acc = np.full(num_perm, EMPTY_HASH, dtype=np.uint32)
            for lo in range(int(seg[i]), int(seg[i + 1]), width):
                hi = min(lo + width, int(seg[i + 1]))
                blk = buf[:, : hi - lo]
                np.multiply(a_col, x[None, lo:hi], out=blk)
                np.add(blk, b_col, out=blk)
                np.minimum(acc, blk.min(axis=1), out=acc)
            out[docs[i]] = acc
            i += 1
            continue
        lo, hi = int(seg[i]), int(seg[j])
        blk = buf[:, : hi - lo]
        np.multiply(a_col, x[None, lo:hi], out=blk)
        np.add(blk, b_col, out=blk)
        out[docs[i:j]] = np.minimum.reduceat(blk, seg[i:j] - lo, axis=1).T
        i = j
    return out


def _bounds(texts: Sequence[str], batch_size: int | None, chars: int) -> list[int]:
    """Batch boundaries: every ``batch_size`` documents, or about ``chars`` characters each."""
    n = len(texts)
    if batch_size is not None:
        return [*range(0, n, batch_size), n]
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    csum = np.cumsum(lens + 1)
    bounds = [0]
    while bounds[-1] < n:
        lo = bounds[-1]
        base = int(csum[lo - 1]) if lo else 0
        hi = int(np.searchsorted(csum, base + chars, side="right"))
        bounds.append(min(max(hi, lo + 1), lo + _BATCH_MAX_DOCS, n))
    return bounds


def _signatures_serial(
    texts: Sequence[str], num_perm: int, ngram: int, char_ngram: int, seed: int, batch_size: int | None
) -> npt.NDArray[np.uint32]:
    a, b = permutations(num_perm, seed)
    ws = _Workspace()
    out = np.empty((len(texts), num_perm), dtype=np.uint32)
    bounds = _bounds(texts, batch_size, _BATCH_CHARS)
    for lo, hi in itertools.pairwise(bounds):
        out[lo:hi] = _batch_signatures(texts[lo:hi], ngram, char_ngram, a, b, ws)
    return out


def _fill(
    texts: Sequence[str],
    lo: int,
    hi: int,
    out: npt.NDArray[np.uint32],
    params: tuple[int, int, int, int, int | None],
) -> None:
    num_perm, ngram, char_ngram, seed, batch_size = params
    out[lo:hi] = _signatures_serial(texts[lo:hi], num_perm, ngram, char_ngram, seed, batch_size)


def _signatures_forked(
    texts: Sequence[str], workers: int, params: tuple[int, int, int, int, int | None]
) -> npt.NDArray[np.uint32]:
    """Split the texts in ``workers`` parts of equal text length; this process computes the
    first and forked children the others, writing straight into shared memory (the texts are
    inherited, not pickled)."""
    n, num_perm = len(texts), params[0]
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    csum = np.cumsum(lens + 1)
    cuts = np.searchsorted(csum, csum[-1] * np.arange(1, workers) / workers).tolist()
    bounds = sorted({0, n, *cuts})
    shared = mmap.mmap(-1, max(n * num_perm * 4, 1))
    try:
        out = np.frombuffer(shared, dtype=np.uint32, count=n * num_perm).reshape(n, num_perm)
        ctx = multiprocessing.get_context("fork")
        children = [
            ctx.Process(target=_fill, args=(texts, lo, hi, out, params), daemon=True)
            for lo, hi in itertools.pairwise(bounds[1:])
        ]
        for child in children:
            child.start()
        try:
            _fill(texts, bounds[0], bounds[1], out, params)
        finally:
            for child in children:
                child.join()
        failed = [c.exitcode for c in children if c.exitcode != 0]
        if failed:
            raise RuntimeError(f"a MinHash worker process failed (exit codes {failed})")
        result = out.copy()
        del out
    finally:
        try:
            shared.close()
        except BufferError:  # a view is still referenced (a traceback's frame, a profiler): freed with it
            pass
    return result


def signatures(
    texts: Sequence[str],
    num_perm: int = 128,
    ngram: int = 5,
    seed: int = 1,
    *,
    char_ngram: int = 5,
    workers: int = 1,
    batch_size: int | None = None,
) -> npt.NDArray[np.uint32]:
    """MinHash signatures of normalised texts: a ``(len(texts), num_perm)`` uint32 array.

    Row i is bit-identical to ``datasketch.MinHash(num_perm, seed=seed, hashfunc=shingle_hash)``
    updated with ``shingles(texts[i], ngram, char_ngram)`` (scheme ``"affine32"``); a text
    without shingles gets all :data:`EMPTY_HASH`. Deterministic: the result depends only on
    the texts and the parameters, not on ``workers`` or ``batch_size``.

    ``workers > 1`` splits the texts over that many processes (this one and ``workers - 1``
    forked children, which inherit the texts and write into shared memory), but only when
    there are at least :data:`PARALLEL_MIN_ROWS` texts (below that a fork costs more than it
    saves) and the platform can fork; otherwise it runs in this process. ``batch_size``
    (documents hashed together) is for tests; by default a batch is ~256k characters of text.
    """
    _check_ngrams(ngram, char_ngram)
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    permutations(num_perm, seed)  # validates num_perm
    params = (num_perm, ngram, char_ngram, seed, batch_size)
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    if workers <= 1 or len(texts) < max(PARALLEL_MIN_ROWS, workers) or not can_fork:
        return _signatures_serial(texts, *params)
    return _signatures_forked(texts, workers, params)


def shingle_hashes(
    texts: Sequence[str], ngram: int = 5, char_ngram: int = 5, *, batch_size: int | None = None
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The set of 64-bit shingle hashes (:func:`shingle_hash64`) of every text, CSR-style.

    Returns ``(values, offsets)``: the sorted, distinct hashes of text i are
    ``values[offsets[i]:offsets[i + 1]]``. Used to compute shingle-set Jaccard similarities
    in bulk (64-bit hashes: a collision between two distinct shingles has probability ~2**-64).
    """
    _check_ngrams(ngram, char_ngram)
    n = len(texts)
    parts: list[npt.NDArray[np.uint64]] = []
    ws = _Workspace()
    sizes = np.zeros(n, dtype=np.int64)
    bounds = _bounds(texts, batch_size, _BATCH_CHARS)
    for lo, hi in itertools.pairwise(bounds):
        blob, starts, ends, spaces = _encode_batch(texts[lo:hi])
        start, end, counts = _shingle_spans(blob, starts, ends, spaces, ngram, char_ngram)
        h = _span_hash64(blob, start, end, ws)
        doc = np.repeat(np.arange(hi - lo, dtype=np.uint64), counts)
        # Sort by (doc, hash) and drop repeats within a document: one sort of a composite key
        # (document in the top bits, then the hash's top bits), with an exact fallback in the
        # (2**-40-rare) case that two hashes of a document share those top bits out of order.
        shift = np.uint64(max(int(hi - lo - 1).bit_length(), 1))
        order = np.argsort((doc << (np.uint64(64) - shift)) | (h >> shift))
        h, doc = h[order], doc[order]
        if np.any((h[1:] < h[:-1]) & (doc[1:] == doc[:-1])):
            order = np.lexsort((h, doc))
            h, doc = h[order], doc[order]
        keep = np.ones(h.size, dtype=bool)
        keep[1:] = (h[1:] != h[:-1]) | (doc[1:] != doc[:-1])
        parts.append(h[keep])
        sizes[lo:hi] = np.bincount(doc[keep].astype(np.int64), minlength=hi - lo)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    values = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
    return values, offsets
