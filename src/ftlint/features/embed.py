"""Text embeddings for the relevance and drift rules: one interface, two backends.

An :class:`Embedder` turns a list of texts into a float32 matrix with one L2-normalised row per
text (an empty text gets a zero row), batched and vectorised:

- :class:`TfidfSvdEmbedder` (the default; no weights, no network): TF-IDF over hashed word
  1-2-grams and UTF-8 byte 3-5-grams (character n-grams that also work for scripts without
  spaces), computed in numpy for a whole batch at once, reduced with a truncated SVD. It is
  *fitted* (document frequencies, vocabulary, SVD) on a sample of the texts to compare (train and
  reference together, so neither side's vocabulary is missing), then transforms every row.
- :class:`TransformerEmbedder`: a transformers encoder (``AutoModel`` + ``AutoTokenizer``) from a
  local directory or the local Hugging Face cache, never downloaded and never with remote code;
  mean pooling over the attention mask, L2-normalised, batched by length under
  ``torch.inference_mode()``. Needs ``pip install 'ftlint[embeddings]'``.

Heavy libraries (scipy, scikit-learn, torch, transformers) are imported inside the functions that
use them. :class:`Progress` draws a progress bar on stderr for long steps.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Sequence
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
    "Progress",
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


def hashed_ngram_counts(texts: Sequence[str], n_features: int = 1 << 20,
                        char_ngrams: tuple[int, ...] = (3, 4, 5), word_ngrams: int = 2,
                        max_bytes: int = 4000) -> Any:
    """Counts of hashed n-grams of each (lower-cased) text: a ``scipy.sparse`` CSR matrix of shape
    ``(len(texts), 2 * n_features)``; word 1..``word_ngrams``-grams in the first half, UTF-8 byte
    n-grams (``char_ngrams`` lengths, at most 8) in the second.

    Words are maximal runs of ASCII letters, digits, ``_`` and non-ASCII bytes. Each text is cut
    to its first ``max_bytes`` bytes. All hashing happens in numpy on one blob for the batch:
    byte n-grams are packed into a uint64 and mixed; words use a polynomial hash from prefix sums.
    """
    import scipy.sparse as sp

    enc = [t.lower().encode("utf-8", "surrogatepass")[:max_bytes] for t in texts]
    n = len(enc)
    lens = np.fromiter(map(len, enc), dtype=np.int64, count=n)
    blob = _FOLD[np.frombuffer(b"\x00".join(enc) + b"\x00", dtype=np.uint8)]
    size = len(blob)
    doc = np.repeat(np.arange(n, dtype=np.int64), lens + 1)
    b64 = blob.astype(np.uint64)
    nf = np.uint64(n_features)
    rows: list[npt.NDArray[np.int64]] = []
    cols: list[npt.NDArray[np.int64]] = []
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
        rows.append(doc[:m][valid])
        cols.append((h % nf).astype(np.int64) + n_features)
    if word_ngrams >= 1:
        w = _WORD_BYTE[blob].astype(np.int8)
        edges = np.diff(np.concatenate([[0], w, [0]]))
        ws = np.flatnonzero(edges == 1)
        we = np.flatnonzero(edges == -1)
        if len(ws):
            pw = powers(_BASE, size)
            prefix = np.zeros(size + 1, dtype=np.uint64)
            np.cumsum(b64 * pw, out=prefix[1:])
            inv = powers(_BASE_INV, size)
            hw = fmix64((prefix[we] - prefix[ws]) * inv[ws])
            wdoc = doc[ws]
            rows.append(wdoc)
            cols.append((hw % nf).astype(np.int64))
            hprev, dprev = hw, wdoc
            for g in range(2, word_ngrams + 1):
                same = dprev[:-1] == wdoc[g - 1:]
                hg = fmix64(hprev[:-1] * np.uint64(_GOLDEN) + hw[g - 1:] + np.uint64(g))
                rows.append(wdoc[g - 1:][same])
                cols.append((hg[same] % nf).astype(np.int64))
                hprev, dprev = hg, dprev[:-1]
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    x = sp.csr_matrix((np.ones(len(r), dtype=np.float32), (r, c)), shape=(n, 2 * n_features))
    x.sum_duplicates()
    return x


# -- TF-IDF + SVD ------------------------------------------------------------------------------------


def _orthonormal(y: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
    """An orthonormal basis of the columns of ``y`` (QR in float64)."""
    from scipy.linalg import qr

    q, _ = qr(np.asarray(y, dtype=np.float64), mode="economic", check_finite=False)
    return np.asarray(q)


def _top_right_singular_vectors(x: Any, k: int, *, n_iter: int = 3, oversample: int = 10,
                                seed: int = 0, block: int = 8192) -> npt.NDArray[np.float32]:
    """The top ``k`` right singular vectors (rows of ``Vt``) of the sparse ``x`` (n x V, n < V
    usually; a scipy sparse matrix or :class:`_RowBlocks`), by a randomized range finder (Halko et
    al.) whose orthonormalisations all happen on the n-row side: only ``x @ dense`` and ``x.T @
    dense`` touch the wide side, so the cost is a few sparse passes plus QRs of n x (k + oversample) matrices.

    Same vectors on every machine: the sparse products are scipy's own loops (no BLAS), every
    dense step (QR, the small Gram matrix and its eigenvectors) runs in float64, whose last-bit
    differences between BLAS kernels vanish when the result is stored as float32, and each
    vector's sign is fixed (its largest entry positive). The wide (V-row) matrices stay float32
    and are reduced ``block`` rows at a time."""
    from ftlint.features.drift import single_threaded_blas

    if not isinstance(x, _RowBlocks):
        x = _RowBlocks([x.tocsr()], x.shape[1])
    with single_threaded_blas():
        return _randomized_svd(x, k, n_iter=n_iter, oversample=oversample, seed=seed, block=block)


def _randomized_svd(x: Any, k: int, *, n_iter: int, oversample: int, seed: int, block: int) -> npt.NDArray[np.float32]:
    from scipy.linalg import eigh

    n, v = x.shape
    width = min(k + oversample, n, v)
    rng = np.random.default_rng(seed)
    q = _orthonormal(x.dot(rng.standard_normal((v, width), dtype=np.float32)))
    for _ in range(n_iter):
        z = x.tdot(q.astype(np.float32))
        q = _orthonormal(x.dot(z))
        del z
    bt = x.tdot(q.astype(np.float32))  # (q.T @ x).T: V x width, float32
    # the SVD of the short, wide b = bt.T through its small Gram matrix: b b^T = U S^2 U^T, Vt = S^-1 U^T b
    gram = np.zeros((width, width), dtype=np.float64)
    for lo in range(0, v, block):
        part = bt[lo:lo + block].astype(np.float64)
        gram += part.T @ part
    evals, evecs = eigh(gram, check_finite=False)
    top = np.argsort(evals, kind="stable")[::-1][:k]
    sing = np.sqrt(np.maximum(evals[top], 0.0))
    keep = sing > sing[0] * 1e-6 if len(sing) and sing[0] > 0 else np.zeros(len(sing), dtype=bool)
    u = evecs[:, top[keep]] / sing[keep][None, :]  # width x kept
    vt = np.zeros((k, v), dtype=np.float32)
    kept = int(keep.sum())
    for lo in range(0, v, block):
        vt[:kept, lo:lo + block] = (bt[lo:lo + block].astype(np.float64) @ u).T
    del bt
    for r in range(kept):  # the largest entry of each vector positive (float32: the same on every machine)
        if vt[r, np.argmax(np.abs(vt[r]))] < 0:
            vt[r] *= np.float32(-1.0)
    return vt


class _RowBlocks:
    """The CSR matrices ``parts`` (same width) as one matrix stacked by rows, for the products the
    SVD needs (``x @ dense`` and ``x.T @ dense``) without a stacked copy of the data."""

    def __init__(self, parts: list[Any], width: int) -> None:
        self.parts = parts
        self.starts = np.cumsum([0] + [p.shape[0] for p in parts])
        self.shape = (int(self.starts[-1]), width)
        self.nnz = sum(int(p.nnz) for p in parts)

    def dot(self, dense: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        out = np.zeros((self.shape[0], dense.shape[1]), dtype=np.float32)
        for p, lo in zip(self.parts, self.starts.tolist()):
            out[lo:lo + p.shape[0]] = p @ dense
        return out

    def tdot(self, dense: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        out = np.zeros((self.shape[1], dense.shape[1]), dtype=np.float32)
        for p, lo in zip(self.parts, self.starts.tolist()):
            out += p.T @ dense[lo:lo + p.shape[0]]  # p.T: a CSC view, no copy
        return out


@dataclass
class TfidfSvdEmbedder:
    """TF-IDF of hashed word and byte n-grams, reduced by a truncated SVD fitted on a sample."""

    dims: int = 128
    char_ngrams: tuple[int, ...] = (3, 4, 5)
    word_ngrams: int = 2
    n_features: int = 1 << 20
    max_bytes: int = 4000
    #: features kept: those in at least ``min_df`` fitted texts, at most ``max_vocab`` per half
    min_df: int = 2
    max_vocab: int = 1 << 14
    seed: int = 0
    #: texts hashed at once (the counts of a batch take ~80 bytes per n-gram while they are built)
    batch_size: int = 256
    #: power iterations of the randomized SVD
    svd_iter: int = 3
    #: filled by :meth:`fit`
    fitted_rows: int = 0
    _columns: Any = field(default=None, repr=False)  # feature -> compact column (-1: dropped)
    _idf: Any = field(default=None, repr=False)
    _halves: Any = field(default=None, repr=False)  # compact column -> 0 (words) / 1 (bytes)
    _components: Any = field(default=None, repr=False)  # (dims, vocabulary) float32

    backend = "tfidf"

    @property
    def identity(self) -> str:
        return (f"tfidf-svd v2 dims={self.dims} char={self.char_ngrams} word={self.word_ngrams} "
                f"nf={self.n_features} max_bytes={self.max_bytes} min_df={self.min_df} "
                f"vocab={self.max_vocab} seed={self.seed}")

    def describe(self) -> str:
        return (f"TF-IDF of word 1-{self.word_ngrams}-grams and byte "
                f"{min(self.char_ngrams)}-{max(self.char_ngrams)}-grams + SVD({self.dims}), "
                f"fitted on {self.fitted_rows:,} rows")

    def _counts(self, texts: Sequence[str]) -> Any:
        return hashed_ngram_counts(texts, self.n_features, self.char_ngrams, self.word_ngrams, self.max_bytes)

    def fit(self, texts: Sequence[str], progress: Progress | None = None) -> TfidfSvdEmbedder:
        """Learn document frequencies, the vocabulary and the SVD from ``texts`` (a sample).

        Two passes over the texts, one batch at a time: the document frequencies first, then the
        TF-IDF matrix on the kept vocabulary (the texts are hashed twice rather than holding the
        counts of every n-gram). Memory: that matrix (8 bytes per kept n-gram of a text) and the
        float32 components (dims x vocabulary)."""
        texts = list(texts)
        n = len(texts)
        df = np.zeros(2 * self.n_features, dtype=np.int32)
        for s in range(0, n, self.batch_size):
            features, counts = np.unique(self._counts(texts[s:s + self.batch_size]).indices, return_counts=True)
            df[features] += counts.astype(np.int32)
            if progress is not None:
                progress.update(min(self.batch_size, n - s))
        keep = np.zeros(2 * self.n_features, dtype=bool)
        for half in (0, 1):
            lo, hi = half * self.n_features, (half + 1) * self.n_features
            cand = np.flatnonzero(df[lo:hi] >= min(self.min_df, max(n, 1)))
            if len(cand) > self.max_vocab:  # the most frequent; of equally frequent, the lowest feature
                cand = np.sort(cand[np.argsort(-df[lo:hi][cand], kind="stable")[:self.max_vocab]])
            keep[lo + cand] = True
        cols = np.flatnonzero(keep)
        columns = np.full(2 * self.n_features, -1, dtype=np.int32)
        columns[cols] = np.arange(len(cols), dtype=np.int32)
        self._columns = columns
        self._idf = (np.log((1.0 + n) / (1.0 + df[cols])) + 1.0).astype(np.float32)
        self._halves = (cols >= self.n_features).astype(np.int8)
        self.fitted_rows = n
        del df
        weighted = [self._weighted(self._counts(texts[s:s + self.batch_size])) for s in range(0, n, self.batch_size)]
        tf = _RowBlocks(weighted, len(self._idf))
        k = max(1, min(self.dims, tf.shape[0] - 1, tf.shape[1] - 1)) if min(tf.shape) > 1 else 1
        if tf.nnz == 0 or min(tf.shape) < 2:
            self._components = np.zeros((1, max(tf.shape[1], 1)), dtype=np.float32)
            return self
        self._components = _top_right_singular_vectors(tf, k, n_iter=self.svd_iter, seed=self.seed)
        return self

    def _weighted(self, counts: Any) -> Any:
        """Sublinear TF-IDF on the kept columns, each half (words, bytes) L2-normalised."""
        import scipy.sparse as sp

        n = counts.shape[0]
        r = np.repeat(np.arange(n, dtype=np.int64), np.diff(counts.indptr))
        col = self._columns[counts.indices]
        ok = col >= 0
        r, c = r[ok], col[ok]
        v = (1.0 + np.log(counts.data[ok])) * self._idf[c]
        slot = r * 2 + self._halves[c]
        sq = np.bincount(slot, weights=v * v, minlength=2 * n)
        norm = np.sqrt(sq, dtype=np.float64)[slot].astype(np.float32)
        v /= np.where(norm > 0, norm, np.float32(1.0))
        return sp.csr_matrix((v, (r, c)), shape=(n, len(self._idf)))

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> npt.NDArray[np.float32]:
        if self._components is None:
            raise RuntimeError("TfidfSvdEmbedder.embed before fit")
        texts = list(texts)
        out = np.zeros((len(texts), self._components.shape[0]), dtype=np.float32)
        if self._idf is None or len(self._idf) == 0 or self._components.shape[1] != len(self._idf):
            return out  # nothing was learnt (no n-gram occurs often enough): every text embeds to zero
        comp_t = self._components.T
        for s in range(0, len(texts), self.batch_size):
            batch = texts[s:s + self.batch_size]
            tf = self._weighted(self._counts(batch))
            out[s:s + len(batch)] = tf @ comp_t
            if progress is not None:
                progress.update(len(batch))
        return _l2_rows(out)


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
        try:
            from huggingface_hub import snapshot_download
        except ImportError:
            snap = None
        else:
            try:
                snap = Path(snapshot_download(repo_id=name, local_files_only=True))
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
