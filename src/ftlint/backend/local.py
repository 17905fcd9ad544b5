"""The ``local`` backend: the driver process, plus a process pool sized to the cores for the map.

Results come back to the driver and stay there (a handle is a slot of a list), their large arrays
in a temporary file, read back when a result is used (:meth:`LocalBackend._put`): the driver
holds one partition's arrays at a time, not the band keys of every row. The shuffle runs in the
driver, spilling its buckets to temporary files when it is large (:meth:`LocalBackend.group`).
"""

from __future__ import annotations

import itertools
import multiprocessing
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from ftlint.backend.base import KeyFn, ReduceFn, bucket_order, concat_bucket, default_workers, split_buckets
from ftlint.memory import release_free_memory


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


def _spillable(v: Any) -> bool:
    return isinstance(v, np.ndarray) and v.nbytes >= SPILL_ARRAY_BYTES and not v.dtype.hasobject


def _rebuild(value: tuple[Any, ...], fields: list[Any]) -> Any:
    """``value`` (a tuple or a NamedTuple) with ``fields`` instead of its own."""
    make = getattr(type(value), "_make", None)
    return make(fields) if callable(make) else type(value)(fields)


class _Pending:
    """A map on the pool, started when made (in-process: computed when its result is asked for)."""

    def __init__(self, backend: LocalBackend, jobs: list[tuple[Callable[..., Any], Any, tuple[Any, ...]]]) -> None:
        self.backend, self.jobs = backend, jobs
        self.handles: list[int] | None = None
        ctx = _pool_context() if backend.workers > 1 and len(jobs) > 1 else None
        self.pool = None if ctx is None else ctx.Pool(min(backend.workers, len(jobs)))
        # results in order, each stored (its large arrays spilled) as it is taken, not all held first
        self.async_result = None if self.pool is None else self.pool.imap(_apply, jobs, chunksize=1)
        backend._pools.append(self)

    def result(self) -> list[int]:
        if self.handles is None:
            if self.pool is None or self.async_result is None:
                self.handles = [self.backend._put(_apply(j)) for j in self.jobs]
            else:
                try:
                    self.handles = [self.backend._put(r) for r in self.async_result]
                finally:
                    self.stop()
        return self.handles

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None


#: the shuffle's records (all partitions) above which :meth:`LocalBackend.group` spills its buckets
#: to temporary files, and the size it aims at for each bucket then
SPILL_BYTES = 8 << 20
BUCKET_BYTES = 4 << 20
#: records cut into buckets at once when spilling
SPILL_SLICE = 1 << 16


