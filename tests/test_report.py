"""The report: the JSON shape, ranking, fingerprints, and the one redaction step."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ftlint import __version__
from ftlint.api import check
from ftlint.cli import main
from ftlint.findings import Redaction, Report, key_fingerprint, rank, row_fingerprint
from ftlint.model import Affected, Finding, InputInfo, Location, Row, RuleOutcome, Severity
from ftlint.reporters import RenderOptions, get_renderer
from ftlint.settings import Settings, settings_from_dict

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FORMATS = ("full", "concise", "json")

TOP_KEYS = {"ftlint_version", "schema_version", "inputs", "summary", "rules", "findings"}
INPUT_KEYS = {"path", "role", "split", "format", "records"}
INPUT_EXTRA_KEYS = {"split_source", "framework", "task"}   # additions beyond the issue's shape (see report)
SUMMARY_KEYS = {"error", "warning", "info", "suppressed"}
RULE_KEYS = {"code", "name", "outcome", "reason", "fix", "seconds"}
FINDING_KEYS = {"code", "name", "severity", "message", "fix", "location", "affected", "rows", "metrics",
                "fingerprint"}
LOCATION_KEYS = {"path", "line", "key"}
AFFECTED_KEYS = {"count", "fraction"}
ROW_KEYS = {"path", "split", "index", "line", "fingerprint", "snippet", "extra"}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("FTLINT_FAIL_ON", "FTLINT_OUTPUT_FORMAT", "FTLINT_OUTPUT_FILE", "FTLINT_DEBUG"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "chat-mistakes"
    shutil.copytree(EXAMPLES / "chat-mistakes", d, ignore=shutil.ignore_patterns(".ftlint_cache"))
    monkeypatch.chdir(d)
    return d


def chat_row(u: str, a: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": u}, {"role": "assistant", "content": a}]}


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def is_opt(value: Any, typ: type | tuple[type, ...]) -> bool:
    return value is None or isinstance(value, typ)


def json_report(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["check", *args, "--output-format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


# -- the JSON shape -------------------------------------------------------------------------------------

def assert_shape(report: dict[str, Any]) -> None:
    assert set(report) == TOP_KEYS
    assert isinstance(report["ftlint_version"], str) and report["ftlint_version"] == __version__
    assert report["schema_version"] == 1 and type(report["schema_version"]) is int

    assert isinstance(report["inputs"], list) and report["inputs"]
    for i in report["inputs"]:
        assert set(i) >= INPUT_KEYS and set(i) - INPUT_KEYS <= INPUT_EXTRA_KEYS, set(i)
        assert isinstance(i["path"], str) and isinstance(i["role"], str)
        assert is_opt(i["split"], str) and is_opt(i["format"], str) and is_opt(i["records"], int)
        if i["role"] == "dataset":
            assert i["split"] in ("train", "validation", "test")
            assert isinstance(i["records"], int) and isinstance(i["format"], str)

    assert set(report["summary"]) == SUMMARY_KEYS
    assert all(type(v) is int and v >= 0 for v in report["summary"].values())
    counts = {k: sum(f["severity"] == k for f in report["findings"]) for k in ("error", "warning", "info")}
    assert {k: report["summary"][k] for k in counts} == counts

    assert isinstance(report["rules"], list) and report["rules"]
    for r in report["rules"]:
        assert set(r) == RULE_KEYS
        assert isinstance(r["code"], str) and isinstance(r["name"], str)
        assert r["outcome"] in ("ran", "skipped", "failed")
        assert isinstance(r["seconds"], (int, float)) and r["seconds"] >= 0
        if r["outcome"] == "ran":
            assert r["reason"] is None and r["fix"] is None
        else:
            assert isinstance(r["reason"], str) and r["reason"]
            assert isinstance(r["fix"], str) and r["fix"]    # how to enable it / what to do

    fingerprints = []
    for f in report["findings"]:
        assert set(f) == FINDING_KEYS
        assert re.fullmatch(r"[A-Z]{1,4}\d{3}", f["code"]) and isinstance(f["name"], str)
        assert f["severity"] in ("error", "warning", "info")
        assert isinstance(f["message"], str) and f["message"] and isinstance(f["fix"], str) and f["fix"]
        assert set(f["location"]) == LOCATION_KEYS
        assert is_opt(f["location"]["path"], str) and is_opt(f["location"]["line"], int)
        assert is_opt(f["location"]["key"], str)
        assert set(f["affected"]) == AFFECTED_KEYS
        assert type(f["affected"]["count"]) is int and isinstance(f["affected"]["fraction"], (int, float))
        assert 0 <= f["affected"]["fraction"] <= 1
        assert isinstance(f["metrics"], dict)
        assert isinstance(f["fingerprint"], str) and f["fingerprint"]
        fingerprints.append(f["fingerprint"])
        assert isinstance(f["rows"], list)
        for row in f["rows"]:
            assert set(row) == ROW_KEYS
            assert isinstance(row["path"], str) and row["split"] in ("train", "validation", "test")
            assert type(row["index"]) is int and row["index"] >= 0
            assert is_opt(row["line"], int)
            assert isinstance(row["fingerprint"], str) and row["fingerprint"]
            assert isinstance(row["snippet"], str) and isinstance(row["extra"], dict)
    assert len(set(fingerprints)) == len(fingerprints), "two findings share a fingerprint"


def test_json_shape_on_the_chat_example(chat: Path) -> None:
    report = json_report("train.jsonl")
    assert_shape(report)
    assert {f["code"] for f in report["findings"]} >= {"FT001", "FT002", "FT003", "FT004", "FT201"}
    assert {r["outcome"] for r in report["rules"]} == {"ran", "skipped"}


def test_json_shape_with_validation_split_and_skips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "train.jsonl", [chat_row(f"Question {i}?", f"Answer {i}.") for i in range(30)])
    write_jsonl(tmp_path / "dev.jsonl", [chat_row("Question 1?", "Answer 1."), chat_row("Other?", "")])
    report = json_report("train.jsonl", "dev.jsonl", "--isolated")
    assert_shape(report)
    assert [(i["path"], i["split"], i["records"]) for i in report["inputs"]] == [
        ("train.jsonl", "train", 30), ("dev.jsonl", "validation", 2)]
    assert [r["split"] for f in report["findings"] if f["code"] == "FT003" for r in f["rows"]] == ["validation"]


def test_json_shape_of_a_config_input_and_a_failed_rule() -> None:
    """Built by hand: a training-config input has the same keys (nulls where they do not apply)."""
    report = Report(
        findings=[Finding("FT601", "no-validation", Severity.ERROR, "val_set_size is 0", "set it",
                          Location("train.yaml", 12, "val_set_size"), affected=Affected(1, 1.0),
                          fingerprint=key_fingerprint("FT601", "train.yaml", "val_set_size"))],
        outcomes=[RuleOutcome("FT601", "no-validation", "ran", seconds=0.01),
                  RuleOutcome("FT602", "other", "failed", "ValueError: boom", "report it", 0.0)],
        inputs=[InputInfo("train.jsonl", "dataset", "train", "openai_chat", 3, "positional path"),
                InputInfo("train.yaml", "training_config", extra={"framework": "axolotl"})],
    )
    data = json.loads(get_renderer("json")(report, RenderOptions()))
    assert_shape(data)
    assert data["inputs"][1] == {"path": "train.yaml", "role": "training_config", "split": None, "format": None,
                                 "records": None, "framework": "axolotl"}
    assert data["findings"][0]["location"] == {"path": "train.yaml", "line": 12, "key": "val_set_size"}
    assert data["findings"][0]["rows"] == []


def test_duplicates_rows_are_the_copies_and_groups_are_complete(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    a, b = chat_row("Alpha?", "First."), chat_row("Beta?", "Second.")
    rows = [a, chat_row("x?", "y."), b, a, chat_row("z?", "w."), a, b] + \
        [chat_row(f"Filler question {i}?", f"Filler answer {i}.") for i in range(13)]
    write_jsonl(tmp_path / "train.jsonl", rows)
    report = json_report("train.jsonl", "--isolated", "--select", "FT201")
    (f,) = report["findings"]
    assert [(r["index"], r["line"]) for r in f["rows"]] == [(3, 4), (5, 6), (6, 7)]
    assert f["metrics"]["groups"] == [[["train.jsonl", 0], ["train.jsonl", 3], ["train.jsonl", 5]],
                                      [["train.jsonl", 2], ["train.jsonl", 6]]]
    assert f["affected"] == {"count": 3, "fraction": 0.15}
    first_of_group = {g[0][1] for g in f["metrics"]["groups"]}
    assert not first_of_group & {r["index"] for r in f["rows"]}   # the first of each group is kept


# -- ranking --------------------------------------------------------------------------------------------

def make_finding(code: str, sev: Severity, fraction: float, line: int = 1) -> Finding:
    return Finding(code, code.lower(), sev, "m", "f", Location("a.jsonl", line), affected=Affected(1, fraction))


def test_rank_by_severity_then_fraction_then_code() -> None:
    findings = [
        make_finding("FT201", Severity.WARNING, 0.5),
        make_finding("FT003", Severity.ERROR, 0.01),
        make_finding("FT101", Severity.INFO, 1.0),
        make_finding("FT002", Severity.ERROR, 0.2),
        make_finding("FT004", Severity.WARNING, 0.5),
        make_finding("FT001", Severity.WARNING, 0.9),
    ]
    ranked = [(f.code, f.severity.label) for f in rank(findings)]
    assert ranked == [("FT002", "error"), ("FT003", "error"), ("FT001", "warning"), ("FT004", "warning"),
                      ("FT201", "warning"), ("FT101", "info")]


def test_reports_are_ranked(chat: Path) -> None:
    report = json_report("train.jsonl")
    order = {"error": 0, "warning": 1, "info": 2}
    keys = [(order[f["severity"]], -f["affected"]["fraction"], f["code"]) for f in report["findings"]]
    assert keys == sorted(keys)
    # every format lists the findings in the same order
    res = CliRunner().invoke(main, ["check", "train.jsonl", "--output-format", "concise"])
    assert [ln.split()[1] for ln in res.stdout.splitlines()] == [f["code"] for f in report["findings"]]


# -- fingerprints -----------------------------------------------------------------------------------------

def row_prints(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(code, snippet) -> fingerprint, for every row of every finding."""
    return {(f["code"], r["snippet"]): r["fingerprint"] for f in report["findings"] for r in f["rows"]}


