"""The documented Python API: ``ftlint.check(...)`` and the Report's views (pandas, JSON, HTML)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ftlint
from ftlint.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
#: the rules that find what is planted in examples/chat-mistakes (the slower text-statistics rules left out)
SELECT = "FT0,FT1,FT2,FT6"


@pytest.fixture
def chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of examples/chat-mistakes as the working directory (its ftlint.toml is found from there)."""
    d = tmp_path / "chat-mistakes"
    shutil.copytree(EXAMPLES / "chat-mistakes", d, ignore=shutil.ignore_patterns(".ftlint_cache"))
    monkeypatch.chdir(d)
    return d


@pytest.fixture(scope="module")
def chat_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ftlint.Report]:
    """One full run of ``ftlint.check("train.jsonl", config="train.yaml")`` on a copy of the example."""
    d = tmp_path_factory.mktemp("api") / "chat-mistakes"
    shutil.copytree(EXAMPLES / "chat-mistakes", d, ignore=shutil.ignore_patterns(".ftlint_cache"))
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(d)
        return d, ftlint.check("train.jsonl", config="train.yaml", select=SELECT, cache=False)


@pytest.fixture
def clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "clean-classification"
    shutil.copytree(EXAMPLES / "clean-classification", d, ignore=shutil.ignore_patterns(".ftlint_cache"))
    monkeypatch.chdir(d)
    return d


def _codes(report: ftlint.Report) -> list[tuple[str, str | None, int | None]]:
    return [(f.code, f.location.path, f.location.line) for f in report.findings]


def _cli(*args: str, cwd: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "ftlint", "check", *args, "--no-cache"], cwd=cwd,
                          capture_output=True, check=False, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout


# -- ftlint.check: friendly arguments ---------------------------------------------------------------

def test_check_is_the_documented_api_function() -> None:
    from ftlint.api import check

    assert ftlint.check is check
    assert "to_pandas" in (check.__doc__ or "") and "FtlintError" in (check.__doc__ or "")


def test_one_path_as_str_or_path_or_list_gives_the_same_report(chat: Path) -> None:
    by_str = ftlint.check("train.jsonl", select="FT0,FT2", cache=False)
    assert {f.code for f in by_str.findings} >= {"FT001", "FT003", "FT201"}
    # a str is one path, never a sequence of one-letter paths
    assert [i.path for i in by_str.inputs if i.role == "dataset"] == ["train.jsonl"]
    assert _codes(ftlint.check(Path("train.jsonl"), select="FT0,FT2", cache=False)) == _codes(by_str)
    assert _codes(ftlint.check(["train.jsonl"], select="FT0,FT2", cache=False)) == _codes(by_str)
    assert _codes(ftlint.check((p for p in [chat / "train.jsonl"]), select="FT0,FT2", cache=False)) == _codes(by_str)


def test_validation_test_and_config_keywords(clean: Path) -> None:
    report = ftlint.check("train.jsonl", validation="val.jsonl", test=Path("test.jsonl"), select="ALL",
                          cache=False)
    splits = {i.path: i.split for i in report.inputs if i.role == "dataset"}
    assert splits == {"train.jsonl": "train", "val.jsonl": "validation", "test.jsonl": "test"}
    assert report.exit_code() == 0


def test_config_as_str(chat: Path) -> None:
    report = ftlint.check(config="train.yaml", cache=False)
    roles = {(i.path, i.role) for i in report.inputs}
    assert ("train.yaml", "training_config") in roles and ("train.jsonl", "dataset") in roles
    assert "FT601" in {f.code for f in report.findings}  # a config rule ran


def test_select_and_ignore_take_a_comma_string_or_a_list(chat: Path) -> None:
    as_string = ftlint.check("train.jsonl", select="FT0,FT201", ignore="FT004", cache=False)
    as_list = ftlint.check("train.jsonl", select=["FT0", "FT201"], ignore=["FT004"], cache=False)
    assert _codes(as_string) == _codes(as_list)
    assert {f.code for f in as_string.findings} == {"FT001", "FT002", "FT003", "FT201"}


def test_a_settings_object_is_not_changed_and_a_settings_path_is_read(chat: Path, tmp_path: Path) -> None:
    s = Settings(root=chat)
    first = ftlint.check("train.jsonl", settings=s, select="FT201", cache=False)
    assert {f.code for f in first.findings} == {"FT201"}
    assert s.select is None and s.ignore == [] and s.extend_select == []
    assert "FT003" in {f.code for f in ftlint.check("train.jsonl", settings=s, cache=False).findings}

    other = tmp_path / "only-duplicates.toml"
    other.write_text('select = ["FT201"]\n', encoding="utf-8")
    assert {f.code for f in ftlint.check("train.jsonl", settings=str(other), cache=False).findings} == {"FT201"}


def test_cache_false_writes_no_cache_folder(chat: Path) -> None:
    ftlint.check("train.jsonl", select="FT201", cache=False)
    assert not (chat / ".ftlint_cache").exists()
    ftlint.check("train.jsonl", select="FT201")
    assert (chat / ".ftlint_cache").is_dir()


