"""Batched text normalisation and long word-n-gram matching (benchmark contamination).

Two things live here:

- :func:`canonical_batch`: the normalised UTF-8 bytes of many texts at once, identical to
  ``normalize(text).encode("utf-8", "surrogatepass")`` (``features.text.normalize``: NFKC,
  case-folded, whitespace collapsed) but about 2.5x faster on ASCII text, because the
  whitespace is collapsed in numpy over one blob per batch instead of by ``str.split`` and
  ``str.join`` per text. Non-ASCII texts go through ``normalize`` itself, so the result is the
  one normaliser's by construction. With ``punctuation=True`` ASCII punctuation becomes
  whitespace first (the n-gram view used for contamination, robust to re-punctuated copies).
- :class:`NgramIndex`: the set of 64-bit hashes of every ``n``-word window (13 words by default)
  of a collection of texts (the benchmark or held-out files), built once, and queried with
  other texts streamed through it in batches. The hashes are MinHash's shingle hashes
  (``minhash.shingle_hashes`` with ``ngram=n``: one code path for word n-grams), so a window
  is the UTF-8 bytes of ``n`` whitespace-separated tokens of the canonical text; texts with
  fewer than ``n`` tokens have no windows (never MinHash's character-n-gram fallback).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from ftlint.features.minhash import shingle_hashes
from ftlint.features.text import normalize

__all__ = ["DEFAULT_NGRAM", "NgramIndex", "NgramMatch", "canonical_batch", "token_count", "window_hashes"]

#: Window length of the contamination check (GPT-3's and most decontamination reports' 13-gram).
DEFAULT_NGRAM: Final[int] = 13

#: ASCII bytes that ``str.split()`` treats as whitespace (space, \t \n \v \f \r, \x1c-\x1f).
_WHITESPACE: Final[tuple[int, ...]] = (9, 10, 11, 12, 13, 28, 29, 30, 31, 32)
_PUNCT: Final[bytes] = b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_TABLE: Final[bytes] = bytes(32 if b in _WHITESPACE else b for b in range(256))
_TABLE_PUNCT: Final[bytes] = bytes(32 if (b in _WHITESPACE or b in _PUNCT) else b for b in range(256))
_SEP: Final[int] = 1  # a non-whitespace byte between the texts of a batch
#: Bits of the membership prefilter of an index (2**24 bits = 2 MiB).
_FILTER_BITS: Final[int] = 24


def _slow(text: str, punctuation: bool) -> bytes:
    out = normalize(text)
    if punctuation:
        out = normalize(out.encode("utf-8", "surrogatepass").translate(_TABLE_PUNCT).decode("utf-8", "surrogatepass"))
    return out.encode("utf-8", "surrogatepass")


def canonical_batch(texts: Sequence[str], *, punctuation: bool = False) -> list[bytes]:
    """The normalised UTF-8 bytes of every text: ``normalize(t).encode("utf-8", "surrogatepass")``.

    With ``punctuation=True``, ASCII punctuation is turned into whitespace after normalising
    (then whitespace is collapsed again), so ``"Paris."`` and ``"paris"`` give the same tokens.
    Batches of a few thousand texts are fastest (one blob each).
    """
    n = len(texts)
    if n == 0:
        return []
    parts = [t.lower() if t.isascii() else normalize(t) for t in texts]
    blob = "\x01".join(parts).encode("utf-8", "surrogatepass")
    a = np.frombuffer(blob.translate(_TABLE_PUNCT if punctuation else _TABLE), dtype=np.uint8)
    if a.size == 0:
        return [b""] * n
    sep = a == _SEP
    if int(np.count_nonzero(sep)) != n - 1:  # a text holds the separator byte itself: no shortcut
        return [_slow(t, punctuation) for t in texts]
    space = a == 32
    # Drop a space that follows a space, a separator or the start; then a space before a
    # separator or the end (the one space left of a trailing run).
    after = np.empty_like(space)
    after[0] = True
    np.logical_or(space[:-1], sep[:-1], out=after[1:])
    keep = ~(space & after)
    a, space, sep = a[keep], space[keep], sep[keep]
    if a.size == 0:
        return [b""] * n
    before = np.empty_like(space)
    before[-1] = True
    before[:-1] = sep[1:]
    out = a[~(space & before)].tobytes()
    return out.split(b"\x01")


def token_count(canonical: bytes) -> int:
    """Tokens of a canonical text (single spaces between tokens)."""
    return canonical.count(b" ") + 1 if canonical else 0


def window_hashes(texts: Sequence[bytes], n: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The ``n``-word window hashes of canonical texts, CSR-style like ``shingle_hashes`` (sorted,
    distinct per text); texts with fewer than ``n`` tokens have none."""
    decoded = [t.decode("utf-8", "surrogatepass") if token_count(t) >= n else "" for t in texts]
    return shingle_hashes(decoded, n)