def test_row_fingerprints_survive_an_inserted_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    base = [chat_row("Repeat me?", "Sure."), chat_row("Empty reply?", ""), chat_row("Repeat me?", "Sure."),
            '{"messages": [broken', chat_row("Only question?", "Fine.")] + \
        [chat_row(f"Question {i}?", f"Answer {i}.") for i in range(20)]
    write_jsonl(tmp_path / "train.jsonl", base)
    before = json_report("train.jsonl", "--isolated")
    write_jsonl(tmp_path / "train.jsonl", [chat_row("A brand new first row?", "Yes.")] + base)
    after = json_report("train.jsonl", "--isolated")
    assert row_prints(before) and row_prints(before) == row_prints(after)
    lines_before = sorted(r["line"] for f in before["findings"] for r in f["rows"])
    lines_after = sorted(r["line"] for f in after["findings"] for r in f["rows"])
    assert lines_after == [n + 1 for n in lines_before]          # the lines moved, the fingerprints did not
    split_level = {f["code"]: f["fingerprint"] for f in before["findings"] if not f["rows"]}
    assert split_level == {f["code"]: f["fingerprint"] for f in after["findings"] if not f["rows"]}


def test_row_fingerprints_differ_across_codes_and_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [chat_row("Same question?", ""), chat_row("Same question?", "")] + \
        [chat_row(f"Question {i}?", f"Answer {i}.") for i in range(20)]
    write_jsonl(tmp_path / "a" / "train.jsonl", rows)
    write_jsonl(tmp_path / "b" / "train.jsonl", rows)
    ra = json_report("a/train.jsonl", "--isolated")
    rb = json_report("b/train.jsonl", "--isolated")
    fa = {(f["code"], r["index"]): r["fingerprint"] for f in ra["findings"] for r in f["rows"]}
    fb = {(f["code"], r["index"]): r["fingerprint"] for f in rb["findings"] for r in f["rows"]}
    assert ("FT003", 1) in fa and ("FT201", 1) in fa
    assert fa[("FT003", 1)] != fa[("FT201", 1)]                  # same row, different rules
    assert set(fa) == set(fb)
    assert all(fa[k] != fb[k] for k in fa)                       # same rows, different paths
    assert {f["fingerprint"] for f in ra["findings"]}.isdisjoint({f["fingerprint"] for f in rb["findings"]})
    # the pure functions
    assert row_fingerprint("FT201", "a.jsonl", "x") != row_fingerprint("FT003", "a.jsonl", "x")
    assert row_fingerprint("FT201", "a.jsonl", "x") != row_fingerprint("FT201", "b.jsonl", "x")
    assert row_fingerprint("FT201", "d/a.jsonl", "x") == row_fingerprint("FT201", "d\\a.jsonl", "x")
    assert key_fingerprint("FT601", "t.yaml", "val_set_size") != key_fingerprint("FT601", "t.yaml", "num_epochs")
    assert key_fingerprint("FT101", "a.jsonl", "train") != key_fingerprint("FT102", "a.jsonl", "train")


