"""Messages that say what is wrong (issue 12, problem 9): each misleading message, reproduced."""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from ftlint.grammar import article, plural
from tests.cli_inprocess import check, cli, jsonl

ROWS = [{"prompt": f"question {i} about baking bread at home", "completion": f"answer {i}: knead it longer"}
        for i in range(12)]


def error_line(*args: str) -> str:
    res = cli("check", *args, "--isolated", "--no-cache")
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def only(report: dict[str, Any], code: str) -> dict[str, Any]:
    (found,) = [f for f in report["findings"] if f["code"] == code]
    return found


# -- record messages ------------------------------------------------------------------------------------------

def test_a_role_that_is_not_a_string_says_so(work: Path) -> None:
    jsonl(work / "train.jsonl", [{"messages": [{"role": 7, "content": "hi"}, {"role": "assistant", "content": "x"}]},
                                 {"messages": [{"content": "no role"}, {"role": "assistant", "content": "y"}]}])
    report = check("train.jsonl", "--select", "FT002,FT004")
    problems = [r["extra"]["problems"] for r in only(report, "FT002")["rows"]]
    assert problems == [["messages[0] 'role' is a number (7), expected a string"], ["messages[0] has no 'role'"]]
    assert not [f for f in report["findings"] if f["code"] == "FT004"]  # the shape is FT002's, not an "unknown role"


def test_a_nan_literal_is_named(work: Path) -> None:
    (work / "train.jsonl").write_text('{"prompt": "a", "completion": "b"}\n{"prompt": "c", "completion": NaN}\n'
                                      '{"prompt": "d", "completion": -Infinity}\n{"prompt": "e", "completion": }\n')
    reasons = [r["extra"]["reason"] for r in only(check("train.jsonl", "--select", "FT001"), "FT001")["rows"]]
    assert reasons[0].startswith("invalid JSON: NaN is not a JSON value") and "write null" in reasons[0]
    assert reasons[1].startswith("invalid JSON: -Infinity is not a JSON value")
    assert "not a JSON value" not in reasons[2]  # a plain syntax error keeps the parser's message
    (work / "data.json").write_text('[{"prompt": "a", "completion": "b"}, {"prompt": "c", "completion": NaN}]')
    (row,) = only(check("data.json", "--select", "FT001"), "FT001")["rows"]
    assert row["extra"]["reason"].startswith("invalid JSON: NaN is not a JSON value")


def test_row_has_1_field(work: Path) -> None:
    (work / "train.csv").write_text("prompt,completion\na,b\nonly one\n")
    (row,) = only(check("train.csv", "--select", "FT001"), "FT001")["rows"]
    assert row["extra"]["reason"] == "row has 1 field, the header has 2"


# -- paths: symlink loops and compressed files -------------------------------------------------------------------

def test_a_symlink_loop_is_named(work: Path) -> None:
    os.symlink("loop.jsonl", work / "loop.jsonl")
    os.symlink("gone.jsonl", work / "broken.jsonl")
    assert error_line("loop.jsonl") == (
        "ftlint: error: loop.jsonl: symlink loop: the link leads back to itself (too many levels of symbolic links)")
    assert error_line("broken.jsonl") == (
        "ftlint: error: broken.jsonl: broken symlink: it points to gone.jsonl, which does not exist")
    assert error_line("missing.jsonl") == "ftlint: error: missing.jsonl: no such file or directory"
    jsonl(work / "train.jsonl", ROWS)
    os.symlink("loop.yaml", work / "loop.yaml")
    assert "symlink loop" in error_line("train.jsonl", "--config", "loop.yaml")


