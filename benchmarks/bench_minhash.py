"""MinHash signatures and LSH: ftlint's numpy implementation against datasketch, side by side.

Usage: ``python benchmarks/bench_minhash.py [--sizes 10000 100000] [--workdir DIR] [--seed 0]
[--repeats 3]``

For each size it generates a chat dataset with planted duplicates (``gen_data.py``), then runs
every method ``--repeats`` times, each in a fresh subprocess, and prints the median run's
rows/second (in-process timer around
the operation only; loading and normalising the input is excluded), the operation's extra peak
RSS (VmHWM reset through ``/proc/self/clear_refs`` after loading) and the whole process's peak
RSS (``ru_maxrss``). The text of a record is its messages' contents joined by newlines,
normalised with ``" ".join(text.lower().split())``.

Signatures (128 permutations, word 5-grams):
  - ftlint ``signatures`` in 1 process and with ``workers=2``;
  - datasketch ``MinHash.update`` per shingle (sha1), on the first ``--update-sample`` rows only:
    its rows/s is measured on that subsample and the full-size time is extrapolated;
  - datasketch ``MinHash.bulk`` (sha1, and with ``hashfunc=xxh32_intdigest``).
  The datasketch timings include building the shingles (with ``minhash.shingles``), since
  ftlint's include them too.
LSH at threshold 0.8 over the ftlint signatures:
  - ftlint numpy banding 16 x 8 (``candidate_pairs``), then exact verification (``verify``);
  - datasketch ``MinHashLSH`` with ``params=(16, 8)`` and with its default for 0.8 (9 x 13):
    wrap rows as LeanMinHash + insert all + query all; candidates verified the same way.
  Recall: share of the planted near-duplicate pairs with true word-5-gram Jaccard >= 0.8 found
  after verification (and among raw candidates). Precision: share of the verified pairs that
  join two rows of the same planted family (a source, its exact copies and near copies).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

HERE = Path(__file__).resolve().parent
try:
    import ftlint.features.minhash  # noqa: F401
except ImportError:  # running from a checkout without an install
    sys.path.insert(0, str(HERE.parent / "src"))

import numpy as np

NUM_PERM = 128
NGRAM = 5
THRESHOLD = 0.8


# --------------------------------------------------------------------------------------------
# Measurement helpers (used inside the worker subprocesses)
# --------------------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


def load_texts(path: Path) -> list[str]:
    import orjson

    texts = []
    with path.open("rb") as f:
        for line in f:
            rec = orjson.loads(line)
            text = "\n".join(m["content"] for m in rec["messages"])
            texts.append(" ".join(text.lower().split()))
    return texts


def _measure(op: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    import gc

    gc.collect()
    rss_before = _status_kb("VmRSS")
    reset = _reset_peak()
    t = time.perf_counter()
    result = op()
    seconds = time.perf_counter() - t
    hwm = _status_kb("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return result, {
        "seconds": seconds,
        "delta_peak_mb": max(0.0, (hwm - rss_before) / 1024),
        "input_rss_mb": rss_before / 1024,
        "proc_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "child_peak_mb": children / 1024,
    }


# --------------------------------------------------------------------------------------------
# Methods (each runs in its own subprocess)
# --------------------------------------------------------------------------------------------


def _run_signatures(texts: list[str], args: dict[str, Any]) -> dict[str, Any]:
    from ftlint.features.minhash import signatures

    sigs, m = _measure(lambda: signatures(texts, NUM_PERM, NGRAM, workers=args["workers"]))
    if args.get("save"):
        np.save(args["save"], sigs)
    return {**m, "rows": len(texts)}


def _run_ds_update(texts: list[str], args: dict[str, Any]) -> dict[str, Any]:
    from datasketch import MinHash

    from ftlint.features.minhash import shingles

    sample = texts[: args["sample"]]

    def op() -> list[np.ndarray]:
        out = []
        for text in sample:
            m = MinHash(num_perm=NUM_PERM)
            for sh in shingles(text, NGRAM):
                m.update(sh)
            out.append(m.hashvalues)
        return out

    _, m = _measure(op)
    return {**m, "rows": len(sample)}


def _run_ds_bulk(texts: list[str], args: dict[str, Any]) -> dict[str, Any]:
    from datasketch import MinHash

    from ftlint.features.minhash import shingles

    kwargs: dict[str, Any] = {"num_perm": NUM_PERM}
    if args.get("xxh32"):
        import xxhash

        kwargs["hashfunc"] = xxhash.xxh32_intdigest

    def op() -> np.ndarray:
        mhs = MinHash.bulk((shingles(t, NGRAM) for t in texts), **kwargs)
        return np.vstack([mh.hashvalues for mh in mhs])

    _, m = _measure(op)
    return {**m, "rows": len(texts)}


def _quality(pairs: np.ndarray, texts: list[str], truth_path: Path) -> dict[str, Any]:
    """Recall of planted near-dups with true J >= 0.8, before and after verification; precision."""
    from ftlint.features.lsh import clusters, verify
    from ftlint.features.minhash import exact_jaccard

    truth = json.loads(truth_path.read_text())
    planted = [(min(a, b), max(a, b), kind) for a, b, kind, _ in truth["train_pairs"]]
    high = {
        (a, b)
        for a, b, kind in planted
        if kind == "near" and exact_jaccard(texts[a], texts[b], NGRAM) >= THRESHOLD
    }
    t = time.perf_counter()
    kept = verify(pairs, texts, THRESHOLD, ngram=NGRAM)
    verify_s = time.perf_counter() - t
    cand = {tuple(p) for p in pairs.tolist()}
    found = {tuple(p) for p in kept.pairs.tolist()}
    family = np.arange(len(texts))
    for group in clusters(len(texts), np.array([(a, b) for a, b, _ in planted], dtype=np.int64)):
        family[group] = group[0]
    correct = sum(family[a] == family[b] for a, b in found)
    return {
        "candidates": len(cand),
        "verified": len(found),
        "verify_seconds": verify_s,
        "high_pairs": len(high),
        "recall_candidates": len(high & cand) / max(1, len(high)),
        "recall": len(high & found) / max(1, len(high)),
        "precision": correct / max(1, len(found)),
    }


def _run_lsh_numpy(texts: list[str], args: dict[str, Any]) -> dict[str, Any]:
    from ftlint.features.lsh import candidate_pairs

    sigs = np.load(args["sigs"])
    pairs, m = _measure(lambda: candidate_pairs(sigs, 16, 8))
    return {**m, "rows": len(texts), **_quality(pairs, texts, Path(args["truth"]))}


def _run_lsh_datasketch(texts: list[str], args: dict[str, Any]) -> dict[str, Any]:
    from datasketch import LeanMinHash, MinHashLSH

    sigs = np.load(args["sigs"])
    params = tuple(args["params"]) if args.get("params") else None

    def op() -> tuple[np.ndarray, tuple[int, int]]:
        lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, params=params)
        mhs = [LeanMinHash(seed=1, hashvalues=row, scheme="affine32") for row in sigs]
        for i, mh in enumerate(mhs):
            lsh.insert(i, mh)
        found = []
        for i, mh in enumerate(mhs):
            for j in lsh.query(mh):
                if j > i:
                    found.append((i, j))
        arr = np.array(sorted(found), dtype=np.int64).reshape(-1, 2)
        return arr, (lsh.b, lsh.r)

    (pairs, br), m = _measure(op)
    return {**m, "rows": len(texts), "params": list(br), **_quality(pairs, texts, Path(args["truth"]))}


METHODS: Mapping[str, Callable[[list[str], dict[str, Any]], dict[str, Any]]] = MappingProxyType({
    "signatures": _run_signatures,
    "ds_update": _run_ds_update,
    "ds_bulk": _run_ds_bulk,
    "lsh_numpy": _run_lsh_numpy,
    "lsh_datasketch": _run_lsh_datasketch,
})


def _worker(spec: str) -> None:
    args = json.loads(spec)
    texts = load_texts(Path(args["data"]))
    result = METHODS[args["method"]](texts, args)
    print("RESULT " + json.dumps(result))


def _spawn(**args: Any) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent / "src"), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--_worker", json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{args['method']} failed:\n{proc.stderr}")
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if k else c.ljust(w) for k, (c, w) in enumerate(zip(cells, widths, strict=True)))

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def bench_size(n: int, workdir: Path, seed: int, update_sample: int, repeats: int) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from gen_data import generate

    data_dir = workdir / f"rows{n}_seed{seed}"
    if not (data_dir / "ground_truth.json").exists():
        t = time.perf_counter()
        generate(n, data_dir, seed)
        print(f"  generated {n} rows in {time.perf_counter() - t:.1f} s", flush=True)
    data = str(data_dir / "train.jsonl")
    truth = str(data_dir / "ground_truth.json")
    sigs = str(data_dir / "sigs.npy")
    res: dict[str, Any] = {}
    runs = [
        ("ftlint signatures, 1 process", dict(method="signatures", workers=1, save=sigs)),
        ("ftlint signatures, workers=2", dict(method="signatures", workers=2)),
        (
            f"datasketch update() per shingle (sha1), first {min(n, update_sample)} rows",
            dict(method="ds_update", sample=update_sample),
        ),
        ("datasketch MinHash.bulk (sha1)", dict(method="ds_bulk")),
        ("datasketch MinHash.bulk (xxh32)", dict(method="ds_bulk", xxh32=True)),
        ("ftlint numpy banding 16x8", dict(method="lsh_numpy", sigs=sigs, truth=truth)),
        (
            "datasketch MinHashLSH 16x8",
            dict(method="lsh_datasketch", sigs=sigs, truth=truth, params=[16, 8]),
        ),
        ("datasketch MinHashLSH default (t=0.8)", dict(method="lsh_datasketch", sigs=sigs, truth=truth)),
    ]
    for label, args in runs:
        t = time.perf_counter()
        trials = sorted((_spawn(data=data, **args) for _ in range(repeats)), key=lambda r: r["seconds"])
        res[label] = trials[len(trials) // 2]  # the median run
        times = ", ".join(f"{r['seconds']:.2f}" for r in trials)
        print(f"  {label}: timed {times} s; {time.perf_counter() - t:.1f} s wall", flush=True)
    return res


def report(n: int, res: dict[str, Any]) -> list[str]:
    sig_labels = [k for k in res if "signatures" in k or "update" in k or "bulk" in k]
    lsh_labels = [k for k in res if k not in sig_labels]
    rate = {k: res[k]["rows"] / res[k]["seconds"] for k in sig_labels}
    ours1 = rate["ftlint signatures, 1 process"]
    ours2 = rate["ftlint signatures, workers=2"]
    rows = []
    for k in sig_labels:
        r = res[k]
        ours = k.startswith("ftlint")
        note = ""
        if "update" in k:
            note = f"rate measured on {r['rows']:,} rows; time for {n:,} extrapolated"
        elif "workers=2" in k:
            note = (
                f"worker processes' peak {r['child_peak_mb']:.0f} MB"
                if r["child_peak_mb"]
                else "below PARALLEL_MIN_ROWS: ran in 1 process"
            )
        rows.append([
            k,
            f"{n:,}",
            f"{rate[k]:,.0f}",
            f"{n / rate[k]:.1f}" + (" (extrapolated)" if "update" in k else ""),
            "" if ours else f"{ours1 / rate[k]:.1f}x",
            "" if ours else f"{ours2 / rate[k]:.1f}x",
            f"{r['delta_peak_mb']:.0f}",
            f"{r['input_rss_mb']:.0f}",
            f"{r['proc_peak_mb']:.0f}",
            note,
        ])
    print(f"\n## MinHash signatures, n = {n:,} (128 permutations, word 5-grams, from normalised text)\n")
    print(_table(
        ["method", "n", "rows/s", "s for n", "ftlint 1 proc faster by", "ftlint 2 procs faster by",
         "Δpeak MB", "RSS before MB", "proc peak MB", "note"],
        rows,
    ))
    rows = []
    for k in lsh_labels:
        r = res[k]
        params = r.get("params", [16, 8])
        rows.append([
            f"{k} [{params[0]}x{params[1]}]" if "default" in k else k,
            f"{n:,}",
            f"{r['seconds']:.2f}",
            f"{r['rows'] / r['seconds']:,.0f}",
            f"{r['delta_peak_mb']:.0f}",
            f"{r['proc_peak_mb']:.0f}",
            f"{r['candidates']:,}",
            f"{r['verify_seconds']:.2f}",
            f"{r['recall_candidates']:.1%}",
            f"{r['recall']:.1%}",
            f"{r['precision']:.1%}",
        ])
    high = res[lsh_labels[0]]["high_pairs"]
    print(f"\n## LSH at threshold 0.8, n = {n:,} ({high:,} planted near-dup pairs with true J >= 0.8)\n")
    print(_table(
        ["method", "n", "build+query s", "rows/s", "Δpeak MB", "proc peak MB", "candidates", "verify s",
         "recall (cand.)", "recall (verified)", "precision"],
        rows,
    ))
    upd = rate[next(k for k in sig_labels if "update" in k)]
    bulk = rate["datasketch MinHash.bulk (sha1)"]
    lsh = res["ftlint numpy banding 16x8"]
    verdict = lambda ok: "PASS" if ok else "FAIL"  # noqa: E731
    checks = [
        f"signatures vs per-shingle update(): {ours1 / upd:.0f}x in 1 process, {ours2 / upd:.0f}x with 2"
        f" (target >= 50x) {verdict(ours1 / upd >= 50)}",
        f"signatures vs MinHash.bulk (sha1): {ours1 / bulk:.1f}x in 1 process, {ours2 / bulk:.1f}x with 2"
        f" (target >= 8x) {verdict(ours1 / bulk >= 8)}",
        f"recall of true J >= 0.8 pairs, 16x8 + exact verify: {lsh['recall']:.1%} (target >= 98%)"
        f" {verdict(lsh['recall'] >= 0.98)}",
    ]
    print(f"\nTargets at n = {n:,}:\n  " + "\n  ".join(checks))
    return checks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/ftlint_bench_minhash"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--update-sample", type=int, default=2000, help="rows for the per-shingle update() loop")
    ap.add_argument("--repeats", type=int, default=3, help="fresh-process runs per method (the median is shown)")
    ap.add_argument("--_worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._worker:
        _worker(args._worker)
        return
    import platform

    print(
        f"# bench_minhash: Python {platform.python_version()}, {os.cpu_count()} CPUs, sizes {args.sizes}, "
        f"median of {args.repeats} fresh-process runs; load average at start {os.getloadavg()[0]:.2f}"
    )
    t0 = time.perf_counter()
    results = {}
    for n in args.sizes:
        print(f"\nrunning n = {n:,} ...", flush=True)
        results[n] = bench_size(n, args.workdir, args.seed, args.update_sample, args.repeats)
    for n in args.sizes:
        report(n, results[n])
    print(
        f"\ntotal wall time {time.perf_counter() - t0:.0f} s; load average at end {os.getloadavg()[0]:.2f}"
        " (other work on the machine makes figures noisy; compare methods within one run)"
    )


if __name__ == "__main__":
    main()
