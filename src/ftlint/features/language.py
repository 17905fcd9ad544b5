"""Offline language identification for the relevance rules (FT404).

Uses ``py3langid`` (a maintained fork of langid.py: a naive-Bayes byte n-gram model of 97
languages that ships inside the package, so nothing is downloaded; deterministic; ~17k short
texts per second on one core here). A text is ``"und"`` (undetermined) when it has fewer than
``min_chars`` letters or the detector's normalised confidence is below ``min_confidence``: short
instructions such as "Calculate 5 x 3." are otherwise assigned to random small languages.
"""

from __future__ import annotations

import functools
import struct
import sys
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["UNDETERMINED", "Languages", "LanguageDetector", "detect_languages", "shared_detector"]

UNDETERMINED = "und"
#: characters of a text that the detector reads (its features saturate long before)
MAX_CHARS = 2000
#: a detection's confidence is compared with ``min_confidence`` at this precision
CONFIDENCE_DECIMALS = 6


@dataclass(frozen=True)
class Languages:
    """The language of each (sampled) row of a split."""

    codes: list[str]  #: ISO 639-1 code per row in ``rows`` ("und": undetermined)
    confidence: npt.NDArray[np.float32]
    rows: npt.NDArray[np.int64]  #: positions in the split (sorted)
    total: int  #: rows in the split

    def shares(self) -> dict[str, float]:
        """Share of each language among the determined rows, largest first."""
        known = [c for c in self.codes if c != UNDETERMINED]
        if not known:
            return {}
        values, counts = np.unique(np.array(known), return_counts=True)
        order = np.argsort(-counts, kind="stable")
        return {str(values[i]): float(counts[i] / len(known)) for i in order}

    @property
    def determined(self) -> int:
        return sum(c != UNDETERMINED for c in self.codes)


def _mapped_model() -> tuple[Any, ...] | None:
    """py3langid's model ``(ptc, pc, classes, nextmove, nextmove_row, out_feat)`` with its two large
    arrays (the 27 MiB naive-Bayes table and the 37 MiB automaton) *mapped* from an anonymous
    temporary file instead of read into memory: only the pages that the texts detected touch are
    ever resident (a few MiB for one language; at most the whole model, as py3langid's own loader
    holds always, plus its copy while it converts). None when the file is not laid out as expected
    (another py3langid version): the caller falls back to py3langid's loader."""
    import lzma
    import mmap
    import shutil
    import tempfile
    import zipfile
    from array import array

    from py3langid.langid import MODEL_DIR, MODEL_FILE

    path = Path(MODEL_FILE)
    path = path if path.is_absolute() else Path(MODEL_DIR) / path
    with tempfile.TemporaryFile(suffix=".npz") as tmp:  # no name on disk; the mapping keeps it alive
        with lzma.open(path) as src:
            shutil.copyfileobj(src, tmp, length=1 << 20)
        tmp.flush()
        mm = mmap.mmap(tmp.fileno(), 0, access=mmap.ACCESS_READ)
        arrays: dict[str, Any] = {}
        starts: dict[str, int] = {}
        with zipfile.ZipFile(tmp) as z:
            for name in ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat"):
                info = z.getinfo(f"{name}.npy")
                if info.compress_type != zipfile.ZIP_STORED:
                    return None
                with z.open(info) as f:
                    version = np.lib.format.read_magic(f)
                    shape, fortran, dtype = (np.lib.format.read_array_header_1_0(f) if version == (1, 0)
                                             else np.lib.format.read_array_header_2_0(f))
                    header = f.tell()
                if fortran or dtype.hasobject:
                    return None
                # the member's data starts after its local header (30 bytes + name + extra field)
                name_len, extra_len = struct.unpack("<HH", mm[info.header_offset + 26:info.header_offset + 30])
                start = info.header_offset + 30 + name_len + extra_len + header
                count = int(np.prod(shape))
                starts[name] = start
                a = np.frombuffer(mm, dtype=dtype, count=count, offset=start).reshape(shape)
                arrays[name] = a if name in ("ptc", "nextmove") else np.array(a)  # the small ones: copied
    nextmove = arrays["nextmove"]
    code = {np.dtype("<u2"): "H", np.dtype("<u4"): "I"}.get(nextmove.dtype)
    if code is None or sys.byteorder != "little" or array(code).itemsize != nextmove.dtype.itemsize:
        return None
    # the automaton is walked one byte at a time in Python: a flat memoryview of the mapped bytes
    nm = memoryview(mm)[starts["nextmove"]:starts["nextmove"] + nextmove.nbytes].cast(code)  # type: ignore[call-overload]
    return (arrays["ptc"], arrays["pc"], arrays["classes"].tolist(), nm,
            array("H" if arrays["nextmove_row"].dtype == np.uint16 else "I", arrays["nextmove_row"].tobytes()),
            array("i", arrays["out_feat"].astype(np.int32).tobytes()))


