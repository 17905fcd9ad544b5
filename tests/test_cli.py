"""End to end through the command line, on the projects in examples/."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ftlint import __version__
from ftlint.registry import load_registry
from tests.cli_inprocess import ftlint, ftlint_process

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ANSI = "\x1b["
CONCISE_LINE = re.compile(r"^(?P<path>[^\s:]+)(?::(?P<line>\d+))?: (?P<code>[A-Z]{1,4}\d{3}) (?P<message>.+)$")

# the rules that exist as these tests are written: exact-output tests select them, so a rule added
# later cannot change the counts they check (the planted-mistakes test runs every rule)
TODAY = "FT001,FT002,FT003,FT004,FT101,FT201"

# what examples/chat-mistakes/README.md says is planted: (code, severity, line)
PLANTED = {
    ("FT003", "error", 22),
    ("FT004", "error", 32),
    ("FT001", "error", 36),
    ("FT002", "error", 40),
    ("FT201", "warning", 7),
    ("FT004", "warning", 27),
}


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A copy of examples/ (so a run's cache and reports never land in the repository)."""
    dest = tmp_path / "examples"
    shutil.copytree(EXAMPLES, dest, ignore=shutil.ignore_patterns(".ftlint_cache", "report*.json"))
    return dest


@pytest.fixture
def chat(examples: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = examples / "chat-mistakes"
    monkeypatch.chdir(d)
    return d


@pytest.fixture
def clean(examples: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = examples / "clean-classification"
    monkeypatch.chdir(d)
    return d


def digest_tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".ftlint_cache" not in p.parts}


# -- the examples -----------------------------------------------------------------------------------

def test_examples_exist_and_are_small() -> None:
    for name in ("chat-mistakes", "clean-classification"):
        d = EXAMPLES / name
        assert (d / "README.md").is_file(), name
        assert (d / "train.jsonl").is_file(), name
    assert (EXAMPLES / "chat-mistakes" / "train.yaml").is_file()
    assert (EXAMPLES / "clean-classification" / "val.jsonl").is_file()
    total = sum(p.stat().st_size for p in EXAMPLES.rglob("*") if p.is_file() and ".ftlint_cache" not in p.parts)
    assert total < 300_000


def test_chat_mistakes_finds_every_planted_mistake(chat: Path) -> None:
    code, out, err = ftlint("check", "train.jsonl", "--output-format", "json")
    assert code == 1, err
    report = json.loads(out)
    found = {(f["code"], f["severity"], f["location"]["line"]) for f in report["findings"]}
    assert found >= PLANTED, found
    by_code = {f["code"]: f for f in report["findings"]}
    dupes = by_code["FT201"]
    assert [r["line"] for r in dupes["rows"]] == [7, 13, 18]     # the copies to drop
    assert dupes["metrics"]["groups"] == [
        [["train.jsonl", 0], ["train.jsonl", 6], ["train.jsonl", 12]],
        [["train.jsonl", 10], ["train.jsonl", 17]],
    ]
    assert [r["line"] for r in by_code["FT001"]["rows"]] == [36]
    empty = by_code["FT003"]
    assert 22 in [r["line"] for r in empty["rows"]]
    # the demo settings lower FT101: without them (--isolated) 42 rows is an error
    code, out, _ = ftlint("check", "train.jsonl", "--isolated", "--output-format", "json")
    assert code == 1
    assert ("FT101", "error") in {(f["code"], f["severity"]) for f in json.loads(out)["findings"]}


def test_clean_example_passes_every_rule(clean: Path) -> None:
    for args in ([], ["."], ["train.jsonl", "val.jsonl"], ["train.jsonl", "--validation", "val.jsonl"]):
        code, out, err = ftlint("check", *args)
        assert code == 0, (args, out, err)
        assert "All checks passed." in out
        assert "train.jsonl" in out and "val.jsonl" in out
    code, out, _ = ftlint("check", ".", "--output-format", "json", "--fail-on", "info", "--select", "ALL")
    assert code == 0
    report = json.loads(out)
    assert report["findings"] == []
    # labels found: every rule that needs only the data and its labels ran; the others were skipped
    # for an input this example does not give (a training config, a reference, a benchmark file, a
    # sensitive column, preference pairs, enough rows for cross-validation, generated replies to judge),
    # each saying how to enable it
    outcomes = {r["code"]: r for r in report["rules"]}
    assert all(r["outcome"] in ("ran", "skipped") for r in report["rules"])
    for code in ("FT001", "FT002", "FT003", "FT006", "FT101", "FT102", "FT103", "FT105", "FT106",
                 "FT201", "FT202", "FT203", "FT301", "FT304", "FT503", "FT504", "FT701", "FT702"):
        assert outcomes[code]["outcome"] == "ran", outcomes[code]
    for r in report["rules"]:
        if r["outcome"] == "skipped":
            assert r["reason"] and r["fix"], r
            assert any(word in r["reason"] for word in (
                "training config", "reference", "benchmark", "sensitive", "preference", "labelled rows",
                "base model", "tokenizer", "replies")), r
    # every rule but the run rules (FT8xx), which take part only when a run is given (--run)
    assert {r["code"] for r in report["rules"]} == {r.code for r in load_registry().rules
                                                    if not r.code.startswith("FT8")}
    splits = {i["path"]: (i["split"], i["records"]) for i in report["inputs"]}
    assert splits == {"train.jsonl": ("train", 66), "val.jsonl": ("validation", 21), "test.jsonl": ("test", 15)}


def test_clean_example_without_its_demo_settings_reports_the_size(clean: Path) -> None:
    code, out, _ = ftlint("check", ".", "--isolated", "--output-format", "concise")
    assert code == 1
    # FT105: val.jsonl's 21 rows are under the default 100 validation examples
    assert [m.group("code") for m in map(CONCISE_LINE.match, out.splitlines())] == ["FT101", "FT105"]


# -- exit codes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [("error", 0), ("warning", 1), ("info", 1), ("never", 0), ("high", 0), ("medium", 1), ("low", 1),
     ("WARNING", 1), (None, 0)],
)
def test_fail_on_levels(chat: Path, fail_on: str | None, expected: int) -> None:
    args = ["check", "train.jsonl", "--select", "FT201"]  # one warning
    if fail_on:
        args += ["--fail-on", fail_on]
    assert ftlint(*args)[0] == expected


