"""The worked example of docs/architecture.md ("Adding a rule with a fix and a chart"): the plugin
rule EX101 in examples/plugins/one-word-replies touches its module, its YAML case and its
generated page only, and runs end to end: its YAML case passes, its page is the generated one,
`ftlint check` reports it, `ftlint fix` applies its remedy, and the HTML report draws its chart
with its share as a percentage."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_inprocess import cli

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "examples" / "plugins" / "one-word-replies"
MODULE = "ftlint_one_word_replies"


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The pack as `pip install -e` would make it: its folder on sys.path and a dist-info with its
    ``ftlint.rules`` entry point (the one its pyproject.toml declares)."""
    site = tmp_path / "site"
    info = site / "ftlint_one_word_replies-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ftlint-one-word-replies\nVersion: 0.1\n",
                                   encoding="utf-8")
    import tomllib

    declared = tomllib.loads((PACK / "pyproject.toml").read_text(encoding="utf-8"))["project"]["entry-points"]
    entries = "".join(f"{k} = {v}\n" for k, v in declared["ftlint.rules"].items())
    (info / "entry_points.txt").write_text(f"[ftlint.rules]\n{entries}", encoding="utf-8")
    monkeypatch.syspath_prepend(str(PACK))
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop(MODULE, None)


def test_its_yaml_case_passes(installed: Path) -> None:
    from ftlint.testing import assert_case, load_cases, run_case

    cases = load_cases(PACK / MODULE / "cases" / "EX101.yml")
    assert len(cases) == 2
    for case in cases:
        assert_case(case, run_case(case))


def test_its_page_is_the_generated_one(installed: Path, tmp_path: Path) -> None:
    res = cli("rule", "EX101", "--output-dir", str(tmp_path / "docs"))
    assert res.exit_code == 0, res.output
    for name in ("EX101.md", "README.md"):
        assert (tmp_path / "docs" / name).read_text(encoding="utf-8") == \
            (PACK / "docs" / name).read_text(encoding="utf-8"), f"regenerate {name}: see docs/architecture.md"
    page = (PACK / "docs" / "EX101.md").read_text(encoding="utf-8")
    assert "## Examples from the test cases" in page and "two one-word replies" in page  # its YAML case


def test_finding_fix_and_chart_end_to_end(installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ftlint.testing import load_cases

    monkeypatch.chdir(tmp_path)
    records = load_cases(PACK / MODULE / "cases" / "EX101.yml")[0].records or []
    Path("train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    # the finding
    res = cli("check", "train.jsonl", "--isolated", "--no-cache", "--select", "EX101", "--output-format", "json")
    (finding,) = json.loads(res.stdout)["findings"]
    assert finding["code"] == "EX101" and [r["index"] for r in finding["rows"]] == [0, 2]
    # its remedy, applied by `ftlint fix` (which knows no rule)
    res = cli("fix", "train.jsonl", "--isolated", "--no-cache", "--no-split")
    assert res.exit_code == 0, res.output
    assert "drop one-word replies  train: 2 rows: replies of one word (EX101)" in res.output
    kept = [json.loads(line) for line in Path("ftlint-fixed/train.jsonl").read_text(encoding="utf-8").splitlines()]
    assert kept == [records[1], records[3]]
    # its chart (and its share as a percentage) in the HTML report
    res = cli("check", "train.jsonl", "--isolated", "--no-cache", "--select", "EX101", "--output-format", "html")
    assert "Reply lengths in train" in res.stdout and "<svg" in res.stdout
    assert "share: <b>50.0%</b>" in res.stdout