@functools.cache
def _identifier() -> Any:
    """py3langid's identifier, scoring in float64 with numpy's own sums instead of a float32 BLAS
    product (whose last bits depend on the BLAS kernel), so that no language wins by a rounding
    error on one machine and loses on another. Loaded once per process (about a second), its
    large tables mapped rather than read (:func:`_mapped_model`); read-only."""
    from array import array

    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    if not callable(getattr(LanguageIdentifier, "_sparse_score", None)):  # pragma: no cover - another version
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    class Float64Identifier(LanguageIdentifier):
        __slots__ = ()

        def _sparse_score(self, visits: dict[int, int], table: Any) -> Any:
            idx = np.fromiter(visits.keys(), dtype=np.intp, count=len(visits))
            counts = np.fromiter(visits.values(), dtype=np.float64, count=len(visits))
            weighted = table[idx].astype(np.float64)
            weighted *= np.log1p(counts)[:, None]
            return weighted.sum(axis=0) + self.nb_pc.astype(np.float64)  # row after row: one order everywhere

    try:
        model = _mapped_model()
    except (OSError, ValueError, KeyError, struct.error, zipfile.BadZipFile):  # pragma: no cover - another layout
        model = None
    if model is None:  # pragma: no cover - another py3langid version
        return Float64Identifier.from_model_file(MODEL_FILE, norm_probs=True)
    ptc, pc, classes, nextmove, row, output = model
    ident = Float64Identifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)
    ident._rowbase = array("l", (r << 8 for r in row))  # not a list of 100,000 Python ints
    return ident


#: cells (texts x bytes of the longest) of the automaton walked at once by the batch path (5 bytes
#: each), and of the features then summed at once (about 40 bytes each at the peak): they bound
#: its memory whatever the number of texts; the walk costs a few numpy calls per byte of the
#: longest text of a block, so its blocks are larger
BATCH_CELLS = 1 << 20
FEATURE_CELLS = 1 << 17
#: classes of the model's table converted to float64 at once (each column is summed on its own)
TABLE_COLUMNS = 36


@dataclass(frozen=True)
class _BatchModel:
    """The identifier's tables as numpy arrays, for walking many texts at once."""

    nextmove: npt.NDArray[Any]  #: next state, at ``rowbase[state] + byte``
    rowbase: npt.NDArray[np.int64]
    output: npt.NDArray[np.int32]  #: the feature a state emits, or -1 (one more state at the end: none)
    ptc: npt.NDArray[Any]  #: feature x class log-probabilities (float16, mapped)
    pc: npt.NDArray[np.float64]
    alias_pairs: tuple[tuple[int, int], ...]
    empty: npt.NDArray[np.float64]  #: the scores of a text without features (computed in float32)


