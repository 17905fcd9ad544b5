"""Where ftlint's heavy per-row work runs: one small protocol, two backends.

A :class:`Backend` maps a function over partitions (the results stay where they were computed and
are named by a :class:`Handle`), groups records by a 64-bit key across partitions (the shuffle),
runs a function on the value of one partition, and gathers small results to the driver. The
kernels it runs are ftlint's plain numpy functions (``features.minhash``, ``features.lsh``), the
same in every backend, so an engine changes the cost of a check, never its findings.

- ``local`` (:mod:`ftlint.backend.local`): the driver process plus a process pool sized to the cores.
- ``dask`` (:mod:`ftlint.backend.daskbackend`): ``dask.distributed`` futures on a LocalCluster ftlint
  starts, or on an existing cluster (``--scheduler tcp://host:8786``); ``pip install 'ftlint[dask]'``.

What runs distributed is the duplicate and leakage stage (:mod:`ftlint.backend.dedup`) and benchmark
contamination (:mod:`ftlint.backend.contamination`); the other rules run on the driver over the
loaded data.
"""

from __future__ import annotations

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

__all__ = ["ENGINES", "Backend", "EngineError", "EngineOptions", "Handle", "KeyFn", "ReduceFn", "bucket_of",
           "concat_bucket", "open_backend", "split_buckets"]


def open_backend(options: EngineOptions, echo: Callable[[str], None] | None = None) -> Backend:
    """Start (or join) the backend ``options`` name. Raises :class:`EngineError`."""
    if options.name == "local":
        from ftlint.backend.local import LocalBackend

        return LocalBackend(options.workers)
    if options.name == "dask":
        from ftlint.backend.daskbackend import DaskBackend

        return DaskBackend(options, echo)
    raise EngineError(f"unknown engine '{options.name}' (expected one of: {', '.join(ENGINES)})")