def test_a_compressed_file_ftlint_does_not_read_says_to_decompress_it(work: Path) -> None:
    data = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    (work / "train.jsonl.zip").write_bytes(b"PK\x03\x04" + data)
    line = error_line("train.jsonl.zip")
    assert ("compressed file (zip): ftlint reads .gz, .bz2, .xz and .zst files; decompress it first "
            "(`unzip train.jsonl.zip`)") in line
    (work / "train.parquet.gz").write_bytes(gzip.compress(b"PAR1"))
    assert ("Parquet and Arrow files are read uncompressed (they compress their own pages); decompress it first "
            "(`gunzip -k train.parquet.gz`)") in error_line("train.parquet.gz")
    (work / "only").mkdir()
    (work / "only" / "train.jsonl.zip").write_bytes(b"PK\x03\x04" + data)
    assert "it has compressed ones ftlint does not read (train.jsonl.zip): decompress them first" in \
        error_line("only")
    (work / "only" / "train.jsonl.gz").write_bytes(gzip.compress(data))  # read: gzip is one ftlint reads
    assert cli("check", "only", "--isolated", "--no-cache").exit_code in (0, 1)


def test_files_skipped_in_a_directory_are_reported(work: Path) -> None:
    data = work / "data"
    data.mkdir()
    jsonl(data / "train.jsonl", ROWS)
    (data / "more.jsonl.gz").write_bytes(gzip.compress(b'{"prompt": "x", "completion": "y"}\n'))  # read
    (data / "other.csv.lz4").write_bytes(b"\x04\x22\x4d\x18")
    os.symlink("loop.jsonl", data / "loop.jsonl")
    os.symlink("gone.jsonl", data / "broken.jsonl")
    (data / "notes.txt.gz").write_bytes(gzip.compress(b"not data"))  # not a dataset name: not reported
    res = cli("check", "data", "--isolated", "--no-cache", "--select", "FT001", "--output-format", "json")
    assert res.exit_code == 1, res.output  # data that was not read never passes silently
    got = {f["location"]["path"]: f["message"] for f in json.loads(res.stdout)["findings"]}
    assert sorted(got) == ["data/broken.jsonl", "data/loop.jsonl", "data/other.csv.lz4"]
    assert ("was skipped: compressed file (lz4): ftlint reads .gz, .bz2, .xz and .zst files; decompress it first "
            "(`unlz4 data/other.csv.lz4`)") in got["data/other.csv.lz4"]
    assert "was skipped: symlink loop" in got["data/loop.jsonl"]
    assert "was skipped: broken symlink" in got["data/broken.jsonl"]


# -- encodings ---------------------------------------------------------------------------------------------------

def test_latin1_bytes_get_one_summary_naming_the_encoding(work: Path) -> None:
    lines = [json.dumps({"prompt": f"Café crème {i}", "completion": "très bien"}, ensure_ascii=False)
             for i in range(4)]
    (work / "train.jsonl").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    finding = only(check("train.jsonl", "--select", "FT001"), "FT001")
    assert "4 records are not UTF-8 and the file looks like Latin-1" in finding["message"]
    assert "iconv -f LATIN1 -t UTF-8 train.jsonl > train.utf8.jsonl" in finding["fix"]
    assert finding["metrics"] == {"not_utf8": 4, "encoding": "Latin-1"}
    assert "the bytes look like Latin-1: 'é'" in finding["rows"][0]["extra"]["reason"]


def test_windows_1252_and_unknown_encodings(work: Path) -> None:
    rows = "prompt,completion\n" + "".join(f"\u201cquoted\u201d {i},fine\n" for i in range(3))
    (work / "train.csv").write_bytes(rows.encode("cp1252"))
    finding = only(check("train.csv", "--select", "FT001"), "FT001")
    assert "looks like Windows-1252" in finding["message"] and "iconv -f CP1252 -t UTF-8" in finding["fix"]
    (work / "cyr.jsonl").write_bytes('{"prompt": "Привет мир", "completion": "x"}\n'.encode("cp1251"))
    finding = only(check("cyr.jsonl", "--select", "FT001"), "FT001")
    assert finding["message"].endswith("; 1 record is not UTF-8") and "looks like" not in finding["message"]
    assert "file -i cyr.jsonl" in finding["fix"] and "iconv -f <encoding> -t UTF-8" in finding["fix"]


