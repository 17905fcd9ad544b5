"""The three real logs of ../shared/runs: the findings a careful reader sees (its SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

from ftlint.api import check
from ftlint.chartspec import Curve
from ftlint.runs import load_run
from ftlint.settings import Settings

ALPACA = "staryskylight__alpacaLora/lora-alpaca__checkpoint-1400__trainer_state.json"
LAW = "aaghaazkhan__law-llm"
MEDICAL = "xueh88401-web__qwen2.5-7b-medical-finetune/trainer_log.jsonl"


def _report(path: Path):
    settings = Settings(root=path.parent)
    settings.cache = False
    return check([], runs=[path], settings=settings, plugins=False)


def _codes(report) -> dict[str, str]:
    return {f.code: f.severity.label for f in report.findings}


def test_alpaca_lora_diverging_run_is_ft804_only(runs_dir: Path) -> None:
    report = _report(runs_dir / ALPACA)
    assert _codes(report) == {"FT804": "error"}
    f = report.findings[0]
    assert "diverged at step 380" in f.message and "the eval loss jumps to 3.886 at step 1000" in f.message
    assert "5.18e+05" in f.message and "nan at step 470" in f.message
    assert "checkpoint-200" in f.fix and "eval_loss 0.938" in f.fix
    assert f.location.line == 278 and f.location.key == "train_loss"
    assert report.exit_code(report.rules[0].severity.ERROR) == 1


def test_law_llm_scaled_training_loss_is_an_artefact_not_underfitting(runs_dir: Path) -> None:
    report = _report(runs_dir / LAW)
    codes = _codes(report)
    assert "FT803" not in codes
    assert codes == {"FT808": "info"}
    msg = report.findings[0].message
    assert "16.8x the eval loss" in msg and "not underfitting" in msg
    # still improving a little at the end of a decayed schedule: converging, not cut short
    assert "FT802" not in codes


def test_llamafactory_medical_run_overfits_at_the_lowest_severity(runs_dir: Path) -> None:
    report = _report(runs_dir / MEDICAL)
    assert _codes(report) == {"FT801": "warning"}
    f = report.findings[0]
    for part in ("rose 1.7%", "minimum 1.552 at step 4500 (epoch 2)", "last 4 evaluations", "overfit after step 4500"):
        assert part in f.message, (part, f.message)
    assert "checkpoint-4500" in f.fix and "`early_stopping_steps: 2`" in f.fix
    assert f.metrics["min_step"] == 4500 and f.metrics["held_evaluations"] == 4
    chart = f.charts[0]
    assert isinstance(chart, Curve)
    assert [s.name for s in chart.series] == ["train loss", "eval loss"]
    assert any(m.kind == "minimum" and m.x == 4500 for m in chart.markers)
    skipped = {o.code: o.reason for o in report.outcomes if o.outcome == "skipped"}
    assert "log on its own" in skipped["FT806"]


def test_readers_take_the_real_logs(runs_dir: Path) -> None:
    law = load_run(runs_dir / LAW)  # the directory: its trainer_state.json
    assert law.framework == "hf" and law.finished is True and len(law.eval_loss) == 6
    assert law.info["eval_steps"] == 100 and law.info["save_steps"] == 500
    alpaca = load_run(runs_dir / ALPACA)
    assert alpaca.best_step == 200 and alpaca.finished is False and alpaca.total_steps == 1560
    assert any(not p.finite for p in alpaca.get("grad_norm"))
    medical = load_run(runs_dir / MEDICAL)
    assert medical.framework == "llamafactory" and len(medical.eval_loss) == 13 and medical.finished is True
