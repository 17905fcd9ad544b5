"""Text embeddings for the relevance and drift rules: one interface, two backends.

An :class:`Embedder` turns a list of texts into a float32 matrix with one L2-normalised row per
text (an empty text gets a zero row), batched and vectorised:

- :class:`TfidfSvdEmbedder` (the default; no weights, no network): TF-IDF over hashed word
  1-2-grams and UTF-8 byte 3-5-grams (character n-grams that also work for scripts without
  spaces), computed in numpy for a small batch at a time, reduced with a truncated SVD (of the
  TF-IDF vectors hashed into 8,192 dimensions). It is *fitted* (document frequencies, vocabulary,
  SVD) on a sample of the texts to compare (train and reference together, so neither side's
  vocabulary is missing), then transforms every row. numpy only: a few tens of MiB whatever the data.
- :class:`TransformerEmbedder`: a transformers encoder (``AutoModel`` + ``AutoTokenizer``) from a
  local directory or the local Hugging Face cache, never downloaded and never with remote code;
  mean pooling over the attention mask, L2-normalised, batched by length under
  ``torch.inference_mode()``. Needs ``pip install 'ftlint[embeddings]'``.

Heavy libraries (torch, transformers) are imported inside the functions that use them; the TF-IDF
path needs numpy alone. :class:`RowTexts` reads the texts of sampled rows when they are needed
instead of holding thousands of them. :class:`Progress` draws a progress bar on stderr for long steps.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import numpy as np
import numpy.typing as npt
import xxhash

from ftlint.features.hashing import fmix64, powers

__all__ = [
    "EmbedderUnavailable",
    "Embeddings",
    "Embedder",
    "INSTALL_HINT",
    "NgramCounts",
    "Progress",
    "RowTexts",
    "TEXT_FIELDS",
    "TFIDF_FIT_ROWS",
    "TFIDF_SAMPLE_ROWS",
    "TfidfSvdEmbedder",
    "TransformerEmbedder",
    "hashed_ngram_counts",
    "load_transformer",
    "resolve_model",
    "row_text",
]

INSTALL_HINT = "pip install 'ftlint[embeddings]'"
#: rows (of all sets together) the TF-IDF + SVD embedder is fitted on (a seeded sample, split evenly
#: between the sets); its memory and time stay the same however large the data
TFIDF_FIT_ROWS = 6_000
#: rows of each set (split or reference) the TF-IDF + SVD embedder embeds: a seeded sample above it,
#: so the drift and outlier rules take the same time and memory at a million rows as at 20,000
TFIDF_SAMPLE_ROWS = 10_000
#: which part of an example is embedded
TEXT_FIELDS = ("prompt", "response", "full")


class EmbedderUnavailable(Exception):
    """The chosen embedding model cannot be used here: ``reason`` and how to fix it."""

    def __init__(self, reason: str, fix: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


@dataclass(frozen=True)
class Embeddings:
    """The embedded rows of one split (or of the reference)."""

    vectors: npt.NDArray[np.float32]  #: (len(rows), dims), L2-normalised (zero rows for empty texts)
    rows: npt.NDArray[np.int64]  #: position in the split of each vector (sorted)
    total: int  #: rows in the split
    backend: str  #: "tfidf" or "transformers"
    model: str  #: a description of the model, for reports
    text: str = "prompt"  #: which part of each example was embedded

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def dims(self) -> int:
        return int(self.vectors.shape[1]) if self.vectors.ndim == 2 else 0

    @property
    def sampled(self) -> bool:
        return len(self.rows) < self.total

    @property
    def nonzero(self) -> npt.NDArray[np.bool_]:
        """Rows with a vector (not an empty text)."""
        return np.asarray(np.abs(self.vectors).sum(axis=1) > 0)


class Embedder(Protocol):
    """What every backend provides."""

    backend: str
    #: everything that determines the vectors (cache keys include it)
    identity: str

    def describe(self) -> str: ...

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> npt.NDArray[np.float32]: ...


def row_text(ds: Any, i: int, field: str = "prompt") -> str:
    """The text of row ``i`` of a Dataset that is embedded: ``prompt`` (what the model is given;
    the whole example when it has no separate prompt), ``response`` or ``full`` (every turn)."""
    if field == "response":
        return str(ds.response(i))
    if field == "full":
        return "\n".join(ds.texts[i])
    p = ds.prompt(i)
    return p if p.strip() else "\n".join(ds.texts[i])


def _l2_rows(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    np.divide(x, norms, out=x, where=norms > 0)
    return x


# -- progress --------------------------------------------------------------------------------------


class Progress:
    """A one-line progress bar on stderr, drawn only when enabled and only once the step has
    taken more than ``delay`` seconds (short steps print nothing); cleared when closed."""

    def __init__(self, label: str, total: int, enabled: bool = False, *, stream: TextIO | None = None,
                 delay: float = 2.0, unit: str = "rows") -> None:
        self.label = label
        self.total = max(int(total), 0)
        self.enabled = enabled and self.total > 0
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.unit = unit
        self.done = 0
        self.start = time.monotonic()
        self._last = 0.0
        self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, n: int) -> None:
        self.done = min(self.done + n, self.total) if self.total else self.done + n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < self.delay or (now - self._last < 0.2 and self.done < self.total):
            return
        self._last = now
        self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self.start, 1e-9)
        frac = self.done / self.total if self.total else 0.0
        width = 24
        filled = int(frac * width)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else math.inf
        eta_s = f"{int(eta) // 60}:{int(eta) % 60:02d}" if math.isfinite(eta) else "?"
        line = (f"\rftlint: {self.label} [{'#' * filled}{'.' * (width - filled)}] "
                f"{self.done:,}/{self.total:,} {self.unit} {rate:,.0f}/s eta {eta_s}")
        try:
            self.stream.write(line)
            self.stream.flush()
            self._drawn = True
        except (OSError, ValueError):
            self.enabled = False

    def close(self) -> None:
        if self._drawn:
            try:
                self.stream.write("\r\033[K")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self._drawn = False


# -- hashed n-gram counts (numpy, one UTF-8 blob per batch) --------------------------------------------

_MASK64 = (1 << 64) - 1
_BASE = 0x100000001B3  # odd: invertible modulo 2**64
_BASE_INV = pow(_BASE, -1, 1 << 64)
_GOLDEN = 0x9E3779B97F4A7C15

#: bytes that belong to words: ASCII letters, digits, underscore, and every non-ASCII byte
_WORD_BYTE = np.zeros(256, dtype=bool)
_WORD_BYTE[np.frombuffer(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", dtype=np.uint8)] = True
_WORD_BYTE[128:] = True
#: ASCII whitespace folded to a space
_FOLD = np.arange(256, dtype=np.uint8)
_FOLD[np.frombuffer(b"\t\n\r\x0b\x0c", dtype=np.uint8)] = 32




@dataclass(frozen=True)
class NgramCounts:
    """Counts of hashed n-grams of a batch of texts, one entry per (text, feature) pair, sorted by
    text then feature: text ``rows[j]`` has feature ``features[j]`` ``counts[j]`` times."""

    rows: npt.NDArray[np.int64]
    features: npt.NDArray[np.int64]
    counts: npt.NDArray[np.int64]
    n: int  #: texts in the batch
    width: int  #: features (``2 * n_features``)

    @property
    def nnz(self) -> int:
        return len(self.rows)

    def row(self, i: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The features of text ``i`` and their counts."""
        lo, hi = np.searchsorted(self.rows, [i, i + 1])
        return self.features[lo:hi], self.counts[lo:hi]


