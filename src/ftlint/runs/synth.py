"""Generated training logs, in every format ftlint reads, for tests and the rule-case harness.

``curves(kind)`` gives the canonical curves of one kind of run (``overfit``, ``healthy``,
``underfit``, ``diverged``, ``unfinished``, ``one-eval``, ``no-eval``, ``metric-disagree``,
``scaled``, ``memorising``, ``constant-lr``, ``endless-warmup``); ``write_run(curves, format, folder)``
writes them as the trainer of ``format`` would (``hf``: ``trainer_state.json`` and
``checkpoint-*`` folders; ``llamafactory``: ``trainer_log.jsonl``; ``torchtune``: a DiskLogger
``logs/log_<time>.txt`` and ``epoch_*`` folders; ``torchtune-jsonl``: a metrics JSONL;
``openai``: a job's result CSV) and returns the path to pass to ``--run``. Deterministic: no
randomness, so a case reads the same everywhere.

A case file of the harness (``ftlint.testing``) uses it through ``run:``::

    run: {kind: overfit, format: hf}
    run: {kind: healthy, format: llamafactory, eval: [1.6, 1.3, 1.2, 1.1]}   # override the eval losses
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

KINDS = ("healthy", "overfit", "underfit", "diverged", "unfinished", "one-eval", "no-eval", "metric-disagree",
         "scaled", "memorising", "constant-lr", "endless-warmup")


@dataclass
class Curves:
    """What a generated run logged."""

    train: list[tuple[int, float]]  # (step, training loss), one per logging step
    eval: list[tuple[int, float]] = field(default_factory=list)  # (step, eval loss)
    metrics: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # eval metric -> points
    lr: list[tuple[int, float]] = field(default_factory=list)
    grad_norm: list[tuple[int, float]] = field(default_factory=list)
    total_steps: int = 1000  # the planned length
    steps_per_epoch: int = 250
    log_every: int = 10
    save_every: int = 100  # checkpoint-N folders every this many steps (0: none)
    best_step: int | None = None  # what the trainer recorded as best (None: not tracked)

    @property
    def last_step(self) -> int:
        return max([s for s, _ in self.train] + [s for s, _ in self.eval] or [0])


def _wiggle(step: int, size: float) -> float:
    """A deterministic ripple, so curves are not perfectly smooth."""
    return size * math.sin(step * 0.37) * math.cos(step * 0.11)


def _lr(step: int, total: int, peak: float = 2e-4, warmup: int = 50, kind: str = "linear") -> float:
    if kind == "warmup-only":  # a warm-up longer than the run
        return peak * step / total
    if step < warmup:
        return peak * step / warmup
    if kind == "constant":
        return peak
    return peak * max(total - step, 0) / max(total - warmup, 1)


def _eval_steps(values: list[float], every: int) -> list[tuple[int, float]]:
    return [((i + 1) * every, v) for i, v in enumerate(values)]


def curves(kind: str, **overrides: Any) -> Curves:
    """The canonical curves of ``kind`` (see the module docstring); ``eval=[...]`` replaces the
    eval losses (at steps 100, 200, ...), other keywords replace Curves fields."""
    if kind not in KINDS:
        raise ValueError(f"unknown run kind {kind!r}; expected one of {', '.join(KINDS)}")
    total, every, last, lr_kind = 1000, 10, 1000, "linear"
    train = lambda t: 0.95 + 1.25 * math.exp(-t / 200) + _wiggle(t, 0.01)  # noqa: E731
    grad = lambda t: 0.6 + 0.3 * math.exp(-t / 300) + _wiggle(t, 0.05)  # noqa: E731
    evals: list[float] = [1.60, 1.32, 1.18, 1.10, 1.06, 1.04, 1.03, 1.025, 1.022, 1.021]
    metrics: dict[str, list[float]] = {}
    if kind == "healthy":
        metrics = {"eval_accuracy": [0.50, 0.60, 0.66, 0.70, 0.72, 0.74, 0.75, 0.76, 0.765, 0.77]}
    elif kind == "overfit":
        train = lambda t: 0.70 + 1.5 * math.exp(-t / 250) + _wiggle(t, 0.01)  # noqa: E731
        evals = [1.60, 1.30, 1.15, 1.08, 1.06, 1.075, 1.09, 1.10, 1.115, 1.13]
    elif kind == "underfit":
        train = lambda t: 2.30 + _wiggle(t, 0.01)  # noqa: E731
        evals = [2.29, 2.285, 2.28, 2.28, 2.279, 2.28, 2.279, 2.278, 2.279, 2.278]
    elif kind == "diverged":
        def train(t: int) -> float:
            if t < 420:
                return 0.95 + 1.25 * math.exp(-t / 200) + _wiggle(t, 0.01)
            if t == 470:
                return float("nan")
            return 5.0 + 2.0 * math.sin(t / 40.0) ** 2

        def grad(t: int) -> float:
            if t < 420:
                return 0.6 + _wiggle(t, 0.05)
            return float("nan") if t == 470 else 4000.0 + 100.0 * (t % 7)
        evals = [1.60, 1.32, 1.18, 1.12, 4.5, 6.0, 5.2, 4.9, 4.8, 4.7]
    elif kind == "unfinished":
        last = 600
        evals = [1.60, 1.35, 1.22, 1.14, 1.08, 1.03]
    elif kind == "one-eval":
        evals = []
    elif kind == "no-eval":
        evals = []
    elif kind == "metric-disagree":
        evals = [1.60, 1.30, 1.15, 1.08, 1.06, 1.062, 1.064, 1.066, 1.068, 1.07]
        metrics = {"eval_accuracy": [0.50, 0.60, 0.66, 0.70, 0.72, 0.75, 0.78, 0.80, 0.82, 0.83]}
    elif kind == "scaled":
        train = lambda t: 16.0 * (1.0 + 1.1 * math.exp(-t / 180)) + _wiggle(t, 0.05)  # noqa: E731
        evals = [1.0 + 1.1 * math.exp(-s / 180) for s in range(100, 1001, 100)]
    elif kind == "memorising":
        train = lambda t: 0.005 + 2.0 * math.exp(-t / 120)  # noqa: E731
        evals = []
    elif kind == "constant-lr":
        lr_kind = "constant"
    elif kind == "endless-warmup":
        lr_kind = "warmup-only"
    steps = range(every, last + 1, every)
    eval_points = _eval_steps(evals, 100)
    if kind == "one-eval":
        eval_points = [(500, 1.06)]
    best = min(eval_points, key=lambda p: (p[1], p[0]))[0] if eval_points else None
    c = Curves(train=[(t, train(t)) for t in steps], eval=eval_points,
               metrics={k: _eval_steps(v, 100) for k, v in metrics.items()},
               lr=[(t, _lr(t, total, kind=lr_kind)) for t in steps], grad_norm=[(t, grad(t)) for t in steps],
               total_steps=total, log_every=every, best_step=best)
    if "eval" in overrides:
        c.eval = _eval_steps(list(overrides.pop("eval")), 100)
        c.best_step = min(c.eval, key=lambda p: (p[1], p[0]))[0] if c.eval else None
    return replace(c, **overrides) if overrides else c


# -- writers --------------------------------------------------------------------------------------------

def _epoch(c: Curves, step: int) -> float:
    return round(step / c.steps_per_epoch, 4)


def _finished(c: Curves) -> bool:
    return c.last_step >= c.total_steps


def _checkpoints(c: Curves, folder: Path, name: str = "checkpoint-{}", state: bool = False) -> None:
    """The checkpoint folders of the run; with ``state``, each holds the trainer state of its step
    (as HF's do)."""
    if not c.save_every:
        return
    steps = list(range(c.save_every, c.last_step + 1, c.save_every))
    if _finished(c) and c.last_step not in steps:
        steps.append(c.last_step)
    for s in steps:
        target = folder / name.format(s)
        target.mkdir(parents=True, exist_ok=True)
        if state:
            upto = Curves(train=[p for p in c.train if p[0] <= s], eval=[p for p in c.eval if p[0] <= s],
                          metrics={k: [p for p in v if p[0] <= s] for k, v in c.metrics.items()},
                          lr=c.lr, grad_norm=c.grad_norm, total_steps=c.total_steps,
                          steps_per_epoch=c.steps_per_epoch, log_every=c.log_every, save_every=0,
                          best_step=min(((q, v) for q, v in c.eval if q <= s), key=lambda p: (p[1], p[0]))[0]
                          if c.best_step is not None and any(q <= s for q, _ in c.eval) else None)
            _write_state(upto, target)


def _hf_history(c: Curves) -> list[dict[str, Any]]:
    lr = dict(c.lr)
    grad = dict(c.grad_norm)
    out: list[dict[str, Any]] = []
    evals = dict(c.eval)
    metric_at = {s: {k: v for k, pts in c.metrics.items() for ss, v in pts if ss == s} for s, _ in c.eval}
    for step, loss in c.train:
        out.append({"epoch": _epoch(c, step), "grad_norm": grad.get(step, 0.5),
                    "learning_rate": lr.get(step, 0.0), "loss": round(loss, 4), "step": step})
        if step in evals:
            out.append({"epoch": _epoch(c, step), "eval_loss": evals[step], **metric_at.get(step, {}),
                        "eval_runtime": 12.5, "eval_samples_per_second": 40.0, "eval_steps_per_second": 5.0,
                        "step": step})
    for step, value in c.eval:  # evaluations at steps with no training log
        if step not in dict(c.train):
            out.append({"epoch": _epoch(c, step), "eval_loss": value, **metric_at.get(step, {}), "step": step})
    if _finished(c):
        finite = [loss for _, loss in c.train if math.isfinite(loss)]
        out.append({"epoch": _epoch(c, c.last_step), "step": c.last_step, "total_flos": 1.0e15,
                    "train_loss": sum(finite) / max(len(finite), 1), "train_runtime": 3600.0,
                    "train_samples_per_second": 10.0, "train_steps_per_second": 0.3})
    return sorted(out, key=lambda e: (e["step"], "loss" not in e))


def write_trainer_state(c: Curves, folder: Path, output_dir: str = "outputs") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _write_state(c, folder, output_dir)
    _checkpoints(c, folder, state=True)
    return folder


def _write_state(c: Curves, folder: Path, output_dir: str = "outputs") -> None:
    best = c.best_step
    state = {
        "best_metric": dict(c.eval).get(best) if best is not None else None,
        "best_model_checkpoint": f"{output_dir}/checkpoint-{best}" if best is not None else None,
        "epoch": _epoch(c, c.last_step), "eval_steps": 100 if c.eval else None, "global_step": c.last_step,
        "is_hyper_param_search": False, "is_local_process_zero": True, "is_world_process_zero": True,
        "log_history": _hf_history(c), "logging_steps": c.log_every, "max_steps": c.total_steps,
        "num_input_tokens_seen": 0, "num_train_epochs": c.total_steps // c.steps_per_epoch,
        "save_steps": c.save_every or 500,
        "stateful_callbacks": {"TrainerControl": {"args": {"should_epoch_stop": False, "should_evaluate": False,
                                                           "should_log": False, "should_save": True,
                                                           "should_training_stop": _finished(c)},
                                                  "attributes": {}}},
        "total_flos": 1.0e15, "train_batch_size": 4, "trial_name": None, "trial_params": None,
    }
    path = folder / "trainer_state.json"
    path.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_llamafactory(c: Curves, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lr = dict(c.lr)
    evals = dict(c.eval)
    lines = []

    def pct(step: int) -> float:
        return round(100 * step / c.total_steps, 2)

    for step, loss in c.train:
        lines.append({"current_steps": step, "total_steps": c.total_steps, "loss": round(loss, 4),
                      "lr": lr.get(step, 0.0), "epoch": _epoch(c, step), "percentage": pct(step),
                      "elapsed_time": "0:01:00", "remaining_time": "0:10:00"})
        if step in evals:
            lines.append({"current_steps": step, "total_steps": c.total_steps, "eval_loss": evals[step],
                          "epoch": _epoch(c, step), "percentage": pct(step), "elapsed_time": "0:01:00",
                          "remaining_time": "0:10:00"})
    if _finished(c):
        lines.append({"current_steps": c.last_step, "total_steps": c.total_steps, "epoch": _epoch(c, c.last_step),
                      "percentage": 100.0, "elapsed_time": "1:00:00", "remaining_time": "0:00:00"})
    text = "".join(json.dumps(line) + "\n" for line in lines)
    (folder / "trainer_log.jsonl").write_text(text, encoding="utf-8")
    if c.metrics:  # LLaMA-Factory's own log keeps only the loss: the metrics live in trainer_state.json
        _write_state(c, folder)
    _checkpoints(c, folder, state=True)
    return folder


def _tt_value(v: float) -> str:
    return "nan" if math.isnan(v) else repr(round(v, 6))


def write_torchtune(c: Curves, folder: Path) -> Path:
    logs = folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    lr = dict(c.lr)
    grad = dict(c.grad_norm)
    evals = dict(c.eval)
    out = io.StringIO()
    for step, loss in c.train:
        g = grad.get(step, 0.5)
        gn = "tensor(nan, device='cuda:0')" if math.isnan(g) else f"tensor({g:.4f}, device='cuda:0')"
        out.write(f"Step {step} | loss:{_tt_value(loss)} lr:{lr.get(step, 0.0)} tokens_per_second_per_gpu:1520.3 "
                  f"grad_norm:{gn} \n")
        if step in evals:
            metrics = "".join(f"{k.replace('eval_', 'val_')}:{v} " for k, pts in c.metrics.items()
                              for s, v in pts if s == step)
            out.write(f"Step {step} | val_loss:{evals[step]} {metrics}\n")
    (logs / "log_1700000000.txt").write_text(out.getvalue(), encoding="utf-8")
    epochs = c.last_step // c.steps_per_epoch
    for e in range(epochs):
        (folder / f"epoch_{e}").mkdir(exist_ok=True)
    return folder


def write_metrics_jsonl(c: Curves, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lr = dict(c.lr)
    grad = dict(c.grad_norm)
    evals = dict(c.eval)
    lines = []
    for step, loss in c.train:
        lines.append({"step": step, "loss": loss, "lr": lr.get(step, 0.0), "grad_norm": grad.get(step, 0.5)})
        if step in evals:
            lines.append({"step": step, "val_loss": evals[step],
                          **{k.replace("eval_", "val_"): v for k, pts in c.metrics.items() for s, v in pts if s == step}})
    path = folder / "metrics.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def write_openai(c: Curves, folder: Path) -> Path:
    """A job's result file: one row per logged step; ``valid_loss`` (one batch) and
    ``full_valid_loss`` (the whole file) at the evaluation steps."""
    folder.mkdir(parents=True, exist_ok=True)
    evals = dict(c.eval)
    acc = dict(next(iter(c.metrics.values()), []))
    header = ["step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy", "full_valid_loss",
              "full_valid_mean_token_accuracy"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for step, loss in c.train:
        ev = evals.get(step)
        a = acc.get(step)
        w.writerow([step, "nan" if math.isnan(loss) else round(loss, 5), 0.6,
                    "" if ev is None else round(ev * 1.01, 5), "" if a is None else a,
                    "" if ev is None else ev, "" if a is None else a])
    path = folder / "step_metrics.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@dataclass(frozen=True)
class LogFormat:
    """One kind of log the generator writes: its name in a case (``run: {format: NAME}``), the
    file a trainer writes in it (shown on the rule pages) and the writer. The names are the log
    formats' own (``hf``: the HF Trainer's ``trainer_state.json``, which TRL and Axolotl runs leave
    too), not framework choices: what a framework's run means is the framework adapter's."""

    name: str
    file: str
    write: Callable[[Curves, Path], Path]


#: every log format, in the order the tests go through them
LOG_FORMATS = (
    LogFormat("hf", "trainer_state.json", write_trainer_state),
    LogFormat("llamafactory", "trainer_log.jsonl", write_llamafactory),
    LogFormat("torchtune", "logs/log_*.txt", write_torchtune),
    LogFormat("torchtune-jsonl", "metrics.jsonl", write_metrics_jsonl),
    LogFormat("openai", "step_metrics.csv", write_openai),
)
_BY_NAME = {f.name: f for f in LOG_FORMATS}
FORMATS = tuple(_BY_NAME)


def write_run(c: Curves, fmt: str, folder: Path) -> Path:
    """Write ``c`` as ``fmt`` (a :data:`LOG_FORMATS` name) under ``folder``; returns the path to pass
    to ``--run``."""
    if fmt not in _BY_NAME:
        raise ValueError(f"unknown log format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return _BY_NAME[fmt].write(c, folder)


def from_spec(spec: dict[str, Any], folder: Path) -> Path:
    """A harness case's ``run:`` mapping (``kind``, ``format``, and Curves overrides) written under
    ``folder``."""
    spec = dict(spec)
    fmt = spec.pop("format", "hf")
    kind = spec.pop("kind", "healthy")
    for key in ("train", "lr", "grad_norm"):
        if key in spec and spec[key] and not isinstance(spec[key][0], (list, tuple)):
            every = spec.get("log_every", 10)
            spec[key] = [((i + 1) * every, float(v)) for i, v in enumerate(spec[key])]
        elif key in spec:
            spec[key] = [(int(s), float(v)) for s, v in spec[key]]
    if "metrics" in spec:
        spec["metrics"] = {k: [((i + 1) * 100, float(v)) for i, v in enumerate(vals)] for k, vals in spec["metrics"].items()}
    return write_run(curves(kind, **spec), fmt, folder)


def describe(spec: dict[str, Any]) -> list[str]:
    """A case's generated run in a few lines, for the rule's documentation page."""
    spec = dict(spec)
    fmt = spec.pop("format", "hf")
    kind = spec.pop("kind", "healthy")
    c = curves(kind, **{k: v for k, v in spec.items() if k == "eval"})

    def row(points: list[tuple[int, float]], limit: int = 12, digits: int = 3) -> str:
        pts = points if len(points) <= limit else points[:: max(len(points) // limit, 1)]
        return " ".join(f"{v:.{digits}g}" for _, v in pts)

    file = _BY_NAME[fmt].file if fmt in _BY_NAME else fmt
    lines = [f"{file} ({kind} run, steps {c.train[0][0] if c.train else 0}-{c.last_step} "
             f"of {c.total_steps})"]
    lines.append(f"loss:       {row(c.train)}")
    if c.eval:
        lines.append(f"eval_loss:  {row(c.eval, digits=4)}  (steps {', '.join(str(s) for s, _ in c.eval[:12])})")
    for name, pts in c.metrics.items():
        lines.append(f"{name}: {row(pts)}")
    if kind in ("constant-lr", "endless-warmup"):
        lines.append(f"learning_rate: {row(c.lr)}")
    return lines


__all__ = ["FORMATS", "KINDS", "LOG_FORMATS", "Curves", "LogFormat", "curves", "describe", "from_spec", "write_run"]
