"""ftlint's own settings: discovery and precedence, validation, located errors, per-rule tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftlint.api import check
from ftlint.errors import SettingsError
from ftlint.model import Severity
from ftlint.registry import configure, load_registry, rule_tables
from ftlint.settings import TOP_LEVEL_KEYS, Settings, find_settings_file, load_settings, settings_from_dict
from tests.cli_inprocess import ftlint, ftlint_process


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("FTLINT_FAIL_ON", "FTLINT_OUTPUT_FORMAT", "FTLINT_OUTPUT_FILE", "FTLINT_DEBUG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


def write_chat(path: Path, n: int, copies_of_first: int = 0) -> Path:
    """``n`` distinct chat rows, then ``copies_of_first`` exact copies of the first row."""
    rows = [{"messages": [{"role": "user", "content": f"How do I configure feature number {i} of the app?"},
                          {"role": "assistant", "content": f"Open settings, find feature {i}, and switch it on."}]}
            for i in range(n)]
    rows += [rows[0]] * copies_of_first
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def rules_ran(stdout: str) -> set[str]:
    """The rules that were selected for the run (ran or skipped)."""
    return {r["code"] for r in json.loads(stdout)["rules"]}


def registered(prefix: str = "") -> set[str]:
    return {r.code for r in load_registry().rules if r.code.startswith(prefix)}


# -- discovery and precedence -------------------------------------------------------------------------

def test_defaults_without_a_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_settings_file() is None
    s = load_settings()
    assert s.source is None
    assert s.select is None and s.ignore == [] and s.extend_select == []
    assert s.fail_on is Severity.ERROR


def test_walks_up_to_the_closest_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (tmp_path / "ftlint.toml").write_text('fail-on = "info"\n')
    monkeypatch.chdir(deep)
    assert find_settings_file() == (tmp_path / "ftlint.toml").resolve()
    assert load_settings().fail_on is Severity.INFO
    # a closer file wins, even a pyproject.toml over an ftlint.toml further up
    (tmp_path / "a" / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.ftlint]\nfail-on = "warning"\n')
    assert find_settings_file() == (tmp_path / "a" / "pyproject.toml").resolve()
    s = load_settings()
    assert s.fail_on is Severity.WARNING
    assert s.root == (tmp_path / "a").resolve()


@pytest.mark.parametrize(
    ("present", "winner"),
    [
        ((".ftlint.toml", "ftlint.toml", "pyproject.toml"), ".ftlint.toml"),
        (("ftlint.toml", "pyproject.toml"), "ftlint.toml"),
        ((".ftlint.toml", "pyproject.toml"), ".ftlint.toml"),
        (("pyproject.toml",), "pyproject.toml"),
    ],
)
def test_precedence_in_one_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     present: tuple[str, ...], winner: str) -> None:
    for name in present:
        body = f'embedding-model = "{name}"\n'
        if name == "pyproject.toml":
            body = '[project]\nname = "demo"\n\n[tool.ftlint]\n' + body
        (tmp_path / name).write_text(body)
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.source is not None and s.source.name == winner
    assert s.embedding_model == winner


def test_pyproject_without_tool_ftlint_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    (tmp_path / "ftlint.toml").write_text('task = "chat"\n')
    (sub / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.black]\nline-length = 100\n')
    monkeypatch.chdir(sub)
    s = load_settings()
    assert s.source == (tmp_path / "ftlint.toml").resolve()
    assert s.task == "chat"


def test_a_broken_pyproject_without_our_table_is_not_ours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.black]\nline-length = "\n')
    monkeypatch.chdir(tmp_path)
    assert find_settings_file() is None


def test_a_broken_pyproject_with_our_table_is_a_located_error(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A TOML error inside [tool.ftlint] must not silently fall back to the defaults."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.ftlint]\nfail-on = "never\n')
    write_chat(tmp_path / "train.jsonl", 3)
    monkeypatch.chdir(tmp_path)
    code, out, err = ftlint("check", "train.jsonl")
    assert code == 2
    assert "pyproject.toml:5: invalid TOML" in err
    assert "Traceback" not in out + err


def test_settings_flag_beats_discovered_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".ftlint.toml").write_text('fail-on = "never"\n')
    other = tmp_path / "elsewhere" / "strict.toml"
    other.parent.mkdir()
    other.write_text('fail-on = "warning"\n')
    write_chat(tmp_path / "train.jsonl", 200, copies_of_first=2)  # FT201 warning only
    monkeypatch.chdir(tmp_path)
    assert ftlint("check", "train.jsonl")[0] == 0
    assert ftlint("check", "train.jsonl", "--settings", str(other))[0] == 1
    # --isolated ignores the discovered file: the default fail-on (error) applies
    assert ftlint("check", "train.jsonl", "--isolated")[0] == 0
    (tmp_path / ".ftlint.toml").write_text('fail-on = "warning"\n')
    assert ftlint("check", "train.jsonl")[0] == 1
    assert ftlint("check", "train.jsonl", "--isolated")[0] == 0


def test_settings_flag_names_a_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_chat(tmp_path / "train.jsonl", 3)
    monkeypatch.chdir(tmp_path)
    code, _out, err = ftlint("check", "train.jsonl", "--settings", "nope.toml")
    assert code == 2
    assert err.strip() == "ftlint: error: nope.toml: settings file not found"


def test_cli_flags_override_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_chat(tmp_path / "train.jsonl", 200, copies_of_first=2)  # FT201 warning only
    (tmp_path / "ftlint.toml").write_text('fail-on = "never"\noutput-format = "json"\nselect = ["FT0"]\n')
    monkeypatch.chdir(tmp_path)
    code, out, _ = ftlint("check", "train.jsonl")
    assert code == 0
    assert rules_ran(out) == registered("FT0")
    code, out, _ = ftlint("check", "train.jsonl", "--fail-on", "warning", "--select", "FT201")
    assert code == 1
    assert rules_ran(out) == {"FT201"}
    code, out, _ = ftlint("check", "train.jsonl", "--output-format", "concise", "--select", "FT2")
    assert out.startswith("train.jsonl:") and " FT201 " in out


def test_cli_select_replaces_the_settings_ignore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ruff's layering: `--select FT201` runs FT201 even where the settings ignore it, and
    nothing the settings' extend-select adds."""
    write_chat(tmp_path / "train.jsonl", 200, copies_of_first=2)
    (tmp_path / "ftlint.toml").write_text('ignore = ["FT201"]\nextend-select = ["FT101"]\n')
    monkeypatch.chdir(tmp_path)
    _code, out, _ = ftlint("check", "train.jsonl", "--select", "FT201", "--output-format", "json")
    assert rules_ran(out) == {"FT201"}
    # without --select the settings apply
    _code, out, _ = ftlint("check", "train.jsonl", "--output-format", "json")
    assert "FT201" not in rules_ran(out) and "FT101" in rules_ran(out)
    # --ignore on the command line adds to the settings' ignore
    _code, out, _ = ftlint("check", "train.jsonl", "--output-format", "json", "--ignore", "FT0")
    from ftlint.registry import load_registry
    not_default = {r.code for r in load_registry().rules if not r.default}
    # the run rules (FT8xx) are part of a check only with --run
    assert rules_ran(out) == registered() - registered("FT0") - registered("FT8") - {"FT201"} - not_default


