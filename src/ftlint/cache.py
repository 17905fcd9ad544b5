"""The on-disk artifact cache (``.ftlint_cache/``), keyed by content hash and parameters."""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import xxhash

CACHE_DIR_NAME = ".ftlint_cache"


def cache_key(*parts: Any) -> str:
    """A stable key from the artifact name, its parameters and input content hashes."""
    from ftlint import __version__

    h = xxhash.xxh3_128()
    h.update(f"ftlint {__version__}".encode())
    for p in parts:
        h.update(b"\x1f")
        h.update(repr(p).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


class Cache:
    """A directory of pickled artifacts. Disabled (a no-op) with ``--no-cache``."""

    def __init__(self, root: Path | None, enabled: bool = True) -> None:
        self.root = root
        self.enabled = enabled and root is not None
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / f"{key}.pkl"

    def get(self, key: str) -> Any | None:
        if not self.enabled:
            return None
        p = self._path(key)
        try:
            with open(p, "rb") as fh:
                value = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        if not self.enabled:
            return
        p = self._path(key)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            gitignore = self.root / ".gitignore"  # type: ignore[operator]
            if not gitignore.exists():
                gitignore.write_text("# created by ftlint\n*\n")
            fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, p)
        except OSError:
            # a read-only project must still be checkable: caching is an optimisation only
            self.enabled = False
