"""Reading training configs: errors, provenance lines, commented-out keys, unset values, detection,
and robustness against values of the wrong type."""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ftlint.training import Origin, SplitSlice, TrainingConfigError, load_training_config, parse_split, splits_overlap
from ftlint.training._build import detect_framework, plan_from_source
from ftlint.training.source import Reader, read_config, split_key
from ftlint.training.values import SHAPES

CORPUS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus").resolve()


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- errors


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(TrainingConfigError) as info:
        load_training_config(path)
    assert info.value.path == str(path) and info.value.line is None
    assert str(info.value) == f"{path}: training config not found"


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(TrainingConfigError, match="is a directory"):
        load_training_config(tmp_path)


def test_binary_file(tmp_path: Path) -> None:
    path = write(tmp_path, "model.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    with pytest.raises(TrainingConfigError, match="not a text file"):
        load_training_config(path)


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "train.yaml", "base_model: x\nsequence_len: 2048\ndatasets:\n  - path: a\n   type: b\n")
    with pytest.raises(TrainingConfigError) as info:
        load_training_config(path)
    error = info.value
    assert error.line == 5 and error.path == str(path)
    assert str(error).startswith(f"{path}:5: could not parse YAML: ")
    assert "\n" not in str(error)


def test_yaml_with_two_documents(tmp_path: Path) -> None:
    path = write(tmp_path, "train.yaml", "base_model: x\n---\nbase_model: y\n")
    with pytest.raises(TrainingConfigError, match="could not parse YAML"):
        load_training_config(path)


def test_json_syntax_error_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "job.json", '{\n  "model": "gpt-4o-mini",\n  "training_file": "file-x",\n}\n')
    with pytest.raises(TrainingConfigError) as info:
        load_training_config(path)
    assert info.value.line == 4
    assert str(info.value).startswith(f"{path}:4: could not parse JSON: ")


@pytest.mark.parametrize("text, what", [("- a\n- b\n", "a list"), ("just text\n", "a string"), ("42\n", "a number")])
def test_top_level_not_a_mapping(tmp_path: Path, text: str, what: str) -> None:
    path = write(tmp_path, "train.yaml", text)
    with pytest.raises(TrainingConfigError) as info:
        load_training_config(path)
    assert info.value.line == 1 and f"not {what}" in str(info.value)


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n"])
def test_empty_config(tmp_path: Path, text: str) -> None:
    with pytest.raises(TrainingConfigError, match="empty"):
        load_training_config(write(tmp_path, "train.yaml", text))


def test_unrecognisable_framework(tmp_path: Path) -> None:
    path = write(tmp_path, "train.yaml", "foo: 1\nbar: 2\n")
    with pytest.raises(TrainingConfigError) as info:
        load_training_config(path)
    assert str(info.value).startswith(f"{path}:1: could not recognise the training framework from the keys (foo, bar)")


def test_unknown_framework_override(tmp_path: Path) -> None:
    path = write(tmp_path, "train.yaml", "base_model: x\n")
    with pytest.raises(TrainingConfigError, match="unknown training framework 'deepspeed'"):
        load_training_config(path, framework="deepspeed")


