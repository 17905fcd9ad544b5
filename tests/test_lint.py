"""The project lints itself: ruff and mypy, configured in pyproject.toml ([tool.ruff], [tool.mypy]),
run here so that the test command (README command 2) is the whole check. Both come with the
``test`` extra."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HINT = "\n(ruff and mypy come with the test extra: pip install -e '.[test]')"


def _tool(*args: str, timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False)


def test_ruff_passes() -> None:
    proc = _tool("ruff", "check", "--no-fix", "src", "tests", timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr + HINT


@pytest.mark.slow
def test_mypy_passes() -> None:
    """Strict on the core modules, lenient elsewhere (see [tool.mypy] in pyproject.toml); a warm
    cache (.mypy_cache) makes a rerun take seconds."""
    proc = _tool("mypy", timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr + HINT