def test_fail_on_environment_variable_and_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_chat(tmp_path / "train.jsonl", 200, copies_of_first=2)
    (tmp_path / "ftlint.toml").write_text('fail-on = "error"\n')
    monkeypatch.chdir(tmp_path)
    assert ftlint("check", "train.jsonl")[0] == 0
    warn = {"FTLINT_FAIL_ON": "warning"}
    assert ftlint("check", "train.jsonl", env=warn)[0] == 1
    assert ftlint("check", "train.jsonl", "--fail-on", "never", env=warn)[0] == 0


# -- validation -----------------------------------------------------------------------------------

def test_unknown_key_has_a_suggestion_and_a_line(tmp_path: Path) -> None:
    p = tmp_path / "ftlint.toml"
    p.write_text('# comment\nselect = ["FT2"]\n\nignor = ["FT201"]\n')
    with pytest.raises(SettingsError) as exc:
        load_settings(p)
    e = exc.value
    assert e.line == 4
    assert "unknown setting 'ignor'" in e.message
    assert "did you mean 'ignore'?" in e.message
    assert e.located().startswith(f"{p}:4: ")


def test_underscore_spelling_of_a_key_suggests_the_dash(tmp_path: Path) -> None:
    p = tmp_path / "ftlint.toml"
    p.write_text('fail_on = "warning"\n')
    with pytest.raises(SettingsError, match=r"did you mean 'fail-on'\?") as exc:
        load_settings(p)
    assert exc.value.line == 1


