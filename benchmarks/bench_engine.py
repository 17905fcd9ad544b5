"""``ftlint check`` in-process, on ``--engine local`` and on ``--engine dask`` (a LocalCluster of
``--workers`` processes), in the same run, on the same files.

Usage: ``python benchmarks/bench_engine.py [--rows 100000 300000 1000000] [--select FT0,FT2]
[--engines none local dask] [--workers 2] [--workdir DIR] [--timeout 900]
[--source TRAIN.jsonl --validation VAL.jsonl]``

Data: ``gen_data.py --stream`` writes (once, seed 0, not timed) the largest size with
``--validation-rows`` (10,000) validation rows; each smaller size is the first N rows of that file.
With ``--source``, each size is the first N rows of that file instead (cut once into the workdir),
checked against ``--validation``. Each check runs in a fresh process::

    ftlint check train.jsonl --validation validation.jsonl --no-cache --output-format json --engine E [--workers W]

with the default rule selection unless ``--select`` is given (then every figure is labelled with
it). ``none`` is ``--engine none`` (in-process; without ``--engine`` a check of 50,000 rows or more
runs on ``local``). Wall time from the parent; CPU is the user + system seconds of the process and
every descendant it reaped (the pool's workers, Dask's nannies and workers), divided by the wall
time: 2.0 is both cores of this machine busy for the whole check. Peak memory is the largest sum of
RSS over the process and all its descendants (the Dask scheduler runs in the driver, the workers are
its grandchildren), sampled every 0.2 s. The JSON reports of the engines are compared with the
in-process one (findings, rows, lines, groups, fingerprints, metrics): "same" or "DIFFERENT". Every
line carries the load average when it started and when it ended (the machine is shared: compare
within one run).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def data(workdir: Path, rows: int, largest: int, validation_rows: int) -> tuple[Path, Path]:
    from gen_data import generate_stream

    full = workdir / f"stream-{largest}"
    if not (full / "train.jsonl").is_file():
        t = time.perf_counter()
        generate_stream(largest, full, seed=0, validation_rows=validation_rows)
        print(f"# generated {largest:,} rows in {time.perf_counter() - t:.0f} s", flush=True)
    if rows == largest:
        return full / "train.jsonl", full / "validation.jsonl"
    part = workdir / f"head-{rows}"
    part.mkdir(parents=True, exist_ok=True)
    train = part / "train.jsonl"
    if not train.is_file():
        with (full / "train.jsonl").open("rb") as src, train.open("wb") as dst:
            for k, line in enumerate(src):
                if k >= rows:
                    break
                dst.write(line)
    return train, full / "validation.jsonl"


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for q in procs:
        try:
            total += q.memory_info().rss
        except psutil.Error:
            pass
    return total


def head(source: Path, rows: int, workdir: Path) -> Path:
    """The first ``rows`` lines of ``source`` (the file itself when it has no more)."""
    part = workdir / f"{source.stem}-head-{rows}.jsonl"
    if not part.is_file():
        with source.open("rb") as src, part.open("wb") as dst:
            for k, line in enumerate(src):
                if k >= rows:
                    break
                dst.write(line)
    return part


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd: list[str], timeout: float, cwd: Path) -> tuple[float, int, int, str, float]:
    """(wall seconds, peak tree RSS bytes, exit code, stderr tail, CPU seconds of the tree)."""
    cpu0 = _cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            stop.wait(0.2)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        stop.set()
        return float("inf"), peak, -1, "timed out", _cpu() - cpu0
    stop.set()
    th.join()
    return time.perf_counter() - t0, peak, proc.returncode, (err or "").strip()[-300:], _cpu() - cpu0


def comparable(path: Path) -> Any:
    d = json.loads(path.read_text())
    d.pop("timings", None)
    for r in d.get("rules", []):
        r.pop("seconds", None)
    return d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    ap.add_argument("--validation-rows", type=int, default=10_000)
    ap.add_argument("--engines", nargs="+", default=["none", "local", "dask"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--select", default=None, help="rule selection (default: the default rules)")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/ftlint-bench-engine"))
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--data", type=Path, default=None,
                    help="use DATA/head-N/train.jsonl and DATA/validation.jsonl instead of generating")
    ap.add_argument("--source", type=Path, default=None,
                    help="a JSONL file whose first N rows are each size's training data (instead of generating)")
    ap.add_argument("--validation", type=Path, default=None, help="the validation file with --source")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    largest = max(args.rows)
    src = HERE.parent / "src"
    env_path = f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    os.environ["PYTHONPATH"] = env_path
    label = f"--select {args.select}" if args.select else "default rules"
    print("| rows | engine | rules | wall s | rows/s | CPU (user+sys)/wall | peak RSS (tree) | vs in-process | report "
          "| load avg before → after |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---|---|")
    for rows in sorted(args.rows):
        if args.source is not None:
            if args.validation is None:
                ap.error("--source needs --validation")
            train, val = head(args.source, rows, args.workdir), args.validation
        elif args.data is not None:
            train, val = args.data / f"head-{rows}" / "train.jsonl", args.data / "validation.jsonl"
        else:
            train, val = data(args.workdir, rows, largest, args.validation_rows)
        base_wall: float | None = None
        base_report: Any = None
        for engine in args.engines:
            out = args.workdir / f"report-{rows}-{engine}.json"
            cmd = [sys.executable, "-m", "ftlint", "check", str(train), "--validation", str(val), "--no-cache",
                   "--isolated", "--output-format", "json", "-o", str(out)]
            if args.select:
                cmd += ["--select", args.select]
            cmd += ["--engine", engine]
            if engine != "none":
                cmd += ["--workers", str(args.workers)]
            load = "/".join(f"{x:.1f}" for x in os.getloadavg())
            wall, peak, code, err, cpu = run(cmd, args.timeout, args.workdir)
            load += " → " + "/".join(f"{x:.1f}" for x in os.getloadavg())
            same = "-"
            if code in (0, 1) and out.is_file():
                rep = comparable(out)
                if engine == "none":
                    base_report, base_wall = rep, wall
                elif base_report is not None:
                    same = "same" if rep == base_report else "DIFFERENT"
            else:
                same = f"exit {code}: {err}"
            ratio = f"{wall / base_wall:.2f}x" if base_wall and engine != "none" else "-"
            print(f"| {rows:,} | {engine} | {label} | {wall:.1f} | {rows / wall:,.0f} | {cpu / wall:.2f} "
                  f"| {peak / 2**30:.2f} GiB | {ratio} | {same} | {load} |", flush=True)


if __name__ == "__main__":
    main()
