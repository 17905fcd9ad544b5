"""FT501-FT504 on data built by the test, with known group counts and label rates."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from ftlint.api import check
from ftlint.cli import main
from ftlint.findings import Report
from ftlint.settings import Settings, settings_from_dict
from tests.api_run import lint


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
        w.writeheader()
        w.writerows(rows)
    return path


def lending(counts: dict[str, int], approved: dict[str, float], missing: int = 0) -> list[dict[str, Any]]:
    """Rows of a loan-decision CSV: ``counts[g]`` rows of group g, ``approved[g]`` of them approved."""
    rows = []
    for g, n in counts.items():
        k = round(n * approved[g])
        for i in range(n):
            rows.append({"text": f"Application {len(rows)} for a loan of {1000 + 7 * len(rows)} dollars",
                         "label": "approved" if i < k else "denied", "gender": g, "age": 18 + (len(rows) * 7) % 60})
    for _ in range(missing):
        rows.append({"text": f"Application {len(rows)} with no gender given", "label": "denied", "gender": "",
                     "age": 40})
    return rows


def run(tmp_path: Path, rows: list[dict[str, Any]], select: list[str], **settings: Any) -> Report:
    """``select`` on ``rows`` as ``train.csv`` with ``gender`` the sensitive column, and ``settings``."""
    return lint([write_csv(tmp_path / "train.csv", rows)], root=tmp_path, select=select,
                settings={"sensitive": ["gender"], **settings})


def only(report: Report, code: str):
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, [f.message for f in report.findings]
    return found[0]


# -- FT501 ------------------------------------------------------------------------------------------------------------

COUNTS = {"male": 400, "female": 70, "nonbinary": 20}


def test_ft501_reports_the_ratio_and_every_group_count_exactly(tmp_path: Path) -> None:
    rows = lending(COUNTS, {"male": 0.5, "female": 0.5, "nonbinary": 0.5}, missing=5)
    f = only(run(tmp_path, rows, ["FT501"]), "FT501")
    assert f.severity.label == "warning"
    assert f.metrics["counts"] == {"male": 400, "female": 70, "nonbinary": 20}
    assert f.metrics["ratio"] == 20.0 and (f.metrics["largest"], f.metrics["smallest"]) == ("male", "nonbinary")
    assert f.metrics["missing"] == 5 and f.metrics["rows"] == 490
    assert f.metrics["small_groups"] == ["nonbinary"]
    assert f.metrics["shares"] == {"male": round(400 / 490, 6), "female": round(70 / 490, 6),
                                   "nonbinary": round(20 / 490, 6)}
    for text in ("'male' 400 (81.6%)", "'female' 70 (14.3%)", "'nonbinary' 20 (4.1%)",
                 "largest/smallest ratio 20.0 ('male' 400 / 'nonbinary' 20), above 5",
                 "'nonbinary' has fewer than 30 rows"):
        assert text in f.message
    assert f.affected.count == 20 and f.location.key == "gender"
    # the weights give every group the same total weight: n / k each
    weights = f.metrics["weights"]
    totals = {g: weights[g] * c for g, c in COUNTS.items()}
    assert all(abs(t - 490 / 3) < 0.05 for t in totals.values()), totals
    assert "nonbinary 8.1667" in f.fix and "metrics.weights" in f.fix


def test_ft501_small_group_alone_and_options(tmp_path: Path) -> None:
    rows = lending({"a": 100, "b": 60, "c": 25}, {"a": 0.5, "b": 0.5, "c": 0.5})
    f = only(run(tmp_path, rows, ["FT501"]), "FT501")
    assert f.metrics["ratio"] == 4.0 and f.metrics["small_groups"] == ["c"]
    assert "largest/smallest ratio 4.0;" in f.message and "'c' has fewer than 30 rows" in f.message
    quiet = run(tmp_path, rows, ["FT501"], rules={"group-underrepresented": {"min-group-rows": 20}})
    assert [x for x in quiet.findings if x.code == "FT501"] == []
    loud = run(tmp_path, rows, ["FT501"], rules={"group-underrepresented": {"min-group-rows": 20, "max-ratio": 3}})
    assert "above 3" in only(loud, "FT501").message


def test_ft501_balanced_groups_stay_silent(tmp_path: Path) -> None:
    rows = lending({"male": 100, "female": 90, "nonbinary": 40}, {"male": 0.5, "female": 0.5, "nonbinary": 0.5})
    report = run(tmp_path, rows, ["FT501"])
    assert report.findings == [] and next(o for o in report.outcomes if o.code == "FT501").outcome == "ran"


def test_ft501_bins_a_numeric_attribute(tmp_path: Path) -> None:
    """Ages 20-80: 4 equal-width bins of 15 years; few rows of 65 and over make the last bin small."""
    ages = [20 + i % 45 for i in range(450)] + [65 + i % 16 for i in range(16)]
    rows = [{"text": f"row {i}", "age": str(age)} for i, age in enumerate(ages)]
    s = Settings(root=tmp_path, cache=False, sensitive=["age"])
    report = check([write_csv(tmp_path / "train.csv", rows)], settings=s, select=["FT501"], no_cache=True)
    f = only(report, "FT501")
    assert f.metrics["bin_edges"] == [20.0, 35.0, 50.0, 65.0, 80.0]
    assert "4 equal-width bins" in f.metrics["source"]
    expected = {"[20, 35)": sum(20 <= a < 35 for a in ages), "[35, 50)": sum(35 <= a < 50 for a in ages),
                "[50, 65)": sum(50 <= a < 65 for a in ages), "[65, 80]": 16}
    assert f.metrics["counts"] == dict(sorted(expected.items(), key=lambda kv: (-kv[1], kv[0])))
    assert f.metrics["smallest"] == "[65, 80]" and f.metrics["ratio"] == 150 / 16

    s = settings_from_dict({"sensitive": ["age"], "rules": {"group-underrepresented": {"bin-edges": [30, 65]}}},
                           tmp_path)
    s.cache = False
    f = only(check([tmp_path / "train.csv"], settings=s, select=["FT501"], no_cache=True), "FT501")
    assert f.metrics["counts"] == {"[30, 65)": sum(30 <= a < 65 for a in ages), "< 30": sum(a < 30 for a in ages),
                                   ">= 65": 16}
    assert f.metrics["bin_edges"] == [30.0, 65.0]


def test_ft501_is_skipped_without_or_with_a_missing_sensitive_column(tmp_path: Path) -> None:
    rows = lending(COUNTS, {"male": 0.5, "female": 0.5, "nonbinary": 0.5})
    path = write_csv(tmp_path / "train.csv", rows)
    report = check([path], settings=Settings(root=tmp_path, cache=False), select=["FT501"], no_cache=True)
    assert next(o for o in report.outcomes if o.code == "FT501").reason == "no sensitive attribute configured"
    report = check([path], settings=Settings(root=tmp_path, cache=False, sensitive=["gendr"]), select=["FT501"],
                   no_cache=True)
    outcome = next(o for o in report.outcomes if o.code == "FT501")
    assert outcome.outcome == "skipped" and "'gendr' not in the train split" in (outcome.reason or "")


def test_cli_sensitive_option_is_repeatable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "train.csv", lending(COUNTS, {"male": 0.5, "female": 0.5, "nonbinary": 0.5}))
    result = CliRunner().invoke(main, ["check", "train.csv", "--no-cache", "--select", "FT501", "--sensitive",
                                       "gender", "--sensitive", "age", "--output-format", "json"])
    data = json.loads(result.stdout)
    attrs = sorted(f["metrics"]["attribute"] for f in data["findings"])
    assert attrs == ["gender"]  # age's quantile bins are balanced
    assert {r["code"]: r["outcome"] for r in data["rules"]}["FT501"] == "ran"


# -- FT502 ------------------------------------------------------------------------------------------------------------

def fairlearn_numbers(labels: list[str], groups: list[str], label: str) -> dict[str, Any]:
    from fairlearn.metrics import MetricFrame, demographic_parity_difference, demographic_parity_ratio, selection_rate

    y = np.array([1 if v == label else 0 for v in labels])
    mf = MetricFrame(metrics=selection_rate, y_true=y, y_pred=y, sensitive_features=np.array(groups))
    return {"rates": {str(k): float(v) for k, v in mf.by_group.items()},
            "difference": demographic_parity_difference(y, y, sensitive_features=np.array(groups)),
            "ratio": demographic_parity_ratio(y, y, sensitive_features=np.array(groups))}


@pytest.mark.parametrize("approved,severity", [({"male": 0.6, "female": 0.3, "nonbinary": 0.45}, "error"),
                                               ({"male": 0.6, "female": 0.42, "nonbinary": 0.5}, "warning")])
def test_ft502_equals_fairlearn_on_the_same_data(tmp_path: Path, approved: dict[str, float], severity: str) -> None:
    counts = {"male": 400, "female": 200, "nonbinary": 40}
    rows = lending(counts, approved)
    f = only(run(tmp_path, rows, ["FT502"]), "FT502")
    assert f.severity.label == severity
    labels = [r["label"] for r in rows]
    groups = [r["gender"] for r in rows]
    for label in ("approved", "denied"):
        ref = fairlearn_numbers(labels, groups, label)
        assert f.metrics["ratio"][label] == pytest.approx(ref["ratio"], abs=1e-6)
        assert f.metrics["difference"][label] == pytest.approx(ref["difference"], abs=1e-6)
        assert f.metrics["rates"][label] == pytest.approx(ref["rates"], abs=1e-6)
    worst = min(("approved", "denied"), key=lambda lb: (f.metrics["ratio"][lb], lb))
    assert f.metrics["worst_label"] == worst
    ratio = f.metrics["ratio"][worst]
    assert f"demographic parity ratio {ratio:.2f}" in f.message
    assert "four-fifths (0.8) rule is a convention, not a law" in f.message
    assert f.metrics["counts"]["female"] == {"approved": round(200 * approved["female"]),
                                             "denied": 200 - round(200 * approved["female"])}


def test_ft502_multiclass_is_one_vs_rest_per_label(tmp_path: Path) -> None:
    rows = []
    plan = {"a": {"x": 50, "y": 30, "z": 20}, "b": {"x": 20, "y": 30, "z": 50}}
    for g, by_label in plan.items():
        for lb, n in by_label.items():
            rows += [{"text": f"item {len(rows)} of group {g}", "label": lb, "gender": g} for _ in range(n)]
    f = only(run(tmp_path, rows, ["FT502"]), "FT502")
    labels = [r["label"] for r in rows]
    groups = [r["gender"] for r in rows]
    assert set(f.metrics["ratio"]) == {"x", "y", "z"}
    for lb in "xyz":
        assert f.metrics["ratio"][lb] == pytest.approx(fairlearn_numbers(labels, groups, lb)["ratio"], abs=1e-6)
    assert f.metrics["ratio"]["y"] == 1.0 and f.metrics["ratio"]["x"] == pytest.approx(0.4)
    assert f.severity.label == "error"  # 0.4 < 0.6
    assert f.metrics["worst_label"] == "x"  # x and z tie at 0.4; ties go to the first label name
    # the group x label weights equalise the label distribution of every group (reweighing)
    w = f.metrics["weights"]
    for g, by_label in plan.items():
        total = sum(w[g][lb] * n for lb, n in by_label.items())
        dist = {lb: w[g][lb] * n / total for lb, n in by_label.items()}
        assert dist == pytest.approx({"x": 70 / 200, "y": 60 / 200, "z": 70 / 200}, abs=1e-3)


def test_ft502_options_and_silence(tmp_path: Path) -> None:
    fair = lending({"male": 200, "female": 200}, {"male": 0.5, "female": 0.45})
    assert run(tmp_path, fair, ["FT502"]).findings == []  # ratio 0.9
    unfair = lending({"male": 200, "female": 200, "tiny": 5}, {"male": 0.6, "female": 0.42, "tiny": 0.0})
    f = only(run(tmp_path, unfair, ["FT502"]), "FT502")
    assert f.metrics["excluded_groups"] == ["tiny"] and "tiny" not in f.metrics["rates"]["approved"]
    assert f.severity.label == "warning"
    relaxed = run(tmp_path, unfair, ["FT502"], rules={"label-disparity": {"warn-below": 0.6, "error-below": 0.5}})
    assert relaxed.findings == []
    pinned = run(tmp_path, unfair, ["FT502"], rules={"label-disparity": {"labels": ["denied"]}})
    assert set(only(pinned, "FT502").metrics["ratio"]) == {"denied"}


def test_ft502_skipped_without_labels(tmp_path: Path) -> None:
    rows = [{"text": f"row {i}", "gender": "m" if i % 3 else "f"} for i in range(60)]
    report = run(tmp_path, rows, ["FT502"])
    assert next(o for o in report.outcomes if o.code == "FT502").outcome == "skipped"


# -- FT503, FT504 -----------------------------------------------------------------------------------------------------

def chat_rows(replies: list[str], prompt: str = "Tell me about the engineer.") -> list[dict[str, Any]]:
    return [{"messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": r}]}
            for r in replies]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_ft503_counts_terms_in_prompts_and_responses(tmp_path: Path) -> None:
    replies = ["He fixed the bug and his tests pass."] * 20 + ["She reviewed it."] * 3 + ["It works."] * 5
    path = write_jsonl(tmp_path / "train.jsonl", chat_rows(replies))
    report = check([path], settings=Settings(root=tmp_path, cache=False), select=["FT503"], no_cache=True)
    f = only(report, "FT503")
    assert f.metrics["counts"] == {"male": 40, "female": 3}
    assert f.metrics["responses"] == {"male": 40, "female": 3} and f.metrics["prompts"] == {"male": 0, "female": 0}
    assert f.metrics["ratio"] == pytest.approx(40 / 3, abs=1e-3)
    assert f.severity.label == "warning"  # above 10
    assert [r.index for r in f.rows] == list(range(20))
    assert "'male' 40, 'female' 3 (13.3× as many 'male' terms as 'female')" in f.message


def test_ft503_info_between_3_and_10_and_silent_when_balanced(tmp_path: Path) -> None:
    replies = ["He did it, then he left."] * 20 + ["She agreed."] * 8
    path = write_jsonl(tmp_path / "train.jsonl", chat_rows(replies))
    f = only(check([path], settings=Settings(root=tmp_path, cache=False), select=["FT503"], no_cache=True), "FT503")
    assert f.severity.label == "info" and f.metrics["ratio"] == 5.0
    balanced = ["He did it."] * 20 + ["She did it."] * 15
    path = write_jsonl(tmp_path / "train.jsonl", chat_rows(balanced))
    assert check([path], settings=Settings(root=tmp_path, cache=False), select=["FT503"], no_cache=True).findings == []


def test_lexicons_can_be_extended_replaced_and_turned_on(tmp_path: Path) -> None:
    replies = ["The engineer and the nurse met; xe said hello."] * 30 + ["They left with him."] * 2
    path = write_jsonl(tmp_path / "train.jsonl", chat_rows(replies))
    (tmp_path / "extra.toml").write_text('extend = true\n[groups]\nneutral = ["xe", "xem", "xyr"]\n',
                                         encoding="utf-8")
    s = settings_from_dict({"lexicons": {"gender": "extra.toml"}}, tmp_path)
    s.cache = False
    f = only(check([path], settings=s, select=["FT503"], no_cache=True), "FT503")
    assert f.metrics["counts"] == {"female": 0, "male": 2, "neutral": 30}
    assert f.metrics["lexicon_source"].startswith("builtin + ")

    (tmp_path / "roles.toml").write_text('[groups]\nengineer = ["engineer"]\nnurse = ["nurse", "nurses"]\n',
                                         encoding="utf-8")
    s = settings_from_dict({"lexicons": {"gender": False, "roles": "roles.toml"}}, tmp_path)
    s.cache = False
    report = check([path], settings=s, select=["FT503"], no_cache=True)
    assert report.findings == []  # 30 vs 30: the replaced lexicon is balanced, and gender is off

    s = settings_from_dict({"lexicons": {"religion": True}}, tmp_path)
    path = write_jsonl(tmp_path / "train.jsonl", chat_rows(["The church and the church hall."] * 20 + ["a mosque"]))
    s.cache = False
    f = only(check([path], settings=s, select=["FT503"], no_cache=True), "FT503")
    assert f.metrics["lexicon"] == "religion" and f.metrics["counts"]["christian"] == 40


def test_a_bad_lexicon_file_is_a_located_settings_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "train.jsonl", chat_rows(["He did."] * 3))
    (tmp_path / "ftlint.toml").write_text('[lexicons]\ngender = "missing.toml"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "train.jsonl", "--no-cache"])
    assert result.exit_code == 2 and "lexicon file not found" in result.stderr
    assert "Traceback" not in result.output


def test_ft504_suggests_the_settings_and_is_silent_once_configured(tmp_path: Path) -> None:
    rows = lending(COUNTS, {"male": 0.5, "female": 0.5, "nonbinary": 0.5})
    for i, r in enumerate(rows[:15]):
        r["text"] += " and she signed it" if i % 2 else " and he signed it"
    path = write_csv(tmp_path / "train.csv", rows)
    report = check([path], settings=Settings(root=tmp_path, cache=False), select=["FT504"], no_cache=True)
    f = only(report, "FT504")
    assert f.severity.label == "info"
    assert f.metrics["demographic_columns"] == ["age", "gender"]
    assert f.metrics["rows_with_terms"] == 15
    assert 'sensitive = ["age", "gender"]' in f.fix and "--sensitive age" in f.fix
    configured = check([path], settings=Settings(root=tmp_path, cache=False, sensitive=["gender"]),
                       select=["FT504"], no_cache=True)
    assert configured.findings == []
