"""FT801-FT810: a finished run's curves (``--run``): overfitting, stopping too soon, underfitting,
divergence, too few evaluations, the best checkpoint lost, a metric that disagrees with the loss,
logging artefacts, the learning-rate schedule and damaged logs.

Every rule reads the runs in ``ctx.runs`` (``ftlint.runs.Run``, one per ``--run``) through the
judgements of ``ftlint.runs.analysis``, and attaches the run's curves to each finding as a
``ftlint.chartspec.Curve``. The thresholds were chosen on the real logs in ``../shared/runs`` (see
each rule's page); the training config, when given with ``--config`` and matching the run, adds
the keys the messages quote.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ftlint.chartspec import Curve, Marker, Series
from ftlint.context import Context
from ftlint.features.labels import label_info
from ftlint.grammar import plural
from ftlint.model import Finding, Location, Severity
from ftlint.rule import Need, Rule, Skip
from ftlint.runs import analysis as an
from ftlint.runs.analysis import fmt
from ftlint.runs.model import EVAL_LOSS, LEARNING_RATE, TRAIN_LOSS, Point, Run, downsample, finite
from ftlint.training.adapter import FrameworkAdapter
from ftlint.training.adapters import adapter_for, adapter_named

#: points of the training loss drawn per chart
CHART_POINTS = 400


# -- shared helpers ---------------------------------------------------------------------------------------

def _pts(points: list[Point]) -> tuple[tuple[float, float], ...]:
    return tuple((float(p.step), float(p.value)) for p in points if p.finite)


def run_curve(run: Run, title: str, markers: list[Marker] | None = None, metric: str | None = None,
              note: str = "") -> Curve:
    """The run's training and evaluation loss against step (and one task metric on the right axis),
    with the checkpoints and the recorded best checkpoint marked, plus ``markers``."""
    series = []
    train = downsample(run.train_loss, CHART_POINTS)
    if train:
        series.append(Series("train loss", _pts(train)))
    if an.evals(run):
        series.append(Series("eval loss", _pts(an.evals(run))))
    metrics = run.eval_metrics()
    name = metric if metric in metrics else next(iter(metrics), None)
    if name is not None:
        series.append(Series(name, _pts(metrics[name]), axis="right"))
    marks = list(markers or [])
    for c in run.checkpoints or []:
        if c.step is not None:
            marks.append(Marker(float(c.step), c.name, kind="checkpoint"))
    if run.best_step is not None:
        marks.append(Marker(float(run.best_step), f"best: checkpoint-{run.best_step}", kind="best"))
    values = [y for s in series if s.axis == "left" for _, y in s.points if y > 0]
    log_y = bool(values) and max(values) / min(values) > 20
    return Curve(title=title, x_label="step", y_label="loss", series=tuple(series), markers=tuple(marks),
                 log_y=log_y, note=note)


def _plan(run: Run) -> Any:
    return run.plan


def adapter_of(run: Run) -> FrameworkAdapter:
    """The framework adapter of the run: its matched config's (bound to the config's variant), else
    the one named by the log (``Run.framework``)."""
    return adapter_for(run.plan) if run.plan is not None else adapter_named(run.framework)


def checkpoint_name(run: Run, step: int) -> str:
    """How the run's framework names the checkpoint of ``step`` (``checkpoint-500``, ``epoch_1``)."""
    return adapter_of(run).checkpoint_name(step, run.epoch_at(step))


def _plan_value(run: Run, *path: str) -> Any:
    """A value the matched training config sets explicitly (``early_stopping.load_best_model_at_end``)."""
    obj: Any = run.plan
    if obj is None:
        return None
    for part in path:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj.value if getattr(obj, "from_config", False) else None


def _raw(run: Run, key: str) -> Any:
    raw = getattr(run.plan, "raw", None)
    return raw.get(key) if isinstance(raw, dict) else None


def _save_steps(run: Run) -> int | None:
    """The steps between checkpoints: the matching config's ``save_steps``, else the log's when the
    checkpoint folders bear it out (HF records ``save_steps`` whatever the save strategy, so on its
    own it does not say that checkpoints were saved every so many steps)."""
    v = _plan_value(run, "early_stopping", "save_steps")
    if isinstance(v, (int, float)) and v >= 1:
        return int(v)
    v = run.info.get("save_steps")
    steps = [c.step for c in run.checkpoints or [] if c.step is not None]
    if isinstance(v, int) and v >= 1 and steps and all(s % v == 0 for s in steps[:-1]):
        return v
    return None


def _epoch(run: Run, step: int) -> str:
    e = run.epoch_at(step)
    return f" (epoch {e:.2g})" if e is not None else ""


def checkpoint_phrase(run: Run, step: int) -> tuple[str, bool | None]:
    """How to name the weights of ``step`` and whether they were saved (None: unknown)."""
    name = checkpoint_name(run, step)
    if adapter_of(run).checkpoints_per_epoch:
        return name, None
    if run.best_step == step and run.best_checkpoint:
        saved = None if run.checkpoints is None else run.checkpoint_at(step) is not None
        if saved is False:
            return f"{name} (the run's best_model_checkpoint, no longer in {run.root.name}/)", False
        return f"{name} (the run's best_model_checkpoint)", True
    if run.checkpoints is not None:
        if run.checkpoint_at(step) is not None:
            return name, True
        kept = ", ".join(c.name for c in run.checkpoints[-3:])
        return f"{name}, which is not saved (the folder has {kept})", False
    save = _save_steps(run)
    if save:
        if step % save == 0:
            return f"{name} (save_steps {save} saves it)", None
        return f"the step-{step} weights, which save_steps {save} did not save", False
    return f"{name}, if it was saved", None


class Why(str):
    """Why a run cannot be judged, with how to make it judgeable (the skip's fix) when that differs
    from the rule's own ``skip_fix``."""

    fix: str = ""

    def __new__(cls, reason: str, fix: str = "") -> Why:
        obj = super().__new__(cls, reason)
        obj.fix = fix
        return obj


