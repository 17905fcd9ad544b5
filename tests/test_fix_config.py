"""``ftlint fix --config``: the config patch is what the findings' EditConfig remedies ask for,
written by the framework's adapter (comments kept); ``fix.py`` knows no rule and no framework.

The expected patches of the first tests were recorded before the EditConfig remedies drove the
patch (when ``fix`` asked each adapter for every evaluation and early-stopping edit): for configs
the rules find wanting, the patched file is the same byte for byte."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from ftlint.training import FRAMEWORKS
from tests.cli_inprocess import cli

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
CHAT_YAML = (ROOT / "examples" / "chat-mistakes" / "train.yaml").read_text(encoding="utf-8")
AXOLOTL_VALIDATED = CHAT_YAML.replace("val_set_size: 0\n", "val_set_size: 0.1\n")
AXOLOTL_BROKEN_ES = AXOLOTL_VALIDATED + "early_stopping_patience: 2\nevals_per_epoch: 4\n"
HF_ARGS = {"model_name_or_path": "Qwen/Qwen2.5-0.5B", "train_file": "train.jsonl", "num_train_epochs": 3,
           "learning_rate": 2e-5, "output_dir": "out", "per_device_train_batch_size": 4}
HF_BROKEN_ES = dict(HF_ARGS, validation_file="train.jsonl", eval_strategy="epoch", save_strategy="steps",
                    save_steps=7, load_best_model_at_end=True)

#: case -> (config file name, its text (None: the example's own), the data on the command line, the corpus file)
CASES: dict[str, tuple[str, str | None, tuple[str, ...], str | None]] = {
    "axolotl": ("train.yaml", None, (), None),
    "axolotl-broken-early-stopping": ("axo.yaml", AXOLOTL_BROKEN_ES, (), None),
    "axolotl-no-early-stopping": ("axo.yaml", AXOLOTL_VALIDATED, (), None),
    "hf": ("args.json", json.dumps(HF_ARGS), (), None),
    "hf-broken-early-stopping": ("args.json", json.dumps(HF_BROKEN_ES), (), None),
    "llamafactory-corpus": ("lf.yaml", None, ("train.jsonl", "--no-split"),
                            "hiyouga__LLaMA-Factory/examples__train_lora__qwen3_lora_sft.yaml"),
    "trl-corpus": ("trl.yaml", None, ("train.jsonl", "--no-split"),
                   "huggingface__alignment-handbook/recipes__smollm2__sft__config.yaml"),
}

#: case -> (sha256 of the patched config, first 16 digits; the edits ``fix`` lists), as recorded before
EXPECTED: dict[str, tuple[str, list[str]]] = {
    "axolotl": ("c89266d1dc2618ef", [
        '`datasets[0].path: ftlint-fixed/train.jsonl` (the repaired copy)',
        '`test_datasets: [{field_messages: messages, path: ftlint-fixed/validation.jsonl, split: '
        'train, type: chat_template}]` (held-out data: the validation file ftlint fix wrote)',
        'remove `saves_per_epoch` (Axolotl early stopping needs eval_steps/save_steps instead)',
        '`eval_steps: 1` (evaluate during training, at each checkpoint (about 4 times per epoch '
        'when no interval was set))',
        '`save_steps: 1` (save at each evaluation (a multiple of eval_steps))',
        '`early_stopping_patience: 3` (stop after this many evaluations without improvement)',
    ]),
    "axolotl-broken-early-stopping": ("594e41b015860e67", [
        '`datasets[0].path: ftlint-fixed/train.jsonl` (the repaired copy)',
        'remove `evals_per_epoch` (Axolotl early stopping needs eval_steps/save_steps instead)',
        'remove `saves_per_epoch` (Axolotl early stopping needs eval_steps/save_steps instead)',
        '`eval_steps: 1` (evaluate during training, at each checkpoint (about 4 times per epoch '
        'when no interval was set))',
        '`save_steps: 1` (save at each evaluation (a multiple of eval_steps))',
        '`early_stopping_patience: 3` (stop after this many evaluations without improvement)',
    ]),
    "axolotl-no-early-stopping": ("fdb112ba58170a5d", [
        '`datasets[0].path: ftlint-fixed/train.jsonl` (the repaired copy)',
        'remove `saves_per_epoch` (Axolotl early stopping needs eval_steps/save_steps instead)',
        '`eval_steps: 1` (evaluate during training, at each checkpoint (about 4 times per epoch '
        'when no interval was set))',
        '`save_steps: 1` (save at each evaluation (a multiple of eval_steps))',
        '`early_stopping_patience: 3` (stop after this many evaluations without improvement)',
    ]),
    "hf": ("f76a8b4693a5a028", [
        '`train_file: ftlint-fixed/train.jsonl` (the repaired copy)',
        '`validation_file: ftlint-fixed/validation.jsonl` (held-out data: the validation file ftlint fix wrote)',
        '`eval_strategy: steps` (evaluate during training)',
        '`eval_steps: 2` (evaluate during training, at each checkpoint (about 4 times per epoch '
        'when no interval was set))',
        '`save_strategy: steps` (must match the evaluation strategy)',
        '`save_steps: 2` (a multiple of eval_steps)',
        '`do_eval: true` (run the evaluation)',
        '`load_best_model_at_end: true` (keep the best checkpoint, not the last)',
        "`metric_for_best_model: eval_loss` (what 'best' means)",
        '`greater_is_better: false` (a lower eval loss is better)',
    ]),
    "hf-broken-early-stopping": ("805af65a3a17f03e", [
        '`train_file: ftlint-fixed/train.jsonl` (the repaired copy)',
        '`eval_strategy: steps` (evaluate during training)',
        '`eval_steps: 7` (evaluate during training, at each checkpoint (about 4 times per epoch '
        'when no interval was set))',
        '`save_strategy: steps` (must match the evaluation strategy)',
        '`do_eval: true` (run the evaluation)',
        '`load_best_model_at_end: true` (keep the best checkpoint, not the last)',
        "`metric_for_best_model: eval_loss` (what 'best' means)",
        '`greater_is_better: false` (a lower eval loss is better)',
    ]),
    "llamafactory-corpus": ("73a318a531f81a2f", [
        '`val_size: 0.1` (hold out 10% of `dataset` for evaluation)',
        '`eval_strategy: steps` (evaluate during training)',
        '`eval_steps: 500` (evaluate during training, at each checkpoint (about 4 times per epoch '
        'when no interval was set))',
        '`save_strategy: steps` (must match the evaluation strategy)',
        '`load_best_model_at_end: true` (keep the best checkpoint, not the last)',
        "`metric_for_best_model: eval_loss` (what 'best' means)",
        '`greater_is_better: false` (a lower eval loss is better)',
        '`early_stopping_steps: 3` (stop after this many evaluations without improvement)',
    ]),
    "trl-corpus": ("d6311fb2608bf804", [
        '`eval_strategy: steps` (evaluate during training)',
        '`eval_steps: 1` (evaluate during training, at each checkpoint (about 4 times per epoch '
        'when no interval was set))',
        '`save_strategy: steps` (must match the evaluation strategy)',
        '`save_steps: 1` (a multiple of eval_steps)',
        '`load_best_model_at_end: true` (keep the best checkpoint, not the last)',
        "`metric_for_best_model: eval_loss` (what 'best' means)",
        '`greater_is_better: false` (a lower eval loss is better)',
    ]),
}


def _fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> tuple[str, str]:
    name, text, data, corpus = CASES[case]
    if corpus is not None and not (CORPUS / corpus).is_file():
        pytest.skip("the shared corpus (../shared/corpus) is not here")
    dest = tmp_path / "p"
    shutil.copytree(ROOT / "examples" / "chat-mistakes", dest)
    if corpus is not None:
        text = (CORPUS / corpus).read_text(encoding="utf-8")
    if text is not None:
        (dest / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(dest)
    res = cli("fix", *data, "--config", name, "--no-cache", *(() if name == "train.yaml" else ("--isolated",)))
    assert res.exit_code == 0, res.output
    patched = dest / "ftlint-fixed" / name
    return res.output, patched.read_text(encoding="utf-8") if patched.is_file() else ""


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_patch_is_the_one_recorded_before_the_remedies_drove_it(case: str, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    output, patched = _fix(tmp_path, monkeypatch, case)
    digest, changes = EXPECTED[case]
    listed = output.split("training config (", 1)[1].split("\n", 1)[1].splitlines()
    assert [line.strip() for line in listed[:len(changes) + 1] if line.startswith("    ")] == changes
    assert hashlib.sha256(patched.encode("utf-8")).hexdigest()[:16] == digest


def test_only_the_settings_the_findings_ask_for_are_written(tmp_path: Path) -> None:
    """Evaluation alone (FT104's remedy) writes no early stopping; no remedy: only the repaired
    paths; a setting no adapter can write is a note, not a silent skip."""
    from ftlint.remedies import EditConfig
    from ftlint.training import load_training_config
    from ftlint.training.adapter import EvaluationEditRequest
    from ftlint.training.adapters import adapter_for

    path = tmp_path / "ax.yaml"
    path.write_text("base_model: m/x  # the base\ndatasets:\n  - path: d.jsonl\n    type: chat_template\n"
                    "evals_per_epoch: 4\nsaves_per_epoch: 1\n", encoding="utf-8")
    plan = load_training_config(path)
    adapter = adapter_for(plan)
    request = EvaluationEditRequest(eval_steps=10, save_ok=False, patience=2,
                                    repaired=lambda ref, split: "out/d.jsonl")
    evaluate = [EditConfig("validation.enabled", True, "evaluate")]
    edits, notes = adapter.config_edits(plan, evaluate, request)
    assert [(e.key, e.value, e.remove) for e in edits] == [
        ("datasets[0].path", "out/d.jsonl", False), ("val_set_size", 0.05, False), ("evals_per_epoch", None, True),
        ("eval_steps", 10, False)] and notes == []
    edits, notes = adapter.config_edits(plan, [], request)
    assert [e.key for e in edits] == ["datasets[0].path"] and notes == []
    edits, notes = adapter.config_edits(plan, [EditConfig("lora.r", 8, "a smaller adapter")], request)
    assert [e.key for e in edits] == ["datasets[0].path"]
    assert notes == ["ftlint fix cannot set `lora.r` in a config: a smaller adapter"]
    stop = [EditConfig("early_stopping.requested", True, "stop")]
    edits, _ = adapter.config_edits(plan, evaluate + stop, request)
    assert [e.key for e in edits][-3:] == ["eval_steps", "save_steps", "early_stopping_patience"]


def test_a_config_nothing_is_wrong_with_is_not_patched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No finding carries an EditConfig remedy and the config names no local file: no patched copy
    (before, every config got the evaluation edits, even ones that were already there)."""
    dest = tmp_path / "p"
    shutil.copytree(ROOT / "examples" / "chat-mistakes", dest)
    monkeypatch.chdir(dest)
    (dest / "ok.yaml").write_text(AXOLOTL_VALIDATED.replace("  - path: train.jsonl", "  - path: org/data")
                                  .replace("saves_per_epoch: 1\n", "") +
                                  "eval_steps: 5\nsave_steps: 5\nearly_stopping_patience: 3\n", encoding="utf-8")
    res = cli("fix", "train.jsonl", "--config", "ok.yaml", "--isolated", "--no-cache")
    assert res.exit_code == 0, res.output
    assert "training config" not in res.output and not (dest / "ftlint-fixed" / "ok.yaml").exists()


def test_fix_py_knows_no_rule_and_no_framework() -> None:
    text = (ROOT / "src" / "ftlint" / "fix.py").read_text(encoding="utf-8")
    assert re.findall(r"\bFT\d{3}\b", text) == []
    words = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]+", text)}
    assert words & ({f.lower() for f in FRAMEWORKS} | {"hf", "trl", "llama-factory", "leaked-from"}) == set()