def hashed_ngram_counts(texts: Sequence[str], n_features: int = 1 << 20,
                        char_ngrams: tuple[int, ...] = (3, 4, 5), word_ngrams: int = 2,
                        max_bytes: int = 4000) -> NgramCounts:
    """Counts of hashed n-grams of each (lower-cased) text (:class:`NgramCounts`, features in
    ``range(2 * n_features)``): word 1..``word_ngrams``-grams in the first half, UTF-8 byte
    n-grams (``char_ngrams`` lengths, at most 8) in the second.

    Words are maximal runs of ASCII letters, digits, ``_`` and non-ASCII bytes. Each text is cut
    to its first ``max_bytes`` bytes. All hashing happens in numpy on one blob for the batch:
    byte n-grams are packed into a uint64 and mixed; words use a polynomial hash from prefix sums.
    Memory: about 100 bytes per byte of the batch's text while it runs (callers hash small batches).
    """
    enc = [t.lower().encode("utf-8", "surrogatepass")[:max_bytes] for t in texts]
    n = len(enc)
    lens = np.fromiter(map(len, enc), dtype=np.int64, count=n)
    blob = _FOLD[np.frombuffer(b"\x00".join(enc) + b"\x00", dtype=np.uint8)]
    del enc
    size = len(blob)
    doc = np.repeat(np.arange(n, dtype=np.int64), lens + 1)
    b64 = blob.astype(np.uint64)
    nf = np.uint64(n_features)
    width = 2 * n_features
    keys: list[npt.NDArray[np.int64]] = []  # text * width + feature
    for k in char_ngrams:
        if not 1 <= k <= 8:
            raise ValueError("byte n-gram lengths must be 1-8")
        m = size - k + 1
        if m <= 0:
            continue
        key = b64[:m].copy()
        for j in range(1, k):
            key |= b64[j:j + m] << np.uint64(8 * j)
        valid = doc[:m] == doc[k - 1:k - 1 + m]  # inside one text (not across the separator)
        valid &= blob[k - 1:k - 1 + m] != 0
        h = fmix64(key[valid] ^ np.uint64((k * _GOLDEN) & _MASK64))
        del key
        keys.append(doc[:m][valid] * width + (h % nf).astype(np.int64) + n_features)
        del h, valid
    if word_ngrams >= 1:
        w = _WORD_BYTE[blob].astype(np.int8)
        edges = np.diff(np.concatenate([[0], w, [0]]))
        ws = np.flatnonzero(edges == 1)
        we = np.flatnonzero(edges == -1)
        del w, edges
        if len(ws):
            pw = powers(_BASE, size)
            prefix = np.zeros(size + 1, dtype=np.uint64)
            np.cumsum(b64 * pw, out=prefix[1:])
            del pw
            inv = powers(_BASE_INV, size)
            hw = fmix64((prefix[we] - prefix[ws]) * inv[ws])
            del prefix, inv
            wdoc = doc[ws]
            keys.append(wdoc * width + (hw % nf).astype(np.int64))
            hprev, dprev = hw, wdoc
            for g in range(2, word_ngrams + 1):
                same = dprev[:-1] == wdoc[g - 1:]
                hg = fmix64(hprev[:-1] * np.uint64(_GOLDEN) + hw[g - 1:] + np.uint64(g))
                keys.append(wdoc[g - 1:][same] * width + (hg[same] % nf).astype(np.int64))
                hprev, dprev = hg, dprev[:-1]
    del doc, b64, blob
    allkeys = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    del keys
    uniq, counts = np.unique(allkeys, return_counts=True)
    del allkeys
    rows, features = np.divmod(uniq, width)
    return NgramCounts(rows, features, counts.astype(np.int64), n, width)