class _RunRule(Rule):
    """Base of the FT8xx rules: each run is judged on its own; a rule that can judge none of the
    runs is skipped with the first reason."""

    abstract = True
    requires = frozenset({Need.RUN})
    skip_fix: str = ""
    #: a run with fewer evaluations than the rule's ``min_evaluations`` option is not judged
    needs_evaluations: bool = False
    #: the rule judges how the model fits, which a diverged run (FT804) says nothing about
    judges_fit: bool = False

    def judge(self, run: Run, ctx: Context) -> list[Finding] | str:  # pragma: no cover - abstract
        raise NotImplementedError

    def check(self, ctx: Context) -> Iterator[Finding]:
        reasons: list[str] = []
        produced = False
        for run in ctx.runs:
            out = self._unjudgeable(run) or self.judge(run, ctx)
            if isinstance(out, str):  # why this run cannot be judged
                reasons.append(out)
                continue
            for f in out:
                produced = True
                yield f
        if not produced and reasons and len(reasons) == len(ctx.runs):
            more = f" (and {len(reasons) - 1} other run{'s' if len(reasons) > 2 else ''})" if len(reasons) > 1 else ""
            raise Skip(reasons[0] + more, getattr(reasons[0], "fix", "") or self.skip_fix)

    def _unjudgeable(self, run: Run) -> str | None:
        """Why ``run`` cannot be judged before the rule looks at it (None: it can)."""
        few = _few_evals(run, self.options.min_evaluations) if self.needs_evaluations else None
        return few or (_diverged(run) if self.judges_fit else None)

    def run_finding(self, run: Run, message: str, fix: str, *, point: Point | None = None, key: str = EVAL_LOSS,
                    metrics: dict[str, Any] | None = None, escalate: bool = False, chart: Curve | None = None,
                    escalated_by: str | None = None) -> Finding:
        f = self.finding(message, fix, location=Location(path=run.shown, line=point.line if point else None, key=key),
                         metrics={"framework": run.framework, **(metrics or {})}, escalate=escalate,
                         escalated_by=escalated_by)
        if chart is not None:
            f.charts.append(chart)
        return f


def _few_evals(run: Run, need: int) -> str | None:
    n = len(an.evals(run))
    if n < need:
        return (f"{run.shown} has {n} evaluation{'s' if n != 1 else ''}, fewer than the {need} this check needs "
                "(FT805 reports it)")
    return None


def _diverged(run: Run) -> str | None:
    d = an.divergence(run)
    if d is not None:
        return Why(f"{run.shown} diverged at step {d.step} (FT804): its curves say nothing about fit after that",
                   "fix the divergence first (FT804), then judge the new run")
    return None


# -- FT801 ----------------------------------------------------------------------------------------------

class Overfitting(_RunRule):
    """The validation loss rose from its minimum and stayed up while the training loss kept falling.

    ## What it does
    Reads the run's evaluation losses and finds their minimum. It reports the run when the
    evaluations after the minimum stay above it by more than `min-rise` (1%) for at least
    `min-held` (3) evaluations in a row up to the end of the run — a rise that persists, not one
    bump — while the training loss kept falling over the same steps (by at least 1%). The message
    gives the step (and epoch) of the minimum, the rise, the checkpoint to use, and the
    early-stopping setting, in the framework's own keys, that would have stopped the run there
    (the smallest patience, from 2 up, with which patience-based stopping keeps that minimum).
    A run that diverged (FT804) is left to FT804.

    ## Why it matters
    When validation loss climbs while training loss falls, the model is learning the training
    set rather than the task: every step after the minimum makes the final weights worse on new
    data, and the run ends on them unless it loads its best checkpoint. Of 20 public run logs read
    by hand, 7 overfit by eval loss. The thresholds were set on real logs: a LLaMA-Factory
    Qwen2.5-7B SFT run whose eval loss rose 1.7% after epoch 2 and stayed up for its last four
    evaluations is reported (a warning: the loss to recover is small but certain), while the
    evaluation-to-evaluation wobble of a converging run (well under 1%) is not. A rise of
    `error-rise` (10%) or more is an error: the final weights are then clearly worse than the
    best ones.

    ## Example
    ```
    eval_loss: 1.641 1.595 1.577 1.569 1.571 1.566 1.561 1.554 1.552 1.573 1.576 1.578 1.578
    ```

    ## How to fix
    Use the checkpoint of the minimum (`checkpoint-N`), and stop the next run there: enable
    early stopping on the eval loss with the best checkpoint loaded at the end (HF/TRL
    `EarlyStoppingCallback` with `load_best_model_at_end: true`; Axolotl
    `early_stopping_patience`; LLaMA-Factory `early_stopping_steps`), or train for fewer epochs.
    More data, a lower learning rate, a smaller LoRA rank or more dropout / weight decay let the
    model go further before it overfits.
    """

    code = "FT801"
    needs_evaluations = judges_fit = True
    name = "overfitting"
    summary = "The validation loss rose from its minimum and stayed up while the training loss kept falling"
    severity = Severity.WARNING
    escalation = "error_rise"
    skip_fix = "evaluate at least 4 times per run (eval_steps) so a rise can be seen"
    option_help = {
        "min_rise": "a rise of the eval loss above its minimum smaller than this share is noise",
        "min_held": "evaluations in a row, up to the end, that must stay above the minimum by min-rise",
        "min_evaluations": "evaluations the run needs before it is judged",
        "error_rise": "a rise of at least this share is an error",
    }

    @dataclass
    class Options:
        min_rise: float = 0.01
        min_held: int = 3
        min_evaluations: int = 4
        error_rise: float = 0.10

    def judge(self, run: Run, ctx: Context) -> list[Finding] | str:
        o = self.options
        of = an.overfitting(run, o.min_rise, o.min_held, o.min_evaluations)
        if of is None:
            return []
        m = of.minimum
        where, saved = checkpoint_phrase(run, m.step)
        adapter = adapter_of(run)
        patience = of.patience or 2
        stop = (f" (patience {of.patience} would have stopped it at step {of.stop_step} and kept step {m.step})"
                if of.patience and of.stop_step else "")
        epoch = run.epoch_at(m.step)
        fewer = ""
        key = adapter.fewer_epochs_key
        if epoch is not None and epoch >= 0.95 and key:
            fewer = f"; or train {plural(math.ceil(epoch - 0.05), 'epoch')} (`{key}`)"
        message = (f"eval_loss rose {of.rise:.1%} from its minimum {fmt(m.value)} at step {m.step}"
                   f"{_epoch(run, m.step)} to {fmt(of.last.value)} at step {of.last.step}, above it for the last "
                   f"{of.held} evaluations, while the training loss kept falling ({fmt(of.train_at_min)} → "
                   f"{fmt(of.train_last)}): the run overfit after step {m.step}")
        use = f"Use {where}" if saved is not False else f"The best weights are {where}"
        fix = (f"{use}: the run ends {of.rise:.1%} worse. Stop there next time with "
               f"{adapter.early_stopping_settings(patience)}{stop}{fewer}.")
        chart = run_curve(run, f"{run.shown}: overfitting after step {m.step}",
                          [Marker(float(m.step), f"minimum {fmt(m.value)}", "minimum", float(m.value))])
        return [self.run_finding(
            run, message, fix, point=m, key=EVAL_LOSS, escalate=of.rise >= o.error_rise, chart=chart,
            metrics={"min_step": m.step, "min_eval_loss": round(m.value, 6), "last_step": of.last.step,
                     "last_eval_loss": round(of.last.value, 6), "rise": round(of.rise, 6),
                     "held_evaluations": of.held, "train_loss_at_min": round(of.train_at_min, 6),
                     "train_loss_last": round(of.train_last, 6), "patience": of.patience,
                     "stop_step": of.stop_step})]


