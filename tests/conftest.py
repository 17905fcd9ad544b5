"""Shared fixtures: the real-input corpus beside the repository, small file writers, a CLI runner."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from tests.cli_inprocess import CliResult, ftlint

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"
CORPUS_MISSING = ("../shared/corpus is not present (a user's clone): corpus tests need the shared folder beside the "
                  "repository")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """``../shared/corpus`` (real public datasets and configs); skips the test where it is absent."""
    if not CORPUS_DIR.is_dir():
        pytest.skip(CORPUS_MISSING)
    return CORPUS_DIR


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's temporary folder as the working directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def _empty_hf_hub_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hub datasets come only from a Hugging Face cache a test builds (HF_HUB_CACHE set again), never
    from the machine's own: by default HF_HUB_CACHE names an empty folder."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path_factory.getbasetemp() / "empty-hf-hub-cache"))


RUNS_DIR = REPO_ROOT.parent / "shared" / "runs"
RUNS_MISSING = ("../shared/runs is not present (a user's clone): the real training-log tests need the shared folder "
                "beside the repository")


@pytest.fixture(scope="session")
def runs_dir() -> Path:
    """``../shared/runs`` (real public training logs, see its SOURCES.md); skips the test where it is absent."""
    if not RUNS_DIR.is_dir():
        pytest.skip(RUNS_MISSING)
    return RUNS_DIR


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[..., Path]:
    """``write_jsonl(name, records)`` writes one JSON record per line under tmp_path and returns the path.

    A record given as ``str`` is written verbatim (for broken or blank lines).
    """

    def write(name: str | Path, records: Iterable[Any]) -> Path:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
        p.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return p

    return write


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[..., Path]:
    """``write_json(name, data, indent=2)`` writes one JSON document under tmp_path."""

    def write(name: str | Path, data: Any, indent: int | None = 2) -> Path:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(data, indent=indent, ensure_ascii=False), encoding="utf-8")
        return p

    return write


@pytest.fixture
def write_bytes(tmp_path: Path) -> Callable[[str | Path, bytes], Path]:
    """``write_bytes(name, data)`` writes raw bytes under tmp_path (for encodings and binary files)."""

    def write(name: str | Path, data: bytes) -> Path:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        return p

    return write


@pytest.fixture
def ftlint_cli(tmp_path: Path) -> Callable[..., CliResult]:
    """``ftlint_cli(*args)`` runs the CLI in-process with ``tmp_path/cwd`` as the working directory
    (no settings file is discovered there) and returns its exit status, stdout and stderr."""
    work = tmp_path / "cwd"
    work.mkdir(exist_ok=True)

    def run(*args: str | Path) -> CliResult:
        return ftlint(*args, cwd=work)

    return run


@pytest.fixture(scope="session")
def registered_codes(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Codes listed by ``ftlint rules`` (rules still being written show up here once registered)."""
    res = ftlint("rules", "--output-format", "json", cwd=tmp_path_factory.mktemp("rules"))
    assert res.returncode == 0, res.stderr
    return {r["code"] for r in json.loads(res.stdout)}