# -- TF-IDF + SVD ------------------------------------------------------------------------------------


class RowTexts(Sequence[str]):
    """The texts of chosen rows of Datasets (``parts``: ``(dataset, rows)`` pairs, in order), read
    from the dataset when asked for (:func:`row_text`), so that thousands of them are never held in
    memory at once; a slice is a list."""

    def __init__(self, parts: Sequence[tuple[Any, npt.NDArray[np.int64]]], field: str = "prompt") -> None:
        self.parts = [(ds, np.asarray(rows, dtype=np.int64)) for ds, rows in parts]
        self.field = field
        self._starts = np.cumsum([0] + [len(r) for _, r in self.parts])

    def __len__(self) -> int:
        return int(self._starts[-1])

    def _one(self, k: int) -> str:
        p = int(np.searchsorted(self._starts, k, side="right")) - 1
        ds, rows = self.parts[p]
        return row_text(ds, int(rows[k - int(self._starts[p])]), self.field)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return [self._one(k) for k in range(*key.indices(len(self)))]
        k = int(key)
        if k < 0:
            k += len(self)
        if not 0 <= k < len(self):
            raise IndexError(key)
        return self._one(k)

    def __iter__(self) -> Any:
        for ds, rows in self.parts:
            for i in rows.tolist():
                yield row_text(ds, i, self.field)


def _batches(texts: Sequence[str], max_bytes: int, budget: int, most: int = 1024) -> Any:
    """``texts`` in consecutive batches of at most ``budget`` bytes of text (each text counted up to
    ``max_bytes``; at least one text a batch) and ``most`` texts."""
    batch: list[str] = []
    size = 0
    for t in texts:
        b = min(len(t), max_bytes)  # characters: about the bytes of the text hashed
        if batch and (size + b > budget or len(batch) >= most):
            yield batch
            batch, size = [], 0
        batch.append(t)
        size += b
    if batch:
        yield batch