# -- FT802 ----------------------------------------------------------------------------------------------

class StoppedWhileImproving(_RunRule):
    """Both losses were still falling when the run ended (or was cut short).

    ## What it does
    Reports a run whose last three evaluations each improved on the one before, whose eval loss
    fell by at least `min-gain` (2%) over the last `tail` (20%) of its steps, and whose training
    loss fell over the same steps. The message says how much the last evaluations still gained,
    and whether the log stops before the planned end (`max_steps` / `total_steps`).

    ## Why it matters
    A run that ends while validation loss is still clearly falling is undertrained: more steps
    would have given a better model at no risk the curves show yet. When the log stops before
    its planned last step, the run was killed (time limit, pre-emption, out of memory) and the
    weights are those of a half-finished schedule. The 2% bar comes from the real logs: a
    Qwen2.5-3B LoRA run whose eval loss still fell 1.3% in its last 17% of steps, with the
    learning rate decayed to nearly zero, was converging, not cut short, and is not reported.

    ## Example
    ```
    eval_loss: 1.20 1.05 0.96 0.90 0.85   (steps 200..1000, still falling 5% per evaluation)
    ```

    ## How to fix
    Train longer (more epochs or `max_steps`) with early stopping on the eval loss so the run
    stops by itself when it stops improving; if the run was killed, resume it from its last
    checkpoint (`resume_from_checkpoint`).
    """

    code = "FT802"
    needs_evaluations = judges_fit = True
    name = "stopped-while-improving"
    summary = "Both losses were still falling when the run ended (undertrained or cut short)"
    severity = Severity.WARNING
    skip_fix = "evaluate at least 3 times per run (eval_steps)"
    option_help = {
        "min_gain": "the eval loss must still fall by at least this share over the tail of the run",
        "tail": "the share of the run's last steps the gain is measured over",
        "min_evaluations": "evaluations the run needs before it is judged",
    }

    @dataclass
    class Options:
        min_gain: float = 0.02
        tail: float = 0.2
        min_evaluations: int = 3

    def judge(self, run: Run, ctx: Context) -> list[Finding] | str:
        o = self.options
        imp = an.still_improving(run, o.min_gain, o.tail, o.min_evaluations)
        if imp is None:
            return []
        cut = ""
        total, last = run.total_steps, run.last_step
        if run.finished is False and total and last:
            cut = f"; the log stops at step {last} of {total}"
        message = (f"eval_loss still fell {imp.gain:.1%} over the last steps ({fmt(imp.start.value)} at step "
                   f"{imp.start.step} → {fmt(imp.last.value)} at step {imp.last.step}), and the training loss with it "
                   f"({fmt(imp.train_start)} → {fmt(imp.train_last)}){cut}: the run "
                   + ("was cut short" if cut else "ended") + " while still improving")
        if cut:
            fix = (f"Resume the run from its last checkpoint (`resume_from_checkpoint`) to finish its {total} steps; "
                   f"with early stopping ({adapter_of(run).early_stopping_settings()}) it ends when the eval loss "
                   "stops improving.")
        else:
            fix = (f"Train longer (more epochs or steps) with early stopping so the run ends when the eval loss stops "
                   f"improving: {adapter_of(run).early_stopping_settings()}.")
        chart = run_curve(run, f"{run.shown}: still improving at step {imp.last.step}",
                          [Marker(float(imp.last.step), f"last eval {fmt(imp.last.value)}", "mark",
                                  float(imp.last.value))])
        return [self.run_finding(run, message, fix, point=imp.last, chart=chart,
                               metrics={"gain": round(imp.gain, 6), "from_step": imp.start.step,
                                        "last_step": imp.last.step, "total_steps": total,
                                        "cut_short": bool(cut)})]


# -- FT803 ----------------------------------------------------------------------------------------------

