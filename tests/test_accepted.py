"""Accepted means checked (issue 12, part 7): an empty conversation is a finding, unreadable
records are never duplicates of each other, FT101 counts examples, and training-config values
of the wrong type or out of range are FT621 findings that no other rule reasons from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_inprocess import check, cli, jsonl

CHAT = [{"messages": [{"role": "user", "content": f"how do I cook dish number {i} with {i + 2} eggs?"},
                      {"role": "assistant", "content": f"recipe {i}: whisk {i + 2} eggs, then bake for {i} min"}]}
        for i in range(30)]


def findings(report: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["code"] == code]


def outcome(report: dict[str, Any], code: str) -> dict[str, Any]:
    return next(r for r in report["rules"] if r["code"] == code)


# -- empty conversations ------------------------------------------------------------------------------

def test_an_empty_message_list_is_an_empty_field_and_fix_drops_it(work: Path) -> None:
    jsonl(work / "train.jsonl", [*CHAT, {"messages": []}, {"conversations": []}])
    report = check("train.jsonl", "--select", "FT002,FT003,FT004")
    (ft003,) = findings(report, "FT003")
    assert [r["index"] for r in ft003["rows"]] == [30]
    assert "'messages' is []" in ft003["rows"][0]["extra"]["empty"][0]
    (ft002,) = findings(report, "FT002")  # an empty ShareGPT list in a chat file is a record of another shape
    assert [r["index"] for r in ft002["rows"]] == [31]
    res = cli("fix", "train.jsonl", "--isolated", "--no-cache")
    assert res.exit_code in (0, 1), res.output
    kept = [line for name in ("train.jsonl", "validation.jsonl")  # fix also carves a validation file (FT104)
            for line in (work / "ftlint-fixed" / name).read_text(encoding="utf-8").splitlines()]
    assert len(kept) == 30 and all(json.loads(line)["messages"] for line in kept)


def test_an_empty_sharegpt_conversation_is_an_empty_field(work: Path) -> None:
    rows = [{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}] * 3
    jsonl(work / "train.jsonl", [*rows, {"conversations": []}])
    (ft003,) = findings(check("train.jsonl", "--select", "FT003"), "FT003")
    assert [r["index"] for r in ft003["rows"]] == [3]
    assert "'conversations' is []" in ft003["message"]


def test_an_empty_message_list_in_parquet_is_an_empty_field(work: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = [*CHAT[:5], {"messages": []}]
    pq.write_table(pa.Table.from_pylist(rows), work / "train.parquet")
    (ft003,) = findings(check("train.parquet", "--select", "FT003"), "FT003")
    assert [r["index"] for r in ft003["rows"]] == [5]


# -- unreadable records are not duplicates ---------------------------------------------------------------

BROKEN = [{"instruction": {"a": 1}, "output": [1]}, {"instruction": [2], "output": {"b": 3}},
          {"instruction": "What is X?", "output": {"x": 1}}, {"instruction": "What is X?", "output": [5]},
          7, "a string"]
ALPACA = [{"instruction": f"question {i} about cooking pasta at home", "output": f"answer {i}: boil the water first"}
          for i in range(30)]


def test_different_unreadable_records_are_never_duplicates(work: Path) -> None:
    jsonl(work / "train.jsonl", [*ALPACA, *BROKEN])
    jsonl(work / "val.jsonl", [*ALPACA[:0], {"instruction": {"z": 9}, "output": None},
                               {"instruction": "a fresh question about soup", "output": "a fresh answer"}])
    report = check("train.jsonl", "--validation", "val.jsonl", "--select", "FT002,FT201,FT202,FT203,FT301,FT304")
    assert len(findings(report, "FT002")) == 2  # the broken records are reported, as records of the wrong shape
    for code in ("FT201", "FT202", "FT203"):
        assert findings(report, code) == [], code


def test_a_real_copy_is_still_a_duplicate(work: Path) -> None:
    jsonl(work / "train.jsonl", [*ALPACA, ALPACA[3], *BROKEN])
    (ft201,) = findings(check("train.jsonl", "--select", "FT201"), "FT201")
    assert [r["index"] for r in ft201["rows"]] == [30]


# -- FT101 counts examples ---------------------------------------------------------------------------------

def test_too_few_examples_counts_examples_not_records(work: Path) -> None:
    lines = [json.dumps(r) for r in ALPACA[:20]] + ['{"instruction": "cut', "7", '{"messages": []}']
    (work / "train.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (ft101,) = findings(check("train.jsonl", "--select", "FT101"), "FT101")
    assert "only 20 examples (23 records: 1 unreadable, 2 not matching the format" in ft101["message"]
    assert ft101["metrics"]["examples"] == 20 and ft101["metrics"]["records_read"] == 23


# -- FT621: training-config values ----------------------------------------------------------------------------

AXOLOTL = """\
base_model: Qwen/Qwen2.5-0.5B
datasets:
  - path: train.jsonl
    type: chat_template
val_set_size: "abc"
sequence_len: -5
num_epochs: "three"
micro_batch_size: 2
learning_rate: 0.0002
"""


def test_invalid_config_values_are_located_findings_no_rule_uses(work: Path) -> None:
    jsonl(work / "train.jsonl", CHAT)
    (work / "train.yaml").write_text(AXOLOTL, encoding="utf-8")
    res = cli("check", "--config", "train.yaml", "--isolated", "--no-cache", "--output-format", "json")
    assert res.exit_code == 1, res.output
    report = json.loads(res.stdout)
    got = [(f["location"]["line"], f["location"]["key"], f["severity"]) for f in findings(report, "FT621")]
    assert got == [(5, "val_set_size", "error"), (6, "sequence_len", "error"), (7, "num_epochs", "error")]
    text = json.dumps(report["findings"])
    assert "-5 tokens" not in text and "exceed sequence_len" not in text  # FT602 does not use the -5
    assert "val_set_size is 0" not in text  # FT104 does not read "abc" as 0
    for code in ("FT602", "FT104", "FT603"):
        assert outcome(report, code)["outcome"] == "skipped" and "FT621" in outcome(report, code)["reason"], code


def test_a_dataset_list_of_the_wrong_shape_exits_2_with_one_located_line(work: Path) -> None:
    jsonl(work / "train.jsonl", CHAT)
    (work / "train.yaml").write_text("base_model: a/b\ndatasets: 5\nnum_epochs: 3\n", encoding="utf-8")
    res = cli("check", "train.jsonl", "--config", "train.yaml", "--isolated", "--no-cache")
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == [
        "ftlint: error: train.yaml:2: `datasets` is 5 (a number), not a list of datasets (paths or mappings): "
        "Axolotl refuses to start and ftlint cannot tell which data the run trains on"]


def test_openai_auto_and_torchtune_interpolation_are_valid(work: Path) -> None:
    from ftlint.training import load_training_config

    (work / "job.json").write_text(json.dumps({"model": "gpt-4o-mini", "training_file": "file-x",
                                               "hyperparameters": {"n_epochs": "auto", "batch_size": 8}}))
    assert load_training_config(work / "job.json").invalid_values == ()
    (work / "tt.yaml").write_text("model:\n  _component_: torchtune.models.llama3_2.lora_llama3_2_1b\n"
                                  "dataset:\n  _component_: torchtune.datasets.alpaca_dataset\n"
                                  "batch_size: 4\nbatch_size_val: ${batch_size}\nepochs: 1\n")
    assert load_training_config(work / "tt.yaml").invalid_values == ()
