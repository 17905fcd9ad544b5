"""The pre-commit hook, for real: `pre-commit try-repo` against this repository.

pre-commit installs the hook into its own virtualenv from the package registry, so this is the
one test that needs the network; it skips, saying why, when the registry cannot be reached.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
GOOD = [{"messages": [{"role": "user", "content": f"How do I configure feature number {i} of the router?"},
                      {"role": "assistant", "content": f"Open settings, choose section {i}, then save."}]}
        for i in range(40)]
BAD = [*GOOD, {"messages": [{"role": "user", "content": "What is latency?"}, {"role": "assistant", "content": ""}]}]
SETTINGS = """[dataset]
train = ["data/train.jsonl"]

[rules.too-few-examples]   # a 40-row demo
warn-below = 10
error-below = 5
"""


def test_manifest_is_valid() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    by_id = {h["id"]: h for h in hooks}
    assert set(by_id) == {"ftlint", "ftlint-files"}
    main = by_id["ftlint"]
    assert main["pass_filenames"] is False and main["require_serial"] is True
    assert main["entry"] == "ftlint check" and main["language"] == "python"
    import re

    pattern = re.compile(main["files"])
    for name in ("data/train.jsonl", "train.yaml", "ftlint.toml", "x.parquet", "a.csv"):
        assert pattern.search(name), name
    assert not pattern.search("model.py")
    assert "--skip-non-datasets" in by_id["ftlint-files"]["entry"]


def _registry_reachable() -> bool:
    for host in ("pypi.org", "files.pythonhosted.org"):
        try:
            socket.create_connection((host, 443), timeout=5).close()
        except OSError:
            return False
    return True


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.network
@pytest.mark.slow
def test_pre_commit_try_repo_fails_on_bad_data_and_passes_on_clean(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.skip("pre-commit is not installed (it is in the test extra)")
    if not _registry_reachable():
        pytest.skip("the package registry (pypi.org) cannot be reached: pre-commit installs the hook from it")
    if not (ROOT / ".git").exists():
        pytest.skip("this checkout is not a git repository, which `pre-commit try-repo` needs")
    repo = tmp_path / "project"
    (repo / "data").mkdir(parents=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "PRE_COMMIT_HOME": str(Path.home() / ".cache" / "ftlint-tests" / "pre-commit"),
           "PRE_COMMIT_COLOR": "never"}
    env.pop("VIRTUAL_ENV", None)
    _git(repo, "init", "-q")
    (repo / "ftlint.toml").write_text(SETTINGS)

    def run_hook(records: list[dict]) -> subprocess.CompletedProcess[str]:
        (repo / "data" / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
        _git(repo, "add", "-A")
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "ftlint", "--all-files"],
                              cwd=repo, env=env, capture_output=True, check=False, text=True, timeout=900)

    bad = run_hook(BAD)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "FT003" in bad.stdout and "Failed" in bad.stdout
    good = run_hook(GOOD)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout
