"""The CLI as the tests run it: in-process (click's CliRunner), which is fast, and in a subprocess only
where the process boundary is what a test checks (the ``python -m ftlint`` entry point, a TTY).

- :func:`cli`: ``ftlint ARGS`` in the current folder, as click's :class:`~click.testing.Result`;
  :func:`check`: ``ftlint check ARGS --isolated --no-cache`` as a JSON report; :func:`work`: the
  test's temporary folder as the working directory (tests/test_accepted.py, tests/test_messages.py).
- :func:`ftlint`: ``ftlint ARGS`` in-process as a clean shell would run it (a working folder, no
  ``FTLINT_*`` variable, ``NO_COLOR=1``), as a :class:`CliResult` (exit status, stdout, stderr);
  :func:`ftlint_process`: the same in a real ``python -m ftlint`` subprocess.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from click.testing import CliRunner, Result

from ftlint.cli import main


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


class CliResult(NamedTuple):
    """What a shell sees of one run: the exit status and the two streams (``code, out, err = ...``)."""

    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def _clean_env(env: Mapping[str, str | None] | None) -> dict[str, str | None]:
    """None of the test runner's FTLINT_* variables nor its NO_COLOR; ``env`` on top (None unsets)."""
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("FTLINT_") or k == "NO_COLOR"}
    clean.update(env or {})
    return clean


def ftlint(*args: str | Path, cwd: Path | None = None, env: Mapping[str, str | None] | None = None) -> CliResult:
    """``ftlint ARGS`` run in-process in ``cwd`` (default: the current folder) the way
    :func:`ftlint_process` runs it: no FTLINT_* or NO_COLOR variable, then ``env`` (None unsets).
    Its stdout is not a terminal, so there is no colour unless ``--color always``.

    An exception that escapes the CLI fails the test with its traceback (the CLI turns every error
    into a one-line message and exit 2, so none should); a warning the interpreter would print on
    stderr (Python's default filters) is written to ``stderr`` as it would be there, so a test of
    a clean stderr stays as strict as in a subprocess.
    """
    runner = CliRunner(env=_clean_env(env))
    with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext(), \
            warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.simplefilter("default")
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.simplefilter("ignore", category)
        res = runner.invoke(main, [str(a) for a in args], prog_name="ftlint", catch_exceptions=False)
    printed = "".join(warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line) for w in caught)
    return CliResult(res.exit_code, res.stdout, res.stderr + printed)


def ftlint_process(*args: str | Path, cwd: Path, env: Mapping[str, str | None] | None = None,
                   timeout: float = 120) -> CliResult:
    """``python -m ftlint ARGS`` in a subprocess in ``cwd``: no FTLINT_* or NO_COLOR variable, then
    ``env`` (None unsets). For the tests of the process boundary only; the others use :func:`ftlint`."""
    full = {**os.environ, **_clean_env(env)}
    proc = subprocess.run([sys.executable, "-m", "ftlint", *map(str, args)], cwd=cwd,
                          env={k: v for k, v in full.items() if v is not None},
                          capture_output=True, check=False, text=True, timeout=timeout)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)
