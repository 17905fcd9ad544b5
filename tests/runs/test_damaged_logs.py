"""A log cut off at any byte (a run killed mid-write) is read or refused with a located one-line
error: never a traceback, never a failed rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftlint.api import check
from ftlint.runs import RunLogError, load_run
from ftlint.runs.synth import FORMATS, curves, write_run
from ftlint.settings import Settings

LOG = {"hf": "trainer_state.json", "llamafactory": "trainer_log.jsonl", "torchtune": "logs/log_1700000000.txt",
       "torchtune-jsonl": "metrics.jsonl", "openai": "step_metrics.csv"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_log_cut_anywhere_reads_or_fails_cleanly(fmt: str, tmp_path: Path) -> None:
    c = curves("overfit", train=curves("overfit").train[::4])  # a shorter log: more cuts per second
    out = write_run(c, fmt, tmp_path / "full")
    full = (out if out.is_dir() else out.parent) / LOG[fmt] if out.is_dir() else out
    data = full.read_bytes()
    settings = Settings(root=tmp_path)
    settings.cache = False
    read = refused = 0
    cuts = sorted({*range(0, len(data), max(len(data) // 60, 1)), len(data) - 1, len(data) - 2})
    for n, cut in enumerate(cuts):
        target = tmp_path / f"cut{n}" / LOG[fmt]
        target.parent.mkdir(parents=True)
        target.write_bytes(data[:cut])
        try:
            run = load_run(target)
        except RunLogError as e:  # some cuts are refused, some read: both are counted
            assert "\n" not in e.located() and e.path  # noqa: PT017
            refused += 1
            continue
        read += 1
        if n % 6 == 0:  # the rules on some of them
            report = check([], runs=[target], settings=settings, plugins=False)
            assert not report.failed_rules, [o.reason for o in report.failed_rules]
            if run.bad_lines:
                assert any(f.code == "FT810" for f in report.findings)
    assert read and refused