def test_fail_on_error_with_errors(chat: Path) -> None:
    assert ftlint("check", "train.jsonl", "--fail-on", "error")[0] == 1
    assert ftlint("check", "train.jsonl", "--fail-on", "never")[0] == 0


def test_fail_on_rejects_unknown_levels(chat: Path) -> None:
    code, _out, err = ftlint("check", "train.jsonl", "--fail-on", "critical")
    assert code == 2
    assert "Invalid value for '--fail-on'" in err


def test_exit_zero(chat: Path) -> None:
    code, out, _ = ftlint("check", "train.jsonl", "--exit-zero", "--select", TODAY)
    assert code == 0
    assert "FT003" in out and "Found 6 findings" in out  # the report is still printed
    code, _, _ = ftlint("check", "train.jsonl", "--exit-zero", "--fail-on", "info")
    assert code == 0


def test_exit_zero_does_not_hide_unusable_input(chat: Path) -> None:
    code, _out, err = ftlint("check", "missing.jsonl", "--exit-zero")
    assert code == 2
    assert err == "ftlint: error: missing.jsonl: no such file or directory\n"
    code, _, err = ftlint("check", "train.jsonl", "--exit-zero", "--select", "FT9999")
    assert code == 2 and "unknown rule selector" in err


# -- output formats -----------------------------------------------------------------------------------

def test_full_format(chat: Path) -> None:
    code, out, _err = ftlint("check", "train.jsonl", "--select", TODAY)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"ftlint {__version__} checked:"
    assert re.match(r"^\s+train\s+train\.jsonl\s+\[openai_chat, 43 records; command line \(positional path\)\]$",
                    lines[1])
    assert ANSI not in out                                   # not a TTY
    heads = [x for x in lines if re.match(r"^(error|warning|info)\s+[A-Z]{1,4}\d{3} ", x)]
    assert [h.split()[1] for h in heads] == ["FT003", "FT004", "FT001", "FT002", "FT201", "FT004"]
    assert heads[0].startswith("error   FT003 empty-field  train.jsonl:22")
    assert sum(x.strip().startswith("fix:") for x in lines) == len(heads)
    assert "    train.jsonl:7  copy of train.jsonl:1  " in out   # example rows: line and snippet
    assert "    train.jsonl:36  invalid JSON" in out
    assert lines[-1].startswith("Found 6 findings: 4 error, 2 warning, 0 info.")
    assert re.search(r"\d+ rules ran, \d+ skipped, 0 failed\.$", lines[-1])
    assert ftlint("check", "train.jsonl", "--select", TODAY, "--output-format", "text")[1] == out
    # skipped rules say why, and how to enable them
    _, out, _ = ftlint("check", "train.jsonl", "--select", "FT102")
    assert "skipped:\n  FT102: no labels detected (add a label column" in out
    assert out.splitlines()[-1].endswith("0 rules ran, 1 skipped, 0 failed.")


