"""Offline language identification for the relevance rules (FT404).

Uses ``py3langid`` (a maintained fork of langid.py: a naive-Bayes byte n-gram model of 97
languages that ships inside the package, so nothing is downloaded; deterministic; ~17k short
texts per second on one core here). A text is ``"und"`` (undetermined) when it has fewer than
``min_chars`` letters or the detector's normalised confidence is below ``min_confidence``: short
instructions such as "Calculate 5 x 3." are otherwise assigned to random small languages.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
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


@functools.cache
def _identifier() -> Any:
    """py3langid's identifier, scoring in float64 with numpy's own sums instead of a float32 BLAS
    product (whose last bits depend on the BLAS kernel), so that no language wins by a rounding
    error on one machine and loses on another. Loaded once per process (about 0.9 s; read-only)."""
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

    return Float64Identifier.from_model_file(MODEL_FILE, norm_probs=True)


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
