"""FT302 and FT502 compute with numpy alone: their numbers are checked here against the libraries
they replaced (scikit-learn's logistic regression, fairlearn's demographic parity), which stay in
the ``test`` extra, and a check that runs them imports neither (nor scipy or pandas)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from ftlint.features.labelnoise import Predictions, label_issues, multinomial_logistic_regression
from ftlint.rules.fairness import label_parity

CASES = Path(__file__).resolve().parents[1] / "src" / "ftlint" / "rules" / "cases"


def test_multinomial_logistic_regression_is_scikit_learns_optimum() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    x = rng.standard_normal((400, 12)) / 3
    y = rng.integers(0, 4, 400)
    x[np.arange(400), y] += 0.8  # each class leans on its own feature
    rows = np.flatnonzero(rng.random(400) < 0.8)  # a training fold, read in place
    beta = multinomial_logistic_regression(x.astype(np.float32), y[rows], 4, C=10.0, rows=rows, block=64)
    xr = x.astype(np.float32).astype(np.float64)[rows]
    ref = LogisticRegression(C=10.0, tol=1e-12, max_iter=100_000).fit(xr, y[rows])
    mine = xr @ beta[:-1] + beta[-1]
    mine = np.exp(mine - mine.max(axis=1, keepdims=True))
    mine /= mine.sum(axis=1, keepdims=True)
    assert np.abs(mine - ref.predict_proba(xr)).max() < 1e-5
    # the penalty is sklearn's |coef|^2 / (2 C n): the coefficients agree up to the softmax's free shift
    assert np.allclose(beta[:-1] - beta[:-1].mean(axis=1, keepdims=True), ref.coef_.T, atol=1e-4)


def test_predictions_keep_what_confident_learning_needs() -> None:
    probs = np.array([[0.2, 0.5, 0.3], [0.6, 0.2, 0.2], [0.3, 0.3, 0.4]])
    pred = Predictions.of(probs, np.array([0, 0, 2]))
    assert pred.self_confidence.tolist() == pytest.approx([0.2, 0.6, 0.4])
    assert pred.suggested.tolist() == [1, 0, 2]
    assert pred.suggested_confidence.tolist() == pytest.approx([0.5, 0.6, 0.4])
    flagged, thresholds = label_issues(probs, np.array([0, 0, 2]))
    # no row is labelled 1: its threshold is 1, so row 0 (0.5 for class 1) is not confidently class 1
    assert flagged.tolist() == [False, False, False] and thresholds.tolist() == [0.4, 1.0, 0.4]


def _fairlearn(labels: list[str], groups: list[str], label: str) -> dict[str, object]:
    from fairlearn.metrics import (
        MetricFrame,
        count,
        demographic_parity_difference,
        demographic_parity_ratio,
        selection_rate,
    )

    y = np.array([1 if v == label else 0 for v in labels])
    g = np.asarray(groups, dtype=object)
    mf = MetricFrame(metrics={"selection_rate": selection_rate, "count": count}, y_true=y, y_pred=y,
                     sensitive_features=g)
    return {"rates": {str(k): float(v) for k, v in mf.by_group["selection_rate"].items()},
            "counts": {str(k): int(v) for k, v in mf.by_group["count"].items()},
            "difference": float(demographic_parity_difference(y, y, sensitive_features=g)),
            "ratio": float(demographic_parity_ratio(y, y, sensitive_features=g))}


def _same(ours: dict[str, object], theirs: dict[str, object]) -> None:
    assert list(ours["rates"]) == list(theirs["rates"])  # the same groups, in the same (sorted) order
    assert ours["rates"] == theirs["rates"] and ours["counts"] == theirs["counts"]
    assert ours["difference"] == theirs["difference"]
    assert ours["ratio"] == theirs["ratio"] or (math.isnan(ours["ratio"]) and math.isnan(theirs["ratio"]))


def _case_pairs() -> list[tuple[list[str], list[str]]]:
    out = []
    for case in yaml.safe_load((CASES / "FT502.yml").read_text(encoding="utf-8"))["cases"]:
        for column in (case.get("settings") or {}).get("sensitive", []):
            recs = [r for r in case.get("records", []) if r.get(column) is not None and r.get("label") is not None]
            if recs:
                out.append(([str(r["label"]) for r in recs], [str(r[column]) for r in recs]))
    return out


def test_label_parity_is_fairlearns_on_the_rule_cases_and_random_data() -> None:
    pytest.importorskip("fairlearn")
    pairs = _case_pairs()
    assert pairs  # the FT502 cases hold labelled rows with a sensitive column
    rng = np.random.default_rng(0)
    for _ in range(30):
        n = int(rng.integers(5, 400))
        groups = [f"g{int(v)}" for v in rng.integers(0, int(rng.integers(1, 6)), n)]
        labels = [("yes", "no", "maybe")[int(v)] for v in rng.integers(0, int(rng.integers(1, 4)), n)]
        pairs.append((labels, groups))
    pairs.append((["no"] * 6, ["a", "b", "a", "b", "c", "c"]))  # a label no row has: every rate 0, ratio NaN
    for labels, groups in pairs:
        for label in sorted(set(labels)) + ["absent"]:
            _same(label_parity(labels, groups, label), _fairlearn(labels, groups, label))


_IMPORTS_CHILD = """
import json, sys
from ftlint.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    heavy = sorted({m.split(".")[0] for m in sys.modules} & {"sklearn", "scipy", "fairlearn", "pandas"})
    print("IMPORTED " + json.dumps(heavy))
"""


def test_label_rules_import_neither_scikit_learn_scipy_fairlearn_nor_pandas(tmp_path: Path) -> None:
    words = {"sports": "goal match team referee", "cooking": "bake dough oven pepper", "weather": "rain fog wind snow"}
    rows = [{"text": f"{words[c]} {k}", "label": c, "gender": ("f", "m")[k % 2]}
            for k in range(60) for c in words]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "s.toml").write_text("[rules.likely-mislabeled]\nmin-rows = 100\n", encoding="utf-8")
    src = str(Path(__file__).resolve().parents[1] / "src")
    out = subprocess.run(
        [sys.executable, "-c", _IMPORTS_CHILD, "check", "train.jsonl", "--settings", "s.toml", "--no-cache",
         "--select", "FT302,FT501,FT502", "--sensitive", "gender", "--output-format", "json", "--exit-zero",
         "-o", "report.json"],
        cwd=tmp_path, capture_output=True, text=True, env={**__import__("os").environ, "PYTHONPATH": src},
        timeout=300, check=False)
    line = [x for x in out.stdout.splitlines() if x.startswith("IMPORTED ")]
    assert line, (out.stdout, out.stderr)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert {r["code"]: r["outcome"] for r in report["rules"]} == {"FT302": "ran", "FT501": "ran", "FT502": "ran"}
    assert json.loads(line[0][len("IMPORTED "):]) == []