# -- grammar -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("word, expected", [
    ("Axolotl", "an"), ("HF Trainer", "an"), ("TRL", "a"), ("LLaMA-Factory", "a"), ("torchtune", "a"),
    ("OpenAI fine-tuning job", "an"), ("alignment-handbook (TRL)", "an"), ("8-bit", "an"), ("11-word", "an"),
    ("13-word", "a"), ("unknown", "an"), ("user", "a"), ("assistant", "an"), ("hour", "an"), ("SFT", "an"),
])
def test_article_by_the_following_word(word: str, expected: str) -> None:
    assert article(word) == expected


def test_plural() -> None:
    assert (plural(1, "field"), plural(2, "field"), plural(1_000, "entry", "entries")) == \
        ("1 field", "2 fields", "1,000 entries")


def test_an_axolotl_key(work: Path) -> None:
    (work / "train.yaml").write_text("base_model: a/b\ndatasets:\n  - path: train.jsonl\nnum_epoch: 3\n")
    jsonl(work / "train.jsonl", ROWS)
    finding = only(check("--config", "train.yaml", "--select", "FT608"), "FT608")
    assert finding["message"].startswith("`num_epoch` is not an Axolotl key; did you mean `num_epochs`?")


def test_a_conversation_ending_on_an_unknown_turn(work: Path) -> None:
    jsonl(work / "train.jsonl", [{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "a"},
                                               {"role": "robot", "content": "beep"}]}])
    finding = only(check("train.jsonl", "--select", "FT004"), "FT004")
    assert "ends with an unknown turn" in json.dumps(finding)


# -- counts: baseline entries, findings, suppressed ---------------------------------------------------------------

def test_baseline_and_check_count_in_the_same_units(work: Path) -> None:
    rows = [*ROWS, ROWS[0], ROWS[0], ROWS[1], {"prompt": "", "completion": "empty prompt"}]
    jsonl(work / "train.jsonl", rows)
    res = cli("baseline", "train.jsonl", "--isolated", "--no-cache")
    assert res.exit_code == 0, res.output
    m = re.search(r"wrote (\d+) baseline entries to \S+, accepting (\d+) findings as (\d+) items \((\d+) affected "
                  r"rows and (\d+) findings without rows; identical rows share an entry, with a count\)", res.output)
    assert m, res.output
    entries, _n_findings, items, rows_n, whole = map(int, m.groups())
    baseline = json.loads((work / ".ftlint-baseline.json").read_text())
    assert entries == len(baseline["entries"]) and items == sum(e["count"] for e in baseline["entries"])
    assert items == rows_n + whole and f"count is in items ({items} on unchanged data)" in res.output
    after = check("train.jsonl")
    assert after["findings"] == [] and after["summary"]["suppressed"] == items
    text = cli("check", "train.jsonl", "--isolated", "--no-cache").output
    assert f"({items} suppressed: baselined rows or findings, noqa, per-file-ignores)" in text


# -- escalated severities say why ---------------------------------------------------------------------------------

def test_an_escalated_severity_says_why_and_an_override_removes_it(work: Path) -> None:
    jsonl(work / "train.jsonl", ROWS)
    (work / "train.yaml").write_text("base_model: a/b\ndatasets:\n  - path: train.jsonl\nval_set_size: 0\n")
    report = check("--config", "train.yaml", "--select", "FT101,FT104")
    ft104, ft101 = only(report, "FT104"), only(report, "FT101")
    assert ft104["severity"] == "error" and ft104["message"].endswith(
        "(escalated from warning: with a training config, a run that never evaluates is an error)")
    assert ft104["metrics"]["escalated_from"] == "warning"
    assert ft101["severity"] == "error" and ft101["message"].endswith(
        "(escalated from warning: the rule's `error-below` option (100))")
    rules = {r["code"]: r for r in json.loads(cli("rules", "--output-format", "json").stdout)}
    assert rules["FT104"]["severity"] == "warning"  # `ftlint rules` shows the base level, the finding says why
    (work / "ftlint.toml").write_text('[rules.FT104]\nseverity = "warning"\n')
    res = cli("check", "--config", "train.yaml", "--select", "FT104", "--no-cache", "--output-format", "json")
    pinned = only(json.loads(res.stdout), "FT104")
    assert pinned["severity"] == "warning" and "escalated" not in pinned["message"]
    assert "escalated_from" not in pinned["metrics"]
