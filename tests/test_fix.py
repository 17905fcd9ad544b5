"""``ftlint fix``: the repaired copies pass the rules they repair, the inputs stay byte-for-byte
the same, the carved split is seeded and stratified, the weights come from the fairness
findings; and ``ftlint init``."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ftlint.fix import stratified_holdout
from tests.cli_inprocess import cli

ROOT = Path(__file__).resolve().parents[1]
FIXED_RULES = {"FT001", "FT002", "FT003", "FT201", "FT202", "FT203", "FT104", "FT601", "FT606"}
WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa "
         "quebec romeo sierra tango uniform victor whiskey xray yankee zulu").split()


def hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "ftlint-fixed" not in p.parts
            and ".ftlint_cache" not in p.parts}


def codes(*args: str) -> tuple[set[str], dict[str, Any]]:
    res = cli("check", *args, "--no-cache", "--output-format", "json")
    assert res.exit_code in (0, 1), res.output
    report = json.loads(res.stdout)
    return {f["code"] for f in report["findings"]}, report


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dest = tmp_path / "chat-mistakes"
    shutil.copytree(ROOT / "examples" / "chat-mistakes", dest)
    monkeypatch.chdir(dest)
    return dest


def test_fix_repairs_the_planted_mistakes_and_leaves_the_inputs_alone(chat: Path) -> None:
    before_codes, _ = codes("--config", "train.yaml")
    assert {"FT001", "FT003", "FT201", "FT104", "FT601"} <= before_codes
    before = hashes(chat)
    res = cli("fix", "--config", "train.yaml", "--no-cache")
    assert res.exit_code == 0, res.output
    assert hashes(chat) == before  # byte for byte
    out = chat / "ftlint-fixed"
    assert sorted(p.name for p in out.iterdir()) == ["train.jsonl", "train.yaml", "validation.jsonl"]
    # 43 records: 1 unreadable (FT001), 1 schema mismatch (FT002), 1 empty reply (FT003), 3 copies
    # (FT201) dropped; 10% of the 37 left carved into validation
    assert "43 -> 33" in res.output and "- -> 4" in res.output
    assert "drop exact duplicates  train: 3 rows" in res.output
    train, val = read_jsonl(out / "train.jsonl"), read_jsonl(out / "validation.jsonl")
    assert len(train) == 33 and len(val) == 4
    assert not {json.dumps(r, sort_keys=True) for r in train} & {json.dumps(r, sort_keys=True) for r in val}
    # the first of each duplicate group is kept: line 1 of the input is still the first row
    first = json.loads((chat / "train.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first in train + val
    # the patched config names the repaired files and keeps the original's comments
    patched = (out / "train.yaml").read_text(encoding="utf-8")
    assert patched.startswith("# Axolotl config for a LoRA fine-tune on train.jsonl.")
    assert "path: ftlint-fixed/train.jsonl" in patched and "early_stopping_patience: 3" in patched
    after_codes, report = codes("--config", "ftlint-fixed/train.yaml")
    assert not after_codes & FIXED_RULES, after_codes
    assert "FT004" in after_codes  # not a fix's business: a broken conversation needs a person
    splits = {i["path"]: i["split"] for i in report["inputs"] if i["role"] == "dataset"}
    assert splits == {"ftlint-fixed/train.jsonl": "train", "ftlint-fixed/validation.jsonl": "validation"}
    # without the config: the carved split alone clears FT104
    assert not codes("ftlint-fixed/train.jsonl", "ftlint-fixed/validation.jsonl")[0] & FIXED_RULES


def test_fix_refuses_to_write_over_an_input(chat: Path) -> None:
    before = hashes(chat)
    res = cli("fix", "train.jsonl", "--output-dir", ".", "--no-cache")
    assert res.exit_code == 2
    assert "refusing to write" in res.output and "input" in res.output
    assert hashes(chat) == before
    res = cli("fix", "--config", "train.yaml", "--output-dir", ".", "--no-split", "--no-cache")
    assert res.exit_code == 2 and hashes(chat) == before


def labelled_project(folder: Path, n: int = 120) -> list[dict[str, Any]]:
    """Unique texts; labels 60% pos / 30% neg / 10% neutral; 'f' one row in 8."""
    rnd = random.Random(1)
    rows = []
    for i in range(n):
        label = "pos" if i % 10 < 6 else ("neg" if i % 10 < 9 else "neutral")
        rows.append({"text": " ".join(rnd.sample(WORDS, 12)) + f" number {i}", "label": label,
                     "gender": "f" if i % 8 == 0 else "m"})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (folder / "ftlint.toml").write_text('sensitive = ["gender"]\n', encoding="utf-8")
    return rows


def test_carved_split_is_seeded_and_stratified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = labelled_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    for out, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        res = cli("fix", "train.jsonl", "--seed", seed, "--output-dir", out, "--no-weights", "--no-cache")
        assert res.exit_code == 0, res.output
        assert "stratified by label column" in res.output
    va, vb, vc = ((tmp_path / d / "validation.jsonl").read_bytes() for d in "abc")
    assert va == vb  # the same seed carves the same rows
    assert va != vc  # another seed, other rows
    val, train = read_jsonl(tmp_path / "a" / "validation.jsonl"), read_jsonl(tmp_path / "a" / "train.jsonl")
    assert len(val) == 12 and len(train) == 108
    # 72 pos / 36 neg / 12 neutral; 12 rows: 7.2 / 3.6 / 1.2, largest remainder -> 7 / 4 / 1
    assert Counter(r["label"] for r in val) == {"pos": 7, "neg": 4, "neutral": 1}
    assert sorted(r["text"] for r in train + val) == sorted(r["text"] for r in rows)


def test_stratified_holdout() -> None:
    strata = ["a"] * 50 + ["b"] * 30 + [None] * 20
    picked = stratified_holdout(strata, 0.2, seed=0)
    assert picked == stratified_holdout(strata, 0.2, seed=0) != stratified_holdout(strata, 0.2, seed=1)
    assert len(picked) == 20 and picked == sorted(set(picked))
    assert Counter(strata[i] for i in picked) == {"a": 10, "b": 6, None: 4}
    assert stratified_holdout(["x"], 0.5, 0) == [] and len(stratified_holdout(["x", "y"], 0.01, 0)) == 1


def test_weight_column_rebalances_groups_from_the_fairness_findings(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    labelled_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    _found, report = codes("train.jsonl", "--select", "FT501,FT502")
    metrics = {f["code"]: f["metrics"] for f in report["findings"]}
    assert "FT501" in metrics
    res = cli("fix", "train.jsonl", "--no-split", "--no-cache")
    assert res.exit_code == 0, res.output
    assert "weight groups" in res.output
    train = read_jsonl(tmp_path / "ftlint-fixed" / "train.jsonl")
    assert len(train) == 120 and all(isinstance(r["sample_weight"], float) for r in train)
    raw = []
    for r in train:
        w = metrics["FT501"]["weights"][r["gender"]]
        if "FT502" in metrics:
            w *= metrics["FT502"]["weights"].get(r["gender"], {}).get(r["label"], 1.0)
        raw.append(w)
    scale = sum(raw) / len(raw)
    for r, w in zip(train, raw):
        assert r["sample_weight"] == pytest.approx(w / scale, rel=1e-4)
    assert sum(r["sample_weight"] for r in train) / len(train) == pytest.approx(1.0, abs=1e-4)
    # FT501's weights alone (FT502 ignored in the settings): every group carries the same total weight
    (tmp_path / "ftlint.toml").write_text('sensitive = ["gender"]\nignore = ["FT502"]\n', encoding="utf-8")
    assert cli("fix", "train.jsonl", "--no-split", "--output-dir", "g", "--no-cache").exit_code == 0
    total: Counter[str] = Counter()
    for r in read_jsonl(tmp_path / "g" / "train.jsonl"):
        total[r["gender"]] += r["sample_weight"]
    assert total["f"] == pytest.approx(60.0, rel=1e-4) and total["m"] == pytest.approx(60.0, rel=1e-4)


def test_weight_column_for_a_numeric_attribute_binned_with_edges(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`bin-edges` groups a numeric column; fix must bin it the same way FT501 did."""
    rows = labelled_project(tmp_path)
    for i, r in enumerate(rows):
        r["age"] = 20 + (i % 8) if i % 8 == 0 else 40 + (i % 20)   # one row in 8 under 30
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "ftlint.toml").write_text('sensitive = ["age"]\nignore = ["FT502"]\n'
                                          '[rules.group-underrepresented]\nbin-edges = [30]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    _found, report = codes("train.jsonl", "--select", "FT501")
    assert set(report["findings"][0]["metrics"]["weights"]) == {"< 30", ">= 30"}
    assert cli("fix", "train.jsonl", "--no-split", "--no-cache").exit_code == 0
    total: Counter[str] = Counter()
    for r in read_jsonl(tmp_path / "ftlint-fixed" / "train.jsonl"):
        total["young" if r["age"] < 30 else "old"] += r["sample_weight"]
    assert total["young"] == pytest.approx(60.0, rel=1e-4) and total["old"] == pytest.approx(60.0, rel=1e-4)


def test_weight_column_name_and_opt_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    labelled_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert cli("fix", "train.jsonl", "--no-split", "--weight-column", "w", "--output-dir", "named",
               "--no-cache").exit_code == 0
    assert all("w" in r and "sample_weight" not in r for r in read_jsonl(tmp_path / "named" / "train.jsonl"))
    assert cli("fix", "train.jsonl", "--no-split", "--no-weights", "--output-dir", "plain", "--no-cache").exit_code == 0
    assert (tmp_path / "plain" / "train.jsonl").read_bytes() == (tmp_path / "train.jsonl").read_bytes()


def test_leaked_rows_are_removed_from_the_chosen_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(2)
    rows = [{"prompt": " ".join(rnd.sample(WORDS, 10)) + f" item {i}", "completion": f"answer {i} " * 3}
            for i in range(40)]
    train, val = rows[:30], rows[30:] + rows[:2]  # rows 0 and 1 leak into validation
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in train), encoding="utf-8")
    (tmp_path / "val.jsonl").write_text("".join(json.dumps(r) + "\n" for r in val), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert "FT203" in codes("train.jsonl", "val.jsonl", "--isolated")[0]
    res = cli("fix", "train.jsonl", "val.jsonl", "--isolated", "--no-cache")
    assert res.exit_code == 0, res.output
    out = tmp_path / "ftlint-fixed"
    assert len(read_jsonl(out / "train.jsonl")) == 30 and len(read_jsonl(out / "val.jsonl")) == 10
    assert not (out / "validation.jsonl").exists()  # there was a validation split: nothing carved
    res = cli("fix", "train.jsonl", "val.jsonl", "--isolated", "--leaked-from", "train", "--output-dir", "t",
              "--no-cache")
    assert res.exit_code == 0, res.output
    kept = read_jsonl(tmp_path / "t" / "train.jsonl")
    assert len(kept) == 28 and rows[0] not in kept and rows[1] not in kept
    assert len(read_jsonl(tmp_path / "t" / "val.jsonl")) == 12
    for d in ("ftlint-fixed", "t"):
        assert "FT203" not in codes(f"{d}/train.jsonl", f"{d}/val.jsonl", "--isolated")[0]


def test_fix_patches_an_hf_json_config(chat: Path) -> None:
    (chat / "ftlint.toml").unlink()
    (chat / "args.json").write_text(json.dumps({
        "model_name_or_path": "Qwen/Qwen2.5-0.5B", "train_file": "train.jsonl", "num_train_epochs": 3,
        "learning_rate": 2e-5, "output_dir": "out", "per_device_train_batch_size": 4}), encoding="utf-8")
    assert {"FT104", "FT601"} <= codes("--config", "args.json")[0]
    res = cli("fix", "--config", "args.json", "--no-cache")
    assert res.exit_code == 0, res.output
    assert "EarlyStoppingCallback" in res.output  # what a config cannot say is printed
    cfg = json.loads((chat / "ftlint-fixed" / "args.json").read_text())
    assert cfg["train_file"] == "ftlint-fixed/train.jsonl" and cfg["validation_file"] == "ftlint-fixed/validation.jsonl"
    assert cfg["eval_strategy"] == cfg["save_strategy"] == "steps" and cfg["load_best_model_at_end"] is True
    assert cfg["save_steps"] % cfg["eval_steps"] == 0
    assert not codes("--config", "ftlint-fixed/args.json")[0] & FIXED_RULES


def test_fix_without_rows_to_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "examples" / "clean-classification", tmp_path / "p")
    monkeypatch.chdir(tmp_path / "p")
    before = hashes(tmp_path / "p")
    res = cli("fix", "train.jsonl", "val.jsonl", "--no-cache")
    assert res.exit_code == 0, res.output
    assert "No row needed a change." in res.output
    for name in ("train.jsonl", "val.jsonl"):
        assert (tmp_path / "p" / "ftlint-fixed" / name).read_bytes() == (tmp_path / "p" / name).read_bytes()
    assert hashes(tmp_path / "p") == before


