"""FT608 advice that depends on the transformers version: read from the repository's pins."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftlint.api import check
from ftlint.settings import Settings
from ftlint.training.versions import find_pin

TRL = """model_name_or_path: HuggingFaceTB/SmolLM2-1.7B
dataset_name: HuggingFaceTB/smoltalk
num_train_epochs: 1
warmup_ratio: 0.1
overwrite_output_dir: true
"""
LF = """model_name_or_path: Qwen/Qwen3-4B
stage: sft
do_train: true
finetuning_type: lora
dataset: alpaca_en_demo
template: qwen3
overwrite_output_dir: true
warmup_ratio: 0.1
"""


def ft608(tmp_path: Path, config: str, pins: str | None, pin_file: str = "requirements.txt") -> dict[str, object]:
    (tmp_path / "recipes").mkdir()
    path = tmp_path / "recipes" / "sft.yaml"
    path.write_text(config, encoding="utf-8")
    if pins is not None:
        (tmp_path / pin_file).write_text(pins, encoding="utf-8")
    (tmp_path / "recipes" / "data").mkdir()  # LLaMA-Factory's registry: the dataset lives on the hub
    (tmp_path / "recipes" / "data" / "dataset_info.json").write_text(
        '{"alpaca_en_demo": {"hf_hub_url": "example-org/alpaca_en_demo"}}', encoding="utf-8")
    report = check([], settings=Settings(training_config=path, select=["FT608"]), no_cache=True)
    return {f.metrics["key"]: f for f in report.findings if f.code == "FT608"}


def test_no_pin_is_info_and_says_what_it_assumes(tmp_path):
    found = ft608(tmp_path, TRL, None)
    f = found["warmup_ratio"]
    assert f.severity.label == "info"
    assert "works on transformers 4.x but was removed in transformers 5" in f.message
    assert "warmup_steps" in f.fix and "4.x" in f.fix and "fails there" in f.fix


def test_a_pin_below_5_reports_nothing(tmp_path):
    assert ft608(tmp_path, TRL, "torch\ntransformers>=4.49,<5.0\ntrl==0.19.1\n") == {}


def test_a_pin_of_5_reports_the_removal_with_the_5_replacement(tmp_path):
    found = ft608(tmp_path, TRL, '[project]\ndependencies = ["transformers>=5.0", "trl"]\n', "pyproject.toml")
    f = found["warmup_ratio"]
    assert f.severity.label == "warning"
    assert "pins transformers>=5.0" in f.message
    assert f.fix.startswith("On transformers 5 use `warmup_steps")
    assert "overwrite_output_dir" in found


def test_llamafactory_declares_overwrite_output_dir_itself_and_runs_transformers_4(tmp_path):
    # LLaMA-Factory requires transformers<=4.57.1 itself: warmup_ratio is valid there, nothing to report
    assert ft608(tmp_path, LF, None) == {}
    # a repository that pins transformers 5 for it gets the removal
    found = ft608(tmp_path / "t5", LF, "transformers>=5.0\n") if (tmp_path / "t5").mkdir() is None else {}
    assert "overwrite_output_dir" not in found
    assert found["warmup_ratio"].severity.label == "warning"


@pytest.mark.parametrize("text, allows4, allows5", [
    ("transformers==4.57.1", True, False),
    ("transformers>=4.56.0", True, True),
    ("transformers[torch]~=5.1", False, True),
    ("transformers >=4.41, <=4.46.1", True, False),
])
def test_pins_are_read_as_specifiers(tmp_path, text, allows4, allows5):
    (tmp_path / "requirements.txt").write_text(f"numpy\n{text}\n", encoding="utf-8")
    pin = find_pin(tmp_path / "train.yaml", "transformers")
    assert pin is not None
    assert (pin.allows_major(4), pin.allows_major(5)) == (allows4, allows5)
