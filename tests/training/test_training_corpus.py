"""The training-config adapters on the real configs in ../shared/corpus (one test per config)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftlint.training import DatasetKind, Origin, TrainingPlan, Truncation, load_training_config, splits_overlap

CORPUS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus").resolve()


@pytest.fixture(autouse=True)
def _neutral_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths resolve against the working directory first: use an empty one."""
    monkeypatch.chdir(tmp_path)


def load(relative: str) -> TrainingPlan:
    path = CORPUS / relative
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present beside the repository (the real-config corpus is needed)")
    return load_training_config(path)


LF = "hiyouga__LLaMA-Factory/"
AX = "axolotl-ai-cloud__axolotl/"
TT = "pytorch__torchtune/"
AH = "huggingface__alignment-handbook/"


def test_llamafactory_qwen3_lora_sft() -> None:
    plan = load(LF + "examples__train_lora__qwen3_lora_sft.yaml")
    assert (plan.framework, plan.variant) == ("llamafactory", "v0")
    assert plan.method.value == "lora" and plan.method.line == 8
    assert plan.stage.value == "sft" and plan.stage.line == 6
    assert not plan.validation.enabled and not plan.validation.configured
    assert "commented out" in plan.validation.reason
    assert not plan.early_stopping.requested
    assert plan.sequence.max_length.value == 2048 and plan.sequence.max_length.line == 15
    assert not plan.sequence.is_default and plan.sequence.truncation is Truncation.SPLIT
    assert plan.lora.r.value == 8 and plan.lora.r.line == 9
    assert plan.lora.alpha.value == 16 and plan.lora.alpha.origin is Origin.DERIVED
    assert plan.lora.target_modules.value == ("all-linear",)
    assert plan.chat_template.value == "qwen3_nothink"
    assert plan.base_model.value == "Qwen/Qwen3-4B-Instruct-2507" and plan.base_model.line == 2
    assert plan.learning_rate.value == pytest.approx(1e-4)
    assert plan.epochs.value == 3.0
    assert plan.batch.effective.value == 8  # 1 per device x 8 accumulation
    assert [(c.key, c.line) for c in plan.commented("eval_dataset", "val_size", "eval_strategy", "eval_steps")] == [
        ("eval_dataset", 41),
        ("val_size", 42),
        ("eval_strategy", 44),
        ("eval_steps", 45),
    ]
    assert plan.commented("val_size")[0].value == "0.1"
    assert [d.name for d in plan.train_datasets] == ["identity", "alpaca_en_demo"]
    # the corpus flattens data/dataset_info.json, so the names stay unresolved registry names
    assert all(d.kind is DatasetKind.REGISTRY for d in plan.train_datasets)
    assert plan.loss_mask.train_on_inputs.value is False and plan.loss_mask.train_on_inputs.is_default
    # LLaMA-Factory declares overwrite_output_dir itself: only warmup_ratio (removed in transformers 5) is listed
    assert {d.key for d in plan.deprecated_keys} == {"warmup_ratio"}
    assert plan.unknown_keys == ()


def test_llamafactory_qwen3_full_sft() -> None:
    plan = load(LF + "examples__train_full__qwen3_full_sft.yaml")
    assert plan.framework == "llamafactory"
    assert plan.method.value == "full"
    assert not plan.validation.enabled
    assert not plan.early_stopping.requested
    assert plan.sequence.max_length.value == 2048 and plan.sequence.max_length.line == 14
    assert plan.lora.r.value is None
    assert [c.line for c in plan.commented("val_size", "eval_strategy")] == [41, 43]
    assert plan.batch.effective.value == 2


