"""Adapters on small configs written to tmp_path: OpenAI jobs, HF JSON, LLaMA-Factory with a
dataset registry, Axolotl, TRL and torchtune edge cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftlint.training import DatasetKind, Origin, Truncation, load_training_config


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- OpenAI


def test_openai_flat_hyperparameters_local_and_file_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "data/train.jsonl", '{"messages": []}\n')
    job = {
        "model": "gpt-4o-mini-2024-07-18",
        "training_file": "data/train.jsonl",
        "validation_file": "file-abc123",
        "hyperparameters": {"n_epochs": 4, "batch_size": "auto", "learning_rate_multiplier": 1.8},
        "suffix": "recipe-ner",
    }
    path = write(tmp_path, "job.json", json.dumps(job, indent=2))
    plan = load_training_config(path)
    assert plan.framework == "openai"
    assert plan.base_model.value == "gpt-4o-mini-2024-07-18" and plan.base_model.line == 2
    assert plan.stage.value == "sft" and plan.method.value is None
    assert plan.epochs.value == 4 and plan.epochs.key == "hyperparameters.n_epochs" and plan.epochs.line == 6
    assert plan.batch.effective.value is None and plan.batch.effective.raw == "auto"
    assert "auto" in plan.batch.effective.note
    assert plan.learning_rate_multiplier.value == pytest.approx(1.8)
    assert plan.learning_rate.value is None
    (train,) = plan.train_datasets
    assert train.kind is DatasetKind.LOCAL and train.exists and train.loadable and train.resolved_via == "cwd"
    (evaluation,) = plan.eval_datasets
    assert evaluation.kind is DatasetKind.FILE_ID and not evaluation.loadable
    assert plan.validation.enabled and plan.validation.methods == ("validation_file",)
    assert plan.sequence.truncation is Truncation.PROVIDER
    assert [d.key for d in plan.deprecated_keys] == ["hyperparameters"]
    assert not plan.early_stopping.supported_in_config


def test_openai_nested_method_dpo(tmp_path: Path) -> None:
    job = {
        "model": "gpt-4.1-mini",
        "training_file": "file-TRAIN1",
        "method": {
            "type": "dpo",
            "dpo": {"hyperparameters": {"beta": 0.1, "n_epochs": 2, "batch_size": 8, "learing_rate_multiplier": 2}},
        },
    }
    plan = load_training_config(write(tmp_path, "job.json", json.dumps(job)))
    assert plan.framework == "openai"
    assert plan.stage.value == "dpo" and plan.stage.key == "method.type"
    assert plan.epochs.value == 2 and plan.epochs.key == "method.dpo.hyperparameters.n_epochs"
    assert plan.batch.effective.value == 8
    assert plan.train_datasets[0].kind is DatasetKind.FILE_ID
    assert not plan.validation.enabled and plan.eval_datasets == ()
    assert plan.deprecated_keys == ()
    unknown = {u.key: u.suggestion for u in plan.unknown_keys}
    assert unknown == {"method.dpo.hyperparameters.learing_rate_multiplier": "learning_rate_multiplier"}


def test_openai_nested_supervised_auto_and_missing_local_file(tmp_path: Path) -> None:
    job = {
        "model": "gpt-4o-mini",
        "training_file": "missing/train.jsonl",
        "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": "auto"}}},
    }
    plan = load_training_config(write(tmp_path, "job.json", json.dumps(job)))
    assert plan.epochs.value is None and plan.epochs.raw == "auto" and plan.epochs.origin is Origin.CONFIG
    ref = plan.train_datasets[0]
    assert ref.kind is DatasetKind.LOCAL and not ref.exists and not ref.loadable
    assert len(ref.candidates) == 2  # working directory, then the config's folder


# ---------------------------------------------------------------------------- HF Trainer JSON


def test_hf_json_with_evaluation_strategy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_dir = tmp_path / "configs"
    write(config_dir, "train.csv", "sentence,label\nhi,1\n")
    write(config_dir, "dev.csv", "sentence,label\nho,0\n")
    args = {
        "model_name_or_path": "bert-base-uncased",
        "train_file": "train.csv",
        "validation_file": "dev.csv",
        "do_train": True,
        "do_eval": True,
        "evaluation_strategy": "epoch",
        "per_device_train_batch_size": 32,
        "learning_rate": 2e-5,
        "num_train_epochs": 3,
        "output_dir": "/tmp/out",
    }
    path = write(config_dir, "args.json", json.dumps(args, indent=2))
    monkeypatch.chdir(tmp_path)  # the files are not under the working directory: the config folder is used
    plan = load_training_config(path)
    assert (plan.framework, plan.variant) == ("hf", "example-script")
    assert plan.validation.enabled and plan.validation.methods == ("validation_file",)
    assert plan.validation.eval_strategy.value == "epoch"
    assert plan.validation.eval_strategy.key == "evaluation_strategy" and plan.validation.eval_strategy.line == 7
    assert [(d.key, d.replacement) for d in plan.deprecated_keys] == [("evaluation_strategy", "eval_strategy")]
    (train,) = plan.train_datasets
    assert train.exists and train.resolved_via == "config_dir" and train.path == config_dir / "train.csv"
    assert plan.eval_datasets[0].path == config_dir / "dev.csv"
    assert plan.sequence.max_length.value == 128 and plan.sequence.is_default
    assert plan.method.value == "full" and plan.method.is_default
    assert plan.learning_rate.value == pytest.approx(2e-5)
    assert plan.unknown_keys == ()


def test_hf_framework_override_and_eval_strategy_no(tmp_path: Path) -> None:
    path = write(tmp_path, "train.yaml", "model_name_or_path: gpt2\ndataset_name: imdb\neval_strategy: no\n")
    plan = load_training_config(path, framework="hf")
    assert plan.framework == "hf" and "explicitly" in plan.detected_by
    assert plan.validation.eval_strategy.value == "no"  # YAML reads an unquoted `no` as False
    assert not plan.validation.enabled


# ---------------------------------------------------------------------------- LLaMA-Factory


def _lf_data(folder: Path) -> None:
    registry = {
        "identity": {"file_name": "identity.json"},
        "alpaca_en_demo": {"file_name": "alpaca_en_demo.json"},
        "dpo_en_demo": {
            "file_name": "dpo_en_demo.json",
            "ranking": True,
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected"},
        },
        "alpaca_gpt4_en": {"hf_hub_url": "llamafactory/alpaca_gpt4_en", "ms_hub_url": "llamafactory/alpaca_gpt4_en"},
        "gone": {"file_name": "gone.json"},
    }
    write(folder, "dataset_info.json", json.dumps(registry, indent=2))
    write(folder, "identity.json", json.dumps([{"instruction": "hi", "input": "", "output": "I am {{name}}"}]))
    write(folder, "alpaca_en_demo.json", json.dumps([{"instruction": "a", "input": "", "output": "b"}]))
    write(folder, "dpo_en_demo.json", "[]")


LF_CONFIG = """\
model_name_or_path: Qwen/Qwen3-4B-Instruct-2507
stage: sft
finetuning_type: lora
lora_rank: 16
lora_alpha: 8
dataset: identity, alpaca_en_demo,alpaca_gpt4_en
dataset_dir: {dataset_dir}
template: qwen3_nothink
cutoff_len: 4096
eval_dataset: dpo_en_demo
eval_strategy: steps
eval_steps: 50
early_stopping_steps: 3
save_steps: 100
"""


def test_llamafactory_resolves_dataset_info(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    _lf_data(project / "data")
    path = write(project, "examples/train.yaml", LF_CONFIG.format(dataset_dir="data"))
    monkeypatch.chdir(project)
    plan = load_training_config(path)
    assert plan.framework == "llamafactory"
    names = [(d.name, d.kind, d.resolved_via) for d in plan.train_datasets]
    assert names == [
        ("identity", DatasetKind.LOCAL, "dataset_dir"),
        ("alpaca_en_demo", DatasetKind.LOCAL, "dataset_dir"),
        ("alpaca_gpt4_en", DatasetKind.HUB, None),
    ]
    assert plan.train_datasets[0].path == project / "data" / "identity.json" and plan.train_datasets[0].loadable
    assert plan.train_datasets[0].format == "alpaca"
    assert plan.train_datasets[2].hub_id == "llamafactory/alpaca_gpt4_en"
    (dpo,) = plan.eval_datasets
    assert dpo.preference and dpo.format == "sharegpt" and ("chosen", "chosen") in dpo.columns
    assert plan.validation.enabled and plan.validation.methods == ("eval_dataset",)
    assert plan.sequence.max_length.value == 4096
    assert plan.lora.alpha.value == 8 and plan.lora.alpha.from_config
    early = plan.early_stopping
    assert early.requested and not early.active
    assert any("load_best_model_at_end" in p.message for p in early.problems)


def test_llamafactory_registry_found_next_to_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    _lf_data(project / "data")
    path = write(
        project,
        "train.yaml",
        LF_CONFIG.format(dataset_dir="data").replace("eval_dataset: dpo_en_demo\n", "dataset: gone,nope\n"),
    )
    monkeypatch.chdir(tmp_path)  # no data/ here: falls back to the config's folder
    plan = load_training_config(path)
    gone, nope = plan.train_datasets
    assert gone.kind is DatasetKind.LOCAL and not gone.exists
    assert nope.kind is DatasetKind.REGISTRY
    assert [d.key for d in plan.duplicate_keys] == ["dataset"]  # the replaced line made `dataset:` appear twice
    assert {p.message.split(":")[0] for p in plan.problems} >= {"dataset 'nope' is not defined in dataset_info.json"}
    assert not plan.validation.configured


def test_llamafactory_online_names_are_hub_ids(tmp_path: Path) -> None:
    path = write(tmp_path, "train.yaml", "stage: sft\ndataset: org/chat-data\ndataset_dir: ONLINE\ntemplate: llama3\n")
    plan = load_training_config(path)
    assert plan.train_datasets[0].kind is DatasetKind.HUB and plan.train_datasets[0].hub_id == "org/chat-data"
    assert plan.method.value == "lora" and plan.method.is_default  # LLaMA-Factory's default finetuning_type


def test_llamafactory_val_size_without_eval_strategy_is_not_evaluated(tmp_path: Path) -> None:
    path = write(tmp_path, "train.yaml", "stage: sft\nfinetuning_type: full\ndataset: x\nval_size: 0.1\n")
    plan = load_training_config(path)
    assert plan.validation.configured and not plan.validation.enabled
    assert "never evaluated" in plan.validation.reason
    assert plan.validation.holdout.value == pytest.approx(0.1) and plan.validation.holdout.line == 4
    assert plan.sequence.max_length.value == 2048 and plan.sequence.is_default
    assert plan.train_datasets[0].kind is DatasetKind.REGISTRY


def test_llamafactory_v1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path,
        "data/v1_sft_demo.yaml",
        "identity:\n  path: data/identity.json\n  source: local\nalpaca:\n  path: llamafactory/v1-sft-demo\n",
    )
    write(tmp_path, "data/identity.json", "[]")
    path = write(
        tmp_path,
        "examples/v1/train_lora/train_lora_sft.yaml",
        "model: Qwen/Qwen3-4B\npeft_config:\n  name: lora\n  r: 16\n  lora_alpha: 32\n"
        "train_dataset: data/v1_sft_demo.yaml\nmicro_batch_size: 2\nmax_steps: 10\n",
    )
    plan = load_training_config(path)
    assert (plan.framework, plan.variant) == ("llamafactory", "v1")
    assert plan.method.value == "lora" and plan.lora.r.value == 16 and plan.lora.r.line == 4
    assert plan.lora.dropout.value == pytest.approx(0.05) and plan.lora.dropout.is_default
    local, hub = plan.train_datasets
    assert local.kind is DatasetKind.LOCAL and local.exists
    assert hub.kind is DatasetKind.HUB and hub.hub_id == "llamafactory/v1-sft-demo"
    assert plan.max_steps.value == 10 and not plan.validation.enabled
    assert plan.sequence.max_length.value == 2048 and plan.sequence.is_default


# ---------------------------------------------------------------------------- Axolotl


def test_axolotl_early_stopping_steps_not_divisible(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ax.yml",
        "base_model: m/x\ndatasets:\n  - path: ./train.jsonl\n    ds_type: json\n"
        "    type: chat_template\n    roles_to_trian: [assistant]\nval_set_size: 0.1\neval_steps: 30\n"
        "save_steps: 100\nearly_stopping_patience: 2\nexcess_length_strategy: truncate\n",
    )
    plan = load_training_config(path)
    assert plan.framework == "axolotl"
    assert plan.early_stopping.requested and not plan.early_stopping.active
    assert "divide" in plan.early_stopping.problems[0].message
    assert plan.sequence.truncation is Truncation.KEEP_START and plan.sequence.max_length.value == 512
    assert plan.sequence.is_default
    (ref,) = plan.train_datasets
    assert ref.kind is DatasetKind.LOCAL and not ref.exists
    assert plan.chat_template.value == "tokenizer_default"
    assert [(u.key, u.suggestion) for u in plan.unknown_keys] == [("datasets[0].roles_to_trian", "roles_to_train")]
    assert plan.method.value == "full"


def test_axolotl_eval_keys_without_validation_split(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ax.yml",
        "base_model: m/x\ndatasets:\n  - path: a/b\n    type: alpaca\n"
        "eval_steps: 10\nevals_per_epoch: 1\nlearning_rate: 3e-4\n",
    )
    plan = load_training_config(path)
    assert not plan.validation.configured and not plan.validation.enabled
    assert plan.validation.holdout.is_default
    assert any("val_set_size == 0" in p.message for p in plan.validation.problems)
    assert plan.learning_rate.value == pytest.approx(3e-4)  # "3e-4" is a string to YAML 1.1


def test_axolotl_evals_per_epoch_of_one_skips_evaluation(tmp_path: Path) -> None:
    path = write(tmp_path, "ax.yml", "base_model: m/x\nval_set_size: 0.05\nevals_per_epoch: 1\nnum_epochs: 1\n")
    plan = load_training_config(path)
    assert plan.validation.configured and not plan.validation.enabled


def test_axolotl_local_dataset_prefers_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "cwd/data/train.jsonl", "{}\n")
    write(tmp_path, "cfg/data/train.jsonl", "{}\n")
    path = write(tmp_path, "cfg/ax.yml", "base_model: m/x\ndatasets:\n  - path: data/train.jsonl\n    type: alpaca\n")
    monkeypatch.chdir(tmp_path / "cwd")
    ref = load_training_config(path).train_datasets[0]
    assert ref.resolved_via == "cwd" and ref.path == tmp_path / "cwd" / "data" / "train.jsonl"
    monkeypatch.chdir(tmp_path)
    ref = load_training_config(path).train_datasets[0]
    assert ref.resolved_via == "config_dir" and ref.path == tmp_path / "cfg" / "data" / "train.jsonl"


# ---------------------------------------------------------------------------- TRL


def test_trl_mixture_without_test_split_size(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sft.yaml",
        "model_name_or_path: m/x\ndataset_mixture:\n  datasets:\n"
        "    - id: org/data\n      split: train\neval_strategy: steps\nmax_length: null\n"
        "packing: true\npacking_strategy: ffd\nuse_peft: true\nload_in_4bit: true\n",
    )
    plan = load_training_config(path)
    assert plan.framework == "trl"
    assert not plan.validation.enabled
    assert any("test_split_size" in p.message for p in plan.problems)
    assert plan.sequence.unlimited and plan.sequence.truncation is Truncation.NONE
    assert plan.method.value == "qlora"
    assert plan.lora.r.value == 16 and plan.lora.r.is_default
    assert ("packing_strategy", "packing_strategy: bfd") in [(d.key, d.replacement) for d in plan.deprecated_keys]


def test_trl_assistant_only_loss(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sft.yaml",
        "model_name_or_path: m/x\ndataset_name: org/d\nassistant_only_loss: true\n"
        "load_best_model_at_end: true\neval_strategy: steps\neval_steps: 30\nsave_steps: 100\n",
    )
    plan = load_training_config(path)
    assert plan.loss_mask.train_on_inputs.value is False and plan.loss_mask.train_on_inputs.origin is Origin.DERIVED
    assert plan.validation.enabled and plan.eval_datasets[0].split == "test"
    assert plan.early_stopping.metric_for_best_model.value == "loss"
    assert any("multiple of" in p.message for p in plan.early_stopping.problems)


# ---------------------------------------------------------------------------- torchtune


def test_torchtune_validation_on_and_packed_without_max_len(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "tt.yaml",
        "model:\n  _component_: torchtune.models.llama3_2.llama3_2_1b\n"
        "tokenizer:\n  _component_: torchtune.models.llama3.llama3_tokenizer\n  path: /tmp/t.model\n"
        "dataset:\n  _component_: torchtune.datasets.instruct_dataset\n  source: json\n"
        "  data_files: data/my.jsonl\n  packed: True\n"
        "dataset_val:\n  _component_: torchtune.datasets.instruct_dataset\n  source: json\n"
        "  data_files: data/val.jsonl\nrun_val_every_n_steps: 100\n"
        "optimizer:\n  _component_: torch.optim.AdamW\nepochs: 2\nbatch_size: 2\n",
    )
    plan = load_training_config(path)
    assert plan.framework == "torchtune" and plan.method.value == "full"
    assert plan.validation.enabled and plan.validation.eval_steps.value == 100
    assert any("packed" in p.message for p in plan.problems)
    assert plan.train_datasets[0].kind is DatasetKind.LOCAL and plan.train_datasets[0].name == "data/my.jsonl"
    assert plan.learning_rate.value == pytest.approx(1e-3) and plan.learning_rate.is_default
    assert plan.loss_mask.train_on_inputs.value is False


def test_llamafactory_v1_registry_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus_dir: Path) -> None:
    """Every form of a v1 dataset registry entry: a local file by absolute path, a hub id (source
    hf_hub by default, split train by default), a ModelScope id, the older file_name + dataset_dir,
    a loader plugin ftlint cannot read, and an entry without a path; the registry and the data are
    looked up in the working directory first, then in the config's folder."""
    demo = corpus_dir / "hiyouga__LLaMA-Factory" / "data__v1_sft_demo.jsonl"
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "cfg/data/old/identity.jsonl", '{"messages": []}\n')
    write(tmp_path, "cfg/data/v1_sft_demo.yaml",
          f"demo:\n  path: {demo}\n  source: local\n  converter: sharegpt\n  size: 100\n  weight: 0.5\n"
          "chat:\n  path: org/v1-chat\nms:\n  path: AI-ModelScope/alpaca-gpt4\n  source: ms_hub\n  split: validation\n"
          "older:\n  file_name: identity.jsonl\n  dataset_dir: cfg/data/old\n"
          "bucket:\n  path: s3://bucket/x\n  source: s3\nbroken:\n  split: train\n")
    path = write(tmp_path, "cfg/train.yaml", "model: Qwen/Qwen3-0.6B\ntrain_dataset: data/v1_sft_demo.yaml\n"
                                             "eval_dataset: data/old/identity.jsonl\nmicro_batch_size: 2\n")
    plan = load_training_config(path)
    assert (plan.framework, plan.variant) == ("llamafactory", "v1")
    refs = {r.name: r for r in plan.train_datasets}
    assert list(refs) == ["demo", "chat", "ms", "older", "bucket", "broken"]
    assert refs["demo"].kind is DatasetKind.LOCAL and refs["demo"].path == demo and refs["demo"].loadable
    assert (refs["demo"].format, refs["demo"].weight, refs["demo"].split) == ("sharegpt", 0.5, "train")
    assert "of v1_sft_demo.yaml (via config_dir)" in refs["demo"].note
    chat = refs["chat"]
    assert (chat.kind, chat.hub_id, chat.split, chat.hub) == (DatasetKind.HUB, "org/v1-chat", "train", "Hugging Face")
    ms = refs["ms"]
    assert (ms.kind, ms.hub_id, ms.split, ms.hub) == (DatasetKind.HUB, "AI-ModelScope/alpaca-gpt4", "validation",
                                                       "ModelScope")
    assert refs["older"].loadable and refs["older"].path == tmp_path / "cfg/data/old/identity.jsonl"
    assert refs["bucket"].kind is DatasetKind.UNKNOWN and "source 's3'" in refs["bucket"].note
    assert refs["broken"].kind is DatasetKind.REGISTRY and "names no path" in refs["broken"].note
    (ev,) = plan.eval_datasets  # straight at a data file: the config's folder (not in the working directory)
    assert ev.kind is DatasetKind.LOCAL and ev.loadable and ev.resolved_via == "config_dir"
    assert plan.validation.enabled
    # straight at a hub id; a registry on the hub that is not in the cache
    hub = write(tmp_path, "hub.yaml", "model: Qwen/Qwen3-0.6B\ntrain_dataset: org/v1-chat\n"
                                      "eval_dataset: org/v1-chat/dataset_info.yaml\nmicro_batch_size: 2\n")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    plan = load_training_config(hub)
    (train,), (reg,) = plan.train_datasets, plan.eval_datasets
    assert (train.kind, train.hub_id) == (DatasetKind.HUB, "org/v1-chat")
    assert (reg.kind, reg.hub_id) == (DatasetKind.HUB, "org/v1-chat") and "dataset_info.yaml" in reg.note