def test_fingerprints_are_project_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a settings file marking the project root, the working directory does not matter."""
    (tmp_path / "ftlint.toml").write_text('[dataset]\ntrain = ["data/train.jsonl"]\n')
    write_jsonl(tmp_path / "data" / "train.jsonl",
                [chat_row("Dup?", "Yes."), chat_row("Dup?", "Yes.")] + [chat_row(f"Q{i}?", f"A{i}.") for i in range(9)])
    monkeypatch.chdir(tmp_path)
    at_root = json_report()
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    below = json_report()
    assert [f["fingerprint"] for f in at_root["findings"]] == [f["fingerprint"] for f in below["findings"]]
    assert row_prints(at_root) and row_prints(at_root) == row_prints(below)
    assert at_root["findings"][0]["location"]["path"] == "data/train.jsonl"
    assert below["findings"][0]["location"]["path"].endswith("data/train.jsonl")   # as displayed


def test_every_finding_fingerprint_is_unique(chat: Path) -> None:
    """FT004 reports two findings about the same split; their fingerprints must still differ."""
    report = json_report("train.jsonl")
    ft004 = [f["fingerprint"] for f in report["findings"] if f["code"] == "FT004"]
    assert len(ft004) == 2 and len(set(ft004)) == 2
    prints = [f["fingerprint"] for f in report["findings"]]
    assert len(set(prints)) == len(prints)
    assert [f["fingerprint"] for f in json_report("train.jsonl")["findings"]] == prints  # deterministic


# -- redaction -------------------------------------------------------------------------------------------------

SECRET = "alice.smith@example.com"


def secret_dataset(root: Path) -> Path:
    rows = [
        chat_row(f"Please email {SECRET} about my order", ""),                        # FT003 snippet
        chat_row(f"Forward it to {SECRET}", "Done."),
        chat_row(f"Forward it to {SECRET}", "Done."),                                 # FT201 snippet
        '{"messages": [{"role": "user", "content": "write to ' + SECRET + '"',       # FT001 snippet
    ] + [chat_row(f"Question {i}?", f"Answer {i}.") for i in range(20)]
    return write_jsonl(root / "train.jsonl", rows)


def redacted(report: Report, redaction: Redaction) -> Report:
    return dataclasses.replace(report, findings=[redaction.apply(f) for f in report.findings])


def render_all(report: Report) -> dict[str, str]:
    return {fmt: get_renderer(fmt)(report, RenderOptions()) for fmt in FORMATS}


def test_redaction_masks_snippets_messages_and_metrics_in_every_format(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = secret_dataset(tmp_path)
    report = check([data], settings=Settings(root=tmp_path, cache=False), no_cache=True)
    plain = render_all(report)
    assert SECRET in plain["full"] and SECRET in plain["json"]          # the data really is in the output
    assert "exact copies" in plain["concise"]

    r = Redaction()
    r.add(re.compile(r"[\w.]+@[\w.]+\.\w+"), "[EMAIL]")
    r.add(re.compile(r"exact copies"), "[MASKED]")                   # a phrase of FT201's message
    masked = redacted(report, r)
    outputs = render_all(masked)
    for fmt, text in outputs.items():
        assert SECRET not in text, fmt
        assert "exact copies" not in text, fmt
        assert "[MASKED]" in text, fmt
    assert "[EMAIL]" in outputs["full"] and "[EMAIL]" in outputs["json"]
    data_json = json.loads(outputs["json"])
    snippets = [row["snippet"] for f in data_json["findings"] for row in f["rows"]]
    assert sum("[EMAIL]" in s for s in snippets) >= 3              # FT001, FT003 and FT201 rows
    # the hook keeps everything else: codes, counts, locations, fingerprints
    for before, after in zip(report.findings, masked.findings):
        assert (before.code, before.severity, before.location, before.affected, before.fingerprint) == \
            (after.code, after.severity, after.location, after.affected, after.fingerprint)
        assert [x.fingerprint for x in before.rows] == [x.fingerprint for x in after.rows]


def test_redaction_without_patterns_is_the_identity(tmp_path: Path) -> None:
    report = check([secret_dataset(tmp_path)], settings=Settings(root=tmp_path, cache=False), no_cache=True)
    f = report.findings[0]
    assert Redaction().apply(f) is f
    r = Redaction()
    r.add(re.compile("nothing-matches-this"))
    assert render_all(redacted(report, r)) == render_all(report)


def test_redaction_masks_extra_and_fix() -> None:
    r = Redaction()
    r.add(re.compile(r"\d{3}-\d{4}"), lambda m: "#" * len(m.group()))
    f = Finding("FT003", "empty-field", Severity.ERROR, "call 555-1234", "dial 555-1234 to fix",
                Location("a.jsonl", 1), rows=[Row("a.jsonl", "train", 0, 1, "fp", "tel 555-1234",
                                                  {"problems": ["555-1234"], "n": 3})],
                metrics={"sample": {"phone": "555-1234"}, "count": 1})
    g = r.apply(f)
    assert g.message == "call ########" and g.fix == "dial ######## to fix"
    assert g.rows[0].snippet == "tel ########" and g.rows[0].extra == {"problems": ["########"], "n": 3}
    assert g.metrics == {"sample": {"phone": "########"}, "count": 1}
    assert f.message == "call 555-1234"                              # the original is untouched


def test_redaction_shares_what_it_did_not_change() -> None:
    """A finding can list 40,000 rows: what holds no match is returned as it is, not copied; what
    does is a new object, and the original stays untouched."""
    r = Redaction()
    r.add(re.compile(r"\d{3}-\d{4}"), lambda m: "#" * len(m.group()))
    clean_extra = {"near_duplicate_of": {"path": "a.jsonl", "line": 3}, "similarity": 0.9}
    groups = [["a.jsonl", 1], ["a.jsonl", 2]]
    rows = [Row("a.jsonl", "train", 0, 1, "fp", "plain text", clean_extra),
            Row("a.jsonl", "train", 1, 2, "fp", "tel 555-1234", {"n": 1})]
    f = Finding("FT202", "near-duplicates", Severity.WARNING, "m", "x", Location("a.jsonl", 1), rows=rows,
                metrics={"groups": groups, "phone": "555-1234"})
    g = r.apply(f)
    assert g.rows[0] is rows[0] and g.rows[1] is not rows[1] and g.rows[1].snippet == "tel ########"
    assert g.metrics["groups"] is groups and g.metrics["phone"] == "########"
    assert rows[1].snippet == "tel 555-1234" and f.metrics["phone"] == "555-1234"
    assert r.deep(groups) is groups and r.deep(clean_extra) is clean_extra
    assert r.deep({"555-1234": 1, "555-9999": 2}) == {"########": 1, "######## #2": 2}  # keys kept apart
    assert r.deep(("a", "555-1234")) == ("a", "########") and r.deep({"a", "b"}) in (["a", "b"], ["b", "a"])


def test_the_engine_passes_every_finding_through_redaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline's own Redaction step: patterns plugged into it reach every reporter."""

    class EmailRedaction(Redaction):
        def __init__(self) -> None:
            super().__init__()
            self.add(re.compile(r"[\w.]+@[\w.]+\.\w+"), "[EMAIL]")

    # the engine's redaction step is the privacy rules' (features.pii.privacy_redaction); swap in a
    # pattern it does not have (example.com addresses are documentation addresses, left alone)
    import ftlint.features.pii

    monkeypatch.setattr(ftlint.features.pii, "privacy_redaction", EmailRedaction)
    data = secret_dataset(tmp_path)
    report = check([data], settings=Settings(root=tmp_path, cache=False), no_cache=True)
    assert report.findings
    for fmt, text in render_all(report).items():
        assert SECRET not in text, fmt
    assert "[EMAIL]" in render_all(report)["json"]


def test_snippets_are_one_line_and_short(chat: Path) -> None:
    report = json_report("train.jsonl")
    for f in report["findings"]:
        for r in f["rows"]:
            assert "\n" not in r["snippet"] and len(r["snippet"]) <= 160


def test_rows_carry_the_displayed_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A row's path is as displayed (relative to the working directory); fingerprints stay put."""
    write_jsonl(tmp_path / "x" / "train.jsonl", [chat_row("Dup?", "Yes."), chat_row("Dup?", "Yes.")])
    monkeypatch.chdir(tmp_path)
    s = settings_from_dict({"select": ["FT201"]}, tmp_path)
    report = check(["x/train.jsonl"], settings=s, no_cache=True)
    (f,) = report.findings
    assert f.rows[0].path == "x/train.jsonl" and f.location.path == "x/train.jsonl"