class Underfitting(_RunRule):
    """The model learned little: a flat, high loss level with validation, a DPO loss stuck at ln 2,
    or a metric no better than the majority class.

    ## What it does
    Reports a run where (1) the training loss barely moved — the mean of its last tenth is within
    `min-drop` (5%) of the mean of its first tenth — and the last eval loss is within
    `train-eval-gap` (10%) of it and no better than where it started; or (2) a DPO run (its log
    has `rewards/*`) whose losses end within `baseline-margin` (0.02) of ln 2 = 0.693, the loss of
    a policy that prefers neither response; or (3) an accuracy-like eval metric that never beats
    the share of the majority class of the labelled validation (or training) data given with it.
    A diverged run (FT804) and a training loss that is a multiple of the eval loss (FT808) are
    not judged by (1).

    ## Why it matters
    A loss that stays where it started, level with validation, means the updates changed little:
    the learning rate is too low, the run too short, the adapter too small, the data already
    what the model produces, or the loss masks out what should be learned. It is the mistake
    users fear next to overfitting, and the log shows it plainly. A training loss far above the
    eval loss is not underfitting when the ratio is constant (a logging artefact, FT808): one
    real Qwen2.5-3B run logged a training loss about 16 times its eval loss all along while both
    fell.

    ## Example
    ```
    loss: 2.31 2.30 2.30 2.29 2.30 2.29 ...   eval_loss: 2.28 2.28 2.27
    ```

    ## How to fix
    Raise the learning rate (LoRA usually wants 1e-4 to 3e-4), train for more steps, raise the
    LoRA rank or target more modules, and check that the loss mask keeps the response tokens;
    for DPO, check that chosen and rejected differ and `beta` is not tiny.
    """

    code = "FT803"
    judges_fit = True
    name = "underfitting"
    summary = "The loss stayed high and flat, level with validation, or at a trivial baseline"
    severity = Severity.WARNING
    option_help = {
        "min_drop": "a training loss that moved less than this share over the run is flat",
        "train_eval_gap": "the eval loss must be within this share of the training loss",
        "baseline_margin": "a DPO loss within this distance of ln 2 has not left the baseline",
        "majority_margin": "an accuracy-like metric within this of the majority share is no better than it",
    }

    @dataclass
    class Options:
        min_drop: float = 0.05
        train_eval_gap: float = 0.10
        baseline_margin: float = 0.02
        majority_margin: float = 0.01

    def judge(self, run: Run, ctx: Context) -> list[Finding] | str:
        o = self.options
        if len(finite(run.train_loss)) < 3 and not an.evals(run):
            return f"{run.shown} has no loss curve to judge"
        uf = an.underfitting(run, o.min_drop, o.train_eval_gap, o.baseline_margin)
        if uf is not None and uf.kind == "flat" and an.scale_artefact(run) is not None:
            uf = None
        if uf is None:
            uf = self._majority(run, ctx)
        if uf is None:
            return []
        if uf.kind == "baseline":
            message = f"{uf.detail}"
            fix = ("Check that chosen and rejected responses really differ, raise the learning rate or `beta`, and "
                   "that the reference model is the policy's starting point.")
        elif uf.kind == "majority":
            message = uf.detail
            fix = ("The classifier learned no more than the class prior: raise the learning rate, train longer, check "
                   "the labels map to the prompts (FT301/FT302), or rebalance the classes (FT103).")
        else:
            message = f"{uf.detail}: the model learned little (underfitting)"
            lr = finite(run.get(LEARNING_RATE))
            peak = f" (it peaked at {fmt(max(p.value for p in lr))})" if lr else ""
            fix = (f"Raise the learning rate{peak}, train for more steps, raise the LoRA rank or target more modules, "
                   "and check the loss mask keeps the response tokens.")
        chart = run_curve(run, f"{run.shown}: underfitting")
        points = an.evals(run) or finite(run.train_loss)
        last = points[-1] if points else None
        return [self.run_finding(run, message, fix, point=last, key=EVAL_LOSS if an.evals(run) else TRAIN_LOSS,
                               chart=chart, metrics={"kind": uf.kind, "train_start": _r(uf.start),
                                                     "train_end": _r(uf.end), "eval_last": _r(uf.eval_last)})]

    def _majority(self, run: Run, ctx: Context) -> an.Underfit | None:
        metrics = {k: v for k, v in run.eval_metrics().items()
                   if k.rsplit("/", 1)[-1].removeprefix("eval_") in ("accuracy", "acc")}
        if not metrics or not ctx.splits:
            return None
        split = "validation" if "validation" in ctx.splits else "test" if "test" in ctx.splits else "train"
        labels = ctx.artifact(label_info, split)
        if labels is None:
            return None
        counts = labels.counts()
        if len(counts) < 2:
            return None
        share = max(counts.values()) / sum(counts.values())
        name, pts = next(iter(metrics.items()))
        best = max(p.value for p in finite(pts)) if finite(pts) else None
        if best is None or best > share + self.options.majority_margin:
            return None
        return an.Underfit("majority", f"{name} never beats the majority class: best {best:.3f}, while always "
                                       f"answering the most common label of the {split} data scores {share:.3f}",
                           eval_last=best)


def _r(v: float | None) -> float | None:
    return round(v, 6) if v is not None else None


# -- FT804 ----------------------------------------------------------------------------------------------

class Divergence(_RunRule):
    """The run diverged: loss spikes against its running median, NaN/inf losses, gradient-norm
    blow-ups.

    ## What it does
    Reports a run where (1) the training loss jumps above `spike-factor` (2x) its running median
    (of the previous 10 logged values, and by at least `min-spike`, 0.25) for at least two logged
    points in a row, (2) a loss is NaN or infinite, (3) an eval loss jumps above `spike-factor`
    times the best evaluation before it, or (4) the gradient norm is non-finite or above
    `grad-norm-factor` (1000x) its running median for two logged points in a row. Dense logs
    (one loss per step, as OpenAI writes) are averaged into 200 points first so one noisy batch is
    not a spike. The message gives the first step that shows it, every kind of evidence, the
    learning rate at that step and its peak, and the last good evaluation to restart from.

    ## Why it matters
    A diverged run's later weights are damaged, whatever the final loss says: one real
    alpaca-lora LLaMA-7B run went from an eval loss of 0.94 to 4.8, with the gradient norm at
    5e5 and a NaN, and its trainer kept training. Two logged points in a row at twice the median
    is far outside the noise of an averaged training loss, and a thousandfold gradient norm is
    not clipping noise. It is an error: the run has to be redone or rolled back.

    ## Example
    ```
    loss: 0.95 0.94 0.94 2.82 2.86 1.34 ... 4.01 5.17 6.85 7.64   grad_norm: 0.2 ... 3378 nan
    ```

    ## How to fix
    Restart from the last good checkpoint (before the spike) with a lower learning rate (halve
    it), a longer warm-up, gradient clipping (`max_grad_norm: 1.0`), and bf16 instead of fp16
    (fp16 overflows); check the data around the spike for broken or extreme rows.
    """

    code = "FT804"
    name = "divergence"
    summary = "The run diverged: loss spikes, NaN/inf losses or gradient-norm blow-ups"
    severity = Severity.ERROR
    option_help = {
        "spike_factor": "a loss above this multiple of its running median (or of the best eval before) is a spike",
        "min_spike": "and at least this far above it (absolute), so tiny losses do not count",
        "grad_norm_factor": "a gradient norm above this multiple of its running median is a blow-up",
    }

    @dataclass
    class Options:
        spike_factor: float = 2.0
        min_spike: float = 0.25
        grad_norm_factor: float = 1000.0

    def judge(self, run: Run, ctx: Context) -> list[Finding] | str:
        o = self.options
        if not run.train_loss and not run.eval_loss:
            return f"{run.shown} has no loss curve to judge"
        d = an.divergence(run, o.spike_factor, o.min_spike, grad_norm_factor=o.grad_norm_factor)
        if d is None:
            return []
        message = f"the run diverged at step {d.step}{_epoch(run, d.step)}: " + "; ".join(d.what)
        causes = []
        if d.lr_at is not None:
            lr = f"the learning rate was {fmt(d.lr_at)} there"
            if d.lr_peak is not None and d.lr_peak_step is not None:
                lr += f" (peak {fmt(d.lr_peak)} at step {d.lr_peak_step}"
                lr += ", just after the warm-up)" if d.step <= 3 * max(d.lr_peak_step, 1) else ")"
            causes.append(lr + ": halve it or lengthen the warm-up")
        else:
            causes.append("lower the learning rate or lengthen the warm-up")
        if run.plan is not None and _raw(run, "fp16") is True:
            causes.append("the config trains in fp16, which overflows: use bf16")
        else:
            causes.append("use bf16 rather than fp16 (overflow)")
        clip = _raw(run, "max_grad_norm")
        if isinstance(clip, (int, float)) and not isinstance(clip, bool) and clip <= 0:
            causes.append("`max_grad_norm` is off: set it to 1.0")
        restart = ""
        if d.good_step is not None and d.good_loss is not None:
            where, _ = checkpoint_phrase(run, d.good_step)
            restart = (f"Restart from {where}: eval_loss {fmt(d.good_loss)}, the best evaluation before step "
                       f"{d.step}. ")
        fix = restart + "Likely causes: " + "; ".join(causes) + "; and check the data around the spike."
        markers = [Marker(float(d.step), "divergence", "spike")]
        if d.good_step is not None and d.good_loss is not None:
            markers.append(Marker(float(d.good_step), f"last good {fmt(d.good_loss)}", "minimum", float(d.good_loss)))
        chart = run_curve(run, f"{run.shown}: divergence at step {d.step}", markers)
        point = Point(d.step, 0.0, None, d.line)
        return [self.run_finding(run, message, fix, point=point, key=d.key, chart=chart,
                               metrics={"step": d.step, "spike_steps": d.spike_steps[:20],
                                        "nonfinite_steps": d.nonfinite_steps[:20], "peak_loss": _r(d.peak_loss),
                                        "grad_norm_max": _r(d.grad_norm_max),
                                        "grad_norm_median": _r(d.grad_norm_median), "lr_at_step": d.lr_at,
                                        "lr_peak": d.lr_peak, "good_step": d.good_step,
                                        "good_eval_loss": _r(d.good_loss)})]