def test_full_format_shows_at_most_five_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    row = {"messages": [{"role": "user", "content": "Same question?"}, {"role": "assistant", "content": "Same."}]}
    other = [{"messages": [{"role": "user", "content": f"Question {i}?"},
                           {"role": "assistant", "content": f"Answer {i}."}]} for i in range(100)]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [row] * 9 + other))
    monkeypatch.chdir(tmp_path)
    _code, out, _ = ftlint("check", "train.jsonl", "--select", "FT201", "--isolated")
    shown = [x for x in out.splitlines() if x.startswith("    train.jsonl:")]
    assert [x.split()[0] for x in shown] == [f"train.jsonl:{n}" for n in range(2, 7)]
    assert "… and 3 more rows" in out


def test_concise_format_matches_json(chat: Path) -> None:
    code, out, _ = ftlint("check", "train.jsonl", "--output-format", "concise")
    assert code == 1
    parsed = [CONCISE_LINE.match(x) for x in out.splitlines()]
    assert all(parsed), out
    concise = [(m["path"], int(m["line"]) if m["line"] else None, m["code"]) for m in parsed]
    _, js, _ = ftlint("check", "train.jsonl", "--output-format", "json")
    from_json = [(f["location"]["path"], f["location"]["line"], f["code"]) for f in json.loads(js)["findings"]]
    assert concise == from_json
    assert concise[0] == ("train.jsonl", 22, "FT003")


def test_json_format_parses(chat: Path) -> None:
    code, out, err = ftlint("check", "train.jsonl", "--output-format", "json", "--select", TODAY)
    assert code == 1 and err == ""
    report = json.loads(out)
    assert report["schema_version"] == 1 and report["ftlint_version"] == __version__
    assert report["summary"] == {"error": 4, "warning": 2, "info": 0, "suppressed": 0}
    assert [i["path"] for i in report["inputs"]] == ["train.jsonl"]


def test_output_format_from_the_environment(chat: Path) -> None:
    _code, out, _ = ftlint("check", "train.jsonl", env={"FTLINT_OUTPUT_FORMAT": "json"})
    assert json.loads(out)["schema_version"] == 1


@pytest.mark.parametrize("fmt", ["full", "concise", "json"])
def test_output_file(chat: Path, fmt: str) -> None:
    target = chat / "reports" / "nested" / f"report.{fmt}"
    code, out, _ = ftlint("check", "train.jsonl", "--output-format", fmt, "-o", str(target))
    assert code == 1
    assert out == ""
    text = target.read_text(encoding="utf-8")
    _, direct, _ = ftlint("check", "train.jsonl", "--output-format", fmt)
    if fmt == "json":
        a, b = json.loads(text), json.loads(direct)
        for r in a["rules"] + b["rules"]:
            r["seconds"] = 0
        assert a == b
    else:
        assert text == direct


def test_output_file_flag_from_the_issue(chat: Path) -> None:
    """`ftlint check data/train.jsonl --validation data/val.jsonl --output-format json -o report.json`"""
    data = chat / "data"
    data.mkdir()
    shutil.copy(chat / "train.jsonl", data / "train.jsonl")
    rows = [{"messages": [{"role": "user", "content": "Is there a data cap?"},
                          {"role": "assistant", "content": "No, none of our plans have one."}]}]
    (data / "val.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, out, _ = ftlint("check", "data/train.jsonl", "--validation", "data/val.jsonl", "--output-format", "json",
                          "-o", "report.json")
    assert code == 1 and out == ""
    report = json.loads((chat / "report.json").read_text())
    assert {(i["path"], i["split"]) for i in report["inputs"]} == {("data/train.jsonl", "train"),
                                                                  ("data/val.jsonl", "validation")}


def test_directory_with_select_ignore_fail_on_from_the_issue(chat: Path) -> None:
    """`ftlint check data/ --select FT0,FT201 --ignore FT005 --fail-on warning`"""
    data = chat / "data"
    data.mkdir()
    shutil.copy(chat / "train.jsonl", data / "train.jsonl")
    code, out, _ = ftlint("check", "data/", "--select", "FT0,FT201", "--ignore", "FT005", "--fail-on", "warning",
                          "--output-format", "json")
    assert code == 1
    codes = {r["code"] for r in json.loads(out)["rules"]}
    assert "FT201" in codes and "FT005" not in codes and "FT101" not in codes
    assert {c for c in codes if c.startswith("FT0")} >= {"FT001", "FT002", "FT003", "FT004"}


