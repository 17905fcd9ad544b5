"""The ``dask`` backend: ``dask.distributed`` futures for the map, the ``dask.dataframe`` p2p shuffle
for grouping (each map output becomes a frame of (key, payload) records where it lies; Dask's p2p
shuffle moves every record of a key into one output partition, spilling to disk when it must; each
output partition is reduced on a worker and only its small result gathered), targeted calls for
pulls from one partition.

``--engine dask`` starts a LocalCluster (``--workers N`` processes, one thread each) whose workers
get the glibc settings that keep numpy fast (without them the map ran 2.1x slower: Dask's nanny sets
``MALLOC_TRIM_THRESHOLD_``, which turns off glibc's dynamic mmap threshold, so every large numpy
temporary is mmapped and page-faulted afresh). ``--scheduler tcp://host:8786`` joins a cluster
ftlint did not start; its workers' environment is checked and a warning names what to export.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ftlint.backend.base import (
    EngineError,
    EngineOptions,
    KeyFn,
    ReduceFn,
)

#: the worker environment ftlint's kernels need (set before the workers spawn)
WORKER_ENV = {
    "MALLOC_MMAP_THRESHOLD_": "33554432",
    "MALLOC_TRIM_THRESHOLD_": "268435456",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
#: the variables whose absence makes the kernels slow (checked on clusters ftlint did not start)
CHECKED_ENV = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS")
#: retries of a task whose worker died
RETRIES = 2
#: how long joining a cluster (--scheduler) may take before the run exits 2
CONNECT_TIMEOUT = "20s"


def export_line() -> str:
    return "export " + " ".join(f"{k}={WORKER_ENV[k]}" for k in CHECKED_ENV)


def worker_env_problems(envs: dict[str, dict[str, str | None]]) -> list[str]:
    """Workers (address) whose environment lacks the settings, with what they have."""
    bad = []
    for addr, env in sorted(envs.items()):
        wrong = [f"{k}={env.get(k)}" for k in CHECKED_ENV if env.get(k) != WORKER_ENV[k]]
        if wrong:
            bad.append(f"{addr} ({', '.join(wrong)})")
    return bad


def _env_of(names: Sequence[str]) -> dict[str, str | None]:
    return {k: os.environ.get(k) for k in names}


def _empty_records(width: int, dtype: str) -> Any:
    import pandas as pd

    cols: dict[str, Any] = {"key": np.zeros(0, dtype=np.uint64), "src": np.zeros(0, dtype=np.int64),
                            "pos": np.zeros(0, dtype=np.int64)}
    cols.update({f"p{j}": np.zeros(0, dtype=dtype) for j in range(width)})
    return pd.DataFrame(cols)


def _records_frame(value: Any, key_fn: KeyFn, arg: Any, src: int) -> Any:
    """A partition's records as a frame: the 64-bit key, where the record came from (partition,
    position: the order the reduce restores) and one column per payload field."""
    import pandas as pd

    keys, payload = key_fn(value, arg)
    payload = np.asarray(payload)
    if payload.ndim == 1:
        payload = payload.reshape(len(keys), -1)
    cols: dict[str, Any] = {"key": np.asarray(keys, dtype=np.uint64),
                            "src": np.full(len(keys), src, dtype=np.int64),
                            "pos": np.arange(len(keys), dtype=np.int64)}
    cols.update({f"p{j}": payload[:, j] for j in range(payload.shape[1])})
    return pd.DataFrame(cols)


def _frame_shape(frame: Any) -> tuple[int, str]:
    width = len(frame.columns) - 3
    return width, (str(frame["p0"].dtype) if width else "int64")


def _reduce_frame(frame: Any, reduce_fn: ReduceFn, reduce_arg: Any, width: int, dtype: str) -> Any:
    """One output partition of the shuffle, back in partition order, reduced."""
    if len(frame):
        frame = frame.sort_values(["src", "pos"], kind="stable")
    keys = frame["key"].to_numpy(dtype=np.uint64)
    payload = frame[[f"p{j}" for j in range(width)]].to_numpy(dtype=dtype).reshape(len(frame), width)
    return reduce_fn(keys, payload, reduce_arg)


def _apply(value: Any, fn: Callable[..., Any], *args: Any) -> Any:
    return fn(value, *args)


class _Pending:
    def __init__(self, backend: DaskBackend, futures: list[Any]) -> None:
        self.backend, self.futures = backend, futures

    def result(self) -> list[Any]:
        def go() -> list[Any]:
            from distributed import wait

            wait(self.futures)
            for f in self.futures:
                if f.status == "error":
                    f.result()
            return self.futures

        return self.backend._run("map", go)


class DaskBackend:
    name = "dask"

    def __init__(self, options: EngineOptions, echo: Callable[[str], None] | None = None) -> None:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise EngineError("--engine dask needs the dask extra: pip install 'ftlint[dask]'") from None
        self.echo = echo or (lambda s: None)
        self.cluster: Any = None
        self.warnings: list[str] = []
        try:
            if options.scheduler:
                self.client = Client(options.scheduler, timeout=CONNECT_TIMEOUT)
                self._check_env()
            else:
                n = max(1, options.workers or os.cpu_count() or 1)
                with dask.config.set({"distributed.nanny.pre-spawn-environ": dict(WORKER_ENV),
                                      "distributed.worker.daemon": False}):
                    self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                dashboard_address=":0", host="127.0.0.1")
                self.client = Client(self.cluster)
        except EngineError:
            raise
        except Exception as e:  # noqa: BLE001 - any failure to start or connect is the user's to fix
            where = options.scheduler or "a local cluster"
            raise EngineError(f"--engine dask: cannot start or reach {where}: {_reason(e)}") from None
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        self.echo(self.describe())

    def _check_env(self) -> None:
        envs = self.client.run(_env_of, list(CHECKED_ENV))
        bad = worker_env_problems(envs)
        if bad:
            msg = (f"warning: {len(bad)} dask worker(s) lack the memory settings that keep ftlint's numpy kernels "
                   f"fast (the map runs about 2x slower): {'; '.join(bad[:4])}. Start the workers with: "
                   f"{export_line()}")
            self.warnings.append(msg)
            self.echo(msg)

    def describe(self) -> str:
        link = getattr(self.client, "dashboard_link", None)
        where = (self.cluster and "LocalCluster") or f"cluster at {self.client.scheduler.address}"
        dash = f"; dashboard {link}" if link else ""
        return f"dask engine: {where}, {self.workers} worker{'s' if self.workers != 1 else ''}{dash}"

    def _run(self, what: str, thunk: Callable[[], Any]) -> Any:
        try:
            return thunk()
        except EngineError:
            raise
        except Exception as e:  # noqa: BLE001 - a run that cannot complete exits 2 with the reason
            raise EngineError(f"--engine dask: the {what} stage could not complete: {_reason(e)}") from None

    def map(self, fn: Callable[..., Any], items: Sequence[Any], *args: Any) -> list[Any]:
        return self.map_async(fn, items, *args).result()

    def map_async(self, fn: Callable[..., Any], items: Sequence[Any], *args: Any) -> _Pending:
        futs = self._run("map", lambda: [self.client.submit(fn, item, *args, pure=False, retries=RETRIES)
                                         for item in items])
        return _Pending(self, futs)

    def group(self, handles: Sequence[Any], key_fn: KeyFn, reduce_fn: ReduceFn, nparts: int,
              key_args: Sequence[Any] | None = None, reduce_arg: Any = None) -> list[Any]:
        args = list(key_args) if key_args is not None else [None] * len(handles)

        def go() -> list[Any]:
            import dask
            import dask.dataframe as dd

            c = self.client
            frames = [c.submit(_records_frame, h, key_fn, a, i, pure=False, retries=RETRIES)
                      for i, (h, a) in enumerate(zip(handles, args))]
            if not frames:
                empty = _empty_records(0, "int64")
                return [_reduce_frame(empty, reduce_fn, reduce_arg, 0, "int64") for _ in range(nparts)]
            width, dtype = c.submit(_frame_shape, frames[0], pure=False, retries=RETRIES).result()
            ddf = dd.from_delayed(frames, meta=_empty_records(width, dtype), verify_meta=False)
            shuffled = ddf.shuffle(on="key", npartitions=max(1, nparts), shuffle_method="p2p")
            reduced = [dask.delayed(_reduce_frame)(part, reduce_fn, reduce_arg, width, dtype)
                       for part in shuffled.to_delayed()]
            futs = c.compute(reduced, retries=RETRIES)
            out = c.gather(futs)
            del frames, futs
            return list(out)

        return self._run("shuffle", go)

    def call(self, handle: Any, fn: Callable[..., Any], *args: Any) -> Any:
        return self._run("call", lambda: self.client.submit(_apply, handle, fn, *args, pure=False,
                                                            retries=RETRIES).result())

    def gather(self, handles: Sequence[Any], fn: Callable[[Any], Any] | None = None) -> list[Any]:
        def go() -> list[Any]:
            futs = list(handles) if fn is None else [
                self.client.submit(fn, h, pure=False, retries=RETRIES) for h in handles]
            return self.client.gather(futs)

        return self._run("gather", go)

    def close(self) -> None:
        import contextlib

        with contextlib.suppress(Exception):  # closing is best effort: the results are in already
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()


def _reason(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return f"{type(e).__name__}: {text}"[:300]
