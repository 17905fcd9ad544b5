"""The CI-facing formats (sarif, github, gitlab, junit, markdown): each is parsed back."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from tests.cli_inprocess import cli

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
ANNOTATION = re.compile(r"^::(?P<level>error|warning|notice) (?P<props>[^:]*)::(?P<msg>.*)$")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dest = tmp_path / "proj"
    shutil.copytree(ROOT / "examples" / "chat-mistakes", dest)
    # a row whose text is markup: every format must carry it as text
    with open(dest / "train.jsonl", "a", encoding="utf-8") as fh:
        row = {"messages": [{"role": "user", "content": "<script>alert(1)</script> | pipe"},
                            {"role": "assistant", "content": ""}]}
        fh.write(json.dumps(row) + "\n")
    monkeypatch.chdir(dest)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return dest


def run(*args: str) -> tuple[int, str]:
    res = cli("check", *args, "--no-cache")
    return res.exit_code, res.output


def findings_json() -> list[dict]:
    return json.loads(run("train.jsonl", "--output-format", "json")[1])["findings"]


def test_sarif_validates_against_the_official_schema(project: Path) -> None:
    code, out = run("train.jsonl", "--output-format", "sarif")
    assert code == 1
    doc = json.loads(out)
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    run_ = doc["runs"][0]
    findings = findings_json()
    assert len(run_["results"]) == len(findings)
    rule_ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert rule_ids == sorted(rule_ids) and "FT201" in rule_ids
    for res, f in zip(run_["results"], findings):
        assert res["ruleId"] == f["code"]
        assert rule_ids[res["ruleIndex"]] == f["code"]
        assert res["level"] == {"error": "error", "warning": "warning", "info": "note"}[f["severity"]]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == f["location"]["path"] or f["location"]["path"] is None
        assert loc["region"]["startLine"] >= 1
        assert res["partialFingerprints"]["primaryLocationLineHash"] == f"{f['fingerprint']}:1"
        assert res["message"]["text"]
    ft201 = next(r for r in run_["tool"]["driver"]["rules"] if r["id"] == "FT201")
    assert ft201["defaultConfiguration"]["level"] == "warning"  # the base level, not an escalated one
    assert ft201["help"]["text"] and "## Why it matters" in ft201["help"]["markdown"]
    # skipped rules are visible, not silent
    notes = run_["invocations"][0]["toolConfigurationNotifications"]
    assert any("skipped" in n["message"]["text"] for n in notes)
    assert run_["invocations"][0]["executionSuccessful"] is True


def test_github_annotations_errors_first_and_escaped(project: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out = run("train.jsonl", "--output-format", "github")
    assert code == 1
    lines = out.strip().splitlines()
    parsed = [ANNOTATION.match(x) for x in lines]
    assert all(parsed), lines
    levels = [m["level"] for m in parsed]
    assert levels == sorted(levels, key=["error", "warning", "notice"].index)
    first = dict(kv.split("=", 1) for kv in parsed[0]["props"].split(","))
    assert first["file"] == "train.jsonl" and int(first["line"]) > 0 and first["title"].startswith("ftlint FT")
    assert all("\n" not in m["msg"] for m in parsed) and any("%0AFix" in m["msg"] for m in parsed)
    text = summary.read_text()
    assert text.startswith("## ftlint") and "| `FT201` |" in text
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_gitlab_code_quality(project: Path) -> None:
    _code, out = run("train.jsonl", "--output-format", "gitlab")
    entries = json.loads(out)
    findings = findings_json()
    assert len(entries) == len(findings)
    assert len({e["fingerprint"] for e in entries}) == len(entries)
    for e, f in zip(entries, findings):
        assert e["check_name"] == f["code"] and e["description"].startswith(f"{f['code']}: ")
        assert e["severity"] == {"error": "critical", "warning": "major", "info": "info"}[f["severity"]]
        assert e["location"]["path"] == "train.jsonl" and e["location"]["lines"]["begin"] >= 1
    assert not out.startswith("\ufeff")


def test_junit_counts_and_cases(project: Path) -> None:
    _code, out = run("train.jsonl", "--output-format", "junit")
    root = ET.fromstring(out)
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    findings = findings_json()
    assert len(failures) == len(findings) == int(suite.get("failures"))
    assert int(suite.get("tests")) == len(cases)
    assert len(skipped) == int(suite.get("skipped")) > 0
    assert len({c.get("name") for c in cases}) == len(cases)  # GitLab drops duplicate names
    sev = {p.get("value") for c in failures for p in c.iter("property") if p.get("name") == "severity"}
    assert sev <= {"error", "warning", "info"}
    assert any("<script>" in (c.find("failure").text or "") for c in failures)  # text, escaped by XML


def test_markdown_escapes_data(project: Path) -> None:
    _code, out = run("train.jsonl", "--output-format", "markdown")
    assert out.startswith("## ftlint")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "\\| pipe" in out


def test_report_flag_writes_several_formats_in_one_run(project: Path) -> None:
    code, out = run("train.jsonl", "--report", "sarif:out/ftlint.sarif", "--report", "junit:out/junit.xml",
                    "--report", "json:out/report.json", "--output-format", "concise")
    assert code == 1
    assert re.match(r"^train\.jsonl:\d+: FT\d{3} ", out)
    jsonschema.Draft4Validator(SCHEMA).validate(json.loads((project / "out" / "ftlint.sarif").read_text()))
    ET.fromstring((project / "out" / "junit.xml").read_text())
    assert json.loads((project / "out" / "report.json").read_text())["schema_version"] == 1


def test_report_flag_rejects_a_bad_value(project: Path) -> None:
    res = cli("check", "train.jsonl", "--report", "yaml:x.yaml")
    assert res.exit_code == 2 and "FORMAT:PATH" in res.output