def test_unknown_key_in_pyproject_points_at_its_line(tmp_path: Path) -> None:
    p = tmp_path / "pyproject.toml"
    p.write_text('[project]\nname = "x"\n\n[tool.ftlint]\nselect = ["FT2"]\nextend_select = ["FT0"]\n')
    with pytest.raises(SettingsError, match=r"did you mean 'extend-select'\?") as exc:
        load_settings(p)
    assert exc.value.line == 6


def test_unknown_dataset_key_is_located(tmp_path: Path) -> None:
    p = tmp_path / "ftlint.toml"
    p.write_text('[dataset]\ntrain = ["a.jsonl"]\nvalidaton = ["b.jsonl"]\n')
    with pytest.raises(SettingsError, match=r"did you mean 'validation'\?") as exc:
        load_settings(p)
    assert exc.value.line == 3


RESERVED = {
    "training-config": ("train.yaml", lambda s, root: s.training_config == root / "train.yaml"),
    "reference": (["prod.jsonl"], lambda s, root: s.reference == [root / "prod.jsonl"]),
    "contamination": (["bench.jsonl", "heldout.jsonl"],
                      lambda s, root: s.contamination == [root / "bench.jsonl", root / "heldout.jsonl"]),
    "sensitive": (["gender", "age"], lambda s, root: s.sensitive == ["gender", "age"]),
    "embedding-model": ("sentence-transformers/all-MiniLM-L6-v2",
                        lambda s, root: s.embedding_model == "sentence-transformers/all-MiniLM-L6-v2"),
    "task": ("classification", lambda s, root: s.task == "classification"),
    "baseline": (".ftlint-baseline.json", lambda s, root: s.baseline == root / ".ftlint-baseline.json"),
    "per-file-ignores": ({"data/legacy*.jsonl": ["FT201"]},
                         lambda s, root: s.per_file_ignores == {"data/legacy*.jsonl": ["FT201"]}),
}


@pytest.mark.parametrize("key", sorted(RESERVED))
def test_each_reserved_key_is_accepted(key: str, tmp_path: Path) -> None:
    value, ok = RESERVED[key]
    s = settings_from_dict({key: value}, tmp_path, "ftlint.toml")
    assert ok(s, tmp_path), key
    assert key in TOP_LEVEL_KEYS


@pytest.mark.parametrize("key", sorted(RESERVED))
def test_each_reserved_key_is_type_checked(key: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=key):
        settings_from_dict({key: 3.5}, tmp_path, "ftlint.toml", {key: 7})


def test_reserved_keys_in_a_file_do_not_break_a_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_chat(tmp_path / "train.jsonl", 200)
    (tmp_path / "ftlint.toml").write_text(
        # embedding-model names the built-in backend: a model that cannot be loaded is exit 2 (tests/test_relevance.py)
        'task = "chat"\nembedding-model = "tfidf"\nsensitive = ["group"]\n'
        '[per-file-ignores]\n"train.jsonl" = ["FT201"]\n'
    )
    monkeypatch.chdir(tmp_path)
    code, out, err = ftlint("check", "train.jsonl")
    assert code == 0, out + err


