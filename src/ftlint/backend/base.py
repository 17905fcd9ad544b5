"""The backend protocol and the shuffle helpers every backend shares (see :mod:`ftlint.backend`)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ftlint.errors import FtlintError

ENGINES = ("local", "dask")
#: rows (all splits together) from which a check runs on the ``local`` engine by default: below, the
#: whole check takes a few seconds and forking workers that re-read their parts of the files costs a
#: visible share of it; above, the per-row rules (FT005-FT011, FT503, FT701/FT702, the hashes and
#: MinHash of FT201-FT203), most of a check's time, run on every core (``--engine none``: in-process)
AUTO_ROWS = 50_000


def default_workers() -> int:
    """The cores this process may run on (its CPU affinity where the platform says)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class EngineError(FtlintError):
    """The engine could not run the check (a cluster that cannot be reached, a worker that kept
    dying, a missing extra): exit 2 with the reason, never a partial report."""


#: a partition's result where it was computed (a list slot, a Dask future)
Handle = Any


#: ``key_fn(value, arg) -> (keys uint64 (m,), payload (m, k) int64/uint64)``: the records of a partition
KeyFn = Callable[[Any, Any], tuple[np.ndarray, np.ndarray]]
#: ``reduce_fn(keys, payload, arg) -> small result``: one bucket's records (every key whole)
ReduceFn = Callable[[np.ndarray, np.ndarray, Any], Any]


class Pending(Protocol):
    """A map that was started and runs while the driver does other work."""

    def result(self) -> list[Handle]:
        """Wait for every item; their handles (raises as :meth:`Backend.map` would)."""
        ...


class Backend(Protocol):
    name: str
    #: processes that compute (for sizing partitions and reduce buckets)
    workers: int

    def map(self, fn: Callable[..., Any], items: Sequence[Any], *args: Any) -> list[Handle]:
        """``fn(item, *args)`` for each item; the results stay where they were computed."""
        ...

    def map_async(self, fn: Callable[..., Any], items: Sequence[Any], *args: Any) -> Pending:
        """:meth:`map`, started and not waited for: the driver goes on while the workers compute."""
        ...

    def group(self, handles: Sequence[Handle], key_fn: KeyFn, reduce_fn: ReduceFn, nparts: int,
              key_args: Sequence[Any] | None = None, reduce_arg: Any = None) -> list[Any]:
        """Shuffle the records ``key_fn`` makes of each partition on their 64-bit key into ``nparts``
        buckets (every record of a key in one bucket, in partition order) and return
        ``reduce_fn(keys, payload, reduce_arg)`` of each bucket."""
        ...

    def call(self, handle: Handle, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(value, *args)`` run where the partition's value is; the (small) result."""
        ...

    def gather(self, handles: Sequence[Handle], fn: Callable[[Any], Any] | None = None) -> list[Any]:
        """The values of ``handles`` (or ``fn(value)`` of each, computed where it is) on the driver."""
        ...

    def describe(self) -> str:
        """One line for the user: the engine, its workers, its dashboard."""
        ...

    def close(self) -> None: ...


#: the largest part of a line-based file, per engine, unless ``[engine] partition-size`` says. A
#: ``local`` worker holds one part's rows as it maps it: with 64 MiB parts the second map's workers
#: took ~150 MiB of their own at 1M chat rows, with 16 MiB ~60 MiB less, in the same time. On
#: ``dask`` 16 MiB parts raised the cluster's peak at 1M rows (2.03 GiB against 1.74: more tasks and
#: results held on the workers), and the 10M-row run was measured with 64 MiB: it keeps those.
PARTITION_SIZE = {"local": 16 << 20, "dask": 64 << 20}


@dataclass(frozen=True)
class EngineOptions:
    """``--engine``/``--workers``/``--scheduler``/``[engine]``: which backend, how big."""

    name: str = "local"
    workers: int | None = None
    scheduler: str | None = None
    #: bytes per partition of a line-based file (default: :data:`PARTITION_SIZE` of the engine)
    partition_size: int = PARTITION_SIZE["local"]


def partition_size(engine: str, configured: int | None) -> int:
    """The part size for ``engine``: the configured one, else the engine's default."""
    return configured if configured else PARTITION_SIZE.get(engine, PARTITION_SIZE["local"])


def bucket_of(keys: np.ndarray, nparts: int) -> np.ndarray:
    """The bucket of each 64-bit key (mixed first, so keys that share low bits still spread)."""
    k = keys.astype(np.uint64, copy=True)
    k ^= k >> np.uint64(31)
    k *= np.uint64(0x9E3779B97F4A7C15)
    k ^= k >> np.uint64(29)
    return (k % np.uint64(max(1, nparts))).astype(np.int64)


def bucket_order(keys: np.ndarray, nparts: int) -> tuple[np.ndarray, list[int]]:
    """The records' order by bucket (record order kept within each) and each bucket's bounds in it:
    bucket ``b`` is ``order[bounds[b]:bounds[b + 1]]``."""
    b = bucket_of(keys, nparts)
    order = np.argsort(b, kind="stable")
    return order, np.searchsorted(b[order], np.arange(nparts + 1)).tolist()


def split_buckets(keys: np.ndarray, payload: np.ndarray, nparts: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """A partition's records cut into ``nparts`` buckets, record order kept within each."""
    order, bounds = bucket_order(keys, nparts)
    return [(keys[order[lo:hi]], payload[order[lo:hi]]) for lo, hi in itertools.pairwise(bounds)]


def concat_bucket(parts: Sequence[tuple[np.ndarray, np.ndarray]], width: int) -> tuple[np.ndarray, np.ndarray]:
    keys = [k for k, _ in parts if len(k)]
    if not keys:
        return np.zeros(0, dtype=np.uint64), np.zeros((0, width), dtype=np.int64)
    return np.concatenate(keys), np.concatenate([p for k, p in parts if len(k)])
