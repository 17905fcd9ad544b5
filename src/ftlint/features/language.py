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
import zipfile
from collections.abc import Sequence
from pathlib import Path
from dataclasses import dataclass
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
    nm = memoryview(mm)[starts["nextmove"]:starts["nextmove"] + nextmove.nbytes].cast(code)
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

    class Float64Identifier(LanguageIdentifier):  # type: ignore[misc, valid-type]
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


class LanguageDetector:
    """py3langid's model, loaded once per process."""

    def __init__(self) -> None:
        self._ident: Any = _identifier()

    def classify(self, text: str) -> tuple[str, float]:
        code, conf = self._ident.classify(text[:MAX_CHARS])
        return str(code), round(float(conf), CONFIDENCE_DECIMALS)

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Every language with its normalised probability, most likely first."""
        return [(str(c), float(p)) for c, p in self._ident.rank(text[:MAX_CHARS])]


_SHARED: LanguageDetector | None = None


def shared_detector() -> LanguageDetector:
    """One detector per process (loading the model takes about a second)."""
    global _SHARED
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
