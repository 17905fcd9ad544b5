"""Where ftlint's heavy per-row work runs: one small protocol, two backends.

A :class:`Backend` maps a function over partitions (the results stay where they were computed and
are named by a :class:`Handle`), groups records by a 64-bit key across partitions (the shuffle),
runs a function on the value of one partition, and gathers small results to the driver. The
kernels it runs are ftlint's plain numpy functions (``features.minhash``, ``features.lsh``), the
same in every backend, so an engine changes the cost of a check, never its findings.

- ``local`` (:mod:`ftlint.backend.local`): the driver process plus a process pool sized to the cores.
- ``dask`` (:mod:`ftlint.backend.daskbackend`): ``dask.distributed`` futures on a LocalCluster ftlint
  starts, or on an existing cluster (``--scheduler tcp://host:8786``); ``pip install 'ftlint[dask]'``.

What runs on the engine is the per-row work: a first map over the parts of every split computes the
row hashes (every finding's fingerprint) and FT201-FT203's MinHash, whose band keys are then grouped
through the shuffle (:mod:`ftlint.backend.dedup`), and FT204's window hashes
(:mod:`ftlint.backend.contamination`); a second map computes the per-row artifacts of the selected
rules (:mod:`ftlint.backend.rowmap`: FT005/FT007/FT008/FT009-FT011's scans, FT503/FT504's term
counts, FT701/FT702's scan) while the driver runs the rules that do not read them. The rules run on
the driver over the loaded data and find those artifacts computed. A check of ``AUTO_ROWS`` rows or
more runs on ``local`` unless told otherwise (``--engine none``).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from ftlint.backend.base import (
    ENGINES,
    Backend,
    EngineError,
    EngineOptions,
    Handle,
    KeyFn,
    ReduceFn,
    bucket_of,
    concat_bucket,
    split_buckets,
)

#: rows (all splits together) from which a check runs on the ``local`` engine by default: below, the
#: whole check takes a few seconds and forking workers that re-read their parts of the files costs a
#: visible share of it; above, the per-row rules (FT009-FT011, FT503, FT701/FT702, the hashes and
#: MinHash of FT201-FT203), most of a check's time, run on every core (``--engine none``: in-process)
AUTO_ROWS = 50_000


def default_workers() -> int:
    """The cores this process may run on (its CPU affinity where the platform says)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


__all__ = ["AUTO_ROWS", "ENGINES", "Backend", "EngineError", "EngineOptions", "Handle", "KeyFn", "ReduceFn",
           "bucket_of", "concat_bucket", "default_workers", "open_backend", "split_buckets"]


def open_backend(options: EngineOptions, echo: Callable[[str], None] | None = None) -> Backend:
    """Start (or join) the backend ``options`` name. Raises :class:`EngineError`."""
    if options.name == "local":
        from ftlint.backend.local import LocalBackend

        return LocalBackend(options.workers)
    if options.name == "dask":
        from ftlint.backend.daskbackend import DaskBackend

        return DaskBackend(options, echo)
    raise EngineError(f"unknown engine '{options.name}' (expected one of: {', '.join(ENGINES)})")