def test_axolotl_lora_1b() -> None:
    plan = load(AX + "examples__llama-3__lora-1b.yml")
    assert plan.framework == "axolotl"
    assert plan.method.value == "lora" and plan.method.line == 12
    assert plan.validation.enabled and plan.validation.methods == ("val_set_size",)
    assert plan.validation.holdout.value == pytest.approx(0.1) and plan.validation.holdout.line == 9
    assert plan.validation.evals_per_epoch.value == 4
    assert not plan.early_stopping.requested and not plan.early_stopping.active
    assert plan.sequence.max_length.value == 2048 and plan.sequence.max_length.line == 15
    assert plan.sequence.truncation is Truncation.DROP and plan.sequence.truncation_source.is_default
    assert plan.lora.r.value == 16 and plan.lora.alpha.value == 32 and plan.lora.dropout.value == pytest.approx(0.05)
    assert plan.lora.target_modules.value is not None and len(plan.lora.target_modules.value) == 7
    assert plan.packing.value is True
    assert plan.weight_decay.value == 0.0 and plan.weight_decay.from_config
    assert plan.train_datasets[0].kind is DatasetKind.HUB and plan.train_datasets[0].format == "alpaca"
    assert plan.train_datasets[0].provenance is not None and plan.train_datasets[0].provenance.line == 6
    assert plan.batch.effective.value == 4
    assert plan.unknown_keys == () and plan.deprecated_keys == ()


def test_axolotl_phi3_ft() -> None:
    plan = load(AX + "examples__phi__phi3-ft.yml")
    assert plan.framework == "axolotl"
    assert plan.method.value == "lora"
    assert plan.validation.enabled and plan.validation.holdout.value == pytest.approx(0.01)
    assert plan.validation.eval_steps.value == 1000 and plan.validation.eval_steps.line == 49
    early = plan.early_stopping
    assert early.requested and early.active and early.problems == ()
    assert early.patience.value == 3 and early.patience.line == 45
    assert early.save_steps.value == 5000 and early.save_steps.line == 50
    assert early.load_best_model_at_end.value is True
    assert plan.sequence.max_length.value == 4096
    assert plan.chat_template.value == "phi_3" and plan.chat_template.line == 9
    assert plan.learning_rate.value == pytest.approx(5e-6)
    assert [(d.key, d.provenance.line) for d in plan.deprecated_keys] == [
        ("eval_table_size", 53),
        ("eval_max_new_tokens", 54),
    ]


def test_axolotl_archived_falcon_qlora() -> None:
    plan = load(AX + "examples__archived__falcon__config-7b-qlora.yml")
    assert plan.framework == "axolotl"
    assert plan.method.value == "qlora" and plan.method.line == 27
    assert plan.validation.enabled and plan.validation.holdout.value == pytest.approx(0.05)
    early = plan.early_stopping
    assert early.requested and not early.active
    assert len(early.problems) == 1 and "eval_steps and save_steps" in early.problems[0].message
    assert early.problems[0].provenance is not None and early.problems[0].provenance.line == 72
    assert plan.sequence.max_length.value == 2048
    assert plan.lora.target_modules.value == ("all-linear",) and plan.lora.r.value == 64
    assert plan.epochs.value == 4
    assert [u.key for u in plan.unknown_keys] == ["gptq_groupsize", "gptq_model_v1"]
    dep = {d.key: d for d in plan.deprecated_keys}
    assert "max_packed_sequence_len" in dep and not dep["max_packed_sequence_len"].is_set  # present but empty
    # `lora_model_dir:` with no value counts as unset
    assert plan.train_datasets[0].data_files == ("Chain-of-Thought/formatted_cot_data/gsm8k_train.json",)


def test_torchtune_1b_lora_single_device() -> None:
    plan = load(TT + "recipes__configs__llama3_2__1B_lora_single_device.yaml")
    assert plan.framework == "torchtune" and plan.variant == "lora_finetune_single_device"
    assert plan.method.value == "lora" and plan.method.key == "model._component_" and plan.method.line == 22
    assert not plan.validation.enabled and not plan.validation.configured
    assert not plan.early_stopping.supported_in_config and not plan.early_stopping.requested
    assert plan.sequence.unlimited and plan.sequence.max_length.value is None
    assert plan.sequence.max_length.line == 33 and plan.sequence.truncation is Truncation.NONE
    assert plan.lora.r.value == 64 and plan.lora.alpha.value == 128
    assert plan.lora.target_modules.value == ("q_proj", "v_proj", "output_proj", "mlp")
    assert plan.learning_rate.value == pytest.approx(3e-4) and plan.learning_rate.key == "optimizer.lr"
    assert plan.weight_decay.value == pytest.approx(0.01)
    ref = plan.train_datasets[0]
    assert ref.kind is DatasetKind.BUILDER and ref.hub_id == "yahma/alpaca-cleaned"
    # alpaca builders train on the prompt unless train_on_input is false
    assert plan.loss_mask.train_on_inputs.value is True and plan.loss_mask.train_on_inputs.is_default