# -- ftlint init ----------------------------------------------------------------------------------

def test_init_writes_settings_from_what_it_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "data").mkdir()
    src = ROOT / "examples" / "chat-mistakes"
    lines = (src / "train.jsonl").read_text(encoding="utf-8").splitlines()
    (tmp_path / "data" / "train.jsonl").write_text("\n".join(lines[:30]) + "\n", encoding="utf-8")
    (tmp_path / "data" / "val.jsonl").write_text("\n".join(lines[40:43]) + "\n", encoding="utf-8")
    (tmp_path / "train.yaml").write_text((src / "train.yaml").read_text().replace("path: train.jsonl",
                                                                                  "path: data/train.jsonl"))
    (tmp_path / "notes.yaml").write_text("title: not a training config\n")
    monkeypatch.chdir(tmp_path)
    res = cli("init")
    assert res.exit_code == 0, res.output
    settings = (tmp_path / "ftlint.toml").read_text()
    assert 'train = ["data/train.jsonl"]' in settings and 'validation = ["data/val.jsonl"]' in settings
    assert 'training-config = "train.yaml"' in settings and "notes.yaml" not in settings
    assert "id: ftlint" in res.output and "upload-sarif" in res.output and "--output-format github" in res.output
    # the settings work: `ftlint check` with no arguments checks what they name
    _, report = codes()
    inputs = {(i["path"], i.get("split"), i["role"]) for i in report["inputs"]}
    assert {("data/train.jsonl", "train", "dataset"), ("data/val.jsonl", "validation", "dataset"),
            ("train.yaml", None, "training_config")} <= inputs
    # an existing ftlint.toml is kept unless --force
    (tmp_path / "ftlint.toml").write_text("# mine\n")
    res = cli("init")
    assert res.exit_code == 2 and "already exists" in res.output and "--force" in res.output
    assert (tmp_path / "ftlint.toml").read_text() == "# mine\n"
    assert cli("init", "--force").exit_code == 0
    assert "training-config" in (tmp_path / "ftlint.toml").read_text()


