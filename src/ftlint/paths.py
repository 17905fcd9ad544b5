"""Paths as reports and fingerprints write them."""

from __future__ import annotations

import os
from pathlib import Path


def relative_posix(path: str | os.PathLike[str], base: str | os.PathLike[str]) -> str | None:
    """``path`` relative to ``base`` (both resolved first), with forward slashes; None where there
    is no such path (another drive on Windows) or one of them cannot be resolved (a symlink loop)."""
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path(base).resolve())).as_posix()
    except (ValueError, RuntimeError, OSError):
        return None