# -- FT805 ----------------------------------------------------------------------------------------------

class TooFewEvaluations(_RunRule):
    """The run never evaluated, or too few times to judge its fit.

    ## What it does
    Reports a run whose log has no evaluation loss, or fewer than `min-evaluations` (3). With no
    evaluation and a training loss that falls towards zero (below `memorise-below`, 0.05, or by
    90% or more), it says the run may have memorised its data — possible, not proven, without a
    validation loss.

    ## Why it matters
    Overfitting, stopping too early and picking the best checkpoint all need the validation
    curve: without it the final weights are a guess. Two points make a line, not a trend; the
    overfitting check (FT801) needs four evaluations and a rise held for three. A training loss
    near zero on its own means the model can reproduce its training set, which is what
    memorisation looks like, but only a held-out loss tells it apart from a task that is simply
    easy.

    ## Example
    ```
    loss: 1.9 1.2 0.6 0.2 0.04 0.01   (no eval_loss in the log)
    ```

    ## How to fix
    Give the run a validation set and evaluate 5 to 10 times per run (HF/TRL `eval_strategy:
    steps` with `eval_steps`; Axolotl `val_set_size` + `eval_steps`; LLaMA-Factory `val_size` +
    `eval_steps`; torchtune `dataset_val` + `run_val_every_n_steps`; OpenAI a `validation_file`).
    """

    code = "FT805"
    name = "too-few-evaluations"
    summary = "The run never evaluated, or too few times to judge its fit"
    severity = Severity.WARNING
    option_help = {
        "min_evaluations": "fewer evaluations than this are too few to judge",
        "memorise_below": "with no evaluation, a final training loss below this is called possible memorisation",
    }

    @dataclass
    class Options:
        min_evaluations: int = 3
        memorise_below: float = 0.05

    def judge(self, run: Run, ctx: Context) -> list[Finding] | str:
        o = self.options
        ev = an.evals(run)
        if len(ev) >= o.min_evaluations:
            return []
        last = run.last_step
        every = max(round((last or 0) / 8 / 10) * 10, 10) if last else None
        hint = adapter_of(run).evaluation_settings(every)
        if not ev:
            mem = an.memorising(run, o.memorise_below)
            message = (f"the log has no evaluation over {last or 0} steps: nothing shows whether the run over- or "
                       "underfit")
            if mem is not None:
                message += (f"; the training loss fell from {fmt(mem[0])} to {fmt(mem[1])}, towards zero: possibly "
                            "memorising the data (not proven without a validation loss)")
            losses = finite(run.train_loss)
            point = losses[-1] if losses else None
            key = TRAIN_LOSS
        else:
            steps = ", ".join(str(p.step) for p in ev)
            message = (f"only {len(ev)} evaluation{'s' if len(ev) != 1 else ''} (step {steps}) in {last or 0} steps: "
                       "too few to see a trend")
            point, key = ev[-1], EVAL_LOSS
            mem = None
        return [self.run_finding(run, message, f"Evaluate 5 to 10 times per run: {hint}.", point=point, key=key,
                               chart=run_curve(run, f"{run.shown}: {len(ev)} evaluation(s)"),
                               metrics={"evaluations": len(ev), "steps": last,
                                        "possible_memorisation": mem is not None})]


# -- FT806 ----------------------------------------------------------------------------------------------