def test_unsafe_yaml_tag(tmp_path: Path) -> None:
    path = write(tmp_path, "train.yaml", "base_model: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(TrainingConfigError) as info:
        load_training_config(path)
    assert info.value.line == 1


# ---------------------------------------------------------------------------- provenance


NESTED = """\
# a header comment
output_dir: /tmp/out

tokenizer:
  _component_: torchtune.models.llama3.llama3_tokenizer
  max_seq_len: 1024

model:
  _component_: torchtune.models.llama3_2.lora_llama3_2_1b
  lora_rank: 8
  lora_attn_modules:
    - q_proj
    - v_proj

dataset:
  - _component_: torchtune.datasets.alpaca_dataset
  - _component_: torchtune.datasets.slimorca_dataset
    train_on_input: false
optimizer:
  lr: 2e-4
epochs: 3
"""


def test_key_paths_map_to_yaml_lines(tmp_path: Path) -> None:
    source = read_config(write(tmp_path, "tt.yaml", NESTED))
    lines = source.lines
    assert lines["output_dir"] == 2
    assert lines["tokenizer.max_seq_len"] == 6
    assert lines["model._component_"] == 9
    assert lines["model.lora_attn_modules"] == 11
    assert lines["model.lora_attn_modules[1]"] == 13
    assert lines["dataset[1]._component_"] == 17
    assert lines["dataset[1].train_on_input"] == 18
    assert Reader(source).prov("optimizer.lr").line == 20


def test_plan_values_carry_their_lines(tmp_path: Path) -> None:
    plan = load_training_config(write(tmp_path, "tt.yaml", NESTED))
    assert plan.sequence.max_length.value == 1024 and plan.sequence.max_length.line == 6
    assert plan.sequence.max_length.provenance is not None
    assert plan.sequence.max_length.provenance.file == str(tmp_path / "tt.yaml")
    assert plan.lora.r.line == 10 and plan.lora.r.key == "model.lora_rank"
    assert plan.learning_rate.value == pytest.approx(2e-4) and plan.learning_rate.line == 20
    assert plan.epochs.line == 21
    assert [d.provenance.line for d in plan.train_datasets if d.provenance] == [16, 17]
    assert plan.where("dataset[1].train_on_input").line == 18
    assert plan.where("not.there").line is None
    assert plan.loss_mask.train_on_inputs.value is True  # the first dataset is an alpaca builder


def test_keys_inside_an_alias_point_at_the_alias(tmp_path: Path) -> None:
    text = (
        "model:\n  _component_: torchtune.models.llama3_2.lora_llama3_2_1b\n"
        "dataset: &data\n  _component_: torchtune.datasets.alpaca_cleaned_dataset\n"
        "dataset_val: *data\nrun_val_every_n_steps: 10\n"
    )
    plan = load_training_config(write(tmp_path, "tt.yaml", text))
    assert plan.train_datasets[0].provenance is not None and plan.train_datasets[0].provenance.line == 4
    assert plan.eval_datasets[0].provenance is not None and plan.eval_datasets[0].provenance.line == 5
    assert plan.validation.enabled


def test_json_lines(tmp_path: Path) -> None:
    job = {"model": "gpt-4o-mini", "training_file": "file-a", "hyperparameters": {"n_epochs": 3}}
    plan = load_training_config(write(tmp_path, "job.json", json.dumps(job, indent=4)))
    assert plan.base_model.line == 2 and plan.epochs.line == 5


def test_json_lines_with_tab_indentation(tmp_path: Path) -> None:
    job = {"model": "gpt-4o-mini", "training_file": "file-a", "hyperparameters": {"n_epochs": 3}}
    text = json.dumps(job, indent="\t")
    plan = load_training_config(write(tmp_path, "job.json", text))
    assert plan.base_model.line == 2 and plan.epochs.line == 5


def test_duplicate_keys_are_reported(tmp_path: Path) -> None:
    plan = load_training_config(write(tmp_path, "ax.yml", "base_model: a/b\nsequence_len: 1024\nsequence_len: 4096\n"))
    assert plan.sequence.max_length.value == 4096 and plan.sequence.max_length.line == 3
    assert [(d.key, d.line) for d in plan.duplicate_keys] == [("sequence_len", 3)]


def test_alias_bomb_is_read_quickly(tmp_path: Path) -> None:
    """A "billion laughs" file: aliases are shared, never expanded."""
    rows = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        rows.append(f"{level}: &{level} [" + ", ".join(f"*{previous}" for _ in range(9)) + "]")
    text = "base_model: m/x\n" + "\n".join(rows) + "\n"
    plan = load_training_config(write(tmp_path, "ax.yml", text))
    assert plan.framework == "axolotl" and {u.key for u in plan.unknown_keys} >= {"a", "i"}


# ---------------------------------------------------------------------------- commented-out keys


def test_commented_out_keys(tmp_path: Path) -> None:
    text = (
        "model_name_or_path: m/x\nstage: sft\nfinetuning_type: lora\n"
        "# Note: this line is prose\n"
        "#eval_strategy: steps\n"
        "  #   val_size: 0.1   # hold out 10%\n"
        "# https://example.com/docs\n"
        "# not_a_key_anywhere: 3\n"
        "## eval_steps: 500\n"
        "eval_steps: 100\n"
    )
    plan = load_training_config(write(tmp_path, "lf.yaml", text))
    found = [(c.key, c.line, c.value, c.active) for c in plan.commented_keys]
    assert found == [
        ("eval_strategy", 5, "steps", False),
        ("val_size", 6, "0.1", False),
        ("eval_steps", 9, "500", True),
    ]
    assert plan.commented("val_size")[0].text == "#   val_size: 0.1   # hold out 10%"


# ---------------------------------------------------------------------------- unset values


def test_null_and_empty_values_count_as_unset(tmp_path: Path) -> None:
    text = (
        "base_model: a/b\nsequence_len:\nval_set_size: null\nlearning_rate: ''\n"
        "lora_target_modules: []\nadapter: lora\n"
    )
    plan = load_training_config(write(tmp_path, "ax.yml", text))
    seq = plan.sequence.max_length
    assert seq.value == 512 and seq.origin is Origin.DEFAULT and seq.line == 2  # the null key is still located
    assert not plan.validation.configured and plan.validation.holdout.line == 3
    assert plan.learning_rate.value is None and plan.learning_rate.origin is Origin.UNSET
    assert plan.lora.target_modules.value is None


def test_unreadable_value_keeps_a_note(tmp_path: Path) -> None:
    plan = load_training_config(write(tmp_path, "ax.yml", "base_model: a/b\nnum_epochs: many\n"))
    assert plan.epochs.value is None and plan.epochs.origin is Origin.CONFIG
    assert plan.epochs.raw == "many" and plan.epochs.invalid and "is a string" in plan.epochs.note
    assert [(v.key, v.raw) for v in plan.invalid_values] == [("num_epochs", "many")]  # FT621 reports it


# ---------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    "text, suffix, framework",
    [
        ("model:\n  _component_: torchtune.models.x\n", ".yaml", "torchtune"),
        ('{"model": "gpt-4o-mini", "training_file": "file-1"}', ".json", "openai"),
        ("model_name_or_path: a/b\nstage: dpo\n", ".yaml", "llamafactory"),
        ("model: a/b\ntrain_dataset: x.yaml\n", ".yaml", "llamafactory"),
        ("base_model: a/b\n", ".yml", "axolotl"),
        ("sequence_len: 10\nmicro_batch_size: 1\n", ".yml", "axolotl"),
        ("model_name_or_path: a/b\ndataset_name: c/d\n", ".yaml", "trl"),
        ('{"model_name_or_path": "a/b", "dataset_name": "c/d"}', ".json", "hf"),
        ('{"model_name_or_path": "a/b", "packing": true}', ".json", "trl"),
        ("model_name_or_path: a/b\ntask_name: mrpc\n", ".yaml", "hf"),
        ("output_dir: out\nnum_train_epochs: 2\n", ".yaml", "trl"),
    ],
)
def test_framework_detection(tmp_path: Path, text: str, suffix: str, framework: str) -> None:
    plan = load_training_config(write(tmp_path, "config" + suffix, text))
    assert plan.framework == framework and plan.detected_by


