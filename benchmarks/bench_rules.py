"""Time and peak memory of each default rule, beside ``--select FT001`` on the same rows.

Usage: ``python benchmarks/bench_rules.py [--rows 100000 1000000] [--rules FT402 FT403 ...]
[--kind chat|classification] [--workdir DIR] [--json FILE]``

For each size in ``--rows``, ``gen_data.py`` writes (once, seed 0, not timed) ``train.jsonl``
with that many chat rows and ``validation.jsonl`` with a tenth as many (``--kind
classification``: text + label + gender rows instead, and every command gets ``--sensitive
gender``, so the label and fairness rules run). Then for each rule
(default: every rule that is on by default, from ``ftlint rules``) it runs, each in a fresh
process::

    ftlint check train.jsonl --validation validation.jsonl --select CODE --no-cache

plus ``--reference reference.jsonl`` for the rules that need a reference sample (FT401, FT404; a
copy of the validation split stands in for a sample of the task), and the same command with
``--select FT001`` (the cost of loading the rows, which every check pays) with the same
arguments. Wall time comes from the parent, peak RSS from ``os.wait4`` of that one process
(its children included). The report goes to a JSON file, so the table says whether the rule
ran or was skipped (a skipped rule costs what loading costs).

Printed per rule and size: seconds and peak MiB of the rule's run and of the FT001 run, their
ratios (target: memory within 1.25x of FT001's), and, with two sizes, how the time and the
memory above FT001's grow from the smaller to the larger size against the growth of the rows
(linear: about the same factor). Every line carries the load average when it started (the
machine is shared: compare within one run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
SRC = HERE.parent / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

MIB = 1024 * 1024


def default_rules() -> list[tuple[str, bool]]:
    """``(code, needs a reference)`` of every rule that is on by default (FT9xx notices left out)."""
    from ftlint.registry import load_registry, select_rules
    from ftlint.rule import Need

    reg = load_registry(plugins=False)
    return [(r.code, Need.REFERENCE in r.requires) for r in select_rules(reg, None, [], [])
            if not r.code.startswith("FT9")]


def data(workdir: Path, rows: int, kind: str = "chat") -> Path:
    d = workdir / (f"rows{rows}" if kind == "chat" else f"{kind}{rows}")
    if not (d / "ground_truth.json").exists():
        t = time.perf_counter()
        # in a child process: a check started after this process had held the generated rows
        # would report this process's peak as its own (Linux keeps the larger of the two
        # ru_maxrss across fork + exec), so every rule would show the generator's memory
        subprocess.run([sys.executable, str(HERE / "gen_data.py"), "--rows", str(rows), "--out", str(d),
                        "--seed", "0", "--validation-rows", str(max(1, rows // 10)), "--kind", kind],
                       check=True, stdout=subprocess.DEVNULL)
        print(f"# generated {rows:,} + {max(1, rows // 10):,} rows in {time.perf_counter() - t:.0f} s "
              "(not timed)", flush=True)
    if not (d / "reference.jsonl").exists():
        shutil.copyfile(d / "validation.jsonl", d / "reference.jsonl")
    return d


def measure(d: Path, code: str, reference: bool, extra: Sequence[str] = ()) -> dict[str, Any]:
    """One fresh ``ftlint check`` process: wall seconds, peak RSS (MiB) and the rule's outcome."""
    report = d / f"report_{code}{'_ref' if reference else ''}.json"
    cmd = [sys.executable, "-m", "ftlint", "check", str(d / "train.jsonl"), "--validation",
           str(d / "validation.jsonl"), "--select", code, "--no-cache", "--isolated", "--exit-zero",
           "--output-format", "json", "-o", str(report)]
    if reference:
        cmd += ["--reference", str(d / "reference.jsonl")]
    cmd += list(extra)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p))
    load = os.getloadavg()[0]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=d)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    rc = os.waitstatus_to_exitcode(status)
    outcome = "exit %d" % rc
    if rc in (0, 1) and report.exists():
        rep = json.loads(report.read_text(encoding="utf-8"))
        outcome = next((r["outcome"] for r in rep.get("rules", []) if r.get("code") == code), "absent")
    elif err.strip():
        print(f"# {code}: {err.decode('utf-8', 'replace').strip().splitlines()[-1][:200]}", flush=True)
    return {"seconds": wall, "peak_mib": ru.ru_maxrss * 1024 / MIB, "load": load, "outcome": outcome}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000], help="train rows (sizes)")
    ap.add_argument("--rules", nargs="*", help="rule codes (default: every default rule)")
    ap.add_argument("--baseline", default="FT001", help="the rule every other is compared with")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/ftlint_bench_rules"))
    ap.add_argument("--kind", choices=("chat", "classification"), default="chat",
                    help="chat records, or text + label + gender rows (run with --sensitive gender) for the "
                         "label and fairness rules")
    ap.add_argument("--json", type=Path, help="also write the measurements to this JSON file")
    args = ap.parse_args()
    extra = ["--sensitive", "gender"] if args.kind == "classification" else []
    rules = default_rules()
    needs_ref = dict(rules)
    codes = [c.upper() for c in args.rules] if args.rules else [c for c, _ in rules if c != args.baseline]
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"# bench_rules: {os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.2f}", flush=True)
    header = (f"{'rule':<6} {'rows':>10} {'outcome':<8} {'s':>8} {'MiB':>7} {'FT001 s':>8} {'FT001 MiB':>9} "
              f"{'time x':>7} {'mem x':>6} {'load':>5}")
    results: dict[tuple[str, int], dict[str, Any]] = {}
    for n in args.rows:
        d = data(args.workdir, n, args.kind)
        base: dict[bool, dict[str, Any]] = {}
        print(f"\n{header}", flush=True)
        for code in codes:
            ref = needs_ref.get(code, False)
            if ref not in base:
                base[ref] = measure(d, args.baseline, ref, extra)
                b = base[ref]
                print(f"{args.baseline:<6} {n:>10,} {b['outcome']:<8} {b['seconds']:>8.1f} {b['peak_mib']:>7.0f} "
                      f"{'':>8} {'':>9} {'':>7} {'':>6} {b['load']:>5.2f}{'  (with --reference)' if ref else ''}",
                      flush=True)
            r = measure(d, code, ref, extra)
            b = base[ref]
            results[(code, n)] = {**r, "base": b}
            print(f"{code:<6} {n:>10,} {r['outcome']:<8} {r['seconds']:>8.1f} {r['peak_mib']:>7.0f} "
                  f"{b['seconds']:>8.1f} {b['peak_mib']:>9.0f} {r['seconds'] / b['seconds']:>7.2f} "
                  f"{r['peak_mib'] / b['peak_mib']:>6.2f} {r['load']:>5.2f}", flush=True)
            if args.json:
                args.json.write_text(json.dumps(
                    [{"rule": c, "rows": m, "kind": args.kind, **v} for (c, m), v in results.items()], indent=1),
                    encoding="utf-8")
    if len(args.rows) > 1:
        lo, hi = min(args.rows), max(args.rows)
        print(f"\ngrowth from {lo:,} to {hi:,} rows ({hi / lo:.0f}x the rows; linear = {hi / lo:.0f}x):")
        for code in codes:
            a, b = results.get((code, lo)), results.get((code, hi))
            if a and b:
                extra_a = max(a["seconds"] - a["base"]["seconds"], 0.0)
                extra_b = max(b["seconds"] - b["base"]["seconds"], 0.0)
                print(f"  {code}: time {b['seconds'] / a['seconds']:.1f}x (above FT001: {extra_a:.1f} s -> "
                      f"{extra_b:.1f} s), peak memory {b['peak_mib'] / a['peak_mib']:.1f}x, memory ratio to "
                      f"FT001 {a['peak_mib'] / a['base']['peak_mib']:.2f} -> {b['peak_mib'] / b['base']['peak_mib']:.2f}")


if __name__ == "__main__":
    main()
