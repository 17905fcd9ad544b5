"""Vectorised 64-bit hashing shared by MinHash shingles and the hashed n-gram embedder."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)


def fmix64(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """MurmurHash3's 64-bit finaliser of each value (wrapping uint64 arithmetic)."""
    h = h ^ (h >> _S33)
    h *= _M1
    h ^= h >> _S33
    h *= _M2
    h ^= h >> _S33
    return h


def powers(base: int, n: int) -> npt.NDArray[np.uint64]:
    """``base**k mod 2**64`` for k in range(n)."""
    out = np.full(n, base, dtype=np.uint64)
    if n:
        out[0] = 1
        np.cumprod(out, out=out)
    return out
