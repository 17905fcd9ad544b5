"""The CLI run in-process (click's CliRunner) from a fresh working folder: shared by the test modules
that check what a user sees (tests/test_accepted.py, tests/test_messages.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ftlint.cli import main


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's temporary folder as the working directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def check(*args: str) -> dict[str, Any]:
    """``ftlint check ARGS --isolated --no-cache`` as a JSON report (exit 0 or 1 required)."""
    res = cli("check", *args, "--isolated", "--no-cache", "--output-format", "json")
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)


def jsonl(path: Path, records: list[Any]) -> Path:
    """Write ``records`` as a JSONL file at ``path``."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path
