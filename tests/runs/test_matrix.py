"""Every kind of run, in every log format: the FT8xx rules that fire, and only those."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftlint.api import check
from ftlint.runs.synth import FORMATS, KINDS, curves, write_run
from ftlint.settings import Settings

EXPECTED = {
    "healthy": {},
    "overfit": {"FT801": "warning"},
    "underfit": {"FT803": "warning"},
    "diverged": {"FT804": "error"},
    "unfinished": {"FT802": "warning"},
    "one-eval": {"FT805": "warning"},
    "no-eval": {"FT805": "warning"},
    "metric-disagree": {"FT807": "warning"},
    "scaled": {"FT808": "info"},
    "memorising": {"FT805": "warning"},
    "constant-lr": {"FT809": "info"},
    "endless-warmup": {"FT809": "warning"},
}
#: an OpenAI result file has no learning-rate column
NO_LR = {("constant-lr", "openai"), ("endless-warmup", "openai")}


def test_every_kind_has_an_expectation() -> None:
    assert set(EXPECTED) == set(KINDS)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_kind_fires_its_rules_and_only_those(kind: str, fmt: str, tmp_path: Path) -> None:
    path = write_run(curves(kind), fmt, tmp_path / "outputs")
    settings = Settings(root=tmp_path)
    settings.cache = False
    report = check([], runs=[path], settings=settings, plugins=False)
    got = {f.code: f.severity.label for f in report.findings}
    want = {} if (kind, fmt) in NO_LR else EXPECTED[kind]
    assert got == want, [f.message for f in report.findings]
    assert not report.failed_rules
    for f in report.findings:
        assert f.charts and f.charts[0].kind == "curve" and f.charts[0].series
    assert [i.role for i in report.inputs] == ["run"]


@pytest.mark.parametrize("seed", range(5))
def test_noisy_per_step_losses_are_not_spikes(seed: int, tmp_path: Path) -> None:
    """An OpenAI job logs one loss per (small) batch: log-normal noise of 35% is not divergence,
    and a converged run is not 'still improving'."""
    import math
    import random

    rng = random.Random(seed)
    rows = ["step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy,full_valid_loss,"
            "full_valid_mean_token_accuracy"]
    n = 300
    for s in range(1, n + 1):
        base = 0.6 + 1.2 * math.exp(-s / 25)
        valid = f"{(base + 0.05) * math.exp(rng.gauss(0, 0.35)):.4f},0.7" if s % 5 == 0 else ","
        full = f"{base + 0.05:.4f},0.7" if s % 100 == 0 else ","
        rows.append(f"{s},{base * math.exp(rng.gauss(0, 0.35)):.4f},0.7,{valid},{full}")
    (tmp_path / "step_metrics.csv").write_text("\n".join(rows) + "\n")
    settings = Settings(root=tmp_path)
    settings.cache = False
    report = check([], runs=[tmp_path / "step_metrics.csv"], settings=settings, plugins=False)
    assert report.findings == [], [f.message for f in report.findings]
