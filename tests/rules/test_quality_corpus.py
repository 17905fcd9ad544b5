"""FT203, FT301 and FT302 on real text from ../shared/corpus (skipped where the corpus is absent).

- FT203: a seeded 90/10 split of LLaMA-Factory's Alpaca demo file, whose exact-duplicate groups
  straddle the split, so the leaked validation rows are known in advance.
- FT301: a conflicting label planted into the OpenAI cookbook's DBpedia samples.
- FT302: label flips planted into the same DBpedia samples; the flagged flips suggest the label
  they had before the flip.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from ftlint.features.text import normalize
from tests.api_run import lint, write_jsonl

ALPACA = "hiyouga__LLaMA-Factory/data__alpaca_en_demo.json"
DBPEDIA = "openai__openai-cookbook/examples__data__dbpedia_samples.jsonl"


def _dbpedia(corpus_dir: Path) -> list[dict[str, Any]]:
    lines = (corpus_dir / DBPEDIA).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_ft203_on_a_seeded_90_10_split_of_the_alpaca_demo(corpus_dir: Path, tmp_path: Path) -> None:
    rows = json.loads((corpus_dir / ALPACA).read_text(encoding="utf-8"))
    order = list(range(len(rows)))
    random.Random(2).shuffle(order)
    cut = len(rows) // 10
    val_src, train_src = order[:cut], order[cut:]
    key = lambda r: normalize("\n".join((r["instruction"], r["input"], r["output"])))  # noqa: E731
    train_keys: dict[str, int] = {}
    for pos, i in enumerate(train_src):
        train_keys.setdefault(key(rows[i]), pos)
    # the validation rows whose exact copy sits in train: computed independently of ftlint
    expected = {pos: train_keys[key(rows[i])] for pos, i in enumerate(val_src) if key(rows[i]) in train_keys}
    assert len(expected) >= 3, "the seed must make several duplicate groups straddle the split"

    train = write_jsonl(tmp_path / "train.jsonl", [rows[i] for i in train_src])
    val = write_jsonl(tmp_path / "valid.jsonl", [rows[i] for i in val_src])
    report = lint([train], root=tmp_path, validation=[val], select=["FT203"])
    (finding,) = [f for f in report.findings if f.code == "FT203"]
    assert finding.severity.label == "error"
    exact = {r.index: r.extra["matches"]["index"] for r in finding.rows if r.extra["exact"]}
    assert exact == expected
    for r in finding.rows:  # every row is named with the training row it copies
        assert r.split == "validation" and r.path.endswith("valid.jsonl")
        assert r.extra["matches"]["split"] == "train" and r.extra["similarity"] >= 0.8
        if not r.extra["exact"]:  # a near copy: check its similarity claim on the real text
            a = rows[val_src[r.index]]
            b = rows[train_src[r.extra["matches"]["index"]]]
            assert key(a) != key(b)
    assert finding.metrics["exact"] == len(expected)


def test_ft301_on_a_conflict_planted_in_dbpedia(corpus_dir: Path, tmp_path: Path) -> None:
    rows = _dbpedia(corpus_dir)
    clean = lint([write_jsonl(tmp_path / "clean.jsonl", rows)], root=tmp_path, select=["FT301"])
    assert [f for f in clean.findings if f.code == "FT301"] == []
    # plant: row 17's text again (re-cased, extra spaces) with another category, at the end
    src = 17
    other = next(r["category"] for r in rows if r["category"] != rows[src]["category"])
    planted = {"text": "  " + rows[src]["text"].upper().replace(" ", "  ") + " ", "category": other}
    report = lint([write_jsonl(tmp_path / "dbpedia.jsonl", [*rows, planted])], root=tmp_path, select=["FT301"])
    (finding,) = [f for f in report.findings if f.code == "FT301"]
    assert finding.severity.label == "error"
    assert [r.index for r in finding.rows] == [src, len(rows)]
    assert [r.extra["label"] for r in finding.rows] == [rows[src]["category"], other]
    assert finding.metrics["group_count"] == 1


def test_ft302_flags_label_flips_planted_in_dbpedia(corpus_dir: Path, tmp_path: Path) -> None:
    rows = _dbpedia(corpus_dir)
    rng = random.Random(0)
    flips: dict[int, str] = {}
    for i in rng.sample(range(len(rows)), 8):
        new = rng.choice([c for c in ("Village", "Animal", "Album", "Company", "Film") if c != rows[i]["category"]])
        flips[i] = rows[i]["category"]
        rows[i] = dict(rows[i], category=new)
    # 200 rows, one class below 10: lower min-rows so that this small real set is modelled
    report = lint([write_jsonl(tmp_path / "dbpedia.jsonl", rows)], root=tmp_path, select=["FT302"],
                  settings={"rules": {"likely-mislabeled": {"min-rows": 150}}})
    (finding,) = [f for f in report.findings if f.code == "FT302"]
    flagged = {r.index: r.extra for r in finding.rows}
    caught = {i for i in flagged if i in flips}
    # a 14-class, 200-row set is hard (out-of-fold accuracy 0.76, as scikit-learn's converged
    # logistic regression on the exact TF-IDF): flips are strongly enriched among the flags (8 of
    # 200 rows are flips, i.e. 4%; 4 of 12 flags) and each caught flip names its true label. (The
    # scikit-learn model stopped early by saga's tolerance caught 3 of 5 flags.)
    assert len(caught) >= 3, (flips, flagged)
    assert len(caught) / len(flagged) >= 0.3
    for i in caught:
        assert flagged[i]["suggested_label"] == flips[i]
        assert flagged[i]["given_label"] == rows[i]["category"]
        assert flagged[i]["self_confidence"] < flagged[i]["suggested_confidence"]


def test_ft203_checks_test_against_train_and_validation(corpus_dir: Path, tmp_path: Path) -> None:
    rows = json.loads((corpus_dir / ALPACA).read_text(encoding="utf-8"))
    train = write_jsonl(tmp_path / "train.jsonl", rows[:300])
    val = write_jsonl(tmp_path / "valid.jsonl", [*rows[300:340], rows[5]])  # row 40 copies train row 5
    near = dict(rows[310], output=rows[310]["output"] + " Indeed.")  # a near copy of validation row 10
    test = write_jsonl(tmp_path / "test.jsonl", [*rows[400:420], rows[7], near])
    report = lint([train], root=tmp_path, validation=[val], test=[test], select=["FT203"])
    found = {(f.metrics["against"], f.rows[0].split): [(r.index, r.extra["matches"]["index"], r.extra["exact"])
                                                         for r in f.rows] for f in report.findings}
    assert found == {("train", "validation"): [(40, 5, True)], ("train", "test"): [(20, 7, True)],
                     ("validation", "test"): [(21, 10, False)]}
