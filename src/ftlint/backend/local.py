"""The ``local`` backend: the driver process, plus a process pool sized to the cores for the map.

Results come back to the driver and stay there (a handle is a slot of a list): on one machine the
driver's memory is where the partitions' small results live anyway. The shuffle is in-process.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ftlint.backend.base import KeyFn, ReduceFn, concat_bucket, default_workers, split_buckets


def _pool_context() -> Any:
    """A fork pool where it is safe (no threads-heavy library loaded, POSIX), else None (in-process)."""
    if any(m in sys.modules for m in ("torch", "tensorflow", "jax")):
        return None
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")


def _apply(job: tuple[Callable[..., Any], Any, tuple[Any, ...]]) -> Any:
    fn, item, args = job
    return fn(item, *args)


class _Pending:
    """A map on the pool, started when made (in-process: computed when its result is asked for)."""

    def __init__(self, backend: LocalBackend, jobs: list[tuple[Callable[..., Any], Any, tuple[Any, ...]]]) -> None:
        self.backend, self.jobs = backend, jobs
        self.handles: list[int] | None = None
        ctx = _pool_context() if backend.workers > 1 and len(jobs) > 1 else None
        self.pool = None if ctx is None else ctx.Pool(min(backend.workers, len(jobs)))
        self.async_result = None if self.pool is None else self.pool.map_async(_apply, jobs, chunksize=1)
        backend._pools.append(self)

    def result(self) -> list[int]:
        if self.handles is None:
            if self.pool is None or self.async_result is None:
                results = [_apply(j) for j in self.jobs]
            else:
                try:
                    results = self.async_result.get()
                finally:
                    self.stop()
            self.handles = [self.backend._put(r) for r in results]
        return self.handles

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


class LocalBackend:
    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or default_workers())
        self._values: list[Any] = []
        self._pools: list[_Pending] = []

    def _put(self, value: Any) -> int:
        self._values.append(value)
        return len(self._values) - 1

    def map(self, fn: Callable[..., Any], items: Sequence[Any], *args: Any) -> list[int]:
        return self.map_async(fn, items, *args).result()

    def map_async(self, fn: Callable[..., Any], items: Sequence[Any], *args: Any) -> _Pending:
        return _Pending(self, [(fn, item, args) for item in items])

    def group(self, handles: Sequence[int], key_fn: KeyFn, reduce_fn: ReduceFn, nparts: int,
              key_args: Sequence[Any] | None = None, reduce_arg: Any = None) -> list[Any]:
        args = list(key_args) if key_args is not None else [None] * len(handles)
        buckets: list[list[Any]] = [[] for _ in range(nparts)]
        width = 0
        for h, a in zip(handles, args):
            keys, payload = key_fn(self._values[h], a)
            width = payload.shape[1]
            for p, part in enumerate(split_buckets(keys, payload, nparts)):
                buckets[p].append(part)
        return [reduce_fn(*concat_bucket(b, width), reduce_arg) for b in buckets]

    def call(self, handle: int, fn: Callable[..., Any], *args: Any) -> Any:
        return fn(self._values[handle], *args)

    def gather(self, handles: Sequence[int], fn: Callable[[Any], Any] | None = None) -> list[Any]:
        return [self._values[h] if fn is None else fn(self._values[h]) for h in handles]

    def describe(self) -> str:
        return f"local engine: {self.workers} process{'es' if self.workers != 1 else ''}"

    def close(self) -> None:
        for p in self._pools:  # a map never waited for (the run stopped early): its workers end here
            p.stop()
        self._pools.clear()
        self._values.clear()
