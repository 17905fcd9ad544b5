"""Baseline, per-file-ignores and `# ftlint: noqa` in training configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_inprocess import cli

DUP = {"messages": [{"role": "user", "content": "How do I reset my router?"},
                    {"role": "assistant", "content": "Hold the reset button for ten seconds."}]}
EMPTY = {"messages": [{"role": "user", "content": "What is latency?"}, {"role": "assistant", "content": ""}]}


def rows(n: int) -> list[dict]:
    return [{"messages": [{"role": "user", "content": f"Question number {i} about topic {i * 7}"},
                          {"role": "assistant", "content": f"Answer {i}: see section {i * 3}."}]} for i in range(n)]


def write(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def ftlint(*args: str) -> tuple[int, str]:
    res = cli(*args)
    return res.exit_code, res.output


def report(*args: str) -> dict:
    _code, out = ftlint("check", *args, "--output-format", "json", "--no-cache", "--select", "FT003,FT201,FT9")
    return json.loads(out.split("\n", 1)[1] if out.startswith("ftlint:") else out)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "train.jsonl", [DUP, *rows(30), DUP, EMPTY])
    return tmp_path


def test_baseline_accepts_current_findings_and_reports_only_new_ones(project: Path) -> None:
    before = report("train.jsonl")
    assert {f["code"] for f in before["findings"]} == {"FT003", "FT201"}
    code, _out = ftlint("baseline", "train.jsonl", "--select", "FT003,FT201", "--no-cache")
    assert code == 0 and (project / ".ftlint-baseline.json").is_file()
    data = json.loads((project / ".ftlint-baseline.json").read_text())
    assert data["version"] == 1 and {e["rule"] for e in data["entries"]} == {"FT003", "FT201"}
    after = report("train.jsonl")
    assert after["findings"] == [] and after["summary"]["suppressed"] == 2
    code, _ = ftlint("check", "train.jsonl", "--no-cache", "--select", "FT003,FT201")
    assert code == 0
    # a row inserted at the top shifts every line; fingerprints do not depend on lines
    write(project / "train.jsonl", [*rows(1), DUP, *rows(30)[1:], DUP, EMPTY])
    assert report("train.jsonl")["findings"] == []
    # a new empty reply is reported alone, located at its own line
    write(project / "train.jsonl", [*rows(1), DUP, *rows(30)[1:], DUP, EMPTY,
                                    {"messages": [{"role": "user", "content": "New?"},
                                                  {"role": "assistant", "content": " "}]}])
    new = report("train.jsonl")
    [f] = new["findings"]
    assert f["code"] == "FT003" and [r["index"] for r in f["rows"]] == [33]
    assert f["location"]["line"] == 34 and f["affected"]["count"] == 1
    assert "1 already in the baseline" in f["message"]
    assert report("train.jsonl", "--no-baseline")["findings"][0]["affected"]["count"] == 2


def test_stale_entries_are_reported_and_manual_entries_survive_regeneration(project: Path) -> None:
    ftlint("baseline", "train.jsonl", "--select", "FT003,FT201", "--no-cache")
    data = json.loads((project / ".ftlint-baseline.json").read_text())
    data["manually_suppressed"] = [{"rule": "FT003", "fingerprint": "feedfacefeedface", "reason": "known"}]
    (project / ".ftlint-baseline.json").write_text(json.dumps(data))
    write(project / "train.jsonl", [DUP, *rows(30), DUP])  # the empty reply was fixed
    out = report("train.jsonl")
    [stale] = [f for f in out["findings"] if f["code"] == "FT902"]
    assert stale["severity"] == "info" and stale["metrics"]["stale"][0]["rule"] == "FT003"
    ftlint("baseline", "train.jsonl", "--select", "FT003,FT201", "--no-cache")
    regenerated = json.loads((project / ".ftlint-baseline.json").read_text())
    assert regenerated["manually_suppressed"][0]["reason"] == "known"
    assert {e["rule"] for e in regenerated["entries"]} == {"FT201"}


def test_bad_baselines_are_usage_errors(project: Path) -> None:
    (project / "b.json").write_text("{not json")
    code, out = ftlint("check", "train.jsonl", "--baseline", "b.json")
    assert code == 2 and "b.json" in out and "Traceback" not in out
    code, out = ftlint("check", "train.jsonl", "--baseline", "missing.json")
    assert code == 2 and "not found" in out
    (project / "b.json").write_text('{"version": 99, "entries": []}')
    code, out = ftlint("check", "train.jsonl", "--baseline", "b.json")
    assert code == 2 and "version" in out


def test_settings_baseline_key_and_per_file_ignores(project: Path) -> None:
    ftlint("baseline", "train.jsonl", "--select", "FT003,FT201", "-o", "accepted.json", "--no-cache")
    (project / "ftlint.toml").write_text('baseline = "accepted.json"\n')
    assert report("train.jsonl")["summary"]["suppressed"] == 2
    (project / "ftlint.toml").write_text('[per-file-ignores]\n"train.jsonl" = ["FT201"]\n')
    out = report("train.jsonl")
    assert [f["code"] for f in out["findings"]] == ["FT003"] and out["summary"]["suppressed"] == 1
