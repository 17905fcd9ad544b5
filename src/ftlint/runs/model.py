"""The normalised run model every reader produces: one :class:`Run` per training log.

A reader (``ftlint.runs.readers``) turns a trainer's log into named series of :class:`Point`
(``train_loss``, ``eval_loss``, ``grad_norm``, ``learning_rate``, ``eval_<metric>``, ...), the
checkpoints it can see, the best checkpoint the trainer recorded, and the configuration values the
log itself carries (``eval_steps``, ``save_steps``, ``max_steps``, ...). The FT8xx rules read only
this model, so a new trainer needs a reader and nothing else.

This module imports nothing from ftlint except the error base class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftlint.errors import InputError

#: series names every reader uses
TRAIN_LOSS = "train_loss"
EVAL_LOSS = "eval_loss"
GRAD_NORM = "grad_norm"
LEARNING_RATE = "learning_rate"

#: the frameworks a run can come from (the adapters' keys; ``hf`` covers TRL, Axolotl and
#: alignment-handbook runs, which leave the same ``trainer_state.json``)
RUN_FRAMEWORKS = ("hf", "trl", "axolotl", "llamafactory", "torchtune", "openai")

#: evaluation metrics where a higher value is better / a lower value is better (matched on the
#: last part of the name, after ``eval_`` and any ``/``)
HIGHER_BETTER = ("accuracy", "accuracies", "acc", "f1", "rouge", "bleu", "exact_match", "em", "precision",
                 "recall", "auc", "margins", "mean_token_accuracy", "bertscore", "reward", "score", "pass",
                 "chrf", "meteor", "mcc", "matthews_correlation")
LOWER_BETTER = ("wer", "cer", "perplexity", "ppl", "error", "ter")
#: ``eval_*`` keys that are not quality metrics
NOT_METRICS = ("runtime", "samples_per_second", "steps_per_second", "samples", "model_preparation_time",
               "tokens", "num_tokens", "loss", "epoch", "step", "logps", "logits", "rewards/chosen",
               "rewards/rejected", "nll_loss", "entropy", "mem", "memory", "flos")


class RunLogError(InputError):
    """A training log that cannot be used at all: a located one-line message, exit code 2."""


@dataclass(frozen=True)
class Point:
    """One logged value: the optimizer step, the value, the epoch (when logged) and the 1-based
    line of the log it came from (None when the format has no lines, e.g. a one-line JSON)."""

    step: int
    value: float
    epoch: float | None = None
    line: int | None = None

    @property
    def finite(self) -> bool:
        return math.isfinite(self.value)


@dataclass(frozen=True)
class Checkpoint:
    """A saved checkpoint found beside the log (``checkpoint-500/``, torchtune ``epoch_2/``)."""

    step: int | None
    name: str
    epoch: int | None = None


@dataclass(frozen=True)
class BadLine:
    """A line of the log that could not be read (a run killed mid-write, a corrupt byte)."""

    line: int | None
    reason: str
    last: bool = False  # the damage is at the very end of the file (the usual kill mid-write)


@dataclass
class Run:
    """A finished (or interrupted) training run, as its log shows it."""

    path: Path  # the log file read
    shown: str  # that file as shown in reports
    root: Path  # the run's output directory (where checkpoints live)
    framework: str  # one of RUN_FRAMEWORKS
    source: str  # what was read, e.g. "HF Trainer trainer_state.json"
    series: dict[str, list[Point]] = field(default_factory=dict)
    #: checkpoints seen beside the log; None when the reader cannot know (a log file on its own)
    checkpoints: list[Checkpoint] | None = None
    #: the best checkpoint the trainer recorded (HF ``best_model_checkpoint``), its step and metric
    best_checkpoint: str | None = None
    best_step: int | None = None
    best_metric: float | None = None
    #: configuration values the log carries: eval_steps, save_steps, logging_steps, max_steps,
    #: num_train_epochs, global_step, train_batch_size, early_stopping_patience, objective ("dpo")
    info: dict[str, Any] = field(default_factory=dict)
    bad_lines: list[BadLine] = field(default_factory=list)
    #: lines (or log entries) that were read
    records: int = 0
    #: the training config (a TrainingPlan) when ``--config`` was given and matches this run, and
    #: what the match found (``ftlint.runs.match``)
    plan: Any = None
    plan_note: str = ""

    # -- series -----------------------------------------------------------------------------------
    def get(self, name: str) -> list[Point]:
        return self.series.get(name, [])

    @property
    def train_loss(self) -> list[Point]:
        return self.get(TRAIN_LOSS)

    @property
    def eval_loss(self) -> list[Point]:
        return self.get(EVAL_LOSS)

    def eval_metrics(self) -> dict[str, list[Point]]:
        """Evaluation quality metrics (accuracy, ROUGE, WER, reward margins, ...) with a known
        direction, by series name."""
        return {k: v for k, v in sorted(self.series.items())
                if k.startswith("eval_") and k != EVAL_LOSS and metric_direction(k) is not None and v}

    @property
    def last_step(self) -> int | None:
        steps = [p.step for pts in self.series.values() for p in pts]
        gs = self.info.get("global_step")
        if isinstance(gs, int) and gs > 0:
            steps.append(gs)
        return max(steps) if steps else None

    @property
    def total_steps(self) -> int | None:
        """The steps the run was set up for (HF ``max_steps``, LLaMA-Factory ``total_steps``)."""
        v = self.info.get("max_steps")
        return v if isinstance(v, int) and v > 0 else None

    @property
    def finished(self) -> bool | None:
        """Whether the run reached its planned end; None when the log does not say."""
        stop = self.info.get("should_training_stop")
        total, last = self.total_steps, self.last_step
        if total is not None and last is not None:
            if last >= total:
                return True
            return bool(stop) if stop is not None else False
        return bool(stop) if stop is not None else None

    def epoch_at(self, step: int) -> float | None:
        """The epoch at ``step`` (interpolated from the logged epochs), when the log has them."""
        pts = sorted({(p.step, p.epoch) for pts in self.series.values() for p in pts if p.epoch is not None})
        if not pts:
            return None
        for (s0, e0), (s1, e1) in zip(pts, pts[1:]):
            if s0 <= step <= s1:
                return e0 if s1 == s0 else e0 + (e1 - e0) * (step - s0) / (s1 - s0)
        if step <= pts[0][0]:
            return pts[0][1] * step / pts[0][0] if pts[0][0] else pts[0][1]
        return pts[-1][1]

    def checkpoint_at(self, step: int) -> Checkpoint | None:
        for c in self.checkpoints or []:
            if c.step == step:
                return c
        return None


def metric_direction(name: str) -> str | None:
    """``"max"`` for a metric where higher is better, ``"min"`` where lower is, None when unknown
    (or not a quality metric: runtime, samples per second, log-probabilities)."""
    low = name.lower()
    for prefix in ("eval_", "valid_", "full_valid_", "train_", "test_"):
        if low.startswith(prefix):
            low = low[len(prefix):]
            break
    if low in NOT_METRICS or low.startswith(("logps", "logits", "rewards/chosen", "rewards/rejected", "mem",
                                             "runtime", "loss")):
        return None
    tail = low.rsplit("/", 1)[-1]

    def named(n: str) -> bool:
        return (tail == n or tail.startswith((n + "_", n + "@")) or tail.endswith("_" + n)
                or (n in ("rouge", "bleu", "f1") and tail.startswith(n)))

    if any(named(n) for n in LOWER_BETTER):
        return "min"
    if any(named(n) for n in HIGHER_BETTER):
        return "max"
    return None


def finite(points: list[Point]) -> list[Point]:
    return [p for p in points if p.finite]


def median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    if not n:
        return float("nan")
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def window_mean(points: list[Point], lo: int, hi: int) -> float | None:
    """The mean of the finite values logged at steps in ``(lo, hi]``; None when there are none."""
    vals = [p.value for p in points if lo < p.step <= hi and p.finite]
    return sum(vals) / len(vals) if vals else None


def downsample(points: list[Point], limit: int) -> list[Point]:
    """At most ``limit`` points: means of consecutive chunks (each at its last step), so a noisy
    per-step series (OpenAI's ``valid_loss``) reads as a curve. The series is kept as is when short."""
    pts = finite(points)
    if len(pts) <= limit:
        return pts
    size = len(pts) / limit
    out = []
    for i in range(limit):
        chunk = pts[int(i * size): int((i + 1) * size)] or pts[int(i * size): int(i * size) + 1]
        out.append(Point(chunk[-1].step, sum(p.value for p in chunk) / len(chunk), chunk[-1].epoch, chunk[-1].line))
    return out