class BestCheckpointNotKept(_RunRule):
    """The best evaluation's checkpoint was not saved, or is not the one the run ends with.

    ## What it does
    Finds the evaluation with the lowest eval loss. When the last evaluation is worse than it by
    at least `min-gap` (0.5%), it reports the run if the best step's checkpoint is not among the
    checkpoint folders beside the log (not saved because `save_steps` does not line up with
    `eval_steps`, or deleted by `save_total_limit`), if the config saves nothing at that step, or
    if the config does not load the best checkpoint at the end (`load_best_model_at_end` unset or
    false) so the run ends on its last, worse weights. The run's own `best_model_checkpoint`
    counts as kept. Without the checkpoint folders (a log file on its own) and without `--config`
    it cannot tell, and is skipped.

    ## Why it matters
    Picking the best checkpoint is the cheapest fix for overfitting — unless that checkpoint is
    gone. Several of the real logs kept only the last checkpoints although an earlier one was
    best; `save_total_limit` without `load_best_model_at_end` deletes the best checkpoint as soon
    as newer ones arrive, and a `save_steps` that is not a multiple of `eval_steps` saves the
    steps nobody evaluated.

    ## Example
    ```
    eval_loss best at step 400; checkpoints saved: checkpoint-900, checkpoint-1000
    ```

    ## How to fix
    Save at every evaluation (`save_steps` equal to `eval_steps`, or both per epoch), set
    `load_best_model_at_end: true` with `metric_for_best_model: eval_loss` (then
    `save_total_limit` keeps the best one too), and copy the best checkpoint out of a finished
    run before deleting the folder.
    """

    code = "FT806"
    name = "best-checkpoint-not-kept"
    summary = "The best evaluation's checkpoint was not saved or is not the one the run ends with"
    severity = Severity.WARNING
    skip_fix = "pass the run's output directory (with its checkpoint-* folders) or its training config with --config"
    option_help = {"min_gap": "the last evaluation must be worse than the best by at least this share"}

    @dataclass
    class Options:
        min_gap: float = 0.005

    def judge(self, run: Run, ctx: Context) -> list[Finding] | str:
        ev = an.evals(run)
        if len(ev) < 2:
            return f"{run.shown} has fewer than 2 evaluations (FT805 reports it)"
        best = min(ev, key=lambda p: (p.value, p.step))
        last = ev[-1]
        gap = (last.value - best.value) / best.value if best.value > 0 else 0.0
        if best.step == last.step or gap < self.options.min_gap:
            return []
        if adapter_of(run).checkpoints_per_epoch:
            return f"{run.framework} runs are not checked for this (their checkpoints are per epoch)"
        load_best = _plan_value(run, "early_stopping", "load_best_model_at_end")
        save_limit = _raw(run, "save_total_limit")
        save = _save_steps(run)
        eval_steps = run.info.get("eval_steps") or _plan_value(run, "validation", "eval_steps")
        problems: list[str] = []
        tracked = run.best_step == best.step and run.best_checkpoint is not None
        if run.checkpoints is not None:
            if run.checkpoint_at(best.step) is None:
                kept = ", ".join(c.name for c in run.checkpoints[-3:])
                why = ""
                if save and best.step % save:
                    why = f" (save_steps {save} does not line up with eval_steps {eval_steps or '?'})"
                elif isinstance(save_limit, int) and not isinstance(save_limit, bool):
                    why = f" (save_total_limit {save_limit} deleted it)"
                problems.append(f"checkpoint-{best.step} is not in {run.root.name}/ (it has {kept}){why}")
        elif save and best.step % save:
            problems.append(f"save_steps {save} never saved step {best.step} (eval_steps {eval_steps or '?'})")
        elif run.plan is None and not tracked:
            return (f"{run.shown} is a log on its own: its checkpoints and config are unknown (the best eval is at "
                    f"step {best.step})")
        if not problems and run.plan is not None and load_best is not True and not tracked:
            problems.append(f"the config does not load the best checkpoint at the end (`load_best_model_at_end` is "
                            f"{'false' if load_best is False else 'unset'}), so the run ends on step {last.step}'s "
                            "weights")
        if not problems:
            return []
        message = (f"the best eval_loss {fmt(best.value)} is at step {best.step}{_epoch(run, best.step)}, the last "
                   f"{fmt(last.value)} ({gap:.1%} worse): " + "; ".join(problems))
        fix = (f"Save at every evaluation (`save_steps` = `eval_steps`{f' = {eval_steps}' if eval_steps else ''}) and "
               "end on the best one: `load_best_model_at_end: true`, `metric_for_best_model: eval_loss` (then "
               "`save_total_limit` keeps the best checkpoint too).")
        chart = run_curve(run, f"{run.shown}: best step {best.step}",
                          [Marker(float(best.step), f"best eval {fmt(best.value)}", "minimum", float(best.value))])
        return [self.run_finding(run, message, fix, point=best, chart=chart,
                               metrics={"best_step": best.step, "best_eval_loss": round(best.value, 6),
                                        "last_step": last.step, "gap": round(gap, 6), "save_steps": save,
                                        "eval_steps": eval_steps, "load_best_model_at_end": load_best})]


# -- FT807 ----------------------------------------------------------------------------------------------

