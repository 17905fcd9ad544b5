"""The whole ``ftlint check`` against the naive datasketch script, and a full check at 1M rows.

Usage: ``python benchmarks/bench_check.py [--sizes 10000 100000] [--full 1000000]
[--scale 1000000 2000000] [--workdir DIR]``

Data: ``gen_data.py`` chat records (50-400 words, Zipf vocabulary) with planted exact and near
duplicates in train and planted leakage (exact and near copies of train rows) in a validation
split of a tenth of the rows (10,000 at 1M). Generated once under ``--workdir`` (seed 0) and
reused; generation is not timed.

Printed, in one run:

1. For each of ``--sizes`` (default 10k and 100k train rows), side by side:
   - ``ftlint check --select FT2`` as a fresh process (FT201 exact duplicates, FT202
     near-duplicates, FT203 leakage; cache off): rows/s (train + validation rows over wall
     time) and the process's peak RSS (``wait4``, workers included);
   - ftlint's MinHash stage alone (``Context.minhash`` of both splits, in a process that loaded
     the data with ftlint's loader): rows/s and its extra peak RSS (VmHWM reset after loading);
   - the naive script: stdlib ``json`` per line, ``datasketch.MinHash.update`` per shingle
     (sha1, word 5-grams of the lower-cased, whitespace-collapsed text), every train row into a
     ``MinHashLSH(threshold=0.8)`` (datasketch's default bands for 0.8), each train row queried
     for near-duplicates and each validation row for leaks; candidates are its answer. Whole
     process and its MinHash stage (the ``update`` loop) measured the same way.
   - quality of both against the generator's ground truth: recall of planted near-duplicate
     pairs whose true word-5-gram Jaccard is >= 0.8 (a pair counts as found when both rows end
     in one reported group: ftlint's FT201 + FT202 groups, the naive script's candidate pairs),
     recall of planted leaks (exact and near with true Jaccard >= 0.8), and precision: share of
     the reported pairs / leaked rows that belong to one planted family.
2. ``--full``: a full check of the ``--full``-row train file with its validation split:
   ``--select FT0,FT1,FT2,FT3,FT5,FT6,FT7`` (every rule that applies without a training config
   or a reference; FT4xx excluded; FT204 and the FT6xx config rules are skipped for want of
   their inputs), wall time and peak RSS against the targets (3 minutes, 4 GiB).
3. ``--scale``: at each size, the per-row state of the duplicate and leakage features (row
   hashes, LSH band keys, empty flags, verified pairs: bytes of the arrays kept) and the peak
   RSS of the process that loads the split with ftlint and computes them, per row; then 10M
   extrapolated linearly from the two sizes (the marginal cost per row), labelled so.

Every figure carries the load average it was measured under (other work on this 2-core machine
slows every method alike; compare within one run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    import ftlint  # noqa: F401
except ImportError:  # a checkout without an install
    sys.path.insert(0, str(HERE.parent / "src"))

import numpy as np

THRESHOLD = 0.8
NUM_PERM = 128
NGRAM = 5
FULL_SELECT = "FT0,FT1,FT2,FT3,FT5,FT6,FT7"
GIB = 1024**3


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def _load() -> float:
    return os.getloadavg()[0]


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")


def _timed_process(cmd: list[str], stdout: Path | None = None) -> dict[str, float]:
    """Run ``cmd``; its wall time and peak RSS (``wait4``: the process and the children it waited for)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent / "src"), os.environ.get("PYTHONPATH", "")]))
    out = stdout.open("wb") if stdout else subprocess.DEVNULL
    load = _load()
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if stdout:
        out.close()  # type: ignore[union-attr]
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{err.decode()[-3000:]}")
    return {"seconds": wall, "peak_mb": ru.ru_maxrss / 1024, "load": load}


def _worker(kind: str, **args: Any) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent / "src"), os.environ.get("PYTHONPATH", "")]))
    load = _load()
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--_worker", json.dumps({"kind": kind, **args})],
                          capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{proc.stderr[-3000:]}")
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    return {**json.loads(line[len("RESULT "):]), "load": load}


def _text(rec: dict[str, Any]) -> str:
    return " ".join("\n".join(m["content"] for m in rec["messages"]).lower().split())


def _shingles(text: str) -> set[str]:
    w = text.split()
    return {" ".join(w[i:i + NGRAM]) for i in range(max(1, len(w) - NGRAM + 1))}


def _jaccard(a: str, b: str) -> float:
    x, y = _shingles(a), _shingles(b)
    return len(x & y) / len(x | y) if x | y else 1.0


