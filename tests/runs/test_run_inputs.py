"""--run as an input: readers on every format and on damaged logs, the CLI and settings, the phase
selection, matching a run to its training config, and run logs never taken for datasets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftlint.data.load import expand_paths, is_dataset_file
from ftlint.errors import InputError
from ftlint.runs import RunLogError, load_run
from ftlint.runs.synth import curves, write_run
from tests.cli_inprocess import cli, jsonl, work  # noqa: F401 - the fixture

ROWS = [{"messages": [{"role": "user", "content": f"How do I reset router model {i}?"},
                      {"role": "assistant", "content": f"Hold the reset button of model {i} for ten seconds."}]}
        for i in range(30)]
TRL_CONFIG = """model_name_or_path: HuggingFaceTB/SmolLM2-1.7B
dataset_name: HuggingFaceTB/smoltalk
output_dir: outputs
num_train_epochs: 4
eval_strategy: steps
eval_steps: {eval_steps}
save_steps: 100
"""


# -- readers ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,framework,checkpoints", [
    ("hf", "hf", 10), ("llamafactory", "llamafactory", 10), ("torchtune", "torchtune", 4),
    ("torchtune-jsonl", "torchtune", None), ("openai", "openai", None)])
def test_each_format_reads_into_the_same_curves(fmt: str, framework: str, checkpoints: int | None,
                                                tmp_path: Path) -> None:
    c = curves("overfit")
    run = load_run(write_run(c, fmt, tmp_path / "outputs"))
    assert run.framework == framework
    assert [(p.step, round(p.value, 6)) for p in run.eval_loss] == [(s, round(v, 6)) for s, v in c.eval]
    assert len(run.train_loss) == len(c.train)
    assert (len(run.checkpoints) if run.checkpoints is not None else None) == checkpoints
    assert not run.bad_lines


def test_torchtune_tensor_values_and_checkpoint_folder(tmp_path: Path) -> None:
    out = write_run(curves("diverged"), "torchtune", tmp_path / "tt")
    run = load_run(out / "logs" / "log_1700000000.txt")  # the log file itself: its run is the folder above
    assert run.root == out and [c.name for c in run.checkpoints or []] == ["epoch_0", "epoch_1", "epoch_2", "epoch_3"]
    grads = run.get("grad_norm")
    assert grads[0].value == pytest.approx(0.6 + 0.0, abs=0.06) and any(not p.finite for p in grads)
    state = write_run(curves("overfit"), "hf", tmp_path / "hf")
    inner = load_run(state / "checkpoint-500")  # a checkpoint folder: its state, the run's checkpoints
    assert inner.root == state and inner.checkpoints and inner.checkpoint_at(500) is not None


def test_named_eval_datasets_give_the_eval_loss(tmp_path: Path) -> None:
    history = [{"step": s, "loss": 1.0, "eval_train_loss": 0.5, "eval_validation_loss": 1.1} for s in (10, 20, 30)]
    (tmp_path / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    run = load_run(tmp_path)
    assert run.info["eval_source"] == "eval_validation_loss" and [p.value for p in run.eval_loss] == [1.1] * 3


def test_openai_per_batch_validation_is_averaged(tmp_path: Path) -> None:
    rows = ["step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"]
    rows += [f"{s},{2 - s / 400:.4f},0.5,{2.1 - s / 400 + (0.3 if s % 2 else -0.3):.4f},0.5" for s in range(1, 401)]
    path = tmp_path / "step_metrics.csv"
    path.write_text("\n".join(rows) + "\n")
    run = load_run(path)
    assert len(run.eval_loss) == 20 and run.info["eval_source"].startswith("valid_loss")
    assert all(abs(b.value - a.value) < 0.2 for a, b in zip(run.eval_loss, run.eval_loss[1:]))


@pytest.mark.parametrize("name,text,line,needle", [
    ("trainer_state.json", '{\n  "global_step": 3,\n  "log_hist', 3, "not valid JSON"),
    ("trainer_state.json", '{"log_history": [\n{"loss": 1', 2, "cut off or damaged before its first"),
    ("trainer_state.json", '{"global_step": 3}\n', None, "no log_history"),
    ("trainer_log.jsonl", "", None, "empty"),
    ("trainer_log.jsonl", "garbage\nmore garbage\n{\"current_steps\": 1, \"loss\": 2}\n", 1, "2 of 3 lines"),
    ("step_metrics.csv", "step,loss\n1,2\n", 1, "no step and train_loss"),
    ("log_1.txt", "hello\nworld\n", 1, "no readable log line"),
    ("config.yaml", "a: 1\n", None, "not a training log ftlint reads"),
])
def test_unusable_logs_are_located_one_line_errors(name: str, text: str, line: int | None, needle: str,
                                                  tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(RunLogError) as e:
        load_run(path)
    assert needle in e.value.message and e.value.line == line
    assert "\n" not in e.value.located()


def test_unusable_run_exits_2_without_a_traceback(work: Path) -> None:
    (work / "outputs").mkdir()
    (work / "outputs" / "trainer_state.json").write_bytes(b'{"log_history": [{"lo')
    res = cli("check", "--run", "outputs", "--isolated", "--no-cache")
    assert res.exit_code == 2
    assert res.output.startswith("ftlint: error: outputs/trainer_state.json:1: not valid JSON")
    assert "Traceback" not in res.output and res.output.count("\n") == 1
    res = cli("check", "--run", "nowhere", "--isolated")
    assert res.exit_code == 2 and "nowhere: no such file or directory" in res.output
    (work / "empty").mkdir()
    res = cli("check", "--run", "empty", "--isolated")
    assert res.exit_code == 2 and "no training log here" in res.output


# -- the command line -----------------------------------------------------------------------------------

def _json(res) -> dict:
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)


def test_run_alone_checks_the_run_rules_only(work: Path) -> None:
    write_run(curves("overfit"), "hf", work / "outputs")
    report = _json(cli("check", "--run", "outputs/", "--isolated", "--no-cache", "--output-format", "json"))
    assert {r["code"] for r in report["rules"]} == {f"FT8{n:02d}" for n in range(1, 11)} | {"FT901", "FT902", "FT903"}
    assert [f["code"] for f in report["findings"]] == ["FT801"]
    (run,) = report["inputs"]
    assert run["role"] == "run" and run["path"] == "outputs/trainer_state.json" and run["evaluations"] == 10
    text = cli("check", "--run", "outputs", "--isolated", "--no-cache")
    assert text.exit_code == 0  # a warning: --fail-on error by default
    assert "  run        outputs/trainer_state.json" in text.output and "FT801 overfitting" in text.output
    write_run(curves("diverged"), "llamafactory", work / "bad")
    assert cli("check", "--run", "bad", "--isolated", "--no-cache").exit_code == 1


def test_run_with_data_and_config_reports_both(work: Path) -> None:
    jsonl(work / "train.jsonl", ROWS)
    write_run(curves("overfit", best_step=None), "hf", work / "outputs")
    (work / "train.yaml").write_text(TRL_CONFIG.format(eval_steps=100))
    report = _json(cli("check", "train.jsonl", "--config", "train.yaml", "--run", "outputs", "--isolated",
                       "--no-cache", "--output-format", "json"))
    codes = {f["code"] for f in report["findings"]}
    assert {"FT801", "FT806"} <= codes and any(c.startswith(("FT0", "FT1", "FT6")) for c in codes)
    run = next(i for i in report["inputs"] if i["role"] == "run")
    assert run["config"] == "matches train.yaml (output_dir, eval_steps, save_steps, num_train_epochs)"
    ft806 = next(f for f in report["findings"] if f["code"] == "FT806")
    assert "`load_best_model_at_end` is unset" in ft806["message"]
    (work / "train.yaml").write_text(TRL_CONFIG.format(eval_steps=250))
    report = _json(cli("check", "--config", "train.yaml", "--run", "outputs", "--isolated", "--no-cache",
                       "--output-format", "json", "--select", "FT8"))
    run = next(i for i in report["inputs"] if i["role"] == "run")
    assert run["config"].startswith("differs from train.yaml (eval_steps 100 in the run, 250 in the config)")
    assert "FT806" not in {f["code"] for f in report["findings"]}


def test_settings_name_the_run_and_data_checks_leave_run_rules_out(work: Path) -> None:
    jsonl(work / "train.jsonl", ROWS)
    write_run(curves("diverged"), "torchtune", work / "tt")
    (work / "ftlint.toml").write_text('run = "tt"\n')
    report = _json(cli("check", "--no-cache", "--output-format", "json", "--select", "FT804"))
    assert [f["code"] for f in report["findings"]] == ["FT804"]
    report = _json(cli("check", "train.jsonl", "--isolated", "--no-cache", "--output-format", "json"))
    assert not any(r["code"].startswith("FT8") for r in report["rules"])  # no run: no run rules
    report = _json(cli("check", "train.jsonl", "--isolated", "--no-cache", "--output-format", "json",
                       "--select", "FT801"))
    (outcome,) = report["rules"][:1]
    assert outcome["code"] == "FT801" and outcome["outcome"] == "skipped"
    assert outcome["reason"] == "no training run given" and "--run" in outcome["fix"]


def test_outputs_never_overwrite_the_run_log(work: Path) -> None:
    write_run(curves("healthy"), "llamafactory", work / "outputs")
    res = cli("check", "--run", "outputs", "--isolated", "-o", "outputs/trainer_log.jsonl")
    assert res.exit_code == 2 and "trainer_log.jsonl" in res.output
    assert (work / "outputs" / "trainer_log.jsonl").read_text().startswith('{"current_steps"')


# -- run logs are never data -----------------------------------------------------------------------------

def test_run_logs_and_output_folders_are_not_datasets(work: Path) -> None:
    out = write_run(curves("overfit"), "hf", work / "outputs")
    (out / "all_results.json").write_text('{"eval_loss": 1.0}')
    (out / "checkpoint-500" / "adapter_config.json").write_text("{}")
    lf = write_run(curves("healthy"), "llamafactory", work / "lf")
    csv = write_run(curves("healthy"), "openai", work / "oa")
    tj = write_run(curves("healthy"), "torchtune-jsonl", work / "tj")
    data = jsonl(work / "train.jsonl", ROWS)
    for p in (out / "trainer_state.json", out / "all_results.json", out / "checkpoint-500" / "adapter_config.json",
              lf / "trainer_log.jsonl", csv, tj):
        assert not is_dataset_file(p), p
    assert is_dataset_file(data)
    with pytest.raises(InputError, match="training run's output directory .* `--run outputs`"):
        expand_paths([Path("outputs")])
    with pytest.raises(InputError, match="a training run's log, not data: check the run with `--run oa/"):
        expand_paths([csv.relative_to(work)])
    (work / "data").mkdir()
    jsonl(work / "data" / "train.jsonl", ROWS)
    write_run(curves("healthy"), "openai", work / "data")  # a job's result file beside the data
    assert [p.name for p in expand_paths([Path("data")])] == ["train.jsonl"]
    res = cli("check", "--skip-non-datasets", str(out / "trainer_state.json"), str(lf / "trainer_log.jsonl"),
              str(csv), "--isolated")
    assert res.exit_code == 0 and "no dataset files among the given paths" in res.output
    report = _json(cli("check", "--skip-non-datasets", "train.jsonl", str(lf / "trainer_log.jsonl"), "--isolated",
                       "--no-cache", "--output-format", "json"))
    assert [i["path"] for i in report["inputs"]] == ["train.jsonl"]


def test_several_runs_are_judged_each_on_its_own(work: Path) -> None:
    write_run(curves("overfit"), "hf", work / "a")
    write_run(curves("healthy"), "llamafactory", work / "b")
    write_run(curves("diverged"), "openai", work / "c")
    report = _json(cli("check", "--run", "a", "--run", "b", "--run", "c/step_metrics.csv", "--isolated",
                       "--no-cache", "--output-format", "json"))
    assert sorted((f["code"], f["location"]["path"]) for f in report["findings"]) == [
        ("FT801", "a/trainer_state.json"), ("FT804", "c/step_metrics.csv")]
    assert [i["path"] for i in report["inputs"]] == ["a/trainer_state.json", "b/trainer_state.json",
                                                     "c/step_metrics.csv"]
    assert len({f["fingerprint"] for f in report["findings"]}) == 2


@pytest.mark.parametrize("fmt", ["hf", "llamafactory"])
def test_run_report_in_html_plots_the_curve(work: Path, fmt: str) -> None:
    """Issue 16 part 3: the HTML report of ``--run`` draws the finding's curves (training and eval
    loss against step) with the minimum, the checkpoints and the recorded best checkpoint marked."""
    import xml.etree.ElementTree as ET

    write_run(curves("overfit"), fmt, work / "outputs")
    res = cli("check", "--run", "outputs", "--isolated", "--no-cache", "--output-format", "html")
    assert res.exit_code == 0, res.output
    page = res.stdout
    start = page.index('<svg class="chart"')
    svg = ET.fromstring(page[start:page.index("</svg>", start) + len("</svg>")])
    assert "overfitting after step 500" in svg.get("aria-label", "")
    titles = {t.text for t in svg.iter("title")}
    assert {"train loss", "eval loss"} <= titles
    lines = {el.findtext("title"): el.get("stroke") for el in svg.iter("line") if el.get("class") == "marker"}
    assert "minimum 1.060 (step 500, 1.06)" in lines  # the minimum, on the eval loss (a dot at its y)
    assert any(c.get("class") == "marker-dot" for c in svg.iter("circle"))
    checkpoints = sorted(t for t in lines if t.startswith("checkpoint-"))
    assert len(checkpoints) == 10 and "checkpoint-500 (step 500)" in checkpoints
    assert "best: checkpoint-500 (step 500)" in lines
    assert len(set(lines.values())) == 3  # minimum, checkpoints and best each in their own colour
    assert page.count('<svg class="chart"') == 1  # one finding (FT801), one chart