def test_statistics_verbose_and_quiet(chat: Path, clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(chat)
    _, out, _ = ftlint("check", "train.jsonl", "--statistics")
    assert re.search(r"^\s+3\s+FT201\s+\[warning\] exact-duplicates$", out, re.MULTILINE)
    _, out, _ = ftlint("check", "train.jsonl", "-v")
    assert "timings (s):" in out and "total" in out
    monkeypatch.chdir(clean)
    code, out, _ = ftlint("check", ".", "-q")
    assert code == 0 and out == ""


# -- colour ---------------------------------------------------------------------------------------------

def test_color_flag(chat: Path) -> None:
    assert ANSI in ftlint("check", "train.jsonl", "--color", "always")[1]
    assert ANSI not in ftlint("check", "train.jsonl", "--color", "never")[1]
    assert ANSI not in ftlint("check", "train.jsonl")[1]                                  # not a TTY
    assert ANSI not in ftlint("check", "train.jsonl", "--color", "always", "--output-format", "concise")[1]
    assert ANSI not in ftlint("check", "train.jsonl", "--color", "always", "--output-format", "json")[1]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_tty_gets_colour_unless_no_color(examples: Path) -> None:
    import pty

    # a real process: only a process's stdout can be a terminal (CliRunner's never is)
    def run_in_tty(extra_env: dict[str, str], *args: str) -> str:
        master, slave = pty.openpty()
        env = {k: v for k, v in os.environ.items() if not k.startswith("FTLINT_") and k != "NO_COLOR"}
        env.update(extra_env)
        proc = subprocess.Popen([sys.executable, "-m", "ftlint", "check", "train.jsonl", *args],
                                cwd=examples / "chat-mistakes", stdout=slave, stderr=slave, env=env)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=60)
        os.close(master)
        return b"".join(chunks).decode("utf-8", "replace")

    assert ANSI in run_in_tty({})
    assert ANSI not in run_in_tty({"NO_COLOR": "1"})
    assert ANSI in run_in_tty({"NO_COLOR": "1"}, "--color", "always")
    assert ANSI not in run_in_tty({}, "--color", "never")


# -- rules and rule ---------------------------------------------------------------------------------------

def test_rule_by_code_and_by_name() -> None:
    code, by_code, _ = ftlint("rule", "FT201")
    assert code == 0
    assert by_code.startswith("# exact-duplicates (FT201)")
    for section in ("## What it does", "## Why it matters", "## How to fix", "error-fraction"):
        assert section in by_code
    assert "Default severity: **warning**" in by_code
    code, by_name, _ = ftlint("rule", "exact-duplicates")
    assert code == 0 and by_name == by_code
    assert ftlint("rule", "ft201")[1] == by_code
    code, out, _ = ftlint("rule", "FT201", "--output-format", "json")
    data = json.loads(out)
    assert data["code"] == "FT201" and data["name"] == "exact-duplicates" and data["severity"] == "warning"


@pytest.mark.parametrize(("ref", "suggestion"), [("NOPE", None), ("FT2O1", "FT201"),
                                                 ("exact-duplicats", "exact-duplicates")])
def test_unknown_rule(ref: str, suggestion: str | None) -> None:
    code, out, err = ftlint("rule", ref)
    assert code == 2
    assert out == ""
    assert err.startswith(f"ftlint: error: no rule '{ref}'") and err.count("\n") == 1
    assert "ftlint rules" in err
    if suggestion:
        assert f"did you mean '{suggestion}'?" in err


def test_rule_without_a_name_is_a_usage_error() -> None:
    code, _, err = ftlint("rule")
    assert code == 2 and "name a rule" in err