# --------------------------------------------------------------------------------------------
# workers (each in a fresh process)
# --------------------------------------------------------------------------------------------

def naive(train: str, validation: str, out: str) -> None:
    """The naive script: json per line, MinHash.update per shingle, MinHashLSH insert + query."""
    from datasketch import MinHash, MinHashLSH

    def read(path: str) -> list[str]:
        with open(path, encoding="utf-8") as f:
            return [_text(json.loads(line)) for line in f]

    tr, va = read(train), read(validation)
    t = time.perf_counter()
    _reset_peak()
    before = _status_kb("VmRSS")
    sigs = []
    for text in tr + va:
        m = MinHash(num_perm=NUM_PERM)
        w = text.split()
        for i in range(max(1, len(w) - NGRAM + 1)):
            m.update(" ".join(w[i:i + NGRAM]).encode("utf-8"))
        sigs.append(m)
    stage = {"seconds": time.perf_counter() - t, "delta_peak_mb": (_status_kb("VmHWM") - before) / 1024}
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    for i in range(len(tr)):
        lsh.insert(i, sigs[i])
    pairs = sorted({(i, j) for i in range(len(tr)) for j in lsh.query(sigs[i]) if j > i})
    leaks = sorted({(j, int(k)) for j in range(len(va)) for k in lsh.query(sigs[len(tr) + j])})
    Path(out).write_text(json.dumps({"pairs": pairs, "leaks": [[v, t_] for v, t_ in leaks], "stage": stage,
                                     "bands": [lsh.b, lsh.r]}))