def test_init_in_an_empty_folder(tmp_path: Path) -> None:
    res = cli("init", str(tmp_path))
    assert res.exit_code == 0, res.output
    text = (tmp_path / "ftlint.toml").read_text()
    assert "found no dataset files" in res.output and "# no dataset files found" in text
    import tomllib

    assert tomllib.loads(text)["fail-on"] == "error"


def test_contaminated_training_rows_are_dropped(chat: Path) -> None:
    lines = (chat / "train.jsonl").read_text(encoding="utf-8").splitlines()
    (chat / "bench.jsonl").write_text(lines[1] + "\n" + lines[2] + "\n", encoding="utf-8")
    res = cli("fix", "train.jsonl", "--contamination", "bench.jsonl", "--no-split", "--no-cache")
    assert res.exit_code == 0, res.output
    assert "drop contaminated      train: 2 rows" in res.output
    kept = (chat / "ftlint-fixed" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines[1] not in kept and lines[2] not in kept and lines[0] in kept
    assert not (chat / "ftlint-fixed" / "bench.jsonl").exists()
    assert "FT204" not in codes("ftlint-fixed/train.jsonl", "--contamination", "bench.jsonl")[0]


LF_CONFIG = ROOT.parent / "shared" / "corpus" / "hiyouga__LLaMA-Factory" / "examples__train_lora__qwen3_lora_sft.yaml"


@pytest.mark.skipif(not LF_CONFIG.is_file(), reason="the shared corpus (../shared/corpus) is not here")
def test_fix_patches_a_real_llamafactory_config(chat: Path) -> None:
    shutil.copy(LF_CONFIG, chat / "lf.yaml")
    assert {"FT104", "FT601"} <= codes("train.jsonl", "--config", "lf.yaml", "--isolated")[0]
    res = cli("fix", "train.jsonl", "--config", "lf.yaml", "--isolated", "--no-split", "--no-cache")
    assert res.exit_code == 0, res.output
    patched = (chat / "ftlint-fixed" / "lf.yaml").read_text()
    original = LF_CONFIG.read_text()
    # every original line (comments, the commented-out eval block) is still there, the first ones unchanged
    assert set(original.splitlines()) <= set(patched.splitlines())
    assert patched.startswith(original.split("\n\n")[0])
    assert "save_steps: 500" in patched and "eval_steps: 500" in patched  # the user's checkpoint interval
    assert "early_stopping_steps: 3" in patched and "dataset_info.json" in res.output
    assert not codes("ftlint-fixed/train.jsonl", "--config", "ftlint-fixed/lf.yaml", "--isolated")[0] & FIXED_RULES


def test_the_rules_marked_fixable_are_the_ones_whose_findings_carry_remedies() -> None:
    """`fixable` (shown by `ftlint rules` and on each rule's page) is derived from the remedies a rule
    declares, and those are the rules `ftlint fix` repairs."""
    from ftlint.registry import load_registry

    rules = load_registry(plugins=False).rules
    marked = {r.code for r in rules if r.fixable}
    assert marked == {r.code for r in rules if r.remedies}
    assert marked == {"FT001", "FT002", "FT003", "FT201", "FT202", "FT203", "FT204", "FT501", "FT502",
                      "FT104", "FT601", "FT606"}


def test_fix_applies_the_remedies_it_is_given_whatever_rule_made_them(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """fix knows no rule: a finding of any code that carries DropRows / Reweight remedies is applied
    as such (here a plugin-like FX101 that drops row 2 and weighs row 0 double)."""
    import numpy as np

    from ftlint.findings import Report
    from ftlint.fix import FixOptions, fix, lint_for_fix
    from ftlint.model import Finding, Location, Severity
    from ftlint.remedies import DropRows, Reweight, RowRef
    from ftlint.settings import Settings

    monkeypatch.chdir(tmp_path)
    rows = [{"prompt": f"question {i} about {WORDS[i]}", "completion": f"answer {WORDS[i]}"} for i in range(5)]
    Path("train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    Path("val.jsonl").write_text(json.dumps({"prompt": "held out", "completion": "yes"}) + "\n")
    _, ctx = lint_for_fix(["train.jsonl", "val.jsonl"], settings=Settings(root=tmp_path), no_cache=True)
    finding = Finding("FX101", "plugin-rule", Severity.WARNING, "m", "f", Location("train.jsonl", 3, None),
                      remedies=[DropRows((RowRef("train.jsonl", 2, "train"),), "drop odd", "odd rows (FX101)"),
                                Reweight("train", np.array([2.0, 1, 1, 1, 1]), {"a": 2.0}, "FX101 'a'")])
    result = fix(Report(findings=[finding], outcomes=[], inputs=[]), ctx, FixOptions(output_dir=Path("out")))
    assert [(c.repair, c.split, c.rows) for c in result.changes] == [("drop odd", "train", 1),
                                                                     ("weight groups", "train", 4)]
    written = read_jsonl(Path("out/train.jsonl"))
    assert [r["prompt"] for r in written] == [rows[i]["prompt"] for i in (0, 1, 3, 4)]
    assert [r["sample_weight"] for r in written] == [1.6, 0.8, 0.8, 0.8]