def test_torchtune_1b_lora_distributed() -> None:
    plan = load(TT + "recipes__configs__llama3_2__1B_lora.yaml")
    assert plan.framework == "torchtune" and plan.variant == "lora_finetune_distributed"
    validation = plan.validation
    assert validation.configured and not validation.enabled
    assert "run_val_every_n_steps is null" in validation.reason
    assert [(p.key, p.line) for p in validation.sources] == [
        ("dataset_val._component_", 61),
        ("run_val_every_n_steps", 59),
    ]
    assert plan.eval_datasets[0].split == "train[95%:]" and plan.train_datasets[0].split == "train[:95%]"
    assert splits_overlap(plan.train_datasets[0].split, plan.eval_datasets[0].split) is False
    assert (
        plan.eval_datasets[0].provenance is not None
        and plan.eval_datasets[0].provenance.key == "dataset_val._component_"
    )
    assert not plan.early_stopping.requested
    assert plan.sequence.unlimited
    assert plan.method.value == "lora"


def test_alignment_handbook_smollm2_sft() -> None:
    plan = load(AH + "recipes__smollm2__sft__config.yaml")
    assert (plan.framework, plan.variant) == ("trl", "alignment-handbook")
    assert plan.validation.enabled and plan.validation.methods == ("dataset_test_split",)
    assert plan.validation.eval_strategy.value == "epoch" and plan.validation.eval_strategy.line == 18
    assert plan.eval_datasets[0].split == "test" and plan.eval_datasets[0].name == "HuggingFaceTB/smoltalk"
    assert not plan.early_stopping.requested and plan.early_stopping.save_strategy.value == "no"
    assert plan.sequence.max_length.value == 8192
    assert plan.sequence.max_length.key == "max_seq_length" and plan.sequence.max_length.line == 30
    assert plan.method.value == "full" and plan.stage.value == "sft"
    dep = {d.key: d for d in plan.deprecated_keys}
    assert dep["max_seq_length"].replacement == "max_length" and dep["max_seq_length"].provenance.line == 30
    assert "torch_dtype" in dep
    assert plan.chat_template.is_set and plan.chat_template.line == 8
    assert plan.learning_rate.value == pytest.approx(3e-4)
    assert plan.batch.effective.value == 16


def test_alignment_handbook_zephyr_dpo_full() -> None:
    plan = load(AH + "recipes__zephyr-7b-beta__dpo__config_full.yaml")
    assert plan.framework == "trl"
    assert plan.stage.value == "dpo"
    assert plan.method.value == "full"
    assert plan.validation.enabled and plan.validation.methods == ("test_split_size",)
    assert plan.validation.holdout.value == 2000 and plan.validation.holdout.line == 22
    assert not plan.early_stopping.requested
    assert plan.sequence.max_length.value == 1024 and plan.sequence.max_length.line == 41
    assert plan.sequence.max_prompt_length.value == 512
    assert [(d.split, d.preference) for d in plan.train_datasets] == [("train_prefs", True), ("test_prefs", True)]
    assert any("test_prefs" in p.message for p in plan.problems)
    assert plan.learning_rate.value == pytest.approx(5e-7)
    assert "max_prompt_length" in {d.key for d in plan.deprecated_keys}


def test_trl_example_config() -> None:
    plan = load("huggingface__trl/examples__cli_configs__example_config.yaml")
    assert (plan.framework, plan.variant) == ("trl", "trl")
    assert not plan.validation.enabled and not plan.validation.configured
    assert not plan.early_stopping.requested
    assert plan.sequence.max_length.value == 1024 and plan.sequence.is_default
    assert plan.method.value == "full" and plan.stage.is_default
    assert plan.base_model.value == "Qwen/Qwen2.5-0.5B" and plan.base_model.line == 9
    assert plan.learning_rate.value == pytest.approx(1e-4) and plan.learning_rate.line == 15
    assert plan.train_datasets[0].kind is DatasetKind.HUB
    assert plan.loss_mask.train_on_inputs.value is None and "messages" in plan.loss_mask.note
    assert plan.unknown_keys == ()