@pytest.mark.parametrize("framework", ["hf", "trl", "axolotl", "llamafactory", "torchtune", "openai"])
def test_every_override_accepts_any_mapping(tmp_path: Path, framework: str) -> None:
    plan = load_training_config(write(tmp_path, "c.yaml", "foo: 1\n"), framework=framework)
    assert plan.framework == framework
    assert [u.key for u in plan.unknown_keys] == ["foo"]


# ---------------------------------------------------------------------------- robustness

_WEIRD: tuple[Any, ...] = (None, [], {}, "x", 7, [1, {"a": None}], {"a": [None], "_component_": 3})


def _corpus_configs() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.glob("*/*") if p.suffix in (".yaml", ".yml"))


def _replaced(data: Any, parts: list[str | int], value: Any) -> Any:
    """A copy of ``data`` with the value at ``parts`` replaced."""
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if isinstance(data, dict):
        copy = dict(data)
        copy[head] = _replaced(data[head], rest, value)
        return copy
    copy_list = list(data)
    copy_list[head] = _replaced(data[head], rest, value)
    return copy_list


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present beside the repository")
@pytest.mark.parametrize("config", _corpus_configs(), ids=lambda p: p.name)
def test_values_of_the_wrong_type_never_crash(config: Path) -> None:
    """Every value, at every depth, replaced by odd values: a plan or a TrainingConfigError, never a traceback."""
    source = read_config(config)
    framework = load_training_config(config).framework
    for key in source.lines:
        for weird in _WEIRD:
            mutated = replace(source, data=_replaced(source.data, split_key(key), weird))
            try:
                assert plan_from_source(mutated, framework).framework == framework
            except TrainingConfigError as e:  # only a key naming the data, of a shape the framework refuses
                assert split_key(key)[0] in SHAPES[framework] and "refuses to start" in e.message, e  # noqa: PT017
            with contextlib.suppress(TrainingConfigError):
                detect_framework(mutated)


# ---------------------------------------------------------------------------- split specs


def test_parse_split() -> None:
    assert parse_split("train") == (SplitSlice("train"),)
    assert parse_split("train[:95%]") == (SplitSlice("train", None, 95.0, "%"),)
    assert parse_split("train[10:20] + test") == (SplitSlice("train", 10.0, 20.0, "rows"), SplitSlice("test"))
    with pytest.raises(ValueError, match="mixes percentages and row numbers"):
        parse_split("train[10:50%]")
    with pytest.raises(ValueError, match="cannot read split"):
        parse_split("train[:")


@pytest.mark.parametrize(
    "first, second, expected",
    [
        ("train[:95%]", "train[95%:]", False),
        ("train[:95%]", "train[90%:]", True),
        ("train", "train[95%:]", True),
        ("train_prefs", "test_prefs", False),
        ("train[:1000]", "train[1000:]", False),
        ("train[:100]", "train[50%:]", None),
        ("train[-10:]", "train[:5]", None),
        ("train[", "train", None),
    ],
)
def test_splits_overlap(first: str, second: str, expected: bool | None) -> None:
    assert splits_overlap(first, second) is expected