class MetricAndLossDisagree(_RunRule):
    """The task metric picks a different best step than the eval loss.

    ## What it does
    For each evaluation metric with a known direction in the log (accuracy, F1, ROUGE, BLEU,
    exact match, WER/CER, DPO reward margins and accuracies, token accuracy), it compares the
    step where the metric is best with the step where the eval loss is lowest. When they differ
    and the metric at the loss's best step is worse than its own best by at least `min-gap` (2%,
    relative), it reports the metric that disagrees most, which step the run selected (its
    `best_model_checkpoint`, or the config's `metric_for_best_model`) and what each choice costs.

    ## Why it matters
    Eval loss and the metric users ship on often part ways: on classification and generation
    tasks the loss can rise (more confident mistakes) while accuracy or ROUGE keeps improving,
    and for DPO the loss keeps falling after the reward margins stop helping. A run that keeps
    the lowest-loss checkpoint may throw away the best model by the metric that matters.

    ## Example
    ```
    eval_loss:     0.62 0.55 0.52 0.53 0.53 0.53
    eval_accuracy: 0.70 0.76 0.79 0.83 0.86 0.88
    ```

    ## How to fix
    Choose the checkpoint by the metric you ship on: `metric_for_best_model: eval_accuracy` with
    `greater_is_better: true` (and `load_best_model_at_end: true`), or look at the metric's
    best checkpoint before deploying.
    """

    code = "FT807"
    needs_evaluations = True
    name = "metric-and-loss-disagree"
    summary = "The task metric picks a different best step than the eval loss"
    severity = Severity.WARNING
    skip_fix = "log a task metric at each evaluation (compute_metrics) and evaluate at least 3 times"
    option_help = {"min_gap": "the metric at the loss's best step must be worse than its best by this share",
                   "min_evaluations": "evaluations the run needs before it is judged"}

    @dataclass
    class Options:
        min_gap: float = 0.02
        min_evaluations: int = 3

    def judge(self, run: Run, ctx: Context) -> list[Finding] | str:
        o = self.options
        if not run.eval_metrics():
            return f"{run.shown} logs no task metric besides the loss"
        d = an.disagreement(run, o.min_gap, o.min_evaluations)
        if d is None:
            return []
        chosen = _plan_value(run, "early_stopping", "metric_for_best_model")
        selected = ""
        if run.best_step is not None:
            by = ("the loss" if run.best_step == d.loss_best.step
                  else d.metric if run.best_step == d.metric_best.step else None)
            selected = (f"; the run selected step {run.best_step} ({run.best_checkpoint}"
                        + (f", by {by})" if by else ")"))
        elif chosen:
            selected = f"; the config selects by {chosen}"
        better = "higher" if d.direction == "max" else "lower"
        loss_worse = ((d.loss_at_metric_best - d.loss_best.value) / d.loss_best.value) if d.loss_best.value > 0 else 0.0
        message = (f"{d.metric} is best at step {d.metric_best.step} ({fmt(d.metric_best.value)}), the eval loss at "
                   f"step {d.loss_best.step} ({fmt(d.loss_best.value)}); at the loss's best step {d.metric} is "
                   f"{fmt(d.metric_at_loss_best)}, {d.gap:.1%} worse, and at the metric's best the loss is "
                   f"{loss_worse:.1%} higher{selected}")
        metric_key = d.metric
        gib = "true" if d.direction == "max" else "false"
        fix = (f"Choose the checkpoint by the metric you ship on ({better} is better): `metric_for_best_model: "
               f"{metric_key}`, `greater_is_better: {gib}`, `load_best_model_at_end: true`; "
               f"{checkpoint_name(run, d.metric_best.step)} is the best by {d.metric}.")
        chart = run_curve(run, f"{run.shown}: {d.metric} vs eval loss", [
            Marker(float(d.loss_best.step), "best loss", "minimum", float(d.loss_best.value)),
            Marker(float(d.metric_best.step), f"best {d.metric}", "best")], metric=d.metric)
        return [self.run_finding(run, message, fix, point=d.metric_best, key=d.metric, chart=chart,
                               metrics={"metric": d.metric, "metric_best_step": d.metric_best.step,
                                        "metric_best": round(d.metric_best.value, 6),
                                        "loss_best_step": d.loss_best.step,
                                        "metric_at_loss_best": round(d.metric_at_loss_best, 6), "gap": round(d.gap, 6),
                                        "selected_step": run.best_step})]


# -- FT808 ----------------------------------------------------------------------------------------------

class LossScaleArtefact(_RunRule):
    """The logged training loss is a fixed multiple of the eval loss: a logging artefact.

    ## What it does
    Pairs each evaluation with the training loss logged over the steps before it and, over the
    later half of the run (at least `min-pairs`, 3, pairs), reports a training loss that is at
    least `min-ratio` (3x) the eval loss with the ratio constant to within `tolerance` (20%).
    It names the ratio (and, with `--config`, the `gradient_accumulation_steps` it matches).

    ## Why it matters
    A training loss many times the eval loss at every evaluation, while both fall together, is
    not a model that fails to fit its training data: the two are on different scales. Known
    causes are a logged loss multiplied by the gradient-accumulation steps or the number of
    devices (transformers 4.46 had such a bug), and a custom loss summed instead of averaged.
    One real Qwen2.5-3B LoRA run logged a training loss about 16.8x its eval loss at each of its
    last evaluations (5.39/0.319, 5.18/0.308, 5.02/0.304). Read naively the gap says
    "underfitting" or "the eval set is easier"; this notice says instead that training and eval
    losses cannot be compared in that log (FT803 does not compare them then).

    ## Example
    ```
    loss:      9.90  5.39  5.18  5.02
    eval_loss: 0.347 0.319 0.308 0.304
    ```

    ## How to fix
    Compare trends, not levels, in this log; upgrade transformers past the gradient-accumulation
    loss fix (4.46.1+), and check that a custom `compute_loss` returns a mean.
    """

    code = "FT808"
    name = "loss-scale-artefact"
    summary = "The logged training loss is a fixed multiple of the eval loss (a logging artefact)"
    severity = Severity.INFO
    skip_fix = "evaluate at least 3 times per run"
    option_help = {"min_ratio": "a training loss at least this multiple of the eval loss is on another scale",
                   "tolerance": "the ratio must stay within this share of its median",
                   "min_pairs": "evaluation/training pairs the ratio is measured on"}

    @dataclass
    class Options:
        min_ratio: float = 3.0
        tolerance: float = 0.2
        min_pairs: int = 3

    def judge(self, run: Run, ctx: Context) -> list[Finding] | str:
        o = self.options
        if len(an.evals(run)) < o.min_pairs or not run.train_loss:
            return f"{run.shown} has fewer than {o.min_pairs} evaluations with a training loss beside them"
        sa = an.scale_artefact(run, o.min_ratio, o.tolerance, o.min_pairs)
        if sa is None:
            return []
        pairs = ", ".join(f"{fmt(t)}/{fmt(e)}" for _, t, e in sa.pairs[-4:])
        ga = None
        if run.plan is not None:
            ga = _plan_value(run, "batch", "gradient_accumulation")
        matches = ""
        if isinstance(ga, (int, float)) and ga > 1 and abs(sa.ratio - ga) <= 0.15 * ga:
            matches = f"; it matches gradient_accumulation_steps {ga:g}"
        message = (f"the training loss is {sa.ratio:.1f}x the eval loss at each of the last {len(sa.pairs)} "
                   f"evaluations (train/eval: {pairs}){matches}: a logging or loss-scaling artefact (a loss multiplied "
                   "by gradient-accumulation steps or devices, or summed), not underfitting; training and eval "
                   "losses are not comparable in this log")
        fix = ("Compare trends, not levels, in this log; upgrade transformers to 4.46.1 or later (the "
               "gradient-accumulation loss fix) and check that a custom compute_loss returns a mean, not a sum.")
        return [self.run_finding(run, message, fix, point=an.evals(run)[-1], key=TRAIN_LOSS,
                               chart=run_curve(run, f"{run.shown}: training loss {sa.ratio:.1f}x eval loss"),
                               metrics={"ratio": round(sa.ratio, 4), "pairs": len(sa.pairs),
                                        "gradient_accumulation_steps": ga})]


# -- FT809 ----------------------------------------------------------------------------------------------