def test_dataset_table_paths_are_relative_to_the_settings_file(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    write_chat(tmp_path / "data" / "train.jsonl", 200)
    write_chat(tmp_path / "data" / "holdout.jsonl", 20)
    (tmp_path / "ftlint.toml").write_text('[dataset]\ntrain = ["data/train.jsonl"]\n'
                                          'validation = "data/holdout.jsonl"\n')
    sub = tmp_path / "notebooks"
    sub.mkdir()
    monkeypatch.chdir(sub)
    code, out, err = ftlint("check", "--output-format", "json")
    assert code in (0, 1), err
    inputs = {i["split"]: i for i in json.loads(out)["inputs"]}
    assert set(inputs) == {"train", "validation"}
    assert inputs["train"]["records"] == 200 and inputs["validation"]["records"] == 20


def test_dataset_column_mapping(tmp_path: Path) -> None:
    data = tmp_path / "tickets.jsonl"
    rows = [{"body": f"Ticket number {i} about a delivery that never arrived", "topic": ["a", "b"][i % 2]}
            for i in range(40)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    s = settings_from_dict({"dataset": {"columns": {"text": "body", "label": "topic"}}}, tmp_path)
    report = check([data], settings=s, no_cache=True)
    assert report.inputs[0].format == "classification"
    ran = {o.code: o.outcome for o in report.outcomes}
    assert ran["FT102"] == "ran" and ran["FT103"] == "ran"  # labels found through the mapping
    with pytest.raises(SettingsError, match=r"unknown column role 'lable'.*did you mean 'label'\?"):
        settings_from_dict({"dataset": {"columns": {"lable": "topic"}}}, tmp_path)


# -- per-rule tables --------------------------------------------------------------------------------

def _configured(table_key: str, table: dict) -> tuple[object, Severity | None]:
    reg = load_registry(plugins=False)
    tables = rule_tables({table_key: table}, reg, "ftlint.toml")
    rule = reg.lookup(table_key)
    assert rule is not None
    return configure(rule, tables[rule.code], "ftlint.toml")


@pytest.mark.parametrize("ref", ["too-few-examples", "FT101", "ft101"])
def test_rule_table_by_name_or_code(ref: str) -> None:
    options, severity = _configured(ref, {"warn-below": 5000, "error-below": 50, "severity": "error"})
    assert options.warn_below == 5000 and options.error_below == 50
    assert severity is Severity.ERROR


def test_rule_tables_by_name_and_code_merge() -> None:
    reg = load_registry(plugins=False)
    tables = rule_tables({"too-few-examples": {"warn-below": 10}, "FT101": {"error-below": 2}}, reg, "x")
    assert tables == {"FT101": [("too-few-examples", {"warn-below": 10}), ("FT101", {"error-below": 2})]}
    options, severity = configure(reg.lookup("FT101"), tables["FT101"], "x")
    assert (options.warn_below, options.error_below, severity) == (10, 2, None)


def test_rule_table_from_a_file_changes_the_outcome(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_chat(tmp_path / "train.jsonl", 30)
    monkeypatch.chdir(tmp_path)
    assert ftlint("check", "train.jsonl")[0] == 1  # FT101: 30 < 100 is an error
    (tmp_path / "ftlint.toml").write_text("[rules.too-few-examples]\nwarn-below = 20\nerror-below = 10\n")
    # FT104: no validation split, FT614: no test split
    assert ftlint("check", "train.jsonl", "--fail-on", "info", "--ignore", "FT104,FT614")[0] == 0
    (tmp_path / "ftlint.toml").write_text('[rules.FT101]\nseverity = "info"\n')
    code, out, _ = ftlint("check", "train.jsonl", "--output-format", "json", "--ignore", "FT104,FT614")
    assert code == 0
    assert [(f["code"], f["severity"]) for f in json.loads(out)["findings"]] == [("FT101", "info")]


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        ("[rules.too-few-exampels]\nwarn-below = 5\n",
         r"\[rules\.too-few-exampels\]: no such rule; did you mean 'too-few-examples'\?"),
        ("[rules.FT999]\nseverity = 'info'\n", r"\[rules\.FT999\]: no such rule"),
        ("[rules.too-few-examples]\nwarn-belw = 5\n",
         r"unknown option; did you mean 'warn-below'\?.*options of FT101 too-few-examples: severity, warn-below, "
         r"error-below"),
        ("[rules.too-few-examples]\nwarn-below = 'many'\n",
         r"\[rules\.too-few-examples\] warn-below must be an integer"),
        ("[rules.too-few-examples]\nwarn-below = true\n", r"warn-below must be an integer"),
        ("[rules.exact-duplicates]\nerror-fraction = 'ten percent'\n", r"error-fraction must be a number"),
        ("[rules.exact-duplicates]\nseverity = 'critical'\n", r"unknown severity 'critical'"),
        ("[rules]\ntoo-few-examples = 5\n", r"\[rules\] must hold one table per rule"),
    ],
)
def test_bad_rule_tables_are_clear_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          body: str, pattern: str) -> None:
    write_chat(tmp_path / "train.jsonl", 3)
    (tmp_path / "ftlint.toml").write_text(body)
    monkeypatch.chdir(tmp_path)
    code, out, err = ftlint("check", "train.jsonl")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ftlint: error: ") and "ftlint.toml" in lines[0]
    import re

    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in out + err