def _stage(args: dict[str, Any]) -> dict[str, Any]:
    """ftlint's loader, then ``Context.minhash`` of both splits (the MinHash stage) measured alone."""
    from ftlint.context import Context
    from ftlint.data.load import load_dataset_file
    from ftlint.settings import Settings

    datasets = {"train": load_dataset_file(Path(args["train"]), "train", "bench")}
    if args.get("validation"):
        datasets["validation"] = load_dataset_file(Path(args["validation"]), "validation", "bench")
    ctx = Context(datasets, Settings())
    import gc

    gc.collect()
    rows = sum(len(d) for d in datasets.values())
    before = _status_kb("VmRSS")
    _reset_peak()
    t = time.perf_counter()
    bands = [ctx.minhash(s) for s in datasets]
    seconds = time.perf_counter() - t
    hwm = _status_kb("VmHWM")
    res: dict[str, Any] = {"rows": rows, "seconds": seconds, "delta_peak_mb": (hwm - before) / 1024,
                           "loaded_rss_mb": before / 1024}
    if args.get("state"):  # the rest of the duplicate/leakage features, and what they keep per row
        pairs, sims = ctx.near_duplicates("train")
        kept = sum(b.keys.nbytes + b.empty.nbytes for b in bands) + pairs.nbytes + sims.nbytes
        kept += sum(ctx.text_hashes(s).nbytes for s in datasets)
        if "validation" in datasets:
            m = ctx.cross_matches("train", "validation")
            kept += sum(a.nbytes for a in m)
        res.update(state_bytes=kept, proc_peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                   children_peak_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return res


# --------------------------------------------------------------------------------------------
# quality against the ground truth
# --------------------------------------------------------------------------------------------

class _DSU:
    def __init__(self, n: int) -> None:
        self.p = list(range(n))

    def find(self, x: int) -> int:
        while self.p[x] != x:
            self.p[x] = self.p[self.p[x]]
            x = self.p[x]
        return x

    def union(self, a: int, b: int) -> None:
        self.p[self.find(a)] = self.find(b)


def _truth(data: Path) -> dict[str, Any]:
    """Planted pairs with their true Jaccard (computed once per data set and cached beside it)."""
    cache = data / "truth_jaccard.json"
    if cache.exists():
        return json.loads(cache.read_text())
    gt = json.loads((data / "ground_truth.json").read_text())
    want_t = {i for s, c, _, _ in gt["train_pairs"] for i in (s, c)} | {s for s, *_ in gt.get("leak_pairs", [])}
    want_v = {v for _, v, *_ in gt.get("leak_pairs", [])}
    texts_t: dict[int, str] = {}
    with (data / "train.jsonl").open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i in want_t:
                texts_t[i] = _text(json.loads(line))
    texts_v: dict[int, str] = {}
    if want_v:
        with (data / "validation.jsonl").open(encoding="utf-8") as f:
            for i, line in enumerate(f):
                if i in want_v:
                    texts_v[i] = _text(json.loads(line))
    out = {
        "train_rows": gt["train_rows"],
        "pairs": [[s, c, k, _jaccard(texts_t[s], texts_t[c])] for s, c, k, _ in gt["train_pairs"]],
        "leaks": [[s, v, k, _jaccard(texts_t[s], texts_v[v])] for s, v, k, _ in gt.get("leak_pairs", [])],
    }
    cache.write_text(json.dumps(out))
    return out


def _quality(truth: dict[str, Any], groups: list[list[int]], pairs: list[tuple[int, int]],
             leaks: list[tuple[int, int]]) -> dict[str, float]:
    """Recall and precision of reported duplicate groups/pairs and leaks (see the module docstring)."""
    n = truth["train_rows"]
    fam = _DSU(n)
    for s, c, _, _ in truth["pairs"]:
        fam.union(s, c)
    found = _DSU(n)
    for g in groups:
        for x in g[1:]:
            found.union(g[0], x)
    near = [(s, c) for s, c, k, j in truth["pairs"] if k == "near" and j >= THRESHOLD]
    rec = sum(found.find(s) == found.find(c) for s, c in near) / max(1, len(near))
    prec = sum(fam.find(a) == fam.find(b) for a, b in pairs) / max(1, len(pairs))
    planted = {v: s for s, v, k, j in truth["leaks"] if k != "near" or j >= THRESHOLD}
    reported: dict[int, list[int]] = {}
    for v, t in leaks:
        reported.setdefault(v, []).append(t)
    leak_rec = sum(any(fam.find(t) == fam.find(s) for t in reported.get(v, [])) for v, s in planted.items())
    every = {v: s for s, v, *_ in truth["leaks"]}
    leak_prec = sum(v in every and any(fam.find(t) == fam.find(every[v]) for t in ts) for v, ts in reported.items())
    return {"near_pairs": len(near), "recall": rec, "pairs_reported": len(pairs), "precision": prec,
            "leaks_planted": len(planted), "leak_recall": leak_rec / max(1, len(planted)),
            "leaks_reported": len(reported), "leak_precision": leak_prec / max(1, len(reported))}


def _ftlint_answer(report: dict[str, Any], train_name: str) -> tuple[list[list[int]], list[tuple[int, int]],
                                                                     list[tuple[int, int]]]:
    groups: list[list[int]] = []
    pairs: list[tuple[int, int]] = []
    leaks: list[tuple[int, int]] = []
    for f in report["findings"]:
        rows = f.get("rows") or []
        if f["code"] in ("FT201", "FT202") and rows and rows[0]["path"].endswith(train_name):
            groups += [[i for _, i in g] for g in f["metrics"]["groups"]]
            key = "duplicate_of" if f["code"] == "FT201" else "near_duplicate_of"
            pairs += [(r["extra"][key]["index"], r["index"]) for r in rows]
        elif f["code"] == "FT203":
            leaks += [(r["index"], r["extra"]["matches"]["index"]) for r in rows]
    return groups, pairs, leaks


# --------------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------------

def _data(workdir: Path, n: int, val: int) -> Path:
    from gen_data import generate

    d = workdir / f"rows{n}_val{val}"
    if not (d / "ground_truth.json").exists():
        t = time.perf_counter()
        generate(n, d, 0, val)
        print(f"  generated {n:,} + {val:,} rows in {time.perf_counter() - t:.0f} s (not timed below)", flush=True)
    return d


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    fmt = lambda cells: "  ".join(c.rjust(w) if k else c.ljust(w) for k, (c, w) in enumerate(zip(cells, widths)))  # noqa: E731
    return "\n".join([fmt(headers), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)])