@dataclass
class TfidfSvdEmbedder:
    """TF-IDF of hashed word and byte n-grams, reduced by a truncated SVD fitted on a sample.

    The kept n-grams (the vocabulary) are hashed, with a random sign each, into ``sketch``
    dimensions (a count sketch: with 8,192 dimensions for at most 32,768 n-grams, the inner
    products of TF-IDF vectors are kept to within about 1%), and the SVD is taken of that sketched
    TF-IDF matrix by a randomized range finder with power iterations (Halko et al.), numpy only:
    the fitted rows' sketches are kept sparse (6 bytes per n-gram; at most ``svd_nnz`` of them, a
    seeded sample of the fitted rows when there are more), multiplied a small dense block at a
    time with float64 BLAS. A text's vector is its sketch projected on the top ``dims`` right
    singular vectors. Every sum over n-grams is numpy's ``bincount`` (one summation order on every
    machine); the dense steps run in float64 and each component's sign is fixed (its largest entry
    positive). Memory: a few tens of MiB whatever the data; no scipy."""

    dims: int = 128
    char_ngrams: tuple[int, ...] = (3, 4, 5)
    word_ngrams: int = 2
    n_features: int = 1 << 20
    max_bytes: int = 4000
    #: features kept: those in at least ``min_df`` fitted texts, at most ``max_vocab`` per half
    min_df: int = 2
    max_vocab: int = 1 << 14
    #: dimensions the TF-IDF vectors are hashed into (at most 65,536)
    sketch: int = 1 << 13
    #: n-grams (summed over the rows) of the fitted rows whose sketches the SVD keeps
    svd_nnz: int = 1 << 21
    #: power iterations and oversampling of the randomized SVD
    svd_iter: int = 3
    oversample: int = 10
    seed: int = 0
    #: no count sketch: each kept feature is its own dimension (``sketch`` becomes the vocabulary's
    #: size, at most 65,536), so no two n-grams share one; for a small ``max_vocab``
    exact: bool = False
    #: bytes of text hashed at once (the n-gram counts of a batch take ~100 bytes per byte of text), and
    #: at most ``batch_rows`` texts (whose dense sketches take ``sketch`` x 8 bytes each)
    batch_bytes: int = 1 << 16
    batch_rows: int = 64
    #: filled by :meth:`fit`
    fitted_rows: int = 0
    svd_rows: int = 0
    _vocab: Any = field(default=None, repr=False)  # kept features, sorted (int64)
    _idf: Any = field(default=None, repr=False)  # per kept feature (float64)
    _halves: Any = field(default=None, repr=False)  # per kept feature: 0 (words) / 1 (bytes)
    _bucket: Any = field(default=None, repr=False)  # per kept feature: its sketch dimension
    _sign: Any = field(default=None, repr=False)  # per kept feature: +1 or -1
    _components: Any = field(default=None, repr=False)  # (dims, sketch) float32

    backend = "tfidf"

    @property
    def identity(self) -> str:
        return (f"tfidf-svd v3 dims={self.dims} char={self.char_ngrams} word={self.word_ngrams} "
                f"nf={self.n_features} max_bytes={self.max_bytes} min_df={self.min_df} "
                f"vocab={self.max_vocab} sketch={self.sketch} svd_nnz={self.svd_nnz} iter={self.svd_iter} "
                f"seed={self.seed}" + (" exact" if self.exact else ""))

    def describe(self) -> str:
        return (f"TF-IDF of word 1-{self.word_ngrams}-grams and byte "
                f"{min(self.char_ngrams)}-{max(self.char_ngrams)}-grams + SVD({self.dims}), "
                f"fitted on {self.fitted_rows:,} rows"
                + (f" (the SVD on {self.svd_rows:,} of them)" if 0 < self.svd_rows < self.fitted_rows else ""))

    def _counts(self, texts: Sequence[str]) -> NgramCounts:
        return hashed_ngram_counts(texts, self.n_features, self.char_ngrams, self.word_ngrams, self.max_bytes)

    def _batches(self, texts: Sequence[str]) -> Any:
        return _batches(texts, self.max_bytes, self.batch_bytes, self.batch_rows)

    def fit(self, texts: Sequence[str], progress: Progress | None = None) -> TfidfSvdEmbedder:
        """Learn document frequencies, the vocabulary and the SVD from ``texts`` (a sample; a
        ``progress`` bar counts each text twice, once per pass).

        Two passes over the texts (read twice, never held), one small batch at a time: the document
        frequencies first (and each text's number of n-grams), then the sparse sketches of the rows
        the SVD uses. Memory: the document frequencies (2 bytes per hashed feature), the kept
        sketches (at most ``svd_nnz`` x 6 bytes), three ``sketch`` x (``dims`` + ``oversample``)
        float64 matrices while the SVD runs, and one batch."""
        if not 2 <= self.sketch <= 1 << 16:
            raise ValueError("sketch must be 2-65536 dimensions")
        n = len(texts)
        df: npt.NDArray[np.integer[Any]] = np.zeros(2 * self.n_features, dtype=np.uint16 if n < 1 << 16 else np.int32)
        sizes = np.zeros(n, dtype=np.int64)  # n-grams of each text (an upper bound of its kept ones)
        at = 0
        for batch in self._batches(texts):
            c = self._counts(batch)
            sizes[at:at + len(batch)] = np.bincount(c.rows, minlength=len(batch))
            at += len(batch)
            features, counts = np.unique(c.features, return_counts=True)
            del c
            df[features] += counts.astype(df.dtype)
            if progress is not None:
                progress.update(len(batch))
        kept = []
        for half in (0, 1):
            lo, hi = half * self.n_features, (half + 1) * self.n_features
            cand = np.flatnonzero(df[lo:hi] >= min(self.min_df, max(n, 1)))
            if len(cand) > self.max_vocab:  # the most frequent; of equally frequent, the lowest feature
                cand = np.sort(cand[np.argsort(-df[lo:hi][cand].astype(np.int64), kind="stable")[:self.max_vocab]])
            kept.append(cand.astype(np.int64) + lo)
        vocab = np.concatenate(kept)
        self._vocab = vocab
        self._idf = np.log((1.0 + n) / (1.0 + df[vocab].astype(np.float64))) + 1.0
        del df
        self._halves = (vocab >= self.n_features).astype(np.int64)
        h = fmix64(vocab.astype(np.uint64) ^ np.uint64((self.seed * _GOLDEN + 0x5EED) & _MASK64))
        self._bucket = (h % np.uint64(self.sketch)).astype(np.int64)
        self._sign = np.where((h >> np.uint64(63)) == 1, -1.0, 1.0)
        if self.exact:
            if len(vocab) > 1 << 16:
                raise ValueError("exact needs a vocabulary of at most 65536 features")
            self.sketch = max(2, len(vocab))
            self._bucket = np.arange(len(vocab), dtype=np.int64)
            self._sign = np.ones(len(vocab))
        self.fitted_rows = n
        # the rows the SVD keeps: all, or a seeded sample (in order) whose n-grams fit svd_nnz
        order = np.random.default_rng(self.seed).permutation(n)
        take = np.zeros(n, dtype=bool)
        take[order[:max(int(np.searchsorted(np.cumsum(sizes[order]), self.svd_nnz, side="right")), min(n, 2))]] = True
        del sizes, order
        if len(vocab) == 0 or n < 2:
            self._components = np.zeros((1, self.sketch), dtype=np.float32)
            return self
        parts = []  # per batch: (row pointers, sketch dimensions uint16, values float32)
        at = 0
        for batch in self._batches(texts):
            mine = take[at:at + len(batch)]
            at += len(batch)
            if mine.any():
                parts.append(_sparse_rows(self._sketch([t for t, m in zip(batch, mine) if m])))
            if progress is not None:
                progress.update(len(batch))
        self.svd_rows = int(take.sum())
        del take
        from ftlint.features.drift import single_threaded_blas

        x = _SketchRows(parts, self.sketch)
        k = max(1, min(self.dims, x.shape[0] - 1, self.sketch - 1))
        with single_threaded_blas():
            self._components = _top_right_singular_vectors(x, k, n_iter=self.svd_iter, oversample=self.oversample,
                                                           seed=self.seed)
        return self

    def entries(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                                                     npt.NDArray[np.float64]]:
        """The sketch of each text as sparse entries ``(text, sketch dimension, value)`` (sorted by
        text; a dimension may repeat within a text: the entries add up): what :meth:`_sketch`
        scatters into a dense block, for callers that multiply sketches by a matrix sparsely."""
        c = self._counts(texts)
        n = c.n
        pos = np.minimum(np.searchsorted(self._vocab, c.features), max(len(self._vocab) - 1, 0))
        ok = self._vocab[pos] == c.features if len(self._vocab) else np.zeros(c.nnz, dtype=bool)
        r, p = c.rows[ok], pos[ok]
        v = (1.0 + np.log(c.counts[ok].astype(np.float64))) * self._idf[p]
        del c, pos, ok
        slot = r * 2 + self._halves[p]
        norm = np.sqrt(np.bincount(slot, weights=v * v, minlength=2 * n))[slot]
        v /= np.where(norm > 0, norm, 1.0)
        v *= self._sign[p]
        return r, self._bucket[p], v

    def _sketch(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Sublinear TF-IDF on the kept features, each half (words, bytes) L2-normalised, hashed
        into ``sketch`` dimensions with a random sign per feature: ``(len(texts), sketch)``."""
        n = len(texts)
        r, bucket, v = self.entries(texts)
        out = np.bincount(r * self.sketch + bucket, weights=v, minlength=n * self.sketch)
        return out.reshape(n, self.sketch).astype(np.float64, copy=False)

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> npt.NDArray[np.float32]:
        if self._components is None:
            raise RuntimeError("TfidfSvdEmbedder.embed before fit")
        out = np.zeros((len(texts), self._components.shape[0]), dtype=np.float32)
        if not self._components.any():
            return out  # nothing was learnt (no n-gram occurs often enough): every text embeds to zero
        comps_t = np.ascontiguousarray(self._components.T, dtype=np.float64)
        from ftlint.features.drift import single_threaded_blas

        s = 0
        with single_threaded_blas():
            for batch in self._batches(texts):
                out[s:s + len(batch)] = self._sketch(batch) @ comps_t
                s += len(batch)
                if progress is not None:
                    progress.update(len(batch))
        return _l2_rows(out)


def _sparse_rows(dense: npt.NDArray[np.float64]) -> tuple[Any, Any, Any]:
    """A dense block of sketches as (row pointers, dimensions uint16, values float32)."""
    r, c = np.nonzero(dense)
    ptr = np.searchsorted(r, np.arange(len(dense) + 1))
    return ptr, c.astype(np.uint16), dense[r, c].astype(np.float32)


class _SketchRows:
    """The kept sketches (``(ptr, dims, values)`` parts, stacked by rows) as a matrix for the two
    products the SVD needs, a dense block of ``block`` rows at a time (float64 BLAS)."""

    def __init__(self, parts: list[tuple[Any, Any, Any]], width: int, block: int = 64) -> None:
        self.parts = parts
        self.width = width
        self.block = block
        self.shape = (sum(len(p[0]) - 1 for p in parts), width)

    def _blocks(self) -> Iterator[tuple[int, npt.NDArray[np.float64]]]:
        at = 0
        for ptr, dims, values in self.parts:
            for lo in range(0, len(ptr) - 1, self.block):
                hi = min(lo + self.block, len(ptr) - 1)
                a, b = int(ptr[lo]), int(ptr[hi])
                dense = np.zeros((hi - lo, self.width))
                rows = np.repeat(np.arange(hi - lo), np.diff(ptr[lo:hi + 1]))
                dense[rows, dims[a:b]] = values[a:b]
                yield at + lo, dense
            at += len(ptr) - 1

    def dot(self, m: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out = np.empty((self.shape[0], m.shape[1]))
        for lo, dense in self._blocks():
            out[lo:lo + len(dense)] = dense @ m
        return out

    def tdot(self, q: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out = np.zeros((self.width, q.shape[1]))
        step = 1024  # the wide side a slice at a time: one small product buffer, not a V x k one per block
        part = np.empty((step, q.shape[1]))
        for lo, dense in self._blocks():
            qb = q[lo:lo + len(dense)]
            for c in range(0, self.width, step):
                d = dense[:, c:c + step]
                buf = part[:d.shape[1]]
                np.matmul(d.T, qb, out=buf)
                out[c:c + step] += buf
        return out


def _orthonormal(y: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """An orthonormal basis of the columns of ``y`` (QR in float64)."""
    q, _ = np.linalg.qr(y)
    return np.asarray(q)


def _top_right_singular_vectors(x: Any, k: int, *, n_iter: int = 3, oversample: int = 10,
                                seed: int = 0) -> npt.NDArray[np.float32]:
    """The top ``k`` right singular vectors (rows of ``Vt``, float32) of ``x`` (n x V: a
    :class:`_SketchRows`), by a randomized range finder (Halko et al.) whose orthonormalisations
    all happen on the n-row side: only ``x @ dense`` and ``x.T @ dense`` touch the wide side. Every
    dense step runs in float64, whose last-bit differences between BLAS kernels vanish when the
    result is stored as float32, and each vector's sign is fixed (its largest entry positive).
    Vectors of negligible singular values (below 1e-6 of the largest) are left out: the rest of
    the rank of a small fit is noise."""
    n, v = x.shape
    width = min(k + oversample, n, v)
    rng = np.random.default_rng(seed)
    # each V x width or n x width matrix is dropped as soon as the next is made (their peak, not
    # their sum, is what the fit costs)
    omega = rng.standard_normal((v, width))
    q = _orthonormal(x.dot(omega))
    del omega
    for _ in range(n_iter):
        t = x.tdot(q)
        del q
        q = _orthonormal(x.dot(t))
        del t
    bt = x.tdot(q)  # (q.T @ x).T: V x width
    del q
    # the SVD of the short, wide b = bt.T through its small Gram matrix: b b^T = U S^2 U^T, Vt = S^-1 U^T b
    evals, evecs = np.linalg.eigh(bt.T @ bt)
    top = np.argsort(evals, kind="stable")[::-1][:k]
    sing = np.sqrt(np.maximum(evals[top], 0.0))
    keep = sing > sing[0] * 1e-6 if len(sing) and sing[0] > 0 else np.zeros(len(sing), dtype=bool)
    if not keep.any():
        return np.zeros((1, v), dtype=np.float32)
    u = evecs[:, top[keep]] / sing[keep][None, :]  # width x kept
    vt = np.empty((u.shape[1], v), dtype=np.float32)
    for lo in range(0, v, 4096):  # a block of the wide side at a time
        vt[:, lo:lo + 4096] = (bt[lo:lo + 4096] @ u).T
    del bt
    for r in range(len(vt)):  # the largest entry of each vector positive (float32: the same on every machine)
        if vt[r, np.argmax(np.abs(vt[r]))] < 0:
            vt[r] *= np.float32(-1.0)
    return vt


# -- transformers encoder ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
    """A local encoder: its directory, what the user called it and a content identity."""

    name: str
    path: Path
    identity: str


def _dir_identity(path: Path) -> str:
    """Path + hash of the small config/tokenizer files + names and sizes of the weight files."""
    h = xxhash.xxh3_64()
    for p in sorted(path.iterdir()):
        if not p.is_file():
            continue
        st = p.stat()
        h.update(f"{p.name}:{st.st_size};".encode())
        if st.st_size <= 4 << 20 and p.suffix in (".json", ".txt", ".model", ".jinja"):
            h.update(p.read_bytes())
    return f"{path.resolve()}#{h.hexdigest()}"


def resolve_model(name: str, root: Path | None = None) -> ModelSpec:
    """A local directory (absolute, relative to ``root`` or to the working directory) or a hub id
    already in the local Hugging Face cache; never downloads. Raises :class:`EmbedderUnavailable`."""
    candidates = [Path(name).expanduser()]
    if root is not None and not candidates[0].is_absolute():
        candidates.insert(0, root / name)
    for c in candidates:
        if c.is_dir():
            if not (c / "config.json").is_file():
                raise EmbedderUnavailable(
                    f"embedding model folder {name} has no config.json",
                    "point --embedding-model at a transformers model folder (config.json, tokenizer files, "
                    "weights), e.g. a sentence-transformers model saved with save_pretrained")
            return ModelSpec(name, c.resolve(), _dir_identity(c))
    looks_like_path = name.startswith((".", "/", "~")) or os.sep in name.strip("/").split("/", 2)[-1]
    if "/" in name and not looks_like_path:
        hub_snapshot: Any = None
        try:
            from huggingface_hub import snapshot_download as hub_snapshot
        except ImportError:
            pass
        if hub_snapshot is not None:
            try:
                snap = Path(hub_snapshot(repo_id=name, local_files_only=True))
            except Exception:  # noqa: BLE001 - not cached (LocalEntryNotFoundError) or invalid id
                snap = None
            if snap is not None and (snap / "config.json").is_file():
                return ModelSpec(name, snap, _dir_identity(snap))
    raise EmbedderUnavailable(
        f"embedding model '{name}' is not a local folder and not in the local Hugging Face cache",
        "ftlint never downloads: pass a local model folder with --embedding-model PATH (or embedding-model = "
        "\"PATH\" in ftlint.toml), or download it once with `huggingface-cli download <model>`")


def _threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class TransformerEmbedder:
    """A transformers encoder: mean-pooled, L2-normalised sentence embeddings."""

    backend = "transformers"

    def __init__(self, spec: ModelSpec, tokenizer: Any, model: Any, *, max_length: int = 128,
                 batch_size: int = 64, threads: int | None = None) -> None:
        self.spec = spec
        self.tokenizer = tokenizer
        self.model = model
        self.max_length = max_length
        self.batch_size = batch_size
        self.threads = threads or _threads()

    @property
    def identity(self) -> str:
        return f"transformers {self.spec.identity} max_length={self.max_length} pool=mean norm=l2"

    def describe(self) -> str:
        return f"{self.spec.name} (transformers, mean pooling, {self.max_length} tokens max)"

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> npt.NDArray[np.float32]:
        import torch

        texts = list(texts)
        hidden = int(getattr(self.model.config, "hidden_size", 0) or 0)
        out = np.zeros((len(texts), hidden), dtype=np.float32) if hidden else None
        # longest first in batches of similar length: little padding, and a slow batch shows early
        order = np.argsort([-len(t) for t in texts], kind="stable")
        nonempty = [int(i) for i in order if texts[int(i)].strip()]
        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                for s in range(0, len(nonempty), self.batch_size):
                    idx = nonempty[s:s + self.batch_size]
                    enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                         max_length=self.max_length, return_tensors="pt")
                    hs = self.model(**enc).last_hidden_state
                    mask = enc["attention_mask"].unsqueeze(-1).to(hs.dtype)
                    pooled = (hs * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                    pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                    vecs = pooled.float().cpu().numpy()
                    if out is None:
                        out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
                    out[idx] = vecs
                    if progress is not None:
                        progress.update(len(idx))
        finally:
            torch.set_num_threads(previous)
        if progress is not None and len(nonempty) < len(texts):
            progress.update(len(texts) - len(nonempty))
        return out if out is not None else np.zeros((len(texts), 0), dtype=np.float32)


def load_transformer(name: str, root: Path | None = None, *, max_length: int = 128,
                     batch_size: int = 64) -> TransformerEmbedder:
    """Load a local encoder (offline, ``local_files_only``, never ``trust_remote_code``).

    Raises :class:`EmbedderUnavailable` when transformers/torch are missing or the model cannot be
    found or loaded.
    """
    spec = resolve_model(name, root)
    try:
        import torch  # noqa: F401
        from transformers import AutoModel, AutoTokenizer
    except ImportError as e:
        raise EmbedderUnavailable(
            f"the embedding model needs transformers and torch ({e.name or 'a module'} is not installed)",
            f"{INSTALL_HINT} (or drop --embedding-model / embedding-model to use the built-in TF-IDF embeddings)",
        ) from None
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(spec.path), local_files_only=True, trust_remote_code=False)
        # safetensors only: a pickled pytorch_model.bin is code, and ftlint never executes what it reads
        model = AutoModel.from_pretrained(str(spec.path), local_files_only=True, trust_remote_code=False,
                                          use_safetensors=True)
    except Exception as e:  # noqa: BLE001 - any loading problem is the user's model folder
        raise EmbedderUnavailable(
            f"cannot load embedding model '{name}': {type(e).__name__}: {str(e).splitlines()[0][:200]}",
            "point --embedding-model at a transformers encoder folder (config.json, tokenizer files, "
            "model.safetensors); weights stored only as a pickle (pytorch_model.bin) and models that need "
            "custom code are not loaded") from None
    if getattr(tokenizer, "pad_token", None) is None:  # decoder tokenizers: pad with eos (masked out)
        tokenizer.pad_token = getattr(tokenizer, "eos_token", None) or getattr(tokenizer, "unk_token", None)
        if tokenizer.pad_token is None:
            raise EmbedderUnavailable(f"the tokenizer of embedding model '{name}' has no padding token",
                                      "use an encoder model (e.g. a sentence-transformers model folder)")
    model.eval()
    return TransformerEmbedder(spec, tokenizer, model, max_length=max_length, batch_size=batch_size)