class _Spill:
    """Buckets of shuffle records in temporary files (one per bucket, records of a fixed-size
    ``(key, payload row)`` layout appended in partition order), read back one at a time."""

    def __init__(self, estimate: int, nparts: int, payload: np.ndarray) -> None:
        self.n = max(nparts, min(4096, -(-estimate // BUCKET_BYTES)))
        self.layout = np.dtype([("k", "<u8"), ("p", payload.dtype, (payload.shape[1],))])
        self.files = [tempfile.TemporaryFile(prefix="ftlint-shuffle-") for _ in range(self.n)]  # noqa: SIM115 - closed by close()

    def add(self, keys: np.ndarray, payload: np.ndarray) -> None:
        for s in range(0, len(keys), SPILL_SLICE):  # a slice at a time: the copies below stay small
            self._add(keys[s:s + SPILL_SLICE], payload[s:s + SPILL_SLICE])

    def _add(self, keys: np.ndarray, payload: np.ndarray) -> None:
        order, bounds = bucket_order(keys, self.n)  # the cut of base.split_buckets, gathered once
        rec = np.empty(len(keys), dtype=self.layout)
        rec["k"] = keys[order]
        rec["p"] = payload[order]
        del order
        for p, (lo, hi) in enumerate(itertools.pairwise(bounds)):
            if hi > lo:
                self.files[p].write(rec[lo:hi].data)

    def buckets(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for f in self.files:
            f.flush()
            f.seek(0)
            rec = np.fromfile(f, dtype=self.layout)
            f.truncate(0)  # its disk room back at once
            yield np.ascontiguousarray(rec["k"]), np.ascontiguousarray(rec["p"])
            del rec

    def close(self) -> None:
        for f in self.files:
            f.close()
        self.files = []


#: arrays of a map result at least this large are kept in a temporary file, not in the driver's
#: memory (:meth:`LocalBackend._put`)
SPILL_ARRAY_BYTES = 1 << 20


class _OnDisk(NamedTuple):
    """Where a spilled array is: its offset in the backend's temporary file, dtype and shape."""

    offset: int
    dtype: str
    shape: tuple[int, ...]


class LocalBackend:
    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or default_workers())
        self._values: list[Any] = []
        self._pools: list[_Pending] = []
        self._disk: Any = None  # the temporary file of spilled arrays, made when first needed
        self._disk_end = 0

    def _put(self, value: Any) -> int:
        """Keep a map result. Its large numpy arrays (a tuple's fields: FT202's band keys are 128
        bytes a row, 128 MiB at 1M rows) go to a temporary file as raw bytes and are read back
        whenever the value is used (:meth:`_get`): the driver holds them one partition at a time."""
        if isinstance(value, tuple) and any(_spillable(v) for v in value):
            value = _rebuild(value, [self._write(v) if _spillable(v) else v for v in value])
        self._values.append(value)
        return len(self._values) - 1

    def _write(self, a: np.ndarray) -> _OnDisk:
        if self._disk is None:
            self._disk = tempfile.TemporaryFile(prefix="ftlint-values-")  # noqa: SIM115 - closed by close()
        a = np.ascontiguousarray(a)
        self._disk.seek(self._disk_end)
        self._disk.write(a.data.cast("B"))
        where = _OnDisk(self._disk_end, a.dtype.str, a.shape)
        self._disk_end += a.nbytes
        return where

    def _read(self, where: _OnDisk) -> np.ndarray:
        a = np.empty(where.shape, dtype=np.dtype(where.dtype))
        self._disk.seek(where.offset)
        if self._disk.readinto(a.data.cast("B")) != a.nbytes:
            raise OSError("short read from ftlint's temporary file of map results")
        return a

    def _get(self, handle: int) -> Any:
        value = self._values[handle]
        if isinstance(value, tuple) and any(isinstance(v, _OnDisk) for v in value):
            return _rebuild(value, [self._read(v) if isinstance(v, _OnDisk) else v for v in value])
        return value

    def map(self, fn: Callable[..., Any], items: Sequence[Any], *args: Any) -> list[int]:
        return self.map_async(fn, items, *args).result()

    def map_async(self, fn: Callable[..., Any], items: Sequence[Any], *args: Any) -> _Pending:
        return _Pending(self, [(fn, item, args) for item in items])

    def group(self, handles: Sequence[int], key_fn: KeyFn, reduce_fn: ReduceFn, nparts: int,
              key_args: Sequence[Any] | None = None, reduce_arg: Any = None) -> list[Any]:
        """The shuffle, in the driver. Small: every partition's records cut into ``nparts``
        buckets in memory. Large (a partition's records times the partitions, or the records held
        so far, over :data:`SPILL_BYTES`; FT202 makes 16 band records of 32 bytes per row, 512 MiB
        at 1M rows): into as many buckets as keep each near :data:`BUCKET_BYTES`, each appended to
        a temporary file as the partitions are cut and reduced one at a time, so the driver holds
        one partition's records and one bucket. A key's records meet in one bucket, in partition
        order, whatever the number of buckets; the results are the reduces of the buckets."""
        args = list(key_args) if key_args is not None else [None] * len(handles)
        held: list[tuple[np.ndarray, np.ndarray]] = []  # parts' records while the shuffle is small
        held_bytes = width = 0
        spill: _Spill | None = None
        try:
            for h, a in zip(handles, args):
                keys, payload = key_fn(self._get(h), a)
                width = payload.shape[1]
                size = keys.nbytes + payload.nbytes
                estimate = max(size * len(handles), held_bytes + size)
                if spill is None and estimate > SPILL_BYTES:
                    spill = _Spill(estimate, nparts, payload)
                    for k, p in held:  # the parts before this one, in their order
                        spill.add(k, p)
                    held = []
                if spill is not None:
                    spill.add(keys, payload)
                    del keys, payload
                    release_free_memory()  # this part's records, before the next part's are made
                    continue
                held.append((keys, payload))
                held_bytes += size
            if spill is not None:
                return [reduce_fn(*b, reduce_arg) for b in spill.buckets()]
            buckets: list[list[Any]] = [[] for _ in range(nparts)]
            for k, p in held:
                for b, part in enumerate(split_buckets(k, p, nparts)):
                    buckets[b].append(part)
            return [reduce_fn(*concat_bucket(b, width), reduce_arg) for b in buckets]
        finally:
            if spill is not None:
                spill.close()

    def call(self, handle: int, fn: Callable[..., Any], *args: Any) -> Any:
        return fn(self._get(handle), *args)

    def gather(self, handles: Sequence[int], fn: Callable[[Any], Any] | None = None) -> list[Any]:
        return [self._get(h) if fn is None else fn(self._get(h)) for h in handles]

    def describe(self) -> str:
        return f"local engine: {self.workers} process{'es' if self.workers != 1 else ''}"

    def close(self) -> None:
        for p in self._pools:  # a map never waited for (the run stopped early): its workers end here
            p.stop()
        self._pools.clear()
        self._values.clear()
        if self._disk is not None:
            self._disk.close()
            self._disk, self._disk_end = None, 0
