"""Rule selection (select / ignore / extend-select) and severity: overrides pin, options escalate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ftlint.api import check
from ftlint.cli import main
from ftlint.errors import UsageError
from ftlint.model import Severity
from ftlint.registry import load_registry, select_rules, validate_selectors
from ftlint.settings import settings_from_dict

REG = load_registry(plugins=False)
ALL_CODES = {r.code for r in REG.rules}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("FTLINT_FAIL_ON", "FTLINT_OUTPUT_FORMAT", "FTLINT_OUTPUT_FILE", "FTLINT_DEBUG"):
        monkeypatch.delenv(var, raising=False)


def chosen(select: list[str] | None = None, extend: list[str] | None = None,
           ignore: list[str] | None = None) -> set[str]:
    for where, sels in (("select", select or []), ("extend-select", extend or []), ("ignore", ignore or [])):
        validate_selectors(sels, REG, where)
    return {r.code for r in select_rules(REG, select, extend or [], ignore or [])}


def codes_with(prefix: str) -> set[str]:
    return {c for c in ALL_CODES if c.startswith(prefix)}


# -- select / ignore / extend-select ----------------------------------------------------------------

def test_default_selects_every_default_rule_and_ALL_every_rule() -> None:
    from ftlint.registry import load_registry
    not_default = {r.code for r in load_registry().rules if not r.default}
    assert "FT504" in not_default
    assert chosen() == ALL_CODES - not_default
    assert chosen(["ALL"]) == ALL_CODES
    assert chosen(["FT5"]) == codes_with("FT5")  # a selector that names a rule enables it
    assert chosen(extend=["FT504"]) == ALL_CODES - not_default | {"FT504"}
    assert chosen(["all"]) == ALL_CODES


def test_select_by_code_prefix_and_name() -> None:
    assert chosen(["FT201"]) == {"FT201"}
    assert chosen(["ft201"]) == {"FT201"}
    assert chosen(["exact-duplicates"]) == {"FT201"}
    assert chosen(["FT0"]) == codes_with("FT0")
    assert {"FT001", "FT002", "FT003", "FT004"} <= codes_with("FT0")
    assert chosen(["FT1"]) == codes_with("FT1")
    assert chosen(["FT"]) == ALL_CODES
    assert chosen(["FT0", "too-few-examples"]) == codes_with("FT0") | {"FT101"}


def test_ignore_removes_and_extend_select_adds() -> None:
    assert chosen(["ALL"], ignore=["FT201"]) == ALL_CODES - {"FT201"}
    assert chosen(["ALL"], ignore=["FT0", "class-imbalance"]) == ALL_CODES - codes_with("FT0") - {"FT103"}
    assert chosen(["FT0"], extend=["FT201"]) == codes_with("FT0") | {"FT201"}
    assert chosen(["FT0", "FT201"], ignore=["FT003"]) == codes_with("FT0") - {"FT003"} | {"FT201"}
    assert chosen(["FT0"], ignore=["ALL"]) == codes_with("FT0")  # FT0 is more specific than ALL


@pytest.mark.parametrize(
    ("select", "extend", "ignore", "expected"),
    [
        (["FT2"], [], ["FT201"], codes_with("FT2") - {"FT201"}), # the code is more specific than the prefix
        (["FT201"], [], ["FT2"], {"FT201"}),
        (["FT0"], [], ["FT00"], codes_with("FT0") - codes_with("FT00")),  # a longer prefix is more specific
        (["FT00"], [], ["FT0"], codes_with("FT00")),
        (None, ["FT201"], ["ALL"], {"FT201"}),                   # ignore ALL, then add one back
        (["ALL"], [], ["FT1"], ALL_CODES - codes_with("FT1")),
        (["FT201"], [], ["FT201"], set()),                       # a tie: ignore wins
        (["exact-duplicates"], [], ["FT2"], {"FT201"}),          # a name is the most specific
        (["FT2"], [], ["exact-duplicates"], codes_with("FT2") - {"FT201"}),
    ],
)
def test_more_specific_selector_wins(select: list[str] | None, extend: list[str], ignore: list[str],
                                     expected: set[str]) -> None:
    assert chosen(select, extend, ignore) == expected


@pytest.mark.parametrize(
    ("selector", "suggestion"),
    [("FT2O1", "FT201"), ("exact-duplicate", "exact-duplicates"), ("too-few-example", "too-few-examples"),
     ("FT999", None), ("bogus-rule-name", None)],
)
def test_unknown_selector_is_a_usage_error(selector: str, suggestion: str | None) -> None:
    with pytest.raises(UsageError) as exc:
        validate_selectors([selector], REG, "select")
    msg = exc.value.message
    assert f"unknown rule selector '{selector}'" in msg
    if suggestion:
        assert f"did you mean '{suggestion}'?" in msg
    assert "ftlint rules" in msg


def test_unknown_selector_on_the_command_line_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "train.jsonl").write_text(json.dumps({"text": "hello there, this is a row"}) + "\n")
    monkeypatch.chdir(tmp_path)
    for flag in ("--select", "--ignore", "--extend-select"):
        result = CliRunner().invoke(main, ["check", "train.jsonl", flag, "FT0,exact-duplicats"])
        assert result.exit_code == 2, flag
        assert result.stdout == ""
        assert result.stderr.strip().splitlines() == [
            f"ftlint: error: {flag[2:]}: unknown rule selector 'exact-duplicats'; did you mean "
            "'exact-duplicates'? (see `ftlint rules`)"]


def test_unknown_selector_in_settings_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "train.jsonl").write_text(json.dumps({"text": "hello there, this is a row"}) + "\n")
    (tmp_path / "ftlint.toml").write_text('extend-select = ["FT2O1"]\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "train.jsonl"])
    assert result.exit_code == 2
    assert "did you mean 'FT201'?" in result.stderr


def test_comma_separated_and_repeated_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = write_chat(tmp_path / "train.jsonl", 5)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", p.name, "--select", "FT0, FT201", "--select", "FT101",
                                       "--ignore", "FT003,FT004", "--output-format", "json"])
    ran = [r["code"] for r in json.loads(result.stdout)["rules"]]
    assert ran == sorted(codes_with("FT0") - {"FT003", "FT004"} | {"FT101", "FT201"})


# -- severity: escalation and overrides ---------------------------------------------------------------

def write_chat(path: Path, n: int, copies_of_first: int = 0) -> Path:
    rows = [{"messages": [{"role": "user", "content": f"Tell me about topic number {i}, please."},
                          {"role": "assistant", "content": f"Topic {i} is a fine topic with a long history."}]}
            for i in range(n)]
    rows += [rows[0]] * copies_of_first
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def severities(path: Path, code: str, data: dict | None = None) -> list[str]:
    settings = settings_from_dict({"select": [code], **(data or {})}, path.parent, "ftlint.toml")
    report = check([path], settings=settings, no_cache=True)
    return [f.severity.label for f in report.findings if f.code == code]


def test_ft201_escalates_above_error_fraction(tmp_path: Path) -> None:
    few = write_chat(tmp_path / "few.jsonl", 95, copies_of_first=5)     # 5% copies
    many = write_chat(tmp_path / "many.jsonl", 80, copies_of_first=20)  # 20% copies
    assert severities(few, "FT201") == ["warning"]
    assert severities(many, "FT201") == ["error"]
    # the documented option moves the threshold
    assert severities(few, "FT201", {"rules": {"exact-duplicates": {"error-fraction": 0.01}}}) == ["error"]
    assert severities(many, "FT201", {"rules": {"FT201": {"error-fraction": 0.5}}}) == ["warning"]


def test_ft101_escalates_below_error_below(tmp_path: Path) -> None:
    p = write_chat(tmp_path / "train.jsonl", 150)
    assert severities(p, "FT101") == ["warning"]                # 100 <= 150 < 1000
    assert severities(p, "FT101", {"rules": {"too-few-examples": {"error-below": 200}}}) == ["error"]
    assert severities(p, "FT101", {"rules": {"too-few-examples": {"warn-below": 150}}}) == []
    small = write_chat(tmp_path / "small.jsonl", 30)
    assert severities(small, "FT101") == ["error"]


@pytest.mark.parametrize("level", ["info", "warning", "error", "low", "medium", "high"])
def test_severity_override_pins_the_level_and_turns_escalation_off(tmp_path: Path, level: str) -> None:
    expected = Severity.parse(level).label
    many = write_chat(tmp_path / "many.jsonl", 80, copies_of_first=20)   # FT201 would escalate to error
    few = write_chat(tmp_path / "few.jsonl", 95, copies_of_first=5)      # FT201 base: warning
    small = write_chat(tmp_path / "small.jsonl", 30)                     # FT101 would escalate to error
    pin201 = {"rules": {"exact-duplicates": {"severity": level}}}
    pin101 = {"rules": {"FT101": {"severity": level}}}
    assert severities(many, "FT201", pin201) == [expected]
    assert severities(few, "FT201", pin201) == [expected]
    assert severities(small, "FT101", pin101) == [expected]


def test_override_pins_every_finding_of_the_rule(tmp_path: Path) -> None:
    """FT004 reports an error (broken structure) and a warning (no user turn): both are pinned."""
    p = tmp_path / "train.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": "First question here?"}]},
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "assistant", "content": "Hello!"}]},
        {"messages": [{"role": "user", "content": "Second question?"}, {"role": "assistant", "content": "Yes."}]},
    ]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert sorted(severities(p, "FT004")) == ["error", "warning"]
    assert severities(p, "FT004", {"rules": {"chat-structure": {"severity": "info"}}}) == ["info", "info"]


def test_rules_command_shows_the_base_severity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ftlint.toml").write_text('ignore = ["FT1"]\n[rules.exact-duplicates]\nseverity = "error"\n'
                                          '[rules.FT101]\nseverity = "info"\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["rules", "--output-format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["code"]: r for r in json.loads(result.stdout)}
    assert rows["FT201"]["severity"] == "warning"
    assert rows["FT101"]["severity"] == "warning"
    assert rows["FT001"]["severity"] == "error"
    assert rows["FT101"]["enabled"] is False and rows["FT201"]["enabled"] is True
    text = CliRunner().invoke(main, ["rules"]).stdout
    line = next(x for x in text.splitlines() if x.startswith("FT201"))
    assert "warning" in line.split() and "exact-duplicates" in line.split()


def test_cli_ignore_and_extend_select_change_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_chat(tmp_path / "train.jsonl", 80, copies_of_first=20)
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["check", "train.jsonl", "--output-format", "json"])
    assert r.exit_code == 1
    # FT104: no validation split given (a warning); FT614 (no test split) is not checked on a dataset-only run
    assert {f["code"] for f in json.loads(r.stdout)["findings"]} == {"FT101", "FT104", "FT201"}
    r = CliRunner().invoke(main, ["check", "train.jsonl", "--ignore", "FT201,too-few-examples"])
    assert r.exit_code == 0
    r = CliRunner().invoke(main, ["check", "train.jsonl", "--select", "FT0", "--extend-select", "FT201",
                                  "--output-format", "json"])
    assert r.exit_code == 1
    assert {f["code"] for f in json.loads(r.stdout)["findings"]} == {"FT201"}