class LearningRateSchedule(_RunRule):
    """The learning rate never decayed, or its warm-up never ended.

    ## What it does
    Reads the learning rate the log records (at least 10 points, on a run that reached its
    end). It reports a schedule whose learning rate rose all the way to the last step (the
    warm-up is as long as the run, or longer: a warning, escalated) and one that stayed within
    `flat-share` (90%) of its peak over the last fifth of the run (a constant schedule: a
    notice).

    ## Why it matters
    A warm-up longer than the run (`warmup_steps` above the total steps, or a `warmup_ratio`
    meant for another length) means the model never trained at the learning rate chosen for it.
    A constant learning rate is a legitimate choice, but the run then ends on weights taken
    mid-stride: a decaying schedule (cosine, linear) usually ends at a lower eval loss and makes
    the last checkpoint a better one; with a constant schedule, checkpoint choice and early
    stopping matter more.

    ## Example
    ```
    learning_rate: 1e-5 2e-5 3e-5 ... 1e-4 (still rising at the last step)
    ```

    ## How to fix
    Make the warm-up a small part of the run (`warmup_ratio: 0.03` to `0.1`, or `warmup_steps`
    well under the total steps), and use a decaying scheduler (`lr_scheduler_type: cosine` or
    `linear`) unless a constant one is intended.
    """

    code = "FT809"
    name = "learning-rate-schedule"
    summary = "The learning rate never decayed, or its warm-up never ended"
    severity = Severity.INFO
    escalation = None
    option_help = {"flat_share": "a learning rate that stays above this share of its peak to the end never decayed",
                   "min_points": "logged learning rates the check needs"}

    @dataclass
    class Options:
        flat_share: float = 0.9
        min_points: int = 10

    def judge(self, run: Run, ctx: Context) -> list[Finding] | str:
        o = self.options
        lrs = finite(run.get(LEARNING_RATE))
        if len(lrs) < o.min_points:
            return f"{run.shown} logs fewer than {o.min_points} learning rates"
        if run.finished is False:
            return f"{run.shown} stops before its planned end: its schedule is not finished"
        s = an.schedule_problem(run, o.min_points, o.flat_share)
        if s is None:
            return []
        if s.kind == "warmup-never-ends":
            message = (f"the learning rate rose from {fmt(s.first.value)} to {fmt(s.last.value)} over the whole run "
                       f"(still rising at step {s.last.step}): the warm-up never ended, so the run never trained at "
                       "its full learning rate or decayed from it")
            fix = ("Make the warm-up a small part of the run: `warmup_ratio: 0.03` to `0.1`, or `warmup_steps` well "
                   "under the run's total steps.")
            escalate = True
            why = "a warm-up that never ends"
        else:
            message = (f"the learning rate stayed at {fmt(s.last.value)} ({s.last.value / s.peak.value:.0%} of its "
                       f"peak {fmt(s.peak.value)}) to the last step {s.last.step}: the schedule never decayed, so "
                       "the run ends on weights taken at full learning rate")
            fix = ("Use a decaying schedule (`lr_scheduler_type: cosine` or `linear`) unless a constant one is "
                   "intended; with a constant schedule, choose the checkpoint by its eval loss.")
            escalate, why = False, None
        chart = run_curve(run, f"{run.shown}: learning rate", note="the learning rate is in the finding's metrics")
        return [self.run_finding(run, message, fix, point=s.last, key=LEARNING_RATE, chart=chart, escalate=escalate,
                               escalated_by=why, metrics={"kind": s.kind, "first_lr": s.first.value,
                                                          "peak_lr": s.peak.value, "peak_step": s.peak.step,
                                                          "last_lr": s.last.value})]


# -- FT810 ----------------------------------------------------------------------------------------------

class DamagedRunLog(_RunRule):
    """Lines of the training log could not be read (a run killed mid-write, a corrupt file).

    ## What it does
    Reports the lines of a run's log that were skipped because they are not valid JSON, CSV or
    log lines: a `trainer_state.json` cut off mid-write (its `log_history` entries before the
    cut are read), or bad lines in a `trainer_log.jsonl`, a metrics JSONL, a torchtune log or an
    OpenAI result CSV. Damage at the very end of the file (the usual kill mid-write) is a
    notice; damage in the middle is a warning. A log that is mostly unreadable is not a finding
    but an error (exit 2).

    ## Why it matters
    The other FT8xx rules judge the curves that could be read: the report must say what was
    left out, or a clean result would look like a pass over data nobody saw.

    ## Example
    ```
    {"current_steps": 10, "loss": 2.2, ...}
    {"current_steps": 20, "loss": 2.1, "lr": 1.9e
    ```

    ## How to fix
    Nothing to fix in the run when only the last line is cut (it was killed while writing it);
    take the log from the run's last checkpoint if the end matters. Damage in the middle means
    the file was altered or two runs wrote to it: rerun or use an intact copy.
    """

    code = "FT810"
    name = "damaged-run-log"
    summary = "Lines of the training log could not be read (killed mid-write, or corrupt)"
    severity = Severity.INFO

    def judge(self, run: Run, ctx: Context) -> list[Finding] | str:
        if not run.bad_lines:
            return []
        bad = run.bad_lines
        middle = [b for b in bad if not b.last]
        first = middle[0] if middle else bad[0]
        lines = ", ".join(str(b.line) for b in bad[:5] if b.line) + (", …" if len(bad) > 5 else "")
        where = f"line{'s' if len(bad) != 1 else ''} {lines}" if lines else "the end"
        message = (f"{plural(len(bad), 'line')} of the log could not be read ({where}: {first.reason})"
                   + ("" if middle else ", at the end of the file: the run was likely killed while writing it")
                   + f"; the curves use the {run.records} entries that could be read")
        return [self.run_finding(run, message, "Use an intact copy of the log (or the one in the run's last "
                                             "checkpoint) if the lost lines matter.",
                               point=Point(0, 0.0, None, first.line), key="log", escalate=bool(middle),
                               escalated_by="lines in the middle of the log are damaged" if middle else None,
                               metrics={"bad_lines": len(bad), "read": run.records, "at_end_only": not middle})]


RUN_RULES = (Overfitting, StoppedWhileImproving, Underfitting, Divergence, TooFewEvaluations, BestCheckpointNotKept,
             MetricAndLossDisagree, LossScaleArtefact, LearningRateSchedule, DamagedRunLog)

__all__ = ["RUN_RULES", "checkpoint_phrase", "run_curve"]