@pytest.mark.parametrize(("kwargs", "error", "text"), [
    ({"paths": "missing.jsonl"}, ftlint.InputError, "missing.jsonl"),
    ({"paths": "train.jsonl", "select": "FT9999"}, ftlint.UsageError, "FT9999"),
    ({"paths": 5}, ftlint.UsageError, "paths: expected a path"),
    ({"paths": ["train.jsonl", 5]}, ftlint.UsageError, "not int"),
    ({"paths": "train.jsonl", "select": [1]}, ftlint.UsageError, "select"),
    ({"paths": "train.jsonl", "settings": 3}, ftlint.UsageError, "settings"),
    ({"paths": "train.jsonl", "settings": "nope.toml"}, ftlint.SettingsError, "settings file not found"),
    ({"config": "nope.yaml"}, ftlint.FtlintError, "nope.yaml"),
])
def test_unusable_input_raises_an_ftlint_error(chat: Path, kwargs: dict, error: type, text: str) -> None:
    with pytest.raises(error) as info:
        ftlint.check(**kwargs, cache=False)
    assert isinstance(info.value, ftlint.FtlintError)
    assert text in str(info.value) and "\n" not in str(info.value)


# -- the Report's views -----------------------------------------------------------------------------

def test_to_pandas_has_one_row_per_finding(chat_run: tuple[Path, ftlint.Report]) -> None:
    _chat, report = chat_run
    df = report.to_pandas()
    assert list(df.columns) == list(ftlint.Report.PANDAS_COLUMNS)
    assert len(df) == len(report.findings) > 5
    for row, f in zip(df.itertuples(index=False), report.findings, strict=True):
        assert (row.code, row.name, row.severity, row.message, row.fix) == \
            (f.code, f.name, f.severity.label, f.message, f.fix)
        assert (row.affected_count, row.affected_fraction, row.fingerprint) == \
            (f.affected.count, f.affected.fraction, f.fingerprint)
    # the planted mistakes at their lines; config findings at their key's line
    ft001 = df[df.code == "FT001"].iloc[0]
    assert (ft001.path, ft001.line, ft001.split) == ("train.jsonl", 36, "train")
    ft601 = df[df.code == "FT601"].iloc[0]
    assert ft601.path == "train.yaml" and ft601.key == "num_epochs" and ft601.line > 0
    # severity is ordered: filter and sort by it
    assert set(df[df.severity >= "warning"].code) >= {"FT001", "FT201"}
    assert "FT614" not in set(df[df.severity >= "warning"].code)
    assert str(df.line.dtype) == "Int64"


def test_to_pandas_of_a_clean_report_is_empty_with_the_columns(clean: Path) -> None:
    df = ftlint.check("train.jsonl", validation="val.jsonl", select="FT0", cache=False).to_pandas()
    assert df.empty and list(df.columns) == list(ftlint.Report.PANDAS_COLUMNS)


def _without_seconds(text: str) -> dict:
    data = json.loads(text)
    for r in data["rules"]:
        r.pop("seconds")
    return data


def test_to_json_is_the_output_format_json(chat_run: tuple[Path, ftlint.Report]) -> None:
    chat, report = chat_run
    cli = _cli("train.jsonl", "--config", "train.yaml", "--select", SELECT, "--output-format", "json", cwd=chat)
    assert _without_seconds(report.to_json()) == _without_seconds(cli)
    assert re.sub(r'"seconds": [0-9.e-]+', "", report.to_json()) == re.sub(r'"seconds": [0-9.e-]+', "", cli)


def _without_timings(page: str) -> str:
    """The page less what differs between two runs: seconds per rule and the "where the time went" table."""
    page = re.sub(r'(<td class="num muted">|· )\d+\.\d+', "T", page)
    return "\n".join(line for line in page.splitlines() if not re.search(r"\d+\.\d+ s</td>", line))


def test_repr_html_is_the_html_report_in_an_iframe(chat_run: tuple[Path, ftlint.Report]) -> None:
    chat, report = chat_run
    page = report.to_html()
    assert page.lstrip().lower().startswith("<!doctype html>") and "<script" not in page.lower()
    assert "Content-Security-Policy" in page and "FT201" in page
    cli = _cli("train.jsonl", "--config", "train.yaml", "--select", SELECT, "--output-format", "html", cwd=chat)
    # the same page as --output-format html (up to the run's timings)
    assert _without_timings(page) == _without_timings(cli)
    inline = report._repr_html_()
    m = re.fullmatch(r'<iframe [^>]*sandbox="[^"]*"[^>]* srcdoc="([^"]*)"></iframe>', inline, re.S)
    assert m, inline[:300]
    assert html.unescape(m.group(1)) == page
    assert "allow-scripts" not in inline and "allow-same-origin" not in inline


def test_exit_code_takes_severity_names(chat: Path) -> None:
    report = ftlint.check("train.jsonl", cache=False)
    assert report.exit_code() == 1 and report.exit_code("error") == 1
    assert report.exit_code("never") == 0 and report.exit_code(None) == 0
    warnings_only = ftlint.check("train.jsonl", select="FT201", cache=False)
    assert warnings_only.exit_code() == 0
    assert warnings_only.exit_code("warning") == warnings_only.exit_code(ftlint.Severity.WARNING) == 1
    assert warnings_only.exit_code("medium") == 1
    with pytest.raises(ftlint.SettingsError, match="fail_on: invalid value"):
        warnings_only.exit_code("sometimes")


def test_repr_is_one_short_line(chat_run: tuple[Path, ftlint.Report]) -> None:
    _chat, report = chat_run
    text = repr(report)
    assert text.startswith("<ftlint Report: 9 findings (5 error, 3 warning, 1 info, 0 suppressed)")
    assert "train.jsonl" in text and "\n" not in text and len(text) < 200


def test_import_ftlint_stays_light() -> None:
    code = ("import sys, ftlint; "
            "print(sorted(m for m in ('pandas', 'ftlint.api', 'ftlint.reporters.html') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