def test_float_option_accepts_an_integer() -> None:
    options, _ = _configured("exact-duplicates", {"error-fraction": 1})
    assert options.error_fraction == 1.0


# -- invalid files through the CLI ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('select = ["FT2"\nignore = []\n', r"ftlint\.toml:\d+: invalid TOML"),
        ('fail-on = "sometimes"\n', r"fail-on: invalid value 'sometimes'"),
        ("select = 3\n", r"ftlint\.toml:1: 'select' must be a string or a list of strings"),
        ("\n\nfailon = 'error'\n", r"ftlint\.toml:3: unknown setting 'failon'; did you mean 'fail-on'\?"),
        ("cache = 'yes'\n", r"ftlint\.toml:1: 'cache' must be true or false"),
        ("[dataset]\ncolumns = 'text'\n", r"\[dataset\.columns\] must map"),
    ],
)
def test_invalid_settings_exit_2_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               body: str, expected: str) -> None:
    import re

    write_chat(tmp_path / "train.jsonl", 3)
    (tmp_path / "ftlint.toml").write_text(body)
    monkeypatch.chdir(tmp_path)
    code, out, err = ftlint("check", "train.jsonl")
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("ftlint: error: ")
    assert re.search(expected, err), err
    assert "Traceback" not in err


def test_invalid_toml_is_located(tmp_path: Path) -> None:
    p = tmp_path / "ftlint.toml"
    p.write_text('select = ["FT2"]\n\n[rules.too-few-examples]\nwarn-below = = 5\n')
    with pytest.raises(SettingsError) as exc:
        load_settings(p)
    assert exc.value.line == 4
    assert exc.value.located().startswith(f"{p}:4: invalid TOML")


def test_invalid_settings_in_a_subprocess_print_no_traceback(tmp_path: Path) -> None:
    """The installed entry point, not just the click runner: one line, exit 2."""
    write_chat(tmp_path / "train.jsonl", 3)
    (tmp_path / "ftlint.toml").write_text("selct = []\n")
    proc = ftlint_process("check", "train.jsonl", cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("ftlint: error: ")
    assert proc.stderr.endswith("ftlint.toml:1: unknown setting 'selct'; did you mean 'select'?\n")
    assert proc.stderr.count("\n") == 1


def test_settings_object_defaults_are_independent() -> None:
    a, b = Settings(), Settings()
    a.ignore.append("FT201")
    assert b.ignore == []


def test_rule_option_with_underscore_is_rejected_with_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_chat(tmp_path / "train.jsonl", 3)
    (tmp_path / "ftlint.toml").write_text('select = ["FT1"]\n\n[rules.too-few-examples]\nwarn_below = 5\n')
    monkeypatch.chdir(tmp_path)
    code, _out, err = ftlint("check", "train.jsonl")
    assert code == 2
    assert "ftlint.toml:4:" in err and "did you mean 'warn-below'?" in err