def compare(n: int, workdir: Path) -> dict[str, Any]:
    val = max(1, n // 10)
    d = _data(workdir, n, val)
    train, valid = d / "train.jsonl", d / "validation.jsonl"
    rows = n + val
    truth = _truth(d)
    out: dict[str, Any] = {"n": n, "val": val}
    report = d / "ftlint_ft2.json"
    out["ftlint"] = _timed_process([sys.executable, "-m", "ftlint", "check", str(train), "--validation", str(valid),
                                    "--select", "FT2", "--no-cache", "--output-format", "json", "--exit-zero",
                                    "-o", str(report)])
    print(f"  ftlint check --select FT2: {out['ftlint']['seconds']:.1f} s", flush=True)
    out["ftlint_q"] = _quality(truth, *_ftlint_answer(json.loads(report.read_text()), "train.jsonl"))
    out["stage"] = _worker("stage", train=str(train), validation=str(valid))
    print(f"  ftlint MinHash stage: {out['stage']['seconds']:.1f} s", flush=True)
    naive_out = d / "naive.json"
    out["naive"] = _timed_process([sys.executable, str(Path(__file__).resolve()), "--_naive", str(train), str(valid),
                                   str(naive_out)])
    print(f"  naive script: {out['naive']['seconds']:.1f} s", flush=True)
    ans = json.loads(naive_out.read_text())
    out["naive_stage"] = ans["stage"]
    out["naive_bands"] = ans["bands"]
    npairs = [tuple(p) for p in ans["pairs"]]
    out["naive_q"] = _quality(truth, [list(p) for p in npairs], npairs, [tuple(x) for x in ans["leaks"]])
    out["rows"] = rows
    return out


def report_compare(res: dict[str, Any]) -> None:
    n, rows = res["n"], res["rows"]
    f, s, nv, ns = res["ftlint"], res["stage"], res["naive"], res["naive_stage"]
    fq, nq = res["ftlint_q"], res["naive_q"]
    print(f"\n## n = {n:,} train + {res['val']:,} validation rows ({fq['near_pairs']:,} planted near-dup pairs with "
          f"true J >= 0.8, {fq['leaks_planted']:,} planted leaks)\n")
    b = res["naive_bands"]
    print(_table(
        ["what", "ftlint", "naive (datasketch)", "ftlint faster by", "load avg"],
        [
            ["whole process: wall s", f"{f['seconds']:.1f}", f"{nv['seconds']:.1f}", f"{nv['seconds'] / f['seconds']:.1f}x",
             f"{f['load']:.1f} / {nv['load']:.1f}"],
            ["whole process: rows/s", f"{rows / f['seconds']:,.0f}", f"{rows / nv['seconds']:,.0f}", "", ""],
            ["whole process: peak RSS MB", f"{f['peak_mb']:,.0f}", f"{nv['peak_mb']:,.0f}", "", ""],
            ["MinHash stage: rows/s", f"{rows / s['seconds']:,.0f}", f"{rows / ns['seconds']:,.0f}",
             f"{ns['seconds'] / s['seconds']:.0f}x", f"{s['load']:.1f}"],
            ["MinHash stage: extra peak RSS MB", f"{s['delta_peak_mb']:,.0f}", f"{ns['delta_peak_mb']:,.0f}", "", ""],
            [f"near-dup recall (true J >= 0.8)", f"{fq['recall']:.1%}", f"{nq['recall']:.1%}", "", ""],
            ["near-dup precision (pairs reported)", f"{fq['precision']:.1%} ({fq['pairs_reported']:,})",
             f"{nq['precision']:.1%} ({nq['pairs_reported']:,})", "", ""],
            ["leak recall", f"{fq['leak_recall']:.1%}", f"{nq['leak_recall']:.1%}", "", ""],
            ["leak precision (rows reported)", f"{fq['leak_precision']:.1%} ({fq['leaks_reported']:,})",
             f"{nq['leak_precision']:.1%} ({nq['leaks_reported']:,})", "", ""],
        ],
    ))
    print(f"(ftlint: FT201+FT202+FT203, LSH 16x8 + exact Jaccard; naive: MinHashLSH default {b[0]}x{b[1]}, "
          "candidates unverified)")


def full(n: int, workdir: Path) -> dict[str, Any]:
    val = 10_000
    d = _data(workdir, n, val)
    res = _timed_process([sys.executable, "-m", "ftlint", "check", str(d / "train.jsonl"), "--validation",
                          str(d / "validation.jsonl"), "--select", FULL_SELECT, "--no-cache", "--output-format", "json",
                          "--exit-zero", "-o", str(d / "ftlint_full.json")])
    rep = json.loads((d / "ftlint_full.json").read_text())
    res["ran"] = [r["code"] for r in rep["rules"] if r["outcome"] == "ran"]
    res["n"], res["val"] = n, val
    return res


def scale(sizes: list[int], workdir: Path) -> list[dict[str, Any]]:
    out = []
    for n in sizes:
        d = workdir / f"rows{n}_val0"
        if not (d / "ground_truth.json").exists():
            from gen_data import generate

            t = time.perf_counter()
            generate(n, d, 0, 0)
            print(f"  generated {n:,} rows in {time.perf_counter() - t:.0f} s (not timed below)", flush=True)
        r = _worker("stage", train=str(d / "train.jsonl"), state=True)
        print(f"  scale {n:,}: {r['seconds']:.0f} s MinHash stage", flush=True)
        out.append({"n": n, **r})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--full", type=int, default=1_000_000, help="rows of the full check (0: skip)")
    ap.add_argument("--scale", type=int, nargs="*", default=[1_000_000, 2_000_000])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/ftlint_bench_check"))
    ap.add_argument("--_worker", help=argparse.SUPPRESS)
    ap.add_argument("--_naive", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._worker:
        spec = json.loads(args._worker)
        print("RESULT " + json.dumps({"stage": _stage}[spec["kind"]](spec)))
        return
    if args._naive:
        naive(*args._naive)
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"# bench_check: Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}; "
          f"load average at start {_load():.2f}", flush=True)
    t0 = time.perf_counter()
    results = []
    for n in args.sizes:
        print(f"\nrunning n = {n:,} ...", flush=True)
        results.append(compare(n, args.workdir))
    fres = None
    if args.full:
        print(f"\nrunning the full check at {args.full:,} rows ...", flush=True)
        fres = full(args.full, args.workdir)
    sres = scale(args.scale, args.workdir) if args.scale else []

    for r in results:
        report_compare(r)
    if results:
        big = results[-1]
        per_row_naive = big["naive_stage"]["seconds"] / big["rows"]
        print(f"\nnaive MinHash stage at 1,000,000 + 100,000 rows: {per_row_naive * 1_100_000 / 60:.0f} min "
              f"(EXTRAPOLATED from n = {big['n']:,}, not measured); naive whole process "
              f"{big['naive']['seconds'] / big['rows'] * 1_100_000 / 60:.0f} min (EXTRAPOLATED)")
        speed = big["naive"]["seconds"] / big["ftlint"]["seconds"]
        stage = big["naive_stage"]["seconds"] / big["stage"]["seconds"]
        ok = lambda c: "PASS" if c else "FAIL"  # noqa: E731
        print(f"\nTargets at n = {big['n']:,}:")
        print(f"  whole ftlint check --select FT2 vs the naive script: {speed:.1f}x (target >= 25x) {ok(speed >= 25)}")
        print(f"  MinHash stage vs per-shingle update(): {stage:.0f}x (target >= 50x) {ok(stage >= 50)}")
        print(f"  near-dup recall of true J >= 0.8 pairs: {big['ftlint_q']['recall']:.1%} (target >= 98%) "
              f"{ok(big['ftlint_q']['recall'] >= 0.98)}")
    if fres:
        ok = fres["seconds"] < 180 and fres["peak_mb"] < 4 * 1024
        print(f"\n## Full check, {fres['n']:,} train + {fres['val']:,} validation rows, --select {FULL_SELECT}\n")
        print(f"  wall {fres['seconds']:.1f} s, peak RSS {fres['peak_mb'] / 1024:.2f} GiB, "
              f"{(fres['n'] + fres['val']) / fres['seconds']:,.0f} rows/s, load average {fres['load']:.2f} at start; "
              f"{len(fres['ran'])} rules ran ({', '.join(fres['ran'])})")
        print(f"  target < 180 s and < 4 GiB: {'PASS' if ok else 'FAIL'}")
    if sres:
        print("\n## Per-row cost (ftlint loader + MinHash + near-duplicates of one split, one process)\n")
        rows = []
        for r in sres:
            rows.append([f"{r['n']:,}", f"{r['n'] / r['seconds']:,.0f}", f"{r['state_bytes'] / r['n']:.0f}",
                         f"{r['loaded_rss_mb'] * 2**20 / r['n']:,.0f}", f"{r['proc_peak_mb'] * 2**20 / r['n']:,.0f}",
                         f"{r['proc_peak_mb'] / 1024:.2f}", f"{r['load']:.1f}"])
        print(_table(["rows", "MinHash rows/s", "feature state B/row", "RSS after load B/row", "peak RSS B/row",
                      "peak GiB", "load avg"], rows))
        if len(sres) >= 2:
            a, b = sres[0], sres[-1]
            marginal = (b["proc_peak_mb"] - a["proc_peak_mb"]) * 2**20 / (b["n"] - a["n"])
            state = b["state_bytes"] / b["n"]
            at10 = (b["proc_peak_mb"] * 2**20 + marginal * (10_000_000 - b["n"])) / GIB
            print(f"\n  feature state at 10M: {state * 1e7 / GIB:.2f} GiB (EXTRAPOLATED, {state:.0f} B/row)")
            print(f"  whole process at 10M: {at10:.1f} GiB (EXTRAPOLATED: {marginal:,.0f} B per extra row, from "
                  f"{a['n']:,} -> {b['n']:,}); within 8 GiB: {'yes' if at10 <= 8 else 'NO'}")
    print(f"\ntotal wall time {time.perf_counter() - t0:.0f} s; load average at end {_load():.2f}")


if __name__ == "__main__":
    main()
