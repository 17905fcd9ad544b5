"""The ``dask`` backend: ``dask.distributed`` futures for the map, a futures hash-partition for the
shuffle (each map output cut into buckets where it lies; each bucket reduced on a worker, only its
small result gathered), targeted calls for pulls from one partition.

Why not the ``dask.dataframe`` p2p shuffle: it was built and measured (benchmarks/README.md, the
default check of 1M chat rows on a 2-worker LocalCluster, the same quiet run): 238.6 s and 4.52 GiB
summed over the processes, against 185.6 s and 2.19 GiB with this partition (the reports were
identical). The p2p shuffle turns every map output into a frame and moves it through its own
buffers; this partition leaves the arrays where they were computed and moves only each bucket to
its reducer. What p2p would add is spilling a shuffle larger than the cluster's memory to disk.

``--engine dask`` starts a LocalCluster (``--workers N`` processes, one thread each) whose workers
get the glibc settings that keep numpy fast (without them the map ran 2.1x slower: Dask's nanny sets
``MALLOC_TRIM_THRESHOLD_``, which turns off glibc's dynamic mmap threshold, so every large numpy
temporary is mmapped and page-faulted afresh). ``--scheduler tcp://host:8786`` joins a cluster
ftlint did not start; its workers' environment is checked and a warning names what to export.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable, Sequence
from typing import Any

from ftlint.backend.base import (
    EngineError,
    EngineOptions,
    KeyFn,
    ReduceFn,
    concat_bucket,
    split_buckets,
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


def _split(value: Any, key_fn: KeyFn, arg: Any, nparts: int) -> list[tuple[Any, Any]]:
    keys, payload = key_fn(value, arg)
    return split_buckets(keys, payload, nparts)


def _reduce(reduce_fn: ReduceFn, reduce_arg: Any, *pieces: tuple[Any, Any]) -> Any:
    width = pieces[0][1].shape[1] if pieces else 0
    return reduce_fn(*concat_bucket(pieces, width), reduce_arg)


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
            c = self.client
            splits = [c.submit(_split, h, key_fn, a, nparts, pure=False, retries=RETRIES)
                      for h, a in zip(handles, args)]
            reduced = []
            for p in range(nparts):
                pieces = [c.submit(operator.getitem, s, p, pure=False, retries=RETRIES) for s in splits]
                reduced.append(c.submit(_reduce, reduce_fn, reduce_arg, *pieces, pure=False, retries=RETRIES))
            out = c.gather(reduced)
            del splits
            return out

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