@functools.cache
def _batch_model() -> _BatchModel | None:
    """The tables for :meth:`LanguageDetector.scores_many`, or None when the identifier is not
    the float64 one of :func:`_identifier` (another py3langid version): texts are then scored
    one at a time."""
    ident = _identifier()
    if type(ident).__name__ != "Float64Identifier" or not hasattr(ident, "_alias_pairs"):  # pragma: no cover
        return None
    if ident.nb_ptc.ndim != 2 or ident.nb_ptc.shape[1] != len(ident.nb_classes):  # pragma: no cover
        return None
    empty = np.asarray(ident._decide(b""))
    return _BatchModel(np.asarray(ident.tk_nextmove), np.asarray(ident.tk_row, dtype=np.int64) << 8,
                       np.append(np.asarray(ident.tk_output, dtype=np.int32), np.int32(-1)), ident.nb_ptc,
                       np.asarray(ident.nb_pc).astype(np.float64), tuple(ident._alias_pairs),
                       empty.astype(np.float64))


def _encode(text: str) -> bytes:
    """What py3langid reads of a text (its ``LanguageIdentifier._encode`` of a ``str``)."""
    text = text[:MAX_CHARS]
    if text.isupper():
        text = text.lower()
    return unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")


def _bits(n: int) -> int:
    return max(int(n).bit_length(), 1)


