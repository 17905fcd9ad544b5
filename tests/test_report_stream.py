"""The JSON and SARIF reports written in pieces (``reporters.get_chunks``): the same bytes as the
whole report serialised at once, with no piece near the size of a finding that lists many rows."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from click.testing import CliRunner

from ftlint.cli import main
from ftlint.findings import Report
from ftlint.model import Affected, Finding, InputInfo, Location, Row, RuleOutcome, Severity
from ftlint.reporters import RenderOptions, get_chunks, get_renderer, jsonfmt, sarif
from ftlint.reporters._common import JsonList, JsonObject, dumps_json, iter_json, plain_json

ROWS = 3_000
TEXTS = ["plain words", "line\nbreak and \"quotes\"", "ctl \x1b]0;T\x07 bidi \u202e end", "é 中 😀 …",
         "lone \udcff surrogate", ""]


def _row(k: int) -> Row:
    extra: dict[str, Any] = {"near_duplicate_of": {"path": "train.jsonl", "index": k // 2, "line": None},
                             "similarity": round(0.8 + k / 10 / ROWS, 4), "group": k % 7,
                             "tags": [k, "x"] if k % 3 else []}
    return Row("train.jsonl", "train", k, k + 1, f"{k:016x}", TEXTS[k % len(TEXTS)] + f" {k}", extra if k % 5 else {})


def many_rows_report() -> Report:
    """Findings listing thousands of rows, besides none, with strings JSON must escape, metrics
    with lists, numpy values, non-string keys and nothing at all."""
    big = Finding("FT202", "near-duplicates", Severity.WARNING, "3,000 of 6,000 are near-copies", "drop them",
                  Location("train.jsonl", 1), [_row(k) for k in range(ROWS)], Affected(ROWS, 0.5),
                  {"groups": [[["train.jsonl", k], ["train.jsonl", k + 1]] for k in range(0, ROWS, 2)],
                   "group_count": ROWS // 2, "threshold": 0.8, "mean": np.float64(0.25), "empty": [],
                   "nested": {"a": [1, 2], "b": {}}},
                  "abc", "train")
    odd: dict[Any, Any] = {1: "one", "two": [np.int64(2)]}  # a key that is not a string: orjson writes it
    odd_keys = Finding("FT102", "label-imbalance", Severity.INFO, "labels \u202e", "fix", Location(None, key="k"),
                       [_row(1)], Affected(1, 0.1), odd, "def", "train")
    empty = Finding("FT101", "too-few-examples", Severity.ERROR, "few", "add", Location("train.jsonl"), [],
                    Affected(0, 0.0), {}, "ghi", None)
    return Report([empty, big, odd_keys],
                  [RuleOutcome("FT202", "near-duplicates", "ran", seconds=1.5),
                   RuleOutcome("FT203", "split-leakage", "skipped", "no validation split", "pass --validation")],
                  [InputInfo("train.jsonl", "dataset", "train", "jsonl", 6_000, "command line")])


def test_streamed_json_is_the_report_serialised_at_once() -> None:
    report = many_rows_report()
    pieces = list(jsonfmt.chunks(report, RenderOptions()))
    text = "".join(pieces)
    whole = dumps_json(jsonfmt.report_dict(report), default=jsonfmt._default,
                       option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + "\n"
    assert text == whole
    assert text == get_renderer("json")(report, RenderOptions())
    # and it is the report model: json.dumps of report_dict reads back the same
    model = json.loads(json.dumps(jsonfmt.report_dict(report), default=jsonfmt._default))
    assert json.loads(text) == model
    assert len(model["findings"][1]["rows"]) == ROWS
    assert "\x1b" not in text and "\u202e" not in text and "\\u202e" in text and "\\udcff" in text
    # written a few hundred rows at a time, never as one text
    assert len(pieces) > ROWS // 512
    assert max(map(len, pieces)) < len(text) / 5


def test_streamed_sarif_is_the_log_serialised_at_once() -> None:
    report = many_rows_report()
    report.findings = report.findings * 400  # 1,200 results
    text = "".join(sarif.chunks(report, RenderOptions()))
    assert text == dumps_json(sarif.sarif_dict(report), option=orjson.OPT_INDENT_2) + "\n"
    assert len(json.loads(text)["runs"][0]["results"]) == 1_200


def _tree(items: int) -> JsonObject:
    def inner() -> JsonObject:
        return JsonObject({"rows": JsonList(iter([{"a": i, "s": "x\ny"} for i in range(items)])),
                           "none": JsonList(iter([])), "nothing": JsonObject(), "n": 1.5})

    return JsonObject({"k": [1, {"z": None}], "list": JsonList([inner(), 3, "four", [5], JsonList([]), inner()]),
                       "tail": {"deep": [[]]}})


@pytest.mark.parametrize("batch", [1, 2, 3, 512])
@pytest.mark.parametrize("items", [0, 1, 5])
def test_iter_json_matches_orjson_at_every_depth(batch: int, items: int) -> None:
    # a tree's generators are consumed when it is written: built afresh for each serialisation
    streamed = "".join(iter_json(_tree(items), batch=batch))
    assert streamed == dumps_json(plain_json(_tree(items)), option=orjson.OPT_INDENT_2)
    assert "".join(iter_json(JsonList([]))) == "[]" and "".join(iter_json(JsonObject())) == "{}"


def test_check_writes_the_same_json_to_a_file_and_to_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("FTLINT_FAIL_ON", "FTLINT_OUTPUT_FORMAT", "FTLINT_OUTPUT_FILE", "FTLINT_DEBUG"):
        monkeypatch.delenv(var, raising=False)
    row = {"messages": [{"role": "user", "content": "same question \u202e"}, {"role": "assistant", "content": "same"}]}
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(row) + "\n" for _ in range(1_500)), encoding="utf-8")
    args = ["check", "train.jsonl", "--select", "FT201", "--isolated", "--no-cache", "--exit-zero",
            "--output-format", "json"]
    out = CliRunner().invoke(main, [*args, "-o", "r.json", "--report", "sarif:r.sarif"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    shown = CliRunner().invoke(main, args, catch_exceptions=False)
    assert shown.exit_code == 0, shown.output

    def timeless(text: str) -> str:
        return re.sub(r'"seconds": [0-9.e-]+', '"seconds": 0', text)

    written = (tmp_path / "r.json").read_text(encoding="utf-8")
    assert timeless(written) == timeless(shown.stdout)
    report = json.loads(written)
    assert len(report["findings"][0]["rows"]) == 1_499
    assert json.loads((tmp_path / "r.sarif").read_text(encoding="utf-8"))["runs"][0]["results"][0]["ruleId"] == "FT201"


def test_other_formats_come_in_one_piece() -> None:
    report = many_rows_report()
    for fmt in ("full", "concise", "markdown", "gitlab"):
        assert list(get_chunks(fmt)(report, RenderOptions())) == [get_renderer(fmt)(report, RenderOptions())]