def test_rules_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = ftlint("rules", "--output-format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["code"] for r in rows] == sorted(r["code"] for r in rows)
    assert {r["code"] for r in rows} == {r.code for r in load_registry().rules}
    for r in rows:
        assert set(r) == {"code", "name", "severity", "source", "enabled", "default", "requires", "fixable",
                          "summary"}
        assert r["severity"] in ("error", "warning", "info") and r["enabled"] is r["default"]
    code, text, _ = ftlint("rules")
    assert code == 0
    assert text.splitlines()[0].split()[:4] == ["code", "name", "severity", "source"]
    assert any(x.split()[:3] == ["FT201", "exact-duplicates", "warning"] for x in text.splitlines())


def test_the_in_process_runner_sees_what_a_shell_sees(examples: Path) -> None:
    """The suite runs the CLI in-process (tests/cli_inprocess.py): same exit status, stdout and stderr
    as ``python -m ftlint`` for a report with findings, a concise one and unusable input."""
    d = examples / "chat-mistakes"
    for args in (["check", "train.jsonl", "--select", TODAY], ["check", "train.jsonl", "--output-format", "concise"],
                 ["check", "missing.jsonl"]):
        assert ftlint(*args, cwd=d) == ftlint_process(*args, cwd=d), args


def test_python_dash_m_help_and_version(tmp_path: Path) -> None:
    res = ftlint_process("--help", cwd=tmp_path)
    assert res.returncode == 0
    assert res.stdout.startswith("Usage: python -m ftlint")
    for cmd in ("check", "rules", "rule"):
        assert re.search(rf"^\s+{cmd}\s", res.stdout, re.MULTILINE), cmd
    res = ftlint_process("check", "--help", cwd=tmp_path)
    assert res.returncode == 0 and "--fail-on" in res.stdout and "--output-format" in res.stdout
    res = ftlint_process("--version", cwd=tmp_path)
    assert res.returncode == 0 and __version__ in res.stdout


# -- unusable input -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("make", "arg", "message"),
    [
        (None, "missing.jsonl", "missing.jsonl: no such file or directory"),
        ("dir", "empty_dir", "empty_dir: directory has no dataset files"),
        ("binary", "blob.jsonl", "blob.jsonl: not a text file (binary content)"),
        ("utf16", "wide.jsonl", "wide.jsonl: file is UTF-16 encoded; save it as UTF-8"),
        ("txt", "notes.txt", "notes.txt: not a dataset file"),
        ("parquet", "fake.parquet", "fake.parquet: not a Parquet file"),
        ("unknown", "odd.jsonl", "odd.jsonl: cannot recognise the record format"),
    ],
)
def test_unusable_input_is_one_line_and_exit_2(tmp_path: Path, make: str | None, arg: str, message: str) -> None:
    target = tmp_path / arg
    if make == "dir":
        target.mkdir()
        (target / "README.md").write_text("not data\n")
    elif make == "binary":
        target.write_bytes(bytes(range(256)) * 4)
    elif make == "utf16":
        target.write_bytes('{"text": "hi"}\n'.encode("utf-16"))
    elif make == "txt":
        target.write_text("hello\n")
    elif make == "parquet":
        target.write_text('{"text": "not parquet at all"}\n')
    elif make == "unknown":
        target.write_text('{"foo": 1}\n{"foo": 2}\n')
    runs = [ftlint("check", arg, *exit_zero, cwd=tmp_path) for exit_zero in ([], ["--exit-zero"])]
    if make is None:  # and once as a shell sees it: the exit status and the streams of a real process
        runs.append(ftlint_process("check", arg, "--exit-zero", cwd=tmp_path))
    for res in runs:
        assert res.returncode == 2, res.stderr
        assert res.stdout == ""
        assert res.stderr.startswith(f"ftlint: error: {message}"), res.stderr
        assert res.stderr.count("\n") == 1
        assert "Traceback" not in res.stderr


def test_no_paths_and_no_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = ftlint("check")
    assert code == 2 and out == ""
    assert err.startswith("ftlint: error: no dataset given")


def test_same_file_as_train_and_validation(chat: Path) -> None:
    code, _, err = ftlint("check", "train.jsonl", "--validation", "train.jsonl")
    assert code == 2
    assert "train.jsonl is given as both train and validation data" in err


def test_unwritable_output_file(chat: Path) -> None:
    (chat / "blocker").write_text("a file, not a directory")
    code, _out, err = ftlint("check", "train.jsonl", "-o", "blocker/report.json")
    assert code == 2 and err.startswith("ftlint: error: cannot write the report")


def test_inputs_are_unchanged_by_a_check(examples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = digest_tree(examples)
    assert before == digest_tree(EXAMPLES)   # the copy is faithful
    for name in ("chat-mistakes", "clean-classification"):
        monkeypatch.chdir(examples / name)
        for fmt in ("full", "concise", "json"):
            ftlint("check", ".", "--output-format", fmt)
            ftlint("check", ".", "--output-format", fmt)      # and again, from the cache
    assert digest_tree(examples) == before


def test_training_config_input(chat: Path) -> None:
    """examples/chat-mistakes/train.yaml is an Axolotl config ftlint reads with --config."""
    pytest.importorskip("ftlint.training._build")
    code, out, err = ftlint("check", "train.jsonl", "--config", "train.yaml", "--output-format", "json")
    assert code == 1, err
    inputs = {i["role"]: i for i in json.loads(out)["inputs"]}
    assert inputs["training_config"]["path"] == "train.yaml"
    assert inputs["training_config"]["framework"] == "axolotl"
    code, _, err = ftlint("check", "train.jsonl", "--config", "missing.yaml")
    assert code == 2 and err.startswith("ftlint: error: ") and "missing.yaml" in err