def _first_visits(feats: npt.NDArray[np.int32], nf: int) -> tuple[
        npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """Each text's distinct features (``feats``: the feature emitted at each byte position
    (columns) of each text (rows), -1 for none) in the order its walk first met them, with
    their counts: ``(distinct features per text, features, counts)``, texts in order. One sort
    of packed 64-bit keys (text, feature, position) finds each feature's count and first
    position; marked in the text-major grid, the first positions come out in the walk's order."""
    m, width = feats.shape
    pb, fb = _bits(width), _bits(nf)
    if _bits(m) + fb + pb > 63:  # pragma: no cover - a block is never this large (FEATURE_CELLS)
        raise ValueError("block too large to pack")
    emits = feats >= 0
    key = feats.astype(np.int64)
    key <<= pb
    key |= np.arange(width, dtype=np.int64)[None, :]
    key |= (np.arange(m, dtype=np.int64) << (fb + pb))[:, None]
    key = key[emits]
    if not len(key):
        return np.zeros(m, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
    key.sort()
    # runs of one (text, feature): their length is the count, their first key the first visit
    pair = key >> pb
    head = np.flatnonzero(pair[1:] != pair[:-1]) + 1
    del pair
    counts = np.diff(head, prepend=0, append=len(key))
    head = key[np.concatenate(([0], head))]
    del key
    count_at = np.zeros(feats.size, dtype=np.int64)
    count_at[(head >> (fb + pb)) * width + (head & ((1 << pb) - 1))] = counts
    del head, counts
    first = count_at > 0
    return np.count_nonzero(first.reshape(m, width), axis=1), feats.ravel()[first], count_at[first]


def _score_block(enc: list[bytes], model: _BatchModel) -> npt.NDArray[np.float64]:
    """The scores of a block of encoded texts, longest first: py3langid's ``_decide`` of each,
    bit for bit. The automaton is walked for every text at once, one byte position at a time;
    then, a part of the block at a time (:data:`FEATURE_CELLS`), each text's distinct features
    are summed in the order its walk first met them, with the weight log1p(count) (scipy's CSR
    product adds row after row into zeros, as numpy's sum over the first axis does in the
    one-text path), so that every rounding is the same."""
    m = len(enc)
    lens = np.fromiter(map(len, enc), dtype=np.int64, count=m)
    width = int(lens[0]) if m else 0
    scores = np.empty((m, len(model.pc)), dtype=np.float64)
    if width == 0:
        scores[:] = model.empty
        return scores
    # bytes position-major (one position's bytes for all texts contiguous), zero-padded
    data = np.zeros((width, m), dtype=np.uint8)
    data.T[np.arange(width)[None, :] < lens[:, None]] = np.frombuffer(b"".join(enc), dtype=np.uint8)
    active = (m - np.searchsorted(lens[::-1], np.arange(width), side="right")).tolist()  # texts longer than p
    nf = len(model.output) - 1
    states = np.full((width, m), nf, dtype=model.nextmove.dtype)  # past a text's end: a state emitting nothing
    nextmove, rowbase = model.nextmove, model.rowbase
    states[0, :active[0]] = nextmove[rowbase[0] + data[0, :active[0]]]
    for p in range(1, width):
        k = active[p]
        states[p, :k] = nextmove[rowbase[states[p - 1, :k]] + data[p, :k]]
    del data
    empty = np.zeros(m, dtype=bool)
    step = max(1, FEATURE_CELLS // width)
    for a in range(0, m, step):
        b = min(m, a + step)
        top = int(lens[a])
        feats = np.ascontiguousarray(model.output[states[:top, a:b]].T)
        empty[a:b] = _sum_features(feats, nf, model, scores[a:b])
    del states
    scores += model.pc
    # py3langid's norm_probs: T = sqrt(bytes), a softmax, then aliased columns folded
    scores *= (1.0 / np.sqrt(np.maximum(lens, 1).astype(np.float64)))[:, None]
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    for i, j in model.alias_pairs:
        scores[:, i] += scores[:, j]
        scores[:, j] = 0.0
    scores[empty] = model.empty  # no feature: py3langid scores in float32
    return scores


def _sum_features(feats: npt.NDArray[np.int32], nf: int, model: _BatchModel,
                  out: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """``out[t]`` = the sum, in first-visit order, of log1p(count) times each distinct feature's
    row of the model (float64) for each text ``t`` (rows of ``feats``); returns which texts have
    no feature."""
    distinct, feat, counts = _first_visits(feats, nf)
    used = np.zeros(nf, dtype=bool)
    used[feat] = True
    cols = (np.cumsum(used, dtype=np.int32) - 1)[feat]
    rows = np.flatnonzero(used)
    indptr = np.zeros(len(feats) + 1, dtype=np.int32)
    np.cumsum(distinct, out=indptr[1:])
    weights = np.log1p(counts.astype(np.float64))
    matvecs = _csr_matvecs()
    visits = None
    if matvecs is None:  # pragma: no cover - another scipy layout: through scipy.sparse
        from scipy import sparse

        visits = sparse.csr_matrix((weights, cols, indptr), shape=(len(feats), len(rows)))
    for c in range(0, out.shape[1], TABLE_COLUMNS):  # the model's rows as float64, a few classes at a time
        table = model.ptc[rows, c:c + TABLE_COLUMNS].astype(np.float64)
        if visits is not None:  # pragma: no cover
            out[:, c:c + TABLE_COLUMNS] = visits @ table
            continue
        part = np.zeros((len(feats), table.shape[1]))  # what scipy's CSR product starts from
        matvecs(len(feats), len(rows), table.shape[1], indptr, cols, weights, table.ravel(), part.ravel())
        out[:, c:c + TABLE_COLUMNS] = part
    return distinct == 0


@functools.cache
def _csr_matvecs() -> Any:
    """scipy's CSR x dense kernel (``scipy.sparse._sparsetools.csr_matvecs``: each row's entries
    added in order into zeros), the one ``csr_matrix @ ndarray`` runs, loaded on its own:
    importing ``scipy.sparse`` for it costs about 23 MiB of resident memory (the whole package and
    what it imports), the extension alone about 2 MiB, in every check that detects a language. The
    package itself is not imported (``find_spec`` only locates it). None when the extension is not
    where this scipy layout keeps it, or does not load: :func:`_sum_features` then goes through
    ``scipy.sparse``, with the same result."""
    import importlib.machinery
    import importlib.util

    try:
        spec = importlib.util.find_spec("scipy")
        for loc in (spec.submodule_search_locations or []) if spec is not None else []:
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                path = Path(loc) / "sparse" / f"_sparsetools{suffix}"
                if not path.is_file():
                    continue
                ext = importlib.util.spec_from_file_location("scipy.sparse._sparsetools", path)
                if ext is None or ext.loader is None:
                    return None
                module = importlib.util.module_from_spec(ext)
                ext.loader.exec_module(module)
                fn = getattr(module, "csr_matvecs", None)
                return fn if callable(fn) else None
    except (ImportError, OSError, ValueError):  # pragma: no cover - another layout
        return None
    return None  # pragma: no cover


class LanguageDetector:
    """py3langid's model, loaded once per process."""

    def __init__(self) -> None:
        self._ident: Any = _identifier()

    @property
    def classes(self) -> list[str]:
        """The model's class of each column of :meth:`scores_many` (a label may recur: its first
        column holds its score)."""
        return [str(c) for c in self._ident.nb_classes]

    def classify(self, text: str) -> tuple[str, float]:
        code, conf = self._ident.classify(text[:MAX_CHARS])
        return str(code), round(float(conf), CONFIDENCE_DECIMALS)

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Every language with its normalised probability, most likely first."""
        return [(str(c), float(p)) for c, p in self._ident.rank(text[:MAX_CHARS])]

    def score_blocks(self, texts: Sequence[str]) -> Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
        """The normalised probabilities of every class (columns as :attr:`classes`) of ``texts``,
        a block at a time: ``(positions in texts, scores)``; exactly what :meth:`classify` and
        :meth:`rank` compute one text at a time, many times faster. Blocks hold texts of about
        one length (:data:`BATCH_CELLS`), so memory is bounded whatever ``len(texts)``."""
        model = _batch_model()
        n = len(texts)
        if model is None:  # pragma: no cover - another py3langid version: one text at a time
            for lo in range(0, n, 1024):
                idx = np.arange(lo, min(n, lo + 1024), dtype=np.int64)
                yield idx, np.array([self._ident._decide(texts[i][:MAX_CHARS]) for i in idx.tolist()],
                                    dtype=np.float64).reshape(len(idx), -1)
            return
        enc = [_encode(t) for t in texts]
        lens = np.fromiter(map(len, enc), dtype=np.int64, count=n)
        order = np.argsort(-lens, kind="stable")
        lo = 0
        while lo < n:
            hi = min(n, lo + max(1, BATCH_CELLS // max(int(lens[order[lo]]), 1)))
            idx = order[lo:hi]
            yield idx, _score_block([enc[i] for i in idx.tolist()], model)
            lo = hi

    def classify_many(self, texts: Sequence[str]) -> tuple[list[str], list[float]]:
        """:meth:`classify` of each text (the same codes and confidences), in a batch."""
        classes = self.classes
        codes: list[str] = [""] * len(texts)
        conf: list[float] = [0.0] * len(texts)
        for idx, scores in self.score_blocks(texts):
            best = scores.argmax(axis=1)
            for i, b, c in zip(idx.tolist(), best.tolist(), scores[np.arange(len(idx)), best].tolist(), strict=True):
                codes[i], conf[i] = classes[b], round(c, CONFIDENCE_DECIMALS)
        return codes, conf


_SHARED: LanguageDetector | None = None


def shared_detector() -> LanguageDetector:
    """One detector per process (loading the model takes about a second)."""
    global _SHARED  # noqa: PLW0603 - loaded once per process, on first use
    if _SHARED is None:
        _SHARED = LanguageDetector()
    return _SHARED


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text[:MAX_CHARS])


def detect_languages(texts: Sequence[str], detector: LanguageDetector | None = None, *,
                     min_confidence: float = 0.5, min_chars: int = 20,
                     progress: Any = None) -> tuple[list[str], npt.NDArray[np.float32]]:
    """The language code and confidence of each text (``"und"`` and 0 when undetermined)."""
    det = detector or LanguageDetector()
    codes: list[str] = []
    conf = np.zeros(len(texts), dtype=np.float32)
    for i, t in enumerate(texts):
        if _letters(t) < min_chars:
            codes.append(UNDETERMINED)
        else:
            code, c = det.classify(t)
            if c >= min_confidence:
                codes.append(code)
                conf[i] = c
            else:
                codes.append(UNDETERMINED)
        if progress is not None and (i + 1) % 1000 == 0:
            progress.update(1000)
    if progress is not None and len(texts) % 1000:
        progress.update(len(texts) % 1000)
    return codes, conf