@dataclass(frozen=True)
class NgramMatch:
    """A queried text that shares at least one window with the index."""

    position: int
    """Position of the text in the queried sequence."""
    hashes: npt.NDArray[np.uint64]
    """The shared window hashes (sorted, distinct)."""
    source: int
    """The indexed text holding the first shared window (lowest hash), as given to ``build``."""


class NgramIndex:
    """Every ``n``-word window of a collection of texts, as sorted 64-bit hashes.

    ``build(texts)`` indexes canonical texts (bytes from :func:`canonical_batch`); ``query``
    streams other canonical texts through it. Memory: 16 bytes per distinct window plus a
    2 MiB prefilter bitmap.
    """

    def __init__(self, n: int = DEFAULT_NGRAM) -> None:
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        self.n = n
        self.hashes: npt.NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)
        self.sources: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._filter: npt.NDArray[np.bool_] = np.zeros(1 << _FILTER_BITS, dtype=np.bool_)

    def __len__(self) -> int:
        return int(self.hashes.size)

    def _window_hashes(self, texts: Sequence[bytes]) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
        """``shingle_hashes`` of texts with at least ``n`` tokens (shorter ones: no windows)."""
        return window_hashes(texts, self.n)

    def build(self, texts: Iterable[Sequence[bytes]]) -> NgramIndex:
        """Index the windows of canonical texts, given as batches; returns ``self``."""
        values: list[npt.NDArray[np.uint64]] = []
        sources: list[npt.NDArray[np.int64]] = []
        base = 0
        for batch in texts:
            v, off = self._window_hashes(batch)
            values.append(v)
            sources.append(base + np.repeat(np.arange(len(batch), dtype=np.int64), np.diff(off)))
            base += len(batch)
        if values:
            h = np.concatenate(values)
            src = np.concatenate(sources)
            order = np.lexsort((src, h))  # by hash, then lowest source first
            h, src = h[order], src[order]
            first = np.ones(h.size, dtype=bool)
            first[1:] = h[1:] != h[:-1]
            self.hashes, self.sources = h[first], src[first]
        self._filter[:] = False
        self._filter[(self.hashes & np.uint64((1 << _FILTER_BITS) - 1)).astype(np.int64)] = True
        return self

    def query(self, texts: Sequence[bytes]) -> list[NgramMatch]:
        """The texts (canonical) that share a window with the index, in order."""
        if not len(self) or not texts:
            return []
        values, offsets = self._window_hashes(texts)
        maybe = np.flatnonzero(self._filter[(values & np.uint64((1 << _FILTER_BITS) - 1)).astype(np.int64)])
        if maybe.size == 0:
            return []
        pos = np.searchsorted(self.hashes, values[maybe])
        pos[pos == self.hashes.size] = 0
        hit = self.hashes[pos] == values[maybe]
        idx, where = maybe[hit], pos[hit]
        if idx.size == 0:
            return []
        doc = np.searchsorted(offsets, idx, side="right") - 1
        out: list[NgramMatch] = []
        cuts = np.flatnonzero(np.diff(doc)) + 1
        for d_idx, w in zip(np.split(np.arange(idx.size), cuts), np.split(where, cuts), strict=True):
            d = int(doc[d_idx[0]])
            out.append(NgramMatch(d, values[idx[d_idx]], int(self.sources[w[0]])))
        return out

    def window_text(self, canonical: bytes, hashes: npt.NDArray[np.uint64]) -> str | None:
        """The first window (in text order) of a canonical text whose hash is in ``hashes``."""
        words = canonical.split(b" ")
        if len(words) < self.n:
            return None
        windows = [b" ".join(words[k : k + self.n]).decode("utf-8", "surrogatepass")
                   for k in range(len(words) - self.n + 1)]
        values, _ = shingle_hashes(windows, self.n)  # exactly n tokens each: one hash per window, in order
        first = np.flatnonzero(np.isin(values, hashes))
        return windows[int(first[0])] if first.size else None
