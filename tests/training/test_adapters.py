"""The framework adapter protocol: every adapter answers every canonical field, the plan's values
carry their framework's key even where a default applies, the early-stopping recipe is each
framework's own, config patches keep comments, and no code outside ``ftlint/training`` branches on a
framework's name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import ftlint
from ftlint.training import FRAMEWORKS, load_training_config
from ftlint.training.adapter import CANONICAL_FIELDS, EvaluationEditRequest, FrameworkAdapter, HubFields
from ftlint.training.adapters import ADAPTERS, adapter_for, adapter_named
from ftlint.training.patch import ConfigEdit
from ftlint.training.plan import MODELSCOPE, DatasetKind, DatasetRef

SRC = Path(ftlint.__file__).resolve().parent

#: (framework, variant) of every adapter a plan can get, with a minimal config of it
MINIMAL = {
    ("axolotl", "sft"): ("ax.yaml", "base_model: m/x\ndatasets:\n  - path: org/x\n    type: chat_template\n"),
    ("hf", "example-script"): ("hf.json", '{"model_name_or_path": "gpt2", "train_file": "t.jsonl", "do_train": true}'),
    ("trl", "trl"): ("trl.yaml", "model_name_or_path: m/x\ndataset_name: org/x\n"),
    ("llamafactory", "v0"): ("lf.yaml", "model_name_or_path: m/x\nstage: sft\ndataset: org/x\n"),
    ("llamafactory", "v1"): ("lf1.yaml", "model: m/x\ntrain_dataset: d.yaml\nmicro_batch_size: 2\ncutoff_len: 64\n"),
    ("torchtune", "recipe"): ("tt.yaml", "model:\n  _component_: torchtune.models.llama3_2.lora_llama3_2_1b\n"
                                         "dataset:\n  _component_: torchtune.datasets.alpaca_dataset\n"
                                         "optimizer:\n  _component_: torch.optim.AdamW\n"),
    ("openai", "jobs.create"): ("job.json", '{"model": "gpt-4o-mini-2024-07-18", "training_file": "file-abc"}'),
}


def _plan(tmp_path: Path, framework: str, variant: str):
    name, text = MINIMAL[(framework, variant)]
    (tmp_path / name).write_text(text, encoding="utf-8")
    return load_training_config(tmp_path / name)


def _value(plan, field: str):
    owner, _, attr = field.rpartition(".")
    return getattr(getattr(plan, owner) if owner else plan, attr)


def test_one_adapter_per_framework() -> None:
    assert set(ADAPTERS) == set(FRAMEWORKS)
    for name, cls in ADAPTERS.items():
        assert issubclass(cls, FrameworkAdapter) and cls.name == name


@pytest.mark.parametrize(("framework", "variant"), sorted(MINIMAL))
def test_every_adapter_answers_every_canonical_field(framework: str, variant: str) -> None:
    adapter = adapter_for(framework, variant)
    assert set(adapter.keys) == set(CANONICAL_FIELDS), f"{adapter!r}: {set(adapter.keys) ^ set(CANONICAL_FIELDS)}"
    for field in CANONICAL_FIELDS:
        key = adapter.key(field)
        assert key is None or (isinstance(key, str) and key), (framework, field)
    assert set(adapter.defaults) <= set(CANONICAL_FIELDS)
    assert adapter.label and adapter.trainer_name
    with pytest.raises(KeyError):
        adapter.key("num_epochs")  # a framework's key is no canonical field


@pytest.mark.parametrize(("framework", "variant"), sorted(MINIMAL))
def test_plan_values_carry_their_key_when_a_default_applies(tmp_path: Path, framework: str, variant: str) -> None:
    plan = _plan(tmp_path, framework, variant)
    adapter = adapter_for(plan)
    assert (plan.framework, plan.variant) == (framework, variant) and adapter.variant == variant
    for field in CANONICAL_FIELDS:
        value = _value(plan, field)
        if value.sources:
            continue  # written (or null) in the file: the key as written
        assert value.key == adapter.key(field), (framework, field, value)
        if field in adapter.defaults and value.is_default and field != "lora.target_modules":  # normalised: all-linear
            assert value.value == adapter.default(field), (framework, field)


def test_default_keys_are_the_frameworks_own(tmp_path: Path) -> None:
    """What rules used to map per framework: epochs, learning rate, batch size, weight decay, dropout."""
    ax = _plan(tmp_path, "axolotl", "sft")
    assert (ax.epochs.key, ax.epochs.value, ax.epochs.is_default) == ("num_epochs", 1.0, True)
    assert (ax.batch.per_device.key, ax.weight_decay.key, ax.sequence.max_length.key) == (
        "micro_batch_size", "weight_decay", "sequence_len")
    tt = _plan(tmp_path, "torchtune", "recipe")
    assert (tt.learning_rate.key, tt.learning_rate.value) == ("optimizer.lr", 1e-3)  # AdamW's default
    assert (tt.weight_decay.key, tt.lora.dropout.key, tt.epochs.key) == (
        "optimizer.weight_decay", "model.lora_dropout", "epochs")
    v1 = _plan(tmp_path, "llamafactory", "v1")
    assert (v1.weight_decay.key, v1.lora.dropout.key, v1.lora.alpha.key) == (
        "optim_config.weight_decay", "peft_config.lora_dropout", "peft_config.lora_alpha")
    oa = _plan(tmp_path, "openai", "jobs.create")
    assert (oa.epochs.key, oa.batch.per_device.key, oa.learning_rate.key) == (
        "hyperparameters.n_epochs", "hyperparameters.batch_size", None)


def test_early_stopping_recipe_per_framework() -> None:
    recipe = {name: adapter_for(name, variant).early_stopping_recipe(patience=5)
              for name, variant in (("axolotl", "sft"), ("llamafactory", "v0"), ("hf", "trainer"), ("trl", "trl"),
                                    ("torchtune", "recipe"), ("openai", ""))}
    assert "`early_stopping_patience: 5`" in recipe["axolotl"] and "`save_steps`" in recipe["axolotl"]
    assert "`early_stopping_steps: 5`" in recipe["llamafactory"]
    assert "`load_best_model_at_end: true`" in recipe["llamafactory"]
    assert "EarlyStoppingCallback(early_stopping_patience=5)" in recipe["hf"]
    assert recipe["trl"].startswith(recipe["hf"]) and "`trl` CLI cannot add callbacks" in recipe["trl"]
    assert recipe["torchtune"].startswith("torchtune has no early stopping") and "`epochs`" in recipe["torchtune"]
    assert recipe["openai"].startswith("OpenAI fine-tuning has no early stopping")
    assert "`n_epochs`" in recipe["openai"]
    assert "no early-stopping keys" in adapter_for("llamafactory", "v1").early_stopping_recipe()
    assert [n for n in FRAMEWORKS if adapter_for(n, "").can_stop_early] == ["hf", "trl", "axolotl", "llamafactory"]
    assert not adapter_for("llamafactory", "v1").can_stop_early


def test_run_settings_per_framework() -> None:
    """What the run findings (FT801, FT802, FT805) quote, in each framework's own keys: a phrase
    beside FT601's whole recipe, with the run's patience and the metric that picks the best step."""
    es = {name: adapter_named(name).early_stopping_settings(3) for name in FRAMEWORKS}
    best = "`load_best_model_at_end: true`, `metric_for_best_model: eval_loss`"
    assert es["axolotl"] == f"`early_stopping_patience: 3` with {best} and `save_steps` equal to `eval_steps`"
    assert es["llamafactory"] == f"`early_stopping_steps: 3` with {best} and `save_steps` equal to `eval_steps`"
    assert es["hf"] == es["trl"] == (f"`EarlyStoppingCallback(early_stopping_patience=3)` with {best}, "
                                     "`eval_strategy: steps` and `save_steps` equal to `eval_steps`")
    assert es["torchtune"].startswith("torchtune has no early stopping") and "`epochs`" in es["torchtune"]
    assert "`hyperparameters.n_epochs`" in es["openai"]
    assert "`metric_for_best_model: eval_accuracy`, `greater_is_better: true`" in adapter_named("axolotl") \
        .early_stopping_settings(2, "eval_accuracy", greater_is_better=True)
    assert "no early-stopping keys" in adapter_for("llamafactory", "v1").early_stopping_settings()
    ev = {name: adapter_named(name).evaluation_settings(40) for name in FRAMEWORKS}
    assert ev["hf"] == "an eval dataset, `eval_strategy: steps` and `eval_steps: 40`"
    assert ev["axolotl"] == "`val_set_size: 0.05` (or `test_datasets`) and `eval_steps: 40`"
    assert ev["torchtune"] == "`dataset_val` and `run_val_every_n_steps: 40`"
    assert "`val_size: 0.05`" in ev["llamafactory"] and "`validation_file`" in ev["openai"]
    assert adapter_named("hf").evaluation_settings().endswith("`eval_steps: N`")
    # "or train fewer epochs" in the framework's key; torchtune's settings already say `epochs`
    assert {n: adapter_named(n).fewer_epochs_key for n in FRAMEWORKS} == {
        "hf": "num_train_epochs", "trl": "num_train_epochs", "axolotl": "num_epochs",
        "llamafactory": "num_train_epochs", "torchtune": None, "openai": "hyperparameters.n_epochs"}


def test_run_logs_and_checkpoints_per_framework() -> None:
    """Which run logs a framework's runs leave (TRL and Axolotl runs leave the HF Trainer's
    trainer_state.json), and how each names the checkpoint of a step."""
    writes = {name: sorted(k for k in ("hf", "llamafactory", "torchtune", "openai", "trl", "axolotl")
                           if adapter_named(name).writes_run_log(k)) for name in FRAMEWORKS}
    assert writes == {"hf": ["hf"], "trl": ["hf", "trl"], "axolotl": ["axolotl", "hf"],
                      "llamafactory": ["llamafactory"], "torchtune": ["torchtune"], "openai": ["openai"]}
    assert adapter_named("hf").checkpoint_name(500, 1.2) == "checkpoint-500"
    assert adapter_named("torchtune").checkpoint_name(500, 2.0) == "epoch_1"
    assert adapter_named("torchtune").checkpoint_name(500) == "the epoch checkpoint (epoch_*/) nearest step 500"
    assert adapter_named("openai").checkpoint_name(500) == "the checkpoint at step 500"
    assert [n for n in FRAMEWORKS if adapter_named(n).checkpoints_per_epoch] == ["torchtune", "openai"]
    assert adapter_named("llamafactory", "v1").variant == "v1"
    with pytest.raises(KeyError, match="not a framework"):
        adapter_named("deepspeed")


def test_hub_request_fields_per_framework() -> None:
    """How a hub dataset entry selects its data is the adapter's: HF/TRL keep a list of columns,
    LLaMA-Factory maps its roles and names a folder, Axolotl maps its prompt fields."""
    hf = DatasetRef("org/x", "train", DatasetKind.HUB, hub_id="org/x", columns=(("text", "text"), ("id", "id")),
                    entry={"data_dir": "en"})
    assert adapter_named("trl").hub_request_fields(hf) == HubFields(columns=("text", "id"), data_dir="en")
    lf = DatasetRef("demo", "train", DatasetKind.HUB, hub_id="org/x", columns=(("prompt", "q"), ("response", "a")),
                    entry={"hf_hub_url": "org/x", "columns": {"prompt": "q", "response": "a"}, "folder": "sub"})
    assert adapter_named("llamafactory").hub_request_fields(lf) == HubFields(
        mapping=(("instruction", "q"), ("output", "a")), data_dir="sub")
    share = DatasetRef("chat", "train", DatasetKind.HUB, hub_id="org/x", entry={
        "hf_hub_url": "org/x", "formatting": "sharegpt", "columns": {"messages": "turns"},
        "tags": {"role_tag": "role", "content_tag": "content"}})
    assert adapter_named("llamafactory").hub_request_fields(share).mapping == (("messages", "turns"),)
    ax = DatasetRef("org/x", "train", DatasetKind.HUB, hub_id="org/x", entry={
        "path": "org/x", "type": {"field_instruction": "question", "field_output": "answer"}, "field_messages": "conv"})
    assert adapter_named("axolotl").hub_request_fields(ax) == HubFields(
        mapping=(("instruction", "question"), ("output", "answer"), ("messages", "conv")))


def test_a_modelscope_dataset_is_not_asked_of_the_hugging_face_cache() -> None:
    from ftlint.hub import request_for

    ms = DatasetRef("demo", "train", DatasetKind.HUB, hub_id="org/x", hub=MODELSCOPE, entry={"ms_hub_url": "org/x"})
    assert request_for(ms, adapter_named("llamafactory").hub_request_fields(ms)) is None
    hf = DatasetRef("demo", "train", DatasetKind.HUB, hub_id="org/x", split="test", entry={"revision": "v1"})
    req = request_for(hf, adapter_named("hf").hub_request_fields(hf))
    assert req is not None and (req.repo_id, req.split, req.revision) == ("org/x", "test", "v1")


def test_ft601_quotes_the_adapters_recipe(tmp_path: Path) -> None:
    from ftlint.api import check
    from ftlint.settings import settings_from_dict

    name, text = MINIMAL[("axolotl", "sft")]
    (tmp_path / name).write_text(text + "num_epochs: 3\nval_set_size: 0.05\n", encoding="utf-8")
    settings = settings_from_dict({}, tmp_path)
    settings.cache = False
    (finding,) = [f for f in check([], config=tmp_path / name, settings=settings, select=["FT601"]).findings
                  if f.code == "FT601"]
    assert finding.fix == adapter_for("axolotl", "sft").early_stopping_recipe()
    assert (finding.location.key, finding.location.line) == ("num_epochs", 5)


def test_evaluation_edits_and_patch_keep_comments(tmp_path: Path) -> None:
    path = tmp_path / "ax.yaml"
    path.write_text("# my run\nbase_model: m/x  # the base\ndatasets:\n  - path: org/x\n    type: chat_template\n"
                    "evals_per_epoch: 4\n", encoding="utf-8")
    plan = load_training_config(path)
    adapter = adapter_for(plan)
    asked = frozenset({"validation.enabled", "early_stopping.requested"})
    edits, notes = adapter.evaluation_edits(plan, EvaluationEditRequest(eval_steps=10, save_ok=False, patience=2,
                                                                        settings=asked))
    assert [(e.key, e.value, e.remove) for e in edits] == [
        ("val_set_size", 0.05, False), ("evals_per_epoch", None, True), ("eval_steps", 10, False),
        ("save_steps", 10, False), ("early_stopping_patience", 2, False)]
    assert notes == []
    text, notes = adapter.patch_config(plan, edits)
    assert text.startswith("# my run\nbase_model: m/x  # the base\n") and notes == []
    assert "# evals_per_epoch: 4  # ftlint fix: removed" in text and "\nearly_stopping_patience: 2\n" in text
    # a config that cannot be patched says so instead
    edits, notes = adapter_for("torchtune", "recipe").evaluation_edits(
        plan, EvaluationEditRequest(eval_steps=10, save_ok=False, patience=2, settings=asked))
    assert edits == [] and "run_val_every_n_steps" in notes[0]
    assert ConfigEdit("eval_steps", 10, "why").describe() == "`eval_steps: 10` (why)"


def _framework_branches(path: Path) -> list[str]:
    """``framework == ...`` / ``!=`` / ``in`` in the text, and comparisons with (or tables keyed by)
    framework names in the syntax tree."""
    text = path.read_text(encoding="utf-8")
    found = [f"{path}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
             for m in re.finditer(r"\b(?:framework|fw)\s*(?:==|!=|\bnot\s+in\b|\bin\b)", text)]
    names = set(FRAMEWORKS)

    def is_name(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            return node.value in names
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return any(is_name(e) for e in node.elts)
        return False

    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Compare) and any(is_name(n) for n in (node.left, *node.comparators)):
            found.append(f"{path}:{node.lineno}: compares with a framework name")
        elif isinstance(node, ast.Dict) and sum(1 for k in node.keys if k is not None and is_name(k)) >= 2:
            found.append(f"{path}:{node.lineno}: a table keyed by framework names")
    return found


def test_no_framework_branch_outside_training() -> None:
    """Framework knowledge lives in the adapters (``ftlint/training``): rules, fix and features ask
    the plan and its adapter."""
    found = [hit for path in sorted(SRC.rglob("*.py")) if "training" not in path.relative_to(SRC).parts
             for hit in _framework_branches(path)]
    assert found == []


def test_the_branch_check_sees_a_branch(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('def f(plan):\n    if plan.framework == "axolotl":\n        return 1\n'
                   '    keys = {"hf": "a", "trl": "b"}\n    return fw in ("torchtune", "openai")\n', encoding="utf-8")
    assert len(_framework_branches(bad)) == 5
