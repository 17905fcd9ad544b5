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

from collections.abc import Callable

from ftlint.backend.base import (
    AUTO_ROWS,
    ENGINES,
    Backend,
    EngineError,
    EngineOptions,
    Handle,
    KeyFn,
    ReduceFn,
    bucket_of,
    concat_bucket,
    default_workers,
    split_buckets,
)

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
